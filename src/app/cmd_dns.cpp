// `l7 dns ...`: the authoritative server, the zone checker and the dig-like client.

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <random>
#include <sstream>

#include "app/cli.hpp"
#include "app/cmd_dns_parts.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "dns/asio/client.hpp"
#include "dns/asio/iterative.hpp"
#include "dns/asio/maintenance.hpp"
#include "dns/asio/server.hpp"
#include "dns/asio/update_service.hpp"
#include "dns/master.hpp"
#include "dns/message_text.hpp"
#include "dns/rdata.hpp"
#include "dns/resolver/hints.hpp"
#include "dns/resolver/resolution.hpp"
#include "dns/tsig.hpp"
#include "dns/zone.hpp"

namespace l7::app {

namespace {

constexpr const char* default_listen = "127.0.0.1:53";

dns::Name parse_origin(const std::string& text, const std::string& what) {
    auto name = dns::Name::parse(text);
    if (!name) {
        throw UsageError(what + ": '" + text + "' is not a domain name (" + name.error().message +
                         ")");
    }
    return *name;
}

// --zone ORIGIN=FILE
dns::ZoneSource parse_zone_option(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
        throw UsageError("--zone " + text +
                         ": expected ORIGIN=FILE, e.g. example.com=example.com.zone");
    }
    dns::ZoneSource z;
    z.origin = parse_origin(text.substr(0, eq), "--zone");
    z.file = text.substr(eq + 1);
    return z;
}

// --secondary ORIGIN=PRIMARY[:PORT]
dns::ZoneSource parse_secondary_option(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
        throw UsageError("--secondary " + text +
                         ": expected ORIGIN=PRIMARY:PORT, e.g. example.com=127.0.0.1:53");
    }
    dns::ZoneSource z;
    z.origin = parse_origin(text.substr(0, eq), "--secondary");
    z.primary = parse_server(text.substr(eq + 1));
    return z;
}

struct ServeSettings {
    std::vector<dns::ZoneSource> zones;
    std::vector<HostPort> notify;  // for every primary zone
    std::vector<std::string> allow_transfer;
    dns::TsigKeyring keys;
    std::vector<HostPort> listen;
    unsigned threads = 0;
    dns::ServerOptions server;
};

// The TOML form of the same settings; command-line options win over the file.
void read_serve_config(const std::string& path, ServeSettings& s, bool listen_given) {
    const auto root = config::Table::load_file(path);
    root.allow_only({"listen", "threads", "max-udp-size", "tcp-idle-timeout", "max-tcp-connections",
                     "allow-transfer", "zone", "key"});
    if (root.has("allow-transfer")) {
        s.allow_transfer = root.get_strings("allow-transfer");
        for (const std::string& entry : s.allow_transfer) {
            dns::AddressList probe;
            if (auto ok = probe.add(entry); !ok) {
                root.fail("allow-transfer", ok.error().message);
            }
        }
    }
    for (const config::Table& k : root.get_tables("key")) {
        k.allow_only({"name", "algorithm", "secret"});
        const auto name = k.get_string("name");
        const auto secret = k.get_string("secret");
        if (!name || !secret) {
            k.fail(name ? "secret" : "name", "every [[key]] needs a name and a secret (base64)");
        }
        auto key = dns::parse_tsig_key(k.get_string("algorithm").value_or("hmac-sha256") + ":" +
                                       *name + ":" + *secret);
        if (!key) {
            k.fail("secret", key.error().message);
        }
        s.keys.add(std::move(*key));
    }
    if (!listen_given) {
        for (const std::string& text : root.get_strings("listen")) {
            auto hp = parse_listen_address(text);
            if (!hp) {
                root.fail("listen", hp.error().message);
            }
            s.listen.push_back(*hp);
        }
    }
    if (auto t = root.get_integer("threads", 0, 256)) {
        s.threads = static_cast<unsigned>(*t);
    }
    if (auto v = root.get_integer("max-udp-size", 512, 65535)) {
        s.server.responder.max_udp_size = static_cast<std::uint16_t>(*v);
    }
    if (auto d = root.get_duration("tcp-idle-timeout")) {
        s.server.tcp_idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
    }
    if (auto v = root.get_integer("max-tcp-connections", 1, 1'000'000)) {
        s.server.max_tcp_connections = static_cast<std::size_t>(*v);
    }
    const std::string dir =
        path.find('/') == std::string::npos ? "" : path.substr(0, path.rfind('/') + 1);
    for (const config::Table& z : root.get_tables("zone")) {
        z.allow_only({"origin", "file", "primary", "notify"});
        const auto origin = z.get_string("origin");
        const auto file = z.get_string("file");
        const auto primary = z.get_string("primary");
        if (!origin) {
            z.fail("origin", "every [[zone]] needs an origin");
        }
        if (!file && !primary) {
            z.fail("file", "a [[zone]] needs a file (primary zone) or a primary (secondary zone)");
        }
        auto name = dns::Name::parse(*origin);
        if (!name) {
            z.fail("origin", "not a domain name: " + name.error().message);
        }
        dns::ZoneSource source;
        source.origin = *name;
        if (file) {
            // Relative zone files are found beside the configuration file.
            source.file = file->starts_with('/') ? *file : dir + *file;
        }
        if (primary) {
            auto hp = parse_host_port(*primary);
            if (!hp) {
                z.fail("primary", hp.error().message);
            }
            source.primary = *hp;
        }
        for (const std::string& target : z.get_strings("notify")) {
            auto hp = parse_host_port(target);
            if (!hp) {
                z.fail("notify", hp.error().message);
            }
            source.notify.push_back(*hp);
        }
        s.zones.push_back(std::move(source));
    }
}

