// The stub resolver without sockets: its transport is a scripted recursive resolver
// (FakeNetwork) that answers from a table of records, or times out, or answers SERVFAIL or
// REFUSED, per server, and logs every query it is sent. The tests check which queries went
// out, in which order, and what came back: search list and ndots, NXDOMAIN moving on to the
// next name, failover between servers, the cache (positive and negative, TTLs on a virtual
// clock), MX/SRV ordering, Happy Eyeballs interleaving, the hosts file and IP literals.

#include "dns/asio/stub_resolver.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using Strings = std::vector<std::string>;
using test::name;

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = ascii_lower(c);
    }
    return out;
}

// A recursive resolver as seen from a stub: records by (name, type), CNAMEs chased inside
// the table, NXDOMAIN or NODATA with the zone's SOA (TTL 300, MINIMUM 60) otherwise.
class FakeNetwork {
  public:
    enum class Behaviour { answer, timeout, servfail, refused, referral, wrong_id };

    void add(std::string_view owner, RRType type, std::string_view rdata, std::uint32_t ttl = 300) {
        records_[{lower(owner), type}].push_back(test::rr(owner, type, rdata, ttl));
    }
    void set(const std::string& server, Behaviour b) { behaviour_[server] = b; }
    // Whether negative answers carry the SOA (RFC 2308: without it they are not cached).
    bool negative_soa = true;
    // Whether CNAME targets are chased (a recursive resolver) or not (an authoritative
    // server whose zone does not hold the target).
    bool chase_cnames = true;

    StubTransport transport() {
        return [this](const StubRequest& r) { return reply(r); };
    }

    Result<Message> reply(const StubRequest& r) {
        std::lock_guard lock(mutex_);
        const Question& q = r.query.questions.at(0);
        const std::string server = r.server.to_string();
        log_.push_back(server + " " + q.name.to_text() + " " + type_to_text(q.type));
        EXPECT_TRUE(r.query.header.rd);
        EXPECT_GT(r.timeout.count(), 0);
        const auto b = behaviour_.find(server);
        const Behaviour behaviour = b == behaviour_.end() ? Behaviour::answer : b->second;
        if (behaviour == Behaviour::timeout) {
            return make_error("no reply from " + server + " after 1 try");
        }
        Message m;
        m.header = r.query.header;
        m.header.qr = true;
        m.header.ra = true;
        m.questions = r.query.questions;
        switch (behaviour) {
            case Behaviour::servfail:
                m.set_rcode(Rcode::SERVFAIL);
                return m;
            case Behaviour::refused:
                m.set_rcode(Rcode::REFUSED);
                return m;
            case Behaviour::referral:
                m.header.ra = false;
                m.authority.push_back(test::rr("com.", RRType::NS, "a.gtld-servers.net."));
                return m;
            case Behaviour::wrong_id:
                m.header.id = static_cast<std::uint16_t>(m.header.id + 1);
                return m;
            case Behaviour::answer:
            case Behaviour::timeout:
                break;
        }
        Name at = q.name;
        for (int links = 0; links < 16; ++links) {
            if (const auto it = records_.find({lower(at.to_text()), q.type});
                it != records_.end()) {
                m.answers.insert(m.answers.end(), it->second.begin(), it->second.end());
                return m;
            }
            const auto cname = records_.find({lower(at.to_text()), RRType::CNAME});
            if (cname == records_.end()) {
                break;
            }
            m.answers.push_back(cname->second.front());
            if (!chase_cnames) {
                return m;
            }
            at = *Name::from_wire(
                std::string_view(reinterpret_cast<const char*>(cname->second.front().rdata.data()),
                                 cname->second.front().rdata.size()));
        }
        const bool exists = std::any_of(records_.begin(), records_.end(), [&](const auto& entry) {
            return entry.first.first == lower(at.to_text());
        });
        m.set_rcode(exists ? Rcode::NOERROR : Rcode::NXDOMAIN);
        if (negative_soa) {
            m.authority.push_back(test::soa_record(1));
        }
        return m;
    }

    Strings log() const {
        std::lock_guard lock(mutex_);
        return log_;
    }
    std::size_t calls() const { return log().size(); }
    void clear_log() {
        std::lock_guard lock(mutex_);
        log_.clear();
    }

  private:
    mutable std::mutex mutex_;
    std::map<std::pair<std::string, RRType>, std::vector<ResourceRecord>> records_;
    std::map<std::string, Behaviour> behaviour_;
    Strings log_;
};

