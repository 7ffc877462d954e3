// Iterative resolution against a scripted hierarchy: each "server" is an l7 authoritative
// responder (responder.hpp) over its own zones, so the resolver meets real referrals, glue,
// CNAMEs and negative answers, without sockets. Servers missing from the map time out.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <random>

#include "dns/rdata.hpp"
#include "dns/resolver/resolution.hpp"
#include "dns/responder.hpp"
#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using namespace std::chrono_literals;
using test::make_zone;
using test::name;
using test::rdata;

const char* kRoot = R"($TTL 86400
@ SOA a.root. hostmaster.root. 1 1800 900 604800 86400
@ NS a.root.
a.root. A 192.0.2.1
com. NS ns.com.
ns.com. A 192.0.2.2
net. NS ns.net.
ns.net. A 192.0.2.3
org. NS ns.org.
ns.org. A 192.0.2.4
)";
const char* kCom = R"($TTL 86400
@ SOA ns.com. hostmaster.com. 1 1800 900 604800 86400
@ NS ns.com.
ns A 192.0.2.2
example NS ns1.example.com.
example NS ns2.example.com.
ns1.example A 192.0.2.10
ns2.example A 192.0.2.11
loop NS ns.loop.com.
ns.loop A 192.0.2.30
)";
const char* kNet = R"($TTL 86400
@ SOA ns.net. hostmaster.net. 1 1800 900 604800 86400
@ NS ns.net.
ns A 192.0.2.3
example NS ns.example.net.
ns.example A 192.0.2.20
)";
const char* kOrg = R"($TTL 86400
@ SOA ns.org. hostmaster.org. 1 1800 900 604800 86400
@ NS ns.org.
ns A 192.0.2.4
glueless NS ns.example.net.
)";
const char* kExampleCom = R"($TTL 300
@ SOA ns1 hostmaster 1 1800 900 604800 60
@ NS ns1
@ NS ns2
ns1 A 192.0.2.10
ns2 A 192.0.2.11
www A 192.0.2.80
alias CNAME www.example.net.
host.dept A 192.0.2.7
old DNAME example.net.
)";
const char* kExampleNet = R"($TTL 300
@ SOA ns hostmaster 1 1800 900 604800 60
@ NS ns
ns A 192.0.2.20
www A 192.0.2.90
)";
const char* kGlueless = R"($TTL 300
@ SOA ns.example.net. hostmaster 1 1800 900 604800 60
@ NS ns.example.net.
www A 192.0.2.99
)";
const char* kLoop = R"($TTL 300
@ SOA ns hostmaster 1 1800 900 604800 60
@ NS ns
ns A 192.0.2.30
a CNAME b
b CNAME a
)";

ZoneSet zones_of(std::initializer_list<std::pair<const char*, const char*>> zones) {
    ZoneSet set;
    for (const auto& [origin, text] : zones) {
        set.add(make_zone(text, name(origin)));
    }
    return set;
}

// The scripted Internet: endpoint -> the zones its server answers from.
struct Network {
    std::map<std::string, ZoneSet> servers;
    std::map<std::string, Rcode> broken;  // endpoint -> rcode it answers everything with
    // endpoint -> a server written by the test: the reply to a query (over TCP or not), or
    // nothing (a timeout).
    std::map<std::string, std::function<std::optional<Message>(const Message&, bool tcp)>> custom;
    std::vector<UpstreamRequest> requests;  // every query sent, in order
    int queries = 0;
    std::vector<std::string> seen;  // "server: qname qtype" in lowercase, as the servers saw them
};

Network hierarchy() {
    Network n;
    n.servers["192.0.2.1:53"] = zones_of({{".", kRoot}});
    n.servers["192.0.2.2:53"] = zones_of({{"com.", kCom}});
    n.servers["192.0.2.3:53"] = zones_of({{"net.", kNet}});
    n.servers["192.0.2.4:53"] = zones_of({{"org.", kOrg}});
    n.servers["192.0.2.10:53"] = zones_of({{"example.com.", kExampleCom}});
    n.servers["192.0.2.11:53"] = zones_of({{"example.com.", kExampleCom}});
    n.servers["192.0.2.20:53"] =
        zones_of({{"example.net.", kExampleNet}, {"glueless.org.", kGlueless}});
    n.servers["192.0.2.30:53"] = zones_of({{"loop.com.", kLoop}});
    return n;
}

