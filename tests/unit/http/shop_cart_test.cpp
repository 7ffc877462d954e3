// The shop's cart, history and recommendations through its routes, and what hostile input
// gets: huge or malformed quantities, unknown items, oversized forms, full carts.

#include <gtest/gtest.h>

#include "http/shop/shop.hpp"
#include "shop_client.hpp"

namespace l7::http::shop {
namespace {

using testing::Browser;
using testing::call;
using testing::TempDir;

class ShopCart : public ::testing::Test {
  protected:
    void install(StoreLimits limits = {}) {
        ShopOptions o;
        o.database = (dir.path() / "shop.db").string();
        o.clock = [this] { return now; };
        o.limits = limits;
        install_shop(routes, o);
    }
    void SetUp() override { install(); }

    std::size_t count(const std::string& text, const std::string& what) {
        std::size_t n = 0;
        for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
            ++n;
        }
        return n;
    }

    TempDir dir;
    std::int64_t now = 1'700'000'000;
    Routes routes;
};

TEST_F(ShopCart, AddShowAndClear) {
    Browser susan(routes, now);
    auto r = susan.post("/cart", "item=socks&qty=2");
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(r.fields.get("Location"), "/cart");
    r = susan.post("/cart", "item=textbook");  // qty defaults to 1
    EXPECT_EQ(r.status, 303);
    r = susan.post("/cart", "item=socks&qty=3");
    r = susan.get("/cart");
    EXPECT_EQ(r.status, 200);
    // In the order first added, quantities summed; the total is 5 * $9.00 + $129.00.
    const auto socks = r.body.find("/item/socks\">Socks</a></td><td>5</td><td>$45.00");
    const auto book = r.body.find("/item/textbook\">");
    EXPECT_NE(socks, std::string::npos) << r.body;
    EXPECT_LT(socks, book);
    EXPECT_NE(r.body.find("<th>$174.00</th>"), std::string::npos);
    EXPECT_NE(r.body.find("Cart (6)"), std::string::npos);
    EXPECT_NE(r.body.find("<form method=\"post\" action=\"/cart/clear\">"), std::string::npos);

    r = susan.post("/cart/clear", "");
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(r.fields.get("Location"), "/cart");
    r = susan.get("/cart");
    EXPECT_NE(r.body.find("Your cart is empty"), std::string::npos);
    EXPECT_NE(r.body.find("Cart (0)"), std::string::npos);
}

TEST_F(ShopCart, MultipartFormsWorkToo) {
    Browser susan(routes, now);
    const std::string body =
        "--XyZ\r\nContent-Disposition: form-data; name=\"item\"\r\n\r\nrouter\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"qty\"\r\n\r\n4\r\n--XyZ--\r\n";
    EXPECT_EQ(susan.post("/cart", body, "multipart/form-data; boundary=XyZ").status, 303);
    EXPECT_NE(susan.get("/cart").body.find("<td>4</td>"), std::string::npos);
    EXPECT_EQ(susan.post("/cart", "{\"item\":\"router\"}", "application/json").status, 415);
}

TEST_F(ShopCart, ItemPagesAreRecordedInTheHistory) {
    Browser susan(routes, now);
    auto r = susan.get("/item/router");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("<form method=\"post\" action=\"/cart\">"), std::string::npos);
    EXPECT_NE(r.body.find("name=\"item\" value=\"router\""), std::string::npos);
    now += 10;
    susan.get("/item/socks");
    // HEAD shows the page without counting as a visit.
    susan.request("HEAD", "/item/mug", {}, {});
    r = susan.get("/history");
    const auto socks = r.body.find("/item/socks");
    const auto router = r.body.find("/item/router");
    EXPECT_NE(socks, std::string::npos);
    EXPECT_LT(socks, router) << "newest first";
    EXPECT_EQ(r.body.find("/item/mug"), std::string::npos);
    EXPECT_NE(r.body.find("Tue, 14 Nov 2023 22:13:30 GMT"), std::string::npos) << r.body;
    EXPECT_EQ(susan.get("/item/no-such-thing").status, 404);
}

