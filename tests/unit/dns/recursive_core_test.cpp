// The recursive service's sans-I/O parts: the sharded cache, answering from the cache alone
// (CNAME chains, trust, serve-stale), checking client queries and writing answers (TC, EDNS,
// flags), and forwarding mode against scripted forwarders.

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "dns/rdata.hpp"
#include "dns/resolver/cache_walk.hpp"
#include "dns/resolver/client_query.hpp"
#include "dns/resolver/forwarding.hpp"
#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using test::name;
using test::rdata;
using test::rr;
using namespace std::chrono_literals;

const TimePoint t0{};

std::vector<Bytes> one(RRType type, const char* text) {
    return {rdata(type, text)};
}

ResourceRecord soa_of(const char* zone, std::uint32_t minimum) {
    return rr(zone, RRType::SOA,
              std::string("ns.") + zone + " hostmaster." + zone + " 1 1800 900 604800 " +
                  std::to_string(minimum),
              3600);
}

// ---------------------------------------------------------------------------------------
// SharedCache

TEST(SharedCache, EveryNameFindsItsOwnShardAndFlushReachesThemAll) {
    SharedCache c(CacheLimits{}, 8);
    for (int i = 0; i < 100; ++i) {
        const std::string owner = "h" + std::to_string(i) + ".example.com.";
        ASSERT_TRUE(c.put(name(owner), RRType::A, one(RRType::A, "192.0.2.1"), 300,
                          Trust::answer_auth, t0));
    }
    ASSERT_TRUE(c.put(name("www.example.org."), RRType::A, one(RRType::A, "192.0.2.9"), 300,
                      Trust::answer_auth, t0));
    EXPECT_EQ(c.stats().entries, 101u);
    EXPECT_TRUE(c.get(name("H42.EXAMPLE.com."), RRType::A, t0));  // any case, same shard
    EXPECT_EQ(c.flush(name("h42.example.com.")), 1u);
    EXPECT_FALSE(c.get(name("h42.example.com."), RRType::A, t0));
    EXPECT_EQ(c.flush(name("example.com."), /*subtree=*/true), 99u);
    EXPECT_EQ(c.stats().entries, 1u);
    EXPECT_EQ(c.dump(t0).size(), 1u);
    const CacheStats s = c.stats();
    EXPECT_EQ(s.hits, 1u);
    EXPECT_EQ(s.misses, 1u);
    c.clear();
    EXPECT_EQ(c.stats().entries, 0u);
}

TEST(SharedCache, TheMemoryBoundHoldsForTheWhole) {
    CacheLimits limits;
    limits.max_bytes = 4 * 64 * 1024;  // the smallest a shard gets is 64 KiB
    SharedCache c(limits, 4);
    for (int i = 0; i < 20000; ++i) {
        (void)c.put(name("n" + std::to_string(i) + ".example."), RRType::A,
                    one(RRType::A, "192.0.2.1"), 300, Trust::answer, t0);
    }
    EXPECT_LE(c.stats().bytes, limits.max_bytes);
    EXPECT_GT(c.stats().evictions, 0u);
}

// ---------------------------------------------------------------------------------------
// walk_cache

TEST(CacheWalk, FollowsACachedCnameChainToTheAnswer) {
    SharedCache c;
    (void)c.put(name("www.example.com."), RRType::CNAME, one(RRType::CNAME, "web.example.net."),
                300, Trust::answer_auth, t0);
    (void)c.put(name("web.example.net."), RRType::A, one(RRType::A, "192.0.2.5"), 60,
                Trust::answer_auth, t0);
    const CacheWalk w = walk_cache(c, name("www.example.com."), RRType::A, t0 + 10s, 8);
    ASSERT_TRUE(w.complete);
    EXPECT_EQ(w.cnames, 1);
    ASSERT_EQ(w.answers.size(), 2u);
    EXPECT_EQ(w.answers[0].type, RRType::CNAME);
    EXPECT_EQ(w.answers[0].ttl, 290u);
    EXPECT_EQ(w.answers[1].owner, name("web.example.net."));
    EXPECT_EQ(w.answers[1].ttl, 50u);
}

TEST(CacheWalk, StopsWhereTheChainLeavesTheCache) {
    SharedCache c;
    (void)c.put(name("www.example.com."), RRType::CNAME, one(RRType::CNAME, "web.example.net."),
                300, Trust::answer_auth, t0);
    const CacheWalk w = walk_cache(c, name("www.example.com."), RRType::A, t0, 8);
    EXPECT_FALSE(w.complete);
    EXPECT_EQ(w.sname, name("web.example.net."));
    EXPECT_EQ(w.answers.size(), 1u);
}

