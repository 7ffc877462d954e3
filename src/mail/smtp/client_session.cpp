#include "mail/smtp/client_session.hpp"

#include <algorithm>
#include <utility>

#include "core/base64.hpp"
#include "mail/smtp/command.hpp"

namespace l7::mail {
namespace {

using trace::Direction;

constexpr std::size_t kMaxTracedDataLines = 100;  // per message, like the server's trace
constexpr std::size_t kMaxTracedLine = 200;       // octets of one traced data line
constexpr std::size_t kMaxTracedReplyLine = 512;
constexpr std::size_t kMinReplyLine = 512;  // RFC 5321 4.5.3.1.5
constexpr std::size_t kMinDataChunk = 512;
constexpr std::string_view kHidden = "<credentials hidden>";

// RFC 3463 codes of the session's own conclusions.
constexpr EnhancedStatus kBadConnection{4, 4, 2};
constexpr EnhancedStatus kProtocolError{4, 5, 0};

char upper(char c) {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) { return upper(c); });
    return out;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// "4.2.1" leading `text` (then a space or the end), of the reply code's class: its length,
// or 0 when there is none (RFC 3463 section 2: subject and detail 1 to 3 digits).
std::size_t enhanced_status_length(std::string_view text, unsigned code, EnhancedStatus& out) {
    const unsigned klass = code / 100;
    if (klass != 2 && klass != 4 && klass != 5) {
        return 0;
    }
    if (text.size() < 5 || text[0] != static_cast<char>('0' + klass) || text[1] != '.') {
        return 0;
    }
    std::size_t i = 2;
    unsigned parts[2] = {0, 0};
    for (unsigned& part : parts) {
        const std::size_t start = i;
        while (i < text.size() && is_digit(text[i]) && i - start < 3) {
            part = part * 10 + static_cast<unsigned>(text[i] - '0');
            ++i;
        }
        if (i == start) {
            return 0;
        }
        if (&part == &parts[0]) {
            if (i >= text.size() || text[i] != '.') {
                return 0;
            }
            ++i;
        }
    }
    if (i < text.size() && text[i] != ' ') {
        return 0;
    }
    out = EnhancedStatus{klass, parts[0], parts[1]};
    return i;
}

// Takes the first line's enhanced status code off every line that starts with it.
void take_enhanced_status(SmtpReply& reply) {
    EnhancedStatus status;
    const std::size_t length =
        reply.lines.empty() ? 0 : enhanced_status_length(reply.lines[0], reply.code, status);
    if (length == 0) {
        return;
    }
    reply.status = status;
    const std::string prefix = reply.lines[0].substr(0, length);
    for (std::string& line : reply.lines) {
        if (line.starts_with(prefix) && (line.size() == length || line[length] == ' ')) {
            line.erase(0, std::min(line.size(), length + 1));
        }
    }
}

SmtpOutcomeKind failure_kind(unsigned code) {
    return code >= 500 ? SmtpOutcomeKind::permanent_failure : SmtpOutcomeKind::temporary_failure;
}

// The server's reply as the outcome of a step.
SmtpOutcome server_said(const SmtpReply& reply, SmtpStage stage) {
    return SmtpOutcome{failure_kind(reply.code), reply, stage, false};
}

// The session's own conclusion, phrased as a reply.
SmtpOutcome concluded(unsigned code, EnhancedStatus status, std::string text, SmtpStage stage) {
    return SmtpOutcome{failure_kind(code), smtp_reply(code, status, std::move(text)), stage, true};
}

unsigned reply_class(const SmtpReply& reply) {
    return reply.code / 100;
}

// A mailbox we can put between "<" and ">" on a command line: no line breaks or other
// controls (a command cannot be smuggled in), no brackets, no longer than a path may be.
bool sendable_address(std::string_view address) {
    if (address.size() + 2 > kSmtpMaxPath) {
        return false;
    }
    return std::none_of(address.begin(), address.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f || c == '<' || c == '>';
    });
}

// The message's size as SIZE= counts it (RFC 1870 section 4): the octets on the wire with
// every line ending in CRLF (bare CR and LF become CRLF), before dot-stuffing, without the
// final ".".
std::uint64_t wire_size(std::string_view data) {
    std::uint64_t size = 0;
    bool line_start = true;
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n') {
            size += 2;
            ++i;
            line_start = true;
        } else if (data[i] == '\r' || data[i] == '\n') {
            size += 2;
            line_start = true;
        } else {
            ++size;
            line_start = false;
        }
    }
    return line_start ? size : size + 2;
}

std::string waiting_text(SmtpClientWaitingFor waiting, SmtpStage stage) {
    switch (waiting) {
        case SmtpClientWaitingFor::greeting:
            return "the greeting";
        case SmtpClientWaitingFor::data_block:
            return "the message data to be sent";
        case SmtpClientWaitingFor::final_reply:
            return "the reply to the end of the data";
        case SmtpClientWaitingFor::driver:
        case SmtpClientWaitingFor::nothing:
            return "the next message";
        case SmtpClientWaitingFor::command_reply:
        case SmtpClientWaitingFor::data_reply:
            break;
    }
    return "the reply to " + std::string(smtp_stage_name(stage));
}

}  // namespace

