// `l7 lab`: the miniature Internet on loopback.

#include <iostream>

#include "app/cli.hpp"
#include "core/log.hpp"
#include "lab/lab.hpp"
#include "lab/services.hpp"

namespace l7::app {

void register_lab_commands(CLI::App& root, Context& ctx) {
    auto common = std::make_shared<CommonOptions>();
    auto config = std::make_shared<std::string>();
    auto print = std::make_shared<bool>(false);
    auto check = std::make_shared<bool>(false);
    auto threads = std::make_shared<unsigned>(0);
    auto* lab = root.add_subcommand(
        "lab", "Start a miniature Internet on loopback: the course's hosts and their services");
    add_common_options(*lab, *common);
    lab->add_option("-c,--config", *config, "Topology file (TOML) instead of the default lab")
        ->check(CLI::ExistingFile)
        ->option_text("FILE");
    lab->add_flag("--print-config", *print, "Print the default topology (TOML) and exit");
    lab->add_flag("--check", *check,
                  "Start the lab, probe every service once with l7's own client, print PASS or "
                  "FAIL per service, and stop (exit 0 only if all pass)");
    lab->add_option("--threads", *threads, "Worker threads (default: one per core)")
        ->check(CLI::Range(0u, 256u));
    std::string kinds = "Service kinds:\n";
    for (const auto& k : lab::service_kinds()) {
        kinds += "  " + k.name + std::string(16 - std::min<std::size_t>(15, k.name.size()), ' ') +
                 k.summary + "\n";
    }
    lab->footer(kinds + R"(
Ports below 1024 are used as such when l7 may bind them (root); otherwise they move up by
[lab] privileged_port_offset (default 10000: 53 -> 10053). The table shows the ports in use.

Examples:
  l7 lab                                   # run until Ctrl-C
  l7 lab --trace                           # ... and show every exchange as C:/S: lines
  l7 lab --check                           # probe every service, exit 0 if all pass
  l7 lab --print-config > my-lab.toml && l7 lab --config my-lab.toml)");
    add_env_names(*lab, "LAB");
    lab->callback([=, &ctx] {
        ctx.action = [=, &ctx]() -> int {
            if (*print) {
                std::cout << lab::default_topology_text();
                return 0;
            }
            apply_common_options(*common, ctx, true);
            if (!common->verbose) {
                // The lab prints its own line per service; per-server logs would repeat them.
                log::configure(log::Level::warn, common->log_format == "json" ? log::Format::json
                                                                              : log::Format::text);
            }
            const auto topology = lab::load_topology(
                config->empty() ? std::nullopt : std::optional<std::string>(*config));
            return lab::run_lab(topology, {.threads = *threads, .check = *check}, ctx.tracer,
                                std::cout);
        };
    });
}

}  // namespace l7::app
