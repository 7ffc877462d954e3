#include "dns/rdata.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstring>

#include "dns/ttl.hpp"

namespace l7::dns {
namespace {

using F = Field;

constexpr std::array a_fields{F::ipv4};
constexpr std::array aaaa_fields{F::ipv6};
constexpr std::array cname_fields{F::cname};  // NS, CNAME, PTR
constexpr std::array dname_fields{F::name};   // RFC 6672: not compressed
constexpr std::array soa_fields{F::cname,  F::cname,  F::u32,   F::period,
                                F::period, F::period, F::period};
constexpr std::array mx_fields{F::u16, F::cname};
constexpr std::array txt_fields{F::strings};
constexpr std::array hinfo_fields{F::string, F::string};
constexpr std::array srv_fields{F::u16, F::u16, F::u16, F::name};  // RFC 2782: no compression
constexpr std::array naptr_fields{F::u16, F::u16, F::string, F::string, F::string, F::name};
constexpr std::array caa_fields{F::u8, F::caa_tag, F::caa_value};
constexpr std::array sshfp_fields{F::u8, F::u8, F::hex};
constexpr std::array ds_fields{F::u16, F::u8, F::u8, F::hex};
constexpr std::array dnskey_fields{F::u16, F::u8, F::u8, F::base64};
constexpr std::array rrsig_fields{F::type, F::u8,  F::u8,   F::u32,   F::time,
                                  F::time, F::u16, F::name, F::base64};
constexpr std::array nsec_fields{F::name, F::bitmap};
constexpr std::array nsec3_fields{F::u8, F::u8, F::u16, F::salt, F::hash, F::bitmap};
constexpr std::array nsec3param_fields{F::u8, F::u8, F::u16, F::salt};
constexpr std::array rp_fields{F::name, F::name};               // RFC 1183
constexpr std::array tlsa_fields{F::u8, F::u8, F::u8, F::hex};  // RFC 6698, 8162 (SMIMEA)
constexpr std::array uri_fields{F::u16, F::u16, F::caa_value};  // RFC 7553: one quoted string
constexpr std::array base64_fields{F::base64};                  // RFC 7929 (OPENPGPKEY)

bool is_name(Field f) {
    return f == F::name || f == F::cname;
}

// Size of a fixed-width field, 0 for the others.
std::size_t fixed_size(Field f) {
    switch (f) {
        case F::u8:
            return 1;
        case F::u16:
        case F::type:
            return 2;
        case F::u32:
        case F::period:
        case F::time:
        case F::ipv4:
            return 4;
        case F::ipv6:
            return 16;
        default:
            return 0;
    }
}

std::uint32_t get_u32(std::span<const std::uint8_t> b) {
    return static_cast<std::uint32_t>(b[0]) << 24 | static_cast<std::uint32_t>(b[1]) << 16 |
           static_cast<std::uint32_t>(b[2]) << 8 | b[3];
}

std::uint16_t get_u16(std::span<const std::uint8_t> b) {
    return static_cast<std::uint16_t>(b[0] << 8 | b[1]);
}

// The extent of one field of stored (uncompressed, already validated) RDATA starting at `pos`.
std::size_t stored_field_size(Field f, std::span<const std::uint8_t> rdata, std::size_t pos) {
    if (const std::size_t n = fixed_size(f)) {
        return n;
    }
    switch (f) {
        case F::name:
        case F::cname: {
            std::size_t p = pos;
            while (p < rdata.size() && rdata[p] != 0) {
                p += 1 + rdata[p];
            }
            return p + 1 - pos;
        }
        case F::string:
        case F::salt:
        case F::hash:
        case F::caa_tag:
            return 1 + static_cast<std::size_t>(rdata[pos]);
        default:  // the rest
            return rdata.size() - pos;
    }
}

// Calls fn(field, bytes) for each field of stored RDATA.
template <class Fn>
void for_each_field(RRType type, std::span<const std::uint8_t> rdata, Fn&& fn) {
    std::size_t pos = 0;
    for (Field f : rdata_fields(type)) {
        if (pos > rdata.size()) {
            return;
        }
        const std::size_t n = std::min(stored_field_size(f, rdata, pos), rdata.size() - pos);
        fn(f, rdata.subspan(pos, n));
        pos += n;
    }
}

std::string_view as_chars(std::span<const std::uint8_t> b) {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

bool valid_bitmap(std::span<const std::uint8_t> b) {
    std::size_t pos = 0;
    int last_window = -1;
    while (pos < b.size()) {
        if (pos + 2 > b.size()) {
            return false;
        }
        const int window = b[pos];
        const std::size_t len = b[pos + 1];
        if (window <= last_window || len == 0 || len > 32 || pos + 2 + len > b.size()) {
            return false;
        }
        if (b[pos + 1 + len] == 0) {
            return false;  // trailing zero octets must be omitted (RFC 4034 section 4.1.2)
        }
        last_window = window;
        pos += 2 + len;
    }
    return true;
}

std::string bitmap_to_text(std::span<const std::uint8_t> b) {
    std::string out;
    std::size_t pos = 0;
    while (pos + 2 <= b.size()) {
        const unsigned window = b[pos];
        const std::size_t len = b[pos + 1];
        for (std::size_t i = 0; i < len && pos + 2 + i < b.size(); ++i) {
            for (unsigned bit = 0; bit < 8; ++bit) {
                if (b[pos + 2 + i] & (0x80 >> bit)) {
                    if (!out.empty()) {
                        out += ' ';
                    }
                    out += type_to_text(static_cast<RRType>(window * 256 + i * 8 + bit));
                }
            }
        }
        pos += 2 + len;
    }
    return out;
}

Bytes bitmap_from_types(std::span<const std::uint16_t> types) {
    std::array<std::array<std::uint8_t, 32>, 256> windows{};
    std::array<std::size_t, 256> used{};
    for (std::uint16_t t : types) {
        const unsigned w = t >> 8;
        const unsigned lo = t & 0xFF;
        windows[w][lo / 8] |= static_cast<std::uint8_t>(0x80 >> (lo % 8));
        used[w] = std::max(used[w], static_cast<std::size_t>(lo / 8 + 1));
    }
    Bytes out;
    for (unsigned w = 0; w < 256; ++w) {
        if (used[w] == 0) {
            continue;
        }
        out.push_back(static_cast<std::uint8_t>(w));
        out.push_back(static_cast<std::uint8_t>(used[w]));
        out.insert(out.end(), windows[w].begin(), windows[w].begin() + static_cast<long>(used[w]));
    }
    return out;
}

template <class T>
std::optional<T> parse_number(std::string_view text) {
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

void put_u16(Bytes& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v));
}

void put_u32(Bytes& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        out.push_back(static_cast<std::uint8_t>(v >> shift));
    }
}

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Howard Hinnant's days-from-civil idea: days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

Result<Bytes> generic_from_text(RRType type, std::span<const TextToken> tokens) {
    // RFC 3597 section 5: \# <length> <hex words>
    if (tokens.size() < 2) {
        return make_error("generic RDATA needs a length after \\#");
    }
    const auto length = parse_number<unsigned>(tokens[1].text);
    if (!length || *length > 65535) {
        return make_error("bad generic RDATA length '" + std::string(tokens[1].text) + "'");
    }
    std::string hex;
    for (std::size_t i = 2; i < tokens.size(); ++i) {
        hex += tokens[i].text;
    }
    auto bytes = hex_decode(hex);
    if (!bytes) {
        return make_error("bad hex in generic RDATA");
    }
    if (bytes->size() != *length) {
        return make_error("generic RDATA length " + std::to_string(*length) + " does not match " +
                          std::to_string(bytes->size()) + " bytes of data");
    }
    if (has_rdata_fields(type)) {
        WireReader reader(*bytes);
        auto checked = read_rdata(reader, type, static_cast<std::uint16_t>(bytes->size()));
        if (!checked) {
            return checked.error();
        }
        return std::move(*checked);
    }
    return std::move(*bytes);
}

}  // namespace

