// The mail readers' clients, l7::mail::Pop3ClientSession and imap::ImapClientSession, against
// a server's byte stream fed in chunks of random sizes. Whatever the bytes: exactly one
// Done, nothing after it; every message handed out fits the size limit and the count stays
// within max_messages; fetched and deleted never exceed the messages handed out with data;
// sends are whole CRLF lines or a literal's octets; and the session ends at EOF.
//
// Input: byte 0 picks the protocol and the mode (list only, delete), byte 1 seeds the chunk
// sizes; the rest is the server's stream.

#include <memory>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "mail/imap/client_session.hpp"
#include "mail/pop3/client_session.hpp"

using namespace l7::mail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const std::uint8_t conf = data[0];
    std::uint32_t seed = data[1] + 1u;
    std::string_view input = l7::fuzz::as_text(data + 2, size - 2);

    MailboxClientConfig config;
    config.user = "bob";
    config.password = (conf & 8) ? "p\xc3\xa4ss word" : "secret";
    config.list_only = (conf & 2) != 0;
    config.delete_after = (conf & 4) != 0;
    config.max_message_bytes = 4096;
    config.max_messages = 16;
    config.max_line = 512;
    std::unique_ptr<MailboxClientSession> session;
    if (conf & 1) {
        session = std::make_unique<imap::ImapClientSession>(config);
    } else {
        session = std::make_unique<Pop3ClientSession>(config);
    }
    session->trace().enable((conf & 16) != 0);

    int dones = 0;
    std::size_t messages = 0;
    std::size_t with_data = 0;
    auto drain = [&] {
        while (auto ev = session->next_event()) {
            L7_FUZZ_CHECK(dones == 0);
            if (auto* send = std::get_if<MailboxClientSend>(&*ev)) {
                L7_FUZZ_CHECK(!send->bytes.empty());
                L7_FUZZ_CHECK(send->bytes.ends_with("\r\n"));
            } else if (auto* m = std::get_if<MailboxMessage>(&*ev)) {
                ++messages;
                L7_FUZZ_CHECK(messages <= config.max_messages);
                if (m->data) {
                    ++with_data;
                    L7_FUZZ_CHECK(!config.list_only);
                    L7_FUZZ_CHECK(m->data->size() <= config.max_message_bytes);
                }
            } else if (auto* done = std::get_if<MailboxClientDone>(&*ev)) {
                ++dones;
                L7_FUZZ_CHECK(done->fetched == with_data);
                L7_FUZZ_CHECK(done->deleted <= done->fetched);
                L7_FUZZ_CHECK(done->ok() == done->problem.empty());
            }
        }
        session->trace().take();
    };
    drain();
    while (!input.empty()) {
        seed = seed * 1103515245u + 12345u;
        const std::size_t n = std::min<std::size_t>(input.size(), 1 + (seed >> 16) % 64);
        session->receive(input.substr(0, n));
        input.remove_prefix(n);
        drain();
    }
    session->receive({});
    drain();
    L7_FUZZ_CHECK(dones == 1);
    return 0;
}
