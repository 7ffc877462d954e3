#pragma once
// asio::ssl contexts for l7's servers and clients: TLS 1.2 or newer, no compression (CRIME),
// session resumption on (FTP clients resume the control connection's session on each data
// connection, RFC 4217 section 10.2, and some servers insist on it).

#include <asio/ssl/context.hpp>
#include <filesystem>
#include <memory>

#include "core/result.hpp"

namespace l7::tls {

struct ServerTlsOptions {
    std::filesystem::path cert_file;  // PEM: the certificate, then any intermediates
    std::filesystem::path key_file;   // PEM: its private key
};

struct ClientTlsOptions {
    std::filesystem::path ca_file;  // PEM certificates to trust; empty: the system's store
    bool verify = true;             // false: --insecure, any certificate is accepted
};

// Errors are one sentence naming the file, e.g. "cert.pem: cannot load the certificate
// chain: no such file" or "key.pem: the private key does not match the certificate".
Result<std::shared_ptr<asio::ssl::context>> make_server_context(const ServerTlsOptions& options);
Result<std::shared_ptr<asio::ssl::context>> make_client_context(const ClientTlsOptions& options);

}  // namespace l7::tls
