#include "http/url.hpp"

#include "http/head_syntax.hpp"
#include "http/target_path.hpp"

namespace l7::http {
namespace {

bool valid_host_char(char c) {
    return is_unreserved(c) || is_sub_delim(c) || c == '%';
}

}  // namespace

std::string Url::authority() const {
    const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    const std::uint16_t default_port = scheme == "https" ? 443 : 80;
    return port == default_port ? h : h + ":" + std::to_string(port);
}

std::string Url::to_string() const {
    return scheme + "://" + authority() + target;
}

Result<Url> parse_url(std::string_view text) {
    if (text.size() > 8192) {
        return make_error("the URL is longer than 8192 characters");
    }
    if (const std::size_t hash = text.find('#'); hash != std::string_view::npos) {
        text = text.substr(0, hash);
    }
    Url url;
    const std::size_t sep = text.find("://");
    if (sep == std::string_view::npos) {
        return make_error("'" + std::string(text) + "' has no scheme (expected http://HOST/...)");
    }
    url.scheme = ascii_lowercase(text.substr(0, sep));
    if (url.scheme != "http" && url.scheme != "https") {
        return make_error("the scheme " + url.scheme + " is not supported (http only)");
    }
    url.port = url.scheme == "https" ? 443 : 80;
    std::string_view rest = text.substr(sep + 3);
    const std::size_t path_start = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, path_start);
    url.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
    if (url.target.front() == '?') {
        url.target.insert(0, "/");
    }
    if (authority.find('@') != std::string_view::npos) {
        return make_error("user names in URLs are not supported");
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            return make_error("an IPv6 address without its closing ]");
        }
        url.host = std::string(authority.substr(1, close - 1));
        const bool ipv6_chars =
            url.host.find(':') != std::string::npos &&
            url.host.find_first_not_of("0123456789abcdefABCDEF:.") == std::string::npos;
        if (!ipv6_chars) {
            return make_error("'[" + url.host + "]' is not an IPv6 address");
        }
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return make_error("garbage after the IPv6 address");
            }
            port_text = after.substr(1);
        }
    } else {
        const std::size_t colon = authority.rfind(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
        }
        for (char c : url.host) {
            if (!valid_host_char(c)) {
                return make_error("the host '" + url.host + "' has an invalid character");
            }
        }
    }
    if (url.host.empty()) {
        return make_error("the URL has no host");
    }
    if (!port_text.empty()) {
        unsigned long port = 0;
        for (char c : port_text) {
            if (c < '0' || c > '9' || port > 65535) {
                return make_error("the port '" + std::string(port_text) + "' is not a number");
            }
            port = port * 10 + static_cast<unsigned long>(c - '0');
        }
        if (port == 0 || port > 65535) {
            return make_error("the port " + std::string(port_text) + " is out of range");
        }
        url.port = static_cast<std::uint16_t>(port);
    }
    for (char c : url.target) {
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F) {
            return make_error("the URL's path has a space or a control character (encode it)");
        }
    }
    return url;
}

namespace {

// RFC 3986 3.1 and 4.2: a reference is absolute when it starts with a scheme and ':'. A ':'
// after the first '/', '?' or '#' ("/go?to=http://x") belongs to a relative reference.
bool has_scheme(std::string_view reference) {
    const std::size_t colon = reference.find(':');
    if (colon == 0 || colon == std::string_view::npos || reference.find_first_of("/?#") < colon) {
        return false;
    }
    const auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!is_alpha(reference.front())) {
        return false;
    }
    for (char c : reference.substr(0, colon)) {
        if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') {
            return false;
        }
    }
    return true;
}

}  // namespace

Result<Url> resolve_reference(const Url& base, std::string_view reference) {
    reference = trim_ows(reference);
    if (reference.empty()) {
        return make_error("an empty Location");
    }
    // The fragment is the client's own (RFC 9110 10.2.2: a Location without one inherits
    // the request's); it never goes into a request-target.
    reference = reference.substr(0, reference.find('#'));
    if (reference.empty()) {
        return base;
    }
    if (has_scheme(reference)) {
        return parse_url(reference);
    }
    if (reference.substr(0, 2) == "//") {
        return parse_url(base.scheme + ":" + std::string(reference));
    }
    Url url = base;
    std::string target;
    if (reference.front() == '/') {
        target = std::string(reference);
    } else if (reference.front() == '?') {
        target = base.target.substr(0, base.target.find('?')) + std::string(reference);
    } else {
        const std::string path = base.target.substr(0, base.target.find('?'));
        target = path.substr(0, path.rfind('/') + 1) + std::string(reference);
    }
    const std::size_t q = target.find('?');
    std::string path = remove_dot_segments(target.substr(0, q));
    url.target = path.empty() ? "/" : path;
    if (q != std::string::npos) {
        url.target += target.substr(q);
    }
    return url;
}

}  // namespace l7::http