std::span<const Field> rdata_fields(RRType type) {
    switch (type) {
        case RRType::A:
            return a_fields;
        case RRType::AAAA:
            return aaaa_fields;
        case RRType::NS:
        case RRType::CNAME:
        case RRType::PTR:
            return cname_fields;
        case RRType::DNAME:
            return dname_fields;
        case RRType::SOA:
            return soa_fields;
        case RRType::MX:
            return mx_fields;
        case RRType::TXT:
        case RRType::SPF:
            return txt_fields;
        case RRType::RP:
            return rp_fields;
        case RRType::TLSA:
        case RRType::SMIMEA:
            return tlsa_fields;
        case RRType::URI:
            return uri_fields;
        case RRType::OPENPGPKEY:
            return base64_fields;
        case RRType::HINFO:
            return hinfo_fields;
        case RRType::SRV:
            return srv_fields;
        case RRType::NAPTR:
            return naptr_fields;
        case RRType::CAA:
            return caa_fields;
        case RRType::SSHFP:
            return sshfp_fields;
        case RRType::DS:
        case RRType::CDS:
            return ds_fields;
        case RRType::DNSKEY:
        case RRType::CDNSKEY:
            return dnskey_fields;
        case RRType::RRSIG:
            return rrsig_fields;
        case RRType::NSEC:
            return nsec_fields;
        case RRType::NSEC3:
            return nsec3_fields;
        case RRType::NSEC3PARAM:
            return nsec3param_fields;
        default:
            return {};
    }
}

