#pragma once
// The resolver's cache (RFC 1034 section 4.3.4, RFC 2181 section 5.4.1, RFC 2308, RFC 8767):
// RRsets and negative answers keyed by (name, type), each with the time it expires.
//
//   - A hit carries the TTL that is left, so clients see it count down.
//   - TTLs are clamped to [min_ttl, max_ttl]; negative answers live for the smaller of the
//     SOA's TTL and MINIMUM (RFC 2308 section 5), at most negative_max_ttl.
//   - Data is ranked by where it came from (Trust): a less trustworthy copy never replaces a
//     live, more trustworthy one, so glue cannot overwrite an authoritative answer.
//   - Expired entries stay for stale_window, to be served (with stale_ttl) when every upstream
//     fails (RFC 8767); a memory bound evicts the least recently used entries first.
//   - An entry that is used while close to expiry asks for a prefetch.
//
// Sans-I/O: every call takes `now`. Not thread-safe: the service shards it behind locks.

#include <chrono>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/time.hpp"
#include "dns/message.hpp"
#include "dns/name.hpp"

namespace l7::dns {

// RFC 2181 section 5.4.1, lowest first.
enum class Trust : std::uint8_t {
    glue = 1,            // additional section, or the glue of a referral
    referral = 2,        // authority section of a referral (the delegation's NS)
    answer = 3,          // answer section without AA
    authority_auth = 4,  // authority section of an authoritative answer
    answer_auth = 5,     // answer section with AA
};

struct CacheLimits {
    std::uint32_t min_ttl = 0;
    std::uint32_t max_ttl = 86400;           // a day, as Unbound and BIND
    std::uint32_t negative_max_ttl = 10800;  // three hours (RFC 2308 section 5)
    std::size_t max_bytes = 64 * 1024 * 1024;
    std::chrono::seconds stale_window{86400};  // how long expired data may still be served
    std::uint32_t stale_ttl = 30;              // the TTL a stale answer carries (RFC 8767 4)
    double prefetch_fraction = 0.1;            // prefetch when less than this much TTL is left
};

struct CacheStats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t negative_hits = 0;
    std::uint64_t stale_served = 0;
    std::uint64_t evictions = 0;
    std::size_t entries = 0;
    std::size_t bytes = 0;
};

class Cache {
  public:
    explicit Cache(CacheLimits limits = {}) : limits_(limits) {}

    // Stores an RRset; false when a live copy of higher trust is kept instead.
    bool put(const Name& owner, RRType type, std::vector<Bytes> rdatas, std::uint32_t ttl,
             Trust trust, TimePoint now);

    // A negative answer for (owner, type): NXDOMAIN (the whole name; use type ANY) or NODATA.
    // `soa` is the SOA record from the authority section, kept to answer with.
    void put_negative(const Name& owner, RRType type, Rcode rcode, const ResourceRecord& soa,
                      TimePoint now);

    struct Hit {
        bool negative = false;
        Rcode rcode = Rcode::NOERROR;  // NXDOMAIN or NOERROR (NODATA) when negative
        std::vector<Bytes> rdatas;     // positive hits
        ResourceRecord soa;            // negative hits: the SOA, with its remaining TTL
        std::uint32_t ttl = 0;         // what is left of it
        Trust trust = Trust::glue;
        bool stale = false;     // expired, served under RFC 8767
        bool prefetch = false;  // popular and near expiry: refresh it now
    };

    // Looks (owner, type) up, then a cached NXDOMAIN for the owner. Expired data is a miss
    // unless `allow_stale` (and within the stale window).
    std::optional<Hit> get(const Name& owner, RRType type, TimePoint now, bool allow_stale = false);

    // Removes every entry for `name` (and, with `subtree`, every name below it); returns how
    // many went.
    std::size_t flush(const Name& name, bool subtree = false);
    void clear();

    CacheStats stats() const;
    // Live entries as records (negative ones as their SOA), for `l7 dns ctl dump`.
    std::vector<std::string> dump(TimePoint now) const;

  private:
    struct Entry {
        std::string key;  // lowercase owner wire + 2 bytes of type
        Name owner;
        RRType type = RRType::A;
        bool negative = false;
        Rcode rcode = Rcode::NOERROR;
        std::vector<Bytes> rdatas;
        ResourceRecord soa;
        std::uint32_t ttl = 0;  // as stored (clamped)
        TimePoint expires;
        Trust trust = Trust::glue;
        std::uint32_t uses = 0;
        bool prefetch_asked = false;
        std::size_t bytes = 0;
    };
    using Lru = std::list<Entry>;  // most recently used first

    static std::string key_of(const Name& owner, RRType type);
    void insert(Entry entry);
    void erase(Lru::iterator it);
    void evict_to_fit();
    std::optional<Hit> hit_from(Lru::iterator it, TimePoint now, bool allow_stale);

    CacheLimits limits_;
    Lru lru_;
    std::unordered_map<std::string, Lru::iterator> index_;
    std::size_t bytes_ = 0;
    CacheStats stats_;
};

}  // namespace l7::dns
