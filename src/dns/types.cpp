#include "dns/types.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace l7::dns {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'a' && x <= 'z') {
            x = static_cast<char>(x - 'a' + 'A');
        }
        if (y >= 'a' && y <= 'z') {
            y = static_cast<char>(y - 'a' + 'A');
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

// "TYPE" + decimal, as RFC 3597 section 5 writes an unknown type (and "CLASS" + decimal).
std::optional<std::uint16_t> generic_number(std::string_view text, std::string_view prefix) {
    if (text.size() <= prefix.size() || !iequals(text.substr(0, prefix.size()), prefix)) {
        return std::nullopt;
    }
    const std::string_view digits = text.substr(prefix.size());
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

constexpr std::array<std::pair<RRType, std::string_view>, 37> type_names{{
    {RRType::A, "A"},
    {RRType::NS, "NS"},
    {RRType::CNAME, "CNAME"},
    {RRType::SOA, "SOA"},
    {RRType::PTR, "PTR"},
    {RRType::HINFO, "HINFO"},
    {RRType::MX, "MX"},
    {RRType::TXT, "TXT"},
    {RRType::AAAA, "AAAA"},
    {RRType::SRV, "SRV"},
    {RRType::NAPTR, "NAPTR"},
    {RRType::DNAME, "DNAME"},
    {RRType::OPT, "OPT"},
    {RRType::DS, "DS"},
    {RRType::SSHFP, "SSHFP"},
    {RRType::RRSIG, "RRSIG"},
    {RRType::NSEC, "NSEC"},
    {RRType::DNSKEY, "DNSKEY"},
    {RRType::NSEC3, "NSEC3"},
    {RRType::NSEC3PARAM, "NSEC3PARAM"},
    {RRType::TKEY, "TKEY"},
    {RRType::TSIG, "TSIG"},
    {RRType::IXFR, "IXFR"},
    {RRType::AXFR, "AXFR"},
    {RRType::ANY, "ANY"},
    {RRType::CAA, "CAA"},
    {RRType::RP, "RP"},
    {RRType::LOC, "LOC"},
    {RRType::TLSA, "TLSA"},
    {RRType::SMIMEA, "SMIMEA"},
    {RRType::CDS, "CDS"},
    {RRType::CDNSKEY, "CDNSKEY"},
    {RRType::OPENPGPKEY, "OPENPGPKEY"},
    {RRType::SVCB, "SVCB"},
    {RRType::HTTPS, "HTTPS"},
    {RRType::SPF, "SPF"},
    {RRType::URI, "URI"},
}};

constexpr std::array<std::pair<RRClass, std::string_view>, 5> class_names{{
    {RRClass::IN, "IN"},
    {RRClass::CH, "CH"},
    {RRClass::HS, "HS"},
    {RRClass::NONE, "NONE"},
    {RRClass::ANY, "ANY"},
}};

constexpr std::array<std::pair<Rcode, std::string_view>, 19> rcode_names{{
    {Rcode::NOERROR, "NOERROR"},     {Rcode::FORMERR, "FORMERR"}, {Rcode::SERVFAIL, "SERVFAIL"},
    {Rcode::NXDOMAIN, "NXDOMAIN"},   {Rcode::NOTIMP, "NOTIMP"},   {Rcode::REFUSED, "REFUSED"},
    {Rcode::YXDOMAIN, "YXDOMAIN"},   {Rcode::YXRRSET, "YXRRSET"}, {Rcode::NXRRSET, "NXRRSET"},
    {Rcode::NOTAUTH, "NOTAUTH"},     {Rcode::NOTZONE, "NOTZONE"}, {Rcode::BADVERS, "BADVERS"},
    {Rcode::BADKEY, "BADKEY"},       {Rcode::BADTIME, "BADTIME"}, {Rcode::BADMODE, "BADMODE"},
    {Rcode::BADNAME, "BADNAME"},     {Rcode::BADALG, "BADALG"},   {Rcode::BADTRUNC, "BADTRUNC"},
    {Rcode::BADCOOKIE, "BADCOOKIE"},
}};

}  // namespace

std::string type_to_text(RRType type) {
    for (const auto& [t, name] : type_names) {
        if (t == type) {
            return std::string(name);
        }
    }
    return "TYPE" + std::to_string(to_int(type));
}

std::optional<RRType> type_from_text(std::string_view text) {
    for (const auto& [t, name] : type_names) {
        if (iequals(text, name)) {
            return t;
        }
    }
    if (auto n = generic_number(text, "TYPE")) {
        return static_cast<RRType>(*n);
    }
    return std::nullopt;
}

std::string class_to_text(RRClass klass) {
    for (const auto& [c, name] : class_names) {
        if (c == klass) {
            return std::string(name);
        }
    }
    return "CLASS" + std::to_string(to_int(klass));
}

std::optional<RRClass> class_from_text(std::string_view text) {
    for (const auto& [c, name] : class_names) {
        if (iequals(text, name)) {
            return c;
        }
    }
    if (iequals(text, "CHAOS")) {
        return RRClass::CH;
    }
    if (auto n = generic_number(text, "CLASS")) {
        return static_cast<RRClass>(*n);
    }
    return std::nullopt;
}

std::string opcode_to_text(Opcode opcode) {
    switch (opcode) {
        case Opcode::QUERY:
            return "QUERY";
        case Opcode::IQUERY:
            return "IQUERY";
        case Opcode::STATUS:
            return "STATUS";
        case Opcode::NOTIFY:
            return "NOTIFY";
        case Opcode::UPDATE:
            return "UPDATE";
    }
    return "RESERVED" + std::to_string(static_cast<unsigned>(opcode));
}

std::string rcode_to_text(Rcode rcode) {
    for (const auto& [r, name] : rcode_names) {
        if (r == rcode) {
            return std::string(name);
        }
    }
    return "RESERVED" + std::to_string(static_cast<unsigned>(rcode));
}

std::optional<Rcode> rcode_from_text(std::string_view text) {
    for (const auto& [r, name] : rcode_names) {
        if (iequals(text, name)) {
            return r;
        }
    }
    return std::nullopt;
}

bool is_meta_type(RRType type) {
    const auto v = to_int(type);
    return v == to_int(RRType::OPT) || (v >= 128 && v <= 255);
}

}  // namespace l7::dns
