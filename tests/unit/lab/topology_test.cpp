#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "lab/lab.hpp"
#include "lab/services.hpp"
#include "lab/topology.hpp"

namespace l7::lab {
namespace {

// The protocol of each registered kind, as load_topology() gives parse_topology().
std::string registered_protocol(const std::string& kind) {
    const ServiceKind* k = find_service_kind(kind);
    return k != nullptr ? k->protocol : std::string();
}

Topology parse(const std::string& text) {
    return parse_topology(config::Table::parse(text, "lab.toml"), registered_protocol);
}

// The message of the ConfigError `fn` throws; fails the test if it throws none.
std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const config::ConfigError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no ConfigError thrown";
    return "";
}

std::string parse_error(const std::string& text) {
    return error_of([&] { (void)parse(text); });
}

bool in_lab_range(const std::string& address) {
    in_addr a{};
    if (inet_pton(AF_INET, address.c_str(), &a) != 1) {
        return false;
    }
    const std::uint32_t host = ntohl(a.s_addr);
    return (host >> 24) == 127 && host != 0x7F000001u;
}

class TempFile {
  public:
    TempFile(const std::string& name, const std::string& text)
        : path_(testing::TempDir() + "l7-lab-test-" + std::to_string(::getpid()) + "-" + name) {
        std::ofstream out(path_);
        out << text;
    }
    ~TempFile() { std::remove(path_.c_str()); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

TEST(DefaultTopology, ParsesWithTheCourseHosts) {
    const Topology topo = load_topology(std::nullopt);
    EXPECT_EQ(topo.privileged_port_offset, 10000);
    std::vector<std::string> names;
    std::set<std::string> addresses;
    for (const Host& h : topo.hosts) {
        names.push_back(h.name);
        EXPECT_TRUE(in_lab_range(h.address)) << h.name << " " << h.address;
        EXPECT_TRUE(addresses.insert(h.address).second) << "duplicate address " << h.address;
    }
    EXPECT_EQ(names, (std::vector<std::string>{
                         "gaia.cs.umass.edu",  "hamburger.edu",          "crepes.fr",
                         "networkutopia.com",  "cis.poly.edu",           "a.root-servers.net",
                         "a.gtld-servers.net", "a.edu-servers.net",      "d.nic.fr",
                         "dns1.nic.uk",        "a.org-servers.org",      "dns.umass.edu",
                         "dns2.umass.edu",     "dns.poly.edu",           "dns.hamburger.edu",
                         "dns.crepes.fr",      "dns1.networkutopia.com", "dns.someschool.edu",
                         "dns.ibm.com",        "dns.amazon.com",         "dns.pbs.org",
                         "resolver.isp.net"}));
}

TEST(DefaultTopology, DnsHierarchyHasRootTldsAndASecondary) {
    const Topology topo = load_topology(std::nullopt);
    std::map<std::string, std::vector<std::string>> zones;  // host -> origins it serves
    std::vector<std::string> secondaries;
    for (const Host& h : topo.hosts) {
        for (const Service& s : h.services) {
            if (s.kind != "dns") {
                continue;
            }
            EXPECT_EQ(s.port, 53) << h.name;
            for (const config::Table& z : s.settings.get_tables("zone")) {
                zones[h.name].push_back(*z.get_string("origin"));
                if (z.get_string("primary")) {
                    secondaries.push_back(h.name);
                }
            }
        }
    }
    EXPECT_EQ(zones["a.root-servers.net"], std::vector<std::string>{"."});
    EXPECT_EQ(zones["a.gtld-servers.net"], (std::vector<std::string>{"com", "net"}));
    for (const char* tld : {"edu", "fr", "uk", "org"}) {
        bool found = false;
        for (const auto& [host, origins] : zones) {
            found = found || std::find(origins.begin(), origins.end(), tld) != origins.end();
        }
        EXPECT_TRUE(found) << tld;
    }
    EXPECT_EQ(secondaries, std::vector<std::string>{"dns2.umass.edu"});
}

TEST(DefaultTopology, GaiaRunsTheSocketServices) {
    const Topology topo = load_topology(std::nullopt);
    ASSERT_FALSE(topo.hosts.empty());
    const Host& gaia = topo.hosts[0];
    // And a web server (checked with the other sites) and a BitTorrent seed.
    ASSERT_EQ(gaia.services.size(), 5u);
    EXPECT_EQ(gaia.services[4].kind, "torrent-seed");
    EXPECT_EQ(gaia.services[0].kind, "udp-uppercase");
    EXPECT_EQ(gaia.services[0].port, 12000);
    EXPECT_EQ(gaia.services[1].kind, "tcp-uppercase");
    EXPECT_EQ(gaia.services[1].port, 12000);
    EXPECT_EQ(gaia.services[2].kind, "udp-echo");
    EXPECT_EQ(gaia.services[2].port, 12001);
    const config::Table& echo = gaia.services[2].settings;
    EXPECT_EQ(echo.path(), "host[0].service[2]");
    EXPECT_EQ(echo.get_number("loss", 0, 1), 0.3);
    EXPECT_EQ(echo.get_duration("delay"), std::chrono::nanoseconds(std::chrono::milliseconds(20)));
}

TEST(DefaultTopology, TextParsesTheSameWay) {
    const std::string& text = default_topology_text();
    EXPECT_NE(text.find("[[host]]"), std::string::npos);
    const Topology topo = parse(text);
    EXPECT_EQ(topo.hosts.size(), load_topology(std::nullopt).hosts.size());
}

TEST(ServiceKinds, Registry) {
    ASSERT_NE(find_service_kind("udp-uppercase"), nullptr);
    EXPECT_EQ(find_service_kind("udp-uppercase")->protocol, "udp");
    ASSERT_NE(find_service_kind("tcp-uppercase"), nullptr);
    EXPECT_EQ(find_service_kind("tcp-uppercase")->protocol, "tcp");
    ASSERT_NE(find_service_kind("udp-echo"), nullptr);
    EXPECT_EQ(find_service_kind("udp-echo")->protocol, "udp");
    ASSERT_NE(find_service_kind("http"), nullptr);
    EXPECT_EQ(find_service_kind("http")->protocol, "tcp");
    EXPECT_EQ(find_service_kind("smtp-relay"), nullptr);
    EXPECT_EQ(find_service_kind(""), nullptr);
    for (const ServiceKind& k : service_kinds()) {
        EXPECT_FALSE(k.summary.empty()) << k.name;
        EXPECT_TRUE(k.validate && k.start && k.probe) << k.name;
    }
}

TEST(Topology, MinimalLab) {
    const Topology topo = parse(R"([[host]]
name = "a.lab"
address = "127.0.0.2"
)");
    EXPECT_EQ(topo.privileged_port_offset, 10000);
    ASSERT_EQ(topo.hosts.size(), 1u);
    EXPECT_EQ(topo.hosts[0].name, "a.lab");
    EXPECT_EQ(topo.hosts[0].address, "127.0.0.2");
    EXPECT_TRUE(topo.hosts[0].services.empty());
}

TEST(Topology, OffsetAndSharedPorts) {
    const Topology topo = parse(R"([lab]
privileged_port_offset = 20000

[[host]]
name = "a.lab"
address = "127.255.255.254"
  [[host.service]]
  kind = "udp-uppercase"
  port = 53
  [[host.service]]
  kind = "tcp-uppercase"
  port = 53

[[host]]
name = "b.lab"
address = "127.0.0.3"
  [[host.service]]
  kind = "udp-uppercase"
  port = 53
)");
    EXPECT_EQ(topo.privileged_port_offset, 20000);
    ASSERT_EQ(topo.hosts.size(), 2u);
    EXPECT_EQ(topo.hosts[0].services.size(), 2u);  // one port, two transports
    EXPECT_EQ(topo.hosts[1].services.size(), 1u);  // one port, another address
}

TEST(TopologyErrors, UnknownKeys) {
    EXPECT_EQ(parse_error("[[host]]\nname = \"a\"\naddress = \"127.0.0.2\"\nadress = \"x\"\n"),
              "lab.toml:4: key 'host[0].adress' is not known here "
              "(known keys: name, address, service)");
    EXPECT_EQ(parse_error("hosts = 1\n"),
              "lab.toml:1: key 'hosts' is not known here (known keys: lab, host)");
    EXPECT_EQ(parse_error("[lab]\noffset = 1\n"),
              "lab.toml:2: key 'lab.offset' is not known here "
              "(known keys: privileged_port_offset)");
}

TEST(TopologyErrors, PrivilegedPortOffsetRange) {
    EXPECT_EQ(parse_error("[lab]\nprivileged_port_offset = 100\n[[host]]\nname = \"a\"\n"
                          "address = \"127.0.0.2\"\n"),
              "lab.toml:2: key 'lab.privileged_port_offset': expected an integer from 1024 "
              "to 64000");
}

TEST(TopologyErrors, NoHosts) {
    EXPECT_EQ(parse_error(""), "lab.toml:1: key 'host': the lab has no hosts ([[host]] tables)");
    EXPECT_EQ(parse_error("[lab]\n"),
              "lab.toml:1: key 'host': the lab has no hosts ([[host]] tables)");
}

TEST(TopologyErrors, HostNeedsNameAndAddress) {
    EXPECT_EQ(parse_error("[[host]]\naddress = \"127.0.0.2\"\n"),
              "lab.toml:1: key 'host[0].name': every host needs a name");
    EXPECT_EQ(parse_error("[[host]]\nname = \"\"\naddress = \"127.0.0.2\"\n"),
              "lab.toml:2: key 'host[0].name': every host needs a name");
    EXPECT_EQ(parse_error("[[host]]\nname = \"a\"\n"),
              "lab.toml:1: key 'host[0].address': every host needs an address");
    EXPECT_EQ(parse_error("[[host]]\nname = 5\n"),
              "lab.toml:2: key 'host[0].name': expected a string");
}

TEST(TopologyErrors, AddressMustBeLoopbackButNot127001) {
    const std::string suffix = "' is not a loopback address of 127.0.0.0/8 other than 127.0.0.1";
    for (const char* address :
         {"127.0.0.1", "10.0.0.1", "128.0.0.1", "::1", "localhost", "127.0.0.256", "127.1", ""}) {
        EXPECT_EQ(
            parse_error("[[host]]\nname = \"a\"\naddress = \"" + std::string(address) + "\"\n"),
            "lab.toml:3: key 'host[0].address': '" + std::string(address) + suffix)
            << address;
    }
}

TEST(TopologyErrors, DuplicateHostName) {
    EXPECT_EQ(parse_error(R"([[host]]
name = "a"
address = "127.0.0.2"
[[host]]
name = "a"
address = "127.0.0.3"
)"),
              "lab.toml:5: key 'host[1].name': host 'a' is defined twice");
}

TEST(TopologyErrors, DuplicateAddress) {
    EXPECT_EQ(parse_error(R"([[host]]
name = "a"
address = "127.0.0.2"
[[host]]
name = "b"
address = "127.0.0.2"
)"),
              "lab.toml:6: key 'host[1].address': address 127.0.0.2 belongs to another host "
              "already");
}

TEST(TopologyErrors, UnknownServiceKind) {
    EXPECT_EQ(parse_error(R"([[host]]
name = "a"
address = "127.0.0.2"
  [[host.service]]
  kind = "smtp-relay"
  port = 25
)"),
              "lab.toml:5: key 'host[0].service[0].kind': 'smtp-relay' is not a service kind l7 "
              "knows");
}

TEST(TopologyErrors, MissingKind) {
    EXPECT_EQ(parse_error(R"([[host]]
name = "a"
address = "127.0.0.2"
  [[host.service]]
  port = 25
)"),
              "lab.toml:4: key 'host[0].service[0].kind': every service needs a kind");
}

TEST(TopologyErrors, BadPorts) {
    for (const char* port : {"0", "70000", "-1", "\"53\""}) {
        EXPECT_EQ(parse_error(R"([[host]]
name = "a"
address = "127.0.0.2"
  [[host.service]]
  kind = "udp-uppercase"
  port = )" + std::string(port) +
                              "\n"),
                  "lab.toml:6: key 'host[0].service[0].port': expected an integer from 1 to 65535")
            << port;
    }
    EXPECT_EQ(parse_error(R"([[host]]
name = "a"
address = "127.0.0.2"
  [[host.service]]
  kind = "udp-uppercase"
)"),
              "lab.toml:4: key 'host[0].service[0].port': every service needs a port");
}

TEST(TopologyErrors, TwoServicesOnOneEndpoint) {
    EXPECT_EQ(parse_error(R"([[host]]
name = "a"
address = "127.0.0.2"
  [[host.service]]
  kind = "udp-uppercase"
  port = 12000
  [[host.service]]
  kind = "tcp-uppercase"
  port = 12000
  [[host.service]]
  kind = "udp-echo"
  port = 12000
)"),
              "lab.toml:12: key 'host[0].service[2].port': another udp service already uses "
              "127.0.0.2:12000");
}

TEST(TopologyErrors, ParseTopologyUsesTheGivenKinds) {
    const auto only_dns = [](const std::string& kind) {
        return kind == "dns-auth" ? std::string("udp") : std::string();
    };
    const config::Table root = config::Table::parse(R"([[host]]
name = "a"
address = "127.0.0.2"
  [[host.service]]
  kind = "dns-auth"
  port = 53
  zone = "lab."
)",
                                                    "dns.toml");
    const Topology topo = parse_topology(root, only_dns);
    ASSERT_EQ(topo.hosts.at(0).services.size(), 1u);
    EXPECT_EQ(topo.hosts[0].services[0].kind, "dns-auth");
    EXPECT_EQ(topo.hosts[0].services[0].settings.get_string("zone"), "lab.");
}

TEST(LoadTopology, FromAFile) {
    const TempFile file("good.toml", R"([[host]]
name = "ns.lab"
address = "127.0.0.53"
  [[host.service]]
  kind = "udp-echo"
  port = 53
  loss = 0.5
  delay = "5ms"
)");
    const Topology topo = load_topology(file.path());
    ASSERT_EQ(topo.hosts.size(), 1u);
    EXPECT_EQ(topo.hosts[0].name, "ns.lab");
    ASSERT_EQ(topo.hosts[0].services.size(), 1u);
    EXPECT_EQ(topo.hosts[0].services[0].port, 53);
}

TEST(LoadTopology, ErrorsNameTheFile) {
    const TempFile file("bad.toml", "[[host]]\nname = \"a\"\naddress = \"127.0.0.1\"\n");
    const std::string msg = error_of([&] { (void)load_topology(file.path()); });
    EXPECT_EQ(msg.rfind(file.path() + ":3: key 'host[0].address': ", 0), 0u) << msg;
}

TEST(LoadTopology, MissingFile) {
    const std::string path = testing::TempDir() + "l7-lab-test-no-such-file.toml";
    const std::string msg = error_of([&] { (void)load_topology(path); });
    EXPECT_EQ(msg.rfind(path + ":", 0), 0u) << msg;
}

TEST(LoadTopology, ServiceSettingsAreValidatedByTheirKind) {
    const std::string head = "[[host]]\nname = \"a\"\naddress = \"127.0.0.2\"\n[[host.service]]\n";
    {
        const TempFile file("loss.toml", head + "kind = \"udp-echo\"\nport = 9\nloss = 0.99\n");
        EXPECT_EQ(error_of([&] { (void)load_topology(file.path()); }),
                  file.path() +
                      ":7: key 'host[0].service[0].loss': expected a number from 0 "
                      "to 0.95");
    }
    {
        const TempFile file("delay.toml", head + "kind = \"udp-echo\"\nport = 9\ndelay = \"x\"\n");
        const std::string msg = error_of([&] { (void)load_topology(file.path()); });
        EXPECT_EQ(msg.rfind(file.path() + ":7: key 'host[0].service[0].delay': ", 0), 0u) << msg;
    }
    {
        const TempFile file("key.toml", head + "kind = \"udp-echo\"\nport = 9\nlss = 0.1\n");
        EXPECT_EQ(error_of([&] { (void)load_topology(file.path()); }),
                  file.path() +
                      ":7: key 'host[0].service[0].lss' is not known here (known "
                      "keys: kind, port, loss, delay)");
    }
    {
        const TempFile file("upper.toml",
                            head + "kind = \"tcp-uppercase\"\nport = 9\nloss = 0.1\n");
        EXPECT_EQ(error_of([&] { (void)load_topology(file.path()); }),
                  file.path() +
                      ":7: key 'host[0].service[0].loss' is not known here (known "
                      "keys: kind, port)");
    }
}

TEST(EffectivePort, ShiftsOnlyPortsThatCannotBeBound) {
    EXPECT_EQ(effective_port(53, 1024, 10000), 10053);
    EXPECT_EQ(effective_port(53, 0, 10000), 53);
    EXPECT_EQ(effective_port(12000, 1024, 10000), 12000);
    EXPECT_EQ(effective_port(1023, 1024, 10000), 11023);
    EXPECT_EQ(effective_port(1024, 1024, 10000), 1024);
    EXPECT_EQ(effective_port(1, 1024, 20000), 20001);
    EXPECT_EQ(effective_port(80, 80, 10000), 80);
}

TEST(FirstBindablePort, IsZeroOrTheUnprivilegedStart) {
    const unsigned first = first_bindable_port();
    EXPECT_LE(first, 65536u);
    if (::geteuid() == 0) {
        EXPECT_EQ(first, 0u);
    }
}

constexpr const char* table_lab = R"([[host]]
name = "ns.lab"
address = "127.0.0.53"
  [[host.service]]
  kind = "udp-uppercase"
  port = 53
  [[host.service]]
  kind = "tcp-uppercase"
  port = 12000
[[host]]
name = "empty.lab"
address = "127.0.0.54"
)";

