#pragma once
// Binary-to-text encodings used by RDATA presentation formats: base64 (RFC 4648 section 4;
// DNSKEY, RRSIG), base32 with the extended hex alphabet (RFC 4648 section 7; NSEC3 hashes,
// RFC 5155 section 3.3) and hexadecimal (DS, SSHFP, NSEC3 salt, RFC 3597 generic data).
// Decoders return nullopt on any character outside the alphabet; base32hex and hex accept
// either case. Base64 lives in core (core/base64.hpp, shared with HTTP and mail) and is
// brought in here so that DNS code keeps calling it unqualified.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64.hpp"

namespace l7::dns {

using Bytes = std::vector<std::uint8_t>;

using l7::base64_decode;
using l7::base64_encode;

std::string base32hex_encode(std::span<const std::uint8_t> data);  // no padding, uppercase
std::optional<Bytes> base32hex_decode(std::string_view text);

std::string hex_encode(std::span<const std::uint8_t> data);  // uppercase
std::optional<Bytes> hex_decode(std::string_view text);

}  // namespace l7::dns
