#include "dns/resolver/cache.hpp"

#include <algorithm>

#include "dns/message_text.hpp"
#include "dns/rdata.hpp"
#include "dns/ttl.hpp"

namespace l7::dns {
namespace {

std::uint32_t seconds_left(TimePoint expires, TimePoint now) {
    return static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(expires - now).count());
}

}  // namespace

std::string Cache::key_of(const Name& owner, RRType type) {
    std::string key(owner.wire_size(), '\0');
    wire_name::lowercase(owner.wire(), key.data());
    key += static_cast<char>(to_int(type) >> 8);
    key += static_cast<char>(to_int(type) & 0xFF);
    return key;
}

bool Cache::put(const Name& owner, RRType type, std::vector<Bytes> rdatas, std::uint32_t ttl,
                Trust trust, TimePoint now) {
    if (ttl > kMaxTtl) {
        ttl = 0;  // RFC 2181 section 8: a TTL with the top bit set means zero
    }
    ttl = std::clamp(ttl, limits_.min_ttl, std::max(limits_.min_ttl, limits_.max_ttl));
    if (ttl == 0 || rdatas.empty()) {
        return false;  // usable once, never cached
    }
    std::string key = key_of(owner, type);
    if (const auto it = index_.find(key); it != index_.end()) {
        const Entry& old = *it->second;
        if (old.expires > now && old.trust > trust) {
            return false;  // RFC 2181 section 5.4.1: keep the better data
        }
        erase(it->second);
    }
    if (trust >= Trust::answer) {
        // The name exists after all: a cached NXDOMAIN for it is wrong now.
        if (const auto nx = index_.find(key_of(owner, RRType::ANY));
            nx != index_.end() && nx->second->negative) {
            erase(nx->second);
        }
    }
    Entry e;
    e.key = std::move(key);
    e.owner = owner;
    e.type = type;
    e.rdatas = std::move(rdatas);
    e.ttl = ttl;
    e.expires = now + std::chrono::seconds(ttl);
    e.trust = trust;
    insert(std::move(e));
    return true;
}

void Cache::put_negative(const Name& owner, RRType type, Rcode rcode, const ResourceRecord& soa,
                         TimePoint now) {
    // RFC 2308 section 5: the smaller of the SOA's TTL and its MINIMUM field.
    const auto decoded = decode_soa(soa.rdata);
    std::uint32_t ttl = std::min(soa.ttl, decoded ? decoded->minimum : 0);
    ttl = std::min(std::max(ttl, limits_.min_ttl), limits_.negative_max_ttl);
    if (ttl == 0) {
        return;
    }
    const RRType key_type = rcode == Rcode::NXDOMAIN ? RRType::ANY : type;
    std::string key = key_of(owner, key_type);
    if (const auto it = index_.find(key); it != index_.end()) {
        if (it->second->expires > now && it->second->trust > Trust::authority_auth) {
            return;
        }
        erase(it->second);
    }
    Entry e;
    e.key = std::move(key);
    e.owner = owner;
    e.type = key_type;
    e.negative = true;
    e.rcode = rcode;
    e.soa = soa;
    e.ttl = ttl;
    e.expires = now + std::chrono::seconds(ttl);
    e.trust = Trust::authority_auth;
    insert(std::move(e));
}

std::optional<Cache::Hit> Cache::get(const Name& owner, RRType type, TimePoint now,
                                     bool allow_stale) {
    auto it = index_.find(key_of(owner, type));
    if (it == index_.end()) {
        it = index_.find(key_of(owner, RRType::ANY));  // a cached NXDOMAIN covers every type
        if (it != index_.end() && !(it->second->negative && it->second->rcode == Rcode::NXDOMAIN)) {
            it = index_.end();
        }
    }
    if (it == index_.end()) {
        ++stats_.misses;
        return std::nullopt;
    }
    auto hit = hit_from(it->second, now, allow_stale);
    if (!hit) {
        ++stats_.misses;
    }
    return hit;
}

std::optional<Cache::Hit> Cache::hit_from(Lru::iterator it, TimePoint now, bool allow_stale) {
    Entry& e = *it;
    Hit hit;
    if (now >= e.expires) {
        if (now - e.expires > limits_.stale_window) {
            erase(it);  // too old even to be stale
            return std::nullopt;
        }
        if (!allow_stale) {
            return std::nullopt;  // kept in case every upstream fails later
        }
        hit.stale = true;
        hit.ttl = limits_.stale_ttl;
        ++stats_.stale_served;
    } else {
        hit.ttl = seconds_left(e.expires, now);
        ++e.uses;
        // Unbound's rule: a popular entry with under 10 % of its TTL left is refreshed early.
        if (!e.prefetch_asked && e.uses >= 2 &&
            hit.ttl < static_cast<std::uint32_t>(e.ttl * limits_.prefetch_fraction)) {
            e.prefetch_asked = true;
            hit.prefetch = true;
        }
    }
    lru_.splice(lru_.begin(), lru_, it);  // most recently used
    hit.negative = e.negative;
    hit.rcode = e.rcode;
    hit.trust = e.trust;
    if (e.negative) {
        ++stats_.negative_hits;
        hit.soa = e.soa;
        hit.soa.ttl = hit.ttl;
    } else {
        ++stats_.hits;
        hit.rdatas = e.rdatas;
    }
    return hit;
}

void Cache::insert(Entry entry) {
    entry.bytes = sizeof(Entry) + 64 /* index node */ + entry.key.size() * 2 +
                  entry.owner.wire_size() + entry.soa.rdata.size();
    for (const Bytes& r : entry.rdatas) {
        entry.bytes += r.size() + sizeof(Bytes);
    }
    bytes_ += entry.bytes;
    lru_.push_front(std::move(entry));
    index_[lru_.front().key] = lru_.begin();
    evict_to_fit();
}

void Cache::erase(Lru::iterator it) {
    bytes_ -= it->bytes;
    index_.erase(it->key);
    lru_.erase(it);
}

void Cache::evict_to_fit() {
    while (bytes_ > limits_.max_bytes && lru_.size() > 1) {
        erase(std::prev(lru_.end()));
        ++stats_.evictions;
    }
}

std::size_t Cache::flush(const Name& name, bool subtree) {
    std::size_t removed = 0;
    for (auto it = lru_.begin(); it != lru_.end();) {
        const auto next = std::next(it);
        if (it->owner == name || (subtree && it->owner.is_subdomain_of(name))) {
            erase(it);
            ++removed;
        }
        it = next;
    }
    return removed;
}

void Cache::clear() {
    lru_.clear();
    index_.clear();
    bytes_ = 0;
}

CacheStats Cache::stats() const {
    CacheStats s = stats_;
    s.entries = lru_.size();
    s.bytes = bytes_;
    return s;
}

std::vector<std::string> Cache::dump(TimePoint now) const {
    std::vector<std::string> out;
    for (const Entry& e : lru_) {
        if (now >= e.expires) {
            continue;
        }
        const std::uint32_t left = seconds_left(e.expires, now);
        if (e.negative) {
            ResourceRecord soa = e.soa;
            soa.ttl = left;
            out.push_back("; " + rcode_to_text(e.rcode) + " " + e.owner.to_text() +
                          (e.rcode == Rcode::NXDOMAIN ? "" : " " + type_to_text(e.type)) + "\n" +
                          format_record(soa));
            continue;
        }
        for (const Bytes& r : e.rdatas) {
            out.push_back(format_record({e.owner, e.type, RRClass::IN, left, r}));
        }
    }
    return out;
}

}  // namespace l7::dns
