#include "dns/wire.hpp"

#include <cstring>

#include "dns/name.hpp"

namespace l7::dns {

std::uint8_t WireReader::u8() {
    const auto b = bytes(1);
    return b.empty() ? 0 : b[0];
}

std::uint16_t WireReader::u16() {
    const auto b = bytes(2);
    return b.empty() ? 0 : static_cast<std::uint16_t>(b[0] << 8 | b[1]);
}

std::uint32_t WireReader::u32() {
    const auto b = bytes(4);
    return b.empty()
               ? 0
               : static_cast<std::uint32_t>(b[0]) << 24 | static_cast<std::uint32_t>(b[1]) << 16 |
                     static_cast<std::uint32_t>(b[2]) << 8 | b[3];
}

std::uint64_t WireReader::u48() {
    const auto b = bytes(6);
    std::uint64_t v = 0;
    for (std::uint8_t x : b) {
        v = v << 8 | x;
    }
    return v;
}

std::span<const std::uint8_t> WireReader::bytes(std::size_t n) {
    if (!ok() || n > remaining()) {
        fail("record truncated");
        pos_ = msg_.size();
        return {};
    }
    const auto out = msg_.subspan(pos_, n);
    pos_ += n;
    return out;
}

std::size_t WireReader::name(char* out) {
    if (!ok()) {
        return 0;
    }
    std::size_t at = pos_;
    std::size_t len = 0;
    bool jumped = false;
    // Each pointer must go strictly backwards from the pointer itself, so the walk ends.
    std::size_t lowest = at;
    while (true) {
        if (at >= msg_.size()) {
            fail("name runs past the end of the message");
            return 0;
        }
        const std::uint8_t b = msg_[at];
        if ((b & 0xC0) == 0xC0) {
            if (at + 1 >= msg_.size()) {
                fail("compression pointer truncated");
                return 0;
            }
            const std::size_t target = static_cast<std::size_t>(b & 0x3F) << 8 | msg_[at + 1];
            if (target >= lowest) {
                fail("compression pointer does not point backwards");
                return 0;
            }
            if (!jumped) {
                pos_ = at + 2;
                jumped = true;
            }
            lowest = target;
            at = target;
            continue;
        }
        if ((b & 0xC0) != 0) {
            fail("unknown label type");
            return 0;
        }
        if (len + 1 + b > kMaxNameWire) {
            fail("name longer than 255 bytes");
            return 0;
        }
        if (at + 1 + b > msg_.size()) {
            fail("label runs past the end of the message");
            return 0;
        }
        out[len++] = static_cast<char>(b);
        std::memcpy(out + len, msg_.data() + at + 1, b);
        len += b;
        at += 1 + b;
        if (b == 0) {
            if (!jumped) {
                pos_ = at;
            }
            return len;
        }
    }
}

bool WireReader::name(std::string& out) {
    char buf[kMaxNameWire];
    const std::size_t n = name(buf);
    if (n == 0) {
        return false;
    }
    out.append(buf, n);
    return true;
}

bool WireWriter::room(std::size_t n) {
    if (overflow_ || len_ + n > limit_) {
        overflow_ = true;
        return false;
    }
    return true;
}

void WireWriter::u8(std::uint8_t v) {
    if (room(1)) {
        buf_[len_++] = v;
    }
}

void WireWriter::u16(std::uint16_t v) {
    if (room(2)) {
        buf_[len_++] = static_cast<std::uint8_t>(v >> 8);
        buf_[len_++] = static_cast<std::uint8_t>(v);
    }
}

void WireWriter::u32(std::uint32_t v) {
    if (room(4)) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            buf_[len_++] = static_cast<std::uint8_t>(v >> shift);
        }
    }
}

void WireWriter::u48(std::uint64_t v) {
    if (room(6)) {
        for (int shift = 40; shift >= 0; shift -= 8) {
            buf_[len_++] = static_cast<std::uint8_t>(v >> shift);
        }
    }
}

void WireWriter::bytes(std::span<const std::uint8_t> b) {
    if (!b.empty() && room(b.size())) {
        std::memcpy(buf_.data() + len_, b.data(), b.size());
        len_ += b.size();
    }
}

void WireWriter::bytes(std::string_view b) {
    bytes(std::span(reinterpret_cast<const std::uint8_t*>(b.data()), b.size()));
}

void WireWriter::patch_u16(std::size_t at, std::uint16_t v) {
    if (at + 2 <= len_) {
        buf_[at] = static_cast<std::uint8_t>(v >> 8);
        buf_[at + 1] = static_cast<std::uint8_t>(v);
    }
}

bool WireWriter::matches(std::size_t at, std::string_view wire) const {
    std::size_t i = 0;
    for (int hops = 0; hops < 128; ++hops) {
        if (at >= len_) {
            return false;  // a label of the name being written: its end is not written yet
        }
        const std::uint8_t b = buf_[at];
        if ((b & 0xC0) == 0xC0) {
            at = static_cast<std::size_t>(b & 0x3F) << 8 | buf_[at + 1];
            continue;
        }
        if (i >= wire.size() || static_cast<std::uint8_t>(wire[i]) != b) {
            return false;
        }
        if (b == 0) {
            return i + 1 == wire.size();
        }
        for (std::size_t k = 1; k <= b; ++k) {
            if (ascii_lower(static_cast<char>(buf_[at + k])) != ascii_lower(wire[i + k])) {
                return false;
            }
        }
        i += 1 + b;
        at += 1 + b;
    }
    return false;
}

void WireWriter::name(std::string_view wire, bool compress) {
    std::string_view rest = wire;
    while (rest.size() > 1) {
        if (compress) {
            for (std::size_t t = 0; t < targets_; ++t) {
                if (target_lengths_[t] == rest.size() && matches(target_offsets_[t], rest)) {
                    u16(static_cast<std::uint16_t>(0xC000 | target_offsets_[t]));
                    return;
                }
            }
        }
        const std::size_t label_at = len_;
        const std::size_t label_size = 1 + static_cast<std::uint8_t>(rest[0]);
        bytes(rest.substr(0, label_size));
        if (overflow_) {
            return;
        }
        if (label_at < 0x4000 && targets_ < target_offsets_.size()) {
            target_offsets_[targets_] = static_cast<std::uint16_t>(label_at);
            target_lengths_[targets_++] = static_cast<std::uint8_t>(rest.size());
        }
        rest.remove_prefix(label_size);
    }
    u8(0);
}

}  // namespace l7::dns
