#include "dns/asio/zone_store.hpp"

#include "core/log.hpp"
#include "dns/master.hpp"

namespace l7::dns {

bool ZoneStore::load() {
    const auto old = current();
    auto next = std::make_shared<ZoneSet>();
    bool all_ok = true;
    for (const ZoneSource& source : sources_) {
        MasterFile file = load_master_file(source.file, source.origin);
        auto zone = file.has_errors() ? nullptr : build_zone(source.origin, file);
        for (const MasterProblem& p : file.problems) {
            (p.error ? log::error : log::warn)("dns", file.describe(p));
        }
        const std::string name = source.origin.to_text();
        if (zone) {
            log::info("dns", "zone " + name + ": loaded serial " + std::to_string(zone->serial()) +
                                 ", " + std::to_string(zone->record_count()) + " records");
            next->add(std::move(zone));
            continue;
        }
        all_ok = false;
        const Zone* previous = old->find_zone(source.origin.wire());
        if (previous != nullptr && previous->origin() == source.origin) {
            log::error("dns",
                       "zone " + name + ": not reloaded due to errors; serving the old data");
            for (const auto& z : old->zones()) {
                if (z.get() == previous) {
                    next->add(z);
                }
            }
        } else {
            log::error("dns", "zone " + name + ": not loaded due to errors");
        }
    }
    {
        std::lock_guard lock(mutex_);
        zones_ = std::move(next);
    }
    generation_.fetch_add(1, std::memory_order_release);
    return all_ok;
}

std::shared_ptr<const ZoneSet> ZoneStore::current() const {
    std::lock_guard lock(mutex_);
    return zones_;
}

}  // namespace l7::dns
