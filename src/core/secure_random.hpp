#pragma once
// Unpredictable random numbers for what an attacker must not guess: DNS query ids and 0x20
// case bits (RFC 5452 section 4). A seeded Mersenne Twister would not do: its state can be
// rebuilt from a few hundred outputs, and a malicious authoritative server sees every id we
// send it. Drawn from the kernel (getrandom), buffered per thread so the cost is one system
// call per 64 numbers.

#include <cstdint>

namespace l7 {

std::uint64_t secure_random64();

}  // namespace l7
