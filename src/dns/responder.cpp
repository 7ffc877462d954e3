#include "dns/responder.hpp"

#include <algorithm>
#include <cstring>

#include "dns/message.hpp"

namespace l7::dns {

void ZoneSet::add(std::shared_ptr<const Zone> zone) {
    by_origin_[std::string(zone->origin().wire())] = zone.get();
    zones_.push_back(std::move(zone));
}

const Zone* ZoneSet::find_zone(std::string_view wire) const {
    if (zones_.size() == 1) {  // the usual server: one comparison instead of a lookup per label
        const Zone* only = zones_.front().get();
        return wire_name::is_subdomain(wire, only->origin().wire()) ? only : nullptr;
    }
    for (std::string_view up = wire; !up.empty(); up = wire_name::parent(up)) {
        const auto it = by_origin_.find(up);
        if (it != by_origin_.end()) {
            return it->second;
        }
    }
    return nullptr;
}

namespace {

constexpr int kMaxChain = 16;   // CNAME and DNAME hops followed in one answer
constexpr int kMaxExtras = 32;  // names looked up for the additional section

struct Query {
    Header header;
    char qname[kMaxNameWire];
    std::size_t qname_len = 0;
    RRType qtype = RRType::A;
    RRClass qclass = RRClass::IN;
    bool has_question = false;
    bool edns = false;
    std::uint16_t udp_size = 0;
    std::uint8_t edns_version = 0;
    bool dnssec_ok = false;

    std::string_view name() const { return {qname, qname_len}; }
};

enum class Parse { ok, formerr };

// Reads the question and finds the OPT record, without copying anything but the name.
Parse parse_query(std::span<const std::uint8_t> wire, Query& q) {
    WireReader r(wire, kHeaderSize);
    if (q.header.qdcount != 1) {
        return Parse::formerr;
    }
    q.qname_len = r.name(q.qname);
    q.qtype = static_cast<RRType>(r.u16());
    q.qclass = static_cast<RRClass>(r.u16());
    if (!r.ok() || q.qname_len == 0) {
        return Parse::formerr;
    }
    q.has_question = true;
    const unsigned records = q.header.ancount + q.header.nscount + q.header.arcount;
    const unsigned first_additional = q.header.ancount + q.header.nscount;
    for (unsigned i = 0; i < records; ++i) {
        char owner[kMaxNameWire];
        const std::size_t owner_len = r.name(owner);
        const auto type = static_cast<RRType>(r.u16());
        const std::uint16_t klass = r.u16();
        const std::uint32_t ttl = r.u32();
        const std::uint16_t rdlength = r.u16();
        r.skip(rdlength);
        if (!r.ok() || owner_len == 0) {
            return Parse::formerr;
        }
        if (type == RRType::OPT) {
            // RFC 6891 6.1.1: one OPT, in the additional section, owned by the root.
            if (i < first_additional || q.edns || owner_len != 1) {
                return Parse::formerr;
            }
            q.edns = true;
            q.udp_size = klass;
            q.edns_version = static_cast<std::uint8_t>(ttl >> 16);
            q.dnssec_ok = (ttl & 0x8000) != 0;
        }
    }
    if (r.remaining() != 0) {
        return Parse::formerr;
    }
    return Parse::ok;
}

class Answerer {
  public:
    Answerer(const Zone& zone, MessageBuilder& b, const Query& q, Transport t)
        : zone_(zone), b_(b), q_(q), transport_(t) {}

    void run(ResponseInfo& info) {
        std::string_view visited[kMaxChain + 1];
        std::string_view name = q_.name();
        for (int hop = 0; hop <= kMaxChain && !done_; ++hop) {
            visited[hop] = name;
            name = step(name);
            if (name.empty() || !wire_name::is_subdomain(name, zone_.origin().wire())) {
                break;  // the chain leaves the zone: the resolver follows it from here
            }
            // A loop ends at the first name seen twice; the resolver reports it.
            if (std::any_of(visited, visited + hop + 1,
                            [&](std::string_view v) { return wire_name::equal(v, name); })) {
                break;
            }
        }
        write_authority();
        write_additional();
        info.rcode = rcode_;
        info.referral = referral_cut_ != nullptr;
        info.truncated = tc_;
    }

    Rcode rcode() const { return rcode_; }
    bool authoritative() const { return aa_; }
    bool truncated() const { return tc_; }

