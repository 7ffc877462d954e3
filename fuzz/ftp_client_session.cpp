// The FTP client session, l7::ftp::FtpClientSession, against a server's control stream fed in
// chunks of random sizes, with the data connection's outcomes (opened or failed, finished
// with some byte count or broken, a timeout now and then) picked by the input too. Whatever
// the bytes: exactly one Done, nothing after it; every send is whole CRLF lines with no CR or
// LF inside (no argument can smuggle in a command); at most one data connection is asked for
// and at most one transfer; no line the client sent shows the password in the trace; the
// Done's problem is empty exactly when it is a success; and the session ends at EOF.
// parse_ftp_url on the same bytes must never hand out a path or credentials holding CR, LF
// or NUL, nor port 0.
//
// Input: byte 0 picks the operation (bits 0-2), active (3), resume (4), ascii (5) and the
// trace (6); byte 1 seeds the chunk sizes and the driver's answers; the rest is the stream.

#include <string>
#include <string_view>

#include "ftp/client_session.hpp"
#include "fuzz_check.hpp"

using namespace l7::ftp;

namespace {

bool has_line_break(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

void check_url(std::string_view text) {
    auto url = parse_ftp_url(text);
    if (!url) {
        L7_FUZZ_CHECK(!url.error().message.empty());
        return;
    }
    L7_FUZZ_CHECK(url->port != 0);
    L7_FUZZ_CHECK(!url->host.empty());
    L7_FUZZ_CHECK(!has_line_break(url->path));
    L7_FUZZ_CHECK(!url->user || !has_line_break(*url->user));
    L7_FUZZ_CHECK(!url->password || !has_line_break(*url->password));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const std::uint8_t conf = data[0];
    std::uint32_t seed = data[1] + 1u;
    std::string_view input = l7::fuzz::as_text(data + 2, size - 2);
    check_url(input);

    FtpClientConfig config;
    config.operation = static_cast<FtpOperation>((conf & 7) % 5);
    config.active = (conf & 8) != 0;
    config.resume = (conf & 16) != 0;
    config.ascii = (conf & 32) != 0;
    config.tls = (conf & 128) != 0;
    config.user = "bob";
    config.password = "s3cr3t-pw";
    config.path = (seed & 1) ? "pub/a\r\nDELE x" : "pub/file";
    config.listing = static_cast<FtpListing>(seed % 3);
    config.local_size = seed % 7;
    config.limits = {256, 16};
    config.max_preliminary = 4;
    FtpClientSession session(config);
    session.trace().enable((conf & 64) != 0);

    auto next = [&seed] {
        seed = seed * 1103515245u + 12345u;
        return seed >> 16;
    };
    int dones = 0;
    int data_requests = 0;
    int transfers = 0;
    auto drain = [&] {
        while (auto ev = session.next_event()) {
            L7_FUZZ_CHECK(dones == 0);
            if (auto* send = std::get_if<FtpClientSend>(&*ev)) {
                L7_FUZZ_CHECK(send->bytes.ends_with("\r\n"));
                std::string_view rest = send->bytes;
                while (!rest.empty()) {
                    const std::size_t end = rest.find("\r\n");
                    L7_FUZZ_CHECK(end != std::string_view::npos);
                    L7_FUZZ_CHECK(!has_line_break(rest.substr(0, end)));
                    rest.remove_prefix(end + 2);
                }
            } else if (std::holds_alternative<FtpClientConnect>(*ev)) {
                L7_FUZZ_CHECK(!config.active);
                ++data_requests;
                if (next() % 5 == 0) {
                    session.data_failed("refused");
                } else {
                    session.data_opened();
                }
            } else if (std::holds_alternative<FtpClientListen>(*ev)) {
                L7_FUZZ_CHECK(config.active);
                ++data_requests;
                session.data_listening(next() % 3 == 0 ? FtpHostPort{"::1", 5000}
                                                       : FtpHostPort{"127.0.0.1", 5000});
            } else if (auto* t = std::get_if<FtpClientTransfer>(&*ev)) {
                ++transfers;
                L7_FUZZ_CHECK(!t->protect || config.tls);
                L7_FUZZ_CHECK((t->direction == FtpClientDirection::upload) ==
                              (config.operation == FtpOperation::put));
                const unsigned pick = next() % 6;
                if (pick == 0) {
                    session.data_failed("reset");
                } else if (pick == 1) {
                    session.data_failed("disk full", true);
                } else {
                    session.data_finished(next() % 16);
                }
            } else if (std::holds_alternative<FtpClientStartTls>(*ev)) {
                L7_FUZZ_CHECK(config.tls);
                if (next() % 4 == 0) {
                    session.tls_failed("handshake failed");
                } else {
                    session.tls_ready();
                }
            } else if (auto* done = std::get_if<FtpClientDone>(&*ev)) {
                ++dones;
                L7_FUZZ_CHECK(done->ok() == done->problem.empty());
                L7_FUZZ_CHECK(!done->transfer_done || done->ok());
            }
            L7_FUZZ_CHECK(data_requests <= 1);
            L7_FUZZ_CHECK(transfers <= 1);
        }
        for (const auto& e : session.trace().take()) {
            // What the client sent (a server may echo anything back).
            L7_FUZZ_CHECK(e.direction != l7::trace::Direction::to_server ||
                          e.message.find(config.password) == std::string::npos);
        }
    };
    drain();
    while (!input.empty()) {
        const std::size_t n = std::min<std::size_t>(input.size(), 1 + next() % 64);
        session.receive(input.substr(0, n));
        input.remove_prefix(n);
        if (next() % 97 == 0) {
            session.timed_out();
        }
        drain();
    }
    session.receive({});
    drain();
    L7_FUZZ_CHECK(dones == 1);
    return 0;
}
