#include "link/quantity.hpp"

#include <charconv>
#include <cmath>

namespace l7::link {

std::optional<Quantity> split_quantity(std::string_view text) {
    std::size_t end = 0;
    bool seen_point = false;
    while (end < text.size()) {
        const char c = text[end];
        if (c == '.' && !seen_point) {
            seen_point = true;
        } else if (c < '0' || c > '9') {
            break;
        }
        ++end;
    }
    // std::from_chars, not strtod: the locale must not decide what "1.5" means.
    double number = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, number);
    if (end == 0 || ec != std::errc{} || ptr != text.data() + end || !std::isfinite(number)) {
        return std::nullopt;
    }
    return Quantity{number, text.substr(end)};
}

bool unit_is(std::string_view unit, std::string_view name) {
    if (unit.size() != name.size()) {
        return false;
    }
    for (std::size_t i = 0; i < unit.size(); ++i) {
        char c = unit[i];
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        if (c != name[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace l7::link
