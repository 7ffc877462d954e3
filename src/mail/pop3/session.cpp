#include "mail/pop3/session.hpp"

#include <algorithm>
#include <utility>

namespace l7::mail {
namespace {

using trace::Direction;

constexpr std::size_t kFlushThreshold = 16 * 1024;  // responses held before a send regardless
constexpr std::size_t kMaxTracedLines = 20;         // of a LIST or UIDL listing
constexpr std::string_view kHidden = "<credentials hidden>";

// A UIDL line is "n uid": a uid with a space or control in it would break the listing, so
// such octets (which the driver promises not to send) become '?'.
std::string safe_uid(std::string_view uid) {
    std::string out(uid);
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x21 || u > 0x7e) {
            c = '?';
        }
    }
    return out.empty() ? std::string("?") : out;
}

}  // namespace

Pop3ServerSession::Pop3ServerSession(Pop3ServerConfig config) : config_(std::move(config)) {
    auto& limits = config_.limits;
    limits.max_buffered_input = std::max(limits.max_buffered_input, kPop3MaxSaslLine);
    limits.max_errors = std::max<std::size_t>(limits.max_errors, 1);
    limits.max_login_failures = std::max<std::size_t>(limits.max_login_failures, 1);
    config_.hostname = without_controls(config_.hostname);
}

void Pop3ServerSession::start() {
    if (phase_ != Phase::not_started) {
        return;
    }
    phase_ = Phase::command;
    ok(config_.hostname + " POP3 server ready");
}

void Pop3ServerSession::receive(std::string_view bytes) {
    if (phase_ == Phase::closed || eof_) {
        return;
    }
    if (bytes.empty()) {
        eof_ = true;
        return;
    }
    if (in_pos_ > 0 && (in_pos_ == in_.size() || in_pos_ > 4096)) {
        in_.erase(0, in_pos_);
        in_pos_ = 0;
    }
    if (in_.size() - in_pos_ + bytes.size() > config_.limits.max_buffered_input) {
        trace_.record(Direction::note, "client sent more than the input buffer holds");
        out_ += "-ERR too much pipelined input, closing\r\n";
        trace_.record(Direction::to_client, "-ERR too much pipelined input, closing");
        close_session();
        return;
    }
    in_.append(bytes);
}

std::size_t Pop3ServerSession::input_room() const {
    if (phase_ == Phase::closed || eof_) {
        return 0;
    }
    const std::size_t held = in_.size() - in_pos_;
    const std::size_t limit = config_.limits.max_buffered_input;
    return held >= limit ? 0 : limit - held;
}

Pop3WaitingFor Pop3ServerSession::waiting_for() const {
    switch (phase_) {
        case Phase::command:
        case Phase::sasl:
            return Pop3WaitingFor::command;
        case Phase::not_started:
        case Phase::waiting:
            return Pop3WaitingFor::driver;
        case Phase::closed:
            break;
    }
    return Pop3WaitingFor::nothing;
}

std::optional<Pop3Event> Pop3ServerSession::next_event() {
    if (events_.empty()) {
        advance();
    }
    if (events_.empty()) {
        return std::nullopt;
    }
    Pop3Event ev = std::move(events_.front());
    events_.pop_front();
    return ev;
}

void Pop3ServerSession::flush() {
    if (!out_.empty()) {
        events_.push_back(Pop3Send{std::move(out_)});
        out_.clear();
    }
}

// Works through the input until there is an event for the driver: a question, a batch of
// responses once the input runs out, or the close.
void Pop3ServerSession::advance() {
    while (events_.empty()) {
        switch (phase_) {
            case Phase::not_started:
            case Phase::waiting:
                return;  // responses wait too: they go out in order, after the answer's
            case Phase::closed:
                if (!close_queued_) {
                    flush();
                    events_.push_back(Pop3Close{});
                    close_queued_ = true;
                }
                return;
            case Phase::command:
            case Phase::sasl:
                break;
        }
        std::string_view line;
        const LineStatus status = next_line(line);
        if (status == LineStatus::need_more) {
            if (eof_) {
                // RFC 1939 6: a session that ends without QUIT does not enter UPDATE.
                trace_.record(Direction::note, "client closed the connection");
                close_session();
                continue;
            }
            flush();
            return;
        }
        if (status == LineStatus::too_long) {
            trace_.record(Direction::to_server, "(a line over the length limit)");
            if (phase_ == Phase::sasl) {
                sasl_.reset();  // the AUTH command fails
                phase_ = Phase::command;
            }
            error("line too long");
        } else if (phase_ == Phase::sasl) {
            handle_sasl_line(line);
        } else {
            handle_command_line(line);
        }
        if (out_.size() >= kFlushThreshold) {
            flush();
        }
    }
}

