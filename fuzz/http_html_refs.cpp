// The page-load tokenizer on arbitrary bytes: it never crashes or loops, stays within its
// limits, and every reference it reports is an http(s) URL whose request-target a request
// line can carry, each once.

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/html_refs.hpp"
#include "http/target_path.hpp"

using namespace l7::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Url page = *parse_url("http://www.someschool.edu/someDept/home.index");
    HtmlRefLimits limits;
    limits.max_refs = 64;
    limits.max_url_length = 512;
    const HtmlRefs refs = extract_html_refs(l7::fuzz::as_text(data, size), page, limits);
    L7_FUZZ_CHECK(refs.refs.size() <= limits.max_refs);
    L7_FUZZ_CHECK(refs.base.scheme == "http" || refs.base.scheme == "https");
    std::set<std::string> seen;
    for (const HtmlRef& r : refs.refs) {
        L7_FUZZ_CHECK(r.url.scheme == "http" || r.url.scheme == "https");
        L7_FUZZ_CHECK(!r.url.host.empty());
        L7_FUZZ_CHECK(r.url.target.size() <= limits.max_url_length);
        L7_FUZZ_CHECK(is_valid_target(r.url.target) && r.url.target.front() == '/');
        L7_FUZZ_CHECK(r.same_origin == same_origin(r.url, page));
        L7_FUZZ_CHECK(!r.element.empty() && !r.attribute.empty());
        L7_FUZZ_CHECK(seen.insert(r.url.to_string()).second);
    }
    return 0;
}
