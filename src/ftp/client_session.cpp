#include "ftp/client_session.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

#include "core/endpoint.hpp"
#include "core/hex.hpp"

namespace l7::ftp {
namespace {

// The server's words for a message: code and first line, control bytes as spaces, cut.
std::string said(const FtpReply& reply) {
    constexpr std::size_t kMax = 200;
    std::string out = std::to_string(reply.code);
    const std::string_view text = reply.text();
    if (!text.empty()) {
        out += ' ';
    }
    for (char c : text.substr(0, kMax)) {
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f) ? ' ' : c;
    }
    if (text.size() > kMax) {
        out += "...";
    }
    return out;
}

// What a negative reply to a transfer or file command means (RFC 959 4.2.1), in words.
std::string_view meaning(int code) {
    switch (code) {
        case 425:
            return "the server could not open the data connection";
        case 426:
            return "the transfer was aborted and the data connection closed";
        case 450:
            return "the file is busy or unavailable";
        case 451:
            return "the server had a local error";
        case 452:
            return "the server has not enough storage";
        case 500:
        case 502:
            return "the server does not implement the command";
        case 501:
        case 504:
            return "the server did not accept the argument";
        case 530:
            return "the log-in does not allow it";
        case 532:
            return "storing files needs an account";
        case 550:
            return "the file or directory is unavailable (not found, or no access)";
        case 551:
            return "the page type is unknown";
        case 552:
            return "the storage allocation is exceeded";
        case 553:
            return "the file name is not allowed";
        default:
            return "the server refused it";
    }
}

bool not_understood(int code) {
    return code == 500 || code == 501 || code == 502;
}

// "213 1234" (RFC 3659 4.2): the size, decimal.
std::optional<std::uint64_t> parse_size(std::string_view text) {
    while (!text.empty() && text.back() == ' ') {
        text.remove_suffix(1);
    }
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

Result<std::string> percent_decode(std::string_view text, std::string_view what) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        const int hi = i + 2 < text.size() ? hex_digit_value(text[i + 1]) : -1;
        const int lo = i + 2 < text.size() ? hex_digit_value(text[i + 2]) : -1;
        if (hi < 0 || lo < 0) {
            return make_error(std::string(what) +
                              " has a '%' that is not followed by two hex "
                              "digits");
        }
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    // A CR or LF would end the command line the text goes into, and let the URL add commands
    // of its own; NUL ends a C string on many servers.
    if (out.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        return make_error(std::string(what) +
                          " holds CR, LF or NUL (%0D, %0A, %00), which no FTP command can carry");
    }
    return out;
}

}  // namespace

Result<FtpUrl> parse_ftp_url(std::string_view text) {
    const std::size_t sep = text.find("://");
    std::string scheme(text.substr(0, sep == std::string_view::npos ? 0 : sep));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme == "ftps" || scheme == "sftp") {
        return make_error(scheme + ":// is not supported: l7 speaks plain FTP (ftp://)");
    }
    if (scheme != "ftp") {
        return make_error("'" + std::string(text.substr(0, 80)) +
                          "' is not an FTP URL: it must start with ftp://");
    }
    const std::string_view rest = text.substr(sep + 3);
    const std::size_t slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    FtpUrl url;
    std::string_view host_port = authority;
    // The last '@' ends the user information: a password may hold a raw '@'.
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        host_port = authority.substr(at + 1);
        const std::size_t colon = userinfo.find(':');
        auto user = percent_decode(userinfo.substr(0, colon), "the URL's user name");
        if (!user) {
            return user.error();
        }
        if (user->empty()) {
            return make_error("the URL's user name is empty");
        }
        url.user = std::move(*user);
        if (colon != std::string_view::npos) {
            auto password = percent_decode(userinfo.substr(colon + 1), "the URL's password");
            if (!password) {
                return password.error();
            }
            url.password = std::move(*password);
        }
    }
    if (host_port.empty()) {
        return make_error("the URL has no host: ftp://HOST/PATH");
    }
    auto hp = parse_host_port(host_port, 21);
    if (!hp) {
        return make_error("the URL's host " + hp.error().message);
    }
    if (hp->port == 0) {
        return make_error("the URL's port must be 1 to 65535");
    }
    url.host = std::move(hp->host);
    url.port = hp->port;
    if (slash != std::string_view::npos) {
        auto path = percent_decode(rest.substr(slash + 1), "the URL's path");
        if (!path) {
            return path.error();
        }
        url.path = std::move(*path);
    }
    return url;
}

