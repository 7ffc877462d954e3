#include "dns/asio/stub_resolver.hpp"

#include <algorithm>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/address.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <system_error>

#include "core/secure_random.hpp"
#include "core/trace/tracer.hpp"
#include "dns/asio/client.hpp"
#include "dns/resolver/stub_question.hpp"
#include "dns/resolver/stub_search.hpp"

// The drivers of the stub resolver. The rules are in l7_dns (stub_question.hpp for one
// question, stub_search.hpp around it); here are the transports, the clock, the random
// source, the files, and the one mutex that lets threads share the cache.

namespace l7::dns {

namespace detail {

// Everything a StubResolver holds, behind one pointer so the resolver can move while its
// coroutines (which hold a reference to this) run.
struct StubState {
    StubOptions options;  // transports filled in
    ResolvConf conf;
    HostsFile hosts;
    StubSettings settings;  // the servers and how to ask them; every question borrows it
    bool caching = true;
    std::vector<std::string> warnings;

    mutable std::mutex mutex;  // guards the members below
    Cache cache;
    std::size_t rotation = 0;

    // Query ids an off-path attacker must not predict (core/secure_random.hpp).
    std::uint64_t random() {
        if (!options.random) {
            return secure_random64();
        }
        std::lock_guard lock(mutex);
        return options.random();
    }
    TimePoint now() const { return options.clock ? options.clock() : Clock::now(); }
};

}  // namespace detail

namespace {

using detail::StubState;

// What one small RRset costs in the Cache's own accounting (its entry, index node, key and
// rdata): the factor from StubOptions::cache_entries to CacheLimits::max_bytes.
constexpr std::size_t kCacheBytesPerEntry = 512;

// A question starts under the lock: it takes its turn in the rotation and reads the cache.
StubQuestion begin_question(StubState& s, const Name& name, RRType type) {
    std::lock_guard lock(s.mutex);
    std::size_t first = 0;
    if (s.conf.rotate && !s.settings.servers.empty()) {
        first = s.rotation++;
    }
    return StubQuestion(name, type, s.settings, s.caching ? &s.cache : nullptr, first, s.now());
}

// The next query of a question that is not done, with a fresh random id (drawn outside the
// lock: the random source takes it itself).
StubQuery next_query(StubState& s, StubQuestion& question) {
    auto query = question.poll_request(static_cast<std::uint16_t>(s.random()));
    // StubQuestion's invariant: not done and nothing in flight means a query.
    return std::move(query).value();
}

StubRequest to_request(StubQuery& q) {
    return StubRequest{std::move(q.query), q.server, q.timeout};
}

// What the transport gave back, into the question: a reply under the lock (it may fill the
// cache or start a CNAME target from it), or the transport's sentence naming the server.
void deliver(StubState& s, StubQuestion& question, std::uint64_t token,
             const Result<Message>& reply) {
    if (!reply) {
        question.on_failure(token, reply.error().message);
        return;
    }
    std::lock_guard lock(s.mutex);
    question.on_reply(token, *reply, s.now());
}

// The two drivers of one question: the blocking transport, or the coroutine one. A transport
// that throws (no socket for the server's address family, say) counts as a failed try.
StubOutcome ask(StubState& s, const Name& name, RRType type) {
    StubQuestion question = begin_question(s, name, type);
    while (!question.done()) {
        StubQuery query = next_query(s, question);
        Result<Message> reply = make_error("");
        try {
            reply = s.options.transport(to_request(query));
        } catch (const std::system_error& e) {
            reply = make_error("cannot ask " + query.server.to_string() + ": " + e.what());
        }
        deliver(s, question, query.token, reply);
    }
    return question.take_outcome();
}

asio::awaitable<StubOutcome> async_ask(StubState& s, Name name, RRType type) {
    StubQuestion question = begin_question(s, name, type);
    while (!question.done()) {
        StubQuery query = next_query(s, question);
        Result<Message> reply = make_error("");
        try {
            reply = co_await s.options.async_transport(to_request(query));
        } catch (const std::system_error& e) {
            reply = make_error("cannot ask " + query.server.to_string() + ": " + e.what());
        }
        deliver(s, question, query.token, reply);
    }
    co_return question.take_outcome();
}

// `host` as an IP address literal, when it is one. Asio parses it: it knows the scope ids of
// link-local IPv6 addresses ("fe80::1%eth0"), which depend on the machine's interfaces.
std::optional<AddressLiteral> address_literal(std::string_view host) {
    std::error_code ec;
    const auto literal = asio::ip::make_address(std::string(host), ec);
    if (ec) {
        return std::nullopt;
    }
    return AddressLiteral{literal.is_v6(), literal.to_string()};
}

// The default transports: dns::exchange and dns::async_exchange, one UDP try (the resolver
// does its own rounds over the servers), TCP when the reply is truncated.
ExchangeOptions exchange_options(const StubRequest& r) {
    ExchangeOptions o;
    o.server = r.server;
    o.timeout = r.timeout;
    o.tries = 1;
    return o;
}

Result<Message> blocking_exchange(const StubRequest& r, trace::Tracer& tracer) {
    auto e = exchange(r.query, exchange_options(r), tracer);
    if (!e) {
        return e.error();
    }
    return std::move(e->reply);
}

asio::awaitable<Result<Message>> coroutine_exchange(StubRequest r, trace::Tracer* tracer) {
    const ExchangeOptions options = exchange_options(r);
    auto e = co_await async_exchange(std::move(r.query), options, *tracer);
    if (!e) {
        co_return e.error();
    }
    co_return std::move(e->reply);
}

trace::Tracer& silent_tracer() {
    static trace::Tracer tracer;  // no sinks: traces nothing
    return tracer;
}

// Why a file that exists cannot be read; nullopt when it can, or when it is missing (glibc's
// defaults then apply).
std::optional<std::string> unreadable(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        return std::nullopt;
    }
    if (std::filesystem::is_directory(path, ec)) {
        return "it is a directory";
    }
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return std::strerror(errno != 0 ? errno : EIO);
    }
    return std::nullopt;
}

}  // namespace

