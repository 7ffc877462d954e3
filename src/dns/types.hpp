#pragma once
// The numbers of the DNS protocol and their mnemonics (RFC 1035 section 3.2, IANA's "Domain Name
// System (DNS) Parameters" registry). Types and classes stay plain 16-bit numbers so that a value
// we do not know travels through unchanged (RFC 3597); the enums only name the ones we use.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace l7::dns {

enum class RRType : std::uint16_t {
    A = 1,
    NS = 2,
    CNAME = 5,
    SOA = 6,
    PTR = 12,
    HINFO = 13,
    MX = 15,
    TXT = 16,
    RP = 17,
    AAAA = 28,
    LOC = 29,
    SRV = 33,
    NAPTR = 35,
    DNAME = 39,
    OPT = 41,
    DS = 43,
    SSHFP = 44,
    RRSIG = 46,
    NSEC = 47,
    DNSKEY = 48,
    NSEC3 = 50,
    NSEC3PARAM = 51,
    TLSA = 52,
    SMIMEA = 53,
    CDS = 59,
    CDNSKEY = 60,
    OPENPGPKEY = 61,
    SVCB = 64,
    HTTPS = 65,
    SPF = 99,
    TKEY = 249,
    TSIG = 250,
    IXFR = 251,
    AXFR = 252,
    ANY = 255,
    URI = 256,
    CAA = 257,
};

enum class RRClass : std::uint16_t { IN = 1, CH = 3, HS = 4, NONE = 254, ANY = 255 };

enum class Opcode : std::uint8_t { QUERY = 0, IQUERY = 1, STATUS = 2, NOTIFY = 4, UPDATE = 5 };

// The 12-bit response code: the low 4 bits live in the header, the high 8 in the OPT record
// (RFC 6891 section 6.1.3). TSIG's BADSIG shares the value 16 with BADVERS (RFC 8945).
enum class Rcode : std::uint16_t {
    NOERROR = 0,
    FORMERR = 1,
    SERVFAIL = 2,
    NXDOMAIN = 3,
    NOTIMP = 4,
    REFUSED = 5,
    YXDOMAIN = 6,
    YXRRSET = 7,
    NXRRSET = 8,
    NOTAUTH = 9,
    NOTZONE = 10,
    BADVERS = 16,
    BADSIG = 16,  // the TSIG error (RFC 8945), same number
    BADKEY = 17,
    BADTIME = 18,
    BADMODE = 19,
    BADNAME = 20,
    BADALG = 21,
    BADTRUNC = 22,
    BADCOOKIE = 23,
};

constexpr std::uint16_t to_int(RRType t) {
    return static_cast<std::uint16_t>(t);
}
constexpr std::uint16_t to_int(RRClass c) {
    return static_cast<std::uint16_t>(c);
}

// "A", "TYPE65534" for types without a mnemonic (RFC 3597 section 5).
std::string type_to_text(RRType type);
// Accepts mnemonics in any case and the TYPEnnn form.
std::optional<RRType> type_from_text(std::string_view text);

std::string class_to_text(RRClass klass);
std::optional<RRClass> class_from_text(std::string_view text);

std::string opcode_to_text(Opcode opcode);
std::string rcode_to_text(Rcode rcode);
std::optional<Rcode> rcode_from_text(std::string_view text);

// Types that only exist in a message, never in a zone (meta and query types, RFC 6895 3.1).
bool is_meta_type(RRType type);

}  // namespace l7::dns
