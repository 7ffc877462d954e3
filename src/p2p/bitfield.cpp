#include "p2p/bitfield.hpp"

#include <bit>
#include <cassert>

namespace l7::p2p {

std::uint32_t random_below(const Random& random, std::uint32_t bound) {
    assert(bound > 0);
    if (bound <= 1) {
        return 0;
    }
    // Values below `threshold` would make the low residues more likely than the others.
    const std::uint32_t threshold = static_cast<std::uint32_t>(-bound) % bound;
    std::uint32_t r = random();
    // A rejection needs r < threshold < bound; even for the worst bound (2^31 + 1) the chance
    // of 64 in a row is 2^-64, and the bound keeps a broken source from spinning forever.
    for (int tries = 0; r < threshold && tries < 64; ++tries) {
        r = random();
    }
    return r % bound;
}

Bitfield::Bitfield(std::size_t n, bool value) : n_(n), bytes_(wire_size(n), 0) {
    set_all(value);
}

bool Bitfield::get(std::size_t i) const {
    assert(i < n_);
    if (i >= n_) {
        return false;
    }
    return (bytes_[i / 8] >> (7 - i % 8)) & 1U;
}

void Bitfield::set(std::size_t i, bool value) {
    assert(i < n_);
    if (i >= n_) {
        return;
    }
    const auto mask = static_cast<std::uint8_t>(0x80U >> (i % 8));
    std::uint8_t& byte = bytes_[i / 8];
    const bool was = (byte & mask) != 0;
    if (was == value) {
        return;
    }
    if (value) {
        byte = static_cast<std::uint8_t>(byte | mask);
        ++count_;
    } else {
        byte = static_cast<std::uint8_t>(byte & ~mask);
        --count_;
    }
}

void Bitfield::set_all(bool value) {
    for (auto& b : bytes_) {
        b = value ? 0xFF : 0x00;
    }
    if (value && n_ % 8 != 0) {
        // Spare bits stay zero so that the bytes are always the wire form.
        bytes_.back() = static_cast<std::uint8_t>(0xFFU << (8 - n_ % 8));
    }
    count_ = value ? n_ : 0;
}

std::string Bitfield::to_wire() const {
    return std::string(bytes_.begin(), bytes_.end());
}

Result<Bitfield> Bitfield::from_wire(std::string_view bytes, std::size_t n) {
    if (bytes.size() != wire_size(n)) {
        return make_error("bitfield of " + std::to_string(bytes.size()) + " bytes, expected " +
                          std::to_string(wire_size(n)) + " for " + std::to_string(n) + " pieces");
    }
    Bitfield out(n);
    std::size_t count = 0;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        out.bytes_[i] = static_cast<std::uint8_t>(bytes[i]);
        count += static_cast<std::size_t>(std::popcount(out.bytes_[i]));
    }
    if (n % 8 != 0) {
        const auto spare = static_cast<std::uint8_t>(0xFFU >> (n % 8));
        if ((out.bytes_.back() & spare) != 0) {
            return make_error("bitfield has spare bits set after piece " + std::to_string(n - 1));
        }
    }
    out.count_ = count;
    return out;
}

}  // namespace l7::p2p