void add_serve(CLI::App& dns_cmd, Context& ctx) {
    auto common = std::make_shared<CommonOptions>();
    auto zones = std::make_shared<std::vector<std::string>>();
    auto secondaries = std::make_shared<std::vector<std::string>>();
    auto notify = std::make_shared<std::vector<std::string>>();
    auto allow_transfer = std::make_shared<std::vector<std::string>>();
    auto tsig_keys = std::make_shared<std::vector<std::string>>();
    auto listen = std::make_shared<std::vector<std::string>>();
    auto config_path = std::make_shared<std::string>();
    auto threads = std::make_shared<unsigned>(0);
    auto max_udp = std::make_shared<std::uint16_t>(1232);
    auto idle = std::make_shared<std::string>("10s");
    auto* cmd = dns_cmd.add_subcommand("serve",
                                       "Authoritative DNS server for zone files, over UDP and TCP");
    add_common_options(*cmd, *common);
    cmd->add_option("-z,--zone", *zones,
                    "Serve a zone: its origin and zone file; repeat for several")
        ->type_name("ORIGIN=FILE");
    cmd->add_option("--secondary", *secondaries,
                    "Serve a copy of a zone, transferred from its primary and kept in step")
        ->type_name("ORIGIN=ADDR:PORT");
    cmd->add_option("--notify", *notify,
                    "Send NOTIFY to this secondary when a primary zone changes")
        ->check(host_port_validator())
        ->type_name("ADDR:PORT");
    cmd->add_option("--allow-transfer", *allow_transfer,
                    "Who may transfer zones (AXFR/IXFR): an address, a prefix, any or none")
        ->type_name("PREFIX")
        ->default_str("127.0.0.0/8 ::1");
    cmd->add_option("--tsig-key", *tsig_keys,
                    "Accept dynamic updates signed with this key (RFC 2136, RFC 8945)")
        ->type_name("[ALG:]NAME:SECRET");
    cmd->add_option("-l,--listen", *listen, "Address to listen on, UDP and TCP; repeat for several")
        ->check(listen_address_validator())
        ->type_name("ADDR:PORT")
        ->default_str(default_listen);
    cmd->add_option("-c,--config", *config_path, "Settings and zones from a TOML file")
        ->check(CLI::ExistingFile)
        ->type_name("FILE");
    cmd->add_option("--threads", *threads, "Worker threads (default: one per core)")
        ->check(CLI::Range(0u, 256u));
    cmd->add_option("--max-udp-size", *max_udp,
                    "Largest UDP reply, and the EDNS buffer size we advertise")
        ->check(CLI::Range(512, 65535))
        ->default_str("1232");
    cmd->add_option("--tcp-idle-timeout", *idle, "Close a TCP connection idle this long (RFC 7766)")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("10s");
    cmd->footer(R"(Answers with AA from its zones: CNAME chains, wildcards, DNAME, referrals with
glue at delegations, NXDOMAIN/NODATA with the SOA, REFUSED for other names. Zones are
checked like named-checkzone at start; a zone with errors is not served. SIGHUP reloads
every zone file (a zone that fails keeps its old data); SIGINT/SIGTERM stop.

Zone transfer: AXFR and IXFR over TCP for clients in --allow-transfer. A reload that
changes a zone's serial records the difference, so secondaries can fetch just that by
IXFR, and sends NOTIFY to every --notify target. A --secondary zone is transferred from its
primary at start, checked every SOA refresh interval, re-fetched at once on NOTIFY from the
primary, and answered SERVFAIL once the SOA expire time passes without contact.

Dynamic update (RFC 2136): UPDATE messages signed with a --tsig-key (HMAC-SHA256 unless
given) change primary zones; prerequisites are checked, the SOA serial is raised, the change
is written to FILE.jnl and fsynced before the reply, replayed at the next start, served by
IXFR and announced by NOTIFY. Unsigned updates are refused. `l7 dns update` and nsupdate
are clients.

Configuration file (--config):
  listen = ["127.0.0.1:5353"]
  threads = 2
  max-udp-size = 1232
  tcp-idle-timeout = "10s"
  allow-transfer = ["127.0.0.0/8", "::1"]
  [[zone]]
  origin = "example.com"
  file = "example.com.zone"      # relative to the configuration file
  notify = ["127.0.0.1:5301"]    # secondaries to tell of changes
  [[key]]                        # TSIG key for dynamic updates
  name = "registrar"
  secret = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"   # base64; algorithm defaults to hmac-sha256
  [[zone]]
  origin = "example.org"
  primary = "127.0.0.1:5300"     # a secondary zone
  file = "example.org.copy"      # optional: where to keep the transferred copy

Examples:
  l7 dns serve --zone example.com=example.com.zone --listen 127.0.0.1:5353
  dig @127.0.0.1 -p 5353 www.example.com
  l7 dns serve --secondary example.com=127.0.0.1:5353 --listen 127.0.0.1:5354
  l7 dns query www.example.com @127.0.0.1:5353 --trace)");
    cmd->callback([=, &ctx] {
        ctx.action = [=, &ctx] {
            apply_common_options(*common, ctx, true);
            ServeSettings s;
            s.server.responder.max_udp_size = *max_udp;
            s.server.tcp_idle_timeout =
                std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration_option(*idle));
            if (!config_path->empty()) {
                read_serve_config(*config_path, s, !listen->empty());
            }
            for (const std::string& z : *zones) {
                s.zones.push_back(parse_zone_option(z));
            }
            for (const std::string& z : *secondaries) {
                s.zones.push_back(parse_secondary_option(z));
            }
            if (s.zones.empty()) {
                throw UsageError(
                    "no zones to serve: give --zone ORIGIN=FILE, --secondary ORIGIN=ADDR:PORT or a "
                    "--config file with [[zone]]");
            }
            for (const std::string& target : *notify) {
                const HostPort hp = parse_server(target);
                for (dns::ZoneSource& z : s.zones) {
                    z.notify.push_back(hp);
                }
            }
            if (!allow_transfer->empty()) {
                s.allow_transfer = *allow_transfer;
            }
            for (const std::string& text : *tsig_keys) {
                auto key = dns::parse_tsig_key(text);
                if (!key) {
                    throw UsageError("--tsig-key: " + key.error().message);
                }
                s.keys.add(std::move(*key));
            }
            if (!s.allow_transfer.empty()) {
                s.server.allow_transfer = dns::AddressList();
                for (const std::string& entry : s.allow_transfer) {
                    if (auto ok = s.server.allow_transfer.add(entry); !ok) {
                        throw UsageError("--allow-transfer: " + ok.error().message);
                    }
                }
            }
            if (!listen->empty() || s.listen.empty()) {
                s.listen = parse_listen_list(
                    listen->empty() ? std::vector<std::string>{default_listen} : *listen);
            }
            s.server.listen = s.listen;
            if (*threads != 0) {
                s.threads = *threads;
            }
            auto store = std::make_shared<dns::ZoneStore>(s.zones);
            const bool has_secondary =
                std::any_of(s.zones.begin(), s.zones.end(),
                            [](const dns::ZoneSource& z) { return z.is_secondary(); });
            if (!store->load() && store->current()->zones().empty() && !has_secondary) {
                log::error("dns", "no zone could be loaded");
                return 1;
            }
            net::Runtime runtime({.threads = s.threads});
            dns::ZoneMaintenance maintenance(runtime, store, ctx.tracer);
            s.server.on_notify = [&maintenance](const dns::NotifyRequest& n,
                                                const asio::ip::address& from) {
                return maintenance.notified(n, from);
            };
            auto updates = std::make_shared<dns::UpdateService>(store, s.keys);
            s.server.on_update = [updates](std::span<const std::uint8_t> query,
                                           std::span<std::uint8_t> out,
                                           const asio::ip::address& from) {
                return updates->handle(query, out, from);
            };
            try {
                dns::start_server(runtime, s.server, store, ctx.tracer);
            } catch (const std::system_error& e) {
                log::error("dns", e.what());
                return 1;
            }
            maintenance.start();
            dns::reload_on_sighup(runtime, store);
            runtime.run();
            log::info("dns", "stopped");
            return 0;
        };
    });
}

