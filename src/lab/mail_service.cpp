// The lab's mail servers: one `l7 mail serve` per host of the course's e-mail scenario, with
// SMTP on the service's port and submission, POP3 and IMAP on the ports its settings name,
// the domains it takes mail for, and its users. Mail for other domains goes through the
// queue to their MX hosts, found through the lab's DNS (the MX records are in the lab's
// zones), on the lab's SMTP port.
//
//   [[host.service]]
//   kind = "mail"
//   port = 25                         # SMTP: mail from other servers
//   submission = 587                  # AUTH required (RFC 6409)
//   pop3 = 110
//   imap = 143
//   domains = ["hamburger.edu"]
//   users = ["bob:hamburger"]         # NAME:PASSWORD, the lab's well-known passwords
//   check = { user = "alice", to = "bob@hamburger.edu", reader = "hamburger.edu" }
//
// The ports move with the lab's privileged-port offset like the service's own (25 -> 10025).
// Mailboxes and the queue live in the lab's state directory (mail-ADDRESS/). `check` makes
// `l7 lab --check` send a message as `user` through this server's submission port and wait
// for it in the mailbox of `to` on the `reader` host's mail service, over POP3 and IMAP:
// the course's whole scenario, Alice to Bob through both servers and DNS.

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <thread>

#include "core/password_file.hpp"
#include "core/secure_random.hpp"
#include "lab/lab_users.hpp"
#include "lab/services.hpp"
#include "lab/state_dir.hpp"
#include "mail/asio/imap_server.hpp"
#include "mail/asio/mailbox_client.hpp"
#include "mail/asio/pop3_server.hpp"
#include "mail/asio/smtp_client.hpp"
#include "mail/asio/smtp_server.hpp"
#include "mail/imap/client_session.hpp"
#include "mail/pop3/client_session.hpp"