bool has_rdata_fields(RRType type) {
    return !rdata_fields(type).empty();
}

Result<Bytes> read_rdata(WireReader& reader, RRType type, std::uint16_t length) {
    if (length > reader.remaining()) {
        reader.fail("RDATA runs past the end of the message");
        return make_error("RDATA runs past the end of the message");
    }
    const std::size_t end = reader.pos() + length;
    Bytes out;
    const auto fields = rdata_fields(type);
    if (fields.empty()) {
        const auto b = reader.bytes(length);
        out.assign(b.begin(), b.end());
        return out;
    }
    out.reserve(length + 8);
    auto bad = [&](const std::string& why) -> Error {
        reader.fail("malformed RDATA");
        return make_error("malformed " + type_to_text(type) + " RDATA: " + why);
    };
    auto take = [&](std::size_t n) -> bool {
        if (reader.pos() + n > end) {
            return false;
        }
        const auto b = reader.bytes(n);
        out.insert(out.end(), b.begin(), b.end());
        return true;
    };
    auto take_counted = [&](bool nonempty) -> bool {
        if (reader.pos() >= end) {
            return false;
        }
        const std::size_t n = reader.message()[reader.pos()];
        return (!nonempty || n > 0) && take(1 + n);
    };
    for (Field f : fields) {
        if (const std::size_t n = fixed_size(f)) {
            if (!take(n)) {
                return bad("too short");
            }
            continue;
        }
        switch (f) {
            case F::name:
            case F::cname: {
                char buf[kMaxNameWire];
                const std::size_t n = reader.name(buf);
                if (n == 0) {
                    return bad(reader.error() ? reader.error() : "bad name");
                }
                if (reader.pos() > end) {
                    return bad("name runs past RDLENGTH");
                }
                out.insert(out.end(), buf, buf + n);
                break;
            }
            case F::string:
                if (!take_counted(false)) {
                    return bad("character-string runs past RDLENGTH");
                }
                break;
            case F::strings:
                if (reader.pos() >= end) {
                    return bad("no character-string");
                }
                while (reader.pos() < end) {
                    if (!take_counted(false)) {
                        return bad("character-string runs past RDLENGTH");
                    }
                }
                break;
            case F::salt:
                if (!take_counted(false)) {
                    return bad("salt runs past RDLENGTH");
                }
                break;
            case F::hash:
                if (!take_counted(true)) {
                    return bad("bad hash length");
                }
                break;
            case F::caa_tag: {
                const std::size_t at = out.size();
                if (!take_counted(true)) {
                    return bad("bad tag length");
                }
                for (std::size_t i = at + 1; i < out.size(); ++i) {
                    if (!is_alnum(static_cast<char>(out[i]))) {
                        return bad("tag is not letters and digits");
                    }
                }
                break;
            }
            case F::bitmap: {
                const std::size_t at = out.size();
                (void)take(end - reader.pos());
                if (!valid_bitmap(std::span(out).subspan(at))) {
                    return bad("bad type bit map");
                }
                break;
            }
            default:  // base64, hex, caa_value: the rest
                (void)take(end - reader.pos());
                break;
        }
    }
    if (reader.pos() != end) {
        return bad("RDLENGTH is longer than the fields");
    }
    return out;
}

