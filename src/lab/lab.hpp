#pragma once
// Running a lab: start every service of a topology on one runtime, show the endpoints, and
// either serve until Ctrl-C (`l7 lab`) or probe each service once and stop (`l7 lab --check`).

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/trace/tracer.hpp"
#include "lab/topology.hpp"

namespace l7::lab {

// The default topology, or the file at `path`; every service kind and setting is checked.
// Throws config::ConfigError naming the file, line and key.
Topology load_topology(const std::optional<std::string>& path);

struct Endpoint {
    std::string host;
    std::string address;
    std::uint16_t port = 0;             // the port really used
    std::uint16_t configured_port = 0;  // as in the topology
    std::string protocol;
    std::string kind;
    const Service* service = nullptr;
};

std::vector<Endpoint> endpoints(const Topology& topology, unsigned first_bindable);

// The endpoint table: one row per service, and one per host that runs none yet.
std::string format_table(const Topology& topology, const std::vector<Endpoint>& endpoints);

struct RunOptions {
    unsigned threads = 0;
    bool check = false;
};

// Returns the exit code: 0, or 1 if a service could not start (or, with check, failed).
int run_lab(const Topology& topology, const RunOptions& options, trace::Tracer& tracer,
            std::ostream& out);

}  // namespace l7::lab
