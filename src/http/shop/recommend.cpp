#include "http/shop/recommend.hpp"

#include <algorithm>
#include <string_view>

namespace l7::http::shop {
namespace {

struct CategoryScore {
    std::string_view category;
    std::size_t visits = 0;
    std::size_t newest = 0;  // index in the history of its most recent visit (0 = newest)
};

const Item* item_named(std::span<const Item> items, std::string_view name) {
    for (const Item& item : items) {
        if (item.name == name) {
            return &item;
        }
    }
    return nullptr;
}

}  // namespace

std::vector<const Item*> recommend(std::span<const Visit> history, std::span<const CartLine> cart,
                                   std::span<const Item> items, std::size_t max_count) {
    // The catalogue is small (a dozen items, a handful of categories): linear scans suffice.
    std::vector<CategoryScore> scores;
    for (std::size_t i = 0; i < history.size(); ++i) {
        const Item* item = item_named(items, history[i].item);
        if (item == nullptr) {
            continue;
        }
        auto it = std::find_if(scores.begin(), scores.end(), [&](const CategoryScore& s) {
            return s.category == item->category;
        });
        if (it == scores.end()) {
            scores.push_back({item->category, 1, i});
        } else {
            ++it->visits;
        }
    }
    std::sort(scores.begin(), scores.end(), [](const CategoryScore& a, const CategoryScore& b) {
        if (a.visits != b.visits) {
            return a.visits > b.visits;
        }
        if (a.newest != b.newest) {
            return a.newest < b.newest;
        }
        return a.category < b.category;
    });

    const auto in_cart = [&](const Item& item) {
        return std::any_of(cart.begin(), cart.end(),
                           [&](const CartLine& line) { return line.item == item.name; });
    };
    const auto seen = [&](const Item& item) {
        return std::any_of(history.begin(), history.end(),
                           [&](const Visit& v) { return v.item == item.name; });
    };
    std::vector<const Item*> out;
    for (const CategoryScore& score : scores) {
        for (const bool already_seen : {false, true}) {
            for (const Item& item : items) {
                if (out.size() >= max_count) {
                    return out;
                }
                if (item.category == score.category && !in_cart(item) &&
                    seen(item) == already_seen) {
                    out.push_back(&item);
                }
            }
        }
    }
    return out;
}

}  // namespace l7::http::shop