void add_check_zone(CLI::App& dns_cmd, Context& ctx) {
    auto file = std::make_shared<std::string>();
    auto origin = std::make_shared<std::string>();
    auto quiet = std::make_shared<bool>(false);
    auto* cmd = dns_cmd.add_subcommand("check-zone", "Check a zone file as named-checkzone does");
    cmd->add_option("FILE", *file, "Zone file (master format, RFC 1035 section 5)")->required();
    cmd->add_option("ORIGIN", *origin, "The zone's name, e.g. example.com")->required();
    cmd->add_flag("-q,--quiet", *quiet, "Print nothing; the exit status tells");
    cmd->footer(R"(Prints each problem as FILE:LINE: message, then whether the zone would load.
Errors: syntax, unknown types, bad RDATA, no SOA or several at the apex, SOA below the apex,
no NS at the apex, CNAME and other data, NS targets in the zone without A/AAAA (glue).
Warnings: out-of-zone data (ignored), TTLs that differ inside an RRset, MX/SRV targets in
the zone without addresses.

Exit status: 0 when the zone loads, 1 when it has errors, 2 for usage errors.

Example:
  l7 dns check-zone example.com.zone example.com)");
    cmd->callback([=, &ctx] {
        ctx.action = [=] {
            const dns::Name name = parse_origin(*origin, "ORIGIN");
            dns::MasterFile parsed = dns::load_master_file(*file, name);
            // The zone checks run on whatever parsed, so one run reports every problem.
            const std::shared_ptr<dns::Zone> zone = dns::build_zone(name, parsed);
            if (!*quiet) {
                for (const dns::MasterProblem& p : parsed.problems) {
                    std::cout << parsed.describe(p) << '\n';
                }
                if (zone) {
                    std::cout << "zone " << name.to_text() << ": loaded serial " << zone->serial()
                              << " (" << zone->record_count() << " records)\nOK\n";
                } else {
                    std::cout << "zone " << name.to_text() << ": not loaded due to errors\n";
                }
            }
            return zone ? 0 : 1;
        };
    });
    (void)ctx;
}

std::string nameserver_from_resolv_conf() {
    std::ifstream in("/etc/resolv.conf");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string key;
        std::string value;
        if (words >> key >> value && key == "nameserver") {
            return value;
        }
    }
    return "127.0.0.1";
}

std::string when_now() {
    const std::time_t now = std::time(nullptr);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S UTC %Y", std::gmtime(&now));
    return buf;
}

// A zone transfer, printed record by record as dig prints one (RFC 1995 order for IXFR).
int print_transfer(const dns::Name& zone, const HostPort& server,
                   std::optional<std::uint32_t> serial, std::chrono::milliseconds timeout,
                   Context& ctx) {
    const auto out = dns::transfer(zone, server, serial, timeout, ctx.tracer);
    const char* what = serial ? "IXFR" : "AXFR";
    std::cout << "\n; <<>> l7 dns query <<>> " << zone.to_text() << ' ' << what << " @"
              << server.to_string() << '\n';
    if (!out) {
        std::cerr << "l7 dns: transfer failed: " << out.error().message << '\n';
        return 1;
    }
    const dns::TransferResult& t = *out;
    std::size_t count = 0;
    auto print = [&count](const dns::ResourceRecord& rr) {
        std::cout << dns::format_record(rr) << '\n';
        ++count;
    };
    if (t.up_to_date) {
        print(t.records.front());
    } else if (t.incremental) {
        print(t.records.front());
        for (const dns::ZoneDiff& d : t.diffs) {
            std::for_each(d.removed.begin(), d.removed.end(), print);
            std::for_each(d.added.begin(), d.added.end(), print);
        }
        print(t.records.front());
    } else {
        std::for_each(t.records.begin(), t.records.end(), print);
        print(t.records.front());  // the closing SOA
    }
    std::cout << ";; XFR size: " << count << " records (messages " << t.messages << ")\n"
              << ";; SERVER: " << server.host << '#' << server.port << " (TCP)\n"
              << ";; WHEN: " << when_now() << "\n\n";
    return 0;
}

