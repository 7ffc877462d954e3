#include "dns/zone.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dns/master.hpp"
#include "dns/rdata.hpp"
#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using namespace test;

const Name kOrigin = name("example.com.");

const char* const kHead =
    "$TTL 300\n"
    "@ SOA ns1 hostmaster 1 7200 3600 1209600 60\n"  // line 2
    "@ NS ns1\n"                                     // line 3
    "ns1 A 192.0.2.1\n";                             // line 4

// "line: message" (and "warning" for warnings) for each problem, in order.
Lines problems(const MasterFile& f) {
    Lines out;
    for (const MasterProblem& p : f.problems) {
        out.push_back(std::to_string(p.where.line) + ": " + (p.error ? "" : "warning: ") +
                      p.message);
    }
    return out;
}

// ---- build_zone's checks ----

TEST(BuildZone, GoodZone) {
    auto b = parse_zone(std::string(kHead) +
                        "www A 192.0.2.2\n"
                        "www AAAA 2001:db8::2\n"
                        "alias CNAME www\n"
                        "@ MX 10 mail.example.net.\n");
    EXPECT_EQ(problems(b.file), Lines{});
    ASSERT_NE(b.zone, nullptr);
    EXPECT_EQ(b.zone->record_count(), 7u);
    EXPECT_EQ(b.zone->serial(), 1u);
    ASSERT_NE(b.zone->soa(), nullptr);
    EXPECT_EQ(b.zone->soa()->ttl(), 300u);
    const Node* www = b.zone->find(wire_of("WWW.Example.COM."));  // any case
    ASSERT_NE(www, nullptr);
    EXPECT_EQ(www->rrsets.size(), 2u);
    EXPECT_NE(www->find(RRType::AAAA), nullptr);
    EXPECT_EQ(www->find(RRType::MX), nullptr);
}

TEST(BuildZone, NoSoaAndNoNs) {
    auto b = parse_zone("$TTL 300\nwww A 192.0.2.1\n");
    EXPECT_EQ(problems(b.file), (Lines{"0: zone example.com. has no SOA record",
                                       "0: zone example.com. has no NS records"}));
    EXPECT_EQ(b.zone, nullptr);
}

TEST(BuildZone, NoApexNs) {
    auto b = parse_zone(
        "$TTL 300\n"
        "@ SOA ns1 hostmaster 1 7200 3600 1209600 60\n"
        "sub NS ns1.example.net.\n");  // a delegation is not the apex NS
    EXPECT_EQ(problems(b.file), Lines{"0: zone example.com. has no NS records"});
    EXPECT_EQ(b.zone, nullptr);
}

TEST(BuildZone, TwoSoas) {
    auto b = parse_zone(std::string(kHead) + "@ SOA ns1 hostmaster 2 7200 3600 1209600 60\n");
    EXPECT_EQ(problems(b.file), Lines{"5: example.com.: multiple RRs of singleton type SOA"});
    EXPECT_EQ(b.zone, nullptr);
}

TEST(BuildZone, TheSameSoaTwiceIsOneRecord) {
    auto b = parse_zone(std::string(kHead) + "@ SOA ns1 hostmaster 1 7200 3600 1209600 60\n");
    EXPECT_EQ(problems(b.file), Lines{});
    ASSERT_NE(b.zone, nullptr);
    EXPECT_EQ(b.zone->soa()->size(), 1u);
    EXPECT_EQ(b.zone->record_count(), 3u);
}

TEST(BuildZone, SoaBelowTheApex) {
    auto b = parse_zone(std::string(kHead) + "sub SOA ns1 hostmaster 1 7200 3600 1209600 60\n");
    EXPECT_EQ(problems(b.file), Lines{"5: SOA record not at top of zone (sub.example.com.)"});
    EXPECT_EQ(b.zone, nullptr);
}

TEST(BuildZone, CnameAndOtherDataEitherOrder) {
    auto b = parse_zone(std::string(kHead) +
                        "a A 192.0.2.2\n"      // 5
                        "a CNAME www\n"        // 6
                        "b CNAME www\n"        // 7
                        "b TXT \"x\"\n"        // 8
                        "www A 192.0.2.3\n");  // 9
    EXPECT_EQ(problems(b.file), (Lines{"6: a.example.com.: CNAME and other data",
                                       "8: b.example.com.: CNAME and other data"}));
    EXPECT_EQ(b.zone, nullptr);
}

