// The lab's web servers: one HTTP/1.1 server per service, with virtual hosts (RFC 9110 7.2)
// for the sites it holds, told apart by the Host header as on a real shared server. Each
// site's files are embedded in l7 (site_files.hpp) and written into the lab's state
// directory when the lab starts; the shop app keeps its database there too.
//
//   [[host.service]]
//   kind = "http"
//   port = 80
//   access_link = { delay = "40ms", rate = "10mbit" }   # optional: a slow path in front
//
//     [[host.service.site]]
//     names = ["www.hamburger.edu", "hamburger.edu"]   # the first one names its directory
//     content = "www.hamburger.edu"                    # an embedded site
//     app = "shop"                                     # optional; content then optional too
//     listing = true                                   # optional: directory listings
//
// With access_link the server listens on an ephemeral port of the same address and l7's
// link emulator (link/asio/relay.hpp) takes the service's port and relays to it, so every
// client of the site sees the delay and the rate, as behind a real access link.

#include <algorithm>
#include <fstream>
#include <mutex>
#include <set>

#include "dns/name.hpp"
#include "http/apps.hpp"
#include "http/asio/client.hpp"
#include "http/asio/server.hpp"
#include "http/asio/virtual_host.hpp"
#include "http/head_syntax.hpp"
#include "http/server_config.hpp"
#include "lab/services.hpp"
#include "lab/site_files.hpp"
#include "lab/state_dir.hpp"
#include "link/asio/relay.hpp"
#include "link/rate.hpp"

