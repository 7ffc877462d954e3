#pragma once
// A zone in memory: the nodes of one subtree of the name space, each with its RRsets, and the
// checks that named-checkzone makes before it loads a zone file.
//
// Nodes are keyed by owner name as written, hashed and compared without case, so a query's
// name probes the map as it arrived. Every name between a record's owner and the apex exists
// as a node, empty when it owns no records (an empty non-terminal), so that "does this name
// exist" is one lookup (RFC 4592 section 2.2.2, RFC 8020).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dns/master.hpp"
#include "dns/message.hpp"
#include "dns/name.hpp"
#include "dns/rdata.hpp"

namespace l7::dns {

// The records of one owner, type and class. RDATAs are packed in one buffer, each behind its
// 16-bit length, which keeps a million-record zone small.
class RRset {
  public:
    RRset(RRType type, std::uint32_t ttl) : type_(type), ttl_(ttl) {}

    RRType type() const { return type_; }
    std::uint32_t ttl() const { return ttl_; }
    void set_ttl(std::uint32_t ttl) { ttl_ = ttl; }
    std::size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }

    bool contains(std::span<const std::uint8_t> rdata) const;
    // False when an equal RDATA is already there (RFC 2181 section 5: a set has no duplicates).
    bool add(std::span<const std::uint8_t> rdata);
    bool remove(std::span<const std::uint8_t> rdata);

    class Iterator {
      public:
        using value_type = std::span<const std::uint8_t>;
        using difference_type = std::ptrdiff_t;
        Iterator() = default;
        Iterator(const std::uint8_t* p) : p_(p) {}
        value_type operator*() const {
            return {p_ + 2, static_cast<std::size_t>(p_[0] << 8 | p_[1])};
        }
        Iterator& operator++() {
            p_ += 2 + (p_[0] << 8 | p_[1]);
            return *this;
        }
        Iterator operator++(int) {
            Iterator old = *this;
            ++*this;
            return old;
        }
        bool operator==(const Iterator& o) const { return p_ == o.p_; }

      private:
        const std::uint8_t* p_ = nullptr;
    };
    Iterator begin() const { return Iterator(packed_.data()); }
    Iterator end() const { return Iterator(packed_.data() + packed_.size()); }

  private:
    RRType type_;
    std::uint32_t ttl_;
    std::uint32_t count_ = 0;
    Bytes packed_;
};

struct Node {
    std::vector<RRset> rrsets;
    std::uint32_t children = 0;  // nodes directly below, so an emptied leaf can be removed

    const RRset* find(RRType type) const;
    RRset* find(RRType type);
    bool empty() const { return rrsets.empty(); }
};

// One change of a zone, from one serial to the next: what IXFR sends (RFC 1995) and what the
// journal keeps. The SOAs are the first records of `removed` and `added`.
struct ZoneDiff {
    std::uint32_t from_serial = 0;
    std::uint32_t to_serial = 0;
    std::vector<ResourceRecord> removed;
    std::vector<ResourceRecord> added;
};

class Zone {
  public:
    using NodeMap = std::unordered_map<std::string, Node, NameHash, NameEqual>;

    explicit Zone(Name origin) : origin_(std::move(origin)) {}
    // Copies re-point the cached apex at their own node; moves keep the nodes, and so the
    // pointer, valid.
    Zone(const Zone& other);
    Zone& operator=(const Zone& other);
    Zone(Zone&&) = default;
    Zone& operator=(Zone&&) = default;

    // What a secondary serves after its data expired (RFC 1035 section 4.3.5): no records,
    // and queries for the zone get SERVFAIL rather than stale answers or a referral upward.
    static std::shared_ptr<Zone> expired_placeholder(Name origin) {
        auto zone = std::make_shared<Zone>(std::move(origin));
        zone->expired_ = true;
        return zone;
    }
    bool is_expired() const { return expired_; }

    const Name& origin() const { return origin_; }
    const Node* find(std::string_view wire) const;
    const Node& apex() const;
    const RRset* soa() const;
    std::uint32_t serial() const;
    std::size_t record_count() const { return records_; }
    std::size_t node_count() const { return nodes_.size(); }

    // Adds one record; false when the same record is already there. The owner must be at or
    // below the origin. A TTL that differs from the RRset's is replaced by the RRset's.
    bool add(const ResourceRecord& rr);
    // Removes one record (and the empty RRset); false when it was not there.
    bool remove(std::string_view owner_wire, RRType type, std::span<const std::uint8_t> rdata);
    // Removes a whole RRset, or every RRset of the node when type is ANY.
    bool remove_rrset(std::string_view owner_wire, RRType type);

    // The highest zone cut at or above `wire` and below the apex: a name that owns NS records
    // (RFC 1034 section 4.2.1). Returns its owner wire, or an empty view.
    std::string_view find_cut(std::string_view wire) const;

    template <class Fn>
    void for_each_node(Fn&& fn) const {
        for (const auto& [owner, node] : nodes_) {
            fn(std::string_view(owner), node);
        }
    }
    const NodeMap& nodes() const { return nodes_; }

    // Every record, the SOA first (zone file output, AXFR into a new zone, comparisons).
    std::vector<ResourceRecord> records() const;

    // Applies a change: removes `removed`, adds `added`. Fails, leaving the zone as it was
    // only when checked first with can_apply(), if a removed record is missing or the serial
    // does not match.
    Result<bool> apply(const ZoneDiff& diff);

    // The changes that led to this version, oldest first (bounded; IXFR answers from it).
    const std::vector<ZoneDiff>& history() const;
    void set_history(std::shared_ptr<const std::vector<ZoneDiff>> history) {
        history_ = std::move(history);
    }
    std::shared_ptr<const std::vector<ZoneDiff>> history_ptr() const { return history_; }

  private:
    // Removes `wire` when it owns nothing and has no children, then its emptied ancestors:
    // a deleted name stops existing (NXDOMAIN, not NODATA).
    void prune(std::string_view wire);

    Name origin_;
    NodeMap nodes_;
    // The apex node, looked up once: every negative answer and every DNAME check needs it.
    // Nodes of an unordered_map stay put when it grows, and the apex is never pruned.
    const Node* apex_node_ = nullptr;
    std::size_t records_ = 0;
    std::shared_ptr<const std::vector<ZoneDiff>> history_;
    bool expired_ = false;
};

// The change that turns `before` into `after` (BIND's ixfr-from-differences), with the SOAs
// first in each list.
ZoneDiff diff_zones(const Zone& before, const Zone& after);

// Builds a zone from a parsed file with named-checkzone's checks: one SOA at the apex, NS at
// the apex, CNAME exclusivity, singleton types, out-of-zone data, and address records for
// in-zone NS targets (glue under delegations). Problems are added to `file.problems`; the
// zone is null when there are errors.
std::shared_ptr<Zone> build_zone(const Name& origin, MasterFile& file);

}  // namespace l7::dns