FtpClientSession::FtpClientSession(FtpClientConfig config)
    : config_(std::move(config)), parser_(config_.limits) {}

// --- the driver's side ---------------------------------------------------------------------

void FtpClientSession::receive(std::string_view bytes) {
    if (step_ == Step::done) {
        return;
    }
    if (bytes.empty()) {
        eof_ = true;
        return;
    }
    parser_.feed(bytes);
}

void FtpClientSession::timed_out() {
    if (step_ == Step::done) {
        return;
    }
    trace_.record(trace::Direction::note, "no answer in time");
    if (step_ == Step::quit) {
        finish(FtpClientFailure::none, {});  // all was done; the goodbye does not matter
        return;
    }
    if (step_ == Step::moving && data_done_ && !data_problem_.empty()) {
        finish(FtpClientFailure::data, last_command_ + ": " + data_problem_);
        return;
    }
    finish(FtpClientFailure::timeout,
           step_ == Step::greeting ? "the server did not greet in time"
                                   : "the server did not answer " + last_command_ + " in time");
}

void FtpClientSession::tls_ready() {
    if (step_ != Step::handshake) {
        return;
    }
    trace_.record(trace::Direction::note, "TLS on the control connection");
    send(command("USER", config_.user));
    step_ = Step::user;
}

void FtpClientSession::tls_failed(std::string why) {
    if (step_ == Step::handshake) {
        finish(FtpClientFailure::tls, std::move(why));  // no QUIT: the connection is unusable
    }
}

void FtpClientSession::data_opened() {
    if (step_ == Step::connect) {
        data_ready();
    }
}

void FtpClientSession::data_listening(const FtpHostPort& local) {
    if (step_ != Step::listen) {
        return;
    }
    local_ = local;
    send_eprt_or_port();
}

void FtpClientSession::data_finished(std::uint64_t bytes) {
    if (step_ != Step::moving || data_done_) {
        return;
    }
    data_done_ = true;
    done_.transferred = bytes;
    trace_.record(trace::Direction::note,
                  "data connection: " + std::to_string(bytes) + " bytes, closed");
    if (final_) {
        conclude_transfer();
    }
}

void FtpClientSession::data_failed(std::string why, bool local) {
    if (step_ == Step::done) {
        return;
    }
    trace_.record(trace::Direction::note, "data connection: " + why);
    if (local) {
        finish(FtpClientFailure::local, std::move(why), true);
        return;
    }
    if (step_ != Step::moving || data_done_) {
        finish(FtpClientFailure::data, std::move(why), true);
        return;
    }
    // The server's final reply usually says why (426, 451): wait for it.
    data_done_ = true;
    data_problem_ = std::move(why);
    if (final_) {
        conclude_transfer();
    }
}

std::optional<FtpClientEvent> FtpClientSession::next_event() {
    if (events_.empty()) {
        advance();
    }
    if (events_.empty()) {
        return std::nullopt;
    }
    FtpClientEvent ev = std::move(events_.front());
    events_.pop_front();
    return ev;
}

// --- reading replies -----------------------------------------------------------------------

void FtpClientSession::advance() {
    for (;;) {
        // While the driver opens the data connection, or moves data after the final reply
        // came, what the server says next waits.
        const bool driver_busy = step_ == Step::connect || step_ == Step::listen ||
                                 step_ == Step::handshake || (step_ == Step::moving && final_);
        if (step_ == Step::done || !events_.empty() || driver_busy) {
            return;
        }
        FtpReply reply;
        switch (parser_.next(reply)) {
            case FtpReplyParser::Status::reply:
                trace_reply(reply);
                on_reply(reply);
                break;
            case FtpReplyParser::Status::error:
                trace_.record(trace::Direction::note, parser_.error());
                // After QUIT all is done: a garbled goodbye does not undo it.
                finish(step_ == Step::quit ? FtpClientFailure::none : FtpClientFailure::protocol,
                       step_ == Step::quit ? std::string() : parser_.error());
                return;
            case FtpReplyParser::Status::need_more:
                if (eof_) {
                    trace_.record(trace::Direction::note, "the server closed the connection");
                    if (step_ == Step::quit) {
                        finish(FtpClientFailure::none, {});
                    } else {
                        finish(FtpClientFailure::closed,
                               step_ == Step::greeting
                                   ? "the server closed the connection before its greeting"
                                   : "the server closed the connection after " + last_command_);
                    }
                }
                return;
        }
    }
}

