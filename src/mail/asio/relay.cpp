#include "mail/asio/relay.hpp"

#include <unistd.h>

#include <algorithm>
#include <asio/post.hpp>
#include <deque>
#include <map>

#include "core/log.hpp"
#include "core/secure_random.hpp"
#include "dns/asio/client_resolver.hpp"
#include "dns/asio/stub_resolver.hpp"
#include "mail/asio/smtp_client.hpp"
#include "mail/queue/dsn.hpp"
#include "mail/relay/route.hpp"
#include "net/timeout.hpp"

namespace l7::mail {
namespace {

std::int64_t unix_micros_now() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t unix_now() {
    return unix_micros_now() / 1'000'000;
}

std::string random_hex(std::size_t words) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < words; ++i) {
        for (std::uint64_t v = secure_random64(), j = 0; j < 16; ++j, v >>= 4) {
            out += kHex[v & 15];
        }
    }
    return out;
}

bool is_ip_literal(const std::string& host) {
    std::error_code ec;
    (void)asio::ip::make_address(host, ec);
    return !ec;
}

}  // namespace

Result<std::shared_ptr<Relay>> Relay::create(RelayOptions options,
                                             std::shared_ptr<Mailboxes> mailboxes,
                                             trace::Tracer& tracer) {
    QueueStore store(options.queue_dir);
    if (auto ec = store.create()) {
        return Error{options.queue_dir.string() + ": cannot create the queue: " + ec.message()};
    }
    auto recovered = store.recover(unix_now(), 3600);
    if (!recovered) {
        return Error{recovered.error().message};
    }
    for (const std::string& name : recovered->temporaries) {
        log::info("relay", "removed an unfinished queue file left by a crash: " + name);
    }
    for (const std::string& name : recovered->orphans) {
        log::info("relay", "removed queued data without an envelope: " + name);
    }
    dns::StubResolver* resolver = nullptr;
    std::unique_ptr<dns::StubResolver> own;
    if (!options.smarthost || !is_ip_literal(options.smarthost->host)) {
        if (!options.resolvers.empty()) {
            dns::StubOptions stub;
            stub.servers = options.resolvers;
            stub.tracer = &tracer;
            auto made = dns::StubResolver::create(std::move(stub));
            if (!made) {
                return Error{made.error().message};
            }
            own = std::make_unique<dns::StubResolver>(std::move(*made));
            resolver = own.get();
        } else {
            auto shared = dns::client_resolver();
            if (!shared) {
                return Error{shared.error().message};
            }
            resolver = *shared;
        }
    }
    return std::shared_ptr<Relay>(
        new Relay(std::move(options), std::move(mailboxes), tracer, resolver, std::move(own)));
}

Relay::Relay(RelayOptions options, std::shared_ptr<Mailboxes> mailboxes, trace::Tracer& tracer,
             dns::StubResolver* resolver, std::unique_ptr<dns::StubResolver> own_resolver)
    : options_(std::move(options)),
      mailboxes_(std::move(mailboxes)),
      tracer_(tracer),
      store_(options_.queue_dir),
      ids_(::getpid()),
      resolver_(resolver),
      own_resolver_(std::move(own_resolver)) {
    if (std::find(options_.own_names.begin(), options_.own_names.end(), options_.hostname) ==
        options_.own_names.end()) {
        options_.own_names.push_back(options_.hostname);
    }
}

Relay::~Relay() = default;

Result<QueueEntry, QueueError> Relay::enqueue(QueueEntry entry, std::string_view message) {
    const std::int64_t micros = unix_micros_now();
    entry.id = ids_.next(micros);
    entry.arrival = micros / 1'000'000;
    entry.next_attempt = entry.arrival;
    auto queued = store_.enqueue(entry, message);
    if (queued) {
        wake();
    }
    return queued;
}

void Relay::cancel(const std::string& id) {
    if (auto removed = store_.remove(id); !removed) {
        log::error("relay", removed.error().message);
    }
}

void Relay::start(net::Runtime& runtime) {
    net::Worker& worker = runtime.worker(0);
    auto self = shared_from_this();
    worker.tasks.spawn([self, &worker](net::Task& task) -> asio::awaitable<void> {
        asio::steady_timer timer(worker.io);
        {
            std::lock_guard lock(self->wake_mutex_);
            self->worker_ = &worker;
            self->timer_ = &timer;
        }
        auto guard = task.on_interrupt([&timer] { timer.cancel(); });
        co_await self->run(task);
        std::lock_guard lock(self->wake_mutex_);
        self->timer_ = nullptr;
    });
}

