#include "dns/update.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dns/master.hpp"
#include "dns/rdata.hpp"
#include "dns/zone.hpp"
#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using namespace test;

const Name kOrigin = name("example.com.");

ResourceRecord any(std::string_view owner, RRType type) {
    return {name(owner), type, RRClass::ANY, 0, {}};
}
ResourceRecord none(std::string_view owner, RRType type, std::string_view text = "") {
    return rr(owner, type, text, 0, RRClass::NONE);
}

struct Update {
    std::vector<ResourceRecord> prereqs;
    std::vector<ResourceRecord> updates;
};

Message message(const Update& u) {
    Message m;
    m.header.id = 7;
    m.header.opcode = Opcode::UPDATE;
    m.questions.push_back({kOrigin, RRType::SOA, RRClass::IN});
    m.answers = u.prereqs;
    m.authority = u.updates;
    return m;
}

UpdateOutcome run(const Zone& zone, const Update& u) {
    return apply_update(zone, message(u));
}

std::string rcode(const UpdateOutcome& o) {
    return rcode_to_text(o.rcode);
}

const RRset* rrset(const Zone& zone, std::string_view owner, RRType type) {
    const Node* node = zone.find(wire_of(owner));
    return node ? node->find(type) : nullptr;
}

// The old zone with the diff applied equals the new zone.
void expect_diff_replays(const Zone& old_zone, const UpdateOutcome& out) {
    ASSERT_NE(out.zone, nullptr);
    ASSERT_TRUE(out.diff.has_value());
    Zone replay = old_zone;
    auto ok = replay.apply(*out.diff);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(record_keys(replay), record_keys(*out.zone));
    EXPECT_EQ(replay.record_count(), out.zone->record_count());
    EXPECT_EQ(replay.node_count(), out.zone->node_count());
}

// ---- the zone section ----

TEST(UpdateZoneSection, NeedsOneSoaQuestion) {
    auto zone = make_zone(kUpdateZone);
    Message m = message({});
    m.questions[0].type = RRType::A;
    EXPECT_EQ(rcode_to_text(apply_update(*zone, m).rcode), "FORMERR");
    m.questions.clear();
    EXPECT_EQ(rcode_to_text(apply_update(*zone, m).rcode), "FORMERR");
}

// ---- prerequisites (RFC 2136 section 2.4 and 3.2) ----

TEST(UpdatePrerequisites, NameIsInUse) {
    auto zone = make_zone(kUpdateZone);
    EXPECT_EQ(rcode(run(*zone, {{any("www.example.com.", RRType::ANY)}, {}})), "NOERROR");
    EXPECT_EQ(rcode(run(*zone, {{any("WWW.EXAMPLE.COM.", RRType::ANY)}, {}})), "NOERROR");
    EXPECT_EQ(rcode(run(*zone, {{any("nope.example.com.", RRType::ANY)}, {}})), "NXDOMAIN");
    // An empty non-terminal owns no records: not "in use".
    EXPECT_EQ(rcode(run(*zone, {{any("b.example.com.", RRType::ANY)}, {}})), "NXDOMAIN");
}

TEST(UpdatePrerequisites, NameIsNotInUse) {
    auto zone = make_zone(kUpdateZone);
    EXPECT_EQ(rcode(run(*zone, {{none("nope.example.com.", RRType::ANY)}, {}})), "NOERROR");
    EXPECT_EQ(rcode(run(*zone, {{none("b.example.com.", RRType::ANY)}, {}})), "NOERROR");
    EXPECT_EQ(rcode(run(*zone, {{none("www.example.com.", RRType::ANY)}, {}})), "YXDOMAIN");
}

