// `l7 mail send`: the user agent's side of the course's e-mail scenario. It composes a
// message (RFC 5322, MIME attachments in base64) and hands it to a mail server over SMTP,
// the way Alice's mail client gives her message to her server; --trace shows the dialogue
// as the course's S:/C: lines.

#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "app/cmd_mail_parts.hpp"
#include "core/secure_random.hpp"
#include "dns/asio/client_resolver.hpp"
#include "http/mime_types.hpp"
#include "mail/address.hpp"
#include "mail/asio/smtp_client.hpp"
#include "mail/compose.hpp"

namespace l7::app {
namespace {

struct SendFlags {
    CommonOptions common;
    std::string from;
    std::vector<std::string> to, cc, bcc;
    std::string subject;
    std::string body;
    std::string body_file;
    std::vector<std::string> attachments;
    std::string server = "localhost";
    std::string user;
    std::string password_file;
    std::string helo;
    bool helo_only = false;
    bool dry_run = false;
    std::string connect_timeout = "10s";
};

std::string random_hex() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::uint64_t v = secure_random64(), i = 0; i < 16; ++i, v >>= 4) {
        out += kHex[v & 15];
    }
    return out;
}

std::string read_file(const std::string& path, const char* option) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw UsageError(std::string(option) + " " + path + ": cannot be read");
    }
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The address between < and > for the envelope: "Alice <alice@crepes.fr>" -> alice@...
std::string envelope_address(const std::string& text, const char* option) {
    auto mailbox = mail::parse_mailbox(text);
    if (!mailbox) {
        throw UsageError(std::string(option) + " " + text + ": not an e-mail address (" +
                         std::string(mail::describe(mailbox.error())) + ")");
    }
    return mail::format_addr_spec(mailbox->local_part, mailbox->domain);
}

std::vector<mail::Address> header_addresses(const std::vector<std::string>& texts,
                                            const char* option) {
    std::vector<mail::Address> out;
    for (const std::string& t : texts) {
        auto mailbox = mail::parse_mailbox(t);
        if (!mailbox) {
            throw UsageError(std::string(option) + " " + t + ": not an e-mail address");
        }
        out.emplace_back(*mailbox);
    }
    return out;
}

mail::NewMessage compose(const SendFlags& f) {
    mail::NewMessage m;
    auto from = mail::parse_mailbox(f.from);
    if (!from) {
        throw UsageError("--from " + f.from + ": not an e-mail address");
    }
    m.from = *from;
    m.to = header_addresses(f.to, "--to");
    m.cc = header_addresses(f.cc, "--cc");
    m.subject = f.subject;
    m.date = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
    m.message_id_left = random_hex();
    m.message_id_domain = from->domain.empty() ? "localhost" : from->domain;
    m.extra_fields.push_back({"User-Agent", "l7"});
    if (!f.body.empty() && !f.body_file.empty()) {
        throw UsageError("give the body with --body or --body-file, not both");
    }
    if (!f.body_file.empty()) {
        m.text = f.body_file == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {})
                                    : read_file(f.body_file, "--body-file");
    } else {
        m.text = f.body;
    }
    for (const std::string& path : f.attachments) {
        mail::Attachment a;
        a.filename = std::filesystem::path(path).filename().string();
        const std::string ext = std::filesystem::path(path).extension().string();
        const auto type = ext.empty() ? std::nullopt : http::builtin_mime_type(ext.substr(1));
        a.content_type = type ? std::string(*type) : "application/octet-stream";
        a.data = read_file(path, "--attach");
        m.attachments.push_back(std::move(a));
    }
    m.boundary_random = random_hex() + random_hex();
    return m;
}

