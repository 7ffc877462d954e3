// `l7 mail`: the mail server (`serve`) and its users (`user`); the queue and sending live
// in cmd_mail_queue.cpp and cmd_mail_send.cpp.

#include <unistd.h>

#include <filesystem>

#include "app/cli.hpp"
#include "app/cmd_mail_parts.hpp"
#include "app/mail_serve_config.hpp"
#include "app/password_edit.hpp"
#include "core/cidr.hpp"
#include "core/log.hpp"
#include "core/password_file.hpp"
#include "mail/asio/imap_server.hpp"
#include "mail/asio/pop3_server.hpp"
#include "mail/asio/smtp_server.hpp"

namespace l7::app {
namespace {

std::shared_ptr<const PasswordFile> load_users(const MailServeFlags& f) {
    if (!f.users_file.empty() && !f.users.empty()) {
        throw UsageError("give users with --users FILE or with --user NAME:PASSWORD, not both");
    }
    if (!f.users_file.empty()) {
        auto file = PasswordFile::load(f.users_file);
        if (!file) {
            throw UsageError(file.error().message);
        }
        return *file;
    }
    return users_from_flags(f.users, [](const std::string& name) -> std::optional<std::string> {
        if (!mail::is_mailbox_name(name)) {
            return "a user name names a mailbox directory, so it cannot hold '/' or start with "
                   "'.'";
        }
        return std::nullopt;
    });
}

HostPort host_port_option(const char* option, const std::string& text, int default_port) {
    auto parsed = parse_host_port(text, default_port);
    if (!parsed) {
        throw UsageError(std::string(option) + " " + text + ": " + parsed.error().message);
    }
    return *parsed;
}

std::string first_user_name(const std::vector<std::string>& pairs) {
    return pairs.empty() ? std::string() : pairs.front().substr(0, pairs.front().find(':'));
}

int run_mail_serve(const MailServeFlags& f, Context& ctx) {
    apply_common_options(f.common, ctx, true);
    auto users = load_users(f);
    mail::MailboxesOptions boxes;
    boxes.domains = f.domains;
    boxes.users = users;
    boxes.maildir_root = std::filesystem::absolute(f.maildir);
    boxes.hostname = f.hostname.empty() ? f.domains.front() : f.hostname;
    boxes.postmaster = f.postmaster;
    if (boxes.postmaster.empty()) {
        boxes.postmaster = users->has_user("postmaster") ? "postmaster" : first_user_name(f.users);
    }
    if (boxes.postmaster.empty()) {
        throw UsageError(
            "--postmaster USER is needed: mail to postmaster must be delivered "
            "somewhere (RFC 5321 4.5.1)");
    }
    if (!users->has_user(boxes.postmaster)) {
        throw UsageError("--postmaster " + boxes.postmaster + ": no such user");
    }
    std::error_code ec;
    std::filesystem::create_directories(boxes.maildir_root, ec);
    if (ec) {
        throw UsageError("--maildir " + f.maildir + ": " + ec.message());
    }

    mail::SmtpServiceOptions smtp;
    smtp.mx = parse_listen_list(f.smtp);
    smtp.submission = parse_listen_list(f.submission);
    for (const std::string& text : f.relay_networks) {
        auto cidr = parse_cidr(text);
        if (!cidr) {
            throw UsageError("--relay-networks " + cidr.error().message);
        }
        smtp.relay_networks.push_back(*cidr);
    }
    smtp.hostname = boxes.hostname;
    smtp.limits.max_message_size = f.max_message_size;
    smtp.limits.max_recipients = f.max_recipients;
    smtp.max_connections = f.max_connections;

    auto mailboxes = std::make_shared<mail::Mailboxes>(boxes);

    mail::RelayOptions relay;
    relay.queue_dir =
        f.queue.empty() ? boxes.maildir_root / ".queue" : std::filesystem::absolute(f.queue);
    relay.hostname = boxes.hostname;
    relay.port = f.relay_port;
    if (!f.smarthost.empty()) {
        relay.smarthost = host_port_option("--smarthost", f.smarthost, 25);
    }
    for (const std::string& r : f.resolvers) {
        relay.resolvers.push_back(host_port_option("--resolver", r, 53));
    }
    relay.retry.first_delay =
        std::chrono::duration_cast<std::chrono::seconds>(parse_duration_option(f.retry_delay));
    relay.retry.max_delay =
        std::chrono::duration_cast<std::chrono::seconds>(parse_duration_option(f.max_retry_delay));
    relay.retry.lifetime =
        std::chrono::duration_cast<std::chrono::seconds>(parse_duration_option(f.queue_lifetime));
    if (relay.retry.first_delay.count() < 1 || relay.retry.lifetime.count() < 1) {
        throw UsageError("--retry-delay and --queue-lifetime must be at least 1s");
    }
    relay.max_message_size = f.max_message_size + 64 * 1024;
    auto relayer = mail::Relay::create(relay, mailboxes, ctx.tracer);
    if (!relayer) {
        throw UsageError(relayer.error().message);
    }

    net::Runtime runtime({.threads = f.threads});
    mail::Pop3ServiceOptions pop3;
    pop3.listen = parse_listen_list(f.pop3);
    pop3.hostname = boxes.hostname;
    pop3.max_connections = f.max_connections;
    mail::ImapServiceOptions imap;
    imap.listen = parse_listen_list(f.imap);
    imap.hostname = boxes.hostname;
    imap.max_connections = f.max_connections;
    try {
        mail::start_smtp_server(runtime, smtp, mailboxes, *relayer, ctx.tracer);
        mail::start_pop3_server(runtime, pop3, mailboxes, ctx.tracer);
        mail::start_imap_server(runtime, imap, mailboxes, ctx.tracer);
    } catch (const std::system_error& e) {
        log::error("mail", e.what());
        return 1;
    }
    (*relayer)->start(runtime);
    log::info(
        "mail", "domains " +
                    [&] {
                        std::string d;
                        for (const auto& x : f.domains) {
                            d += (d.empty() ? "" : ", ") + x;
                        }
                        return d;
                    }() +
                    "; mailboxes under " + boxes.maildir_root.string());
    runtime.run();
    log::info("mail", "stopped");
    return 0;
}

void add_mail_serve(CLI::App& mail_cmd, Context& ctx) {
    auto f = std::make_shared<MailServeFlags>();
    auto* cmd =
        mail_cmd.add_subcommand("serve", "Run a mail server: SMTP in, submission, POP3 and IMAP");
    add_common_options(*cmd, f->common);
    cmd->add_option("--config", f->config_file,
                    "Read the settings from this TOML file; flags given here win over it")
        ->type_name("FILE");
    cmd->add_option("--domain", f->domains,
                    "A domain whose mail is delivered here (repeatable; required)")
        ->type_name("DOMAIN");
    cmd->add_option("--user", f->users,
                    "A user and password (repeatable); the mailbox is MAILDIR/NAME")
        ->type_name("NAME:PASSWORD");
    cmd->add_option("--users", f->users_file,
                    "Users from a password file (htpasswd format, e.g. from `l7 http passwd`); "
                    "re-read when it changes")
        ->type_name("FILE");
    cmd->add_option("--maildir", f->maildir,
                    "The directory that holds one Maildir per user (required)")
        ->type_name("DIR");
    cmd->add_option("--smtp", f->smtp, "Where mail comes in (MX, no AUTH; repeatable)")
        ->check(listen_address_validator())
        ->type_name("ADDR:PORT")
        ->default_str("127.0.0.1:25");
    cmd->add_option("--submission", f->submission,
                    "Where users submit mail (AUTH required, RFC 6409; repeatable)")
        ->check(listen_address_validator())
        ->type_name("ADDR:PORT")
        ->default_str("127.0.0.1:587");
    cmd->add_option("--pop3", f->pop3, "Where users read their mail over POP3 (repeatable)")
        ->check(listen_address_validator())
        ->type_name("ADDR:PORT")
        ->default_str("127.0.0.1:110");
    cmd->add_option("--imap", f->imap, "Where users read their mail over IMAP (repeatable)")
        ->check(listen_address_validator())
        ->type_name("ADDR:PORT")
        ->default_str("127.0.0.1:143");
    cmd->add_option("--relay-networks", f->relay_networks,
                    "Clients that may send to other domains without AUTH (repeatable)")
        ->type_name("CIDR");
    cmd->add_option("--queue", f->queue, "The outgoing queue's directory (default: MAILDIR/.queue)")
        ->type_name("DIR");
    cmd->add_option("--relay-port", f->relay_port,
                    "The port other domains' mail exchangers listen on")
        ->capture_default_str();
    cmd->add_option("--smarthost", f->smarthost,
                    "Send all outgoing mail to this server instead of looking up MX records")
        ->type_name("HOST[:PORT]");
    cmd->add_option("--resolver", f->resolvers,
                    "A DNS resolver for MX lookups (repeatable; default: L7_RESOLVER or "
                    "/etc/resolv.conf)")
        ->type_name("ADDR[:PORT]");
    cmd->add_option("--retry-delay", f->retry_delay,
                    "Wait after a first failed delivery; it doubles after each further one")
        ->check(duration_validator())
        ->capture_default_str();
    cmd->add_option("--max-retry-delay", f->max_retry_delay, "The longest wait between tries")
        ->check(duration_validator())
        ->capture_default_str();
    cmd->add_option("--queue-lifetime", f->queue_lifetime,
                    "How long undeliverable mail is retried before it is returned to its sender")
        ->check(duration_validator())
        ->capture_default_str();
    cmd->add_option("--hostname", f->hostname,
                    "This server's name in the greeting and Received fields (default: the "
                    "first --domain)")
        ->type_name("NAME");
    cmd->add_option("--postmaster", f->postmaster,
                    "The user who gets postmaster's mail (default: the user postmaster, else "
                    "the first --user)")
        ->type_name("USER");
    cmd->add_option("--max-message-size", f->max_message_size,
                    "Largest message taken, in bytes (announced as SIZE)")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30));
    cmd->add_option("--max-recipients", f->max_recipients, "Recipients per message")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
    cmd->add_option("--threads", f->threads, "Worker threads (default: one per core)");
    cmd->add_option("--max-connections", f->max_connections,
                    "Open connections per listening address")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
    cmd->footer(R"(The mail server of the course's e-mail scenario: SMTP (RFC 5321) on --smtp for
mail from other servers to our --domain's users, and submission (RFC 6409) on
--submission for our users' own mail, after AUTH PLAIN or LOGIN (RFC 4954). Each
message is delivered into MAILDIR/USER/new/ (Maildir: mutt, Dovecot and fetchmail read
it) and fsynced before the 250 that accepts it. Mail for other domains is taken only
from an authenticated user or a --relay-networks client (never an open relay), into the
outgoing queue (--queue DIR, fsynced before the 250). The queue delivers it to each
domain's mail exchangers by MX preference (the domain itself when it has none) on
--relay-port, or all of it to --smarthost, with one connection per domain carrying all
its messages. Temporary failures are retried after --retry-delay, doubling up to
--max-retry-delay, for --queue-lifetime; permanent ones, and those that outlive it, go
back to the sender as a delivery status notification (RFC 3464). `l7 mail queue` lists,
flushes and deletes queued messages.

Users read their mail over POP3 (RFC 1939) on --pop3: USER/PASS, STAT, LIST, RETR, TOP,
UIDL, DELE, RSET, CAPA; the mailbox is locked for the session, and the messages marked
with DELE are removed at QUIT (a session that ends otherwise deletes nothing).

And over IMAP4rev1 (RFC 3501) on --imap, with IDLE, UIDPLUS, MOVE, LITERAL+, NAMESPACE,
UNSELECT: folders are Maildir++ subfolders (MAILDIR/USER/.Sent/), flags live in the file
names (mutt and Dovecot see them), and each folder's UIDs, keywords and UIDVALIDITY in a
SQLite index beside its messages. Changes by other sessions, POP3 and new deliveries are
announced at the next command, and every 2 s to an idling client.

ESMTP: PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES, SMTPUTF8; VRFY answers 252.
Deadlines (RFC 5321 4.5.3.2): 5 minutes per command, 3 per block of data; POP3: 10
minutes per command (RFC 1939 3); IMAP: 1 minute before login, 30 after (RFC 3501 5.4).
--trace shows each dialogue as C:/S: lines (passwords hidden).

--config FILE gives the same settings in TOML (a flag on the command line wins):
  domains = ["hamburger.edu"]        maildir = "mail"        users_file = "users"
  postmaster = "bob"                 hostname = "mail.hamburger.edu"
  smtp = ["0.0.0.0:25"]              submission = ["0.0.0.0:587"]
  pop3 = ["0.0.0.0:110"]             imap = ["0.0.0.0:143"]
  relay_networks = ["192.0.2.0/24"]  max_message_size = 26214400
  max_recipients = 100               max_connections = 1000      threads = 2
  [queue]
  dir = "queue"    relay_port = 25    smarthost = "smtp.example.net"
  resolvers = ["127.0.0.1:53"]    retry_delay = "5m"    max_retry_delay = "1h"
  lifetime = "120h"
Paths are relative to the file's directory; users = ["bob:secret"] instead of
users_file keeps the passwords in the file.

Examples:
  l7 mail serve --domain hamburger.edu --user bob:secret --maildir /tmp/mail \
      --smtp 127.0.0.1:2525 --submission 127.0.0.1:2587 --pop3 127.0.0.1:2110 \
      --imap 127.0.0.1:2143 --trace
  swaks --server 127.0.0.1:2525 --from alice@crepes.fr --to bob@hamburger.edu
  swaks --server 127.0.0.1:2587 --auth PLAIN --auth-user bob --auth-password secret \
      --from bob@hamburger.edu --to bob@hamburger.edu
  ls /tmp/mail/bob/new
  curl --user bob:secret imap://127.0.0.1:2143/INBOX -X 'STATUS INBOX (MESSAGES UNSEEN)')");
    cmd->callback([f, cmd, &ctx] {
        ctx.action = [f, cmd, &ctx] {
            if (!f->config_file.empty()) {
                apply_mail_serve_config(*f, *cmd);
            }
            if (f->domains.empty()) {
                throw UsageError("--domain is required (or domains in the --config file)");
            }
            if (f->maildir.empty()) {
                throw UsageError("--maildir is required (or maildir in the --config file)");
            }
            if (f->smtp.empty()) {
                f->smtp = {"127.0.0.1:25"};
            }
            if (f->submission.empty()) {
                f->submission = {"127.0.0.1:587"};
            }
            if (f->pop3.empty()) {
                f->pop3 = {"127.0.0.1:110"};
            }
            if (f->imap.empty()) {
                f->imap = {"127.0.0.1:143"};
            }
            return run_mail_serve(*f, ctx);
        };
    });
}

void add_mail_user(CLI::App& mail_cmd, Context& ctx) {
    auto* cmd = mail_cmd.add_subcommand("user", "Add, change or delete a mail user");
    cmd->require_subcommand(1);
    const struct {
        const char* verb;
        const char* what;
        PasswordEdit::Mode mode;
    } verbs[] = {
        {"add", "Add a user with a password", PasswordEdit::Mode::add},
        {"passwd", "Change a user's password", PasswordEdit::Mode::change},
        {"del", "Delete a user (their Maildir stays)", PasswordEdit::Mode::remove},
    };
    for (const auto& v : verbs) {
        auto edit = std::make_shared<PasswordEdit>();
        edit->mode = v.mode;
        edit->command = std::string("l7 mail user ") + v.verb;
        auto* verb = cmd->add_subcommand(v.verb, v.what);
        verb->add_option("--users", edit->file, "The users file (created when missing)")
            ->required()
            ->type_name("FILE");
        verb->add_option("USER", edit->user, "The user name, also their mailbox's directory")
            ->required();
        if (v.mode != PasswordEdit::Mode::remove) {
            verb->add_flag("--stdin", edit->from_stdin,
                           "Read the password from the first line of standard input (no prompt)");
        }
        add_env_names(*verb, "MAIL");
        verb->callback([edit, &ctx] {
            ctx.action = [edit]() -> int {
                const std::string& u = edit->user;
                if (!mail::is_mailbox_name(u)) {
                    throw UsageError(u +
                                     ": a user name names a mailbox directory, so it cannot "
                                     "hold '/' or start with '.'");
                }
                edit_password_entry(*edit);
                return 0;
            };
        });
    }
    cmd->footer(
        R"(The users file is in htpasswd format (one USER:HASH a line, yescrypt hashes from a
fresh salt), rewritten atomically; `l7 mail serve --users FILE` reads it and sees changes
without a restart. The password is asked twice on the terminal, or read from standard input
with --stdin.

Examples:
  l7 mail user add --users /tmp/mail/users bob
  printf '%s\n' "$PASSWORD" | l7 mail user passwd --users /tmp/mail/users --stdin bob
  l7 mail user del --users /tmp/mail/users bob)");
}

}  // namespace