TEST(BuildZone, CnameWithRrsigAndNsecIsAllowed) {
    auto b = parse_zone(std::string(kHead) +
                        "a CNAME www\n"
                        "a RRSIG CNAME 8 3 300 20300101000000 20200101000000 12345 example.com. "
                        "AAAA\n"
                        "a NSEC www CNAME RRSIG NSEC\n"
                        "www A 192.0.2.3\n");
    EXPECT_EQ(problems(b.file), Lines{});
    ASSERT_NE(b.zone, nullptr);
    const Node* a = b.zone->find(wire_of("a.example.com."));
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->rrsets.size(), 3u);
}

TEST(BuildZone, SingletonTypes) {
    auto b = parse_zone(std::string(kHead) +
                        "a CNAME www\n"           // 5
                        "a CNAME other\n"         // 6
                        "a CNAME WWW\n"           // 7: the same one, in another case
                        "d DNAME example.net.\n"  // 8
                        "d DNAME example.org.\n"  // 9
                        "www A 192.0.2.3\n");
    EXPECT_EQ(problems(b.file), (Lines{"6: a.example.com.: multiple RRs of singleton type CNAME",
                                       "9: d.example.com.: multiple RRs of singleton type DNAME"}));
    EXPECT_EQ(b.zone, nullptr);
}

TEST(BuildZone, OutOfZoneDataIsIgnoredWithAWarning) {
    auto b = parse_zone(std::string(kHead) +
                        "www.example.net. A 192.0.2.9\n"   // 5
                        "example.com.evil. A 192.0.2.9\n"  // 6
                        "www A 192.0.2.2\n");
    EXPECT_EQ(problems(b.file),
              (Lines{"5: warning: ignoring out-of-zone data (www.example.net.)",
                     "6: warning: ignoring out-of-zone data (example.com.evil.)"}));
    ASSERT_NE(b.zone, nullptr);
    EXPECT_EQ(b.zone->record_count(), 4u);
    EXPECT_EQ(b.zone->find(wire_of("www.example.net.")), nullptr);
}

TEST(BuildZone, TtlMismatchWarnsAndKeepsTheFirstTtl) {
    auto b = parse_zone(std::string(kHead) +
                        "www 300 A 192.0.2.2\n"    // 5
                        "www 600 A 192.0.2.3\n");  // 6
    EXPECT_EQ(problems(b.file), Lines{"6: warning: www.example.com.: TTL set to prior TTL (300)"});
    ASSERT_NE(b.zone, nullptr);
    const RRset* set = b.zone->find(wire_of("www.example.com."))->find(RRType::A);
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(set->ttl(), 300u);
    EXPECT_EQ(set->size(), 2u);
}

TEST(BuildZone, InZoneNsTargetWithoutAddressIsAnError) {
    auto b = parse_zone(
        "$TTL 300\n"
        "@ SOA ns1 hostmaster 1 7200 3600 1209600 60\n"
        "@ NS ns1\n"
        "@ NS ns2\n"              // 4: the record at fault
        "@ NS ns.example.net.\n"  // out of zone: not checked
        "ns1 A 192.0.2.1\n"
        "ns2 TXT \"no address\"\n");
    EXPECT_EQ(problems(b.file),
              Lines{"4: NS 'ns2.example.com.' has no address records (A or AAAA)"});
    EXPECT_EQ(b.zone, nullptr);
}

TEST(BuildZone, AaaaAloneIsAnAddress) {
    auto b = parse_zone(
        "$TTL 300\n"
        "@ SOA ns1 hostmaster 1 7200 3600 1209600 60\n"
        "@ NS ns1\n"
        "ns1 AAAA 2001:db8::53\n");
    EXPECT_EQ(problems(b.file), Lines{});
    EXPECT_NE(b.zone, nullptr);
}

