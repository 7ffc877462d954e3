#include "dns/responder.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "dns/master.hpp"
#include "dns/message.hpp"
#include "dns/message_text.hpp"
#include "dns/zone.hpp"
#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using namespace test;

const std::string kLabel63(63, 'a');
const std::string kLongTarget = std::string(63, 'x') + "." + std::string(63, 'y') + "." +
                                std::string(63, 'z') + ".net.";  // 197 bytes of wire

std::string big_txt() {
    std::string out;
    for (int i = 0; i < 20; ++i) {
        out += "big TXT \"record-" + std::to_string(100 + i) + "-" + std::string(30, 'x') + "\"\n";
    }
    return out;
}

const std::string kExample =
    "$TTL 3600\n"
    "@         SOA   ns1 hostmaster 2024010101 7200 3600 1209600 300\n"
    "@         NS    ns1\n"
    "@         NS    ns2.example.net.\n"
    "@         MX    10 mail\n"
    "@         MX    20 mx.example.net.\n"
    "ns1       A     192.0.2.53\n"
    "ns1       AAAA  2001:db8::53\n"
    "mail      A     192.0.2.25\n"
    "www       A     192.0.2.80\n"
    "www       AAAA  2001:db8::80\n"
    "www       TXT   \"web\"\n"
    "alias     CNAME www\n"
    "chain1    CNAME chain2\n"
    "chain2 60 CNAME www\n"
    "out       CNAME www.example.net.\n"
    "loop1     CNAME loop2\n"
    "loop2     CNAME loop1\n"
    "dangling  CNAME nowhere\n"
    "*.wild    A     192.0.2.99\n"
    "host.wild A     192.0.2.98\n"
    "*.wc      CNAME www\n"
    "a.b.ent   A     192.0.2.7\n"
    "sub       NS    ns.sub\n"
    "sub       NS    ns.example.net.\n"
    "ns.sub    A     192.0.2.54\n"
    "secure    NS    ns.example.net.\n"
    "secure    DS    12345 8 2 "
    "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n"
    "dn    120 DNAME example.net.\n"
    "dn2   120 DNAME real.example.com.\n"
    "x.real    A     192.0.2.11\n"
    "long      DNAME " +
    kLongTarget +
    "\n"
    "_sip._tcp SRV   0 5 5060 sip\n"
    "_sip._tcp SRV   0 5 5061 sip.example.net.\n"
    "sip       A     192.0.2.60\n"
    "bigalias  CNAME big\n" +
    big_txt() +
    "child     NS    ns.child\n"
    "child     DS    54321 13 2 "
    "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789\n"
    "ns.child  A     192.0.2.66\n";

const std::string kChild =
    "$TTL 60\n"
    "@    SOA ns hostmaster 7 7200 3600 1209600 300\n"
    "@    NS  ns\n"
    "ns   A   192.0.2.66\n"
    "www  A   192.0.2.67\n";

const ZoneSet& zones() {
    static const ZoneSet set = [] {
        ZoneSet s;
        s.add(make_zone(kExample));
        s.add(make_zone(kChild, name("child.example.com.")));
        return s;
    }();
    return set;
}

struct Ask {
    std::string qname;
    RRType qtype = RRType::A;
    RRClass qclass = RRClass::IN;
    std::uint16_t id = 0xBEEF;
    bool rd = true;
    bool cd = false;
    Opcode opcode = Opcode::QUERY;
    std::optional<Edns> edns = std::nullopt;
};

Bytes query(const Ask& a) {
    Message m;
    m.header.id = a.id;
    m.header.rd = a.rd;
    m.header.cd = a.cd;
    m.header.opcode = a.opcode;
    m.questions.push_back({name(a.qname), a.qtype, a.qclass});
    m.edns = a.edns;
    return encode_message(m);
}

Edns edns(std::uint16_t udp_size, bool dnssec_ok = false, std::uint8_t version = 0) {
    Edns e;
    e.udp_size = udp_size;
    e.dnssec_ok = dnssec_ok;
    e.version = version;
    return e;
}

struct Reply {
    std::size_t size = 0;
    ResponseInfo info;
    Message m;
};

Reply respond_to(const Bytes& wire, Transport t = Transport::udp,
                 const ResponderOptions& options = {}, const ZoneSet& set = zones()) {
    std::vector<std::uint8_t> out(65535);
    Reply r;
    r.size = respond(set, wire, out, t, options, &r.info);
    if (r.size == 0) {
        return r;
    }
    auto decoded = decode_message(std::span(out).first(r.size));
    EXPECT_TRUE(decoded) << decoded.error().message;
    if (decoded) {
        r.m = std::move(*decoded);
    }
    return r;
}