void add_query(CLI::App& dns_cmd, Context& ctx) {
    auto common = std::make_shared<CommonOptions>();
    auto args = std::make_shared<std::vector<std::string>>();
    auto port = std::make_shared<std::uint16_t>(53);
    auto timeout = std::make_shared<std::string>("2s");
    auto tries = std::make_shared<int>(3);
    auto* cmd = dns_cmd.add_subcommand(
        "query", "Ask a DNS server one question and print the reply like dig");
    add_common_options(*cmd, *common);
    cmd->add_option("ARGS", *args,
                    "NAME [TYPE|IXFR=SERIAL] [CLASS] [@SERVER[:PORT]] [+tcp] [+norec] [+dnssec] "
                    "[+bufsize=N]")
        ->required();
    cmd->add_option("-p,--port", *port, "Server port when @SERVER has none")->default_str("53");
    cmd->add_option("--timeout", *timeout, "Wait this long for each try")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("2s");
    cmd->add_option("--tries", *tries, "UDP sends before giving up")
        ->check(CLI::Range(1, 10))
        ->default_str("3");
    cmd->footer(R"(Arguments in any order, as dig takes them: the first word that is not a type,
class, @server or +option is the name. The server defaults to the first nameserver in
/etc/resolv.conf. Recursion is requested unless +norec. A truncated UDP reply is retried
over TCP. --trace prints each message sent and received, decoded.

Exit status: 0 when a reply came (whatever its rcode), 1 when none did, 2 for usage errors.

Examples:
  l7 dns query www.example.com @127.0.0.1:5353
  l7 dns query example.com MX @127.0.0.1 -p 5353 +norec
  l7 dns query example.com AXFR @127.0.0.1:5353
  l7 dns query example.com IXFR=2026112201 @127.0.0.1:5353)");
    cmd->callback([=, &ctx] {
        ctx.action = [=, &ctx] {
            apply_common_options(*common, ctx, false);
            std::optional<std::string> name;
            dns::RRType type = dns::RRType::A;
            dns::RRClass klass = dns::RRClass::IN;
            bool have_type = false;
            std::string server_text = nameserver_from_resolv_conf();
            bool tcp = false;
            bool recurse = true;
            bool dnssec = false;
            std::uint16_t bufsize = 1232;
            std::optional<std::uint32_t> ixfr_serial;
            for (const std::string& a : *args) {
                if (a.starts_with('@')) {
                    server_text = a.substr(1);
                } else if (a == "+tcp" || a == "+vc") {
                    tcp = true;
                } else if (a == "+notcp") {
                    tcp = false;
                } else if (a == "+norec" || a == "+norecurse") {
                    recurse = false;
                } else if (a == "+rec" || a == "+recurse") {
                    recurse = true;
                } else if (a == "+dnssec") {
                    dnssec = true;
                } else if (a.starts_with("+bufsize=")) {
                    try {
                        const int v = std::stoi(a.substr(9));
                        if (v < 512 || v > 65535) {
                            throw std::out_of_range("bufsize");
                        }
                        bufsize = static_cast<std::uint16_t>(v);
                    } catch (const std::exception&) {
                        throw UsageError(a +
                                         ": the buffer size must be a number from 512 to 65535");
                    }
                } else if (a.starts_with('+')) {
                    throw UsageError("unknown query option '" + a +
                                     "' (known: +tcp +norec +dnssec +bufsize=N)");
                } else if (a.size() > 5 && (a.starts_with("IXFR=") || a.starts_with("ixfr="))) {
                    // dig's IXFR=SERIAL: the serial we claim to have.
                    try {
                        ixfr_serial = static_cast<std::uint32_t>(std::stoul(a.substr(5)));
                    } catch (const std::exception&) {
                        throw UsageError(a + ": expected IXFR=SERIAL");
                    }
                    type = dns::RRType::IXFR;
                    have_type = true;
                } else if (auto t = dns::type_from_text(a); t && !have_type && name) {
                    type = *t;
                    have_type = true;
                } else if (auto c = dns::class_from_text(a); c && name) {
                    klass = *c;
                } else if (!name) {
                    name = a;
                } else if (auto t2 = dns::type_from_text(a); t2 && !have_type) {
                    type = *t2;
                    have_type = true;
                } else {
                    throw UsageError("unexpected argument '" + a + "' (the name is already '" +
                                     *name + "')");
                }
            }
            if (!name) {
                throw UsageError("no name to look up");
            }
            auto qname = dns::Name::parse(*name);
            if (!qname) {
                throw UsageError("'" + *name + "' is not a domain name: " + qname.error().message);
            }
            // @SERVER may be an address, address:port or [v6]:port.
            HostPort server;
            if (auto hp = parse_host_port(server_text);
                hp && server_text.find(':') != std::string::npos &&
                (server_text.starts_with('[') || server_text.find(':') == server_text.rfind(':'))) {
                server = *hp;
            } else {
                server = HostPort{server_text, *port};
            }
            dns::Message query;
            query.header.id = static_cast<std::uint16_t>(std::random_device{}());
            query.header.rd = recurse;
            query.questions.push_back({*qname, type, klass});
            dns::Edns edns;
            edns.udp_size = bufsize;
            edns.dnssec_ok = dnssec;
            query.edns = edns;
            if (type == dns::RRType::AXFR || type == dns::RRType::IXFR) {
                if (type == dns::RRType::IXFR && !ixfr_serial) {
                    throw UsageError(
                        "IXFR needs the serial you have: IXFR=SERIAL, as dig takes it");
                }
                return print_transfer(*qname, server, ixfr_serial,
                                      std::chrono::duration_cast<std::chrono::milliseconds>(
                                          parse_duration_option(*timeout)),
                                      ctx);
            }
            dns::ExchangeOptions o;
            o.server = server;
            o.tcp = tcp;
            o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                parse_duration_option(*timeout));
            o.tries = *tries;
            auto result = dns::exchange(query, o, ctx.tracer);
            std::cout << "\n; <<>> l7 dns query <<>> " << qname->to_text() << ' '
                      << dns::type_to_text(type) << " @" << server.to_string() << '\n';
            if (!result) {
                // One line on stderr, as every l7 failure (dig prints it on stdout).
                std::cerr << "l7 dns: " << result.error().message << '\n';
                return 1;
            }
            std::cout << ";; Got answer:\n" << dns::format_message(result->reply) << '\n';
            std::cout << ";; Query time: " << result->elapsed.count() / 1000 << " msec\n"
                      << ";; SERVER: " << server.host << '#' << server.port << '(' << server.host
                      << ") (" << (result->over_tcp ? "TCP" : "UDP") << ")\n"
                      << ";; WHEN: " << when_now() << '\n'
                      << ";; MSG SIZE  rcvd: " << result->reply_size << "\n\n";
            return 0;
        };
    });
}

