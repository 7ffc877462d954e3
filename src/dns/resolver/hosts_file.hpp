#pragma once
// /etc/hosts (hosts(5)), read the way glibc's "files" source reads it before DNS is asked
// (nsswitch.conf "hosts: files dns"), so that `localhost` and the machine's own names resolve
// without a server, for the stub resolver every l7 client uses (issue 4 point 6).
//
//   ADDR NAME [ALIAS...]    ADDR is IPv4 (dotted quad) or IPv6; NAME and ALIASes are equal
//   # comment               from # to the end of the line, wherever it starts
//
// Names are compared without ASCII case, and one final dot is ignored on both sides
// ("localhost." finds "localhost"). A name listed on several lines gets the addresses of all
// of them, in file order, without repeats (glibc's getaddrinfo merges them the same way).
//
// As in load_resolv_conf, nothing in the text is fatal: a line that cannot be used is skipped
// with a warning ("line N: ..."). Every size is bounded (the constants below), so a hostile or
// runaway file costs bounded memory and time.
//
// Sans-I/O: parse_hosts_file takes the text; load_hosts_file is the file-system wrapper.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"

namespace l7::dns {

inline constexpr std::size_t kMaxHostsLine = 4096;            // longer lines are skipped
inline constexpr std::size_t kMaxHostsLines = 262144;         // later lines are ignored
inline constexpr std::size_t kMaxHostsAddressesPerName = 64;  // more are ignored
inline constexpr std::size_t kMaxHostsWarnings = 50;          // then one "and N more" warning
inline constexpr std::size_t kMaxHostsFileBytes = 16 * 1024 * 1024;
// The longest name in presentation form without its final dot (RFC 1035 section 2.3.4's 255
// wire bytes); longer words cannot be domain names and are skipped.
inline constexpr std::size_t kMaxHostsName = 253;

struct HostsAddress {
    bool ipv6 = false;
    std::string text;  // canonical form (inet_ntop): "::1", "2001:db8::1", "127.0.0.1"

    friend bool operator==(const HostsAddress&, const HostsAddress&) = default;
};

class HostsFile {
  public:
    // The addresses listed for `name`, in file order; empty when the file does not list it.
    // The span stays valid as long as this HostsFile is neither changed nor destroyed.
    std::span<const HostsAddress> lookup(std::string_view name) const;

    std::size_t name_count() const { return names_.size(); }
    // "line N: ...", one per skipped line or word (at most kMaxHostsWarnings, then a count).
    const std::vector<std::string>& warnings() const { return warnings_; }

  private:
    friend HostsFile parse_hosts_file(std::string_view text);

    std::unordered_map<std::string, std::vector<HostsAddress>> names_;  // lowercase, no dot
    std::vector<std::string> warnings_;
};

// Never fails; an empty text gives an empty HostsFile.
HostsFile parse_hosts_file(std::string_view text);

// Reads `path`. A missing file gives an empty HostsFile (glibc then asks DNS); a file that
// exists but cannot be read, or that is larger than kMaxHostsFileBytes, is an error whose
// sentence names the file.
Result<HostsFile> load_hosts_file(const std::string& path);

}  // namespace l7::dns
