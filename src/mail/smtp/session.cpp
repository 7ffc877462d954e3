#include "mail/smtp/session.hpp"

#include <algorithm>
#include <utility>

namespace l7::mail {
namespace {

using trace::Direction;

constexpr std::size_t kFlushThreshold = 16 * 1024;  // replies held before a send regardless
constexpr std::size_t kMaxTracedDataLines = 100;    // per message
constexpr std::size_t kMaxTracedLine = 200;         // octets of one traced data line
constexpr std::string_view kHidden = "<credentials hidden>";

// RFC 3463 codes used here.
constexpr EnhancedStatus kOk{2, 0, 0};
constexpr EnhancedStatus kBadSequence{5, 5, 1};
constexpr EnhancedStatus kNotAvailable{5, 5, 1};
constexpr EnhancedStatus kLineTooLong{5, 5, 6};
constexpr EnhancedStatus kClosing{4, 7, 0};

}  // namespace

SmtpServerSession::SmtpServerSession(SmtpServerConfig config, SmtpPeer peer)
    : config_(std::move(config)), peer_(std::move(peer)) {
    auto& limits = config_.limits;
    limits.max_buffered_input = std::max(limits.max_buffered_input, kSmtpMaxAuthLine);
    limits.max_errors = std::max<std::size_t>(limits.max_errors, 1);
    limits.max_auth_failures = std::max<std::size_t>(limits.max_auth_failures, 1);
    config_.hostname = without_controls(config_.hostname);
    config_.greeting = without_controls(config_.greeting);
}

void SmtpServerSession::start() {
    if (phase_ != Phase::not_started) {
        return;
    }
    phase_ = Phase::command;
    reply(smtp_reply(220, config_.hostname + " " + config_.greeting));
}

void SmtpServerSession::receive(std::string_view bytes) {
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
        close_with(smtp_reply(421, kClosing, config_.hostname + " Too much pipelined input"));
        return;
    }
    in_.append(bytes);
}

std::size_t SmtpServerSession::input_room() const {
    if (phase_ == Phase::closed || eof_) {
        return 0;
    }
    const std::size_t held = in_.size() - in_pos_;
    const std::size_t limit = config_.limits.max_buffered_input;
    return held >= limit ? 0 : limit - held;
}

std::size_t SmtpServerSession::buffered_bytes() const {
    return in_.capacity() + out_.size() + message_.capacity();
}

SmtpWaitingFor SmtpServerSession::waiting_for() const {
    switch (phase_) {
        case Phase::command:
        case Phase::sasl:
            return SmtpWaitingFor::command;
        case Phase::data:
            return SmtpWaitingFor::data;
        case Phase::not_started:
        case Phase::waiting:
            return SmtpWaitingFor::driver;
        case Phase::closed:
            break;
    }
    return SmtpWaitingFor::nothing;
}

std::optional<SmtpEvent> SmtpServerSession::next_event() {
    if (events_.empty()) {
        advance();
    }
    if (events_.empty()) {
        return std::nullopt;
    }
    SmtpEvent ev = std::move(events_.front());
    events_.pop_front();
    return ev;
}

void SmtpServerSession::flush() {
    if (!out_.empty()) {
        events_.push_back(SmtpSend{std::move(out_)});
        out_.clear();
    }
}

// Works through the input until there is an event for the driver: a question, a batch of
// replies once the input runs out, or the close.
void SmtpServerSession::advance() {
    while (events_.empty()) {
        switch (phase_) {
            case Phase::not_started:
            case Phase::waiting:
                return;  // replies wait too: they go out in order, after the answer's
            case Phase::closed:
                if (!close_queued_) {
                    flush();
                    events_.push_back(SmtpClose{});
                    close_queued_ = true;
                }
                return;
            case Phase::data:
                if (in_pos_ < in_.size()) {
                    read_data();
                    continue;
                }
                break;
            case Phase::command:
            case Phase::sasl: {
                std::string_view line;
                const LineStatus status = next_line(line);
                if (status == LineStatus::too_long) {
                    trace_.record(Direction::to_server, "(a line over the length limit)");
                    error(smtp_reply(500, kLineTooLong, "Line too long"));
                    if (phase_ == Phase::sasl) {
                        sasl_.reset();  // RFC 4954 section 4: the AUTH command fails
                        phase_ = Phase::command;
                    }
                } else if (status == LineStatus::line) {
                    if (phase_ == Phase::sasl) {
                        handle_sasl_line(line);
                    } else {
                        handle_command_line(line);
                    }
                } else {
                    break;
                }
                if (out_.size() >= kFlushThreshold) {
                    flush();
                }
                continue;
            }
        }
        // Nothing more to read.
        if (eof_) {
            trace_.record(Direction::note, "client closed the connection");
            phase_ = Phase::closed;
            continue;
        }
        flush();
        return;
    }
}

