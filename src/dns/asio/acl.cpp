#include "dns/asio/acl.hpp"

#include <charconv>

namespace l7::dns {
namespace {

bool prefix_matches(const asio::ip::address& a, const asio::ip::address& net, unsigned length) {
    auto v4_mapped = [](const asio::ip::address& x) {
        if (x.is_v6() && x.to_v6().is_v4_mapped()) {
            return asio::ip::address(asio::ip::make_address_v4(asio::ip::v4_mapped, x.to_v6()));
        }
        return x;
    };
    const auto addr = v4_mapped(a);
    if (addr.is_v4() != net.is_v4()) {
        return false;
    }
    if (addr.is_v4()) {
        const auto x = addr.to_v4().to_uint();
        const auto y = net.to_v4().to_uint();
        const std::uint32_t mask = length == 0 ? 0 : ~std::uint32_t{0} << (32 - length);
        return (x & mask) == (y & mask);
    }
    const auto x = addr.to_v6().to_bytes();
    const auto y = net.to_v6().to_bytes();
    for (unsigned bit = 0; bit < length; ++bit) {
        const unsigned byte = bit / 8;
        const unsigned mask = 0x80u >> (bit % 8);
        if ((x[byte] & mask) != (y[byte] & mask)) {
            return false;
        }
    }
    return true;
}

}  // namespace

Result<bool> AddressList::add(const std::string& text) {
    if (text == "any") {
        any_ = true;
        return true;
    }
    if (text == "none") {
        return true;
    }
    const auto slash = text.find('/');
    std::error_code ec;
    const auto address = asio::ip::make_address(text.substr(0, slash), ec);
    if (ec) {
        return make_error("'" + text +
                          "' is not an address or prefix (e.g. 127.0.0.0/8, ::1, any, none)");
    }
    unsigned length = address.is_v4() ? 32 : 128;
    if (slash != std::string::npos) {
        const std::string digits = text.substr(slash + 1);
        unsigned n = 0;
        const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
        if (err != std::errc() || end != digits.data() + digits.size() || n > length) {
            return make_error("'" + text + "': bad prefix length");
        }
        length = n;
    }
    prefixes_.push_back({address, length});
    return true;
}

bool AddressList::allows(const asio::ip::address& address) const {
    if (any_) {
        return true;
    }
    for (const Prefix& p : prefixes_) {
        if (prefix_matches(address, p.address, p.length)) {
            return true;
        }
    }
    return false;
}

AddressList AddressList::loopback() {
    AddressList list;
    (void)list.add("127.0.0.0/8");
    (void)list.add("::1");
    return list;
}

}  // namespace l7::dns
