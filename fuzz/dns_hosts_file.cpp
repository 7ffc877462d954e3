// l7::dns::parse_hosts_file on arbitrary bytes, and lookups of words taken from them.
// Invariants: no crash; warnings are bounded and each names its line (or counts the rest);
// no more names than words; every address found is in canonical form (inet_ntop of its own
// inet_pton), of the family it claims, listed once, at most kMaxHostsAddressesPerName per name;
// a lookup ignores ASCII case and one final dot.

#include <arpa/inet.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver/hosts_file.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace l7::dns;

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// The input's first words (bounded, so one input costs bounded time).
std::vector<std::string_view> some_words(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < text.size() && out.size() < 64) {
        while (i < text.size() && is_blank(text[i])) {
            ++i;
        }
        const std::size_t start = i;
        while (i < text.size() && !is_blank(text[i])) {
            ++i;
        }
        if (i > start) {
            out.push_back(text.substr(start, i - start));
        }
    }
    return out;
}

void check_address(const HostsAddress& a) {
    unsigned char bytes[16];
    char back[INET6_ADDRSTRLEN];
    const int family = a.ipv6 ? AF_INET6 : AF_INET;
    L7_FUZZ_CHECK(inet_pton(family, a.text.c_str(), bytes) == 1);
    L7_FUZZ_CHECK(inet_ntop(family, bytes, back, sizeof back) != nullptr);
    L7_FUZZ_CHECK(a.text == back);
}

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return c >= 'a' && c <= 'z' ? static_cast<char>(c - ('a' - 'A')) : c;
    });
    return out;
}

void check_lookup(const HostsFile& hosts, std::string_view name) {
    const auto found = hosts.lookup(name);
    L7_FUZZ_CHECK(found.size() <= kMaxHostsAddressesPerName);
    for (std::size_t i = 0; i < found.size(); ++i) {
        check_address(found[i]);
        for (std::size_t j = 0; j < i; ++j) {
            L7_FUZZ_CHECK(!(found[i] == found[j]));
        }
    }
    L7_FUZZ_CHECK(hosts.lookup(upper(name)).size() == found.size());
    if (!name.empty() && name.back() != '.') {
        L7_FUZZ_CHECK(hosts.lookup(std::string(name) + ".").size() == found.size());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);
    const HostsFile hosts = parse_hosts_file(text);

    L7_FUZZ_CHECK(hosts.warnings().size() <= kMaxHostsWarnings + 1);
    for (const std::string& w : hosts.warnings()) {
        L7_FUZZ_CHECK(w.starts_with("line ") || w.starts_with("and "));
    }
    std::size_t words = 0;
    for (char c : text) {
        words += is_blank(c) ? 0 : 1;  // an upper bound on the number of words
    }
    L7_FUZZ_CHECK(hosts.name_count() <= words);

    for (std::string_view w : some_words(text)) {
        check_lookup(hosts, w);
    }
    for (std::string_view name : {"localhost", "", ".", "LOCALHOST."}) {
        check_lookup(hosts, name);
    }
    return 0;
}