void Relay::wake() {
    std::lock_guard lock(wake_mutex_);
    if (!worker_) {
        return;  // not started: the first scan sees everything anyway
    }
    asio::post(worker_->io, [self = shared_from_this()] {
        std::lock_guard inner(self->wake_mutex_);
        self->woken_ = true;
        if (self->timer_) {
            self->timer_->cancel();
        }
    });
}

asio::awaitable<void> Relay::run(net::Task& task) {
    log::info("relay", "queue in " + options_.queue_dir.string() +
                           (options_.smarthost
                                ? ", all mail via " + options_.smarthost->to_string()
                                : ", delivery by MX on port " + std::to_string(options_.port)));
    while (!task.draining()) {
        {
            std::lock_guard lock(wake_mutex_);
            woken_ = false;
        }
        const std::int64_t now = unix_now();
        const std::int64_t next_due = scan(*worker_);
        auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(options_.scan_interval);
        if (next_due > now) {
            wait = std::min(wait, std::chrono::milliseconds((next_due - now) * 1000));
        }
        {
            std::lock_guard lock(wake_mutex_);
            if (woken_) {
                continue;
            }
            timer_->expires_after(wait);
        }
        task.set_idle(true);
        co_await timer_->async_wait(net::as_tuple_awaitable);
        task.set_idle(false);
    }
}

// Starts a delivery for each domain with due mail; returns when the next entry is due.
std::int64_t Relay::scan(net::Worker& worker) {
    const std::int64_t now = unix_now();
    std::int64_t next_due = now + 3600;
    auto listing = store_.list();
    if (!listing) {
        log::error("relay", listing.error().message);
        return now + 60;
    }
    for (const QueueProblem& p : listing->problems) {
        log::error("relay", p.name + ": " + p.message + " (moved to corrupt/)");
    }
    std::map<std::string, std::vector<std::string>> due;
    for (const QueueEntry& entry : listing->entries) {
        if (entry.done()) {
            QueueEntry copy = entry;
            finish(copy, now);  // a crash between the last outcome and the removal
            continue;
        }
        if (entry.next_attempt > now) {
            next_due = std::min(next_due, entry.next_attempt);
            continue;
        }
        for (const QueueRecipient& r : entry.recipients) {
            if (r.state != RecipientState::pending) {
                continue;
            }
            const std::string domain = recipient_domain(r.address);
            auto& ids = due[domain];
            if (!in_flight_.count({entry.id, domain}) &&
                std::find(ids.begin(), ids.end(), entry.id) == ids.end()) {
                ids.push_back(entry.id);
            }
        }
    }
    for (auto& [domain, ids] : due) {
        if (ids.empty()) {
            continue;
        }
        if (domains_in_flight_ >= options_.max_domains_in_flight) {
            next_due = now;  // the rest at the next scan
            break;
        }
        for (const std::string& id : ids) {
            in_flight_.insert({id, domain});
        }
        ++domains_in_flight_;
        worker.tasks.spawn([self = shared_from_this(), domain = domain,
                            ids = ids](net::Task&) -> asio::awaitable<void> {
            co_await self->deliver_domain(domain, ids);
        });
    }
    return next_due;
}

