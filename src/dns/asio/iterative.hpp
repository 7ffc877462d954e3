#pragma once
// Runs a sans-I/O Resolution (resolver/resolution.hpp) over real sockets: each upstream query
// is one exchange (client.hpp) with the request's timeout, and the reply or the silence goes
// back to the state machine. Used by `l7 dns resolve`; the recursive service reuses it.

#include <asio/awaitable.hpp>

#include "core/trace/tracer.hpp"
#include "dns/resolver/lookup.hpp"

namespace l7::dns {

asio::awaitable<void> run_resolution(Lookup& resolution, trace::Tracer& tracer);

}  // namespace l7::dns