TEST(CacheWalk, GlueAnswersNoClient) {
    SharedCache c;
    (void)c.put(name("ns1.example.com."), RRType::A, one(RRType::A, "192.0.2.53"), 300, Trust::glue,
                t0);
    EXPECT_FALSE(walk_cache(c, name("ns1.example.com."), RRType::A, t0, 8).complete);
    (void)c.put(name("ns1.example.com."), RRType::A, one(RRType::A, "192.0.2.53"), 300,
                Trust::answer_auth, t0);
    EXPECT_TRUE(walk_cache(c, name("ns1.example.com."), RRType::A, t0, 8).complete);
}

TEST(CacheWalk, ANegativeAnswerComesWithItsSoa) {
    SharedCache c;
    c.put_negative(name("nope.example.com."), RRType::A, Rcode::NXDOMAIN,
                   soa_of("example.com.", 120), t0);
    const CacheWalk w = walk_cache(c, name("nope.example.com."), RRType::MX, t0 + 20s, 8);
    ASSERT_TRUE(w.complete);
    EXPECT_EQ(w.rcode, Rcode::NXDOMAIN);
    ASSERT_EQ(w.authority.size(), 1u);
    EXPECT_EQ(w.authority[0].type, RRType::SOA);
    EXPECT_EQ(w.authority[0].ttl, 100u);  // RFC 2308: min(SOA TTL, MINIMUM), counting down
}

TEST(CacheWalk, ALoopOfCnamesIsTooLong) {
    SharedCache c;
    (void)c.put(name("a.example."), RRType::CNAME, one(RRType::CNAME, "b.example."), 300,
                Trust::answer_auth, t0);
    (void)c.put(name("b.example."), RRType::CNAME, one(RRType::CNAME, "a.example."), 300,
                Trust::answer_auth, t0);
    const CacheWalk w = walk_cache(c, name("a.example."), RRType::A, t0, 5);
    EXPECT_TRUE(w.too_long);
    EXPECT_FALSE(w.complete);
}

TEST(CacheWalk, ExpiredDataIsServedOnlyWhenStaleIsAllowed) {
    SharedCache c;
    (void)c.put(name("www.example.com."), RRType::A, one(RRType::A, "192.0.2.1"), 60,
                Trust::answer_auth, t0);
    EXPECT_FALSE(walk_cache(c, name("www.example.com."), RRType::A, t0 + 120s, 8).complete);
    const CacheWalk w =
        walk_cache(c, name("www.example.com."), RRType::A, t0 + 120s, 8, /*allow_stale=*/true);
    ASSERT_TRUE(w.complete);
    EXPECT_TRUE(w.stale);
    EXPECT_EQ(w.answers.at(0).ttl, 30u);  // RFC 8767 section 4
}

// ---------------------------------------------------------------------------------------
// check_client_query / write_response

Bytes query_wire(std::string_view qname, RRType type, bool rd = true,
                 std::optional<std::uint16_t> edns_size = std::nullopt,
                 RRClass klass = RRClass::IN) {
    Message q;
    q.header.id = 0x1234;
    q.header.rd = rd;
    q.questions.push_back({name(qname), type, klass});
    if (edns_size) {
        Edns e;
        e.udp_size = *edns_size;
        q.edns = e;
    }
    return encode_message(q);
}

TEST(ClientQuery, AcceptsARecursiveQueryAndBoundsTheReplyByTheClientsBuffer) {
    auto c = check_client_query(query_wire("www.example.com.", RRType::A), Transport::udp, 1232);
    ASSERT_TRUE(c.query);
    EXPECT_EQ(c.query->id, 0x1234);
    EXPECT_EQ(c.query->reply_limit, 512u);  // no EDNS
    c = check_client_query(query_wire("www.example.com.", RRType::A, true, 4096), Transport::udp,
                           1232);
    ASSERT_TRUE(c.query);
    EXPECT_EQ(c.query->reply_limit, 1232u);  // ours is smaller
    c = check_client_query(query_wire("www.example.com.", RRType::A, true, 100), Transport::udp,
                           1232);
    EXPECT_EQ(c.query->reply_limit, 512u);  // RFC 6891 6.2.5
    c = check_client_query(query_wire("www.example.com.", RRType::A), Transport::tcp, 1232);
    EXPECT_EQ(c.query->reply_limit, 65535u);
}

TEST(ClientQuery, RefusesWhatARecursiveServiceShouldNotDo) {
    EXPECT_EQ(
        check_client_query(query_wire("example.com.", RRType::AXFR), Transport::tcp, 1232).error,
        Rcode::REFUSED);
    EXPECT_EQ(check_client_query(query_wire("example.com.", RRType::A, /*rd=*/false),
                                 Transport::udp, 1232)
                  .error,
              Rcode::REFUSED);
    EXPECT_EQ(check_client_query(
                  query_wire("version.bind.", RRType::TXT, true, std::nullopt, RRClass::CH),
                  Transport::udp, 1232)
                  .error,
              Rcode::REFUSED);
}