TEST_F(ShopCart, RecommendationsFollowTheHistory) {
    Browser susan(routes, now);
    EXPECT_EQ(susan.get("/").body.find("Recommended"), std::string::npos);
    susan.get("/item/router");
    susan.get("/item/switch");
    susan.get("/item/mug");
    susan.post("/cart", "item=switch");
    const auto home = susan.get("/");
    // Hardware was looked at most: the cable (not seen yet), then the router (seen, not in
    // the cart); the switch is in the cart. Then merchandise not seen yet.
    const auto cable = home.body.find("<li><a href=\"/item/cable\">");
    const auto router = home.body.find("<li><a href=\"/item/router\">");
    const auto socks = home.body.find("<li><a href=\"/item/socks\">");
    EXPECT_NE(cable, std::string::npos) << home.body;
    EXPECT_LT(cable, router);
    EXPECT_LT(router, socks);
    EXPECT_EQ(home.body.find("<li><a href=\"/item/switch\">"), std::string::npos);
    EXPECT_NE(susan.get("/cart").body.find("Recommended for you"), std::string::npos);
}

TEST_F(ShopCart, BadQuantitiesAndUnknownItemsAreRefused) {
    Browser susan(routes, now);
    for (const std::string body :
         {"item=socks&qty=0", "item=socks&qty=-1", "item=socks&qty=11", "item=socks&qty=1.5",
          "item=socks&qty=", "item=socks&qty=99999999999999999999999999999", "item=socks&qty=2x",
          "item=socks&qty=+3", "item=socks&qty=%201"}) {
        EXPECT_EQ(susan.post("/cart", body).status, 400) << body;
    }
    for (const std::string body :
         {"item=nonesuch", "item=", "qty=1", "item=SOCKS", "item=socks%00", "item=../socks"}) {
        EXPECT_EQ(susan.post("/cart", body).status, 400) << body;
    }
    EXPECT_NE(susan.get("/cart").body.find("Your cart is empty"), std::string::npos);
}

TEST_F(ShopCart, QuantitiesAreCappedPerLine) {
    Browser susan(routes, now);
    for (int i = 0; i < 25; ++i) {
        ASSERT_EQ(susan.post("/cart", "item=socks&qty=10").status, 303);
    }
    const auto r = susan.get("/cart");
    EXPECT_NE(r.body.find("<td>10</td>"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("Cart (10)"), std::string::npos);
}

TEST_F(ShopCart, AFullCartRefusesNewItems) {
    routes = Routes();
    install({.max_cart_lines = 2});
    Browser susan(routes, now);
    EXPECT_EQ(susan.post("/cart", "item=socks").status, 303);
    EXPECT_EQ(susan.post("/cart", "item=mug").status, 303);
    EXPECT_EQ(susan.post("/cart", "item=router").status, 409);
    EXPECT_EQ(susan.post("/cart", "item=mug").status, 303) << "more of one already there";
    const auto r = susan.get("/cart");
    EXPECT_EQ(r.body.find("/item/router\">Home router</a></td>"), std::string::npos);
}

TEST_F(ShopCart, HugeFormsAreRefusedWhole) {
    Browser susan(routes, now);
    std::string many;
    for (int i = 0; i < 10'000; ++i) {
        many += "item=socks&";
    }
    EXPECT_EQ(susan.post("/cart", many).status, 413);
    EXPECT_EQ(susan.post("/cart", "item=" + std::string(100'000, 'a')).status, 413);
    EXPECT_NE(susan.get("/cart").body.find("Your cart is empty"), std::string::npos);
}

TEST_F(ShopCart, TheHistoryIsBounded) {
    routes = Routes();
    install({.max_visits = 5});
    Browser susan(routes, now);
    for (int i = 0; i < 40; ++i) {
        now += 1;
        ASSERT_EQ(susan.get(i % 2 ? "/item/socks" : "/item/mug").status, 200);
    }
    const auto r = susan.get("/history");
    EXPECT_EQ(count(r.body, "<li>"), 5u) << r.body;
}

TEST_F(ShopCart, OtherMethodsGet405) {
    const auto r = call(routes, "DELETE", "/cart");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.fields.get("Allow"), "GET, HEAD, POST, OPTIONS");
}

}  // namespace
}  // namespace l7::http::shop
