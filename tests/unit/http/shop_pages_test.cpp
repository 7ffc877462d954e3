// The shop's HTML: everything that is not a literal of the page is escaped, whether it came
// from the request (the Cookie field, a path) or from the database.

#include <gtest/gtest.h>

#include "http/shop/pages.hpp"
#include "http/shop/shop.hpp"
#include "shop_client.hpp"

namespace l7::http::shop {
namespace {

using testing::call;
using testing::TempDir;

constexpr std::string_view kHostile = "\"><script>alert('x')</script>&";

void expect_escaped(const std::string& html) {
    EXPECT_EQ(html.find("<script>alert"), std::string::npos) << html;
    EXPECT_EQ(html.find("\"><script"), std::string::npos) << html;
    EXPECT_NE(html.find("&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"),
              std::string::npos)
        << html;
}

TEST(ShopPages, TheCookieHeaderIsEscaped) {
    PageContext c;
    c.cookie_header = std::string(kHostile);
    c.set_cookies = {std::string(kHostile)};
    expect_escaped(home_page(c, {}));
    expect_escaped(cart_page(c, {}, {}, nullptr));
    expect_escaped(history_page(c, {}));
}

TEST(ShopPages, StoredNamesAreEscaped) {
    PageContext c;
    // A name the catalogue does not know (an older catalogue's, say) is shown as text.
    expect_escaped(history_page(c, {{std::string(kHostile), 0}}));
    // ... and a cart line for one is left out.
    const auto cart = cart_page(c, {{std::string(kHostile), 1}}, {}, nullptr);
    EXPECT_EQ(cart.find("alert"), std::string::npos);
    EXPECT_NE(cart.find("Your cart is empty"), std::string::npos);
}

TEST(ShopPages, ThePathAndThemeAreEscaped) {
    PageContext c;
    c.path = std::string(kHostile);
    c.theme = std::string(kHostile);
    expect_escaped(home_page(c, {}));
}

TEST(ShopPages, EveryItemPageHasARealForm) {
    PageContext c;
    for (const Item& item : catalogue()) {
        const auto html = item_page(c, item, 10);
        EXPECT_NE(html.find("<form method=\"post\" action=\"/cart\">"), std::string::npos);
        EXPECT_NE(html.find("max=\"10\""), std::string::npos);
        EXPECT_EQ(html.find("<script>alert"), std::string::npos);
    }
    // The T-shirt's title has quotes in it.
    EXPECT_NE(item_page(c, *find_item("t-shirt"), 10).find("&quot;There&#39;s no place"),
              std::string::npos);
}

TEST(ShopPages, Prices) {
    EXPECT_EQ(format_price(0), "$0.00");
    EXPECT_EQ(format_price(5), "$0.05");
    EXPECT_EQ(format_price(12900), "$129.00");
    EXPECT_EQ(format_price(1234), "$12.34");
}

TEST(ShopPages, ThroughTheRoutes) {
    TempDir dir;
    Routes routes;
    ShopOptions o;
    o.database = (dir.path() / "shop.db").string();
    install_shop(routes, o);
    // A Cookie field with markup in it, shown back on the page.
    expect_escaped(call(routes, "GET", "/", "x=" + std::string(kHostile)).body);
    // An item name from the path, quoted in the 404 page.
    const auto missing = call(routes, "GET", "/item/%3Cscript%3Ealert(1)");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.body.find("<script>"), std::string::npos) << missing.body;
    EXPECT_NE(missing.body.find("&lt;script&gt;alert(1)"), std::string::npos) << missing.body;
}

}  // namespace
}  // namespace l7::http::shop
