#pragma once
// Wall-clock timestamps for logs and trace files: 2026-11-22T03:10:00.123Z (RFC 3339, UTC).

#include <chrono>
#include <string>

namespace l7 {

std::string iso8601_utc(std::chrono::system_clock::time_point t);

}  // namespace l7
