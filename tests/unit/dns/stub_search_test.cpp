// The stub resolver's rules around its questions (resolver/stub_search.hpp), fed outcomes
// written by hand: the short cuts before DNS, the walk over the search list, the precedence of
// outcomes across names, and MX and SRV results.

#include "dns/resolver/stub_search.hpp"

#include <gtest/gtest.h>

#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using Strings = std::vector<std::string>;
using test::name;

StubOutcome outcome(StubOutcome::Kind kind, std::string_view asked, RRType type,
                    std::vector<std::string_view> rdatas = {}, Strings reasons = {}) {
    StubOutcome o;
    o.kind = kind;
    o.asked = name(asked);
    o.type = type;
    for (std::string_view text : rdatas) {
        o.rdatas.push_back(test::rdata(type, text));
    }
    o.reasons = std::move(reasons);
    return o;
}

StubOutcome nxdomain(std::string_view asked, RRType type) {
    return outcome(StubOutcome::Kind::no_such_name, asked, type);
}

// The names an AddressSearch asks, when every one of them is NXDOMAIN.
Strings names_asked(AddressSearch& search) {
    Strings asked;
    while (const Name* n = search.next_name()) {
        asked.push_back(n->to_text());
        std::vector<StubOutcome> outcomes;
        for (const RRType type : search.types()) {
            outcomes.push_back(nxdomain(n->to_text(), type));
        }
        search.add(std::move(outcomes));
    }
    return asked;
}

// A fixed random sequence, fresh for each use: 0, 1, 2, ...
std::function<std::uint64_t()> counting() {
    return [n = std::uint64_t{0}]() mutable { return n++; };
}

TEST(StubSearch, AnIpLiteralAnswersItselfOrNotAtAll) {
    const HostsFile hosts;
    auto v6 = addresses_without_dns("2001:DB8::1", AddressFamily::any,
                                    AddressLiteral{true, "2001:db8::1"}, hosts);
    ASSERT_TRUE(v6 && *v6);
    EXPECT_EQ(**v6, Strings{"2001:db8::1"});
    auto wrong = addresses_without_dns("192.0.2.1", AddressFamily::v6,
                                       AddressLiteral{false, "192.0.2.1"}, hosts);
    ASSERT_TRUE(wrong && !*wrong);
    EXPECT_EQ(wrong->error().code, StubErrc::no_data);
    EXPECT_EQ(wrong->error().message, "192.0.2.1 is an IPv4 address, not an IPv6 one");
    auto empty = addresses_without_dns("", AddressFamily::any, std::nullopt, hosts);
    ASSERT_TRUE(empty && !*empty);
    EXPECT_EQ(empty->error().code, StubErrc::bad_name);
    EXPECT_FALSE(addresses_without_dns("www.example.com", AddressFamily::any, std::nullopt, hosts));
}

TEST(StubSearch, TheHostsFileAnswersForTheFamiliesItLists) {
    const HostsFile hosts =
        parse_hosts_file("127.0.0.1 localhost\n::1 localhost\n192.0.2.200 www.example.com\n");
    auto both = addresses_without_dns("localhost", AddressFamily::any, std::nullopt, hosts);
    ASSERT_TRUE(both && *both);
    EXPECT_EQ(**both, (Strings{"::1", "127.0.0.1"}));  // Happy Eyeballs: IPv6 first
    auto v4 = addresses_without_dns("WWW.example.com.", AddressFamily::v4, std::nullopt, hosts);
    ASSERT_TRUE(v4 && *v4);
    EXPECT_EQ(**v4, Strings{"192.0.2.200"});
    // Nothing of the family listed: DNS is asked ("hosts: files dns").
    EXPECT_FALSE(addresses_without_dns("www.example.com", AddressFamily::v6, std::nullopt, hosts));
}

