#pragma once
// http:// URLs for the client (RFC 3986, RFC 9110 section 4.2): parsing what a user typed and
// resolving a Location against the URL it came from.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace l7::http {

struct Url {
    std::string scheme;  // "http" (or "https", refused by the client until TLS exists)
    std::string host;    // without brackets for IPv6
    std::uint16_t port = 80;
    std::string target;  // path and query, "/" at least: the request-target (origin-form)

    // host[:port] as the Host field wants it (the port only when not the default).
    std::string authority() const;
    std::string to_string() const;
};

// "http://host[:port][/path][?query]" (a fragment is dropped); the error names the problem.
Result<Url> parse_url(std::string_view text);

// A Location value resolved against `base` (RFC 3986 section 5.2): absolute, network-path
// ("//host/..."), absolute-path or relative-path references.
Result<Url> resolve_reference(const Url& base, std::string_view reference);

}  // namespace l7::http
