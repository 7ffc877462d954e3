#pragma once
// Protocol cores take the time as an argument and never read a clock: tests drive them with
// virtual time, drivers pass steady_clock::now().

#include <chrono>

namespace l7 {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

}  // namespace l7
