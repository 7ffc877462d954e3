#pragma once
// The zones a server answers from, shared by every worker and replaced whole on reload
// (SIGHUP), so a query never sees half a zone. Workers keep their own reference and check a
// generation counter per query, which costs one relaxed atomic load instead of a lock.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dns/responder.hpp"

namespace l7::dns {

struct ZoneSource {
    Name origin;
    std::string file;
};

class ZoneStore {
  public:
    explicit ZoneStore(std::vector<ZoneSource> sources) : sources_(std::move(sources)) {}

    // Loads every zone file. Returns false, after logging each problem as file:line, when a
    // zone has errors: at start-up that zone is missing; on reload its old data stays.
    bool load();

    std::shared_ptr<const ZoneSet> current() const;
    std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
    const std::vector<ZoneSource>& sources() const { return sources_; }

  private:
    std::vector<ZoneSource> sources_;
    mutable std::mutex mutex_;
    std::shared_ptr<const ZoneSet> zones_ = std::make_shared<ZoneSet>();
    std::atomic<std::uint64_t> generation_{0};
};

// A worker's view of the store: refreshes its reference when the generation moves.
class ZoneView {
  public:
    explicit ZoneView(const ZoneStore& store) : store_(store) {}
    const ZoneSet& get() {
        const auto g = store_.generation();
        if (!zones_ || g != generation_) {
            zones_ = store_.current();
            generation_ = g;
        }
        return *zones_;
    }

  private:
    const ZoneStore& store_;
    std::shared_ptr<const ZoneSet> zones_;
    std::uint64_t generation_ = 0;
};

}  // namespace l7::dns