// Splits "NAME TYPE RDATA..." and parses it relative to the zone; TTL 0 and class as given.
dns::ResourceRecord parse_update_record(const std::string& text, const dns::Name& zone,
                                        bool with_ttl, dns::RRClass klass,
                                        const std::string& option) {
    // The zone file parser reads the line, so RDATA has its usual text form.
    const std::string line = with_ttl ? text : [&] {
        std::istringstream words(text);
        std::string owner;
        std::string rest;
        words >> owner;
        std::getline(words, rest);
        return owner + " 0" + rest;
    }();
    dns::MasterFile parsed = dns::parse_master(line, option, zone);
    if (parsed.has_errors() || parsed.records.size() != 1) {
        const std::string why =
            parsed.problems.empty() ? "expected one record" : parsed.problems.front().message;
        throw UsageError(option + " '" + text + "': " + why);
    }
    dns::ResourceRecord rr = parsed.records.front().rr;
    rr.klass = klass;
    if (!rr.owner.is_subdomain_of(zone)) {
        throw UsageError(option + " '" + text + "': " + rr.owner.to_text() +
                         " is outside the zone " + zone.to_text());
    }
    return rr;
}

// "NAME [TYPE]" for deletions and prerequisites that carry no RDATA.
dns::ResourceRecord parse_name_type(const std::string& text, const dns::Name& zone,
                                    dns::RRClass klass, const std::string& option) {
    std::istringstream words(text);
    std::string owner;
    std::string type_text;
    std::string extra;
    words >> owner >> type_text >> extra;
    auto name = dns::Name::parse(owner, zone);
    if (owner.empty() || !name) {
        throw UsageError(option + " '" + text + "': expected NAME [TYPE]");
    }
    dns::RRType type = dns::RRType::ANY;
    if (!type_text.empty()) {
        auto t = dns::type_from_text(type_text);
        if (!t) {
            throw UsageError(option + " '" + text + "': unknown type '" + type_text + "'");
        }
        type = *t;
    }
    if (!extra.empty()) {
        throw UsageError(option + " '" + text + "': unexpected '" + extra + "'");
    }
    if (!name->is_subdomain_of(zone)) {
        throw UsageError(option + " '" + text + "': outside the zone " + zone.to_text());
    }
    return {*name, type, klass, 0, {}};
}

struct UpdateFlags {
    CommonOptions common;
    std::string server = "127.0.0.1:53";
    std::string key;
    std::string timeout = "5s";
    bool tcp = false;
};

void add_update_flags(CLI::App& cmd, UpdateFlags& f) {
    add_common_options(cmd, f.common);
    cmd.add_option("-s,--server", f.server, "The zone's primary server")
        ->check(host_port_validator())
        ->type_name("HOST:PORT")
        ->default_str("127.0.0.1:53");
    cmd.add_option("-k,--key", f.key, "Sign with this TSIG key (as nsupdate -y)")
        ->type_name("[ALG:]NAME:SECRET");
    cmd.add_option("--timeout", f.timeout, "Wait this long for each try")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("5s");
    cmd.add_flag("--tcp", f.tcp, "Send over TCP");
}

// Sends an UPDATE, checks the reply's signature, prints one line; the exit status is 0 for
// NOERROR, 1 for anything else.
int send_update(dns::Message update, const UpdateFlags& f, Context& ctx, const std::string& done) {
    std::optional<dns::TsigKey> key;
    if (!f.key.empty()) {
        auto k = dns::parse_tsig_key(f.key);
        if (!k) {
            throw UsageError("--key: " + k.error().message);
        }
        key = std::move(*k);
    }
    update.header.id = static_cast<std::uint16_t>(std::random_device{}());
    update.header.opcode = dns::Opcode::UPDATE;
    dns::ExchangeOptions o;
    o.server = parse_server(f.server);
    o.tcp = f.tcp;
    o.timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration_option(f.timeout));
    auto request_mac = std::make_shared<dns::Bytes>();
    const auto now = static_cast<std::uint64_t>(std::time(nullptr));
    if (key) {
        o.sign = [&key, now, request_mac](dns::Bytes wire) {
            auto signed_wire = dns::tsig_sign(wire, *key, now, {}, 0, {}, request_mac.get());
            return signed_wire ? std::move(*signed_wire) : wire;
        };
    }
    auto result = dns::exchange(update, o, ctx.tracer);
    if (!result) {
        std::cerr << "l7 dns: update failed: " << result.error().message << '\n';
        return 1;
    }
    std::optional<dns::TsigCheck> check;
    if (key) {
        dns::TsigKeyring ring;
        ring.add(*key);
        check = dns::tsig_verify(result->reply_wire, ring, now, *request_mac);
    }
    const dns::Rcode rcode = result->reply.rcode();
    if (rcode != dns::Rcode::NOERROR) {
        std::string tsig_error;
        if (check && check->present && check->reported_error != dns::Rcode::NOERROR) {
            // The TSIG error says why a NOTAUTH came back (RFC 8945 section 5.3.2).
            const auto e = check->reported_error;
            tsig_error = std::string(" (TSIG ") +
                         (e == dns::Rcode::BADSIG    ? "BADSIG: the secret does not match"
                          : e == dns::Rcode::BADKEY  ? "BADKEY: the server does not know the key"
                          : e == dns::Rcode::BADTIME ? "BADTIME: the clocks differ too much"
                                                     : dns::rcode_to_text(e)) +
                         ")";
        }
        std::cerr << "l7 dns: update refused by " << o.server.to_string() << ": "
                  << dns::rcode_to_text(rcode) << tsig_error << '\n';
        return 1;
    }
    if (check) {
        if (!check->present) {
            std::cerr << "l7 dns: warning: the reply is not signed\n";
        } else if (check->rcode != dns::Rcode::NOERROR) {
            std::cerr << "l7 dns: the reply's signature does not verify ("
                      << (check->error == dns::Rcode::BADSIG ? "BADSIG"
                                                             : dns::rcode_to_text(check->error))
                      << "); the update may or may not have been applied\n";
            return 1;
        }
    }
    std::cout << done << " (NOERROR from " << o.server.to_string() << ")\n";
    return 0;
}

