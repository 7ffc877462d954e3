#pragma once
// The shop's HTML: small pages a student can read with View Source. Every piece of text that
// is not a literal here goes through escape_html, the Cookie header the browser sent
// included. Each page ends with a "Cookies" box that shows the course's point: what the
// browser sent, what this response sets, and what page JavaScript can read (document.cookie,
// which leaves out HttpOnly cookies such as sid).
//
// Forms are real <form method="post"> elements, so the pages work in a browser without
// JavaScript; the one inline script only fills in the document.cookie line.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/shop/catalogue.hpp"
#include "http/shop/store.hpp"

namespace l7::http::shop {

// What every page shows around its content.
struct PageContext {
    std::string path = "/";                    // of this page: where the theme form returns
    std::string theme = "light";               // "light" or "dark", from the theme cookie
    std::optional<std::string> cookie_header;  // the Cookie field as received
    std::vector<std::string> set_cookies;      // the Set-Cookie values this response carries
    bool first_visit = false;                  // the session was created by this request
    std::int64_t requests = 0;                 // of this session, this one included
    std::int64_t member_since = 0;             // when the session was created
    std::int64_t cart_items = 0;               // the sum of the cart's quantities
};

std::string home_page(const PageContext& context, const std::vector<const Item*>& recommended);

std::string item_page(const PageContext& context, const Item& item, std::int64_t max_quantity);

// `lines` whose item the catalogue no longer knows are left out. `last_added` is the value
// of the Path=/cart cookie, already checked against the catalogue.
std::string cart_page(const PageContext& context, const std::vector<CartLine>& lines,
                      const std::vector<const Item*>& recommended, const Item* last_added);

std::string history_page(const PageContext& context, const std::vector<Visit>& visits);

// "$12.90".
std::string format_price(std::int64_t cents);

}  // namespace l7::http::shop
