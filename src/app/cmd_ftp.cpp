// `l7 ftp`: the FTP server (`serve`); the client commands live in cmd_ftp_client.cpp.

#include <filesystem>

#include "app/cli.hpp"
#include "app/cmd_ftp_parts.hpp"
#include "app/ftp_serve_config.hpp"
#include "app/password_edit.hpp"
#include "core/log.hpp"
#include "ftp/asio/server.hpp"
#include "tls/asio/context.hpp"

namespace l7::app {
namespace {

std::filesystem::path directory_option(const char* option, const std::string& text) {
    std::error_code ec;
    if (!std::filesystem::is_directory(text, ec)) {
        throw UsageError(std::string(option) + " " + text + ": not a directory");
    }
    return std::filesystem::canonical(text);
}

// "LOW-HIGH", both unprivileged.
std::pair<std::uint16_t, std::uint16_t> port_range_option(const std::string& text) {
    const std::size_t dash = text.find('-');
    try {
        if (dash != std::string::npos) {
            const unsigned long lo = std::stoul(text.substr(0, dash));
            const unsigned long hi = std::stoul(text.substr(dash + 1));
            if (lo >= 1024 && lo <= hi && hi <= 65535) {
                return {static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(hi)};
            }
        }
    } catch (const std::exception&) {
    }
    throw UsageError("--passive-ports " + text +
                     ": expected LOW-HIGH, two ports from 1024 to 65535, LOW <= HIGH");
}

// Passwords from --users FILE, or from --user flags and the config file's [[user]] hashes;
// roots and rights from [[user]].
void load_users(const FtpServeFlags& f, ftp::FtpServiceOptions& options) {
    if (!f.users_file.empty() && !f.users.empty()) {
        throw UsageError("give users with --users FILE or with --user NAME:PASSWORD, not both");
    }
    std::string preset;
    for (const FtpUserSetting& u : f.user_settings) {
        if (!u.password_hash.empty()) {
            if (!f.users_file.empty()) {
                throw UsageError("user " + u.name +
                                 ": a password_hash in the config file and a users file too; "
                                 "keep the hashes in one place");
            }
            preset += u.name + ":" + u.password_hash + "\n";
        }
        options.accounts.push_back(
            {u.name, ftp::FtpAccount{
                         u.root.empty() ? options.default_root : directory_option("root", u.root),
                         u.write}});
    }
    if (!f.users_file.empty()) {
        auto file = PasswordFile::load(f.users_file);
        if (!file) {
            throw UsageError(file.error().message);
        }
        options.passwords = *file;
    } else if (!f.users.empty() || !preset.empty()) {
        options.passwords = users_from_flags(f.users, {}, preset);
    }
    for (const FtpUserSetting& u : f.user_settings) {
        if (!options.passwords || !options.passwords->has_user(u.name)) {
            throw UsageError("user " + u.name +
                             " has no password: give password_hash in the "
                             "config file or a users_file that lists them");
        }
    }
}

int run_ftp_serve(const FtpServeFlags& f, Context& ctx) {
    apply_common_options(f.common, ctx, true);
    ftp::FtpServiceOptions options;
    options.listen =
        parse_listen_list(f.listen.empty() ? std::vector<std::string>{"127.0.0.1:2121"} : f.listen);
    options.hostname = f.hostname;
    options.default_root = directory_option("--root", f.root);
    load_users(f, options);
    if (f.anonymous || !f.anonymous_root.empty()) {
        options.anonymous_root = f.anonymous_root.empty()
                                     ? options.default_root
                                     : directory_option("--anonymous-root", f.anonymous_root);
    }
    if (!options.passwords && !options.anonymous_root) {
        throw UsageError(
            "nobody could log in: give --user NAME:PASSWORD, --users FILE or --anonymous");
    }
    if (!f.passive_ports.empty()) {
        std::tie(options.passive_port_min, options.passive_port_max) =
            port_range_option(f.passive_ports);
    }
    options.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        parse_duration_option(f.idle_timeout));
    options.transfer_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        parse_duration_option(f.transfer_timeout));
    options.max_connections = f.max_connections;
    options.read_only = f.read_only;
    if (f.tls_cert.empty() != f.tls_key.empty()) {
        throw UsageError("give --tls-cert and --tls-key together");
    }
    if (f.tls_required && f.tls_cert.empty()) {
        throw UsageError("--tls-required needs a certificate: give --tls-cert and --tls-key");
    }
    if (!f.tls_cert.empty()) {
        auto tls = tls::make_server_context({f.tls_cert, f.tls_key});
        if (!tls) {
            throw UsageError(tls.error().message);
        }
        options.tls = *tls;
        options.tls_required = f.tls_required;
    }

