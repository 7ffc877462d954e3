#pragma once
// Bitfields (BEP 3 "bitfield"): which of a torrent's n pieces someone has, one bit per
// piece, and the swarm library's small shared vocabulary (peer keys, injected randomness).
//
// On the wire the first byte's high bit is piece 0; the message is exactly ceil(n/8) bytes
// and the spare bits at the end must be zero ("Clients should drop the connection if they
// receive bitfields that are not of the correct size, or if the bitfield has any of the spare
// bits set"). The in-memory form is the wire form, so sending one is a copy.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace l7::p2p {

// A peer as the swarm logic knows it: an opaque key chosen by the session (a connection
// number), so the picker and the choker never hold sockets or addresses.
using PeerKey = std::uint64_t;

// Randomness is injected, never drawn from a source of our own, so tests replay exactly:
// each call returns 32 uniformly random bits. `std::ref(engine)` for a std::mt19937 fits.
using Random = std::function<std::uint32_t()>;

// Uniform in [0, bound) by rejection (not std::uniform_int_distribution, whose output the
// standard leaves to the library: a seed must give the same picks everywhere). bound > 0.
std::uint32_t random_below(const Random& random, std::uint32_t bound);

class Bitfield {
  public:
    Bitfield() = default;
    explicit Bitfield(std::size_t n, bool value = false);

    std::size_t size() const { return n_; }
    // Out-of-range indexes are a programming error (asserted; false / ignored in release).
    bool get(std::size_t i) const;
    void set(std::size_t i, bool value = true);
    void set_all(bool value);

    std::size_t count() const { return count_; }
    bool all() const { return count_ == n_; }
    bool none() const { return count_ == 0; }

    // The payload of a "bitfield" message (BEP 3).
    std::string to_wire() const;
    // Exactly wire_size(n) bytes with the spare bits zero; otherwise an error saying which.
    static Result<Bitfield> from_wire(std::string_view bytes, std::size_t n);
    static std::size_t wire_size(std::size_t n) { return (n + 7) / 8; }

    friend bool operator==(const Bitfield&, const Bitfield&) = default;

  private:
    std::size_t n_ = 0;
    std::size_t count_ = 0;
    std::vector<std::uint8_t> bytes_;  // wire form: piece i is bit 7 - i % 8 of byte i / 8
};

}  // namespace l7::p2p