void write_rdata(WireWriter& writer, RRType type, std::span<const std::uint8_t> rdata,
                 bool compress) {
    const std::size_t length_at = writer.size();
    writer.u16(0);
    const auto fields = rdata_fields(type);
    if (fields.empty() || rdata.empty()) {  // empty: an RFC 2136 deletion or prerequisite
        writer.bytes(rdata);
    } else {
        for_each_field(type, rdata, [&](Field f, std::span<const std::uint8_t> bytes) {
            if (is_name(f)) {
                writer.name(as_chars(bytes), compress && f == F::cname);
            } else {
                writer.bytes(bytes);
            }
        });
    }
    if (!writer.overflow()) {
        writer.patch_u16(length_at, static_cast<std::uint16_t>(writer.size() - length_at - 2));
    }
}

std::string quote_string(std::span<const std::uint8_t> bytes) {
    std::string out = "\"";
    for (std::uint8_t c : bytes) {
        if (c < 0x20 || c >= 0x7f) {
            out += '\\';
            out += static_cast<char>('0' + c / 100);
            out += static_cast<char>('0' + c / 10 % 10);
            out += static_cast<char>('0' + c % 10);
        } else {
            if (c == '"' || c == '\\') {
                out += '\\';
            }
            out += static_cast<char>(c);
        }
    }
    out += '"';
    return out;
}

Result<std::string> unescape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out += text[i];
            continue;
        }
        if (i + 1 >= text.size()) {
            return make_error("dangling backslash");
        }
        const char n = text[i + 1];
        if (n >= '0' && n <= '9') {
            if (i + 3 >= text.size() || text[i + 2] < '0' || text[i + 2] > '9' ||
                text[i + 3] < '0' || text[i + 3] > '9') {
                return make_error("bad \\DDD escape");
            }
            const int v = (n - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
            if (v > 255) {
                return make_error("\\DDD escape above 255");
            }
            out += static_cast<char>(v);
            i += 3;
        } else {
            out += n;
            i += 1;
        }
    }
    return out;
}

std::string time_to_text(std::uint32_t seconds) {
    std::int64_t days = seconds / 86400;
    const std::uint32_t rest = seconds % 86400;
    // Civil date from days since 1970-01-01 (inverse of days_from_civil).
    days += 719468;
    const std::int64_t era = days / 146097;
    const auto doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04lld%02u%02u%02u%02u%02u", static_cast<long long>(y), m, d,
                  rest / 3600, rest / 60 % 60, rest % 60);
    return buf;
}

std::optional<std::uint32_t> time_from_text(std::string_view text) {
    if (text.size() != 14) {
        // RFC 4034 section 3.2 also allows the plain number of seconds.
        return parse_number<std::uint32_t>(text);
    }
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
    }
    auto num = [&](std::size_t at, std::size_t n) {
        unsigned v = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            v = v * 10 + static_cast<unsigned>(text[i] - '0');
        }
        return v;
    };
    const unsigned y = num(0, 4);
    const unsigned mo = num(4, 2);
    const unsigned d = num(6, 2);
    const unsigned h = num(8, 2);
    const unsigned mi = num(10, 2);
    const unsigned s = num(12, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) {
        return std::nullopt;
    }
    const std::int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    // Serial number arithmetic (RFC 4034 3.1.5): the value wraps modulo 2^32.
    return static_cast<std::uint32_t>(t);
}

