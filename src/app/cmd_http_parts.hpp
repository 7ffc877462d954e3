#pragma once
// The `l7 http` verbs that live in files of their own (cmd_http.cpp registers them all).

#include "app/cli.hpp"

namespace l7::app {

// `l7 http serve`: static files of a directory, or virtual hosts from --config.
void add_serve(CLI::App& http_cmd, Context& context);

// `l7 http get`: one request (or a redirect chain), like curl.
void add_get(CLI::App& http_cmd, Context& context);

// `l7 http page`: a page and its objects, non-persistent, persistent, pipelined or parallel.
void add_page(CLI::App& http_cmd, Context& context);

// `l7 http passwd`: add, change or delete a user of a password file.
void add_passwd(CLI::App& http_cmd, Context& context);

// `l7 http shop`: the course's cookie demo (sessions, cart, recommendations) on its own.
void add_shop(CLI::App& http_cmd, Context& context);

}  // namespace l7::app
