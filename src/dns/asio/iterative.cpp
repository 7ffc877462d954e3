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
        // Every reply that reaches the socket goes to the state machine, which takes it or,
        // when it fails its checks (a forgery with a lucky id but the wrong 0x20 case),
        // leaves the query waiting, and the exchange listens on until the deadline.
        o.accept = [&resolution, token = request->token,
                    server = request->server](const Message& reply) {
            resolution.on_reply(token, server, reply, Clock::now());
            return !resolution.waiting_for(token);
        };
        (void)co_await async_exchange(request->query, o, tracer);
        if (resolution.waiting_for(request->token)) {
            // Silence, or nothing that passed the checks, until the timeout.
            resolution.on_timeout(request->token, Clock::now());
        }
    }
}

}  // namespace l7::dns
