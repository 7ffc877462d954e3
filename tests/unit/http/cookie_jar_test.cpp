// The cookie store (RFC 6265 sections 5.3 and 5.4) and curl's cookie file.

#include <gtest/gtest.h>

#include "http/cookie_jar.hpp"

namespace l7::http {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

Url url(std::string_view text) {
    auto u = parse_url(text);
    EXPECT_TRUE(u) << text;
    return *u;
}

bool store(CookieJar& jar, std::string_view set_cookie, std::string_view at,
           std::int64_t now = kNow) {
    auto c = parse_set_cookie(set_cookie);
    EXPECT_TRUE(c) << set_cookie;
    return jar.receive(*c, url(at), now);
}

TEST(CookieJar, MatchingHelpers) {
    EXPECT_TRUE(domain_match("example.com", "example.com"));
    EXPECT_TRUE(domain_match("www.example.com", "example.com"));
    EXPECT_FALSE(domain_match("badexample.com", "example.com"));
    EXPECT_FALSE(domain_match("example.com", "www.example.com"));
    EXPECT_FALSE(domain_match("10.0.0.1", "0.0.1"));
    EXPECT_TRUE(domain_match("10.0.0.1", "10.0.0.1"));
    EXPECT_EQ(default_path("/a/b/c?x=/y/z"), "/a/b");
    EXPECT_EQ(default_path("/a"), "/");
    EXPECT_EQ(default_path("/"), "/");
    EXPECT_EQ(default_path("*"), "/");
    EXPECT_TRUE(path_match("/docs", "/docs"));
    EXPECT_TRUE(path_match("/docs/a", "/docs"));
    EXPECT_TRUE(path_match("/docs/a", "/docs/"));
    EXPECT_FALSE(path_match("/docsx", "/docs"));
    EXPECT_FALSE(path_match("/", "/docs"));
}

TEST(CookieJar, HostOnlyUnlessADomainIsGiven) {
    CookieJar jar;
    EXPECT_TRUE(store(jar, "h=1", "http://www.example.com/"));
    EXPECT_TRUE(store(jar, "d=2; Domain=example.com", "http://www.example.com/"));
    EXPECT_EQ(jar.cookie_header(url("http://www.example.com/"), kNow), "h=1; d=2");
    EXPECT_EQ(jar.cookie_header(url("http://example.com/"), kNow), "d=2");
    EXPECT_EQ(jar.cookie_header(url("http://a.www.example.com/"), kNow), "d=2");
    EXPECT_EQ(jar.cookie_header(url("http://other.org/"), kNow), "");
}

TEST(CookieJar, RefusesForeignAndPublicSuffixDomains) {
    CookieJar jar;
    EXPECT_FALSE(store(jar, "a=1; Domain=other.org", "http://www.example.com/"));
    EXPECT_FALSE(store(jar, "a=1; Domain=www.example.com", "http://example.com/"));
    EXPECT_FALSE(store(jar, "a=1; Domain=com", "http://example.com/"));
    EXPECT_FALSE(store(jar, "a=1; Domain=0.0.1", "http://127.0.0.1/"));
    // A single-label Domain equal to the host makes a host-only cookie (5.3 step 5).
    EXPECT_TRUE(store(jar, "b=2; Domain=localhost", "http://localhost/"));
    ASSERT_EQ(jar.cookies().size(), 1u);
    EXPECT_TRUE(jar.cookies()[0].host_only);
    EXPECT_TRUE(store(jar, "c=3; Domain=127.0.0.1", "http://127.0.0.1/"));
    EXPECT_EQ(jar.cookie_header(url("http://127.0.0.1:8080/"), kNow), "c=3");
}

TEST(CookieJar, PathsDefaultAndSortLongestFirst) {
    CookieJar jar;
    store(jar, "root=1; Path=/", "http://h.example/");
    store(jar, "deflt=2", "http://h.example/docs/page.html");  // default-path /docs
    store(jar, "deep=3; Path=/docs/api", "http://h.example/");
    EXPECT_EQ(jar.cookie_header(url("http://h.example/docs/api/x"), kNow),
              "deep=3; deflt=2; root=1");
    EXPECT_EQ(jar.cookie_header(url("http://h.example/docs"), kNow), "deflt=2; root=1");
    EXPECT_EQ(jar.cookie_header(url("http://h.example/documents"), kNow), "root=1");
}

TEST(CookieJar, EqualPathsKeepCreationOrderAndReplacementKeepsItsPlace) {
    CookieJar jar;
    store(jar, "a=1", "http://h.example/", kNow);
    store(jar, "b=2", "http://h.example/", kNow + 1);
    store(jar, "a=3", "http://h.example/", kNow + 2);
    EXPECT_EQ(jar.cookie_header(url("http://h.example/"), kNow + 3), "a=3; b=2");
    EXPECT_EQ(jar.cookies().size(), 2u);
}

TEST(CookieJar, ExpiryByMaxAgeBeforeExpires) {
    CookieJar jar;
    store(jar, "m=1; Max-Age=10; Expires=Thu, 01 Jan 1970 00:00:00 GMT", "http://h.example/");
    store(jar, "e=2; Expires=Wed, 15 Nov 2023 00:00:00 GMT", "http://h.example/");  // kNow + 6400
    store(jar, "s=3", "http://h.example/");
    EXPECT_EQ(jar.cookie_header(url("http://h.example/"), kNow + 9), "m=1; e=2; s=3");
    EXPECT_EQ(jar.cookie_header(url("http://h.example/"), kNow + 10), "e=2; s=3");
    EXPECT_EQ(jar.cookie_header(url("http://h.example/"), kNow + 200000), "s=3");
    // A cookie that arrives expired deletes the one it names.
    store(jar, "s=gone; Max-Age=0", "http://h.example/", kNow + 200001);
    EXPECT_EQ(jar.cookie_header(url("http://h.example/"), kNow + 200001), "");
    EXPECT_TRUE(jar.cookies().empty());
}

TEST(CookieJar, SecureOnlyOverHttpsAndHttpOnlyKept) {
    CookieJar jar;
    EXPECT_FALSE(store(jar, "s=1; Secure", "http://h.example/"));
    EXPECT_TRUE(store(jar, "s=1; Secure", "https://h.example/"));
    EXPECT_TRUE(store(jar, "p=2; HttpOnly", "http://h.example/"));
    EXPECT_EQ(jar.cookie_header(url("http://h.example/"), kNow), "p=2");
    EXPECT_EQ(jar.cookie_header(url("https://h.example/"), kNow), "s=1; p=2");
}

TEST(CookieJar, ReadsSetCookieFieldsOfAResponse) {
    Fields f;
    f.add("Set-Cookie", "a=1");
    f.add("set-cookie", "b=2; Path=/");
    f.add("Set-Cookie", "nonsense");
    f.add("X-Other", "c=3");
    CookieJar jar;
    jar.receive(f, url("http://h.example/x"), kNow);
    EXPECT_EQ(jar.cookie_header(url("http://h.example/"), kNow), "a=1; b=2");
}

TEST(CookieJar, WritesCurlsFileFormat) {
    CookieJar jar;
    store(jar, "sess=abc", "http://127.0.0.1:8080/app/login");
    store(jar, "tok=x y; Domain=example.com; Path=/; Max-Age=100; HttpOnly",
          "http://www.example.com/");
    store(jar, "sec=1; Secure; Expires=Wed, 09 Jun 2100 10:18:14 GMT", "https://example.com/");
    EXPECT_EQ(jar.to_netscape(kNow),
              "# Netscape HTTP Cookie File\n"
              "# https://curl.se/docs/http-cookies.html\n"
              "# This file was generated by l7. Edit at your own risk.\n"
              "\n"
              "127.0.0.1\tFALSE\t/app\tFALSE\t0\tsess\tabc\n"
              "#HttpOnly_.example.com\tTRUE\t/\tFALSE\t1700000100\ttok\tx y\n"
              "example.com\tFALSE\t/\tTRUE\t4116219494\tsec\t1\n");
    EXPECT_EQ(jar.to_netscape(kNow + 100).find("tok"), std::string::npos);
}

TEST(CookieJar, ReadsCurlsFileFormat) {
    const std::string file =
        "# Netscape HTTP Cookie File\r\n"
        "# https://curl.se/docs/http-cookies.html\n"
        "\n"
        "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tv1\n"
        ".example.com\tTRUE\t/\tFALSE\t1800000000\tlong\tv2\n"
        "#HttpOnly_example.com\tFALSE\t/p\tTRUE\t1800000000\thidden\tv3\n"
        "example.com\tFALSE\t/\tFALSE\t1600000000\texpired\tv4\n"
        "example.com\tFALSE\t/\tFALSE\t0\tnovalue\n"
        "too\tfew\tfields\n"
        "example.com\tFALSE\t/\tFALSE\tsoon\tbad\texpiry\n"
        "example.com\tFALSE\trelative\tFALSE\t0\tbad\tpath\n";
    CookieJar jar;
    EXPECT_EQ(jar.load_netscape(file, kNow), 4u);
    EXPECT_EQ(jar.cookie_header(url("http://127.0.0.1:9/"), kNow), "session=v1");
    EXPECT_EQ(jar.cookie_header(url("http://www.example.com/"), kNow), "long=v2");
    EXPECT_EQ(jar.cookie_header(url("https://example.com/p/q"), kNow),
              "hidden=v3; long=v2; novalue=");
    const auto& all = jar.cookies();
    ASSERT_EQ(all.size(), 4u);
    EXPECT_TRUE(all[2].http_only);
    EXPECT_TRUE(all[2].secure);
    EXPECT_FALSE(all[0].expires);
    // What it writes it reads back the same.
    CookieJar again;
    EXPECT_EQ(again.load_netscape(jar.to_netscape(kNow), kNow), 4u);
    EXPECT_EQ(again.to_netscape(kNow), jar.to_netscape(kNow));
    jar.remove_session_cookies();
    EXPECT_EQ(jar.cookies().size(), 2u);
}

TEST(CookieJar, StaysWithinItsLimits) {
    CookieJar jar(CookieJarLimits{.max_cookies = 5, .max_per_domain = 3});
    for (int i = 0; i < 10; ++i) {
        store(jar, "a" + std::to_string(i) + "=v", "http://one.example/", kNow + i);
    }
    EXPECT_EQ(jar.cookies().size(), 3u);
    EXPECT_EQ(jar.cookie_header(url("http://one.example/"), kNow + 20), "a7=v; a8=v; a9=v");
    for (int i = 0; i < 10; ++i) {
        store(jar, "b=v", "http://h" + std::to_string(i) + ".example/", kNow + 30 + i);
    }
    EXPECT_EQ(jar.cookies().size(), 5u);
}

}  // namespace
}  // namespace l7::http
