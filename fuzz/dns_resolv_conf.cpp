// l7::dns::parse_resolv_conf on arbitrary bytes, and search_candidates on names taken from
// them. Invariants: no crash; 1 to 3 name servers, each an address literal on port 53; the
// option clamps hold (glibc's limits, and at least 1 timeout second and 1 attempt); every
// warning names its line; candidates are distinct, at most one per search domain plus the
// name itself, and just the name when it ends in a dot. The same bytes also go through
// parse_root_hints (a hints file), whose success promises at least one address.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver/hints.hpp"
#include "dns/resolver/resolv_conf.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace l7::dns;

void check_candidates(std::string_view name, const ResolvConf& conf) {
    const std::vector<Name> c = search_candidates(name, conf);
    L7_FUZZ_CHECK(c.size() <= conf.search.size() + 1);
    L7_FUZZ_CHECK(!name.empty() || c.empty());
    for (std::size_t i = 0; i < c.size(); ++i) {
        L7_FUZZ_CHECK(c[i].wire_size() <= kMaxNameWire);
        for (std::size_t j = 0; j < i; ++j) {
            L7_FUZZ_CHECK(!(c[i] == c[j]));
        }
    }
}

void check_conf(const ResolvConf& conf) {
    L7_FUZZ_CHECK(!conf.nameservers.empty() && conf.nameservers.size() <= kMaxNameservers);
    for (const l7::HostPort& s : conf.nameservers) {
        L7_FUZZ_CHECK(s.is_address_literal() && s.port == 53);
    }
    L7_FUZZ_CHECK(conf.ndots <= kMaxNdots);
    L7_FUZZ_CHECK(conf.timeout_seconds >= 1 && conf.timeout_seconds <= kMaxTimeoutSeconds);
    L7_FUZZ_CHECK(conf.attempts >= 1 && conf.attempts <= kMaxAttempts);
    L7_FUZZ_CHECK(conf.search_given || conf.search.empty());
    for (const std::string& w : conf.warnings) {
        L7_FUZZ_CHECK(w.starts_with("line "));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);
    const ResolvConf conf = parse_resolv_conf(text);
    check_conf(conf);

    for (std::string_view name : {"www", "www.example", "a.b.c.d", "absolute.", "."}) {
        check_candidates(name, conf);
    }
    // The input's first line as the typed name: escapes, dots and lengths of the fuzzer's own.
    const std::string_view first = text.substr(0, std::min(text.find('\n'), text.size()));
    check_candidates(first, conf);
    if (!first.empty() && first.back() == '.' && first.find('\\') == std::string_view::npos) {
        L7_FUZZ_CHECK(search_candidates(first, conf).size() <= 1);
    }

    const auto hints = parse_root_hints(text, "fuzz.hints");
    if (hints) {
        L7_FUZZ_CHECK(!hints->servers.empty() && hints->address_count() >= 1);
        for (const RootServer& s : hints->servers) {
            for (const l7::HostPort& a : s.addresses) {
                L7_FUZZ_CHECK(a.is_address_literal() && a.port == 53);
            }
        }
    } else {
        L7_FUZZ_CHECK(hints.error().message.starts_with("fuzz.hints"));
    }
    return 0;
}
