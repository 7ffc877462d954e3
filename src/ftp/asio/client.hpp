#pragma once
// Running the FTP client session (ftp/client_session.hpp) over TCP: `l7 ftp ls|get|put|
// mkdir|rm`. One coroutine does it all, one step at a time: the control connection to the
// first of the server's addresses that answers, then the data connection when the session
// asks for it, the transfer, and the control connection again for the final reply (the
// session accepts that reply before or after the data's end, RFC 959 5.4).
//
// Data connections: passive ones go to the control connection's peer (the session only
// takes the port from 229/227); active ones are accepted on a socket listening on the
// control connection's local address, and only from the control connection's peer address:
// another host could otherwise slip its data in (RFC 2577 "port stealing"). TYPE A line
// ends are converted here (ftp/ascii.hpp); the session counts octets on the wire.
//
// TLS: the control connection after AUTH TLS's 234, and each data connection once the
// transfer starts; a data connection resumes the control connection's TLS session. The end of
// a download is the server's close_notify (a close without one is taken as the end too, as
// curl does, and noted in the trace); an upload ends with ours.
//
// Deadlines: each connect and the active mode's accept (connect_timeout), each read and
// write on either connection (io_timeout).

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/trace/tracer.hpp"
#include "ftp/client_session.hpp"

namespace asio::ssl {
class context;
}

namespace l7::ftp {

// The local end of a transfer: a file, or stdout. A returned sentence means the local side
// failed, which ends the session (FtpClientFailure::local).
class FtpLocalData {
  public:
    virtual ~FtpLocalData() = default;
    // The data is about to move (after the server's 150): open or position the file.
    virtual std::optional<std::string> begin(const FtpClientTransfer& transfer) = 0;
    // Downloads and listings: bytes as they arrive (line ends converted in TYPE A).
    virtual std::optional<std::string> write(std::string_view bytes) = 0;
    // Uploads: the file's next bytes into `chunk` (replacing what it held); empty at its end.
    virtual std::optional<std::string> read(std::string& chunk) = 0;
    // After each chunk: `bytes` of the file done (the offset included), of `total` if known.
    virtual void progress(std::uint64_t /*bytes*/, std::optional<std::uint64_t> /*total*/) {}
};

struct FtpClientRunOptions {
    std::vector<std::string> addresses;  // IP literals, tried in order
    std::uint16_t port = 21;
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
    std::chrono::milliseconds io_timeout{std::chrono::seconds(30)};
    trace::Tracer* tracer = nullptr;
    // For a session with tls: the context (tls::make_client_context) and the name the
    // server's certificate must carry (the URL's host).
    std::shared_ptr<asio::ssl::context> tls;
    std::string tls_host;
};

struct FtpClientRun {
    bool connected = false;
    std::string connect_failure;     // when !connected
    bool connect_timed_out = false;  // the last try ran out of time
    FtpClientDone done;              // when connected
};

// Runs `session` to its end over a control connection it opens.
asio::awaitable<FtpClientRun> run_ftp_client(FtpClientRunOptions options, FtpClientSession& session,
                                             FtpLocalData& local);

}  // namespace l7::ftp
