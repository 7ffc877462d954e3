#pragma once
// The FTP server's protocol core (RFC 959, with RFC 2389 FEAT/OPTS, RFC 2428 EPRT/EPSV,
// RFC 3659 SIZE/MDTM/REST/MLST/MLSD, RFC 7151 HOST), sans-I/O: command bytes in, reply bytes
// and requests for the driver out. The user's files are reached through an FtpFileSystem the
// driver hands over at login; sockets (the data connection) and the bytes of a transfer are
// the driver's.
//
// Theory of operation
//
//   FtpServerSession s(config);
//   s.start();                                      // 220 greeting
//   for (;;) {
//       while (auto ev = s.next_event()) {
//           FtpSend:             write ev.bytes
//           FtpCheckCredentials: s.login_result(file system and rights, or nullopt)
//           FtpOpenPassive:      listen for a data connection: s.passive_result(port)
//           FtpClosePassive:     stop listening (PORT came, or the session ends)
//           FtpTransfer:         accept (passive) or connect (active) the data connection:
//                                s.data_connection_result(ok); when ok, move the bytes, then
//                                s.transfer_result(outcome)
//           FtpAbort:            stop the transfer under way; then s.transfer_result(aborted)
//           FtpStartTls:         write ev.reply, then a TLS handshake as the server on the
//                                control connection: s.tls_result(ok) (RFC 4217 AUTH TLS)
//           FtpClose:            close the control connection
//       }
//       read at most s.input_room() bytes (even during a transfer: ABOR may come);
//       s.receive(bytes) or, on EOF, s.receive({}); on the idle deadline, s.timed_out().
//   }
//
// One command is handled at a time. While a transfer runs, ABOR and STAT are answered at
// once (RFC 959 4.1.3: they may come during a transfer) and any other command waits for the
// transfer's final reply.
//
// Reply codes follow RFC 959 5.4's command-reply sequences; the error ones: 500 unknown or
// unparsable command, 501 bad argument, 502 not implemented, 503 bad sequence (PASS
// without USER, RNTO without RNFR), 504 parameter not implemented (TYPE E, MODE B), 530 not
// logged in, 550 file unavailable (also: permission denied), 553 file name not allowed, 425
// no data connection, 426 transfer aborted, 451 local error, 452 no space, 421 closing
// (too many errors or failed logins, the idle deadline).
//
// TLS (RFC 4217, when the driver has a certificate): AUTH TLS is answered 234 and the
// handshake follows on the control connection; input is not read meanwhile, and bytes that
// came in plaintext behind the AUTH line are dropped (they could be injected commands). PBSZ
// 0 and PROT P then protect the data connections (FtpTransfer::protect). With tls_required,
// a non-anonymous USER before AUTH gets 530 and its transfers without PROT P get 521.
//
// Data connections (the course's "out of band" control): PASV/EPSV ask the driver to listen,
// PORT/EPRT give an address the driver connects to. An address other than the control
// connection's peer, or a port below 1024, is refused (RFC 2577 3: no "bounce" attacks).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/line_framer.hpp"
#include "core/trace/recorder.hpp"
#include "ftp/command.hpp"
#include "ftp/file_system.hpp"
#include "ftp/virtual_path.hpp"

namespace l7::ftp {

struct FtpLimits {
    std::size_t max_line = kMaxPathLength + 512;  // a command line with its path
    std::size_t max_errors = 50;                  // 5xx for the client's mistakes, then 421
    std::size_t max_login_failures = 3;           // 530 for credentials, then 421
    std::size_t max_list_entries = 100'000;       // entries of one listed directory
};

struct FtpServerConfig {
    std::string hostname = "localhost";  // in the greeting
    std::string peer_address;            // the control connection's peer (PORT/EPRT check)
    std::string local_address;           // the control connection's local address (227)
    bool anonymous = false;              // USER anonymous / ftp accepted (the driver decides)
    bool tls_available = false;          // AUTH TLS offered (the driver has a certificate)
    bool tls_required = false;           // ... and required of every non-anonymous login
    FtpLimits limits;
    // Unix time now, for LIST's "recent" column; nullptr: every time shows its year.
    std::function<std::int64_t()> clock;
};

struct FtpSend {
    std::string bytes;
};

struct FtpCheckCredentials {
    std::string user;  // "anonymous" for USER ftp too
    std::string password;
};

struct FtpOpenPassive {};
struct FtpClosePassive {};

enum class FtpTransferKind { retrieve, store, append, store_unique, listing };

struct FtpTransfer {
    FtpTransferKind kind = FtpTransferKind::retrieve;
    std::string path;          // virtual: the file read or written (store_unique: the name)
    std::uint64_t offset = 0;  // REST: where RETR starts, or where STOR writes from
    bool ascii = false;        // TYPE A: line ends converted (CRLF on the wire, LF on disk)
    // Where the data connection goes: nullopt = the passive listener, else connect here.
    std::optional<FtpHostPort> active;
    std::string listing;   // kind listing: the bytes to send
    bool protect = false;  // PROT P: TLS on the data connection (the driver is the TLS server)
};

struct FtpAbort {};
struct FtpClose {};

// AUTH TLS accepted: the driver stops reading, writes `reply` (234) in plaintext and runs
// the handshake.
struct FtpStartTls {
    std::string reply;
};

using FtpEvent = std::variant<FtpSend, FtpCheckCredentials, FtpOpenPassive, FtpClosePassive,
                              FtpTransfer, FtpAbort, FtpClose, FtpStartTls>;

// What a login gives: the user's files (valid until the session ends) and whether they may
// change them.
struct FtpLogin {
    FtpFileSystem* files = nullptr;
    bool writable = false;
};

struct FtpTransferOutcome {
    enum class Status {
        complete,         // 226
        aborted,          // 426 then 226 (ABOR)
        connection_lost,  // 426
        not_found,        // 550 (the file went away)
        permission,       // 550
        no_space,         // 452
        local_error,      // 451
    };
    Status status = Status::complete;
    std::uint64_t bytes = 0;
};

enum class FtpWaitingFor {
    command,          // the idle deadline
    driver,           // an answer to a request
    data_connection,  // the data connection being set up
    transfer,         // a transfer under way (its own deadline is the driver's)
    nothing,          // closed
};

class FtpServerSession {
  public:
    explicit FtpServerSession(FtpServerConfig config);

