#include "core/duration.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace l7 {

Result<Duration> parse_duration(std::string_view text) {
    const std::string original(text);
    if (text.empty()) {
        return make_error("empty duration");
    }
    // The number: digits with at most one decimal point. std::from_chars for double is in
    // libstdc++ 11+, so use it rather than locale-dependent strtod.
    std::size_t end = 0;
    while (end < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.')) {
        ++end;
    }
    double number = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, number);
    if (end == 0 || ec != std::errc{} || ptr != text.data() + end) {
        return make_error("'" + original + "' is not a duration (examples: 20ms, 1.5s, 2m)");
    }
    const std::string_view unit = text.substr(end);
    double scale = 1e9;  // seconds by default
    if (unit == "ns") {
        scale = 1;
    } else if (unit == "us") {
        scale = 1e3;
    } else if (unit == "ms") {
        scale = 1e6;
    } else if (unit == "s" || unit.empty()) {
        scale = 1e9;
    } else if (unit == "m") {
        scale = 60e9;
    } else if (unit == "h") {
        scale = 3600e9;
    } else {
        return make_error("'" + original + "' has an unknown unit (use ns, us, ms, s, m or h)");
    }
    const double ns = number * scale;
    if (!std::isfinite(ns) || ns > 1e18) {
        return make_error("'" + original + "' is too long a duration");
    }
    return Duration(static_cast<std::int64_t>(std::llround(ns)));
}

std::string format_duration(Duration d) {
    const auto ns = d.count();
    if (ns % 1'000'000'000 == 0) {
        return std::to_string(ns / 1'000'000'000) + "s";
    }
    if (ns % 1'000'000 == 0) {
        return std::to_string(ns / 1'000'000) + "ms";
    }
    if (ns % 1'000 == 0) {
        return std::to_string(ns / 1'000) + "us";
    }
    return std::to_string(ns) + "ns";
}

std::string format_millis(Duration d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(d.count()) / 1e6);
    return buf;
}

}  // namespace l7
