#include "p2p/magnet.hpp"

#include <algorithm>

#include "core/hex.hpp"

namespace l7::p2p {
namespace {

Error fail(const std::string& why) {
    return make_error("magnet link: " + why);
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) {
                   return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
               };
               return lower(x) == lower(y);
           });
}

// RFC 3986 2.1 percent-decoding; `plus_is_space` for dn, which many links write with '+'
// as HTML forms do. nullopt for a '%' without two hex digits after it.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '%') {
            if (i + 2 >= in.size()) {
                return std::nullopt;
            }
            const int hi = hex_digit_value(in[i + 1]);
            const int lo = hex_digit_value(in[i + 2]);
            if (hi < 0 || lo < 0) {
                return std::nullopt;
            }
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (in[i] == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += in[i];
        }
    }
    return out;
}

// RFC 4648 6: 32 characters of A-Z and 2-7 make exactly 160 bits.
bool from_base32(std::string_view text, Sha1& out) {
    if (text.size() != 32) {
        return false;
    }
    Sha1 parsed{};
    std::uint32_t buffer = 0;
    int bits = 0;
    std::size_t at = 0;
    for (char c : text) {
        int v = -1;
        if (c >= 'A' && c <= 'Z') {
            v = c - 'A';
        } else if (c >= 'a' && c <= 'z') {
            v = c - 'a';
        } else if (c >= '2' && c <= '7') {
            v = c - '2' + 26;
        }
        if (v < 0) {
            return false;
        }
        buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            parsed[at++] = static_cast<std::uint8_t>(buffer >> bits);
            buffer &= (1u << bits) - 1;
        }
    }
    out = parsed;
    return true;
}

// "tr", "tr.1", "tr.2": BEP 9 numbers repeated parameters in some links.
bool key_is(std::string_view key, std::string_view name) {
    if (key == name) {
        return true;
    }
    if (key.size() <= name.size() + 1 || key.substr(0, name.size()) != name ||
        key[name.size()] != '.') {
        return false;
    }
    const std::string_view n = key.substr(name.size() + 1);
    return std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string percent_encode(std::string_view in) {
    std::string out;
    for (char c : in) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
            u == '-' || u == '.' || u == '_' || u == '~') {
            out += c;
        } else {
            out += '%';
            out += kUpperHexDigits[u >> 4];
            out += kUpperHexDigits[u & 15];
        }
    }
    return out;
}

}  // namespace

Result<MagnetLink> parse_magnet(std::string_view uri) {
    if (uri.size() > kMaxMagnetLength) {
        return fail("longer than " + std::to_string(kMaxMagnetLength) + " bytes");
    }
    constexpr std::string_view scheme = "magnet:";
    if (uri.size() < scheme.size() || !iequals(uri.substr(0, scheme.size()), scheme)) {
        return fail("does not start with magnet:");
    }
    std::string_view rest = uri.substr(scheme.size());
    if (rest.empty() || rest[0] != '?') {
        return fail("no '?' after magnet:");
    }
    rest.remove_prefix(1);

    MagnetLink out;
    bool have_hash = false;
    bool have_v2 = false;
    while (!rest.empty()) {
        const std::size_t amp = rest.find('&');
        const std::string_view param = rest.substr(0, amp);
        rest.remove_prefix(amp == std::string_view::npos ? rest.size() : amp + 1);
        if (param.empty()) {
            continue;  // "&&" or a trailing '&'
        }
        const std::size_t eq = param.find('=');
        const std::string_view key = param.substr(0, eq);
        const std::string_view raw =
            eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
        const bool is_dn = key == "dn";
        auto value = percent_decode(raw, is_dn);
        if (!value) {
            return fail("the value of " + std::string(key.substr(0, 20)) +
                        " has a '%' without two hex digits");
        }
        if (key_is(key, "xt")) {
            constexpr std::string_view btih = "urn:btih:";
            constexpr std::string_view btmh = "urn:btmh:";
            if (value->size() >= btmh.size() && iequals(value->substr(0, btmh.size()), btmh)) {
                have_v2 = true;
                continue;
            }
            if (value->size() < btih.size() || !iequals(value->substr(0, btih.size()), btih)) {
                continue;  // another kind of content address (BEP 9 allows several xt)
            }
            const std::string_view hash = std::string_view(*value).substr(btih.size());
            Sha1 h{};
            if (!from_hex(hash, h) && !from_base32(hash, h)) {
                return fail(
                    "the info-hash after urn:btih: is neither 40 hex digits nor 32 "
                    "base32 characters");
            }
            if (have_hash && h != out.info_hash) {
                return fail("two different urn:btih: info-hashes");
            }
            out.info_hash = h;
            have_hash = true;
        } else if (is_dn) {
            out.display_name = std::move(*value);
        } else if (key_is(key, "tr")) {
            if (value->empty()) {
                return fail("an empty tr (tracker) value");
            }
            if (std::find(out.trackers.begin(), out.trackers.end(), *value) == out.trackers.end()) {
                if (out.trackers.size() == kMaxMagnetTrackers) {
                    return fail("more than " + std::to_string(kMaxMagnetTrackers) + " trackers");
                }
                out.trackers.push_back(std::move(*value));
            }
        } else if (key_is(key, "x.pe")) {
            // BEP 9: host:port, or [IPv6]:port.
            const std::size_t colon = value->rfind(':');
            if (colon == std::string::npos || colon == 0 || colon + 1 == value->size()) {
                return fail("x.pe (peer) is not HOST:PORT");
            }
            if (out.peers.size() == kMaxMagnetPeers) {
                return fail("more than " + std::to_string(kMaxMagnetPeers) + " peers");
            }
            out.peers.push_back(std::move(*value));
        }
    }
    if (!have_hash) {
        return fail(have_v2 ? "only a version 2 info-hash (urn:btmh:), which l7 does not support"
                            : "no xt=urn:btih: info-hash");
    }
    return out;
}

std::string format_magnet(const MagnetLink& link) {
    std::string out = "magnet:?xt=urn:btih:" + to_hex(link.info_hash);
    if (!link.display_name.empty()) {
        out += "&dn=" + percent_encode(link.display_name);
    }
    for (const std::string& tr : link.trackers) {
        out += "&tr=" + percent_encode(tr);
    }
    for (const std::string& pe : link.peers) {
        out += "&x.pe=" + percent_encode(pe);
    }
    return out;
}

MagnetLink magnet_for(const Metainfo& metainfo) {
    MagnetLink link;
    link.info_hash = metainfo.info.info_hash;
    link.display_name = metainfo.info.name;
    link.trackers = metainfo.trackers();
    if (link.trackers.size() > kMaxMagnetTrackers) {
        link.trackers.resize(kMaxMagnetTrackers);  // what parse_magnet accepts back
    }
    return link;
}

}  // namespace l7::p2p