namespace l7::lab {

namespace {

namespace fs = std::filesystem;

std::vector<LabUser> users_of(const config::Table& s) {
    return lab_users(s, [](const std::string& name) { return mail::is_mailbox_name(name); });
}

std::uint16_t port_setting(const config::Table& s, std::string_view key, std::uint16_t fallback) {
    return static_cast<std::uint16_t>(s.get_integer(key, 1, 65535).value_or(fallback));
}

void validate(const config::Table& s) {
    s.allow_only({"kind", "port", "submission", "pop3", "imap", "domains", "users", "check"});
    for (const char* key : {"submission", "pop3", "imap"}) {
        (void)s.get_integer(key, 1, 65535);
    }
    if (s.get_strings("domains").empty()) {
        s.fail("domains", "a mail service needs at least one domain");
    }
    if (users_of(s).empty()) {
        s.fail("users", "a mail service needs at least one user (NAME:PASSWORD)");
    }
    if (auto check = s.get_table("check")) {
        check->allow_only({"user", "to", "reader"});
        for (const char* key : {"user", "to", "reader"}) {
            if (!check->get_string(key)) {
                check->fail(key, "the check needs user, to and reader");
            }
        }
    }
}

std::string password_of(const config::Table& s, const std::string& user) {
    for (const LabUser& u : users_of(s)) {
        if (u.name == user) {
            return u.password;
        }
    }
    return {};
}

void start(net::Runtime& rt, const HostPort& ep, const config::Table& s, trace::Tracer& tracer,
           const StartContext& ctx) {
    const auto domains = s.get_strings("domains");
    const auto users = password_file_of(users_of(s));
    const fs::path dir = lab_state_dir() / ("mail-" + ep.host);

    mail::MailboxesOptions boxes;
    boxes.domains = domains;
    boxes.users = users;
    boxes.maildir_root = dir;
    boxes.hostname = "mail." + domains.front();
    boxes.postmaster = users_of(s).front().name;
    auto mailboxes = std::make_shared<mail::Mailboxes>(boxes);

    mail::RelayOptions relay;
    relay.queue_dir = dir / ".queue";
    relay.hostname = boxes.hostname;
    relay.port = ep.port;  // every lab mail server listens on the same SMTP port
    relay.retry.first_delay = std::chrono::seconds(10);
    relay.retry.max_delay = std::chrono::minutes(2);
    auto relayer = mail::Relay::create(relay, mailboxes, tracer);
    if (!relayer) {
        throw std::runtime_error(relayer.error().message);
    }

    mail::SmtpServiceOptions smtp;
    smtp.mx = {ep};
    smtp.submission = {HostPort{ep.host, ctx.effective_port(port_setting(s, "submission", 587))}};
    smtp.hostname = boxes.hostname;
    mail::start_smtp_server(rt, smtp, mailboxes, *relayer, tracer);
    (*relayer)->start(rt);

    mail::Pop3ServiceOptions pop3;
    pop3.listen = {HostPort{ep.host, ctx.effective_port(port_setting(s, "pop3", 110))}};
    pop3.hostname = boxes.hostname;
    mail::start_pop3_server(rt, pop3, mailboxes, tracer);

    mail::ImapServiceOptions imap;
    imap.listen = {HostPort{ep.host, ctx.effective_port(port_setting(s, "imap", 143))}};
    imap.hostname = boxes.hostname;
    mail::start_imap_server(rt, imap, mailboxes, tracer);
}

// Runs one SMTP client session to `server`; the outcome of the message, or why none.
Result<mail::SmtpClientMessageDone> submit(const HostPort& server, mail::SmtpClientConfig config,
                                           mail::SmtpOutgoingMessage message) {
    mail::SmtpClientRunOptions options;
    options.addresses = {server.host};
    options.port = server.port;
    options.connect_timeout = std::chrono::seconds(3);
    options.reply_timeout_cap = std::chrono::seconds(10);
    options.session = std::move(config);
    std::optional<mail::SmtpOutgoingMessage> pending = std::move(message);
    std::optional<mail::SmtpClientMessageDone> outcome;
    std::optional<mail::SmtpClientRun> run;
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            run = co_await mail::run_smtp_client(
                options, [&] { return std::exchange(pending, std::nullopt); },
                [&](const mail::SmtpClientMessageDone& done) { outcome = done; });
        },
        asio::detached);
    io.run();
    if (!run || !run->connected) {
        return make_error("cannot connect: " + (run ? run->connect_failure : std::string()));
    }
    if (!outcome) {
        return make_error(run->failure ? run->failure->diagnostic() : run->close_reason);
    }
    return std::move(*outcome);
}

// Reads the mailbox at `server` with `session` (keeping every message); whether one of its
// messages has the subject `token`.
Result<bool> mailbox_has(const HostPort& server, mail::MailboxClientSession& session,
                         const std::string& token) {
    mail::MailboxClientRunOptions options;
    options.addresses = {server.host};
    options.port = server.port;
    options.connect_timeout = std::chrono::seconds(3);
    options.io_timeout = std::chrono::seconds(10);
    bool found = false;
    const std::string subject = "\r\nSubject: " + token + "\r\n";
    std::optional<mail::MailboxClientRun> run;
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            run =
                co_await mail::run_mailbox_client(options, session, [&](mail::MailboxMessage&& m) {
                    if (m.data && m.data->find(subject) != std::string::npos) {
                        found = true;
                    }
                    return true;
                });
        },
        asio::detached);
    io.run();
    if (!run || !run->connected) {
        return make_error("cannot connect to " + server.to_string() + ": " +
                          (run ? run->connect_failure : std::string()));
    }
    if (!run->done.ok()) {
        return make_error(run->done.problem);
    }
    return found;
}

