// /etc/hosts as glibc's "files" source reads it (hosts(5)), for the stub resolver: addresses
// of both families in canonical form, names and aliases without case, comments, lines merged,
// and the bounds that keep a runaway file from costing unbounded memory.

#include "dns/resolver/hosts_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace l7::dns {
namespace {

std::vector<std::string> addresses(const HostsFile& hosts, std::string_view name) {
    std::vector<std::string> out;
    for (const HostsAddress& a : hosts.lookup(name)) {
        out.push_back((a.ipv6 ? "6 " : "4 ") + a.text);
    }
    return out;
}

using Strings = std::vector<std::string>;

TEST(HostsFile, ReadsADebianFile) {
    const HostsFile h = parse_hosts_file(
        "127.0.0.1\tlocalhost\n"
        "127.0.1.1\tgaia.cs.umass.edu\tgaia\n"
        "\n"
        "# The following lines are desirable for IPv6 capable hosts\n"
        "::1     localhost ip6-localhost ip6-loopback\n"
        "ff02::1 ip6-allnodes\n");
    EXPECT_EQ(addresses(h, "localhost"), (Strings{"4 127.0.0.1", "6 ::1"}));
    EXPECT_EQ(addresses(h, "gaia"), (Strings{"4 127.0.1.1"}));
    EXPECT_EQ(addresses(h, "gaia.cs.umass.edu"), (Strings{"4 127.0.1.1"}));
    EXPECT_EQ(addresses(h, "ip6-loopback"), (Strings{"6 ::1"}));
    EXPECT_EQ(addresses(h, "ip6-allnodes"), (Strings{"6 ff02::1"}));
    EXPECT_TRUE(addresses(h, "umass.edu").empty());
    EXPECT_TRUE(addresses(h, "desirable").empty());  // inside a comment
    EXPECT_EQ(h.name_count(), 6u);
    EXPECT_TRUE(h.warnings().empty()) << h.warnings().front();
}

TEST(HostsFile, NamesWithoutCaseAndFinalDot) {
    const HostsFile h = parse_hosts_file("192.0.2.7 MixedCase.Example. other\n");
    EXPECT_EQ(addresses(h, "mixedcase.example"), (Strings{"4 192.0.2.7"}));
    EXPECT_EQ(addresses(h, "MIXEDCASE.EXAMPLE."), (Strings{"4 192.0.2.7"}));
    EXPECT_EQ(addresses(h, "OTHER."), (Strings{"4 192.0.2.7"}));
    EXPECT_TRUE(addresses(h, "mixedcase.example..").empty());
    EXPECT_TRUE(addresses(h, "").empty());
}

TEST(HostsFile, AddressesInCanonicalForm) {
    const HostsFile h = parse_hosts_file(
        "2001:DB8:0:0::0:1 six\n"
        "::ffff:192.0.2.1 mapped\n");
    EXPECT_EQ(addresses(h, "six"), (Strings{"6 2001:db8::1"}));
    EXPECT_EQ(addresses(h, "mapped"), (Strings{"6 ::ffff:192.0.2.1"}));
}

TEST(HostsFile, LinesForOneNameMergeInFileOrderWithoutRepeats) {
    const HostsFile h = parse_hosts_file(
        "192.0.2.1 www\n"
        "2001:db8::1 www\n"
        "192.0.2.1 www www\n"
        "192.0.2.2 www   # a comment right after\n");
    EXPECT_EQ(addresses(h, "www"), (Strings{"4 192.0.2.1", "6 2001:db8::1", "4 192.0.2.2"}));
}

TEST(HostsFile, CommentsAnywhereAndWindowsLineEnds) {
    const HostsFile h = parse_hosts_file(
        "  # indented comment\r\n"
        "192.0.2.3 host#not-an-alias\r\n"
        "192.0.2.4\thost2 \r\n");
    EXPECT_EQ(addresses(h, "host"), (Strings{"4 192.0.2.3"}));
    EXPECT_TRUE(addresses(h, "not-an-alias").empty());
    EXPECT_EQ(addresses(h, "host2"), (Strings{"4 192.0.2.4"}));
    EXPECT_TRUE(h.warnings().empty()) << h.warnings().front();
}

TEST(HostsFile, UnusableLinesAreSkippedWithTheirLineNumber) {
    const std::string long_name(254, 'n');
    const HostsFile h = parse_hosts_file(
        "192.0.2.300 bad-v4\n"
        "fe80::1%eth0 scoped\n"
        "192.0.2.5\n"
        "localhost 192.0.2.6\n"
        "192.0.2.7 " +
        long_name + " good\n" + "192.0.2.8 " + std::string(kMaxHostsLine, 'x') + "\n" +
        std::string("192.0.2.9 \0nul\n", 15));
    EXPECT_TRUE(addresses(h, "bad-v4").empty());
    EXPECT_TRUE(addresses(h, "scoped").empty());
    EXPECT_TRUE(addresses(h, "192.0.2.6").empty());
    EXPECT_TRUE(addresses(h, long_name).empty());
    EXPECT_EQ(addresses(h, "good"), (Strings{"4 192.0.2.7"}));
    EXPECT_EQ(addresses(h, std::string("\0nul", 4)), (Strings{"4 192.0.2.9"}));
    ASSERT_EQ(h.warnings().size(), 6u);
    EXPECT_EQ(h.warnings()[0],
              "line 1: '192.0.2.300' is not an IPv4 or IPv6 address, line ignored");
    EXPECT_EQ(h.warnings()[1],
              "line 2: 'fe80::1%eth0' is not an IPv4 or IPv6 address, line ignored");
    EXPECT_EQ(h.warnings()[2], "line 3: address '192.0.2.5' without a name, ignored");
    EXPECT_TRUE(h.warnings()[3].starts_with("line 4: 'localhost' is not")) << h.warnings()[3];
    EXPECT_TRUE(h.warnings()[4].starts_with("line 5: name 'nnnn")) << h.warnings()[4];
    EXPECT_EQ(h.warnings()[5], "line 6: longer than 4096 bytes, ignored");
}

TEST(HostsFile, AddressesPerNameAreBounded) {
    std::string text;
    for (std::size_t i = 0; i <= kMaxHostsAddressesPerName; ++i) {
        text += "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) + " busy\n";
    }
    const HostsFile h = parse_hosts_file(text);
    EXPECT_EQ(h.lookup("busy").size(), kMaxHostsAddressesPerName);
    EXPECT_EQ(h.lookup("busy").back().text, "10.0.0.63");
    ASSERT_EQ(h.warnings().size(), 1u);
    EXPECT_EQ(h.warnings()[0], "line 65: more than 64 addresses for 'busy', this one ignored");
}

TEST(HostsFile, WarningsAreBoundedAndCounted) {
    std::string text;
    for (std::size_t i = 0; i < kMaxHostsWarnings + 10; ++i) {
        text += "junk\n";
    }
    const HostsFile h = parse_hosts_file(text);
    ASSERT_EQ(h.warnings().size(), kMaxHostsWarnings + 1);
    EXPECT_EQ(h.warnings().back(), "and 10 more problems");
}

TEST(HostsFile, LinesAfterTheLimitAreIgnored) {
    std::string text(kMaxHostsLines - 1, '\n');
    text += "192.0.2.1 last-read\n192.0.2.2 too-late\n";
    const HostsFile h = parse_hosts_file(text);
    EXPECT_EQ(addresses(h, "last-read"), (Strings{"4 192.0.2.1"}));
    EXPECT_TRUE(addresses(h, "too-late").empty());
    ASSERT_EQ(h.warnings().size(), 1u);
    EXPECT_EQ(h.warnings()[0],
              "line 262145: this and later lines ignored: only the first 262144 are read");
}

class HostsFileOnDisk : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ =
            std::filesystem::temp_directory_path() /
            ("l7-hosts-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

TEST_F(HostsFileOnDisk, ReadsAFile) {
    const auto path = (dir_ / "hosts").string();
    std::ofstream(path) << "192.0.2.10 on-disk\n";
    auto h = load_hosts_file(path);
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_EQ(addresses(*h, "on-disk"), (Strings{"4 192.0.2.10"}));
}

TEST_F(HostsFileOnDisk, AMissingFileIsEmpty) {
    auto h = load_hosts_file((dir_ / "absent").string());
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_EQ(h->name_count(), 0u);
}

TEST_F(HostsFileOnDisk, ADirectoryIsAnErrorNamingIt) {
    auto h = load_hosts_file(dir_.string());
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().message,
              "cannot read hosts file '" + dir_.string() + "': it is a directory");
}

TEST_F(HostsFileOnDisk, AFileOverTheSizeLimitIsAnError) {
    const auto path = (dir_ / "huge").string();
    std::ofstream(path).close();
    std::filesystem::resize_file(path, kMaxHostsFileBytes + 1);  // sparse: zeros, no disk
    auto h = load_hosts_file(path);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().message, "hosts file '" + path + "' is larger than 16 MiB");

    std::filesystem::resize_file(path, kMaxHostsFileBytes);  // exactly the limit is read
    EXPECT_TRUE(load_hosts_file(path));
}

}  // namespace
}  // namespace l7::dns