void FtpClientSession::trace_reply(const FtpReply& reply) {
    if (!trace_.enabled()) {
        return;
    }
    const std::string code = std::to_string(reply.code);
    if (reply.lines.size() <= 1) {
        trace_.record(trace::Direction::to_client, code + " " + std::string(reply.text()));
        return;
    }
    trace_.record(trace::Direction::to_client, code + "-" + reply.lines.front());
    for (std::size_t i = 1; i + 1 < reply.lines.size(); ++i) {
        trace_.record(trace::Direction::to_client, reply.lines[i]);
    }
    trace_.record(trace::Direction::to_client, code + " " + reply.lines.back());
}

// A 1xx reply where the session waits for the final one: waited out, a bounded number of
// times (a server could otherwise keep a session alive forever).
bool FtpClientSession::preliminary(const FtpReply& reply) {
    if (!reply.positive_preliminary()) {
        return false;
    }
    if (++preliminaries_ > config_.max_preliminary) {
        finish(FtpClientFailure::protocol,
               "the server sent more than " + std::to_string(config_.max_preliminary) +
                   " preliminary (1xx) replies to " +
                   (last_command_.empty() ? std::string("the connection") : last_command_));
    }
    return true;
}

void FtpClientSession::on_reply(const FtpReply& reply) {
    if (step_ == Step::quit) {
        finish(FtpClientFailure::none, {});  // 221, or anything: the work was done before
        return;
    }
    // 421 may come at any time (RFC 959 4.2): the server closes the control connection.
    if (reply.code == 421 && step_ != Step::greeting) {
        finish(FtpClientFailure::closed, "the server is closing the connection: " + said(reply));
        return;
    }
    if (preliminary(reply) && step_ != Step::transfer) {
        return;
    }
    switch (step_) {
        case Step::greeting:
            return on_greeting(reply);
        case Step::auth:
            return on_auth(reply);
        case Step::pbsz:
        case Step::prot:
            return on_protection(reply);
        case Step::user:
        case Step::pass:
            return on_login(reply);
        case Step::type:
            return on_type(reply);
        case Step::size:
            return on_size(reply);
        case Step::epsv:
            return on_epsv(reply);
        case Step::pasv:
            return on_pasv(reply);
        case Step::eprt:
            return on_eprt(reply);
        case Step::port:
            return on_port(reply);
        case Step::rest:
            return on_rest(reply);
        case Step::transfer:
            return on_transfer(reply);
        case Step::moving:
            final_ = reply;
            if (data_done_) {
                conclude_transfer();
            }
            return;
        case Step::action:
            return on_action(reply);
        case Step::quit:
        case Step::connect:
        case Step::listen:
        case Step::handshake:
        case Step::done:
            return;
    }
}

// --- the dialogue --------------------------------------------------------------------------

void FtpClientSession::on_greeting(const FtpReply& reply) {
    if (reply.code != 220) {
        finish(FtpClientFailure::refused, "the server refused the connection: " + said(reply));
        return;
    }
    if (config_.tls) {
        send("AUTH TLS");
        step_ = Step::auth;
        return;
    }
    send(command("USER", config_.user));
    step_ = Step::user;
}

void FtpClientSession::on_auth(const FtpReply& reply) {
    if (reply.code != 234) {
        finish(FtpClientFailure::tls, "the server does not offer TLS: AUTH TLS " + said(reply),
               true);
        return;
    }
    // Anything the server sent behind its 234 came in clear: it must not pass for a reply
    // that came through TLS.
    parser_ = FtpReplyParser(config_.limits);
    step_ = Step::handshake;
    events_.push_back(FtpClientStartTls{});
}

void FtpClientSession::on_protection(const FtpReply& reply) {
    if (!reply.positive_completion()) {
        finish(FtpClientFailure::tls, last_command_ + " was refused: " + said(reply), true);
        return;
    }
    if (step_ == Step::pbsz) {
        send("PROT P");
        step_ = Step::prot;
        return;
    }
    data_protected_ = true;
    logged_in();
}

