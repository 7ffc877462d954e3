#include "dns/resolver/hints.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using test::name;

// An excerpt of IANA's named.root, in its own layout (comments, blank lines, the root's NS
// records each followed by that server's addresses).
constexpr std::string_view kNamedRoot =
    ";       This file holds the information on root name servers needed to\n"
    ";       initialize cache of Internet domain name servers\n"
    ";\n"
    ".                        3600000      NS    A.ROOT-SERVERS.NET.\n"
    "A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4\n"
    "A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30\n"
    ";\n"
    "; FORMERLY NS1.ISI.EDU\n"
    ";\n"
    ".                        3600000      NS    B.ROOT-SERVERS.NET.\n"
    "B.ROOT-SERVERS.NET.      3600000      A     170.247.170.2\n"
    "B.ROOT-SERVERS.NET.      3600000      AAAA  2801:1b8:10::b\n"
    "; END OF FILE\n";

std::vector<std::string> error_of(std::string_view text) {
    const auto hints = parse_root_hints(text, "root.hints");
    EXPECT_FALSE(hints);
    return hints ? std::vector<std::string>{} : std::vector<std::string>{hints.error().message};
}

TEST(RootHints, ReadsNamedRoot) {
    const auto hints = parse_root_hints(kNamedRoot, "named.root");
    ASSERT_TRUE(hints) << hints.error().message;
    ASSERT_EQ(hints->servers.size(), 2u);
    EXPECT_EQ(hints->servers[0].name, name("a.root-servers.net."));
    EXPECT_EQ(hints->servers[1].name, name("b.root-servers.net."));
    EXPECT_EQ(hints->address_count(), 4u);
    EXPECT_EQ(hints->endpoints(),
              (std::vector<std::string>{"198.41.0.4:53", "[2001:503:ba3e::2:30]:53",
                                        "170.247.170.2:53", "[2801:1b8:10::b]:53"}));
}

TEST(RootHints, PutsIpv4BeforeIpv6AndIgnoresRepeatsAndStrangers) {
    const auto hints = parse_root_hints(
        "x.root. AAAA ::1\n"
        ". NS x.root.\n"
        ". NS X.ROOT.\n"  // the same server, in another case
        "x.root. A 192.0.2.1\n"
        "x.root. A 192.0.2.1\n"         // a repeated address
        "other.example. A 192.0.2.9\n"  // not a root server: ignored
        "x.root. TXT \"ignored\"\n",
        "h", 10053);
    ASSERT_TRUE(hints) << hints.error().message;
    ASSERT_EQ(hints->servers.size(), 1u);
    EXPECT_EQ(hints->endpoints(), (std::vector<std::string>{"192.0.2.1:10053", "[::1]:10053"}));
}

TEST(RootHints, KeepsServersWithoutAddresses) {
    const auto hints = parse_root_hints(". NS a.root.\n. NS b.root.\nb.root. A 192.0.2.2\n", "h");
    ASSERT_TRUE(hints) << hints.error().message;
    ASSERT_EQ(hints->servers.size(), 2u);
    EXPECT_TRUE(hints->servers[0].addresses.empty());
    EXPECT_EQ(hints->address_count(), 1u);
}

TEST(RootHints, SyntaxErrorsNameFileAndLine) {
    const auto e = error_of(". NS a.root.\na.root. A 192.0.2.1\na.root. A not-an-address\n");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_TRUE(e[0].starts_with("root.hints:3: ")) << e[0];
}

TEST(RootHints, CountsFurtherErrors) {
    const auto e = error_of("a.root. A bad\n. NS a.root.\nb.root. A bad\n");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_TRUE(e[0].starts_with("root.hints:1: ")) << e[0];
    EXPECT_NE(e[0].find("(and 1 more errors)"), std::string::npos) << e[0];
}

TEST(RootHints, RejectsNsBelowTheRoot) {
    const auto e = error_of(". NS a.root.\na.root. A 192.0.2.1\ncom. NS a.gtld.\n");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0],
              "root.hints:3: NS record for 'com.': root hints hold only the root's (.) NS "
              "records");
}

TEST(RootHints, NeedsARootNsWithAnAddress) {
    EXPECT_EQ(error_of(""), std::vector<std::string>{"root.hints: no NS record for the root (.)"});
    EXPECT_EQ(error_of("a.root. A 192.0.2.1\n"),
              std::vector<std::string>{"root.hints: no NS record for the root (.)"});
    EXPECT_EQ(error_of(". NS a.root.\nb.root. A 192.0.2.1\n"),
              std::vector<std::string>{
                  "root.hints: no A or AAAA record for any root server named by the NS records"});
}

TEST(RootHints, FromServersKeepsEachPort) {
    const std::vector<std::string> given = {"127.10.1.1:10053", "[::1]", "192.0.2.7:53"};
    const auto hints = RootHints::from_servers(given);
    ASSERT_TRUE(hints) << hints.error().message;
    ASSERT_EQ(hints->servers.size(), 3u);
    EXPECT_EQ(hints->servers[0].name, name("root1.hints.invalid."));
    EXPECT_EQ(hints->servers[2].name, name("root3.hints.invalid."));
    EXPECT_EQ(hints->endpoints(),
              (std::vector<std::string>{"127.10.1.1:10053", "[::1]:53", "192.0.2.7:53"}));
}

TEST(RootHints, FromServersRejectsNamesAndBadPorts) {
    EXPECT_FALSE(RootHints::from_servers({}));
    const std::vector<std::string> host = {"a.root-servers.net:53"};
    const auto by_name = RootHints::from_servers(host);
    ASSERT_FALSE(by_name);
    EXPECT_NE(by_name.error().message.find("must be an IP address"), std::string::npos);
    const std::vector<std::string> port = {"127.0.0.1:70000"};
    EXPECT_FALSE(RootHints::from_servers(port));
}

TEST(RootHints, LoadNamesAMissingFile) {
    const auto hints = load_root_hints("/nonexistent/l7/root.hints");
    ASSERT_FALSE(hints);
    EXPECT_NE(hints.error().message.find("/nonexistent/l7/root.hints"), std::string::npos);
}

}  // namespace
}  // namespace l7::dns
