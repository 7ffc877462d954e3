#include "dns/update.hpp"

#include <algorithm>
#include <set>

#include "dns/rdata.hpp"

namespace l7::dns {
namespace {

bool has_records(const Node* node) {
    return node != nullptr && !node->empty();
}

// RFC 2136 section 3.2: prerequisites, in order; the first failure decides the rcode.
Rcode check_prerequisites(const Zone& zone, const Message& update) {
    // Value-dependent RRset prerequisites are compared as whole sets (3.2.3).
    struct Wanted {
        Name owner;
        RRType type;
        std::vector<Bytes> rdatas;
    };
    std::vector<Wanted> wanted;
    for (const ResourceRecord& rr : update.answers) {
        if (rr.ttl != 0) {
            return Rcode::FORMERR;
        }
        if (!rr.owner.is_subdomain_of(zone.origin())) {
            return Rcode::NOTZONE;
        }
        const Node* node = zone.find(rr.owner.wire());
        if (rr.klass == RRClass::ANY) {
            if (!rr.rdata.empty()) {
                return Rcode::FORMERR;
            }
            if (rr.type == RRType::ANY) {
                if (!has_records(node)) {
                    return Rcode::NXDOMAIN;  // name is in use
                }
            } else if (node == nullptr || node->find(rr.type) == nullptr) {
                return Rcode::NXRRSET;  // RRset exists (value independent)
            }
        } else if (rr.klass == RRClass::NONE) {
            if (!rr.rdata.empty()) {
                return Rcode::FORMERR;
            }
            if (rr.type == RRType::ANY) {
                if (has_records(node)) {
                    return Rcode::YXDOMAIN;  // name is not in use
                }
            } else if (node != nullptr && node->find(rr.type) != nullptr) {
                return Rcode::YXRRSET;  // RRset does not exist
            }
        } else if (rr.klass == RRClass::IN) {
            auto it = std::find_if(wanted.begin(), wanted.end(), [&](const Wanted& w) {
                return w.owner == rr.owner && w.type == rr.type;
            });
            if (it == wanted.end()) {
                wanted.push_back({rr.owner, rr.type, {}});
                it = wanted.end() - 1;
            }
            it->rdatas.push_back(rr.rdata);
        } else {
            return Rcode::FORMERR;
        }
    }
    for (const Wanted& w : wanted) {
        const Node* node = zone.find(w.owner.wire());
        const RRset* set = node ? node->find(w.type) : nullptr;
        if (set == nullptr) {
            return Rcode::NXRRSET;
        }
        RRset expected(w.type, 0);
        for (const Bytes& rd : w.rdatas) {
            expected.add(rd);
        }
        if (expected.size() != set->size()) {
            return Rcode::NXRRSET;
        }
        for (auto rd : *set) {
            if (!expected.contains(rd)) {
                return Rcode::NXRRSET;
            }
        }
    }
    return Rcode::NOERROR;
}

// RFC 2136 section 3.4.1: the update section, checked before anything changes.
Rcode prescan(const Zone& zone, const Message& update) {
    for (const ResourceRecord& rr : update.authority) {
        if (!rr.owner.is_subdomain_of(zone.origin())) {
            return Rcode::NOTZONE;
        }
        const bool meta = is_meta_type(rr.type);
        if (rr.klass == RRClass::IN) {
            if (meta) {
                return Rcode::FORMERR;
            }
        } else if (rr.klass == RRClass::ANY) {
            if (rr.ttl != 0 || !rr.rdata.empty() || (meta && rr.type != RRType::ANY)) {
                return Rcode::FORMERR;
            }
        } else if (rr.klass == RRClass::NONE) {
            if (rr.ttl != 0 || meta) {
                return Rcode::FORMERR;
            }
        } else {
            return Rcode::FORMERR;
        }
    }
    return Rcode::NOERROR;
}

std::uint32_t soa_serial_of(const Zone& zone) {
    return zone.serial();
}

void set_serial(Zone& zone, std::uint32_t serial) {
    const RRset* soa = zone.soa();
    auto decoded = decode_soa(*soa->begin());
    decoded->serial = serial;
    const std::uint32_t ttl = soa->ttl();
    zone.remove_rrset(zone.origin().wire(), RRType::SOA);
    zone.add({zone.origin(), RRType::SOA, RRClass::IN, ttl, encode_soa(*decoded)});
}

bool serial_after(std::uint32_t a, std::uint32_t b) {
    return a != b && static_cast<std::uint32_t>(a - b) < 0x80000000u;
}

// The records of one owner, as ResourceRecords.
std::vector<ResourceRecord> records_at(const Zone& zone, const Name& owner) {
    std::vector<ResourceRecord> out;
    const Node* node = zone.find(owner.wire());
    if (node == nullptr) {
        return out;
    }
    for (const RRset& set : node->rrsets) {
        for (auto rd : set) {
            out.push_back({owner, set.type(), RRClass::IN, set.ttl(), Bytes(rd.begin(), rd.end())});
        }
    }
    return out;
}

bool contains(const std::vector<ResourceRecord>& list, const ResourceRecord& rr) {
    return std::any_of(list.begin(), list.end(), [&](const ResourceRecord& x) {
        return x.type == rr.type && x.ttl == rr.ttl && rdata_equal(x.type, x.rdata, rr.rdata);
    });
}

}  // namespace

UpdateOutcome apply_update(const Zone& zone, const Message& update) {
    UpdateOutcome out;
    if (update.questions.size() != 1 || update.questions.front().type != RRType::SOA) {
        out.rcode = Rcode::FORMERR;
        return out;
    }
    if ((out.rcode = check_prerequisites(zone, update)) != Rcode::NOERROR) {
        return out;
    }
    if ((out.rcode = prescan(zone, update)) != Rcode::NOERROR) {
        return out;
    }
    auto next = std::make_shared<Zone>(zone);
    const Name& apex = zone.origin();
    std::vector<Name> touched;
    bool serial_set = false;
    for (const ResourceRecord& rr : update.authority) {
        const bool at_apex = rr.owner == apex;
        const Node* node = next->find(rr.owner.wire());
        if (rr.klass == RRClass::IN) {
            if (rr.type == RRType::SOA) {
                // Only at the apex, and only forwards (3.4.2.2).
                const auto soa = decode_soa(rr.rdata);
                if (!at_apex || !soa || !serial_after(soa->serial, soa_serial_of(*next))) {
                    continue;
                }
                next->remove_rrset(apex.wire(), RRType::SOA);
                serial_set = true;
            } else if (node != nullptr) {
                const bool has_cname = node->find(RRType::CNAME) != nullptr;
                const bool has_other =
                    std::any_of(node->rrsets.begin(), node->rrsets.end(), [](const RRset& s) {
                        return s.type() != RRType::CNAME && s.type() != RRType::RRSIG &&
                               s.type() != RRType::NSEC;
                    });
                if ((rr.type == RRType::CNAME && has_other) ||
                    (rr.type != RRType::CNAME && has_cname)) {
                    continue;  // CNAME exclusivity: the addition is ignored (3.4.2.2)
                }
                if (rr.type == RRType::CNAME && has_cname) {
                    // The new CNAME replaces the old; `node` may be pruned with it.
                    next->remove_rrset(rr.owner.wire(), RRType::CNAME);
                } else if (const RRset* existing = node->find(rr.type);
                           existing && existing->ttl() != rr.ttl) {
                    // One TTL per RRset: the new one applies to the whole set.
                    auto records = records_at(*next, rr.owner);
                    next->remove_rrset(rr.owner.wire(), rr.type);
                    for (ResourceRecord& r : records) {
                        if (r.type == rr.type) {
                            r.ttl = rr.ttl;
                            next->add(r);
                        }
                    }
                }
            }
            next->add(rr);
        } else if (rr.klass == RRClass::ANY) {
            if (rr.type == RRType::ANY) {
                if (at_apex) {
                    // Everything but the apex SOA and NS (3.4.2.3).
                    for (const RRset& s :
                         std::vector<RRset>(node ? node->rrsets : std::vector<RRset>{})) {
                        if (s.type() != RRType::SOA && s.type() != RRType::NS) {
                            next->remove_rrset(rr.owner.wire(), s.type());
                        }
                    }
                } else {
                    next->remove_rrset(rr.owner.wire(), RRType::ANY);
                }
            } else if (!(at_apex && (rr.type == RRType::SOA || rr.type == RRType::NS))) {
                next->remove_rrset(rr.owner.wire(), rr.type);
            }
        } else {  // NONE: one record
            if (rr.type == RRType::SOA && at_apex) {
                continue;
            }
            if (rr.type == RRType::NS && at_apex && node && node->find(RRType::NS) &&
                node->find(RRType::NS)->size() == 1) {
                continue;  // the last apex NS stays
            }
            next->remove(rr.owner.wire(), rr.type, rr.rdata);
        }
        if (std::none_of(touched.begin(), touched.end(),
                         [&](const Name& n) { return n == rr.owner; })) {
            touched.push_back(rr.owner);
        }
    }
    // The difference, name by name.
    ZoneDiff diff;
    for (const Name& owner : touched) {
        if (owner == apex) {
            continue;  // the apex is compared below, after the serial
        }
        const auto before = records_at(zone, owner);
        const auto after = records_at(*next, owner);
        for (const ResourceRecord& rr : before) {
            if (!contains(after, rr)) {
                diff.removed.push_back(rr);
            }
        }
        for (const ResourceRecord& rr : after) {
            if (!contains(before, rr)) {
                diff.added.push_back(rr);
            }
        }
    }
    auto apex_changes = [&](std::vector<ResourceRecord>& removed,
                            std::vector<ResourceRecord>& added) {
        const auto before = records_at(zone, apex);
        const auto after = records_at(*next, apex);
        for (const ResourceRecord& rr : before) {
            if (rr.type != RRType::SOA && !contains(after, rr)) {
                removed.push_back(rr);
            }
        }
        for (const ResourceRecord& rr : after) {
            if (rr.type != RRType::SOA && !contains(before, rr)) {
                added.push_back(rr);
            }
        }
    };
    std::vector<ResourceRecord> apex_removed;
    std::vector<ResourceRecord> apex_added;
    apex_changes(apex_removed, apex_added);
    const bool changed = serial_set || !diff.removed.empty() || !diff.added.empty() ||
                         !apex_removed.empty() || !apex_added.empty();
    if (!changed) {
        out.summary = "no change";
        return out;  // NOERROR, nothing to journal
    }
    if (!serial_set) {
        std::uint32_t serial = zone.serial() + 1;
        set_serial(*next, serial == 0 ? 1 : serial);
    }
    diff.from_serial = zone.serial();
    diff.to_serial = next->serial();
    const auto old_soa = records_at(zone, apex);
    const auto new_soa = records_at(*next, apex);
    for (const ResourceRecord& rr : old_soa) {
        if (rr.type == RRType::SOA) {
            diff.removed.insert(diff.removed.begin(), rr);
        }
    }
    for (const ResourceRecord& rr : new_soa) {
        if (rr.type == RRType::SOA) {
            diff.added.insert(diff.added.begin(), rr);
        }
    }
    diff.removed.insert(diff.removed.begin() + 1, apex_removed.begin(), apex_removed.end());
    diff.added.insert(diff.added.begin() + 1, apex_added.begin(), apex_added.end());
    out.summary = std::to_string(diff.added.size() - 1) + " added, " +
                  std::to_string(diff.removed.size() - 1) + " removed, serial " +
                  std::to_string(diff.to_serial);
    out.zone = std::move(next);
    out.diff = std::move(diff);
    return out;
}

}  // namespace l7::dns