Reply ask(const Ask& a, Transport t = Transport::udp) {
    return respond_to(query(a), t);
}

// Each record as spaced_record writes it.
Lines rrs(const std::vector<ResourceRecord>& section) {
    Lines out;
    for (const ResourceRecord& record : section) {
        out.push_back(spaced_record(record));
    }
    return out;
}

const char* const kSoa =
    "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 "
    "1209600 300";

// The header of a reply to `a`: id, QR, opcode, RD and CD copied, RA clear, the question
// echoed.
void expect_reply_to(const Ask& a, const Reply& r, Rcode rcode, bool aa, bool tc = false) {
    ASSERT_GT(r.size, 0u);
    const Header& h = r.m.header;
    EXPECT_EQ(h.id, a.id);
    EXPECT_TRUE(h.qr);
    EXPECT_EQ(h.opcode, a.opcode);
    EXPECT_EQ(h.aa, aa);
    EXPECT_EQ(h.tc, tc);
    EXPECT_EQ(h.rd, a.rd);
    EXPECT_EQ(h.cd, a.cd);
    EXPECT_FALSE(h.ra);
    EXPECT_EQ(r.m.rcode(), rcode);
    EXPECT_EQ(r.info.rcode, rcode);
    EXPECT_EQ(r.info.truncated, tc);
    ASSERT_EQ(r.m.questions.size(), 1u);
    EXPECT_EQ(r.m.questions[0].name, name(a.qname));
    EXPECT_EQ(r.m.questions[0].name.to_text(), name(a.qname).to_text());  // the case, too
    EXPECT_EQ(r.m.questions[0].type, a.qtype);
    EXPECT_EQ(r.m.questions[0].klass, a.qclass);
}

// ---- positive answers ----

TEST(Responder, PositiveAnswer) {
    const Ask a{.qname = "www.example.com.", .qtype = RRType::A, .id = 4242, .rd = false};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(r.m.answers), Lines{"www.example.com. 3600 IN A 192.0.2.80"});
    EXPECT_EQ(rrs(r.m.authority), Lines{});
    EXPECT_EQ(rrs(r.m.additional), Lines{});
    EXPECT_FALSE(r.m.edns);
    EXPECT_FALSE(r.info.referral);
}

TEST(Responder, FlagsAndCaseAreCopied) {
    const Ask a{
        .qname = "WwW.ExAmPlE.CoM.", .qtype = RRType::AAAA, .id = 1, .rd = true, .cd = true};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    // The owner is written as the query spelled it (compressed against the question).
    ASSERT_EQ(r.m.answers.size(), 1u);
    EXPECT_EQ(r.m.answers[0].owner, name("www.example.com."));
    EXPECT_EQ(r.m.answers[0].type, RRType::AAAA);
    EXPECT_EQ(r.m.answers[0].ttl, 3600u);
    EXPECT_EQ(rrs(r.m.answers), Lines{"WwW.ExAmPlE.CoM. 3600 IN AAAA 2001:db8::80"});
}

TEST(Responder, CnameChainInZone) {
    const Ask a{.qname = "chain1.example.com."};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(r.m.answers), (Lines{"chain1.example.com. 3600 IN CNAME chain2.example.com.",
                                       "chain2.example.com. 60 IN CNAME www.example.com.",
                                       "www.example.com. 3600 IN A 192.0.2.80"}));
    EXPECT_EQ(rrs(r.m.authority), Lines{});
}

TEST(Responder, CnameQueriedForItself) {
    const Ask a{.qname = "alias.example.com.", .qtype = RRType::CNAME};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(r.m.answers), Lines{"alias.example.com. 3600 IN CNAME www.example.com."});
}

TEST(Responder, CnameToAnOutOfZoneTargetStops) {
    const Ask a{.qname = "out.example.com."};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(r.m.answers), Lines{"out.example.com. 3600 IN CNAME www.example.net."});
    EXPECT_EQ(rrs(r.m.authority), Lines{});
}

TEST(Responder, CnameLoopStops) {
    const Ask a{.qname = "loop1.example.com."};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(r.m.answers), (Lines{"loop1.example.com. 3600 IN CNAME loop2.example.com.",
                                       "loop2.example.com. 3600 IN CNAME loop1.example.com."}));
}

