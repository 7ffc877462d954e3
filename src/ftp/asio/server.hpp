#pragma once
// The FTP server driver (`l7 ftp serve`): one coroutine per control connection runs an
// FtpServerSession; a second coroutine per transfer moves the bytes of the data connection,
// so that the control connection is still read during a transfer (ABOR, STAT).
//
// Users log in against a password file (hashes; `--user NAME:PASSWORD` is hashed at start)
// and each gets a ConfinedFileSystem at their root; anonymous users (when enabled) get the
// anonymous root, read-only.
//
// Data connections: passive listeners on the control connection's local address, on a port
// from the configured range (or an ephemeral one), taking only a connection from the control
// connection's peer address (another is closed at once: no data theft); active connections
// go to the address the session accepted (the peer's). Downloads in binary mode go out with
// sendfile(2); uploads go into a staged temporary file beside the target, which is fsynced
// and renamed over the target only when the data connection ended cleanly, so a broken
// upload leaves no half file (REST and APPE copy the kept part first).
//
// TLS (RFC 4217), when a certificate is configured: AUTH TLS upgrades the control
// connection in place (the reader coroutine is stopped for the handshake); PROT P data
// connections get a TLS server handshake once the 150 is out, and a download is then read
// from the file and written through TLS (no sendfile).
//
// Deadlines: idle control connection (default 5 minutes), opening a data connection (30 s),
// each read or write of a transfer (60 s without progress), each reply write (30 s).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.hpp"
#include "core/password_file.hpp"
#include "core/trace/tracer.hpp"
#include "net/runtime.hpp"

namespace asio::ssl {
class context;
}

namespace l7::ftp {

struct FtpAccount {
    std::filesystem::path root;
    bool writable = true;
};

struct FtpServiceOptions {
    std::vector<HostPort> listen;
    std::string hostname = "localhost";
    // Users: passwords from `passwords`, roots and rights from `accounts` (a user in the
    // password file without an account gets `default_root`, writable).
    std::shared_ptr<const PasswordFile> passwords;
    std::vector<std::pair<std::string, FtpAccount>> accounts;
    std::filesystem::path default_root;
    bool read_only = false;  // nobody may change anything
    // Anonymous login (USER anonymous or ftp, any password), read-only, at this root.
    std::optional<std::filesystem::path> anonymous_root;
    std::uint16_t passive_port_min = 0;  // 0: ephemeral ports
    std::uint16_t passive_port_max = 0;
    std::chrono::milliseconds idle_timeout{std::chrono::minutes(5)};
    std::chrono::milliseconds data_connect_timeout{std::chrono::seconds(30)};
    std::chrono::milliseconds transfer_timeout{std::chrono::seconds(60)};
    std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};
    std::size_t max_connections = 200;
    // AUTH TLS is offered when set (tls::make_server_context); required of every
    // non-anonymous login, with PROT P for its transfers, when tls_required.
    std::shared_ptr<asio::ssl::context> tls;
    bool tls_required = false;
};

std::vector<asio::ip::tcp::endpoint> start_ftp_server(net::Runtime& runtime,
                                                      const FtpServiceOptions& options,
                                                      trace::Tracer& tracer);

}  // namespace l7::ftp
