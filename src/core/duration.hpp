#pragma once
// Durations as users write them on the command line and in config files: "20ms", "1.5s",
// "2m", "500us", "1h". A bare number means seconds, as in ping(8)'s -i and -W.

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace l7 {

using Duration = std::chrono::nanoseconds;

Result<Duration> parse_duration(std::string_view text);

// Shortest exact spelling: 20ms, 1500ms, 2s, 250us.
std::string format_duration(Duration d);

// Milliseconds with three decimals, as ping(8) prints round-trip times.
std::string format_millis(Duration d);

}  // namespace l7
