#pragma once
// The zones a server answers from, shared by every worker and replaced whole on each change
// (a reload, a transfer, an update), so a query never sees half a zone. Workers keep their own
// reference and check a generation counter per query: one atomic load instead of a lock.
//
// Primary zones come from zone files; secondary zones from their primary by zone transfer.
// Each new version of a zone keeps the history of changes that led to it, from which IXFR
// answers.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.hpp"
#include "dns/responder.hpp"

namespace l7::dns {

struct ZoneSource {
    Name origin;
    std::string file;                 // primary: the zone file; secondary: a copy (optional)
    std::string text;                 // zone data given inline (the lab): no file, no journal
    std::optional<HostPort> primary;  // set for a secondary zone
    std::vector<HostPort> notify;     // secondaries told of each change (RFC 1996)

    bool is_secondary() const { return primary.has_value(); }
};

class ZoneStore {
  public:
    explicit ZoneStore(std::vector<ZoneSource> sources) : sources_(std::move(sources)) {}

    // Loads every primary zone file (and a secondary's saved copy when there is no data yet).
    // Returns false, after logging each problem as file:line, when a zone has errors: at
    // start-up that zone is missing; on reload its old data stays.
    bool load();

    // Makes `zone` the current version of its zone, keeping the history for IXFR when
    // `change` is given, and calls the change listeners when the serial moved.
    void publish(std::shared_ptr<Zone> zone, std::optional<ZoneDiff> change = std::nullopt);
    // A secondary whose data expired: its queries get SERVFAIL until a transfer succeeds.
    void expire(const Name& origin);

    std::shared_ptr<const ZoneSet> current() const;
    std::shared_ptr<const Zone> find(const Name& origin) const;
    std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
    const std::vector<ZoneSource>& sources() const { return sources_; }
    const ZoneSource* source(const Name& origin) const;

    // Called after a zone's serial changed, on the thread that published it.
    using ChangeListener = std::function<void(const Name& origin)>;
    void on_change(ChangeListener listener);

    static constexpr std::size_t kMaxHistory = 64;  // changes kept for IXFR
    // Where a primary zone's journal lives: beside its file; empty for inline zones.
    static std::string journal_path(const ZoneSource& source);

  private:
    // Applies the journal's changes that follow the file's serial (updates made since).
    void replay_journal(const ZoneSource& source, Zone& zone);
    void swap_in(const Name& origin, std::shared_ptr<const Zone> zone);

    std::vector<ZoneSource> sources_;
    mutable std::mutex mutex_;
    std::shared_ptr<const ZoneSet> zones_ = std::make_shared<ZoneSet>();
    std::atomic<std::uint64_t> generation_{0};
    std::vector<ChangeListener> listeners_;
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
