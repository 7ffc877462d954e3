#include "core/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace l7::config {
namespace {

using namespace std::chrono_literals;

// The message of the ConfigError `fn` throws; fails the test if it throws none.
std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const ConfigError& e) {
        return e.what();
    }
    ADD_FAILURE() << "no ConfigError thrown";
    return "";
}

bool starts_with(const std::string& s, const std::string& prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

constexpr const char* good_document = R"(title = "lab"
count = 7

[server]
name = "gaia"
port = 8080
ratio = 0.5
whole = 2
enabled = false
delay = "20ms"
timeout = 3
names = ["a", "b"]
one = "c"
none = []

[server.tls]
cert = "x.pem"
)";

TEST(ConfigTable, ParsesValuesOfEveryType) {
    const Table root = Table::parse(good_document, "good.toml");
    EXPECT_EQ(root.source(), "good.toml");
    EXPECT_EQ(root.path(), "");
    EXPECT_TRUE(root.has("title"));
    EXPECT_FALSE(root.has("name"));
    EXPECT_EQ(root.get_string("title"), "lab");
    EXPECT_EQ(root.get_integer("count", 0, 10), 7);

    const auto server = root.get_table("server");
    ASSERT_TRUE(server.has_value());
    EXPECT_EQ(server->path(), "server");
    EXPECT_EQ(server->source(), "good.toml");
    EXPECT_EQ(server->get_string("name"), "gaia");
    EXPECT_EQ(server->get_integer("port", 1, 65535), 8080);
    EXPECT_EQ(server->get_number("ratio", 0, 1), 0.5);
    EXPECT_EQ(server->get_number("whole", 0, 10), 2.0);  // an integer is a number too
    EXPECT_EQ(server->get_bool("enabled"), false);
    EXPECT_EQ(server->get_duration("delay"), std::chrono::nanoseconds(20ms));
    EXPECT_EQ(server->get_duration("timeout"), std::chrono::nanoseconds(3s));
    EXPECT_EQ(server->get_strings("names"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(server->get_strings("one"), (std::vector<std::string>{"c"}));
    EXPECT_TRUE(server->get_strings("none").empty());

    const auto tls = server->get_table("tls");
    ASSERT_TRUE(tls.has_value());
    EXPECT_EQ(tls->path(), "server.tls");
    EXPECT_EQ(tls->get_string("cert"), "x.pem");
}

TEST(ConfigTable, AbsentKeysGiveNothing) {
    const Table root = Table::parse(good_document, "good.toml");
    EXPECT_FALSE(root.get_string("missing").has_value());
    EXPECT_FALSE(root.get_integer("missing", 0, 1).has_value());
    EXPECT_FALSE(root.get_number("missing", 0, 1).has_value());
    EXPECT_FALSE(root.get_bool("missing").has_value());
    EXPECT_FALSE(root.get_duration("missing").has_value());
    EXPECT_FALSE(root.get_table("missing").has_value());
    EXPECT_TRUE(root.get_strings("missing").empty());
    EXPECT_TRUE(root.get_tables("missing").empty());
}

TEST(ConfigTable, SubTablesOutliveTheRoot) {
    std::optional<Table> server = Table::parse(good_document, "good.toml").get_table("server");
    ASSERT_TRUE(server.has_value());
    EXPECT_EQ(server->get_string("name"), "gaia");
    EXPECT_EQ(server->source(), "good.toml");
}

TEST(ConfigTable, EmptyDocument) {
    const Table root = Table::parse("", "empty.toml");
    EXPECT_FALSE(root.has("x"));
    EXPECT_NO_THROW(root.allow_only({}));
}

TEST(ConfigTable, SyntaxErrorNamesSourceAndLine) {
    const std::string msg = error_of([] { Table::parse("a = 1\nb = \nc = 2\n", "src.toml"); });
    EXPECT_TRUE(starts_with(msg, "src.toml:2:")) << msg;

    const std::string dup =
        error_of([] { Table::parse("a = 1\n\n\n[t]\nx = 1\nx = 2\n", "dup.toml"); });
    EXPECT_TRUE(starts_with(dup, "dup.toml:6:")) << dup;

    const std::string unterminated =
        error_of([] { Table::parse("[lab]\nname = \"open\n", "<embedded lab>"); });
    EXPECT_TRUE(starts_with(unterminated, "<embedded lab>:2:")) << unterminated;
}

TEST(ConfigTable, WrongTypeNamesFileLineAndKeyPath) {
    const Table root = Table::parse("[server]\nname = \"x\"\nport = 70000\n", "lab.toml");
    const auto server = root.get_table("server");
    ASSERT_TRUE(server.has_value());
    EXPECT_EQ(error_of([&] { (void)server->get_integer("port", 1, 65535); }),
              "lab.toml:3: key 'server.port': expected an integer from 1 to 65535");
    EXPECT_EQ(error_of([&] { (void)server->get_integer("name", 1, 65535); }),
              "lab.toml:2: key 'server.name': expected an integer from 1 to 65535");
    EXPECT_EQ(error_of([&] { (void)server->get_string("port"); }),
              "lab.toml:3: key 'server.port': expected a string");
    EXPECT_EQ(error_of([&] { (void)server->get_bool("name"); }),
              "lab.toml:2: key 'server.name': expected true or false");
    EXPECT_EQ(error_of([&] { (void)server->get_number("name", 0, 1); }),
              "lab.toml:2: key 'server.name': expected a number");
    EXPECT_EQ(error_of([&] { (void)server->get_number("port", 0, 0.95); }),
              "lab.toml:3: key 'server.port': expected a number from 0 to 0.95");
    EXPECT_EQ(error_of([&] { (void)root.get_table("server")->get_table("name"); }),
              "lab.toml:2: key 'server.name': expected a table");
    EXPECT_EQ(error_of([&] { (void)root.get_tables("server"); }),
              "lab.toml:1: key 'server': expected an array of tables ([[server]])");
}

TEST(ConfigTable, IntegerBoundsAreInclusive) {
    const Table root = Table::parse("lo = 1\nhi = 65535\nzero = 0\nfloat = 5.0\n", "b.toml");
    EXPECT_EQ(root.get_integer("lo", 1, 65535), 1);
    EXPECT_EQ(root.get_integer("hi", 1, 65535), 65535);
    EXPECT_EQ(error_of([&] { (void)root.get_integer("zero", 1, 65535); }),
              "b.toml:3: key 'zero': expected an integer from 1 to 65535");
    EXPECT_EQ(error_of([&] { (void)root.get_integer("float", 1, 65535); }),
              "b.toml:4: key 'float': expected an integer from 1 to 65535");
}

TEST(ConfigTable, AllowOnlyRejectsUnknownKeys) {
    const Table root = Table::parse("[server]\nname = \"x\"\nprot = 5\n", "lab.toml");
    EXPECT_NO_THROW(root.allow_only({"server"}));
    const auto server = root.get_table("server");
    ASSERT_TRUE(server.has_value());
    EXPECT_NO_THROW(server->allow_only({"name", "prot"}));
    EXPECT_EQ(error_of([&] {
                  server->allow_only({"name", "port"});
              }),
              "lab.toml:3: key 'server.prot' is not known here (known keys: name, port)");
    EXPECT_EQ(error_of([&] { root.allow_only({"lab"}); }),
              "lab.toml:1: key 'server' is not known here (known keys: lab)");
}

constexpr const char* hosts_document = R"([[host]]
name = "a"
  [[host.service]]
  kind = "x"
  port = 1
[[host]]
name = "b"
  [[host.service]]
  kind = "y"
  [[host.service]]
  kind = "z"
  port = "x"
)";

TEST(ConfigTable, ArraysOfTablesHaveIndexedKeyPaths) {
    const Table root = Table::parse(hosts_document, "lab.toml");
    const auto hosts = root.get_tables("host");
    ASSERT_EQ(hosts.size(), 2u);
    EXPECT_EQ(hosts[0].path(), "host[0]");
    EXPECT_EQ(hosts[1].path(), "host[1]");
    EXPECT_EQ(hosts[1].get_string("name"), "b");
    const auto services = hosts[1].get_tables("service");
    ASSERT_EQ(services.size(), 2u);
    EXPECT_EQ(services[0].path(), "host[1].service[0]");
    EXPECT_EQ(services[1].path(), "host[1].service[1]");
    EXPECT_EQ(services[1].get_string("kind"), "z");
    EXPECT_EQ(error_of([&] { (void)services[1].get_integer("port", 1, 65535); }),
              "lab.toml:12: key 'host[1].service[1].port': expected an integer from 1 to 65535");
    EXPECT_EQ(error_of([&] { services[1].allow_only({"kind"}); }),
              "lab.toml:12: key 'host[1].service[1].port' is not known here (known keys: kind)");
    EXPECT_EQ(hosts[0].get_tables("service").at(0).get_integer("port", 1, 65535), 1);
}

TEST(ConfigTable, FailUsesTheKeyLineOrTheTableLine) {
    const Table root = Table::parse(hosts_document, "lab.toml");
    const auto services = root.get_tables("host").at(1).get_tables("service");
    ASSERT_EQ(services.size(), 2u);
    // The key exists: its own line.
    EXPECT_EQ(error_of([&] { services[0].fail("kind", "bad kind"); }),
              "lab.toml:9: key 'host[1].service[0].kind': bad kind");
    // The key is missing: the line of the table's header.
    EXPECT_EQ(error_of([&] { services[0].fail("port", "every service needs a port"); }),
              "lab.toml:8: key 'host[1].service[0].port': every service needs a port");
}

TEST(ConfigTable, Durations) {
    const Table root = Table::parse(
        "a = \"20ms\"\nb = 2\nc = \"abc\"\nd = -1\ne = true\nf = \"1.5s\"\ng = 0\n", "d.toml");
    EXPECT_EQ(root.get_duration("a"), std::chrono::nanoseconds(20ms));
    EXPECT_EQ(root.get_duration("b"), std::chrono::nanoseconds(2s));
    EXPECT_EQ(root.get_duration("f"), std::chrono::nanoseconds(1500ms));
    EXPECT_EQ(root.get_duration("g"), std::chrono::nanoseconds(0));
    const std::string abc = error_of([&] { (void)root.get_duration("c"); });
    EXPECT_TRUE(starts_with(abc, "d.toml:3: key 'c': ")) << abc;
    EXPECT_NE(abc.find("'abc' is not a duration"), std::string::npos) << abc;
    EXPECT_EQ(error_of([&] { (void)root.get_duration("d"); }),
              "d.toml:4: key 'd': expected a duration such as \"20ms\" or \"2s\"");
    EXPECT_EQ(error_of([&] { (void)root.get_duration("e"); }),
              "d.toml:5: key 'e': expected a duration such as \"20ms\" or \"2s\"");
}

TEST(ConfigTable, Strings) {
    const Table root = Table::parse(
        "one = \"x\"\nmany = [\"a\", \"b\", \"c\"]\nmixed = [\"a\", 1]\nnum = 3\n", "s.toml");
    EXPECT_EQ(root.get_strings("one"), (std::vector<std::string>{"x"}));
    EXPECT_EQ(root.get_strings("many"), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(error_of([&] { (void)root.get_strings("mixed"); }),
              "s.toml:3: key 'mixed': expected an array of strings");
    EXPECT_EQ(error_of([&] { (void)root.get_strings("num"); }),
              "s.toml:4: key 'num': expected an array of strings");
}

TEST(ConfigTable, LoadFileMissingNamesThePath) {
    const std::string path = testing::TempDir() + "l7-config-test-no-such-file.toml";
    const std::string msg = error_of([&] { (void)Table::load_file(path); });
    EXPECT_TRUE(starts_with(msg, path + ":")) << msg;
}

TEST(ConfigTable, LoadFileReadsAndNamesTheFile) {
    const std::string path =
        testing::TempDir() + "l7-config-test-" + std::to_string(::getpid()) + ".toml";
    {
        std::ofstream out(path);
        out << "[server]\n\nport = \"x\"\n";
    }
    const Table root = Table::load_file(path);
    std::remove(path.c_str());
    EXPECT_EQ(root.source(), path);
    const auto server = root.get_table("server");
    ASSERT_TRUE(server.has_value());
    EXPECT_EQ(error_of([&] { (void)server->get_integer("port", 1, 2); }),
              path + ":3: key 'server.port': expected an integer from 1 to 2");
}

}  // namespace
}  // namespace l7::config
