// `l7 http`: registers the verbs, each of which lives in a cmd_http_*.cpp of its own.

#include "app/cli.hpp"
#include "app/cmd_http_parts.hpp"

namespace l7::app {

void register_http_commands(CLI::App& root, Context& ctx) {
    auto* http_cmd = root.add_subcommand("http", "HTTP/1.1: server and client");
    http_cmd->require_subcommand(1);
    http_cmd->footer(R"(Examples:
  l7 http serve ./site --listen 127.0.0.1:8080
  l7 http get -v http://127.0.0.1:8080/)");
    add_serve(*http_cmd, ctx);
    add_get(*http_cmd, ctx);
    add_page(*http_cmd, ctx);
    add_passwd(*http_cmd, ctx);
    add_shop(*http_cmd, ctx);
    for (CLI::App* verb : http_cmd->get_subcommands({})) {
        add_env_names(*verb, "HTTP");
    }
}

}  // namespace l7::app