namespace l7::lab {

namespace {

namespace fs = std::filesystem;

// A name as a Host header carries it: a plain DNS name (a "*." first label matches every
// subdomain), compared in lowercase, without the root's trailing dot.
std::string site_name(const config::Table& site, const std::string& text) {
    std::string name = http::ascii_lowercase(text);
    if (name.ends_with('.')) {
        name.pop_back();
    }
    // A name that prints back the same has no escapes and no characters a Host cannot hold.
    const auto parsed = dns::Name::parse(name);
    if (name.empty() || !parsed || parsed->to_text() != name + ".") {
        site.fail("names", "'" + text + "' is not a host name");
    }
    return name;
}

std::vector<std::string> site_names_of(const config::Table& site) {
    std::vector<std::string> names;
    for (const std::string& text : site.get_strings("names")) {
        names.push_back(site_name(site, text));
    }
    if (names.empty()) {
        site.fail("names", "every [[host.service.site]] needs at least one name");
    }
    return names;
}

std::string known_sites() {
    std::string list;
    for (const std::string& s : site_names()) {
        if (s.starts_with("ftp.")) {
            continue;  // an FTP server's files (lab/ftp_service.cpp), not a web site
        }
        list += (list.empty() ? "" : ", ") + s;
    }
    return list;
}

void validate_site(const config::Table& site, std::set<std::string>& names_seen) {
    site.allow_only({"names", "content", "app", "listing"});
    for (const std::string& name : site_names_of(site)) {
        if (!names_seen.insert(name).second) {
            site.fail("names", "'" + name + "' belongs to another site of this service");
        }
    }
    const auto app = site.get_string("app");
    if (app && std::find(std::begin(http::kKnownApps), std::end(http::kKnownApps), *app) ==
                   std::end(http::kKnownApps)) {
        site.fail("app", "'" + *app + "' is not an app l7 has (known: shop)");
    }
    const auto content = site.get_string("content");
    if (!content && !app) {
        site.fail("content",
                  "a site needs content (an embedded site: " + known_sites() + "), or an app");
    }
    if (content && !has_site(*content)) {
        site.fail("content",
                  "'" + *content + "' is not an embedded site (known: " + known_sites() + ")");
    }
    (void)site.get_bool("listing");
}

// The relay in front of the server; nullopt without access_link.
std::optional<link::LinkOptions> access_link(const config::Table& s) {
    const auto t = s.get_table("access_link");
    if (!t) {
        return std::nullopt;
    }
    t->allow_only({"delay", "rate"});
    link::LinkOptions o;
    o.tcp = true;
    o.udp = false;
    o.flow.delay = t->get_duration("delay").value_or(Duration(0));
    if (o.flow.delay.count() < 0 || o.flow.delay > std::chrono::seconds(10)) {
        t->fail("delay", "a one-way delay from 0 to 10s is expected");
    }
    if (const auto rate = t->get_string("rate")) {
        const auto bps = link::parse_rate(*rate);
        if (!bps) {
            t->fail("rate", bps.error().message);
        }
        o.up.rate_bps = o.down.rate_bps = *bps;
    }
    return o;
}

void validate(const config::Table& s) {
    s.allow_only({"kind", "port", "site", "access_link"});
    const auto sites = s.get_tables("site");
    if (sites.empty()) {
        s.fail("site", "an http service needs at least one [[host.service.site]]");
    }
    std::set<std::string> names;
    for (const config::Table& site : sites) {
        validate_site(site, names);
    }
    (void)access_link(s);
}

// What the server sees of one [[host.service.site]]: its files under `dir`/www, its app's
// database beside them (never inside a document root, where it could be downloaded).
http::HostConfig host_config(const config::Table& site, const fs::path& dir) {
    http::HostConfig h;
    h.names = site_names_of(site);
    h.root = dir / "www" / h.names.front();
    if (const auto content = site.get_string("content")) {
        write_site(*content, h.root);
    } else {
        fs::create_directories(h.root);
    }
    h.listing = site.get_bool("listing").value_or(false);
    if (const auto app = site.get_string("app")) {
        h.app = *app;
        h.app_database = dir / (h.names.front() + "." + *app + ".db");
    }
    return h;
}

// Combined Log Format lines appended to `file`, from every worker thread.
std::function<void(const std::string&)> access_log(const fs::path& file) {
    struct Log {
        std::mutex mutex;
        std::ofstream out;
    };
    auto log = std::make_shared<Log>();
    log->out.open(file, std::ios::app);
    if (!log->out) {
        throw std::runtime_error("cannot open " + file.string());
    }
    return [log](const std::string& line) {
        const std::lock_guard lock(log->mutex);
        log->out << line << '\n' << std::flush;
    };
}

void start(net::Runtime& rt, const HostPort& ep, const config::Table& s, trace::Tracer& tracer,
           const StartContext&) {
    // One directory per service: two services may serve the same embedded site.
    const fs::path dir = lab_state_dir() / ("http-" + ep.host + "-" + std::to_string(ep.port));
    fs::create_directories(dir);
    http::ServerConfig config;
    for (const config::Table& site : s.get_tables("site")) {
        config.hosts.push_back(host_config(site, dir));
    }
    std::shared_ptr<const http::VirtualHosts> hosts =
        http::build_virtual_hosts(config, http::mount_app);

    const auto link = access_link(s);
    http::ServerOptions o;
    // Behind a link the server takes any free port; the link takes the service's.
    o.listen = {link ? HostPort{ep.host, 0} : ep};
    o.access_log = access_log(dir / "access.log");
    const auto bound = http::start_server(
        rt, o,
        [hosts](const http::Request& request, const std::string& body, const http::Peer& peer) {
            return hosts->handle(request, body, peer);
        },
        tracer);
    if (link) {
        link::LinkOptions lo = *link;
        lo.listen = {ep};
        lo.target = HostPort{ep.host, bound.front().port()};
        (void)link::start_link(rt, lo, tracer);
    }
}

// GET / of every name of every site, through the service's port (and so its link): each
// must answer 200, and the shop must hand out a session cookie.
Result<std::string> probe(const HostPort& ep, const config::Table& s) {
    std::size_t fetched = 0;
    std::string cookies;
    for (const config::Table& site : s.get_tables("site")) {
        const bool shop = site.get_string("app").value_or("") == "shop";
        for (const std::string& name : site_names_of(site)) {
            http::ClientRequest request;
            request.url.scheme = "http";
            request.url.host = ep.host;
            request.url.port = ep.port;
            request.url.target = "/";
            request.fields.set("Host", name);
            http::ClientOptions options;
            options.connect_timeout = std::chrono::seconds(3);
            options.timeout = std::chrono::seconds(5);
            options.on_body = [](std::string_view) { return true; };
            auto reply = http::fetch(request, options);
            if (!reply) {
                return make_error(name + ": " + reply.error().message);
            }
            const http::Response& r = reply->response;
            if (r.status != 200) {
                return make_error(name + ": GET / answered " + std::to_string(r.status));
            }
            if (shop) {
                const auto& all = r.fields.all();
                const bool sid = std::any_of(all.begin(), all.end(), [](const http::Field& f) {
                    return http::iequals(f.name, "Set-Cookie") && f.value.starts_with("sid=");
                });
                if (!sid) {
                    return make_error(name + ": GET / set no sid cookie");
                }
                cookies += (cookies.empty() ? "" : ", ") + name;
            }
            ++fetched;
        }
    }
    std::string result = "GET / 200 for " + std::to_string(fetched) + " name(s)";
    if (!cookies.empty()) {
        result += ", sid cookie from " + cookies;
    }
    return result;
}

}  // namespace

ServiceKind http_service() {
    ServiceKind k;
    k.name = "http";
    k.protocol = "tcp";
    k.summary = "web server (HTTP/1.1) with virtual hosts: the lab's sites and the shop";
    k.validate = validate;
    k.start = start;
    k.probe = probe;
    return k;
}

}  // namespace l7::lab
