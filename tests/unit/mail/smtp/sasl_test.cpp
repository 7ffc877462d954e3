// AUTH PLAIN (RFC 4616) and AUTH LOGIN exchanges, server side.

#include "mail/smtp/sasl.hpp"

#include <gtest/gtest.h>

#include "core/base64.hpp"

namespace l7::mail {
namespace {

std::string b64(std::string_view s) {
    return base64_encode(s);
}

SaslCredentials creds(std::string authzid, std::string user, std::string password) {
    return SaslCredentials{std::move(authzid), std::move(user), std::move(password)};
}

TEST(SaslMechanism, NamesAreCaseInsensitive) {
    EXPECT_EQ(parse_sasl_mechanism("PLAIN"), SaslMechanism::plain);
    EXPECT_EQ(parse_sasl_mechanism("plain"), SaslMechanism::plain);
    EXPECT_EQ(parse_sasl_mechanism("Login"), SaslMechanism::login);
    EXPECT_FALSE(parse_sasl_mechanism("CRAM-MD5"));
    EXPECT_FALSE(parse_sasl_mechanism("PLAINX"));
    EXPECT_FALSE(parse_sasl_mechanism(""));
    EXPECT_EQ(sasl_mechanism_name(SaslMechanism::plain), "PLAIN");
    EXPECT_EQ(sasl_mechanism_name(SaslMechanism::login), "LOGIN");
}

TEST(SaslPlain, InitialResponse) {
    SaslServerExchange x(SaslMechanism::plain);
    const std::string ir = b64(std::string("\0alice\0secret", 13));
    EXPECT_EQ(x.start(ir), SaslStep(creds("", "alice", "secret")));
}

TEST(SaslPlain, EmptyChallengeThenResponse) {
    SaslServerExchange x(SaslMechanism::plain);
    EXPECT_EQ(x.start(std::nullopt), SaslStep(SaslChallenge{""}));
    EXPECT_EQ(x.step(b64(std::string("alice\0alice\0pw d", 16))),
              SaslStep(creds("alice", "alice", "pw d")));
    EXPECT_EQ(x.step(b64(std::string("\0a\0b", 4))), SaslStep(SaslFailure::malformed));
}

TEST(SaslPlain, AnotherAuthorizationIdentityIsRefused) {
    SaslServerExchange x(SaslMechanism::plain);
    EXPECT_EQ(x.start(b64(std::string("root\0alice\0secret", 17))),
              SaslStep(SaslFailure::authorization_refused));
}

TEST(SaslPlain, MalformedMessages) {
    const std::vector<std::string> bad = {
        std::string("alice secret"),           // no NUL
        std::string("\0alice", 6),             // one NUL
        std::string("\0\0secret", 8),          // no authcid
        std::string("\0alice\0", 7),           // no password
        std::string("\0alice\0se\0cret", 14),  // a third NUL
        std::string(),                         // nothing
    };
    for (const auto& message : bad) {
        SaslServerExchange x(SaslMechanism::plain);
        EXPECT_EQ(x.start(b64(message)), SaslStep(SaslFailure::malformed)) << b64(message);
    }
    SaslServerExchange empty(SaslMechanism::plain);
    EXPECT_EQ(empty.start("="), SaslStep(SaslFailure::malformed));  // "=": zero length
}

TEST(SaslPlain, BadBase64AndCancel) {
    SaslServerExchange x(SaslMechanism::plain);
    EXPECT_EQ(x.start("not base64!"), SaslStep(SaslFailure::bad_base64));
    SaslServerExchange y(SaslMechanism::plain);
    EXPECT_EQ(y.start(std::nullopt), SaslStep(SaslChallenge{""}));
    EXPECT_EQ(y.step("AGFsaWNlAHNlY3JldA"), SaslStep(SaslFailure::bad_base64));  // no padding
    SaslServerExchange z(SaslMechanism::plain);
    EXPECT_EQ(z.start(std::nullopt), SaslStep(SaslChallenge{""}));
    EXPECT_EQ(z.step("*"), SaslStep(SaslFailure::cancelled));
}

TEST(SaslLogin, TheUsernamePasswordDialogue) {
    SaslServerExchange x(SaslMechanism::login);
    EXPECT_EQ(x.start(std::nullopt), SaslStep(SaslChallenge{"VXNlcm5hbWU6"}));
    EXPECT_EQ(x.step(b64("alice")), SaslStep(SaslChallenge{"UGFzc3dvcmQ6"}));
    EXPECT_EQ(x.step(b64("secret")), SaslStep(creds("", "alice", "secret")));
}

TEST(SaslLogin, InitialResponseIsTheUsername) {
    SaslServerExchange x(SaslMechanism::login);
    EXPECT_EQ(x.start(b64("alice")), SaslStep(SaslChallenge{"UGFzc3dvcmQ6"}));
    EXPECT_EQ(x.step(b64("secret")), SaslStep(creds("", "alice", "secret")));
}

TEST(SaslLogin, CancelAtEitherPromptAndEmptyAnswers) {
    SaslServerExchange a(SaslMechanism::login);
    (void)a.start(std::nullopt);
    EXPECT_EQ(a.step("*"), SaslStep(SaslFailure::cancelled));
    SaslServerExchange b(SaslMechanism::login);
    (void)b.start(std::nullopt);
    (void)b.step(b64("alice"));
    EXPECT_EQ(b.step("*"), SaslStep(SaslFailure::cancelled));
    SaslServerExchange c(SaslMechanism::login);
    EXPECT_EQ(c.start("="), SaslStep(SaslFailure::malformed));  // an empty user name
    SaslServerExchange d(SaslMechanism::login);
    (void)d.start(b64("alice"));
    EXPECT_EQ(d.step(""), SaslStep(SaslFailure::malformed));  // an empty password
    SaslServerExchange e(SaslMechanism::login);
    (void)e.start(std::nullopt);
    EXPECT_EQ(e.step("%%%"), SaslStep(SaslFailure::bad_base64));
}

TEST(SaslExchange, NothingAfterTheEnd) {
    SaslServerExchange x(SaslMechanism::login);
    (void)x.start(b64("alice"));
    (void)x.step(b64("secret"));
    EXPECT_EQ(x.step(b64("more")), SaslStep(SaslFailure::malformed));
    EXPECT_EQ(x.start(std::nullopt), SaslStep(SaslFailure::malformed));
    SaslServerExchange y(SaslMechanism::plain);
    EXPECT_EQ(y.step(b64("early")), SaslStep(SaslFailure::malformed));  // before start()
}

TEST(SaslFailureReply, CodesPerRfc4954) {
    EXPECT_EQ(format_reply(sasl_failure_reply(SaslFailure::cancelled)),
              "501 5.7.0 Authentication cancelled\r\n");
    EXPECT_EQ(sasl_failure_reply(SaslFailure::bad_base64).code, 501u);
    EXPECT_EQ(sasl_failure_reply(SaslFailure::malformed).code, 501u);
    const SmtpReply refused = sasl_failure_reply(SaslFailure::authorization_refused);
    EXPECT_EQ(refused.code, 535u);
    EXPECT_EQ(refused.status, (EnhancedStatus{5, 7, 8}));
}

}  // namespace
}  // namespace l7::mail