TEST(ClientQuery, MalformedQueriesGetFormerrAndResponsesNothing) {
    Bytes wire = query_wire("www.example.com.", RRType::A);
    wire.resize(wire.size() - 3);  // cut inside the question
    auto c = check_client_query(wire, Transport::udp, 1232);
    EXPECT_FALSE(c.query);
    EXPECT_EQ(c.error, Rcode::FORMERR);
    std::vector<std::uint8_t> out(512);
    const std::size_t size = write_error(wire, c, out);
    ASSERT_GE(size, kHeaderSize);
    auto reply = read_header(std::span<const std::uint8_t>(out.data(), size));
    EXPECT_TRUE(reply->qr);
    EXPECT_TRUE(reply->ra);
    EXPECT_EQ(reply->rcode, static_cast<std::uint8_t>(Rcode::FORMERR));

    Bytes response = query_wire("www.example.com.", RRType::A);
    response[2] |= 0x80;  // QR: a response sent to us
    c = check_client_query(response, Transport::udp, 1232);
    EXPECT_TRUE(c.drop);
    EXPECT_EQ(write_error(response, c, out), 0u);
}

TEST(ClientQuery, AnEdnsVersionAboveZeroGetsBadvers) {
    Message q;
    q.header.rd = true;
    q.questions.push_back({name("example.com."), RRType::A, RRClass::IN});
    Edns e;
    e.version = 1;
    q.edns = e;
    const Bytes wire = encode_message(q);
    const auto c = check_client_query(wire, Transport::udp, 1232);
    EXPECT_EQ(c.error, Rcode::BADVERS);
    std::vector<std::uint8_t> out(512);
    auto reply =
        decode_message(std::span<const std::uint8_t>(out.data(), write_error(wire, c, out)));
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->rcode(), Rcode::BADVERS);  // 16: needs the OPT record's extended bits
}

TEST(ClientQuery, AnAnswerTooBigForUdpIsTruncated) {
    auto c = check_client_query(query_wire("big.example.com.", RRType::TXT), Transport::udp, 1232);
    ASSERT_TRUE(c.query);
    Message response;
    for (int i = 0; i < 10; ++i) {
        response.answers.push_back(rr("big.example.com.", RRType::TXT,
                                      "\"" + std::string(100, static_cast<char>('a' + i)) + "\""));
    }
    std::vector<std::uint8_t> out(65535);
    auto reply = decode_message(
        std::span<const std::uint8_t>(out.data(), write_response(*c.query, response, out)));
    ASSERT_TRUE(reply);
    EXPECT_TRUE(reply->header.tc);
    EXPECT_TRUE(reply->answers.empty());
    EXPECT_EQ(reply->header.id, 0x1234);
    EXPECT_TRUE(reply->header.ra);
    EXPECT_TRUE(reply->header.rd);
    // Over TCP it all fits.
    c = check_client_query(query_wire("big.example.com.", RRType::TXT), Transport::tcp, 1232);
    reply = decode_message(
        std::span<const std::uint8_t>(out.data(), write_response(*c.query, response, out)));
    ASSERT_TRUE(reply);
    EXPECT_FALSE(reply->header.tc);
    EXPECT_EQ(reply->answers.size(), 10u);
}

TEST(ClientQuery, TheClientsEdnsIsAnsweredWithOurs) {
    auto c = check_client_query(query_wire("www.example.com.", RRType::A, true, 4096),
                                Transport::udp, 1232);
    Message response;
    response.answers.push_back(rr("www.example.com.", RRType::A, "192.0.2.1"));
    response.set_rcode(Rcode::NOERROR);
    std::vector<std::uint8_t> out(1232);
    auto reply = decode_message(
        std::span<const std::uint8_t>(out.data(), write_response(*c.query, response, out)));
    ASSERT_TRUE(reply);
    ASSERT_TRUE(reply->edns);
    EXPECT_EQ(reply->edns->udp_size, 1232);
    EXPECT_EQ(reply->answers.size(), 1u);
}

// ---------------------------------------------------------------------------------------
// Forwarding

struct Forwarders {
    SharedCache cache;
    UpstreamTable upstream;
    std::mt19937_64 rng{11};
    ForwardContext ctx{
        cache, upstream, {"192.0.2.53:53", "192.0.2.54:53"}, {}, [this] { return rng(); }};
    TimePoint now{};
    std::map<std::string, std::function<std::optional<Message>(const Message&)>> servers;
    std::vector<std::string> asked;