// A line ends at LF, a CR before it removed (a bare LF is harmless in commands). A line over
// the limit is reported once, as soon as it is known to be too long, and the rest of it is
// skipped as it arrives.
Pop3ServerSession::LineStatus Pop3ServerSession::next_line(std::string_view& line) {
    const std::size_t limit = phase_ == Phase::sasl ? kPop3MaxSaslLine : kPop3MaxCommandLine;
    const LineStatus status = lines_.next(in_, in_pos_, limit, line);
    return status == LineStatus::line && line.size() + 2 > limit ? LineStatus::too_long : status;
}

void Pop3ServerSession::handle_command_line(std::string_view line) {
    const auto verb = pop3_verb_of(line);
    const std::size_t after_mechanism = line.find(' ', 5);
    // Hidden even when refused: "PASSsecret" is a typo with a password in it.
    if (verb == Pop3Verb::pass || pop3_verb_of(line.substr(0, 4)) == Pop3Verb::pass) {
        trace_.record(Direction::to_server, "PASS " + std::string(kHidden));
    } else if (verb == Pop3Verb::auth &&
               line.find_first_not_of(' ', after_mechanism) != std::string_view::npos) {
        // "AUTH PLAIN <initial response>": the mechanism is shown, the credentials are not.
        trace_.record(Direction::to_server,
                      std::string(line.substr(0, after_mechanism)) + " " + std::string(kHidden));
    } else {
        trace_.record(Direction::to_server, trace::preview(line, kPop3MaxCommandLine));
    }
    auto cmd = parse_pop3_command(line);
    if (!cmd) {
        user_command_.reset();
        error(cmd.error().message);
        return;
    }
    if (cmd->verb == Pop3Verb::capa) {
        user_command_.reset();
        handle_capa();
    } else if (in_transaction_) {
        handle_transaction(*cmd);
    } else {
        handle_authorization(*cmd);
    }
}

void Pop3ServerSession::handle_authorization(const Pop3Command& cmd) {
    // RFC 1939 7: PASS only immediately after a successful USER.
    std::optional<std::string> user = std::move(user_command_);
    user_command_.reset();
    switch (cmd.verb) {
        case Pop3Verb::user:
            user_command_ = cmd.arguments[0];
            // The same answer whether the user exists or not: names are not to be probed.
            ok("send PASS");
            return;
        case Pop3Verb::pass:
            if (!user) {
                error("send USER first");
                return;
            }
            ask_credentials(std::move(*user), cmd.arguments[0]);
            return;
        case Pop3Verb::auth:
            handle_auth(cmd);
            return;
        case Pop3Verb::apop:
            error("APOP not supported");
            return;
        case Pop3Verb::stls:
            error("STLS not available");  // not offered in CAPA: no TLS yet
            return;
        case Pop3Verb::quit:
            ok(config_.hostname + " POP3 server signing off");
            close_session();
            return;
        default:
            error("command not valid before login");
            return;
    }
}

void Pop3ServerSession::handle_transaction(const Pop3Command& cmd) {
    switch (cmd.verb) {
        case Pop3Verb::stat:
            ok(std::to_string(live_count()) + " " + std::to_string(live_size()));
            return;
        case Pop3Verb::list:
            handle_list(cmd, false);
            return;
        case Pop3Verb::uidl:
            handle_list(cmd, true);
            return;
        case Pop3Verb::retr:
            handle_read(cmd, false);
            return;
        case Pop3Verb::top:
            handle_read(cmd, true);
            return;
        case Pop3Verb::dele:
            handle_dele(cmd);
            return;
        case Pop3Verb::noop:
            ok("");
            return;
        case Pop3Verb::rset:
            std::fill(deleted_.begin(), deleted_.end(), false);
            ok("maildrop has " + std::to_string(live_count()) + " messages (" +
               std::to_string(live_size()) + " octets)");
            return;
        case Pop3Verb::quit: {
            Pop3Commit commit;
            for (std::size_t i = 0; i < deleted_.size(); ++i) {
                if (deleted_[i]) {
                    commit.deleted.push_back(i);
                }
            }
            trace_.record(Direction::note, "UPDATE: " + std::to_string(commit.deleted.size()) +
                                               " message(s) to remove");
            events_.push_back(std::move(commit));
            phase_ = Phase::waiting;
            question_ = Question::commit;
            return;
        }
        default:
            error("command not valid after login");
            return;
    }
}