void add_update(CLI::App& dns_cmd, Context& ctx) {
    auto f = std::make_shared<UpdateFlags>();
    auto zone = std::make_shared<std::string>();
    auto adds = std::make_shared<std::vector<std::string>>();
    auto deletes = std::make_shared<std::vector<std::string>>();
    auto delete_records = std::make_shared<std::vector<std::string>>();
    auto need_name = std::make_shared<std::vector<std::string>>();
    auto need_no_name = std::make_shared<std::vector<std::string>>();
    auto need_rrset = std::make_shared<std::vector<std::string>>();
    auto need_no_rrset = std::make_shared<std::vector<std::string>>();
    auto* cmd = dns_cmd.add_subcommand(
        "update", "Change records in a zone by dynamic update (RFC 2136), like nsupdate");
    add_update_flags(*cmd, *f);
    cmd->add_option("-z,--zone", *zone, "The zone to change")->required();
    cmd->add_option("--add", *adds,
                    "Add a record: 'NAME TTL TYPE RDATA' (names relative to the zone)");
    cmd->add_option("--delete", *deletes, "Delete a name's records, or one RRset: 'NAME [TYPE]'");
    cmd->add_option("--delete-record", *delete_records, "Delete one record: 'NAME TYPE RDATA'");
    cmd->add_option("--require-name", *need_name, "Only if NAME has records (prerequisite)");
    cmd->add_option("--require-no-name", *need_no_name, "Only if NAME has no records");
    cmd->add_option("--require-rrset", *need_rrset, "Only if the RRset exists: 'NAME TYPE'");
    cmd->add_option("--require-no-rrset", *need_no_rrset,
                    "Only if the RRset does not exist: 'NAME TYPE'");
    cmd->footer(R"(Prerequisites are checked first; if one fails nothing changes and the server's
rcode (YXDOMAIN, NXDOMAIN, YXRRSET, NXRRSET) is printed. Deletions and additions apply in
the order: --delete, --delete-record, --add.

Exit status: 0 when the server answered NOERROR, 1 otherwise, 2 for usage errors.

Examples:
  l7 dns update -s 127.0.0.1:5353 -z example.com -k registrar:c2VjcmV0 \
      --add 'www 300 A 192.0.2.80' --delete 'old'
  l7 dns update -s 127.0.0.1:5353 -z example.com -k registrar:c2VjcmV0 \
      --require-no-name new --add 'new 300 TXT "first"')");
    cmd->callback([=, &ctx] {
        ctx.action = [=, &ctx] {
            apply_common_options(f->common, ctx, false);
            const dns::Name origin = parse_origin(*zone, "--zone");
            dns::Message m;
            m.questions.push_back({origin, dns::RRType::SOA, dns::RRClass::IN});
            for (const auto& t : *need_name) {
                m.answers.push_back(
                    parse_name_type(t, origin, dns::RRClass::ANY, "--require-name"));
                m.answers.back().type = dns::RRType::ANY;
            }
            for (const auto& t : *need_no_name) {
                m.answers.push_back(
                    parse_name_type(t, origin, dns::RRClass::NONE, "--require-no-name"));
                m.answers.back().type = dns::RRType::ANY;
            }
            for (const auto& t : *need_rrset) {
                m.answers.push_back(
                    parse_name_type(t, origin, dns::RRClass::ANY, "--require-rrset"));
            }
            for (const auto& t : *need_no_rrset) {
                m.answers.push_back(
                    parse_name_type(t, origin, dns::RRClass::NONE, "--require-no-rrset"));
            }
            for (const auto& t : *deletes) {
                m.authority.push_back(parse_name_type(t, origin, dns::RRClass::ANY, "--delete"));
            }
            for (const auto& t : *delete_records) {
                m.authority.push_back(
                    parse_update_record(t, origin, false, dns::RRClass::NONE, "--delete-record"));
                m.authority.back().ttl = 0;
            }
            for (const auto& t : *adds) {
                m.authority.push_back(
                    parse_update_record(t, origin, true, dns::RRClass::IN, "--add"));
            }
            if (m.authority.empty()) {
                throw UsageError("nothing to change: give --add, --delete or --delete-record");
            }
            return send_update(m, *f, ctx, "zone " + origin.to_text() + " updated");
        };
    });
}

