// Recommendations as a pure function of history, cart and catalogue.

#include <gtest/gtest.h>

#include <array>

#include "http/shop/recommend.hpp"

namespace l7::http::shop {
namespace {

constexpr std::array<Item, 6> kItems{{
    {"a1", "A1", "alpha", 100, ""},
    {"a2", "A2", "alpha", 100, ""},
    {"a3", "A3", "alpha", 100, ""},
    {"b1", "B1", "beta", 100, ""},
    {"b2", "B2", "beta", 100, ""},
    {"c1", "C1", "gamma", 100, ""},
}};

std::vector<std::string_view> names(const std::vector<const Item*>& items) {
    std::vector<std::string_view> out;
    for (const Item* item : items) {
        out.push_back(item->name);
    }
    return out;
}

using Names = std::vector<std::string_view>;

TEST(ShopRecommend, NoHistoryNoRecommendations) {
    EXPECT_TRUE(recommend({}, {}, kItems, 10).empty());
}

TEST(ShopRecommend, TheMostVisitedCategoryComesFirst) {
    // Newest first: b1 twice and a1 once; beta wins on count though alpha is newer.
    const std::vector<Visit> history{{"a1", 30}, {"b1", 20}, {"b1", 10}};
    EXPECT_EQ(names(recommend(history, {}, kItems, 10)), (Names{"b2", "b1", "a2", "a3", "a1"}));
}

TEST(ShopRecommend, TiesGoToTheCategoryVisitedMostRecently) {
    const std::vector<Visit> history{{"b2", 30}, {"a1", 20}};
    EXPECT_EQ(names(recommend(history, {}, kItems, 10)), (Names{"b1", "b2", "a2", "a3", "a1"}));
}

TEST(ShopRecommend, WhatIsInTheCartIsLeftOut) {
    const std::vector<Visit> history{{"a1", 20}, {"a2", 10}};
    const std::vector<CartLine> cart{{"a3", 1}, {"a1", 2}};
    EXPECT_EQ(names(recommend(history, cart, kItems, 10)), (Names{"a2"}));
}

TEST(ShopRecommend, AtMostMaxCount) {
    const std::vector<Visit> history{{"a1", 20}, {"b1", 10}};
    EXPECT_EQ(names(recommend(history, {}, kItems, 2)), (Names{"a2", "a3"}));
    EXPECT_TRUE(recommend(history, {}, kItems, 0).empty());
}

TEST(ShopRecommend, UnknownNamesAreIgnored) {
    const std::vector<Visit> history{{"gone", 30}, {"<script>", 20}, {"c1", 10}};
    EXPECT_EQ(names(recommend(history, {}, kItems, 10)), (Names{"c1"}));
    EXPECT_TRUE(recommend(std::vector<Visit>{{"gone", 1}}, {}, kItems, 10).empty());
}

TEST(ShopRecommend, ALongHistoryIsFine) {
    std::vector<Visit> history;
    for (int i = 0; i < 10'000; ++i) {
        history.push_back({i % 3 ? "b1" : "c1", i});
    }
    EXPECT_EQ(names(recommend(history, {}, kItems, 3)), (Names{"b2", "b1", "c1"}));
}

}  // namespace
}  // namespace l7::http::shop
