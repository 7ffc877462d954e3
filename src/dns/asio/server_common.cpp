#include "dns/asio/server_common.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/write.hpp>

#include "core/log.hpp"
#include "dns/message.hpp"
#include "dns/message_text.hpp"
#include "net/timeout.hpp"

namespace l7::dns {
namespace {

constexpr auto write_timeout = std::chrono::seconds(10);

std::string summary(std::span<const std::uint8_t> wire) {
    auto m = decode_message(wire);
    if (!m) {
        return "malformed message (" + std::to_string(wire.size()) +
               " bytes): " + m.error().message;
    }
    return summarize_message(*m);
}

}  // namespace

void trace_exchange(trace::Tracer& tracer, std::string_view proto, const std::string& peer,
                    std::uint64_t conn, std::span<const std::uint8_t> query,
                    std::span<const std::uint8_t> reply) {
    trace::Recorder rec;
    rec.enable(true);
    rec.record(trace::Direction::to_server, summary(query));
    if (reply.empty()) {
        rec.record(trace::Direction::note, "no reply");
    } else {
        rec.record(trace::Direction::to_client, summary(reply));
    }
    tracer.flush(rec, conn, proto, peer);
}

asio::awaitable<bool> write_framed(asio::ip::tcp::socket& sock, std::vector<std::uint8_t>& out,
                                   std::size_t size) {
    out[0] = static_cast<std::uint8_t>(size >> 8);
    out[1] = static_cast<std::uint8_t>(size);
    auto written = co_await net::with_timeout(
        asio::async_write(sock, asio::buffer(out.data(), size + 2), net::as_tuple_awaitable),
        write_timeout);
    co_return written && !std::get<0>(*written);
}

std::uint16_t port_free_for_both(const std::string& host) {
    std::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) {
        return 0;  // the runtime reports the bad address
    }
    asio::io_context io;
    for (int attempt = 0; attempt < 32; ++attempt) {
        asio::ip::udp::socket udp(io);
        udp.open(address.is_v4() ? asio::ip::udp::v4() : asio::ip::udp::v6(), ec);
        udp.bind({address, 0}, ec);
        if (ec) {
            return 0;
        }
        const std::uint16_t port = udp.local_endpoint(ec).port();
        asio::ip::tcp::acceptor tcp(io);
        tcp.open(address.is_v4() ? asio::ip::tcp::v4() : asio::ip::tcp::v6(), ec);
        tcp.bind({address, port}, ec);
        if (!ec) {
            return port;
        }
    }
    return 0;
}

BoundPair listen_udp_and_tcp(net::Runtime& runtime, const HostPort& requested,
                             net::Runtime::UdpLoop udp_loop, net::Runtime::TcpHandler tcp_handler,
                             std::size_t max_tcp_connections, std::string_view label) {
    const HostPort address = requested.port == 0
                                 ? HostPort{requested.host, port_free_for_both(requested.host)}
                                 : requested;
    BoundPair bound;
    bound.udp = runtime.listen_udp(address, std::move(udp_loop));
    HostPort tcp_address = address;
    tcp_address.port = bound.udp.port();
    bound.tcp = runtime.listen_tcp(tcp_address, std::move(tcp_handler),
                                   {.max_connections = max_tcp_connections});
    const std::string suffix = " (" + std::string(label) + ")";
    log::info("dns", "listening on udp " + endpoint_text(bound.udp) + suffix);
    log::info("dns", "listening on tcp " + endpoint_text(bound.tcp) + suffix);
    return bound;
}

}  // namespace l7::dns
