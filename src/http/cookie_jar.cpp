#include "http/cookie_jar.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include "http/head_syntax.hpp"

namespace l7::http {
namespace {

constexpr std::int64_t kEarliest = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kLatest = std::numeric_limits<std::int64_t>::max();

// An IP literal never domain-matches anything but itself (5.1.3: "the string is a host name
// (i.e., not an IP address)"). Url keeps IPv6 without brackets, so a ':' means IPv6; a name
// whose last label is all digits is an IPv4 address (no top-level domain is numeric).
bool is_ip_address(std::string_view host) {
    if (host.find(':') != std::string_view::npos) {
        return true;
    }
    const std::size_t dot = host.rfind('.');
    const std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
    return !last.empty() &&
           std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view request_path(std::string_view target) {
    return target.substr(0, target.find('?'));
}

bool expired(const StoredCookie& c, std::int64_t now) {
    return c.expires && *c.expires <= now;
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
    if (b > 0 && a > kLatest - b) {
        return kLatest;
    }
    if (b < 0 && a < kEarliest - b) {
        return kEarliest;
    }
    return a + b;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
    std::vector<std::string_view> parts;
    while (parts.size() < 8) {
        const std::size_t tab = line.find('\t');
        parts.push_back(line.substr(0, tab));
        if (tab == std::string_view::npos) {
            break;
        }
        line.remove_prefix(tab + 1);
    }
    return parts;
}

}  // namespace

bool domain_match(std::string_view host, std::string_view domain) {
    if (host == domain) {
        return true;
    }
    return !domain.empty() && host.size() > domain.size() && host.ends_with(domain) &&
           host[host.size() - domain.size() - 1] == '.' && !is_ip_address(host);
}

std::string default_path(std::string_view target) {
    const std::string_view path = request_path(target);
    // 5.1.4 steps 2-4.
    if (path.empty() || path.front() != '/') {
        return "/";
    }
    const std::size_t last = path.rfind('/');
    return last == 0 ? "/" : std::string(path.substr(0, last));
}

bool path_match(std::string_view path, std::string_view cookie_path) {
    if (path == cookie_path) {
        return true;
    }
    return path.starts_with(cookie_path) &&
           (cookie_path.ends_with('/') || path[cookie_path.size()] == '/');
}

bool CookieJar::receive(const SetCookie& set, const Url& url, std::int64_t now) {
    const std::string host = ascii_lowercase(url.host);
    const bool secure_origin = url.scheme == "https";
    if (set.secure && !secure_origin) {
        return false;  // RFC 6265bis 5.7 step 14: only a secure origin sets a Secure cookie
    }
    StoredCookie c;
    c.name = set.name;
    c.value = set.value;
    c.creation = c.last_access = now;
    // Step 3: Max-Age wins over Expires; none of them makes a session cookie.
    if (set.max_age) {
        c.expires = *set.max_age <= 0 ? kEarliest : saturating_add(now, *set.max_age);
    } else if (set.expires) {
        c.expires = *set.expires;
    }
    std::string domain = set.domain;
    // Step 5, without a public suffix list: a single label is taken as a public suffix.
    if (!domain.empty() && domain.find('.') == std::string::npos) {
        if (domain != host) {
            return false;
        }
        domain.clear();
    }
    // Step 6.
    if (!domain.empty()) {
        if (!domain_match(host, domain)) {
            return false;
        }
        c.host_only = false;
        c.domain = std::move(domain);
    } else {
        c.host_only = true;
        c.domain = host;
    }
    c.path = set.path.empty() ? default_path(url.target) : set.path;  // step 7
    c.secure = set.secure;
    c.http_only = set.http_only;
    c.same_site = set.same_site;
    insert(std::move(c), now);
    return true;
}

void CookieJar::receive(const Fields& response_fields, const Url& url, std::int64_t now) {
    for (const Field& f : response_fields.all()) {
        if (iequals(f.name, "Set-Cookie")) {
            if (auto set = parse_set_cookie(f.value)) {
                receive(*set, url, now);
            }
        }
    }
}

void CookieJar::insert(StoredCookie c, std::int64_t now) {
    // Step 11: a cookie with the same name, domain and path replaces the old one, keeping its
    // creation time (so its place in the Cookie field).
    const auto old = std::find_if(cookies_.begin(), cookies_.end(), [&](const StoredCookie& o) {
        return o.name == c.name && o.domain == c.domain && o.path == c.path;
    });
    if (old != cookies_.end()) {
        c.creation = old->creation;
        c.order = old->order;
        cookies_.erase(old);
    } else {
        c.order = next_order_++;
    }
    const std::string domain = c.domain;
    cookies_.push_back(std::move(c));
    // "The user agent MUST evict all expired cookies from the cookie store if, at any time,
    // an expired cookie exists in the cookie store": this also deletes a cookie sent with
    // Max-Age=0 or an Expires in the past.
    remove_expired(now);
    evict(domain);
}

void CookieJar::evict(std::string_view domain) {
    const auto lru = [this](auto pred) {
        auto victim = cookies_.end();
        for (auto it = cookies_.begin(); it != cookies_.end(); ++it) {
            if (pred(*it) &&
                (victim == cookies_.end() || it->last_access < victim->last_access ||
                 (it->last_access == victim->last_access && it->order < victim->order))) {
                victim = it;
            }
        }
        if (victim != cookies_.end()) {
            cookies_.erase(victim);
        }
    };
    const auto in_domain = [domain](const StoredCookie& c) { return c.domain == domain; };
    while (static_cast<std::size_t>(std::count_if(cookies_.begin(), cookies_.end(), in_domain)) >
           limits_.max_per_domain) {
        lru(in_domain);
    }
    while (cookies_.size() > limits_.max_cookies) {
        lru([](const StoredCookie&) { return true; });
    }
}

std::string CookieJar::cookie_header(const Url& url, std::int64_t now) {
    remove_expired(now);
    const std::string host = ascii_lowercase(url.host);
    const std::string_view path = request_path(url.target);
    const bool secure_channel = url.scheme == "https";
    std::vector<StoredCookie*> list;
    for (StoredCookie& c : cookies_) {
        const bool host_fits = c.host_only ? host == c.domain : domain_match(host, c.domain);
        if (host_fits && path_match(path, c.path) && (!c.secure || secure_channel)) {
            list.push_back(&c);
        }
    }
    // 5.4 step 2: longer paths first; among equal lengths, earlier creation times first.
    std::sort(list.begin(), list.end(), [](const StoredCookie* a, const StoredCookie* b) {
        if (a->path.size() != b->path.size()) {
            return a->path.size() > b->path.size();
        }
        return a->creation != b->creation ? a->creation < b->creation : a->order < b->order;
    });
    std::string out;
    for (StoredCookie* c : list) {
        c->last_access = now;  // step 3
        if (!out.empty()) {
            out += "; ";
        }
        out += c->name + "=" + c->value;
    }
    return out;
}

void CookieJar::remove_expired(std::int64_t now) {
    std::erase_if(cookies_, [now](const StoredCookie& c) { return expired(c, now); });
}

void CookieJar::remove_session_cookies() {
    std::erase_if(cookies_, [](const StoredCookie& c) { return !c.expires; });
}

std::size_t CookieJar::load_netscape(std::string_view text, std::int64_t now) {
    std::size_t added = 0;
    // The file is bounded by the jar: lines beyond what it can hold are not read.
    while (!text.empty() && added < limits_.max_cookies) {
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        if (line.size() > limits_.max_file_line) {
            continue;
        }
        StoredCookie c;
        constexpr std::string_view kHttpOnly = "#HttpOnly_";
        if (line.starts_with(kHttpOnly)) {
            c.http_only = true;
            line.remove_prefix(kHttpOnly.size());
        } else if (line.empty() || line.front() == '#') {
            continue;
        }
        // domain, includeSubdomains, path, secure, expires, name[, value]: curl writes an
        // empty value as nothing after the last tab, older writers leave that tab out.
        const auto f = split_tabs(line);
        if (f.size() < 6 || f.size() > 7) {
            continue;
        }
        std::string_view domain = f[0];
        if (domain.starts_with('.')) {
            domain.remove_prefix(1);
        }
        std::int64_t expires = 0;
        const auto [end, ec] = std::from_chars(f[4].data(), f[4].data() + f[4].size(), expires);
        // A second leading dot would make a name that no host has and that the file could not
        // hold the same way again.
        if (domain.empty() || domain.starts_with('.') || ec != std::errc() ||
            end != f[4].data() + f[4].size() || !f[2].starts_with('/')) {
            continue;
        }
        c.domain = ascii_lowercase(domain);
        c.host_only = !iequals(f[1], "TRUE");
        c.path = f[2];
        c.secure = iequals(f[3], "TRUE");
        if (expires != 0) {
            c.expires = expires;
        }
        c.name = f[5];
        c.value = f.size() == 7 ? f[6] : std::string_view();
        if (!is_valid_cookie_pair(c.name, c.value)) {
            continue;
        }
        c.creation = c.last_access = now;
        if (expired(c, now)) {
            continue;
        }
        insert(std::move(c), now);
        ++added;
    }
    return added;
}

std::string CookieJar::to_netscape(std::int64_t now) const {
    std::string out =
        "# Netscape HTTP Cookie File\n"
        "# https://curl.se/docs/http-cookies.html\n"
        "# This file was generated by l7. Edit at your own risk.\n\n";
    for (const StoredCookie& c : cookies_) {
        if (expired(c, now)) {
            continue;
        }
        if (c.http_only) {
            out += "#HttpOnly_";
        }
        out += (c.host_only ? "" : ".") + c.domain + "\t";
        out += c.host_only ? "FALSE\t" : "TRUE\t";
        out += c.path + "\t";
        out += c.secure ? "TRUE\t" : "FALSE\t";
        out += std::to_string(c.expires.value_or(0)) + "\t";
        out += c.name + "\t" + c.value + "\n";
    }
    return out;
}

}  // namespace l7::http
