// The shop's SQLite store on its own: durability settings, bounds, expiry, eviction.

#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "http/shop/store.hpp"
#include "shop_client.hpp"
#include "sqlite/database.hpp"

namespace l7::http::shop {
namespace {

using testing::TempDir;

const std::string kA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const std::string kB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

class ShopStore : public ::testing::Test {
  protected:
    std::string path() const { return (dir.path() / "shop.db").string(); }
    TempDir dir;
};

TEST_F(ShopStore, UsesWalAndCommitsEachChange) {
    Store store(path());
    store.create_session(kA, 100);
    Database db(path());
    EXPECT_EQ(db.query_text("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(db.query_text("PRAGMA user_version"), "1");
    // Committed before create_session returned: another connection sees it.
    EXPECT_EQ(db.query_text("SELECT id FROM sessions"), kA);
}

TEST_F(ShopStore, RefusesAnotherSchemaVersion) {
    {
        Database db(path());
        db.exec("PRAGMA user_version = 7");
    }
    EXPECT_THROW(Store{path()}, StoreError);
}

TEST_F(ShopStore, RefusesAFileThatIsNoDatabase) {
    {
        std::FILE* f = std::fopen(path().c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fputs("this is not an SQLite database, not even close to one.\n", f);
        std::fclose(f);
    }
    EXPECT_THROW(Store{path()}, StoreError);
}

TEST_F(ShopStore, TouchCountsRequestsAndExpires) {
    Store store(path());
    store.create_session(kA, 1000);
    auto s = store.touch_session(kA, 1010, 100);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->created, 1000);
    EXPECT_EQ(s->last_seen, 1000);
    EXPECT_EQ(s->requests, 2);
    s = store.touch_session(kA, 1110, 100);  // idle exactly max_idle: still alive
    ASSERT_TRUE(s);
    EXPECT_EQ(s->last_seen, 1010);
    EXPECT_FALSE(store.touch_session(kA, 1211, 100));  // idle 101 s: gone
    EXPECT_FALSE(store.touch_session(kA, 1212, 100));
    EXPECT_EQ(store.session_count(), 0u);
    EXPECT_FALSE(store.touch_session(kB, 1000, 100));
}

TEST_F(ShopStore, ExpiryDeletesVisitsAndCarts) {
    Store store(path());
    store.create_session(kA, 1000);
    store.create_session(kB, 5000);
    store.record_visit(kA, *find_item("socks"), 1000);
    store.add_to_cart(kA, *find_item("socks"), 2);
    EXPECT_EQ(store.expire_sessions(5000, 1000), 1u);
    EXPECT_EQ(store.session_count(), 1u);
    EXPECT_TRUE(store.visits(kA).empty());
    EXPECT_TRUE(store.cart(kA).empty());
    Database db(path());
    EXPECT_EQ(db.query_text("SELECT count(*) FROM carts"), "0");
    EXPECT_EQ(db.query_text("SELECT count(*) FROM visits"), "0");
}

TEST_F(ShopStore, TheLeastRecentlySeenSessionsAreEvictedAtTheLimit) {
    Store store(path(), {.max_sessions = 3});
    for (int i = 0; i < 10; ++i) {
        store.create_session(std::string(32, static_cast<char>('0' + i)), 1000 + i);
    }
    EXPECT_EQ(store.session_count(), 3u);
    EXPECT_TRUE(store.touch_session(std::string(32, '9'), 2000, 1'000'000));
    EXPECT_TRUE(store.touch_session(std::string(32, '7'), 2000, 1'000'000));
    EXPECT_FALSE(store.touch_session(std::string(32, '6'), 2000, 1'000'000));
}

TEST_F(ShopStore, CartBounds) {
    Store store(path(), {.max_cart_lines = 2, .max_quantity = 5});
    store.create_session(kA, 0);
    EXPECT_EQ(store.add_to_cart(kA, *find_item("mug"), 3), AddResult::added);
    EXPECT_EQ(store.add_to_cart(kA, *find_item("mug"), 3), AddResult::capped);
    EXPECT_EQ(store.add_to_cart(kA, *find_item("socks"), 1'000'000'000'000), AddResult::added);
    EXPECT_EQ(store.add_to_cart(kA, *find_item("cable"), 1), AddResult::cart_full);
    const auto cart = store.cart(kA);
    ASSERT_EQ(cart.size(), 2u);
    EXPECT_EQ(cart[0].item, "mug");
    EXPECT_EQ(cart[0].quantity, 5);
    EXPECT_EQ(cart[1].item, "socks");
    EXPECT_EQ(cart[1].quantity, 5);
    store.clear_cart(kA);
    EXPECT_TRUE(store.cart(kA).empty());
}

TEST_F(ShopStore, DataSurvivesReopening) {
    {
        Store store(path());
        store.create_session(kA, 10);
        store.record_visit(kA, *find_item("router"), 11);
        store.add_to_cart(kA, *find_item("router"), 1);
    }
    Store store(path());
    ASSERT_TRUE(store.touch_session(kA, 12, 100));
    ASSERT_EQ(store.visits(kA).size(), 1u);
    EXPECT_EQ(store.visits(kA)[0].item, "router");
    EXPECT_EQ(store.visits(kA)[0].at, 11);
    ASSERT_EQ(store.cart(kA).size(), 1u);
}

TEST_F(ShopStore, ConcurrentWritersAreSerialised) {
    Store store(path());
    store.create_session(kA, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&store] {
            for (int i = 0; i < 25; ++i) {
                store.record_visit(kA, *find_item("mug"), i);
                (void)store.touch_session(kA, i, 1'000'000);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(store.visits(kA).size(), 100u);
    EXPECT_EQ(store.touch_session(kA, 100, 1'000'000)->requests, 102);
}

}  // namespace
}  // namespace l7::http::shop
