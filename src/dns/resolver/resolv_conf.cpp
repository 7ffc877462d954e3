#include "dns/resolver/resolv_conf.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>

namespace l7::dns {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';  // \r: files written on Windows
}

// The line's words, up to a comment. resolv.conf(5) makes only a # or ; in the first column
// a comment; a # or ; that starts a later word ends the line too, because no address or
// domain name in the file can begin with one (glibc would take "# dns" after "search" as two
// more domains).
std::vector<std::string_view> words(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_blank(line[i])) {
            ++i;
        }
        if (i == line.size() || line[i] == '#' || line[i] == ';') {
            break;
        }
        const std::size_t start = i;
        while (i < line.size() && !is_blank(line[i])) {
            ++i;
        }
        out.push_back(line.substr(start, i - start));
    }
    return out;
}

void warn(ResolvConf& conf, std::size_t line, const std::string& message) {
    conf.warnings.push_back(line == 0 ? message : "line " + std::to_string(line) + ": " + message);
}

std::string quoted(std::string_view s) {
    return "'" + std::string(s) + "'";
}

void add_nameserver(ResolvConf& conf, const std::vector<std::string_view>& w, std::size_t line) {
    if (w.size() < 2) {
        warn(conf, line, "nameserver without an address, ignored");
        return;
    }
    if (conf.nameservers.size() == kMaxNameservers) {
        warn(conf, line, "nameserver " + quoted(w[1]) + " ignored: only the first 3 are used");
        return;
    }
    HostPort server{std::string(w[1]), 53};
    if (server.host.find('%') != std::string::npos) {
        // glibc accepts a zone index (fe80::1%eth0); HostPort has no place for one yet.
        warn(conf, line,
             "nameserver " + quoted(w[1]) +
                 " ignored: scoped IPv6 addresses are "
                 "not supported");
        return;
    }
    if (!server.is_address_literal()) {
        warn(conf, line, "nameserver " + quoted(w[1]) + " ignored: not an IPv4 or IPv6 address");
        return;
    }
    conf.nameservers.push_back(std::move(server));
}

// domain NAME and search NAME...: the last such line replaces the list (resolv.conf(5)).
void set_search(ResolvConf& conf, const std::vector<std::string_view>& w, std::size_t line) {
    conf.search.clear();
    conf.search_given = true;
    const std::size_t last = w[0] == "domain" ? std::min<std::size_t>(w.size(), 2) : w.size();
    for (std::size_t i = 1; i < last; ++i) {
        auto name = Name::parse(w[i]);
        if (!name) {
            warn(conf, line, "search domain " + quoted(w[i]) + " ignored: " + name.error().message);
            continue;
        }
        const bool seen =
            std::find(conf.search.begin(), conf.search.end(), *name) != conf.search.end();
        if (!seen) {
            conf.search.push_back(std::move(*name));
        }
    }
    if (w.size() == 1) {
        warn(conf, line, std::string(w[0]) + " without a name: the search list is now empty");
    }
}

// "ndots:N" and the like: N clamped to [low, high], as glibc clamps (it reads N with atoi;
// here a value that is not a number is ignored rather than read as 0).
bool read_number(ResolvConf& conf, std::string_view option, std::string_view prefix, unsigned low,
                 unsigned high, unsigned& out, std::size_t line) {
    if (!option.starts_with(prefix)) {
        return false;
    }
    const std::string_view digits = option.substr(prefix.size());
    unsigned long long value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    const bool all_digits = !digits.empty() && end == digits.data() + digits.size();
    if (!all_digits || (ec != std::errc{} && ec != std::errc::result_out_of_range)) {
        warn(conf, line, "option " + quoted(option) + " ignored: expected a number after ':'");
        return true;
    }
    if (ec == std::errc::result_out_of_range || value > high) {
        value = high;
    }
    out = std::max(static_cast<unsigned>(value), low);
    return true;
}

// glibc's other options: accepted without effect here, so they raise no warning.
constexpr std::array<std::string_view, 14> kOtherGlibcOptions = {
    "debug",         "inet6",          "ip6-bytestring", "ip6-dotint",
    "no-ip6-dotint", "no-check-names", "single-request", "single-request-reopen",
    "no-tld-query",  "use-vc",         "no-reload",      "trust-ad",
    "no-aaaa",       "insecure1"};

