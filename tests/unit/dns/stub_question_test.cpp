// The stub resolver's one-question core (resolver/stub_question.hpp) with no transport at all:
// each test takes the queries it hands out and feeds the replies, timeouts and failures back
// itself, then checks which servers were asked in which order, what the question came to and
// what it left in the cache.

#include "dns/resolver/stub_question.hpp"

#include <gtest/gtest.h>

#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using Strings = std::vector<std::string>;
using test::name;

const HostPort kFirst{"192.0.2.53", 53};
const HostPort kSecond{"192.0.2.54", 53};
const HostPort kThird{"192.0.2.55", 53};
const TimePoint kNow{std::chrono::hours(1)};

StubSettings settings(std::vector<HostPort> servers, std::size_t attempts = 2) {
    StubSettings s;
    s.servers = std::move(servers);
    s.timeout = std::chrono::milliseconds(500);
    s.attempts = attempts;
    return s;
}

// What a recursive resolver would send back for `q`, before its sections are filled.
Message reply_to(const StubQuery& q, Rcode rcode = Rcode::NOERROR) {
    Message m;
    m.header = q.query.header;
    m.header.qr = true;
    m.header.ra = true;
    m.questions = q.query.questions;
    m.set_rcode(rcode);
    return m;
}

// A CNAME's RDATA: the target's wire form.
Bytes target(std::string_view text) {
    const Name n = name(text);
    return Bytes(n.wire().begin(), n.wire().end());
}

// "SERVER NAME TYPE", as the tests list the queries they expect.
std::string describe(const StubQuery& q) {
    const Question& question = q.query.questions.at(0);
    return q.server.to_string() + " " + question.name.to_text() + " " + type_to_text(question.type);
}

// Times out every query until the question gives up; the queries, in order.
Strings time_out_all(StubQuestion& question) {
    Strings asked;
    while (!question.done()) {
        auto q = question.poll_request(7);
        if (!q) {
            ADD_FAILURE() << "not done, yet no query";
            break;
        }
        asked.push_back(describe(*q));
        question.on_timeout(q->token);
    }
    return asked;
}

TEST(StubQuestion, AsksTheServersInOrderForEveryRoundThenGivesUp) {
    const StubSettings s = settings({kFirst, kSecond}, 2);
    StubQuestion question(name("www.example.com."), RRType::A, s, nullptr, 0, kNow);
    EXPECT_EQ(time_out_all(question),
              (Strings{"192.0.2.53:53 www.example.com. A", "192.0.2.54:53 www.example.com. A",
                       "192.0.2.53:53 www.example.com. A", "192.0.2.54:53 www.example.com. A"}));
    const StubOutcome& o = question.outcome();
    EXPECT_EQ(o.kind, StubOutcome::Kind::unsettled);
    EXPECT_EQ(o.reasons, (Strings{"no reply from 192.0.2.53:53 in 500 ms",
                                  "no reply from 192.0.2.54:53 in 500 ms"}));
}

TEST(StubQuestion, EachRoundStartsAtTheServerGiven) {
    const StubSettings s = settings({kFirst, kSecond, kThird}, 1);
    // options rotate passes a counter: 4 of 3 servers is the second.
    StubQuestion question(name("www.example.com."), RRType::A, s, nullptr, 4, kNow);
    EXPECT_EQ(time_out_all(question),
              (Strings{"192.0.2.54:53 www.example.com. A", "192.0.2.55:53 www.example.com. A",
                       "192.0.2.53:53 www.example.com. A"}));
}

TEST(StubQuestion, TheQueryCarriesTheIdRdEdnsAndTimeout) {
    StubSettings s = settings({kFirst});
    s.edns0 = true;
    StubQuestion question(name("www.example.com."), RRType::AAAA, s, nullptr, 0, kNow);
    auto q = question.poll_request(0x1234);
    ASSERT_TRUE(q);
    EXPECT_EQ(q->query.header.id, 0x1234);
    EXPECT_TRUE(q->query.header.rd);
    EXPECT_TRUE(q->query.edns.has_value());
    EXPECT_EQ(q->timeout, std::chrono::milliseconds(500));
    // One query at a time: nothing more until this one is answered.
    EXPECT_FALSE(question.poll_request(1));
}

