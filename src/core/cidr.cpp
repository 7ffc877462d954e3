#include "core/cidr.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace l7 {
namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int width(const IpAddress& a) {
    return a.v4 ? 32 : 128;
}

bool bit(const IpAddress& a, int i) {
    return (a.bytes[static_cast<std::size_t>(i / 8)] >> (7 - i % 8)) & 1;
}

}  // namespace

std::optional<IpAddress> parse_ip_address(std::string_view text) {
    if (text.empty() || text.size() > 45) {  // INET6_ADDRSTRLEN - 1
        return std::nullopt;
    }
    const std::string s(text);
    IpAddress a;
    if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
        a.v4 = true;
        return a;
    }
    if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
        a.v4 = false;
        if (std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), a.bytes.begin())) {
            IpAddress v4;
            std::copy(a.bytes.begin() + 12, a.bytes.end(), v4.bytes.begin());
            return v4;
        }
        return a;
    }
    return std::nullopt;
}

bool Cidr::contains(const IpAddress& address) const {
    if (address.v4 != network.v4) {
        return false;
    }
    for (int i = 0; i < prefix; ++i) {
        if (bit(address, i) != bit(network, i)) {
            return false;
        }
    }
    return true;
}

std::string Cidr::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(network.v4 ? AF_INET : AF_INET6, network.bytes.data(), text, sizeof text);
    return std::string(text) + "/" + std::to_string(prefix);
}

Result<Cidr> parse_cidr(std::string_view text) {
    const std::size_t slash = text.find('/');
    const auto address = parse_ip_address(text.substr(0, slash));
    const std::string quoted = "'" + std::string(text) + "'";
    if (!address) {
        return Error{quoted + " is not an IP address or network (like 192.0.2.0/24)"};
    }
    Cidr c{*address, width(*address)};
    if (slash != std::string_view::npos) {
        const std::string_view digits = text.substr(slash + 1);
        int prefix = -1;
        const auto [end, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
        if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
            prefix < 0 || prefix > width(*address)) {
            return Error{quoted + ": the prefix length must be 0 to " +
                         std::to_string(width(*address))};
        }
        c.prefix = prefix;
    }
    for (int i = c.prefix; i < width(c.network); ++i) {
        if (bit(c.network, i)) {
            return Error{quoted + " has bits set after its prefix (did you mean " + [&] {
                Cidr fixed = c;
                for (int j = c.prefix; j < width(c.network); ++j) {
                    fixed.network.bytes[static_cast<std::size_t>(j / 8)] &=
                        static_cast<std::uint8_t>(~(0x80 >> (j % 8)));
                }
                return fixed.to_string();
            }() + "?)"};
        }
    }
    return c;
}

}  // namespace l7
