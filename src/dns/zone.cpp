#include "dns/zone.hpp"

#include <algorithm>
#include <map>

namespace l7::dns {
namespace {

std::string key_of(std::string_view owner_wire, RRType type) {
    std::string key(owner_wire.size(), '\0');
    wire_name::lowercase(owner_wire, key.data());
    key += static_cast<char>(to_int(type) >> 8);
    key += static_cast<char>(to_int(type) & 0xFF);
    return key;
}

// Types that may share a name with a CNAME (RFC 2181 10.1, RFC 4035 2.5).
bool allowed_beside_cname(RRType t) {
    return t == RRType::CNAME || t == RRType::RRSIG || t == RRType::NSEC;
}

bool is_singleton(RRType t) {
    return t == RRType::SOA || t == RRType::CNAME || t == RRType::DNAME;
}

}  // namespace

bool RRset::contains(std::span<const std::uint8_t> rdata) const {
    for (auto existing : *this) {
        if (rdata_equal(type_, existing, rdata)) {
            return true;
        }
    }
    return false;
}

bool RRset::add(std::span<const std::uint8_t> rdata) {
    if (contains(rdata)) {
        return false;
    }
    packed_.push_back(static_cast<std::uint8_t>(rdata.size() >> 8));
    packed_.push_back(static_cast<std::uint8_t>(rdata.size()));
    packed_.insert(packed_.end(), rdata.begin(), rdata.end());
    ++count_;
    return true;
}

bool RRset::remove(std::span<const std::uint8_t> rdata) {
    for (auto it = begin(); it != end(); ++it) {
        const auto existing = *it;
        if (rdata_equal(type_, existing, rdata)) {
            const auto from = static_cast<std::ptrdiff_t>(existing.data() - 2 - packed_.data());
            packed_.erase(packed_.begin() + from, packed_.begin() + from + 2 +
                                                      static_cast<std::ptrdiff_t>(existing.size()));
            --count_;
            return true;
        }
    }
    return false;
}

const RRset* Node::find(RRType type) const {
    for (const RRset& s : rrsets) {
        if (s.type() == type) {
            return &s;
        }
    }
    return nullptr;
}

RRset* Node::find(RRType type) {
    for (RRset& s : rrsets) {
        if (s.type() == type) {
            return &s;
        }
    }
    return nullptr;
}

const Node* Zone::find(std::string_view wire) const {
    const auto it = nodes_.find(wire);
    return it == nodes_.end() ? nullptr : &it->second;
}

Zone::Zone(const Zone& other)
    : origin_(other.origin_),
      nodes_(other.nodes_),
      records_(other.records_),
      history_(other.history_),
      expired_(other.expired_) {
    apex_node_ = find(origin_.wire());
}

Zone& Zone::operator=(const Zone& other) {
    if (this != &other) {
        origin_ = other.origin_;
        nodes_ = other.nodes_;
        records_ = other.records_;
        history_ = other.history_;
        expired_ = other.expired_;
        apex_node_ = find(origin_.wire());
    }
    return *this;
}

const Node& Zone::apex() const {
    static const Node empty;
    return apex_node_ != nullptr ? *apex_node_ : empty;
}

const RRset* Zone::soa() const {
    return apex().find(RRType::SOA);
}

std::uint32_t Zone::serial() const {
    const RRset* s = soa();
    if (!s || s->empty()) {
        return 0;
    }
    const auto soa = decode_soa(*s->begin());
    return soa ? soa->serial : 0;
}

bool Zone::add(const ResourceRecord& rr) {
    auto [it, inserted] = nodes_.try_emplace(std::string(rr.owner.wire()));
    Node& node = it->second;
    if (inserted && rr.owner.wire_size() == origin_.wire_size()) {
        apex_node_ = &node;
    }
    if (inserted && rr.owner.wire_size() > origin_.wire_size()) {
        // Create the empty non-terminals between this name and the apex, counting children.
        std::string_view up = wire_name::parent(rr.owner.wire());
        while (true) {
            auto [parent, created] = nodes_.try_emplace(std::string(up));
            ++parent->second.children;
            if (created && up.size() == origin_.wire_size()) {
                apex_node_ = &parent->second;
            }
            if (!created || up.size() <= origin_.wire_size()) {
                break;
            }
            up = wire_name::parent(up);
        }
    }
    RRset* set = node.find(rr.type);
    if (set == nullptr) {
        node.rrsets.emplace_back(rr.type, rr.ttl);
        set = &node.rrsets.back();
    }
    if (!set->add(rr.rdata)) {
        return false;
    }
    ++records_;
    return true;
}

bool Zone::remove(std::string_view owner_wire, RRType type, std::span<const std::uint8_t> rdata) {
    const auto it = nodes_.find(owner_wire);
    if (it == nodes_.end()) {
        return false;
    }
    RRset* set = it->second.find(type);
    if (set == nullptr || !set->remove(rdata)) {
        return false;
    }
    --records_;
    if (set->empty()) {
        std::erase_if(it->second.rrsets, [](const RRset& s) { return s.empty(); });
        prune(owner_wire);
    }
    return true;
}

void Zone::prune(std::string_view owner) {
    const std::string copy(owner);  // `owner` may view a key this erases
    std::string_view wire = copy;
    while (wire.size() > origin_.wire_size()) {
        const auto it = nodes_.find(wire);
        if (it == nodes_.end() || !it->second.rrsets.empty() || it->second.children > 0) {
            return;
        }
        nodes_.erase(it);
        wire = wire_name::parent(wire);
        const auto parent = nodes_.find(wire);
        if (parent == nodes_.end()) {
            return;
        }
        --parent->second.children;
    }
}

bool Zone::remove_rrset(std::string_view owner_wire, RRType type) {
    const auto it = nodes_.find(owner_wire);
    if (it == nodes_.end()) {
        return false;
    }
    auto& sets = it->second.rrsets;
    const auto before = sets.size();
    std::erase_if(sets, [&](const RRset& s) {
        if (type == RRType::ANY || s.type() == type) {
            records_ -= s.size();
            return true;
        }
        return false;
    });
    const bool removed = sets.size() != before;
    if (removed) {
        prune(owner_wire);  // `sets` may be gone after this
    }
    return removed;
}

std::string_view Zone::find_cut(std::string_view wire) const {
    // Collect the ancestors below the apex, then walk them top down.
    std::string_view chain[128];
    std::size_t n = 0;
    for (std::string_view up = wire; up.size() > origin_.wire_size() && n < 128;
         up = wire_name::parent(up)) {
        chain[n++] = up;
    }
    while (n > 0) {
        const std::string_view name = chain[--n];
        const Node* node = find(name);
        if (node != nullptr && node->find(RRType::NS) != nullptr) {
            return name;
        }
    }
    return {};
}

std::shared_ptr<Zone> build_zone(const Name& origin, MasterFile& file) {
    auto zone = std::make_shared<Zone>(origin);
    // (owner, type, RDATA) -> where the record appeared, so a check names the very line.
    std::map<std::string, SourceLine> record_line;
    auto problem = [&](SourceLine where, std::string message, bool error = true) {
        file.problems.push_back({where, std::move(message), error});
    };
    for (const MasterRecord& rec : file.records) {
        const ResourceRecord& rr = rec.rr;
        const std::string owner = rr.owner.to_text();
        if (!rr.owner.is_subdomain_of(origin)) {
            problem(rec.where, "ignoring out-of-zone data (" + owner + ")", false);
            continue;
        }
        if (rr.type == RRType::SOA && !(rr.owner == origin)) {
            problem(rec.where, "SOA record not at top of zone (" + owner + ")");
            continue;
        }
        // As named-checkzone: a DS belongs to the parent side of a cut (RFC 4035 section
        // 2.4), and an NS RRset at a wildcard has no defined meaning (RFC 4592 section 4.2).
        if (rr.type == RRType::DS && rr.owner == origin) {
            problem(rec.where, "DS record at top of zone (" + owner + ")");
            continue;
        }
        if (rr.type == RRType::NS && rr.owner.is_wildcard()) {
            problem(rec.where, owner + ": invalid NS owner name (wildcard)");
            continue;
        }
        const Node* node = zone->find(rr.owner.wire());
        if (node != nullptr) {
            const RRset* same = node->find(rr.type);
            if (same != nullptr && is_singleton(rr.type) && !same->contains(rr.rdata)) {
                problem(rec.where,
                        owner + ": multiple RRs of singleton type " + type_to_text(rr.type));
                continue;
            }
            bool clash = false;
            for (const RRset& s : node->rrsets) {
                if ((rr.type == RRType::CNAME && !allowed_beside_cname(s.type())) ||
                    (s.type() == RRType::CNAME && !allowed_beside_cname(rr.type))) {
                    clash = true;
                }
            }
            if (clash) {
                problem(rec.where, owner + ": CNAME and other data");
                continue;
            }
            if (same != nullptr && same->ttl() != rr.ttl) {
                problem(rec.where,
                        owner + ": TTL set to prior TTL (" + std::to_string(same->ttl()) + ")",
                        false);
            }
        }
        record_line.try_emplace(
            key_of(rr.owner.wire(), rr.type) +
                std::string(reinterpret_cast<const char*>(rr.rdata.data()), rr.rdata.size()),
            rec.where);
        zone->add(rr);
    }

    const SourceLine whole_file{0, 0};
    const std::string zone_name = origin.to_text();
    const Node& apex = zone->apex();
    if (apex.find(RRType::SOA) == nullptr) {
        problem(whole_file, "zone " + zone_name + " has no SOA record");
    }
    if (apex.find(RRType::NS) == nullptr) {
        problem(whole_file, "zone " + zone_name + " has no NS records");
    }

    // Address records for names the zone points at (named-checkzone's integrity checks).
    struct Check {
        RRType type;
        bool error;  // NS targets without addresses are errors, MX and SRV ones warnings
    };
    zone->for_each_node([&](std::string_view owner, const Node& node) {
        for (Check check :
             {Check{RRType::NS, true}, Check{RRType::MX, false}, Check{RRType::SRV, false}}) {
            const RRset* set = node.find(check.type);
            if (set == nullptr) {
                continue;
            }
            for (auto rdata : *set) {
                const auto line_it = record_line.find(
                    key_of(owner, check.type) +
                    std::string(reinterpret_cast<const char*>(rdata.data()), rdata.size()));
                const SourceLine where =
                    line_it == record_line.end() ? whole_file : line_it->second;
                const std::string_view target = additional_name(check.type, rdata);
                if (target.empty() || target.size() == 1 ||
                    !wire_name::is_subdomain(target, origin.wire())) {
                    continue;  // out of zone, or the "." of a null MX (RFC 7505)
                }
                const std::string label =
                    type_to_text(check.type) + " '" + wire_name::to_text(target);
                // RFC 6672 section 2.3: nothing exists below a DNAME.
                bool below_dname = false;
                for (std::string_view up = wire_name::parent(target);
                     up.size() >= origin.wire_size(); up = wire_name::parent(up)) {
                    const Node* n = zone->find(up);
                    below_dname =
                        below_dname || (n != nullptr && n->find(RRType::DNAME) != nullptr);
                }
                if (below_dname && check.type == RRType::NS) {
                    problem(where, label + "' is below a DNAME (illegal)");
                    continue;
                }
                const Node* t = zone->find(target);
                const bool has_address = t != nullptr && (t->find(RRType::A) != nullptr ||
                                                          t->find(RRType::AAAA) != nullptr);
                if (has_address) {
                    continue;
                }
                if (!zone->find_cut(target).empty()) {
                    // Below a delegation the addresses are glue: missing glue makes the
                    // delegation hard to follow, but named-checkzone still loads the zone.
                    if (check.type == RRType::NS) {
                        problem(where, label + "' has no glue (A or AAAA below the delegation)",
                                false);
                    }
                    continue;
                }
                if (t != nullptr && t->find(RRType::CNAME) != nullptr) {
                    problem(where, label + "' is a CNAME (illegal)", check.error);
                } else {
                    problem(where, label + "' has no address records (A or AAAA)", check.error);
                }
            }
        }
    });
    std::stable_sort(file.problems.begin(), file.problems.end(),
                     [](const MasterProblem& a, const MasterProblem& b) {
                         return a.where.file != b.where.file ? a.where.file < b.where.file
                                                             : a.where.line < b.where.line;
                     });
    if (file.has_errors()) {
        return nullptr;
    }
    return zone;
}

}  // namespace l7::dns

