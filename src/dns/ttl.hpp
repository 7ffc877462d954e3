#pragma once
// TTLs and SOA timers in text: plain seconds, or BIND's units ("1h30m", "2W", "1d"),
// case-insensitive. RFC 2181 section 8 limits a TTL to 2^31 - 1.

#include <cstdint>
#include <optional>
#include <string_view>

namespace l7::dns {

inline constexpr std::uint32_t kMaxTtl = 0x7FFFFFFF;

std::optional<std::uint32_t> parse_ttl(std::string_view text);

}  // namespace l7::dns
