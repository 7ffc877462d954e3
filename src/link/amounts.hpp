#pragma once
// The link's other command-line quantities: a loss probability written as a percentage
// ("1%", "0.5%") and a queue size in bytes ("65536", "64KiB", "1.5MB").

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace l7::link {

// "1%" -> 0.01. The percent sign is required: "--loss 1" could mean 1% or certain loss.
// Accepts 0% to 100%.
Result<double> parse_loss(std::string_view text);

inline constexpr std::uint64_t max_queue_bytes = std::uint64_t{1} << 30;  // 1 GiB

// Bytes: a bare number, or with a unit: B, kB/KB (1000), KiB (1024), MB, MiB, GB, GiB
// (case-insensitive). At most max_queue_bytes; fractions are rounded to whole bytes.
Result<std::uint64_t> parse_byte_size(std::string_view text);

// "64KiB" when the size is a whole number of KiB or MiB, otherwise "1500B".
std::string format_byte_size(std::uint64_t bytes);

}  // namespace l7::link