constexpr const char* kServer1 = "192.0.2.53:53";
constexpr const char* kServer2 = "192.0.2.54:53";

// A resolver on the fake network with a virtual clock and a fixed random sequence.
struct Fixture {
    FakeNetwork net;
    TimePoint now{std::chrono::hours(1)};
    std::uint64_t counter = 0;

    StubResolver make(const std::string& resolv_conf = "nameserver 192.0.2.53\n",
                      const std::string& hosts = "", StubOptions options = {}) {
        options.transport = net.transport();
        options.clock = [this] { return now; };
        options.random = [this] { return counter++; };
        return StubResolver(std::move(options), parse_resolv_conf(resolv_conf),
                            parse_hosts_file(hosts));
    }
};

// "SERVER NAME TYPE" for each query expected.
Strings queries(std::initializer_list<std::string> lines) {
    return Strings(lines);
}

TEST(StubResolver, AddressesInterleaveIpv6First) {
    Fixture f;
    f.net.add("www.example.com.", RRType::AAAA, "2001:db8::1");
    f.net.add("www.example.com.", RRType::AAAA, "2001:db8::2");
    f.net.add("www.example.com.", RRType::A, "192.0.2.1");
    f.net.add("www.example.com.", RRType::A, "192.0.2.2");
    f.net.add("www.example.com.", RRType::A, "192.0.2.3");
    StubResolver r = f.make();
    auto got = r.lookup_addresses("www.example.com");
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, (Strings{"2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2", "192.0.2.3"}));
    // RFC 8305 section 3: AAAA asked first.
    EXPECT_EQ(f.net.log(),
              queries({"192.0.2.53:53 www.example.com. AAAA", "192.0.2.53:53 www.example.com. A"}));

    auto v4 = r.lookup_addresses("www.example.com", AddressFamily::v4);
    ASSERT_TRUE(v4);
    EXPECT_EQ(*v4, (Strings{"192.0.2.1", "192.0.2.2", "192.0.2.3"}));
    auto v6 = r.lookup_addresses("www.example.com", AddressFamily::v6);
    ASSERT_TRUE(v6);
    EXPECT_EQ(*v6, (Strings{"2001:db8::1", "2001:db8::2"}));
}

TEST(StubResolver, SearchListInOrderAndNxdomainMovesOn) {
    Fixture f;
    f.net.add("www.example.com.", RRType::A, "192.0.2.80");
    StubResolver r = f.make(
        "nameserver 192.0.2.53\n"
        "search corp.example.com example.com\n");
    auto got = r.lookup_addresses("www", AddressFamily::v4);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, Strings{"192.0.2.80"});
    // Fewer dots than ndots (1): the search domains first, the name alone never reached.
    EXPECT_EQ(f.net.log(), queries({"192.0.2.53:53 www.corp.example.com. A",
                                    "192.0.2.53:53 www.example.com. A"}));
}

TEST(StubResolver, NxdomainOnOneFamilyCoversTheOtherThroughTheCache) {
    Fixture f;
    f.net.add("www.example.com.", RRType::A, "192.0.2.80");
    StubResolver r = f.make("nameserver 192.0.2.53\nsearch corp.example.com example.com\n");
    auto got = r.lookup_addresses("www");
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, Strings{"192.0.2.80"});
    // www.corp.example.com. does not exist: the cached NXDOMAIN answers its A question.
    EXPECT_EQ(f.net.log(),
              queries({"192.0.2.53:53 www.corp.example.com. AAAA",
                       "192.0.2.53:53 www.example.com. AAAA", "192.0.2.53:53 www.example.com. A"}));
}

TEST(StubResolver, NdotsDecidesWhetherTheNameAloneComesFirst) {
    Fixture f;
    f.net.add("a.b.example.com.", RRType::A, "192.0.2.1");
    f.net.add("a.b.", RRType::A, "192.0.2.2");
    {
        StubResolver r = f.make("nameserver 192.0.2.53\nsearch example.com\noptions ndots:1\n");
        auto got = r.lookup_addresses("a.b", AddressFamily::v4);
        ASSERT_TRUE(got);
        EXPECT_EQ(*got, Strings{"192.0.2.2"});  // one dot >= ndots 1: as given first
        EXPECT_EQ(f.net.log(), queries({"192.0.2.53:53 a.b. A"}));
    }
    f.net.clear_log();
    {
        StubResolver r = f.make("nameserver 192.0.2.53\nsearch example.com\noptions ndots:2\n");
        auto got = r.lookup_addresses("a.b", AddressFamily::v4);
        ASSERT_TRUE(got);
        EXPECT_EQ(*got, Strings{"192.0.2.1"});  // one dot < ndots 2: the search list first
        EXPECT_EQ(f.net.log(), queries({"192.0.2.53:53 a.b.example.com. A"}));
    }
    f.net.clear_log();
    {
        StubResolver r = f.make("nameserver 192.0.2.53\nsearch example.com\noptions ndots:2\n");
        auto got = r.lookup_addresses("a.b.", AddressFamily::v4);  // absolute: no search
        ASSERT_TRUE(got);
        EXPECT_EQ(*got, Strings{"192.0.2.2"});
        EXPECT_EQ(f.net.log(), queries({"192.0.2.53:53 a.b. A"}));
    }
}

