#pragma once
// "Customers who looked at this...": the shop's use of the history a cookie lets it keep
// (Kurose & Ross 2.2.4). A pure function of the visits, the cart and the catalogue, so that it
// can be tested without a database.
//
// The categories are ranked by how many of the visits fall in them (ties: the category
// visited most recently first, then by name); the recommendations are the items of those
// categories, best category first, leaving out what is already in the cart. Within a
// category, items not yet looked at come before the ones already seen, each group in
// catalogue order. Visits of names the catalogue does not know are ignored.

#include <cstddef>
#include <span>
#include <vector>

#include "http/shop/catalogue.hpp"
#include "http/shop/store.hpp"

namespace l7::http::shop {

// `history` is newest first (as Store::visits returns it). At most `max_count` items.
std::vector<const Item*> recommend(std::span<const Visit> history, std::span<const CartLine> cart,
                                   std::span<const Item> items, std::size_t max_count);

}  // namespace l7::http::shop