void add_register(CLI::App& dns_cmd, Context& ctx) {
    auto f = std::make_shared<UpdateFlags>();
    auto domain = std::make_shared<std::string>();
    auto zone = std::make_shared<std::string>();
    auto ns = std::make_shared<std::vector<std::string>>();
    auto ttl = std::make_shared<std::uint32_t>(172800);
    auto* cmd = dns_cmd.add_subcommand(
        "register", "Register a domain with its TLD: put its NS records and glue in the TLD zone");
    add_update_flags(*cmd, *f);
    cmd->add_option("DOMAIN", *domain, "The domain being registered, e.g. networkutopia.com")
        ->required();
    cmd->add_option("--ns", *ns,
                    "A name server of the domain, with its address when it lies inside the domain")
        ->type_name("NAME[=ADDR]")
        ->required();
    cmd->add_option("--zone", *zone, "The TLD zone (default: the domain's parent)");
    cmd->add_option("--ttl", *ttl, "TTL of the NS and glue records")->default_str("172800");
    cmd->footer(
        R"(What a registrar does (the course's networkutopia.com example): one dynamic update
to the TLD server replaces the domain's NS RRset and the glue A/AAAA records of in-domain
name servers, so resolvers that ask the TLD are referred to the domain's own servers.

Example:
  l7 dns register networkutopia.com -s 127.10.1.3:53 -k registrar:c2VjcmV0 \
      --ns dns1.networkutopia.com=212.212.212.1 --ns dns2.networkutopia.com=212.212.212.2)");
    cmd->callback([=, &ctx] {
        ctx.action = [=, &ctx] {
            apply_common_options(f->common, ctx, false);
            const dns::Name name = parse_origin(*domain, "DOMAIN");
            if (name.is_root() || name.label_count() < 2) {
                throw UsageError("DOMAIN: '" + *domain + "' has no parent zone to register in");
            }
            const dns::Name origin = zone->empty() ? name.parent() : parse_origin(*zone, "--zone");
            if (!name.is_subdomain_of(origin) || name == origin) {
                throw UsageError("DOMAIN " + name.to_text() + " is not below the zone " +
                                 origin.to_text());
            }
            dns::Message m;
            m.questions.push_back({origin, dns::RRType::SOA, dns::RRClass::IN});
            m.authority.push_back({name, dns::RRType::NS, dns::RRClass::ANY, 0, {}});
            std::size_t glue = 0;
            std::vector<dns::ResourceRecord> adds;
            for (const std::string& entry : *ns) {
                const auto eq = entry.find('=');
                const auto host = dns::Name::parse(entry.substr(0, eq));
                if (!host) {
                    throw UsageError("--ns " + entry + ": bad name server name");
                }
                const auto w = host->wire();
                adds.push_back({name, dns::RRType::NS, dns::RRClass::IN, *ttl,
                                dns::Bytes(w.begin(), w.end())});
                if (eq == std::string::npos) {
                    if (host->is_subdomain_of(name)) {
                        throw UsageError("--ns " + entry +
                                         ": a name server inside the domain needs its address "
                                         "(glue): NAME=ADDR");
                    }
                    continue;
                }
                const std::string address = entry.substr(eq + 1);
                const dns::RRType type =
                    address.find(':') != std::string::npos ? dns::RRType::AAAA : dns::RRType::A;
                std::vector<dns::TextToken> tokens{{address, false}};
                auto rdata = dns::rdata_from_text(type, tokens, dns::Name());
                if (!rdata) {
                    throw UsageError("--ns " + entry + ": " + rdata.error().message);
                }
                if (!host->is_subdomain_of(origin)) {
                    throw UsageError("--ns " + entry + ": glue for a name outside " +
                                     origin.to_text() + " cannot go in this zone");
                }
                m.authority.push_back({*host, type, dns::RRClass::ANY, 0, {}});
                adds.push_back({*host, type, dns::RRClass::IN, *ttl, std::move(*rdata)});
                ++glue;
            }
            m.authority.insert(m.authority.end(), adds.begin(), adds.end());
            return send_update(m, *f, ctx,
                               name.to_text() + " registered in " + origin.to_text() + ": " +
                                   std::to_string(ns->size()) + " NS, " + std::to_string(glue) +
                                   " glue");
        };
    });
}

void print_records(const dns::Message& m) {
    std::cout << ";; status: " << dns::rcode_to_text(m.rcode()) << "\n";
    for (const dns::ResourceRecord& rr : m.answers) {
        std::cout << dns::format_record(rr) << '\n';
    }
    for (const dns::ResourceRecord& rr : m.authority) {
        std::cout << dns::format_record(rr) << '\n';
    }
}

std::string milliseconds_text(std::chrono::nanoseconds d) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f ms",
                  std::chrono::duration<double, std::milli>(d).count());
    return text;
}

// `l7 dns resolve NAME --recursive @SERVER`: the host's side of the course's recursive query.
int resolve_recursively(const dns::Name& qname, dns::RRType type, std::string server_text,
                        trace::Tracer& tracer) {
    if (!server_text.empty() && server_text.front() == '@') {
        server_text.erase(0, 1);
    }
    dns::ExchangeOptions o;
    o.server = parse_server(server_text);
    dns::Message query;
    query.header.id = static_cast<std::uint16_t>(std::random_device{}());
    query.header.rd = true;
    query.questions.push_back({qname, type, dns::RRClass::IN});
    query.edns = dns::Edns{};
    std::cout << "l7 dns resolve " << qname.to_text() << ' ' << dns::type_to_text(type)
              << "  (recursive, asking " << o.server.to_string() << ")\n";
    auto result = dns::exchange(query, o, tracer);
    if (!result) {
        std::cerr << "l7 dns resolve: " << result.error().message << "\n";
        return 1;
    }
    const dns::Message& m = result->reply;
    std::cout << "  1  ask " << o.server.to_string() << " (recursive) " << qname.to_text() << ' '
              << dns::type_to_text(type) << "\n     -> "
              << (m.header.ra ? "" : "no RA bit: not a recursive server; ")
              << dns::rcode_to_text(m.rcode()) << ", " << m.answers.size()
              << (m.answers.size() == 1 ? " record" : " records") << "  ["
              << milliseconds_text(result->elapsed) << "]\n";
    print_records(m);
    std::cout << ";; 1 query, " << milliseconds_text(result->elapsed) << '\n';
    return m.rcode() == dns::Rcode::SERVFAIL ? 1 : 0;
}

