#pragma once
// Drives a mail reader's client session (mail/mailbox_client.hpp) as its driver would, with a
// scripted server: the test feeds server bytes and reads what the session sent and gave out.

#include <string>
#include <string_view>
#include <vector>

#include "mail/mailbox_client.hpp"

namespace l7::mail {

struct ClientHarness {
    explicit ClientHarness(MailboxClientSession& session) : s(session) { s.trace().enable(true); }

    // Feeds `bytes` (whole, or one octet at a time) and collects the events.
    void server(std::string_view bytes, bool trickle = false) {
        if (trickle) {
            for (char c : bytes) {
                s.receive(std::string_view(&c, 1));
                drain();
            }
        } else {
            s.receive(bytes);
            drain();
        }
    }
    void eof() {
        s.receive({});
        drain();
    }
    void drain() {
        while (auto ev = s.next_event()) {
            if (auto* send = std::get_if<MailboxClientSend>(&*ev)) {
                sent += send->bytes;
            } else if (auto* m = std::get_if<MailboxMessage>(&*ev)) {
                messages.push_back(std::move(*m));
            } else if (auto* d = std::get_if<MailboxClientDone>(&*ev)) {
                done = *d;
                ++dones;
            }
        }
    }
    // What the session sent since the last call.
    std::string take_sent() { return std::exchange(sent, {}); }
    std::string traced() {
        std::string out;
        for (const auto& e : s.trace().take()) {
            out += e.message + "\n";
        }
        return out;
    }

    MailboxClientSession& s;
    std::string sent;
    std::vector<MailboxMessage> messages;
    std::optional<MailboxClientDone> done;
    int dones = 0;
};

}  // namespace l7::mail
