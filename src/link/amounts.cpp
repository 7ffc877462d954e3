#include "link/amounts.hpp"

#include <array>
#include <cmath>

#include "link/quantity.hpp"

namespace l7::link {

Result<double> parse_loss(std::string_view text) {
    const std::string quoted = "'" + std::string(text) + "'";
    if (text.empty()) {
        return make_error("empty loss (examples: 1%, 0.5%, 100%)");
    }
    const auto q = split_quantity(text);
    if (!q || (!q->unit.empty() && q->unit != "%")) {
        return make_error(quoted + " is not a percentage (examples: 1%, 0.5%, 100%)");
    }
    if (q->unit.empty()) {
        return make_error(quoted + " needs a percent sign: " + std::string(text) + "%");
    }
    if (q->number > 100) {
        return make_error(quoted + " is more than 100%");
    }
    return q->number / 100;
}

namespace {

struct SizeUnit {
    std::string_view name;
    double bytes;
};

constexpr std::array<SizeUnit, 10> size_units{{
    {"", 1},
    {"b", 1},
    {"k", 1e3},
    {"kb", 1e3},
    {"kib", 1024.0},
    {"mb", 1e6},
    {"mib", 1024.0 * 1024},
    {"gb", 1e9},
    {"gib", 1024.0 * 1024 * 1024},
    {"m", 1e6},
}};

}  // namespace

Result<std::uint64_t> parse_byte_size(std::string_view text) {
    const std::string quoted = "'" + std::string(text) + "'";
    if (text.empty()) {
        return make_error("empty size (examples: 65536, 64KiB, 1MB)");
    }
    const auto q = split_quantity(text);
    if (!q) {
        return make_error(quoted + " is not a size in bytes (examples: 65536, 64KiB, 1MB)");
    }
    const SizeUnit* unit = nullptr;
    for (const SizeUnit& u : size_units) {
        if (unit_is(q->unit, u.name)) {
            unit = &u;
            break;
        }
    }
    if (unit == nullptr) {
        return make_error(quoted + " has an unknown unit (use B, KB, KiB, MB, MiB, GB or GiB)");
    }
    const double bytes = q->number * unit->bytes;
    if (bytes > static_cast<double>(max_queue_bytes) + 0.5) {
        return make_error(quoted + " is too large (the most is 1GiB)");
    }
    return static_cast<std::uint64_t>(std::llround(bytes));
}

std::string format_byte_size(std::uint64_t bytes) {
    constexpr std::uint64_t kib = 1024;
    if (bytes != 0 && bytes % (kib * kib) == 0) {
        return std::to_string(bytes / (kib * kib)) + "MiB";
    }
    if (bytes != 0 && bytes % kib == 0) {
        return std::to_string(bytes / kib) + "KiB";
    }
    return std::to_string(bytes) + "B";
}

}  // namespace l7::link
