// `l7 dns lookup`: the stub resolver that every l7 client uses, from the command line, so a
// user sees exactly what a client would connect to, in the order it would try.

#include <algorithm>
#include <cctype>
#include <iostream>

#include "app/cmd_dns_parts.hpp"
#include "core/log.hpp"
#include "dns/asio/stub_resolver.hpp"

namespace l7::app {

namespace {

enum class LookupType { addresses, a, aaaa, mx, srv };

LookupType parse_lookup_type(const std::string& given) {
    std::string text = given;
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (text == "ADDR") {
        return LookupType::addresses;
    }
    if (text == "A") {
        return LookupType::a;
    }
    if (text == "AAAA") {
        return LookupType::aaaa;
    }
    if (text == "MX") {
        return LookupType::mx;
    }
    if (text == "SRV") {
        return LookupType::srv;
    }
    throw UsageError("unknown type '" + given + "': the types are ADDR, A, AAAA, MX and SRV");
}

// --server ADDR[:PORT]: the port defaults to 53; a name is refused, since looking up the
// resolver's own server would need a resolver.
HostPort parse_lookup_server(const std::string& text) {
    auto hp = parse_host_port(text, 53);
    if (!hp) {
        throw UsageError("--server: " + hp.error().message);
    }
    if (!hp->is_address_literal()) {
        throw UsageError("--server " + text + ": give an IP address, such as 127.0.0.1:5353");
    }
    return *hp;
}

// Names as a client would type them: without the root's final dot ("mail.example.com").
std::string host_text(const dns::Name& name) {
    std::string text = name.to_text();
    if (text.size() > 1 && text.back() == '.') {
        text.pop_back();
    }
    return text;
}

// Prints the results one per line (exit 0), or the error's sentence (exit 1; 2 for a name
// that is not one, which is bad usage).
template <class T, class Print>
int report(const dns::StubResult<T>& result, Print print) {
    if (!result) {
        if (result.error().code == dns::StubErrc::bad_name) {
            throw UsageError(result.error().message);
        }
        const std::string& message = result.error().message;
        std::cerr << "l7 dns lookup: " << message << (message.ends_with('.') ? "\n" : ".\n");
        return 1;
    }
    for (const auto& item : *result) {
        print(item);
    }
    return 0;
}

}  // namespace

void add_lookup(CLI::App& dns_cmd, Context& ctx) {
    auto common = std::make_shared<CommonOptions>();
    auto name = std::make_shared<std::string>();
    auto type = std::make_shared<std::string>("ADDR");
    auto servers = std::make_shared<std::vector<std::string>>();
    auto resolv_conf = std::make_shared<std::string>("/etc/resolv.conf");
    auto hosts = std::make_shared<std::string>("/etc/hosts");
    auto timeout = std::make_shared<std::string>();
    auto attempts = std::make_shared<unsigned>(0);
    auto* cmd = dns_cmd.add_subcommand(
        "lookup",
        "Look a name up as l7's clients do: hosts file, search list, then addresses, MX or SRV");
    add_common_options(*cmd, *common);
    cmd->add_option("NAME", *name,
                    "The host name, mail domain or SRV name (_service._proto.domain)")
        ->required();
    cmd->add_option("TYPE", *type, "ADDR (AAAA and A), A, AAAA, MX or SRV")->default_str("ADDR");
    cmd->add_option("-s,--server", *servers,
                    "A recursive resolver to ask instead of resolv.conf's; repeat for several")
        ->type_name("ADDR[:PORT]")
        ->default_str("from resolv.conf");
    cmd->add_option("--resolv-conf", *resolv_conf,
                    "Resolver configuration: nameservers, search list, ndots, timeout, attempts, "
                    "rotate")
        ->check(CLI::ExistingFile)
        ->type_name("FILE")
        ->default_str("/etc/resolv.conf");
    cmd->add_option("--hosts", *hosts, "Hosts file read before DNS (/dev/null for none)")
        ->check(CLI::ExistingFile)
        ->type_name("FILE")
        ->default_str("/etc/hosts");
    cmd->add_option("--timeout", *timeout, "Wait this long for each try of each server")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("resolv.conf's timeout, 5s");
    cmd->add_option("--attempts", *attempts, "Rounds over the servers before giving up")
        ->check(CLI::Range(1u, 5u))
        ->default_str("resolv.conf's attempts, 2");
    cmd->footer(R"(Prints what a client would connect to, one result per line, in the order it
would try them:

  ADDR (default)  addresses of both families, IPv6 first, then alternating (Happy
                  Eyeballs, RFC 8305 section 4); A or AAAA: one family only
  MX              PREFERENCE EXCHANGE, lowest preference first, equal ones in random
                  order (RFC 5321 section 5.1)
  SRV             PRIORITY WEIGHT PORT TARGET, by priority, then by weighted random
                  choice (RFC 2782)

How a name is looked up, as glibc's resolver does it: an IP address is its own answer;
the hosts file comes first (for addresses); then the search list and ndots of resolv.conf
choose the names to ask for (with `search example.com`, `www` is asked as www.example.com.
first, then as www.). MX and SRV names are taken as fully qualified. The servers are tried
in turn, one try of --timeout each, for --attempts rounds: a server that does not answer,
or answers SERVFAIL or REFUSED, gives way to the next. CNAMEs are followed. A domain that
has no MX records prints an error: a mail client then delivers to the domain's own
address (RFC 5321 section 5.1); a null MX (RFC 7505) means the domain accepts no mail.

Exit status: 0 with results; 1 when the name does not exist, has no records of the type,
declines the service, or no server answered (one sentence on stderr says which); 2 for
usage errors.

Examples:
  l7 dns lookup localhost
  l7 dns lookup www.hamburger.edu --server 127.10.0.53         # the lab's resolver
  l7 dns lookup hamburger.edu MX --server 127.10.0.53:10053     # lab without root
  l7 dns lookup _sip._udp.example.com SRV --server 127.0.0.1:5353
  l7 dns lookup www --resolv-conf lab-resolv.conf --trace)");
    cmd->callback([=, &ctx] {
        ctx.action = [=, &ctx] {
            apply_common_options(*common, ctx, false);
            const LookupType kind = parse_lookup_type(*type);
            dns::StubOptions options;
            for (const std::string& s : *servers) {
                options.servers.push_back(parse_lookup_server(s));
            }
            options.resolv_conf_path = *resolv_conf;
            options.hosts_path = *hosts;
            if (!timeout->empty()) {
                const auto t = std::chrono::duration_cast<std::chrono::milliseconds>(
                    parse_duration_option(*timeout));
                if (t.count() <= 0) {
                    throw UsageError("--timeout " + *timeout + ": must be at least 1ms");
                }
                options.timeout = t;
            }
            if (*attempts != 0) {
                options.attempts = *attempts;
            }
            options.cache_entries = 64;  // one command, a few questions
            options.tracer = &ctx.tracer;
            auto resolver = dns::StubResolver::create(std::move(options));
            if (!resolver) {
                throw UsageError(resolver.error().message);
            }
            for (const std::string& w : resolver->warnings()) {
                log::warn("dns", w);
            }
            switch (kind) {
                case LookupType::mx:
                    return report(resolver->lookup_mx(*name), [](const dns::MxTarget& mx) {
                        std::cout << mx.preference << ' ' << host_text(mx.exchange) << '\n';
                    });
                case LookupType::srv:
                    return report(resolver->lookup_srv(*name), [](const dns::SrvTarget& srv) {
                        std::cout << srv.priority << ' ' << srv.weight << ' ' << srv.port << ' '
                                  << host_text(srv.target) << '\n';
                    });
                case LookupType::a:
                case LookupType::aaaa:
                case LookupType::addresses:
                    break;
            }
            const dns::AddressFamily family = kind == LookupType::a      ? dns::AddressFamily::v4
                                              : kind == LookupType::aaaa ? dns::AddressFamily::v6
                                                                         : dns::AddressFamily::any;
            return report(resolver->lookup_addresses(*name, family),
                          [](const std::string& address) { std::cout << address << '\n'; });
        };
    });
}

}  // namespace l7::app
