// l7::mail::SmtpServerSession fed a client's stream in chunks of random sizes, with a driver
// that answers every question (sometimes only after the next chunk, as an asynchronous
// lookup would) and reads no more than input_room(). Whatever the bytes: every send is well-
// formed SMTP replies, nothing follows the close, the session closes at EOF, memory stays
// within its limits, and every message handed over starts with the Received field, has only
// CRLF line ends, fits the size limit and has between one and max_recipients recipients.
//
// Input: byte 0 seeds the chunk sizes, byte 1 picks the configuration (AUTH policy,
// extensions, small limits), byte 2 the driver's answers; the rest is the client's stream.

#include <algorithm>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "mail/smtp/session.hpp"

using namespace l7::mail;

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Whole reply lines, multi-line replies keeping one code: "ddd-text" ... "ddd text".
void check_replies(std::string_view bytes) {
    std::string_view open_code;  // the code of a multi-line reply in progress
    while (!bytes.empty()) {
        const std::size_t end = bytes.find("\r\n");
        L7_FUZZ_CHECK(end != std::string_view::npos);
        const std::string_view line = bytes.substr(0, end);
        bytes.remove_prefix(end + 2);
        L7_FUZZ_CHECK(line.size() >= 4);
        L7_FUZZ_CHECK(line[0] >= '2' && line[0] <= '5' && is_digit(line[1]) && is_digit(line[2]));
        L7_FUZZ_CHECK(line[3] == ' ' || line[3] == '-');
        L7_FUZZ_CHECK(line.find('\r') == std::string_view::npos);
        L7_FUZZ_CHECK(line.find('\n') == std::string_view::npos);
        if (!open_code.empty()) {
            L7_FUZZ_CHECK(line.substr(0, 3) == open_code);
        }
        open_code = line[3] == '-' ? line.substr(0, 3) : std::string_view();
    }
    L7_FUZZ_CHECK(open_code.empty());  // a send never stops inside a reply
}

void check_message(const SmtpMessage& m, const SmtpLimits& limits) {
    L7_FUZZ_CHECK(m.data.starts_with("Received: from "));
    const std::size_t header_end = m.data.find("\r\n", m.data.find(';'));
    L7_FUZZ_CHECK(header_end != std::string::npos);
    const std::string_view body = std::string_view(m.data).substr(header_end + 2);
    L7_FUZZ_CHECK(body.size() <= limits.max_message_size);
    for (std::size_t i = 0; i < m.data.size(); ++i) {
        if (m.data[i] == '\n') {
            L7_FUZZ_CHECK(i > 0 && m.data[i - 1] == '\r');
        } else if (m.data[i] == '\r') {
            L7_FUZZ_CHECK(i + 1 < m.data.size() && m.data[i + 1] == '\n');
        }
    }
    L7_FUZZ_CHECK(!m.envelope.recipients.empty());
    L7_FUZZ_CHECK(m.envelope.recipients.size() <= limits.max_recipients);
    L7_FUZZ_CHECK(!m.envelope.helo.empty());
}

