// `l7 dns resolver`: the recursive service; `l7 dns ctl`: talking to it while it runs.

#include <iostream>

#include "app/cmd_dns_parts.hpp"
#include "core/log.hpp"
#include "dns/asio/recursive_server.hpp"
#include "net/control_socket.hpp"

namespace l7::app {

namespace {
constexpr const char* kControlName = "resolver";
}  // namespace

dns::RootHints make_root_hints(const std::vector<std::string>& roots, const std::string& hints_file,
                               std::uint16_t port) {
    if (!hints_file.empty()) {
        auto h = dns::load_root_hints(hints_file, port);
        if (!h) {
            throw UsageError(h.error().message);
        }
        return std::move(*h);
    }
    const std::vector<std::string> list =
        roots.empty() ? std::vector<std::string>{"127.10.1.1:" + std::to_string(port)} : roots;
    auto h = dns::RootHints::from_servers(list);
    if (!h) {
        throw UsageError("--root: " + h.error().message);
    }
    return std::move(*h);
}

void add_resolver(CLI::App& dns_cmd, Context& ctx) {
    auto common = std::make_shared<CommonOptions>();
    auto listen = std::make_shared<std::vector<std::string>>();
    auto roots = std::make_shared<std::vector<std::string>>();
    auto hints_file = std::make_shared<std::string>();
    auto upstream_port = std::make_shared<std::uint16_t>(53);
    auto forwarders = std::make_shared<std::vector<std::string>>();
    auto allow = std::make_shared<std::vector<std::string>>();
    auto control = std::make_shared<std::string>();
    auto threads = std::make_shared<unsigned>(0);
    auto cache_mib = std::make_shared<std::size_t>(64);
    auto min_ttl = std::make_shared<std::uint32_t>(0);
    auto max_ttl = std::make_shared<std::uint32_t>(86400);
    auto no_minimisation = std::make_shared<bool>(false);
    auto no_stale = std::make_shared<bool>(false);
    auto no_prefetch = std::make_shared<bool>(false);
    auto* cmd = dns_cmd.add_subcommand(
        "resolver", "Caching recursive resolver: the course's local DNS server, over UDP and TCP");
    add_common_options(*cmd, *common);
    cmd->add_option("-l,--listen", *listen, "Address to listen on, UDP and TCP; repeat for several")
        ->check(listen_address_validator())
        ->type_name("ADDR:PORT")
        ->default_str("127.0.0.1:53");
    cmd->add_option("--root", *roots, "A root server to start from; repeat for several")
        ->check(host_port_validator())
        ->type_name("ADDR:PORT")
        ->default_str("127.10.1.1:PORT (the lab's root)");
    cmd->add_option("--hints", *hints_file, "Root hints file (named.root format) instead of --root")
        ->check(CLI::ExistingFile)
        ->type_name("FILE");
    cmd->add_option("--upstream-port", *upstream_port,
                    "Port of the name servers that referrals lead to")
        ->default_str("53");
    cmd->add_option("--forward", *forwarders,
                    "Forwarding mode: send queries to this resolver instead of iterating; repeat "
                    "for several")
        ->check(host_port_validator())
        ->type_name("ADDR:PORT");
    cmd->add_option("--allow", *allow, "Client network to serve; others get REFUSED; repeatable")
        ->type_name("PREFIX")
        ->default_str("127.0.0.0/8 ::1");
    cmd->add_option("--control", *control, "Control socket for `l7 dns ctl`")
        ->type_name("PATH")
        ->default_str(net::default_control_path(kControlName));
    cmd->add_option("--threads", *threads, "Worker threads (default: one per core)")
        ->check(CLI::Range(0u, 256u));
    cmd->add_option("--cache-size", *cache_mib, "Memory for the cache, in MiB")
        ->check(CLI::Range(std::size_t{1}, std::size_t{65536}))
        ->default_str("64");
    cmd->add_option("--min-ttl", *min_ttl, "Keep answers at least this many seconds")
        ->default_str("0");
    cmd->add_option("--max-ttl", *max_ttl, "Keep answers at most this many seconds")
        ->default_str("86400");
    cmd->add_flag("--no-qname-minimisation", *no_minimisation,
                  "Show every server the full name (RFC 9156 off)");
    cmd->add_flag("--no-serve-stale", *no_stale,
                  "Answer SERVFAIL rather than expired data when upstreams fail");
    cmd->add_flag("--no-prefetch", *no_prefetch, "Do not refresh popular entries before expiry");
    cmd->footer(R"(Answers recursive queries (RD=1) from clients on the --allow networks, with RA=1:
from the cache while its data is fresh (TTLs count down), otherwise by resolving the name
iteratively from the root servers: root -> TLD -> the domain's servers, following CNAMEs and
DNAMEs, looking up name servers that came without glue. With --forward, queries go to other
resolvers instead.

Defences against spoofing and cache poisoning: a random id, source port and 0x20 letter
case for every upstream query; replies must match address, port, id and question; records
a server has no authority for are never cached; glue serves only its delegation.

The cache ranks data by credibility (RFC 2181), caches NXDOMAIN and NODATA from the SOA
(RFC 2308), evicts the least recently used entries beyond --cache-size, refreshes popular
entries shortly before they expire, and serves expired data (TTL 30) when every upstream
fails (RFC 8767). `l7 dns ctl` shows statistics, dumps and flushes it while it runs.

The default root is the lab's (start `l7 lab` first); when the lab runs without root
privilege its servers listen on 10053: use --root 127.10.1.1:10053 --upstream-port 10053.

Examples:
  l7 dns resolver --listen 127.0.0.1:5300
  dig @127.0.0.1 -p 5300 gaia.cs.umass.edu
  l7 dns resolver --listen 127.0.0.1:5300 --hints named.root
  l7 dns resolver --listen 127.0.0.1:5301 --forward 127.0.0.1:5300
  l7 dns ctl stats)");
    cmd->callback([=, &ctx] {
        ctx.action = [=, &ctx] {
            apply_common_options(*common, ctx, true);
            dns::RecursiveSetup setup;
            if (forwarders->empty()) {
                setup.hints = make_root_hints(*roots, *hints_file, *upstream_port);
            } else if (!roots->empty() || !hints_file->empty()) {
                throw UsageError("--forward cannot be combined with --root or --hints");
            }
            for (const std::string& f : *forwarders) {
                setup.forwarders.push_back(parse_server(f).to_string());
            }
            setup.upstream_port = *upstream_port;
            if (*min_ttl > *max_ttl) {
                throw UsageError("--min-ttl " + std::to_string(*min_ttl) + " is above --max-ttl " +
                                 std::to_string(*max_ttl));
            }
            setup.cache.min_ttl = *min_ttl;
            setup.cache.max_ttl = *max_ttl;
            setup.cache.max_bytes = *cache_mib * 1024 * 1024;
            setup.limits.qname_minimisation = !*no_minimisation;
            setup.serve_stale = !*no_stale;
            setup.prefetch = !*no_prefetch;
            dns::RecursiveOptions options;
            options.listen = parse_listen_list(
                listen->empty() ? std::vector<std::string>{"127.0.0.1:53"} : *listen);
            if (!allow->empty()) {
                options.allow = dns::AddressList();
                for (const std::string& entry : *allow) {
                    if (auto ok = options.allow.add(entry); !ok) {
                        throw UsageError("--allow: " + ok.error().message);
                    }
                }
            }
            const std::string control_path =
                control->empty() ? net::default_control_path(kControlName) : *control;
            auto resolver = std::make_shared<dns::RecursiveResolver>(std::move(setup));
            net::Runtime runtime({.threads = *threads});
            try {
                dns::start_recursive_server(runtime, options, resolver, ctx.tracer);
                net::serve_control_socket(
                    runtime, control_path,
                    [resolver](std::string_view command) { return resolver->control(command); });
            } catch (const std::system_error& e) {
                log::error("dns", e.what());
                return 1;
            }
            log::info("dns", resolver->forwarding()
                                 ? "forwarding to " + std::to_string(forwarders->size()) +
                                       (forwarders->size() == 1 ? " resolver" : " resolvers")
                                 : "resolving from " +
                                       std::to_string(resolver->setup().hints.servers.size()) +
                                       " root server(s)");
            runtime.run();
            log::info("dns", "stopped");
            return 0;
        };
    });
}

void add_ctl(CLI::App& dns_cmd, Context& ctx) {
    auto common = std::make_shared<CommonOptions>();
    auto control = std::make_shared<std::string>();
    auto words = std::make_shared<std::vector<std::string>>();
    auto subtree = std::make_shared<bool>(false);
    auto* cmd = dns_cmd.add_subcommand("ctl",
                                       "Control a running `l7 dns resolver`: stats, dump, "
                                       "flush");
    add_common_options(*cmd, *common);
    cmd->add_option("COMMAND", *words, "stats | dump | flush NAME | flush-all")->required();
    cmd->add_option("--control", *control, "The resolver's control socket")
        ->type_name("PATH")
        ->default_str(net::default_control_path(kControlName));
    cmd->add_flag("--subtree", *subtree, "With flush: every name below NAME as well");
    cmd->footer(R"(Commands:
  stats          counters: queries, answers from cache, resolutions, upstream queries,
                 refused, SERVFAIL, stale answers, prefetches; cache hits, misses, entries
  dump           every live cache entry as a zone-file record with its remaining TTL;
                 negative entries as a "; NXDOMAIN name" comment and their SOA
  flush NAME     forget everything cached for NAME (--subtree: and below it)
  flush-all      empty the cache

Exit status: 0 on success, 1 when the resolver is not running or refuses the command,
2 for usage errors.

Examples:
  l7 dns ctl stats
  l7 dns ctl flush www.hamburger.edu
  l7 dns ctl flush hamburger.edu --subtree
  l7 dns ctl dump --control /tmp/my-resolver.sock)");
    cmd->callback([=, &ctx] {
        ctx.action = [=, &ctx] {
            apply_common_options(*common, ctx, false);
            const std::string& verb = words->front();
            std::string command = verb;
            if (verb == "flush") {
                if (words->size() != 2) {
                    throw UsageError("flush needs one NAME: l7 dns ctl flush NAME [--subtree]");
                }
                command += " " + (*words)[1] + (*subtree ? " --subtree" : "");
            } else if (verb == "stats" || verb == "dump" || verb == "flush-all") {
                if (words->size() != 1) {
                    throw UsageError(verb + " takes no argument");
                }
            } else {
                throw UsageError("unknown command '" + verb +
                                 "' (expected stats, dump, flush NAME or flush-all)");
            }
            const std::string path =
                control->empty() ? net::default_control_path(kControlName) : *control;
            auto reply = net::control_request(path, command, std::chrono::seconds(30));
            if (!reply) {
                std::cerr << "l7 dns ctl: " << reply.error().message << "\n";
                return 1;
            }
            if (reply->rfind("error:", 0) == 0) {
                std::cerr << "l7 dns ctl: " << reply->substr(7);
                return 1;
            }
            std::cout << *reply;
            return 0;
        };
    });
}

}  // namespace l7::app