TEST(StubResolver, EveryNameNxdomainIsNoSuchName) {
    Fixture f;
    StubResolver r = f.make("nameserver 192.0.2.53\nsearch corp.example.com example.com\n");
    auto got = r.lookup_addresses("nosuch");
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, StubErrc::no_such_name);
    EXPECT_EQ(got.error().message,
              "'nosuch' does not exist: NXDOMAIN for nosuch.corp.example.com., "
              "nosuch.example.com., nosuch.");
    // Three names, AAAA asked for each; A comes from the cached NXDOMAIN.
    EXPECT_EQ(f.net.calls(), 3u);

    auto one = r.lookup_addresses("nosuch.example.com.");
    ASSERT_FALSE(one);
    EXPECT_EQ(one.error().code, StubErrc::no_such_name);
    EXPECT_EQ(one.error().message, "nosuch.example.com. does not exist (NXDOMAIN)");
}

TEST(StubResolver, NoDataWhenTheNameHasOnlyTheOtherFamily) {
    Fixture f;
    f.net.add("v4only.example.com.", RRType::A, "192.0.2.4");
    StubResolver r = f.make();
    auto v6 = r.lookup_addresses("v4only.example.com.", AddressFamily::v6);
    ASSERT_FALSE(v6);
    EXPECT_EQ(v6.error().code, StubErrc::no_data);
    EXPECT_EQ(v6.error().message, "v4only.example.com. has no AAAA records");
    auto any = r.lookup_addresses("v4only.example.com.");
    ASSERT_TRUE(any);
    EXPECT_EQ(*any, Strings{"192.0.2.4"});
}

TEST(StubResolver, TimeoutFailsOverToTheNextServer) {
    Fixture f;
    f.net.add("www.example.com.", RRType::A, "192.0.2.80");
    f.net.set(kServer1, FakeNetwork::Behaviour::timeout);
    StubResolver r = f.make("nameserver 192.0.2.53\nnameserver 192.0.2.54\n");
    auto got = r.lookup_addresses("www.example.com.", AddressFamily::v4);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, Strings{"192.0.2.80"});
    EXPECT_EQ(f.net.log(),
              queries({"192.0.2.53:53 www.example.com. A", "192.0.2.54:53 www.example.com. A"}));
}

TEST(StubResolver, ServfailAndRefusedFailOverAndAreNotAskedAgain) {
    Fixture f;
    f.net.set(kServer1, FakeNetwork::Behaviour::servfail);
    f.net.set(kServer2, FakeNetwork::Behaviour::timeout);
    StubResolver r = f.make("nameserver 192.0.2.53\nnameserver 192.0.2.54\noptions attempts:3\n");
    auto got = r.lookup_addresses("www.example.com.", AddressFamily::v4);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, StubErrc::no_answer);
    EXPECT_EQ(got.error().message,
              "no server answered for www.example.com. A: 192.0.2.53:53 answered SERVFAIL; no "
              "reply from 192.0.2.54:53 after 1 try");
    // Three rounds: the server that timed out is asked each round, the one that failed once.
    EXPECT_EQ(f.net.log(),
              queries({"192.0.2.53:53 www.example.com. A", "192.0.2.54:53 www.example.com. A",
                       "192.0.2.54:53 www.example.com. A", "192.0.2.54:53 www.example.com. A"}));

    f.net.clear_log();
    f.net.set(kServer1, FakeNetwork::Behaviour::refused);
    f.net.set(kServer2, FakeNetwork::Behaviour::answer);
    f.net.add("www.example.com.", RRType::A, "192.0.2.80");
    auto next = r.lookup_addresses("www.example.com.", AddressFamily::v4);
    ASSERT_TRUE(next) << next.error().message;
    EXPECT_EQ(f.net.calls(), 2u);
}

