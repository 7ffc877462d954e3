#pragma once
// RDATA of every type l7 knows, described once as a list of fields (RFC 1035 3.3, RFC 3596,
// RFC 2782, RFC 3403, RFC 6672, RFC 4255, RFC 8659, RFC 4034, RFC 5155), from which come the
// wire decoder, the compressing encoder, the presentation printer and parser, and comparison.
//
// RDATA is stored in its uncompressed wire form. Types without a description are opaque bytes,
// printed and parsed in the RFC 3597 generic form `\# <length> <hex>`.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "dns/encoding.hpp"
#include "dns/name.hpp"
#include "dns/types.hpp"
#include "dns/wire.hpp"

namespace l7::dns {

enum class Field : std::uint8_t {
    name,   // domain name, never compressed on write
    cname,  // domain name that may be compressed (RFC 1035 types, RFC 3597 section 4)
    u8,
    u16,
    u32,
    period,  // u32 seconds; the text accepts TTL units (SOA timers)
    ipv4,
    ipv6,
    string,     // one <character-string>
    strings,    // one or more <character-string>s, to the end (TXT)
    base64,     // the rest, base64; text may be split by spaces
    hex,        // the rest, hex; text may be split by spaces
    time,       // u32 seconds since 1970, text YYYYMMDDHHmmSS (RFC 4034 section 3.2)
    type,       // u16 type by mnemonic
    bitmap,     // type bit maps, to the end (RFC 4034 section 4.1.2)
    salt,       // u8 length + bytes, text "-" or hex (RFC 5155 section 3.3)
    hash,       // u8 length + bytes, text base32hex
    caa_tag,    // u8 length + letters and digits (RFC 8659 section 4.1)
    caa_value,  // the rest, text one quoted string
};

// The field list of `type`, or an empty span for a type l7 treats as opaque.
std::span<const Field> rdata_fields(RRType type);
bool has_rdata_fields(RRType type);

// A token of presentation text: its characters with escapes still in place, and whether it
// was written in double quotes.
struct TextToken {
    std::string_view text;
    bool quoted = false;
};

// Reads `length` bytes of RDATA at the reader's position, expanding compressed names, and
// checks them against the type's fields. Returns the uncompressed form.
Result<Bytes> read_rdata(WireReader& reader, RRType type, std::uint16_t length);
// Writes RDLENGTH and RDATA; compresses names of cname fields when `compress`.
void write_rdata(WireWriter& writer, RRType type, std::span<const std::uint8_t> rdata,
                 bool compress = true);

std::string rdata_to_text(RRType type, std::span<const std::uint8_t> rdata);
Result<Bytes> rdata_from_text(RRType type, std::span<const TextToken> tokens, const Name& origin);

// Equal as DNS data: names compared without case (RFC 4034 section 6.2 lists the types whose
// names are compared this way; l7 does it for every name field).
bool rdata_equal(RRType type, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

// The name that additional-section processing looks up (RFC 1035 3.3 and 4.3.2, RFC 2782):
// the NS host, the MX exchange or the SRV target; empty for other types.
std::string_view additional_name(RRType type, std::span<const std::uint8_t> rdata);
// Every name in the RDATA of `type` (for zone checks), as uncompressed wire views.
std::vector<std::string_view> rdata_names(RRType type, std::span<const std::uint8_t> rdata);

struct Soa {
    Name mname;
    Name rname;
    std::uint32_t serial = 0;
    std::uint32_t refresh = 0;
    std::uint32_t retry = 0;
    std::uint32_t expire = 0;
    std::uint32_t minimum = 0;
};
std::optional<Soa> decode_soa(std::span<const std::uint8_t> rdata);
Bytes encode_soa(const Soa& soa);

// <character-string> text (RFC 1035 section 5.1): quoted, with \" \\ and \DDD escapes.
std::string quote_string(std::span<const std::uint8_t> bytes);
// Removes escapes; fails on a bad \DDD.
Result<std::string> unescape(std::string_view text);

// RFC 4034 section 3.2's time text, both ways.
std::string time_to_text(std::uint32_t seconds);
std::optional<std::uint32_t> time_from_text(std::string_view text);

}  // namespace l7::dns