TEST(UpdatePrerequisites, RRsetExistsValueIndependent) {
    auto zone = make_zone(kUpdateZone);
    EXPECT_EQ(rcode(run(*zone, {{any("www.example.com.", RRType::A)}, {}})), "NOERROR");
    EXPECT_EQ(rcode(run(*zone, {{any("www.example.com.", RRType::MX)}, {}})), "NXRRSET");
    EXPECT_EQ(rcode(run(*zone, {{any("nope.example.com.", RRType::A)}, {}})), "NXRRSET");
}

TEST(UpdatePrerequisites, RRsetDoesNotExist) {
    auto zone = make_zone(kUpdateZone);
    EXPECT_EQ(rcode(run(*zone, {{none("www.example.com.", RRType::MX)}, {}})), "NOERROR");
    EXPECT_EQ(rcode(run(*zone, {{none("nope.example.com.", RRType::A)}, {}})), "NOERROR");
    EXPECT_EQ(rcode(run(*zone, {{none("www.example.com.", RRType::A)}, {}})), "YXRRSET");
}

TEST(UpdatePrerequisites, RRsetExistsValueDependent) {
    auto zone = make_zone(kUpdateZone);
    auto www = [](std::string_view a) { return rr("www.example.com.", RRType::A, a, 0); };
    // The whole set, in any order.
    EXPECT_EQ(rcode(run(*zone, {{www("192.0.2.10"), www("192.0.2.11")}, {}})), "NOERROR");
    EXPECT_EQ(rcode(run(*zone, {{www("192.0.2.11"), www("192.0.2.10")}, {}})), "NOERROR");
    // A subset or a superset is not the set.
    EXPECT_EQ(rcode(run(*zone, {{www("192.0.2.10")}, {}})), "NXRRSET");
    EXPECT_EQ(rcode(run(*zone, {{www("192.0.2.10"), www("192.0.2.11"), www("192.0.2.12")}, {}})),
              "NXRRSET");
    EXPECT_EQ(rcode(run(*zone, {{www("192.0.2.10"), www("192.0.2.99")}, {}})), "NXRRSET");
    EXPECT_EQ(rcode(run(*zone, {{rr("www.example.com.", RRType::AAAA, "2001:db8::1", 0)}, {}})),
              "NXRRSET");
    // Names in RDATA compare without case.
    EXPECT_EQ(
        rcode(run(*zone, {{rr("alias.example.com.", RRType::CNAME, "WWW.Example.COM.", 0)}, {}})),
        "NOERROR");
}

TEST(UpdatePrerequisites, FormatErrorsAndNotZone) {
    auto zone = make_zone(kUpdateZone);
    ResourceRecord ttl = any("www.example.com.", RRType::A);
    ttl.ttl = 1;
    EXPECT_EQ(rcode(run(*zone, {{ttl}, {}})), "FORMERR");
    EXPECT_EQ(rcode(run(*zone, {{rr("www.example.com.", RRType::A, "192.0.2.10", 300)}, {}})),
              "FORMERR");
    ResourceRecord with_rdata = rr("www.example.com.", RRType::A, "192.0.2.10", 0, RRClass::ANY);
    EXPECT_EQ(rcode(run(*zone, {{with_rdata}, {}})), "FORMERR");
    with_rdata.klass = RRClass::NONE;
    EXPECT_EQ(rcode(run(*zone, {{with_rdata}, {}})), "FORMERR");
    with_rdata.klass = RRClass::CH;
    EXPECT_EQ(rcode(run(*zone, {{with_rdata}, {}})), "FORMERR");
    EXPECT_EQ(rcode(run(*zone, {{any("www.example.net.", RRType::ANY)}, {}})), "NOTZONE");
}

TEST(UpdatePrerequisites, AFailedPrerequisiteChangesNothing) {
    auto zone = make_zone(kUpdateZone);
    auto out = run(*zone, {{any("nope.example.com.", RRType::A)},
                           {rr("new.example.com.", RRType::A, "192.0.2.50")}});
    EXPECT_EQ(rcode(out), "NXRRSET");
    EXPECT_EQ(out.zone, nullptr);
    EXPECT_FALSE(out.diff.has_value());
    EXPECT_EQ(zone->find(wire_of("new.example.com.")), nullptr);
}

