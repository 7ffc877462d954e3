// http URLs typed by users, and Location values resolved against them (RFC 3986 5.2).

#include <gtest/gtest.h>

#include "http/url.hpp"

namespace l7::http {
namespace {

TEST(Url, ParsesHostPortAndTarget) {
    auto u = parse_url("http://www.Example.com:8080/a/b?x=1#frag");
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(u->host, "www.Example.com");
    EXPECT_EQ(u->port, 8080);
    EXPECT_EQ(u->target, "/a/b?x=1");
    EXPECT_EQ(u->authority(), "www.Example.com:8080");
    u = parse_url("HTTP://gaia.cs.umass.edu");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->scheme, "http");
    EXPECT_EQ(u->target, "/");
    EXPECT_EQ(u->authority(), "gaia.cs.umass.edu");
    u = parse_url("http://[::1]:8080?q");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->host, "::1");
    EXPECT_EQ(u->target, "/?q");
    EXPECT_EQ(u->to_string(), "http://[::1]:8080/?q");
}

TEST(Url, RefusesWhatItCannotUse) {
    for (const char* bad :
         {"www.example.com/", "ftp://example.com/", "http://", "http://:80/", "http://a:0/",
          "http://a:99999/", "http://a:8x/", "http://u@a/", "http://a/b c", "http://[::1/"}) {
        EXPECT_FALSE(parse_url(bad)) << bad;
    }
}

TEST(Url, ResolvesReferences) {
    const Url base = *parse_url("http://a.example/b/c/d;p?q");
    const auto target = [&](const char* ref) {
        auto r = resolve_reference(base, ref);
        return r ? r->to_string() : "error: " + r.error().message;
    };
    // RFC 3986 section 5.4.1's normal examples, for the forms a Location takes.
    EXPECT_EQ(target("g"), "http://a.example/b/c/g");
    EXPECT_EQ(target("./g"), "http://a.example/b/c/g");
    EXPECT_EQ(target("g/"), "http://a.example/b/c/g/");
    EXPECT_EQ(target("/g"), "http://a.example/g");
    EXPECT_EQ(target("//g"), "http://g/");
    EXPECT_EQ(target("?y"), "http://a.example/b/c/d;p?y");
    EXPECT_EQ(target("../g"), "http://a.example/b/g");
    EXPECT_EQ(target("../../g"), "http://a.example/g");
    EXPECT_EQ(target("http://other:81/x"), "http://other:81/x");
    EXPECT_EQ(target("HTTP://other/x"), "http://other/x");
    EXPECT_FALSE(resolve_reference(base, ""));
}

TEST(Url, AColonAfterTheFirstSlashIsNoScheme) {
    const Url base = *parse_url("http://a.example/b/c");
    const auto target = [&](const char* ref) {
        auto r = resolve_reference(base, ref);
        return r ? r->to_string() : "error: " + r.error().message;
    };
    EXPECT_EQ(target("/go?to=http://x.example/"), "http://a.example/go?to=http://x.example/");
    EXPECT_EQ(target("g?u=ftp://x"), "http://a.example/b/g?u=ftp://x");
    EXPECT_EQ(target("./a:b"), "http://a.example/b/a:b");
    EXPECT_FALSE(resolve_reference(base, "ftp://x.example/"));  // a scheme, and not http
    EXPECT_FALSE(resolve_reference(base, "mailto:bob@hamburger.edu"));
}

TEST(Url, FragmentsStayWithTheClient) {
    const Url base = *parse_url("http://a.example/b/c?q");
    EXPECT_EQ(resolve_reference(base, "d#top")->to_string(), "http://a.example/b/d");
    EXPECT_EQ(resolve_reference(base, "#top")->to_string(), "http://a.example/b/c?q");
    EXPECT_EQ(resolve_reference(base, "http://x.example/#f")->to_string(), "http://x.example/");
}

}  // namespace
}  // namespace l7::http