void add_resolve(CLI::App& dns_cmd, Context& ctx) {
    auto common = std::make_shared<CommonOptions>();
    auto args = std::make_shared<std::vector<std::string>>();
    auto roots = std::make_shared<std::vector<std::string>>();
    auto hints_file = std::make_shared<std::string>();
    auto port = std::make_shared<std::uint16_t>(53);
    auto recursive = std::make_shared<std::string>();
    auto* cmd = dns_cmd.add_subcommand(
        "resolve",
        "Resolve a name iteratively from the root, showing each step (the course's diagrams)");
    add_common_options(*cmd, *common);
    cmd->add_option("ARGS", *args, "NAME [TYPE]")->required();
    cmd->add_option("--root", *roots, "A root server to start from; repeat for several")
        ->type_name("ADDR:PORT")
        ->default_str("127.10.1.1:53 (the lab's root)");
    cmd->add_option("--hints", *hints_file, "Root hints file (named.root format) instead of --root")
        ->check(CLI::ExistingFile)
        ->type_name("FILE");
    cmd->add_option("-p,--port", *port, "Port of the servers that referrals lead to")
        ->default_str("53");
    cmd->add_option("--recursive", *recursive,
                    "Ask this recursive resolver to do the work instead (one query, RD=1)")
        ->type_name("@ADDR:PORT");
    cmd->footer(R"(Starts at the root, follows each referral (root -> TLD -> the domain's servers),
looks up name servers that came without glue, follows CNAMEs into other zones, and prints
one line per query: the server asked, the zone it was asked for, and what it said, with the
time it took. With --trace, every message is printed decoded as well.

The default root is the lab's (start `l7 lab` first); when the lab runs without root
privilege its servers listen on 10053: use --root 127.10.1.1:10053 --port 10053.

With --recursive, the one query goes to a recursive resolver (the course's local DNS
server, e.g. `l7 dns resolver`), which walks the hierarchy itself: one step, its time.

Exit status: 0 for an answer (NOERROR or NXDOMAIN), 1 for SERVFAIL or no reply, 2 for usage
errors.

Examples:
  l7 dns resolve gaia.cs.umass.edu
  l7 dns resolve gaia.cs.umass.edu --recursive @127.0.0.1:5300
  l7 dns resolve www.ibm.com A --trace
  l7 dns resolve hamburger.edu MX --root 127.10.1.1:10053 --port 10053)");
    cmd->callback([=, &ctx] {
        ctx.action = [=, &ctx] {
            apply_common_options(*common, ctx, false);
            if (args->size() > 2) {
                throw UsageError("expected NAME [TYPE], got " + std::to_string(args->size()) +
                                 " arguments");
            }
            auto qname = dns::Name::parse((*args)[0]);
            if (!qname) {
                throw UsageError("'" + (*args)[0] +
                                 "' is not a domain name: " + qname.error().message);
            }
            dns::RRType type = dns::RRType::A;
            if (args->size() == 2) {
                auto t = dns::type_from_text((*args)[1]);
                if (!t) {
                    throw UsageError("unknown type '" + (*args)[1] + "'");
                }
                type = *t;
            }
            if (!recursive->empty()) {
                return resolve_recursively(*qname, type, *recursive, ctx.tracer);
            }
            const dns::RootHints hints = make_root_hints(*roots, *hints_file, *port);
            dns::SharedCache cache;
            dns::UpstreamTable upstream;
            std::random_device device;
            std::mt19937_64 rng(device());
            dns::ResolverContext context{cache, upstream, hints,
                                         *port, {},       [&rng] { return rng(); }};
            const auto start = std::chrono::steady_clock::now();
            dns::Resolution resolution({*qname, type, dns::RRClass::IN}, context, start);
            asio::io_context io;
            asio::co_spawn(io, dns::run_resolution(resolution, ctx.tracer), asio::detached);
            io.run();
            const auto total = std::chrono::steady_clock::now() - start;
            std::cout << "l7 dns resolve " << qname->to_text() << ' ' << dns::type_to_text(type)
                      << "  (iterative, from " << hints.servers.size() << " root server"
                      << (hints.servers.size() == 1 ? "" : "s") << ")\n";
            int n = 0;
            for (const dns::ResolutionStep& st : resolution.steps()) {
                char elapsed[32];
                std::snprintf(elapsed, sizeof elapsed, "%.1f ms",
                              static_cast<double>(st.elapsed.count()) / 1000.0);
                std::cout << std::setw(3) << ++n << "  ask " << st.server << " (for " << st.zone
                          << ") " << st.question << "\n     -> " << st.outcome << "  [" << elapsed
                          << "]\n";
            }
            const dns::Message& m = resolution.response();
            print_records(m);
            std::cout << ";; " << resolution.queries_sent()
                      << (resolution.queries_sent() == 1 ? " query" : " queries") << ", "
                      << milliseconds_text(total) << '\n';
            return m.rcode() == dns::Rcode::SERVFAIL ? 1 : 0;
        };
    });
}

}  // namespace

void register_dns_commands(CLI::App& root, Context& ctx) {
    auto* dns_cmd = root.add_subcommand(
        "dns", "DNS: authoritative server, recursive resolver, zone checker and clients");
    dns_cmd->require_subcommand(1);
    dns_cmd->footer(R"(Examples:
  l7 dns check-zone example.com.zone example.com
  l7 dns serve --zone example.com=example.com.zone --listen 127.0.0.1:5353 &
  l7 dns query www.example.com @127.0.0.1:5353
  l7 dns resolver --listen 127.0.0.1:5300 &
  l7 dns resolve www.hamburger.edu --recursive @127.0.0.1:5300)");
    add_serve(*dns_cmd, ctx);
    add_check_zone(*dns_cmd, ctx);
    add_query(*dns_cmd, ctx);
    add_resolve(*dns_cmd, ctx);
    add_lookup(*dns_cmd, ctx);
    add_resolver(*dns_cmd, ctx);
    add_ctl(*dns_cmd, ctx);
    add_update(*dns_cmd, ctx);
    add_register(*dns_cmd, ctx);
    for (CLI::App* verb : dns_cmd->get_subcommands({})) {
        add_env_names(*verb, "DNS");
    }
}

}  // namespace l7::app
