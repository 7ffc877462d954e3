#include "dns/asio/recursive_server.hpp"

#include <asio/read.hpp>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "core/log.hpp"
#include "core/secure_random.hpp"
#include "dns/asio/iterative.hpp"
#include "dns/asio/server_common.hpp"
#include "dns/asio/udp_batch.hpp"
#include "dns/resolver/cache_walk.hpp"
#include "dns/resolver/client_query.hpp"
#include "net/timeout.hpp"

namespace l7::dns {

RecursiveResolver::RecursiveResolver(RecursiveSetup setup)
    : setup_(std::move(setup)),
      cache_(setup_.cache),
      upstream_(setup_.upstream),
      iterate_{cache_,        upstream_,      setup_.hints, setup_.upstream_port,
               setup_.limits, secure_random64},
      forward_{cache_, upstream_, setup_.forwarders, setup_.limits, secure_random64} {}

std::unique_ptr<Lookup> RecursiveResolver::lookup(const Question& question, TimePoint now,
                                                  bool refresh) {
    if (forwarding()) {
        return std::make_unique<Forwarding>(question, forward_, now, refresh);
    }
    return std::make_unique<Resolution>(question, iterate_, now, refresh);
}

Message RecursiveResolver::finish(const Lookup& lookup, const Question& question, TimePoint now) {
    counters_.upstream_queries += static_cast<std::uint64_t>(lookup.queries_sent());
    Message response = lookup.response();
    if (response.rcode() == Rcode::SERVFAIL && setup_.serve_stale) {
        // RFC 8767: when the upstreams fail, old data beats no data.
        CacheWalk walk = walk_cache(cache_, question.name, question.type, now,
                                    setup_.limits.max_cnames, /*allow_stale=*/true);
        if (walk.complete && !walk.too_long) {
            response.answers = std::move(walk.answers);
            response.authority = std::move(walk.authority);
            response.set_rcode(walk.rcode);
            ++counters_.stale_answers;
            log::info("dns", question.name.to_text() + " " + type_to_text(question.type) +
                                 ": upstream failed, answered with stale data");
        }
    }
    if (response.rcode() == Rcode::SERVFAIL) {
        ++counters_.servfail;
        log::info("dns", question.name.to_text() + " " + type_to_text(question.type) +
                             ": SERVFAIL after " + std::to_string(lookup.queries_sent()) +
                             " upstream queries");
    }
    return response;
}

std::string RecursiveResolver::control(std::string_view command) {
    std::istringstream in{std::string(command)};
    std::string verb;
    in >> verb;
    if (verb == "stats") {
        const CacheStats c = cache_.stats();
        std::ostringstream out;
        const auto line = [&out](const char* name, std::uint64_t value) {
            out << name << ": " << value << "\n";
        };
        line("queries", counters_.queries);
        line("cache_answers", counters_.cache_answers);
        line("resolutions", counters_.resolutions);
        line("coalesced", counters_.coalesced);
        line("upstream_queries", counters_.upstream_queries);
        line("refused", counters_.refused);
        line("errors", counters_.errors);
        line("servfail", counters_.servfail);
        line("stale_answers", counters_.stale_answers);
        line("prefetches", counters_.prefetches);
        line("dropped", counters_.dropped);
        line("hits", c.hits);
        line("misses", c.misses);
        line("negative_hits", c.negative_hits);
        line("evictions", c.evictions);
        line("entries", c.entries);
        line("bytes", c.bytes);
        return out.str();
    }
    if (verb == "dump") {
        std::string out;
        for (const std::string& record : cache_.dump(Clock::now())) {
            out += record;
            out += '\n';
        }
        return out;
    }
    if (verb == "flush-all") {
        const std::size_t entries = cache_.stats().entries;
        cache_.clear();
        return "flushed the whole cache (" + std::to_string(entries) + " entries)\n";
    }
    if (verb == "flush") {
        std::string name_text, option;
        in >> name_text >> option;
        auto name = Name::parse(name_text);
        if (name_text.empty() || !name || !(option.empty() || option == "--subtree")) {
            return "error: expected flush NAME [--subtree]\n";
        }
        const std::size_t removed = cache_.flush(*name, option == "--subtree");
        log::info("dns", "cache flush " + name->to_text() + (option.empty() ? "" : " --subtree") +
                             ": " + std::to_string(removed) + " entries");
        return "flushed " + std::to_string(removed) + (removed == 1 ? " entry" : " entries") +
               " for " + name->to_text() + (option.empty() ? "" : " and below") + "\n";
    }
    return "error: unknown command '" + verb +
           "' (expected stats, dump, flush NAME [--subtree], flush-all)\n";
}

namespace {

std::string question_key(const Question& q) {
    std::string key(q.name.wire_size(), '\0');
    wire_name::lowercase(q.name.wire(), key.data());
    key += static_cast<char>(to_int(q.type) >> 8);
    key += static_cast<char>(to_int(q.type) & 0xFF);
    return key;
}

// Answers from the cache alone, or nullopt. Asks for a prefetch through `prefetch`.
std::optional<Message> cached_answer(RecursiveResolver& resolver, const Question& q, TimePoint now,
                                     bool& prefetch) {
    CacheWalk walk =
        walk_cache(resolver.cache(), q.name, q.type, now, resolver.setup().limits.max_cnames);
    if (!walk.complete) {
        return std::nullopt;
    }
    prefetch = walk.prefetch && resolver.setup().prefetch;
    Message m;
    m.answers = std::move(walk.answers);
    m.authority = std::move(walk.authority);
    m.set_rcode(walk.rcode);
    return m;
}

// A question being resolved on this worker, and the clients waiting for its answer.
struct Waiter {
    ClientQuery query;
    asio::ip::udp::endpoint client;
};
struct UdpWorker {
    std::unordered_map<std::string, std::vector<Waiter>> pending;
    std::unordered_set<std::string> refreshing;
    std::size_t in_flight = 0;
};

asio::awaitable<void> resolve_for_udp(std::shared_ptr<asio::ip::udp::socket> sock,
                                      std::shared_ptr<UdpWorker> worker,
                                      std::shared_ptr<RecursiveResolver> resolver, std::string key,
                                      Question question, trace::Tracer& tracer) {
    auto lookup = resolver->lookup(question, Clock::now());
    co_await run_resolution(*lookup, tracer);
    const Message response = resolver->finish(*lookup, question, Clock::now());
    std::vector<Waiter> waiters;
    if (auto it = worker->pending.find(key); it != worker->pending.end()) {
        waiters = std::move(it->second);
        worker->pending.erase(it);
    }
    --worker->in_flight;
    std::vector<std::uint8_t> out(65535);
    for (const Waiter& w : waiters) {
        const std::size_t size = write_response(w.query, response, out);
        if (size == 0 || !sock->is_open()) {
            continue;
        }
        std::error_code ignored;
        sock->send_to(asio::buffer(out.data(), size), w.client, 0, ignored);
    }
}

asio::awaitable<void> refresh(std::shared_ptr<UdpWorker> worker,
                              std::shared_ptr<RecursiveResolver> resolver, std::string key,
                              Question question, trace::Tracer& tracer) {
    auto lookup = resolver->lookup(question, Clock::now(), /*refresh=*/true);
    co_await run_resolution(*lookup, tracer);
    resolver->counters().upstream_queries += static_cast<std::uint64_t>(lookup->queries_sent());
    worker->refreshing.erase(key);
    --worker->in_flight;
}

// What to do with one datagram: the reply size written now (0: none yet, or none at all).
std::size_t on_datagram(std::span<const std::uint8_t> wire, const asio::ip::udp::endpoint& from,
                        std::span<std::uint8_t> reply, RecursiveResolver& resolver,
                        std::shared_ptr<RecursiveResolver> shared,
                        std::shared_ptr<asio::ip::udp::socket> sock,
                        std::shared_ptr<UdpWorker> worker, net::Task& task,
                        const RecursiveOptions& options, trace::Tracer& tracer) {
    auto& counters = resolver.counters();
    ++counters.queries;
    if (!options.allow.allows(from.address())) {
        ++counters.refused;
        const auto header = read_header(wire);
        if (!header || header->qr) {
            return 0;
        }
        return error_response(wire, Rcode::REFUSED, reply);
    }
    const QueryCheck check = check_client_query(wire, Transport::udp, options.max_udp_size);
    if (!check.query) {
        if (!check.drop) {
            ++counters.errors;
            log::debug("dns", endpoint_text(from) + ": answered " + rcode_to_text(check.error));
        }
        return write_error(wire, check, reply);
    }
    const ClientQuery& q = *check.query;
    const TimePoint now = Clock::now();
    bool prefetch = false;
    if (auto cached = cached_answer(resolver, q.question, now, prefetch)) {
        ++counters.cache_answers;
        if (prefetch && worker->in_flight < options.max_resolutions_per_worker) {
            std::string key = question_key(q.question);
            if (worker->refreshing.insert(key).second) {
                ++counters.prefetches;
                ++worker->in_flight;
                task.group().spawn([=, &tracer](net::Task&) {
                    return refresh(worker, shared, key, q.question, tracer);
                });
            }
        }
        return write_response(q, *cached, reply);
    }
    std::string key = question_key(q.question);
    if (auto it = worker->pending.find(key); it != worker->pending.end()) {
        if (it->second.size() < 64) {  // more would only amplify a flood of duplicates
            ++counters.coalesced;
            it->second.push_back({q, from});
        }
        return 0;
    }
    if (worker->in_flight >= options.max_resolutions_per_worker) {
        ++counters.dropped;  // overloaded: the client will retry
        return 0;
    }
    ++counters.resolutions;
    ++worker->in_flight;
    worker->pending[key].push_back({q, from});
    task.group().spawn([=, &tracer](net::Task&) {
        return resolve_for_udp(sock, worker, shared, key, q.question, tracer);
    });
    return 0;
}

asio::awaitable<void> serve_udp(std::shared_ptr<asio::ip::udp::socket> sock, net::Task& task,
                                std::shared_ptr<RecursiveResolver> resolver,
                                std::shared_ptr<const RecursiveOptions> options,
                                trace::Tracer& tracer) {
    constexpr std::size_t kSlots = 16;
    constexpr int kBatchesPerWake = 16;
    UdpBatch batch(kSlots, std::max<std::size_t>(options->max_udp_size, 512));
    auto worker = std::make_shared<UdpWorker>();
    auto guard = task.on_interrupt([sock] {
        std::error_code ignored;
        sock->cancel(ignored);
    });
    while (sock->is_open() && !task.draining()) {
        task.set_idle(true);
        auto [ec] =
            co_await sock->async_wait(asio::socket_base::wait_read, net::as_tuple_awaitable);
        task.set_idle(false);
        if (ec == asio::error::operation_aborted || !sock->is_open()) {
            break;
        }
        if (ec) {
            continue;
        }
        for (int round = 0; round < kBatchesPerWake; ++round) {
            std::error_code receive_error;
            const std::size_t n = batch.receive(sock->native_handle(), receive_error);
            for (std::size_t i = 0; i < n; ++i) {
                const auto query = batch.datagram(i);
                const auto reply = batch.reply_buffer(i);
                const auto sender = batch.sender(i);
                std::size_t size = 0;
                if (batch.truncated(i)) {
                    size = error_response(query, Rcode::FORMERR, reply);
                } else {
                    size = on_datagram(query, sender, reply, *resolver, resolver, sock, worker,
                                       task, *options, tracer);
                }
                if (tracer.enabled() && size > 0) {
                    trace_exchange(tracer, "dns", endpoint_text(sender),
                                   trace::Tracer::next_connection_id(), query,
                                   std::span<const std::uint8_t>(reply.data(), size));
                }
                batch.set_reply(i, size);
            }
            (void)batch.send(sock->native_handle());
            if (n < batch.slots()) {
                break;
            }
        }
    }
}

asio::awaitable<void> serve_tcp(asio::ip::tcp::socket sock, net::Task& task,
                                std::shared_ptr<RecursiveResolver> resolver,
                                std::shared_ptr<const RecursiveOptions> options,
                                trace::Tracer& tracer) {
    std::error_code ec;
    const auto remote = sock.remote_endpoint(ec);
    const std::string peer = ec ? "?" : endpoint_text(remote);
    const std::uint64_t conn = trace::Tracer::next_connection_id();
    auto guard = task.on_interrupt([&sock] {
        std::error_code ignored;
        sock.cancel(ignored);
    });
    auto& counters = resolver->counters();
    std::vector<std::uint8_t> in(65535);
    std::vector<std::uint8_t> out(2 + 65535);
    while (!task.draining()) {
        std::uint8_t prefix[2];
        task.set_idle(true);
        auto got = co_await net::with_timeout(
            asio::async_read(sock, asio::buffer(prefix), net::as_tuple_awaitable),
            options->tcp_idle_timeout);
        task.set_idle(false);
        if (!got || std::get<0>(*got)) {
            break;
        }
        const std::size_t length = static_cast<std::size_t>(prefix[0] << 8 | prefix[1]);
        auto body = co_await net::with_timeout(
            asio::async_read(sock, asio::buffer(in.data(), length), net::as_tuple_awaitable),
            options->tcp_idle_timeout);
        if (!body || std::get<0>(*body)) {
            break;
        }
        const auto query = std::span<const std::uint8_t>(in.data(), length);
        const auto reply = std::span(out).subspan(2);
        ++counters.queries;
        std::size_t size = 0;
        if (!options->allow.allows(remote.address())) {
            ++counters.refused;
            size = error_response(query, Rcode::REFUSED, reply);
        } else {
            const QueryCheck check = check_client_query(query, Transport::tcp, 65535);
            if (!check.query) {
                counters.errors += check.drop ? 0 : 1;
                size = write_error(query, check, reply);
            } else {
                const ClientQuery& q = *check.query;
                bool prefetch = false;
                if (auto cached = cached_answer(*resolver, q.question, Clock::now(), prefetch)) {
                    ++counters.cache_answers;
                    size = write_response(q, *cached, reply);
                } else {
                    ++counters.resolutions;
                    auto lookup = resolver->lookup(q.question, Clock::now());
                    co_await run_resolution(*lookup, tracer);
                    size = write_response(q, resolver->finish(*lookup, q.question, Clock::now()),
                                          reply);
                }
            }
        }
        if (tracer.enabled()) {
            trace_exchange(tracer, "dns-tcp", peer, conn, query,
                           std::span<const std::uint8_t>(reply.data(), size));
        }
        if (size > 0 && !co_await write_framed(sock, out, size)) {
            break;
        }
    }
    sock.shutdown(asio::socket_base::shutdown_send, ec);
    sock.close(ec);
}

}  // namespace

BoundServer start_recursive_server(net::Runtime& runtime, const RecursiveOptions& options,
                                   std::shared_ptr<RecursiveResolver> resolver,
                                   trace::Tracer& tracer) {
    BoundServer bound;
    auto shared_options = std::make_shared<const RecursiveOptions>(options);
    for (const HostPort& requested : options.listen) {
        auto udp_loop = [resolver, shared_options, &tracer](
                            std::shared_ptr<asio::ip::udp::socket> sock,
                            net::Task& task) -> asio::awaitable<void> {
            return serve_udp(std::move(sock), task, resolver, shared_options, tracer);
        };
        auto tcp_handler = [resolver, shared_options, &tracer](
                               asio::ip::tcp::socket sock,
                               net::Task& task) -> asio::awaitable<void> {
            return serve_tcp(std::move(sock), task, resolver, shared_options, tracer);
        };
        const BoundPair pair = listen_udp_and_tcp(runtime, requested, udp_loop, tcp_handler,
                                                  options.max_tcp_connections, "dns resolver");
        bound.udp.push_back(pair.udp);
        bound.tcp.push_back(pair.tcp);
    }
    return bound;
}

}  // namespace l7::dns
