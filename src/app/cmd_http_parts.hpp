#pragma once
// The `l7 http` verbs that live in files of their own (cmd_http.cpp registers them all).

#include "app/cli.hpp"

namespace l7::app {

// `l7 http get`: one request (or a redirect chain), like curl.
void add_get(CLI::App& http_cmd, Context& context);

}  // namespace l7::app