TEST(Responder, CnameToAMissingNameIsNxdomain) {
    // RFC 6604: the rcode is that of the last name of the chain.
    const Ask a{.qname = "dangling.example.com."};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NXDOMAIN, true);
    EXPECT_EQ(rrs(r.m.answers), Lines{"dangling.example.com. 3600 IN CNAME nowhere.example.com."});
    EXPECT_EQ(rrs(r.m.authority), Lines{kSoa});
}

// ---- wildcards (RFC 4592) ----

TEST(Responder, WildcardSynthesis) {
    for (const char* q : {"anything.wild.example.com.", "a.b.c.wild.example.com."}) {
        const Ask a{.qname = q};
        const Reply r = ask(a);
        expect_reply_to(a, r, Rcode::NOERROR, true);
        EXPECT_EQ(rrs(r.m.answers), Lines{std::string(q) + " 3600 IN A 192.0.2.99"});
    }
    // NODATA from the wildcard: the type it lacks.
    const Ask a{.qname = "other.wild.example.com.", .qtype = RRType::MX};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(r.m.answers), Lines{});
    EXPECT_EQ(rrs(r.m.authority), Lines{kSoa});
}

TEST(Responder, WildcardCname) {
    const Ask a{.qname = "foo.wc.example.com."};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(r.m.answers), (Lines{"foo.wc.example.com. 3600 IN CNAME www.example.com.",
                                       "www.example.com. 3600 IN A 192.0.2.80"}));
}

TEST(Responder, WildcardNotAppliedWhenTheNameExists) {
    const Ask a{.qname = "host.wild.example.com.", .qtype = RRType::TXT};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(r.m.answers), Lines{});
    EXPECT_EQ(rrs(r.m.authority), Lines{kSoa});
    const Ask b{.qname = "host.wild.example.com."};
    EXPECT_EQ(rrs(ask(b).m.answers), Lines{"host.wild.example.com. 3600 IN A 192.0.2.98"});
}

TEST(Responder, WildcardNotAppliedBelowAnExistingName) {
    const Ask a{.qname = "x.host.wild.example.com."};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NXDOMAIN, true);
    EXPECT_EQ(rrs(r.m.answers), Lines{});
    EXPECT_EQ(rrs(r.m.authority), Lines{kSoa});
}

TEST(Responder, WildcardNameItself) {
    const Ask a{.qname = "*.wild.example.com."};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(r.m.answers), Lines{"*.wild.example.com. 3600 IN A 192.0.2.99"});
}

// ---- negative answers (RFC 2308) ----

TEST(Responder, EmptyNonTerminalIsNodata) {
    for (const char* q : {"b.ent.example.com.", "ent.example.com."}) {
        const Ask a{.qname = q};
        const Reply r = ask(a);
        expect_reply_to(a, r, Rcode::NOERROR, true);
        EXPECT_EQ(rrs(r.m.answers), Lines{});
        EXPECT_EQ(rrs(r.m.authority), Lines{kSoa});
        EXPECT_EQ(rrs(r.m.additional), Lines{});
    }
}

TEST(Responder, NodataAtAnExistingName) {
    const Ask a{.qname = "mail.example.com.", .qtype = RRType::AAAA};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(r.m.answers), Lines{});
    EXPECT_EQ(rrs(r.m.authority), Lines{kSoa});
}

TEST(Responder, NxdomainWithSoaTtlTheSmallerOfTtlAndMinimum) {
    const Ask a{.qname = "nx.example.com."};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NXDOMAIN, true);
    EXPECT_EQ(rrs(r.m.answers), Lines{});
    // SOA TTL 3600, MINIMUM 300: 300.
    ASSERT_EQ(r.m.authority.size(), 1u);
    EXPECT_EQ(r.m.authority[0].owner, name("example.com."));
    EXPECT_EQ(r.m.authority[0].type, RRType::SOA);
    EXPECT_EQ(r.m.authority[0].ttl, 300u);
    EXPECT_EQ(rrs(r.m.authority), Lines{kSoa});
    // The child zone: SOA TTL 60, MINIMUM 300: 60.
    const Ask b{.qname = "nx.child.example.com."};
    const Reply s = ask(b);
    expect_reply_to(b, s, Rcode::NXDOMAIN, true);
    EXPECT_EQ(rrs(s.m.authority), Lines{"child.example.com. 60 IN SOA ns.child.example.com. "
                                        "hostmaster.child.example.com. 7 7200 3600 1209600 300"});
}

