#include "dns/asio/server.hpp"

#include <asio/read.hpp>
#include <asio/write.hpp>
#include <csignal>
#include <thread>

#include "core/log.hpp"
#include "dns/asio/server_common.hpp"
#include "dns/asio/udp_batch.hpp"
#include "dns/message_text.hpp"
#include "dns/transfer.hpp"
#include "net/reload_signal.hpp"
#include "net/timeout.hpp"

namespace l7::dns {
namespace {

// Everything but a zone transfer over TCP: NOTIFY, UPDATE and queries. `info.transfer` tells
// the caller that the message was an AXFR or IXFR query.
std::size_t handle_message(const ZoneSet& zones, std::span<const std::uint8_t> query,
                           std::span<std::uint8_t> out, Transport transport,
                           const asio::ip::address& from, const ServerOptions& options,
                           ResponseInfo& info) {
    const auto header = read_header(query);
    if (!header || header->qr) {
        return 0;
    }
    if (header->opcode == Opcode::NOTIFY) {
        const auto notify = parse_notify(query);
        if (!notify) {
            return error_response(query, Rcode::FORMERR, out);
        }
        if (!options.on_notify) {
            return notify_response(*notify, Rcode::NOTIMP, out);
        }
        return notify_response(*notify, options.on_notify(*notify, from), out);
    }
    if (header->opcode == Opcode::UPDATE) {
        if (!options.on_update) {
            return error_response(query, Rcode::NOTIMP, out);
        }
        return options.on_update(query, out, from);
    }
    const std::size_t size = respond(zones, query, out, transport, options.responder, &info);
    if (info.transfer && transport == Transport::udp) {
        // RFC 1995 section 2: an IXFR over UDP gets the current SOA, which tells the client
        // it is up to date or should ask again over TCP.
        const auto tq = parse_transfer_query(query);
        if (tq && tq->question.type == RRType::IXFR && options.allow_transfer.allows(from)) {
            const Zone* zone = zones.find_zone(tq->question.name.wire());
            if (zone != nullptr && zone->origin() == tq->question.name && zone->soa() != nullptr) {
                MessageBuilder b(out, std::min<std::size_t>(out.size(), 512));
                Header h;
                h.id = tq->id;
                h.qr = true;
                h.aa = true;
                b.header(h);
                (void)b.question(tq->question);
                (void)b.add(Section::answer, zone->origin().wire(), RRType::SOA, RRClass::IN,
                            zone->soa()->ttl(), *zone->soa()->begin());
                return b.finish().size();
            }
        }
    }
    return size;
}

asio::awaitable<void> serve_udp(std::shared_ptr<asio::ip::udp::socket> shared, net::Task& task,
                                std::shared_ptr<ZoneStore> store, const ServerOptions& options,
                                trace::Tracer& tracer) {
    asio::ip::udp::socket& sock = *shared;
    ZoneView zones(*store);
    // Wait until readable, then drain in batches; a bounded number of batches per wake-up
    // keeps the other tasks of this worker served under a flood.
    constexpr std::size_t kSlots = 16;
    constexpr int kBatchesPerWake = 16;
    UdpBatch batch(kSlots, std::max<std::size_t>(options.responder.max_udp_size, 512));
    auto guard = task.on_interrupt([&sock] {
        std::error_code ignored;
        sock.cancel(ignored);
    });
    while (sock.is_open() && !task.draining()) {
        task.set_idle(true);
        auto [ec] = co_await sock.async_wait(asio::socket_base::wait_read, net::as_tuple_awaitable);
        task.set_idle(false);
        if (ec == asio::error::operation_aborted || !sock.is_open()) {
            break;
        }
        if (ec) {
            log::debug("dns", "udp wait: " + ec.message());
            continue;
        }
        for (int round = 0; round < kBatchesPerWake; ++round) {
            std::error_code receive_error;
            const std::size_t n = batch.receive(sock.native_handle(), receive_error);
            if (receive_error) {
                // ICMP errors from earlier sends surface here (ECONNREFUSED): not fatal.
                log::debug("dns", "udp receive: " + receive_error.message());
            }
            for (std::size_t i = 0; i < n; ++i) {
                const auto query = batch.datagram(i);
                const auto reply = batch.reply_buffer(i);
                ResponseInfo info;
                const auto sender = batch.sender(i);
                const std::size_t size =
                    batch.truncated(i) ? error_response(query, Rcode::FORMERR, reply)
                                       : handle_message(zones.get(), query, reply, Transport::udp,
                                                        sender.address(), options, info);
                if (tracer.enabled()) {
                    trace_exchange(tracer, "dns", endpoint_text(sender),
                                   trace::Tracer::next_connection_id(), query,
                                   std::span<const std::uint8_t>(reply.data(), size));
                }
                batch.set_reply(i, size);
            }
            (void)batch.send(sock.native_handle());
            if (n < batch.slots()) {
                break;  // drained
            }
        }
    }
}

// Streams an AXFR or IXFR reply (transfer.hpp), one length-prefixed message at a time.
asio::awaitable<bool> send_transfer(asio::ip::tcp::socket& sock, std::shared_ptr<const Zone> zone,
                                    const TransferQuery& query, std::vector<std::uint8_t>& out,
                                    const std::string& peer, trace::Tracer& tracer,
                                    std::uint64_t conn) {
    OutgoingTransfer transfer(zone, query);
    std::size_t messages = 0;
    while (true) {
        const std::size_t size = transfer.next(std::span(out).subspan(2));
        if (size == 0) {
            break;
        }
        ++messages;
        if (tracer.enabled()) {
            trace_exchange(tracer, "dns-xfr", peer, conn, {},
                           std::span<const std::uint8_t>(out.data() + 2, size));
        }
        if (!co_await write_framed(sock, out, size)) {
            log::warn("dns", peer + ": transfer of " + zone->origin().to_text() + " interrupted");
            co_return false;
        }
    }
    log::info("dns", peer + ": " + type_to_text(query.question.type) + " " +
                         zone->origin().to_text() + " serial " + std::to_string(zone->serial()) +
                         ": " + std::to_string(transfer.records_sent()) + " records in " +
                         std::to_string(messages) + (messages == 1 ? " message" : " messages") +
                         (transfer.incremental() ? " (incremental)" : ""));
    co_return true;
}

asio::awaitable<void> serve_tcp(asio::ip::tcp::socket sock, net::Task& task,
                                std::shared_ptr<ZoneStore> store, ServerOptions options,
                                trace::Tracer& tracer) {
    std::error_code ec;
    const auto remote = sock.remote_endpoint(ec);
    const std::string peer = ec ? "?" : endpoint_text(remote);
    const std::uint64_t conn = trace::Tracer::next_connection_id();
    ZoneView zones(*store);
    auto guard = task.on_interrupt([&sock] {
        std::error_code ignored;
        sock.cancel(ignored);
    });
    std::vector<std::uint8_t> in(65535);
    std::vector<std::uint8_t> out(2 + 65535);
    while (!task.draining()) {
        // RFC 7766 section 8: each message behind its two-byte length.
        std::uint8_t prefix[2];
        task.set_idle(true);
        auto got = co_await net::with_timeout(
            asio::async_read(sock, asio::buffer(prefix), net::as_tuple_awaitable),
            options.tcp_idle_timeout);
        task.set_idle(false);
        if (!got || std::get<0>(*got)) {
            break;  // idle timeout, EOF or error: the client reconnects when it needs to
        }
        const std::size_t length = static_cast<std::size_t>(prefix[0] << 8 | prefix[1]);
        auto body = co_await net::with_timeout(
            asio::async_read(sock, asio::buffer(in.data(), length), net::as_tuple_awaitable),
            options.tcp_idle_timeout);
        if (!body || std::get<0>(*body)) {
            log::debug("dns", peer + ": tcp message cut short");
            break;
        }
        const auto query = std::span<const std::uint8_t>(in.data(), length);
        ResponseInfo info;
        std::size_t size = handle_message(zones.get(), query, std::span(out).subspan(2),
                                          Transport::tcp, remote.address(), options, info);
        if (info.transfer) {
            const auto tq = parse_transfer_query(query);
            if (tq && !options.allow_transfer.allows(remote.address())) {
                log::info("dns", peer + ": " + type_to_text(tq->question.type) + " " +
                                     tq->question.name.to_text() +
                                     " refused (not in allow-transfer)");
                size = error_response(query, Rcode::REFUSED, std::span(out).subspan(2));
            } else if (tq) {
                const auto zone = store->find(tq->question.name);
                if (!zone || zone->is_expired()) {
                    size = error_response(query, zone ? Rcode::SERVFAIL : Rcode::NOTAUTH,
                                          std::span(out).subspan(2));
                } else {
                    if (tracer.enabled()) {
                        trace_exchange(tracer, "dns-xfr", peer, conn, query, {});
                    }
                    const bool sent =
                        co_await send_transfer(sock, zone, *tq, out, peer, tracer, conn);
                    if (!sent) {
                        break;
                    }
                    continue;
                }
            }
        }
        if (tracer.enabled()) {
            trace_exchange(tracer, "dns-tcp", peer, conn, query,
                           std::span<const std::uint8_t>(out.data() + 2, size));
        }
        if (size == 0) {
            continue;
        }
        if (!co_await write_framed(sock, out, size)) {
            break;
        }
    }
    sock.shutdown(asio::socket_base::shutdown_send, ec);
    sock.close(ec);
}

// Keeps the options alive for as long as the loop runs.
asio::awaitable<void> serve_udp_owning(std::shared_ptr<asio::ip::udp::socket> sock, net::Task& task,
                                       std::shared_ptr<ZoneStore> store,
                                       std::shared_ptr<const ServerOptions> options,
                                       trace::Tracer& tracer) {
    co_await serve_udp(std::move(sock), task, std::move(store), *options, tracer);
}

}  // namespace

BoundServer start_server(net::Runtime& runtime, const ServerOptions& options,
                         std::shared_ptr<ZoneStore> zones, trace::Tracer& tracer) {
    BoundServer bound;
    for (const HostPort& requested : options.listen) {
        auto shared_options = std::make_shared<const ServerOptions>(options);
        auto udp_loop = [zones, shared_options, &tracer](
                            std::shared_ptr<asio::ip::udp::socket> sock,
                            net::Task& task) -> asio::awaitable<void> {
            return serve_udp_owning(std::move(sock), task, zones, shared_options, tracer);
        };
        auto tcp_handler = [zones, options, &tracer](asio::ip::tcp::socket sock,
                                                     net::Task& task) -> asio::awaitable<void> {
            return serve_tcp(std::move(sock), task, zones, options, tracer);
        };
        const BoundPair pair = listen_udp_and_tcp(runtime, requested, udp_loop, tcp_handler,
                                                  options.max_tcp_connections, "dns");
        bound.udp.push_back(pair.udp);
        bound.tcp.push_back(pair.tcp);
    }
    return bound;
}

void reload_on_sighup(net::Runtime& runtime, std::shared_ptr<ZoneStore> zones) {
    net::on_reload_signal(runtime, [zones] {
        log::info("dns", "SIGHUP: reloading zones");
        zones->load();
    });
}

}  // namespace l7::dns
