#include "dns/encoding.hpp"

#include "core/hex.hpp"

namespace l7::dns {
namespace {

constexpr std::string_view b32hex = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

int b32hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'V') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'v') {
        return c - 'a' + 10;
    }
    return -1;
}

}  // namespace

std::string base32hex_encode(std::span<const std::uint8_t> data) {
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (std::uint8_t b : data) {
        buffer = buffer << 8 | b;
        bits += 8;
        while (bits >= 5) {
            out += b32hex[buffer >> (bits - 5) & 31];
            bits -= 5;
        }
    }
    if (bits > 0) {
        out += b32hex[buffer << (5 - bits) & 31];
    }
    return out;
}

std::optional<Bytes> base32hex_decode(std::string_view text) {
    Bytes out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        if (c == '=') {
            break;
        }
        const int v = b32hex_value(c);
        if (v < 0) {
            return std::nullopt;
        }
        buffer = buffer << 5 | static_cast<std::uint32_t>(v);
        bits += 5;
        if (bits >= 8) {
            out.push_back(static_cast<std::uint8_t>(buffer >> (bits - 8)));
            bits -= 8;
        }
    }
    return out;
}

std::string hex_encode(std::span<const std::uint8_t> data) {
    std::string out;
    out.reserve(data.size() * 2);
    for (std::uint8_t b : data) {
        out += kUpperHexDigits[b >> 4];
        out += kUpperHexDigits[b & 15];
    }
    return out;
}

std::optional<Bytes> hex_decode(std::string_view text) {
    if (text.size() % 2 != 0) {
        return std::nullopt;
    }
    Bytes out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int hi = hex_digit_value(text[i]);
        const int lo = hex_digit_value(text[i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
    }
    return out;
}

}  // namespace l7::dns
