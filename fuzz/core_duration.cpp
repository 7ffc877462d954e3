// l7::parse_duration on arbitrary text. A parsed duration is between 0 and 1e18 ns, and
// format_duration prints it as text that parses back to exactly the same duration.

#include <string>

#include "core/duration.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);
    const auto d = l7::parse_duration(text);
    if (!d) {
        L7_FUZZ_CHECK(!d.error().message.empty());
        return 0;
    }
    L7_FUZZ_CHECK(d->count() >= 0);
    L7_FUZZ_CHECK(d->count() <= 1'000'000'000'000'000'000);

    const std::string printed = l7::format_duration(*d);
    const auto again = l7::parse_duration(printed);
    L7_FUZZ_CHECK(again.ok());
    L7_FUZZ_CHECK(*again == *d);
    L7_FUZZ_CHECK(l7::format_duration(*again) == printed);
    L7_FUZZ_CHECK(!l7::format_millis(*d).empty());
    return 0;
}