TEST(StubQuestion, AServerThatFailedIsNotAskedAgain) {
    const StubSettings s = settings({kFirst, kSecond}, 3);
    StubQuestion question(name("www.example.com."), RRType::A, s, nullptr, 0, kNow);
    Strings asked;
    while (!question.done()) {
        auto q = question.poll_request(9);
        ASSERT_TRUE(q);
        asked.push_back(describe(*q));
        if (q->server.to_string() == kFirst.to_string()) {
            question.on_reply(q->token, reply_to(*q, Rcode::SERVFAIL), kNow);
        } else {
            question.on_failure(q->token, "no reply from 192.0.2.54:53 after 1 try");
        }
    }
    // glibc's badns: the SERVFAIL server once, the silent one every round.
    EXPECT_EQ(asked,
              (Strings{"192.0.2.53:53 www.example.com. A", "192.0.2.54:53 www.example.com. A",
                       "192.0.2.54:53 www.example.com. A", "192.0.2.54:53 www.example.com. A"}));
    EXPECT_EQ(question.outcome().reasons, (Strings{"192.0.2.53:53 answered SERVFAIL",
                                                   "no reply from 192.0.2.54:53 after 1 try"}));
}

TEST(StubQuestion, RepliesThatCannotBeUsedGiveUpOnTheServer) {
    struct Case {
        const char* why;
        void (*spoil)(Message&);
    };
    const Case cases[] = {
        {"192.0.2.53:53 answered REFUSED", [](Message& m) { m.set_rcode(Rcode::REFUSED); }},
        {"192.0.2.53:53 sent a reply that does not match the query",
         [](Message& m) { ++m.header.id; }},
        {"192.0.2.53:53 sent a reply that does not match the query",
         [](Message& m) { m.header.qr = false; }},
        {"192.0.2.53:53 sent a reply to another question",
         [](Message& m) { m.questions[0].type = RRType::MX; }},
        {"192.0.2.53:53 sent a truncated reply", [](Message& m) { m.header.tc = true; }},
        {"192.0.2.53:53 sent a referral instead of an answer (it does not resolve recursively)",
         [](Message& m) { m.authority.push_back(test::rr("com.", RRType::NS, "a.example.")); }},
    };
    const StubSettings s = settings({kFirst, kSecond}, 2);
    for (const Case& c : cases) {
        StubQuestion question(name("www.example.com."), RRType::A, s, nullptr, 0, kNow);
        auto q = question.poll_request(3);
        ASSERT_TRUE(q);
        Message bad = reply_to(*q);
        c.spoil(bad);
        question.on_reply(q->token, bad, kNow);
        // The second server is asked, in both rounds; the first never again.
        EXPECT_EQ(time_out_all(question),
                  (Strings{"192.0.2.54:53 www.example.com. A", "192.0.2.54:53 www.example.com. A"}))
            << c.why;
        ASSERT_EQ(question.outcome().reasons.size(), 2u);
        EXPECT_EQ(question.outcome().reasons[0], c.why);
    }
}

TEST(StubQuestion, ALateOrUnknownTokenIsIgnored) {
    const StubSettings s = settings({kFirst, kSecond});
    StubQuestion question(name("www.example.com."), RRType::A, s, nullptr, 0, kNow);
    auto q = question.poll_request(5);
    ASSERT_TRUE(q);
    Message answer = reply_to(*q);
    answer.answers.push_back(test::a_record("www.example.com.", 80));
    question.on_reply(q->token + 1, answer, kNow);
    question.on_timeout(q->token + 1);
    EXPECT_FALSE(question.done());
    EXPECT_FALSE(question.poll_request(6));  // still waiting for the first
    question.on_reply(q->token, answer, kNow);
    ASSERT_TRUE(question.done());
    EXPECT_EQ(question.outcome().kind, StubOutcome::Kind::data);
    question.on_timeout(q->token);  // after the fact: nothing changes
    EXPECT_EQ(question.outcome().kind, StubOutcome::Kind::data);
}

TEST(StubQuestion, NoServerMeansUnsettledAtOnce) {
    const StubSettings s = settings({});
    StubQuestion question(name("www.example.com."), RRType::A, s, nullptr, 3, kNow);
    ASSERT_TRUE(question.done());
    EXPECT_FALSE(question.poll_request(1));
    EXPECT_EQ(question.outcome().reasons, Strings{"there is no server to ask"});
}