TEST(Responder, ARemovedNameIsNxdomain) {
    MasterFile file =
        parse_master(kChild + "gone.x 60 A 192.0.2.1\n", "child.db", name("child.example.com."));
    const auto zone = build_zone(name("child.example.com."), file);
    ASSERT_NE(zone, nullptr);
    ASSERT_TRUE(
        zone->remove(name("gone.x.child.example.com.").wire(), RRType::A, Bytes{192, 0, 2, 1}));
    ZoneSet set;
    set.add(zone);
    for (const char* q : {"gone.x.child.example.com.", "x.child.example.com."}) {
        const Ask a{.qname = q};
        const Reply r = respond_to(query(a), Transport::udp, {}, set);
        expect_reply_to(a, r, Rcode::NXDOMAIN, true);
        EXPECT_TRUE(r.m.answers.empty());
        EXPECT_EQ(r.m.authority.size(), 1u);
    }
}

// ---- delegations ----

TEST(Responder, ReferralWithGlue) {
    for (const char* q : {"www.sub.example.com.", "sub.example.com.", "ns.sub.example.com."}) {
        const Ask a{.qname = q};
        const Reply r = ask(a);
        expect_reply_to(a, r, Rcode::NOERROR, false);
        EXPECT_TRUE(r.info.referral);
        EXPECT_EQ(rrs(r.m.answers), Lines{});
        EXPECT_EQ(rrs(r.m.authority), (Lines{"sub.example.com. 3600 IN NS ns.sub.example.com.",
                                             "sub.example.com. 3600 IN NS ns.example.net."}));
        EXPECT_EQ(rrs(r.m.additional), Lines{"ns.sub.example.com. 3600 IN A 192.0.2.54"});
    }
}

TEST(Responder, NsQueryAtTheCutIsAReferral) {
    const Ask a{.qname = "sub.example.com.", .qtype = RRType::NS};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, false);
    EXPECT_EQ(rrs(r.m.answers), Lines{});
    EXPECT_EQ(r.m.authority.size(), 2u);
}

TEST(Responder, DsAtTheCutIsAnsweredByTheParent) {
    const Ask a{.qname = "secure.example.com.", .qtype = RRType::DS};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_FALSE(r.info.referral);
    EXPECT_EQ(rrs(r.m.answers),
              Lines{"secure.example.com. 3600 IN DS 12345 8 2 "
                    "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"});
    EXPECT_EQ(rrs(r.m.authority), Lines{});
    // No DS at this cut: NODATA from the parent, still authoritative.
    const Ask b{.qname = "sub.example.com.", .qtype = RRType::DS};
    const Reply s = ask(b);
    expect_reply_to(b, s, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(s.m.answers), Lines{});
    EXPECT_EQ(rrs(s.m.authority), Lines{kSoa});
}

TEST(Responder, DsBelowTheCutIsAReferral) {
    const Ask a{.qname = "x.secure.example.com.", .qtype = RRType::DS};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, false);
    EXPECT_EQ(rrs(r.m.authority), Lines{"secure.example.com. 3600 IN NS ns.example.net."});
    EXPECT_EQ(rrs(r.m.additional), Lines{});
}

// ---- DNAME (RFC 6672) ----

TEST(Responder, DnameToAnOutOfZoneTarget) {
    const Ask a{.qname = "www.dn.example.com."};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(r.m.answers), (Lines{"dn.example.com. 120 IN DNAME example.net.",
                                       "www.dn.example.com. 120 IN CNAME www.example.net."}));
    EXPECT_EQ(rrs(r.m.authority), Lines{});
}

TEST(Responder, DnameToAnInZoneTargetIsFollowed) {
    const Ask a{.qname = "x.dn2.example.com."};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(r.m.answers), (Lines{"dn2.example.com. 120 IN DNAME real.example.com.",
                                       "x.dn2.example.com. 120 IN CNAME x.real.example.com.",
                                       "x.real.example.com. 3600 IN A 192.0.2.11"}));
}

TEST(Responder, DnameOwnerItselfIsNotRedirected) {
    const Ask a{.qname = "dn.example.com.", .qtype = RRType::DNAME};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(r.m.answers), Lines{"dn.example.com. 120 IN DNAME example.net."});
    const Ask b{.qname = "dn.example.com."};
    const Reply s = ask(b);
    expect_reply_to(b, s, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(s.m.answers), Lines{});
    EXPECT_EQ(rrs(s.m.authority), Lines{kSoa});
}