// ---------------------------------------------------------------------------- replies

SmtpReplyReader::SmtpReplyReader(SmtpReplyLimits limits) : limits_(limits) {
    limits_.max_line = std::max(limits_.max_line, kMinReplyLine);
    limits_.max_lines = std::max<std::size_t>(limits_.max_lines, 1);
    limits_.max_bytes = std::max(limits_.max_bytes, limits_.max_line);
}

SmtpReplyReader::Status SmtpReplyReader::fail(std::string problem) {
    problem_ = std::move(problem);
    partial_ = {};
    partial_bytes_ = 0;
    in_reply_ = false;
    return Status::malformed;
}

SmtpReplyReader::Status SmtpReplyReader::next(const std::string& in, std::size_t& pos,
                                              SmtpReply& reply, trace::Recorder& trace) {
    while (true) {
        std::string_view line;
        const auto status = lines_.next(in, pos, limits_.max_line, line);
        if (status == CommandLineScanner::Status::need_more) {
            return Status::need_more;
        }
        if (status == CommandLineScanner::Status::too_long) {
            trace.record(Direction::to_client, "(a reply line over the length limit)");
            return fail("a reply line longer than " + std::to_string(limits_.max_line) + " octets");
        }
        trace.record(Direction::to_client, trace::preview(line, kMaxTracedReplyLine));
        if (line.size() + 2 > limits_.max_line) {
            return fail("a reply line longer than " + std::to_string(limits_.max_line) + " octets");
        }
        // 4.2: the first digit 2 to 5, the second 0 to 5; then SP, "-" or the line's end.
        const bool code_ok = line.size() >= 3 && line[0] >= '2' && line[0] <= '5' &&
                             line[1] >= '0' && line[1] <= '5' && is_digit(line[2]) &&
                             (line.size() == 3 || line[3] == ' ' || line[3] == '-');
        if (!code_ok) {
            return fail("not a reply line: \"" + without_controls(trace::preview(line, 64)) + "\"");
        }
        const auto code =
            static_cast<unsigned>((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
        if (in_reply_ && code != partial_.code) {
            return fail("a reply mixing codes " + std::to_string(partial_.code) + " and " +
                        std::to_string(code));
        }
        if (!in_reply_) {
            partial_ = SmtpReply{code, std::nullopt, {}};
            partial_bytes_ = 0;
            in_reply_ = true;
        }
        partial_bytes_ += line.size() + 2;
        if (partial_bytes_ > limits_.max_bytes) {
            return fail("a reply longer than " + std::to_string(limits_.max_bytes) + " octets");
        }
        if (partial_.lines.size() >= limits_.max_lines) {
            return fail("a reply of more than " + std::to_string(limits_.max_lines) + " lines");
        }
        partial_.lines.push_back(without_controls(line.size() > 4 ? line.substr(4) : ""));
        if (line.size() > 3 && line[3] == '-') {
            continue;
        }
        take_enhanced_status(partial_);
        reply = std::move(partial_);
        partial_ = {};
        in_reply_ = false;
        return Status::reply;
    }
}

// --------------------------------------------------------------------------- outcomes

std::string_view smtp_stage_name(SmtpStage stage) {
    switch (stage) {
        case SmtpStage::connection:
            return "connection";
        case SmtpStage::greeting:
            return "greeting";
        case SmtpStage::hello:
            return "EHLO/HELO";
        case SmtpStage::auth:
            return "AUTH";
        case SmtpStage::rset:
            return "RSET";
        case SmtpStage::mail:
            return "MAIL FROM";
        case SmtpStage::rcpt:
            return "RCPT TO";
        case SmtpStage::data:
            return "DATA";
        case SmtpStage::message:
            return "end of DATA";
    }
    return "connection";
}

EnhancedStatus SmtpOutcome::status() const {
    if (reply.status) {
        return *reply.status;
    }
    switch (kind) {
        case SmtpOutcomeKind::delivered:
            return EnhancedStatus{2, 0, 0};
        case SmtpOutcomeKind::temporary_failure:
            return EnhancedStatus{4, 0, 0};
        case SmtpOutcomeKind::permanent_failure:
            break;
    }
    return EnhancedStatus{5, 0, 0};
}

std::string SmtpOutcome::diagnostic() const {
    std::string out = std::to_string(reply.code);
    if (reply.status) {
        out += " " + format_enhanced_status(*reply.status);
    }
    for (const std::string& line : reply.lines) {
        if (!line.empty()) {
            out += " " + line;
        }
    }
    return out;
}

std::chrono::seconds smtp_client_timeout(SmtpClientWaitingFor waiting) {
    using std::chrono::minutes;
    switch (waiting) {
        case SmtpClientWaitingFor::greeting:
        case SmtpClientWaitingFor::command_reply:
            return minutes(5);
        case SmtpClientWaitingFor::data_reply:
            return minutes(2);
        case SmtpClientWaitingFor::data_block:
            return minutes(3);
        case SmtpClientWaitingFor::final_reply:
            return minutes(10);
        case SmtpClientWaitingFor::driver:
        case SmtpClientWaitingFor::nothing:
            break;
    }
    return std::chrono::seconds(0);
}

// ---------------------------------------------------------------------------- session

SmtpClientSession::SmtpClientSession(SmtpClientConfig config)
    : config_(std::move(config)), replies_(config_.limits.reply) {
    std::string name = without_controls(config_.hello_name);
    name.erase(std::remove(name.begin(), name.end(), ' '), name.end());
    config_.hello_name = name.empty() ? "localhost" : name;
    auto& limits = config_.limits;
    limits.reply.max_line = std::max(limits.reply.max_line, kMinReplyLine);
    limits.reply.max_bytes = std::max(limits.reply.max_bytes, limits.reply.max_line);
    limits.max_buffered_input =
        std::max(limits.max_buffered_input, limits.reply.max_bytes + limits.reply.max_line);
    limits.data_chunk = std::max(limits.data_chunk, kMinDataChunk);
    expect_.push_back(Expect::greeting);
}

void SmtpClientSession::receive(std::string_view bytes) {
    if (closed_ || eof_) {
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
        const std::string why = "the server sent more than " +
                                std::to_string(config_.limits.max_buffered_input) +
                                " octets we did not ask for";
        fail_connection(concluded(421, kProtocolError, "Protocol error: " + why, current_stage()),
                        why, false);
        return;
    }
    in_.append(bytes);
}

void SmtpClientSession::timed_out() {
    if (closed_) {
        return;
    }
    const std::string why = "timed out waiting for " + waiting_text(waiting_for(), current_stage());
    if (quit_sent_) {
        trace_.record(Direction::note, why);
        close(closing_reason_.empty() ? why : closing_reason_, closing_failure_);
        return;
    }
    std::string text = why;
    text[0] = 'T';
    fail_connection(concluded(421, kBadConnection, text, current_stage()), why, false);
}

std::optional<SmtpClientEvent> SmtpClientSession::next_event() {
    if (events_.empty()) {
        advance();
    }
    if (events_.empty()) {
        return std::nullopt;
    }
    SmtpClientEvent ev = std::move(events_.front());
    events_.pop_front();
    return ev;
}

bool SmtpClientSession::send_message(SmtpOutgoingMessage message) {
    if (closed_ || quit_requested_ || transaction_ || message.recipients.empty()) {
        return false;
    }
    Transaction t;
    t.outcomes.resize(message.recipients.size());
    t.accepted.resize(message.recipients.size(), false);
    t.message = std::move(message);
    transaction_ = std::move(t);
    return true;
}

void SmtpClientSession::quit() {
    if (!closed_) {
        quit_requested_ = true;
    }
}

SmtpClientWaitingFor SmtpClientSession::waiting_for() const {
    if (closed_) {
        return SmtpClientWaitingFor::nothing;
    }
    if (sending_data_) {
        return SmtpClientWaitingFor::data_block;
    }
    if (expect_.empty()) {
        return SmtpClientWaitingFor::driver;
    }
    switch (expect_.front()) {
        case Expect::greeting:
            return SmtpClientWaitingFor::greeting;
        case Expect::data:
            return SmtpClientWaitingFor::data_reply;
        case Expect::message:
        case Expect::empty_message:
            return SmtpClientWaitingFor::final_reply;
        default:
            return SmtpClientWaitingFor::command_reply;
    }
}

std::size_t SmtpClientSession::buffered_bytes() const {
    std::size_t held = in_.capacity() + out_.capacity() + trace_line_.capacity();
    if (transaction_) {
        held += transaction_->message.data.capacity();
    }
    for (const auto& ev : events_) {
        if (const auto* send = std::get_if<SmtpClientSend>(&ev)) {
            held += send->bytes.capacity();
        }
    }
    return held;
}

SmtpStage SmtpClientSession::current_stage() const {
    if (sending_data_) {
        return SmtpStage::message;
    }
    if (expect_.empty()) {
        return SmtpStage::connection;
    }
    switch (expect_.front()) {
        case Expect::greeting:
            return SmtpStage::greeting;
        case Expect::ehlo:
        case Expect::helo:
            return SmtpStage::hello;
        case Expect::auth:
        case Expect::login_user:
        case Expect::login_password:
            return SmtpStage::auth;
        case Expect::rset:
            return SmtpStage::rset;
        case Expect::mail:
            return SmtpStage::mail;
        case Expect::rcpt:
            return SmtpStage::rcpt;
        case Expect::data:
            return SmtpStage::data;
        case Expect::message:
        case Expect::empty_message:
            return SmtpStage::message;
        case Expect::quit:
            break;
    }
    return SmtpStage::connection;
}

void SmtpClientSession::flush() {
    if (!out_.empty()) {
        events_.push_back(SmtpClientSend{std::move(out_)});
        out_.clear();
    }
}

void SmtpClientSession::push_event(SmtpClientEvent ev) {
    flush();  // commands written before an event go out before it
    events_.push_back(std::move(ev));
}

void SmtpClientSession::send_line(std::string_view line, std::string_view traced) {
    if (quit_sent_ || closed_) {
        return;  // nothing follows QUIT
    }
    out_ += line;
    out_ += "\r\n";
    trace_.record(Direction::to_server, traced.empty() ? line : traced);
}

// Works until there is an event for the driver: sends once the session waits for a reply,
// a chunk of data, an outcome, Ready, or the close.
void SmtpClientSession::advance() {
    while (events_.empty() && !closed_) {
        if (sending_data_) {
            if (eof_) {
                // The server hung up mid-data; a failure reply it sent first says why.
                sending_data_ = false;
                SmtpReply reply;
                const bool said = read_reply(reply);
                if (closed_) {
                    return;
                }
                if (said && (reply_class(reply) == 4 || reply_class(reply) == 5)) {
                    fail_connection(server_said(reply, SmtpStage::message),
                                    "the server refused the message and closed the connection: " +
                                        server_said(reply, SmtpStage::message).diagnostic(),
                                    false);
                } else {
                    connection_lost(SmtpStage::message, "while the message data was being sent");
                }
                continue;
            }
            next_data_chunk();
            continue;
        }
        if (!expect_.empty()) {
            SmtpReply reply;
            if (read_reply(reply)) {
                handle_reply(reply);
                continue;
            }
            if (closed_) {
                return;
            }
            if (eof_) {
                if (expect_.front() == Expect::quit) {
                    close(closing_reason_.empty() ? "QUIT" : closing_reason_, closing_failure_);
                } else {
                    connection_lost(
                        current_stage(),
                        "while waiting for " + waiting_text(waiting_for(), current_stage()));
                }
                continue;
            }
            flush();
            return;
        }
        // Nothing outstanding: the next message, QUIT, or Ready.
        if (transaction_ && !transaction_->started) {
            start_message();
            continue;
        }
        if (quit_requested_ && !quit_sent_) {
            send_quit();
            continue;
        }
        if (!ready_announced_) {
            ready_announced_ = true;
            push_event(SmtpClientReady{});
            continue;
        }
        // Idle: whatever the server says now, it says unasked.
        SmtpReply reply;
        if (read_reply(reply)) {
            handle_unsolicited(reply);
            continue;
        }
        if (closed_) {
            return;
        }
        if (eof_) {
            connection_lost(SmtpStage::connection, "while the connection was idle");
            continue;
        }
        flush();
        return;
    }
}

bool SmtpClientSession::read_reply(SmtpReply& reply) {
    const auto status = replies_.next(in_, in_pos_, reply, trace_);
    if (status == SmtpReplyReader::Status::reply) {
        return true;
    }
    if (status == SmtpReplyReader::Status::malformed) {
        const std::string why = "malformed reply: " + replies_.problem();
        fail_connection(concluded(421, kProtocolError, "Protocol error: " + why, current_stage()),
                        why, false);
    }
    return false;
}

void SmtpClientSession::handle_reply(const SmtpReply& reply) {
    const Expect expect = expect_.front();
    const SmtpStage stage = current_stage();
    expect_.pop_front();
    if (reply.code == 421 && expect != Expect::quit) {
        // 3.8: the server is going away; it does not wait for QUIT.
        const SmtpOutcome outcome = server_said(reply, stage);
        fail_connection(outcome, "the server is closing the connection: " + outcome.diagnostic(),
                        false);
        return;
    }
    switch (expect) {
        case Expect::greeting:
            on_greeting(reply);
            return;
        case Expect::ehlo:
            on_ehlo(reply);
            return;
        case Expect::helo:
            on_helo(reply);
            return;
        case Expect::auth:
        case Expect::login_user:
        case Expect::login_password:
            on_auth(expect, reply);
            return;
        case Expect::rset:
            on_rset(reply);
            return;
        case Expect::mail:
            on_mail(reply);
            return;
        case Expect::rcpt:
            on_rcpt(reply);
            return;
        case Expect::data:
            on_data(reply);
            return;
        case Expect::message:
            on_message(reply);
            return;
        case Expect::empty_message:
            // The lone "." after a pipelined DATA no recipient had: whatever its answer,
            // the transaction is over and every recipient already has its outcome.
            needs_rset_ = false;
            finish_message();
            return;
        case Expect::quit:
            close(closing_reason_.empty() ? "QUIT" : closing_reason_, closing_failure_);
            return;
    }
}

void SmtpClientSession::handle_unsolicited(const SmtpReply& reply) {
    if (reply.code == 421) {
        // An idle connection the server closes (its own timeout, or shutting down).
        const SmtpOutcome outcome = server_said(reply, SmtpStage::connection);
        fail_connection(outcome, "the server is closing the connection: " + outcome.diagnostic(),
                        false);
        return;
    }
    protocol_error(SmtpStage::connection, reply);
}

void SmtpClientSession::protocol_error(SmtpStage stage, const SmtpReply& reply) {
    const std::string why = "unexpected reply to " + std::string(smtp_stage_name(stage)) + ": " +
                            server_said(reply, stage).diagnostic();
    fail_connection(concluded(421, kProtocolError, "Protocol error: " + why, stage), why, false);
}

void SmtpClientSession::connection_lost(SmtpStage stage, std::string why) {
    fail_connection(concluded(421, kBadConnection, "Connection closed by the server " + why, stage),
                    "the server closed the connection " + why, false);
}

// ------------------------------------------------------------------ greeting, EHLO, AUTH

void SmtpClientSession::on_greeting(const SmtpReply& reply) {
    if (reply.code == 220) {
        if (quit_requested_ && !transaction_) {
            send_quit();
        } else {
            send_hello();
        }
        return;
    }
    if (reply_class(reply) != 4 && reply_class(reply) != 5) {
        protocol_error(SmtpStage::greeting, reply);
        return;
    }
    // 554 (3.1: no service here) or a 4xx: QUIT, as 3.1 asks.
    const SmtpOutcome outcome = server_said(reply, SmtpStage::greeting);
    fail_connection(outcome, "the server refused the connection: " + outcome.diagnostic(), true);
}

void SmtpClientSession::send_hello() {
    if (config_.ehlo) {
        send_line("EHLO " + config_.hello_name);
        expect_.push_back(Expect::ehlo);
    } else {
        send_line("HELO " + config_.hello_name);
        expect_.push_back(Expect::helo);
    }
}

void SmtpClientSession::on_ehlo(const SmtpReply& reply) {
    if (reply_class(reply) == 5) {
        // 3.2: a server that does not know EHLO (500, 502) gets HELO.
        send_line("HELO " + config_.hello_name);
        expect_.push_back(Expect::helo);
        return;
    }
    if (reply_class(reply) == 4) {
        const SmtpOutcome outcome = server_said(reply, SmtpStage::hello);
        fail_connection(outcome, "EHLO refused: " + outcome.diagnostic(), true);
        return;
    }
    if (reply_class(reply) != 2) {
        protocol_error(SmtpStage::hello, reply);
        return;
    }
    offer_ = SmtpServerOffer{};
    offer_.esmtp = true;
    // 4.1.1.1: the first line greets; each other line is a keyword and its parameters.
    for (std::size_t i = 1; i < reply.lines.size(); ++i) {
        std::string_view line = reply.lines[i];
        std::vector<std::string> words;
        while (!line.empty()) {
            const std::size_t start = line.find_first_not_of(' ');
            if (start == std::string_view::npos) {
                break;
            }
            line.remove_prefix(start);
            const std::size_t end = std::min(line.find(' '), line.size());
            words.push_back(upper(line.substr(0, end)));
            line.remove_prefix(end);
        }
        if (words.empty()) {
            continue;
        }
        const std::string& keyword = words[0];
        if (keyword == "PIPELINING") {
            offer_.pipelining = true;
        } else if (keyword == "8BITMIME") {
            offer_.eight_bit_mime = true;
        } else if (keyword == "SMTPUTF8") {
            offer_.smtputf8 = true;
        } else if (keyword == "ENHANCEDSTATUSCODES") {
            offer_.enhanced_status_codes = true;
        } else if (keyword == "STARTTLS") {
            offer_.starttls = true;
        } else if (keyword == "SIZE") {
            // RFC 1870 section 4: "SIZE" [SP number]; absent or 0: no fixed maximum.
            offer_.size = true;
            offer_.max_size = 0;
            if (words.size() > 1 && !words[1].empty() && words[1].size() <= 19 &&
                std::all_of(words[1].begin(), words[1].end(), is_digit)) {
                offer_.max_size = std::stoull(words[1]);
            }
        } else if (keyword == "AUTH" || keyword.starts_with("AUTH=")) {
            // RFC 4954 "AUTH PLAIN LOGIN", and the pre-standard "AUTH=PLAIN LOGIN".
            offer_.auth = true;
            for (std::size_t w = 0; w < words.size(); ++w) {
                std::string_view mechanism = words[w];
                if (w == 0) {
                    mechanism.remove_prefix(std::min<std::size_t>(mechanism.size(), 5));
                }
                offer_.auth_plain = offer_.auth_plain || mechanism == "PLAIN";
                offer_.auth_login = offer_.auth_login || mechanism == "LOGIN";
            }
        }
    }
    start_auth_or_ready();
}

void SmtpClientSession::on_helo(const SmtpReply& reply) {
    if (reply_class(reply) == 4 || reply_class(reply) == 5) {
        const SmtpOutcome outcome = server_said(reply, SmtpStage::hello);
        fail_connection(outcome, "HELO refused: " + outcome.diagnostic(), true);
        return;
    }
    if (reply_class(reply) != 2) {
        protocol_error(SmtpStage::hello, reply);
        return;
    }
    offer_ = SmtpServerOffer{};  // HELO: no extensions at all
    start_auth_or_ready();
}

void SmtpClientSession::start_auth_or_ready() {
    if (!config_.auth) {
        handshake_done();
        return;
    }
    const SmtpClientCredentials& c = *config_.auth;
    if (offer_.auth_plain) {
        // RFC 4616: authzid (empty) NUL authcid NUL passwd, as the initial response.
        std::string message;
        message += '\0';
        message += c.user;
        message += '\0';
        message += c.password;
        send_line("AUTH PLAIN " + base64_encode(std::string_view(message)),
                  "AUTH PLAIN " + std::string(kHidden));
        expect_.push_back(Expect::auth);
        return;
    }
    if (offer_.auth_login) {
        send_line("AUTH LOGIN");
        expect_.push_back(Expect::login_user);
        return;
    }
    if (config_.require_auth) {
        const char* what = offer_.auth ? "the server offers neither AUTH PLAIN nor AUTH LOGIN"
                                       : "the server does not offer AUTH";
        fail_connection(
            concluded(554, {5, 7, 4}, std::string("Cannot authenticate: ") + what, SmtpStage::auth),
            std::string("cannot authenticate: ") + what, true);
        return;
    }
    handshake_done();  // the credentials are for servers that ask for them
}

void SmtpClientSession::on_auth(Expect expect, const SmtpReply& reply) {
    const SmtpClientCredentials& c = *config_.auth;
    if (reply.code == 334 && expect == Expect::login_user) {
        send_line(base64_encode(std::string_view(c.user)), kHidden);
        expect_.push_back(Expect::login_password);
        return;
    }
    if (reply.code == 334 && expect == Expect::login_password) {
        send_line(base64_encode(std::string_view(c.password)), kHidden);
        expect_.push_back(Expect::auth);
        return;
    }
    if (reply_class(reply) == 2) {
        handshake_done();  // 235
        return;
    }
    if (reply_class(reply) == 4 || reply_class(reply) == 5) {
        // 535 5.7.8: wrong credentials, permanent (the user must fix them); 454: try later.
        const SmtpOutcome outcome = server_said(reply, SmtpStage::auth);
        fail_connection(outcome, "authentication failed: " + outcome.diagnostic(), true);
        return;
    }
    // A challenge we have no answer for: the server now waits for a SASL response, so QUIT
    // would be read as one.
    protocol_error(SmtpStage::auth, reply);
}

void SmtpClientSession::handshake_done() {
    handshake_done_ = true;
}

// --------------------------------------------------------------------------- messages

void SmtpClientSession::start_message() {
    Transaction& t = *transaction_;
    t.started = true;
    if (!handshake_done_ || !check_message()) {
        finish_message();
        return;
    }
    if (needs_rset_) {
        send_line("RSET");
        expect_.push_back(Expect::rset);
        if (!offer_.pipelining) {
            return;  // MAIL after its 250
        }
    }
    send_mail();
}

// What we know of the server decides some messages without a word to it.
bool SmtpClientSession::check_message() {
    Transaction& t = *transaction_;
    const SmtpOutgoingMessage& m = t.message;
    if (!sendable_address(m.mail_from)) {
        decide_rest(concluded(501, {5, 1, 7}, "Bad sender address syntax", SmtpStage::mail));
        return false;
    }
    if (offer_.size && offer_.max_size > 0 && wire_size(m.data) > offer_.max_size) {
        decide_rest(concluded(552, {5, 3, 4},
                              "Message size exceeds the server's limit (SIZE " +
                                  std::to_string(offer_.max_size) + ")",
                              SmtpStage::mail));
        return false;
    }
    if (m.eight_bit && !offer_.eight_bit_mime) {
        decide_rest(concluded(554, {5, 6, 3}, "The server does not take 8-bit data (no 8BITMIME)",
                              SmtpStage::mail));
        return false;
    }
    if (m.smtputf8 && !offer_.smtputf8) {
        decide_rest(concluded(553, {5, 6, 7}, "The server does not take UTF-8 mail (no SMTPUTF8)",
                              SmtpStage::mail));
        return false;
    }
    for (std::size_t i = 0; i < m.recipients.size(); ++i) {
        if (m.recipients[i].empty() || !sendable_address(m.recipients[i])) {
            decide(i, concluded(501, {5, 1, 3}, "Bad recipient address syntax", SmtpStage::rcpt));
        } else {
            t.to_send.push_back(i);
        }
    }
    return !t.to_send.empty();
}

void SmtpClientSession::send_mail() {
    const SmtpOutgoingMessage& m = transaction_->message;
    std::string line = "MAIL FROM:<" + m.mail_from + ">";
    if (offer_.size) {
        line += " SIZE=" + std::to_string(wire_size(m.data));  // RFC 1870 section 6
    }
    if (m.eight_bit) {
        line += " BODY=8BITMIME";
    }
    if (m.smtputf8) {
        line += " SMTPUTF8";
    }
    send_line(line);
    expect_.push_back(Expect::mail);
    if (offer_.pipelining) {
        // RFC 2920 3.1: MAIL and RCPT anywhere in a group, DATA last.
        while (transaction_->rcpts_sent < transaction_->to_send.size()) {
            send_next_rcpt();
        }
        send_data_command();
    }
}

void SmtpClientSession::send_next_rcpt() {
    Transaction& t = *transaction_;
    const std::size_t index = t.to_send[t.rcpts_sent++];
    send_line("RCPT TO:<" + t.message.recipients[index] + ">");
    expect_.push_back(Expect::rcpt);
}

void SmtpClientSession::send_data_command() {
    send_line("DATA");
    expect_.push_back(Expect::data);
}

void SmtpClientSession::on_rset(const SmtpReply& reply) {
    if (reply_class(reply) != 2) {
        // The server will not end the old transaction, so the new one cannot start. Not the
        // message's fault: temporary whatever the code, and the server's reply in the text.
        const std::string why = "RSET refused: " + server_said(reply, SmtpStage::rset).diagnostic();
        fail_connection(concluded(421, kProtocolError, why, SmtpStage::rset), why, expect_.empty());
        return;
    }
    needs_rset_ = false;
    if (!offer_.pipelining) {
        send_mail();
    }
}

void SmtpClientSession::on_mail(const SmtpReply& reply) {
    Transaction& t = *transaction_;
    if (reply_class(reply) == 2) {
        needs_rset_ = true;  // open until the final reply
        if (!offer_.pipelining) {
            send_next_rcpt();
        }
        return;
    }
    if (reply_class(reply) != 4 && reply_class(reply) != 5) {
        protocol_error(SmtpStage::mail, reply);
        return;
    }
    t.mail_failed = true;
    decide_rest(server_said(reply, SmtpStage::mail));
    if (!offer_.pipelining) {
        finish_message();
    }
    // Pipelined: the RCPT and DATA replies still come (RCPT's a 503 each); on_data ends it.
}

void SmtpClientSession::on_rcpt(const SmtpReply& reply) {
    Transaction& t = *transaction_;
    const std::size_t index = t.to_send[t.rcpt_replies++];
    if (!t.mail_failed) {
        if (reply_class(reply) == 2) {
            t.accepted[index] = true;  // 250, or 251 (forwarded)
        } else if (reply_class(reply) == 4 || reply_class(reply) == 5) {
            decide(index, server_said(reply, SmtpStage::rcpt));  // 452: later (4.5.3.1.10)
        } else {
            protocol_error(SmtpStage::rcpt, reply);
            return;
        }
    }
    if (offer_.pipelining) {
        return;
    }
    if (t.rcpts_sent < t.to_send.size()) {
        send_next_rcpt();
    } else if (std::find(t.accepted.begin(), t.accepted.end(), true) != t.accepted.end()) {
        send_data_command();
    } else {
        finish_message();  // no DATA without a recipient; RSET before the next message
    }
}

void SmtpClientSession::on_data(const SmtpReply& reply) {
    Transaction& t = *transaction_;
    const bool recipients =
        !t.mail_failed && std::find(t.accepted.begin(), t.accepted.end(), true) != t.accepted.end();
    if (reply.code == 354) {
        if (recipients) {
            sending_data_ = true;
            data_pos_ = 0;
            data_line_start_ = true;
            trace_line_.clear();
            traced_data_lines_ = 0;
        } else {
            // RFC 2920 3.1: a DATA accepted for nobody gets the empty message.
            send_line(".");
            expect_.push_back(Expect::empty_message);
        }
        return;
    }
    if (reply_class(reply) != 4 && reply_class(reply) != 5) {
        protocol_error(SmtpStage::data, reply);
        return;
    }
    if (recipients) {
        decide_rest(server_said(reply, SmtpStage::data));
    }
    // Otherwise the expected refusal of a pipelined DATA: the outcomes are the RCPTs' (or
    // MAIL's).
    finish_message();
}

// One send of the data (4.5.2), made from the message as the driver asks for it: bare CR
// and LF become CRLF, a line's leading dot is doubled, and the last send ends with
// [CRLF] "." CRLF.
void SmtpClientSession::next_data_chunk() {
    const std::string& data = transaction_->message.data;
    const std::size_t limit = config_.limits.data_chunk;
    std::string chunk;
    chunk.reserve(std::min(limit, data.size() - data_pos_) + 8);
    while (data_pos_ < data.size() && chunk.size() < limit) {
        const char c = data[data_pos_];
        if (c == '\r' || c == '\n') {
            const bool crlf =
                c == '\r' && data_pos_ + 1 < data.size() && data[data_pos_ + 1] == '\n';
            data_pos_ += crlf ? 2 : 1;
            chunk += "\r\n";
            data_line_start_ = true;
            continue;
        }
        if (data_line_start_ && c == '.') {
            chunk += '.';
        }
        data_line_start_ = false;
        const std::size_t stop = std::min(data.find_first_of("\r\n", data_pos_), data.size());
        const std::size_t room = limit - std::min(limit, chunk.size());
        const std::size_t n = std::min(stop - data_pos_, room);
        chunk.append(data, data_pos_, n);
        data_pos_ += n;
    }
    const bool ended = data_pos_ >= data.size();
    if (ended) {
        if (!data_line_start_) {
            chunk += "\r\n";
        }
        chunk += ".\r\n";
        sending_data_ = false;
        expect_.push_back(Expect::message);
    }
    trace_data(chunk, ended);
    push_event(SmtpClientSend{std::move(chunk)});
}

void SmtpClientSession::trace_data(std::string_view chunk, bool ended) {
    if (!trace_.enabled()) {
        return;
    }
    while (!chunk.empty()) {
        const std::size_t lf = chunk.find('\n');
        const std::string_view piece = chunk.substr(0, lf);
        if (trace_line_.size() < kMaxTracedLine + 1) {
            trace_line_.append(piece.substr(0, kMaxTracedLine + 1 - trace_line_.size()));
        }
        if (lf == std::string_view::npos) {
            return;
        }
        chunk.remove_prefix(lf + 1);
        if (!trace_line_.empty() && trace_line_.back() == '\r') {
            trace_line_.pop_back();
        }
        trace_line_.resize(std::min(trace_line_.size(), kMaxTracedLine));
        const bool last = ended && chunk.empty();
        if (traced_data_lines_ < kMaxTracedDataLines || last) {
            if (last && traced_data_lines_ > kMaxTracedDataLines) {
                trace_.record(Direction::note,
                              std::to_string(traced_data_lines_ - kMaxTracedDataLines) +
                                  " more lines of message data");
            }
            trace_.record(Direction::to_server, trace_line_);
        }
        ++traced_data_lines_;
        trace_line_.clear();
    }
}

void SmtpClientSession::on_message(const SmtpReply& reply) {
    Transaction& t = *transaction_;
    needs_rset_ = false;  // the final reply ends the transaction, whatever it says
    if (reply_class(reply) == 2) {
        const SmtpOutcome delivered{SmtpOutcomeKind::delivered, reply, SmtpStage::message, false};
        for (std::size_t i = 0; i < t.outcomes.size(); ++i) {
            if (t.accepted[i]) {
                decide(i, delivered);
            }
        }
    } else if (reply_class(reply) == 4 || reply_class(reply) == 5) {
        decide_rest(server_said(reply, SmtpStage::message));
    } else {
        protocol_error(SmtpStage::message, reply);
        return;
    }
    finish_message();
}

void SmtpClientSession::decide(std::size_t recipient, const SmtpOutcome& outcome) {
    auto& slot = transaction_->outcomes[recipient];
    if (!slot) {
        slot = outcome;
    }
}

void SmtpClientSession::decide_rest(const SmtpOutcome& outcome) {
    for (std::size_t i = 0; i < transaction_->outcomes.size(); ++i) {
        decide(i, outcome);
    }
}

void SmtpClientSession::finish_message() {
    Transaction& t = *transaction_;
    // Every path decides every recipient before here; this only guards the promise that
    // each recipient gets an outcome.
    decide_rest(concluded(421, kProtocolError, "No reply for this recipient", SmtpStage::message));
    SmtpClientMessageDone done;
    const SmtpOutcome* first_temporary = nullptr;
    const SmtpOutcome* first_permanent = nullptr;
    for (std::size_t i = 0; i < t.outcomes.size(); ++i) {
        const SmtpOutcome& o = *t.outcomes[i];
        if (o.kind == SmtpOutcomeKind::temporary_failure && !first_temporary) {
            first_temporary = &o;
        } else if (o.kind == SmtpOutcomeKind::permanent_failure && !first_permanent) {
            first_permanent = &o;
        }
        done.recipients.push_back(SmtpRecipientOutcome{t.message.recipients[i], o});
    }
    done.overall = first_temporary   ? *first_temporary
                   : first_permanent ? *first_permanent
                                     : *t.outcomes.front();
    transaction_.reset();
    sending_data_ = false;
    ready_announced_ = false;
    push_event(std::move(done));
}

// ------------------------------------------------------------------------------ the end

void SmtpClientSession::send_quit() {
    send_line("QUIT");
    expect_.push_back(Expect::quit);
    quit_sent_ = true;
    quit_requested_ = true;
}

// The connection cannot go on: the message (given or in progress) fails with `outcome` for
// every recipient without one, then QUIT when the server is in step with us, else the close.
void SmtpClientSession::fail_connection(const SmtpOutcome& outcome, std::string reason,
                                        bool with_quit) {
    if (closed_) {
        return;
    }
    trace_.record(Direction::note, reason);
    sending_data_ = false;
    if (transaction_) {
        decide_rest(outcome);
        finish_message();
    }
    expect_.clear();
    if (with_quit && !quit_sent_) {
        closing_failure_ = outcome;
        closing_reason_ = std::move(reason);
        send_quit();
        return;
    }
    close(std::move(reason), outcome);
}

void SmtpClientSession::close(std::string reason, std::optional<SmtpOutcome> failure) {
    closed_ = true;
    expect_.clear();
    sending_data_ = false;
    transaction_.reset();
    in_.clear();
    in_.shrink_to_fit();
    in_pos_ = 0;
    push_event(SmtpClientClosed{std::move(reason), std::move(failure)});
}

}  // namespace l7::mail