std::string rdata_to_text(RRType type, std::span<const std::uint8_t> rdata) {
    const auto fields = rdata_fields(type);
    if (fields.empty()) {
        std::string out = "\\# " + std::to_string(rdata.size());
        if (!rdata.empty()) {
            out += ' ';
            out += hex_encode(rdata);
        }
        return out;
    }
    if (rdata.empty()) {
        return {};  // RFC 2136 deletions and prerequisites have no RDATA; dig prints nothing
    }
    std::string out;
    for_each_field(type, rdata, [&](Field f, std::span<const std::uint8_t> b) {
        if (!out.empty()) {
            out += ' ';
        }
        switch (f) {
            case F::name:
            case F::cname:
                out += wire_name::to_text(as_chars(b));
                break;
            case F::u8:
                out += std::to_string(b[0]);
                break;
            case F::u16:
                out += std::to_string(get_u16(b));
                break;
            case F::u32:
            case F::period:
                out += std::to_string(get_u32(b));
                break;
            case F::ipv4:
            case F::ipv6: {
                char buf[INET6_ADDRSTRLEN];
                inet_ntop(f == F::ipv4 ? AF_INET : AF_INET6, b.data(), buf, sizeof buf);
                out += buf;
                break;
            }
            case F::string:
                out += quote_string(b.subspan(1));
                break;
            case F::strings: {
                std::size_t pos = 0;
                bool first = true;
                while (pos < b.size()) {
                    const std::size_t n = b[pos];
                    if (!first) {
                        out += ' ';
                    }
                    first = false;
                    out += quote_string(b.subspan(pos + 1, std::min(n, b.size() - pos - 1)));
                    pos += 1 + n;
                }
                break;
            }
            case F::base64:
                out += base64_encode(b);
                break;
            case F::hex:
                out += b.empty() ? std::string("-") : hex_encode(b);
                break;
            case F::time:
                out += time_to_text(get_u32(b));
                break;
            case F::type:
                out += type_to_text(static_cast<RRType>(get_u16(b)));
                break;
            case F::bitmap:
                out += bitmap_to_text(b);
                if (!out.empty() && out.back() == ' ') {
                    out.pop_back();  // an empty bit map
                }
                break;
            case F::salt:
                out += b.size() <= 1 ? std::string("-") : hex_encode(b.subspan(1));
                break;
            case F::hash:
                out += base32hex_encode(b.subspan(1));
                break;
            case F::caa_tag:
                out += as_chars(b.subspan(1));
                break;
            case F::caa_value:
                out += quote_string(b);
                break;
        }
    });
    return out;
}

