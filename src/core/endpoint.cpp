#include "core/endpoint.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace l7 {

namespace {

// inet_pton reads a C string: a NUL inside would hide what follows it.
bool is_ipv4(const std::string& s) {
    if (s.find('\0') != std::string::npos) {
        return false;
    }
    in_addr a{};
    return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& s) {
    if (s.find('\0') != std::string::npos) {
        return false;
    }
    in6_addr a{};
    return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

bool valid_hostname(std::string_view h) {
    if (h.empty() || h.size() > 253) {
        return false;
    }
    for (char c : h) {
        const bool ok =
            std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

}  // namespace

bool HostPort::is_ipv6_literal() const {
    return is_ipv6(host);
}

bool HostPort::is_address_literal() const {
    return is_ipv4(host) || is_ipv6(host);
}

std::string HostPort::to_string() const {
    if (is_ipv6_literal()) {
        return "[" + host + "]:" + std::to_string(port);
    }
    return host + ":" + std::to_string(port);
}

Result<HostPort> parse_host_port(std::string_view text, int default_port) {
    const std::string quoted = "'" + std::string(text) + "'";
    HostPort hp;
    std::string_view port_text;
    bool has_port = false;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            return make_error(quoted + " has '[' without ']'");
        }
        hp.host = std::string(text.substr(1, close - 1));
        if (!is_ipv6(hp.host)) {
            return make_error(quoted + " has no IPv6 address inside [ ]");
        }
        const auto rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return make_error(quoted + " needs ':' between ']' and the port");
            }
            port_text = rest.substr(1);
            has_port = true;
        }
    } else {
        const auto colon = text.rfind(':');
        if (colon != std::string_view::npos && text.find(':') != colon) {
            return make_error(quoted + " looks like IPv6: write it as [ADDR]:PORT");
        }
        if (colon == std::string_view::npos) {
            hp.host = std::string(text);
        } else {
            hp.host = std::string(text.substr(0, colon));
            port_text = text.substr(colon + 1);
            has_port = true;
        }
        if (!valid_hostname(hp.host)) {
            return make_error(quoted + " does not start with an address or host name");
        }
    }
    if (!has_port) {
        if (default_port < 0) {
            return make_error(quoted + " needs a port, as in ADDR:PORT");
        }
        hp.port = static_cast<std::uint16_t>(default_port);
        return hp;
    }
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (port_text.empty() || ec != std::errc{} || ptr != port_text.data() + port_text.size() ||
        value > 65535) {
        return make_error(quoted + " has no valid port (0 to 65535)");
    }
    hp.port = static_cast<std::uint16_t>(value);
    return hp;
}

Result<HostPort> parse_listen_address(std::string_view text) {
    auto hp = parse_host_port(text);
    if (!hp) {
        return hp;
    }
    if (!hp->is_address_literal()) {
        return make_error("'" + std::string(text) +
                          "' must name an IP address to listen on, such as 127.0.0.1:PORT or "
                          "[::1]:PORT");
    }
    return hp;
}

}  // namespace l7
