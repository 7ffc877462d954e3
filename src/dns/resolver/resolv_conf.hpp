#pragma once
// /etc/resolv.conf, read the way glibc's resolver reads it (resolv.conf(5); glibc
// resolv/res_init.c), for the stub resolver every l7 client uses (issue 4 point 6).
//
//   nameserver ADDR         IPv4 or IPv6 (fe80::1%eth0 too); the first 3 are used (MAXNS)
//   domain NAME             the search list becomes just NAME
//   search NAME...          the search list; domain and search: the last line wins
//   options ndots:N timeout:N attempts:N rotate edns0 ...
//
// Like glibc, nothing in the file is fatal: a line that cannot be used is skipped. Unlike
// glibc, each skipped line leaves a warning, so a tool can say why a server was not used.
//
// Sans-I/O: parse_resolv_conf takes the text; load_resolv_conf is the file-system wrapper.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.hpp"
#include "dns/name.hpp"

namespace l7::dns {

// glibc's limits (resolv/resolv.h): more name servers are ignored, larger options clamped.
inline constexpr std::size_t kMaxNameservers = 3;   // MAXNS
inline constexpr unsigned kMaxNdots = 15;           // RES_MAXNDOTS
inline constexpr unsigned kMaxTimeoutSeconds = 30;  // RES_MAXRETRANS
inline constexpr unsigned kMaxAttempts = 5;         // RES_MAXRETRY

struct ResolvConf {
    // Port 53 always: resolv.conf has no syntax for another port.
    std::vector<HostPort> nameservers;
    std::vector<Name> search;      // absolute names, tried in order
    unsigned ndots = 1;            // resolv.conf(5): "The default for n is 1"
    unsigned timeout_seconds = 5;  // RES_TIMEOUT
    unsigned attempts = 2;         // RES_DFLRETRY
    bool rotate = false;           // round-robin over the name servers
    bool edns0 = false;
    // True when a domain or search line was seen (even one whose names were all invalid), so
    // load_resolv_conf knows whether the host name's domain is the default search list.
    bool search_given = false;
    std::vector<std::string> warnings;  // "line N: ...", one per skipped line or option
};

// Never fails: an empty text gives the defaults, with 127.0.0.1 as the name server
// (resolv.conf(5): "the default is to use the name server on the local machine").
ResolvConf parse_resolv_conf(std::string_view text);

// Applies one "options" value list (as written after the keyword, or as in the RES_OPTIONS
// environment variable) to `conf`.
void apply_resolv_options(ResolvConf& conf, std::string_view options, std::size_t line = 0);

// The default search list when the file has neither domain nor search: resolv.conf(5), "the
// domain is determined from the local hostname ... everything after the first '.'"; none
// when the host name has no dot.
std::vector<Name> search_from_hostname(std::string_view hostname);

// Reads `path`; a missing or unreadable file gives the defaults (as glibc, plus a warning
// when the file exists but cannot be read). Without a domain or search line the search list
// comes from gethostname(2).
ResolvConf load_resolv_conf(const std::string& path = "/etc/resolv.conf");

// The names to query, in order, for what a user typed (glibc res_search, resolv.conf(5) on
// ndots): a trailing dot means absolute, the name alone; with at least `ndots` dots the name
// as given first, then with each search domain appended; with fewer dots the search domains
// first and the name as given last. Candidates too long to be names are left out, repeats
// too. \. is a dot inside a label and does not count.
std::vector<Name> search_candidates(std::string_view name, const ResolvConf& conf);

}  // namespace l7::dns
