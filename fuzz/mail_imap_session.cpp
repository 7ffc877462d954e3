// l7::mail::imap::ImapServerSession with an in-memory store holding a few messages, fed a
// client's byte stream in chunks of random sizes (never more than input_room() at once, as
// the driver reads), with poll() now and then as an idling driver does. Whatever the
// bytes: the session never crashes, every send is non-empty and ends a line or a literal,
// nothing follows ImapClose, its input room stays within the framer's limits, and it closes
// at EOF.
//
// Input: byte 0 seeds the chunk sizes and the polls; the rest is the client's stream. A seed
// corpus logs in as bob/secret and runs the commands of RFC 3501.

#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "mail/imap/memory_store.hpp"
#include "mail/imap/session.hpp"

using namespace l7::mail::imap;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) {
        return 0;
    }
    std::uint32_t seed = data[0] + 1u;
    std::string_view input = l7::fuzz::as_text(data + 1, size - 1);

    Mail mail;
    mail.folders["Sent"] = {};
    mail.deliver("INBOX",
                 "From: Alice <alice@crepes.fr>\r\nTo: bob@hamburger.edu\r\nSubject: one\r\n"
                 "Date: Tue, 1 Dec 2026 10:00:00 +0100\r\n\r\nfirst\r\n");
    mail.deliver("INBOX",
                 "From: alice@crepes.fr\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
                 "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                 "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n"
                 "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: "
                 "base64\r\n\r\nAAEC\r\n--b--\r\n",
                 {"\\Seen"});
    Accounts accounts(mail);
    ImapServerConfig config;
    config.hostname = "imap.hamburger.edu";
    config.limits.send_slice = 4096;
    ImapServerSession session(config, accounts);
    session.trace().enable((seed & 1) != 0);
    session.start();

    bool closed = false;
    auto drain = [&] {
        while (auto ev = session.next_event()) {
            L7_FUZZ_CHECK(!closed);
            if (auto* send = std::get_if<ImapSend>(&*ev)) {
                L7_FUZZ_CHECK(!send->bytes.empty());
            } else {
                closed = true;
            }
        }
        session.trace().take();
    };
    drain();
    while (!input.empty() && !closed) {
        seed = seed * 1103515245u + 12345u;
        const std::size_t room = session.input_room();
        L7_FUZZ_CHECK(room <= config.limits.framer.max_buffered_input);
        if (room == 0) {
            session.timed_out();  // a driver stops reading a client that cannot be served
            drain();
            break;
        }
        const std::size_t n =
            std::min({input.size(), room, static_cast<std::size_t>(1 + (seed >> 16) % 128)});
        session.receive(input.substr(0, n));
        input.remove_prefix(n);
        drain();
        if ((seed >> 8) % 8 == 0) {
            session.poll();
            drain();
        }
    }
    if (!closed) {
        session.receive({});
        drain();
    }
    L7_FUZZ_CHECK(closed);
    return 0;
}
