#include "socket/echo_policy.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace l7::socket {
namespace {

using namespace std::chrono_literals;

TEST(EchoPolicy, DefaultRepliesInUpperCaseAtOnce) {
    const EchoPolicy p;
    const auto r = p.decide("hello lab", 0.5);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->payload, "HELLO LAB");
    EXPECT_EQ(r->delay, 0ns);
}

TEST(EchoPolicy, EchoKeepsTheBytes) {
    EchoPolicy p;
    p.uppercase = false;
    const std::string datagram("ping 1 x\0\xff", 10);
    const auto r = p.decide(datagram, 0.5);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->payload, datagram);
}

TEST(EchoPolicy, UppercaseKeepsNonLetters) {
    const EchoPolicy p;
    const auto r = p.decide(std::string("a\0\xff", 3), 0.9);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->payload, std::string("A\0\xff", 3));
}

TEST(EchoPolicy, EmptyDatagramGetsAnEmptyReply) {
    const EchoPolicy p;
    const auto r = p.decide("", 0.0);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->payload, "");
}

TEST(EchoPolicy, DropsWhenUniformIsBelowLoss) {
    EchoPolicy p;
    p.loss = 0.3;
    EXPECT_FALSE(p.decide("x", 0.0).has_value());
    EXPECT_FALSE(p.decide("x", 0.29).has_value());
    EXPECT_FALSE(p.decide("x", 0.2999999).has_value());
    EXPECT_TRUE(p.decide("x", 0.3).has_value());
    EXPECT_TRUE(p.decide("x", 0.31).has_value());
    EXPECT_TRUE(p.decide("x", 0.9999999).has_value());
}

TEST(EchoPolicy, LossZeroNeverDrops) {
    EchoPolicy p;
    p.loss = 0.0;
    for (double u : {0.0, 1e-12, 0.5, 0.9999999999}) {
        EXPECT_TRUE(p.decide("x", u).has_value()) << u;
    }
}

TEST(EchoPolicy, LossOneAlwaysDrops) {
    EchoPolicy p;
    p.loss = 1.0;
    for (double u : {0.0, 1e-12, 0.5, 0.9999999999}) {
        EXPECT_FALSE(p.decide("x", u).has_value()) << u;
    }
}

TEST(EchoPolicy, DelayIsPropagated) {
    EchoPolicy p;
    p.uppercase = false;
    p.delay = 20ms;
    p.loss = 0.5;
    const auto r = p.decide("PING 1 0.000", 0.75);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->payload, "PING 1 0.000");
    EXPECT_EQ(r->delay, 20ms);
    EXPECT_FALSE(p.decide("PING 1 0.000", 0.25).has_value());
}

}  // namespace
}  // namespace l7::socket