struct Resolver {
    SharedCache cache;
    UpstreamTable upstream;
    RootHints hints;
    std::mt19937_64 rng{7};
    ResolverContext ctx{cache, upstream, hints, kDnsPort, {}, [this] { return rng(); }};
    TimePoint now{};

    Resolver() { hints = *RootHints::from_servers(std::vector<std::string>{"192.0.2.1:53"}); }

    // Runs one resolution to the end over `net`; each exchange takes 1 ms.
    Message resolve(Network& net, std::string_view qname, RRType type,
                    Resolution** keep = nullptr) {
        static std::vector<std::unique_ptr<Resolution>> alive;
        alive.push_back(
            std::make_unique<Resolution>(Question{name(qname), type, RRClass::IN}, ctx, now));
        Resolution& r = *alive.back();
        if (keep != nullptr) {
            *keep = &r;
        }
        for (int guard = 0; guard < 200 && !r.done(); ++guard) {
            auto req = r.poll_request(now);
            if (!req) {
                break;
            }
            ++net.queries;
            now += 1ms;
            net.seen.push_back(req->server + ": " +
                               req->query.questions.front().name.lowercased().to_text() + " " +
                               type_to_text(req->query.questions.front().type));
            net.requests.push_back(*req);
            if (const auto c = net.custom.find(req->server); c != net.custom.end()) {
                auto reply = c->second(req->query, req->tcp);
                if (reply) {
                    r.on_reply(req->token, req->server, *reply, now);
                } else {
                    r.on_timeout(req->token, now);
                }
                continue;
            }
            const auto server = net.servers.find(req->server);
            if (server == net.servers.end()) {
                r.on_timeout(req->token, now);
                continue;
            }
            const Bytes wire = encode_message(req->query);
            std::vector<std::uint8_t> out(65535);
            std::size_t size = 0;
            if (const auto b = net.broken.find(req->server); b != net.broken.end()) {
                size = error_response(wire, b->second, out);
            } else {
                size =
                    respond(server->second, wire, out, req->tcp ? Transport::tcp : Transport::udp);
            }
            auto reply = decode_message(std::span<const std::uint8_t>(out.data(), size));
            EXPECT_TRUE(reply) << reply.error().message;
            r.on_reply(req->token, req->server, *reply, now);
        }
        EXPECT_TRUE(r.done());
        return r.response();
    }
};

// What example.com's server would say, decoded: the scripted servers start from it.
Message real_answer(const Message& query) {
    const ZoneSet zones = zones_of({{"example.com.", kExampleCom}});
    const Bytes wire = encode_message(query);
    std::vector<std::uint8_t> out(65535);
    const std::size_t size = respond(zones, wire, out, Transport::tcp);
    return *decode_message(std::span<const std::uint8_t>(out.data(), size));
}

std::vector<std::string> texts(const std::vector<ResourceRecord>& rrs) {
    std::vector<std::string> out;
    for (const ResourceRecord& rr : rrs) {
        out.push_back(rr.owner.to_text() + " " + type_to_text(rr.type) + " " +
                      rdata_to_text(rr.type, rr.rdata));
    }
    return out;
}

TEST(Resolution, FollowsReferralsFromTheRootAndThenAnswersFromTheCache) {
    Network net = hierarchy();
    Resolver r;
    Resolution* res = nullptr;
    const Message m = r.resolve(net, "www.example.com.", RRType::A, &res);
    EXPECT_EQ(m.rcode(), Rcode::NOERROR);
    EXPECT_TRUE(m.header.ra);
    EXPECT_EQ(texts(m.answers), std::vector<std::string>{"www.example.com. A 192.0.2.80"});
    ASSERT_EQ(res->steps().size(), 3u);
    EXPECT_EQ(res->steps()[0].server, "192.0.2.1:53");
    EXPECT_EQ(res->steps()[0].outcome, "referral to com. (1 server)");
    EXPECT_EQ(res->steps()[1].outcome, "referral to example.com. (2 servers)");
    EXPECT_EQ(res->steps()[2].outcome, "answer");
    EXPECT_EQ(net.queries, 3);
    // Again: from the cache, no query at all; a sibling name starts at example.com's servers.
    const Message again = r.resolve(net, "www.example.com.", RRType::A);
    EXPECT_EQ(texts(again.answers), texts(m.answers));
    EXPECT_EQ(net.queries, 3);
    // ns1.example.com's address is cached, but as glue, which is no answer for a client
    // (RFC 2181 section 5.4.1): one query, straight to example.com's servers.
    EXPECT_EQ(texts(r.resolve(net, "ns1.example.com.", RRType::A).answers),
              std::vector<std::string>{"ns1.example.com. A 192.0.2.10"});
    EXPECT_EQ(net.queries, 4);
}

