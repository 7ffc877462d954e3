#pragma once
// A local control channel for a running server (`l7 dns ctl`): a Unix stream socket, readable
// and writable by its owner only, where each connection sends one command line and reads the
// server's text answer until the server closes. Local only by construction: nothing on the
// network can reach it, so it needs no authentication beyond the file's permissions.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "net/runtime.hpp"

namespace l7::net {

using ControlHandler = std::function<std::string(std::string_view command)>;

// Listens on `path` on the runtime's first worker and removes the file at shutdown. A file
// left by a server that is gone is replaced; one that a live server answers on is not
// (BindError, one sentence naming the path).
void serve_control_socket(Runtime& runtime, const std::string& path, ControlHandler handler);

// Sends one command and returns the whole answer. The error names the path ("no server is
// listening on ...").
Result<std::string> control_request(const std::string& path, std::string_view command,
                                    std::chrono::milliseconds timeout);

// $XDG_RUNTIME_DIR/l7-NAME.sock, or /tmp/l7-NAME-UID.sock.
std::string default_control_path(const std::string& name);

}  // namespace l7::net