  private:
    // Answers one name of the chain; returns the next name to look up, or empty when done.
    std::string_view step(std::string_view name) {
        const std::string_view apex = zone_.origin().wire();
        // Ancestors of `name` below the apex, top down: the first cut or DNAME decides.
        std::string_view chain[128];
        std::size_t n = 0;
        for (std::string_view up = name; up.size() > apex.size() && n < 128;
             up = wire_name::parent(up)) {
            chain[n++] = up;
        }
        while (n > 0) {
            const std::string_view at = chain[--n];
            const Node* node = zone_.find(at);
            if (node == nullptr) {
                break;  // nothing exists below here
            }
            const bool is_qname = at.size() == name.size();
            if (node->find(RRType::NS) != nullptr && !(is_qname && q_.qtype == RRType::DS)) {
                referral(at, *node);
                return {};
            }
            if (!is_qname) {
                if (const RRset* dname = node->find(RRType::DNAME)) {
                    return substitute(name, at, *dname);
                }
            }
        }
        if (const RRset* dname =
                name.size() > apex.size() ? zone_.apex().find(RRType::DNAME) : nullptr) {
            return substitute(name, apex, *dname);
        }
        if (const Node* exact = zone_.find(name)) {
            return answer_from(name, *exact);
        }
        // RFC 4592 section 3.3.1: the closest encloser, then its wildcard.
        std::string_view encloser = wire_name::parent(name);
        while (encloser.size() > apex.size() && zone_.find(encloser) == nullptr) {
            encloser = wire_name::parent(encloser);
        }
        if (encloser.size() + 2 <= kMaxNameWire) {
            char wildcard[kMaxNameWire];
            wildcard[0] = 1;
            wildcard[1] = '*';
            std::memcpy(wildcard + 2, encloser.data(), encloser.size());
            if (const Node* source = zone_.find({wildcard, encloser.size() + 2})) {
                return answer_from(name, *source);
            }
        }
        rcode_ = Rcode::NXDOMAIN;
        negative_ = true;
        done_ = true;
        return {};
    }

    std::string_view answer_from(std::string_view owner, const Node& node) {
        if (q_.qtype == RRType::ANY) {
            // RFC 8482 section 4.2: over UDP one RRset is enough; over TCP there is room.
            for (const RRset& set : node.rrsets) {
                if (!add_rrset(Section::answer, owner, set)) {
                    break;
                }
                if (transport_ == Transport::udp) {
                    break;
                }
            }
            negative_ = node.empty();
            done_ = true;
            return {};
        }
        if (const RRset* set = node.find(q_.qtype)) {
            add_rrset(Section::answer, owner, *set);
            note_targets(*set, false);
            done_ = true;
            return {};
        }
        if (const RRset* cname = node.find(RRType::CNAME)) {
            if (!add_rrset(Section::answer, owner, *cname)) {
                return {};
            }
            const auto target = *cname->begin();
            return {reinterpret_cast<const char*>(target.data()), target.size()};
        }
        negative_ = true;  // NODATA (RFC 2308 section 2.2)
        done_ = true;
        return {};
    }

    // RFC 6672 section 2.2: the DNAME, a CNAME synthesized from it, then the new name.
    std::string_view substitute(std::string_view name, std::string_view owner, const RRset& dname) {
        if (!add_rrset(Section::answer, owner, dname)) {
            return {};
        }
        const auto target = *dname.begin();
        const std::size_t keep = name.size() - owner.size();
        if (keep + target.size() > kMaxNameWire) {
            rcode_ = Rcode::YXDOMAIN;
            done_ = true;
            return {};
        }
        char* buf = synthesized_[synthesized_count_];
        ++synthesized_count_;
        std::memcpy(buf, name.data(), keep);
        std::memcpy(buf + keep, target.data(), target.size());
        const std::string_view new_name(buf, keep + target.size());
        // The synthesized CNAME takes the DNAME's TTL.
        if (!b_.add(Section::answer, name, RRType::CNAME, RRClass::IN, dname.ttl(),
                    std::span(reinterpret_cast<const std::uint8_t*>(new_name.data()),
                              new_name.size()))) {
            tc_ = true;
            done_ = true;
            return {};
        }
        return new_name;
    }

    void referral(std::string_view cut, const Node& node) {
        referral_cut_ = &node;
        referral_owner_ = cut;
        if (b_.count(Section::answer) == 0) {
            aa_ = false;
        }
        done_ = true;
    }

