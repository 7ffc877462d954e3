#include "http/shop/pages.hpp"

#include "http/html_escape.hpp"
#include "http/http_date.hpp"
#include "http/target_path.hpp"

namespace l7::http::shop {
namespace {

constexpr std::string_view kStyle =
    R"(body { font-family: sans-serif; max-width: 44em; margin: 1em auto; padding: 0 1em; }
body.dark { background: #1d1f21; color: #e0e0e0; }
body.dark a { color: #8ab4f8; }
header, footer { border: 1px solid #8888; padding: 0.5em 1em; }
footer { margin-top: 2em; font-size: 90%; }
code { word-break: break-all; }
td, th { padding: 0.2em 0.8em; text-align: left; }
)";

std::string item_link(const Item& item) {
    return "<a href=\"/item/" + escape_html(percent_encode(item.name)) + "\">" +
           escape_html(item.title) + "</a>";
}

std::string recommendations(const std::vector<const Item*>& items) {
    if (items.empty()) {
        return {};
    }
    std::string html =
        "<h2>Recommended for you</h2>\n<p>From the categories you looked at "
        "most (your history is kept on our side, found through your sid "
        "cookie):</p>\n<ul>\n";
    for (const Item* item : items) {
        html += "<li>" + item_link(*item) + " (" + escape_html(item->category) + ")</li>\n";
    }
    return html + "</ul>\n";
}

std::string cookie_box(const PageContext& c) {
    std::string html = "<footer>\n<h2>Cookies</h2>\n<p>Your browser sent: ";
    html += c.cookie_header ? "<code>Cookie: " + escape_html(*c.cookie_header) + "</code>"
                            : std::string("no Cookie header.");
    html += "</p>\n";
    for (const std::string& set : c.set_cookies) {
        html += "<p>This response sets: <code>Set-Cookie: " + escape_html(set) + "</code></p>\n";
    }
    html +=
        "<p>Page JavaScript (<code>document.cookie</code>) sees: <code id=\"js-cookies\">"
        "(JavaScript is off)</code><br>sid is HttpOnly, so scripts never see it; theme is "
        "not.</p>\n"
        "<form method=\"post\" action=\"/prefs\"><input type=\"hidden\" name=\"back\" "
        "value=\"" +
        escape_html(c.path) + "\"><label>Theme: <select name=\"theme\">";
    for (const std::string_view theme : {"light", "dark"}) {
        html += "<option value=\"" + std::string(theme) + "\"" +
                (c.theme == theme ? " selected" : "") + ">" + std::string(theme) + "</option>";
    }
    html +=
        "</select></label> <button type=\"submit\">Save</button> (a cookie too)</form>\n"
        "<script>document.getElementById(\"js-cookies\").textContent = document.cookie || "
        "\"(none)\";</script>\n</footer>\n";
    return html;
}

std::string page(const PageContext& c, std::string_view title, std::string_view content) {
    std::string html =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>";
    html += escape_html(title);
    html += " - Network Utopia shop</title>\n<style>\n";
    html += kStyle;
    html += "</style>\n</head>\n<body class=\"" + escape_html(c.theme) + "\">\n<header>";
    html += "<a href=\"/\">Network Utopia shop</a> | <a href=\"/cart\">Cart (" +
            std::to_string(c.cart_items) + ")</a> | <a href=\"/history\">History</a></header>\n";
    html += "<main>\n<h1>" + escape_html(title) + "</h1>\n";
    html += content;
    html += "</main>\n" + cookie_box(c) + "</body>\n</html>\n";
    return html;
}

}  // namespace

std::string format_price(std::int64_t cents) {
    const std::int64_t rest = cents % 100;
    return "$" + std::to_string(cents / 100) + "." + (rest < 10 ? "0" : "") + std::to_string(rest);
}

std::string home_page(const PageContext& c, const std::vector<const Item*>& recommended) {
    std::string html;
    if (c.first_visit) {
        html +=
            "<p>Welcome! This is your first visit: the server has just made you an id, "
            "stored it in its database and sent it to your browser in a Set-Cookie "
            "header. Your browser will send it back with every request.</p>\n";
    } else {
        html += "<p>Welcome back! You have visited " + std::to_string(c.requests) +
                " times since " + escape_html(format_http_date(c.member_since)) + ".</p>\n";
    }
    html += recommendations(recommended);
    html += "<h2>Catalogue</h2>\n<table>\n<tr><th>Item</th><th>Category</th><th>Price</th></tr>\n";
    for (const Item& item : catalogue()) {
        html += "<tr><td>" + item_link(item) + "</td><td>" + escape_html(item.category) +
                "</td><td>" + format_price(item.price_cents) + "</td></tr>\n";
    }
    html += "</table>\n";
    return page(c, "Welcome", html);
}

std::string item_page(const PageContext& c, const Item& item, std::int64_t max_quantity) {
    std::string html = "<p>" + escape_html(item.blurb) +
                       "</p>\n<p>Category: " + escape_html(item.category) +
                       ". Price: " + format_price(item.price_cents) + ".</p>\n";
    html +=
        "<form method=\"post\" action=\"/cart\">\n<input type=\"hidden\" name=\"item\" "
        "value=\"" +
        escape_html(item.name) +
        "\">\n<label>Quantity: <input type=\"number\" name=\"qty\" value=\"1\" min=\"1\" "
        "max=\"" +
        std::to_string(max_quantity) +
        "\"></label>\n<button type=\"submit\">Add to cart</button>\n</form>\n";
    html += "<p>This visit is now in your <a href=\"/history\">history</a>.</p>\n";
    return page(c, item.title, html);
}

std::string cart_page(const PageContext& c, const std::vector<CartLine>& lines,
                      const std::vector<const Item*>& recommended, const Item* last_added) {
    std::string html;
    std::int64_t total = 0;
    std::string rows;
    for (const CartLine& line : lines) {
        const Item* item = find_item(line.item);
        if (item == nullptr) {
            continue;
        }
        const std::int64_t subtotal = item->price_cents * line.quantity;
        total += subtotal;
        rows += "<tr><td>" + item_link(*item) + "</td><td>" + std::to_string(line.quantity) +
                "</td><td>" + format_price(subtotal) + "</td></tr>\n";
    }
    if (rows.empty()) {
        html += "<p>Your cart is empty.</p>\n";
    } else {
        html += "<table>\n<tr><th>Item</th><th>Quantity</th><th>Price</th></tr>\n" + rows +
                "<tr><th>Total</th><td></td><th>" + format_price(total) + "</th></tr>\n</table>\n";
        html +=
            "<form method=\"post\" action=\"/cart/clear\"><button type=\"submit\">Empty the "
            "cart</button></form>\n";
    }
    if (last_added != nullptr) {
        html += "<p>Last added: " + item_link(*last_added) +
                " (from the last_added cookie, which has Path=/cart: your browser sends it "
                "only to pages under /cart).</p>\n";
    }
    html += recommendations(recommended);
    return page(c, "Your cart", html);
}

std::string history_page(const PageContext& c, const std::vector<Visit>& visits) {
    std::string html;
    if (visits.empty()) {
        html += "<p>No item pages visited yet.</p>\n";
    } else {
        html +=
            "<p>The item pages you visited, newest first, as our database remembers them "
            "under your sid:</p>\n<ol>\n";
        for (const Visit& v : visits) {
            const Item* item = find_item(v.item);
            html += "<li>" + (item ? item_link(*item) : escape_html(v.item)) + " at " +
                    escape_html(format_http_date(v.at)) + "</li>\n";
        }
        html += "</ol>\n";
    }
    return page(c, "Your history", html);
}

}  // namespace l7::http::shop
