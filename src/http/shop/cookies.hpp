#pragma once
// The shop's three cookies, each showing one attribute at work (RFC 6265 section 4.1.2):
//
//   sid=<32 hex>  Path=/      Max-Age=30 days  HttpOnly  SameSite=Lax   the session key
//   theme=dark    Path=/      Max-Age=1 year             SameSite=Lax   readable by scripts
//   last_added=X  Path=/cart  Max-Age=1 hour             SameSite=Lax   sent only under /cart
//
// HttpOnly keeps sid away from document.cookie, so injected script cannot steal the session.
// SameSite=Lax keeps the browser from sending the cookies with a POST that another site's
// page makes (the cart cannot be filled by cross-site request forgery). Secure, when the shop
// is served over https, keeps them off plain-http connections.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/cookie.hpp"
#include "http/message.hpp"

namespace l7::http::shop {

inline constexpr std::string_view kSessionCookie = "sid";
inline constexpr std::string_view kThemeCookie = "theme";
inline constexpr std::string_view kLastAddedCookie = "last_added";
inline constexpr std::int64_t kThemeMaxAge = 365 * 24 * 3600;
inline constexpr std::int64_t kLastAddedMaxAge = 3600;
// Several cookies of one name (set with different paths, or by another app on the host) are
// tried in the order sent, at most this many.
inline constexpr std::size_t kMaxCookiesOfOneName = 4;

// Every value of cookie `name` in the request's Cookie fields, in order, at most
// kMaxCookiesOfOneName.
std::vector<std::string> cookie_values(const Request& request, std::string_view name);

// The request's Cookie fields joined with "; " (to show the user); nullopt when there is none.
std::optional<std::string> cookie_header_text(const Request& request);

SetCookie session_cookie(std::string_view id, std::int64_t max_age, bool secure);
SetCookie theme_cookie(std::string_view theme, bool secure);
SetCookie last_added_cookie(std::string_view item, bool secure);
// Max-Age=0: tells the browser to delete last_added (RFC 6265 5.3 step 11).
SetCookie last_added_removal(bool secure);

}  // namespace l7::http::shop
