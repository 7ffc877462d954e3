#pragma once
// Base64 (RFC 4648 section 4), the standard alphabet with '=' padding: DNSKEY and RRSIG
// presentation data, TSIG secrets, HTTP Basic credentials (RFC 7617), SMTP AUTH (RFC 4954).
// Decoding is strict: the length must be a multiple of 4, padding only at the end, and any
// character outside the alphabet (whitespace included) fails; callers that allow spaces or
// line breaks remove them first.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace l7 {

std::string base64_encode(std::span<const std::uint8_t> data);
// The same for text (the bytes of the string).
std::string base64_encode(std::string_view text);

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);
// The same, decoded into a string (which may hold any byte, NUL included).
std::optional<std::string> base64_decode_text(std::string_view text);

}  // namespace l7