TEST(BuildZone, NsTargetThatIsACnameIsAnError) {
    auto b = parse_zone(std::string(kHead) +
                        "@ NS alias\n"  // 5: the record at fault (the RRset began on line 3)
                        "alias CNAME ns1\n");
    EXPECT_EQ(problems(b.file), Lines{"5: NS 'alias.example.com.' is a CNAME (illegal)"});
    EXPECT_EQ(b.zone, nullptr);
}

TEST(BuildZone, MxAndSrvTargetsWithoutAddressAreWarnings) {
    auto b = parse_zone(std::string(kHead) +
                        "@ MX 10 mail\n"                // 5
                        "@ MX 20 mail.example.net.\n"   // out of zone
                        "_sip._tcp SRV 0 5 5060 sip\n"  // 7
                        "sip TXT \"no address\"\n");
    EXPECT_EQ(problems(b.file),
              (Lines{"5: warning: MX 'mail.example.com.' has no address records (A or AAAA)",
                     "7: warning: SRV 'sip.example.com.' has no address records (A or AAAA)"}));
    EXPECT_NE(b.zone, nullptr);
}

TEST(BuildZone, MissingGlueIsAWarningAsInNamedCheckzone) {
    // BIND loads such a zone ("has no REQUIRED GLUE" is not fatal), so l7 does too.
    auto b = parse_zone(std::string(kHead) +
                        "sub NS ns.sub\n"     // 5
                        "other NS ns.sub\n"   // 6: sibling glue, also missing
                        "sub2 NS ns.other\n"  // 7
                        "other NS ns.example.net.\n");
    EXPECT_EQ(
        problems(b.file),
        (Lines{"5: warning: NS 'ns.sub.example.com.' has no glue (A or AAAA below the delegation)",
               "6: warning: NS 'ns.sub.example.com.' has no glue (A or AAAA below the delegation)",
               "7: warning: NS 'ns.other.example.com.' has no glue (A or AAAA below the "
               "delegation)"}));
    EXPECT_NE(b.zone, nullptr);
}

TEST(BuildZone, NsTargetBelowADnameIsAnError) {
    auto b = parse_zone(
        "$TTL 300\n"
        "@ SOA ns1 hostmaster 1 7200 3600 1209600 60\n"
        "@ NS ns1\n"  // 3
        "@ DNAME example.net.\n"
        "ns1 A 192.0.2.1\n");
    EXPECT_EQ(problems(b.file), Lines{"3: NS 'ns1.example.com.' is below a DNAME (illegal)"});
    EXPECT_EQ(b.zone, nullptr);
}

TEST(BuildZone, NullMxIsNotChecked) {
    auto b = parse_zone(std::string(kHead) + "@ MX 0 .\n");  // RFC 7505
    EXPECT_EQ(problems(b.file), Lines{});
    EXPECT_NE(b.zone, nullptr);
}

TEST(BuildZone, GlueUnderADelegationSatisfiesTheNsCheck) {
    auto b = parse_zone(std::string(kHead) +
                        "sub NS ns.sub\n"
                        "sub NS ns.other\n"  // 6: in zone, outside the delegation, no address
                        "ns.sub A 192.0.2.53\n");
    EXPECT_EQ(problems(b.file),
              Lines{"6: NS 'ns.other.example.com.' has no address records (A or AAAA)"});
    b = parse_zone(std::string(kHead) +
                   "sub NS ns.sub\n"
                   "ns.sub A 192.0.2.53\n");
    EXPECT_EQ(problems(b.file), Lines{});
    EXPECT_NE(b.zone, nullptr);
}

TEST(BuildZone, ProblemsAreSortedByLineWithParseProblems) {
    auto b = parse_zone(std::string(kHead) +
                        "bad A 192.0.2.999\n"           // 5: a parse error
                        "x.example.net. A 192.0.2.1\n"  // 6: a zone warning
                        "@ MX 10 nowhere\n");           // 7: a zone warning found last
    EXPECT_EQ(problems(b.file),
              (Lines{"5: A record: bad IPv4 address '192.0.2.999'",
                     "6: warning: ignoring out-of-zone data (x.example.net.)",
                     "7: warning: MX 'nowhere.example.com.' has no address records (A or AAAA)"}));
    EXPECT_EQ(b.zone, nullptr);  // the parse error counts
}

