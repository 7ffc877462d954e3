// The lab's local DNS server: a caching recursive resolver (l7 dns resolver) that starts at
// the lab's own root, for the lab's hosts and for whoever runs dig against it. Other lab
// services that need names resolve through it.

#include <thread>

#include "dns/asio/client.hpp"
#include "dns/asio/recursive_server.hpp"
#include "dns/rdata.hpp"
#include "lab/services.hpp"
#include "net/control_socket.hpp"

namespace l7::lab {

namespace {

constexpr const char* kDefaultRoot = "a.root-servers.net";
constexpr const char* kDefaultCheck = "www.hamburger.edu";

void validate(const config::Table& s) {
    s.allow_only({"kind", "port", "root", "allow", "check", "control"});
    (void)s.get_string("root");
    (void)s.get_string("control");
    dns::AddressList allow;
    for (const std::string& entry : s.get_strings("allow")) {
        if (auto ok = allow.add(entry); !ok) {
            s.fail("allow", ok.error().message);
        }
    }
    if (auto check = s.get_string("check"); check && !dns::Name::parse(*check)) {
        s.fail("check", "'" + *check + "' is not a domain name");
    }
}

// The root to start from: a lab host running a dns service, or ADDR:PORT.
HostPort root_endpoint(const config::Table& s, const StartContext& ctx) {
    const std::string text = s.get_string("root").value_or(kDefaultRoot);
    if (auto hp = parse_host_port(text); hp && text.find(':') != std::string::npos) {
        return *hp;
    }
    if (auto found = ctx.find(text, "dns")) {
        return *found;
    }
    s.fail("root", "'" + text + "' is neither ADDR:PORT nor a lab host that runs a dns service");
}

void start(net::Runtime& rt, const HostPort& ep, const config::Table& s, trace::Tracer& tracer,
           const StartContext& ctx) {
    const HostPort root = root_endpoint(s, ctx);
    dns::RecursiveSetup setup;
    setup.hints = *dns::RootHints::from_servers(std::vector<std::string>{root.to_string()});
    // The lab's servers all listen on the root's port (53, or 10053 without privilege).
    setup.upstream_port = root.port;
    auto resolver = std::make_shared<dns::RecursiveResolver>(std::move(setup));
    dns::RecursiveOptions o;
    o.listen = {ep};
    if (const auto allow = s.get_strings("allow"); !allow.empty()) {
        o.allow = dns::AddressList();
        for (const std::string& entry : allow) {
            (void)o.allow.add(entry);
        }
    }
    dns::start_recursive_server(rt, o, resolver, tracer);
    net::serve_control_socket(
        rt, s.get_string("control").value_or(net::default_control_path("lab-resolver")),
        [resolver](std::string_view command) { return resolver->control(command); });
}

// Resolves the check name (www.hamburger.edu) through the resolver: the whole hierarchy
// must work for this to pass.
Result<std::string> probe(const HostPort& ep, const config::Table& s) {
    static trace::Tracer silent;
    const std::string check = s.get_string("check").value_or(kDefaultCheck);
    dns::Message q;
    q.header.id = 53;
    q.header.rd = true;
    q.questions.push_back({*dns::Name::parse(check), dns::RRType::A, dns::RRClass::IN});
    dns::ExchangeOptions o;
    o.server = ep;
    o.timeout = std::chrono::milliseconds(2000);
    o.tries = 2;
    std::string last_error;
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto r = dns::exchange(q, o, silent);
        if (!r) {
            last_error = r.error().message;
            continue;
        }
        if (r->reply.rcode() == dns::Rcode::NOERROR && r->reply.header.ra &&
            !r->reply.answers.empty()) {
            const dns::ResourceRecord& last = r->reply.answers.back();
            return check + " resolved to " + dns::rdata_to_text(last.type, last.rdata);
        }
        last_error = check + " A: " + dns::rcode_to_text(r->reply.rcode()) + " with " +
                     std::to_string(r->reply.answers.size()) + " answers";
        // The authoritative servers may still be loading: give them a moment.
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    return make_error(last_error);
}

}  // namespace

ServiceKind dns_resolver_service() {
    ServiceKind k;
    k.name = "dns-resolver";
    k.protocol = "udp+tcp";
    k.summary = "caching recursive resolver (the local DNS server), starting at the lab's root";
    k.validate = validate;
    k.start = start;
    k.probe = probe;
    return k;
}

}  // namespace l7::lab
