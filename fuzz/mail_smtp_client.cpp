// l7::mail::SmtpClientSession sending two messages against a server's byte stream fed in
// chunks of random sizes, with a driver that gives the messages at Ready (the first one
// perhaps before the greeting), may quit early and may report a timeout. Whatever the bytes:
// the bytes sent are CRLF lines (no bare CR or LF anywhere in the stream), every send but a
// data chunk ends a line, no send is larger than a command group or a data chunk, nothing is
// sent after QUIT and nothing at all follows the close, each message given gets exactly one
// outcome per recipient (in order), a recipient is delivered only after the data's final "."
// went out, the session closes at EOF, and its memory stays within its limits.
//
// Input: byte 0 picks the configuration (AUTH, HELO only, small data chunks, the first
// message before the greeting, trace), byte 1 seeds the chunk sizes, byte 2 the driver's
// whims (an early quit, a timeout); the rest is the server's stream.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "mail/smtp/client_session.hpp"

using namespace l7::mail;

namespace {

std::vector<SmtpOutgoingMessage> messages() {
    SmtpOutgoingMessage first;
    first.mail_from = "alice@client.example";
    first.recipients = {"bob@example.org", "carol@example.org", "bad\r\naddress"};
    first.data = "Subject: dots\r\n\r\n.\r\n..x\r\nbare\nlf\rcr\r\n.\nno final line end";
    first.eight_bit = false;
    SmtpOutgoingMessage second;
    second.mail_from = "";  // a bounce
    second.recipients = {"postmaster@example.org"};
    for (int i = 0; i < 60; ++i) {
        second.data += (i % 5 == 0 ? ".line " : "line ") + std::to_string(i) + " of the body\r\n";
    }
    second.eight_bit = true;
    return {first, second};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) {
        return 0;
    }
    const std::uint8_t conf = data[0];
    std::uint32_t seed = data[1] + 1u;
    std::uint32_t whims = data[2] * 2654435761u + 1u;
    std::string_view input = l7::fuzz::as_text(data + 3, size - 3);

    SmtpClientConfig config;
    config.hello_name = "client.example";
    if (conf & 1) {
        config.auth = SmtpClientCredentials{"alice", "secret"};
        config.require_auth = (conf & 2) != 0;
    }
    config.ehlo = (conf & 4) == 0;
    if (conf & 8) {
        config.limits.data_chunk = 512;
        config.limits.reply.max_lines = 3;
        config.limits.reply.max_line = 512;
        config.limits.reply.max_bytes = 1;  // raised to one line's limit
        config.limits.max_buffered_input = 1;
    }
    const bool early_message = (conf & 16) != 0;
    SmtpClientSession s(config);
    s.trace().enable((conf & 32) != 0);