// ---- RRset ----

TEST(RRset, AddRemoveAndDuplicates) {
    RRset set(RRType::A, 300);
    EXPECT_TRUE(set.empty());
    const Bytes a{192, 0, 2, 1};
    const Bytes b{192, 0, 2, 2};
    EXPECT_TRUE(set.add(a));
    EXPECT_FALSE(set.add(a));
    EXPECT_TRUE(set.add(b));
    EXPECT_EQ(set.size(), 2u);
    EXPECT_TRUE(set.contains(b));
    std::vector<Bytes> seen;
    for (auto r : set) {
        seen.emplace_back(r.begin(), r.end());
    }
    EXPECT_EQ(seen, (std::vector<Bytes>{a, b}));
    EXPECT_TRUE(set.remove(a));
    EXPECT_FALSE(set.remove(a));
    EXPECT_EQ(set.size(), 1u);
    EXPECT_FALSE(set.contains(a));
    seen.clear();
    for (auto r : set) {
        seen.emplace_back(r.begin(), r.end());
    }
    EXPECT_EQ(seen, std::vector<Bytes>{b});
    EXPECT_TRUE(set.remove(b));
    EXPECT_TRUE(set.empty());
    EXPECT_EQ(set.begin(), set.end());
}

TEST(RRset, NamesInRdataCompareWithoutCase) {
    RRset ns(RRType::NS, 300);
    EXPECT_TRUE(ns.add(rdata(RRType::NS, "ns1.example.com.")));
    EXPECT_FALSE(ns.add(rdata(RRType::NS, "NS1.Example.COM.")));
    EXPECT_TRUE(ns.contains(rdata(RRType::NS, "Ns1.example.com.")));
    RRset mx(RRType::MX, 300);
    EXPECT_TRUE(mx.add(rdata(RRType::MX, "10 mail.example.com.")));
    EXPECT_FALSE(mx.add(rdata(RRType::MX, "10 MAIL.example.com.")));
    EXPECT_TRUE(mx.add(rdata(RRType::MX, "20 MAIL.example.com.")));
    EXPECT_TRUE(mx.remove(rdata(RRType::MX, "10 mail.EXAMPLE.com.")));
    EXPECT_EQ(mx.size(), 1u);
    // Text is data, not a name: its case matters.
    RRset txt(RRType::TXT, 300);
    EXPECT_TRUE(txt.add(rdata(RRType::TXT, "abc")));
    EXPECT_TRUE(txt.add(rdata(RRType::TXT, "ABC")));
}

TEST(RRset, RdataOfDifferentLengthsIterate) {
    RRset set(RRType::TXT, 1);
    const Bytes empty{};
    Bytes big(300, 'x');
    big[0] = 255;  // not valid TXT, but the set stores bytes
    EXPECT_TRUE(set.add(big));
    EXPECT_TRUE(set.add(Bytes{0}));
    std::vector<std::size_t> sizes;
    for (auto r : set) {
        sizes.push_back(r.size());
    }
    EXPECT_EQ(sizes, (std::vector<std::size_t>{300, 1}));
}

// ---- Zone ----

TEST(Zone, EmptyNonTerminalsAreCreated) {
    Zone z(kOrigin);
    EXPECT_TRUE(z.add(rr("a.b.c.example.com.", RRType::A, "192.0.2.1")));
    EXPECT_EQ(z.node_count(), 4u);  // a.b.c, then b.c, c and the apex, all empty
    const Node* bc = z.find(wire_of("b.c.example.com."));
    ASSERT_NE(bc, nullptr);
    EXPECT_TRUE(bc->empty());
    ASSERT_NE(z.find(wire_of("C.example.com.")), nullptr);
    EXPECT_TRUE(z.find(wire_of("C.example.com."))->empty());
    EXPECT_EQ(z.find(wire_of("x.c.example.com.")), nullptr);
    EXPECT_EQ(z.find(wire_of("a.a.b.c.example.com.")), nullptr);
    EXPECT_TRUE(z.apex().empty());
    EXPECT_EQ(z.soa(), nullptr);
    EXPECT_EQ(z.serial(), 0u);
    // A record at an empty non-terminal fills it.
    EXPECT_TRUE(z.add(rr("b.c.example.com.", RRType::TXT, "x")));
    EXPECT_EQ(z.node_count(), 4u);
    EXPECT_FALSE(z.find(wire_of("b.c.example.com."))->empty());
    // A sibling shares the ancestors.
    EXPECT_TRUE(z.add(rr("d.c.example.com.", RRType::A, "192.0.2.2")));
    EXPECT_EQ(z.node_count(), 5u);
}

