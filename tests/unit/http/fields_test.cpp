// Header fields: case-insensitive names, repeated fields, list values (RFC 9110 section 5).

#include <gtest/gtest.h>

#include "http/fields.hpp"

namespace l7::http {
namespace {

TEST(Fields, NamesCompareWithoutCaseAndRepeatsCombine) {
    Fields f;
    f.add("Accept", "text/html");
    f.add("ACCEPT", "image/png");
    f.add("Host", "example.com");
    EXPECT_EQ(f.get("accept"), "text/html");
    EXPECT_EQ(f.count("Accept"), 2u);
    EXPECT_EQ(f.combined("accept"), "text/html, image/png");
    EXPECT_FALSE(f.get("Cookie"));
    f.set("accept", "*/*");
    EXPECT_EQ(f.count("Accept"), 1u);
    EXPECT_EQ(f.get("Accept"), "*/*");
    f.remove("HOST");
    EXPECT_EQ(f.size(), 1u);
}

TEST(Fields, TokensAreFoundInListValues) {
    Fields f;
    f.add("Connection", "keep-alive, Upgrade");
    f.add("Connection", " close ");
    EXPECT_TRUE(f.has_token("connection", "close"));
    EXPECT_TRUE(f.has_token("Connection", "upgrade"));
    EXPECT_FALSE(f.has_token("Connection", "keep"));
    EXPECT_EQ(split_list(" a, ,b ,, c "), (std::vector<std::string_view>{"a", "b", "c"}));
    EXPECT_TRUE(split_list(" , ").empty());
}

}  // namespace
}  // namespace l7::http
