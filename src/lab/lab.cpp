#include "lab/lab.hpp"

#include <cstdlib>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <thread>

#include "core/log.hpp"
#include "lab/services.hpp"

namespace l7::lab {

Topology load_topology(const std::optional<std::string>& path) {
    const config::Table root =
        path ? config::Table::load_file(*path)
             : config::Table::parse(default_topology_text(), "<default lab topology>");
    Topology topo = parse_topology(root, [](const std::string& kind) {
        const ServiceKind* k = find_service_kind(kind);
        return k != nullptr ? k->protocol : std::string();
    });
    for (const Host& h : topo.hosts) {
        for (const Service& s : h.services) {
            find_service_kind(s.kind)->validate(s.settings);
        }
    }
    return topo;
}

std::vector<Endpoint> endpoints(const Topology& topology, unsigned first_bindable) {
    std::vector<Endpoint> out;
    for (const Host& h : topology.hosts) {
        for (const Service& s : h.services) {
            const ServiceKind* kind = find_service_kind(s.kind);
            out.push_back(
                Endpoint{h.name, h.address,
                         effective_port(s.port, first_bindable, topology.privileged_port_offset),
                         s.port, kind->protocol, s.kind, &s});
        }
    }
    return out;
}

std::string format_table(const Topology& topology, const std::vector<Endpoint>& eps) {
    std::ostringstream t;
    auto row = [&t](const std::string& host, const std::string& addr, const std::string& port,
                    const std::string& proto, const std::string& service) {
        // Each column ends with a space, so values wider than the column stay separated.
        t << std::left << std::setw(23) << host << ' ' << std::setw(15) << addr << ' '
          << std::setw(13) << port << ' ' << std::setw(7) << proto << ' ' << service << "\n";
    };
    row("HOST", "ADDRESS", "PORT", "PROTO", "SERVICE");
    for (const Host& h : topology.hosts) {
        bool any = false;
        for (const Endpoint& e : eps) {
            if (e.host != h.name) {
                continue;
            }
            any = true;
            std::string port = std::to_string(e.port);
            if (e.port != e.configured_port) {
                port += " (" + std::to_string(e.configured_port) + ")";
            }
            row(h.name, h.address, port, e.protocol, e.kind);
        }
        if (!any) {
            row(h.name, h.address, "-", "-", "(no services yet)");
        }
    }
    return t.str();
}

namespace {

std::string endpoint_text(const Endpoint& e) {
    return e.protocol + " " + e.address + ":" + std::to_string(e.port);
}

}  // namespace

int run_lab(const Topology& topology, const RunOptions& options, trace::Tracer& tracer,
            std::ostream& out) {
    const auto eps = endpoints(topology, first_bindable_port());
    // Inside the lab, names are the lab's: every service (and --check's clients) that looks a
    // name up with l7's stub resolver asks the lab's local DNS server. Set before any thread
    // starts and before the process's resolver is first built (dns/asio/client_resolver.hpp).
    for (const Endpoint& e : eps) {
        if (e.kind == "dns-resolver") {
            ::setenv("L7_RESOLVER", (e.address + ":" + std::to_string(e.port)).c_str(), 0);
            break;
        }
    }
    net::Runtime runtime({.threads = options.threads, .handle_signals = !options.check});
    out << "l7 lab: starting " << eps.size() << " service(s) on " << topology.hosts.size()
        << " host(s)\n";
    StartContext context;
    context.find = [&eps](const std::string& host,
                          const std::string& kind) -> std::optional<HostPort> {
        for (const Endpoint& e : eps) {
            if (e.host == host && e.kind == kind) {
                return HostPort{e.address, e.port};
            }
        }
        return std::nullopt;
    };
    context.settings = [&eps](const std::string& host,
                              const std::string& kind) -> const config::Table* {
        for (const Endpoint& e : eps) {
            if (e.host == host && e.kind == kind) {
                return &e.service->settings;
            }
        }
        return nullptr;
    };
    const unsigned first_bindable = first_bindable_port();
    context.effective_port = [first_bindable, &topology](std::uint16_t configured) {
        return effective_port(configured, first_bindable, topology.privileged_port_offset);
    };
    for (const Endpoint& e : eps) {
        try {
            find_service_kind(e.kind)->start(runtime, HostPort{e.address, e.port},
                                             e.service->settings, tracer, context);
        } catch (const std::exception& ex) {
            out << "  FAIL " << std::left << std::setw(24) << e.host << std::setw(16) << e.kind
                << endpoint_text(e) << ": " << ex.what() << "\n";
            out << "l7 lab: a service could not start; stopping.\n";
            return 1;
        }
        out << "  up   " << std::left << std::setw(24) << e.host << std::setw(16) << e.kind
            << endpoint_text(e) << "\n";
        out.flush();
    }
    out << "\n" << format_table(topology, eps) << "\n";
    out.flush();

    if (!options.check) {
        if (!eps.empty()) {
            const Endpoint& first = eps.front();
            out << "Try: l7 socket " << (first.protocol == "tcp" ? "tcp" : "udp")
                << "-client --server " << first.address << ":" << first.port << " hello\n";
        }
        for (const Endpoint& e : eps) {
            if (e.kind != "dns") {
                continue;
            }
            const auto zones = e.service->settings.get_tables("zone");
            const std::string origin =
                zones.empty() ? "." : zones.front().get_string("origin").value_or(".");
            out << "Try: l7 dns query " << origin << " NS @" << e.address << ":" << e.port
                << " +norec    (" << e.host << ")\n";
            break;
        }
        for (const Endpoint& e : eps) {
            if (e.kind == "dns-resolver") {
                out << "Try: dig @" << e.address << " -p " << e.port << " www.hamburger.edu    ("
                    << e.host << ", the local DNS server)\n"
                    << "     export L7_RESOLVER=" << e.address << ":" << e.port
                    << "    (l7's clients then find the lab's names)\n";
                break;
            }
        }
        out << "The lab is running; press Ctrl-C to stop it.\n";
        out.flush();
        runtime.run();
        out << "l7 lab: stopped.\n";
        return 0;
    }

    std::thread server([&runtime] { runtime.run(); });
    std::size_t passed = 0;
    for (const Endpoint& e : eps) {
        const ServiceKind* kind = find_service_kind(e.kind);
        const HostPort ep{e.address, e.port};
        auto result = kind->probe_in_lab ? kind->probe_in_lab(ep, e.service->settings, context)
                                         : kind->probe(ep, e.service->settings);
        out << (result ? "PASS " : "FAIL ") << std::left << std::setw(24) << e.host << std::setw(16)
            << e.kind << std::setw(24) << endpoint_text(e) << ' '
            << (result ? *result : result.error().message) << "\n";
        out.flush();
        passed += result ? 1 : 0;
    }
    runtime.request_stop();
    server.join();
    out << passed << " of " << eps.size() << " services passed\n";
    return passed == eps.size() ? 0 : 1;
}

}  // namespace l7::lab
