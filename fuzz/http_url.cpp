// http URLs from arbitrary text: parse_url() either refuses or gives a URL whose text parses
// back to the same parts; resolve_reference() against a fixed base never crashes and, when it
// succeeds, gives a target that starts with '/'.

#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/url.hpp"

using namespace l7::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);
    if (auto url = parse_url(text)) {
        L7_FUZZ_CHECK(!url->host.empty() && url->port != 0 && !url->target.empty() &&
                      url->target.front() == '/');
        auto again = parse_url(url->to_string());
        L7_FUZZ_CHECK(again.ok());
        L7_FUZZ_CHECK(again->host == url->host && again->port == url->port &&
                      again->target == url->target);
    }
    static const Url base = *parse_url("http://a.example/b/c/d?q");
    if (auto resolved = resolve_reference(base, text)) {
        L7_FUZZ_CHECK(!resolved->target.empty() && resolved->target.front() == '/');
    }
    return 0;
}