// A line ends at LF, a CR before it removed (bare-LF command lines are common and harmless:
// only the data's end needs CRLF, see read_data). The longest line any command may have is
// framed; the caller checks the command's own limit.
SmtpServerSession::LineStatus SmtpServerSession::next_line(std::string_view& line) {
    return lines_.next(in_, in_pos_, kSmtpMaxAuthLine, line);
}

void SmtpServerSession::handle_command_line(std::string_view line) {
    const auto verb = smtp_verb_of(line);
    if (verb == SmtpVerb::auth && line.find(' ', 5) != std::string_view::npos) {
        // "AUTH PLAIN <initial response>": the mechanism is shown, the credentials are not.
        trace_.record(Direction::to_server,
                      std::string(line.substr(0, line.find(' ', 5))) + " " + std::string(kHidden));
    } else {
        trace_.record(Direction::to_server, trace::preview(line, kSmtpMaxMailCommandLine));
    }
    if (line.size() + 2 > smtp_line_limit(verb.value_or(SmtpVerb::noop))) {
        error(smtp_reply(500, kLineTooLong, "Line too long"));
        return;
    }
    auto cmd = parse_smtp_command(line);
    if (!cmd) {
        // A SIZE= beyond the limit is the client being honest, not an error.
        if (cmd.error().code == 552) {
            reply(cmd.error());
        } else {
            error(cmd.error());
        }
        return;
    }
    handle_command(*cmd);
}

void SmtpServerSession::handle_command(const SmtpCommand& cmd) {
    switch (cmd.verb) {
        case SmtpVerb::ehlo:
        case SmtpVerb::helo:
            handle_hello(cmd);
            return;
        case SmtpVerb::mail:
            handle_mail(cmd);
            return;
        case SmtpVerb::rcpt:
            handle_rcpt(cmd);
            return;
        case SmtpVerb::data:
            handle_data();
            return;
        case SmtpVerb::auth:
            handle_auth(cmd);
            return;
        case SmtpVerb::rset:
            reset_transaction();
            reply(smtp_reply(250, kOk, "OK"));
            junk();
            return;
        case SmtpVerb::noop:
            reply(smtp_reply(250, kOk, "OK"));
            junk();
            return;
        case SmtpVerb::quit:
            close_with(smtp_reply(221, kOk, config_.hostname + " closing connection"));
            return;
        case SmtpVerb::vrfy:
            // RFC 5321 3.5.3: neither confirm nor deny (address harvesting).
            reply(smtp_reply(252, {2, 5, 2},
                             "Cannot VRFY user, but will accept message and attempt delivery"));
            junk();
            return;
        case SmtpVerb::expn:
            reply(
                smtp_reply(502, kNotAvailable, "EXPN not available"));  // 3.5.2: lists stay private
            junk();
            return;
        case SmtpVerb::help:
            reply(
                SmtpReply{214,
                          EnhancedStatus{2, 0, 0},
                          {std::string("Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY ") +
                               (auth_offered() ? "AUTH HELP" : "HELP"),
                           "See RFC 5321"}});
            junk();
            return;
        case SmtpVerb::starttls:
            // Not advertised (no TLS yet), so 502 rather than RFC 3207's 454.
            error(smtp_reply(502, kNotAvailable, "STARTTLS not available"));
            return;
        case SmtpVerb::bdat:
            // CHUNKING (RFC 3030) is not offered; what follows BDAT is read as commands.
            error(smtp_reply(502, kNotAvailable, "BDAT not available"));
            return;
        case SmtpVerb::not_implemented:
            error(smtp_reply(502, kNotAvailable, "Command not implemented"));
            return;
        case SmtpVerb::http:
            // A browser, or a page making one post to this port: stop before the rest of its
            // request is read as commands (cross-protocol requests).
            close_with(smtp_reply(421, kClosing, config_.hostname + " This is an SMTP server"));
            return;
    }
}