TEST(Resolution, EachServerSeesOnlyOneLabelMoreThanItsZone) {
    // RFC 9156: the root learns "com." is wanted, com's server "example.com."; only
    // example.com's own servers see the whole name and type.
    Network net = hierarchy();
    Resolver r;
    Resolution* res = nullptr;
    const Message m = r.resolve(net, "host.dept.example.com.", RRType::MX, &res);
    EXPECT_EQ(m.rcode(), Rcode::NOERROR);  // NODATA: the name has an A record only
    ASSERT_EQ(net.seen.size(), 4u);
    EXPECT_EQ(net.seen[0], "192.0.2.1:53: com. A");
    EXPECT_EQ(net.seen[1], "192.0.2.2:53: example.com. A");
    // Either of example.com's two servers.
    EXPECT_NE(net.seen[2].find(": dept.example.com. A"), std::string::npos);
    EXPECT_NE(net.seen[3].find(": host.dept.example.com. MX"), std::string::npos);
    ASSERT_EQ(res->steps().size(), 4u);
    EXPECT_EQ(res->steps()[2].outcome, "dept.example.com. is no zone cut: one label more");
    EXPECT_EQ(res->steps()[3].outcome, "no data");
}

TEST(Resolution, AnNxdomainForAMinimisedNameEndsTheSearch) {
    // RFC 8020: nothing exists below a name that does not exist.
    Network net = hierarchy();
    Resolver r;
    Resolution* res = nullptr;
    const Message m = r.resolve(net, "a.b.nope.example.com.", RRType::A, &res);
    EXPECT_EQ(m.rcode(), Rcode::NXDOMAIN);
    ASSERT_EQ(res->steps().size(), 3u);
    EXPECT_EQ(res->steps()[2].outcome,
              "NXDOMAIN for nope.example.com., so for everything below it");
}

TEST(Resolution, NxdomainIsReturnedWithTheSoaAndCached) {
    Network net = hierarchy();
    Resolver r;
    const Message m = r.resolve(net, "nope.example.com.", RRType::A);
    EXPECT_EQ(m.rcode(), Rcode::NXDOMAIN);
    ASSERT_EQ(m.authority.size(), 1u);
    EXPECT_EQ(m.authority[0].type, RRType::SOA);
    const int before = net.queries;
    EXPECT_EQ(r.resolve(net, "nope.example.com.", RRType::MX).rcode(), Rcode::NXDOMAIN);
    EXPECT_EQ(net.queries, before);
}

TEST(Resolution, ChasesACnameIntoAnotherZone) {
    Network net = hierarchy();
    Resolver r;
    const Message m = r.resolve(net, "alias.example.com.", RRType::A);
    EXPECT_EQ(m.rcode(), Rcode::NOERROR);
    EXPECT_EQ(texts(m.answers),
              (std::vector<std::string>{"alias.example.com. CNAME www.example.net.",
                                        "www.example.net. A 192.0.2.90"}));
}

TEST(Resolution, FollowsADnameAndSynthesizesTheCname) {
    // RFC 6672: old.example.com. and everything below it moved to example.net.
    Network net = hierarchy();
    Resolver r;
    const Message m = r.resolve(net, "www.old.example.com.", RRType::A);
    EXPECT_EQ(m.rcode(), Rcode::NOERROR);
    EXPECT_EQ(texts(m.answers),
              (std::vector<std::string>{"old.example.com. DNAME example.net.",
                                        "www.old.example.com. CNAME www.example.net.",
                                        "www.example.net. A 192.0.2.90"}));
}

