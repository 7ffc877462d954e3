#include "tls/asio/stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <asio/ip/address.hpp>

#include "net/timeout.hpp"
#include "tls/openssl_error.hpp"

namespace l7::tls {
namespace {

std::string unbracketed(const std::string& host) {
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        return host.substr(1, host.size() - 2);
    }
    return host;
}

// Why a handshake failed, in words: OpenSSL's reason, the certificate verdict, or the peer
// hanging up.
std::string failure_reason(TlsStream& stream, const std::error_code& ec) {
    std::string reason;
    if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof) {
        reason = "the peer closed the connection";
    } else {
        reason = ec.message();
    }
    const long verdict = SSL_get_verify_result(stream.native_handle());
    if (verdict != X509_V_OK) {
        reason +=
            " (certificate verification: " + std::string(X509_verify_cert_error_string(verdict)) +
            ")";
    }
    ERR_clear_error();
    return reason;
}

}  // namespace

void set_client_host(TlsStream& stream, const std::string& host) {
    SSL* ssl = stream.native_handle();
    const std::string name = unbracketed(host);
    std::error_code ec;
    asio::ip::make_address(name, ec);
    if (!ec) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
        return;
    }
    // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(name.c_str()));
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_set1_host(ssl, name.c_str());
}

void reuse_session(TlsStream& data, TlsStream& control) {
    SSL_SESSION* session = SSL_get1_session(control.native_handle());
    if (session == nullptr) {
        return;
    }
    SSL_set_session(data.native_handle(), session);
    SSL_SESSION_free(session);
}

bool session_reused(TlsStream& stream) {
    return SSL_session_reused(stream.native_handle()) == 1;
}

asio::awaitable<Result<bool>> handshake(TlsStream& stream,
                                        asio::ssl::stream_base::handshake_type type,
                                        std::chrono::steady_clock::duration timeout) {
    ERR_clear_error();
    auto done =
        co_await net::with_timeout(stream.async_handshake(type, net::as_tuple_awaitable), timeout);
    if (!done) {
        ERR_clear_error();
        co_return make_error("TLS handshake timed out");
    }
    if (const std::error_code ec = std::get<0>(*done); ec) {
        co_return make_error("TLS handshake failed: " + failure_reason(stream, ec));
    }
    co_return true;
}

asio::awaitable<void> shutdown(TlsStream& stream, std::chrono::steady_clock::duration timeout) {
    co_await net::with_timeout(stream.async_shutdown(net::as_tuple_awaitable), timeout);
    ERR_clear_error();
}

std::string describe(const TlsStream& stream) {
    // native_handle() is not const in Asio; reading the state changes nothing.
    SSL* ssl = const_cast<TlsStream&>(stream).native_handle();
    const char* cipher = SSL_get_cipher_name(ssl);
    return std::string(SSL_get_version(ssl)) + " " + (cipher != nullptr ? cipher : "(none)");
}

}  // namespace l7::tls
