#include "dns/resolver/cache_walk.hpp"

namespace l7::dns {
namespace {

bool answers_clients(const std::optional<Cache::Hit>& hit) {
    return hit && (hit->negative || hit->trust >= Trust::answer);
}

}  // namespace

CacheWalk walk_cache(SharedCache& cache, const Name& name, RRType type, TimePoint now,
                     int max_cnames, bool allow_stale) {
    CacheWalk walk;
    walk.sname = name;
    while (true) {
        auto hit = cache.get(walk.sname, type, now, allow_stale);
        if (answers_clients(hit)) {
            walk.stale = walk.stale || hit->stale;
            walk.prefetch = hit->prefetch;
            if (hit->negative) {
                walk.rcode = hit->rcode;
                walk.authority.push_back(std::move(hit->soa));
            } else {
                for (Bytes& r : hit->rdatas) {
                    walk.answers.push_back({walk.sname, type, RRClass::IN, hit->ttl, std::move(r)});
                }
            }
            walk.complete = true;
            return walk;
        }
        if (type == RRType::CNAME) {
            return walk;
        }
        auto cname = cache.get(walk.sname, RRType::CNAME, now, allow_stale);
        if (!answers_clients(cname) || cname->negative || cname->rdatas.empty()) {
            return walk;
        }
        auto target = Name::from_wire(
            std::string_view(reinterpret_cast<const char*>(cname->rdatas.front().data()),
                             cname->rdatas.front().size()));
        if (!target) {
            return walk;
        }
        walk.stale = walk.stale || cname->stale;
        walk.answers.push_back(
            {walk.sname, RRType::CNAME, RRClass::IN, cname->ttl, cname->rdatas.front()});
        walk.sname = std::move(*target);
        if (++walk.cnames > max_cnames) {
            walk.too_long = true;
            return walk;
        }
    }
}

}  // namespace l7::dns