// ---- the prescan of the update section (3.4.1) ----

TEST(UpdatePrescan, FormatErrors) {
    auto zone = make_zone(kUpdateZone);
    const ResourceRecord good = rr("new.example.com.", RRType::A, "192.0.2.50");
    auto expect_formerr = [&](ResourceRecord bad, const char* what) {
        // The good addition first: nothing is applied when a later record fails the prescan.
        auto out = run(*zone, {{}, {good, bad}});
        EXPECT_EQ(rcode(out), "FORMERR") << what;
        EXPECT_EQ(out.zone, nullptr) << what;
    };
    expect_formerr({name("www.example.com."), RRType::ANY, RRClass::IN, 300, {}}, "IN ANY");
    expect_formerr({name("www.example.com."), RRType::AXFR, RRClass::IN, 300, {}}, "IN AXFR");
    ResourceRecord bad = any("www.example.com.", RRType::A);
    bad.ttl = 300;
    expect_formerr(bad, "ANY with a TTL");
    expect_formerr(rr("www.example.com.", RRType::A, "192.0.2.10", 0, RRClass::ANY),
                   "ANY with RDATA");
    expect_formerr(any("www.example.com.", RRType::AXFR), "ANY AXFR");
    expect_formerr(rr("www.example.com.", RRType::A, "192.0.2.10", 300, RRClass::NONE),
                   "NONE with a TTL");
    expect_formerr(none("www.example.com.", RRType::ANY), "NONE ANY");
    expect_formerr(rr("www.example.com.", RRType::A, "192.0.2.10", 300, RRClass::CH), "class CH");
}

TEST(UpdatePrescan, NotZone) {
    auto zone = make_zone(kUpdateZone);
    auto out = run(*zone, {{}, {rr("www.example.net.", RRType::A, "192.0.2.50")}});
    EXPECT_EQ(rcode(out), "NOTZONE");
    EXPECT_EQ(out.zone, nullptr);
}

// ---- additions ----

TEST(UpdateAdd, NewNameBumpsTheSerialByOne) {
    auto zone = make_zone(kUpdateZone);
    auto out = run(*zone, {{}, {rr("new.example.com.", RRType::A, "192.0.2.50", 600)}});
    EXPECT_EQ(rcode(out), "NOERROR");
    ASSERT_NE(out.zone, nullptr);
    EXPECT_EQ(out.zone->serial(), 11u);
    EXPECT_EQ(zone->serial(), 10u);  // the old version is untouched
    EXPECT_EQ(zone->find(wire_of("new.example.com.")), nullptr);
    const RRset* set = rrset(*out.zone, "new.example.com.", RRType::A);
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(set->ttl(), 600u);
    EXPECT_EQ(out.zone->record_count(), zone->record_count() + 1);

    ASSERT_TRUE(out.diff.has_value());
    const ZoneDiff& d = *out.diff;
    EXPECT_EQ(d.from_serial, 10u);
    EXPECT_EQ(d.to_serial, 11u);
    ASSERT_EQ(d.removed.size(), 1u);
    ASSERT_EQ(d.added.size(), 2u);
    EXPECT_EQ(d.removed[0].type, RRType::SOA);
    EXPECT_EQ(decode_soa(d.removed[0].rdata)->serial, 10u);
    EXPECT_EQ(d.added[0].type, RRType::SOA);
    EXPECT_EQ(decode_soa(d.added[0].rdata)->serial, 11u);
    EXPECT_EQ(record_key(d.added[1]), "new.example.com. A 600 192.0.2.50");
    EXPECT_EQ(out.summary, "1 added, 0 removed, serial 11");
    expect_diff_replays(*zone, out);
}

