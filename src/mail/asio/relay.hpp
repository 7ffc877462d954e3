#pragma once
// The mail server's outgoing side: mail for other domains waits in the queue on disk
// (mail/queue/queue_store.hpp) and a runner on one worker thread delivers it.
//
// Theory of operation
//
//   SMTP server ──enqueue()──> QUEUE/env/ID + data/ID (fsynced before the 250)
//                                   │
//   runner: every scan, the entries whose next attempt is due, grouped by recipient domain
//                                   │
//   per domain: MX lookup (route_mail: preference order, the domain itself without MX,
//   ourselves and worse MXs dropped) ─> for each host: its addresses, connect (30 s), one
//   SMTP client session carrying every due message for the domain (run_smtp_client)
//                                   │
//   per message: the recipients' outcomes recorded at once (update(): a recipient marked
//   delivered is never sent again, even after a crash); temporary failures wait for the
//   retry schedule (retry.hpp: 5 min doubling to 1 h, for 5 days), permanent ones and
//   expired ones are reported to the sender in a DSN (dsn.hpp): into the sender's Maildir
//   when the sender is local, else queued like any other mail (from <>); a finished message
//   is removed.
//
// A host that cannot be reached, or whose connection ends before a message was handed to
// it, gives way to the next host; messages no host took fail temporarily ("4.4.1"). Only
// one process may use a queue directory. A message and its domain are delivered by one
// task at a time; the runner thread alone updates envelopes, so no update is lost.

#include <asio/steady_timer.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/endpoint.hpp"
#include "core/trace/tracer.hpp"
#include "mail/asio/mailboxes.hpp"
#include "mail/queue/queue_store.hpp"
#include "mail/queue/retry.hpp"
#include "mail/smtp/client_session.hpp"
#include "net/runtime.hpp"

namespace l7::dns {
class StubResolver;
}

namespace l7::mail {

struct RelayOptions {
    std::filesystem::path queue_dir;
    std::string hostname;                // EHLO, Reporting-MTA, the bounces' From
    std::vector<std::string> own_names;  // MX names that are us (hostname is one)
    RetryPolicy retry;
    std::uint16_t port = 25;            // where MX hosts listen (the lab moves it)
    std::optional<HostPort> smarthost;  // every message to this server instead of MX
    std::vector<HostPort> resolvers;    // empty: the process's stub resolver (L7_RESOLVER)
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
    std::chrono::milliseconds reply_timeout_cap{0};  // 0: RFC 5321's timeouts
    std::chrono::milliseconds scan_interval{std::chrono::seconds(5)};
    std::size_t max_domains_in_flight = 8;
    std::uint64_t max_message_size = 64ULL << 20;
};

class Relay : public std::enable_shared_from_this<Relay> {
  public:
    // Creates the queue directory and clears what a crash left (recover()). The error is one
    // sentence naming the directory or resolver.
    static Result<std::shared_ptr<Relay>> create(RelayOptions options,
                                                 std::shared_ptr<Mailboxes> mailboxes,
                                                 trace::Tracer& tracer);
    ~Relay();

    // Stores a message for its recipients (the entry's id, arrival and next attempt are set
    // here) durably, and wakes the runner. Any thread.
    Result<QueueEntry, QueueError> enqueue(QueueEntry entry, std::string_view message);
    // Deletes a message from the queue (after its local copies failed). Any thread.
    void cancel(const std::string& id);

    // Starts the runner on the runtime's first worker.
    void start(net::Runtime& runtime);
    // Look at the queue now (after enqueue, or `l7 mail queue flush`). Any thread.
    void wake();

    const QueueStore& store() const { return store_; }

  private:
    Relay(RelayOptions options, std::shared_ptr<Mailboxes> mailboxes, trace::Tracer& tracer,
          dns::StubResolver* resolver, std::unique_ptr<dns::StubResolver> own_resolver);
    struct Delivery;

    asio::awaitable<void> run(net::Task& task);
    std::int64_t scan(net::Worker& worker);
    asio::awaitable<void> deliver_domain(std::string domain, std::vector<std::string> ids);
    void record(const std::string& id, const std::string& domain,
                const std::vector<SmtpRecipientOutcome>& outcomes, const std::string& remote);
    void fail_all(const std::string& id, const std::string& domain, bool permanent,
                  const std::string& status, const std::string& text);
    void finish(QueueEntry& entry, std::int64_t now);
    void report(const QueueEntry& entry, const std::vector<QueueRecipient>& recipients,
                bool delayed, std::int64_t now);

    RelayOptions options_;
    std::shared_ptr<Mailboxes> mailboxes_;
    trace::Tracer& tracer_;
    QueueStore store_;
    QueueIdGenerator ids_;
    dns::StubResolver* resolver_;
    std::unique_ptr<dns::StubResolver> own_resolver_;

    std::mutex wake_mutex_;  // guards worker_ and timer_ for wake() from other threads
    net::Worker* worker_ = nullptr;
    asio::steady_timer* timer_ = nullptr;
    bool woken_ = false;

    // Runner thread only.
    std::set<std::pair<std::string, std::string>> in_flight_;  // (id, domain)
    std::size_t domains_in_flight_ = 0;
};

}  // namespace l7::mail