Result<Bytes> rdata_from_text(RRType type, std::span<const TextToken> tokens, const Name& origin) {
    if (!tokens.empty() && !tokens[0].quoted && tokens[0].text == "\\#") {
        return generic_from_text(type, tokens);
    }
    const auto fields = rdata_fields(type);
    if (fields.empty()) {
        return make_error("type " + type_to_text(type) +
                          " has no known text form; write its RDATA as \\# LENGTH HEX");
    }
    Bytes out;
    std::size_t next = 0;
    auto token = [&]() -> const TextToken* {
        return next < tokens.size() ? &tokens[next++] : nullptr;
    };
    auto rest = [&]() {
        std::string joined;
        while (next < tokens.size()) {
            joined += tokens[next++].text;
        }
        return joined;
    };
    for (Field f : fields) {
        const bool takes_rest =
            f == F::strings || f == F::base64 || f == F::hex || f == F::bitmap || f == F::caa_value;
        if (!takes_rest && next >= tokens.size()) {
            return make_error("too few fields for " + type_to_text(type));
        }
        switch (f) {
            case F::name:
            case F::cname: {
                const TextToken* t = token();
                auto name = Name::parse(t->text, origin);
                if (!name) {
                    return make_error("bad name '" + std::string(t->text) +
                                      "': " + name.error().message);
                }
                const auto w = name->wire();
                out.insert(out.end(), w.begin(), w.end());
                break;
            }
            case F::u8:
            case F::u16:
            case F::u32: {
                const TextToken* t = token();
                const auto v = parse_number<std::uint32_t>(t->text);
                const std::uint32_t max = f == F::u8 ? 0xFF : f == F::u16 ? 0xFFFF : 0xFFFFFFFF;
                if (!v || *v > max) {
                    return make_error("bad number '" + std::string(t->text) + "'");
                }
                if (f == F::u8) {
                    out.push_back(static_cast<std::uint8_t>(*v));
                } else if (f == F::u16) {
                    put_u16(out, static_cast<std::uint16_t>(*v));
                } else {
                    put_u32(out, *v);
                }
                break;
            }
            case F::period: {
                const TextToken* t = token();
                const auto v = parse_ttl(t->text);
                if (!v) {
                    return make_error("bad time value '" + std::string(t->text) + "'");
                }
                put_u32(out, *v);
                break;
            }
            case F::ipv4:
            case F::ipv6: {
                const TextToken* t = token();
                std::uint8_t buf[16];
                const std::string text(t->text);
                if (inet_pton(f == F::ipv4 ? AF_INET : AF_INET6, text.c_str(), buf) != 1) {
                    return make_error(std::string(f == F::ipv4 ? "bad IPv4" : "bad IPv6") +
                                      " address '" + text + "'");
                }
                out.insert(out.end(), buf, buf + (f == F::ipv4 ? 4 : 16));
                break;
            }
            case F::string:
            case F::strings: {
                const std::size_t count = f == F::string ? 1 : tokens.size() - next;
                if (count == 0) {
                    return make_error("missing text for " + type_to_text(type));
                }
                for (std::size_t i = 0; i < count; ++i) {
                    const TextToken* t = token();
                    auto s = unescape(t->text);
                    if (!s) {
                        return make_error(s.error().message + " in '" + std::string(t->text) + "'");
                    }
                    if (s->size() > 255) {
                        return make_error("character-string longer than 255 bytes");
                    }
                    out.push_back(static_cast<std::uint8_t>(s->size()));
                    out.insert(out.end(), s->begin(), s->end());
                }
                break;
            }
            case F::base64: {
                auto b = base64_decode(rest());
                if (!b) {
                    return make_error("bad base64 data");
                }
                out.insert(out.end(), b->begin(), b->end());
                break;
            }
            case F::hex: {
                const std::string text = rest();
                if (text == "-") {
                    break;
                }
                auto b = hex_decode(text);
                if (!b || text.empty()) {
                    return make_error("bad hex data");
                }
                out.insert(out.end(), b->begin(), b->end());
                break;
            }
            case F::time: {
                const TextToken* t = token();
                const auto v = time_from_text(t->text);
                if (!v) {
                    return make_error("bad time '" + std::string(t->text) + "'");
                }
                put_u32(out, *v);
                break;
            }
            case F::type: {
                const TextToken* t = token();
                const auto v = type_from_text(t->text);
                if (!v) {
                    return make_error("unknown type '" + std::string(t->text) + "'");
                }
                put_u16(out, to_int(*v));
                break;
            }
            case F::bitmap: {
                std::vector<std::uint16_t> types;
                while (next < tokens.size()) {
                    const TextToken* t = token();
                    const auto v = type_from_text(t->text);
                    if (!v) {
                        return make_error("unknown type '" + std::string(t->text) + "'");
                    }
                    types.push_back(to_int(*v));
                }
                const Bytes b = bitmap_from_types(types);
                out.insert(out.end(), b.begin(), b.end());
                break;
            }
            case F::salt: {
                const TextToken* t = token();
                if (t->text == "-") {
                    out.push_back(0);
                    break;
                }
                auto b = hex_decode(t->text);
                if (!b || b->empty() || b->size() > 255) {
                    return make_error("bad salt '" + std::string(t->text) + "'");
                }
                out.push_back(static_cast<std::uint8_t>(b->size()));
                out.insert(out.end(), b->begin(), b->end());
                break;
            }
            case F::hash: {
                const TextToken* t = token();
                auto b = base32hex_decode(t->text);
                if (!b || b->empty() || b->size() > 255) {
                    return make_error("bad hash '" + std::string(t->text) + "'");
                }
                out.push_back(static_cast<std::uint8_t>(b->size()));
                out.insert(out.end(), b->begin(), b->end());
                break;
            }
            case F::caa_tag: {
                const TextToken* t = token();
                if (t->text.empty() || t->text.size() > 255) {
                    return make_error("bad CAA tag");
                }
                for (char c : t->text) {
                    if (!is_alnum(c)) {
                        return make_error("bad CAA tag '" + std::string(t->text) + "'");
                    }
                }
                out.push_back(static_cast<std::uint8_t>(t->text.size()));
                out.insert(out.end(), t->text.begin(), t->text.end());
                break;
            }
            case F::caa_value: {
                if (tokens.size() - next != 1) {
                    return make_error("CAA needs exactly one value after the tag");
                }
                auto s = unescape(token()->text);
                if (!s) {
                    return make_error(s.error().message + " in the CAA value");
                }
                out.insert(out.end(), s->begin(), s->end());
                break;
            }
        }
    }
    if (next < tokens.size()) {
        return make_error("extra text '" + std::string(tokens[next].text) + "' after " +
                          type_to_text(type) + " RDATA");
    }
    if (out.size() > 65535) {
        return make_error("RDATA longer than 65535 bytes");
    }
    return out;
}