Result<StubResolver> StubResolver::create(StubOptions options) {
    std::vector<std::string> warnings;
    ResolvConf conf = parse_resolv_conf("");
    if (const std::string& path = options.resolv_conf_path; !path.empty()) {
        if (auto why = unreadable(path)) {
            return make_error("cannot read resolver configuration '" + path + "': " + *why);
        }
        conf = load_resolv_conf(path);
        for (const std::string& w : conf.warnings) {
            warnings.push_back(path + ": " + w);
        }
    }
    HostsFile hosts;
    if (const std::string& path = options.hosts_path; !path.empty()) {
        auto loaded = load_hosts_file(path);
        if (!loaded) {
            return loaded.error();
        }
        hosts = std::move(*loaded);
        for (const std::string& w : hosts.warnings()) {
            warnings.push_back(path + ": " + w);
        }
    }
    for (const HostPort& server : options.servers) {
        if (!server.is_address_literal()) {
            return make_error("server '" + server.to_string() +
                              "' is not an IP address (a stub resolver cannot look up its own "
                              "servers)");
        }
    }
    StubResolver resolver(std::move(options), std::move(conf), std::move(hosts));
    resolver.state_->warnings = std::move(warnings);
    return Result<StubResolver>(std::move(resolver));
}

StubResolver::StubResolver(StubOptions options, ResolvConf conf, HostsFile hosts)
    : state_(std::make_unique<detail::StubState>()) {
    StubState& s = *state_;
    s.options = std::move(options);
    s.conf = std::move(conf);
    s.hosts = std::move(hosts);
    s.settings.servers = s.options.servers.empty() ? s.conf.nameservers : s.options.servers;
    s.settings.timeout = s.options.timeout.value_or(std::chrono::seconds(s.conf.timeout_seconds));
    s.settings.attempts =
        std::clamp(s.options.attempts.value_or(s.conf.attempts), 1u, kMaxAttempts);
    s.settings.edns0 = s.conf.edns0;
    s.caching = s.options.cache_entries > 0;
    CacheLimits limits;
    limits.max_bytes = std::max<std::size_t>(s.options.cache_entries, 1) * kCacheBytesPerEntry;
    limits.stale_window = std::chrono::seconds(0);  // a stub never serves stale data
    s.cache = Cache(limits);
    trace::Tracer* tracer = s.options.tracer != nullptr ? s.options.tracer : &silent_tracer();
    if (!s.options.transport) {
        s.options.transport = [tracer](const StubRequest& r) {
            return blocking_exchange(r, *tracer);
        };
    }
    if (!s.options.async_transport) {
        // The lambda only forwards: a coroutine lambda's captures would die with the call.
        s.options.async_transport = [tracer](StubRequest r) {
            return coroutine_exchange(std::move(r), tracer);
        };
    }
}

