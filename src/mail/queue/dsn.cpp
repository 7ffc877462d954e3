#include "mail/queue/dsn.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "mail/address.hpp"
#include "mail/compose.hpp"
#include "mail/header.hpp"
#include "mail/mail_date.hpp"
#include "mail/mime.hpp"
#include "mail/queue/retry.hpp"

namespace l7::mail {
namespace {

// Text lines of the human-readable part are wrapped here (RFC 5322 2.1.1's 78, less room).
constexpr std::size_t kWrapWidth = 76;
// A word longer than this is split so that no line passes kMaxLineLength.
constexpr std::size_t kMaxWord = 900;
// Continuation lines of a recipient's paragraph start with this.
constexpr std::string_view kIndent = "    ";

bool is_ascii(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// RFC 5322 3.4.1: a domain is a dot-atom or a literal of printable characters.
bool is_domain(std::string_view d) {
    if (d.size() >= 2 && d.front() == '[' && d.back() == ']') {
        const std::string_view inner = d.substr(1, d.size() - 2);
        return !inner.empty() && std::all_of(inner.begin(), inner.end(), [](char c) {
            const auto u = static_cast<unsigned char>(c);
            return u >= 33 && u <= 126 && c != '[' && c != ']' && c != '\\';
        });
    }
    return is_dot_atom(d) && is_ascii(d);
}

// Which report: the classic, ASCII one (RFC 3464) or the global one (RFC 6533).
struct Flavour {
    bool global = false;

    std::string text(std::string_view s) const { return safe_text(s, global); }
    std::string_view report_type() const {
        return global ? "global-delivery-status" : "delivery-status";
    }
    std::string address_field(std::string_view address) const {
        const std::string shown = text(address);
        return std::string(global && !is_ascii(shown) ? "utf-8; " : "rfc822; ") + shown;
    }
};

// Appends a field, folded (RFC 3464 2.1: the report's fields follow RFC 822's syntax, so
// long ones fold like header fields). Values here are made safe first: fold_field turns any
// CR or LF left into spaces anyway.
void add_field(std::string& out, std::string_view name, std::string_view value) {
    out += fold_field(name, value);
}

std::string date(std::int64_t t, int utc_offset_minutes) {
    return format_mail_date(t, utc_offset_minutes);
}

// `text` as lines of at most kWrapWidth where its words allow, broken at spaces, the
// continuation lines starting with `indent`; each line ends in CRLF.
void append_wrapped(std::string& out, std::string_view text, std::string_view indent = {}) {
    std::size_t line = 0;  // characters on the current line
    bool first_word = true;
    const auto new_line = [&] {
        out += "\r\n";
        out += indent;
        line = indent.size();
    };
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ' ') {
            ++i;
            continue;
        }
        std::size_t end = text.find(' ', i);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view word = text.substr(i, end - i);
        i = end;
        if (!first_word && line + 1 + word.size() > kWrapWidth) {
            new_line();
        } else if (!first_word) {
            out += ' ';
            ++line;
        }
        first_word = false;
        while (word.size() > kMaxWord) {
            out.append(word.substr(0, kMaxWord));
            word.remove_prefix(kMaxWord);
            new_line();
        }
        out.append(word);
        line += word.size();
    }
    out += "\r\n";
}

// The status to report: the recipient's when it fits the action (a failure may carry a
// 4.x.x one: 4.4.7, or the last temporary trouble of an expired message), else X.0.0.
std::string report_status(const QueueRecipient& r, DsnAction action) {
    if (is_enhanced_status(r.status) &&
        (r.status[0] == '4' || (r.status[0] == '5' && action == DsnAction::failed))) {
        return r.status;
    }
    return action == DsnAction::failed ? "5.0.0" : "4.0.0";
}

// An SMTP reply as stored: three digits, then a space, a hyphen or the end.
bool is_smtp_reply(std::string_view text) {
    return text.size() >= 3 &&
           std::all_of(text.begin(), text.begin() + 3,
                       [](char c) { return c >= '0' && c <= '9'; }) &&
           (text.size() == 3 || text[3] == ' ' || text[3] == '-');
}

std::string human_part(const QueueEntry& original, std::span<const QueueRecipient> recipients,
                       const BounceOptions& o, const Flavour& f) {
    std::string out;
    const std::string host = f.text(o.reporting_mta);
    append_wrapped(out, "This is the mail system at " + host + ".");
    out += "\r\n";
    if (o.action == DsnAction::failed) {
        append_wrapped(out,
                       "Your message could not be delivered to the recipients listed below. "
                       "After each address is the reason, as the receiving server gave it.");
    } else {
        append_wrapped(out,
                       "Your message has not been delivered to the recipients listed below "
                       "yet. Delivery will be tried again until " +
                           date(o.will_retry_until, o.utc_offset_minutes) +
                           "; there is no need to send it again. Should it still fail "
                           "then, another notice will follow.");
    }
    out += "\r\n";
    append_wrapped(out, "For help, write to postmaster@" + host +
                            " and include this report. The message's queue id is " +
                            f.text(original.id) + ".");
    for (const QueueRecipient& r : recipients) {
        out += "\r\n";
        std::string line = "<" + f.text(r.address) + ">: ";
        if (o.action == DsnAction::failed && r.status == "4.4.7") {
            line += "delivery time expired; last problem: ";
        }
        if (!r.remote_mta.empty() && !r.last_reply.empty()) {
            line += "host " + f.text(r.remote_mta) + " said: ";
        }
        line += r.last_reply.empty()
                    ? "no reply recorded (status " + report_status(r, o.action) + ")"
                    : f.text(r.last_reply);
        append_wrapped(out, line, kIndent);
    }
    return out;
}

std::string status_part(const QueueEntry& original, std::span<const QueueRecipient> recipients,
                        const BounceOptions& o, const Flavour& f) {
    std::string out;
    add_field(out, "Reporting-MTA", "dns; " + f.text(o.reporting_mta));
    add_field(out, "X-l7-Queue-ID", f.text(original.id));
    if (!original.origin.empty()) {
        add_field(out, "Received-From-MTA", "dns; " + f.text(original.origin));
    }
    add_field(out, "Arrival-Date", date(original.arrival, o.utc_offset_minutes));
    if (!original.parameters.envid.empty()) {
        add_field(out, "Original-Envelope-Id", safe_text(original.parameters.envid, false));
    }
    for (const QueueRecipient& r : recipients) {
        out += "\r\n";
        add_field(out, "Final-Recipient", f.address_field(r.address));
        add_field(out, "Action", o.action == DsnAction::failed ? "failed" : "delayed");
        add_field(out, "Status", report_status(r, o.action));
        if (!r.remote_mta.empty()) {
            add_field(out, "Remote-MTA", "dns; " + f.text(r.remote_mta));
        }
        if (!r.last_reply.empty()) {
            const std::string reply = f.text(r.last_reply);
            add_field(out, "Diagnostic-Code", (is_smtp_reply(reply) ? "smtp; " : "X-l7; ") + reply);
        }
        if (r.last_attempt > 0) {
            add_field(out, "Last-Attempt-Date", date(r.last_attempt, o.utc_offset_minutes));
        }
        if (o.action == DsnAction::delayed) {
            add_field(out, "Will-Retry-Until", date(o.will_retry_until, o.utc_offset_minutes));
        }
    }
    return out;
}

// `text` with every line end CRLF (a bare CR or LF becomes one), NUL as a space, and lines
// longer than kMaxLineLength folded: a line break and a space, so that a header field stays
// one field.
std::string returnable_lines(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    std::size_t line = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\r' || c == '\n') {
            out += "\r\n";
            line = 0;
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
                ++i;
            }
            continue;
        }
        if (line >= kMaxLineLength - 1) {
            out += "\r\n ";
            line = 1;
        }
        out += c == '\0' ? ' ' : c;
        ++line;
    }
    if (!out.empty() && !out.ends_with("\r\n")) {
        out += "\r\n";
    }
    return out;
}

