// Set-Cookie and Cookie values and cookie files from arbitrary text: parsing never crashes, a
// parsed cookie respects the documented invariants and formatting it parses back to the same
// cookie; a jar stores it without letting CR or LF into a Cookie field; a cookie file read
// and written again reads back the same.

#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "http/cookie.hpp"
#include "http/cookie_jar.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace l7::http;
    const std::string_view text = l7::fuzz::as_text(data, size);
    const auto pairs = parse_cookie_header(text);
    L7_FUZZ_CHECK(pairs.size() <= kMaxCookiePairs);
    for (const auto& [name, value] : pairs) {
        L7_FUZZ_CHECK(!name.empty());
    }
    (void)parse_cookie_date(text);
    constexpr std::int64_t kNow = 1'700'000'000;
    CookieJar file_jar;
    file_jar.load_netscape(text, kNow);
    const std::string written = file_jar.to_netscape(kNow);
    CookieJar reread;
    reread.load_netscape(written, kNow);
    L7_FUZZ_CHECK(reread.to_netscape(kNow) == written);

    auto cookie = parse_set_cookie(text);
    if (!cookie) {
        return 0;
    }
    L7_FUZZ_CHECK(!cookie->name.empty());
    CookieJar jar;
    const auto url = parse_url("http://www.example.com/a/b");
    L7_FUZZ_CHECK(url.ok());
    jar.receive(*cookie, *url, kNow);
    const std::string header = jar.cookie_header(*url, kNow);
    L7_FUZZ_CHECK(header.find_first_of("\r\n") == std::string::npos);
    L7_FUZZ_CHECK(cookie->name.size() + cookie->value.size() <= kMaxCookieNameValue);
    L7_FUZZ_CHECK(cookie->path.empty() || cookie->path.front() == '/');
    for (char c : cookie->domain) {
        L7_FUZZ_CHECK(c < 'A' || c > 'Z');
    }
    L7_FUZZ_CHECK(cookie->same_site.empty() || cookie->same_site == "Strict" ||
                  cookie->same_site == "Lax" || cookie->same_site == "None");
    // A cookie whose parts stay within the 4.1.1 grammar survives a round trip; one made of
    // arbitrary bytes need not (a ';' in a domain ends it, a second leading '.' is removed
    // again), so only check those.
    const auto plain = [](const std::string& s) {
        for (char c : s) {
            if (c == ';' || c == ' ' || c == '\t' || c == ',' ||
                static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
                return false;
            }
        }
        return true;
    };
    if (plain(cookie->name) && cookie->name.find('=') == std::string::npos &&
        plain(cookie->value) && plain(cookie->domain) && plain(cookie->path) &&
        !cookie->domain.starts_with('.')) {
        auto again = parse_set_cookie(format_set_cookie(*cookie));
        L7_FUZZ_CHECK(again && *again == *cookie);
    }
    return 0;
}