std::size_t count_unescaped_dots(std::string_view name) {
    std::size_t dots = 0;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '\\') {
            ++i;  // the escaped character (or the first digit of \DDD) is not a separator
        } else if (name[i] == '.') {
            ++dots;
        }
    }
    return dots;
}

bool ends_with_unescaped_dot(std::string_view name) {
    if (name.empty() || name.back() != '.') {
        return false;
    }
    std::size_t backslashes = 0;
    for (std::size_t i = name.size() - 1; i > 0 && name[i - 1] == '\\'; --i) {
        ++backslashes;
    }
    return backslashes % 2 == 0;
}

void add_candidate(std::vector<Name>& out, Result<Name> name) {
    if (name && std::find(out.begin(), out.end(), *name) == out.end()) {
        out.push_back(std::move(*name));
    }
}

}  // namespace

void apply_resolv_options(ResolvConf& conf, std::string_view options, std::size_t line) {
    for (std::string_view option : words(options)) {
        if (read_number(conf, option, "ndots:", 0, kMaxNdots, conf.ndots, line) ||
            read_number(conf, option, "timeout:", 1, kMaxTimeoutSeconds, conf.timeout_seconds,
                        line) ||
            read_number(conf, option, "attempts:", 1, kMaxAttempts, conf.attempts, line)) {
            continue;
        }
        if (option == "rotate") {
            conf.rotate = true;
        } else if (option == "edns0") {
            conf.edns0 = true;
        } else if (std::find(kOtherGlibcOptions.begin(), kOtherGlibcOptions.end(), option) ==
                   kOtherGlibcOptions.end()) {
            warn(conf, line, "unknown option " + quoted(option) + " ignored");
        }
    }
}

ResolvConf parse_resolv_conf(std::string_view text) {
    ResolvConf conf;
    std::size_t line_number = 0;
    while (!text.empty()) {
        const std::size_t end = std::min(text.find('\n'), text.size());
        const std::string_view line = text.substr(0, end);
        text.remove_prefix(std::min(end + 1, text.size()));
        ++line_number;

        const std::vector<std::string_view> w = words(line);
        if (w.empty()) {
            continue;
        }
        if (w[0] == "nameserver") {
            add_nameserver(conf, w, line_number);
        } else if (w[0] == "domain" || w[0] == "search") {
            set_search(conf, w, line_number);
        } else if (w[0] == "options") {
            apply_resolv_options(conf, line.substr(w[0].data() + w[0].size() - line.data()),
                                 line_number);
        }
        // Anything else (sortlist, lookup, family, typos) is ignored, as resolv.conf(5) does.
    }
    if (conf.nameservers.empty()) {
        conf.nameservers.push_back(HostPort{"127.0.0.1", 53});
    }
    return conf;
}

std::vector<Name> search_from_hostname(std::string_view hostname) {
    const std::size_t dot = hostname.find('.');
    if (dot == std::string_view::npos || dot + 1 >= hostname.size()) {
        return {};
    }
    auto domain = Name::parse(hostname.substr(dot + 1));
    if (!domain || domain->is_root()) {
        return {};
    }
    return {std::move(*domain)};
}

ResolvConf load_resolv_conf(const std::string& path) {
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    const int open_errno = errno;
    ResolvConf conf;
    if (in) {
        std::ostringstream text;
        text << in.rdbuf();
        conf = parse_resolv_conf(text.str());
    } else {
        conf = parse_resolv_conf("");
        if (open_errno != ENOENT) {
            warn(conf, 0,
                 "cannot read '" + path + "': " + std::strerror(open_errno) +
                     "; using the defaults");
        }
    }
    if (!conf.search_given) {
        std::array<char, HOST_NAME_MAX + 1> host{};
        if (::gethostname(host.data(), host.size() - 1) == 0) {
            conf.search = search_from_hostname(host.data());
        }
    }
    return conf;
}

std::vector<Name> search_candidates(std::string_view name, const ResolvConf& conf) {
    std::vector<Name> out;
    if (name.empty()) {
        return out;
    }
    if (ends_with_unescaped_dot(name)) {
        add_candidate(out, Name::parse(name));
        return out;
    }
    const bool as_is_first = count_unescaped_dots(name) >= conf.ndots;
    if (as_is_first) {
        add_candidate(out, Name::parse(name));
    }
    for (const Name& domain : conf.search) {
        add_candidate(out, Name::parse(name, domain));
    }
    if (!as_is_first) {
        add_candidate(out, Name::parse(name));
    }
    return out;
}

}  // namespace l7::dns