// Whether the message can go back as it is, as message/rfc822 (RFC 2045 6.4: no encoding):
// CRLF lines within kMaxLineLength, no NUL.
bool is_returnable_as_is(std::string_view m) {
    std::size_t line = 0;
    for (std::size_t i = 0; i < m.size(); ++i) {
        const char c = m[i];
        if (c == '\r' && i + 1 < m.size() && m[i + 1] == '\n') {
            ++i;
            line = 0;
            continue;
        }
        if (c == '\r' || c == '\n' || c == '\0' || ++line > kMaxLineLength) {
            return false;
        }
    }
    return true;
}

// The header section of the stored message, without its empty line.
std::string_view header_section(std::string_view message) {
    std::size_t end = message.size();
    if (auto parsed = parse_header(message)) {
        end = parsed->body_offset;
    } else {
        // Beyond the limits: up to the first empty line, or as much as the limit allows.
        const std::size_t blank = message.find("\r\n\r\n");
        end = std::min(blank == std::string_view::npos ? message.size() : blank + 2,
                       HeaderLimits{}.max_section_bytes);
    }
    std::string_view h = message.substr(0, end);
    // Drop the empty line that ends the section (the part's content is the fields).
    if (h.ends_with("\r\n\r\n")) {
        h.remove_suffix(2);
    } else if (h.ends_with("\n\n")) {
        h.remove_suffix(1);
    }
    return h;
}

struct ReturnedPart {
    std::string content_type;
    std::string body;
};

ReturnedPart returned_part(const QueueEntry& original, std::string_view message,
                           const BounceOptions& o, bool global) {
    const bool full = o.action == DsnAction::failed &&
                      original.parameters.ret == ReturnContent::full &&
                      message.size() <= o.max_returned_message && is_returnable_as_is(message);
    if (full) {
        return {global ? "message/global" : "message/rfc822", std::string(message)};
    }
    return {global ? "message/global-headers" : "text/rfc822-headers",
            returnable_lines(header_section(message))};
}