TEST(UpdateAdd, ADifferentTtlAppliesToTheWholeRRset) {
    auto zone = make_zone(kUpdateZone);
    auto out = run(*zone, {{}, {rr("www.example.com.", RRType::A, "192.0.2.12", 600)}});
    ASSERT_NE(out.zone, nullptr);
    const RRset* set = rrset(*out.zone, "www.example.com.", RRType::A);
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(set->ttl(), 600u);
    EXPECT_EQ(set->size(), 3u);
    const ZoneDiff& d = *out.diff;
    EXPECT_EQ(record_keys(std::vector(d.removed.begin() + 1, d.removed.end())),
              (Keys{"www.example.com. A 300 192.0.2.10", "www.example.com. A 300 192.0.2.11"}));
    EXPECT_EQ(record_keys(std::vector(d.added.begin() + 1, d.added.end())),
              (Keys{"www.example.com. A 600 192.0.2.10", "www.example.com. A 600 192.0.2.11",
                    "www.example.com. A 600 192.0.2.12"}));
    expect_diff_replays(*zone, out);
}

TEST(UpdateAdd, AnExistingRecordIsNoChange) {
    auto zone = make_zone(kUpdateZone);
    auto out = run(*zone, {{}, {rr("www.example.com.", RRType::A, "192.0.2.10")}});
    EXPECT_EQ(rcode(out), "NOERROR");
    EXPECT_EQ(out.zone, nullptr);
    EXPECT_FALSE(out.diff.has_value());
    // Deleting what is not there is no change either.
    out = run(*zone, {{},
                      {none("www.example.com.", RRType::A, "192.0.2.99"),
                       any("nope.example.com.", RRType::ANY)}});
    EXPECT_EQ(rcode(out), "NOERROR");
    EXPECT_EQ(out.zone, nullptr);
}

TEST(UpdateAdd, CnameExclusivityIgnoresTheAddition) {
    auto zone = make_zone(kUpdateZone);
    // Other data beside a CNAME, and a CNAME beside other data: both ignored.
    auto out = run(*zone, {{},
                           {rr("alias.example.com.", RRType::A, "192.0.2.1"),
                            rr("www.example.com.", RRType::CNAME, "mail.example.com.")}});
    EXPECT_EQ(rcode(out), "NOERROR");
    EXPECT_EQ(out.zone, nullptr);
    // Ignored ones do not stop the others.
    out = run(*zone, {{},
                      {rr("alias.example.com.", RRType::TXT, "x"),
                       rr("new.example.com.", RRType::TXT, "y")}});
    ASSERT_NE(out.zone, nullptr);
    EXPECT_EQ(rrset(*out.zone, "alias.example.com.", RRType::TXT), nullptr);
    EXPECT_NE(rrset(*out.zone, "new.example.com.", RRType::TXT), nullptr);
    expect_diff_replays(*zone, out);
}

TEST(UpdateAdd, ACnameReplacesTheCname) {
    auto zone = make_zone(kUpdateZone);
    auto out = run(*zone, {{}, {rr("alias.example.com.", RRType::CNAME, "mail.example.com.")}});
    ASSERT_NE(out.zone, nullptr);
    const RRset* set = rrset(*out.zone, "alias.example.com.", RRType::CNAME);
    ASSERT_NE(set, nullptr);
    ASSERT_EQ(set->size(), 1u);
    EXPECT_TRUE(set->contains(rdata(RRType::CNAME, "mail.example.com.")));
    EXPECT_EQ(record_keys(out.diff->removed),
              (Keys{"alias.example.com. CNAME 300 www.example.com.",
                    "example.com. SOA 300 ns1.example.com. "
                    "hostmaster.example.com. 10 7200 3600 1209600 60"}));
    expect_diff_replays(*zone, out);
}

