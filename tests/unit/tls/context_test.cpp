// make_server_context() and make_client_context(): files that are missing or do not belong
// together fail with a sentence naming the file; a good pair loads.

#include "tls/asio/context.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "tls_files.hpp"

namespace l7::tls {
namespace {

using Context = testing::TempDir;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST_F(Context, GoodPairLoads) {
    write_new_pair("a", {"localhost"});
    auto ctx = make_server_context({dir_ / "a.pem", dir_ / "a.key"});
    ASSERT_TRUE(ctx) << ctx.error().message;
    ASSERT_TRUE(*ctx);
    EXPECT_EQ(SSL_CTX_get_min_proto_version((*ctx)->native_handle()), TLS1_2_VERSION);
    EXPECT_NE(SSL_CTX_get_options((*ctx)->native_handle()) & SSL_OP_NO_COMPRESSION, 0u);
    EXPECT_EQ(SSL_CTX_get_session_cache_mode((*ctx)->native_handle()), SSL_SESS_CACHE_SERVER);
}

TEST_F(Context, MissingCertificateFailsNamingIt) {
    write_new_pair("a", {"localhost"});
    const auto missing = dir_ / "missing.pem";
    auto ctx = make_server_context({missing, dir_ / "a.key"});
    ASSERT_FALSE(ctx);
    EXPECT_TRUE(contains(ctx.error().message, missing.string() + ": cannot load the certificate"))
        << ctx.error().message;
}

TEST_F(Context, MissingKeyFailsNamingIt) {
    write_new_pair("a", {"localhost"});
    const auto missing = dir_ / "missing.key";
    auto ctx = make_server_context({dir_ / "a.pem", missing});
    ASSERT_FALSE(ctx);
    EXPECT_TRUE(contains(ctx.error().message, missing.string() + ": cannot load the private key"))
        << ctx.error().message;
}

TEST_F(Context, KeyOfAnotherPairFails) {
    write_new_pair("a", {"localhost"});
    write_new_pair("b", {"localhost"});
    auto ctx = make_server_context({dir_ / "a.pem", dir_ / "b.key"});
    ASSERT_FALSE(ctx);
    EXPECT_TRUE(contains(ctx.error().message,
                         (dir_ / "b.key").string() + ": the private key does not match"))
        << ctx.error().message;
}

TEST_F(Context, NotACertificateFails) {
    { std::ofstream(dir_ / "junk.pem") << "not a certificate\n"; }
    write_new_pair("a", {"localhost"});
    auto ctx = make_server_context({dir_ / "junk.pem", dir_ / "a.key"});
    ASSERT_FALSE(ctx);
    EXPECT_TRUE(contains(ctx.error().message, (dir_ / "junk.pem").string()));
}

TEST_F(Context, ClientContexts) {
    write_new_pair("a", {"localhost"});
    auto trusting = make_client_context({dir_ / "a.pem", true});
    ASSERT_TRUE(trusting) << trusting.error().message;
    EXPECT_EQ(SSL_CTX_get_verify_mode((*trusting)->native_handle()), SSL_VERIFY_PEER);
    auto insecure = make_client_context({{}, false});
    ASSERT_TRUE(insecure) << insecure.error().message;
    EXPECT_EQ(SSL_CTX_get_verify_mode((*insecure)->native_handle()), SSL_VERIFY_NONE);
    auto system = make_client_context({});
    EXPECT_TRUE(system) << system.error().message;

    const auto missing = dir_ / "missing-ca.pem";
    auto bad = make_client_context({missing, true});
    ASSERT_FALSE(bad);
    EXPECT_TRUE(contains(bad.error().message, missing.string() + ": ")) << bad.error().message;
}

}  // namespace
}  // namespace l7::tls
