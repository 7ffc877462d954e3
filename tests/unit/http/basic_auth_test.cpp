// HTTP Basic authentication (RFC 7617): the RFC's examples, what a client may vary (scheme
// case, spaces), what is refused, the bounds, and the challenge's quoting.

#include "http/basic_auth.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/base64.hpp"

namespace l7::http {
namespace {

BasicCredentials ok(std::string_view value) {
    auto c = parse_basic_credentials(value);
    EXPECT_TRUE(c) << value << ": " << (c ? "" : describe(c.error()));
    return c ? *c : BasicCredentials{};
}

BasicAuthError error(std::string_view value) {
    auto c = parse_basic_credentials(value);
    EXPECT_FALSE(c) << value;
    return c ? BasicAuthError::missing : c.error();
}

TEST(BasicAuth, Rfc7617Examples) {
    // Section 2.
    EXPECT_EQ(ok("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
              (BasicCredentials{"Aladdin", "open sesame"}));
    // Section 2.1: "test" / "123£" in UTF-8.
    EXPECT_EQ(ok("Basic dGVzdDoxMjPCow=="), (BasicCredentials{"test", "123\xC2\xA3"}));
}

TEST(BasicAuth, SchemeCaseSpacesAndColonsInThePassword) {
    EXPECT_EQ(ok("basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").user, "Aladdin");
    EXPECT_EQ(ok("BASIC   QWxhZGRpbjpvcGVuIHNlc2FtZQ==  ").user, "Aladdin");
    EXPECT_EQ(ok(basic_authorization("u", "a:b:c")), (BasicCredentials{"u", "a:b:c"}));
    EXPECT_EQ(ok(basic_authorization("", "")), (BasicCredentials{"", ""}));
    EXPECT_EQ(ok(basic_authorization("j\xC3\xB6rg", "p\xC3\xA4ss")),
              (BasicCredentials{"j\xC3\xB6rg", "p\xC3\xA4ss"}));
    // Latin-1 bytes (old clients without charset) are passed on, not judged.
    EXPECT_EQ(ok(basic_authorization("j\xF6rg", "x")).user, "j\xF6rg");
}

TEST(BasicAuth, Refusals) {
    EXPECT_EQ(error("Bearer abc"), BasicAuthError::other_scheme);
    EXPECT_EQ(error("Digest username=\"a\""), BasicAuthError::other_scheme);
    EXPECT_EQ(error("Basic"), BasicAuthError::malformed);
    EXPECT_EQ(error("Basic "), BasicAuthError::malformed);
    EXPECT_EQ(error(""), BasicAuthError::malformed);
    EXPECT_EQ(error("Basic\tQWxhZGRpbjpvcGVuIHNlc2FtZQ=="), BasicAuthError::malformed);
    EXPECT_EQ(error("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ"), BasicAuthError::malformed);  // unpadded
    EXPECT_EQ(error("Basic QWxh ZGRpbjpvcGVuIHNlc2FtZQ=="), BasicAuthError::malformed);
    EXPECT_EQ(error("Basic realm=\"x\""), BasicAuthError::malformed);
    EXPECT_EQ(error("Basic " + base64_encode("no colon")), BasicAuthError::no_colon);
    EXPECT_EQ(error(basic_authorization("a\nb", "x")), BasicAuthError::control_character);
    EXPECT_EQ(error(basic_authorization("a", std::string("x\0y", 3))),
              BasicAuthError::control_character);
    EXPECT_EQ(error(basic_authorization("a", "x\x7F")), BasicAuthError::control_character);
}

TEST(BasicAuth, Bounds) {
    const std::string user(kMaxBasicUserLength, 'u');
    const std::string password(kMaxBasicPasswordLength, 'p');
    EXPECT_EQ(ok(basic_authorization(user, password)), (BasicCredentials{user, password}));
    EXPECT_EQ(error(basic_authorization(user + "u", "p")), BasicAuthError::too_long);
    EXPECT_EQ(error(basic_authorization("u", password + "p")), BasicAuthError::too_long);
    // A huge token is refused before anything is decoded.
    EXPECT_EQ(error("Basic " + std::string(1'000'000, 'A')), BasicAuthError::too_long);
}

TEST(BasicAuth, FromFields) {
    Fields none;
    EXPECT_EQ(basic_credentials(none).error(), BasicAuthError::missing);
    Fields one;
    one.add("authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    EXPECT_EQ(basic_credentials(one)->password, "open sesame");
    Fields two = one;
    two.add("Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    EXPECT_EQ(basic_credentials(two).error(), BasicAuthError::repeated);
}

TEST(BasicAuth, Challenge) {
    EXPECT_EQ(basic_challenge("uploads"), "Basic realm=\"uploads\", charset=\"UTF-8\"");
    EXPECT_EQ(basic_challenge("say \"hi\" \\o/"),
              "Basic realm=\"say \\\"hi\\\" \\\\o/\", charset=\"UTF-8\"");
    EXPECT_EQ(basic_challenge("a\r\nSet-Cookie: x\tb"),
              "Basic realm=\"aSet-Cookie: x\tb\", charset=\"UTF-8\"");
    EXPECT_EQ(basic_challenge("caf\xC3\xA9"), "Basic realm=\"caf\xC3\xA9\", charset=\"UTF-8\"");
    EXPECT_EQ(basic_challenge(""), "Basic realm=\"\", charset=\"UTF-8\"");
}

TEST(BasicAuth, DescribeNamesEveryError) {
    for (BasicAuthError e :
         {BasicAuthError::missing, BasicAuthError::repeated, BasicAuthError::other_scheme,
          BasicAuthError::malformed, BasicAuthError::too_long, BasicAuthError::no_colon,
          BasicAuthError::control_character}) {
        EXPECT_FALSE(describe(e).empty());
    }
}

}  // namespace
}  // namespace l7::http