TEST(Responder, DnameSubstitutionTooLongIsYxdomain) {
    // 41 + 197 bytes fit; 72 + 197 do not.
    const Ask ok{.qname = std::string(40, 'q') + ".long.example.com."};
    const Reply r = ask(ok);
    expect_reply_to(ok, r, Rcode::NOERROR, true);
    ASSERT_EQ(r.m.answers.size(), 2u);
    EXPECT_EQ(r.m.answers[1].type, RRType::CNAME);

    const Ask a{.qname = std::string(60, 'q') + "." + std::string(10, 'r') + ".long.example.com."};
    const Reply s = ask(a);
    expect_reply_to(a, s, Rcode::YXDOMAIN, true);
    EXPECT_EQ(rrs(s.m.answers), Lines{"long.example.com. 3600 IN DNAME " + kLongTarget});
    EXPECT_EQ(rrs(s.m.authority), Lines{});
}

// ---- zones ----

TEST(Responder, RefusedForOtherZonesAndClasses) {
    for (const Ask& a : {Ask{.qname = "www.example.net."}, Ask{.qname = "com."}, Ask{.qname = "."},
                         Ask{.qname = "www.example.com.", .qclass = RRClass::CH}}) {
        const Reply r = ask(a);
        expect_reply_to(a, r, Rcode::REFUSED, false);
        EXPECT_TRUE(r.m.answers.empty());
        EXPECT_TRUE(r.m.authority.empty());
        EXPECT_TRUE(r.m.additional.empty());
    }
    // Class ANY is answered from the IN data.
    const Ask a{.qname = "www.example.com.", .qclass = RRClass::ANY};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(r.m.answers), Lines{"www.example.com. 3600 IN A 192.0.2.80"});
}

TEST(Responder, TheLongestZoneMatchAnswers) {
    // child.example.com. is delegated in example.com. and loaded itself: its data wins.
    const Ask a{.qname = "www.child.example.com."};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_FALSE(r.info.referral);
    EXPECT_EQ(rrs(r.m.answers), Lines{"www.child.example.com. 60 IN A 192.0.2.67"});

    const Ask b{.qname = "child.example.com.", .qtype = RRType::NS};
    const Reply s = ask(b);
    expect_reply_to(b, s, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(s.m.answers), Lines{"child.example.com. 60 IN NS ns.child.example.com."});
    EXPECT_EQ(rrs(s.m.additional), Lines{"ns.child.example.com. 60 IN A 192.0.2.66"});
}

TEST(Responder, DsAtALoadedChildApexComesFromTheParent) {
    // RFC 4035 section 3.1.4.1: the DS RRset lives on the parent side of the cut.
    const Ask a{.qname = "child.example.com.", .qtype = RRType::DS};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(r.m.answers),
              Lines{"child.example.com. 3600 IN DS 54321 13 2 "
                    "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"});
}

TEST(ZoneSet, FindZone) {
    const ZoneSet& z = zones();
    ASSERT_EQ(z.zones().size(), 2u);
    auto origin_of = [&](std::string_view q) -> std::string {
        const Zone* found = z.find_zone(name(q).wire());
        return found ? found->origin().to_text() : "-";
    };
    EXPECT_EQ(origin_of("example.com."), "example.com.");
    EXPECT_EQ(origin_of("a.b.EXAMPLE.com."), "example.com.");
    EXPECT_EQ(origin_of("child.example.com."), "child.example.com.");
    EXPECT_EQ(origin_of("x.Child.example.com."), "child.example.com.");
    EXPECT_EQ(origin_of("xchild.example.com."), "example.com.");
    EXPECT_EQ(origin_of("com."), "-");
    EXPECT_EQ(origin_of("."), "-");
}

// ---- malformed queries ----

// A reply with the rcode and nothing else: no question, no records, no OPT.
void expect_bare_error(const Reply& r, std::uint16_t id, Rcode rcode) {
    ASSERT_GT(r.size, 0u);
    EXPECT_EQ(r.size, kHeaderSize);
    EXPECT_EQ(r.m.header.id, id);
    EXPECT_TRUE(r.m.header.qr);
    EXPECT_FALSE(r.m.header.aa);
    EXPECT_EQ(r.m.rcode(), rcode);
    EXPECT_EQ(r.info.rcode, rcode);
    EXPECT_TRUE(r.m.questions.empty());
    EXPECT_TRUE(r.m.answers.empty());
    EXPECT_FALSE(r.m.edns);
}