TEST(UpdateAdd, SoaOnlyForwardAndOnlyAtTheApex) {
    auto zone = make_zone(kUpdateZone);
    // An older or equal serial is ignored.
    auto out = run(*zone, {{}, {{kOrigin, RRType::SOA, RRClass::IN, 300, soa_rdata(5)}}});
    EXPECT_EQ(out.zone, nullptr);
    out = run(*zone, {{}, {{kOrigin, RRType::SOA, RRClass::IN, 300, soa_rdata(10)}}});
    EXPECT_EQ(out.zone, nullptr);
    out = run(*zone,
              {{}, {{name("www.example.com."), RRType::SOA, RRClass::IN, 300, soa_rdata(20)}}});
    EXPECT_EQ(out.zone, nullptr);
    // A newer one replaces the SOA, and its serial is not bumped again.
    out = run(*zone, {{},
                      {{kOrigin, RRType::SOA, RRClass::IN, 300, soa_rdata(20)},
                       rr("new.example.com.", RRType::A, "192.0.2.50")}});
    ASSERT_NE(out.zone, nullptr);
    EXPECT_EQ(out.zone->serial(), 20u);
    EXPECT_EQ(out.zone->soa()->size(), 1u);
    EXPECT_EQ(out.diff->from_serial, 10u);
    EXPECT_EQ(out.diff->to_serial, 20u);
    EXPECT_EQ(decode_soa(out.diff->added.front().rdata)->serial, 20u);
    expect_diff_replays(*zone, out);
}

TEST(UpdateAdd, SerialWrapsPastZero) {
    auto zone = make_zone(
        "$TTL 300\n"
        "@ SOA ns1 hostmaster 4294967295 7200 3600 1209600 60\n"
        "@ NS ns1\n"
        "ns1 A 192.0.2.1\n");
    auto out = run(*zone, {{}, {rr("new.example.com.", RRType::A, "192.0.2.50")}});
    ASSERT_NE(out.zone, nullptr);
    EXPECT_NE(out.zone->serial(), zone->serial());
    EXPECT_EQ(out.diff->to_serial, out.zone->serial());
    expect_diff_replays(*zone, out);
}

// ---- deletions ----

TEST(UpdateDelete, AnRRset) {
    auto zone = make_zone(kUpdateZone);
    auto out = run(*zone, {{}, {any("www.example.com.", RRType::A)}});
    ASSERT_NE(out.zone, nullptr);
    EXPECT_EQ(out.zone->find(wire_of("www.example.com.")), nullptr);  // the name is gone
    EXPECT_EQ(out.zone->record_count(), zone->record_count() - 2);
    EXPECT_EQ(out.zone->serial(), 11u);
    EXPECT_EQ(record_keys(std::vector(out.diff->removed.begin() + 1, out.diff->removed.end())),
              (Keys{"www.example.com. A 300 192.0.2.10", "www.example.com. A 300 192.0.2.11"}));
    EXPECT_EQ(out.diff->added.size(), 1u);
    expect_diff_replays(*zone, out);
}

TEST(UpdateDelete, AName) {
    auto zone = make_zone(kUpdateZone);
    auto out = run(*zone, {{}, {any("a.b.example.com.", RRType::ANY)}});
    ASSERT_NE(out.zone, nullptr);
    EXPECT_EQ(out.zone->find(wire_of("a.b.example.com.")), nullptr);
    EXPECT_EQ(out.zone->find(wire_of("b.example.com.")), nullptr);  // the emptied ENT too
    expect_diff_replays(*zone, out);
}

