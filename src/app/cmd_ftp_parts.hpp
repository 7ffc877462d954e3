#pragma once
// The pieces of `l7 ftp`: the server (cmd_ftp.cpp) and the client commands
// (cmd_ftp_client.cpp).

#include <CLI/CLI.hpp>

#include "app/cli.hpp"

namespace l7::app {

// `l7 ftp ls|get|put|mkdir|rm URL ...` under `ftp_cmd`.
void add_ftp_client_commands(CLI::App& ftp_cmd, Context& context);

}  // namespace l7::app
