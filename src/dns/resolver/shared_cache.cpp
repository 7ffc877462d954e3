#include "dns/resolver/shared_cache.hpp"

#include <algorithm>

namespace l7::dns {

SharedCache::SharedCache(CacheLimits limits, std::size_t shards) {
    shards = std::max<std::size_t>(shards, 1);
    CacheLimits each = limits;
    each.max_bytes = std::max<std::size_t>(limits.max_bytes / shards, 64 * 1024);
    for (std::size_t i = 0; i < shards; ++i) {
        shards_.push_back(std::make_unique<Shard>(each));
    }
}

SharedCache::Shard& SharedCache::shard_for(const Name& owner) const {
    return *shards_[NameHash{}(owner.wire()) % shards_.size()];
}

bool SharedCache::put(const Name& owner, RRType type, std::vector<Bytes> rdatas, std::uint32_t ttl,
                      Trust trust, TimePoint now) {
    Shard& s = shard_for(owner);
    const std::lock_guard lock(s.mutex);
    return s.cache.put(owner, type, std::move(rdatas), ttl, trust, now);
}

void SharedCache::put_negative(const Name& owner, RRType type, Rcode rcode,
                               const ResourceRecord& soa, TimePoint now) {
    Shard& s = shard_for(owner);
    const std::lock_guard lock(s.mutex);
    s.cache.put_negative(owner, type, rcode, soa, now);
}

std::optional<Cache::Hit> SharedCache::get(const Name& owner, RRType type, TimePoint now,
                                           bool allow_stale) {
    Shard& s = shard_for(owner);
    const std::lock_guard lock(s.mutex);
    return s.cache.get(owner, type, now, allow_stale);
}

std::size_t SharedCache::flush(const Name& name, bool subtree) {
    if (!subtree) {
        Shard& s = shard_for(name);
        const std::lock_guard lock(s.mutex);
        return s.cache.flush(name, false);
    }
    std::size_t removed = 0;
    for (auto& s : shards_) {
        const std::lock_guard lock(s->mutex);
        removed += s->cache.flush(name, true);
    }
    return removed;
}

void SharedCache::clear() {
    for (auto& s : shards_) {
        const std::lock_guard lock(s->mutex);
        s->cache.clear();
    }
}

CacheStats SharedCache::stats() const {
    CacheStats total;
    for (const auto& s : shards_) {
        const std::lock_guard lock(s->mutex);
        const CacheStats one = s->cache.stats();
        total.hits += one.hits;
        total.misses += one.misses;
        total.negative_hits += one.negative_hits;
        total.stale_served += one.stale_served;
        total.evictions += one.evictions;
        total.entries += one.entries;
        total.bytes += one.bytes;
    }
    return total;
}

std::vector<std::string> SharedCache::dump(TimePoint now) const {
    std::vector<std::string> out;
    for (const auto& s : shards_) {
        const std::lock_guard lock(s->mutex);
        auto part = s->cache.dump(now);
        out.insert(out.end(), std::make_move_iterator(part.begin()),
                   std::make_move_iterator(part.end()));
    }
    return out;
}

}  // namespace l7::dns