TEST(StubResolver, AReferralOrAMismatchedReplyMovesOn) {
    Fixture f;
    f.net.add("www.example.com.", RRType::A, "192.0.2.80");
    f.net.set(kServer1, FakeNetwork::Behaviour::referral);
    StubResolver r = f.make("nameserver 192.0.2.53\nnameserver 192.0.2.54\n");
    auto got = r.lookup_addresses("www.example.com.", AddressFamily::v4);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(f.net.calls(), 2u);

    f.net.set(kServer2, FakeNetwork::Behaviour::wrong_id);
    auto none = r.lookup_addresses("other.example.com.", AddressFamily::v4);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().message,
              "no server answered for other.example.com. A: 192.0.2.53:53 sent a referral "
              "instead of an answer (it does not resolve recursively); 192.0.2.54:53 sent a "
              "reply that does not match the query");
}

TEST(StubResolver, RotateStartsEachQuestionAtTheNextServer) {
    Fixture f;
    f.net.add("a.example.com.", RRType::A, "192.0.2.1");
    f.net.add("b.example.com.", RRType::A, "192.0.2.2");
    f.net.add("c.example.com.", RRType::A, "192.0.2.3");
    StubResolver r = f.make("nameserver 192.0.2.53\nnameserver 192.0.2.54\noptions rotate\n");
    for (const char* host : {"a.example.com.", "b.example.com.", "c.example.com."}) {
        ASSERT_TRUE(r.lookup_addresses(host, AddressFamily::v4));
    }
    EXPECT_EQ(f.net.log(),
              queries({"192.0.2.53:53 a.example.com. A", "192.0.2.54:53 b.example.com. A",
                       "192.0.2.53:53 c.example.com. A"}));
}

TEST(StubResolver, ServersGivenReplaceResolvConfs) {
    Fixture f;
    f.net.add("www.example.com.", RRType::A, "192.0.2.80");
    StubOptions o;
    o.servers = {HostPort{"192.0.2.54", 53}};
    o.attempts = 1;
    o.timeout = std::chrono::milliseconds(250);
    StubResolver r = f.make("nameserver 192.0.2.53\n", "", o);
    EXPECT_EQ(r.servers().size(), 1u);
    ASSERT_TRUE(r.lookup_addresses("www.example.com.", AddressFamily::v4));
    EXPECT_EQ(f.net.log(), queries({"192.0.2.54:53 www.example.com. A"}));
}

TEST(StubResolver, CacheAnswersUntilTheTtlRunsOut) {
    Fixture f;
    f.net.add("www.example.com.", RRType::A, "192.0.2.80", 120);
    f.net.add("www.example.com.", RRType::AAAA, "2001:db8::80", 120);
    StubResolver r = f.make();
    ASSERT_TRUE(r.lookup_addresses("www.example.com"));
    EXPECT_EQ(f.net.calls(), 2u);
    f.now += std::chrono::seconds(119);
    auto again = r.lookup_addresses("www.example.com");
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, (Strings{"2001:db8::80", "192.0.2.80"}));
    EXPECT_EQ(f.net.calls(), 2u);  // no new query
    EXPECT_EQ(r.cache_stats().hits, 2u);
    f.now += std::chrono::seconds(1);
    ASSERT_TRUE(r.lookup_addresses("www.example.com"));
    EXPECT_EQ(f.net.calls(), 4u);  // expired: asked again

    r.clear_cache();
    ASSERT_TRUE(r.lookup_addresses("www.example.com"));
    EXPECT_EQ(f.net.calls(), 6u);
}

TEST(StubResolver, NegativeAnswersAreCachedForTheSoaMinimum) {
    Fixture f;
    f.net.add("v4only.example.com.", RRType::A, "192.0.2.4");
    StubResolver r = f.make();
    ASSERT_FALSE(r.lookup_addresses("nosuch.example.com."));
    ASSERT_FALSE(r.lookup_addresses("v4only.example.com.", AddressFamily::v6));
    EXPECT_EQ(f.net.calls(), 2u);  // NXDOMAIN once for both families; NODATA for AAAA
    f.now += std::chrono::seconds(59);
    auto nx = r.lookup_addresses("nosuch.example.com.");
    ASSERT_FALSE(nx);
    EXPECT_EQ(nx.error().code, StubErrc::no_such_name);
    auto nodata = r.lookup_addresses("v4only.example.com.", AddressFamily::v6);
    ASSERT_FALSE(nodata);
    EXPECT_EQ(nodata.error().code, StubErrc::no_data);
    EXPECT_EQ(f.net.calls(), 2u);
    EXPECT_EQ(r.cache_stats().negative_hits, 4u);  // with the A of the first lookup
    // RFC 2308 section 5: min(SOA TTL 300, MINIMUM 60).
    f.now += std::chrono::seconds(1);
    ASSERT_FALSE(r.lookup_addresses("nosuch.example.com.", AddressFamily::v4));
    EXPECT_EQ(f.net.calls(), 3u);
}