    net::Runtime runtime({.threads = f.threads});
    try {
        ftp::start_ftp_server(runtime, options, ctx.tracer);
    } catch (const std::system_error& e) {
        log::error("ftp", e.what());
        return 1;
    }
    log::info("ftp", "serving " + options.default_root.string() +
                         (options.anonymous_root
                              ? "; anonymous read-only at " + options.anonymous_root->string()
                              : std::string()));
    runtime.run();
    log::info("ftp", "stopped");
    return 0;
}

void add_ftp_serve(CLI::App& ftp_cmd, Context& ctx) {
    auto f = std::make_shared<FtpServeFlags>();
    auto* cmd = ftp_cmd.add_subcommand("serve", "Run an FTP server");
    add_common_options(*cmd, f->common);
    cmd->add_option("--config", f->config_file,
                    "Read the settings from this TOML file (users with their own roots and "
                    "rights, hashed passwords); flags given here win over it")
        ->type_name("FILE");
    cmd->add_option("--root", f->root, "The directory users see as / (default: the current one)")
        ->type_name("DIR");
    cmd->add_option("--listen", f->listen,
                    "Address and port for the control connection "
                    "(repeatable; default 127.0.0.1:2121)")
        ->type_name("ADDR:PORT")
        ->check(listen_address_validator());
    cmd->add_option("--user", f->users, "A user and password (repeatable), with --root as root")
        ->type_name("NAME:PASSWORD");
    cmd->add_option("--users", f->users_file,
                    "Users from a password file (htpasswd format, e.g. from `l7 http passwd`); "
                    "re-read when it changes")
        ->type_name("FILE");
    cmd->add_flag("--anonymous", f->anonymous,
                  "Allow anonymous login (USER anonymous or ftp, any password), read-only");
    cmd->add_option("--anonymous-root", f->anonymous_root,
                    "The directory anonymous users see as / (default: --root); implies "
                    "--anonymous")
        ->type_name("DIR");
    cmd->add_flag("--read-only", f->read_only, "No user may change anything");
    cmd->add_option("--passive-ports", f->passive_ports,
                    "Ports for passive data connections (default: any free port)")
        ->type_name("LOW-HIGH");
    cmd->add_option("--hostname", f->hostname, "This server's name in the greeting")
        ->capture_default_str();
    cmd->add_option("--idle-timeout", f->idle_timeout,
                    "Close a control connection without a command for this long")
        ->check(duration_validator())
        ->capture_default_str();
    cmd->add_option("--transfer-timeout", f->transfer_timeout,
                    "Abort a transfer that makes no progress for this long")
        ->check(duration_validator())
        ->capture_default_str();
    cmd->add_option("--max-connections", f->max_connections,
                    "Open control connections per listening address")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
    cmd->add_option("--threads", f->threads, "Worker threads (default: one per core)");
    cmd->add_option("--tls-cert", f->tls_cert,
                    "Offer AUTH TLS (RFC 4217) with this PEM certificate chain "
                    "(e.g. from `l7 tls cert`)")
        ->type_name("FILE");
    cmd->add_option("--tls-key", f->tls_key, "The private key of --tls-cert (PEM)")
        ->type_name("FILE");
    cmd->add_flag("--tls-required", f->tls_required,
                  "Refuse USER before AUTH TLS, and transfers without PROT P, to every user but "
                  "anonymous");
    cmd->footer(R"(The FTP server of the course (RFC 959): a control connection carrying commands
and numbered replies, and a separate data connection for each listing and file. The
client either asks the server to listen (PASV, or EPSV, RFC 2428) or tells it where to
connect (PORT, EPRT: "active mode"); a data connection is accepted only from, and made
only to, the control connection's own peer (RFC 2577: no bounce attacks).

Each user is confined to their root: no path (.., absolute paths, symbolic links)
reaches outside it. Uploads (STOR, APPE, STOU) are written to a hidden temporary file
and renamed over the target only when complete and fsynced, so a broken upload leaves
no half file; REST resumes downloads and uploads. Binary downloads are sent with
sendfile(2); TYPE A converts line ends. Also: LIST, NLST, MLSD, MLST, SIZE, MDTM
(RFC 3659), FEAT and OPTS (RFC 2389), HOST (RFC 7151), MKD, RMD, DELE, RNFR/RNTO,
ABOR, STAT, HELP. --trace shows each control dialogue as C:/S: lines (PASS hidden).

With --tls-cert and --tls-key, AUTH TLS (RFC 4217) turns the control connection into
TLS; PBSZ 0 and PROT P then protect each data connection too (clients: curl --ssl-reqd,
lftp, Python's ftplib.FTP_TLS, `l7 ftp ... --tls`). --tls-required keeps passwords and
their files off the wire in clear: USER before AUTH TLS gets 530, a transfer without
PROT P gets 521; anonymous logins stay allowed in clear.

--config FILE gives the same settings in TOML (a flag on the command line wins), and
users with roots and rights of their own:
  root = "srv"             listen = ["0.0.0.0:21"]       hostname = "ftp.hamburger.edu"
  anonymous = true         anonymous_root = "srv/pub"    read_only = false
  passive_ports = "50000-50100"    idle_timeout = "5m"    transfer_timeout = "60s"
  max_connections = 200    threads = 2                   users_file = "users"
  tls_cert = "cert.pem"    tls_key = "key.pem"           tls_required = false
  [[user]]
  name = "bob"    password_hash = "$y$j9T$..."    root = "home/bob"    write = true
Paths are relative to the file's directory; hashes come from `l7 http passwd` or
htpasswd -B (a users_file holds NAME:HASH lines instead of password_hash).

Examples:
  l7 ftp serve --root /srv/ftp --user alice:secret --anonymous --trace
  curl ftp://127.0.0.1:2121/                       # anonymous listing
  curl -u alice:secret -T notes.txt ftp://127.0.0.1:2121/incoming/
  lftp -p 2121 -u alice,secret -e 'mirror /docs docs; bye' 127.0.0.1
  l7 tls cert --name localhost --cert cert.pem --key key.pem
  l7 ftp serve --user alice:secret --tls-cert cert.pem --tls-key key.pem --tls-required
  curl --ssl-reqd --cacert cert.pem -u alice:secret ftp://localhost:2121/)");
    cmd->callback([f, cmd, &ctx] {
        ctx.action = [f, cmd, &ctx] {
            if (!f->config_file.empty()) {
                apply_ftp_serve_config(*f, *cmd);
            }
            return run_ftp_serve(*f, ctx);
        };
    });
    add_env_names(*cmd, "ftp");
}

}  // namespace

void register_ftp_commands(CLI::App& root, Context& ctx) {
    auto* ftp = root.add_subcommand("ftp", "FTP: a server and a client (RFC 959)");
    ftp->require_subcommand(1);
    add_ftp_serve(*ftp, ctx);
    add_ftp_client_commands(*ftp, ctx);
}

}  // namespace l7::app