void Pop3ServerSession::handle_capa() {
    // RFC 2449 5: the USER and SASL capabilities are for AUTHORIZATION only.
    std::vector<std::string> caps;
    if (!in_transaction_) {
        caps.emplace_back("USER");
    }
    caps.emplace_back("UIDL");
    caps.emplace_back("TOP");
    caps.emplace_back("PIPELINING");
    caps.emplace_back("RESP-CODES");
    caps.emplace_back("AUTH-RESP-CODE");
    if (!in_transaction_ && config_.sasl_plain) {
        caps.emplace_back("SASL PLAIN");
    }
    caps.emplace_back("IMPLEMENTATION l7");
    multi_line("+OK capability list follows", caps);
}

void Pop3ServerSession::handle_auth(const Pop3Command& cmd) {
    if (!config_.sasl_plain) {
        error("AUTH not available");
        return;
    }
    if (cmd.arguments.empty()) {
        // Not in RFC 5034, but what Outlook and others send to learn the mechanisms.
        multi_line("+OK mechanisms follow", {"PLAIN"});
        return;
    }
    const auto mechanism = parse_sasl_mechanism(cmd.arguments[0]);
    if (mechanism != SaslMechanism::plain) {
        error("unsupported authentication mechanism");
        return;
    }
    sasl_.emplace(SaslMechanism::plain);
    std::optional<std::string_view> initial;
    if (cmd.arguments.size() > 1) {
        initial = cmd.arguments[1];
    }
    handle_sasl_step(sasl_->start(initial));
}

void Pop3ServerSession::handle_sasl_line(std::string_view line) {
    trace_.record(Direction::to_server, line == "*" ? std::string_view("*") : kHidden);
    handle_sasl_step(sasl_->step(line));
}

void Pop3ServerSession::handle_sasl_step(SaslStep step) {
    if (auto* challenge = std::get_if<SaslChallenge>(&step)) {
        // RFC 5034 4: "+" SP base64; an empty challenge is "+ ".
        out_ += "+ " + challenge->base64 + "\r\n";
        trace_.record(Direction::to_client, "+ " + challenge->base64);
        phase_ = Phase::sasl;
        return;
    }
    sasl_.reset();
    phase_ = Phase::command;
    if (auto* creds = std::get_if<SaslCredentials>(&step)) {
        ask_credentials(std::move(creds->user), std::move(creds->password));
        return;
    }
    switch (std::get<SaslFailure>(step)) {
        case SaslFailure::cancelled:
            error("authentication cancelled");
            return;
        case SaslFailure::bad_base64:
        case SaslFailure::malformed:
            error("malformed authentication data");
            return;
        case SaslFailure::authorization_refused:
            login_failed("[AUTH] not authorized to act as that user");
            return;
    }
}

void Pop3ServerSession::ask_credentials(std::string user, std::string password) {
    candidate_ = user;
    events_.push_back(Pop3CheckCredentials{std::move(user), std::move(password)});
    phase_ = Phase::waiting;
    question_ = Question::credentials;
}

void Pop3ServerSession::handle_list(const Pop3Command& cmd, bool uidl) {
    const auto line_for = [&](std::size_t i) {
        return std::to_string(i + 1) + " " +
               (uidl ? safe_uid(messages_[i].uid) : std::to_string(messages_[i].size));
    };
    if (!cmd.arguments.empty()) {
        if (const auto n = live_message(cmd.arguments[0])) {
            ok(line_for(*n));
        }
        return;
    }
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < messages_.size(); ++i) {
        if (!deleted_[i]) {
            lines.push_back(line_for(i));
        }
    }
    multi_line(uidl ? "+OK unique-id listing follows"
                    : "+OK " + std::to_string(live_count()) + " messages (" +
                          std::to_string(live_size()) + " octets)",
               lines);
}