TEST(StubResolver, NegativeAnswersWithoutSoaAreNotCached) {
    Fixture f;
    f.net.negative_soa = false;
    StubResolver r = f.make();
    ASSERT_FALSE(r.lookup_addresses("nosuch.example.com.", AddressFamily::v4));
    ASSERT_FALSE(r.lookup_addresses("nosuch.example.com.", AddressFamily::v4));
    EXPECT_EQ(f.net.calls(), 2u);
}

TEST(StubResolver, NoCacheWhenAskedForNone) {
    Fixture f;
    f.net.add("www.example.com.", RRType::A, "192.0.2.80");
    StubOptions o;
    o.cache_entries = 0;
    StubResolver r = f.make("nameserver 192.0.2.53\n", "", o);
    ASSERT_TRUE(r.lookup_addresses("www.example.com.", AddressFamily::v4));
    ASSERT_TRUE(r.lookup_addresses("www.example.com.", AddressFamily::v4));
    EXPECT_EQ(f.net.calls(), 2u);
    EXPECT_EQ(r.cache_stats().entries, 0u);
}

TEST(StubResolver, CnamesAreFollowedInTheReplyAndInTheCache) {
    Fixture f;
    f.net.add("alias.example.com.", RRType::CNAME, "www.example.com.");
    f.net.add("www.example.com.", RRType::A, "192.0.2.80");
    StubResolver r = f.make();
    auto got = r.lookup_addresses("alias.example.com.", AddressFamily::v4);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, Strings{"192.0.2.80"});
    EXPECT_EQ(f.net.calls(), 1u);
    // Both links are cached: www from its own RRset, alias through its CNAME.
    ASSERT_TRUE(r.lookup_addresses("www.example.com.", AddressFamily::v4));
    ASSERT_TRUE(r.lookup_addresses("alias.example.com.", AddressFamily::v4));
    EXPECT_EQ(f.net.calls(), 1u);
}

TEST(StubResolver, ACnameTheReplyDoesNotSettleIsAskedFor) {
    Fixture f;
    f.net.chase_cnames = false;  // an authoritative server: the target is out of its zone
    f.net.add("alias.example.com.", RRType::CNAME, "www.example.net.");
    f.net.add("www.example.net.", RRType::A, "198.51.100.80");
    StubResolver r = f.make();
    auto got = r.lookup_addresses("alias.example.com.", AddressFamily::v4);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, Strings{"198.51.100.80"});
    EXPECT_EQ(f.net.log(),
              queries({"192.0.2.53:53 alias.example.com. A", "192.0.2.53:53 www.example.net. A"}));
}

TEST(StubResolver, ACnameLoopEnds) {
    Fixture f;
    f.net.chase_cnames = false;
    f.net.add("loop1.example.com.", RRType::CNAME, "loop2.example.com.");
    f.net.add("loop2.example.com.", RRType::CNAME, "loop1.example.com.");
    StubResolver r = f.make();
    auto got = r.lookup_addresses("loop1.example.com.", AddressFamily::v4);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, StubErrc::no_answer);
    EXPECT_EQ(got.error().message,
              "no server answered for loop1.example.com. A: the CNAME chain from "
              "loop1.example.com. is longer than 8 links");
    EXPECT_LE(f.net.calls(), 9u);
}

