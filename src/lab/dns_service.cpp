// The lab's DNS service kind: an authoritative server (root, TLD or a domain's own server)
// whose zones are written inline in the topology, or are secondaries of another lab host.

#include <sstream>
#include <thread>

#include "dns/asio/client.hpp"
#include "dns/asio/maintenance.hpp"
#include "dns/asio/server.hpp"
#include "dns/asio/update_service.hpp"
#include "dns/master.hpp"
#include "dns/rdata.hpp"
#include "dns/tsig.hpp"
#include "dns/zone.hpp"
#include "lab/services.hpp"

namespace l7::lab {

namespace {

dns::Name zone_origin(const config::Table& z) {
    const auto origin = z.get_string("origin");
    if (!origin) {
        z.fail("origin", "every [[host.service.zone]] needs an origin");
    }
    auto name = dns::Name::parse(*origin);
    if (!name) {
        z.fail("origin", "not a domain name: " + name.error().message);
    }
    return *name;
}

// "dns.umass.edu" (a lab host's dns service) or "ADDR:PORT".
HostPort peer_endpoint(const config::Table& z, std::string_view key, const std::string& text,
                       const StartContext& ctx) {
    if (auto hp = parse_host_port(text); hp && text.find(':') != std::string::npos) {
        return *hp;
    }
    if (auto found = ctx.find(text, "dns")) {
        return *found;
    }
    z.fail(key, "'" + text + "' is neither ADDR:PORT nor a lab host that runs a dns service");
}

void validate_zone(const config::Table& z) {
    z.allow_only({"origin", "data", "primary", "notify"});
    const dns::Name origin = zone_origin(z);
    const auto data = z.get_string("data");
    const auto primary = z.get_string("primary");
    if (data.has_value() == primary.has_value()) {
        z.fail("origin", "a zone needs either data (a primary zone) or primary (a secondary)");
    }
    (void)z.get_strings("notify");
    if (data) {
        // The same checks as `l7 dns check-zone`; lines count from the start of `data`.
        dns::MasterFile file = dns::parse_master(*data, "data", origin);
        (void)dns::build_zone(origin, file);
        for (const dns::MasterProblem& p : file.problems) {
            if (p.error) {
                z.fail("data", "zone " + origin.to_text() + ": " + file.describe(p));
            }
        }
    }
}

void validate(const config::Table& s) {
    s.allow_only({"kind", "port", "zone", "key"});
    const auto zones = s.get_tables("zone");
    if (zones.empty()) {
        s.fail("zone", "a dns service needs at least one [[host.service.zone]]");
    }
    for (const config::Table& z : zones) {
        validate_zone(z);
    }
    for (const config::Table& k : s.get_tables("key")) {
        k.allow_only({"name", "secret", "algorithm"});
        auto key = dns::parse_tsig_key(k.get_string("algorithm").value_or("hmac-sha256") + ":" +
                                       k.get_string("name").value_or("") + ":" +
                                       k.get_string("secret").value_or(""));
        if (!key) {
            k.fail("secret", key.error().message);
        }
    }
}

// Everything one dns service owns, kept alive with the runtime's first worker.
struct Running {
    std::shared_ptr<dns::ZoneStore> store;
    std::unique_ptr<dns::ZoneMaintenance> maintenance;
    std::shared_ptr<dns::UpdateService> updates;
};

void start(net::Runtime& rt, const HostPort& ep, const config::Table& s, trace::Tracer& tracer,
           const StartContext& ctx) {
    std::vector<dns::ZoneSource> sources;
    for (const config::Table& z : s.get_tables("zone")) {
        dns::ZoneSource source;
        source.origin = zone_origin(z);
        if (auto data = z.get_string("data")) {
            source.text = *data;
        }
        if (auto primary = z.get_string("primary")) {
            source.primary = peer_endpoint(z, "primary", *primary, ctx);
        }
        for (const std::string& target : z.get_strings("notify")) {
            source.notify.push_back(peer_endpoint(z, "notify", target, ctx));
        }
        sources.push_back(std::move(source));
    }
    dns::TsigKeyring keys;
    for (const config::Table& k : s.get_tables("key")) {
        keys.add(*dns::parse_tsig_key(k.get_string("algorithm").value_or("hmac-sha256") + ":" +
                                      *k.get_string("name") + ":" + *k.get_string("secret")));
    }
    auto running = std::make_shared<Running>();
    running->store = std::make_shared<dns::ZoneStore>(std::move(sources));
    (void)running->store->load();
    running->maintenance = std::make_unique<dns::ZoneMaintenance>(rt, running->store, tracer);
    running->updates = std::make_shared<dns::UpdateService>(running->store, std::move(keys));
    dns::ServerOptions o;
    o.listen = {ep};
    o.on_notify = [r = running.get()](const dns::NotifyRequest& n, const asio::ip::address& from) {
        return r->maintenance->notified(n, from);
    };
    o.on_update = [r = running.get()](std::span<const std::uint8_t> q, std::span<std::uint8_t> out,
                                      const asio::ip::address& from) {
        return r->updates->handle(q, out, from);
    };
    dns::start_server(rt, o, running->store, tracer);
    running->maintenance->start();
    // The worker's hooks live as long as the worker: so does this service.
    rt.worker(0).stop_hooks.push_back([running] {});
}

// Asks for each zone's SOA: authoritative, NOERROR. A secondary may still be transferring,
// so each zone gets a few seconds.
Result<std::string> probe(const HostPort& ep, const config::Table& s) {
    static trace::Tracer silent;
    std::size_t answered = 0;
    std::string names;
    for (const config::Table& z : s.get_tables("zone")) {
        const dns::Name origin = zone_origin(z);
        dns::Message q;
        q.header.id = static_cast<std::uint16_t>(answered + 1);
        q.questions.push_back({origin, dns::RRType::SOA, dns::RRClass::IN});
        dns::ExchangeOptions o;
        o.server = ep;
        o.timeout = std::chrono::milliseconds(500);
        o.tries = 2;
        std::string last_error;
        bool ok = false;
        for (int attempt = 0; attempt < 6 && !ok; ++attempt) {
            auto r = dns::exchange(q, o, silent);
            if (!r) {
                last_error = r.error().message;
                continue;
            }
            if (r->reply.rcode() == dns::Rcode::NOERROR && r->reply.header.aa &&
                !r->reply.answers.empty()) {
                ok = true;
            } else {
                last_error = origin.to_text() + " SOA: " + dns::rcode_to_text(r->reply.rcode());
                std::this_thread::sleep_for(std::chrono::milliseconds(500));
            }
        }
        if (!ok) {
            return make_error(last_error);
        }
        ++answered;
        names += (names.empty() ? "" : " ") + origin.to_text();
    }
    return "SOA answered for " + names;
}

}  // namespace

ServiceKind dns_service() {
    ServiceKind k;
    k.name = "dns";
    k.protocol = "udp+tcp";
    k.summary = "authoritative DNS server (UDP and TCP): root, TLD or a domain's own zones";
    k.validate = validate;
    k.start = start;
    k.probe = probe;
    return k;
}

}  // namespace l7::lab
