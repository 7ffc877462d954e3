#include "http/shop/shop.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <limits>
#include <memory>

#include "core/log.hpp"
#include "core/secure_random.hpp"
#include "http/shop/cookies.hpp"
#include "http/shop/form_input.hpp"
#include "http/shop/pages.hpp"
#include "http/shop/recommend.hpp"
#include "http/shop/session_id.hpp"

namespace l7::http::shop {
namespace {

constexpr std::size_t kRecommendations = 3;
// The sid cookie is sent again (its Max-Age restarting) when the last one is this old, so an
// active visitor's browser keeps it about as long as the database keeps the session.
constexpr std::int64_t kCookieRefresh = 24 * 3600;
// Expired sessions are swept at most this often, when a new session is made.
constexpr std::int64_t kSweepInterval = 3600;

Reply html_reply(std::string html) {
    Reply r;
    r.response.fields.add("Content-Type", "text/html; charset=utf-8");
    r.body.push_back({std::move(html), std::nullopt});
    return r;
}

// 303 See Other (RFC 9110 15.4.4): after a POST, the browser GETs `location`, so reloading
// the page it lands on does not post the form again.
Reply see_other(std::string location) {
    Reply r = html_reply("<!DOCTYPE html>\n<html><body><p>See <a href=\"" + location + "\">" +
                         location + "</a>.</p></body></html>\n");
    r.response.status = 303;
    r.response.fields.add("Location", std::move(location));
    return r;
}

// A form's qty: a whole number from 1 to `max`, written in at most a few digits.
std::optional<std::int64_t> parse_quantity(std::string_view text, std::int64_t max) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > max) {
        return std::nullopt;
    }
    return value;
}

bool is_theme(std::string_view theme) {
    return theme == "light" || theme == "dark";
}

// Where POST /prefs may send the browser back to: a path of ours, never "//host" (which a
// browser reads as another site) nor anything with characters our paths do not use.
bool is_local_path(std::string_view path) {
    return path.size() <= 256 && path.starts_with('/') && !path.starts_with("//") &&
           std::all_of(path.begin(), path.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '-';
           });
}

std::int64_t system_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Who is asking: the session this request belongs to, found or just made.
struct Visitor {
    std::int64_t now = 0;  // the clock, read once per request
    Session session;
    bool fresh = false;        // created by this request
    bool send_cookie = false;  // this reply carries Set-Cookie: sid
    std::vector<SetCookie> set_cookies;
};

class Shop {
  public:
    explicit Shop(ShopOptions options)
        : options_(std::move(options)), store_(options_.database, options_.limits) {
        if (!options_.clock) {
            options_.clock = system_seconds;
        }
        if (!options_.random) {
            options_.random = secure_random64;
        }
    }

    using Page = Reply (Shop::*)(const RouteRequest&, Visitor&);

    // Every route goes through here: find or make the session, run the page, add the cookies
    // and the cache policy. A database failure is a 500 for this request, never a crash.
    Reply serve(const RouteRequest& r, Page page) {
        try {
            const std::int64_t now = options_.clock();
            Visitor visitor = identify(r, now);
            Reply reply = (this->*page)(r, visitor);
            for (const SetCookie& c : visitor.set_cookies) {
                reply.response.fields.add("Set-Cookie", format_set_cookie(c));
            }
            reply.response.fields.set("Cache-Control", "no-store");
            return reply;
        } catch (const std::exception& e) {
            log::error("shop",
                       r.peer.address() + ": " + r.request.method + " " + r.path + ": " + e.what());
            Reply reply = error_reply(500, "The shop's database failed; try again later.");
            reply.response.fields.set("Cache-Control", "no-store");
            return reply;
        }
    }

    Reply home(const RouteRequest& r, Visitor& v) {
        const auto visits = store_.visits(v.session.id);
        const auto cart = store_.cart(v.session.id);
        const auto recommended = recommend(visits, cart, catalogue(), kRecommendations);
        return html_reply(home_page(context(r, v, cart), recommended));
    }

    Reply item(const RouteRequest& r, Visitor& v) {
        const Item* found = find_item(r.rest);
        if (found == nullptr) {
            return error_reply(404, "The shop has no item called \"" + r.rest + "\".");
        }
        if (r.request.method != "HEAD") {
            store_.record_visit(v.session.id, *found, v.now);
        }
        const auto cart = store_.cart(v.session.id);
        return html_reply(item_page(context(r, v, cart), *found, store_.limits().max_quantity));
    }

    Reply show_cart(const RouteRequest& r, Visitor& v) {
        const auto visits = store_.visits(v.session.id);
        const auto cart = store_.cart(v.session.id);
        const auto recommended = recommend(visits, cart, catalogue(), kRecommendations);
        const Item* last_added = nullptr;
        for (const std::string& name : cookie_values(r.request, kLastAddedCookie)) {
            if ((last_added = find_item(name)) != nullptr) {
                break;
            }
        }
        return html_reply(cart_page(context(r, v, cart), cart, recommended, last_added));
    }

