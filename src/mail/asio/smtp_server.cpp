#include "mail/asio/smtp_server.hpp"

#include <array>
#include <asio/write.hpp>
#include <atomic>
#include <variant>

#include "core/log.hpp"
#include "mail/mail_date.hpp"
#include "net/timeout.hpp"

namespace l7::mail {
namespace {

using tcp = asio::ip::tcp;

struct Service {
    SmtpServiceOptions options;
    std::shared_ptr<Mailboxes> mailboxes;
    std::shared_ptr<Relay> relay;  // null: no queue (mail for other domains is refused, 451)
    bool submission = false;
};

std::int64_t unix_micros_now() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A queue id: unique in this process and, with its start time, across restarts. Short and
// an atom (RFC 5322 3.2.3), as the Received field and the logs show it.
std::string next_message_id() {
    static const std::uint64_t start = static_cast<std::uint64_t>(unix_micros_now());
    static std::atomic<std::uint64_t> counter{0};
    constexpr char kDigits[] = "0123456789BCDFGHJKLMNPQRSTVWXZ";
    std::string id;
    for (std::uint64_t v = start; v != 0; v /= 30) {
        id += kDigits[v % 30];
    }
    id += 'a';
    for (std::uint64_t v = counter.fetch_add(1) + 1; v != 0; v /= 30) {
        id += kDigits[v % 30];
    }
    return id;
}

SmtpRecipientVerdict check_recipient(const Service& service, const SmtpServerSession& session,
                                     const std::optional<IpAddress>& peer,
                                     const std::string& address) {
    const Mailboxes& boxes = *service.mailboxes;
    if (boxes.is_local_address(address)) {
        return boxes.user_for(address) ? SmtpRecipientVerdict::accept
                                       : SmtpRecipientVerdict::reject;
    }
    const bool may_relay = !session.envelope().auth_user.empty() ||
                           (peer && std::any_of(service.options.relay_networks.begin(),
                                                service.options.relay_networks.end(),
                                                [&](const Cidr& c) { return c.contains(*peer); }));
    if (!may_relay) {
        return SmtpRecipientVerdict::not_relaying;
    }
    if (!service.relay) {
        log::warn("smtp", "<" + address + ">: no outgoing queue here: 451");
        return SmtpRecipientVerdict::temporary_failure;
    }
    return SmtpRecipientVerdict::accept;
}

// Local recipients get their copies in their Maildirs, the others one queued copy; all or
// nothing, and all of it on disk before the 250.
SmtpDeliveryResult store(const Service& service, const SmtpMessage& message,
                         const std::string& peer_name) {
    std::vector<std::string> users;
    QueueEntry remote;
    for (const std::string& rcpt : message.envelope.recipients) {
        if (auto user = service.mailboxes->user_for(rcpt)) {
            users.push_back(*user);
        } else if (!service.mailboxes->is_local_address(rcpt)) {
            QueueRecipient r;
            r.address = rcpt;
            remote.recipients.push_back(std::move(r));
        }
    }
    std::string queued;
    if (!remote.recipients.empty()) {
        if (!service.relay) {
            return SmtpDeliveryResult::temporary_failure;  // not accepted at RCPT anyway
        }
        remote.mail_from = message.envelope.mail_from;
        remote.parameters.eight_bit = message.envelope.parameters.body == SmtpBody::eight_bit_mime;
        remote.parameters.smtputf8 = message.envelope.parameters.smtputf8;
        remote.auth_user = message.envelope.auth_user;
        remote.origin = peer_name;
        auto entry = service.relay->enqueue(std::move(remote), message.data);
        if (!entry) {
            log::error("smtp", message.id + ": not queued: " + entry.error().message);
            return SmtpDeliveryResult::temporary_failure;
        }
        queued = entry->id;
    }
    auto delivered = service.mailboxes->deliver(users, message.data, unix_micros_now());
    if (!delivered) {
        log::error("smtp", message.id + ": not stored: " + delivered.error().message);
        if (!queued.empty()) {
            service.relay->cancel(queued);
        }
        return SmtpDeliveryResult::temporary_failure;
    }
    std::string to;
    for (const auto& path : *delivered) {
        to += " " + path.parent_path().parent_path().filename().string();
    }
    if (!queued.empty()) {
        to += " queue:" + queued;
    }
    log::info("smtp", message.id + ": from <" + message.envelope.mail_from + "> to" + to + ", " +
                          std::to_string(message.data.size()) + " bytes");
    return SmtpDeliveryResult::stored;
}

// A 421 (RFC 5321 3.8, 4.5.3.2) before the server closes the connection on its own.
asio::awaitable<void> say_goodbye(tcp::socket& sock, const Service& service, std::string_view why) {
    const std::string bye =
        "421 4.3.2 " + service.options.hostname + " " + std::string(why) + "\r\n";
    (void)co_await net::with_timeout(
        asio::async_write(sock, asio::buffer(bye), net::as_tuple_awaitable),
        service.options.write_timeout);
}

asio::awaitable<void> serve_smtp(tcp::socket sock, net::Task& task,
                                 std::shared_ptr<const Service> service, trace::Tracer& tracer) {
    std::error_code ec;
    const auto remote = sock.remote_endpoint(ec);
    const std::string peer_text =
        ec ? "?" : HostPort{remote.address().to_string(), remote.port()}.to_string();
    const auto peer_ip = ec ? std::nullopt : parse_ip_address(remote.address().to_string());
    const std::uint64_t conn = trace::Tracer::next_connection_id();
    auto guard = task.on_interrupt([&sock] {
        std::error_code ignored;
        sock.cancel(ignored);
    });

    SmtpServerConfig config;
    config.hostname = service->options.hostname;
    config.auth = service->submission ? SmtpAuthPolicy::required : SmtpAuthPolicy::none;
    config.limits = service->options.limits;
    SmtpServerSession session(config, SmtpPeer{ec ? "" : remote.address().to_string(), "", false});
    session.trace().enable(tracer.enabled());
    session.start();

    std::array<char, 16384> buffer;
    bool open = true;
    while (open) {
        while (auto event = session.next_event()) {
            if (auto* send = std::get_if<SmtpSend>(&*event)) {
                auto written = co_await net::with_timeout(
                    asio::async_write(sock, asio::buffer(send->bytes), net::as_tuple_awaitable),
                    service->options.write_timeout);
                if (!written || std::get<0>(*written)) {
                    open = false;
                    break;
                }
            } else if (auto* rcpt = std::get_if<SmtpCheckRecipient>(&*event)) {
                session.recipient_result(
                    check_recipient(*service, session, peer_ip, rcpt->address));
            } else if (auto* cred = std::get_if<SmtpCheckCredentials>(&*event)) {
                const bool ok = service->mailboxes->verify(cred->user, cred->password);
                if (!ok) {
                    log::info("smtp",
                              peer_text + ": authentication failed for '" + cred->user + "'");
                }
                session.credentials_result(ok ? SmtpCredentialsVerdict::accept
                                              : SmtpCredentialsVerdict::reject);
            } else if (std::holds_alternative<SmtpBeginMessage>(*event)) {
                const std::int64_t now = unix_micros_now() / 1'000'000;
                session.begin_message_result(
                    SmtpMessageStamp{next_message_id(), format_mail_date(now, 0)});
            } else if (auto* message = std::get_if<SmtpMessage>(&*event)) {
                session.message_result(store(*service, *message, session.envelope().helo));
            } else if (std::holds_alternative<SmtpClose>(*event)) {
                open = false;
                break;
            }
        }
        if (tracer.enabled()) {
            tracer.flush(session.trace(), conn, "smtp", peer_text);
        }
        if (!open) {
            break;
        }
        const std::size_t room = std::min(buffer.size(), session.input_room());
        if (room == 0) {
            log::warn("smtp", peer_text + ": the session takes no input and asks nothing: closing");
            break;
        }
        const SmtpWaitingFor waiting = session.waiting_for();
        // RFC 5321 3.8: a server that shuts down answers the next command with 421. A client
        // between commands (even inside a transaction) gets it now; one sending a message's
        // data may finish it first.
        if (task.draining() && waiting == SmtpWaitingFor::command) {
            co_await say_goodbye(sock, *service, "Service shutting down");
            break;
        }
        const auto timeout = waiting == SmtpWaitingFor::data ? service->options.data_timeout
                                                             : service->options.command_timeout;
        task.set_idle(waiting == SmtpWaitingFor::command);
        auto read = co_await net::with_timeout(
            sock.async_read_some(asio::buffer(buffer.data(), room), net::as_tuple_awaitable),
            timeout);
        task.set_idle(false);
        if (!read) {
            log::info("smtp", peer_text + ": no input for " +
                                  std::to_string(timeout.count() / 1000) + " s: 421");
            co_await say_goodbye(sock, *service, "Error: timeout exceeded");
            break;
        }
        const auto [read_ec, n] = *read;
        if (read_ec == asio::error::eof) {
            session.receive({});
        } else if (read_ec == asio::error::operation_aborted && task.draining()) {
            co_await say_goodbye(sock, *service, "Service shutting down");
            break;
        } else if (read_ec) {
            break;  // reset, or interrupted by a stop
        } else {
            session.receive(std::string_view(buffer.data(), n));
        }
    }
    if (tracer.enabled()) {
        tracer.flush(session.trace(), conn, "smtp", peer_text);
    }
    sock.shutdown(tcp::socket::shutdown_send, ec);
    sock.close(ec);
}

std::vector<tcp::endpoint> listen(net::Runtime& runtime, const std::vector<HostPort>& addresses,
                                  std::shared_ptr<const Service> service, trace::Tracer& tracer,
                                  const char* what) {
    std::vector<tcp::endpoint> bound;
    for (const HostPort& address : addresses) {
        auto on_connection = [service, &tracer](tcp::socket sock, net::Task& task) {
            return serve_smtp(std::move(sock), task, service, tracer);
        };
        const auto ep = runtime.listen_tcp(address, on_connection,
                                           {.max_connections = service->options.max_connections});
        log::info("smtp", "listening on tcp " +
                              HostPort{ep.address().to_string(), ep.port()}.to_string() + " (" +
                              what + ")");
        bound.push_back(ep);
    }
    return bound;
}

}  // namespace

SmtpEndpoints start_smtp_server(net::Runtime& runtime, const SmtpServiceOptions& options,
                                std::shared_ptr<Mailboxes> mailboxes, std::shared_ptr<Relay> relay,
                                trace::Tracer& tracer) {
    auto mx = std::make_shared<Service>(Service{options, mailboxes, relay, false});
    auto submission = std::make_shared<Service>(Service{options, mailboxes, relay, true});
    SmtpEndpoints endpoints;
    endpoints.mx = listen(runtime, options.mx, mx, tracer, "smtp");
    endpoints.submission = listen(runtime, options.submission, submission, tracer, "submission");
    return endpoints;
}

}  // namespace l7::mail
