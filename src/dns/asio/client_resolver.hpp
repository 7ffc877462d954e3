#pragma once
// The resolver every l7 client command shares (socket clients now; HTTP, FTP and the SMTP
// relay later): one StubResolver per process, built on first use from /etc/resolv.conf and
// /etc/hosts, unless the environment names the resolvers to ask:
//
//   L7_RESOLVER=127.10.0.53          the lab's local DNS server (port 53 unless given)
//   L7_RESOLVER=127.0.0.1:5300,::1   several, tried in order
//
// so that `export L7_RESOLVER=127.10.0.53` makes every l7 client find the lab's names
// (gaia.cs.umass.edu, www.hamburger.edu, ...) the way hosts in the course ask their local
// DNS server.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "dns/asio/stub_resolver.hpp"

namespace l7::dns {

// The resolvers of L7_RESOLVER, or none when it is unset or empty. The error names the
// variable and the entry.
Result<std::vector<HostPort>> resolvers_from_environment();

// The process's shared stub resolver; an error when L7_RESOLVER or a file is wrong.
Result<StubResolver*> client_resolver();

// The addresses of `host` in the order to try them (Happy Eyeballs); an IP literal is its own
// answer. The error is one sentence ("gaia.example: no such name ...").
Result<std::vector<std::string>> resolve_host(std::string_view host);

}  // namespace l7::dns