TEST(StubQuestion, AnAnswerIsCachedAndAnswersTheNextQuestion) {
    const StubSettings s = settings({kFirst});
    Cache cache;
    {
        StubQuestion question(name("www.example.com."), RRType::A, s, &cache, 0, kNow);
        auto q = question.poll_request(1);
        ASSERT_TRUE(q);
        Message answer = reply_to(*q);
        answer.answers.push_back(test::a_record("www.example.com.", 80, 120));
        question.on_reply(q->token, answer, kNow);
        ASSERT_TRUE(question.done());
        const StubOutcome o = question.take_outcome();
        EXPECT_EQ(o.kind, StubOutcome::Kind::data);
        EXPECT_EQ(o.rdatas, (std::vector<Bytes>{{192, 0, 2, 80}}));
    }
    StubQuestion again(name("WWW.example.com."), RRType::A, s, &cache, 0,
                       kNow + std::chrono::seconds(119));
    ASSERT_TRUE(again.done());  // no query
    EXPECT_EQ(again.outcome().kind, StubOutcome::Kind::data);
    StubQuestion expired(name("www.example.com."), RRType::A, s, &cache, 0,
                         kNow + std::chrono::seconds(120));
    EXPECT_FALSE(expired.done());
}

TEST(StubQuestion, ACnameTheReplyDoesNotSettleIsAskedForFromTheFirstServer) {
    const StubSettings s = settings({kFirst, kSecond}, 1);
    Cache cache;
    StubQuestion question(name("alias.example.com."), RRType::A, s, &cache, 0, kNow);
    auto q = question.poll_request(1);
    ASSERT_TRUE(q);
    question.on_reply(q->token, reply_to(*q, Rcode::SERVFAIL), kNow);
    q = question.poll_request(2);
    ASSERT_TRUE(q);
    EXPECT_EQ(describe(*q), "192.0.2.54:53 alias.example.com. A");
    // An authoritative server for example.com. only: the chain stops at its CNAME, no SOA.
    Message partial = reply_to(*q);
    partial.header.aa = true;
    partial.answers.push_back(test::rr("alias.example.com.", RRType::CNAME, "www.example.net."));
    question.on_reply(q->token, partial, kNow);
    ASSERT_FALSE(question.done());
    // A new name: every server in good standing again, from the first.
    q = question.poll_request(3);
    ASSERT_TRUE(q);
    EXPECT_EQ(describe(*q), "192.0.2.53:53 www.example.net. A");
    Message answer = reply_to(*q);
    answer.answers.push_back(test::a_record("www.example.net.", 8));
    question.on_reply(q->token, answer, kNow);
    ASSERT_TRUE(question.done());
    EXPECT_EQ(question.outcome().kind, StubOutcome::Kind::data);
    EXPECT_EQ(question.outcome().asked, name("alias.example.com."));
    // Both links are cached, so the next question needs no server.
    StubQuestion again(name("alias.example.com."), RRType::A, s, &cache, 0, kNow);
    ASSERT_TRUE(again.done());
    EXPECT_EQ(again.outcome().rdatas, (std::vector<Bytes>{{192, 0, 2, 8}}));
}

TEST(StubQuestion, ACnameChainInTheReplyIsFollowedAndCached) {
    const StubSettings s = settings({kFirst});
    Cache cache;
    StubQuestion question(name("alias.example.com."), RRType::A, s, &cache, 0, kNow);
    auto q = question.poll_request(1);
    ASSERT_TRUE(q);
    Message answer = reply_to(*q);
    answer.answers.push_back(test::rr("alias.example.com.", RRType::CNAME, "www.example.com."));
    answer.answers.push_back(test::a_record("www.example.com.", 80));
    question.on_reply(q->token, answer, kNow);
    ASSERT_TRUE(question.done());
    EXPECT_EQ(question.outcome().rdatas, (std::vector<Bytes>{{192, 0, 2, 80}}));
    EXPECT_TRUE(cache.get(name("alias.example.com."), RRType::CNAME, kNow));
    EXPECT_TRUE(cache.get(name("www.example.com."), RRType::A, kNow));
}