namespace l7::dns {

std::vector<ResourceRecord> Zone::records() const {
    std::vector<ResourceRecord> out;
    out.reserve(records_);
    if (const RRset* soa = this->soa()) {
        for (auto rdata : *soa) {
            out.push_back(
                {origin_, RRType::SOA, RRClass::IN, soa->ttl(), Bytes(rdata.begin(), rdata.end())});
        }
    }
    for (const auto& [owner, node] : nodes_) {
        const bool apex = wire_name::equal(owner, origin_.wire());
        for (const RRset& set : node.rrsets) {
            if (apex && set.type() == RRType::SOA) {
                continue;
            }
            const Name name = *Name::from_wire(owner);
            for (auto rdata : set) {
                out.push_back(
                    {name, set.type(), RRClass::IN, set.ttl(), Bytes(rdata.begin(), rdata.end())});
            }
        }
    }
    return out;
}

Result<bool> Zone::apply(const ZoneDiff& diff) {
    if (serial() != diff.from_serial) {
        return make_error("the change starts at serial " + std::to_string(diff.from_serial) +
                          " but the zone is at " + std::to_string(serial()));
    }
    for (const ResourceRecord& rr : diff.removed) {
        if (rr.type == RRType::SOA) {
            remove_rrset(origin_.wire(), RRType::SOA);
            continue;
        }
        if (!remove(rr.owner.wire(), rr.type, rr.rdata)) {
            return make_error("the change removes " + rr.owner.to_text() + " " +
                              type_to_text(rr.type) + ", which the zone does not have");
        }
    }
    for (const ResourceRecord& rr : diff.added) {
        if (rr.type == RRType::SOA) {
            remove_rrset(origin_.wire(), RRType::SOA);
        }
        if (!rr.owner.is_subdomain_of(origin_)) {
            return make_error("the change adds " + rr.owner.to_text() + ", outside the zone");
        }
        add(rr);
    }
    return true;
}

const std::vector<ZoneDiff>& Zone::history() const {
    static const std::vector<ZoneDiff> none;
    return history_ ? *history_ : none;
}

ZoneDiff diff_zones(const Zone& before, const Zone& after) {
    ZoneDiff diff;
    diff.from_serial = before.serial();
    diff.to_serial = after.serial();
    const auto old_records = before.records();
    const auto new_records = after.records();
    auto has = [](const Zone& zone, const ResourceRecord& rr) {
        const Node* node = zone.find(rr.owner.wire());
        const RRset* set = node ? node->find(rr.type) : nullptr;
        return set != nullptr && set->contains(rr.rdata) && set->ttl() == rr.ttl;
    };
    // The SOAs lead each list (RFC 1995 section 4).
    if (!old_records.empty() && old_records.front().type == RRType::SOA) {
        diff.removed.push_back(old_records.front());
    }
    if (!new_records.empty() && new_records.front().type == RRType::SOA) {
        diff.added.push_back(new_records.front());
    }
    for (const ResourceRecord& rr : old_records) {
        if (rr.type != RRType::SOA && !has(after, rr)) {
            diff.removed.push_back(rr);
        }
    }
    for (const ResourceRecord& rr : new_records) {
        if (rr.type != RRType::SOA && !has(before, rr)) {
            diff.added.push_back(rr);
        }
    }
    return diff;
}

}  // namespace l7::dns
