#pragma once
// The course's cookie demo (Kurose & Ross 2.2.4, "User-Server Interaction: Cookies"): Susan's
// first visit to an e-commerce site makes the server create an id and a back-end database
// entry and answer with Set-Cookie; every later request carries Cookie: and the server acts
// on it: her cart, and recommendations from what she looked at.
//
// An in-process app for l7's HTTP server: install_shop adds its routes to a Routes table,
// which a virtual host (shop.networkutopia.com in the lab) or `l7 http shop` serves.
//
//   GET  /            the catalogue; "first visit" or "welcome back, you visited N times"
//   GET  /item/NAME   an item's page (records a visit in the history)
//   POST /cart        form item=NAME&qty=N: adds to the cart, 303 to /cart
//   GET  /cart        the cart, with recommendations
//   POST /cart/clear  empties it, 303 to /cart
//   GET  /history     the item pages visited, newest first
//   POST /prefs       form theme=light|dark: sets the theme cookie, 303 back
//
// A request without a valid sid cookie gets a new session (its id 128 random bits) and
// Set-Cookie: sid=...; an unknown, expired or malformed sid is replaced the same way.
// Sessions idle for longer than session_max_age are deleted lazily. Every page is
// Cache-Control: no-store: it is one visitor's, and a shared cache must not hand it, or its
// Set-Cookie, to another.

#include <cstdint>
#include <functional>
#include <string>

#include "http/asio/routes.hpp"
#include "http/shop/store.hpp"

namespace l7::http::shop {

struct ShopOptions {
    // The SQLite database file, created if missing (":memory:" for a private, volatile one).
    std::string database = "shop.db";
    // Seconds since 1970; empty: the system clock. Tests pass a fake one.
    std::function<std::int64_t()> clock;
    // Random 64-bit words for session ids; empty: secure_random64 (the kernel's getrandom).
    std::function<std::uint64_t()> random;
    // Add Secure to every cookie: set it when the shop is served over https only.
    bool secure_cookies = false;
    // The sid cookie's Max-Age and how long an idle session is kept: 30 days.
    std::int64_t session_max_age = 30 * 24 * 3600;
    StoreLimits limits;
};

// Opens (or creates) the database and adds the routes above to `routes`; the routes share
// ownership of the shop, so it lives as long as they do. Throws StoreError when the database
// cannot be opened. Handlers are safe to call from several threads at once.
void install_shop(Routes& routes, ShopOptions options);

}  // namespace l7::http::shop
