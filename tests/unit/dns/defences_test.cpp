// Spoofing and poisoning defences: 0x20 case randomisation, reply matching (RFC 5452 9.1)
// and scrubbing out-of-bailiwick and unrequested additional data (the course's poisoning
// example: a "bogus additional record" for another domain).

#include <gtest/gtest.h>

#include "dns/resolver/defences.hpp"
#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using test::name;
using test::rr;

TEST(Defences, RandomizeCaseFlipsLettersOnlyAndKeepsTheName) {
    const Name n = name("www.example-1.com.");
    const Name all_upper = randomize_case(n, [] { return ~std::uint64_t{0}; });
    EXPECT_EQ(all_upper.to_text(), "WWW.EXAMPLE-1.COM.");
    const Name all_lower =
        randomize_case(name("WWW.Example.COM."), [] { return std::uint64_t{0}; });
    EXPECT_EQ(all_lower.to_text(), "www.example.com.");
    const Name mixed = randomize_case(n, [] { return std::uint64_t{0b1010}; });
    EXPECT_EQ(mixed.to_text(), "wWw.Example-1.com.");
    EXPECT_TRUE(mixed == n);  // still the same name
    EXPECT_FALSE(same_spelling(mixed, n));
    EXPECT_TRUE(same_spelling(mixed, name("wWw.Example-1.com.")));
}

TEST(Defences, RandomizeCaseDrawsMoreBitsForLongNames) {
    int calls = 0;
    const std::string label(60, 'a');
    const Name n = name(label + "." + label + ".com.");  // 123 letters
    (void)randomize_case(n, [&] {
        ++calls;
        return std::uint64_t{0};
    });
    EXPECT_EQ(calls, 2);
}

SentQuery sent_query() {
    return {"192.0.2.53:53", 4242, {name("wWw.ExAmple.com."), RRType::A, RRClass::IN}};
}

Message reply_to(const SentQuery& q) {
    Message m;
    m.header.id = q.id;
    m.header.qr = true;
    m.questions.push_back(q.question);
    return m;
}

TEST(Defences, ReplyMustMatchServerIdAndQuestionWithItsCase) {
    const SentQuery q = sent_query();
    Message good = reply_to(q);
    EXPECT_TRUE(reply_matches(q, "192.0.2.53:53", good));
    EXPECT_FALSE(reply_matches(q, "192.0.2.54:53", good));    // another address
    EXPECT_FALSE(reply_matches(q, "192.0.2.53:5353", good));  // another port
    Message wrong_id = good;
    wrong_id.header.id = 4243;
    EXPECT_FALSE(reply_matches(q, "192.0.2.53:53", wrong_id));
    Message lower = good;
    lower.questions.front().name = name("www.example.com.");  // a forger who did not see the case
    EXPECT_FALSE(reply_matches(q, "192.0.2.53:53", lower));
    Message other_type = good;
    other_type.questions.front().type = RRType::AAAA;
    EXPECT_FALSE(reply_matches(q, "192.0.2.53:53", other_type));
    Message not_a_reply = good;
    not_a_reply.header.qr = false;
    EXPECT_FALSE(reply_matches(q, "192.0.2.53:53", not_a_reply));
    Message no_question = good;
    no_question.questions.clear();
    EXPECT_FALSE(reply_matches(q, "192.0.2.53:53", no_question));
}

TEST(Defences, RestoreCaseUndoesTheRandomSpellingTheServerCopied) {
    const Name original = name("www.Example.com.");
    const Name sent = name("wWw.eXAMple.COM.");
    Message m;
    m.questions.push_back({sent, RRType::MX, RRClass::IN});
    // Compression copies the question's bytes: the owner, and the names inside RDATA.
    m.answers.push_back(rr("wWw.eXAMple.COM.", RRType::CNAME, "mail.eXAMple.COM."));
    m.answers.push_back(rr("mail.eXAMple.COM.", RRType::MX, "10 mx.other.net."));
    m.authority.push_back(rr("eXAMple.COM.", RRType::NS, "ns.eXAMple.COM."));
    restore_case(m, sent, original);
    EXPECT_EQ(m.questions[0].name.to_text(), "www.Example.com.");
    EXPECT_EQ(m.answers[0].owner.to_text(), "www.Example.com.");
    EXPECT_EQ(rdata_to_text(RRType::CNAME, m.answers[0].rdata), "mail.Example.com.");
    EXPECT_EQ(m.answers[1].owner.to_text(), "mail.Example.com.");
    EXPECT_EQ(rdata_to_text(RRType::MX, m.answers[1].rdata), "10 mx.other.net.");  // not from us
    EXPECT_EQ(m.authority[0].owner.to_text(), "Example.com.");
    EXPECT_EQ(rdata_to_text(RRType::NS, m.authority[0].rdata), "ns.Example.com.");
    // A spelling that is not the sent one is left alone (the server wrote it itself).
    Message other;
    other.answers.push_back(rr("WWW.EXAMPLE.CoM.", RRType::A, "192.0.2.1"));
    restore_case(other, sent, original);
    EXPECT_EQ(other.answers[0].owner.to_text(), "WWW.EXAMPLE.CoM.");
}

TEST(Defences, ScrubDropsOutOfBailiwickAnswersAndBogusAdditionalData) {
    // A referral from the com server for www.example.com, carrying a bogus record for a name
    // the com server has no say over, and an unrequested address.
    Message m;
    m.authority = {rr("example.com.", RRType::NS, "ns1.example.com."),
                   rr("example.com.", RRType::NS, "ns.example.net."),
                   rr("other.com.", RRType::NS, "ns.other.com.")};  // not on the way
    m.additional = {rr("ns1.example.com.", RRType::A, "192.0.2.1"),
                    rr("ns.example.net.", RRType::A, "192.0.2.2"),   // out of com's bailiwick
                    rr("www.bank.com.", RRType::A, "203.0.113.66"),  // nobody asked
                    rr("ns1.example.com.", RRType::TXT, "\"x\"")};
    m.answers = {rr("www.bank.org.", RRType::A, "203.0.113.66")};  // not com's to say
    EXPECT_EQ(scrub(m, name("com."), name("www.example.com.")), 5u);
    ASSERT_EQ(m.authority.size(), 2u);
    EXPECT_EQ(m.authority[0].owner, name("example.com."));
    EXPECT_EQ(m.authority[1].owner, name("example.com."));
    ASSERT_EQ(m.additional.size(), 1u);
    EXPECT_EQ(m.additional[0].owner, name("ns1.example.com."));
    EXPECT_TRUE(m.answers.empty());
}

TEST(Defences, ScrubKeepsAnAuthoritativeAnswerWithItsSoaAndMxAddresses) {
    Message m;
    m.answers = {rr("example.com.", RRType::MX, "10 mail.example.com."),
                 rr("www.example.com.", RRType::CNAME, "example.com.")};
    m.authority = {rr("example.com.", RRType::SOA,
                      "ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 60")};
    m.additional = {rr("mail.example.com.", RRType::A, "192.0.2.25"),
                    rr("mail.example.com.", RRType::AAAA, "2001:db8::25")};
    EXPECT_EQ(scrub(m, name("example.com."), name("www.example.com.")), 0u);
    EXPECT_EQ(m.answers.size(), 2u);
    EXPECT_EQ(m.authority.size(), 1u);
    EXPECT_EQ(m.additional.size(), 2u);
}

}  // namespace
}  // namespace l7::dns
