// l7::http::parse_target on arbitrary request-targets, with the default options and with
// encoded separators allowed. Invariants: a parsed path starts with '/', has no "." or ".."
// segment and no empty one but the last, holds no NUL (nor '\' by default), reports dotfile
// segments exactly, is no longer than the target, and survives percent_encode and a second
// parse unchanged. percent_encode output is a valid target that decodes back to its input.

#include <algorithm>
#include <string>

#include "fuzz_check.hpp"
#include "http/target_path.hpp"

namespace {

using namespace l7::http;

void check_path(std::string_view target, const TargetPath& t, const TargetOptions& options) {
    const std::string& p = t.path;
    L7_FUZZ_CHECK(!p.empty() && p.front() == '/');
    L7_FUZZ_CHECK(p.size() <= target.size());
    L7_FUZZ_CHECK(p.find('\0') == std::string::npos);
    L7_FUZZ_CHECK(p.find("//") == std::string::npos);
    if (!options.allow_encoded_backslash) {
        L7_FUZZ_CHECK(p.find('\\') == std::string::npos);
    }
    bool dotfile = false;
    std::size_t start = 1;
    while (start <= p.size()) {
        const std::size_t end = std::min(p.find('/', start), p.size());
        const std::string_view seg = std::string_view(p).substr(start, end - start);
        L7_FUZZ_CHECK(seg != "." && seg != "..");
        L7_FUZZ_CHECK(!seg.empty() || end == p.size());
        dotfile = dotfile || seg.starts_with('.');
        start = end + 1;
    }
    L7_FUZZ_CHECK(dotfile == t.has_dotfile_segment);
    L7_FUZZ_CHECK(t.query.find('#') == std::string::npos);
    L7_FUZZ_CHECK(t.has_query || t.query.empty());
    L7_FUZZ_CHECK((t.form == TargetForm::absolute) == !t.authority.empty());
    L7_FUZZ_CHECK(t.scheme.empty() || t.scheme == "http" || t.scheme == "https");

    // Normalised means a fixed point: removing dot segments again changes nothing, and the
    // path percent-encoded parses back to itself without climbing.
    bool climbed = true;
    L7_FUZZ_CHECK(remove_dot_segments(p, &climbed) == p && !climbed);
    const std::string encoded = percent_encode(p, EncodeSet::path);
    if (encoded.size() > kMaxTargetLength) {
        return;  // encoding grew it past the limit ("!" becomes "%21")
    }
    const auto again = parse_target(encoded, options);
    L7_FUZZ_CHECK(again.ok());
    L7_FUZZ_CHECK(again->path == p);
    L7_FUZZ_CHECK(!again->climbed_above_root && !again->has_query);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);
    TargetOptions lax;
    lax.allow_encoded_slash = true;
    lax.allow_encoded_backslash = true;
    for (const TargetOptions& options : {TargetOptions{}, lax}) {
        const auto t = parse_target(text, options);
        if (t) {
            L7_FUZZ_CHECK(!text.empty() && text.size() <= kMaxTargetLength);
            check_path(text, *t, options);
        } else {
            L7_FUZZ_CHECK(!describe(t.error()).empty());
            const int status = status_for(t.error());
            L7_FUZZ_CHECK(status == 400 || status == 414);
        }
    }
    if (parse_target(text).ok()) {
        L7_FUZZ_CHECK(parse_target(text, lax).ok());  // lax accepts what strict does
    }

    // Encoding is total and reversible; only the safe set is left as it is.
    const std::string encoded = percent_encode(text);
    L7_FUZZ_CHECK(is_valid_target("/" + encoded));
    const auto decoded = percent_decode(encoded);
    L7_FUZZ_CHECK(decoded.ok() && *decoded == text);
    const auto raw = percent_decode(text, true);
    L7_FUZZ_CHECK(!raw.ok() || raw->size() <= text.size());
    return 0;
}