// Waits for the message with subject `token` in the mailbox of `to` on the `reader` host's
// mail service, reading it over POP3 until it comes, then over IMAP.
Result<std::string> read_back(const std::string& reader, const std::string& to,
                              const std::string& token, const StartContext& ctx) {
    const auto server = ctx.find(reader, "mail");
    const config::Table* settings = ctx.settings(reader, "mail");
    if (!server || !settings) {
        return make_error("the lab has no mail service on " + reader);
    }
    mail::MailboxClientConfig config;
    config.user = to.substr(0, to.find('@'));
    config.password = password_of(*settings, config.user);
    const HostPort pop3{server->host, ctx.effective_port(port_setting(*settings, "pop3", 110))};
    const HostPort imap{server->host, ctx.effective_port(port_setting(*settings, "imap", 143))};

    // The relay retries every few seconds at first: 30 s is several tries.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (true) {
        mail::Pop3ClientSession pop(config);
        auto seen = mailbox_has(pop3, pop, token);
        if (!seen) {
            return make_error("POP3: " + seen.error().message);
        }
        if (*seen) {
            break;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            return make_error("the message did not arrive in " + config.user +
                              "'s mailbox within 30 s");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    mail::imap::ImapClientSession session(config);
    auto seen = mailbox_has(imap, session, token);
    if (!seen) {
        return make_error("IMAP: " + seen.error().message);
    }
    if (!*seen) {
        return make_error("POP3 shows the message, but IMAP does not");
    }
    return std::string("read back over POP3 and IMAP");
}

// The MX side: a message to the postmaster, as any server on the Internet may send.
Result<std::string> probe_smtp(const HostPort& ep, const config::Table& s) {
    const auto domains = s.get_strings("domains");
    mail::SmtpClientConfig config;
    config.hello_name = "lab-check.invalid";
    mail::SmtpOutgoingMessage hello;
    hello.mail_from = "";
    hello.recipients = {"postmaster@" + domains.front()};
    hello.data = "Subject: l7 lab check\r\n\r\nThe lab's mail check says hello.\r\n";
    auto accepted = submit(ep, config, hello);
    if (!accepted) {
        return make_error("SMTP: " + accepted.error().message);
    }
    if (accepted->overall.kind != mail::SmtpOutcomeKind::delivered) {
        return make_error("SMTP: postmaster@" + domains.front() + ": " +
                          accepted->overall.diagnostic());
    }
    return "SMTP takes mail for " + domains.front();
}

Result<std::string> probe(const HostPort& ep, const config::Table& s, const StartContext& ctx) {
    const auto domains = s.get_strings("domains");
    auto smtp = probe_smtp(ep, s);
    if (!smtp) {
        return smtp;
    }
    std::string result = *smtp;
    auto check = s.get_table("check");
    if (!check) {
        return result;
    }

    // The course's scenario: submit as the user, to someone at another lab host.
    const std::string user = *check->get_string("user");
    const std::string to = *check->get_string("to");
    const std::string reader = *check->get_string("reader");
    const std::string token = "l7-lab-check-" + std::to_string(secure_random64() % 1000000);
    mail::SmtpClientConfig submission_config;
    submission_config.hello_name = domains.front();
    submission_config.auth = mail::SmtpClientCredentials{user, password_of(s, user)};
    submission_config.require_auth = true;
    mail::SmtpOutgoingMessage message;
    message.mail_from = user + "@" + domains.front();
    message.recipients = {to};
    message.data = "From: " + message.mail_from + "\r\nTo: " + to + "\r\nSubject: " + token +
                   "\r\n\r\nHello from the lab's check.\r\n";
    const HostPort submission{ep.host, ctx.effective_port(port_setting(s, "submission", 587))};
    auto sent = submit(submission, submission_config, message);
    if (!sent) {
        return make_error("submission: " + sent.error().message);
    }
    if (sent->overall.kind != mail::SmtpOutcomeKind::delivered) {
        return make_error("submission: " + sent->overall.diagnostic());
    }
    auto read = read_back(reader, to, token, ctx);
    if (!read) {
        return make_error(message.mail_from + " -> " + to + ": " + read.error().message);
    }
    return result + "; " + message.mail_from + " -> " + to + " via MX: " + *read;
}

}  // namespace

ServiceKind mail_service() {
    ServiceKind k;
    k.name = "mail";
    k.protocol = "tcp";
    k.summary = "mail server: SMTP in and out (queue, MX), submission, POP3 and IMAP";
    k.validate = validate;
    k.start = start;
    k.probe = probe_smtp;
    k.probe_in_lab = probe;
    return k;
}

}  // namespace l7::lab