TEST(StubResolver, HostsFileComesFirst) {
    Fixture f;
    f.net.add("www.example.com.", RRType::A, "192.0.2.80");
    StubResolver r = f.make("nameserver 192.0.2.53\n",
                            "127.0.0.1 localhost\n::1 localhost\n"
                            "192.0.2.200 www.example.com\n");
    auto local = r.lookup_addresses("localhost");
    ASSERT_TRUE(local);
    EXPECT_EQ(*local, (Strings{"::1", "127.0.0.1"}));
    auto www = r.lookup_addresses("WWW.Example.COM.");
    ASSERT_TRUE(www);
    EXPECT_EQ(*www, Strings{"192.0.2.200"});
    auto v4 = r.lookup_addresses("localhost", AddressFamily::v4);
    ASSERT_TRUE(v4);
    EXPECT_EQ(*v4, Strings{"127.0.0.1"});
    EXPECT_EQ(f.net.calls(), 0u);
    // The file has no IPv6 address for www: DNS is asked, as glibc's "files dns" does.
    auto v6 = r.lookup_addresses("www.example.com", AddressFamily::v6);
    ASSERT_FALSE(v6);
    EXPECT_EQ(f.net.log(), queries({"192.0.2.53:53 www.example.com. AAAA"}));
}

TEST(StubResolver, AnIpLiteralIsItsOwnAnswer) {
    Fixture f;
    StubResolver r = f.make();
    auto v4 = r.lookup_addresses("192.0.2.1");
    ASSERT_TRUE(v4);
    EXPECT_EQ(*v4, Strings{"192.0.2.1"});
    auto v6 = r.lookup_addresses("2001:DB8:0::1", AddressFamily::v6);
    ASSERT_TRUE(v6);
    EXPECT_EQ(*v6, Strings{"2001:db8::1"});
    auto wrong = r.lookup_addresses("192.0.2.1", AddressFamily::v6);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, StubErrc::no_data);
    EXPECT_EQ(wrong.error().message, "192.0.2.1 is an IPv4 address, not an IPv6 one");
    EXPECT_EQ(f.net.calls(), 0u);
}

TEST(StubResolver, BadNames) {
    Fixture f;
    StubResolver r = f.make();
    for (const char* bad : {"", "a..b", "toolong.\\999"}) {
        auto got = r.lookup_addresses(bad);
        ASSERT_FALSE(got) << bad;
        EXPECT_EQ(got.error().code, StubErrc::bad_name) << bad;
    }
    auto mx = r.lookup_mx("bad..domain");
    ASSERT_FALSE(mx);
    EXPECT_EQ(mx.error().code, StubErrc::bad_name);
    EXPECT_EQ(mx.error().message,
              "'bad..domain' is not a domain name: empty label in 'bad..domain'");
    EXPECT_EQ(f.net.calls(), 0u);
}

TEST(StubResolver, MxByPreference) {
    Fixture f;
    f.net.add("example.com.", RRType::MX, "20 backup.example.com.");
    f.net.add("example.com.", RRType::MX, "10 mx1.example.com.");
    f.net.add("example.com.", RRType::MX, "5 primary.example.com.");
    f.net.add("example.com.", RRType::MX, "10 mx2.example.com.");
    StubResolver r = f.make("nameserver 192.0.2.53\nsearch corp.example.com\n");
    auto got = r.lookup_mx("example.com");
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_EQ(got->size(), 4u);
    EXPECT_EQ((*got)[0].preference, 5);
    EXPECT_EQ((*got)[0].exchange, name("primary.example.com."));
    EXPECT_EQ((*got)[1].preference, 10);
    EXPECT_EQ((*got)[2].preference, 10);
    EXPECT_NE((*got)[1].exchange, (*got)[2].exchange);
    EXPECT_EQ((*got)[3].exchange, name("backup.example.com."));
    // The mail domain is fully qualified: no search list.
    EXPECT_EQ(f.net.log(), queries({"192.0.2.53:53 example.com. MX"}));
}

TEST(StubResolver, MxEqualPreferencesTakeTurnsFirst) {
    Fixture f;
    f.net.add("example.com.", RRType::MX, "10 mx1.example.com.");
    f.net.add("example.com.", RRType::MX, "10 mx2.example.com.");
    StubResolver r = f.make();
    std::map<std::string, int> first;
    for (int i = 0; i < 20; ++i) {
        auto got = r.lookup_mx("example.com");
        ASSERT_TRUE(got);
        ++first[(*got)[0].exchange.to_text()];
    }
    EXPECT_GT(first["mx1.example.com."], 0);
    EXPECT_GT(first["mx2.example.com."], 0);
    EXPECT_EQ(f.net.calls(), 1u);  // the rest from the cache
}

