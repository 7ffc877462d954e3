#include "ftp/session.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "ftp/reply.hpp"
#include "ftp/virtual_path.hpp"

namespace l7::ftp {
namespace {

using trace::Direction;
constexpr std::string_view kHidden = "<credentials hidden>";

// Commands a client may send before logging in (RFC 959 4.1.1; FEAT, HOST, OPTS per RFC
// 2389 and 7151).
bool allowed_before_login(std::string_view verb) {
    static constexpr std::string_view kVerbs[] = {"USER", "PASS", "ACCT", "QUIT", "NOOP",
                                                  "SYST", "FEAT", "HELP", "HOST", "OPTS",
                                                  "STAT", "ABOR", "AUTH", "PBSZ", "PROT"};
    return std::find(std::begin(kVerbs), std::end(kVerbs), verb) != std::end(kVerbs);
}

bool is_anonymous_name(std::string_view user) {
    auto lower = [](std::string_view s) {
        std::string out(s);
        std::transform(out.begin(), out.end(), out.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return out;
    };
    const std::string u = lower(user);
    return u == "anonymous" || u == "ftp";
}

// LIST and NLST arguments may start with ls options ("LIST -la"); clients send them, RFC 959
// does not know them: they are dropped.
std::string_view without_ls_options(std::string_view argument) {
    while (argument.starts_with('-')) {
        const std::size_t space = argument.find(' ');
        argument =
            space == std::string_view::npos ? std::string_view() : argument.substr(space + 1);
    }
    return argument;
}

std::optional<std::uint64_t> parse_offset(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

const char* type_name(bool ascii) {
    return ascii ? "ASCII" : "BINARY";
}

}  // namespace

FtpServerSession::FtpServerSession(FtpServerConfig config)
    : config_(std::move(config)), framer_(config_.limits.max_line) {}

void FtpServerSession::start() {
    if (phase_ != Phase::not_started) {
        return;
    }
    phase_ = Phase::command;
    reply(220, config_.hostname + " FTP server (l7) ready");
}

void FtpServerSession::push(FtpEvent event) {
    if (auto* send = std::get_if<FtpSend>(&event); send && !queue_.empty()) {
        if (auto* last = std::get_if<FtpSend>(&queue_.back())) {
            last->bytes += send->bytes;
            return;
        }
    }
    queue_.push_back(std::move(event));
}

void FtpServerSession::reply_raw(std::string bytes) {
    trace_.record_lines(Direction::to_client, bytes);
    push(FtpSend{std::move(bytes)});
}

void FtpServerSession::reply(int code, std::string_view text) {
    reply_raw(render_reply(code, text));
}

void FtpServerSession::error(int code, std::string_view text) {
    reply(code, text);
    if (++errors_ >= config_.limits.max_errors) {
        close_with(421, "Too many errors, closing the control connection");
    }
}

void FtpServerSession::close_with(int code, std::string_view text) {
    if (phase_ == Phase::closed) {
        return;
    }
    reply(code, text);
    if (data_mode_ == DataMode::passive) {
        push(FtpClosePassive{});
    }
    if (phase_ == Phase::transferring || phase_ == Phase::data_setup) {
        push(FtpAbort{});
    }
    phase_ = Phase::closed;
    question_ = Question::none;
    push(FtpClose{});
}

void FtpServerSession::receive(std::string_view bytes) {
    if (phase_ == Phase::closed) {
        return;
    }
    if (bytes.empty()) {
        eof_ = true;
        return;
    }
    if (question_ == Question::tls) {
        return;  // plaintext behind AUTH TLS, read before the driver stopped reading
    }
    framer_.append(bytes);
}

std::size_t FtpServerSession::input_room() const {
    if (phase_ == Phase::closed || held_line_ || question_ == Question::tls) {
        return 0;
    }
    const std::size_t buffered = framer_.buffered();
    const std::size_t cap = config_.limits.max_line * 2;
    return buffered >= cap ? 0 : cap - buffered;
}

std::optional<FtpEvent> FtpServerSession::next_event() {
    if (queue_.empty()) {
        advance();
    }
    if (queue_.empty()) {
        return std::nullopt;
    }
    FtpEvent event = std::move(queue_.front());
    queue_.pop_front();
    return event;
}

void FtpServerSession::advance() {
    while (queue_.empty() && phase_ != Phase::closed && phase_ != Phase::not_started) {
        if (phase_ == Phase::command && held_line_) {
            const std::string line = std::exchange(held_line_, std::nullopt).value();
            handle_line(line);
            continue;
        }
        if (phase_ == Phase::waiting || (held_line_ && phase_ != Phase::command)) {
            return;
        }
        const auto next = framer_.next_line();
        if (next.status == LineFramer::Status::need_more) {
            if (eof_) {
                // The client went away: a transfer under way is stopped, nothing else to say.
                if (phase_ == Phase::transferring || phase_ == Phase::data_setup) {
                    push(FtpAbort{});
                }
                if (data_mode_ == DataMode::passive) {
                    push(FtpClosePassive{});
                }
                phase_ = Phase::closed;
                question_ = Question::none;  // no answer is awaited any more
                push(FtpClose{});
            }
            return;
        }
        if (next.status == LineFramer::Status::too_long) {
            trace_.record(
                Direction::to_server,
                "<a line longer than " + std::to_string(config_.limits.max_line) + " bytes>");
            error(500, "Command line too long");
            continue;
        }
        handle_line(next.line);
    }
}

void FtpServerSession::handle_line(std::string_view raw) {
    const std::string line = strip_telnet(raw);
    const auto cmd = parse_command(line);
    if (cmd && cmd->verb == "PASS") {
        trace_.record(Direction::to_server, "PASS " + std::string(kHidden));
    } else {
        trace_.record(Direction::to_server, trace::preview(line, 300));
    }
    if (!cmd) {
        error(500, "Syntax error, command unrecognized");
        return;
    }
    if (phase_ == Phase::transferring || phase_ == Phase::data_setup) {
        handle_during_transfer(*cmd, line);
        return;
    }
    dispatch(*cmd);
}

// RFC 959 4.1.3: ABOR and STAT are for use while a transfer runs; the rest waits.
void FtpServerSession::handle_during_transfer(const FtpCommand& cmd, std::string_view line) {
    if (cmd.verb == "ABOR") {
        if (!abort_requested_) {
            abort_requested_ = true;
            push(FtpAbort{});
        }
    } else if (cmd.verb == "STAT" && cmd.argument.empty()) {
        reply(213, "Status: a transfer is in progress");
    } else {
        held_line_ = std::string(line);
    }
}

bool FtpServerSession::require_login() {
    if (files_ != nullptr) {
        return true;
    }
    error(530, "Please log in with USER and PASS first");
    return false;
}

bool FtpServerSession::require_argument(const FtpCommand& cmd) {
    if (!cmd.argument.empty()) {
        return true;
    }
    error(501, cmd.verb + " needs an argument");
    return false;
}

bool FtpServerSession::require_write() {
    if (writable_) {
        return true;
    }
    error(550, "Permission denied: this login is read-only");
    return false;
}

std::optional<std::string> FtpServerSession::path_argument(std::string_view argument) {
    auto path = resolve_path(cwd_, argument);
    if (!path) {
        error(553, "File name not allowed");
    }
    return path;
}

void FtpServerSession::fs_error(FsError e, std::string_view path) {
    const std::string p(path);
    switch (e) {
        case FsError::not_found:
            error(550, p + ": No such file or directory");
            break;
        case FsError::exists:
            error(550, p + ": File exists");
            break;
        case FsError::not_directory:
            error(550, p + ": Not a directory");
            break;
        case FsError::is_directory:
            error(550, p + ": Is a directory");
            break;
        case FsError::not_empty:
            error(550, p + ": Directory not empty");
            break;
        case FsError::permission:
            error(550, p + ": Permission denied");
            break;
        case FsError::too_many:
            error(550, p + ": Too many entries to list");
            break;
        case FsError::no_space:
            reply(452, p + ": Insufficient storage space");
            break;
        case FsError::io:
            reply(451, p + ": Local error in processing");
            break;
    }
}

namespace {

bool known_verb(std::string_view verb) {
    static constexpr std::string_view kVerbs[] = {
        "USER", "PASS", "ACCT", "QUIT", "NOOP", "SYST", "FEAT", "OPTS", "HELP", "HOST", "STAT",
        "ABOR", "CWD",  "XCWD", "CDUP", "XCUP", "PWD",  "XPWD", "TYPE", "MODE", "STRU", "PORT",
        "EPRT", "PASV", "EPSV", "LIST", "NLST", "MLSD", "MLST", "RETR", "STOR", "APPE", "STOU",
        "REST", "SIZE", "MDTM", "MKD",  "XMKD", "RMD",  "XRMD", "DELE", "RNFR", "RNTO", "ALLO",
        "SITE", "SMNT", "REIN", "AUTH", "PBSZ", "PROT", "CCC"};
    return std::find(std::begin(kVerbs), std::end(kVerbs), verb) != std::end(kVerbs);
}

}  // namespace

void FtpServerSession::dispatch(const FtpCommand& cmd) {
    const std::string& v = cmd.verb;
    if (!known_verb(v)) {
        error(500, "Unknown command " + v);  // before the login check: 500 says more than 530
        return;
    }
    if (!allowed_before_login(v) && !require_login()) {
        return;
    }
    if (v != "RNTO") {
        if (rename_from_ && v != "RNFR") {
            rename_from_.reset();  // RFC 959 4.1.3: RNTO must follow RNFR at once
        }
    }
    if (v == "USER") {
        cmd_user(cmd);
    } else if (v == "PASS") {
        cmd_pass(cmd);
    } else if (v == "ACCT") {
        error(502, "ACCT not implemented: no account is needed");
    } else if (v == "QUIT") {
        close_with(221, "Goodbye");
    } else if (v == "NOOP") {
        reply(200, "NOOP ok");
    } else if (v == "SYST") {
        reply(215, "UNIX Type: L8");
    } else if (v == "FEAT") {
        cmd_feat();
    } else if (v == "OPTS") {
        cmd_opts(cmd);
    } else if (v == "HELP") {
        cmd_help(cmd);
    } else if (v == "HOST") {
        // RFC 7151 3: before login only; every host name gets the same files here.
        if (files_ != nullptr || user_given_) {
            error(503, "HOST must come before USER");
        } else if (require_argument(cmd)) {
            reply(220, "Host accepted");
        }
    } else if (v == "STAT") {
        cmd_stat(cmd);
    } else if (v == "ABOR") {
        cmd_abor();
    } else if (v == "CWD" || v == "XCWD") {
        if (require_argument(cmd)) {
            cmd_cwd(cmd.argument);
        }
    } else if (v == "CDUP" || v == "XCUP") {
        cmd_cwd("..");
    } else if (v == "PWD" || v == "XPWD") {
        reply(257, quote_path(cwd_) + " is the current directory");
    } else if (v == "TYPE") {
        cmd_type(cmd);
    } else if (v == "MODE") {
        if (cmd.argument == "S" || cmd.argument == "s") {
            reply(200, "Mode set to S");
        } else if (require_argument(cmd)) {
            error(504, "Only stream mode (S) is supported");
        }
    } else if (v == "STRU") {
        if (cmd.argument == "F" || cmd.argument == "f") {
            reply(200, "Structure set to F");
        } else if (require_argument(cmd)) {
            error(504, "Only file structure (F) is supported");
        }
    } else if (v == "PORT") {
        cmd_port(cmd, false);
    } else if (v == "EPRT") {
        cmd_port(cmd, true);
    } else if (v == "PASV") {
        cmd_passive(cmd, false);
    } else if (v == "EPSV") {
        cmd_passive(cmd, true);
    } else if (v == "LIST") {
        cmd_list(cmd, "LIST");
    } else if (v == "NLST") {
        cmd_list(cmd, "NLST");
    } else if (v == "MLSD") {
        cmd_list(cmd, "MLSD");
    } else if (v == "MLST") {
        cmd_mlst(cmd);
    } else if (v == "RETR") {
        cmd_retr(cmd);
    } else if (v == "STOR") {
        cmd_store(cmd, FtpTransferKind::store);
    } else if (v == "APPE") {
        cmd_store(cmd, FtpTransferKind::append);
    } else if (v == "STOU") {
        cmd_store(cmd, FtpTransferKind::store_unique);
    } else if (v == "REST") {
        cmd_rest(cmd);
    } else if (v == "SIZE") {
        cmd_size_or_mdtm(cmd, true);
    } else if (v == "MDTM") {
        cmd_size_or_mdtm(cmd, false);
    } else if (v == "MKD" || v == "XMKD") {
        cmd_mkd(cmd);
    } else if (v == "RMD" || v == "XRMD") {
        cmd_rmd_or_dele(cmd, true);
    } else if (v == "DELE") {
        cmd_rmd_or_dele(cmd, false);
    } else if (v == "RNFR") {
        cmd_rnfr(cmd);
    } else if (v == "RNTO") {
        cmd_rnto(cmd);
    } else if (v == "ALLO") {
        reply(202, "ALLO not needed");
    } else if (v == "AUTH") {
        cmd_auth(cmd);
    } else if (v == "PBSZ") {
        cmd_pbsz(cmd);
    } else if (v == "PROT") {
        cmd_prot(cmd);
    } else if (v == "SITE" || v == "SMNT" || v == "REIN" || v == "CCC") {
        error(502, v + " not implemented");
    } else {
        error(500, "Unknown command " + v);
    }
}

// ---- Login ------------------------------------------------------------------------------

void FtpServerSession::cmd_user(const FtpCommand& cmd) {
    if (!require_argument(cmd)) {
        return;
    }
    // A new USER starts a new login (RFC 959 4.1.1): whoever was logged in is no longer.
    files_ = nullptr;
    writable_ = false;
    user_.clear();
    cwd_ = "/";
    user_given_ = true;
    if (is_anonymous_name(cmd.argument)) {
        if (!config_.anonymous) {
            error(530, "Anonymous login is not allowed here");
            user_given_ = false;
            return;
        }
        pending_user_ = "anonymous";
        reply(331, "Anonymous login ok, send your e-mail address as the password");
        return;
    }
    if (config_.tls_required && !tls_active_) {
        // RFC 4217 11: a server whose policy wants the password protected refuses USER.
        error(530, "This server requires AUTH TLS before USER");
        user_given_ = false;
        return;
    }
    pending_user_ = cmd.argument;
    reply(331, "Password required for " + cmd.argument);
}

void FtpServerSession::cmd_pass(const FtpCommand& cmd) {
    if (!user_given_) {
        error(503, "Log in with USER first");
        return;
    }
    if (files_ != nullptr) {
        reply(230, "Already logged in");
        return;
    }
    user_given_ = false;
    phase_ = Phase::waiting;
    question_ = Question::credentials;
    push(FtpCheckCredentials{pending_user_, cmd.argument});
}

bool FtpServerSession::login_result(std::optional<FtpLogin> login) {
    if (question_ != Question::credentials) {
        return false;
    }
    question_ = Question::none;
    phase_ = Phase::command;
    if (!login || login->files == nullptr) {
        trace_.record(Direction::note, "login failed for " + pending_user_);
        reply(530, "Login incorrect");
        if (++login_failures_ >= config_.limits.max_login_failures) {
            close_with(421, "Too many failed logins, closing the control connection");
        }
        return true;
    }
    user_ = pending_user_;
    files_ = login->files;
    writable_ = login->writable;
    cwd_ = "/";
    reply(230, user_ == "anonymous" ? "Anonymous access granted, read-only"
                                    : "User " + user_ + " logged in");
    return true;
}

// ---- Navigation and settings ------------------------------------------------------------

void FtpServerSession::cmd_cwd(std::string_view argument) {
    const auto path = path_argument(argument);
    if (!path) {
        return;
    }
    auto info = files_->stat(*path);
    if (!info) {
        fs_error(info.error(), *path);
        return;
    }
    if (info->type != FtpFileInfo::Type::directory) {
        fs_error(FsError::not_directory, *path);
        return;
    }
    cwd_ = *path;
    reply(250, "Directory changed to " + cwd_);
}

void FtpServerSession::cmd_type(const FtpCommand& cmd) {
    std::string arg = cmd.argument;
    std::transform(arg.begin(), arg.end(), arg.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (arg == "A" || arg == "A N") {
        ascii_ = true;
        reply(200, "Type set to A");
    } else if (arg == "I" || arg == "L 8") {
        ascii_ = false;
        reply(200, "Type set to I");
    } else if (arg == "E" || arg.starts_with("A ") || arg.starts_with("E ") ||
               arg.starts_with("L ")) {
        error(504, "Type " + cmd.argument + " not implemented (use A or I)");
    } else {
        error(501, "Unknown type " + cmd.argument);
    }
}

void FtpServerSession::cmd_rest(const FtpCommand& cmd) {
    const auto offset = parse_offset(cmd.argument);
    if (!offset) {
        error(501, "REST needs a byte offset");
        return;
    }
    rest_ = *offset;
    reply(350, "Restarting at " + std::to_string(rest_) + ". Send STOR or RETR");
}

// ---- Data connections -------------------------------------------------------------------

void FtpServerSession::cmd_port(const FtpCommand& cmd, bool extended) {
    if (epsv_all_) {
        error(503, "EPSV ALL was sent: only EPSV is accepted now");
        return;
    }
    if (!require_argument(cmd)) {
        return;
    }
    std::optional<FtpHostPort> target =
        extended ? parse_eprt_argument(cmd.argument) : parse_port_argument(cmd.argument);
    if (!target) {
        if (extended && eprt_unknown_protocol(cmd.argument)) {
            error(522, "Network protocol not supported, use (1,2)");
        } else {
            error(501, "Syntax error in the " + cmd.verb + " address");
        }
        return;
    }
    // RFC 2577 3: data goes to the client that asked for it, on an unprivileged port.
    if (!same_ip_address(target->address, config_.peer_address)) {
        error(504, cmd.verb + " to an address other than yours is refused");
        return;
    }
    if (target->port < 1024) {
        error(504, cmd.verb + " to a privileged port is refused");
        return;
    }
    if (data_mode_ == DataMode::passive) {
        push(FtpClosePassive{});
    }
    data_mode_ = DataMode::active;
    active_ = target;
    reply(200, cmd.verb + " command successful. Consider using EPSV");
}

void FtpServerSession::cmd_passive(const FtpCommand& cmd, bool extended) {
    if (extended) {
        std::string arg = cmd.argument;
        std::transform(arg.begin(), arg.end(), arg.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        if (arg == "ALL") {
            epsv_all_ = true;
            reply(200, "EPSV ALL ok");
            return;
        }
        const bool v6 = config_.local_address.find(':') != std::string::npos;
        if (!arg.empty() && arg != (v6 ? "2" : "1")) {
            error(522,
                  std::string("Network protocol not supported, use (") + (v6 ? "2" : "1") + ")");
            return;
        }
    } else {
        if (epsv_all_) {
            error(503, "EPSV ALL was sent: only EPSV is accepted now");
            return;
        }
        if (config_.local_address.find(':') != std::string::npos) {
            error(522, "PASV is for IPv4; use EPSV");
            return;
        }
    }
    if (data_mode_ == DataMode::passive) {
        push(FtpClosePassive{});
        data_mode_ = DataMode::none;
    }
    passive_extended_ = extended;
    phase_ = Phase::waiting;
    question_ = Question::passive;
    push(FtpOpenPassive{});
}

bool FtpServerSession::passive_result(std::optional<std::uint16_t> port) {
    if (question_ != Question::passive) {
        return false;
    }
    question_ = Question::none;
    phase_ = Phase::command;
    if (!port) {
        reply(425, "Cannot open a passive data connection");
        return true;
    }
    data_mode_ = DataMode::passive;
    passive_port_ = *port;
    active_.reset();
    if (passive_extended_) {
        reply(229, format_epsv_text(*port));
    } else {
        reply(227, format_pasv_text(FtpHostPort{config_.local_address, *port})
                       .value_or("Entering Passive Mode"));
    }
    return true;
}

void FtpServerSession::start_transfer(FtpTransfer transfer) {
    if (data_mode_ == DataMode::none) {
        error(425, "Use PORT, EPRT, PASV or EPSV first");
        return;
    }
    if (config_.tls_required && !protect_data_ && user_ != "anonymous") {
        error(521, "Data connections must be protected: send PBSZ 0 and PROT P first");
        return;
    }
    transfer.ascii = ascii_;
    transfer.protect = protect_data_;
    if (data_mode_ == DataMode::active) {
        transfer.active = active_;
    }
    // RFC 959 3.3: the data connection's settings are used once.
    data_mode_ = DataMode::none;
    active_.reset();
    rest_ = 0;
    abort_requested_ = false;
    pending_transfer_ = transfer;
    pending_transfer_.listing.clear();
    phase_ = Phase::data_setup;
    question_ = Question::data;
    push(std::move(transfer));
}

bool FtpServerSession::data_connection_result(bool connected) {
    if (question_ != Question::data) {
        return false;
    }
    if (!connected) {
        question_ = Question::none;
        phase_ = Phase::command;
        reply(425, abort_requested_ ? "Transfer aborted before the data connection opened"
                                    : "Cannot open the data connection");
        if (abort_requested_) {
            reply(226, "ABOR successful");
        }
        return true;
    }
    question_ = Question::transfer;
    phase_ = Phase::transferring;
    const FtpTransfer& t = pending_transfer_;
    std::string what;
    switch (t.kind) {
        case FtpTransferKind::listing:
            what = "directory listing";
            break;
        case FtpTransferKind::store_unique:
            // RFC 1123 4.1.2.9: the name chosen, in the 150 reply ("FILE: name").
            reply(150, "FILE: " + std::string(base_name(t.path)));
            return true;
        default:
            what = t.path;
            break;
    }
    reply(150, std::string("Opening ") + type_name(t.ascii) + " mode data connection for " + what);
    return true;
}

bool FtpServerSession::transfer_result(FtpTransferOutcome outcome) {
    if (question_ != Question::transfer) {
        return false;
    }
    question_ = Question::none;
    phase_ = Phase::command;
    using S = FtpTransferOutcome::Status;
    switch (outcome.status) {
        case S::complete:
            reply(226, "Transfer complete (" + std::to_string(outcome.bytes) + " bytes)");
            if (abort_requested_) {
                reply(225, "ABOR: the transfer had already completed");
            }
            break;
        case S::aborted:
            reply(426, "Connection closed; transfer aborted");
            reply(226, "ABOR successful");
            break;
        case S::connection_lost:
            reply(426, "Connection closed; transfer aborted");
            break;
        case S::not_found:
            reply(550, pending_transfer_.path + ": No such file or directory");
            break;
        case S::permission:
            reply(550, pending_transfer_.path + ": Permission denied");
            break;
        case S::no_space:
            reply(452, "Insufficient storage space");
            break;
        case S::local_error:
            reply(451, "Local error in processing; transfer aborted");
            break;
    }
    abort_requested_ = false;
    return true;
}

void FtpServerSession::cmd_abor() {
    // No transfer: nothing to abort (RFC 959 4.1.3: 225 with the data connection open).
    if (data_mode_ == DataMode::passive) {
        push(FtpClosePassive{});
        data_mode_ = DataMode::none;
    }
    reply(225, "No transfer to abort");
}

// ---- Listings ---------------------------------------------------------------------------

void FtpServerSession::cmd_list(const FtpCommand& cmd, std::string_view kind) {
    const std::string_view arg =
        kind == "MLSD" ? std::string_view(cmd.argument) : without_ls_options(cmd.argument);
    const auto path = path_argument(arg);
    if (!path) {
        return;
    }
    auto info = files_->stat(*path);
    if (!info) {
        fs_error(info.error(), *path);
        return;
    }
    std::vector<FtpFileInfo> entries;
    if (info->type == FtpFileInfo::Type::directory) {
        auto listed = files_->list(*path, config_.limits.max_list_entries);
        if (!listed) {
            fs_error(listed.error(), *path);
            return;
        }
        entries = std::move(*listed);
    } else if (kind == "MLSD") {
        fs_error(FsError::not_directory, *path);  // RFC 3659 7.2.1: MLSD lists directories
        return;
    } else {
        entries.push_back(*info);
        // NLST of a file names it as given (RFC 959), LIST shows its line.
        entries.back().name = kind == "NLST" ? std::string(arg) : std::string(base_name(*path));
    }
    std::string bytes;
    if (kind == "MLSD") {
        FtpFileInfo self = *info;
        self.name = ".";
        bytes += mlsx_line(self, writable_, "cdir") + "\r\n";
    }
    for (const FtpFileInfo& e : entries) {
        if (kind == "LIST") {
            bytes += list_line(e, now());
        } else if (kind == "NLST") {
            bytes += e.name;
        } else {
            bytes += mlsx_line(e, writable_);
        }
        bytes += "\r\n";
    }
    FtpTransfer t;
    t.kind = FtpTransferKind::listing;
    t.path = *path;
    t.listing = std::move(bytes);
    start_transfer(std::move(t));
}

void FtpServerSession::cmd_mlst(const FtpCommand& cmd) {
    const auto path = path_argument(cmd.argument);
    if (!path) {
        return;
    }
    auto info = files_->stat(*path);
    if (!info) {
        fs_error(info.error(), *path);
        return;
    }
    FtpFileInfo shown = *info;
    shown.name = *path;
    // RFC 3659 7.2: the facts line starts with a space, between "250-" and "250 End".
    reply_raw(render_multiline(250, "Listing " + *path, {mlsx_line(shown, writable_)}, "End"));
}

void FtpServerSession::cmd_stat(const FtpCommand& cmd) {
    if (cmd.argument.empty()) {
        const std::vector<std::string> lines = {
            "Connected to " + config_.peer_address,
            files_ ? "Logged in as " + user_ : std::string("Not logged in"),
            std::string("TYPE: ") + type_name(ascii_) + ", STRUcture: File, MODE: Stream",
            "No data connection"};
        reply_raw(render_multiline(211, config_.hostname + " FTP server status:", lines,
                                   "End of status"));
        return;
    }
    if (!require_login()) {
        return;
    }
    // STAT path: the listing over the control connection (RFC 959 4.1.3).
    const auto path = path_argument(without_ls_options(cmd.argument));
    if (!path) {
        return;
    }
    auto info = files_->stat(*path);
    if (!info) {
        fs_error(info.error(), *path);
        return;
    }
    std::vector<FtpFileInfo> entries;
    if (info->type == FtpFileInfo::Type::directory) {
        auto listed = files_->list(*path, config_.limits.max_list_entries);
        if (!listed) {
            fs_error(listed.error(), *path);
            return;
        }
        entries = std::move(*listed);
    } else {
        entries.push_back(*info);
    }
    std::vector<std::string> lines;
    for (const FtpFileInfo& e : entries) {
        lines.push_back(list_line(e, now()));
    }
    reply_raw(render_multiline(213, "Status of " + *path + ":", lines, "End of status"));
}

// ---- Files ------------------------------------------------------------------------------

void FtpServerSession::cmd_retr(const FtpCommand& cmd) {
    if (!require_argument(cmd)) {
        return;
    }
    const auto path = path_argument(cmd.argument);
    if (!path) {
        return;
    }
    auto info = files_->stat(*path);
    if (!info) {
        fs_error(info.error(), *path);
        return;
    }
    if (info->type != FtpFileInfo::Type::file) {
        error(550, *path + ": Not a plain file");
        return;
    }
    if (rest_ > info->size) {
        // RFC 3659 5.5: a restart point beyond the file.
        rest_ = 0;
        error(554, "Restart point beyond the end of the file");
        return;
    }
    FtpTransfer t;
    t.kind = FtpTransferKind::retrieve;
    t.path = *path;
    t.offset = rest_;
    start_transfer(std::move(t));
}

void FtpServerSession::cmd_store(const FtpCommand& cmd, FtpTransferKind kind) {
    if (!require_write()) {
        return;
    }
    std::string path;
    if (kind == FtpTransferKind::store_unique) {
        // A name of our choosing in the current directory (or beside the one given).
        std::string base = "ftp";
        if (!cmd.argument.empty()) {
            const auto given = path_argument(cmd.argument);
            if (!given) {
                return;
            }
            if (*given != "/") {
                base = std::string(base_name(*given));
            }
        }
        for (int n = 1; n <= 1000 && path.empty(); ++n) {
            const std::string candidate = join_path(cwd_, base + "." + std::to_string(n));
            if (!files_->stat(candidate) && candidate.size() <= kMaxPathLength) {
                path = candidate;
            }
        }
        if (path.empty()) {
            error(553, "No unique file name is left");
            return;
        }
    } else {
        if (!require_argument(cmd)) {
            return;
        }
        const auto resolved = path_argument(cmd.argument);
        if (!resolved) {
            return;
        }
        path = *resolved;
    }
    if (path == "/") {
        error(553, "File name not allowed");
        return;
    }
    auto parent = files_->stat(std::string(parent_path(path)));
    if (!parent || parent->type != FtpFileInfo::Type::directory) {
        error(553, std::string(parent_path(path)) + ": No such directory");
        return;
    }
    auto existing = files_->stat(path);
    if (existing && existing->type == FtpFileInfo::Type::directory) {
        error(550, path + ": Is a directory");
        return;
    }
    const std::uint64_t size = existing ? existing->size : 0;
    if (rest_ > size) {
        rest_ = 0;
        error(554, "Restart point beyond the end of the file");
        return;
    }
    FtpTransfer t;
    t.kind = kind;
    t.path = path;
    t.offset = kind == FtpTransferKind::append ? size : rest_;
    start_transfer(std::move(t));
}

void FtpServerSession::cmd_size_or_mdtm(const FtpCommand& cmd, bool size) {
    if (!require_argument(cmd)) {
        return;
    }
    const auto path = path_argument(cmd.argument);
    if (!path) {
        return;
    }
    auto info = files_->stat(*path);
    if (!info) {
        fs_error(info.error(), *path);
        return;
    }
    if (info->type != FtpFileInfo::Type::file) {
        error(550, *path + ": Not a plain file");
        return;
    }
    if (!size) {
        reply(213, time_val(info->modified));
    } else if (ascii_) {
        // RFC 3659 4: SIZE counts the bytes as sent in the current TYPE, which for ASCII
        // means reading the whole file; refused instead, as ProFTPD does.
        error(550, "SIZE is not available in ASCII mode: send TYPE I first");
    } else {
        reply(213, std::to_string(info->size));
    }
}

void FtpServerSession::cmd_mkd(const FtpCommand& cmd) {
    if (!require_argument(cmd) || !require_write()) {
        return;
    }
    const auto path = path_argument(cmd.argument);
    if (!path) {
        return;
    }
    if (auto e = files_->make_directory(*path)) {
        fs_error(*e, *path);
        return;
    }
    reply(257, quote_path(*path) + " created");
}

void FtpServerSession::cmd_rmd_or_dele(const FtpCommand& cmd, bool directory) {
    if (!require_argument(cmd) || !require_write()) {
        return;
    }
    const auto path = path_argument(cmd.argument);
    if (!path) {
        return;
    }
    if (*path == "/") {
        error(550, "The root cannot be removed");
        return;
    }
    const auto e = directory ? files_->remove_directory(*path) : files_->remove_file(*path);
    if (e) {
        fs_error(*e, *path);
        return;
    }
    reply(250, (directory ? "Directory " : "File ") + *path + " removed");
}

void FtpServerSession::cmd_rnfr(const FtpCommand& cmd) {
    if (!require_argument(cmd) || !require_write()) {
        return;
    }
    const auto path = path_argument(cmd.argument);
    if (!path) {
        return;
    }
    auto info = files_->stat(*path);
    if (!info) {
        fs_error(info.error(), *path);
        return;
    }
    if (*path == "/") {
        error(550, "The root cannot be renamed");
        return;
    }
    rename_from_ = *path;
    reply(350, "Ready for RNTO");
}

void FtpServerSession::cmd_rnto(const FtpCommand& cmd) {
    if (!rename_from_) {
        error(503, "RNTO must follow RNFR");
        return;
    }
    const std::string from = std::exchange(rename_from_, std::nullopt).value();
    if (!require_argument(cmd) || !require_write()) {
        return;
    }
    const auto to = path_argument(cmd.argument);
    if (!to) {
        return;
    }
    if (*to == "/" || to->starts_with(from + "/")) {
        error(553, "A directory cannot move into itself");
        return;
    }
    if (auto e = files_->rename(from, *to)) {
        if (*e == FsError::not_found) {
            error(553, *to + ": No such directory");
        } else {
            fs_error(*e, *to);
        }
        return;
    }
    reply(250, "Renamed " + from + " to " + *to);
}

// ---- TLS (RFC 4217, with RFC 2228's PBSZ and PROT) ---------------------------------------

void FtpServerSession::cmd_auth(const FtpCommand& cmd) {
    if (!config_.tls_available) {
        error(502, "AUTH not available: this server has no TLS certificate");
        return;
    }
    if (tls_active_) {
        error(503, "TLS is already active");
        return;
    }
    std::string mechanism = cmd.argument;
    std::transform(mechanism.begin(), mechanism.end(), mechanism.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    // "SSL" and "TLS-C" are older names of the same thing (curl tries SSL first); "TLS-P"
    // also meant protected data.
    if (mechanism != "TLS" && mechanism != "TLS-C" && mechanism != "SSL" && mechanism != "TLS-P") {
        error(504, "Only AUTH TLS is supported");
        return;
    }
    // RFC 4217 4: a login given before AUTH is forgotten; USER must come again.
    files_ = nullptr;
    writable_ = false;
    user_.clear();
    user_given_ = false;
    cwd_ = "/";
    protect_data_ = mechanism == "TLS-P";
    pbsz_given_ = protect_data_;
    // Whatever came behind the AUTH line in plaintext is dropped: it must not be taken as
    // if it had come through TLS (the STARTTLS command injection).
    framer_ = LineFramer(config_.limits.max_line);
    const std::string bytes =
        render_reply(234, "AUTH " + mechanism + " ok, start the TLS handshake");
    trace_.record_lines(Direction::to_client, bytes);
    phase_ = Phase::waiting;
    question_ = Question::tls;
    push(FtpStartTls{bytes});
}

bool FtpServerSession::tls_result(bool ok) {
    if (question_ != Question::tls) {
        return false;
    }
    question_ = Question::none;
    if (!ok) {
        trace_.record(Direction::note, "TLS handshake failed: closing");
        phase_ = Phase::closed;
        push(FtpClose{});
        return true;
    }
    tls_active_ = true;
    phase_ = Phase::command;
    return true;
}

void FtpServerSession::cmd_pbsz(const FtpCommand& cmd) {
    if (!tls_active_) {
        error(503, "PBSZ needs AUTH TLS first");
        return;
    }
    if (!require_argument(cmd) || !parse_offset(cmd.argument)) {
        if (!cmd.argument.empty()) {
            error(501, "PBSZ needs a number");
        }
        return;
    }
    // TLS frames the stream itself: the only buffer size is 0 (RFC 4217 9).
    pbsz_given_ = true;
    reply(200, "PBSZ=0");
}

void FtpServerSession::cmd_prot(const FtpCommand& cmd) {
    if (!pbsz_given_) {
        error(503, "PROT needs PBSZ first");
        return;
    }
    if (!require_argument(cmd)) {
        return;
    }
    const char level = static_cast<char>(std::toupper(static_cast<unsigned char>(cmd.argument[0])));
    if (cmd.argument.size() != 1 ||
        std::string_view("CSEP").find(level) == std::string_view::npos) {
        error(504, "Unknown protection level " + cmd.argument);
    } else if (level == 'S' || level == 'E') {
        error(536, "Only PROT C and PROT P are supported with TLS");
    } else if (level == 'C' && config_.tls_required) {
        error(534, "Data connections must be protected here: PROT P");
    } else {
        protect_data_ = level == 'P';
        reply(200, protect_data_ ? "Protection level set to P (TLS on data connections)"
                                 : "Protection level set to C (clear data connections)");
    }
}

// ---- Information ------------------------------------------------------------------------

void FtpServerSession::cmd_feat() {
    // RFC 2389 3.2: each feature on its own line, starting with a space.
    std::vector<std::string> features = {
        "EPRT", "EPSV",        "HOST", "MDTM", "MLST type*;size*;modify*;perm*;",
        "PASV", "REST STREAM", "SIZE", "TVFS", "UTF8"};
    if (config_.tls_available) {
        features.insert(features.begin(), "AUTH TLS");  // RFC 4217 6
        features.insert(features.end() - 1, {"PBSZ", "PROT"});
    }
    reply_raw(render_multiline(211, "Features:", features, "End"));
}

void FtpServerSession::cmd_opts(const FtpCommand& cmd) {
    std::string arg = cmd.argument;
    std::transform(arg.begin(), arg.end(), arg.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (arg == "UTF8 ON" || arg == "UTF-8 ON") {
        reply(200, "UTF8 is always on");  // paths are bytes; UTF-8 passes through
    } else if (arg.starts_with("MLST")) {
        reply(200, "MLST OPTS type;size;modify;perm;");
    } else {
        error(501, "Option not understood");
    }
}

void FtpServerSession::cmd_help(const FtpCommand& cmd) {
    if (!cmd.argument.empty()) {
        reply(214, "See RFC 959 for " + cmd.argument);
        return;
    }
    const std::vector<std::string> lines = {
        "ABOR ACCT ALLO APPE AUTH CDUP CWD  DELE EPRT EPSV FEAT HELP HOST LIST MDTM",
        "MKD  MLSD MLST MODE NLST NOOP OPTS PASS PASV PBSZ PORT PROT PWD  QUIT REST",
        "RETR RMD  RNFR RNTO SIZE STAT STOR STOU STRU SYST TYPE USER XCUP XCWD XMKD", "XPWD XRMD"};
    reply_raw(render_multiline(214, "The following commands are recognized:", lines, "Help OK"));
}

// ---- Deadlines --------------------------------------------------------------------------

void FtpServerSession::timed_out() {
    close_with(421, "Timeout: closing the control connection");
}

FtpWaitingFor FtpServerSession::waiting_for() const {
    switch (phase_) {
        case Phase::closed:
            return FtpWaitingFor::nothing;
        case Phase::waiting:
        case Phase::not_started:
            return FtpWaitingFor::driver;
        case Phase::data_setup:
            return FtpWaitingFor::data_connection;
        case Phase::transferring:
            return FtpWaitingFor::transfer;
        case Phase::command:
            break;
    }
    return FtpWaitingFor::command;
}

std::int64_t FtpServerSession::now() const {
    return config_.clock ? config_.clock() : 0;
}

}  // namespace l7::ftp
