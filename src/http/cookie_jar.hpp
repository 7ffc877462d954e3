#pragma once
// A user agent's cookie store (RFC 6265 sections 5.3 and 5.4), sans-I/O: the cookies that
// Set-Cookie fields of responses leave, and the Cookie field each request then carries.
// Time is an argument (Unix seconds): nothing here reads a clock or a file.
//
//   receive()        5.3: domain-match against the request host (a Domain the host is not
//                    in is refused), the default-path, host-only cookies, expiry by Max-Age
//                    (preferred) or Expires; a cookie that arrives expired deletes its old
//                    copy. Secure cookies are accepted only over https (RFC 6265bis 5.7).
//   cookie_header()  5.4: the cookies whose domain, path and Secure flag fit the request, the
//                    longest paths first, then the oldest.
//   Netscape file    the cookies.txt format curl and wget read and write (curl -b / -c), so a
//                    jar moves between l7 and curl in both directions.
//
// There is no public suffix list: a Domain without an inner dot ("com", "localhost") counts
// as a public suffix, so it only yields a host-only cookie for a host of exactly that name
// (5.3 step 5). The store is bounded (RFC 6265 6.1's minimums, raised as browsers do): when a
// domain or the whole jar is full, the least recently used cookie goes first.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/cookie.hpp"
#include "http/fields.hpp"
#include "http/url.hpp"

namespace l7::http {

struct StoredCookie {
    std::string name, value;
    std::string domain;  // lowercase, no leading dot: the request host when host_only
    std::string path;    // always starts with '/'
    std::optional<std::int64_t> expires;  // Unix seconds; nullopt: a session cookie
    bool host_only = true;
    bool secure = false, http_only = false;
    std::string same_site;
    std::int64_t creation = 0, last_access = 0;
    std::uint64_t order = 0;  // breaks creation-time ties: insertion order

    friend bool operator==(const StoredCookie&, const StoredCookie&) = default;
};

struct CookieJarLimits {
    std::size_t max_cookies = 3000;
    std::size_t max_per_domain = 180;
    std::size_t max_file_line = 16384;  // longer lines of a cookie file are skipped
};

// Helpers of sections 5.1.3 and 5.1.4, exposed for tests.
// Whether `host` (lowercase) domain-matches `domain`: identical, or a suffix after a '.' when
// the host is a name and not an IP address.
bool domain_match(std::string_view host, std::string_view domain);
// The default-path of a request-target ("/a/b/c?q" -> "/a/b", "/x" -> "/").
std::string default_path(std::string_view target);
// Whether the request path (the target without its query) path-matches `cookie_path`.
bool path_match(std::string_view request_path, std::string_view cookie_path);

class CookieJar {
  public:
    explicit CookieJar(CookieJarLimits limits = {}) : limits_(limits) {}

    // 5.3: stores a cookie received in the response to a request for `url` at `now`. Returns
    // false when the cookie is refused (a Domain the host does not match, Secure over http).
    bool receive(const SetCookie& cookie, const Url& url, std::int64_t now);
    // Every Set-Cookie field of a response; those that do not parse are ignored (5.2).
    void receive(const Fields& response_fields, const Url& url, std::int64_t now);

    // 5.4: the Cookie field value for a request to `url` at `now` ("" when no cookie
    // applies); updates the last-access time of the cookies it names.
    std::string cookie_header(const Url& url, std::int64_t now);

    // Drops the cookies expired at `now`.
    void remove_expired(std::int64_t now);
    // Drops the session cookies (curl's --junk-session-cookies).
    void remove_session_cookies();

    // Reads a Netscape cookie file's text, adding its cookies (a later line for the same
    // name, domain and path replaces an earlier one); comments, blank lines, malformed and
    // expired lines are skipped. Returns how many cookies were added.
    std::size_t load_netscape(std::string_view text, std::int64_t now);
    // The jar as curl writes it: the "# Netscape HTTP Cookie File" header, then one line per
    // unexpired cookie: domain (a leading '.' when it includes subdomains), TRUE/FALSE for
    // subdomains, path, TRUE/FALSE for Secure, expiry (0 for a session cookie), name, value,
    // separated by tabs; "#HttpOnly_" before the domain of an HttpOnly cookie.
    std::string to_netscape(std::int64_t now) const;

    const std::vector<StoredCookie>& cookies() const { return cookies_; }

  private:
    void insert(StoredCookie cookie, std::int64_t now);
    void evict(std::string_view domain);

    CookieJarLimits limits_;
    std::vector<StoredCookie> cookies_;
    std::uint64_t next_order_ = 0;
};

}  // namespace l7::http