TEST(Zone, RemovingTheLastRecordOfALeafRemovesItsEmptyAncestors) {
    // Otherwise a removed name would answer NODATA instead of NXDOMAIN (after IXFR, UPDATE).
    Zone z(kOrigin);
    ASSERT_TRUE(z.add(rr("example.com.", RRType::NS, "ns1.example.com.")));
    ASSERT_TRUE(z.add(rr("a.b.c.example.com.", RRType::A, "192.0.2.1")));
    ASSERT_TRUE(z.add(rr("x.c.example.com.", RRType::A, "192.0.2.2")));
    ASSERT_EQ(z.node_count(), 5u);  // apex, c, b.c, a.b.c, x.c
    EXPECT_TRUE(z.remove(wire_of("A.b.c.example.com."), RRType::A, rdata(RRType::A, "192.0.2.1")));
    EXPECT_EQ(z.find(wire_of("a.b.c.example.com.")), nullptr);
    EXPECT_EQ(z.find(wire_of("b.c.example.com.")), nullptr);
    ASSERT_NE(z.find(wire_of("c.example.com.")), nullptr);  // x.c is still below it
    EXPECT_EQ(z.node_count(), 3u);
    EXPECT_TRUE(z.remove_rrset(wire_of("x.c.example.com."), RRType::ANY));
    EXPECT_EQ(z.find(wire_of("x.c.example.com.")), nullptr);
    EXPECT_EQ(z.find(wire_of("c.example.com.")), nullptr);
    EXPECT_NE(z.find(wire_of("example.com.")), nullptr);  // the apex stays
    EXPECT_EQ(z.node_count(), 1u);
    // A node with records below it stays, empty, when its own records go.
    ASSERT_TRUE(z.add(rr("p.example.com.", RRType::TXT, "parent")));
    ASSERT_TRUE(z.add(rr("q.p.example.com.", RRType::TXT, "child")));
    EXPECT_TRUE(z.remove_rrset(wire_of("p.example.com."), RRType::TXT));
    ASSERT_NE(z.find(wire_of("p.example.com.")), nullptr);
    EXPECT_TRUE(z.find(wire_of("p.example.com."))->empty());
    EXPECT_TRUE(z.remove_rrset(wire_of("q.p.example.com."), RRType::TXT));
    EXPECT_EQ(z.find(wire_of("p.example.com.")), nullptr);
    // And added again, the names come back.
    ASSERT_TRUE(z.add(rr("a.b.c.example.com.", RRType::A, "192.0.2.1")));
    EXPECT_NE(z.find(wire_of("b.c.example.com.")), nullptr);
    EXPECT_EQ(z.node_count(), 4u);
}

TEST(Zone, AddKeepsTheRRsetTtlAndRefusesDuplicates) {
    Zone z(kOrigin);
    EXPECT_TRUE(z.add(rr("www.example.com.", RRType::A, "192.0.2.1", 300)));
    EXPECT_TRUE(z.add(rr("WWW.example.com.", RRType::A, "192.0.2.2", 600)));
    EXPECT_FALSE(z.add(rr("www.example.com.", RRType::A, "192.0.2.2", 300)));
    EXPECT_EQ(z.record_count(), 2u);
    EXPECT_EQ(z.node_count(), 2u);  // www and the apex
    const RRset* set = z.find(wire_of("www.example.com."))->find(RRType::A);
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(set->ttl(), 300u);
    EXPECT_EQ(set->size(), 2u);
}

