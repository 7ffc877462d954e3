#pragma once
// Helpers around asio::ssl::stream. The stream refers to a tcp::socket its owner keeps: FTP
// upgrades its control connection in place after AUTH TLS (RFC 4217 section 4) and a data
// connection after it is accepted or connected. asio::ssl::stream allows one read and one
// write in flight at once, as the FTP control connection needs; not two of either.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <chrono>
#include <string>

#include "core/result.hpp"

namespace l7::tls {

using TlsStream = asio::ssl::stream<asio::ip::tcp::socket&>;

// Before a client handshake: sends `host` as SNI (RFC 6066 section 3; not for an IP literal,
// which SNI forbids) and makes verification check the certificate against it (RFC 6125: the
// DNS names of the subjectAltName, or its IP addresses for a literal). "[::1]" is taken as ::1.
void set_client_host(TlsStream& stream, const std::string& host);

// Before a client data connection's handshake: offers the control connection's session, so
// the server knows both belong to one client (RFC 4217 section 10.2). With TLS 1.3 the
// session arrives after the handshake, so the control connection must have read something
// since. Does nothing when `control` has no session.
void reuse_session(TlsStream& data, TlsStream& control);

// After a handshake: whether it resumed a session.
bool session_reused(TlsStream& stream);

// The handshake with a deadline. Errors: "TLS handshake timed out", or "TLS handshake
// failed: <reason>" with the certificate check's verdict when that was the cause. After a
// failure the stream is unusable: close the socket.
asio::awaitable<Result<bool>> handshake(TlsStream& stream,
                                        asio::ssl::stream_base::handshake_type type,
                                        std::chrono::steady_clock::duration timeout);

// Sends close_notify and waits for the peer's, at most `timeout`. Errors are ignored: many
// peers just close the connection.
asio::awaitable<void> shutdown(TlsStream& stream, std::chrono::steady_clock::duration timeout);

// The negotiated version and cipher suite, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384".
std::string describe(const TlsStream& stream);

}  // namespace l7::tls
