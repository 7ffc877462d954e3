#include "mail/asio/pop3_server.hpp"

#include <array>
#include <asio/write.hpp>
#include <optional>
#include <variant>

#include "core/log.hpp"
#include "mail/pop3/session.hpp"
#include "mail/store/maildir.hpp"
#include "net/timeout.hpp"

namespace l7::mail {
namespace {

using tcp = asio::ip::tcp;

struct Service {
    Pop3ServiceOptions options;
    std::shared_ptr<Mailboxes> mailboxes;
};

// The mailbox a session has opened: locked, and listed as of the login.
struct OpenMailbox {
    Maildir box;
    MaildirLock lock;
    std::vector<MaildirMessage> messages;
};

std::optional<OpenMailbox> open_mailbox(const Service& service, const std::string& user) {
    if (user.empty() || user.find('/') != std::string::npos || user == "." || user == "..") {
        log::warn("pop3", "'" + user + "' cannot name a mailbox directory");
        return std::nullopt;
    }
    Maildir box = service.mailboxes->mailbox(user);
    if (!box.exists()) {
        if (auto ec = box.create()) {
            log::error("pop3",
                       box.root().string() + ": cannot create the Maildir: " + ec.message());
            return std::nullopt;
        }
    }
    auto lock = MaildirLock::try_lock(box);
    if (!lock) {
        log::info("pop3", user + ": the mailbox is in use by another session");
        return std::nullopt;
    }
    auto listed = box.list();
    if (!listed) {
        log::error("pop3", listed.error().message);
        return std::nullopt;
    }
    return OpenMailbox{std::move(box), std::move(*lock), std::move(*listed)};
}

asio::awaitable<void> serve_pop3(tcp::socket sock, net::Task& task,
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

    Pop3ServerConfig config;
    config.hostname = service->options.hostname;
    Pop3ServerSession session(config);
    session.trace().enable(tracer.enabled());
    session.start();
    std::optional<OpenMailbox> mailbox;

    std::array<char, 4096> buffer;
    bool open = true;
    while (open) {
        while (auto event = session.next_event()) {
            if (auto* send = std::get_if<Pop3Send>(&*event)) {
                auto written = co_await net::with_timeout(
                    asio::async_write(sock, asio::buffer(send->bytes), net::as_tuple_awaitable),
                    service->options.write_timeout);
                if (!written || std::get<0>(*written)) {
                    open = false;
                    break;
                }
            } else if (auto* cred = std::get_if<Pop3CheckCredentials>(&*event)) {
                const bool ok = service->mailboxes->verify(cred->user, cred->password);
                if (!ok) {
                    log::info("pop3",
                              peer_text + ": authentication failed for '" + cred->user + "'");
                }
                session.credentials_result(ok ? Pop3CredentialsVerdict::accept
                                              : Pop3CredentialsVerdict::reject);
            } else if (auto* open_box = std::get_if<Pop3OpenMailbox>(&*event)) {
                mailbox = open_mailbox(*service, open_box->user);
                if (!mailbox) {
                    session.mailbox_result(std::nullopt);
                } else {
                    std::vector<Pop3MessageInfo> infos;
                    for (const MaildirMessage& m : mailbox->messages) {
                        infos.push_back(Pop3MessageInfo{m.size, m.uid});
                    }
                    session.mailbox_result(std::move(infos));
                }
            } else if (auto* read = std::get_if<Pop3ReadMessage>(&*event)) {
                std::optional<std::string> bytes;
                if (mailbox && read->index < mailbox->messages.size()) {
                    auto text = mailbox->box.read(mailbox->messages[read->index],
                                                  service->options.max_message_size);
                    if (text) {
                        bytes = std::move(*text);
                    } else {
                        log::warn("pop3", text.error().message);
                    }
                }
                session.message_result(std::move(bytes));
            } else if (auto* commit = std::get_if<Pop3Commit>(&*event)) {
                bool ok = mailbox.has_value();
                if (mailbox) {
                    std::vector<MaildirMessage> doomed;
                    for (std::size_t i : commit->deleted) {
                        if (i < mailbox->messages.size()) {
                            doomed.push_back(mailbox->messages[i]);
                        }
                    }
                    if (auto e = mailbox->box.remove(doomed)) {
                        log::error("pop3", mailbox->box.root().string() +
                                               ": deleting messages: " + e.message());
                        ok = false;
                    } else if (!doomed.empty()) {
                        log::info("pop3", peer_text + ": deleted " + std::to_string(doomed.size()) +
                                              " message(s) from " + mailbox->box.root().string());
                    }
                }
                session.commit_result(ok);
            } else if (std::holds_alternative<Pop3Close>(*event)) {
                open = false;
                break;
            }
        }
        if (tracer.enabled()) {
            tracer.flush(session.trace(), conn, "pop3", peer_text);
        }
        if (!open) {
            break;
        }
        const std::size_t room = std::min(buffer.size(), session.input_room());
        if (room == 0) {
            log::warn("pop3", peer_text + ": the session takes no input and asks nothing");
            break;
        }
        // A stop ends sessions between commands: no UPDATE state, so nothing is deleted.
        task.set_idle(true);
        auto got = co_await net::with_timeout(
            sock.async_read_some(asio::buffer(buffer.data(), room), net::as_tuple_awaitable),
            service->options.command_timeout);
        task.set_idle(false);
        if (!got) {
            log::info("pop3", peer_text + ": no command for " +
                                  std::to_string(service->options.command_timeout.count() / 1000) +
                                  " s: closing");
            break;
        }
        const auto [read_ec, n] = *got;
        if (read_ec == asio::error::eof) {
            session.receive({});
        } else if (read_ec) {
            break;
        } else {
            session.receive(std::string_view(buffer.data(), n));
        }
    }
    if (tracer.enabled()) {
        tracer.flush(session.trace(), conn, "pop3", peer_text);
    }
    sock.close(ec);
}

}  // namespace

std::vector<tcp::endpoint> start_pop3_server(net::Runtime& runtime,
                                             const Pop3ServiceOptions& options,
                                             std::shared_ptr<Mailboxes> mailboxes,
                                             trace::Tracer& tracer) {
    auto service = std::make_shared<const Service>(Service{options, std::move(mailboxes)});
    std::vector<tcp::endpoint> bound;
    for (const HostPort& address : options.listen) {
        auto on_connection = [service, &tracer](tcp::socket sock, net::Task& task) {
            return serve_pop3(std::move(sock), task, service, tracer);
        };
        const auto ep = runtime.listen_tcp(address, on_connection,
                                           {.max_connections = options.max_connections});
        log::info("pop3", "listening on tcp " +
                              HostPort{ep.address().to_string(), ep.port()}.to_string() +
                              " (pop3)");
        bound.push_back(ep);
    }
    return bound;
}

}  // namespace l7::mail
