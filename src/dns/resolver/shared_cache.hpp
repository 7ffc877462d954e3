#pragma once
// The cache as the recursive service's workers share it: the Cache split into shards by owner
// name, each behind its own lock, so threads answering different names rarely wait for each
// other. Everything about one owner name (its RRsets, its NXDOMAIN) lives in one shard, which
// keeps Cache's rules (trust ranking, NXDOMAIN removal) intact.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dns/resolver/cache.hpp"

namespace l7::dns {

class SharedCache {
  public:
    // The memory bound of `limits` is for the whole cache; each shard gets its part.
    explicit SharedCache(CacheLimits limits = {}, std::size_t shards = 16);

    bool put(const Name& owner, RRType type, std::vector<Bytes> rdatas, std::uint32_t ttl,
             Trust trust, TimePoint now);
    void put_negative(const Name& owner, RRType type, Rcode rcode, const ResourceRecord& soa,
                      TimePoint now);
    std::optional<Cache::Hit> get(const Name& owner, RRType type, TimePoint now,
                                  bool allow_stale = false);

    std::size_t flush(const Name& name, bool subtree = false);
    void clear();
    CacheStats stats() const;
    std::vector<std::string> dump(TimePoint now) const;

  private:
    struct Shard {
        explicit Shard(CacheLimits limits) : cache(limits) {}
        mutable std::mutex mutex;
        Cache cache;
    };
    Shard& shard_for(const Name& owner) const;

    std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace l7::dns