    bool add_rrset(Section section, std::string_view owner, const RRset& set) {
        const auto mark = b_.mark();
        const auto counts = std::array{b_.count(Section::answer), b_.count(Section::authority),
                                       b_.count(Section::additional)};
        for (auto rdata : set) {
            if (!b_.add(section, owner, set.type(), RRClass::IN, set.ttl(), rdata)) {
                b_.rewind(mark, counts[0], counts[1], counts[2]);
                if (section != Section::additional) {
                    tc_ = true;  // RFC 2181 section 9: a whole RRset or none, and say so
                    done_ = true;
                }
                return false;
            }
        }
        return true;
    }

    void note_targets(const RRset& set, bool glue) {
        for (auto rdata : set) {
            const std::string_view target = additional_name(set.type(), rdata);
            if (target.size() > 1 && extras_count_ < kMaxExtras) {
                extras_[extras_count_++] = {target, glue};
            }
        }
    }

    void write_authority() {
        if (tc_) {
            return;
        }
        if (referral_cut_ != nullptr) {
            if (const RRset* ns = referral_cut_->find(RRType::NS)) {
                if (add_rrset(Section::authority, referral_owner_, *ns)) {
                    note_targets(*ns, true);
                }
            }
            return;
        }
        if (negative_ || rcode_ == Rcode::NXDOMAIN) {
            // RFC 2308 section 3: the SOA, with the smaller of its TTL and its MINIMUM.
            const RRset* soa = zone_.soa();
            if (soa == nullptr || soa->empty()) {
                return;
            }
            const auto rdata = *soa->begin();
            const std::uint32_t minimum = static_cast<std::uint32_t>(
                rdata[rdata.size() - 4] << 24 | rdata[rdata.size() - 3] << 16 |
                rdata[rdata.size() - 2] << 8 | rdata[rdata.size() - 1]);
            if (!b_.add(Section::authority, zone_.origin().wire(), RRType::SOA, RRClass::IN,
                        std::min(soa->ttl(), minimum), rdata)) {
                tc_ = true;
            }
        }
    }

    void write_additional() {
        if (tc_) {
            return;
        }
        const std::string_view apex = zone_.origin().wire();
        for (int i = 0; i < extras_count_; ++i) {
            const auto [target, glue] = extras_[i];
            bool seen = false;
            for (int k = 0; k < i; ++k) {
                seen = seen || wire_name::equal(extras_[k].name, target);
            }
            if (seen || !wire_name::is_subdomain(target, apex)) {
                continue;
            }
            // Data under a cut is glue: used for referrals only (RFC 1034 section 4.2.1).
            const std::string_view cut = zone_.find_cut(target);
            if (!cut.empty() && !glue) {
                continue;
            }
            const Node* node = zone_.find(target);
            if (node == nullptr) {
                continue;
            }
            const bool needed =
                glue && !cut.empty() && wire_name::is_subdomain(target, referral_owner_);
            for (RRType type : {RRType::A, RRType::AAAA}) {
                const RRset* set = node->find(type);
                if (set != nullptr && !add_rrset(Section::additional, target, *set)) {
                    // RFC 9471: glue the resolver cannot do without makes the reply truncated.
                    if (needed) {
                        tc_ = true;
                    }
                    return;
                }
            }
        }
    }

    struct Extra {
        std::string_view name;
        bool glue = false;
    };

