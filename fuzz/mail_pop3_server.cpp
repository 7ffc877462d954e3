// l7::mail::Pop3ServerSession fed a client's stream in chunks of random sizes, with a driver
// that holds a small mailbox and answers every question (sometimes only after the next
// chunk, as an asynchronous one would) and reads no more than input_room(). Whatever the
// bytes: every send is whole CRLF lines and starts with a status ("+OK", "-ERR" or a SASL
// "+ "), one question is asked at a time and only in its state, message indexes are in the
// mailbox, nothing is removed unless the client sent QUIT, nothing follows the close, the
// session closes at EOF, and memory stays within its limits.
//
// Input: byte 0 seeds the chunk sizes, byte 1 picks the configuration (SASL, small limits,
// asynchronous answers, a driver that ignores input_room()), byte 2 the driver's answers;
// the rest is the client's stream.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "mail/pop3/session.hpp"

using namespace l7::mail;

namespace {

// Stored messages with what the sending side must get right: dot lines, no final CRLF, an
// empty message, bare LFs, no blank line.
const std::vector<std::string> kMailbox = {
    "Subject: one\r\n\r\nfirst\r\n.\r\n.x\r\n..\r\n",
    "Subject: two\r\n\r\nno final line end",
    "",
    "Subject: bare\n\nlf\n.\n",
    "Subject: header only\r\n",
};

void check_send(std::string_view bytes) {
    L7_FUZZ_CHECK(bytes.size() >= 3);
    L7_FUZZ_CHECK(bytes.starts_with("+OK") || bytes.starts_with("-ERR") || bytes.starts_with("+ "));
    L7_FUZZ_CHECK(bytes.ends_with("\r\n"));
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (bytes[i] == '\n') {
            L7_FUZZ_CHECK(i > 0 && bytes[i - 1] == '\r');
        } else if (bytes[i] == '\r') {
            L7_FUZZ_CHECK(i + 1 < bytes.size() && bytes[i + 1] == '\n');
        }
    }
}

bool contains_quit(std::string_view text) {
    for (std::size_t i = 0; i + 4 <= text.size(); ++i) {
        std::string word(text.substr(i, 4));
        for (char& c : word) {
            c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        }
        if (word == "QUIT") {
            return true;
        }
    }
    return false;
}