void append_part(std::string& out, std::string_view boundary, std::string_view content_type,
                 std::string_view body) {
    out += "--";
    out += boundary;
    out += "\r\n";
    add_field(out, "Content-Type", content_type);
    add_field(out, "Content-Transfer-Encoding", is_ascii(body) ? "7bit" : "8bit");
    out += "\r\n";
    out += body;
    out += "\r\n";  // the delimiter's CRLF: the body keeps its own line end
}

}  // namespace

std::string_view describe(DsnError e) {
    switch (e) {
        case DsnError::null_sender:
            return "the message has no sender to report to";
        case DsnError::no_recipients:
            return "no recipients to report on";
        case DsnError::invalid_id:
            return "an invalid queue id for the report";
        case DsnError::invalid_reporting_mta:
            return "an invalid reporting host name";
        case DsnError::invalid_message_id:
            return "an invalid Message-ID";
    }
    return "cannot compose the report";
}

std::string bounce_id(std::string_view original_id, DsnAction action, std::uint32_t sequence) {
    return std::string(original_id) + (action == DsnAction::failed ? "-B" : "-W") +
           std::to_string(sequence);
}

Result<Bounce, DsnError> compose_bounce(const QueueEntry& original,
                                        std::span<const QueueRecipient> recipients,
                                        std::string_view original_message, const BounceOptions& o) {
    if (original.mail_from.empty()) {
        return DsnError::null_sender;
    }
    if (recipients.empty()) {
        return DsnError::no_recipients;
    }
    if (!is_valid_queue_id(o.id)) {
        return DsnError::invalid_id;
    }
    if (!is_domain(o.reporting_mta)) {
        return DsnError::invalid_reporting_mta;
    }
    if (!is_dot_atom(o.message_id_left) || !is_ascii(o.message_id_left)) {
        return DsnError::invalid_message_id;
    }

    // The global form only where the transaction allowed UTF-8 and something needs it.
    const std::string_view headers = header_section(original_message);
    bool needs_utf8 = !is_ascii(original.mail_from) || !is_ascii(headers);
    for (const QueueRecipient& r : recipients) {
        needs_utf8 = needs_utf8 || !is_ascii(r.address) || !is_ascii(r.last_reply) ||
                     !is_ascii(r.remote_mta);
    }
    const Flavour flavour{original.parameters.smtputf8 && needs_utf8};

    const std::string human = human_part(original, recipients, o, flavour);
    const std::string status = status_part(original, recipients, o, flavour);
    const ReturnedPart returned = returned_part(original, original_message, o, flavour.global);
    const std::array<std::string, 3> bodies = {human, status, returned.body};
    const std::string boundary = choose_boundary(o.boundary_random, bodies);

    Header h;
    Mailbox daemon;
    daemon.display_name = "Mail Delivery System";
    daemon.local_part = "MAILER-DAEMON";
    daemon.domain = o.reporting_mta;
    // Values built here hold no CR, LF or NUL, and the names are fixed: add() cannot fail.
    (void)h.add("From", format_mailbox(daemon));
    (void)h.add("To", flavour.text(original.mail_from));
    (void)h.add("Subject", o.action == DsnAction::failed ? "Undelivered Mail Returned to Sender"
                                                         : "Delayed Mail (still being retried)");
    (void)h.add("Date", date(o.now, o.utc_offset_minutes));
    (void)h.add("Message-ID", "<" + o.message_id_left + "@" + o.reporting_mta + ">");
    (void)h.add("Auto-Submitted", "auto-replied");
    (void)h.add("MIME-Version", "1.0");
    (void)h.add("Content-Type", "multipart/report; " +
                                    format_parameter("report-type", flavour.report_type()) + "; " +
                                    format_parameter("boundary", boundary));

    std::string message = h.to_string();
    message += "\r\n";
    message += "This is a delivery status report in MIME format (RFC 3464).\r\n\r\n";
    const std::string text_type = flavour.global || !is_ascii(human)
                                      ? "text/plain; charset=utf-8"
                                      : "text/plain; charset=us-ascii";
    append_part(message, boundary, text_type, human);
    append_part(message, boundary,
                flavour.global ? "message/global-delivery-status" : "message/delivery-status",
                status);
    append_part(message, boundary, returned.content_type, returned.body);
    message += "--" + boundary + "--\r\n";

    Bounce bounce;
    QueueEntry& e = bounce.entry;
    e.id = o.id;
    // A UTF-8 sender can only be reached with SMTPUTF8, whatever the report holds.
    e.parameters.smtputf8 = flavour.global || !is_ascii(original.mail_from);
    e.parameters.eight_bit = !is_ascii(message);
    e.arrival = o.now;
    e.next_attempt = o.now;
    e.message_size = message.size();
    QueueRecipient sender;
    sender.address = original.mail_from;
    e.recipients.push_back(std::move(sender));
    bounce.message = std::move(message);
    return bounce;
}

}  // namespace l7::mail