struct Pending {
    enum class Kind { none, recipient, credentials, begin, message } kind = Kind::none;
    std::string user, password;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) {
        return 0;
    }
    std::uint32_t seed = data[0] + 1u;
    const std::uint8_t conf = data[1];
    std::uint32_t answers = data[2] * 2654435761u + 1u;
    std::string_view input = l7::fuzz::as_text(data + 3, size - 3);

    SmtpServerConfig config;
    config.hostname = "mx.example.org";
    config.auth = static_cast<SmtpAuthPolicy>(conf % 3);
    config.extensions.enhanced_status_codes = (conf & 4) == 0;
    config.extensions.smtputf8 = (conf & 8) == 0;
    config.extensions.eight_bit_mime = (conf & 16) == 0;
    if (conf & 32) {
        config.limits.max_message_size = 64;
        config.limits.max_recipients = 2;
        config.limits.max_errors = 5;
        config.limits.max_junk_commands = 5;
    }
    const bool asynchronous = (conf & 64) != 0;
    const bool overfeed = (conf & 128) != 0;  // a driver that ignores input_room()
    SmtpServerSession s(config, SmtpPeer{"192.0.2.1", "client.example", false});
    s.trace().enable((seed & 1) != 0);
    s.start();

    Pending pending;
    int closes = 0;
    const auto next_answer = [&] {
        answers = answers * 1103515245u + 12345u;
        return (answers >> 16) % 8;
    };
    const auto answer = [&] {
        const unsigned a = next_answer();
        switch (pending.kind) {
            case Pending::Kind::recipient:
                L7_FUZZ_CHECK(s.recipient_result(a < 5    ? SmtpRecipientVerdict::accept
                                                 : a == 5 ? SmtpRecipientVerdict::reject
                                                 : a == 6
                                                     ? SmtpRecipientVerdict::not_relaying
                                                     : SmtpRecipientVerdict::temporary_failure));
                break;
            case Pending::Kind::credentials:
                L7_FUZZ_CHECK(
                    s.credentials_result(pending.user == "alice" && pending.password == "secret"
                                             ? SmtpCredentialsVerdict::accept
                                             : (a == 7 ? SmtpCredentialsVerdict::temporary_failure
                                                       : SmtpCredentialsVerdict::reject)));
                break;
            case Pending::Kind::begin:
                L7_FUZZ_CHECK(s.begin_message_result(
                    a == 7 ? std::nullopt
                           : std::optional<SmtpMessageStamp>(SmtpMessageStamp{
                                 "Q" + std::to_string(a), "Thu, 01 Jan 2026 12:00:00 +0000"})));
                break;
            case Pending::Kind::message:
                L7_FUZZ_CHECK(s.message_result(a < 6    ? SmtpDeliveryResult::stored
                                               : a == 6 ? SmtpDeliveryResult::temporary_failure
                                                        : SmtpDeliveryResult::rejected));
                break;
            case Pending::Kind::none:
                break;
        }
        pending.kind = Pending::Kind::none;
    };
    const auto drain = [&] {
        for (int steps = 0;; ++steps) {
            L7_FUZZ_CHECK(steps < 1000000);
            auto ev = s.next_event();
            if (!ev) {
                if (pending.kind != Pending::Kind::none && !asynchronous) {
                    answer();
                    continue;
                }
                break;
            }
            L7_FUZZ_CHECK(closes == 0);                          // nothing after the close
            L7_FUZZ_CHECK(pending.kind == Pending::Kind::none);  // one question at a time
            if (auto* send = std::get_if<SmtpSend>(&*ev)) {
                L7_FUZZ_CHECK(!send->bytes.empty());
                check_replies(send->bytes);
                // A driver that reads no more than input_room() is never refused for it.
                L7_FUZZ_CHECK(overfeed || send->bytes.find("pipelined input") == std::string::npos);
            } else if (std::holds_alternative<SmtpCheckRecipient>(*ev)) {
                pending.kind = Pending::Kind::recipient;
            } else if (auto* c = std::get_if<SmtpCheckCredentials>(&*ev)) {
                L7_FUZZ_CHECK(config.auth != SmtpAuthPolicy::none);
                pending = {Pending::Kind::credentials, c->user, c->password};
            } else if (std::holds_alternative<SmtpBeginMessage>(*ev)) {
                pending.kind = Pending::Kind::begin;
            } else if (auto* m = std::get_if<SmtpMessage>(&*ev)) {
                check_message(*m, config.limits);
                pending.kind = Pending::Kind::message;
            } else if (std::holds_alternative<SmtpClose>(*ev)) {
                ++closes;
            }
        }
        (void)s.trace().take();
        // The input buffer, replies, and one message at most (a string's capacity may double).
        L7_FUZZ_CHECK(s.buffered_bytes() <=
                      2 * config.limits.max_message_size + 4 * config.limits.max_buffered_input);
    };

    drain();
    while (!input.empty() && closes == 0) {
        if (asynchronous && pending.kind != Pending::Kind::none) {
            answer();  // the lookup finished while the client was sending more
            drain();
        }
        seed = seed * 1103515245u + 12345u;
        std::size_t n = std::min<std::size_t>(input.size(), 1 + (seed >> 16) % 64);
        if (!overfeed) {
            if (s.input_room() == 0) {
                L7_FUZZ_CHECK(pending.kind != Pending::Kind::none || closes > 0);
                answer();
                drain();
                continue;
            }
            n = std::min(n, s.input_room());
        }
        s.receive(input.substr(0, n));
        input.remove_prefix(n);
        drain();
    }
    s.receive({});  // the client's EOF
    for (int i = 0; i < 8 && closes == 0; ++i) {
        answer();
        drain();
    }
    L7_FUZZ_CHECK(closes == 1);
    L7_FUZZ_CHECK(s.waiting_for() == SmtpWaitingFor::nothing);
    L7_FUZZ_CHECK(s.input_room() == 0);
    s.receive("NOOP\r\n");
    L7_FUZZ_CHECK(!s.next_event());
    return 0;
}