TEST(StubSearch, TheSearchListIsWalkedInOrder) {
    const ResolvConf conf = parse_resolv_conf("search corp.example.com example.com\n");
    auto search = AddressSearch::start("www", AddressFamily::any, conf);
    ASSERT_TRUE(search);
    EXPECT_EQ(search->types(), (std::vector<RRType>{RRType::AAAA, RRType::A}));
    EXPECT_EQ(names_asked(*search), (Strings{"www.corp.example.com.", "www.example.com.", "www."}));
    auto result = std::move(*search).result();
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, StubErrc::no_such_name);
    EXPECT_EQ(result.error().message,
              "'www' does not exist: NXDOMAIN for www.corp.example.com., www.example.com., www.");
}

TEST(StubSearch, ManyNamesNotFoundAreCountedInTheMessage) {
    const ResolvConf conf = parse_resolv_conf("search a.example b.example c.example d.example\n");
    auto search = AddressSearch::start("host", AddressFamily::v4, conf);
    ASSERT_TRUE(search);
    EXPECT_EQ(names_asked(*search).size(), 5u);
    auto result = std::move(*search).result();
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().message,
              "'host' does not exist: NXDOMAIN for host.a.example., host.b.example., "
              "host.c.example., host.d.example. and 1 more");
}

TEST(StubSearch, TheFirstNameWithAddressesEndsTheSearch) {
    const ResolvConf conf = parse_resolv_conf("search corp.example.com example.com\n");
    auto search = AddressSearch::start("www", AddressFamily::any, conf);
    ASSERT_TRUE(search);
    search->add({nxdomain("www.corp.example.com.", RRType::AAAA),
                 nxdomain("www.corp.example.com.", RRType::A)});
    ASSERT_NE(search->next_name(), nullptr);
    EXPECT_EQ(search->next_name()->to_text(), "www.example.com.");
    search->add({outcome(StubOutcome::Kind::data, "www.example.com.", RRType::AAAA,
                         {"2001:db8::1", "2001:db8::2"}),
                 outcome(StubOutcome::Kind::data, "www.example.com.", RRType::A,
                         {"192.0.2.1", "192.0.2.2", "192.0.2.3"})});
    EXPECT_EQ(search->next_name(), nullptr);
    auto result = std::move(*search).result();
    ASSERT_TRUE(result);
    EXPECT_EQ(*result,
              (Strings{"2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2", "192.0.2.3"}));
}

TEST(StubSearch, NoDataBeatsNoAnswerWhichBeatsNoSuchName) {
    const ResolvConf conf = parse_resolv_conf("search a.example b.example\n");
    const StubOutcome unsettled =
        outcome(StubOutcome::Kind::unsettled, "x.b.example.", RRType::A, {},
                {"192.0.2.53:53 answered SERVFAIL", "no reply from 192.0.2.54:53 after 1 try"});
    {
        // NXDOMAIN, then an unsettled name, then a name without addresses: no data.
        auto search = AddressSearch::start("x", AddressFamily::any, conf);
        ASSERT_TRUE(search);
        search->add({nxdomain("x.a.example.", RRType::AAAA), nxdomain("x.a.example.", RRType::A)});
        search->add({outcome(StubOutcome::Kind::no_data, "x.b.example.", RRType::AAAA), unsettled});
        search->add({outcome(StubOutcome::Kind::no_data, "x.", RRType::AAAA),
                     outcome(StubOutcome::Kind::no_data, "x.", RRType::A)});
        auto result = std::move(*search).result();
        ASSERT_FALSE(result);
        EXPECT_EQ(result.error().code, StubErrc::no_data);
        EXPECT_EQ(result.error().message, "x. has no AAAA or A records");
    }
    {
        // A family not settled makes its name unsettled, which beats NXDOMAIN elsewhere.
        auto search = AddressSearch::start("x", AddressFamily::any, conf);
        ASSERT_TRUE(search);
        search->add({nxdomain("x.a.example.", RRType::AAAA), nxdomain("x.a.example.", RRType::A)});
        search->add({outcome(StubOutcome::Kind::no_data, "x.b.example.", RRType::AAAA), unsettled});
        search->add({nxdomain("x.", RRType::AAAA), nxdomain("x.", RRType::A)});
        auto result = std::move(*search).result();
        ASSERT_FALSE(result);
        EXPECT_EQ(result.error().code, StubErrc::no_answer);
        EXPECT_EQ(result.error().message,
                  "no server answered for x.b.example. A: 192.0.2.53:53 answered SERVFAIL; no "
                  "reply from 192.0.2.54:53 after 1 try");
    }
}

