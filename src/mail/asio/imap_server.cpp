#include "mail/asio/imap_server.hpp"

#include <array>
#include <asio/write.hpp>
#include <variant>

#include "core/log.hpp"
#include "mail/asio/imap_store.hpp"
#include "mail/imap/session.hpp"
#include "net/timeout.hpp"

namespace l7::mail {
namespace {

using tcp = asio::ip::tcp;

struct Service {
    ImapServiceOptions options;
    std::shared_ptr<Mailboxes> mailboxes;
};

// Mailboxes' users, each with their Maildir (created on first login).
class MailboxAccounts : public imap::ImapAccounts {
  public:
    MailboxAccounts(const Service& service, std::string peer)
        : service_(service), peer_(std::move(peer)) {}

    std::unique_ptr<imap::ImapMailStore> login(std::string_view user,
                                               std::string_view password) override {
        Mailboxes& boxes = *service_.mailboxes;
        if (!boxes.verify(user, password)) {
            log::info("imap", peer_ + ": authentication failed for '" + std::string(user) + "'");
            return nullptr;
        }
        Maildir box = boxes.mailbox(user);
        if (!box.exists()) {
            if (auto ec = box.create()) {
                log::error("imap",
                           box.root().string() + ": cannot create the Maildir: " + ec.message());
                return nullptr;
            }
        }
        IndexLimits limits;
        limits.max_message_size = service_.options.max_message_size;
        return std::make_unique<MaildirImapStore>(std::move(box), boxes.namer(), limits);
    }

  private:
    const Service& service_;
    std::string peer_;
};

asio::awaitable<void> write_all(tcp::socket& sock, const std::string& bytes,
                                std::chrono::milliseconds timeout, bool& ok) {
    auto written = co_await net::with_timeout(
        asio::async_write(sock, asio::buffer(bytes), net::as_tuple_awaitable), timeout);
    ok = written && !std::get<0>(*written);
}

asio::awaitable<void> serve_imap(tcp::socket sock, net::Task& task,
                                 std::shared_ptr<const Service> service, trace::Tracer& tracer) {
    std::error_code ec;
    const auto remote = sock.remote_endpoint(ec);
    const std::string peer_text =
        ec ? "?" : HostPort{remote.address().to_string(), remote.port()}.to_string();
    const std::uint64_t conn = trace::Tracer::next_connection_id();
    auto guard = task.on_interrupt([&sock] {
        std::error_code ignored;
        sock.cancel(ignored);
    });

    MailboxAccounts accounts(*service, peer_text);
    imap::ImapServerConfig config;
    config.hostname = service->options.hostname;
    config.limits.framer.max_literal = service->options.max_message_size;
    config.limits.framer.max_literal_total = service->options.max_message_size + 64 * 1024;
    imap::ImapServerSession session(config, accounts);
    session.trace().enable(tracer.enabled());
    session.start();

    std::array<char, 16384> buffer;
    auto idle_since = std::chrono::steady_clock::now();
    bool open = true;
    while (open) {
        while (auto event = session.next_event()) {
            if (auto* send = std::get_if<imap::ImapSend>(&*event)) {
                bool ok = false;
                co_await write_all(sock, send->bytes, service->options.write_timeout, ok);
                if (!ok) {
                    open = false;
                    break;
                }
            } else {
                open = false;
                break;
            }
        }
        if (tracer.enabled()) {
            tracer.flush(session.trace(), conn, "imap", peer_text);
        }
        if (!open) {
            break;
        }
        const std::size_t room = std::min(buffer.size(), session.input_room());
        if (room == 0) {
            log::warn("imap", peer_text + ": the session takes no input: closing");
            break;
        }
        const imap::ImapWaitingFor waiting = session.waiting_for();
        if (task.draining()) {
            bool ok = false;
            co_await write_all(sock, "* BYE Server shutting down\r\n",
                               service->options.write_timeout, ok);
            break;
        }
        const auto deadline = waiting == imap::ImapWaitingFor::login
                                  ? service->options.login_timeout
                                  : service->options.command_timeout;
        const bool idling = waiting == imap::ImapWaitingFor::idle;
        const auto wait = idling ? std::min(service->options.idle_poll, deadline) : deadline;
        task.set_idle(true);
        auto got = co_await net::with_timeout(
            sock.async_read_some(asio::buffer(buffer.data(), room), net::as_tuple_awaitable), wait);
        task.set_idle(false);
        if (!got) {
            if (idling && std::chrono::steady_clock::now() - idle_since < deadline) {
                session.poll();  // a look at the folder, then wait on
                continue;
            }
            log::info("imap", peer_text + ": no command for " +
                                  std::to_string(deadline.count() / 1000) + " s: closing");
            session.timed_out();
            continue;
        }
        idle_since = std::chrono::steady_clock::now();
        const auto [read_ec, n] = *got;
        if (read_ec == asio::error::eof) {
            session.receive({});
        } else if (read_ec == asio::error::operation_aborted && task.draining()) {
            continue;  // the loop says goodbye
        } else if (read_ec) {
            break;
        } else {
            session.receive(std::string_view(buffer.data(), n));
        }
    }
    if (tracer.enabled()) {
        tracer.flush(session.trace(), conn, "imap", peer_text);
    }
    sock.shutdown(tcp::socket::shutdown_send, ec);
    sock.close(ec);
}

}  // namespace

std::vector<tcp::endpoint> start_imap_server(net::Runtime& runtime,
                                             const ImapServiceOptions& options,
                                             std::shared_ptr<Mailboxes> mailboxes,
                                             trace::Tracer& tracer) {
    auto service = std::make_shared<const Service>(Service{options, std::move(mailboxes)});
    std::vector<tcp::endpoint> bound;
    for (const HostPort& address : options.listen) {
        auto on_connection = [service, &tracer](tcp::socket sock, net::Task& task) {
            return serve_imap(std::move(sock), task, service, tracer);
        };
        const auto ep = runtime.listen_tcp(address, on_connection,
                                           {.max_connections = options.max_connections});
        log::info("imap", "listening on tcp " +
                              HostPort{ep.address().to_string(), ep.port()}.to_string() +
                              " (imap)");
        bound.push_back(ep);
    }
    return bound;
}

}  // namespace l7::mail