    const Zone& zone_;
    MessageBuilder& b_;
    const Query& q_;
    Transport transport_;
    Rcode rcode_ = Rcode::NOERROR;
    bool aa_ = true;
    bool tc_ = false;
    bool done_ = false;
    bool negative_ = false;
    const Node* referral_cut_ = nullptr;
    std::string_view referral_owner_;
    Extra extras_[kMaxExtras];
    int extras_count_ = 0;
    char synthesized_[kMaxChain + 1][kMaxNameWire];  // one per hop at most
    int synthesized_count_ = 0;
};

Header reply_header(const Header& query) {
    Header h;
    h.id = query.id;
    h.qr = true;
    h.opcode = query.opcode;
    h.rd = query.rd;
    h.cd = query.cd;
    return h;
}

}  // namespace

std::size_t respond(const ZoneSet& zones, std::span<const std::uint8_t> query,
                    std::span<std::uint8_t> out, Transport transport,
                    const ResponderOptions& options, ResponseInfo* info) {
    ResponseInfo local_info;
    ResponseInfo& result = info != nullptr ? *info : local_info;
    const auto header = read_header(query);
    if (!header || header->qr) {
        return 0;  // never answer a response: that is how reflection loops start
    }
    Query q;
    q.header = *header;
    const Parse parsed = parse_query(query, q);

    std::size_t limit = out.size();
    if (transport == Transport::udp) {
        const std::size_t asked =
            q.edns ? std::max<std::size_t>(q.udp_size, kClassicUdpSize) : kClassicUdpSize;
        limit = std::min(
            {limit, asked,
             static_cast<std::size_t>(std::max<std::uint16_t>(options.max_udp_size, 512))});
    }
    MessageBuilder b(out, limit);
    Header h = reply_header(q.header);

    auto finish_with = [&](Rcode rcode, bool echo_question) {
        const auto v = static_cast<unsigned>(rcode);
        h.rcode = static_cast<std::uint8_t>(v & 0x0F);
        b.header(h);
        if (q.edns && parsed == Parse::ok) {
            Edns e;
            e.udp_size = options.max_udp_size;
            e.dnssec_ok = q.dnssec_ok;
            e.extended_rcode = static_cast<std::uint8_t>(v >> 4);
            b.reserve_edns(e);
        }
        if (echo_question && q.has_question) {
            (void)b.question(q.name(), q.qtype, q.qclass);
        }
        result.rcode = rcode;
        return b.finish().size();
    };

    // An opcode we do not implement is NOTIMP whatever follows (RFC 1035 4.1.1), as BIND does.
    if (q.header.opcode != Opcode::QUERY) {
        return finish_with(Rcode::NOTIMP, parsed == Parse::ok);
    }
    if (parsed == Parse::formerr) {
        return finish_with(Rcode::FORMERR, false);
    }
    if (q.edns && q.edns_version != 0) {
        return finish_with(Rcode::BADVERS, true);  // RFC 6891 section 6.1.3
    }
    if (q.qtype == RRType::OPT || q.qtype == RRType::TSIG || q.qtype == RRType::TKEY) {
        return finish_with(Rcode::FORMERR, true);
    }
    if (q.qclass != RRClass::IN && q.qclass != RRClass::ANY) {
        return finish_with(Rcode::REFUSED, true);
    }
    const Zone* zone = zones.find_zone(q.name());
    if (zone != nullptr && q.qtype == RRType::DS &&
        wire_name::equal(zone->origin().wire(), q.name())) {
        // RFC 4035 section 3.1.4.1: the DS RRset at a cut is the parent's data.
        if (const Zone* parent = zones.find_zone(wire_name::parent(q.name()))) {
            zone = parent;
        }
    }
    if (zone == nullptr) {
        return finish_with(Rcode::REFUSED, true);
    }
    if (zone->is_expired()) {
        return finish_with(Rcode::SERVFAIL, true);  // a secondary that lost its primary
    }
    if (q.qtype == RRType::AXFR || q.qtype == RRType::IXFR) {
        // Zone transfers are served by the transfer path over TCP, not here.
        result.transfer = true;
        return finish_with(transport == Transport::udp && q.qtype == RRType::AXFR ? Rcode::FORMERR
                                                                                  : Rcode::REFUSED,
                           true);
    }
    if (is_meta_type(q.qtype) && q.qtype != RRType::ANY) {
        return finish_with(Rcode::NOTIMP, true);
    }

    b.header(h);
    if (q.edns) {
        Edns e;
        e.udp_size = options.max_udp_size;
        e.dnssec_ok = q.dnssec_ok;
        b.reserve_edns(e);
    }
    (void)b.question(q.name(), q.qtype, q.qclass);
    Answerer answerer(*zone, b, q, transport);
    answerer.run(result);
    // The header goes last: its flags depend on how the answer went.
    const auto v = static_cast<unsigned>(answerer.rcode());
    h.rcode = static_cast<std::uint8_t>(v & 0x0F);
    h.aa = answerer.authoritative();
    h.tc = answerer.truncated();
    b.rewrite_flags(h);
    return b.finish().size();
}

std::size_t error_response(std::span<const std::uint8_t> query, Rcode rcode,
                           std::span<std::uint8_t> out) {
    const auto header = read_header(query);
    if (!header || header->qr) {
        return 0;
    }
    MessageBuilder b(out, std::min<std::size_t>(out.size(), 512));
    Header h = reply_header(*header);
    h.rcode = static_cast<std::uint8_t>(static_cast<unsigned>(rcode) & 0x0F);
    b.header(h);
    WireReader r(query, kHeaderSize);
    char name[kMaxNameWire];
    const std::size_t n = header->qdcount == 1 ? r.name(name) : 0;
    const auto type = static_cast<RRType>(r.u16());
    const auto klass = static_cast<RRClass>(r.u16());
    if (n > 0 && r.ok()) {
        (void)b.question({name, n}, type, klass);
    }
    return b.finish().size();
}

}  // namespace l7::dns