TEST(UpdateDelete, TheApexKeepsItsSoaAndNs) {
    auto zone = make_zone(kUpdateZone);
    auto out = run(*zone, {{}, {any("example.com.", RRType::ANY)}});
    ASSERT_NE(out.zone, nullptr);
    const Node& apex = out.zone->apex();
    EXPECT_NE(apex.find(RRType::SOA), nullptr);
    ASSERT_NE(apex.find(RRType::NS), nullptr);
    EXPECT_EQ(apex.find(RRType::NS)->size(), 2u);
    EXPECT_EQ(apex.find(RRType::MX), nullptr);
    EXPECT_EQ(record_keys(std::vector(out.diff->removed.begin() + 1, out.diff->removed.end())),
              (Keys{"example.com. MX 300 10 mail.example.com."}));
    expect_diff_replays(*zone, out);
    // Deleting the apex SOA or NS RRset is ignored.
    out = run(*zone, {{}, {any("example.com.", RRType::SOA), any("example.com.", RRType::NS)}});
    EXPECT_EQ(rcode(out), "NOERROR");
    EXPECT_EQ(out.zone, nullptr);
}

TEST(UpdateDelete, OneRecord) {
    auto zone = make_zone(kUpdateZone);
    auto out = run(*zone, {{}, {none("www.example.com.", RRType::A, "192.0.2.10")}});
    ASSERT_NE(out.zone, nullptr);
    const RRset* set = rrset(*out.zone, "www.example.com.", RRType::A);
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(set->size(), 1u);
    EXPECT_TRUE(set->contains(rdata(RRType::A, "192.0.2.11")));
    ASSERT_EQ(out.diff->removed.size(), 2u);
    EXPECT_EQ(record_key(out.diff->removed[1]), "www.example.com. A 300 192.0.2.10");
    expect_diff_replays(*zone, out);
}

TEST(UpdateDelete, TheLastApexNsStays) {
    auto zone = make_zone(kUpdateZone);
    auto out = run(*zone, {{},
                           {none("example.com.", RRType::NS, "ns2.example.com."),
                            none("example.com.", RRType::NS, "ns1.example.com.")}});
    ASSERT_NE(out.zone, nullptr);
    const RRset* ns = out.zone->apex().find(RRType::NS);
    ASSERT_NE(ns, nullptr);
    ASSERT_EQ(ns->size(), 1u);
    EXPECT_TRUE(ns->contains(rdata(RRType::NS, "ns1.example.com.")));
    expect_diff_replays(*zone, out);
    // The SOA cannot be deleted record by record either.
    out = run(*zone, {{}, {{kOrigin, RRType::SOA, RRClass::NONE, 0, soa_rdata(10)}}});
    EXPECT_EQ(out.zone, nullptr);
}

TEST(UpdateDelete, ThenAddInOneUpdate) {
    auto zone = make_zone(kUpdateZone);
    auto out = run(*zone, {{any("www.example.com.", RRType::A)},
                           {any("www.example.com.", RRType::A),
                            rr("www.example.com.", RRType::AAAA, "2001:db8::10"),
                            rr("WWW.example.com.", RRType::A, "192.0.2.99", 60)}});
    ASSERT_NE(out.zone, nullptr);
    const RRset* a = rrset(*out.zone, "www.example.com.", RRType::A);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->size(), 1u);
    EXPECT_EQ(a->ttl(), 60u);
    EXPECT_NE(rrset(*out.zone, "www.example.com.", RRType::AAAA), nullptr);
    expect_diff_replays(*zone, out);
}

// ---- Zone::apply and diff_zones ----

TEST(ZoneApply, FailsOnASerialMismatch) {
    auto zone = make_zone(kUpdateZone);
    ZoneDiff d;
    d.from_serial = 9;
    d.to_serial = 11;
    d.removed.push_back({kOrigin, RRType::SOA, RRClass::IN, 300, soa_rdata(9)});
    d.added.push_back({kOrigin, RRType::SOA, RRClass::IN, 300, soa_rdata(11)});
    auto ok = zone->apply(d);
    ASSERT_FALSE(ok);
    EXPECT_NE(ok.error().message.find("serial 9"), std::string::npos) << ok.error().message;
    EXPECT_EQ(zone->serial(), 10u);
}