void SmtpServerSession::handle_hello(const SmtpCommand& cmd) {
    // RFC 5321 4.1.4: HELO and EHLO end any transaction, as RSET would.
    reset_transaction();
    greeted_ = true;
    envelope_.helo = cmd.argument;
    envelope_.esmtp = cmd.verb == SmtpVerb::ehlo;
    if (!envelope_.esmtp) {
        reply(smtp_reply(250, config_.hostname));
        return;
    }
    SmtpReply r{250, std::nullopt, {config_.hostname}};
    const auto& ext = config_.extensions;
    if (ext.pipelining) {
        r.lines.push_back("PIPELINING");
    }
    r.lines.push_back("SIZE " + std::to_string(config_.limits.max_message_size));
    if (ext.eight_bit_mime) {
        r.lines.push_back("8BITMIME");
    }
    if (ext.enhanced_status_codes) {
        r.lines.push_back("ENHANCEDSTATUSCODES");
    }
    if (ext.smtputf8) {
        r.lines.push_back("SMTPUTF8");
    }
    if (auth_offered()) {
        r.lines.push_back("AUTH PLAIN LOGIN");
    }
    if (ext.help) {
        r.lines.push_back("HELP");
    }
    // RFC 2034 section 3: the EHLO reply itself carries no enhanced codes.
    append_reply(out_, r, false);
    trace_.record_lines(Direction::to_client, format_reply(r, false));
}

void SmtpServerSession::handle_mail(const SmtpCommand& cmd) {
    if (!greeted_) {
        error(smtp_reply(503, kBadSequence, "Send HELO or EHLO first"));
        return;
    }
    if (config_.auth == SmtpAuthPolicy::required && envelope_.auth_user.empty()) {
        error(smtp_reply(530, {5, 7, 0}, "Authentication required"));
        return;
    }
    if (in_transaction_) {
        error(smtp_reply(503, kBadSequence, "Nested MAIL command"));
        return;
    }
    auto params = parse_mail_parameters(cmd.parameters, offered());
    if (!params) {
        if (params.error().code == 552) {
            reply(params.error());
        } else {
            error(params.error());
        }
        return;
    }
    if (cmd.path.non_ascii && !params->smtputf8) {
        error(smtp_reply(553, {5, 6, 7}, "Non-ASCII address needs SMTPUTF8"));  // RFC 6531 3.6
        return;
    }
    in_transaction_ = true;
    envelope_.mail_from = cmd.path.mailbox;
    envelope_.parameters = *params;
    envelope_.recipients.clear();
    reply(smtp_reply(250, {2, 1, 0}, "Sender OK"));
}

void SmtpServerSession::handle_rcpt(const SmtpCommand& cmd) {
    if (!in_transaction_) {
        error(smtp_reply(503, kBadSequence, "Need MAIL command"));
        return;
    }
    if (!cmd.parameters.empty()) {
        // DSN's NOTIFY and ORCPT (RFC 3461) would go here; DSN is not offered.
        error(smtp_reply(555, {5, 5, 4}, "Unsupported parameter " + cmd.parameters[0].keyword));
        return;
    }
    if (cmd.path.non_ascii && !envelope_.parameters.smtputf8) {
        error(smtp_reply(553, {5, 6, 7}, "Non-ASCII address needs SMTPUTF8"));
        return;
    }
    if (envelope_.recipients.size() >= config_.limits.max_recipients) {
        // RFC 5321 4.5.3.1.10: a temporary failure; the client sends the rest later.
        reply(smtp_reply(452, {4, 5, 3}, "Too many recipients"));
        return;
    }
    events_.push_back(SmtpCheckRecipient{cmd.path.mailbox});
    phase_ = Phase::waiting;
    question_ = Question::recipient;
    pending_recipient_ = cmd.path.mailbox;
}

void SmtpServerSession::handle_data() {
    if (!in_transaction_) {
        error(smtp_reply(503, kBadSequence, "Need MAIL command"));
        return;
    }
    if (envelope_.recipients.empty()) {
        error(smtp_reply(554, kBadSequence, "No valid recipients"));  // RFC 5321 3.3
        return;
    }
    events_.push_back(SmtpBeginMessage{});
    phase_ = Phase::waiting;
    question_ = Question::begin_message;
}

