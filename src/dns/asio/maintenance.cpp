#include "dns/asio/maintenance.hpp"

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/duration.hpp"
#include "core/log.hpp"
#include "core/staged_file.hpp"
#include "dns/asio/client.hpp"
#include "dns/master.hpp"
#include "dns/message_text.hpp"
#include "dns/rdata.hpp"
#include "net/timeout.hpp"

namespace l7::dns {

using Clock = std::chrono::steady_clock;

struct ZoneMaintenance::State {
    State(ZoneSource s, asio::io_context& io) : source(std::move(s)), timer(io) {}
    ZoneSource source;
    asio::steady_timer timer;  // the wait until the next check; cancelled to check now
    bool notified = false;
    std::optional<Clock::time_point> last_contact;
};

namespace {

constexpr auto transfer_timeout = std::chrono::seconds(10);
// Before the first SOA is known (RFC 1035's suggested timer values are far longer; a lab
// wants its secondary filled quickly).
constexpr std::uint32_t initial_retry = 5;

std::string seconds_text(std::uint32_t s) {
    return format_duration(std::chrono::seconds(s));
}

// Writes a secondary's copy atomically and durably (core/staged_file: a temporary file,
// fsync, rename, fsync of the directory): a crash leaves the old file or the new, never half.
void save_copy(const Zone& zone, const std::string& path) {
    std::string text = "; " + zone.origin().to_text() + " serial " + std::to_string(zone.serial()) +
                       ", transferred by l7 (secondary copy)\n";
    for (const ResourceRecord& rr : zone.records()) {
        text += format_record(rr) + '\n';
    }
    if (const std::error_code ec = write_file_atomically(path, text, 0644)) {
        log::warn("dns", "cannot write " + path + ": " + ec.message());
    }
}

// A zone from transferred records, with the same checks as a zone file.
std::shared_ptr<Zone> zone_from_records(const Name& origin, std::vector<ResourceRecord> records,
                                        const std::string& peer) {
    MasterFile file;
    file.files.push_back("transfer from " + peer);
    for (ResourceRecord& rr : records) {
        file.records.push_back({std::move(rr), {0, 0}});
    }
    auto zone = build_zone(origin, file);
    for (const MasterProblem& p : file.problems) {
        (p.error ? log::error : log::warn)("dns", file.describe(p));
    }
    return zone;
}

asio::awaitable<void> maintain(std::shared_ptr<ZoneMaintenance::State> st,
                               std::shared_ptr<ZoneStore> store, trace::Tracer& tracer,
                               net::Task& task) {
    auto guard = task.on_interrupt([st] { st->timer.cancel(); });
    const Name& origin = st->source.origin;
    const HostPort primary = *st->source.primary;
    const std::string name = origin.to_text();
    bool force_axfr = false;  // set when an IXFR did not apply to our copy
    while (!task.draining()) {
        st->notified = false;
        auto zone = store->find(origin);
        if (zone && zone->is_expired()) {
            zone.reset();  // expired data counts as none
        }
        if (zone && !st->last_contact) {
            st->last_contact = Clock::now();  // a saved copy ages from our start
        }
        std::optional<Soa> soa;
        if (zone && zone->soa()) {
            soa = decode_soa(*zone->soa()->begin());
        }
        bool ok = true;
        bool need_transfer = !zone || force_axfr;
        if (zone) {
            Message q;
            q.header.id = static_cast<std::uint16_t>(std::random_device{}());
            q.questions.push_back({origin, RRType::SOA, RRClass::IN});
            ExchangeOptions o;
            o.server = primary;
            o.tries = 2;
            auto r = co_await async_exchange(q, o, tracer);
            if (!r || r->reply.rcode() != Rcode::NOERROR || r->reply.answers.empty() ||
                r->reply.answers.front().type != RRType::SOA) {
                ok = false;
                log::warn("dns", "zone " + name + ": SOA check at " + primary.to_string() +
                                     " failed: " +
                                     (r ? rcode_to_text(r->reply.rcode()) : r.error().message));
            } else {
                st->last_contact = Clock::now();
                const auto theirs = decode_soa(r->reply.answers.front().rdata);
                need_transfer =
                    theirs && soa && theirs->serial != soa->serial &&
                    static_cast<std::uint32_t>(theirs->serial - soa->serial) < 0x80000000u;
            }
        }
        if (ok && need_transfer && !task.draining()) {
            const std::optional<std::uint32_t> have =
                soa && !force_axfr ? std::optional(soa->serial) : std::nullopt;
            force_axfr = false;
            auto t = co_await async_transfer(origin, primary, have, transfer_timeout, tracer);
            if (!t) {
                ok = false;
                log::warn("dns", "zone " + name + ": transfer from " + primary.to_string() +
                                     " failed: " + t.error().message);
            } else if (!t->up_to_date) {
                st->last_contact = Clock::now();
                std::shared_ptr<Zone> next;
                if (t->incremental && zone) {
                    // Each change makes a version of its own, so IXFR history carries on here.
                    for (const ZoneDiff& d : t->diffs) {
                        auto step = std::make_shared<Zone>(*store->find(origin));
                        auto applied = step->apply(d);
                        if (!applied) {
                            log::warn("dns", "zone " + name + ": IXFR does not apply (" +
                                                 applied.error().message + "); asking for AXFR");
                            force_axfr = true;  // the next round, at once, transfers it all
                            st->notified = true;
                            next.reset();
                            break;
                        }
                        store->publish(step, d);
                        next = step;
                    }
                    if (next) {
                        log::info("dns", "zone " + name + ": IXFR from " + primary.to_string() +
                                             ", serial " + std::to_string(t->serial) + " (" +
                                             std::to_string(t->diffs.size()) +
                                             (t->diffs.size() == 1 ? " change)" : " changes)"));
                    }
                } else {
                    next = zone_from_records(origin, std::move(t->records), primary.to_string());
                    if (next) {
                        log::info("dns", "zone " + name + ": AXFR from " + primary.to_string() +
                                             ", serial " + std::to_string(next->serial()) + ", " +
                                             std::to_string(next->record_count()) + " records");
                        store->publish(next);
                    } else {
                        ok = false;
                        log::error("dns", "zone " + name +
                                              ": the transferred zone has errors; not served");
                    }
                }
                if (next && !st->source.file.empty()) {
                    save_copy(*store->find(origin), st->source.file);
                }
            }
        }
        // RFC 1035 section 4.3.5 timers, from the zone's SOA.
        zone = store->find(origin);
        soa = zone && zone->soa() ? decode_soa(*zone->soa()->begin()) : std::nullopt;
        if (soa && st->last_contact &&
            Clock::now() - *st->last_contact > std::chrono::seconds(soa->expire)) {
            log::error("dns", "zone " + name + ": no contact with the primary for " +
                                  seconds_text(soa->expire) +
                                  " (SOA expire); answering SERVFAIL until a transfer succeeds");
            store->expire(origin);
            // Keep to the primary's timers: try again at its SOA retry interval.
            st->timer.expires_after(std::chrono::seconds(std::max<std::uint32_t>(soa->retry, 1)));
            task.set_idle(true);
            co_await st->timer.async_wait(net::as_tuple_awaitable);
            task.set_idle(false);
            continue;
        }
        const std::uint32_t wait = !soa ? initial_retry : ok ? soa->refresh : soa->retry;
        if (st->notified) {
            continue;
        }
        st->timer.expires_after(std::chrono::seconds(std::max<std::uint32_t>(wait, 1)));
        task.set_idle(true);
        co_await st->timer.async_wait(net::as_tuple_awaitable);
        task.set_idle(false);
    }
}

asio::awaitable<void> send_notify(Name origin, std::shared_ptr<ZoneStore> store, HostPort target,
                                  trace::Tracer& tracer) {
    const auto zone = store->find(origin);
    if (!zone || !zone->soa()) {
        co_return;
    }
    Message m;
    m.header.id = static_cast<std::uint16_t>(std::random_device{}());
    m.header.opcode = Opcode::NOTIFY;
    m.header.aa = true;
    m.questions.push_back({origin, RRType::SOA, RRClass::IN});
    const auto rdata = *zone->soa()->begin();
    m.answers.push_back(
        {origin, RRType::SOA, RRClass::IN, zone->soa()->ttl(), Bytes(rdata.begin(), rdata.end())});
    ExchangeOptions o;
    o.server = target;
    o.tries = 5;  // RFC 1996 section 3.6: retransmit until answered
    o.tcp_on_truncation = false;
    auto r = co_await async_exchange(m, o, tracer);
    if (!r) {
        log::warn("dns", "NOTIFY " + origin.to_text() + " to " + target.to_string() + ": " +
                             r.error().message);
    } else {
        log::info("dns", "NOTIFY " + origin.to_text() + " serial " +
                             std::to_string(zone->serial()) + " to " + target.to_string() + ": " +
                             rcode_to_text(r->reply.rcode()));
    }
}

}  // namespace

ZoneMaintenance::ZoneMaintenance(net::Runtime& runtime, std::shared_ptr<ZoneStore> store,
                                 trace::Tracer& tracer)
    : runtime_(runtime), store_(std::move(store)), tracer_(tracer) {
    for (const ZoneSource& s : store_->sources()) {
        if (s.is_secondary()) {
            secondaries_.push_back(std::make_shared<State>(s, runtime_.worker(0).io));
        }
    }
}

ZoneMaintenance::~ZoneMaintenance() = default;

void ZoneMaintenance::start() {
    net::Worker& worker = runtime_.worker(0);
    for (const auto& st : secondaries_) {
        worker.tasks.spawn([st, store = store_, &tracer = tracer_](net::Task& task) {
            return maintain(st, store, tracer, task);
        });
    }
    // NOTIFY our own secondaries whenever a zone changes (reload, transfer, update).
    // The store keeps this listener, so it holds the store weakly (no reference cycle).
    store_->on_change(
        [&worker, weak = std::weak_ptr<ZoneStore>(store_), &tracer = tracer_](const Name& origin) {
            const auto store = weak.lock();
            const ZoneSource* source = store ? store->source(origin) : nullptr;
            if (source == nullptr || source->notify.empty()) {
                return;
            }
            for (const HostPort& target : source->notify) {
                asio::post(worker.io, [&worker, store, &tracer, origin, target] {
                    worker.tasks.spawn([store, &tracer, origin, target](net::Task&) {
                        return send_notify(origin, store, target, tracer);
                    });
                });
            }
        });
}

Rcode ZoneMaintenance::notified(const NotifyRequest& request, const asio::ip::address& from) {
    for (const auto& st : secondaries_) {
        if (!(st->source.origin == request.question.name)) {
            continue;
        }
        std::error_code ec;
        const auto primary = asio::ip::make_address(st->source.primary->host, ec);
        if (ec || primary != from) {
            log::warn("dns", "NOTIFY for " + request.question.name.to_text() + " from " +
                                 from.to_string() + ", which is not its primary: refused");
            return Rcode::REFUSED;
        }
        log::info(
            "dns",
            "NOTIFY for " + request.question.name.to_text() + " from " + from.to_string() +
                (request.serial ? ", serial " + std::to_string(*request.serial) : std::string()));
        asio::post(runtime_.worker(0).io, [st] {
            st->notified = true;
            st->timer.cancel();
        });
        return Rcode::NOERROR;
    }
    return Rcode::NOTAUTH;
}

}  // namespace l7::dns