    Message run(std::string_view qname, RRType type) {
        Forwarding f({name(qname), type, RRClass::IN}, ctx, now);
        for (int guard = 0; guard < 20 && !f.done(); ++guard) {
            auto req = f.poll_request(now);
            if (!req) {
                break;
            }
            EXPECT_TRUE(req->query.header.rd);
            asked.push_back(req->server);
            now += 1ms;
            auto it = servers.find(req->server);
            std::optional<Message> reply;
            if (it != servers.end()) {
                reply = it->second(req->query);
            }
            if (reply) {
                f.on_reply(req->token, req->server, *reply, now);
            }
            if (f.waiting_for(req->token)) {
                f.on_timeout(req->token, now);
            }
        }
        EXPECT_TRUE(f.done());
        return f.response();
    }
};

Message reply_to(const Message& q, Rcode rcode, std::vector<ResourceRecord> answers,
                 std::vector<ResourceRecord> authority = {}) {
    Message r;
    r.header.id = q.header.id;
    r.header.qr = true;
    r.header.rd = true;
    r.header.ra = true;
    r.questions = q.questions;
    r.answers = std::move(answers);
    r.authority = std::move(authority);
    r.set_rcode(rcode);
    return r;
}

TEST(Forwarding, AsksAForwarderAndAnswersTheNextTimeFromTheCache) {
    Forwarders fw;
    int calls = 0;
    const auto answer = [&](const Message& q) -> std::optional<Message> {
        ++calls;
        return reply_to(q, Rcode::NOERROR,
                        {rr("www.example.com.", RRType::CNAME, "web.example.net."),
                         rr("web.example.net.", RRType::A, "192.0.2.7"),
                         // Not part of the chain: must not be believed.
                         rr("bank.example.", RRType::A, "203.0.113.66")});
    };
    fw.servers["192.0.2.53:53"] = answer;
    fw.servers["192.0.2.54:53"] = answer;
    const Message m = fw.run("www.example.com.", RRType::A);
    EXPECT_EQ(m.rcode(), Rcode::NOERROR);
    EXPECT_EQ(m.answers.size(), 2u);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(fw.run("www.example.com.", RRType::A).answers.size(), 2u);
    EXPECT_EQ(calls, 1);  // from the cache
    EXPECT_FALSE(fw.cache.get(name("bank.example."), RRType::A, fw.now));
}

TEST(Forwarding, GoesToTheNextForwarderAndFailsOnlyWhenAllHaveFailed) {
    Forwarders fw;
    fw.servers["192.0.2.53:53"] = [](const Message& q) -> std::optional<Message> {
        return reply_to(q, Rcode::SERVFAIL, {});
    };
    // 192.0.2.54 never answers.
    const Message m = fw.run("www.example.com.", RRType::A);
    EXPECT_EQ(m.rcode(), Rcode::SERVFAIL);
    // The refusing one once; the silent one twice (a lost datagram gets a second chance).
    EXPECT_EQ(std::count(fw.asked.begin(), fw.asked.end(), "192.0.2.53:53"), 1);
    EXPECT_EQ(std::count(fw.asked.begin(), fw.asked.end(), "192.0.2.54:53"), 2);

    fw.asked.clear();
    fw.servers["192.0.2.54:53"] = [](const Message& q) -> std::optional<Message> {
        return reply_to(q, Rcode::NOERROR, {rr("www.example.com.", RRType::A, "192.0.2.1")});
    };
    EXPECT_EQ(fw.run("www.example.com.", RRType::A).rcode(), Rcode::NOERROR);
}

TEST(Forwarding, CachesNegativeAnswers) {
    Forwarders fw;
    int calls = 0;
    const auto nx = [&](const Message& q) -> std::optional<Message> {
        ++calls;
        return reply_to(q, Rcode::NXDOMAIN, {}, {soa_of("example.com.", 300)});
    };
    fw.servers["192.0.2.53:53"] = nx;
    fw.servers["192.0.2.54:53"] = nx;
    const Message m = fw.run("nope.example.com.", RRType::A);
    EXPECT_EQ(m.rcode(), Rcode::NXDOMAIN);
    ASSERT_EQ(m.authority.size(), 1u);
    EXPECT_EQ(fw.run("nope.example.com.", RRType::AAAA).rcode(), Rcode::NXDOMAIN);
    EXPECT_EQ(calls, 1);
}

TEST(Forwarding, AReplyWithAnotherIdIsIgnored) {
    Forwarders fw;
    const auto forged = [](const Message& q) -> std::optional<Message> {
        Message r =
            reply_to(q, Rcode::NOERROR, {rr("www.example.com.", RRType::A, "203.0.113.66")});
        r.header.id = static_cast<std::uint16_t>(q.header.id + 1);
        return r;
    };
    fw.servers["192.0.2.53:53"] = forged;
    fw.servers["192.0.2.54:53"] = forged;
    EXPECT_EQ(fw.run("www.example.com.", RRType::A).rcode(), Rcode::SERVFAIL);
    EXPECT_FALSE(fw.cache.get(name("www.example.com."), RRType::A, fw.now));
}

}  // namespace
}  // namespace l7::dns
