// Request-target to a safe path (RFC 9112 3.2, RFC 3986 5.2.4): RFC 3986's own dot-segment
// examples, decoding exactly once, the attacks a static server must not fall for, and the
// percent-encoding helpers.

#include <gtest/gtest.h>

#include <string>

#include "http/target_path.hpp"

namespace l7::http {
namespace {

TargetPath ok(std::string_view target, const TargetOptions& options = {}) {
    auto r = parse_target(target, options);
    EXPECT_TRUE(r.ok()) << target << ": " << (r ? "" : describe(r.error()));
    return r ? *r : TargetPath{};
}

TargetError err(std::string_view target, const TargetOptions& options = {}) {
    auto r = parse_target(target, options);
    EXPECT_FALSE(r.ok()) << target << " parsed as " << (r ? r->path : "");
    return r ? TargetError::empty : r.error();
}

TEST(RemoveDotSegments, Rfc3986Section5_2_4Examples) {
    EXPECT_EQ(remove_dot_segments("/a/b/c/./../../g"), "/a/g");
    EXPECT_EQ(remove_dot_segments("mid/content=5/../6"), "mid/6");
}

TEST(RemoveDotSegments, Rfc3986Section5_4Examples) {
    // RFC 3986 5.4.1 and 5.4.2 resolve references against "http://a/b/c/d;p?q"; for a
    // relative-path reference, the merged path is "/b/c/" + reference (5.2.3), and
    // remove_dot_segments gives the path of the target URI.
    struct Case {
        const char* reference;
        const char* path;
        bool climbed;
    };
    const Case cases[] = {
        {"g", "/b/c/g", false},
        {"./g", "/b/c/g", false},
        {"g/", "/b/c/g/", false},
        {";x", "/b/c/;x", false},
        {"g;x", "/b/c/g;x", false},
        {".", "/b/c/", false},
        {"./", "/b/c/", false},
        {"..", "/b/", false},
        {"../", "/b/", false},
        {"../g", "/b/g", false},
        {"../..", "/", false},
        {"../../", "/", false},
        {"../../g", "/g", false},
        // 5.4.2, abnormal examples: more ".." than segments stop at the root.
        {"../../../g", "/g", true},
        {"../../../../g", "/g", true},
        {"g.", "/b/c/g.", false},
        {".g", "/b/c/.g", false},
        {"g..", "/b/c/g..", false},
        {"..g", "/b/c/..g", false},
        {"./../g", "/b/g", false},
        {"./g/.", "/b/c/g/", false},
        {"g/./h", "/b/c/g/h", false},
        {"g/../h", "/b/c/h", false},
        {"g;x=1/./y", "/b/c/g;x=1/y", false},
        {"g;x=1/../y", "/b/c/y", false},
    };
    for (const Case& c : cases) {
        bool climbed = !c.climbed;
        EXPECT_EQ(remove_dot_segments(std::string("/b/c/") + c.reference, &climbed), c.path)
            << c.reference;
        EXPECT_EQ(climbed, c.climbed) << c.reference;
    }
    // Absolute-path references: the dot segments of "/./g" and "/../g" are removed too.
    EXPECT_EQ(remove_dot_segments("/./g"), "/g");
    bool climbed = false;
    EXPECT_EQ(remove_dot_segments("/../g", &climbed), "/g");
    EXPECT_TRUE(climbed);
}

TEST(ParseTarget, OriginFormSplitsQueryAndDecodesPath) {
    const TargetPath t = ok("/docs/a%20b.txt?x=1&y=%20");
    EXPECT_EQ(t.form, TargetForm::origin);
    EXPECT_EQ(t.path, "/docs/a b.txt");
    EXPECT_TRUE(t.has_query);
    EXPECT_EQ(t.query, "x=1&y=%20");  // left encoded
    EXPECT_TRUE(t.scheme.empty());
    EXPECT_TRUE(t.authority.empty());
    EXPECT_FALSE(t.climbed_above_root);
    EXPECT_FALSE(t.has_dotfile_segment);

    EXPECT_EQ(ok("/").path, "/");
    EXPECT_FALSE(ok("/").has_query);
    const TargetPath empty_query = ok("/a?");
    EXPECT_TRUE(empty_query.has_query);
    EXPECT_EQ(empty_query.query, "");
    // An encoded '?' is part of the path, split off before decoding.
    const TargetPath q = ok("/what%3F?really");
    EXPECT_EQ(q.path, "/what?");
    EXPECT_EQ(q.query, "really");
    EXPECT_EQ(ok("/caf%C3%A9/").path, "/caf\xC3\xA9/");
}

TEST(ParseTarget, DecodesExactlyOnce) {
    // "%252e%252e" is "%2e%2e" after one decoding: a name, not "..".
    const TargetPath t = ok("/%252e%252e/%252e%252e/etc/passwd");
    EXPECT_EQ(t.path, "/%2e%2e/%2e%2e/etc/passwd");
    EXPECT_FALSE(t.climbed_above_root);
    EXPECT_EQ(ok("/a%2541").path, "/a%41");
}

TEST(ParseTarget, DotSegmentsNeverLeaveTheRoot) {
    TargetPath t = ok("/../etc/passwd");
    EXPECT_EQ(t.path, "/etc/passwd");
    EXPECT_TRUE(t.climbed_above_root);

    // Encoded dots are dots (RFC 3986 6.2.2.2), in either case.
    t = ok("/%2e%2e/%2E%2E/etc/passwd");
    EXPECT_EQ(t.path, "/etc/passwd");
    EXPECT_TRUE(t.climbed_above_root);
    t = ok("/static/.%2e/.%2e/secret");
    EXPECT_EQ(t.path, "/secret");
    EXPECT_TRUE(t.climbed_above_root);

    t = ok("/a/b/../c/./d");
    EXPECT_EQ(t.path, "/a/c/d");
    EXPECT_FALSE(t.climbed_above_root);
    t = ok("/a/..");
    EXPECT_EQ(t.path, "/");
    EXPECT_FALSE(t.climbed_above_root);
    t = ok("/a/../..");
    EXPECT_EQ(t.path, "/");
    EXPECT_TRUE(t.climbed_above_root);
    t = ok("/..");
    EXPECT_EQ(t.path, "/");
    EXPECT_TRUE(t.climbed_above_root);

    // Empty segments are merged first, as the file system reads them.
    EXPECT_EQ(ok("//a///b//").path, "/a/b/");
    t = ok("/a//../b");
    EXPECT_EQ(t.path, "/b");
    EXPECT_FALSE(t.climbed_above_root);
}

TEST(ParseTarget, RefusesEncodedSeparatorsAndNulByDefault) {
    EXPECT_EQ(err("/a%2Fb"), TargetError::encoded_slash);
    EXPECT_EQ(err("/a%2fb"), TargetError::encoded_slash);
    EXPECT_EQ(err("/..%2F..%2Fetc/passwd"), TargetError::encoded_slash);
    EXPECT_EQ(err("/a%5Cb"), TargetError::encoded_backslash);
    EXPECT_EQ(err("/..%5c..%5cwindows"), TargetError::encoded_backslash);
    EXPECT_EQ(err("/index.html%00.txt"), TargetError::decoded_nul);

    TargetOptions allow;
    allow.allow_encoded_slash = true;
    allow.allow_encoded_backslash = true;
    EXPECT_EQ(ok("/a%2Fb", allow).path, "/a/b");
    EXPECT_EQ(ok("/a%5Cb", allow).path, "/a\\b");
    // Decoded slashes then separate segments for dot removal too.
    const TargetPath t = ok("/a%2F..%2F..%2Fetc", allow);
    EXPECT_EQ(t.path, "/etc");
    EXPECT_TRUE(t.climbed_above_root);
    // NUL is refused whatever the options.
    EXPECT_EQ(err("/a%00", allow), TargetError::decoded_nul);
}

TEST(ParseTarget, RefusesBadCharactersAndEncodings) {
    EXPECT_EQ(err(""), TargetError::empty);
    EXPECT_EQ(err("/a b"), TargetError::bad_character);
    EXPECT_EQ(err("/a#frag"), TargetError::bad_character);
    EXPECT_EQ(err("/a\\..\\b"), TargetError::bad_character);
    EXPECT_EQ(err("/a\x01"), TargetError::bad_character);
    EXPECT_EQ(err("/caf\xC3\xA9"), TargetError::bad_character);
    EXPECT_EQ(err("/a[1]"), TargetError::bad_character);
    EXPECT_EQ(err("/a?b c"), TargetError::bad_character);
    EXPECT_EQ(err("/a?b#c"), TargetError::bad_character);
    EXPECT_EQ(err("/a%zz"), TargetError::bad_percent_encoding);
    EXPECT_EQ(err("/a%2"), TargetError::bad_percent_encoding);
    EXPECT_EQ(err("/a%"), TargetError::bad_percent_encoding);
    // The query is passed on encoded, so what browsers leave unencoded there is accepted.
    EXPECT_EQ(ok("/s?a[]=1&b={x}|%").query, "a[]=1&b={x}|%");

    EXPECT_EQ(err(std::string(kMaxTargetLength, '/') + "a"), TargetError::too_long);
    EXPECT_EQ(ok(std::string(kMaxTargetLength, '/')).path, "/");
}

TEST(ParseTarget, AbsoluteForm) {
    TargetPath t = ok("HTTP://Example.COM:8080/a/../b%20c?q=1");
    EXPECT_EQ(t.form, TargetForm::absolute);
    EXPECT_EQ(t.scheme, "http");
    EXPECT_EQ(t.authority, "Example.COM:8080");
    EXPECT_EQ(t.path, "/b c");
    EXPECT_EQ(t.query, "q=1");

    t = ok("https://example.com");
    EXPECT_EQ(t.scheme, "https");
    EXPECT_EQ(t.path, "/");
    EXPECT_FALSE(t.has_query);
    t = ok("http://example.com?x");
    EXPECT_EQ(t.path, "/");
    EXPECT_EQ(t.query, "x");
    t = ok("http://[2001:db8::1]:8080/x");
    EXPECT_EQ(t.authority, "[2001:db8::1]:8080");
    EXPECT_EQ(ok("http://127.0.0.1/").authority, "127.0.0.1");
    EXPECT_EQ(ok("http://host:/").authority, "host:");

    EXPECT_EQ(err("ftp://example.com/"), TargetError::unsupported_scheme);
    EXPECT_EQ(err("http://user:pass@example.com/"), TargetError::bad_authority);
    EXPECT_EQ(err("http:///etc/passwd"), TargetError::bad_authority);
    EXPECT_EQ(err("http://:80/"), TargetError::bad_authority);
    EXPECT_EQ(err("http://ho st/"), TargetError::bad_authority);
    EXPECT_EQ(err("http://host:123456/"), TargetError::bad_authority);
    EXPECT_EQ(err("http://host:8a/"), TargetError::bad_authority);
    EXPECT_EQ(err("http://[::1/"), TargetError::bad_authority);
    EXPECT_EQ(err("http://[::1]x/"), TargetError::bad_authority);
    EXPECT_EQ(err("http://a:b:c/"), TargetError::bad_authority);
}

TEST(ParseTarget, OtherFormsAreNotPaths) {
    EXPECT_EQ(err("*"), TargetError::unsupported_form);                // OPTIONS *
    EXPECT_EQ(err("example.com:443"), TargetError::unsupported_form);  // CONNECT
    EXPECT_EQ(err("index.html"), TargetError::unsupported_form);
    EXPECT_EQ(err("http:/x"), TargetError::unsupported_form);
    EXPECT_EQ(err("../etc/passwd"), TargetError::unsupported_form);
}

TEST(ParseTarget, ReportsDotfileSegments) {
    EXPECT_TRUE(ok("/.git/config").has_dotfile_segment);
    EXPECT_TRUE(ok("/app/.env").has_dotfile_segment);
    EXPECT_TRUE(ok("/.well-known/acme-challenge/x").has_dotfile_segment);
    EXPECT_TRUE(ok("/%2Ehtpasswd").has_dotfile_segment);
    EXPECT_TRUE(ok("/a/.../b").has_dotfile_segment);
    EXPECT_FALSE(ok("/a/./b/../c.txt").has_dotfile_segment);
    EXPECT_FALSE(ok("/a.b/c.").has_dotfile_segment);
    EXPECT_FALSE(ok("/").has_dotfile_segment);
}

TEST(ParseTarget, ErrorsHaveStatusAndText) {
    EXPECT_EQ(status_for(TargetError::too_long), 414);
    EXPECT_EQ(status_for(TargetError::encoded_slash), 400);
    EXPECT_EQ(describe(TargetError::encoded_slash), "percent-encoded '/' (%2F) in the path");
    for (int e = 0; e <= static_cast<int>(TargetError::bad_authority); ++e) {
        EXPECT_FALSE(describe(static_cast<TargetError>(e)).empty());
    }
}

TEST(TargetCharacters, Rfc3986Classes) {
    EXPECT_TRUE(is_unreserved('~'));
    EXPECT_FALSE(is_unreserved('!'));
    EXPECT_TRUE(is_sub_delim('!'));
    EXPECT_TRUE(is_sub_delim('='));
    EXPECT_FALSE(is_sub_delim('/'));
    EXPECT_TRUE(is_pchar(':'));
    EXPECT_TRUE(is_pchar('@'));
    EXPECT_FALSE(is_pchar('/'));
    EXPECT_FALSE(is_pchar('?'));
    EXPECT_FALSE(is_pchar('%'));

    EXPECT_TRUE(is_valid_target("/a/b;c=d?e=f/g?h"));
    EXPECT_TRUE(is_valid_target("/%41%7e"));
    EXPECT_TRUE(is_valid_target("http://[::1]:80/x"));
    EXPECT_FALSE(is_valid_target("/a b"));
    EXPECT_FALSE(is_valid_target("/a#b"));
    EXPECT_FALSE(is_valid_target("/a\\b"));
    EXPECT_FALSE(is_valid_target("/a%4"));
    EXPECT_FALSE(is_valid_target("/a%g1"));
    EXPECT_FALSE(is_valid_target("/a\x7f"));
    EXPECT_FALSE(is_valid_target("/\xC3\xA9"));
}

TEST(PercentEncoding, EncodesAllButTheSafeSet) {
    EXPECT_EQ(percent_encode("a b/c:d~e_f.g-h"), "a%20b%2Fc%3Ad~e_f.g-h");
    EXPECT_EQ(percent_encode("a b/c:d", EncodeSet::path), "a%20b/c%3Ad");
    EXPECT_EQ(percent_encode("caf\xC3\xA9"), "caf%C3%A9");
    EXPECT_EQ(percent_encode(std::string_view("\0%?#", 4)), "%00%25%3F%23");
    EXPECT_EQ(percent_encode(""), "");

    const std::string all = [] {
        std::string s;
        for (int c = 0; c < 256; ++c) {
            s += static_cast<char>(c);
        }
        return s;
    }();
    const std::string encoded = percent_encode(all);
    EXPECT_TRUE(is_valid_target("/" + encoded));
    auto back = percent_decode(encoded);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, all);
}

TEST(PercentEncoding, Decodes) {
    EXPECT_EQ(percent_decode("a+b%20c%2b").value(), "a+b c+");
    EXPECT_EQ(percent_decode("a+b%20c%2b", true).value(), "a b c+");
    EXPECT_EQ(percent_decode("%e2%82%AC").value(), "\xE2\x82\xAC");
    EXPECT_FALSE(percent_decode("100%"));
    EXPECT_FALSE(percent_decode("%G0"));
    EXPECT_EQ(percent_decode("%2").error(), TargetError::bad_percent_encoding);
}

}  // namespace
}  // namespace l7::http
