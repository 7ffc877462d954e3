#include "dns/resolver/hosts_file.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

namespace l7::dns {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';  // \r: files written on Windows
}

// The line's words up to a comment; hosts(5) makes everything from # on a comment, wherever
// it starts.
std::vector<std::string_view> words(std::string_view line) {
    line = line.substr(0, std::min(line.find('#'), line.size()));
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_blank(line[i])) {
            ++i;
        }
        const std::size_t start = i;
        while (i < line.size() && !is_blank(line[i])) {
            ++i;
        }
        if (i > start) {
            out.push_back(line.substr(start, i - start));
        }
    }
    return out;
}

// The key a name is stored and looked up under: lowercase, one final dot dropped.
std::string key_of(std::string_view name) {
    if (name.size() > 1 && name.back() == '.') {
        name.remove_suffix(1);
    }
    std::string key(name);
    std::transform(key.begin(), key.end(), key.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
    });
    return key;
}

// inet_pton reads a C string: a NUL inside the word would hide what follows it.
std::optional<HostsAddress> parse_address(std::string_view word) {
    if (word.find('\0') != std::string_view::npos || word.size() > INET6_ADDRSTRLEN) {
        return std::nullopt;
    }
    const std::string text(word);
    unsigned char bytes[16];
    char canonical[INET6_ADDRSTRLEN];
    for (const int family : {AF_INET, AF_INET6}) {
        if (inet_pton(family, text.c_str(), bytes) == 1 &&
            inet_ntop(family, bytes, canonical, sizeof canonical) != nullptr) {
            return HostsAddress{family == AF_INET6, canonical};
        }
    }
    return std::nullopt;
}

class Warnings {
  public:
    explicit Warnings(std::vector<std::string>& out) : out_(out) {}
    ~Warnings() {
        if (dropped_ > 0) {
            out_.push_back("and " + std::to_string(dropped_) + " more problems");
        }
    }
    Warnings(const Warnings&) = delete;
    Warnings& operator=(const Warnings&) = delete;

    void add(std::size_t line, const std::string& message) {
        if (out_.size() < kMaxHostsWarnings) {
            out_.push_back("line " + std::to_string(line) + ": " + message);
        } else {
            ++dropped_;
        }
    }

  private:
    std::vector<std::string>& out_;
    std::size_t dropped_ = 0;
};

std::string quoted(std::string_view s) {
    return "'" + std::string(s.substr(0, 80)) + (s.size() > 80 ? "...'" : "'");
}

}  // namespace

std::span<const HostsAddress> HostsFile::lookup(std::string_view name) const {
    if (name.empty() || name.size() > kMaxHostsName + 1) {
        return {};
    }
    const auto it = names_.find(key_of(name));
    if (it == names_.end()) {
        return {};
    }
    return it->second;
}

HostsFile parse_hosts_file(std::string_view text) {
    HostsFile hosts;
    Warnings warn(hosts.warnings_);
    std::size_t line_number = 0;
    while (!text.empty()) {
        const std::size_t end = std::min(text.find('\n'), text.size());
        const std::string_view line = text.substr(0, end);
        text.remove_prefix(std::min(end + 1, text.size()));
        if (++line_number > kMaxHostsLines) {
            warn.add(line_number, "this and later lines ignored: only the first " +
                                      std::to_string(kMaxHostsLines) + " are read");
            break;
        }
        if (line.size() > kMaxHostsLine) {
            warn.add(line_number,
                     "longer than " + std::to_string(kMaxHostsLine) + " bytes, ignored");
            continue;
        }
        const std::vector<std::string_view> w = words(line);
        if (w.empty()) {
            continue;
        }
        const auto address = parse_address(w[0]);
        if (!address) {
            warn.add(line_number, quoted(w[0]) + " is not an IPv4 or IPv6 address, line ignored");
            continue;
        }
        if (w.size() == 1) {
            warn.add(line_number, "address " + quoted(w[0]) + " without a name, ignored");
            continue;
        }
        for (std::size_t i = 1; i < w.size(); ++i) {
            const std::string key = key_of(w[i]);
            if (key.size() > kMaxHostsName) {
                warn.add(line_number, "name " + quoted(w[i]) + " is too long, ignored");
                continue;
            }
            std::vector<HostsAddress>& list = hosts.names_[key];
            if (std::find(list.begin(), list.end(), *address) != list.end()) {
                continue;
            }
            if (list.size() == kMaxHostsAddressesPerName) {
                warn.add(line_number, "more than " + std::to_string(kMaxHostsAddressesPerName) +
                                          " addresses for " + quoted(w[i]) + ", this one ignored");
                continue;
            }
            list.push_back(*address);
        }
    }
    return hosts;
}

Result<HostsFile> load_hosts_file(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        return make_error("cannot read hosts file '" + path + "': it is a directory");
    }
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int open_errno = errno;
        if (open_errno == ENOENT) {
            return HostsFile{};  // no file, no entries: glibc goes on to DNS
        }
        return make_error("cannot read hosts file '" + path +
                          "': " + std::strerror(open_errno != 0 ? open_errno : EIO));
    }
    // In chunks, so a small file costs little and a huge one stops at the limit.
    std::string text;
    char chunk[65536];
    while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
        text.append(chunk, static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxHostsFileBytes) {
            return make_error("hosts file '" + path + "' is larger than " +
                              std::to_string(kMaxHostsFileBytes / (1024 * 1024)) + " MiB");
        }
    }
    if (in.bad()) {
        return make_error("cannot read hosts file '" + path + "': read error");
    }
    return parse_hosts_file(text);
}

}  // namespace l7::dns