StubResolver::StubResolver(StubResolver&&) noexcept = default;
StubResolver& StubResolver::operator=(StubResolver&&) noexcept = default;
StubResolver::~StubResolver() = default;

StubResult<std::vector<std::string>> StubResolver::lookup_addresses(std::string_view host,
                                                                    AddressFamily family) {
    StubState& s = *state_;
    if (auto early = addresses_without_dns(host, family, address_literal(host), s.hosts)) {
        return std::move(*early);
    }
    auto search = AddressSearch::start(host, family, s.conf);
    if (!search) {
        return search.error();
    }
    while (const Name* name = search->next_name()) {
        std::vector<StubOutcome> outcomes;
        for (const RRType type : search->types()) {
            outcomes.push_back(ask(s, *name, type));
        }
        search->add(std::move(outcomes));
    }
    return std::move(*search).result();
}

StubResult<std::vector<MxTarget>> StubResolver::lookup_mx(std::string_view domain) {
    auto name = absolute_name(domain);
    if (!name) {
        return name.error();
    }
    StubState& s = *state_;
    return mx_result(ask(s, *name, RRType::MX), [&s] { return s.random(); });
}

StubResult<std::vector<SrvTarget>> StubResolver::lookup_srv(std::string_view service_name) {
    auto name = absolute_name(service_name);
    if (!name) {
        return name.error();
    }
    StubState& s = *state_;
    return srv_result(ask(s, *name, RRType::SRV), [&s] { return s.random(); });
}

asio::awaitable<StubResult<std::vector<std::string>>> StubResolver::async_lookup_addresses(
    std::string host, AddressFamily family) {
    using namespace asio::experimental::awaitable_operators;
    StubState& s = *state_;
    if (auto early = addresses_without_dns(host, family, address_literal(host), s.hosts)) {
        co_return std::move(*early);
    }
    auto search = AddressSearch::start(host, family, s.conf);
    if (!search) {
        co_return search.error();
    }
    while (const Name* name = search->next_name()) {
        const std::vector<RRType>& types = search->types();
        std::vector<StubOutcome> outcomes;
        if (types.size() == 2) {
            // Both families at once (RFC 8305 section 3), so a slow AAAA does not delay A.
            auto [first, second] =
                co_await (async_ask(s, *name, types[0]) && async_ask(s, *name, types[1]));
            outcomes.push_back(std::move(first));
            outcomes.push_back(std::move(second));
        } else {
            outcomes.push_back(co_await async_ask(s, *name, types.front()));
        }
        search->add(std::move(outcomes));
    }
    co_return std::move(*search).result();
}

asio::awaitable<StubResult<std::vector<MxTarget>>> StubResolver::async_lookup_mx(
    std::string domain) {
    auto name = absolute_name(domain);
    if (!name) {
        co_return name.error();
    }
    StubState& s = *state_;
    const StubOutcome o = co_await async_ask(s, *name, RRType::MX);
    co_return mx_result(o, [&s] { return s.random(); });
}

asio::awaitable<StubResult<std::vector<SrvTarget>>> StubResolver::async_lookup_srv(
    std::string service_name) {
    auto name = absolute_name(service_name);
    if (!name) {
        co_return name.error();
    }
    StubState& s = *state_;
    const StubOutcome o = co_await async_ask(s, *name, RRType::SRV);
    co_return srv_result(o, [&s] { return s.random(); });
}

const std::vector<HostPort>& StubResolver::servers() const {
    return state_->settings.servers;
}

const ResolvConf& StubResolver::resolv_conf() const {
    return state_->conf;
}

const std::vector<std::string>& StubResolver::warnings() const {
    return state_->warnings;
}

CacheStats StubResolver::cache_stats() const {
    std::lock_guard lock(state_->mutex);
    return state_->cache.stats();
}

void StubResolver::clear_cache() {
    std::lock_guard lock(state_->mutex);
    state_->cache.clear();
}

}  // namespace l7::dns