void FtpClientSession::on_login(const FtpReply& reply) {
    if (reply.code == 230 || (step_ == Step::pass && reply.code == 202)) {
        logged_in();
        return;
    }
    if (step_ == Step::user && reply.code == 331) {
        send(command("PASS", config_.password), "PASS <credentials hidden>");
        step_ = Step::pass;
        return;
    }
    if (reply.code == 332) {
        finish(
            FtpClientFailure::login,
            "the server wants an account (ACCT) as well, which l7 does not support: " + said(reply),
            true);
        return;
    }
    finish(FtpClientFailure::login, "the log-in was refused: " + said(reply), true);
}

void FtpClientSession::logged_in() {
    if (config_.tls && !data_protected_) {
        // RFC 4217 9: PBSZ 0 first (TLS frames the data itself), then the level.
        send("PBSZ 0");
        step_ = Step::pbsz;
        return;
    }
    switch (config_.operation) {
        case FtpOperation::mkdir:
            send(command("MKD", config_.path));
            step_ = Step::action;
            return;
        case FtpOperation::remove:
            send(command(config_.remove_directory ? "RMD" : "DELE", config_.path));
            step_ = Step::action;
            return;
        case FtpOperation::list:
            // Listings are text (RFC 959 4.1.3: sent as ASCII); TYPE A makes that explicit.
            send("TYPE A");
            break;
        case FtpOperation::get:
        case FtpOperation::put:
            send(config_.ascii ? "TYPE A" : "TYPE I");
            break;
    }
    step_ = Step::type;
}

void FtpClientSession::on_type(const FtpReply& reply) {
    if (!reply.positive_completion()) {
        refused(reply, FtpClientFailure::server, last_command_);
        return;
    }
    const bool get_size = config_.operation == FtpOperation::get && !config_.ascii;
    const bool put_size = config_.operation == FtpOperation::put && config_.resume;
    if (get_size || put_size) {
        // SIZE counts octets of the current TYPE; in TYPE I that is the file's size.
        send(command("SIZE", config_.path));
        step_ = Step::size;
        return;
    }
    if (config_.operation == FtpOperation::get && config_.resume) {
        offset_ = config_.local_size;
    }
    open_data();
}

void FtpClientSession::on_size(const FtpReply& reply) {
    const bool get = config_.operation == FtpOperation::get;
    std::optional<std::uint64_t> size;
    if (reply.code == 213) {
        size = parse_size(reply.text());
        if (!size) {
            finish(FtpClientFailure::protocol, "the SIZE reply holds no size: " + said(reply),
                   true);
            return;
        }
        remote_size_ = size;
        done_.remote_size = size;
    } else if (!get && reply.code != 550) {
        // 550: no such file yet, so the upload starts at 0. Anything else leaves no offset.
        finish(FtpClientFailure::server,
               "--continue needs the server's file size, but SIZE was refused: " + said(reply),
               true);
        return;
    }
    if (!config_.resume) {
        open_data();
        return;
    }
    // get: the local file has local_size bytes; put: the server's file has `size` bytes.
    if (size) {
        const std::uint64_t have = get ? config_.local_size : *size;
        const std::uint64_t whole = get ? *size : config_.local_size;
        if (have == whole) {
            trace_.record(trace::Direction::note, "already complete: nothing to transfer");
            done_.already_complete = true;
            quit();
            return;
        }
        if (have > whole) {
            finish(FtpClientFailure::local,
                   std::string(get ? "the local file" : "the server's file") + " is larger (" +
                       std::to_string(have) + " bytes) than " +
                       (get ? "the server's (" : "the local one (") + std::to_string(whole) +
                       " bytes), so there is nothing to resume",
                   true);
            return;
        }
    }
    offset_ = get ? config_.local_size : size.value_or(0);
    open_data();
}

void FtpClientSession::open_data() {
    if (config_.active) {
        events_.push_back(FtpClientListen{});
        step_ = Step::listen;
        return;
    }
    send(pasv_only_ ? "PASV" : "EPSV");
    step_ = pasv_only_ ? Step::pasv : Step::epsv;
}

void FtpClientSession::on_epsv(const FtpReply& reply) {
    if (not_understood(reply.code)) {
        // RFC 2428 3 lets a client fall back; this server is PASV-only for the session.
        trace_.record(trace::Direction::note, "EPSV not understood: PASV from now on");
        pasv_only_ = true;
        send("PASV");
        step_ = Step::pasv;
        return;
    }
    if (reply.code != 229) {
        refused(reply, FtpClientFailure::data, "EPSV");
        return;
    }
    const auto port = parse_epsv_text(reply.text());
    if (!port) {
        finish(FtpClientFailure::protocol, "the EPSV reply holds no port: " + said(reply), true);
        return;
    }
    events_.push_back(FtpClientConnect{*port});
    step_ = Step::connect;
}