void register_mail_commands(CLI::App& root, Context& ctx) {
    auto* mail_cmd = root.add_subcommand(
        "mail", "E-mail: a mail server (SMTP, POP3, IMAP, queue), and sending mail");
    mail_cmd->require_subcommand(1);
    mail_cmd->footer(R"(Examples:
  l7 mail user add --users /tmp/mail/users bob
  l7 mail serve --domain hamburger.edu --users /tmp/mail/users --maildir /tmp/mail \
      --smtp 127.0.0.1:2525 --submission 127.0.0.1:2587 --pop3 127.0.0.1:2110 \
      --imap 127.0.0.1:2143
  l7 mail send --server 127.0.0.1:2525 --from alice@crepes.fr --to bob@hamburger.edu \
      --subject hello --body 'Do you like ketchup?' --trace
  l7 mail queue list --maildir /tmp/mail)");
    add_mail_serve(*mail_cmd, ctx);
    add_env_names(*mail_cmd->get_subcommand("serve"), "MAIL");
    add_mail_user(*mail_cmd, ctx);
    add_mail_queue(*mail_cmd, ctx);
    add_mail_send(*mail_cmd, ctx);
    add_mail_fetch(*mail_cmd, ctx);
    add_env_names(*mail_cmd->get_subcommand("send"), "MAIL");
}

}  // namespace l7::app