TEST(StubResolver, MxErrors) {
    Fixture f;
    f.net.add("nomail.example.com.", RRType::MX, "0 .");
    f.net.add("nomx.example.com.", RRType::A, "192.0.2.25");
    StubResolver r = f.make();
    auto null_mx = r.lookup_mx("nomail.example.com");
    ASSERT_FALSE(null_mx);
    EXPECT_EQ(null_mx.error().code, StubErrc::no_service);
    EXPECT_EQ(null_mx.error().message, "nomail.example.com. accepts no mail (null MX, RFC 7505)");
    auto none = r.lookup_mx("nomx.example.com");
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, StubErrc::no_data);  // the caller falls back to the domain
    EXPECT_EQ(none.error().message, "nomx.example.com. has no MX records");
    auto nx = r.lookup_mx("nosuch.example.com");
    ASSERT_FALSE(nx);
    EXPECT_EQ(nx.error().code, StubErrc::no_such_name);
    EXPECT_EQ(nx.error().message, "nosuch.example.com. does not exist (NXDOMAIN)");
}

TEST(StubResolver, SrvByPriorityThenWeight) {
    Fixture f;
    f.net.add("_sip._udp.example.com.", RRType::SRV, "10 0 5060 backup.example.com.");
    f.net.add("_sip._udp.example.com.", RRType::SRV, "0 5 5060 sip1.example.com.");
    f.net.add("_sip._udp.example.com.", RRType::SRV, "0 5 5061 sip2.example.com.");
    StubResolver r = f.make();
    auto got = r.lookup_srv("_sip._udp.example.com");
    ASSERT_TRUE(got) << got.error().message;
    ASSERT_EQ(got->size(), 3u);
    EXPECT_EQ((*got)[0].priority, 0);
    EXPECT_EQ((*got)[1].priority, 0);
    EXPECT_EQ((*got)[0].weight, 5);
    EXPECT_EQ((*got)[2].target, name("backup.example.com."));
    EXPECT_EQ((*got)[2].port, 5060);
    EXPECT_EQ((*got)[2].priority, 10);
}

TEST(StubResolver, SrvDotMeansNoService) {
    Fixture f;
    f.net.add("_imap._tcp.example.com.", RRType::SRV, "0 0 0 .");
    StubResolver r = f.make();
    auto got = r.lookup_srv("_imap._tcp.example.com");
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, StubErrc::no_service);
    auto none = r.lookup_srv("_xmpp._tcp.example.com");
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().code, StubErrc::no_such_name);
}

TEST(StubResolver, ATransportThatThrowsCountsAsAFailedTry) {
    Fixture f;
    f.net.add("www.example.com.", RRType::A, "192.0.2.80");
    // The first server has no socket for its address family.
    StubOptions throwing;
    throwing.transport = [&f](const StubRequest& req) -> Result<Message> {
        if (req.server.to_string() == kServer1) {
            throw std::system_error(std::make_error_code(std::errc::address_family_not_supported));
        }
        return f.net.reply(req);
    };
    throwing.clock = [&f] { return f.now; };
    StubResolver t(std::move(throwing),
                   parse_resolv_conf("nameserver 192.0.2.53\nnameserver 192.0.2.54\n"),
                   HostsFile{});
    auto got = t.lookup_addresses("www.example.com.", AddressFamily::v4);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(*got, Strings{"192.0.2.80"});
}

TEST(StubResolver, ManyThreadsShareOneResolver) {
    Fixture f;
    f.net.add("www.example.com.", RRType::A, "192.0.2.80");
    f.net.add("www.example.com.", RRType::AAAA, "2001:db8::80");
    StubResolver r = f.make();
    std::vector<std::thread> threads;
    std::atomic<int> good{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                auto got = r.lookup_addresses("www.example.com");
                if (got && got->size() == 2) {
                    ++good;
                }
            }
        });
    }
    for (std::thread& t : threads) {
        t.join();
    }
    EXPECT_EQ(good.load(), 200);
    EXPECT_LE(f.net.calls(), 8u);  // at most each thread's first lookup missed the cache
}

// The coroutine forms, with a scripted async transport on an io_context.
// Each reply takes 20 ms, so that two questions asked at once overlap.
asio::awaitable<Result<Message>> slow_reply(StubRequest req, FakeNetwork* net,
                                            std::atomic<int>* in_flight, std::atomic<int>* most) {
    const int now = ++*in_flight;
    *most = std::max(most->load(), now);
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::milliseconds(20));
    co_await timer.async_wait(asio::use_awaitable);
    --*in_flight;
    co_return net->reply(req);
}

