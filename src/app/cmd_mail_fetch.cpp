// `l7 mail fetch`: the reading side of the course's user agent. It lists the messages of a
// mailbox over POP3 or IMAP, or downloads them into a local Maildir (keeping them on the
// server, or deleting them there: the course's "download and delete" versus "download and
// keep"); --trace shows the dialogue as S:/C: lines.

#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>

#include "app/cmd_mail_parts.hpp"
#include "dns/asio/client_resolver.hpp"
#include "mail/asio/mailbox_client.hpp"
#include "mail/encoded_word.hpp"
#include "mail/header.hpp"
#include "mail/imap/client_session.hpp"
#include "mail/pop3/client_session.hpp"
#include "mail/store/maildir.hpp"

namespace l7::app {
namespace {

struct FetchFlags {
    CommonOptions common;
    std::string pop3;
    std::string imap;
    std::string user;
    std::string password_file;
    std::string folder = "INBOX";
    std::string maildir;
    bool list_only = false;
    bool delete_after = false;
    std::size_t max_message_size = 64 * 1024 * 1024;
    std::string connect_timeout = "10s";
    std::string timeout = "60s";
};

// A header field's value for the listing: encoded words decoded, on one line, cut to `width`.
std::string shown(const mail::Header& header, std::string_view name, std::size_t width) {
    const auto value = header.get(name);
    std::string text = value ? mail::without_controls(mail::decode_encoded_words(*value)) : "";
    if (text.size() > width) {
        text.resize(width - 3);
        text += "...";
    }
    return text;
}

// One line per message: its number (POP3) or UID (IMAP), size, and for fetched messages
// the sender and subject.
void print_message(const mail::MailboxMessage& m) {
    std::cout << std::right << std::setw(6) << m.number << ' ' << std::setw(9) << m.size;
    if (m.data) {
        auto parsed = mail::parse_header(*m.data);
        if (parsed) {
            std::cout << "  " << std::left << std::setw(30) << shown(parsed->header, "From", 30)
                      << "  " << shown(parsed->header, "Subject", 60);
        }
    } else if (!m.unique_id.empty()) {
        std::cout << "  " << m.unique_id;
    }
    std::cout << "\n";
}

int run_fetch(const FetchFlags& f, Context& ctx) {
    apply_common_options(f.common, ctx, false);
    if (f.pop3.empty() == f.imap.empty()) {
        throw UsageError("give the server with --pop3 HOST[:PORT] or --imap HOST[:PORT]");
    }
    if (f.delete_after && f.maildir.empty()) {
        throw UsageError("--delete needs --maildir DIR: the messages would be lost otherwise");
    }
    if (f.delete_after && f.list_only) {
        throw UsageError("--delete and --list do not go together: nothing is downloaded");
    }
    const bool imap = !f.imap.empty();
    const std::string option = imap ? "--imap" : "--pop3";
    auto server = parse_host_port(imap ? f.imap : f.pop3, imap ? 143 : 110);
    if (!server) {
        throw UsageError(option + " " + (imap ? f.imap : f.pop3) + ": " + server.error().message);
    }

    std::optional<mail::Maildir> maildir;
    std::optional<mail::MaildirNamer> namer;
    if (!f.maildir.empty()) {
        maildir.emplace(std::filesystem::absolute(f.maildir));
        if (auto ec = maildir->create()) {
            throw UsageError("--maildir " + f.maildir + ": " + ec.message());
        }
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        namer.emplace(host, ::getpid());
    }

    mail::MailboxClientConfig config;
    config.user = f.user;
    config.password = mail_password(f.password_file, f.user);
    config.folder = f.folder;
    config.list_only = f.list_only;
    config.delete_after = f.delete_after;
    config.max_message_bytes = f.max_message_size;
    std::unique_ptr<mail::MailboxClientSession> session;
    if (imap) {
        session = std::make_unique<mail::imap::ImapClientSession>(config);
    } else {
        session = std::make_unique<mail::Pop3ClientSession>(config);
    }

    auto addresses = dns::resolve_host(server->host);
    if (!addresses) {
        std::cerr << "l7 mail fetch: " << addresses.error().message << "\n";
        return 6;
    }
    mail::MailboxClientRunOptions options;
    options.addresses = *addresses;
    options.port = server->port;
    options.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        parse_duration_option(f.connect_timeout));
    options.io_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration_option(f.timeout));
    options.tracer = &ctx.tracer;