void SmtpServerSession::handle_auth(const SmtpCommand& cmd) {
    if (!auth_offered()) {
        error(smtp_reply(502, kNotAvailable, "AUTH not available"));
        return;
    }
    if (!envelope_.esmtp) {
        error(smtp_reply(503, kBadSequence, "Send EHLO first"));
        return;
    }
    if (!envelope_.auth_user.empty()) {
        error(smtp_reply(503, kBadSequence, "Already authenticated"));  // RFC 4954 section 4
        return;
    }
    if (in_transaction_) {
        error(smtp_reply(503, kBadSequence, "AUTH not permitted during a mail transaction"));
        return;
    }
    const auto mechanism = parse_sasl_mechanism(cmd.argument);
    if (!mechanism) {
        error(smtp_reply(504, {5, 5, 4}, "Unrecognized authentication type"));
        return;
    }
    sasl_.emplace(*mechanism);
    std::optional<std::string_view> initial;
    if (cmd.initial_response) {
        initial = *cmd.initial_response;
    }
    handle_sasl_step(sasl_->start(initial));
}

void SmtpServerSession::handle_sasl_line(std::string_view line) {
    trace_.record(Direction::to_server, line == "*" ? std::string_view("*") : kHidden);
    if (line.size() + 2 > kSmtpMaxAuthLine) {
        sasl_.reset();  // RFC 4954 section 4: the AUTH command fails with 500
        phase_ = Phase::command;
        error(smtp_reply(500, kLineTooLong, "Line too long"));
        return;
    }
    handle_sasl_step(sasl_->step(line));
}

void SmtpServerSession::handle_sasl_step(SaslStep step) {
    if (auto* challenge = std::get_if<SaslChallenge>(&step)) {
        reply(SmtpReply{334, std::nullopt, {challenge->base64}});
        phase_ = Phase::sasl;
        return;
    }
    const SaslMechanism mechanism = sasl_->mechanism();
    sasl_.reset();
    phase_ = Phase::command;
    if (auto* creds = std::get_if<SaslCredentials>(&step)) {
        auth_candidate_ = creds->user;
        events_.push_back(
            SmtpCheckCredentials{mechanism, std::move(creds->user), std::move(creds->password)});
        phase_ = Phase::waiting;
        question_ = Question::credentials;
        return;
    }
    const SaslFailure failure = std::get<SaslFailure>(step);
    if (failure == SaslFailure::cancelled) {
        error(sasl_failure_reply(failure));
    } else {
        auth_failed(sasl_failure_reply(failure));
    }
}

bool SmtpServerSession::recipient_result(SmtpRecipientVerdict verdict) {
    if (phase_ != Phase::waiting || question_ != Question::recipient) {
        return false;
    }
    phase_ = Phase::command;
    question_ = Question::none;
    switch (verdict) {
        case SmtpRecipientVerdict::accept:
            envelope_.recipients.push_back(std::move(pending_recipient_));
            reply(smtp_reply(250, {2, 1, 5}, "Recipient OK"));
            break;
        case SmtpRecipientVerdict::reject:
            error(smtp_reply(550, {5, 1, 1}, "No such mailbox here"));
            break;
        case SmtpRecipientVerdict::not_relaying:
            error(smtp_reply(550, {5, 7, 1}, "Relaying denied"));
            break;
        case SmtpRecipientVerdict::temporary_failure:
            reply(smtp_reply(451, {4, 3, 0}, "Temporary lookup failure, try again later"));
            break;
    }
    pending_recipient_.clear();
    return true;
}

bool SmtpServerSession::credentials_result(SmtpCredentialsVerdict verdict) {
    if (phase_ != Phase::waiting || question_ != Question::credentials) {
        return false;
    }
    phase_ = Phase::command;
    question_ = Question::none;
    switch (verdict) {
        case SmtpCredentialsVerdict::accept:
            envelope_.auth_user = std::move(auth_candidate_);
            reply(smtp_reply(235, {2, 7, 0}, "Authentication successful"));
            break;
        case SmtpCredentialsVerdict::reject:
            auth_failed(smtp_reply(535, {5, 7, 8}, "Authentication credentials invalid"));
            break;
        case SmtpCredentialsVerdict::temporary_failure:
            reply(smtp_reply(454, {4, 7, 0}, "Temporary authentication failure"));
            break;
    }
    auth_candidate_.clear();
    return true;
}