TEST(ZoneApply, FailsOnAMissingRemovedRecord) {
    auto zone = make_zone(kUpdateZone);
    ZoneDiff d;
    d.from_serial = 10;
    d.to_serial = 11;
    d.removed.push_back({kOrigin, RRType::SOA, RRClass::IN, 300, soa_rdata(10)});
    d.removed.push_back(rr("www.example.com.", RRType::A, "192.0.2.99"));
    d.added.push_back({kOrigin, RRType::SOA, RRClass::IN, 300, soa_rdata(11)});
    auto ok = zone->apply(d);
    ASSERT_FALSE(ok);
    EXPECT_NE(ok.error().message.find("www.example.com. A"), std::string::npos)
        << ok.error().message;
}

TEST(ZoneApply, FailsOnAnAdditionOutsideTheZone) {
    auto zone = make_zone(kUpdateZone);
    ZoneDiff d;
    d.from_serial = 10;
    d.to_serial = 11;
    d.removed.push_back({kOrigin, RRType::SOA, RRClass::IN, 300, soa_rdata(10)});
    d.added.push_back({kOrigin, RRType::SOA, RRClass::IN, 300, soa_rdata(11)});
    d.added.push_back(rr("www.example.net.", RRType::A, "192.0.2.99"));
    EXPECT_FALSE(zone->apply(d));
}

TEST(ZoneApply, DiffZonesThenApplyGivesTheNewZone) {
    auto before = make_zone(kUpdateZone);
    auto after = make_zone(
        "$TTL 300\n"
        "@ SOA ns1 hostmaster 12 7200 3600 1209600 60\n"
        "@ NS ns1\n"
        "@ NS ns3\n"          // ns2 -> ns3
        "@ 600 MX 10 mail\n"  // TTL changed
        "ns1 A 192.0.2.1\n"
        "ns3 A 192.0.2.3\n"
        "mail 600 A 192.0.2.25\n"
        "www A 192.0.2.10\n"     // .11 gone
        "alias CNAME mail\n"     // retargeted
        "x.y.z TXT \"new\"\n");  // a.b gone, x.y.z new
    const ZoneDiff d = diff_zones(*before, *after);
    EXPECT_EQ(d.from_serial, 10u);
    EXPECT_EQ(d.to_serial, 12u);
    ASSERT_FALSE(d.removed.empty());
    ASSERT_FALSE(d.added.empty());
    EXPECT_EQ(d.removed.front().type, RRType::SOA);
    EXPECT_EQ(d.added.front().type, RRType::SOA);
    EXPECT_EQ(
        record_keys(std::vector(d.removed.begin() + 1, d.removed.end())),
        (Keys{"a.b.example.com. TXT 300 \"deep\"", "alias.example.com. CNAME 300 www.example.com.",
              "example.com. MX 300 10 mail.example.com.", "example.com. NS 300 ns2.example.com.",
              "mail.example.com. A 300 192.0.2.25", "ns2.example.com. A 300 192.0.2.2",
              "www.example.com. A 300 192.0.2.11"}));
    EXPECT_EQ(record_keys(std::vector(d.added.begin() + 1, d.added.end())),
              (Keys{"alias.example.com. CNAME 300 mail.example.com.",
                    "example.com. MX 600 10 mail.example.com.",
                    "example.com. NS 300 ns3.example.com.", "mail.example.com. A 600 192.0.2.25",
                    "ns3.example.com. A 300 192.0.2.3", "x.y.z.example.com. TXT 300 \"new\""}));
    Zone replay = *before;
    auto ok = replay.apply(d);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(record_keys(replay), record_keys(*after));
    EXPECT_EQ(replay.node_count(), after->node_count());
    // An unchanged zone differs only by its SOAs.
    const ZoneDiff same = diff_zones(*before, *before);
    EXPECT_EQ(same.removed.size(), 1u);
    EXPECT_EQ(same.added.size(), 1u);
}

}  // namespace
}  // namespace l7::dns
