#pragma once
// The in-process apps a virtual host can mount by name (HostConfig::app, kKnownApps): the
// one place that knows them all, for `l7 http serve --config` and the lab alike.

#include "http/asio/routes.hpp"
#include "http/server_config.hpp"

namespace l7::http {

// Adds the routes of `host.app` (which load_server_config has checked) to `routes`.
// Throws config::ConfigError when the app cannot start (its database cannot be opened).
void mount_app(const HostConfig& host, Routes& routes);

}  // namespace l7::http