    void start();
    // Bytes from the client; an empty view is EOF.
    void receive(std::string_view bytes);
    std::size_t input_room() const;
    std::optional<FtpEvent> next_event();

    // Answers; each returns false when it is not awaited.
    bool login_result(std::optional<FtpLogin> login);
    bool passive_result(std::optional<std::uint16_t> port);
    bool data_connection_result(bool connected);
    bool transfer_result(FtpTransferOutcome outcome);
    // The AUTH TLS handshake's end: on failure the connection closes (no reply can be read).
    bool tls_result(bool ok);
    // The idle deadline passed: 421, then close.
    void timed_out();

    FtpWaitingFor waiting_for() const;
    const std::string& user() const { return user_; }
    bool logged_in() const { return files_ != nullptr; }
    bool tls_active() const { return tls_active_; }
    const std::string& current_directory() const { return cwd_; }

    // C:/S: lines of the dialogue when enabled; PASS is "<credentials hidden>".
    trace::Recorder& trace() { return trace_; }

  private:
    enum class Phase { not_started, command, waiting, data_setup, transferring, closed };
    enum class Question { none, credentials, passive, data, transfer, tls };

    void advance();
    void handle_line(std::string_view raw);
    void handle_during_transfer(const FtpCommand& cmd, std::string_view line);
    void dispatch(const FtpCommand& cmd);
    bool require_login();
    bool require_argument(const FtpCommand& cmd);
    bool require_write();
    std::optional<std::string> path_argument(std::string_view argument);

    void cmd_user(const FtpCommand& cmd);
    void cmd_pass(const FtpCommand& cmd);
    void cmd_cwd(std::string_view argument);
    void cmd_type(const FtpCommand& cmd);
    void cmd_port(const FtpCommand& cmd, bool extended);
    void cmd_passive(const FtpCommand& cmd, bool extended);
    void cmd_list(const FtpCommand& cmd, std::string_view kind);
    void cmd_mlst(const FtpCommand& cmd);
    void cmd_retr(const FtpCommand& cmd);
    void cmd_store(const FtpCommand& cmd, FtpTransferKind kind);
    void cmd_rest(const FtpCommand& cmd);
    void cmd_size_or_mdtm(const FtpCommand& cmd, bool size);
    void cmd_mkd(const FtpCommand& cmd);
    void cmd_rmd_or_dele(const FtpCommand& cmd, bool directory);
    void cmd_rnfr(const FtpCommand& cmd);
    void cmd_rnto(const FtpCommand& cmd);
    void cmd_feat();
    void cmd_opts(const FtpCommand& cmd);
    void cmd_stat(const FtpCommand& cmd);
    void cmd_help(const FtpCommand& cmd);
    void cmd_abor();
    void cmd_auth(const FtpCommand& cmd);
    void cmd_pbsz(const FtpCommand& cmd);
    void cmd_prot(const FtpCommand& cmd);
    void start_transfer(FtpTransfer transfer);

    void reply(int code, std::string_view text);
    void reply_raw(std::string bytes);
    void error(int code, std::string_view text);  // counts towards max_errors
    void fs_error(FsError e, std::string_view path);
    void close_with(int code, std::string_view text);
    void push(FtpEvent event);
    std::int64_t now() const;

    FtpServerConfig config_;
    LineFramer framer_;
    trace::Recorder trace_;
    Phase phase_ = Phase::not_started;
    Question question_ = Question::none;
    std::deque<FtpEvent> queue_;  // replies (merged) and requests, in order
    bool eof_ = false;
    std::optional<std::string> held_line_;  // a command that came during a transfer

    std::string pending_user_;  // after USER, before PASS
    bool user_given_ = false;
    std::string user_;
    FtpFileSystem* files_ = nullptr;
    bool writable_ = false;
    std::string cwd_ = "/";
    bool ascii_ = false;
    std::uint64_t rest_ = 0;
    std::optional<std::string> rename_from_;
    std::size_t errors_ = 0;
    std::size_t login_failures_ = 0;
    bool tls_active_ = false;
    bool pbsz_given_ = false;    // PBSZ after AUTH: PROT may follow (RFC 2228)
    bool protect_data_ = false;  // PROT P

    // The data connection as set up by the last PASV/EPSV/PORT/EPRT.
    enum class DataMode { none, passive, active };
    DataMode data_mode_ = DataMode::none;
    bool passive_extended_ = false;  // the pending PASV was EPSV
    bool epsv_all_ = false;          // EPSV ALL: only EPSV from now on (RFC 2428 4)
    std::optional<FtpHostPort> active_;
    std::uint16_t passive_port_ = 0;
    FtpTransfer pending_transfer_;
    bool abort_requested_ = false;
};

}  // namespace l7::ftp
