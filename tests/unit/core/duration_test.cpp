#include "core/duration.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace l7 {
namespace {

using namespace std::chrono_literals;

Duration parse_ok(const std::string& text) {
    auto d = parse_duration(text);
    EXPECT_TRUE(d.ok()) << "'" << text << "': " << (d.ok() ? "" : d.error().message);
    return d.ok() ? *d : Duration(-1);
}

TEST(ParseDuration, AcceptsEveryUnit) {
    EXPECT_EQ(parse_ok("20ms"), 20ms);
    EXPECT_EQ(parse_ok("1.5s"), 1500ms);
    EXPECT_EQ(parse_ok("2m"), 120s);
    EXPECT_EQ(parse_ok("500us"), 500us);
    EXPECT_EQ(parse_ok("1h"), 3600s);
    EXPECT_EQ(parse_ok("250ns"), 250ns);
    EXPECT_EQ(parse_ok("0s"), 0ns);
}

TEST(ParseDuration, BareNumberMeansSeconds) {
    EXPECT_EQ(parse_ok("3"), 3s);
    EXPECT_EQ(parse_ok("0.2"), 200ms);
}

TEST(ParseDuration, FractionsAreExact) {
    EXPECT_EQ(parse_ok("0.001s"), 1ms);
    EXPECT_EQ(parse_ok("2.5ms"), 2500us);
    EXPECT_EQ(parse_ok("1.5m"), 90s);
}

TEST(ParseDuration, RejectsEmpty) {
    auto d = parse_duration("");
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.error().message.find("empty"), std::string::npos) << d.error().message;
}

TEST(ParseDuration, RejectsMissingNumber) {
    for (const char* text : {"ms", "s", ".", "-1s", "+1s", " 1s", "1.2.3s"}) {
        auto d = parse_duration(text);
        ASSERT_FALSE(d.ok()) << text;
        EXPECT_NE(d.error().message.find(std::string("'") + text + "'"), std::string::npos)
            << d.error().message;
    }
}

TEST(ParseDuration, RejectsUnknownUnit) {
    for (const char* text : {"5x", "5 s", "5sec", "5S", "1e400s", "5ms "}) {
        auto d = parse_duration(text);
        ASSERT_FALSE(d.ok()) << text;
        EXPECT_NE(d.error().message.find(std::string("'") + text + "'"), std::string::npos)
            << d.error().message;
    }
    EXPECT_NE(parse_duration("5x").error().message.find("unknown unit"), std::string::npos);
}

TEST(ParseDuration, RejectsTooLong) {
    // 1e18 ns is the largest accepted duration.
    EXPECT_EQ(parse_ok("1000000000s"), Duration(1'000'000'000'000'000'000));
    for (const char* text :
         {"1000000001s", "300000h", "99999999999999999999999999999999999999999999999999s"}) {
        auto d = parse_duration(text);
        ASSERT_FALSE(d.ok()) << text;
        EXPECT_NE(d.error().message.find("too long"), std::string::npos) << d.error().message;
    }
}

TEST(FormatDuration, ShortestExactSpelling) {
    EXPECT_EQ(format_duration(20ms), "20ms");
    EXPECT_EQ(format_duration(1500ms), "1500ms");
    EXPECT_EQ(format_duration(2s), "2s");
    EXPECT_EQ(format_duration(250us), "250us");
    EXPECT_EQ(format_duration(7ns), "7ns");
    EXPECT_EQ(format_duration(1001us), "1001us");
    EXPECT_EQ(format_duration(0ns), "0s");
    EXPECT_EQ(format_duration(2min), "120s");
}

TEST(FormatDuration, RoundTripsThroughParse) {
    for (Duration d : {Duration(20ms), Duration(1500ms), Duration(2s), Duration(250us),
                       Duration(7ns), Duration(3600s)}) {
        EXPECT_EQ(parse_ok(format_duration(d)), d) << format_duration(d);
    }
}

TEST(FormatMillis, ThreeDecimals) {
    EXPECT_EQ(format_millis(0ns), "0.000");
    EXPECT_EQ(format_millis(20ms), "20.000");
    EXPECT_EQ(format_millis(1500us), "1.500");
    EXPECT_EQ(format_millis(Duration(1'234'567)), "1.235");
    EXPECT_EQ(format_millis(Duration(999)), "0.001");
    EXPECT_EQ(format_millis(2s), "2000.000");
}

}  // namespace
}  // namespace l7
