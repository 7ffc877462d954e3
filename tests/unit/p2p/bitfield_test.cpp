// Bitfields (BEP 3 "bitfield"): bit order on the wire, exact length, spare bits; and the
// injected randomness helper the swarm logic shares.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "p2p/bitfield.hpp"

using namespace l7::p2p;

namespace {

struct WireCase {
    std::size_t n;
    std::vector<std::size_t> set;
    std::string wire;
};

TEST(P2pBitfield, ToWireHighBitFirstSpareBitsZero) {
    const std::vector<WireCase> cases = {
        {0, {}, ""},
        {1, {}, std::string(1, '\x00')},
        {1, {0}, "\x80"},
        {8, {0, 7}, "\x81"},
        {8, {0, 1, 2, 3, 4, 5, 6, 7}, "\xff"},
        {9, {8}, std::string("\x00\x80", 2)},
        {9, {0, 1, 2, 3, 4, 5, 6, 7, 8}, "\xff\x80"},
        {12, {3, 9, 11}, "\x10\x50"},
    };
    for (const auto& c : cases) {
        Bitfield b(c.n);
        for (auto i : c.set) {
            b.set(i);
        }
        EXPECT_EQ(b.to_wire(), c.wire) << "n=" << c.n;
        EXPECT_EQ(b.count(), c.set.size()) << "n=" << c.n;
        auto back = Bitfield::from_wire(c.wire, c.n);
        ASSERT_TRUE(back) << "n=" << c.n << ": " << back.error().message;
        EXPECT_EQ(*back, b) << "n=" << c.n;
        EXPECT_EQ(back->count(), c.set.size());
        for (std::size_t i = 0; i < c.n; ++i) {
            const bool expected = std::find(c.set.begin(), c.set.end(), i) != c.set.end();
            EXPECT_EQ(back->get(i), expected) << "n=" << c.n << " i=" << i;
        }
    }
}

TEST(P2pBitfield, FromWireRejectsWrongLengthAndSpareBits) {
    struct Bad {
        std::size_t n;
        std::string wire;
        std::string error_part;
    };
    const std::vector<Bad> cases = {
        {1, "", "expected 1"},
        {1, std::string("\x80\x00", 2), "expected 1"},
        {1, "\x40", "spare bits"},
        {1, "\x01", "spare bits"},
        {8, std::string("\xff\x00", 2), "expected 1"},
        {9, "\xff", "expected 2"},
        {9, "\xff\xc0", "spare bits"},
        {9, std::string("\x00\x01", 2), "spare bits"},
        {0, std::string(1, '\0'), "expected 0"},
    };
    for (const auto& c : cases) {
        auto r = Bitfield::from_wire(c.wire, c.n);
        ASSERT_FALSE(r) << "n=" << c.n << " size=" << c.wire.size();
        EXPECT_NE(r.error().message.find(c.error_part), std::string::npos) << r.error().message;
    }
}

TEST(P2pBitfield, WireSize) {
    const std::vector<std::pair<std::size_t, std::size_t>> cases = {
        {0, 0}, {1, 1}, {7, 1}, {8, 1}, {9, 2}, {16, 2}, {17, 3}, {10000, 1250}};
    for (auto [n, size] : cases) {
        EXPECT_EQ(Bitfield::wire_size(n), size) << n;
        EXPECT_EQ(Bitfield(n, true).to_wire().size(), size) << n;
    }
}

TEST(P2pBitfield, CountAllNone) {
    Bitfield b(9);
    EXPECT_TRUE(b.none());
    EXPECT_FALSE(b.all());
    b.set(3);
    b.set(3);  // setting twice counts once
    EXPECT_EQ(b.count(), 1u);
    EXPECT_FALSE(b.none());
    b.set(3, false);
    EXPECT_TRUE(b.none());
    b.set_all(true);
    EXPECT_TRUE(b.all());
    EXPECT_EQ(b.count(), 9u);
    EXPECT_EQ(b.to_wire(), "\xff\x80");  // spare bits stay zero
    b.set(8, false);
    EXPECT_EQ(b.count(), 8u);
    EXPECT_FALSE(b.all());
    EXPECT_EQ(Bitfield(9, true), *Bitfield::from_wire("\xff\x80", 9));
    EXPECT_TRUE(Bitfield(0).all());  // vacuously: a zero-piece field has every piece
}

TEST(P2pRandomBelow, RejectsTheBiasedLowValues) {
    // For bound 3, 2^32 mod 3 == 1: the value 0 would make residue 0 likelier, so it is
    // drawn again.
    std::vector<std::uint32_t> script = {0, 5, 7};
    std::size_t next = 0;
    Random r = [&] { return script[next++]; };
    EXPECT_EQ(random_below(r, 3), 2u);  // 0 rejected, 5 % 3
    EXPECT_EQ(next, 2u);
    EXPECT_EQ(random_below(r, 3), 1u);  // 7 % 3
    EXPECT_EQ(random_below(r, 1), 0u);  // no draw needed
    EXPECT_EQ(next, 3u);
}

TEST(P2pRandomBelow, StaysInRangeAndCoversIt) {
    std::mt19937 engine(7);
    Random r = std::ref(engine);
    std::vector<int> seen(10, 0);
    for (int i = 0; i < 1000; ++i) {
        const auto v = random_below(r, 10);
        ASSERT_LT(v, 10u);
        ++seen[v];
    }
    for (int count : seen) {
        EXPECT_GT(count, 50);  // expectation 100; a stuck or biased source fails this
    }
}

}  // namespace