bool SmtpServerSession::begin_message_result(std::optional<SmtpMessageStamp> stamp) {
    if (phase_ != Phase::waiting || question_ != Question::begin_message) {
        return false;
    }
    question_ = Question::none;
    if (!stamp) {
        phase_ = Phase::command;
        reply(smtp_reply(451, {4, 3, 0}, "Cannot take a message now, try again later"));
        return true;
    }
    message_id_ = without_controls(stamp->id);
    message_ = received_field(*stamp);
    data_size_ = 0;
    data_problem_ = DataProblem::none;
    data_state_ = DataState::line_start;
    traced_data_lines_ = 0;
    trace_line_.clear();
    phase_ = Phase::data;
    reply(smtp_reply(354, "End data with <CR><LF>.<CR><LF>"));
    return true;
}

bool SmtpServerSession::message_result(SmtpDeliveryResult result) {
    if (phase_ != Phase::waiting || question_ != Question::message) {
        return false;
    }
    phase_ = Phase::command;
    question_ = Question::none;
    switch (result) {
        case SmtpDeliveryResult::stored:
            reply(smtp_reply(250, kOk, "OK: queued as " + message_id_));
            junk_commands_ = 0;
            break;
        case SmtpDeliveryResult::temporary_failure:
            reply(smtp_reply(451, {4, 3, 0}, "Message not stored, try again later"));
            break;
        case SmtpDeliveryResult::rejected:
            reply(smtp_reply(554, {5, 6, 0}, "Message rejected"));
            break;
    }
    return true;
}

// The data, through a small machine over the bytes (RFC 5321 4.5.2 and 2.3.8):
//   line_start --'.'--> dot --CR--> dot_cr --LF--> the end
//   line_start, dot (the dot dropped) --other--> text --CR--> cr --LF--> line_start
// Any other byte after a CR, or a LF not after a CR, is a bare line end: the message is
// refused at its end. A bare LF does not start a line, so LF "." CR LF is no end either.
void SmtpServerSession::read_data() {
    const std::string_view in = std::string_view(in_).substr(in_pos_);
    std::size_t i = 0;
    bool ended = false;
    while (i < in.size() && !ended) {
        const char c = in[i];
        switch (data_state_) {
            case DataState::line_start:
                if (c == '.') {
                    data_state_ = DataState::dot;
                    ++i;
                } else {
                    data_state_ = DataState::text;
                }
                break;
            case DataState::dot:
                if (c == '\r') {
                    data_state_ = DataState::dot_cr;
                    ++i;
                } else {
                    data_state_ = DataState::text;  // the stuffed dot is dropped
                }
                break;
            case DataState::dot_cr:
                if (c == '\n') {
                    ended = true;
                    ++i;
                } else {
                    refuse_data(DataProblem::bare_line_end);
                    data_state_ = DataState::text;
                }
                break;
            case DataState::cr:
                if (c == '\n') {
                    append_data("\r\n");
                    data_state_ = DataState::line_start;
                    ++i;
                } else {
                    refuse_data(DataProblem::bare_line_end);
                    data_state_ = DataState::text;
                }
                break;
            case DataState::text: {
                const std::size_t stop = std::min(in.find_first_of("\r\n", i), in.size());
                append_data(in.substr(i, stop - i));
                i = stop;
                if (i < in.size()) {
                    if (in[i] == '\r') {
                        data_state_ = DataState::cr;
                    } else {
                        refuse_data(DataProblem::bare_line_end);  // and no line start
                    }
                    ++i;
                }
                break;
            }
        }
    }
    trace_data(in.substr(0, i), ended);
    in_pos_ += i;
    if (ended) {
        finish_data();
    }
}

void SmtpServerSession::append_data(std::string_view bytes) {
    if (data_problem_ != DataProblem::none) {
        return;
    }
    if (bytes.size() > config_.limits.max_message_size - data_size_) {
        refuse_data(DataProblem::too_big);
        return;
    }
    message_.append(bytes);
    data_size_ += bytes.size();
}

void SmtpServerSession::refuse_data(DataProblem problem) {
    if (data_problem_ == DataProblem::none) {
        data_problem_ = problem;
        message_.clear();
        message_.shrink_to_fit();  // what is read from now on is dropped
    }
}

void SmtpServerSession::finish_data() {
    phase_ = Phase::command;
    switch (data_problem_) {
        case DataProblem::too_big:
            reply(smtp_reply(552, {5, 3, 4}, "Message size exceeds fixed maximum message size"));
            reset_transaction();
            return;
        case DataProblem::bare_line_end:
            reply(smtp_reply(550, {5, 6, 0},
                             "Message refused: bare CR or LF in the data (RFC 5321 2.3.8)"));
            reset_transaction();
            return;
        case DataProblem::none:
            break;
    }
    events_.push_back(SmtpMessage{envelope_, message_id_, std::move(message_)});
    message_.clear();
    message_.shrink_to_fit();
    reset_transaction();
    phase_ = Phase::waiting;
    question_ = Question::message;
}