TEST(Responder, FormerrWithoutQuestion) {
    Message none;
    none.header.id = 7;
    expect_bare_error(respond_to(encode_message(none)), 7, Rcode::FORMERR);

    Message two;
    two.header.id = 8;
    two.questions.push_back({name("www.example.com."), RRType::A, RRClass::IN});
    two.questions.push_back({name("mail.example.com."), RRType::A, RRClass::IN});
    expect_bare_error(respond_to(encode_message(two)), 8, Rcode::FORMERR);

    Bytes truncated = query({.qname = "www.example.com.", .id = 9});
    truncated.pop_back();
    expect_bare_error(respond_to(truncated), 9, Rcode::FORMERR);
    truncated.resize(kHeaderSize + 3);  // inside the name
    expect_bare_error(respond_to(truncated), 9, Rcode::FORMERR);

    Bytes trailing = query({.qname = "www.example.com.", .id = 10});
    trailing.push_back(0);
    expect_bare_error(respond_to(trailing), 10, Rcode::FORMERR);

    Bytes trailing_edns = query({.qname = "www.example.com.", .id = 11, .edns = edns(1232)});
    trailing_edns.push_back(0);
    expect_bare_error(respond_to(trailing_edns), 11, Rcode::FORMERR);
}

TEST(Responder, FormerrForMisplacedOrRepeatedOpt) {
    const ResourceRecord opt{Name(), RRType::OPT, static_cast<RRClass>(1232), 0, {}};
    Message in_answer;
    in_answer.header.id = 12;
    in_answer.questions.push_back({name("www.example.com."), RRType::A, RRClass::IN});
    in_answer.answers.push_back(opt);
    expect_bare_error(respond_to(encode_message(in_answer)), 12, Rcode::FORMERR);

    Message twice = in_answer;
    twice.header.id = 13;
    twice.answers.clear();
    twice.additional.push_back(opt);
    twice.edns = edns(1232);
    const Bytes wire = encode_message(twice);
    ASSERT_EQ(read_header(wire)->arcount, 2u);
    expect_bare_error(respond_to(wire), 13, Rcode::FORMERR);

    Message bad_owner = in_answer;
    bad_owner.header.id = 14;
    bad_owner.answers.clear();
    bad_owner.additional.push_back(
        {name("example.com."), RRType::OPT, static_cast<RRClass>(1232), 0, {}});
    expect_bare_error(respond_to(encode_message(bad_owner)), 14, Rcode::FORMERR);
}

TEST(Responder, NotimpForOpcodeStatus) {
    const Ask a{.qname = "www.example.com.", .id = 15, .opcode = Opcode::STATUS};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOTIMP, false);
    EXPECT_TRUE(r.m.answers.empty());
    EXPECT_TRUE(r.m.authority.empty());
}

TEST(Responder, NotimpForOpcodeStatusEvenWithoutAQuestion) {
    // BIND's behaviour: the opcode is judged before the (here empty) question section.
    Message m;
    m.header.id = 17;
    m.header.opcode = Opcode::STATUS;
    expect_bare_error(respond_to(encode_message(m)), 17, Rcode::NOTIMP);
}

TEST(Responder, BadversForEdnsVersion1) {
    const Ask a{.qname = "www.example.com.", .id = 16, .edns = edns(4096, true, 1)};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::BADVERS, false);
    EXPECT_EQ(r.m.header.rcode, 0);  // the low bits of 16
    ASSERT_TRUE(r.m.edns);
    EXPECT_EQ(r.m.edns->extended_rcode, 1);
    EXPECT_EQ(r.m.edns->version, 0);
    EXPECT_EQ(r.m.edns->udp_size, 1232);
    EXPECT_TRUE(r.m.answers.empty());
}