void Pop3ServerSession::handle_read(const Pop3Command& cmd, bool top) {
    std::optional<std::size_t> lines;
    if (top) {
        lines = parse_pop3_line_count(cmd.arguments[1]);
        if (!lines) {
            error("syntax: TOP message lines");
            return;
        }
    }
    const auto n = live_message(cmd.arguments[0]);
    if (!n) {
        return;
    }
    reading_ = *n;
    top_lines_ = lines;
    events_.push_back(Pop3ReadMessage{*n});
    phase_ = Phase::waiting;
    question_ = Question::message;
}

void Pop3ServerSession::handle_dele(const Pop3Command& cmd) {
    if (const auto n = live_message(cmd.arguments[0])) {
        deleted_[*n] = true;
        ok("message " + std::to_string(*n + 1) + " deleted");
    }
}

std::optional<std::size_t> Pop3ServerSession::live_message(std::string_view text) {
    const auto number = parse_pop3_message_number(text);
    if (!number || *number > messages_.size()) {
        error("no such message");
        return std::nullopt;
    }
    if (deleted_[*number - 1]) {
        error("message " + std::to_string(*number) + " already deleted");
        return std::nullopt;
    }
    return *number - 1;
}

bool Pop3ServerSession::credentials_result(Pop3CredentialsVerdict verdict) {
    if (phase_ != Phase::waiting || question_ != Question::credentials) {
        return false;
    }
    phase_ = Phase::command;
    question_ = Question::none;
    switch (verdict) {
        case Pop3CredentialsVerdict::accept:
            events_.push_back(Pop3OpenMailbox{candidate_});
            phase_ = Phase::waiting;
            question_ = Question::mailbox;
            return true;
        case Pop3CredentialsVerdict::reject:
            login_failed("[AUTH] invalid user name or password");
            break;
        case Pop3CredentialsVerdict::temporary_failure:
            temporary_failure("[SYS/TEMP] cannot check credentials now, try again later");
            break;
    }
    candidate_.clear();
    return true;
}

bool Pop3ServerSession::mailbox_result(std::optional<std::vector<Pop3MessageInfo>> messages) {
    if (phase_ != Phase::waiting || question_ != Question::mailbox) {
        return false;
    }
    phase_ = Phase::command;
    question_ = Question::none;
    if (!messages) {
        // RFC 1939 7 PASS: the server may refuse a locked maildrop; RFC 2449 8.1.1 [IN-USE].
        temporary_failure("[IN-USE] mailbox locked or unavailable");
        candidate_.clear();
        return true;
    }
    messages_ = std::move(*messages);
    deleted_.assign(messages_.size(), false);
    user_ = std::move(candidate_);
    candidate_.clear();
    in_transaction_ = true;
    trace_.record(Direction::note, "TRANSACTION for " + trace::preview(user_, 100));
    ok("maildrop has " + std::to_string(live_count()) + " messages (" +
       std::to_string(live_size()) + " octets)");
    return true;
}

bool Pop3ServerSession::message_result(std::optional<std::string> bytes) {
    if (phase_ != Phase::waiting || question_ != Question::message) {
        return false;
    }
    phase_ = Phase::command;
    question_ = Question::none;
    if (!bytes) {
        temporary_failure("[SYS/TEMP] cannot read message " + std::to_string(reading_ + 1));
        return true;
    }
    send_message(*bytes);
    return true;
}

bool Pop3ServerSession::commit_result(bool committed) {
    if (phase_ != Phase::waiting || question_ != Question::commit) {
        return false;
    }
    question_ = Question::none;
    if (committed) {
        const std::size_t left = live_count();
        ok(config_.hostname + " POP3 server signing off (" +
           (left == 0 ? std::string("maildrop empty") : std::to_string(left) + " messages left") +
           ")");
    } else {
        // RFC 1939 6: QUIT in UPDATE answers -ERR when some deletions failed.
        out_ += "-ERR [SYS/TEMP] some deleted messages not removed\r\n";
        trace_.record(Direction::to_client, "-ERR [SYS/TEMP] some deleted messages not removed");
    }
    close_session();
    return true;
}