enum class Pending { none, credentials, mailbox, message, commit };

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) {
        return 0;
    }
    std::uint32_t seed = data[0] + 1u;
    const std::uint8_t conf = data[1];
    std::uint32_t answers = data[2] * 2654435761u + 1u;
    const std::string_view stream = l7::fuzz::as_text(data + 3, size - 3);
    std::string_view input = stream;

    Pop3ServerConfig config;
    config.hostname = "pop.example.org";
    config.sasl_plain = (conf & 1) == 0;
    if (conf & 2) {
        config.limits.max_errors = 4;
        config.limits.max_login_failures = 1;
        config.limits.max_buffered_input = 1;  // raised to the SASL line limit
    }
    const bool asynchronous = (conf & 4) != 0;
    const bool overfeed = (conf & 8) != 0;
    Pop3ServerSession s(config);
    s.trace().enable((seed & 1) != 0);
    s.start();

    Pending pending = Pending::none;
    std::string candidate;
    std::size_t read_index = 0;
    bool opened = false;
    int closes = 0;
    const auto next_answer = [&] {
        answers = answers * 1103515245u + 12345u;
        return (answers >> 16) % 8;
    };
    const auto answer = [&] {
        const unsigned a = next_answer();
        switch (pending) {
            case Pending::credentials:
                L7_FUZZ_CHECK(s.credentials_result(
                    candidate == "alice" || a < 2 ? Pop3CredentialsVerdict::accept
                    : a == 7                      ? Pop3CredentialsVerdict::temporary_failure
                                                  : Pop3CredentialsVerdict::reject));
                break;
            case Pending::mailbox: {
                std::vector<Pop3MessageInfo> infos;
                for (std::size_t i = 0; i < kMailbox.size(); ++i) {
                    infos.push_back({kMailbox[i].size(), "u" + std::to_string(i)});
                }
                const bool ok = a != 7;
                L7_FUZZ_CHECK(s.mailbox_result(ok ? std::optional(infos) : std::nullopt));
                opened = ok;
                break;
            }
            case Pending::message:
                L7_FUZZ_CHECK(
                    s.message_result(a == 7 ? std::nullopt : std::optional(kMailbox[read_index])));
                break;
            case Pending::commit:
                L7_FUZZ_CHECK(s.commit_result(a != 7));
                break;
            case Pending::none:
                break;
        }
        pending = Pending::none;
    };
    const auto drain = [&] {
        for (int steps = 0;; ++steps) {
            L7_FUZZ_CHECK(steps < 1000000);
            auto ev = s.next_event();
            if (!ev) {
                if (pending != Pending::none && !asynchronous) {
                    answer();
                    continue;
                }
                break;
            }
            L7_FUZZ_CHECK(closes == 0);               // nothing after the close
            L7_FUZZ_CHECK(pending == Pending::none);  // one question at a time
            if (auto* send = std::get_if<Pop3Send>(&*ev)) {
                check_send(send->bytes);
                L7_FUZZ_CHECK(overfeed || send->bytes.find("pipelined input") == std::string::npos);
            } else if (auto* c = std::get_if<Pop3CheckCredentials>(&*ev)) {
                L7_FUZZ_CHECK(!opened);
                candidate = c->user;
                pending = Pending::credentials;
            } else if (auto* o = std::get_if<Pop3OpenMailbox>(&*ev)) {
                L7_FUZZ_CHECK(!opened && o->user == candidate);
                pending = Pending::mailbox;
            } else if (auto* r = std::get_if<Pop3ReadMessage>(&*ev)) {
                L7_FUZZ_CHECK(opened && r->index < kMailbox.size());
                read_index = r->index;
                pending = Pending::message;
            } else if (auto* commit = std::get_if<Pop3Commit>(&*ev)) {
                L7_FUZZ_CHECK(opened);
                // RFC 1939 6: UPDATE only after the client's QUIT.
                L7_FUZZ_CHECK(contains_quit(stream.substr(0, stream.size() - input.size())));
                for (std::size_t i = 0; i < commit->deleted.size(); ++i) {
                    L7_FUZZ_CHECK(commit->deleted[i] < kMailbox.size());
                    L7_FUZZ_CHECK(i == 0 || commit->deleted[i - 1] < commit->deleted[i]);
                }
                pending = Pending::commit;
            } else if (std::holds_alternative<Pop3Close>(*ev)) {
                ++closes;
            }
        }
        (void)s.trace().take();
        // The input buffer and the responses of one batch (a string's capacity may double).
        L7_FUZZ_CHECK(s.buffered_bytes() <= 4 * config.limits.max_buffered_input + 256 * 1024);
    };

    drain();
    while (!input.empty() && closes == 0) {
        if (asynchronous && pending != Pending::none) {
            answer();
            drain();
        }
        seed = seed * 1103515245u + 12345u;
        std::size_t n = std::min<std::size_t>(input.size(), 1 + (seed >> 16) % 64);
        if (!overfeed) {
            if (s.input_room() == 0) {
                L7_FUZZ_CHECK(pending != Pending::none || closes > 0);
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
    drain();
    // Each question still in the buffered commands (a pipelined batch of RETRs) is answered.
    for (std::size_t i = 0; i <= stream.size() && closes == 0; ++i) {
        L7_FUZZ_CHECK(pending != Pending::none);
        answer();
        drain();
    }
    L7_FUZZ_CHECK(closes == 1);
    L7_FUZZ_CHECK(s.waiting_for() == Pop3WaitingFor::nothing);
    L7_FUZZ_CHECK(s.input_room() == 0);
    s.receive("NOOP\r\n");
    L7_FUZZ_CHECK(!s.next_event());
    return 0;
}
