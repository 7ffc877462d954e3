// l7::dns messages from arbitrary bytes: decode; when that succeeds, encode and decode again
// (the same questions, records and EDNS, and a second encoding byte for byte like the first),
// print the message, and send every record's RDATA through its presentation text and back.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dns/message.hpp"
#include "dns/message_text.hpp"
#include "dns/rdata.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace l7::dns;

// Presentation text to tokens as a zone file reader splits it: blanks separate, double quotes
// group, a backslash keeps the next character; escapes stay in place.
std::vector<TextToken> tokenize(std::string_view text) {
    std::vector<TextToken> out;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ' ') {
            ++i;
            continue;
        }
        const bool quoted = text[i] == '"';
        const std::size_t start = quoted ? ++i : i;
        while (i < text.size() && (quoted ? text[i] != '"' : text[i] != ' ' && text[i] != '"')) {
            i += text[i] == '\\' ? 2 : 1;
        }
        i = std::min(i, text.size());
        out.push_back({text.substr(start, i - start), quoted});
        if (quoted) {
            ++i;
        }
    }
    return out;
}

// The size of `m` written without compression: an upper bound of encode_message's output.
std::size_t uncompressed_size(const Message& m) {
    std::size_t n = kHeaderSize;
    for (const Question& q : m.questions) {
        n += q.name.wire_size() + 4;
    }
    for (const auto* section : {&m.answers, &m.authority, &m.additional}) {
        for (const ResourceRecord& rr : *section) {
            n += rr.owner.wire_size() + 10 + rr.rdata.size();
        }
    }
    if (m.edns) {
        n += 11;
        for (const EdnsOption& o : m.edns->options) {
            n += 4 + o.data.size();
        }
    }
    return n;
}

bool same_records(const std::vector<ResourceRecord>& a, const std::vector<ResourceRecord>& b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].owner.wire() != b[i].owner.wire() || a[i].type != b[i].type ||
            a[i].klass != b[i].klass || a[i].ttl != b[i].ttl || a[i].rdata != b[i].rdata) {
            return false;
        }
    }
    return true;
}

void check_same(const Message& a, const Message& b) {
    L7_FUZZ_CHECK(a.header.id == b.header.id);
    L7_FUZZ_CHECK(a.header.qr == b.header.qr && a.header.opcode == b.header.opcode);
    L7_FUZZ_CHECK(a.header.aa == b.header.aa && a.header.tc == b.header.tc);
    L7_FUZZ_CHECK(a.header.rd == b.header.rd && a.header.ra == b.header.ra);
    L7_FUZZ_CHECK(a.header.z == b.header.z && a.header.ad == b.header.ad);
    L7_FUZZ_CHECK(a.header.cd == b.header.cd);
    L7_FUZZ_CHECK(a.rcode() == b.rcode());
    L7_FUZZ_CHECK(a.questions.size() == b.questions.size());
    for (std::size_t i = 0; i < a.questions.size(); ++i) {
        L7_FUZZ_CHECK(a.questions[i].name.wire() == b.questions[i].name.wire());
        L7_FUZZ_CHECK(a.questions[i].type == b.questions[i].type);
        L7_FUZZ_CHECK(a.questions[i].klass == b.questions[i].klass);
    }
    L7_FUZZ_CHECK(same_records(a.answers, b.answers));
    L7_FUZZ_CHECK(same_records(a.authority, b.authority));
    L7_FUZZ_CHECK(same_records(a.additional, b.additional));
    L7_FUZZ_CHECK(a.edns.has_value() == b.edns.has_value());
    if (a.edns) {
        L7_FUZZ_CHECK(a.edns->udp_size == b.edns->udp_size);
        L7_FUZZ_CHECK(a.edns->version == b.edns->version);
        L7_FUZZ_CHECK(a.edns->dnssec_ok == b.edns->dnssec_ok);
        L7_FUZZ_CHECK(a.edns->flags == b.edns->flags);
        L7_FUZZ_CHECK(a.edns->options.size() == b.edns->options.size());
        for (std::size_t i = 0; i < a.edns->options.size(); ++i) {
            L7_FUZZ_CHECK(a.edns->options[i].code == b.edns->options[i].code);
            L7_FUZZ_CHECK(a.edns->options[i].data == b.edns->options[i].data);
        }
    }
}

// The RDATA printed and parsed back gives the same bytes; the printed form of stored RDATA
// always parses (names are absolute, so the origin does not matter), except the empty RDATA of
// UPDATE deletions, which has no text.
void check_text_round_trip(const ResourceRecord& rr) {
    (void)rdata_names(rr.type, rr.rdata);
    (void)additional_name(rr.type, rr.rdata);
    const std::string text = rdata_to_text(rr.type, rr.rdata);
    if (rr.rdata.empty() && has_rdata_fields(rr.type)) {
        L7_FUZZ_CHECK(text.empty());  // an RFC 2136 deletion: no RDATA, nothing to parse
        return;
    }
    const std::vector<TextToken> tokens = tokenize(text);
    auto parsed = rdata_from_text(rr.type, tokens, Name());
    L7_FUZZ_CHECK(parsed.ok());
    L7_FUZZ_CHECK(rdata_equal(rr.type, *parsed, rr.rdata));
    L7_FUZZ_CHECK(*parsed == rr.rdata);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto m = decode_message(std::span(data, size));
    if (!m) {
        return 0;
    }
    (void)format_message(*m);
    (void)summarize_message(*m);
    for (const auto* section : {&m->answers, &m->authority, &m->additional}) {
        for (const ResourceRecord& rr : *section) {
            check_text_round_trip(rr);
        }
    }

    // Compression only shrinks a message, so the uncompressed size is room enough (and a small
    // buffer keeps the fuzzer fast).
    const std::size_t bound = uncompressed_size(*m);
    const Bytes wire = encode_message(*m, std::min<std::size_t>(bound, 65535));
    auto again = decode_message(wire);
    L7_FUZZ_CHECK(again.ok());
    if (bound > 65535) {
        return 0;  // encode_message may have truncated it
    }
    check_same(*m, *again);
    L7_FUZZ_CHECK(encode_message(*again, bound) == wire);
    return 0;
}
