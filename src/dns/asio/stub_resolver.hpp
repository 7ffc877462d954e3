#pragma once
// The stub resolver every l7 client uses (issue 4 point 6): HTTP and FTP clients look
// addresses up with it, the SMTP relay its MX targets, SRV users their servers. It asks
// recursive resolvers (those of /etc/resolv.conf, or the ones given, such as the lab's) the way
// glibc's resolver does, and keeps a small cache of its own.
//
// Theory of operation, for one lookup:
//
//   1. Addresses only: an IP literal is its own answer; then /etc/hosts ("hosts: files dns"
//      in nsswitch.conf terms), when it lists the name with an address of the family asked.
//   2. The names to try: for addresses, resolv.conf's search list and ndots
//      (search_candidates, glibc's res_search order); MX and SRV names are taken as fully
//      qualified (mail domains and _service._proto names are never relative: RFC 5321
//      section 2.3.5, RFC 2782).
//   3. Each (name, type) question: the cache first, then the servers in order, one try of
//      `timeout` each, for `attempts` rounds (glibc's order: server 1, server 2, ..., then
//      again). A timeout moves on to the next server; SERVFAIL, REFUSED, NOTIMP, FORMERR, a
//      referral (a server that does not recurse) or a reply to another question does too, and
//      that server is not asked again for the question (glibc's "badns"). With `options
//      rotate` each question starts at the next server in turn.
//   4. A CNAME chain is followed in the reply, then in the cache; when a reply stops at a
//      CNAME without the target's data and without a SOA (an authoritative server does not
//      chase out of its zone), the target is asked for. At most 8 links in all.
//   5. NXDOMAIN or NODATA settles a name; the search goes on with the next candidate.
//      Answers are cached with their TTL, negative answers too when the reply carries a SOA
//      (RFC 2308 section 5: min of its TTL and MINIMUM).
//
// The outcome of a search (all candidates failed): "no data" when a candidate exists without
// records of the type, else "no server answered" when a candidate could not be settled, else
// "no such name". As in glibc, an unsettled name beats NXDOMAIN, so that a passing failure is
// retried rather than taken as a permanent "no such domain". For addresses, a candidate whose
// AAAA or A question was not settled counts as unsettled ("no addresses" would be a guess).
//
// Results are ordered for connecting: addresses by Happy Eyeballs (RFC 8305 section 4: IPv6
// first, then the families alternate; each family in the order the server gave, without RFC
// 6724 sorting), MX by preference with equal ones shuffled (RFC 5321 section 5.1), SRV by
// priority and RFC 2782's weighted selection.
//
// The rules above are sans-I/O, in l7_dns: dns/resolver/stub_question.hpp asks one question
// (steps 3 to 5), dns/resolver/stub_search.hpp does the rest (steps 1 and 2, the outcome,
// the ordering). This library only runs them over its transports, and shares the cache.
//
// Thread-safe: any number of threads may look up at once; the cache, the random source and
// the rotation counter are behind one mutex, which is never held while a query is out. The
// coroutine forms borrow the resolver: it must outlive them.

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "dns/message.hpp"
#include "dns/resolver/cache.hpp"
#include "dns/resolver/hosts_file.hpp"
#include "dns/resolver/ordering.hpp"
#include "dns/resolver/resolv_conf.hpp"
#include "dns/resolver/stub_result.hpp"

namespace l7::trace {
class Tracer;
}

namespace l7::dns {

// One query for one server, as the resolver hands it to its transport.
struct StubRequest {
    Message query;  // RD set; a fresh random id
    HostPort server;
    std::chrono::milliseconds timeout{0};  // for this one try
};

// Sends `request.query` once and returns the matching reply (after a TCP retry when the UDP
// reply was truncated), or an error sentence that names the server ("no reply from
// 192.0.2.1:53 after 1 try"). Called from any thread that looks up, so it must be
// thread-safe. The default is dns::exchange over UDP with one try.
using StubTransport = std::function<Result<Message>(const StubRequest& request)>;
// The same for the coroutine forms; the default is dns::async_exchange. It may be called
// again before an earlier call finished (AAAA and A are asked at once).
using StubAsyncTransport = std::function<asio::awaitable<Result<Message>>(StubRequest request)>;

struct StubOptions {
    // The recursive resolvers to ask (address literals); empty: resolv.conf's nameservers.
    std::vector<HostPort> servers;
    // Search list, ndots, timeout, attempts, rotate and edns0 come from this file, as do the
    // servers when `servers` is empty. Empty: none (glibc's defaults, no search list).
    std::string resolv_conf_path = "/etc/resolv.conf";
    std::string hosts_path = "/etc/hosts";             // empty: no hosts file
    std::optional<std::chrono::milliseconds> timeout;  // per try; default resolv.conf's
    std::optional<unsigned> attempts;  // rounds over the servers (1 to 5); default resolv.conf's
    // The cache's size bound, counted in typical entries (one small RRset each); 0: no cache.
    std::size_t cache_entries = 512;