bool has_eight_bit(std::string_view data) {
    return std::any_of(data.begin(), data.end(),
                       [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

int run_send(const SendFlags& f, Context& ctx) {
    apply_common_options(f.common, ctx, false);
    if (f.to.empty() && f.cc.empty() && f.bcc.empty()) {
        throw UsageError("no recipient: give --to, --cc or --bcc");
    }
    mail::SmtpOutgoingMessage message;
    message.mail_from = envelope_address(f.from, "--from");
    for (const auto* list : {&f.to, &f.cc, &f.bcc}) {
        for (const std::string& r : *list) {
            message.recipients.push_back(envelope_address(r, "--to/--cc/--bcc"));
        }
    }
    auto composed = mail::compose_message(compose(f));
    if (!composed) {
        throw UsageError(std::string(mail::describe(composed.error())));
    }
    message.data = std::move(*composed);
    message.eight_bit = has_eight_bit(message.data);
    if (f.dry_run) {
        std::cout << message.data;
        return 0;
    }

    const int default_port = f.user.empty() ? 25 : 587;
    auto server = parse_host_port(f.server, default_port);
    if (!server) {
        throw UsageError("--server " + f.server + ": " + server.error().message);
    }
    auto addresses = dns::resolve_host(server->host);
    if (!addresses) {
        std::cerr << "l7 mail send: " << addresses.error().message << "\n";
        return 6;
    }

    mail::SmtpClientRunOptions options;
    options.addresses = *addresses;
    options.port = server->port;
    options.host = server->host;
    options.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        parse_duration_option(f.connect_timeout));
    options.session.hello_name =
        !f.helo.empty() ? f.helo : message.mail_from.substr(message.mail_from.rfind('@') + 1);
    options.session.ehlo = !f.helo_only;
    if (!f.user.empty()) {
        options.session.auth =
            mail::SmtpClientCredentials{f.user, mail_password(f.password_file, f.user)};
        options.session.require_auth = true;
    }
    options.tracer = &ctx.tracer;

    std::optional<mail::SmtpOutgoingMessage> pending = std::move(message);
    std::optional<mail::SmtpClientMessageDone> outcome;
    std::optional<mail::SmtpClientRun> run;
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            run = co_await mail::run_smtp_client(
                options,
                [&]() -> std::optional<mail::SmtpOutgoingMessage> {
                    return std::exchange(pending, std::nullopt);
                },
                [&](const mail::SmtpClientMessageDone& done) { outcome = done; });
        },
        asio::detached);
    io.run();

    if (!run || !run->connected) {
        std::cerr << "l7 mail send: cannot connect to " << server->to_string() << ": "
                  << (run ? run->connect_failure : "no result") << "\n";
        return 7;
    }
    if (!outcome) {
        std::cerr << "l7 mail send: " << server->host << ": "
                  << (run->failure ? run->failure->diagnostic() : run->close_reason) << "\n";
        return 1;
    }
    int failed = 0;
    for (const mail::SmtpRecipientOutcome& r : outcome->recipients) {
        const bool ok = r.outcome.kind == mail::SmtpOutcomeKind::delivered;
        failed += ok ? 0 : 1;
        (ok ? std::cout : std::cerr) << "<" << r.recipient << ">: " << (ok ? "accepted" : "refused")
                                     << ": " << r.outcome.diagnostic() << "\n";
    }
    return failed == 0 ? 0 : 1;
}

}  // namespace

void add_mail_send(CLI::App& mail_cmd, Context& ctx) {
    auto f = std::make_shared<SendFlags>();
    auto* cmd = mail_cmd.add_subcommand("send", "Compose a message and submit it over SMTP");
    add_common_options(*cmd, f->common);
    cmd->add_option("--from", f->from, "The sender: alice@crepes.fr or 'Alice <alice@crepes.fr>'")
        ->required();
    cmd->add_option("--to", f->to, "A recipient, in the To field (repeatable)");
    cmd->add_option("--cc", f->cc, "A recipient, in the Cc field (repeatable)");
    cmd->add_option("--bcc", f->bcc, "A recipient in no header field (repeatable)");
    cmd->add_option("--subject", f->subject, "The Subject (UTF-8 is encoded as RFC 2047 asks)");
    cmd->add_option("--body", f->body, "The text of the message");
    cmd->add_option("--body-file", f->body_file, "The text from a file ('-': standard input)")
        ->type_name("FILE");
    cmd->add_option("--attach", f->attachments,
                    "Attach a file, base64 in a multipart/mixed message (repeatable)")
        ->type_name("FILE");
    cmd->add_option("--server", f->server,
                    "The mail server to submit to; port 587 with --user, else 25")
        ->capture_default_str()
        ->type_name("HOST[:PORT]");
    cmd->add_option("--user", f->user, "Log in (AUTH PLAIN or LOGIN) as this user");
    cmd->add_option("--password-file", f->password_file,
                    "The password, on the file's first line (else $L7_MAIL_PASSWORD)")
        ->type_name("FILE");
    cmd->add_option("--helo", f->helo, "Our name in EHLO/HELO (default: the sender's domain)");
    cmd->add_flag("--helo-only", f->helo_only,
                  "Greet with HELO, not EHLO: the plain SMTP dialogue of the course");
    cmd->add_flag("--dry-run", f->dry_run, "Print the message instead of sending it");
    cmd->add_option("--connect-timeout", f->connect_timeout, "Deadline of the connection attempt")
        ->check(duration_validator())
        ->capture_default_str();
    cmd->footer(R"(The message is composed as RFC 5322 and MIME ask: Date, Message-ID, UTF-8
text (quoted-printable when needed), encoded words for non-ASCII names and subjects,
and each --attach as a base64 part of a multipart/mixed message, its type from its
extension. It goes to --server over SMTP (RFC 5321): EHLO, AUTH when --user is given
(required then: the submission port, RFC 6409), MAIL FROM, RCPT TO for every --to,
--cc and --bcc, DATA. --trace prints the dialogue as S:/C: lines, the password hidden.

Exit status: 0 when every recipient was accepted, 1 when one was refused (each is
listed with the server's reply), 2 for a usage error, 6 when the server's name does not
resolve, 7 when no connection could be made.

Examples:
  l7 mail send --server 127.0.0.1:2525 --from alice@crepes.fr --to bob@hamburger.edu \
      --subject 'Hello Bob' --body 'Do you like ketchup?' --trace
  L7_MAIL_PASSWORD=secret l7 mail send --server mail.crepes.fr --user alice \
      --from alice@crepes.fr --to bob@hamburger.edu --subject report --attach report.pdf
  l7 mail send --dry-run --from alice@crepes.fr --to bob@hamburger.edu --body hi)");
    cmd->callback([f, &ctx] { ctx.action = [f, &ctx] { return run_send(*f, ctx); }; });
}

}  // namespace l7::app
