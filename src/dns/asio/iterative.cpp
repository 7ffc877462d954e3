#include "dns/asio/iterative.hpp"

#include "dns/asio/client.hpp"

namespace l7::dns {

asio::awaitable<void> run_resolution(Lookup& resolution, trace::Tracer& tracer) {
    while (!resolution.done()) {
        auto request = resolution.poll_request(Clock::now());
        if (!request) {
            break;
        }
        ExchangeOptions o;
        auto hp = parse_host_port(request->server);
        if (!hp) {
            resolution.on_timeout(request->token, Clock::now());
            continue;
        }
        o.server = *hp;
        o.tcp = request->tcp;
        o.tcp_on_truncation = false;  // the state machine decides
        o.tries = 1;                  // and retries elsewhere
        o.timeout = request->timeout;
        auto result = co_await async_exchange(request->query, o, tracer);
        if (result) {
            resolution.on_reply(request->token, request->server, result->reply, Clock::now());
        }
        if (resolution.waiting_for(request->token)) {
            // No reply, or one that failed the checks (0x20 case, question): as a timeout.
            resolution.on_timeout(request->token, Clock::now());
        }
    }
}

}  // namespace l7::dns
