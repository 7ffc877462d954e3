// Reading POP3 command lines (RFC 1939 3, RFC 2449 4): keywords, arguments, message numbers.

#include "mail/pop3/command.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace l7::mail {
namespace {

TEST(Pop3Command, KeywordsAreCaseInsensitiveAndArgumentsSplit) {
    struct Case {
        std::string_view line;
        Pop3Verb verb;
        std::vector<std::string> arguments;
    };
    const Case cases[] = {
        {"USER mrose", Pop3Verb::user, {"mrose"}},
        {"user mrose", Pop3Verb::user, {"mrose"}},
        {"PASS secret", Pop3Verb::pass, {"secret"}},
        {"PASS  two words ", Pop3Verb::pass, {" two words "}},  // RFC 1939 7: spaces allowed
        {"pAsS x", Pop3Verb::pass, {"x"}},
        {"APOP mrose c4c9334bac560ecc979e58001b3e22fb",
         Pop3Verb::apop,
         {"mrose", "c4c9334bac560ecc979e58001b3e22fb"}},
        {"AUTH", Pop3Verb::auth, {}},
        {"AUTH PLAIN", Pop3Verb::auth, {"PLAIN"}},
        {"AUTH PLAIN AGFsaWNlAHNlY3JldA==", Pop3Verb::auth, {"PLAIN", "AGFsaWNlAHNlY3JldA=="}},
        {"STLS", Pop3Verb::stls, {}},
        {"capa", Pop3Verb::capa, {}},
        {"QUIT", Pop3Verb::quit, {}},
        {"STAT", Pop3Verb::stat, {}},
        {"LIST", Pop3Verb::list, {}},
        {"LIST 2", Pop3Verb::list, {"2"}},
        {"list  2  ", Pop3Verb::list, {"2"}},  // extra spaces tolerated
        {"RETR 1", Pop3Verb::retr, {"1"}},
        {"DELE 1", Pop3Verb::dele, {"1"}},
        {"NOOP", Pop3Verb::noop, {}},
        {"NOOP ", Pop3Verb::noop, {}},
        {"RSET", Pop3Verb::rset, {}},
        {"TOP 1 10", Pop3Verb::top, {"1", "10"}},
        {"UIDL", Pop3Verb::uidl, {}},
        {"uidl 3", Pop3Verb::uidl, {"3"}},
        {"USER j\xc3\xb6rg", Pop3Verb::user, {"j\xc3\xb6rg"}},  // UTF-8 passes
    };
    for (const auto& c : cases) {
        auto r = parse_pop3_command(c.line);
        ASSERT_TRUE(r.ok()) << c.line << ": " << r.error().message;
        EXPECT_EQ(r->verb, c.verb) << c.line;
        EXPECT_EQ(r->arguments, c.arguments) << c.line;
        EXPECT_EQ(pop3_verb_of(c.line), c.verb) << c.line;
    }
}

TEST(Pop3Command, RefusesUnknownAndMalformedCommands) {
    const std::string_view cases[] = {
        "",
        " ",
        "HELO x",
        "STATS",
        "STA",
        " STAT",   // a leading space is no keyword
        "STAT 1",  // takes no arguments
        "QUIT now",
        "USER",
        "USER a b",
        "PASS",
        "PASS ",
        "PASSsecret",
        "RETR",
        "RETR 1 2",
        "TOP 1",
        "TOP 1 2 3",
        "LIST 1 2",
        "AUTH PLAIN x y",
        "APOP mrose",
        "USER a\tb",  // control characters
        std::string_view("USER a\0b", 8),
        "PASS a\rb",
        "NOOP\x7f",
        "GET / HTTP/1.1",
    };
    for (std::string_view line : cases) {
        auto r = parse_pop3_command(line);
        EXPECT_FALSE(r.ok()) << line;
        if (!r.ok()) {
            EXPECT_FALSE(r.error().message.empty());
            EXPECT_EQ(r.error().message.find_first_of("\r\n"), std::string::npos);
        }
    }
    EXPECT_EQ(pop3_verb_of("HELO x"), std::nullopt);
    EXPECT_EQ(pop3_verb_of("PASS"), Pop3Verb::pass);  // for hiding even a refused PASS
}

TEST(Pop3Command, MessageNumbers) {
    EXPECT_EQ(parse_pop3_message_number("1"), 1u);
    EXPECT_EQ(parse_pop3_message_number("42"), 42u);
    EXPECT_EQ(parse_pop3_message_number("007"), 7u);
    EXPECT_EQ(parse_pop3_message_number("999999999"), 999999999u);
    for (std::string_view bad : {"", "0", "000", "-1", "+1", "1a", "a", " 1", "1 ", "0x10",
                                 "1000000000", "99999999999999999999999999"}) {
        EXPECT_EQ(parse_pop3_message_number(bad), std::nullopt) << bad;
    }
}

TEST(Pop3Command, TopLineCounts) {
    EXPECT_EQ(parse_pop3_line_count("0"), 0u);
    EXPECT_EQ(parse_pop3_line_count("000"), 0u);
    EXPECT_EQ(parse_pop3_line_count("10"), 10u);
    EXPECT_EQ(parse_pop3_line_count("0010"), 10u);
    EXPECT_EQ(parse_pop3_line_count("99999999999999999999999"),
              std::numeric_limits<std::size_t>::max());
    for (std::string_view bad : {"", "-1", "+1", "1x", " 1"}) {
        EXPECT_EQ(parse_pop3_line_count(bad), std::nullopt) << bad;
    }
}

}  // namespace
}  // namespace l7::mail
