#include "core/base64.hpp"

namespace l7 {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int value_of(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

// Decodes into any container of bytes (std::vector<uint8_t> or std::string).
template <class Out>
std::optional<Out> decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    Out out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = text[i + static_cast<std::size_t>(k)];
            if (c == '=' && i + 4 == text.size() && k >= 2) {
                v[k] = 0;
                ++pad;
                continue;
            }
            if (pad > 0) {
                return std::nullopt;  // data after padding
            }
            v[k] = value_of(c);
            if (v[k] < 0) {
                return std::nullopt;
            }
        }
        const std::uint32_t n =
            static_cast<std::uint32_t>(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
        using Byte = typename Out::value_type;
        out.push_back(static_cast<Byte>(n >> 16));
        if (pad < 2) {
            out.push_back(static_cast<Byte>(n >> 8));
        }
        if (pad < 1) {
            out.push_back(static_cast<Byte>(n));
        }
    }
    return out;
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> data) {
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const std::uint32_t v = static_cast<std::uint32_t>(data[i]) << 16 |
                                static_cast<std::uint32_t>(data[i + 1]) << 8 | data[i + 2];
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += kAlphabet[v >> 6 & 63];
        out += kAlphabet[v & 63];
    }
    if (data.size() - i == 1) {
        const std::uint32_t v = static_cast<std::uint32_t>(data[i]) << 16;
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += "==";
    } else if (data.size() - i == 2) {
        const std::uint32_t v = static_cast<std::uint32_t>(data[i]) << 16 |
                                static_cast<std::uint32_t>(data[i + 1]) << 8;
        out += kAlphabet[v >> 18 & 63];
        out += kAlphabet[v >> 12 & 63];
        out += kAlphabet[v >> 6 & 63];
        out += '=';
    }
    return out;
}

std::string base64_encode(std::string_view text) {
    return base64_encode(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
    return decode<std::vector<std::uint8_t>>(text);
}

std::optional<std::string> base64_decode_text(std::string_view text) {
    return decode<std::string>(text);
}

}  // namespace l7
