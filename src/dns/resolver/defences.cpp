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

namespace {

// Rewrites, in place, the longest suffix of the wire name at `w` that is spelled exactly as
// the same-length suffix of `sent`, with that suffix of `original` (same length: only the
// case differs).
void respell(std::uint8_t* w, std::size_t len, std::string_view sent, std::string_view original) {
    for (std::size_t pos = 0; pos < len && w[pos] != 0; pos += 1 + w[pos]) {
        const std::size_t rest = len - pos;
        if (rest <= sent.size() &&
            std::equal(w + pos, w + len,
                       reinterpret_cast<const std::uint8_t*>(sent.data()) + sent.size() - rest)) {
            std::copy_n(
                reinterpret_cast<const std::uint8_t*>(original.data()) + original.size() - rest,
                rest, w + pos);
            return;
        }
    }
}

Name respelled(const Name& n, std::string_view sent, std::string_view original) {
    std::string wire(n.wire());
    respell(reinterpret_cast<std::uint8_t*>(wire.data()), wire.size(), sent, original);
    return *Name::from_wire(wire);
}

}  // namespace

void restore_case(Message& reply, const Name& sent, const Name& original) {
    const std::string_view s = sent.wire();
    const std::string_view o = original.wire();
    for (Question& q : reply.questions) {
        q.name = respelled(q.name, s, o);
    }
    for (auto* section : {&reply.answers, &reply.authority, &reply.additional}) {
        for (ResourceRecord& rr : *section) {
            rr.owner = respelled(rr.owner, s, o);
            for (std::string_view inside : rdata_names(rr.type, rr.rdata)) {
                const auto offset = static_cast<std::size_t>(
                    reinterpret_cast<const std::uint8_t*>(inside.data()) - rr.rdata.data());
                respell(rr.rdata.data() + offset, inside.size(), s, o);
            }
        }
    }
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