    const std::vector<SmtpOutgoingMessage> all = messages();
    std::size_t given = 0;        // messages handed to the session
    std::size_t finished = 0;     // SmtpClientMessageDone seen
    bool final_dot_sent = false;  // since the message in progress was given
    bool quit_sent = false;
    bool closed = false;
    bool pending_cr = false;        // a CR sent as the last byte of a send
    std::size_t largest_group = 0;  // the longest command line group we may send
    for (const auto& m : all) {
        std::size_t group = 128 + m.mail_from.size();
        for (const auto& r : m.recipients) {
            group += 16 + r.size();
        }
        largest_group = std::max(largest_group, group);
    }
    const auto next_whim = [&] {
        whims = whims * 1103515245u + 12345u;
        return (whims >> 16) % 64;
    };
    const auto give = [&] {
        if (given < all.size() && s.send_message(all[given])) {
            ++given;
            final_dot_sent = false;
            return true;
        }
        return false;
    };
    const auto drain = [&] {
        for (int steps = 0;; ++steps) {
            L7_FUZZ_CHECK(steps < 100000);
            auto ev = s.next_event();
            if (!ev) {
                break;
            }
            L7_FUZZ_CHECK(!closed);  // nothing follows the close
            if (auto* send = std::get_if<SmtpClientSend>(&*ev)) {
                const std::string& b = send->bytes;
                L7_FUZZ_CHECK(!b.empty());
                L7_FUZZ_CHECK(!quit_sent);  // nothing follows QUIT
                L7_FUZZ_CHECK(b.size() <= std::max(config.limits.data_chunk, largest_group) + 8);
                for (std::size_t i = 0; i < b.size(); ++i) {
                    const bool after_cr = i > 0 ? b[i - 1] == '\r' : pending_cr;
                    L7_FUZZ_CHECK((b[i] == '\n') == after_cr);  // CR always before LF
                }
                pending_cr = b.back() == '\r';
                // Only a data chunk may end mid-line.
                L7_FUZZ_CHECK(b.ends_with("\r\n") ||
                              s.waiting_for() == SmtpClientWaitingFor::data_block);
                if (b.ends_with(".\r\n")) {
                    final_dot_sent = true;
                }
                if (b == "QUIT\r\n" || b.ends_with("\r\nQUIT\r\n")) {
                    quit_sent = true;
                }
            } else if (std::holds_alternative<SmtpClientReady>(*ev)) {
                L7_FUZZ_CHECK(finished == given);  // idle only between messages
                if (next_whim() == 0 || !give()) {
                    s.quit();
                }
            } else if (auto* done = std::get_if<SmtpClientMessageDone>(&*ev)) {
                L7_FUZZ_CHECK(finished < given);  // once per message given
                const SmtpOutgoingMessage& m = all[finished];
                L7_FUZZ_CHECK(done->recipients.size() == m.recipients.size());
                bool all_delivered = true;
                for (std::size_t i = 0; i < m.recipients.size(); ++i) {
                    const auto& r = done->recipients[i];
                    L7_FUZZ_CHECK(r.recipient == m.recipients[i]);
                    if (r.outcome.kind == SmtpOutcomeKind::delivered) {
                        L7_FUZZ_CHECK(final_dot_sent);
                        L7_FUZZ_CHECK(!r.outcome.local && r.outcome.reply.code / 100 == 2);
                        L7_FUZZ_CHECK(r.recipient != "bad\r\naddress");
                    } else {
                        all_delivered = false;
                        // The kind follows the code's class, for the bounce's Status.
                        L7_FUZZ_CHECK(
                            r.outcome.reply.code / 100 ==
                            (r.outcome.kind == SmtpOutcomeKind::temporary_failure ? 4u : 5u));
                        L7_FUZZ_CHECK(r.outcome.status().klass == r.outcome.reply.code / 100);
                    }
                }
                L7_FUZZ_CHECK(all_delivered == (done->overall.kind == SmtpOutcomeKind::delivered));
                ++finished;
            } else if (auto* c = std::get_if<SmtpClientClosed>(&*ev)) {
                L7_FUZZ_CHECK(finished == given);  // the message in progress was decided first
                L7_FUZZ_CHECK(!c->reason.empty());
                L7_FUZZ_CHECK(
                    !c->failure ||
                    c->failure->reply.code / 100 ==
                        (c->failure->kind == SmtpOutcomeKind::temporary_failure ? 4u : 5u));
                closed = true;
            }
        }
        (void)s.trace().take();
        // The input buffer, one reply, one data chunk and the messages themselves.
        L7_FUZZ_CHECK(s.buffered_bytes() <= 4 * config.limits.max_buffered_input + 512 * 1024);
    };

    if (early_message) {
        give();
    }
    drain();
    while (!input.empty() && !closed) {
        seed = seed * 1103515245u + 12345u;
        const std::size_t n = std::min<std::size_t>(input.size(), 1 + (seed >> 16) % 64);
        s.receive(input.substr(0, n));
        input.remove_prefix(n);
        drain();
        if (next_whim() == 1) {
            s.timed_out();
            drain();
            L7_FUZZ_CHECK(closed);
        }
    }
    s.receive({});  // the server's EOF
    drain();
    L7_FUZZ_CHECK(closed);
    L7_FUZZ_CHECK(finished == given);
    L7_FUZZ_CHECK(!pending_cr);  // a CR never ends a send: CRLF goes out whole
    L7_FUZZ_CHECK(s.waiting_for() == SmtpClientWaitingFor::nothing);
    L7_FUZZ_CHECK(!s.send_message(all[0]));
    s.receive("250 OK\r\n");
    s.timed_out();
    L7_FUZZ_CHECK(!s.next_event());
    return 0;
}
