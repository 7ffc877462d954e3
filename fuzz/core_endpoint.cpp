// l7::parse_host_port and parse_listen_address on arbitrary text. What parses must print
// back (HostPort::to_string) to text that parses to the same host and port, and the host
// must be an address literal or a host name made of printable characters.

#include <string>

#include "core/endpoint.hpp"
#include "fuzz_check.hpp"

namespace {

bool printable(const std::string& s) {
    for (char c : s) {
        const auto b = static_cast<unsigned char>(c);
        if (b <= 0x20 || b >= 0x7F) {
            return false;
        }
    }
    return true;
}

void check(std::string_view text, const l7::Result<l7::HostPort>& r, int default_port) {
    if (!r) {
        L7_FUZZ_CHECK(!r.error().message.empty());
        return;
    }
    const l7::HostPort& hp = *r;
    L7_FUZZ_CHECK(!hp.host.empty());
    L7_FUZZ_CHECK(printable(hp.host));
    L7_FUZZ_CHECK(text.find(hp.host) != std::string_view::npos);
    if (default_port >= 0 && text.find(':') == std::string_view::npos) {
        L7_FUZZ_CHECK(hp.port == default_port);
    }
    const std::string printed = hp.to_string();
    const auto again = l7::parse_host_port(printed);
    L7_FUZZ_CHECK(again.ok());
    L7_FUZZ_CHECK(again->host == hp.host);
    L7_FUZZ_CHECK(again->port == hp.port);
    L7_FUZZ_CHECK(again->to_string() == printed);
    L7_FUZZ_CHECK(again->is_ipv6_literal() == hp.is_ipv6_literal());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);

    check(text, l7::parse_host_port(text), -1);
    check(text, l7::parse_host_port(text, 53), 53);

    const auto listen = l7::parse_listen_address(text);
    check(text, listen, -1);
    if (listen) {
        L7_FUZZ_CHECK(listen->is_address_literal());
        L7_FUZZ_CHECK(l7::parse_host_port(text).ok());
    }
    return 0;
}
