// Set-Cookie and Cookie fields (RFC 6265 sections 4 and 5).

#include <gtest/gtest.h>

#include <limits>

#include "http/cookie.hpp"

namespace l7::http {
namespace {

TEST(Cookie, ReadsANameValuePairAndEveryAttribute) {
    auto c = parse_set_cookie(
        "SID=31d4d96e407aad42; Path=/docs; Domain=.Example.COM; Secure; HttpOnly; "
        "Max-Age=3600; Expires=Wed, 09 Jun 2021 10:18:14 GMT; SameSite=lax");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->name, "SID");
    EXPECT_EQ(c->value, "31d4d96e407aad42");
    EXPECT_EQ(c->path, "/docs");
    EXPECT_EQ(c->domain, "example.com");
    EXPECT_TRUE(c->secure);
    EXPECT_TRUE(c->http_only);
    EXPECT_EQ(c->max_age, 3600);
    EXPECT_EQ(c->expires, 1623233894);
    EXPECT_EQ(c->same_site, "Lax");
}

TEST(Cookie, TrimsWhitespaceAndKeepsEverythingAfterTheFirstEquals) {
    auto c = parse_set_cookie(" lang = en=US ;path=/");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->name, "lang");
    EXPECT_EQ(c->value, "en=US");
    EXPECT_EQ(c->path, "/");
    auto empty = parse_set_cookie("gone=");
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->value, "");
    auto quoted = parse_set_cookie("q=\"a b\"");
    ASSERT_TRUE(quoted);
    EXPECT_EQ(quoted->value, "\"a b\"");
}

TEST(Cookie, IgnoresFieldsWithoutANameOrAnEquals) {
    EXPECT_FALSE(parse_set_cookie("novalue"));
    EXPECT_FALSE(parse_set_cookie("novalue; a=b"));
    EXPECT_FALSE(parse_set_cookie("=x"));
    EXPECT_FALSE(parse_set_cookie(""));
    EXPECT_FALSE(parse_set_cookie("a=b\x01"));
    EXPECT_FALSE(parse_set_cookie("a=b\tc"));
    EXPECT_FALSE(parse_set_cookie("a=" + std::string(kMaxCookieNameValue, 'x')));
    EXPECT_TRUE(parse_set_cookie("a=" + std::string(kMaxCookieNameValue - 1, 'x')));
}

TEST(Cookie, TheLastAttributeOfAKindWinsAndMalformedOnesAreIgnored) {
    auto c = parse_set_cookie("a=b; Max-Age=10; max-age=20; Max-Age=2x; Domain=; path=relative");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->max_age, 20);
    EXPECT_EQ(c->domain, "");
    EXPECT_EQ(c->path, "");
    auto d = parse_set_cookie("a=b; Domain=one.example; Domain=; Expires=soon; SameSite=odd");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->domain, "one.example");
    EXPECT_FALSE(d->expires);
    EXPECT_EQ(d->same_site, "");
    auto long_path = parse_set_cookie("a=b; Path=/" + std::string(kMaxCookieAttributeValue, 'p'));
    ASSERT_TRUE(long_path);
    EXPECT_EQ(long_path->path, "");
}

TEST(Cookie, MaxAgeMayBeZeroOrNegativeAndSaturates) {
    EXPECT_EQ(parse_set_cookie("a=b; Max-Age=0")->max_age, 0);
    EXPECT_EQ(parse_set_cookie("a=b; Max-Age=-5")->max_age, -5);
    EXPECT_EQ(parse_set_cookie("a=b; Max-Age=99999999999999999999999")->max_age,
              std::numeric_limits<std::int64_t>::max());
    EXPECT_FALSE(parse_set_cookie("a=b; Max-Age=-")->max_age);
    EXPECT_FALSE(parse_set_cookie("a=b; Max-Age=+5")->max_age);
}

TEST(Cookie, DatesInEveryFormTheAlgorithmAccepts) {
    const std::int64_t t = 1623233894;  // 2021-06-09T10:18:14Z
    EXPECT_EQ(parse_cookie_date("Wed, 09 Jun 2021 10:18:14 GMT"), t);
    EXPECT_EQ(parse_cookie_date("Wednesday, 09-Jun-21 10:18:14 GMT"), t);
    EXPECT_EQ(parse_cookie_date("Wed Jun  9 10:18:14 2021"), t);
    EXPECT_EQ(parse_cookie_date("9 june 2021 10:18:14"), t);
    EXPECT_EQ(parse_cookie_date("2021 Jun 09 10:18:14"), t);  // any order
    EXPECT_EQ(parse_cookie_date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
    EXPECT_EQ(parse_cookie_date("01 Jan 70 00:00:00"), 0);
    EXPECT_EQ(parse_cookie_date("01 Jan 69 00:00:00"), 3124224000);  // 2069
    EXPECT_EQ(parse_cookie_date("01 Jan 1601 00:00:00"), -11644473600);
}

TEST(Cookie, DatesOutOfRangeOrIncompleteAreRejected) {
    EXPECT_FALSE(parse_cookie_date("09 Jun 2021"));
    EXPECT_FALSE(parse_cookie_date("Jun 2021 10:18:14"));
    EXPECT_FALSE(parse_cookie_date("32 Jun 2021 10:18:14"));
    EXPECT_FALSE(parse_cookie_date("31 Apr 2021 10:18:14"));
    EXPECT_FALSE(parse_cookie_date("29 Feb 2023 10:18:14"));
    EXPECT_TRUE(parse_cookie_date("29 Feb 2024 10:18:14"));
    EXPECT_FALSE(parse_cookie_date("01 Jan 1600 00:00:00"));
    EXPECT_FALSE(parse_cookie_date("01 Jan 2021 24:00:00"));
    EXPECT_FALSE(parse_cookie_date("01 Jan 2021 10:60:00"));
    EXPECT_FALSE(parse_cookie_date("01 Jan 2021 10:00:60"));
    EXPECT_FALSE(parse_cookie_date("01 Jan 20211 10:00:00"));
    EXPECT_FALSE(parse_cookie_date(""));
}

TEST(Cookie, FormatsTheServerSyntax) {
    SetCookie c;
    c.name = "SID";
    c.value = "abc";
    EXPECT_EQ(format_set_cookie(c), "SID=abc");
    c.expires = 1623233894;
    c.max_age = 60;
    c.domain = "example.com";
    c.path = "/";
    c.secure = true;
    c.http_only = true;
    c.same_site = "Strict";
    const std::string text = format_set_cookie(c);
    EXPECT_EQ(text,
              "SID=abc; Expires=Wed, 09 Jun 2021 10:18:14 GMT; Max-Age=60; Domain=example.com; "
              "Path=/; Secure; HttpOnly; SameSite=Strict");
    EXPECT_EQ(parse_set_cookie(text), c);
}

TEST(Cookie, ReadsTheCookieFieldLeniently) {
    using Pairs = std::vector<std::pair<std::string, std::string>>;
    EXPECT_EQ(parse_cookie_header("a=b; c=d"), (Pairs{{"a", "b"}, {"c", "d"}}));
    EXPECT_EQ(parse_cookie_header("a=b;c=d=e ; ; junk; =x;  f = \"g\" "),
              (Pairs{{"a", "b"}, {"c", "d=e"}, {"f", "\"g\""}}));
    EXPECT_EQ(parse_cookie_header(""), Pairs{});
    std::string many;
    for (int i = 0; i < 1000; ++i) {
        many += "k" + std::to_string(i) + "=v; ";
    }
    EXPECT_EQ(parse_cookie_header(many).size(), kMaxCookiePairs);
}

}  // namespace
}  // namespace l7::http