TEST(StubSearch, NamesThatAreNotNamesAreBadNames) {
    const ResolvConf conf = parse_resolv_conf("");
    auto search = AddressSearch::start("a..b", AddressFamily::any, conf);
    ASSERT_FALSE(search);
    EXPECT_EQ(search.error().code, StubErrc::bad_name);
    auto mx = absolute_name("bad..domain");
    ASSERT_FALSE(mx);
    EXPECT_EQ(mx.error().message,
              "'bad..domain' is not a domain name: empty label in 'bad..domain'");
    EXPECT_FALSE(absolute_name(""));
    auto good = absolute_name("example.com");  // fully qualified, whatever the search list
    ASSERT_TRUE(good);
    EXPECT_EQ(*good, name("example.com."));
}

TEST(StubSearch, MxResults) {
    auto ordered = mx_result(outcome(StubOutcome::Kind::data, "example.com.", RRType::MX,
                                     {"20 backup.example.com.", "5 primary.example.com."}),
                             counting());
    ASSERT_TRUE(ordered);
    ASSERT_EQ(ordered->size(), 2u);
    EXPECT_EQ((*ordered)[0].exchange, name("primary.example.com."));
    EXPECT_EQ((*ordered)[1].preference, 20);

    auto null_mx = mx_result(
        outcome(StubOutcome::Kind::data, "nomail.example.com.", RRType::MX, {"0 ."}), counting());
    ASSERT_FALSE(null_mx);
    EXPECT_EQ(null_mx.error().code, StubErrc::no_service);
    EXPECT_EQ(null_mx.error().message, "nomail.example.com. accepts no mail (null MX, RFC 7505)");

    auto nodata =
        mx_result(outcome(StubOutcome::Kind::no_data, "nomx.example.com.", RRType::MX), counting());
    ASSERT_FALSE(nodata);
    EXPECT_EQ(nodata.error().code, StubErrc::no_data);
    EXPECT_EQ(nodata.error().message, "nomx.example.com. has no MX records");

    auto nx = mx_result(nxdomain("nosuch.example.com.", RRType::MX), counting());
    ASSERT_FALSE(nx);
    EXPECT_EQ(nx.error().message, "nosuch.example.com. does not exist (NXDOMAIN)");
}

TEST(StubSearch, SrvResults) {
    auto ordered =
        srv_result(outcome(StubOutcome::Kind::data, "_sip._udp.example.com.", RRType::SRV,
                           {"10 0 5060 backup.example.com.", "0 5 5061 sip.example.com."}),
                   counting());
    ASSERT_TRUE(ordered);
    ASSERT_EQ(ordered->size(), 2u);
    EXPECT_EQ((*ordered)[0].port, 5061);
    EXPECT_EQ((*ordered)[1].target, name("backup.example.com."));

    auto declined = srv_result(
        outcome(StubOutcome::Kind::data, "_imap._tcp.example.com.", RRType::SRV, {"0 0 0 ."}),
        counting());
    ASSERT_FALSE(declined);
    EXPECT_EQ(declined.error().code, StubErrc::no_service);
    EXPECT_EQ(declined.error().message,
              "_imap._tcp.example.com. says the service is not available there (SRV target "
              "\".\", RFC 2782)");

    auto unsettled = srv_result(outcome(StubOutcome::Kind::unsettled, "_sip._udp.example.com.",
                                        RRType::SRV, {}, {"there is no server to ask"}),
                                counting());
    ASSERT_FALSE(unsettled);
    EXPECT_EQ(unsettled.error().code, StubErrc::no_answer);
    EXPECT_EQ(unsettled.error().message,
              "no server answered for _sip._udp.example.com. SRV: there is no server to ask");
}

}  // namespace
}  // namespace l7::dns
