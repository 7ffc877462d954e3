#include "link/amounts.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace l7::link {
namespace {

TEST(ParseLoss, PercentagesToProbabilities) {
    const struct {
        const char* text;
        double p;
    } cases[] = {
        {"0%", 0.0},   {"1%", 0.01},     {"0.5%", 0.005},
        {"100%", 1.0}, {"33.3%", 0.333}, {"100.0%", 1.0},
    };
    for (const auto& c : cases) {
        const auto r = parse_loss(c.text);
        ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().message;
        EXPECT_DOUBLE_EQ(*r, c.p) << c.text;
    }
}

TEST(ParseLoss, RefusesWithOneSentence) {
    const struct {
        const char* text;
        const char* says;
    } cases[] = {
        {"", "empty loss"},
        {"1", "'1' needs a percent sign: 1%"},
        {"0.3", "needs a percent sign"},
        {"lots", "is not a percentage"},
        {"-1%", "is not a percentage"},
        {"1%%", "is not a percentage"},
        {"1 %", "is not a percentage"},
        {"101%", "more than 100%"},
    };
    for (const auto& c : cases) {
        const auto r = parse_loss(c.text);
        ASSERT_FALSE(r.ok()) << c.text;
        EXPECT_NE(r.error().message.find(c.says), std::string::npos)
            << c.text << ": " << r.error().message;
    }
}

TEST(ParseByteSize, UnitsSiAndIec) {
    const struct {
        const char* text;
        std::uint64_t bytes;
    } cases[] = {
        {"65536", 65536},     {"0", 0},          {"1500B", 1500},
        {"64KiB", 65536},     {"64kib", 65536},  {"100kB", 100'000},
        {"100KB", 100'000},   {"100k", 100'000}, {"1MiB", 1 << 20},
        {"1.5MB", 1'500'000}, {"1GiB", 1 << 30}, {"1.5", 2},
    };
    for (const auto& c : cases) {
        const auto r = parse_byte_size(c.text);
        ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().message;
        EXPECT_EQ(*r, c.bytes) << c.text;
    }
}

TEST(ParseByteSize, RefusesWithOneSentence) {
    const struct {
        const char* text;
        const char* says;
    } cases[] = {
        {"", "empty size"},        {"big", "is not a size"},  {"-5", "is not a size"},
        {"5 KiB", "unknown unit"}, {"5kbit", "unknown unit"}, {"2GiB", "too large"},
        {"1.1GB", "too large"},
    };
    for (const auto& c : cases) {
        const auto r = parse_byte_size(c.text);
        ASSERT_FALSE(r.ok()) << c.text;
        EXPECT_NE(r.error().message.find(c.says), std::string::npos)
            << c.text << ": " << r.error().message;
    }
}

TEST(FormatByteSize, LargestWholeBinaryUnit) {
    EXPECT_EQ(format_byte_size(65536), "64KiB");
    EXPECT_EQ(format_byte_size(1 << 20), "1MiB");
    EXPECT_EQ(format_byte_size(1500), "1500B");
    EXPECT_EQ(format_byte_size(0), "0B");
}

}  // namespace
}  // namespace l7::link
