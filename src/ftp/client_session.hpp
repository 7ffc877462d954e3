#pragma once
// The FTP client (RFC 959 as the user-PI), sans-I/O: one operation of `l7 ftp ls|get|put|
// mkdir|rm` as a dialogue on the control connection, with the data connection opened and
// driven by the caller when the session asks for it.
//
// Theory of operation
//
//   FtpClientSession s(config);                    // the control connection is open
//   for (;;) {
//       while (auto ev = s.next_event()) {
//           FtpClientSend:     write ev.bytes on the control connection
//           FtpClientConnect:  passive: connect to the control connection's peer at ev.port,
//                              then s.data_opened() or s.data_failed(why)
//           FtpClientListen:   active: listen on the control connection's local address
//                              (any port), then s.data_listening({address, port}) or
//                              s.data_failed(why)
//           FtpClientTransfer: (active: accept the server's connection first) move the bytes
//                              to the end of the stream (download) or of the file (upload:
//                              then close), then s.data_finished(bytes) or
//                              s.data_failed(why, local)
//           FtpClientStartTls: a TLS handshake as the client on the control connection,
//                              then s.tls_ready() or s.tls_failed(why)
//           FtpClientDone:     close both connections
//       }
//       read the control connection with a deadline; s.receive(bytes) (EOF: s.receive({}));
//       on the deadline: s.timed_out()
//   }
//
// The dialogue: the 220 greeting (120 "ready in a while" is waited out, 421 ends it), USER
// and PASS (RFC 959 4.1.1; 332, an account, is not supported), TYPE A or I (3.1.1), then the
// operation: MKD, DELE, RMD; or a transfer: SIZE (RFC 3659 4) for a download's total and
// --continue's offset, the data connection, REST (RFC 3659 5) to resume, and LIST, NLST, MLSD
// (RFC 3659 7), RETR, STOR or APPE, whose 150/125 starts the data and whose 226/250 (after
// the data connection closed) ends it. QUIT last, also after a failure once logged in.
//
// TLS (`tls`, RFC 4217): AUTH TLS right after the greeting, the handshake, then the log-in
// through it, and PBSZ 0 and PROT P before the operation: every data connection is then
// TLS too (FtpClientTransfer::protect; the driver resumes the control connection's TLS
// session on it, RFC 4217 10.2, which servers such as vsftpd insist on). A server that
// refuses AUTH or PROT P ends the session: nothing is sent in clear instead.
//
// Data connections: passive by default, EPSV (RFC 2428 3) and PASV when EPSV is not
// understood (500, 501, 502: the server is remembered as PASV-only for the session). Active
// with `active`: the driver listens and the session sends EPRT (RFC 2428 2), or PORT for an
// IPv4 address when EPRT is not understood.
//
// Limits: a reply line may be limits.max_line octets long, a reply limits.max_lines lines;
// at most max_preliminary 1xx replies are waited out per command. Past one the session fails
// (protocol) without QUIT. Command arguments never carry CR, LF or NUL (replaced by spaces;
// parse_ftp_url refuses them), and a 0xFF byte is doubled as Telnet wants (RFC 959 4.1,
// RFC 2640 3.1).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.hpp"
#include "core/trace/recorder.hpp"
#include "ftp/command.hpp"
#include "ftp/reply.hpp"

namespace l7::ftp {

// ftp://[user[:password]@]host[:port]/path (RFC 1738 3.2), every part percent-decoded.
struct FtpUrl {
    std::optional<std::string> user;
    std::optional<std::string> password;
    std::string host;  // a name or an address literal, without IPv6 brackets
    std::uint16_t port = 21;
    // What follows the '/' after the host, decoded: relative to the login directory (RFC 1738
    // 3.2.2); "%2F" at its start makes it absolute ("ftp://h/%2Fetc" is "/etc").
    std::string path;

    // The path names a directory: empty (the login directory) or ending in '/'.
    bool names_directory() const { return path.empty() || path.back() == '/'; }
};

// The error is one sentence naming the problem. A decoded CR, LF or NUL is refused: it would
// end the command line it goes into.
Result<FtpUrl> parse_ftp_url(std::string_view text);

enum class FtpOperation { list, get, put, mkdir, remove };
enum class FtpListing { list, names, machine };  // LIST, NLST, MLSD

struct FtpClientConfig {
    std::string user = "anonymous";
    std::string password = "anonymous@";  // the traditional anonymous password (RFC 1635)
    FtpOperation operation = FtpOperation::list;
    // The server's name for the file or directory; empty lists the login directory.
    std::string path;
    FtpListing listing = FtpListing::list;
    bool ascii = false;   // get and put in TYPE A: the driver converts line ends (ascii.hpp)
    bool active = false;  // EPRT/PORT: the server connects to us
    // get: restart at local_size (the bytes already here); put: SIZE, then APPE from the
    // server's size (REST and STOR where APPE is not implemented).
    bool resume = false;
    std::uint64_t local_size = 0;   // get: the local file's size; put: the file's size
    bool remove_directory = false;  // rm: RMD rather than DELE
    bool tls = false;               // AUTH TLS, PBSZ 0, PROT P (RFC 4217)
    FtpReplyLimits limits{8192, 1000};
    std::size_t max_preliminary = 16;  // 1xx replies waited out per command
};

// Bytes to write on the control connection, in order.
struct FtpClientSend {
    std::string bytes;
};

// Passive mode: connect to the control connection's peer at `port`.
struct FtpClientConnect {
    std::uint16_t port = 0;
};

// Active mode: listen on the control connection's local address, any port.
struct FtpClientListen {};

enum class FtpClientDirection { download, upload };

// The server is ready: move the data. Active mode accepts the server's connection first.
struct FtpClientTransfer {
    FtpClientDirection direction = FtpClientDirection::download;
    bool ascii = false;        // TYPE A (listings too): CRLF on the wire, LF locally
    std::uint64_t offset = 0;  // download: bytes already here (appended to); upload: where
                               // to start reading the local file
    std::optional<std::uint64_t> total;  // the whole file's size when known (progress)
    bool protect = false;                // PROT P: a TLS handshake (as the client) before the bytes
};

// The server said 234 to AUTH TLS: the driver runs the handshake on the control connection.
struct FtpClientStartTls {};

enum class FtpClientFailure {
    none,
    refused,   // the greeting refused us (421, or not 220)
    login,     // USER or PASS refused, or an account (ACCT) wanted
    server,    // a command was refused after the log-in
    data,      // the data connection could not be opened or broke
    protocol,  // the server's bytes broke the protocol or a limit
    closed,    // the server closed the control connection early (or said 421)
    timeout,   // the server did not answer in time
    local,     // the driver could not read or write the local file
    tls,       // TLS was refused (AUTH, PBSZ, PROT) or its handshake failed
};

// The session is over: close the connections once the sends before this are written.
struct FtpClientDone {
    FtpClientFailure failure = FtpClientFailure::none;
    std::string problem;                       // one sentence, with the server's words
    std::uint64_t transferred = 0;             // data bytes moved (on the wire)
    std::optional<std::uint64_t> remote_size;  // from SIZE
    bool already_complete = false;             // resume found nothing left to move
    bool transfer_done = false;                // the data moved and the server confirmed it

