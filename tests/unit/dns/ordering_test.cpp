// Ordering of lookup results for connecting: MX by preference with equal ones shuffled
// (RFC 5321 5.1), SRV by priority with RFC 2782's weighted selection, and Happy Eyeballs'
// interleaving of address families (RFC 8305 section 4).

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "dns/resolver/ordering.hpp"
#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using test::name;

TEST(Ordering, MxByPreferenceWithEqualOnesInEveryOrder) {
    std::mt19937_64 rng(1);
    std::map<std::string, int> first_of_equals;
    for (int run = 0; run < 200; ++run) {
        const auto ordered = order_mx({{20, name("backup.example.com.")},
                                       {10, name("a.example.com.")},
                                       {10, name("b.example.com.")}},
                                      [&] { return rng(); });
        ASSERT_EQ(ordered.size(), 3u);
        EXPECT_EQ(ordered[0].preference, 10);
        EXPECT_EQ(ordered[1].preference, 10);
        EXPECT_EQ(ordered[2].exchange, name("backup.example.com."));
        ++first_of_equals[ordered[0].exchange.to_text()];
    }
    // Both equal-preference exchangers come first sometimes (load spreading).
    EXPECT_GT(first_of_equals["a.example.com."], 40);
    EXPECT_GT(first_of_equals["b.example.com."], 40);
}

TEST(Ordering, SrvByPriorityThenByWeight) {
    std::mt19937_64 rng(2);
    std::map<std::string, int> first;
    for (int run = 0; run < 1000; ++run) {
        const auto ordered = order_srv({{1, 0, 5060, name("last.example.com.")},
                                        {0, 90, 5060, name("heavy.example.com.")},
                                        {0, 10, 5060, name("light.example.com.")}},
                                       [&] { return rng(); });
        ASSERT_EQ(ordered.size(), 3u);
        EXPECT_EQ(ordered[2].target, name("last.example.com."));  // priority 1 after priority 0
        ++first[ordered[0].target.to_text()];
    }
    // About 90 % and 10 %: generous bounds, the weights must show.
    EXPECT_GT(first["heavy.example.com."], 800);
    EXPECT_GT(first["light.example.com."], 40);
}

TEST(Ordering, SrvWeightZeroIsRarelyFirstButNeverLost) {
    std::mt19937_64 rng(3);
    int zero_first = 0;
    for (int run = 0; run < 1000; ++run) {
        const auto ordered =
            order_srv({{0, 0, 1, name("zero.example.com.")}, {0, 50, 1, name("w.example.com.")}},
                      [&] { return rng(); });
        ASSERT_EQ(ordered.size(), 2u);
        zero_first += ordered[0].target == name("zero.example.com.") ? 1 : 0;
    }
    EXPECT_LT(zero_first, 100);  // chosen first only when the random number is 0 of 0..50
}

TEST(Ordering, SrvDotMeansNoService) {
    EXPECT_TRUE(order_srv({{0, 0, 0, Name()}}, [] { return std::uint64_t{0}; }).empty());
}

TEST(Ordering, HappyEyeballsAlternatesFamiliesIpv6First) {
    EXPECT_EQ(interleave_addresses({"2001:db8::1", "2001:db8::2"},
                                   {"192.0.2.1", "192.0.2.2", "192.0.2.3"}),
              (std::vector<std::string>{"2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2",
                                        "192.0.2.3"}));
    EXPECT_EQ(interleave_addresses({}, {"192.0.2.1"}), std::vector<std::string>{"192.0.2.1"});
    EXPECT_TRUE(interleave_addresses({}, {}).empty());
}

}  // namespace
}  // namespace l7::dns
