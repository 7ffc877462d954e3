#pragma once
// The shop's catalogue: a fixed, small list of items, each with a category. Item names are
// what URLs (/item/NAME), forms (item=NAME) and the database carry; anything that is not one
// of these names is refused before it reaches the store, so the store never holds a name an
// attacker chose.

#include <span>
#include <string_view>

namespace l7::http::shop {

struct Item {
    std::string_view name;      // [a-z0-9-], unique: the key in URLs, forms and the database
    std::string_view title;     // for people
    std::string_view category;  // what recommendations group by
    int price_cents = 0;
    std::string_view blurb;
};

// Every item, in the order the home page lists them.
std::span<const Item> catalogue();

// The item called `name`, or nullptr.
const Item* find_item(std::string_view name);

}  // namespace l7::http::shop
