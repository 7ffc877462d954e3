#include "dns/ttl.hpp"

namespace l7::dns {

std::optional<std::uint32_t> parse_ttl(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    std::uint64_t total = 0;
    std::uint64_t number = 0;
    bool have_digits = false;
    bool used_units = false;
    for (char c : text) {
        if (c >= '0' && c <= '9') {
            number = number * 10 + static_cast<std::uint64_t>(c - '0');
            have_digits = true;
            if (number > 0xFFFFFFFFull) {
                return std::nullopt;
            }
            continue;
        }
        std::uint64_t unit = 0;
        switch (c) {
            case 'w':
            case 'W':
                unit = 604800;
                break;
            case 'd':
            case 'D':
                unit = 86400;
                break;
            case 'h':
            case 'H':
                unit = 3600;
                break;
            case 'm':
            case 'M':
                unit = 60;
                break;
            case 's':
            case 'S':
                unit = 1;
                break;
            default:
                return std::nullopt;
        }
        if (!have_digits) {
            return std::nullopt;
        }
        total += number * unit;
        number = 0;
        have_digits = false;
        used_units = true;
        if (total > 0xFFFFFFFFull) {
            return std::nullopt;
        }
    }
    if (have_digits) {
        total += number;  // "1h30" counts the trailing number as seconds, like BIND
    } else if (!used_units) {
        return std::nullopt;
    }
    if (total > 0xFFFFFFFFull) {
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(total);
}

}  // namespace l7::dns