void FtpClientSession::on_pasv(const FtpReply& reply) {
    if (reply.code != 227) {
        refused(reply, FtpClientFailure::data, "PASV");
        return;
    }
    const auto hp = parse_pasv_text(reply.text());
    if (!hp) {
        finish(FtpClientFailure::protocol, "the PASV reply holds no address: " + said(reply), true);
        return;
    }
    // Only the port is used: the data connection goes to the control connection's peer, as
    // curl (--ftp-skip-pasv-ip) and most clients do. A server behind NAT often names its
    // private address in the 227, and a server must not be able to send the client to a
    // third host either (RFC 2577 3, "bounce" attacks).
    trace_.record(trace::Direction::note, "227 names " + hp->address +
                                              "; the data connection goes to the control "
                                              "connection's peer, port " +
                                              std::to_string(hp->port));
    events_.push_back(FtpClientConnect{hp->port});
    step_ = Step::connect;
}

void FtpClientSession::send_eprt_or_port() {
    if (!eprt_refused_) {
        send("EPRT " + format_eprt_argument(local_));
        step_ = Step::eprt;
        return;
    }
    const auto six = format_port_argument(local_);
    if (!six) {
        finish(FtpClientFailure::data,
               "the server does not understand EPRT, and PORT cannot carry the IPv6 address " +
                   local_.address,
               true);
        return;
    }
    send("PORT " + *six);
    step_ = Step::port;
}

void FtpClientSession::on_eprt(const FtpReply& reply) {
    if (reply.positive_completion()) {
        data_ready();
        return;
    }
    // 522: the address family is not supported (RFC 2428 2); PORT may still do for IPv4.
    if (not_understood(reply.code) || reply.code == 522) {
        trace_.record(trace::Direction::note, "EPRT not accepted: PORT from now on");
        eprt_refused_ = true;
        send_eprt_or_port();
        return;
    }
    refused(reply, FtpClientFailure::data, "EPRT");
}

void FtpClientSession::on_port(const FtpReply& reply) {
    if (reply.positive_completion()) {
        data_ready();
        return;
    }
    refused(reply, FtpClientFailure::data, "PORT");
}

// The data connection is arranged: REST if the transfer resumes with it, then the command.
void FtpClientSession::data_ready() {
    const bool appends = config_.operation == FtpOperation::put && !appe_refused_;
    if (offset_ > 0 && !appends) {
        send("REST " + std::to_string(offset_));
        step_ = Step::rest;
        return;
    }
    send_transfer_command();
}

void FtpClientSession::on_rest(const FtpReply& reply) {
    if (reply.code != 350) {
        finish(FtpClientFailure::server,
               "the server cannot resume at byte " + std::to_string(offset_) +
                   ", REST was refused: " + said(reply),
               true);
        return;
    }
    send_transfer_command();
}

std::string FtpClientSession::transfer_verb() const {
    switch (config_.operation) {
        case FtpOperation::list:
            return config_.listing == FtpListing::names     ? "NLST"
                   : config_.listing == FtpListing::machine ? "MLSD"
                                                            : "LIST";
        case FtpOperation::get:
            return "RETR";
        case FtpOperation::put:
            // APPE from the server's size; after REST (APPE not implemented), STOR.
            return offset_ > 0 && !appe_refused_ ? "APPE" : "STOR";
        case FtpOperation::mkdir:
        case FtpOperation::remove:
            break;
    }
    return {};
}

void FtpClientSession::send_transfer_command() {
    send(command(transfer_verb(), config_.path));
    step_ = Step::transfer;
}