TEST(StubResolver, CoroutineFormsAskBothFamiliesAtOnce) {
    Fixture f;
    f.net.add("www.example.com.", RRType::A, "192.0.2.80");
    f.net.add("www.example.com.", RRType::AAAA, "2001:db8::80");
    f.net.add("example.com.", RRType::MX, "10 mail.example.com.");
    f.net.add("_sip._udp.example.com.", RRType::SRV, "0 5 5060 sip.example.com.");
    StubOptions o;
    std::atomic<int> in_flight{0};
    std::atomic<int> most_in_flight{0};
    o.async_transport = [&](StubRequest req) {
        return slow_reply(std::move(req), &f.net, &in_flight, &most_in_flight);
    };
    StubResolver r = f.make("nameserver 192.0.2.53\n", "", o);
    std::optional<StubResult<Strings>> addresses;
    std::optional<StubResult<std::vector<MxTarget>>> mx;
    std::optional<StubResult<std::vector<SrvTarget>>> srv;
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            addresses = co_await r.async_lookup_addresses("www.example.com");
            mx = co_await r.async_lookup_mx("example.com");
            srv = co_await r.async_lookup_srv("_sip._udp.example.com");
        },
        asio::detached);
    io.run();
    ASSERT_TRUE(addresses && *addresses);
    EXPECT_EQ(**addresses, (Strings{"2001:db8::80", "192.0.2.80"}));
    EXPECT_EQ(most_in_flight.load(), 2);
    ASSERT_TRUE(mx && *mx);
    EXPECT_EQ((**mx)[0].exchange, name("mail.example.com."));
    ASSERT_TRUE(srv && *srv);
    EXPECT_EQ((**srv)[0].port, 5060);
    EXPECT_EQ(f.net.calls(), 4u);
}

class StubResolverFiles : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ =
            std::filesystem::temp_directory_path() /
            ("l7-stub-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string write(const std::string& file, const std::string& text) {
        const auto path = (dir_ / file).string();
        std::ofstream(path) << text;
        return path;
    }
    std::filesystem::path dir_;
};

TEST_F(StubResolverFiles, CreateReadsBothFiles) {
    StubOptions o;
    o.resolv_conf_path = write("resolv.conf",
                               "nameserver 192.0.2.53\nsearch example.com\nbogus-line\n"
                               "nameserver not-an-address\n");
    o.hosts_path = write("hosts", "192.0.2.9 from-hosts\njunk\n");
    auto r = StubResolver::create(o);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->servers().size(), 1u);
    EXPECT_EQ(r->servers()[0].to_string(), "192.0.2.53:53");
    ASSERT_EQ(r->resolv_conf().search.size(), 1u);
    auto hosts = r->lookup_addresses("from-hosts");
    ASSERT_TRUE(hosts);
    EXPECT_EQ(*hosts, Strings{"192.0.2.9"});
    ASSERT_EQ(r->warnings().size(), 2u);
    EXPECT_EQ(r->warnings()[0], o.resolv_conf_path +
                                    ": line 4: nameserver 'not-an-address' ignored: not an IPv4 "
                                    "or IPv6 address");
    EXPECT_EQ(r->warnings()[1],
              o.hosts_path + ": line 2: 'junk' is not an IPv4 or IPv6 address, line ignored");
}

TEST_F(StubResolverFiles, MissingFilesGiveTheDefaults) {
    StubOptions o;
    o.resolv_conf_path = (dir_ / "absent.conf").string();
    o.hosts_path = (dir_ / "absent.hosts").string();
    auto r = StubResolver::create(o);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->servers()[0].to_string(), "127.0.0.1:53");
    EXPECT_TRUE(r->warnings().empty());
}

TEST_F(StubResolverFiles, UnreadableFilesAndBadServersAreErrorsNamingThem) {
    StubOptions o;
    o.resolv_conf_path = dir_.string();
    auto r = StubResolver::create(o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message,
              "cannot read resolver configuration '" + dir_.string() + "': it is a directory");

    StubOptions h;
    h.resolv_conf_path = "";
    h.hosts_path = dir_.string();
    auto rh = StubResolver::create(h);
    ASSERT_FALSE(rh);
    EXPECT_EQ(rh.error().message,
              "cannot read hosts file '" + dir_.string() + "': it is a directory");

    StubOptions s;
    s.resolv_conf_path = "";
    s.hosts_path = "";
    s.servers = {HostPort{"dns.example.com", 53}};
    auto rs = StubResolver::create(s);
    ASSERT_FALSE(rs);
    EXPECT_EQ(rs.error().message,
              "server 'dns.example.com:53' is not an IP address (a stub resolver cannot look up "
              "its own servers)");
}

}  // namespace
}  // namespace l7::dns