TEST(Responder, NoReplyToResponsesOrShortInput) {
    Bytes wire = query({.qname = "www.example.com."});
    wire[2] |= 0x80;  // QR
    std::vector<std::uint8_t> out(65535);
    EXPECT_EQ(respond(zones(), wire, out, Transport::udp), 0u);
    EXPECT_EQ(respond(zones(), wire, out, Transport::tcp), 0u);
    for (std::size_t n : {0, 1, 11}) {
        const Bytes shortened(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
        EXPECT_EQ(respond(zones(), shortened, out, Transport::udp), 0u) << n;
    }
    const Bytes header_only(wire.begin(), wire.begin() + 12);
    Bytes query_header = header_only;
    query_header[2] &= 0x7F;
    query_header[5] = 0;  // qdcount 0: FORMERR, which is a reply
    EXPECT_EQ(respond(zones(), query_header, out, Transport::udp), kHeaderSize);
}

TEST(Responder, MetaQueryTypes) {
    {
        const Ask a{.qname = "example.com.", .qtype = RRType::AXFR};
        expect_reply_to(a, ask(a, Transport::udp), Rcode::FORMERR, false);
    }
    {
        const Ask a{.qname = "example.com.", .qtype = RRType::OPT};
        expect_reply_to(a, ask(a), Rcode::FORMERR, false);
    }
    {
        const Ask a{.qname = "example.com.", .qtype = static_cast<RRType>(253)};  // MAILB
        expect_reply_to(a, ask(a), Rcode::NOTIMP, false);
    }
}

// ---- EDNS and truncation ----

TEST(Responder, EdnsIsEchoedWithOurSizeAndDo) {
    for (bool dnssec_ok : {false, true}) {
        const Ask a{.qname = "www.example.com.", .edns = edns(4096, dnssec_ok)};
        const Reply r = ask(a);
        expect_reply_to(a, r, Rcode::NOERROR, true);
        ASSERT_TRUE(r.m.edns);
        EXPECT_EQ(r.m.edns->udp_size, 1232);
        EXPECT_EQ(r.m.edns->version, 0);
        EXPECT_EQ(r.m.edns->extended_rcode, 0);
        EXPECT_EQ(r.m.edns->dnssec_ok, dnssec_ok);
        EXPECT_TRUE(r.m.edns->options.empty());
        EXPECT_EQ(rrs(r.m.answers), Lines{"www.example.com. 3600 IN A 192.0.2.80"});
    }
    // An error reply to an EDNS query carries OPT too.
    const Ask a{.qname = "www.example.net.", .edns = edns(1232, true)};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::REFUSED, false);
    ASSERT_TRUE(r.m.edns);
    EXPECT_TRUE(r.m.edns->dnssec_ok);
}

const Lines& big_answer() {
    static const Lines lines = [] {
        Lines out{"bigalias.example.com. 3600 IN CNAME big.example.com."};
        for (int i = 0; i < 20; ++i) {
            out.push_back("big.example.com. 3600 IN TXT \"record-" + std::to_string(100 + i) + "-" +
                          std::string(30, 'x') + "\"");
        }
        return out;
    }();
    return lines;
}

TEST(Responder, Udp512WithoutEdnsTruncatesToWholeRRsets) {
    const Ask a{.qname = "bigalias.example.com.", .qtype = RRType::TXT};
    const Reply r = ask(a);
    expect_reply_to(a, r, Rcode::NOERROR, true, true);
    EXPECT_LE(r.size, 512u);
    // The CNAME fits, the TXT RRset does not: none of it is sent.
    EXPECT_EQ(rrs(r.m.answers), Lines{big_answer()[0]});
    EXPECT_TRUE(r.m.authority.empty());
    EXPECT_TRUE(r.m.additional.empty());
    EXPECT_FALSE(r.m.edns);

    // Over TCP it all fits.
    const Reply t = ask(a, Transport::tcp);
    expect_reply_to(a, t, Rcode::NOERROR, true, false);
    EXPECT_GT(t.size, 512u);
    EXPECT_EQ(rrs(t.m.answers), big_answer());
}

TEST(Responder, LargerEdnsSizeAllowsMore) {
    {
        const Ask a{.qname = "bigalias.example.com.", .qtype = RRType::TXT, .edns = edns(1232)};
        const Reply r = ask(a);
        expect_reply_to(a, r, Rcode::NOERROR, true, false);
        EXPECT_GT(r.size, 512u);
        EXPECT_LE(r.size, 1232u);
        EXPECT_EQ(rrs(r.m.answers), big_answer());
        ASSERT_TRUE(r.m.edns);
    }
    {
        // Asked for less than the answer needs: truncated, OPT still there.
        const Ask a{.qname = "bigalias.example.com.", .qtype = RRType::TXT, .edns = edns(800)};
        const Reply r = ask(a);
        expect_reply_to(a, r, Rcode::NOERROR, true, true);
        EXPECT_LE(r.size, 800u);
        EXPECT_EQ(rrs(r.m.answers), Lines{big_answer()[0]});
        ASSERT_TRUE(r.m.edns);
    }
    {
        // A size below 512 means 512 (RFC 6891 section 6.2.5).
        const Ask a{.qname = "www.example.com.", .edns = edns(100)};
        const Reply r = ask(a);
        expect_reply_to(a, r, Rcode::NOERROR, true, false);
        EXPECT_EQ(r.m.answers.size(), 1u);
    }
    {
        // Our own limit caps what the client asks for.
        const Ask a{.qname = "bigalias.example.com.", .qtype = RRType::TXT, .edns = edns(4096)};
        ResponderOptions small;
        small.max_udp_size = 600;
        const Reply r = respond_to(query(a), Transport::udp, small);
        expect_reply_to(a, r, Rcode::NOERROR, true, true);
        EXPECT_LE(r.size, 600u);
        ASSERT_TRUE(r.m.edns);
        EXPECT_EQ(r.m.edns->udp_size, 600);
    }
}

