#include "link/rate.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace l7::link {
namespace {

using namespace std::chrono_literals;

struct RateCase {
    const char* text;
    std::uint64_t bps;
};

TEST(ParseRate, AcceptsTcUnits) {
    const RateCase cases[] = {
        {"1.54mbit", 1'540'000},
        {"10kbit", 10'000},
        {"100mbit", 100'000'000},
        {"1gbit", 1'000'000'000},
        {"10gbit", 10'000'000'000},
        {"56kbit", 56'000},
        {"8bit", 8},
        {"1bps", 8},
        {"500kbps", 4'000'000},  // bytes per second, as in tc
        {"2mbps", 16'000'000},
        {"1.25gbps", 10'000'000'000},
        {"1kibit", 1024},
        {"1mibit", 1024 * 1024},
        {"1kibps", 8 * 1024},
        {"1.54Mbit", 1'540'000},  // case-insensitive, like tc
        {"100MBIT", 100'000'000},
        {".5mbit", 500'000},
        {"1.mbit", 1'000'000},
        {"0.000008mbit", 8},
        {"7.5bit", 8},  // rounded to whole bits
    };
    for (const auto& c : cases) {
        const auto r = parse_rate(c.text);
        ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().message;
        EXPECT_EQ(*r, c.bps) << c.text;
    }
}

struct ErrorCase {
    const char* text;
    const char* says;  // part of the one-sentence error
};

TEST(ParseRate, RefusesWithOneSentence) {
    const ErrorCase cases[] = {
        {"", "empty rate"},
        {"fast", "'fast' is not a rate"},
        {"-1mbit", "is not a rate"},
        {"+1mbit", "is not a rate"},
        {" 1mbit", "is not a rate"},
        {".", "is not a rate"},
        {"1000", "'1000' needs a unit: 1000kbit"},
        {"1.5", "needs a unit"},
        {"1mb", "unknown unit"},
        {"1 mbit", "unknown unit"},
        {"1mbit ", "unknown unit"},
        {"1e6bit", "unknown unit"},
        {"1..5mbit", "unknown unit"},
        {"0mbit", "too slow"},
        {"7bit", "too slow"},
        {"0.0000001kbit", "too slow"},
        {"11gbit", "too fast"},
        {"1tbit", "too fast"},
        {"99999999999999999999999999999gbit", "too fast"},
    };
    for (const auto& c : cases) {
        const auto r = parse_rate(c.text);
        ASSERT_FALSE(r.ok()) << "'" << c.text << "' parsed as " << *r;
        EXPECT_NE(r.error().message.find(c.says), std::string::npos)
            << c.text << ": " << r.error().message;
        EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
    }
}

TEST(FormatRate, ShortestExactSpelling) {
    const RateCase cases[] = {
        {"1.54mbit", 1'540'000},  {"64kbit", 64'000},         {"8bit", 8},
        {"1gbit", 1'000'000'000}, {"10gbit", 10'000'000'000}, {"1.000001mbit", 1'000'001},
        {"999bit", 999},          {"1.5kbit", 1500},          {"1.234567891gbit", 1'234'567'891},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(format_rate(c.bps), c.text);
        const auto back = parse_rate(format_rate(c.bps));
        ASSERT_TRUE(back.ok()) << c.text;
        EXPECT_EQ(*back, c.bps);
    }
}

struct TimeCase {
    std::uint64_t bytes;
    std::uint64_t bps;
    std::chrono::nanoseconds time;
};

TEST(TransmissionTime, BytesTimesEightOverRate) {
    const TimeCase cases[] = {
        // The course's example: a 1500-byte packet on a 1.54 Mbit/s link takes 7.79 ms.
        {1500, 1'540'000, 7'792'207ns},
        {1500, 1'000'000, 12ms},
        {125'000, 1'000'000, 1s},
        {1, 8, 1s},
        {0, 1'000'000, 0ns},
        {1, 10'000'000'000, 0ns},  // 0.8 ns, rounded down
        {1250, 10'000'000'000, 1us},
        {std::uint64_t{1} << 31, 8, std::chrono::seconds(std::int64_t{1} << 31)},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(transmission_time(c.bytes, c.bps), c.time) << c.bytes << " bytes at " << c.bps;
    }
}

}  // namespace
}  // namespace l7::link
