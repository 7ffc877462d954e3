// Helpers shared by the DNS unit tests (tests/unit/dns/*_test.cpp) and the DNS fuzz targets
// (fuzz/dns_*.cpp), so that each file does not carry its own copy of the same zone text,
// tokenizer and record formatting. Plain C++ without gtest, so that a fuzz target can include
// it; the helpers that report through gtest are in dns_gtest_util.hpp.

#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dns/master.hpp"
#include "dns/message_text.hpp"
#include "dns/name.hpp"
#include "dns/rdata.hpp"
#include "dns/types.hpp"
#include "dns/zone.hpp"

namespace l7::dns::test {

using Lines = std::vector<std::string>;

// example.com., the origin of the zones the tests build. A function, not a global, so that
// other globals may use it during static initialization.
inline const Name& example_com() {
    static const Name origin = *Name::parse("example.com.");
    return origin;
}

// The secret of the TSIG key "tsig-key." used by tsig_test.cpp and fuzz/dns_update.cpp:
// base64("l7-tsig-test-secret-0123456789ab"). The known-answer messages were signed with it.
inline constexpr const char* kTsigSecret = "bDctdHNpZy10ZXN0LXNlY3JldC0wMTIzNDU2Nzg5YWI=";

// The zone that update_test.cpp edits and fuzz/dns_update.cpp starts from: two apex NS, an MX,
// an RRset of two A records, a CNAME, and an empty non-terminal (b.example.com.) above a.b.
inline constexpr const char* kUpdateZone =
    "$TTL 300\n"
    "@ SOA ns1 hostmaster 10 7200 3600 1209600 60\n"
    "@ NS ns1\n"
    "@ NS ns2\n"
    "@ MX 10 mail\n"
    "ns1 A 192.0.2.1\n"
    "ns2 A 192.0.2.2\n"
    "mail A 192.0.2.25\n"
    "www A 192.0.2.10\n"
    "www A 192.0.2.11\n"
    "alias CNAME www\n"
    "a.b TXT \"deep\"\n";

inline Bytes bytes_of(std::string_view s) {
    return Bytes(s.begin(), s.end());
}

// Splits presentation text into tokens the way a zone file reader does: blanks separate tokens,
// double quotes group one, and a backslash keeps the next character in the token. Escapes stay
// in place; the tokens view `text`, which must outlive them.
inline std::vector<TextToken> tokenize(std::string_view text) {
    std::vector<TextToken> out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ' ' || text[i] == '\t') {
            ++i;
            continue;
        }
        const bool quoted = text[i] == '"';
        const std::size_t start = quoted ? ++i : i;
        while (i < text.size() &&
               (quoted ? text[i] != '"' : text[i] != ' ' && text[i] != '\t' && text[i] != '"')) {
            i += text[i] == '\\' ? 2 : 1;
        }
        i = std::min(i, text.size());
        out.push_back({text.substr(start, i - start), quoted});
        if (quoted) {
            ++i;  // the closing quote
        }
    }
    return out;
}

// The SOA RDATA every test zone uses, with `serial`.
inline Bytes soa_rdata(std::uint32_t serial) {
    return encode_soa({*Name::parse("ns1.example.com."), *Name::parse("hostmaster.example.com."),
                       serial, 7200, 3600, 1209600, 60});
}

// A zone file read and built as the server loads one (file name "<origin>db"): the zone is
// null when the file has errors or fails build_zone's checks, which `file.problems` lists.
struct ParsedZone {
    MasterFile file;
    std::shared_ptr<Zone> zone;
};

inline ParsedZone parse_zone(std::string_view text, const Name& origin = example_com()) {
    ParsedZone p;
    p.file = parse_master(text, origin.to_text() + "db", origin);
    p.zone = build_zone(origin, p.file);
    return p;
}

// "owner TTL CLASS TYPE RDATA" with single spaces instead of tabs, so that expectations read
// like a zone file.
inline std::string spaced_record(const ResourceRecord& rr) {
    std::string s = format_record(rr);
    std::replace(s.begin(), s.end(), '\t', ' ');
    return s;
}

// "owner TYPE ttl rdata" with the owner in lowercase: records compare as sets through these.
inline std::string record_key(const ResourceRecord& r) {
    return r.owner.lowercased().to_text() + " " + type_to_text(r.type) + " " +
           std::to_string(r.ttl) + " " + rdata_to_text(r.type, r.rdata);
}

using Keys = std::vector<std::string>;

// The keys of `records`, sorted, so that two record sets compare whatever their order.
inline Keys record_keys(const std::vector<ResourceRecord>& records) {
    Keys out;
    for (const ResourceRecord& r : records) {
        out.push_back(record_key(r));
    }
    std::sort(out.begin(), out.end());
    return out;
}

inline Keys record_keys(const Zone& zone) {
    return record_keys(zone.records());
}

}  // namespace l7::dns::test