void FtpClientSession::on_transfer(const FtpReply& reply) {
    if (reply.positive_preliminary() && reply.code != 125 && reply.code != 150) {
        return;  // counted by preliminary()
    }
    if (reply.positive_preliminary() || reply.positive_completion()) {
        // 150/125: the data comes (RFC 959 5.4). A 2xx without one is taken as the end of
        // a transfer whose data connection the driver still has to drain.
        FtpClientTransfer transfer;
        transfer.direction = config_.operation == FtpOperation::put ? FtpClientDirection::upload
                                                                    : FtpClientDirection::download;
        transfer.ascii = config_.operation == FtpOperation::list || config_.ascii;
        transfer.offset = offset_;
        transfer.protect = data_protected_;
        transfer.total = config_.operation == FtpOperation::put ? std::optional(config_.local_size)
                                                                : remote_size_;
        events_.push_back(transfer);
        step_ = Step::moving;
        preliminaries_ = 0;
        if (reply.positive_completion()) {
            final_ = reply;
        }
        return;
    }
    const std::string verb = transfer_verb();
    if (verb == "APPE" && (reply.code == 500 || reply.code == 502)) {
        trace_.record(trace::Direction::note, "APPE not implemented: REST and STOR instead");
        appe_refused_ = true;
        data_ready();
        return;
    }
    if (verb == "MLSD" && (reply.code == 500 || reply.code == 502)) {
        finish(FtpClientFailure::server,
               "the server does not implement MLSD (RFC 3659): " + said(reply), true);
        return;
    }
    const bool data = reply.code == 425 || reply.code == 426;
    finish(data ? FtpClientFailure::data : FtpClientFailure::server,
           last_command_ + " failed: " + std::string(meaning(reply.code)) + ": " + said(reply),
           true);
}

void FtpClientSession::conclude_transfer() {
    const FtpReply& reply = *final_;
    if (!reply.positive_completion()) {
        const bool data = reply.code == 425 || reply.code == 426;
        finish(data ? FtpClientFailure::data : FtpClientFailure::server,
               last_command_ + " failed: " + std::string(meaning(reply.code)) + ": " + said(reply),
               true);
        return;
    }
    if (!data_problem_.empty()) {
        finish(FtpClientFailure::data, last_command_ + ": " + data_problem_, true);
        return;
    }
    const bool binary_get = config_.operation == FtpOperation::get && !config_.ascii;
    if (binary_get && remote_size_ && offset_ + done_.transferred != *remote_size_) {
        // The server said 226 but the bytes do not add up to SIZE: a cut connection looks
        // like the end of the file in stream mode (RFC 959 3.4.1).
        finish(FtpClientFailure::data,
               last_command_ + " ended after " + std::to_string(offset_ + done_.transferred) +
                   " of " + std::to_string(*remote_size_) + " bytes",
               true);
        return;
    }
    done_.transfer_done = true;
    quit();
}

void FtpClientSession::on_action(const FtpReply& reply) {
    if (!reply.positive_completion()) {
        finish(FtpClientFailure::server,
               last_command_ + " failed: " + std::string(meaning(reply.code)) + ": " + said(reply),
               true);
        return;
    }
    quit();
}

// --- sending and ending --------------------------------------------------------------------

// Arguments travel on one Telnet line: CR, LF and NUL would break it (they become spaces; the
// URL parser already refuses them), and 0xFF is Telnet's IAC, doubled (RFC 2640 3.1).
std::string FtpClientSession::command(std::string_view verb, std::string_view argument) const {
    std::string line(verb);
    if (argument.empty()) {
        return line;
    }
    line += ' ';
    for (char c : argument) {
        if (c == '\r' || c == '\n' || c == '\0') {
            line += ' ';
            continue;
        }
        line += c;
        if (static_cast<unsigned char>(c) == 0xff) {
            line += c;
        }
    }
    return line;
}

void FtpClientSession::send(const std::string& line, std::string_view traced) {
    last_command_ = traced.empty() ? line : std::string(traced);
    preliminaries_ = 0;
    trace_.record(trace::Direction::to_server, last_command_);
    std::string bytes = line + "\r\n";
    if (!events_.empty()) {
        if (auto* last = std::get_if<FtpClientSend>(&events_.back())) {
            last->bytes += bytes;
            return;
        }
    }
    events_.push_back(FtpClientSend{std::move(bytes)});
}

void FtpClientSession::refused(const FtpReply& reply, FtpClientFailure failure, std::string what) {
    finish(failure, what + " was refused: " + said(reply), true);
}

void FtpClientSession::quit() {
    send("QUIT");
    step_ = Step::quit;
}

void FtpClientSession::finish(FtpClientFailure failure, std::string problem, bool say_quit) {
    if (say_quit) {
        send("QUIT");  // the server may clean up at once; its answer is not awaited
    }
    done_.failure = failure;
    done_.problem = std::move(problem);
    step_ = Step::done;
    events_.push_back(done_);
}

}  // namespace l7::ftp