asio::awaitable<void> Relay::deliver_domain(std::string domain, std::vector<std::string> ids) {
    // Where the domain's mail goes.
    std::vector<RelayHost> hosts;
    std::deque<std::string> waiting(ids.begin(), ids.end());
    std::uint16_t port = options_.port;
    if (options_.smarthost) {
        hosts.push_back(RelayHost{options_.smarthost->host, 0});
        port = options_.smarthost->port;
    } else {
        auto mx = co_await resolver_->async_lookup_mx(domain);
        auto routed = route_mail(domain, mx, options_.own_names);
        if (!routed) {
            const RouteFailure& f = routed.error();
            for (const std::string& id : ids) {
                fail_all(id, domain, f.permanent, f.status, f.text);
            }
            waiting.clear();
        } else {
            hosts = std::move(*routed);
        }
    }

    std::string last_failure = "no mail exchanger could be reached";
    std::string last_status = "4.4.1";
    for (const RelayHost& host : hosts) {
        if (waiting.empty()) {
            break;
        }
        std::vector<std::string> addresses;
        if (is_ip_literal(host.name)) {
            addresses.push_back(host.name);
        } else {
            auto found = co_await resolver_->async_lookup_addresses(host.name);
            if (!found) {
                last_failure = host.name + ": " + found.error().message;
                last_status = found.error().code == dns::StubErrc::no_answer ? "4.4.3" : "4.4.4";
                continue;
            }
            addresses = std::move(*found);
        }
        SmtpClientRunOptions run_options;
        run_options.addresses = addresses;
        run_options.port = port;
        run_options.host = host.name;
        run_options.connect_timeout = options_.connect_timeout;
        run_options.reply_timeout_cap = options_.reply_timeout_cap;
        run_options.session.hello_name = options_.hostname;
        run_options.tracer = &tracer_;

        std::string current;  // the id of the message handed to the session
        auto next_message = [&]() -> std::optional<SmtpOutgoingMessage> {
            while (!waiting.empty()) {
                std::string id = waiting.front();
                waiting.pop_front();
                auto entry = store_.load(id);
                if (!entry) {
                    continue;  // removed meanwhile (`l7 mail queue delete`)
                }
                SmtpOutgoingMessage message;
                message.mail_from = entry->mail_from;
                message.eight_bit = entry->parameters.eight_bit;
                message.smtputf8 = entry->parameters.smtputf8;
                for (const QueueRecipient& r : entry->recipients) {
                    if (r.state == RecipientState::pending &&
                        recipient_domain(r.address) == domain) {
                        message.recipients.push_back(r.address);
                    }
                }
                if (message.recipients.empty()) {
                    continue;
                }
                auto data = store_.read_message(id, options_.max_message_size);
                if (!data) {
                    log::error("relay", data.error().message);
                    fail_all(id, domain, false, "4.3.0", "the queued message cannot be read");
                    continue;
                }
                message.data = std::move(*data);
                current = id;
                return message;
            }
            return std::nullopt;
        };
        auto on_done = [&](const SmtpClientMessageDone& done) {
            record(current, domain, done.recipients, host.name);
        };
        SmtpClientRun run = co_await run_smtp_client(run_options, next_message, on_done);
        if (!run.connected) {
            last_failure = host.name + ": " + run.connect_failure;
            last_status = "4.4.1";
            log::info("relay", domain + ": " + last_failure);
            continue;
        }
        if (run.failure) {
            last_failure = host.name + ": " + run.failure->diagnostic();
            last_status = format_enhanced_status(run.failure->status());
            if (run.failure->kind == SmtpOutcomeKind::permanent_failure && !waiting.empty()) {
                // The server refused us outright (554 greeting): the next MX may not.
                log::info("relay", domain + ": " + last_failure);
            }
        }
    }
    for (const std::string& id : waiting) {
        fail_all(id, domain, false, last_status, last_failure);
    }
    for (const std::string& id : ids) {
        in_flight_.erase({id, domain});
    }
    --domains_in_flight_;
    wake();
}

// One message's outcomes for one domain's recipients, recorded durably.
void Relay::record(const std::string& id, const std::string& domain,
                   const std::vector<SmtpRecipientOutcome>& outcomes, const std::string& remote) {
    auto loaded = store_.load(id);
    if (!loaded) {
        return;
    }
    QueueEntry& entry = *loaded;
    const std::int64_t now = unix_now();
    for (const SmtpRecipientOutcome& o : outcomes) {
        for (QueueRecipient& r : entry.recipients) {
            if (r.address != o.recipient || r.state != RecipientState::pending ||
                recipient_domain(r.address) != domain) {
                continue;
            }
            r.attempts++;
            r.last_attempt = now;
            r.remote_mta = remote;
            r.last_reply = o.outcome.diagnostic();
            r.status = format_enhanced_status(o.outcome.status());
            switch (o.outcome.kind) {
                case SmtpOutcomeKind::delivered:
                    r.state = RecipientState::delivered;
                    log::info("relay", id + ": <" + r.address + "> delivered via " + remote + ": " +
                                           r.last_reply);
                    break;
                case SmtpOutcomeKind::permanent_failure:
                    r.state = RecipientState::failed;
                    log::info("relay", id + ": <" + r.address + "> refused by " + remote + ": " +
                                           r.last_reply);
                    break;
                case SmtpOutcomeKind::temporary_failure: {
                    auto verdict = apply_lifetime(FailureVerdict{false, r.status}, options_.retry,
                                                  entry.arrival, now);
                    if (verdict.permanent) {
                        r.state = RecipientState::failed;
                        r.status = verdict.status;
                    }
                    log::info("relay", id + ": <" + r.address + "> deferred" +
                                           (remote.empty() ? "" : " by " + remote) + ": " +
                                           r.last_reply);
                    break;
                }
            }
            break;
        }
    }
    entry.attempts++;
    entry.next_attempt = next_attempt(options_.retry, entry.arrival, entry.attempts, now,
                                      static_cast<std::uint32_t>(secure_random64()));
    finish(entry, now);
}

