// The link emulator's option parsers on arbitrary text: parse_rate, parse_loss and
// parse_byte_size. Each either fails with a one-line sentence or returns a value within its
// documented bounds; a rate prints (format_rate) as text that parses back to the same rate,
// and its transmission time never shrinks as the size grows.

#include <string>

#include "fuzz_check.hpp"
#include "link/amounts.hpp"
#include "link/rate.hpp"

namespace {

// True when `r` is an error; checks that the error is one line. The message quotes the
// input, so a newline in it can only come from the input.
template <class R>
bool failed_with_one_sentence(const R& r, std::string_view input) {
    if (r.ok()) {
        return false;
    }
    const std::string& m = r.error().message;
    L7_FUZZ_CHECK(!m.empty());
    L7_FUZZ_CHECK(m.find('\n') == std::string::npos || input.find('\n') != input.npos);
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);

    const auto rate = l7::link::parse_rate(text);
    if (!failed_with_one_sentence(rate, text)) {
        L7_FUZZ_CHECK(*rate >= l7::link::min_rate_bps);
        L7_FUZZ_CHECK(*rate <= l7::link::max_rate_bps);
        const std::string printed = l7::link::format_rate(*rate);
        const auto again = l7::link::parse_rate(printed);
        L7_FUZZ_CHECK(again.ok());
        L7_FUZZ_CHECK(*again == *rate);
        L7_FUZZ_CHECK(l7::link::format_rate(*again) == printed);
        const auto small = l7::link::transmission_time(1500, *rate);
        const auto large = l7::link::transmission_time(1 << 30, *rate);
        L7_FUZZ_CHECK(small.count() >= 0);
        L7_FUZZ_CHECK(large >= small);
    }

    const auto loss = l7::link::parse_loss(text);
    if (!failed_with_one_sentence(loss, text)) {
        L7_FUZZ_CHECK(*loss >= 0.0);
        L7_FUZZ_CHECK(*loss <= 1.0);
    }

    const auto bytes = l7::link::parse_byte_size(text);
    if (!failed_with_one_sentence(bytes, text)) {
        L7_FUZZ_CHECK(*bytes <= l7::link::max_queue_bytes);
        const auto again = l7::link::parse_byte_size(l7::link::format_byte_size(*bytes));
        L7_FUZZ_CHECK(again.ok());
        L7_FUZZ_CHECK(*again == *bytes);
    }
    return 0;
}
