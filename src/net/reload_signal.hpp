#pragma once
// SIGHUP means "read your configuration again" to a Unix daemon. on_reload_signal() runs
// `reload` on a thread of its own for each SIGHUP (so a slow reload never stalls a worker),
// one at a time: a SIGHUP that arrives during a reload is dropped, the running reload reads
// the files afresh anyway. The watch ends when the runtime shuts down.

#include <functional>

#include "net/runtime.hpp"

namespace l7::net {

void on_reload_signal(Runtime& runtime, std::function<void()> reload);

}  // namespace l7::net