// ---- additional section ----

TEST(Responder, AdditionalAddressesForInZoneTargets) {
    {
        const Ask a{.qname = "example.com.", .qtype = RRType::MX};
        const Reply r = ask(a);
        expect_reply_to(a, r, Rcode::NOERROR, true);
        EXPECT_EQ(rrs(r.m.answers), (Lines{"example.com. 3600 IN MX 10 mail.example.com.",
                                           "example.com. 3600 IN MX 20 mx.example.net."}));
        EXPECT_EQ(rrs(r.m.additional), Lines{"mail.example.com. 3600 IN A 192.0.2.25"});
    }
    {
        const Ask a{.qname = "example.com.", .qtype = RRType::NS};
        const Reply r = ask(a);
        expect_reply_to(a, r, Rcode::NOERROR, true);
        EXPECT_EQ(rrs(r.m.answers), (Lines{"example.com. 3600 IN NS ns1.example.com.",
                                           "example.com. 3600 IN NS ns2.example.net."}));
        EXPECT_EQ(rrs(r.m.authority), Lines{});
        EXPECT_EQ(rrs(r.m.additional), (Lines{"ns1.example.com. 3600 IN A 192.0.2.53",
                                              "ns1.example.com. 3600 IN AAAA 2001:db8::53"}));
    }
    {
        const Ask a{.qname = "_sip._tcp.example.com.", .qtype = RRType::SRV};
        const Reply r = ask(a);
        expect_reply_to(a, r, Rcode::NOERROR, true);
        EXPECT_EQ(r.m.answers.size(), 2u);
        EXPECT_EQ(rrs(r.m.additional), Lines{"sip.example.com. 3600 IN A 192.0.2.60"});
    }
    {
        // No additional section for other types.
        const Ask a{.qname = "alias.example.com.", .qtype = RRType::CNAME};
        EXPECT_TRUE(ask(a).m.additional.empty());
    }
}

// ---- ANY (RFC 8482) and transfers ----

TEST(Responder, AnyIsMinimalOverUdpAndFullOverTcp) {
    const Ask a{.qname = "www.example.com.", .qtype = RRType::ANY};
    const Reply u = ask(a, Transport::udp);
    expect_reply_to(a, u, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(u.m.answers), Lines{"www.example.com. 3600 IN A 192.0.2.80"});
    const Reply t = ask(a, Transport::tcp);
    expect_reply_to(a, t, Rcode::NOERROR, true);
    EXPECT_EQ(rrs(t.m.answers), (Lines{"www.example.com. 3600 IN A 192.0.2.80",
                                       "www.example.com. 3600 IN AAAA 2001:db8::80",
                                       "www.example.com. 3600 IN TXT \"web\""}));
    // ANY at an empty non-terminal: NODATA.
    const Ask e{.qname = "ent.example.com.", .qtype = RRType::ANY};
    const Reply n = ask(e, Transport::tcp);
    expect_reply_to(e, n, Rcode::NOERROR, true);
    EXPECT_TRUE(n.m.answers.empty());
    EXPECT_EQ(rrs(n.m.authority), Lines{kSoa});
}

TEST(Responder, AxfrOverUdpIsFormerr) {
    const Ask a{.qname = "example.com.", .qtype = RRType::AXFR};
    const Reply r = ask(a, Transport::udp);
    expect_reply_to(a, r, Rcode::FORMERR, false);
    EXPECT_TRUE(r.m.answers.empty());
    // Over TCP this path does not transfer zones.
    const Reply t = ask(a, Transport::tcp);
    expect_reply_to(a, t, Rcode::REFUSED, false);
    EXPECT_TRUE(t.m.answers.empty());
}

}  // namespace
}  // namespace l7::dns
