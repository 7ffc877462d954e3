// The shop's cookie handling, the course's scenario (Kurose & Ross 2.2.4): the first visit
// makes a session and sets sid, later requests carrying it are recognised, bad or expired
// sids are replaced, the session outlives the server (a second Routes on the same file).

#include <gtest/gtest.h>

#include "http/shop/session_id.hpp"
#include "http/shop/shop.hpp"
#include "shop_client.hpp"

namespace l7::http::shop {
namespace {

using testing::Browser;
using testing::call;
using testing::TempDir;

class ShopSession : public ::testing::Test {
  protected:
    ShopOptions options() {
        ShopOptions o;
        o.database = (dir.path() / "shop.db").string();
        o.clock = [this] { return now; };
        o.random = [this] { return ++draws * 0x9e3779b97f4a7c15ULL; };
        return o;
    }
    void SetUp() override { install_shop(routes, options()); }

    TempDir dir;
    std::int64_t now = 1'700'000'000;
    std::uint64_t draws = 0;
    Routes routes;
};

std::string sid_of(const std::string& set_cookie) {
    const auto semi = set_cookie.find(';');
    return set_cookie.substr(4, semi - 4);
}

TEST_F(ShopSession, FirstVisitCreatesASessionAndSetsSid) {
    const auto r = call(routes, "GET", "/");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.fields.get("Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(r.fields.get("Cache-Control"), "no-store");
    const std::string sid = r.set_cookie("sid");
    ASSERT_FALSE(sid.empty()) << r.body;
    EXPECT_TRUE(is_session_id(sid_of(sid))) << sid;
    EXPECT_EQ(sid.substr(36), "; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax");
    EXPECT_NE(r.body.find("first visit"), std::string::npos);
    // The page shows the Set-Cookie it came with.
    EXPECT_NE(r.body.find("Set-Cookie: sid=" + sid_of(sid)), std::string::npos);
    // 128 bits: two 64-bit draws.
    EXPECT_EQ(draws, 2u);
}

TEST_F(ShopSession, SecondVisitWithTheCookieIsRecognised) {
    Browser susan(routes, now);
    const auto first = susan.get("/");
    const std::string sid = susan.cookie("sid");
    ASSERT_FALSE(sid.empty());
    now += 60;
    const auto second = susan.get("/");
    EXPECT_EQ(susan.last_cookie(), "sid=" + sid);
    EXPECT_EQ(second.status, 200);
    EXPECT_TRUE(second.set_cookie("sid").empty()) << "no new cookie for a known session";
    EXPECT_EQ(second.body.find("first visit"), std::string::npos);
    EXPECT_NE(second.body.find("Welcome back! You have visited 2 times"), std::string::npos)
        << second.body;
    now += 60;
    EXPECT_NE(susan.get("/").body.find("visited 3 times"), std::string::npos);
    EXPECT_EQ(susan.cookie("sid"), sid);
}

TEST_F(ShopSession, TwoBrowsersAreTwoUsers) {
    Browser susan(routes, now), bob(routes, now);
    susan.get("/");
    bob.get("/");
    EXPECT_NE(susan.cookie("sid"), bob.cookie("sid"));
    EXPECT_EQ(susan.post("/cart", "item=socks&qty=2").status, 303);
    EXPECT_NE(susan.get("/cart").body.find("/item/socks"), std::string::npos);
    EXPECT_NE(bob.get("/cart").body.find("Your cart is empty"), std::string::npos);
}

TEST_F(ShopSession, MalformedSidIsReplaced) {
    for (const std::string bad :
         {"sid=zzz", "sid=", "sid=0123456789ABCDEF0123456789ABCDEF", "sid=\"x\"; other=1"}) {
        const auto r = call(routes, "GET", "/", bad);
        EXPECT_EQ(r.status, 200) << bad;
        EXPECT_TRUE(is_session_id(sid_of(r.set_cookie("sid")))) << bad;
        EXPECT_NE(r.body.find("first visit"), std::string::npos) << bad;
    }
}

TEST_F(ShopSession, UnknownSidIsReplaced) {
    const std::string unknown = "0123456789abcdef0123456789abcdef";
    const auto r = call(routes, "GET", "/cart", "sid=" + unknown);
    const std::string fresh = sid_of(r.set_cookie("sid"));
    EXPECT_TRUE(is_session_id(fresh));
    EXPECT_NE(fresh, unknown);
}

TEST_F(ShopSession, AKnownSidAmongSeveralIsFound) {
    Browser susan(routes, now);
    susan.get("/");
    const std::string sid = susan.cookie("sid");
    const auto r = call(routes, "GET", "/", "sid=junk; sid=" + sid);
    EXPECT_TRUE(r.set_cookie("sid").empty());
    EXPECT_NE(r.body.find("Welcome back"), std::string::npos);
}

TEST_F(ShopSession, IdleSessionsExpireWithTheirCart) {
    Browser susan(routes, now);
    susan.post("/cart", "item=router");
    const std::string sid = susan.cookie("sid");
    // Just inside the Max-Age: still known, and the cookie is refreshed (a day has passed).
    now += 2592000;
    auto r = call(routes, "GET", "/cart", "sid=" + sid);
    EXPECT_NE(r.body.find("/item/router"), std::string::npos);
    EXPECT_EQ(sid_of(r.set_cookie("sid")), sid) << "the same sid, sent again";
    // Idle for longer than the Max-Age: gone, replaced, and the cart with it.
    now += 2592001;
    r = call(routes, "GET", "/cart", "sid=" + sid);
    EXPECT_NE(sid_of(r.set_cookie("sid")), sid);
    EXPECT_NE(r.body.find("Your cart is empty"), std::string::npos);
}

TEST_F(ShopSession, TheSessionOutlivesTheServer) {
    Browser susan(routes, now);
    susan.post("/cart", "item=textbook&qty=3");
    // A new process on the same database file: a new Routes, a new connection.
    Routes restarted;
    install_shop(restarted, options());
    const auto r = call(restarted, "GET", "/cart", "sid=" + susan.cookie("sid"));
    EXPECT_TRUE(r.set_cookie("sid").empty());
    EXPECT_NE(r.body.find("<td>3</td>"), std::string::npos) << r.body;
}

TEST_F(ShopSession, SecureCookiesOnlyWhenAskedFor) {
    EXPECT_EQ(call(routes, "GET", "/").set_cookie("sid").find("Secure"), std::string::npos);
    ShopOptions o = options();
    o.secure_cookies = true;
    Routes https;
    install_shop(https, o);
    const auto r = call(https, "GET", "/");
    EXPECT_NE(r.set_cookie("sid").find("; Secure"), std::string::npos);
    Browser b(https, now);
    EXPECT_NE(b.post("/prefs", "theme=dark").set_cookie("theme").find("; Secure"),
              std::string::npos);
}

TEST_F(ShopSession, ThemeCookieIsReadableByScriptsAndScopedToTheSite) {
    Browser susan(routes, now);
    susan.get("/cart");
    const auto r = susan.post("/prefs", "theme=dark&back=/cart");
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(r.fields.get("Location"), "/cart");
    EXPECT_EQ(r.set_cookie("theme"), "theme=dark; Max-Age=31536000; Path=/; SameSite=Lax");
    EXPECT_NE(susan.get("/").body.find("<body class=\"dark\">"), std::string::npos);
    // No open redirect, no unknown theme.
    EXPECT_EQ(susan.post("/prefs", "theme=light&back=//evil.example/").fields.get("Location"), "/");
    EXPECT_EQ(susan.post("/prefs", "theme=light&back=https://evil.example/").fields.get("Location"),
              "/");
    EXPECT_EQ(susan.post("/prefs", "theme=%22%3E%3Cscript%3E").status, 400);
    const auto page = call(routes, "GET", "/", "theme=\"><script>");
    EXPECT_NE(page.body.find("<body class=\"light\">"), std::string::npos);
}

TEST_F(ShopSession, LastAddedIsSentOnlyUnderCart) {
    Browser susan(routes, now);
    const auto added = susan.post("/cart", "item=mug");
    EXPECT_EQ(added.set_cookie("last_added"),
              "last_added=mug; Max-Age=3600; Path=/cart; SameSite=Lax");
    const auto cart = susan.get("/cart");
    EXPECT_NE(susan.last_cookie().find("last_added=mug"), std::string::npos);
    EXPECT_NE(cart.body.find("Last added: <a href=\"/item/mug\">"), std::string::npos);
    susan.get("/");
    EXPECT_EQ(susan.last_cookie().find("last_added"), std::string::npos) << susan.last_cookie();
    // Emptying the cart deletes the cookie (Max-Age=0).
    const auto cleared = susan.post("/cart/clear", "");
    EXPECT_EQ(cleared.set_cookie("last_added"), "last_added=; Max-Age=0; Path=/cart; SameSite=Lax");
    susan.get("/cart");
    EXPECT_EQ(susan.last_cookie().find("last_added"), std::string::npos);
}

TEST_F(ShopSession, AnUnopenableDatabaseIsAnError) {
    ShopOptions o = options();
    o.database = (dir.path() / "no" / "such" / "dir" / "shop.db").string();
    Routes r;
    EXPECT_THROW(install_shop(r, o), StoreError);
}

}  // namespace
}  // namespace l7::http::shop