TEST(Resolution, LooksUpTheAddressOfAGluelessNameServer) {
    Network net = hierarchy();
    Resolver r;
    const Message m = r.resolve(net, "www.glueless.org.", RRType::A);
    EXPECT_EQ(m.rcode(), Rcode::NOERROR);
    EXPECT_EQ(texts(m.answers), std::vector<std::string>{"www.glueless.org. A 192.0.2.99"});
}

TEST(Resolution, TriesTheNextServerAfterATimeoutOrARefusal) {
    Network net = hierarchy();
    net.servers.erase("192.0.2.10:53");            // ns1.example.com does not answer
    net.broken["192.0.2.11:53"] = Rcode::REFUSED;  // and ns2 refuses at first
    Resolver r;
    const Message failed = r.resolve(net, "www.example.com.", RRType::A);
    EXPECT_EQ(failed.rcode(), Rcode::SERVFAIL);  // SERVFAIL only after all failed
    net.broken.clear();
    const Message m = r.resolve(net, "www.example.com.", RRType::A);
    EXPECT_EQ(m.rcode(), Rcode::NOERROR);
    EXPECT_EQ(texts(m.answers), std::vector<std::string>{"www.example.com. A 192.0.2.80"});
    // The dead server is now known to be slow: the next resolution of another name asks ns2 first.
    EXPECT_GT(r.upstream.stats("192.0.2.10:53", r.now).timeouts_in_a_row, 0u);
}

TEST(Resolution, ACnameLoopEndsInServfail) {
    Network net = hierarchy();
    Resolver r;
    Resolution* res = nullptr;
    const Message m = r.resolve(net, "a.loop.com.", RRType::A, &res);
    // The server gives the loop in one answer; the resolver follows it until its limit.
    EXPECT_EQ(m.rcode(), Rcode::SERVFAIL);
    EXPECT_LE(res->queries_sent(), ResolverLimits{}.max_queries);
}

TEST(Resolution, ARepliesThatDoNotMatchAreIgnored) {
    Network net = hierarchy();
    Resolver r;
    Resolution res(Question{name("www.example.com."), RRType::A, RRClass::IN}, r.ctx, r.now);
    auto req = res.poll_request(r.now);
    ASSERT_TRUE(req);
    // A forged reply: right server and question, wrong id.
    Message forged;
    forged.header.id = static_cast<std::uint16_t>(req->query.header.id + 1);
    forged.header.qr = true;
    forged.header.aa = true;
    forged.questions = req->query.questions;
    forged.answers.push_back(
        {name("www.example.com."), RRType::A, RRClass::IN, 3600, {203, 0, 113, 66}});
    res.on_reply(req->token, req->server, forged, r.now);
    // Right id but from another address.
    forged.header.id = req->query.header.id;
    res.on_reply(req->token, "192.0.2.66:53", forged, r.now);
    // Right everything but the 0x20 case of the name.
    Message lower = forged;
    lower.questions.front().name = name("www.example.com.");
    if (!same_spelling(lower.questions.front().name, req->query.questions.front().name)) {
        res.on_reply(req->token, req->server, lower, r.now);
    }
    EXPECT_FALSE(res.done());
    EXPECT_FALSE(r.cache.get(name("www.example.com."), RRType::A, r.now));
}

TEST(Resolution, ATruncatedReplyIsAskedAgainOverTcpOfTheSameServer) {
    Network net = hierarchy();
    for (const char* server : {"192.0.2.10:53", "192.0.2.11:53"}) {
        net.custom[server] = [](const Message& q, bool tcp) -> std::optional<Message> {
            Message reply = real_answer(q);
            if (!tcp) {
                reply.answers.clear();
                reply.header.tc = true;  // RFC 7766 section 5: the answer needs TCP
            }
            return reply;
        };
    }
    Resolver r;
    r.ctx.limits.qname_minimisation = false;
    Resolution* res = nullptr;
    const Message m = r.resolve(net, "www.example.com.", RRType::A, &res);
    EXPECT_EQ(texts(m.answers), std::vector<std::string>{"www.example.com. A 192.0.2.80"});
    ASSERT_GE(net.requests.size(), 2u);
    const UpstreamRequest& udp = net.requests[net.requests.size() - 2];
    const UpstreamRequest& tcp = net.requests.back();
    EXPECT_FALSE(udp.tcp);
    EXPECT_TRUE(tcp.tcp);
    EXPECT_EQ(udp.server, tcp.server);
    EXPECT_EQ(res->steps()[res->steps().size() - 2].outcome, "truncated, again over TCP");
}

