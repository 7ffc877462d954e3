#include "dns/resolver/defences.hpp"

#include <algorithm>
#include <vector>

#include "dns/rdata.hpp"

namespace l7::dns {

Name randomize_case(const Name& name, const std::function<std::uint64_t()>& random_bits) {
    std::string wire(name.wire());
    std::uint64_t bits = 0;
    int left = 0;
    std::size_t pos = 0;
    while (pos < wire.size() && wire[pos] != 0) {
        const auto len = static_cast<std::uint8_t>(wire[pos]);
        for (std::size_t i = pos + 1; i <= pos + len; ++i) {
            const char c = ascii_lower(wire[i]);
            if (c < 'a' || c > 'z') {
                continue;  // only letters have a case to flip
            }
            if (left == 0) {
                bits = random_bits();
                left = 64;
            }
            wire[i] = (bits & 1) != 0 ? static_cast<char>(c - 32) : c;
            bits >>= 1;
            --left;
        }
        pos += 1 + len;
    }
    return *Name::from_wire(wire);
}

bool same_spelling(const Name& a, const Name& b) {
    return a.wire() == b.wire();
}

bool reply_matches(const SentQuery& sent, const std::string& from, const Message& reply) {
    if (from != sent.server || reply.header.id != sent.id || !reply.header.qr ||
        reply.questions.size() != 1) {
        return false;
    }
    const Question& q = reply.questions.front();
    return same_spelling(q.name, sent.question.name) && q.type == sent.question.type &&
           q.klass == sent.question.klass;
}

std::size_t scrub(Message& reply, const Name& zone, const Name& qname) {
    std::size_t dropped = 0;
    auto keep_if = [&](std::vector<ResourceRecord>& section, auto&& wanted) {
        const auto before = section.size();
        std::erase_if(section, [&](const ResourceRecord& rr) { return !wanted(rr); });
        dropped += before - section.size();
    };
    keep_if(reply.answers,
            [&](const ResourceRecord& rr) { return rr.owner.is_subdomain_of(zone); });
    keep_if(reply.authority, [&](const ResourceRecord& rr) {
        if (!rr.owner.is_subdomain_of(zone)) {
            return false;
        }
        if (rr.type == RRType::NS || rr.type == RRType::SOA) {
            return qname.is_subdomain_of(rr.owner);  // about the way to qname, nothing else
        }
        return rr.type == RRType::DS || rr.type == RRType::NSEC || rr.type == RRType::NSEC3 ||
               rr.type == RRType::RRSIG;
    });
    // The names kept records point at: only their addresses are useful.
    std::vector<std::string_view> targets;
    for (const auto* section : {&reply.answers, &reply.authority}) {
        for (const ResourceRecord& rr : *section) {
            const std::string_view t = additional_name(rr.type, rr.rdata);
            if (!t.empty()) {
                targets.push_back(t);
            }
        }
    }
    keep_if(reply.additional, [&](const ResourceRecord& rr) {
        if (rr.type != RRType::A && rr.type != RRType::AAAA) {
            return false;
        }
        if (!rr.owner.is_subdomain_of(zone)) {
            return false;
        }
        return std::any_of(targets.begin(), targets.end(), [&](std::string_view t) {
            return wire_name::equal(t, rr.owner.wire());
        });
    });
    return dropped;
}

}  // namespace l7::dns