TEST(Zone, FindCut) {
    Zone z(kOrigin);
    ASSERT_TRUE(z.add(rr("example.com.", RRType::NS, "ns1.example.com.")));
    ASSERT_TRUE(z.add(rr("sub.example.com.", RRType::NS, "ns.sub.example.com.")));
    ASSERT_TRUE(z.add(rr("deep.sub.example.com.", RRType::NS, "ns.example.net.")));
    ASSERT_TRUE(z.add(rr("www.example.com.", RRType::A, "192.0.2.1")));
    const std::string sub = wire_of("sub.example.com.");
    EXPECT_EQ(z.find_cut(sub), sub);
    EXPECT_TRUE(wire_name::equal(z.find_cut(wire_of("x.y.SUB.example.com.")), sub));
    EXPECT_EQ(z.find_cut(wire_of("a.deep.sub.example.com.")), sub);  // the highest cut
    EXPECT_TRUE(z.find_cut(wire_of("example.com.")).empty());        // the apex NS is no cut
    EXPECT_TRUE(z.find_cut(wire_of("www.example.com.")).empty());
    EXPECT_TRUE(z.find_cut(wire_of("nothing.here.example.com.")).empty());
}

TEST(Zone, RemoveAndRemoveRRsetKeepCounts) {
    Zone z(kOrigin);
    ASSERT_TRUE(z.add(rr("www.example.com.", RRType::A, "192.0.2.1")));
    ASSERT_TRUE(z.add(rr("www.example.com.", RRType::A, "192.0.2.2")));
    ASSERT_TRUE(z.add(rr("www.example.com.", RRType::AAAA, "2001:db8::1")));
    ASSERT_TRUE(z.add(rr("www.example.com.", RRType::TXT, "hello")));
    ASSERT_TRUE(z.add(rr("mail.example.com.", RRType::MX, "10 mx.example.com.")));
    ASSERT_EQ(z.record_count(), 5u);

    const std::string www = wire_of("WWW.example.com.");
    EXPECT_TRUE(z.remove(www, RRType::A, rdata(RRType::A, "192.0.2.1")));
    EXPECT_FALSE(z.remove(www, RRType::A, rdata(RRType::A, "192.0.2.1")));
    EXPECT_FALSE(z.remove(www, RRType::A, rdata(RRType::A, "192.0.2.9")));
    EXPECT_FALSE(z.remove(wire_of("none.example.com."), RRType::A, rdata(RRType::A, "192.0.2.2")));
    EXPECT_EQ(z.record_count(), 4u);
    EXPECT_TRUE(z.remove(www, RRType::A, rdata(RRType::A, "192.0.2.2")));
    EXPECT_EQ(z.find(www)->find(RRType::A), nullptr);  // the empty RRset is gone
    EXPECT_EQ(z.find(www)->rrsets.size(), 2u);
    EXPECT_EQ(z.record_count(), 3u);
    // Names in RDATA match without case.
    EXPECT_TRUE(z.remove(wire_of("mail.example.com."), RRType::MX,
                         rdata(RRType::MX, "10 MX.EXAMPLE.COM.")));
    EXPECT_EQ(z.record_count(), 2u);

    ASSERT_TRUE(z.add(rr("www.example.com.", RRType::A, "192.0.2.7")));
    ASSERT_TRUE(z.add(rr("www.example.com.", RRType::A, "192.0.2.8")));
    EXPECT_EQ(z.record_count(), 4u);
    EXPECT_TRUE(z.remove_rrset(www, RRType::A));
    EXPECT_EQ(z.record_count(), 2u);
    EXPECT_FALSE(z.remove_rrset(www, RRType::A));
    EXPECT_FALSE(z.remove_rrset(www, RRType::MX));
    EXPECT_FALSE(z.remove_rrset(wire_of("none.example.com."), RRType::ANY));
    EXPECT_TRUE(z.remove_rrset(www, RRType::ANY));
    EXPECT_EQ(z.record_count(), 0u);
    EXPECT_EQ(z.find(www), nullptr);
}

}  // namespace
}  // namespace l7::dns