// The message as a multi-line response (RFC 1939 3): CRLF line ends, byte-stuffed, ending
// in CRLF "." CRLF. TOP (RFC 1939 7) sends the header, the blank line, and top_lines_ lines
// of the body; a message without a blank line is all header.
void Pop3ServerSession::send_message(std::string_view bytes) {
    const std::string first = top_lines_
                                  ? "+OK top of message follows"
                                  : "+OK " + std::to_string(messages_[reading_].size) + " octets";
    out_.reserve(out_.size() + bytes.size() + bytes.size() / 32 + 64);
    out_ += first + "\r\n";
    trace_.record(Direction::to_client, first);
    bool in_body = false;
    std::size_t body_lines = 0;
    std::size_t lines = 0;
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        const std::size_t lf = bytes.find('\n', pos);
        const std::size_t end = lf == std::string_view::npos ? bytes.size() : lf;
        std::string_view line = bytes.substr(pos, end - pos);
        pos = lf == std::string_view::npos ? bytes.size() : lf + 1;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (top_lines_) {
            if (in_body) {
                if (body_lines == *top_lines_) {
                    break;
                }
                ++body_lines;
            } else if (line.empty()) {
                in_body = true;
            }
        }
        const std::size_t start = out_.size();
        if (line.starts_with('.')) {
            out_ += '.';
        }
        out_ += line;
        if (lines == 0) {
            trace_.record(Direction::to_client, std::string_view(out_).substr(start));
        }
        out_ += "\r\n";
        ++lines;
    }
    out_ += ".\r\n";
    if (lines > 1) {
        trace_.record(Direction::to_client, "... (" + std::to_string(lines - 1) + " more lines)");
    }
    trace_.record(Direction::to_client, ".");
}

void Pop3ServerSession::ok(std::string_view text) {
    std::string line = text.empty() ? std::string("+OK") : "+OK " + std::string(text);
    out_ += line + "\r\n";
    trace_.record(Direction::to_client, line);
}

void Pop3ServerSession::multi_line(std::string_view first, const std::vector<std::string>& lines) {
    out_ += first;
    out_ += "\r\n";
    trace_.record(Direction::to_client, first);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].starts_with('.')) {
            out_ += '.';
        }
        out_ += lines[i];
        out_ += "\r\n";
        if (i < kMaxTracedLines) {
            trace_.record(Direction::to_client, lines[i]);
        }
    }
    out_ += ".\r\n";
    if (lines.size() > kMaxTracedLines) {
        trace_.record(Direction::to_client,
                      "... (" + std::to_string(lines.size() - kMaxTracedLines) + " more lines)");
    }
    trace_.record(Direction::to_client, ".");
}

void Pop3ServerSession::error(std::string_view text) {
    if (++errors_ >= config_.limits.max_errors) {
        const std::string line = "-ERR " + std::string(text) + "; too many errors, closing";
        out_ += line + "\r\n";
        trace_.record(Direction::to_client, line);
        close_session();
        return;
    }
    temporary_failure(text);
}

void Pop3ServerSession::temporary_failure(std::string_view text) {
    const std::string line = "-ERR " + std::string(text);
    out_ += line + "\r\n";
    trace_.record(Direction::to_client, line);
}

void Pop3ServerSession::login_failed(std::string_view text) {
    if (++login_failures_ >= config_.limits.max_login_failures) {
        const std::string line = "-ERR " + std::string(text) + "; too many failures, closing";
        out_ += line + "\r\n";
        trace_.record(Direction::to_client, line);
        close_session();
        return;
    }
    temporary_failure(text);
}

void Pop3ServerSession::close_session() {
    phase_ = Phase::closed;
    question_ = Question::none;
    sasl_.reset();
    in_.clear();
    in_.shrink_to_fit();
    in_pos_ = 0;
    lines_.reset();
}

std::size_t Pop3ServerSession::live_count() const {
    return static_cast<std::size_t>(std::count(deleted_.begin(), deleted_.end(), false));
}

std::uint64_t Pop3ServerSession::live_size() const {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < messages_.size(); ++i) {
        if (!deleted_[i]) {
            total += messages_[i].size;
        }
    }
    return total;
}

}  // namespace l7::mail