TEST(Endpoints, ShiftedAndUnshifted) {
    const Topology topo = parse(table_lab);
    const auto shifted = endpoints(topo, 1024);
    ASSERT_EQ(shifted.size(), 2u);
    EXPECT_EQ(shifted[0].host, "ns.lab");
    EXPECT_EQ(shifted[0].address, "127.0.0.53");
    EXPECT_EQ(shifted[0].port, 10053);
    EXPECT_EQ(shifted[0].configured_port, 53);
    EXPECT_EQ(shifted[0].protocol, "udp");
    EXPECT_EQ(shifted[0].kind, "udp-uppercase");
    EXPECT_EQ(shifted[0].service, &topo.hosts[0].services[0]);
    EXPECT_EQ(shifted[1].port, 12000);
    EXPECT_EQ(shifted[1].configured_port, 12000);
    EXPECT_EQ(shifted[1].protocol, "tcp");

    const auto privileged = endpoints(topo, 0);
    ASSERT_EQ(privileged.size(), 2u);
    EXPECT_EQ(privileged[0].port, 53);
}

TEST(FormatTable, ShowsShiftedPortsAndHostsWithoutServices) {
    const Topology topo = parse(table_lab);
    EXPECT_EQ(format_table(topo, endpoints(topo, 1024)),
              "HOST                    ADDRESS         PORT          PROTO   SERVICE\n"
              "ns.lab                  127.0.0.53      10053 (53)    udp     udp-uppercase\n"
              "ns.lab                  127.0.0.53      12000         tcp     tcp-uppercase\n"
              "empty.lab               127.0.0.54      -             -       (no services yet)\n");
    const std::string privileged = format_table(topo, endpoints(topo, 0));
    EXPECT_NE(privileged.find(" 53 "), std::string::npos) << privileged;
    EXPECT_EQ(privileged.find("(53)"), std::string::npos) << privileged;
}