    Reply add_to_cart(const RouteRequest& r, Visitor& v) {
        auto form = read_form(r.request.fields, r.body);
        if (!form) {
            return error_reply(form.error().status, form.error().message);
        }
        const auto name = form_value(*form, "item");
        if (!name) {
            return error_reply(400, "The form has no item field.");
        }
        const Item* found = find_item(*name);
        if (found == nullptr) {
            return error_reply(400, "The shop has no item called \"" + std::string(*name) + "\".");
        }
        const std::int64_t max = store_.limits().max_quantity;
        const auto quantity = parse_quantity(form_value(*form, "qty").value_or("1"), max);
        if (!quantity) {
            return error_reply(400,
                               "qty must be a whole number from 1 to " + std::to_string(max) + ".");
        }
        if (store_.add_to_cart(v.session.id, *found, *quantity) == AddResult::cart_full) {
            return error_reply(409, "A cart holds at most " +
                                        std::to_string(store_.limits().max_cart_lines) +
                                        " different items.");
        }
        v.set_cookies.push_back(last_added_cookie(found->name, options_.secure_cookies));
        return see_other("/cart");
    }

    Reply clear_cart(const RouteRequest&, Visitor& v) {
        store_.clear_cart(v.session.id);
        v.set_cookies.push_back(last_added_removal(options_.secure_cookies));
        return see_other("/cart");
    }

    Reply history(const RouteRequest& r, Visitor& v) {
        const auto cart = store_.cart(v.session.id);
        return html_reply(history_page(context(r, v, cart), store_.visits(v.session.id)));
    }

    Reply prefs(const RouteRequest& r, Visitor& v) {
        auto form = read_form(r.request.fields, r.body);
        if (!form) {
            return error_reply(form.error().status, form.error().message);
        }
        const auto theme = form_value(*form, "theme");
        if (!theme || !is_theme(*theme)) {
            return error_reply(400, "theme must be light or dark.");
        }
        v.set_cookies.push_back(theme_cookie(*theme, options_.secure_cookies));
        const auto back = form_value(*form, "back");
        return see_other(back && is_local_path(*back) ? std::string(*back) : "/");
    }

  private:
    // The session of the first sid cookie that names a live one; else a new session. A
    // browser may send several sid cookies (one set with another Path, say): each is tried.
    Visitor identify(const RouteRequest& r, std::int64_t now) {
        Visitor v;
        v.now = now;
        const auto offered = cookie_values(r.request, kSessionCookie);
        bool well_formed = false;
        for (const std::string& id : offered) {
            if (!is_session_id(id)) {
                continue;
            }
            well_formed = true;
            if (auto s = store_.touch_session(id, now, options_.session_max_age)) {
                v.session = std::move(*s);
                break;
            }
        }
        if (v.session.id.empty()) {
            if (!offered.empty()) {
                // The value is not logged: an expired sid was once a credential.
                log::info("shop", r.peer.address() + ": " +
                                      (well_formed ? "unknown or expired" : "malformed") +
                                      " sid cookie, replaced by a new session");
            }
            sweep(now);
            v.session.id = make_session_id(options_.random);
            store_.create_session(v.session.id, now);
            v.session.created = v.session.last_seen = v.session.cookie_sent = now;
            v.session.requests = 1;
            v.fresh = true;
            v.send_cookie = true;
        } else if (now - v.session.cookie_sent >= kCookieRefresh) {
            store_.mark_cookie_sent(v.session.id, now);
            v.send_cookie = true;
        }
        if (v.send_cookie) {
            v.set_cookies.push_back(
                session_cookie(v.session.id, options_.session_max_age, options_.secure_cookies));
        }
        return v;
    }

    // Lazy expiry: idle sessions go when new ones come, at most once per kSweepInterval
    // (touch_session also refuses, and deletes, an expired session it is asked about).
    void sweep(std::int64_t now) {
        std::int64_t last = last_sweep_.load();
        if (now - last < kSweepInterval || !last_sweep_.compare_exchange_strong(last, now)) {
            return;
        }
        const std::size_t gone = store_.expire_sessions(now, options_.session_max_age);
        if (gone > 0) {
            log::info("shop", std::to_string(gone) + " idle sessions expired");
        }
    }

    PageContext context(const RouteRequest& r, const Visitor& v,
                        const std::vector<CartLine>& cart) const {
        PageContext c;
        c.path = is_local_path(r.path) ? r.path : "/";
        for (const std::string& theme : cookie_values(r.request, kThemeCookie)) {
            if (is_theme(theme)) {
                c.theme = theme;
                break;
            }
        }
        c.cookie_header = cookie_header_text(r.request);
        for (const SetCookie& set : v.set_cookies) {
            c.set_cookies.push_back(format_set_cookie(set));
        }
        c.first_visit = v.fresh;
        c.requests = v.session.requests;
        c.member_since = v.session.created;
        for (const CartLine& line : cart) {
            c.cart_items += line.quantity;
        }
        return c;
    }

    ShopOptions options_;
    Store store_;
    std::atomic<std::int64_t> last_sweep_{std::numeric_limits<std::int64_t>::min() / 2};
};

}  // namespace

void install_shop(Routes& routes, ShopOptions options) {
    auto shop = std::make_shared<Shop>(std::move(options));
    const auto add = [&](const char* method, const char* pattern, Shop::Page page) {
        routes.add(method, pattern,
                   [shop, page](const RouteRequest& r) { return shop->serve(r, page); });
    };
    add("GET", "/", &Shop::home);
    add("GET", "/item/*", &Shop::item);
    add("GET", "/cart", &Shop::show_cart);
    add("POST", "/cart", &Shop::add_to_cart);
    add("POST", "/cart/clear", &Shop::clear_cart);
    add("GET", "/history", &Shop::history);
    add("POST", "/prefs", &Shop::prefs);
}

}  // namespace l7::http::shop
