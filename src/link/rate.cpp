#include "link/rate.hpp"

#include <array>
#include <cmath>

#include "link/quantity.hpp"

namespace l7::link {

namespace {

struct RateUnit {
    std::string_view name;
    double bits;  // bits per second in one of this unit
};

// tc(8)'s units. Bytes per second ("bps") are 8 bits each.
constexpr std::array<RateUnit, 18> rate_units{{
    {"bit", 1},
    {"kbit", 1e3},
    {"mbit", 1e6},
    {"gbit", 1e9},
    {"tbit", 1e12},
    {"kibit", 1024.0},
    {"mibit", 1024.0 * 1024},
    {"gibit", 1024.0 * 1024 * 1024},
    {"tibit", 1024.0 * 1024 * 1024 * 1024},
    {"bps", 8},
    {"kbps", 8e3},
    {"mbps", 8e6},
    {"gbps", 8e9},
    {"tbps", 8e12},
    {"kibps", 8 * 1024.0},
    {"mibps", 8 * 1024.0 * 1024},
    {"gibps", 8 * 1024.0 * 1024 * 1024},
    {"tibps", 8 * 1024.0 * 1024 * 1024 * 1024},
}};

constexpr std::string_view examples = "examples: 1.54mbit, 10kbit, 1gbit, 500kbps";

}  // namespace

Result<std::uint64_t> parse_rate(std::string_view text) {
    const std::string quoted = "'" + std::string(text) + "'";
    if (text.empty()) {
        return make_error("empty rate (" + std::string(examples) + ")");
    }
    const auto q = split_quantity(text);
    if (!q) {
        return make_error(quoted + " is not a rate (" + std::string(examples) + ")");
    }
    if (q->unit.empty()) {
        const std::string n(text);
        return make_error(quoted + " needs a unit: " + n + "kbit or " + n +
                          "mbit for bits per second, " + n + "kbps for bytes per second");
    }
    const RateUnit* unit = nullptr;
    for (const RateUnit& u : rate_units) {
        if (unit_is(q->unit, u.name)) {
            unit = &u;
            break;
        }
    }
    if (unit == nullptr) {
        return make_error(quoted +
                          " has an unknown unit (use bit, kbit, mbit, gbit for bits per second, "
                          "or bps, kbps, mbps, gbps for bytes per second)");
    }
    const double bits = q->number * unit->bits;
    // Compared before rounding, so 1e300gbit cannot overflow the conversion.
    if (!(bits >= static_cast<double>(min_rate_bps) - 0.5)) {
        return make_error(quoted + " is too slow a rate (the least is 8bit, one byte per second)");
    }
    if (bits > static_cast<double>(max_rate_bps) + 0.5) {
        return make_error(quoted + " is too fast a rate (the most is 10gbit)");
    }
    return static_cast<std::uint64_t>(std::llround(bits));
}

std::string format_rate(std::uint64_t bps) {
    // Powers of ten divide a whole number of bits exactly in decimal, so the fraction is
    // printed digit by digit, not through a double.
    struct Step {
        std::uint64_t scale;
        const char* name;
    };
    constexpr std::array<Step, 4> steps{{
        {1'000'000'000, "gbit"},
        {1'000'000, "mbit"},
        {1'000, "kbit"},
        {1, "bit"},
    }};
    for (const Step& s : steps) {
        if (bps < s.scale && s.scale != 1) {
            continue;
        }
        std::string out = std::to_string(bps / s.scale);
        std::uint64_t rest = bps % s.scale;
        if (rest != 0) {
            std::string fraction;
            for (std::uint64_t digit = s.scale / 10; digit > 0; digit /= 10) {
                fraction += static_cast<char>('0' + rest / digit);
                rest %= digit;
            }
            while (!fraction.empty() && fraction.back() == '0') {
                fraction.pop_back();
            }
            out += "." + fraction;
        }
        return out + s.name;
    }
    return std::to_string(bps) + "bit";
}

Duration transmission_time(std::uint64_t bytes, std::uint64_t bps) {
    // Whole seconds and the remainder apart: remainder * 1e9 stays below 2^64 because
    // remainder < bps <= 1e10.
    const std::uint64_t bits = bytes * 8;
    const std::uint64_t seconds = bits / bps;
    const std::uint64_t rest = bits % bps;
    const std::uint64_t ns = seconds * 1'000'000'000 + rest * 1'000'000'000 / bps;
    return Duration(static_cast<Duration::rep>(ns));
}

}  // namespace l7::link
