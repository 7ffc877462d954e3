#include "core/cidr.hpp"

#include <gtest/gtest.h>

namespace l7 {
namespace {

Cidr cidr(std::string_view text) {
    auto c = parse_cidr(text);
    EXPECT_TRUE(c) << text;
    return c ? *c : Cidr{};
}

IpAddress ip(std::string_view text) {
    auto a = parse_ip_address(text);
    EXPECT_TRUE(a) << text;
    return a.value_or(IpAddress{});
}

TEST(Cidr, ContainsByPrefix) {
    const struct {
        const char* network;
        const char* address;
        bool inside;
    } cases[] = {
        {"192.0.2.0/24", "192.0.2.1", true},
        {"192.0.2.0/24", "192.0.2.255", true},
        {"192.0.2.0/24", "192.0.3.0", false},
        {"10.0.0.0/8", "10.255.1.2", true},
        {"127.0.0.1", "127.0.0.1", true},
        {"127.0.0.1", "127.0.0.2", false},
        {"0.0.0.0/0", "203.0.113.9", true},
        {"0.0.0.0/0", "::1", false},  // families never mix
        {"172.16.0.0/12", "172.31.255.255", true},
        {"172.16.0.0/12", "172.32.0.0", false},
        {"2001:db8::/32", "2001:db8:1::5", true},
        {"2001:db8::/32", "2001:db9::", false},
        {"::1", "::1", true},
        {"::/0", "127.0.0.1", false},
        {"127.0.0.0/8", "::ffff:127.0.0.1", true},  // a dual-stack socket's IPv4 client
    };
    for (const auto& c : cases) {
        EXPECT_EQ(cidr(c.network).contains(ip(c.address)), c.inside)
            << c.network << " " << c.address;
    }
}

TEST(Cidr, ToString) {
    EXPECT_EQ(cidr("10.1.0.0/16").to_string(), "10.1.0.0/16");
    EXPECT_EQ(cidr("::1").to_string(), "::1/128");
    EXPECT_EQ(cidr("127.0.0.1").to_string(), "127.0.0.1/32");
}

TEST(Cidr, ErrorsNameTheTextAndTheProblem) {
    const struct {
        const char* text;
        const char* says;
    } cases[] = {
        {"", "not an IP address"},
        {"localhost", "not an IP address"},
        {"10.0.0.0/33", "0 to 32"},
        {"::/129", "0 to 128"},
        {"10.0.0.0/", "0 to 32"},
        {"10.0.0.0/8x", "0 to 32"},
        {"10.0.0.0/-1", "0 to 32"},
        {"192.0.2.1/24", "did you mean 192.0.2.0/24"},
        {"2001:db8::1/32", "did you mean 2001:db8::/32"},
        {"300.0.0.0/8", "not an IP address"},
    };
    for (const auto& c : cases) {
        auto r = parse_cidr(c.text);
        ASSERT_FALSE(r) << c.text;
        EXPECT_NE(r.error().message.find(c.says), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find(std::string("'") + c.text + "'"), std::string::npos);
    }
}

TEST(IpAddress, Parse) {
    EXPECT_TRUE(parse_ip_address("192.0.2.1")->v4);
    EXPECT_FALSE(parse_ip_address("2001:db8::1")->v4);
    EXPECT_EQ(*parse_ip_address("::ffff:10.0.0.1"), *parse_ip_address("10.0.0.1"));
    EXPECT_FALSE(parse_ip_address(""));
    EXPECT_FALSE(parse_ip_address("1.2.3"));
    EXPECT_FALSE(parse_ip_address(std::string(100, '1')));
}

}  // namespace
}  // namespace l7