// Every pending recipient of the domain fails the same way (no host, no route).
void Relay::fail_all(const std::string& id, const std::string& domain, bool permanent,
                     const std::string& status, const std::string& text) {
    std::vector<SmtpRecipientOutcome> outcomes;
    auto loaded = store_.load(id);
    if (!loaded) {
        return;
    }
    const unsigned code = permanent ? 550 : 451;
    for (const QueueRecipient& r : loaded->recipients) {
        if (r.state == RecipientState::pending && recipient_domain(r.address) == domain) {
            SmtpOutcome outcome;
            outcome.kind =
                permanent ? SmtpOutcomeKind::permanent_failure : SmtpOutcomeKind::temporary_failure;
            unsigned k = 0, s = 0, d = 0;
            if (std::sscanf(status.c_str(), "%u.%u.%u", &k, &s, &d) == 3) {
                outcome.reply = smtp_reply(code, EnhancedStatus{k, s, d}, text);
            } else {
                outcome.reply = smtp_reply(code, text);
            }
            outcome.stage = SmtpStage::connection;
            outcome.local = true;
            outcomes.push_back(SmtpRecipientOutcome{r.address, outcome});
        }
    }
    record(id, domain, outcomes, "");
}

// After outcomes: reports for what failed (once each), a delay warning, then the entry is
// removed (nothing pending) or stored with its new state.
void Relay::finish(QueueEntry& entry, std::int64_t now) {
    std::vector<QueueRecipient> failed;
    for (QueueRecipient& r : entry.recipients) {
        if (r.state == RecipientState::failed && !r.notified) {
            failed.push_back(r);
            r.notified = true;
        }
    }
    if (!failed.empty()) {
        report(entry, failed, false, now);
    }
    if (!entry.done() &&
        should_warn(options_.retry, entry.arrival, now, entry.delay_warning_sent)) {
        std::vector<QueueRecipient> pending;
        for (const QueueRecipient& r : entry.recipients) {
            if (r.state == RecipientState::pending) {
                pending.push_back(r);
            }
        }
        report(entry, pending, true, now);
        entry.delay_warning_sent = true;
    }
    if (entry.done()) {
        if (auto removed = store_.remove(entry.id); !removed) {
            log::error("relay", removed.error().message);
        }
        return;
    }
    if (auto updated = store_.update(entry);
        !updated && updated.error().kind != QueueErrorKind::not_found) {
        log::error("relay", updated.error().message);
    }
}

// A DSN to the sender: into their Maildir when they are ours, else queued from <>.
void Relay::report(const QueueEntry& entry, const std::vector<QueueRecipient>& recipients,
                   bool delayed, std::int64_t now) {
    if (entry.mail_from.empty()) {
        log::info("relay", entry.id + ": a delivery report failed too; it is not reported");
        return;
    }
    auto data = store_.read_message(entry.id, options_.max_message_size);
    const std::string original = data ? std::move(*data) : std::string();
    BounceOptions options;
    options.action = delayed ? DsnAction::delayed : DsnAction::failed;
    options.id = bounce_id(entry.id, options.action, entry.attempts);
    options.reporting_mta = options_.hostname;
    options.now = now;
    options.message_id_left = random_hex(1);
    options.boundary_random = random_hex(2);
    options.will_retry_until = expiry_time(options_.retry, entry.arrival);
    auto bounce = compose_bounce(entry, recipients, original, options);
    if (!bounce) {
        log::error("relay",
                   entry.id + ": no delivery report: " + std::string(describe(bounce.error())));
        return;
    }
    if (auto user = mailboxes_->user_for(entry.mail_from)) {
        auto delivered = mailboxes_->deliver({*user}, bounce->message, unix_micros_now());
        if (!delivered) {
            log::error("relay",
                       entry.id + ": delivery report not stored: " + delivered.error().message);
        } else {
            log::info("relay", entry.id + ": delivery report to <" + entry.mail_from + ">");
        }
        return;
    }
    auto queued = store_.enqueue(bounce->entry, bounce->message);
    if (!queued && queued.error().kind != QueueErrorKind::exists) {
        log::error("relay", entry.id + ": delivery report not queued: " + queued.error().message);
        return;
    }
    log::info("relay", entry.id + ": delivery report to <" + entry.mail_from + "> queued as " +
                           bounce->entry.id);
    wake();
}

}  // namespace l7::mail