    StubTransport transport;             // empty: dns::exchange
    StubAsyncTransport async_transport;  // empty: dns::async_exchange
    // Query ids and the MX/SRV shuffles; empty: the kernel's random numbers (getrandom).
    // Called under the resolver's mutex, so it need not be thread-safe.
    std::function<std::uint64_t()> random;
    std::function<TimePoint()> clock;  // for TTLs; empty: steady_clock::now
    trace::Tracer* tracer = nullptr;   // the default transports trace into it (--trace)
};

namespace detail {
struct StubState;
}

class StubResolver {
  public:
    // Reads options.resolv_conf_path and options.hosts_path. A missing file gives glibc's
    // defaults (no entries); a file that exists but cannot be read, a hosts file larger than
    // kMaxHostsFileBytes, or a server that is not an address literal is an error sentence that
    // names it. Lines of the files that cannot be used are in warnings().
    static Result<StubResolver> create(StubOptions options);
    // From a configuration already read (tests; callers with their own). The file paths in
    // `options` are not read; `conf` gives the servers when options.servers is empty.
    StubResolver(StubOptions options, ResolvConf conf, HostsFile hosts);

    StubResolver(StubResolver&&) noexcept;
    StubResolver& operator=(StubResolver&&) noexcept;
    ~StubResolver();

    // The addresses of `host` (a name, or an IP literal, which is returned as itself in its
    // canonical form), both families interleaved for Happy Eyeballs unless `family` says
    // which. The blocking form asks AAAA, then A; the coroutine form asks both at once
    // (RFC 8305 section 3). Errors: bad_name, no_such_name, no_data (also for an IP literal
    // of the other family), no_answer.
    StubResult<std::vector<std::string>> lookup_addresses(
        std::string_view host, AddressFamily family = AddressFamily::any);

    // The mail exchangers of `domain`, by preference. Errors: bad_name, no_such_name, no_answer;
    // no_service for a null MX (RFC 7505: the domain accepts no mail, do not fall back);
    // no_data when the domain has no MX records. On no_data, RFC 5321 section 5.1 says to
    // deliver to the domain itself, as an implicit MX of preference 0: the caller does so with
    // lookup_addresses(domain) (this API leaves it to the caller, which knows whether it is
    // an SMTP client that should).
    StubResult<std::vector<MxTarget>> lookup_mx(std::string_view domain);

    // The SRV targets of `service_name` ("_sip._udp.example.com"), by priority then weight
    // (RFC 2782). Errors: bad_name, no_such_name, no_data, no_answer; no_service when the only
    // target is "." (the service is decidedly not available there).
    StubResult<std::vector<SrvTarget>> lookup_srv(std::string_view service_name);

    // The coroutine forms, through the async transport, for code that runs on an io_context.
    asio::awaitable<StubResult<std::vector<std::string>>> async_lookup_addresses(
        std::string host, AddressFamily family = AddressFamily::any);
    asio::awaitable<StubResult<std::vector<MxTarget>>> async_lookup_mx(std::string domain);
    asio::awaitable<StubResult<std::vector<SrvTarget>>> async_lookup_srv(std::string service_name);

    // The servers asked, in order; the resolv.conf settings in use; the files' warnings, each
    // prefixed with the file's path.
    const std::vector<HostPort>& servers() const;
    const ResolvConf& resolv_conf() const;
    const std::vector<std::string>& warnings() const;

    CacheStats cache_stats() const;
    void clear_cache();

  private:
    std::unique_ptr<detail::StubState> state_;
};

}  // namespace l7::dns
