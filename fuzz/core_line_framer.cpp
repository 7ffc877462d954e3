// l7::LineFramer: the same stream framed three ways (in one piece, split in two at a position
// the input chooses, one byte at a time) must give the lines a reference model gives, each
// without LF and no longer than the limit, while buffering at most the limit (and a CR), also
// when next_line() is called with nothing buffered (fresh, after take_rest()).
//
// Input: byte 0 chooses the split position, byte 1 the limit (1 to 32), the rest is the stream.

#include <string>
#include <vector>

#include "core/line_framer.hpp"
#include "fuzz_check.hpp"

namespace {

using l7::LineFramer;

struct Item {
    LineFramer::Status status;
    std::string line;
};

// Frames `chunks` in order, draining after each, and checks the per-line invariants.
std::vector<Item> frame(const std::vector<std::string_view>& chunks, std::size_t max_line) {
    LineFramer framer(max_line);
    std::vector<Item> out;
    L7_FUZZ_CHECK(framer.next_line().status == LineFramer::Status::need_more);
    for (std::string_view chunk : chunks) {
        framer.append(chunk);
        while (true) {
            const auto next = framer.next_line();
            if (next.status == LineFramer::Status::need_more) {
                L7_FUZZ_CHECK(next.line.empty());
                // Memory stays bounded: an unfinished line is kept only while within the limit
                // (plus a CR that may be the first half of its CRLF).
                L7_FUZZ_CHECK(framer.buffered() <= max_line + 1);
                break;
            }
            if (next.status == LineFramer::Status::line) {
                L7_FUZZ_CHECK(next.line.find('\n') == std::string_view::npos);
                L7_FUZZ_CHECK(next.line.size() <= max_line);
            } else {
                L7_FUZZ_CHECK(next.line.empty());
            }
            out.push_back(Item{next.status, std::string(next.line)});
        }
    }
    const std::size_t buffered = framer.buffered();
    const std::string rest = framer.take_rest();
    L7_FUZZ_CHECK(rest.size() == buffered);
    L7_FUZZ_CHECK(framer.buffered() == 0);
    L7_FUZZ_CHECK(framer.next_line().status == LineFramer::Status::need_more);
    return out;
}

// The specification: LF ends a line, one CR right before it is removed, a line over the
// limit is reported once, and so is an unfinished one over the limit (a CR at its end may be
// the first half of the CRLF, so it does not count).
std::vector<Item> model(std::string_view in, std::size_t max_line) {
    std::vector<Item> out;
    while (true) {
        const auto lf = in.find('\n');
        if (lf == std::string_view::npos) {
            if (in.size() - (!in.empty() && in.back() == '\r' ? 1 : 0) > max_line) {
                out.push_back(Item{LineFramer::Status::too_long, {}});
            }
            return out;
        }
        std::string_view line = in.substr(0, lf);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.size() > max_line) {
            out.push_back(Item{LineFramer::Status::too_long, {}});
        } else {
            out.push_back(Item{LineFramer::Status::line, std::string(line)});
        }
        in.remove_prefix(lf + 1);
    }
}

bool same(const std::vector<Item>& actual, const std::vector<Item>& expected) {
    if (actual.size() != expected.size()) {
        return false;
    }
    for (std::size_t i = 0; i < actual.size(); ++i) {
        if (actual[i].status != expected[i].status || actual[i].line != expected[i].line) {
            return false;
        }
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const std::string_view input = l7::fuzz::as_text(data + 2, size - 2);
    const std::size_t split = data[0] % (input.size() + 1);
    const std::size_t max_line = 1 + data[1] % 32;

    const auto expected = model(input, max_line);
    L7_FUZZ_CHECK(same(frame({input}, max_line), expected));
    L7_FUZZ_CHECK(same(frame({input.substr(0, split), input.substr(split)}, max_line), expected));
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < input.size(); ++i) {
        bytes.push_back(input.substr(i, 1));
    }
    L7_FUZZ_CHECK(same(frame(bytes, max_line), expected));
    return 0;
}
