#include "core/endpoint.hpp"

#include <gtest/gtest.h>

#include <string>

namespace l7 {
namespace {

HostPort parse_ok(const std::string& text, int default_port = -1) {
    auto hp = parse_host_port(text, default_port);
    EXPECT_TRUE(hp.ok()) << "'" << text << "': " << (hp.ok() ? "" : hp.error().message);
    return hp.ok() ? *hp : HostPort{"<error>", 0};
}

std::string error_of(const std::string& text, int default_port = -1) {
    auto hp = parse_host_port(text, default_port);
    EXPECT_FALSE(hp.ok()) << "'" << text << "' parsed as " << (hp.ok() ? hp->to_string() : "");
    return hp.ok() ? std::string() : hp.error().message;
}

TEST(ParseHostPort, Ipv4) {
    const HostPort hp = parse_ok("127.0.0.1:53");
    EXPECT_EQ(hp.host, "127.0.0.1");
    EXPECT_EQ(hp.port, 53);
    EXPECT_TRUE(hp.is_address_literal());
    EXPECT_FALSE(hp.is_ipv6_literal());
}

TEST(ParseHostPort, Ipv6InBrackets) {
    const HostPort hp = parse_ok("[::1]:8080");
    EXPECT_EQ(hp.host, "::1");
    EXPECT_EQ(hp.port, 8080);
    EXPECT_TRUE(hp.is_address_literal());
    EXPECT_TRUE(hp.is_ipv6_literal());
}

TEST(ParseHostPort, HostName) {
    const HostPort hp = parse_ok("localhost:25");
    EXPECT_EQ(hp.host, "localhost");
    EXPECT_EQ(hp.port, 25);
    EXPECT_FALSE(hp.is_address_literal());
    EXPECT_FALSE(hp.is_ipv6_literal());
}

TEST(ParseHostPort, PortBounds) {
    EXPECT_EQ(parse_ok("127.0.0.1:0").port, 0);
    EXPECT_EQ(parse_ok("127.0.0.1:65535").port, 65535);
    for (const char* text :
         {"127.0.0.1:65536", "127.0.0.1:99999999999", "127.0.0.1:-1", "127.0.0.1:", "127.0.0.1:8x",
          "127.0.0.1: 80", "[::1]:", "[::1]:70000"}) {
        const std::string msg = error_of(text);
        EXPECT_NE(msg.find("no valid port"), std::string::npos) << text << ": " << msg;
        EXPECT_NE(msg.find(std::string("'") + text + "'"), std::string::npos) << msg;
    }
}

TEST(ParseHostPort, MissingPort) {
    const std::string msg = error_of("127.0.0.1");
    EXPECT_NE(msg.find("needs a port"), std::string::npos) << msg;
    EXPECT_NE(error_of("localhost").find("needs a port"), std::string::npos);

    const HostPort v4 = parse_ok("127.0.0.1", 53);
    EXPECT_EQ(v4.host, "127.0.0.1");
    EXPECT_EQ(v4.port, 53);
    const HostPort v6 = parse_ok("[::1]", 8080);
    EXPECT_EQ(v6.host, "::1");
    EXPECT_EQ(v6.port, 8080);
    EXPECT_EQ(parse_ok("localhost", 0).port, 0);
    // An explicit port wins over the default.
    EXPECT_EQ(parse_ok("[::1]:9", 8080).port, 9);
}

TEST(ParseHostPort, BareIpv6SuggestsBrackets) {
    for (const char* text : {"::1:53", "::1", "fe80::1:80"}) {
        const std::string msg = error_of(text, 53);
        EXPECT_NE(msg.find("[ADDR]:PORT"), std::string::npos) << text << ": " << msg;
    }
}

TEST(ParseHostPort, BadBrackets) {
    EXPECT_NE(error_of("[::1:53").find("without ']'"), std::string::npos);
    EXPECT_NE(error_of("[127.0.0.1]:53").find("no IPv6 address"), std::string::npos);
    EXPECT_NE(error_of("[localhost]:53").find("no IPv6 address"), std::string::npos);
    EXPECT_NE(error_of("[]:53").find("no IPv6 address"), std::string::npos);
    EXPECT_NE(error_of("[::1]53").find("needs ':'"), std::string::npos);
}

TEST(ParseHostPort, BadHost) {
    for (const char* text : {":53", "", "a b:53", "host/x:53", "x@y:25"}) {
        const std::string msg = error_of(text, 1);
        EXPECT_NE(msg.find("does not start with an address or host name"), std::string::npos)
            << "'" << text << "': " << msg;
    }
}

TEST(ParseListenAddress, AcceptsLiterals) {
    auto v4 = parse_listen_address("127.0.0.1:0");
    ASSERT_TRUE(v4.ok()) << v4.error().message;
    EXPECT_EQ(v4->host, "127.0.0.1");
    EXPECT_EQ(v4->port, 0);
    auto v6 = parse_listen_address("[::1]:8080");
    ASSERT_TRUE(v6.ok()) << v6.error().message;
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, 8080);
}

TEST(ParseListenAddress, RejectsHostNames) {
    auto hp = parse_listen_address("localhost:25");
    ASSERT_FALSE(hp.ok());
    EXPECT_NE(hp.error().message.find("'localhost:25'"), std::string::npos) << hp.error().message;
    EXPECT_NE(hp.error().message.find("IP address"), std::string::npos) << hp.error().message;
}

TEST(ParseListenAddress, PassesOnSyntaxErrors) {
    auto hp = parse_listen_address("127.0.0.1");
    ASSERT_FALSE(hp.ok());
    EXPECT_NE(hp.error().message.find("needs a port"), std::string::npos) << hp.error().message;
}

TEST(HostPortToString, BracketsIpv6Only) {
    EXPECT_EQ((HostPort{"::1", 8080}.to_string()), "[::1]:8080");
    EXPECT_EQ((HostPort{"127.0.0.1", 53}.to_string()), "127.0.0.1:53");
    EXPECT_EQ((HostPort{"localhost", 25}.to_string()), "localhost:25");
    EXPECT_EQ((HostPort{"2001:db8::2", 0}.to_string()), "[2001:db8::2]:0");
}

TEST(HostPortToString, RoundTrip) {
    for (const char* text :
         {"127.0.0.1:53", "[::1]:8080", "localhost:25", "[2001:db8::1]:0", "crepes.fr:65535"}) {
        const HostPort hp = parse_ok(text);
        EXPECT_EQ(hp.to_string(), text);
        const HostPort again = parse_ok(hp.to_string());
        EXPECT_EQ(again.host, hp.host);
        EXPECT_EQ(again.port, hp.port);
    }
}

TEST(ParseHostPort, NulInsideAnAddressIsRejected) {
    using namespace std::string_literals;
    EXPECT_FALSE(parse_host_port("[::1\0x]:80"s).ok());
    EXPECT_FALSE(parse_listen_address("127.0.0.1\0x:80"s).ok());
}

}  // namespace
}  // namespace l7
