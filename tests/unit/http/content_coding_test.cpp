// Accept-Encoding and gzip (RFC 9110 section 12.5.3).

#include <gtest/gtest.h>

#include "http/content_coding.hpp"

namespace l7::http {
namespace {

TEST(ContentCoding, GzipIsAcceptedWhenListedWithAPositiveQuality) {
    EXPECT_TRUE(accepts_gzip("gzip, deflate, br"));
    EXPECT_TRUE(accepts_gzip("deflate, GZIP;q=0.5"));
    EXPECT_TRUE(accepts_gzip("x-gzip"));
    EXPECT_TRUE(accepts_gzip("*"));
    EXPECT_TRUE(accepts_gzip("br;q=1.0, *;q=0.1"));
}

TEST(ContentCoding, GzipIsRefusedWhenAbsentOrZeroed) {
    EXPECT_FALSE(accepts_gzip(std::nullopt));
    EXPECT_FALSE(accepts_gzip(""));
    EXPECT_FALSE(accepts_gzip("identity"));
    EXPECT_FALSE(accepts_gzip("br, deflate"));
    EXPECT_FALSE(accepts_gzip("gzip;q=0"));
    EXPECT_FALSE(accepts_gzip("gzip;q=0.000"));
    EXPECT_FALSE(accepts_gzip("*, gzip;q=0"));  // the specific one wins
    EXPECT_FALSE(accepts_gzip("gzip;q=2"));     // malformed: not an acceptance
    EXPECT_FALSE(accepts_gzip("gzip;q=abc"));
}

}  // namespace
}  // namespace l7::http