TEST(Resolution, AFormerrToEdnsIsAskedAgainWithoutIt) {
    Network net = hierarchy();
    for (const char* server : {"192.0.2.10:53", "192.0.2.11:53"}) {
        net.custom[server] = [](const Message& q, bool) -> std::optional<Message> {
            if (q.edns) {  // a server from before RFC 6891
                Message formerr = real_answer(q);
                formerr.answers.clear();
                formerr.edns.reset();
                formerr.set_rcode(Rcode::FORMERR);
                return formerr;
            }
            return real_answer(q);
        };
    }
    Resolver r;
    r.ctx.limits.qname_minimisation = false;
    const Message m = r.resolve(net, "www.example.com.", RRType::A);
    EXPECT_EQ(texts(m.answers), std::vector<std::string>{"www.example.com. A 192.0.2.80"});
    ASSERT_GE(net.requests.size(), 2u);
    const UpstreamRequest& with = net.requests[net.requests.size() - 2];
    const UpstreamRequest& without = net.requests.back();
    EXPECT_TRUE(with.query.edns.has_value());
    EXPECT_FALSE(without.query.edns.has_value());
    EXPECT_EQ(with.server, without.server);
}

TEST(Resolution, ALameServerIsPassedOverForTheOtherOne) {
    // ns1 is delegated example.com but knows nothing of it: no answer, no referral, no AA.
    Network net = hierarchy();
    net.custom["192.0.2.10:53"] = [](const Message& q, bool) -> std::optional<Message> {
        Message lame;
        lame.header.id = q.header.id;
        lame.header.qr = true;
        lame.questions = q.questions;
        return lame;
    };
    Resolver r;
    r.upstream.record_timeout("192.0.2.11:53", r.now);  // so that ns1 is asked first
    Resolution* res = nullptr;
    const Message m = r.resolve(net, "www.example.com.", RRType::A, &res);
    EXPECT_EQ(texts(m.answers), std::vector<std::string>{"www.example.com. A 192.0.2.80"});
    std::vector<std::string> outcomes;
    for (const ResolutionStep& st : res->steps()) {
        outcomes.push_back(st.server + " " + st.outcome);
    }
    EXPECT_NE(std::find(outcomes.begin(), outcomes.end(),
                        "192.0.2.10:53 lame (no answer, no referral), trying another server"),
              outcomes.end());
    // With ns2 gone as well, only a lame server is left: SERVFAIL.
    net.servers.erase("192.0.2.11:53");
    EXPECT_EQ(r.resolve(net, "host.dept.example.com.", RRType::MX).rcode(), Rcode::SERVFAIL);
}

TEST(Resolution, ReferralsThatLeadNowhereEndAtTheLimits) {
    // Every server of a zone refers to a deeper zone served by itself, for ever.
    Network net = hierarchy();
    net.custom["192.0.2.30:53"] = [](const Message& q, bool) -> std::optional<Message> {
        Message r;
        r.header.id = q.header.id;
        r.header.qr = true;
        r.questions = q.questions;
        const Name& qname = q.questions.front().name;
        // A zone cut one label below loop.com. each time, on the way to the name.
        const Name cut = qname.suffix(std::min(qname.label_count(), std::size_t{3}));
        r.authority.push_back(
            {cut, RRType::NS, RRClass::IN, 300, rdata(RRType::NS, "ns.loop.com.")});
        r.additional.push_back(
            {name("ns.loop.com."), RRType::A, RRClass::IN, 300, {192, 0, 2, 30}});
        return r;
    };
    Resolver r;
    Resolution* res = nullptr;
    const Message m = r.resolve(net, "x.y.z.w.loop.com.", RRType::A, &res);
    EXPECT_EQ(m.rcode(), Rcode::SERVFAIL);
    EXPECT_LE(res->queries_sent(), ResolverLimits{}.max_queries);
}

