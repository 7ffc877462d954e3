#include "http/shop/cookies.hpp"

namespace l7::http::shop {
namespace {

SetCookie cookie(std::string_view name, std::string_view value, std::string_view path,
                 std::int64_t max_age, bool secure) {
    SetCookie c;
    c.name = std::string(name);
    c.value = std::string(value);
    c.path = std::string(path);
    c.max_age = max_age;
    c.secure = secure;
    c.same_site = "Lax";
    return c;
}

}  // namespace

std::vector<std::string> cookie_values(const Request& request, std::string_view name) {
    std::vector<std::string> values;
    for (const Field& field : request.fields.all()) {
        if (!iequals(field.name, "Cookie")) {
            continue;
        }
        for (auto& [n, v] : parse_cookie_header(field.value)) {
            if (values.size() >= kMaxCookiesOfOneName) {
                return values;
            }
            if (n == name) {  // cookie names are case-sensitive (RFC 6265 5.4)
                values.push_back(std::move(v));
            }
        }
    }
    return values;
}

std::optional<std::string> cookie_header_text(const Request& request) {
    std::optional<std::string> text;
    for (const Field& field : request.fields.all()) {
        if (iequals(field.name, "Cookie")) {
            text = text ? *text + "; " + field.value : field.value;
        }
    }
    return text;
}

SetCookie session_cookie(std::string_view id, std::int64_t max_age, bool secure) {
    SetCookie c = cookie(kSessionCookie, id, "/", max_age, secure);
    c.http_only = true;
    return c;
}

SetCookie theme_cookie(std::string_view theme, bool secure) {
    return cookie(kThemeCookie, theme, "/", kThemeMaxAge, secure);
}

SetCookie last_added_cookie(std::string_view item, bool secure) {
    return cookie(kLastAddedCookie, item, "/cart", kLastAddedMaxAge, secure);
}

SetCookie last_added_removal(bool secure) {
    return cookie(kLastAddedCookie, "", "/cart", 0, secure);
}

}  // namespace l7::http::shop
