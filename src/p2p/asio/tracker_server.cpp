#include "p2p/asio/tracker_server.hpp"

#include <asio/steady_timer.hpp>
#include <random>

#include "core/log.hpp"
#include "core/secure_random.hpp"
#include "http/asio/server.hpp"
#include "http/html_escape.hpp"
#include "http/target_path.hpp"
#include "net/timeout.hpp"
#include "p2p/tracker_udp.hpp"

namespace l7::p2p {
namespace {

constexpr auto kExpiryPeriod = std::chrono::seconds(30);
constexpr std::size_t kStatusTorrents = 100;

std::string random_key() {
    std::string key;
    for (int i = 0; i < 4; ++i) {
        const std::uint64_t bits = secure_random64();
        key.append(reinterpret_cast<const char*>(&bits), sizeof bits);
    }
    return key;
}

std::optional<PeerAddress> address_of(const asio::ip::address& ip, std::uint16_t port) {
    if (ip.is_v4()) {
        return PeerAddress::v4(ip.to_v4().to_bytes(), port).unmapped();
    }
    return PeerAddress::v6(ip.to_v6().to_bytes(), port).unmapped();
}

// "ADDR:PORT" or "[ADDR]:PORT" as the HTTP server reports its peer.
std::optional<PeerAddress> address_of(const std::string& text) {
    auto hp = parse_host_port(text);
    if (!hp) {
        return std::nullopt;
    }
    auto parsed = parse_ip_address(hp->host, hp->port);
    if (!parsed) {
        return std::nullopt;
    }
    return parsed->unmapped();
}

http::Reply text_reply(int status, std::string content_type, std::string body) {
    http::Reply r;
    r.response.status = status;
    r.response.fields.add("Content-Type", std::move(content_type));
    r.response.fields.add("Cache-Control", "no-store");  // announces are never cached
    r.body.push_back({std::move(body), std::nullopt});
    return r;
}

http::Reply bencoded(std::string body) {
    return text_reply(200, "text/plain", std::move(body));
}

}  // namespace

struct TrackerServer::State {
    explicit State(TrackerServerOptions o)
        : options(std::move(o)),
          registry(
              options.swarm,
              [gen = std::make_shared<std::mt19937_64>(secure_random64())] { return (*gen)(); }),
          ids(random_key()) {}

    TrackerServerOptions options;
    std::mutex mutex;  // the registry, across workers
    SwarmRegistry registry;
    UdpConnectionIds ids;

    http::Reply handle_http(const http::Request& request, const http::Peer& peer) {
        auto target = http::parse_target(request.target);
        if (!target) {
            return http::error_reply(400);
        }
        if (request.method != "GET" && request.method != "HEAD") {
            http::Reply r = http::error_reply(405);
            r.response.fields.add("Allow", "GET, HEAD");
            return r;
        }
        if (target->path == "/announce") {
            return announce(target->query, peer);
        }
        if (target->path == "/scrape") {
            return scrape(target->query);
        }
        if (target->path == "/") {
            return status_page();
        }
        return http::error_reply(404);
    }

    http::Reply announce(const std::string& query, const http::Peer& peer) {
        auto request = parse_announce_query(query);
        if (!request) {
            // BEP 3: a failure is a bencoded dictionary with a reason, still status 200.
            AnnounceResponse failure;
            failure.failure_reason = request.error().message;
            return bencoded(encode_announce_response(failure, true));
        }
        const auto from = address_of(peer.address());
        if (!from) {
            return http::error_reply(500);
        }
        AnnounceResponse response;
        {
            std::lock_guard lock(mutex);
            response = registry.announce(*request, *from, Clock::now());
        }
        return bencoded(encode_announce_response(response, request->compact));
    }

    http::Reply scrape(const std::string& query) {
        auto hashes = parse_scrape_query(query);
        if (!hashes) {
            ScrapeResponse failure;
            failure.failure_reason = hashes.error().message;
            return bencoded(encode_scrape_response(failure));
        }
        ScrapeResponse response;
        {
            std::lock_guard lock(mutex);
            response = registry.scrape(*hashes);
        }
        return bencoded(encode_scrape_response(response));
    }

    http::Reply status_page() {
        SwarmStats totals;
        std::vector<TorrentStats> torrents;
        {
            std::lock_guard lock(mutex);
            totals = registry.stats();
            torrents = registry.torrent_stats(kStatusTorrents);
        }
        std::string html =
            "<!DOCTYPE html>\n<html><head><title>l7 tracker</title></head>\n<body>\n"
            "<h1>l7 tracker</h1>\n<p>" +
            std::to_string(totals.torrents) + " torrents, " + std::to_string(totals.seeds) +
            " seeds, " + std::to_string(totals.leechers) + " leechers, " +
            std::to_string(totals.completed) + " downloads completed.</p>\n";
        html +=
            "<table>\n<tr><th>info hash</th><th>seeds</th><th>leechers</th>"
            "<th>completed</th></tr>\n";
        for (const TorrentStats& t : torrents) {
            html += "<tr><td><code>" + to_hex(t.info_hash) + "</code></td><td>" +
                    std::to_string(t.seeds) + "</td><td>" + std::to_string(t.leechers) +
                    "</td><td>" + std::to_string(t.completed) + "</td></tr>\n";
        }
        html += "</table>\n";
        if (totals.torrents > torrents.size()) {
            html += "<p>(the " + std::to_string(torrents.size()) + " busiest shown)</p>\n";
        }
        html += "</body></html>\n";
        return text_reply(200, "text/html; charset=utf-8", std::move(html));
    }

