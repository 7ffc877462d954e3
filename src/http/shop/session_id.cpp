#include "http/shop/session_id.hpp"

#include <algorithm>

namespace l7::http::shop {

std::string make_session_id(const std::function<std::uint64_t()>& random) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id;
    id.reserve(kSessionIdLength);
    for (int word = 0; word < 2; ++word) {
        std::uint64_t bits = random();
        for (int i = 0; i < 16; ++i) {
            id += kHex[bits & 0xf];
            bits >>= 4;
        }
    }
    return id;
}

bool is_session_id(std::string_view text) {
    return text.size() == kSessionIdLength && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

}  // namespace l7::http::shop
