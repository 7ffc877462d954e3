#pragma once
// Link rates as tc(8) writes them: "1.54mbit", "10kbit", "100mbit", "1gbit" are bits per
// second (SI, powers of 1000; "kibit", "mibit", "gibit" are powers of 1024) and "500kbps",
// "2mbps" are BYTES per second, as in tc. Units are case-insensitive. A bare number is
// refused rather than guessed: "1000" could mean bits or bytes, and the two differ by 8x.
//
// A rate is a whole number of bits per second in [min_rate_bps, max_rate_bps]: the bounds
// keep the transmission-time arithmetic exact in 64 bits (see transmission_time).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/duration.hpp"
#include "core/result.hpp"

namespace l7::link {

inline constexpr std::uint64_t min_rate_bps = 8;               // one byte per second
inline constexpr std::uint64_t max_rate_bps = 10'000'000'000;  // 10gbit

// Bits per second. The error is one sentence naming the text and what would be accepted.
Result<std::uint64_t> parse_rate(std::string_view text);

// The shortest exact spelling in bits: 1540000 -> "1.54mbit", 64000 -> "64kbit", 8 -> "8bit".
// parse_rate(format_rate(r)) == r for every valid rate.
std::string format_rate(std::uint64_t bits_per_second);

// How long `bytes` take on a wire of `bits_per_second` (> 0): bytes * 8 / rate, rounded down
// to the nanosecond. 1500 bytes at 1.54 Mbit/s take 7.792207 ms. Exact for bytes < 2^32.
Duration transmission_time(std::uint64_t bytes, std::uint64_t bits_per_second);

}  // namespace l7::link