    bool ok() const { return failure == FtpClientFailure::none; }
};

using FtpClientEvent = std::variant<FtpClientSend, FtpClientConnect, FtpClientListen,
                                    FtpClientTransfer, FtpClientDone, FtpClientStartTls>;

class FtpClientSession {
  public:
    explicit FtpClientSession(FtpClientConfig config);

    // Bytes from the server's control connection; an empty view is its EOF.
    void receive(std::string_view bytes);
    // The server took too long: the session is done (a timeout failure), unless it was only
    // the goodbye (QUIT) that went unanswered.
    void timed_out();

    // The driver's answers about the data connection (see above).
    void data_opened();
    void data_listening(const FtpHostPort& local);
    void data_finished(std::uint64_t bytes);
    // `local`: the local file, not the connection, failed; the session ends at once.
    void data_failed(std::string why, bool local = false);
    // The control connection's handshake after FtpClientStartTls.
    void tls_ready();
    void tls_failed(std::string why);

    // The next thing for the driver to do; nullopt when the session needs server bytes (or
    // an answer about the data connection).
    std::optional<FtpClientEvent> next_event();

    // C:/S: lines of the control dialogue when enabled (the password hidden), and notes.
    trace::Recorder& trace() { return trace_; }
    // EPSV was not understood: PASV from now on.
    bool passive_only() const { return pasv_only_; }

  private:
    enum class Step {
        greeting,
        auth,       // AUTH TLS sent
        handshake,  // waiting for the driver: tls_ready()
        pbsz,
        prot,
        user,
        pass,
        type,
        size,
        epsv,
        pasv,
        connect,  // waiting for the driver: data_opened()
        listen,   // waiting for the driver: data_listening()
        eprt,
        port,
        rest,
        transfer,  // the transfer command sent: waiting for 150/125
        moving,    // the data moves: waiting for data_finished() and the final reply
        action,    // MKD, DELE or RMD sent
        quit,
        done,
    };

    void advance();
    void on_reply(const FtpReply& reply);
    void on_greeting(const FtpReply& reply);
    void on_auth(const FtpReply& reply);
    void on_protection(const FtpReply& reply);
    void on_login(const FtpReply& reply);
    void on_type(const FtpReply& reply);
    void on_size(const FtpReply& reply);
    void on_epsv(const FtpReply& reply);
    void on_pasv(const FtpReply& reply);
    void on_eprt(const FtpReply& reply);
    void on_port(const FtpReply& reply);
    void on_rest(const FtpReply& reply);
    void on_transfer(const FtpReply& reply);
    void on_action(const FtpReply& reply);

    void logged_in();
    void open_data();
    void send_eprt_or_port();
    void data_ready();
    void send_transfer_command();
    void conclude_transfer();
    bool preliminary(const FtpReply& reply);

    std::string transfer_verb() const;
    std::string command(std::string_view verb, std::string_view argument = {}) const;
    void send(const std::string& line, std::string_view traced = {});
    void trace_reply(const FtpReply& reply);
    void refused(const FtpReply& reply, FtpClientFailure failure, std::string what);
    void finish(FtpClientFailure failure, std::string problem, bool say_quit = false);
    void quit();

    FtpClientConfig config_;
    trace::Recorder trace_;
    FtpReplyParser parser_;
    std::deque<FtpClientEvent> events_;
    bool eof_ = false;

    Step step_ = Step::greeting;
    std::size_t preliminaries_ = 0;  // 1xx replies to the current command
    std::string last_command_;       // for error messages: "RETR pub/file"
    bool pasv_only_ = false;
    bool eprt_refused_ = false;
    bool appe_refused_ = false;
    bool data_protected_ = false;  // PROT P accepted
    FtpHostPort local_;            // active mode: where we listen
    std::uint64_t offset_ = 0;     // REST / APPE offset
    std::optional<std::uint64_t> remote_size_;

    // While the data moves, its end and the final reply may come in either order.
    bool data_done_ = false;
    std::string data_problem_;
    std::optional<FtpReply> final_;
    FtpClientDone done_;
};

}  // namespace l7::ftp
