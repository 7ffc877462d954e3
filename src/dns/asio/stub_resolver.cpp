#include "dns/asio/stub_resolver.hpp"

#include <algorithm>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/address.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <system_error>

#include "core/secure_random.hpp"
#include "core/trace/tracer.hpp"
#include "dns/asio/client.hpp"
#include "dns/rdata.hpp"

namespace l7::dns {

namespace detail {

// Everything a StubResolver holds, behind one pointer so the resolver can move while its
// coroutines (which hold a reference to this) run.
struct StubState {
    StubOptions options;  // transports and random filled in
    ResolvConf conf;
    HostsFile hosts;
    std::vector<HostPort> servers;
    std::chrono::milliseconds timeout{0};
    std::size_t attempts = 1;
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

// Links of a CNAME chain followed for one question, in replies and cache together (BIND's
// and Unbound's resolvers stop at about this many too).
constexpr int kMaxCnameLinks = 8;
// What one small RRset costs in the Cache's own accounting (its entry, index node, key and
// rdata): the factor from StubOptions::cache_entries to CacheLimits::max_bytes.
constexpr std::size_t kCacheBytesPerEntry = 512;
// Names listed in a "does not exist" sentence before "and N more".
constexpr std::size_t kNamesInMessage = 4;

std::string_view as_text(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::uint16_t read_u16(const Bytes& b, std::size_t at) {
    return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

// What one (name, type) question came to.
struct Outcome {
    enum class Kind { data, no_such_name, no_data, failed };
    Kind kind = Kind::failed;
    Name asked;
    RRType type = RRType::A;
    std::vector<Bytes> rdatas;         // data: the RRset where the CNAME chain ended
    std::vector<std::string> reasons;  // failed: the last thing each server did
};

// One question asked of the servers in turn, as a resumable task: next() gives the query to
// send (or nothing when the question is settled), handle() takes what came back. The
// blocking and the coroutine drivers below share it; it never does I/O itself.
class QuestionRun {
  public:
    QuestionRun(StubState& s, const Name& name, RRType type)
        : s_(s), reasons_(s.servers.size()), bad_(s.servers.size(), false) {
        outcome_.asked = name;
        outcome_.type = type;
        if (s_.conf.rotate && !s_.servers.empty()) {
            std::lock_guard lock(s_.mutex);
            start_ = s_.rotation++ % s_.servers.size();
        }
        restart(name);
    }

    std::optional<StubRequest> next() {
        const std::size_t n = s_.servers.size();
        while (!done_ && position_ < n * s_.attempts) {
            const std::size_t i = (start_ + position_) % n;
            ++position_;
            if (bad_[i]) {
                continue;
            }
            in_flight_ = i;
            StubRequest r;
            r.query.header.id = id_ = static_cast<std::uint16_t>(s_.random());
            r.query.header.rd = true;
            r.query.questions.push_back({current_, outcome_.type, RRClass::IN});
            if (s_.conf.edns0) {
                r.query.edns = Edns{};
            }
            r.server = s_.servers[i];
            r.timeout = s_.timeout;
            return r;
        }
        if (!done_) {
            settle(Outcome::Kind::failed);
        }
        return std::nullopt;
    }

    void handle(const Result<Message>& reply) {
        if (!reply) {
            reasons_[in_flight_] = reply.error().message;  // a timeout: asked again next round
            return;
        }
        const Message& m = *reply;
        const std::string who = s_.servers[in_flight_].to_string();
        if (!m.header.qr || m.header.id != id_) {
            give_up_on_server(who + " sent a reply that does not match the query");
            return;
        }
        const Rcode rcode = m.rcode();
        if (rcode != Rcode::NOERROR && rcode != Rcode::NXDOMAIN) {
            give_up_on_server(who + " answered " + rcode_to_text(rcode));
            return;
        }
        if (m.questions.size() != 1 || !(m.questions[0].name == current_) ||
            m.questions[0].type != outcome_.type || m.questions[0].klass != RRClass::IN) {
            give_up_on_server(who + " sent a reply to another question");
            return;
        }
        if (m.header.tc) {
            // RFC 2181 section 9: a truncated reply is not to be used (the transport retries
            // over TCP; one that did not leaves nothing trustworthy).
            give_up_on_server(who + " sent a truncated reply");
            return;
        }
        take_reply(m, who);
    }

    Outcome take() { return std::move(outcome_); }

  private:
    struct Link {  // one CNAME of a reply's chain
        Name owner;
        Bytes rdata;
        std::uint32_t ttl = 0;
    };

    // A new name to settle: the start of the question, or a CNAME target to chase.
    void restart(const Name& name) {
        current_ = name;
        position_ = 0;
        std::fill(bad_.begin(), bad_.end(), false);
        std::fill(reasons_.begin(), reasons_.end(), std::string());
        from_cache();
    }

    // Settles the question from the cache when it can, following cached CNAMEs.
    void from_cache() {
        if (!s_.caching) {
            return;
        }
        std::lock_guard lock(s_.mutex);
        const TimePoint now = s_.now();
        while (true) {
            if (auto hit = s_.cache.get(current_, outcome_.type, now)) {
                if (!hit->negative) {
                    settle(Outcome::Kind::data, std::move(hit->rdatas));
                } else {
                    settle(hit->rcode == Rcode::NXDOMAIN ? Outcome::Kind::no_such_name
                                                         : Outcome::Kind::no_data);
                }
                return;
            }
            const auto link = s_.cache.get(current_, RRType::CNAME, now);
            if (!link || link->negative || link->rdatas.empty()) {
                return;
            }
            auto target = Name::from_wire(as_text(link->rdatas.front()));
            if (!target) {
                return;
            }
            if (!follow_link(*target)) {
                return;
            }
        }
    }

    // One more CNAME link; false (and the question failed) when the chain is too long.
    bool follow_link(const Name& target) {
        if (links_ == kMaxCnameLinks) {
            outcome_.reasons = {"the CNAME chain from " + outcome_.asked.to_text() +
                                " is longer than " + std::to_string(kMaxCnameLinks) + " links"};
            done_ = true;
            outcome_.kind = Outcome::Kind::failed;
            return false;
        }
        ++links_;
        current_ = target;
        return true;
    }

    void take_reply(const Message& m, const std::string& who) {
        const Trust trust = m.header.aa ? Trust::answer_auth : Trust::answer;
        const Name start = current_;
        std::vector<Link> chain;
        std::vector<Bytes> rdatas;
        std::uint32_t ttl = std::numeric_limits<std::uint32_t>::max();
        while (true) {
            for (const ResourceRecord& rr : m.answers) {
                if (rr.type == outcome_.type && rr.klass == RRClass::IN && rr.owner == current_) {
                    rdatas.push_back(rr.rdata);
                    ttl = std::min(ttl, rr.ttl);
                }
            }
            if (!rdatas.empty()) {
                break;
            }
            const auto cname =
                std::find_if(m.answers.begin(), m.answers.end(), [&](const auto& rr) {
                    return rr.type == RRType::CNAME && rr.klass == RRClass::IN &&
                           rr.owner == current_;
                });
            if (cname == m.answers.end()) {
                break;
            }
            auto target = Name::from_wire(as_text(cname->rdata));
            if (!target) {
                break;
            }
            chain.push_back({current_, cname->rdata, cname->ttl});
            if (!follow_link(*target)) {
                return;
            }
        }
        const auto soa = std::find_if(m.authority.begin(), m.authority.end(),
                                      [](const auto& rr) { return rr.type == RRType::SOA; });
        const bool has_soa = soa != m.authority.end();
        const bool nxdomain = m.rcode() == Rcode::NXDOMAIN;
        if (rdatas.empty() && !nxdomain && !has_soa) {
            if (!(current_ == start)) {
                // The reply stops at a CNAME whose target it does not settle (an authoritative
                // server answering for its own zone only): ask for the target.
                store(chain, trust, {}, 0, nullptr, Rcode::NOERROR);
                restart(current_);
                return;
            }
            const bool referral = !m.header.aa && m.answers.empty() &&
                                  std::any_of(m.authority.begin(), m.authority.end(),
                                              [](const auto& rr) { return rr.type == RRType::NS; });
            if (referral) {
                give_up_on_server(who +
                                  " sent a referral instead of an answer (it does not "
                                  "resolve recursively)");
                return;
            }
        }
        store(chain, trust, rdatas, ttl, has_soa ? &*soa : nullptr,
              nxdomain ? Rcode::NXDOMAIN : Rcode::NOERROR);
        if (!rdatas.empty()) {
            settle(Outcome::Kind::data, std::move(rdatas));
        } else {
            settle(nxdomain ? Outcome::Kind::no_such_name : Outcome::Kind::no_data);
        }
    }

    // Caches the chain's CNAMEs and the answer where it ends: the RRset, or the negative
    // answer when the reply carries a SOA (RFC 2308 section 5; without one it is not cached).
    void store(const std::vector<Link>& chain, Trust trust, const std::vector<Bytes>& rdatas,
               std::uint32_t ttl, const ResourceRecord* soa, Rcode rcode) {
        if (!s_.caching) {
            return;
        }
        std::lock_guard lock(s_.mutex);
        const TimePoint now = s_.now();
        for (const Link& link : chain) {
            s_.cache.put(link.owner, RRType::CNAME, {link.rdata}, link.ttl, trust, now);
        }
        if (!rdatas.empty()) {
            s_.cache.put(current_, outcome_.type, rdatas, ttl, trust, now);
        } else if (soa != nullptr) {
            s_.cache.put_negative(current_, outcome_.type, rcode, *soa, now);
        }
    }

    void give_up_on_server(std::string reason) {
        bad_[in_flight_] = true;
        reasons_[in_flight_] = std::move(reason);
    }

    void settle(Outcome::Kind kind, std::vector<Bytes> rdatas = {}) {
        done_ = true;
        outcome_.kind = kind;
        outcome_.rdatas = std::move(rdatas);
        if (kind == Outcome::Kind::failed) {
            for (std::string& r : reasons_) {
                if (!r.empty()) {
                    outcome_.reasons.push_back(std::move(r));
                }
            }
            if (outcome_.reasons.empty()) {
                outcome_.reasons.push_back("there is no server to ask");
            }
        }
    }

    StubState& s_;
    Outcome outcome_;
    Name current_;
    int links_ = 0;
    bool done_ = false;
    std::size_t start_ = 0;     // the server asked first (options rotate)
    std::size_t position_ = 0;  // tries so far, over all rounds
    std::size_t in_flight_ = 0;
    std::uint16_t id_ = 0;
    std::vector<std::string> reasons_;  // per server
    std::vector<bool> bad_;             // per server: not to be asked again
};

// The drivers: the same task, run with the blocking or the coroutine transport. A transport
// that throws (no socket for the server's address family, say) counts as a failed try.
Outcome ask(StubState& s, const Name& name, RRType type) {
    QuestionRun run(s, name, type);
    while (auto request = run.next()) {
        Result<Message> reply = make_error("");
        try {
            reply = s.options.transport(*request);
        } catch (const std::system_error& e) {
            reply = make_error("cannot ask " + request->server.to_string() + ": " + e.what());
        }
        run.handle(reply);
    }
    return run.take();
}

asio::awaitable<Outcome> async_ask(StubState& s, Name name, RRType type) {
    QuestionRun run(s, name, type);
    while (auto request = run.next()) {
        const std::string server = request->server.to_string();
        Result<Message> reply = make_error("");
        try {
            reply = co_await s.options.async_transport(std::move(*request));
        } catch (const std::system_error& e) {
            reply = make_error("cannot ask " + server + ": " + e.what());
        }
        run.handle(reply);
    }
    co_return run.take();
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string out;
    for (const std::string& p : parts) {
        out += (out.empty() ? "" : std::string(separator)) + p;
    }
    return out;
}

StubError no_answer(const Outcome& o) {
    return {StubErrc::no_answer, "no server answered for " + o.asked.to_text() + " " +
                                     type_to_text(o.type) + ": " + join(o.reasons, "; ")};
}

// The error for a single question (MX, SRV) that did not give data.
StubError error_of(const Outcome& o) {
    switch (o.kind) {
        case Outcome::Kind::no_such_name:
            return {StubErrc::no_such_name, o.asked.to_text() + " does not exist (NXDOMAIN)"};
        case Outcome::Kind::no_data:
            return {StubErrc::no_data,
                    o.asked.to_text() + " has no " + type_to_text(o.type) + " records"};
        case Outcome::Kind::data:
        case Outcome::Kind::failed:
            break;
    }
    return no_answer(o);
}

StubError bad_name(std::string_view text) {
    auto parsed = Name::parse(text);
    return {StubErrc::bad_name, "'" + std::string(text) + "' is not a domain name" +
                                    (parsed ? std::string() : ": " + parsed.error().message)};
}

std::string types_of(AddressFamily family) {
    switch (family) {
        case AddressFamily::v4:
            return "A";
        case AddressFamily::v6:
            return "AAAA";
        case AddressFamily::any:
            break;
    }
    return "AAAA or A";
}

// The search over candidate names for addresses, shared by both forms of lookup_addresses:
// add() takes each candidate's outcomes in turn and says when to stop.
class AddressSearch {
  public:
    AddressSearch(std::string_view host, AddressFamily family) : host_(host), family_(family) {}

    std::vector<RRType> types() const {
        switch (family_) {
            case AddressFamily::v4:
                return {RRType::A};
            case AddressFamily::v6:
                return {RRType::AAAA};
            case AddressFamily::any:
                break;
        }
        return {RRType::AAAA, RRType::A};  // RFC 8305 section 3: AAAA first
    }

    // True when this candidate gave addresses: the search is over.
    bool add(std::vector<Outcome> outcomes) {
        std::vector<std::string> ipv6;
        std::vector<std::string> ipv4;
        for (const Outcome& o : outcomes) {
            for (const Bytes& rd : o.rdatas) {
                (o.type == RRType::AAAA ? ipv6 : ipv4).push_back(rdata_to_text(o.type, rd));
            }
        }
        if (!ipv6.empty() || !ipv4.empty()) {
            found_ = interleave_addresses(ipv6, ipv4);
            return true;
        }
        // Inside one name, a family not settled makes the name unsettled: "no addresses"
        // would be a guess.
        const auto failed = std::find_if(outcomes.begin(), outcomes.end(), [](const auto& o) {
            return o.kind == Outcome::Kind::failed;
        });
        const bool nodata = std::any_of(outcomes.begin(), outcomes.end(), [](const auto& o) {
            return o.kind == Outcome::Kind::no_data;
        });
        if (failed != outcomes.end()) {
            if (!failed_) {
                failed_ = std::move(*failed);
            }
        } else if (nodata) {
            if (!nodata_) {
                nodata_ = outcomes.front().asked;
            }
        } else if (!outcomes.empty()) {
            nxdomain_.push_back(outcomes.front().asked.to_text());
        }
        return false;
    }

    // Across names, glibc's precedence (res_search): a name without data of the type, then a
    // name no server settled, then "no such name".
    StubResult<std::vector<std::string>> result() && {
        if (found_) {
            return std::move(*found_);
        }
        if (nodata_) {
            return StubError{StubErrc::no_data,
                             nodata_->to_text() + " has no " + types_of(family_) + " records"};
        }
        if (failed_) {
            return no_answer(*failed_);
        }
        if (nxdomain_.size() == 1) {
            return StubError{StubErrc::no_such_name,
                             nxdomain_.front() + " does not exist (NXDOMAIN)"};
        }
        std::vector<std::string> listed(
            nxdomain_.begin(), nxdomain_.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                       nxdomain_.size(), kNamesInMessage)));
        std::string names = join(listed, ", ");
        if (nxdomain_.size() > kNamesInMessage) {
            names += " and " + std::to_string(nxdomain_.size() - kNamesInMessage) + " more";
        }
        return StubError{StubErrc::no_such_name,
                         "'" + host_ + "' does not exist: NXDOMAIN for " + names};
    }

  private:
    std::string host_;
    AddressFamily family_;
    std::optional<std::vector<std::string>> found_;
    std::optional<Name> nodata_;
    std::optional<Outcome> failed_;
    std::vector<std::string> nxdomain_;
};

// What comes before DNS: an IP literal, or the hosts file. nullopt: ask DNS.
std::optional<StubResult<std::vector<std::string>>> before_dns(const StubState& s,
                                                               std::string_view host,
                                                               AddressFamily family) {
    if (host.empty()) {
        return bad_name(host);
    }
    std::error_code ec;
    const auto literal = asio::ip::make_address(std::string(host), ec);
    if (!ec) {
        const bool wanted =
            family == AddressFamily::any || (family == AddressFamily::v6) == literal.is_v6();
        if (!wanted) {
            return StubError{StubErrc::no_data, std::string(host) + " is an " +
                                                    (literal.is_v6() ? "IPv6" : "IPv4") +
                                                    " address, not an " +
                                                    (literal.is_v6() ? "IPv4" : "IPv6") + " one"};
        }
        return std::vector<std::string>{literal.to_string()};
    }
    std::vector<std::string> ipv6;
    std::vector<std::string> ipv4;
    for (const HostsAddress& a : s.hosts.lookup(host)) {
        if (a.ipv6 && family != AddressFamily::v4) {
            ipv6.push_back(a.text);
        } else if (!a.ipv6 && family != AddressFamily::v6) {
            ipv4.push_back(a.text);
        }
    }
    if (ipv6.empty() && ipv4.empty()) {
        return std::nullopt;  // glibc: "files" found nothing of the family, so DNS is asked
    }
    return interleave_addresses(ipv6, ipv4);
}

// The candidates to ask for addresses (the search list), or the reason there are none.
StubResult<std::vector<Name>> candidates_for(const StubState& s, std::string_view host) {
    std::vector<Name> names = search_candidates(host, s.conf);
    if (names.empty()) {
        return bad_name(host);
    }
    return names;
}

// MX and SRV names are fully qualified: "example.com" means example.com. whatever the
// search list says.
StubResult<Name> absolute_name(std::string_view text) {
    auto name = Name::parse(text);
    if (!name || text.empty()) {
        return bad_name(text);
    }
    return *name;
}

StubResult<std::vector<MxTarget>> mx_result(StubState& s, const Outcome& o) {
    if (o.kind != Outcome::Kind::data) {
        return error_of(o);
    }
    std::vector<MxTarget> targets;
    bool null_mx = false;
    for (const Bytes& rd : o.rdatas) {
        if (rd.size() < 3) {
            continue;  // not an MX RDATA; decode_message lets none through
        }
        auto exchange = Name::from_wire(as_text(std::span(rd).subspan(2)));
        if (!exchange) {
            continue;
        }
        if (exchange->is_root()) {
            null_mx = true;  // RFC 7505 section 3: "." is no exchange, never a host to try
            continue;
        }
        targets.push_back({read_u16(rd, 0), std::move(*exchange)});
    }
    if (targets.empty()) {
        if (null_mx) {
            return StubError{StubErrc::no_service,
                             o.asked.to_text() + " accepts no mail (null MX, RFC 7505)"};
        }
        return StubError{StubErrc::no_data, o.asked.to_text() + " has no usable MX records"};
    }
    return order_mx(std::move(targets), [&s] { return s.random(); });
}

StubResult<std::vector<SrvTarget>> srv_result(StubState& s, const Outcome& o) {
    if (o.kind != Outcome::Kind::data) {
        return error_of(o);
    }
    std::vector<SrvTarget> targets;
    bool declined = false;
    for (const Bytes& rd : o.rdatas) {
        if (rd.size() < 7) {
            continue;
        }
        auto target = Name::from_wire(as_text(std::span(rd).subspan(6)));
        if (!target) {
            continue;
        }
        if (target->is_root()) {
            declined = true;  // RFC 2782: "." means the service is decidedly not available
            continue;
        }
        targets.push_back({read_u16(rd, 0), read_u16(rd, 2), read_u16(rd, 4), std::move(*target)});
    }
    if (targets.empty()) {
        if (declined) {
            return StubError{StubErrc::no_service,
                             o.asked.to_text() +
                                 " says the service is not available there (SRV target \".\", "
                                 "RFC 2782)"};
        }
        return StubError{StubErrc::no_data, o.asked.to_text() + " has no usable SRV records"};
    }
    return order_srv(std::move(targets), [&s] { return s.random(); });
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
    s.servers = s.options.servers.empty() ? s.conf.nameservers : s.options.servers;
    s.timeout = s.options.timeout.value_or(std::chrono::seconds(s.conf.timeout_seconds));
    s.attempts = std::clamp(s.options.attempts.value_or(s.conf.attempts), 1u, kMaxAttempts);
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
    if (auto early = before_dns(s, host, family)) {
        return std::move(*early);
    }
    auto candidates = candidates_for(s, host);
    if (!candidates) {
        return candidates.error();
    }
    AddressSearch search(host, family);
    for (const Name& candidate : *candidates) {
        std::vector<Outcome> outcomes;
        for (const RRType type : search.types()) {
            outcomes.push_back(ask(s, candidate, type));
        }
        if (search.add(std::move(outcomes))) {
            break;
        }
    }
    return std::move(search).result();
}

StubResult<std::vector<MxTarget>> StubResolver::lookup_mx(std::string_view domain) {
    auto name = absolute_name(domain);
    if (!name) {
        return name.error();
    }
    return mx_result(*state_, ask(*state_, *name, RRType::MX));
}

StubResult<std::vector<SrvTarget>> StubResolver::lookup_srv(std::string_view service_name) {
    auto name = absolute_name(service_name);
    if (!name) {
        return name.error();
    }
    return srv_result(*state_, ask(*state_, *name, RRType::SRV));
}

asio::awaitable<StubResult<std::vector<std::string>>> StubResolver::async_lookup_addresses(
    std::string host, AddressFamily family) {
    using namespace asio::experimental::awaitable_operators;
    StubState& s = *state_;
    if (auto early = before_dns(s, host, family)) {
        co_return std::move(*early);
    }
    auto candidates = candidates_for(s, host);
    if (!candidates) {
        co_return candidates.error();
    }
    AddressSearch search(host, family);
    for (const Name& candidate : *candidates) {
        std::vector<Outcome> outcomes;
        if (family == AddressFamily::any) {
            // Both families at once (RFC 8305 section 3), so a slow AAAA does not delay A.
            auto [ipv6, ipv4] = co_await (async_ask(s, candidate, RRType::AAAA) &&
                                          async_ask(s, candidate, RRType::A));
            outcomes.push_back(std::move(ipv6));
            outcomes.push_back(std::move(ipv4));
        } else {
            outcomes.push_back(co_await async_ask(s, candidate, search.types().front()));
        }
        if (search.add(std::move(outcomes))) {
            break;
        }
    }
    co_return std::move(search).result();
}

asio::awaitable<StubResult<std::vector<MxTarget>>> StubResolver::async_lookup_mx(
    std::string domain) {
    auto name = absolute_name(domain);
    if (!name) {
        co_return name.error();
    }
    StubState& s = *state_;
    const Outcome o = co_await async_ask(s, *name, RRType::MX);
    co_return mx_result(s, o);
}

asio::awaitable<StubResult<std::vector<SrvTarget>>> StubResolver::async_lookup_srv(
    std::string service_name) {
    auto name = absolute_name(service_name);
    if (!name) {
        co_return name.error();
    }
    StubState& s = *state_;
    const Outcome o = co_await async_ask(s, *name, RRType::SRV);
    co_return srv_result(s, o);
}

const std::vector<HostPort>& StubResolver::servers() const {
    return state_->servers;
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