    std::string save_failure;
    std::size_t saved = 0;
    std::optional<mail::MailboxClientRun> run;
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            run =
                co_await mail::run_mailbox_client(options, *session, [&](mail::MailboxMessage&& m) {
                    print_message(m);
                    if (!maildir || !m.data) {
                        return true;
                    }
                    const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
                    auto stored = maildir->deliver(*m.data, namer->next(now, m.data->size()));
                    if (!stored) {
                        save_failure = stored.error().message;
                        return false;  // stop before the server deletes what is not saved
                    }
                    ++saved;
                    return true;
                });
        },
        asio::detached);
    io.run();

    if (!run || !run->connected) {
        std::cerr << "l7 mail fetch: cannot connect to " << server->to_string() << ": "
                  << (run ? run->connect_failure : "no result") << "\n";
        return 7;
    }
    const mail::MailboxClientDone& done = run->done;
    // The summary, unless the session failed before listing anything (a refused log-in is
    // not an empty mailbox).
    if (done.ok() || done.messages > 0 || saved > 0) {
        std::cout << done.messages << (done.messages == 1 ? " message" : " messages");
        if (maildir) {
            std::cout << ", " << saved << " saved in " << maildir->root().string();
        }
        if (f.delete_after) {
            std::cout << ", " << done.deleted << " deleted on the server";
        }
        std::cout << "\n";
    }
    if (!save_failure.empty()) {
        std::cerr << "l7 mail fetch: --maildir " << f.maildir << ": " << save_failure << "\n";
        return 1;
    }
    if (!done.ok()) {
        std::cerr << "l7 mail fetch: " << server->to_string() << ": " << done.problem << "\n";
        return done.failure == mail::MailboxClientFailure::login ? 67 : 1;
    }
    return 0;
}

}  // namespace

void add_mail_fetch(CLI::App& mail_cmd, Context& ctx) {
    auto f = std::make_shared<FetchFlags>();
    auto* cmd = mail_cmd.add_subcommand("fetch", "List or download a mailbox over POP3 or IMAP");
    add_common_options(*cmd, f->common);
    cmd->add_option("--pop3", f->pop3, "Read over POP3 from this server (port 110 by default)")
        ->type_name("HOST[:PORT]");
    cmd->add_option("--imap", f->imap, "Read over IMAP from this server (port 143 by default)")
        ->type_name("HOST[:PORT]");
    cmd->add_option("--user", f->user, "The mailbox's user name")->required();
    cmd->add_option("--password-file", f->password_file,
                    "The password, on the file's first line (else $L7_MAIL_PASSWORD)")
        ->type_name("FILE");
    cmd->add_option("--folder", f->folder, "The IMAP folder to read")->capture_default_str();
    cmd->add_option("--maildir", f->maildir,
                    "Save each message into this Maildir (created when missing)")
        ->type_name("DIR");
    cmd->add_flag("--list", f->list_only, "List numbers, ids and sizes; download nothing");
    cmd->add_flag("--delete", f->delete_after,
                  "Delete each message on the server once saved (download and delete)");
    cmd->add_option("--max-message-size", f->max_message_size,
                    "A larger message ends the session with an error")
        ->capture_default_str();
    cmd->add_option("--connect-timeout", f->connect_timeout, "Deadline of the connection attempt")
        ->check(duration_validator())
        ->capture_default_str();
    cmd->add_option("--timeout", f->timeout, "Deadline of each read and write")
        ->check(duration_validator())
        ->capture_default_str();
    cmd->footer(R"(POP3 (RFC 1939): USER and PASS, UIDL, LIST, RETR for each message (DELE with
--delete), QUIT: the server deletes at QUIT only. IMAP (RFC 3501): LOGIN, EXAMINE the
folder (SELECT with --delete), UID FETCH 1:* (UID RFC822.SIZE BODY.PEEK[]), which leaves
the \Seen flags alone, and with --delete UID STORE +FLAGS.SILENT (\Deleted) and UID
EXPUNGE of what was fetched, then LOGOUT. Each message is listed with its number (POP3)
or UID (IMAP), its size, sender and subject; with --maildir it is saved durably (fsync)
before the next one is deleted. --trace prints the dialogue, the password hidden.

Exit status: 0 when all went well, 1 when the server refused a command, broke the
protocol or the connection, or a message could not be saved, 2 for a usage error, 6
when the server's name does not resolve, 7 when no connection could be made, 67 when
the log-in was refused.

Examples:
  L7_MAIL_PASSWORD=hamburger l7 mail fetch --pop3 127.10.0.3:10110 --user bob --trace
  l7 mail fetch --imap mail.hamburger.edu --user bob --password-file pw --list
  l7 mail fetch --pop3 127.0.0.1:1110 --user bob --password-file pw --maildir ~/Mail --delete)");
    cmd->callback([f, &ctx] { ctx.action = [f, &ctx] { return run_fetch(*f, ctx); }; });
}

}  // namespace l7::app
