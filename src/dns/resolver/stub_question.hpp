#pragma once
// One (name, type) question of the stub resolver (dns/asio/stub_resolver.hpp), asked of
// recursive resolvers in turn. Sans-I/O: it takes `now`, the query ids and the replies as
// arguments and hands out the queries to send; the driver does the sending and the waiting.
//
// Theory of operation:
//
//   - The constructor looks in the cache first, following cached CNAMEs; a hit settles the
//     question before any query (done() is then true at once).
//   - Otherwise the servers are asked one at a time, from `first` on in list order, for
//     `attempts` rounds (glibc's order: server 1, server 2, ..., then again). The driver takes
//     the query from poll_request(), sends it, and gives back what came: on_reply(), or
//     on_timeout() / on_failure() when nothing usable came. A timeout or a transport error
//     moves on to the next server, which is asked again next round. SERVFAIL, REFUSED, NOTIMP,
//     FORMERR, a referral (a server that does not recurse), a reply to another query or
//     question, or a truncated one moves on too, and that server is not asked again for the
//     name (glibc's "badns").
//   - A reply's CNAME chain is followed; when it stops at a CNAME without the target's data
//     and without a SOA (an authoritative server does not chase out of its zone), the chain is
//     cached and the target is asked, from the first position again with every server in
//     good standing. At most kStubMaxCnameLinks links, in replies and cache together.
//   - Answers are cached with their TTL; negative answers too when the reply carries a SOA
//     (RFC 2308 section 5), never otherwise.
//   - It ends in a StubOutcome: the RRset where the chain ended, NXDOMAIN, NODATA, or
//     unsettled with the last thing each server did.
//
// Invariant: after the constructor and after each on_* call, the question is done(), or a
// query is in flight, or poll_request() gives one. So a driver loops `while (!done())`.
//
// The cache is touched only inside the constructor and on_reply(); a driver whose cache is
// shared between threads holds its lock around those calls (and only those: never while a
// query is out). Not thread-safe itself: one driver runs one question.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/endpoint.hpp"
#include "core/time.hpp"
#include "dns/message.hpp"
#include "dns/resolver/cache.hpp"

namespace l7::dns {

// Links of a CNAME chain followed for one question, in replies and cache together (BIND's and
// Unbound's resolvers stop at about this many too).
inline constexpr int kStubMaxCnameLinks = 8;

// The servers a question is asked of, and how (resolv.conf's settings). Shared by every
// question of a resolver; borrowed by StubQuestion, so it must outlive them.
struct StubSettings {
    std::vector<HostPort> servers;         // in the order to ask (address literals)
    std::chrono::milliseconds timeout{0};  // for one try
    std::size_t attempts = 1;              // rounds over the servers
    bool edns0 = false;                    // queries carry an OPT record
};

// One query for one server, as the question hands it to its driver.
struct StubQuery {
    std::uint64_t token = 0;  // names the try in on_reply / on_timeout / on_failure
    HostPort server;
    Message query;  // RD set, the id given to poll_request
    std::chrono::milliseconds timeout{0};
};

// What one question came to.
struct StubOutcome {
    enum class Kind : std::uint8_t { data, no_such_name, no_data, unsettled };
    Kind kind = Kind::unsettled;
    Name asked;  // the name the question started from, not where its CNAME chain went
    RRType type = RRType::A;
    std::vector<Bytes> rdatas;         // data: the RRset where the CNAME chain ended
    std::vector<std::string> reasons;  // unsettled: the last thing each server did, in list order
};

class StubQuestion {
  public:
    // `first`: the server to start each round at (taken modulo the count; `options rotate`
    // passes a counter). `cache`: nullptr for none. Both `settings` and `cache` are borrowed
    // for the question's life.
    StubQuestion(Name name, RRType type, const StubSettings& settings, Cache* cache,
                 std::size_t first, TimePoint now);

    bool done() const { return done_; }

    // The next query, with `id` as its message id (the caller's random number: the core
    // picks none). Nothing when done() or while a query is in flight.
    std::optional<StubQuery> poll_request(std::uint16_t id);

    // What the server sent back for the query `token` (the transport has already matched its
    // source address; a TCP retry after TC is the transport's too). A token that is not in
    // flight is ignored.
    void on_reply(std::uint64_t token, const Message& reply, TimePoint now);
    // No reply within the query's timeout.
    void on_timeout(std::uint64_t token);
    // No reply for another reason the transport gives as a sentence that names the server
    // ("cannot ask 192.0.2.1:53: Address family not supported"); counts as a timeout.
    void on_failure(std::uint64_t token, std::string reason);

    // Meaningful once done(); take_outcome() leaves the question empty.
    const StubOutcome& outcome() const { return outcome_; }
    StubOutcome take_outcome() { return std::move(outcome_); }

  private:
    struct Link;

    void restart(const Name& name, TimePoint now);
    void from_cache(TimePoint now);
    bool follow_link(const Name& target);
    void take_reply(const Message& m, const std::string& who, TimePoint now);
    void store(const std::vector<Link>& chain, Trust trust, const std::vector<Bytes>& rdatas,
               std::uint32_t ttl, const ResourceRecord* soa, Rcode rcode, TimePoint now);
    void give_up_on_server(std::string reason);
    void advance();
    void settle(StubOutcome::Kind kind, std::vector<Bytes> rdatas = {});
    bool accepts(std::uint64_t token);

    const StubSettings& settings_;
    Cache* cache_;
    StubOutcome outcome_;
    Name current_;  // the name being asked: the question's, or a CNAME target
    int links_ = 0;
    bool done_ = false;
    std::size_t start_ = 0;     // the server asked first in each round
    std::size_t position_ = 0;  // tries so far for current_, over all rounds
    std::uint64_t next_token_ = 1;
    std::optional<std::uint64_t> in_flight_;  // the token of the query out
    std::size_t asked_ = 0;                   // the server it went to
    std::uint16_t id_ = 0;                    // and its id
    std::vector<std::string> reasons_;        // per server
    std::vector<bool> bad_;                   // per server: not to be asked again for current_
};

}  // namespace l7::dns