TEST(FormatTable, DefaultLab) {
    const Topology topo = load_topology(std::nullopt);
    const std::string table = format_table(topo, endpoints(topo, 1024));
    const auto row_of = [&table](const std::string& host) {
        const auto row = table.find("\n" + host + " ");
        EXPECT_NE(row, std::string::npos) << host;
        return row == std::string::npos ? std::string()
                                        : table.substr(row + 1, table.find('\n', row + 1) - row);
    };
    // The course's mail scenario: Alice's server and Bob's, on the SMTP port moved above 1024.
    for (const char* host : {"crepes.fr", "hamburger.edu"}) {
        EXPECT_NE(
            table.find(std::string(host) + std::string(24 - std::strlen(host), ' ') + "127.10.0." +
                       (host[0] == 'c' ? "4" : "3") + "      10025 (25)    tcp     mail"),
            std::string::npos)
            << table;
    }
    for (const char* host : {"hamburger.edu", "networkutopia.com", "cis.poly.edu"}) {
        EXPECT_NE(row_of(host).find("10080 (80)    tcp     http"), std::string::npos) << table;
    }
    EXPECT_NE(table.find("12001"), std::string::npos) << table;
}

TEST(FormatTable, WideValuesStaySeparated) {
    const Topology topo = parse(R"([[host]]
name = "mail.networkutopia.com"
address = "127.200.200.200"
  [[host.service]]
  kind = "tcp-uppercase"
  port = 12000
)");
    const std::string table = format_table(topo, endpoints(topo, 1024));
    EXPECT_NE(table.find("mail.networkutopia.com "), std::string::npos) << table;
    EXPECT_NE(table.find("127.200.200.200 "), std::string::npos) << table;
}

}  // namespace
}  // namespace l7::lab
