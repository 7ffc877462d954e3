#pragma once
// Session identifiers, the value of the shop's "sid" cookie: 128 random bits as 32 lowercase
// hex digits. The id is the only thing that ties a browser to its cart, so it must be
// unguessable (an attacker who guesses one is that user): 128 bits from the kernel's random
// source, never a counter or a time. The random source is a parameter so tests can fix it.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace l7::http::shop {

inline constexpr std::size_t kSessionIdLength = 32;

std::string make_session_id(const std::function<std::uint64_t()>& random);

// Whether `text` has the form make_session_id gives (checked before any database lookup).
bool is_session_id(std::string_view text);

}  // namespace l7::http::shop
