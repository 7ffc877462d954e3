#include "ftp/command.hpp"

#include <arpa/inet.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <vector>

namespace l7::ftp {
namespace {

constexpr unsigned char kIac = 0xff;
constexpr unsigned char kSb = 0xfa;  // subnegotiation begins
constexpr unsigned char kSe = 0xf0;  // subnegotiation ends
constexpr unsigned char kWill = 0xfb;
constexpr unsigned char kDont = 0xfe;

std::optional<unsigned> decimal(std::string_view text, unsigned max) {
    if (text.empty() || text.size() > 5) {
        return std::nullopt;
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value > max) {
        return std::nullopt;
    }
    return value;
}

bool is_ipv4(const std::string& text) {
    in_addr a{};
    return ::inet_pton(AF_INET, text.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& text) {
    in6_addr a{};
    return ::inet_pton(AF_INET6, text.c_str(), &a) == 1;
}

// Six numbers from "h1,h2,h3,h4,p1,p2".
std::optional<FtpHostPort> from_six(std::string_view text) {
    std::array<unsigned, 6> n{};
    std::size_t i = 0;
    for (;;) {
        const std::size_t comma = text.find(',');
        if (i == 6) {
            return std::nullopt;
        }
        const auto v = decimal(text.substr(0, comma), 255);
        if (!v) {
            return std::nullopt;
        }
        n[i++] = *v;
        if (comma == std::string_view::npos) {
            break;
        }
        text.remove_prefix(comma + 1);
    }
    if (i != 6) {
        return std::nullopt;
    }
    return FtpHostPort{std::to_string(n[0]) + "." + std::to_string(n[1]) + "." +
                           std::to_string(n[2]) + "." + std::to_string(n[3]),
                       static_cast<std::uint16_t>(n[4] * 256 + n[5])};
}

// An address as 16 bytes (IPv4 as IPv4-mapped IPv6), or nullopt.
std::optional<std::array<unsigned char, 16>> address_bytes(std::string_view text) {
    const std::string t(text);
    std::array<unsigned char, 16> out{};
    in_addr v4{};
    if (::inet_pton(AF_INET, t.c_str(), &v4) == 1) {
        out[10] = 0xff;
        out[11] = 0xff;
        std::memcpy(out.data() + 12, &v4, 4);
        return out;
    }
    in6_addr v6{};
    if (::inet_pton(AF_INET6, t.c_str(), &v6) == 1) {
        std::memcpy(out.data(), &v6, 16);
        return out;
    }
    return std::nullopt;
}

std::vector<std::string_view> eprt_fields(std::string_view argument) {
    std::vector<std::string_view> fields;
    if (argument.size() < 2) {
        return fields;
    }
    const char d = argument.front();
    if (d < '!' || d > '~' || argument.back() != d) {
        return fields;
    }
    std::string_view rest = argument.substr(1, argument.size() - 2);
    for (;;) {
        const std::size_t at = rest.find(d);
        fields.push_back(rest.substr(0, at));
        if (at == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(at + 1);
    }
    return fields;
}

}  // namespace

bool same_ip_address(std::string_view a, std::string_view b) {
    const auto x = address_bytes(a);
    const auto y = address_bytes(b);
    return x && y && *x == *y;
}

bool eprt_unknown_protocol(std::string_view argument) {
    const auto fields = eprt_fields(argument);
    return fields.size() == 3 && !fields[0].empty() && fields[0] != "1" && fields[0] != "2" &&
           decimal(fields[0], 255).has_value();
}

std::string strip_telnet(std::string_view line) {
    std::string out;
    out.reserve(line.size());
    for (std::size_t i = 0; i < line.size(); ++i) {
        const auto c = static_cast<unsigned char>(line[i]);
        if (c != kIac) {
            out += line[i];
            continue;
        }
        if (i + 1 >= line.size()) {
            break;
        }
        const auto command = static_cast<unsigned char>(line[++i]);
        if (command == kIac) {
            out += static_cast<char>(kIac);
        } else if (command >= kWill && command <= kDont) {
            ++i;  // option negotiation: the option byte follows
        } else if (command == kSb) {
            while (i + 1 < line.size() && !(static_cast<unsigned char>(line[i]) == kIac &&
                                            static_cast<unsigned char>(line[i + 1]) == kSe)) {
                ++i;
            }
            ++i;
        }
        // Anything else (IP, DM, AO, AYT, NOP, ...) is a two-byte command: dropped.
    }
    return out;
}

std::optional<FtpCommand> parse_command(std::string_view line) {
    std::size_t n = 0;
    while (n < line.size() && std::isalpha(static_cast<unsigned char>(line[n]))) {
        ++n;
    }
    if (n < 3 || n > 4 || (n < line.size() && line[n] != ' ')) {
        return std::nullopt;
    }
    FtpCommand cmd;
    for (std::size_t i = 0; i < n; ++i) {
        cmd.verb += static_cast<char>(std::toupper(static_cast<unsigned char>(line[i])));
    }
    if (n < line.size()) {
        cmd.argument = std::string(line.substr(n + 1));
    }
    return cmd;
}

std::optional<FtpHostPort> parse_port_argument(std::string_view argument) {
    return from_six(argument);
}

std::optional<std::string> format_port_argument(const FtpHostPort& hp) {
    in_addr a{};
    if (::inet_pton(AF_INET, hp.address.c_str(), &a) != 1) {
        return std::nullopt;
    }
    const auto* b = reinterpret_cast<const unsigned char*>(&a.s_addr);
    return std::to_string(b[0]) + "," + std::to_string(b[1]) + "," + std::to_string(b[2]) + "," +
           std::to_string(b[3]) + "," + std::to_string(hp.port / 256) + "," +
           std::to_string(hp.port % 256);
}

std::optional<FtpHostPort> parse_eprt_argument(std::string_view argument) {
    const auto fields = eprt_fields(argument);
    if (fields.size() != 3) {
        return std::nullopt;
    }
    const auto port = decimal(fields[2], 65535);
    FtpHostPort hp{std::string(fields[1]), 0};
    if (!port || *port == 0) {
        return std::nullopt;
    }
    hp.port = static_cast<std::uint16_t>(*port);
    if ((fields[0] == "1" && is_ipv4(hp.address)) || (fields[0] == "2" && is_ipv6(hp.address))) {
        return hp;
    }
    return std::nullopt;
}

std::string format_eprt_argument(const FtpHostPort& hp) {
    const char* family = hp.address.find(':') == std::string::npos ? "1" : "2";
    return std::string("|") + family + "|" + hp.address + "|" + std::to_string(hp.port) + "|";
}

std::optional<std::string> format_pasv_text(const FtpHostPort& hp) {
    auto six = format_port_argument(hp);
    if (!six) {
        return std::nullopt;
    }
    return "Entering Passive Mode (" + *six + ").";
}

std::optional<FtpHostPort> parse_pasv_text(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
            continue;
        }
        std::size_t end = i;
        while (end < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == ',')) {
            ++end;
        }
        if (auto hp = from_six(text.substr(i, end - i))) {
            return hp;
        }
        i = end;
    }
    return std::nullopt;
}

std::string format_epsv_text(std::uint16_t port) {
    return "Entering Extended Passive Mode (|||" + std::to_string(port) + "|)";
}

std::optional<std::uint16_t> parse_epsv_text(std::string_view text) {
    const std::size_t open = text.find('(');
    const std::size_t close = text.find(')', open == std::string_view::npos ? 0 : open);
    if (open == std::string_view::npos || close == std::string_view::npos || close - open < 6) {
        return std::nullopt;
    }
    const std::string_view inside = text.substr(open + 1, close - open - 1);
    const char d = inside.front();
    if (d < '!' || d > '~' || inside[1] != d || inside[2] != d || inside.back() != d) {
        return std::nullopt;
    }
    const auto port = decimal(inside.substr(3, inside.size() - 4), 65535);
    if (!port || *port == 0) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(*port);
}

}  // namespace l7::ftp
