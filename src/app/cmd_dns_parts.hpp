#pragma once
// The `l7 dns` verbs that live in files of their own (cmd_dns.cpp registers them all).

#include <cstdint>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "dns/resolver/hints.hpp"

namespace l7::app {

// `l7 dns resolver` (the recursive service) and `l7 dns ctl` (its control socket).
void add_resolver(CLI::App& dns_cmd, Context& context);
void add_ctl(CLI::App& dns_cmd, Context& context);
// `l7 dns lookup`: the stub resolver, as every l7 client uses it.
void add_lookup(CLI::App& dns_cmd, Context& context);

// The root servers of --root ADDR:PORT (repeatable; none: the lab's root on `port`) or of a
// --hints file. Throws UsageError naming the option or file.
dns::RootHints make_root_hints(const std::vector<std::string>& roots, const std::string& hints_file,
                               std::uint16_t port);

}  // namespace l7::app
