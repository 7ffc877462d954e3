// l7::socket::UppercaseSession fed a client's stream in chunks: what it sends back must be
// each line in upper case, LF-terminated, up to the first line over the limit, which is
// answered with one ERROR line before the session closes.
//
// Input: byte 0 seeds the chunk sizes, byte 1 the limit (1 to 64), byte 2 bit 0 turns
// tracing on, bits 1-7 how much output the driver takes at a time; the rest is the stream.

#include <string>

#include "fuzz_check.hpp"
#include "socket/uppercase.hpp"

namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 32);
        }
    }
    return out;
}

struct Expected {
    std::string reply;  // what the client should receive for the whole stream
    bool too_long = false;
    std::string error;
};

Expected model(std::string_view in, std::size_t max_line) {
    Expected e;
    e.error = "ERROR line longer than " + std::to_string(max_line) + " bytes\n";
    while (true) {
        const auto lf = in.find('\n');
        if (lf == std::string_view::npos) {
            // A CR at the end may be the first half of the CRLF: not part of the line.
            e.too_long = in.size() - (!in.empty() && in.back() == '\r' ? 1 : 0) > max_line;
            if (e.too_long) {
                e.reply += e.error;
            }
            return e;
        }
        std::string_view line = in.substr(0, lf);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.size() > max_line) {
            e.reply += e.error;
            e.too_long = true;
            return e;
        }
        e.reply += upper(line);
        e.reply += '\n';
        in.remove_prefix(lf + 1);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) {
        return 0;
    }
    std::uint32_t seed = data[0] + 1u;
    const std::size_t max_line = 1 + data[1] % 64;
    const bool traced = (data[2] & 1u) != 0;
    const std::size_t take = 1 + (data[2] >> 1);
    std::string_view input = l7::fuzz::as_text(data + 3, size - 3);

    l7::socket::UppercaseSession session({.max_line = max_line});
    session.trace().enable(traced);
    std::string received;
    auto drain = [&] {
        while (!session.pending_output().empty()) {
            const std::string_view out = session.pending_output();
            const std::size_t n = std::min(take, out.size());
            received.append(out.substr(0, n));
            session.consume_output(n);
        }
        (void)session.trace().take();
    };

    while (!input.empty() && !session.closing()) {
        seed = seed * 1103515245u + 12345u;  // chunk sizes from 1 to 32
        const std::size_t n = std::min<std::size_t>(input.size(), 1 + (seed >> 16) % 32);
        session.receive(input.substr(0, n));
        input.remove_prefix(n);
        drain();
    }
    const bool closed_early = session.closing();
    session.receive({});  // the client ends its stream
    drain();
    L7_FUZZ_CHECK(session.closing());
    session.receive("more after the end\n");
    L7_FUZZ_CHECK(session.pending_output().empty());

    const std::string_view all = l7::fuzz::as_text(data + 3, size - 3);
    const Expected expected = model(all, max_line);
    L7_FUZZ_CHECK(received == expected.reply);
    L7_FUZZ_CHECK(closed_early == expected.too_long);
    return 0;
}