    // One datagram; the reply's bytes, or nothing (a packet not worth an answer).
    std::optional<std::string> handle_udp(std::string_view packet,
                                          const asio::ip::udp::endpoint& sender) {
        const auto from = address_of(sender.address(), sender.port());
        auto request = decode_udp_request(packet);
        if (!from || !request) {
            return std::nullopt;  // BEP 15 gives no error for what cannot be parsed
        }
        const auto now = Clock::now();
        const std::uint32_t tx = transaction_id(*request);
        if (std::holds_alternative<UdpConnectRequest>(*request)) {
            return encode_udp_response(UdpConnectResponse{tx, ids.issue(*from, now)});
        }
        if (!ids.accepts(*connection_id(*request), *from, now)) {
            return encode_udp_response(UdpErrorResponse{tx, "connection id expired or unknown"});
        }
        std::lock_guard lock(mutex);
        if (const auto* a = std::get_if<UdpAnnounceRequest>(&*request)) {
            const AnnounceResponse response =
                registry.announce(to_announce_request(*a), *from, now);
            return encode_udp_response(to_udp_announce_response(response, tx, from->family),
                                       from->family);
        }
        const auto& s = std::get<UdpScrapeRequest>(*request);
        return encode_udp_response(to_udp_scrape_response(registry.scrape(s.info_hashes), tx));
    }
};

TrackerServer::TrackerServer(TrackerServerOptions options)
    : state_(std::make_shared<State>(std::move(options))) {}

TrackerServer::~TrackerServer() = default;

TrackerEndpoints TrackerServer::start(net::Runtime& runtime, trace::Tracer& tracer) {
    TrackerEndpoints bound;
    auto state = state_;
    if (state->options.http) {
        http::ServerOptions http;
        http.listen = state->options.listen;
        http.server_name = "l7-tracker";
        http.access_log = state->options.access_log;
        bound.http = http::start_server(
            runtime, http,
            [state](const http::Request& request, const std::string&, const http::Peer& peer) {
                return state->handle_http(request, peer);
            },
            tracer);
    }
    if (state->options.udp) {
        for (HostPort address : state->options.listen) {
            // The UDP side shares the HTTP side's port (an ephemeral one included).
            for (const auto& ep : bound.http) {
                if (address.port == 0 && ep.address().to_string() == address.host) {
                    address.port = ep.port();
                }
            }
            const auto ep = runtime.listen_udp(
                address,
                [state](std::shared_ptr<asio::ip::udp::socket> sock,
                        net::Task& task) -> asio::awaitable<void> {
                    auto guard = task.on_interrupt([sock] {
                        std::error_code ignored;
                        sock->cancel(ignored);
                    });
                    std::vector<char> buffer(2048);  // requests are at most ~610 bytes
                    asio::ip::udp::endpoint sender;
                    while (sock->is_open() && !task.draining()) {
                        task.set_idle(true);
                        auto [ec, n] = co_await sock->async_receive_from(
                            asio::buffer(buffer), sender, net::as_tuple_awaitable);
                        task.set_idle(false);
                        if (ec == asio::error::operation_aborted || !sock->is_open()) {
                            break;
                        }
                        if (ec) {
                            continue;  // an ICMP error from an earlier send
                        }
                        if (auto reply =
                                state->handle_udp(std::string_view(buffer.data(), n), sender)) {
                            std::error_code ignored;
                            sock->send_to(asio::buffer(*reply), sender, 0, ignored);
                        }
                    }
                });
            log::info("tracker", "listening on udp " +
                                     HostPort{ep.address().to_string(), ep.port()}.to_string() +
                                     " (bittorrent tracker)");
            bound.udp.push_back(ep);
        }
    }
    runtime.worker(0).tasks.spawn([state, &runtime](net::Task& task) -> asio::awaitable<void> {
        asio::steady_timer timer(runtime.worker(0).io);
        auto guard = task.on_interrupt([&timer] { timer.cancel(); });
        while (!task.draining()) {
            timer.expires_after(kExpiryPeriod);
            task.set_idle(true);
            co_await timer.async_wait(net::as_tuple_awaitable);
            task.set_idle(false);
            std::lock_guard lock(state->mutex);
            if (const std::size_t gone = state->registry.expire(Clock::now())) {
                log::info("tracker", std::to_string(gone) + " silent peers dropped");
            }
        }
    });
    return bound;
}

}  // namespace l7::p2p
