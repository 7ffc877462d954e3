#include "tls/asio/context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "tls/openssl_error.hpp"

namespace l7::tls {
namespace {

using ContextPtr = std::shared_ptr<asio::ssl::context>;

// What both sides share: TLS 1.2 at least (RFC 8996 retired 1.0 and 1.1), no compression.
Result<ContextPtr> base_context(asio::ssl::context::method method) {
    ERR_clear_error();
    ContextPtr ctx;
    try {
        ctx = std::make_shared<asio::ssl::context>(method);
    } catch (const std::system_error&) {
        return make_error("cannot create a TLS context: " + last_openssl_error());
    }
    SSL_CTX* h = ctx->native_handle();
    if (SSL_CTX_set_min_proto_version(h, TLS1_2_VERSION) != 1) {
        return make_error("cannot require TLS 1.2: " + last_openssl_error());
    }
    SSL_CTX_set_options(h, SSL_OP_NO_COMPRESSION | SSL_OP_ALL);
    return ctx;
}

Error file_error(const std::filesystem::path& file, const std::string& what) {
    return make_error(file.string() + ": " + what + ": " + last_openssl_error());
}

}  // namespace

Result<ContextPtr> make_server_context(const ServerTlsOptions& options) {
    auto made = base_context(asio::ssl::context::tls_server);
    if (!made) {
        return made;
    }
    SSL_CTX* h = (*made)->native_handle();
    if (options.cert_file.empty()) {
        return make_error("a TLS server needs a certificate file");
    }
    if (options.key_file.empty()) {
        return make_error("a TLS server needs a private key file");
    }
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(h, options.cert_file.c_str()) != 1) {
        return file_error(options.cert_file, "cannot load the certificate chain");
    }
    // The key is read apart from installing it, so that a key of another pair is told from a
    // file that is no key at all (SSL_CTX_use_PrivateKey_file() reports both as a failure).
    EVP_PKEY* key = nullptr;
    if (BIO* bio = BIO_new_file(options.key_file.c_str(), "r"); bio != nullptr) {
        key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
        BIO_free(bio);
    }
    if (key == nullptr) {
        return file_error(options.key_file, "cannot load the private key");
    }
    const bool matches = X509_check_private_key(SSL_CTX_get0_certificate(h), key) == 1;
    const bool installed = matches && SSL_CTX_use_PrivateKey(h, key) == 1;
    EVP_PKEY_free(key);
    if (!matches) {
        ERR_clear_error();
        return make_error(options.key_file.string() +
                          ": the private key does not match the certificate in " +
                          options.cert_file.string());
    }
    if (!installed || SSL_CTX_check_private_key(h) != 1) {
        return file_error(options.key_file, "cannot use the private key");
    }
    // Session resumption: a cache for TLS 1.2 session ids (TLS 1.3 tickets need none), and
    // the id context OpenSSL requires before it resumes a session on a server.
    SSL_CTX_set_session_cache_mode(h, SSL_SESS_CACHE_SERVER);
    static const unsigned char id_context[] = "l7";
    if (SSL_CTX_set_session_id_context(h, id_context, sizeof id_context - 1) != 1) {
        return make_error("cannot set the TLS session id context: " + last_openssl_error());
    }
    return made;
}

Result<ContextPtr> make_client_context(const ClientTlsOptions& options) {
    auto made = base_context(asio::ssl::context::tls_client);
    if (!made) {
        return made;
    }
    SSL_CTX* h = (*made)->native_handle();
    ERR_clear_error();
    if (!options.ca_file.empty()) {
        if (SSL_CTX_load_verify_locations(h, options.ca_file.c_str(), nullptr) != 1) {
            return file_error(options.ca_file, "cannot load the trusted certificates");
        }
    } else if (options.verify && SSL_CTX_set_default_verify_paths(h) != 1) {
        return make_error("cannot load the system's trusted certificates: " + last_openssl_error());
    }
    SSL_CTX_set_verify(h, options.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    // Sessions stay with each SSL object; reuse_session() hands one to the next connection.
    SSL_CTX_set_session_cache_mode(h, SSL_SESS_CACHE_CLIENT);
    return made;
}

}  // namespace l7::tls