void SmtpServerSession::trace_data(std::string_view raw, bool ended) {
    if (!trace_.enabled()) {
        return;
    }
    while (!raw.empty()) {
        const std::size_t lf = raw.find('\n');
        const std::string_view piece = raw.substr(0, lf);
        if (trace_line_.size() < kMaxTracedLine) {
            trace_line_.append(piece.substr(0, kMaxTracedLine - trace_line_.size()));
        }
        if (lf == std::string_view::npos) {
            return;
        }
        raw.remove_prefix(lf + 1);
        if (!trace_line_.empty() && trace_line_.back() == '\r') {
            trace_line_.pop_back();
        }
        const bool last = ended && raw.empty();
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

std::string SmtpServerSession::received_field(const SmtpMessageStamp& stamp) const {
    std::string f = "Received: from " + envelope_.helo;
    if (!peer_.address.empty()) {
        // TCP-info = address-literal / ( Domain FWS address-literal )
        const std::string address = without_controls(peer_.address);
        const std::string literal =
            address.find(':') != std::string::npos ? "[IPv6:" + address + "]" : "[" + address + "]";
        const std::string name = without_controls(peer_.name);
        f += " (" + (name.empty() ? literal : name + " " + literal) + ")";
    }
    std::string protocol = !envelope_.esmtp                ? "SMTP"
                           : envelope_.parameters.smtputf8 ? "UTF8SMTP"
                                                           : "ESMTP";
    if (envelope_.esmtp && peer_.tls) {
        protocol += 'S';
    }
    if (envelope_.esmtp && !envelope_.auth_user.empty()) {
        protocol += 'A';
    }
    f += "\r\n\tby " + config_.hostname + " with " + protocol + " id " + without_controls(stamp.id);
    if (envelope_.recipients.size() == 1) {
        f += "\r\n\tfor <" + envelope_.recipients.front() + ">";
    }
    f += "; " + without_controls(stamp.date) + "\r\n";
    return f;
}

void SmtpServerSession::reply(const SmtpReply& r) {
    const std::size_t start = out_.size();
    append_reply(out_, r, enhanced());
    trace_.record_lines(Direction::to_client, std::string_view(out_).substr(start));
}

void SmtpServerSession::error(const SmtpReply& r) {
    reply(r);
    if (++errors_ >= config_.limits.max_errors && phase_ != Phase::closed) {
        close_with(smtp_reply(421, kClosing, config_.hostname + " Too many errors"));
    }
}

void SmtpServerSession::auth_failed(const SmtpReply& r) {
    error(r);
    if (++auth_failures_ >= config_.limits.max_auth_failures && phase_ != Phase::closed) {
        close_with(
            smtp_reply(421, kClosing, config_.hostname + " Too many authentication failures"));
    }
}

void SmtpServerSession::junk() {
    if (++junk_commands_ > config_.limits.max_junk_commands) {
        close_with(smtp_reply(421, kClosing, config_.hostname + " Too many commands"));
    }
}

void SmtpServerSession::close_with(const SmtpReply& r) {
    reply(r);
    phase_ = Phase::closed;
    question_ = Question::none;
    sasl_.reset();
    in_.clear();
    in_.shrink_to_fit();
    in_pos_ = 0;
    message_.clear();
    message_.shrink_to_fit();
}

void SmtpServerSession::reset_transaction() {
    in_transaction_ = false;
    envelope_.mail_from.clear();
    envelope_.parameters = {};
    envelope_.recipients.clear();
}

bool SmtpServerSession::enhanced() const {
    return envelope_.esmtp && config_.extensions.enhanced_status_codes;
}

bool SmtpServerSession::auth_offered() const {
    return config_.auth != SmtpAuthPolicy::none;
}

SmtpOfferedParameters SmtpServerSession::offered() const {
    SmtpOfferedParameters o;
    if (envelope_.esmtp) {
        o.size = true;
        o.max_size = config_.limits.max_message_size;
        o.eight_bit_mime = config_.extensions.eight_bit_mime;
        o.smtputf8 = config_.extensions.smtputf8;
        o.auth = auth_offered();
    }
    return o;
}

}  // namespace l7::mail