bool rdata_equal(RRType type, std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    if (a.size() != b.size()) {
        return false;
    }
    if (!has_rdata_fields(type)) {
        return std::equal(a.begin(), a.end(), b.begin());
    }
    bool equal = true;
    std::size_t pos = 0;
    for_each_field(type, a, [&](Field f, std::span<const std::uint8_t> fa) {
        const auto fb = b.subspan(pos, std::min(fa.size(), b.size() - pos));
        pos += fa.size();
        if (fa.size() != fb.size()) {
            equal = false;
        } else if (is_name(f)) {
            equal = equal && wire_name::equal(as_chars(fa), as_chars(fb));
        } else {
            equal = equal && std::equal(fa.begin(), fa.end(), fb.begin());
        }
    });
    return equal;
}

std::string_view additional_name(RRType type, std::span<const std::uint8_t> rdata) {
    std::size_t at = 0;
    switch (type) {
        case RRType::NS:
            at = 0;
            break;
        case RRType::MX:
            at = 2;
            break;
        case RRType::SRV:
            at = 6;
            break;
        default:
            return {};
    }
    if (at >= rdata.size()) {
        return {};
    }
    return as_chars(rdata.subspan(at));
}

std::vector<std::string_view> rdata_names(RRType type, std::span<const std::uint8_t> rdata) {
    std::vector<std::string_view> names;
    for_each_field(type, rdata, [&](Field f, std::span<const std::uint8_t> b) {
        if (is_name(f)) {
            names.push_back(as_chars(b));
        }
    });
    return names;
}

std::optional<Soa> decode_soa(std::span<const std::uint8_t> rdata) {
    WireReader reader(rdata);
    std::string mname;
    std::string rname;
    if (!reader.name(mname) || !reader.name(rname)) {
        return std::nullopt;
    }
    Soa soa;
    auto m = Name::from_wire(mname);
    auto r = Name::from_wire(rname);
    if (!m || !r) {
        return std::nullopt;
    }
    soa.mname = std::move(*m);
    soa.rname = std::move(*r);
    soa.serial = reader.u32();
    soa.refresh = reader.u32();
    soa.retry = reader.u32();
    soa.expire = reader.u32();
    soa.minimum = reader.u32();
    if (!reader.ok()) {
        return std::nullopt;
    }
    return soa;
}

Bytes encode_soa(const Soa& soa) {
    Bytes out;
    const auto m = soa.mname.wire();
    const auto r = soa.rname.wire();
    out.insert(out.end(), m.begin(), m.end());
    out.insert(out.end(), r.begin(), r.end());
    for (std::uint32_t v : {soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum}) {
        put_u32(out, v);
    }
    return out;
}

}  // namespace l7::dns