// The zone's only server loses the first `lost` queries sent to it (no reply), then answers.
void lose_first_queries(Network& net, const std::string& server, int lost) {
    auto count = std::make_shared<int>(0);
    net.custom[server] = [count, lost](const Message& q, bool) -> std::optional<Message> {
        if ((*count)++ < lost) {
            return std::nullopt;
        }
        const ZoneSet zones = zones_of({{"example.net.", kExampleNet}});
        const Bytes wire = encode_message(q);
        std::vector<std::uint8_t> out(65535);
        const std::size_t size = respond(zones, wire, out, Transport::udp);
        return *decode_message(std::span<const std::uint8_t>(out.data(), size));
    };
}

TEST(Resolution, TheOnlyServerOfAZoneIsAskedAgainAfterATimeout) {
    Network net = hierarchy();
    lose_first_queries(net, "192.0.2.20:53", 2);  // example.net has one server
    Resolver r;
    const Message m = r.resolve(net, "www.example.net.", RRType::A);
    EXPECT_EQ(m.rcode(), Rcode::NOERROR);
    EXPECT_EQ(texts(m.answers), std::vector<std::string>{"www.example.net. A 192.0.2.90"});
    EXPECT_EQ(std::count_if(net.seen.begin(), net.seen.end(),
                            [](const std::string& s) { return s.starts_with("192.0.2.20:53"); }),
              3);
    // The retries waited longer: each timeout doubles the server's timeout.
    std::vector<std::chrono::milliseconds> timeouts;
    for (const UpstreamRequest& q : net.requests) {
        if (q.server == "192.0.2.20:53") {
            timeouts.push_back(q.timeout);
        }
    }
    ASSERT_EQ(timeouts.size(), 3u);
    EXPECT_LT(timeouts[0], timeouts[1]);
    EXPECT_LT(timeouts[1], timeouts[2]);
}

TEST(Resolution, AServerThatNeverAnswersIsAskedALimitedNumberOfTimes) {
    Network net = hierarchy();
    lose_first_queries(net, "192.0.2.20:53", 1000);
    Resolver r;
    const Message m = r.resolve(net, "www.example.net.", RRType::A);
    EXPECT_EQ(m.rcode(), Rcode::SERVFAIL);
    EXPECT_EQ(std::count_if(net.seen.begin(), net.seen.end(),
                            [](const std::string& s) { return s.starts_with("192.0.2.20:53"); }),
              ResolverLimits{}.tries_per_server);
}

TEST(Resolution, OtherServersAreTriedBeforeOneThatTimedOutIsAskedAgain) {
    Network net = hierarchy();
    net.servers.erase("192.0.2.10:53");  // ns1.example.com does not answer
    Resolver r;
    r.upstream.record_reply("192.0.2.10:53", 1ms, r.now);  // and looks fastest
    const Message m = r.resolve(net, "www.example.com.", RRType::A);
    EXPECT_EQ(m.rcode(), Rcode::NOERROR);
    std::vector<std::string> asked;
    for (const std::string& s : net.seen) {
        if (s.starts_with("192.0.2.1")) {
            asked.push_back(s.substr(0, s.find(':')));
        }
    }
    EXPECT_EQ(asked, (std::vector<std::string>{"192.0.2.1", "192.0.2.10", "192.0.2.11"}));
}

TEST(Resolution, ThePerQueryDeadlineEndsAResolution) {
    Network net = hierarchy();
    net.servers.erase("192.0.2.10:53");
    net.servers.erase("192.0.2.11:53");
    Resolver r;
    r.ctx.limits.deadline = std::chrono::milliseconds(3);  // each exchange here takes 1 ms
    const Message m = r.resolve(net, "www.example.com.", RRType::A);
    EXPECT_EQ(m.rcode(), Rcode::SERVFAIL);
    EXPECT_LE(net.queries, 4);
}

}  // namespace
}  // namespace l7::dns