TEST(StubQuestion, ACnameLoopInTheCacheEndsAfterEightLinks) {
    const StubSettings s = settings({kFirst});
    Cache cache;
    cache.put(name("loop1.example.com."), RRType::CNAME, {target("loop2.example.com.")}, 300,
              Trust::answer, kNow);
    cache.put(name("loop2.example.com."), RRType::CNAME, {target("loop1.example.com.")}, 300,
              Trust::answer, kNow);
    StubQuestion question(name("loop1.example.com."), RRType::A, s, &cache, 0, kNow);
    ASSERT_TRUE(question.done());
    EXPECT_EQ(question.outcome().kind, StubOutcome::Kind::unsettled);
    EXPECT_EQ(question.outcome().reasons,
              Strings{"the CNAME chain from loop1.example.com. is longer than 8 links"});
}

TEST(StubQuestion, NegativeAnswersAreCachedOnlyWithASoa) {
    const StubSettings s = settings({kFirst});
    Cache cache;
    // NXDOMAIN with the zone's SOA: the name is gone for every type (RFC 2308 section 5).
    StubQuestion nx(name("nosuch.example.com."), RRType::AAAA, s, &cache, 0, kNow);
    auto q = nx.poll_request(1);
    ASSERT_TRUE(q);
    Message reply = reply_to(*q, Rcode::NXDOMAIN);
    reply.authority.push_back(test::soa_record(1));
    nx.on_reply(q->token, reply, kNow);
    ASSERT_TRUE(nx.done());
    EXPECT_EQ(nx.outcome().kind, StubOutcome::Kind::no_such_name);
    StubQuestion nx_a(name("nosuch.example.com."), RRType::A, s, &cache, 0, kNow);
    ASSERT_TRUE(nx_a.done());
    EXPECT_EQ(nx_a.outcome().kind, StubOutcome::Kind::no_such_name);

    // NODATA with the SOA: that type only, for min(TTL 300, MINIMUM 60) seconds.
    StubQuestion nodata(name("v4only.example.com."), RRType::AAAA, s, &cache, 0, kNow);
    q = nodata.poll_request(2);
    ASSERT_TRUE(q);
    reply = reply_to(*q);
    reply.authority.push_back(test::soa_record(1));
    nodata.on_reply(q->token, reply, kNow);
    EXPECT_EQ(nodata.outcome().kind, StubOutcome::Kind::no_data);
    StubQuestion cached(name("v4only.example.com."), RRType::AAAA, s, &cache, 0,
                        kNow + std::chrono::seconds(59));
    ASSERT_TRUE(cached.done());
    EXPECT_EQ(cached.outcome().kind, StubOutcome::Kind::no_data);
    EXPECT_FALSE(StubQuestion(name("v4only.example.com."), RRType::A, s, &cache, 0, kNow).done());
    EXPECT_FALSE(StubQuestion(name("v4only.example.com."), RRType::AAAA, s, &cache, 0,
                              kNow + std::chrono::seconds(60))
                     .done());

    // Without a SOA: settled, but not cached.
    StubQuestion bare(name("gone.example.com."), RRType::A, s, &cache, 0, kNow);
    q = bare.poll_request(3);
    ASSERT_TRUE(q);
    bare.on_reply(q->token, reply_to(*q, Rcode::NXDOMAIN), kNow);
    EXPECT_EQ(bare.outcome().kind, StubOutcome::Kind::no_such_name);
    EXPECT_FALSE(StubQuestion(name("gone.example.com."), RRType::A, s, &cache, 0, kNow).done());
}

TEST(StubQuestion, WithoutACacheNothingIsKept) {
    const StubSettings s = settings({kFirst});
    StubQuestion question(name("www.example.com."), RRType::A, s, nullptr, 0, kNow);
    auto q = question.poll_request(1);
    ASSERT_TRUE(q);
    Message answer = reply_to(*q);
    answer.answers.push_back(test::a_record("www.example.com.", 80));
    question.on_reply(q->token, answer, kNow);
    EXPECT_EQ(question.outcome().kind, StubOutcome::Kind::data);
    EXPECT_FALSE(StubQuestion(name("www.example.com."), RRType::A, s, nullptr, 0, kNow).done());
}

}  // namespace
}  // namespace l7::dns
