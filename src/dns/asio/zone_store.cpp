#include "dns/asio/zone_store.hpp"

#include <malloc.h>

#include <filesystem>

#include "core/log.hpp"
#include "dns/journal.hpp"
#include "dns/master.hpp"

namespace l7::dns {

bool ZoneStore::load() {
    bool all_ok = true;
    for (const ZoneSource& source : sources_) {
        const std::string name = source.origin.to_text();
        const auto old = find(source.origin);
        if (source.is_secondary()) {
            // A secondary's saved copy only bridges the time until the first transfer.
            if (old || source.file.empty() || !std::filesystem::exists(source.file) ||
                !source.text.empty()) {
                continue;
            }
        }
        MasterFile file =
            source.text.empty()
                ? load_master_file(source.file, source.origin)
                : parse_master(source.text, "zone " + name + " (inline)", source.origin);
        auto zone = build_zone(source.origin, file);  // null when the file or the zone has errors
        for (const MasterProblem& p : file.problems) {
            (p.error ? log::error : log::warn)("dns", file.describe(p));
        }
        if (!zone) {
            all_ok = false;
            log::error("dns", "zone " + name +
                                  (old ? ": not reloaded due to errors; serving the old data"
                                       : ": not loaded due to errors"));
            continue;
        }
        if (!old && !source.is_secondary()) {
            replay_journal(source, *zone);
        }
        std::optional<ZoneDiff> change;
        if (old && static_cast<std::uint32_t>(old->serial() - zone->serial()) - 1 < 0x7FFFFFFFu) {
            log::warn("dns", "zone " + name + ": the file's serial " +
                                 std::to_string(zone->serial()) + " is older than the served " +
                                 std::to_string(old->serial()) +
                                 " (dynamic updates live in the journal); keeping the served data");
            continue;
        }
        if (old) {
            if (old->serial() == zone->serial()) {
                const ZoneDiff d = diff_zones(*old, *zone);
                if (d.removed.size() > 1 || d.added.size() > 1) {
                    log::warn(
                        "dns",
                        "zone " + name + ": the file changed but its serial did not (" +
                            std::to_string(zone->serial()) +
                            "); keeping the old data, as secondaries could not see the change");
                } else {
                    log::info("dns", "zone " + name + ": unchanged");
                }
                continue;
            }
            change = diff_zones(*old, *zone);  // BIND's ixfr-from-differences
        }
        log::info("dns", "zone " + name + ": loaded serial " + std::to_string(zone->serial()) +
                             ", " + std::to_string(zone->record_count()) + " records");
        publish(std::move(zone), std::move(change));
    }
    // Parsing a big zone leaves freed memory behind (the parsed records); give it back to
    // the system so the resident size is the zone's, not the parser's peak.
    ::malloc_trim(0);
    return all_ok;
}

void ZoneStore::replay_journal(const ZoneSource& source, Zone& zone) {
    const std::string path = journal_path(source);
    if (path.empty()) {
        return;
    }
    auto journal = read_journal(path);
    if (!journal) {
        log::error("dns", journal.error().message);
        return;
    }
    if (!journal->warning.empty()) {
        log::warn("dns", journal->warning);
    }
    auto history = std::make_shared<std::vector<ZoneDiff>>();
    std::size_t applied = 0;
    for (ZoneDiff& d : journal->entries) {
        if (d.from_serial != zone.serial()) {
            continue;  // from before the zone file's serial: already in the file
        }
        Zone next = zone;
        if (auto ok = next.apply(d); !ok) {
            log::error("dns", path + ": " + ok.error().message + "; stopping the replay");
            break;
        }
        zone = std::move(next);
        history->push_back(std::move(d));
        ++applied;
    }
    if (history->size() > kMaxHistory) {
        history->erase(history->begin(), history->end() - static_cast<std::ptrdiff_t>(kMaxHistory));
    }
    zone.set_history(std::move(history));
    if (applied > 0) {
        log::info("dns", "zone " + source.origin.to_text() + ": " + std::to_string(applied) +
                             " journal entries replayed from " + path + ", serial " +
                             std::to_string(zone.serial()));
    }
}

std::string ZoneStore::journal_path(const ZoneSource& source) {
    return source.file + ".jnl";
}

void ZoneStore::publish(std::shared_ptr<Zone> zone, std::optional<ZoneDiff> change) {
    const Name origin = zone->origin();
    const auto old = find(origin);
    if (old) {
        auto history = std::make_shared<std::vector<ZoneDiff>>(old->history());
        if (change) {
            history->push_back(std::move(*change));
        } else {
            history->clear();  // a whole new zone (AXFR): earlier changes no longer apply
        }
        if (history->size() > kMaxHistory) {
            history->erase(history->begin(),
                           history->end() - static_cast<std::ptrdiff_t>(kMaxHistory));
        }
        zone->set_history(std::move(history));
    }
    const bool moved = !old || old->serial() != zone->serial();
    swap_in(origin, std::move(zone));
    if (moved) {
        std::vector<ChangeListener> listeners;
        {
            std::lock_guard lock(mutex_);
            listeners = listeners_;
        }
        for (const auto& listener : listeners) {
            listener(origin);
        }
    }
}

void ZoneStore::expire(const Name& origin) {
    swap_in(origin, Zone::expired_placeholder(origin));
}

void ZoneStore::swap_in(const Name& origin, std::shared_ptr<const Zone> zone) {
    std::lock_guard lock(mutex_);
    auto next = std::make_shared<ZoneSet>();
    for (const auto& z : zones_->zones()) {
        if (!(z->origin() == origin)) {
            next->add(z);
        }
    }
    if (zone) {
        next->add(std::move(zone));
    }
    zones_ = std::move(next);
    generation_.fetch_add(1, std::memory_order_release);
}

std::shared_ptr<const ZoneSet> ZoneStore::current() const {
    std::lock_guard lock(mutex_);
    return zones_;
}

std::shared_ptr<const Zone> ZoneStore::find(const Name& origin) const {
    const auto zones = current();
    for (const auto& z : zones->zones()) {
        if (z->origin() == origin) {
            return z;
        }
    }
    return nullptr;
}

const ZoneSource* ZoneStore::source(const Name& origin) const {
    for (const ZoneSource& s : sources_) {
        if (s.origin == origin) {
            return &s;
        }
    }
    return nullptr;
}

void ZoneStore::on_change(ChangeListener listener) {
    std::lock_guard lock(mutex_);
    listeners_.push_back(std::move(listener));
}

}  // namespace l7::dns
