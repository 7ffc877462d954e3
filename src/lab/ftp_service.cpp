// The lab's FTP server, ftp.hamburger.edu: `l7 ftp serve` with an anonymous, read-only area
// (the embedded site `content`, written into the lab's state directory) and one area per
// user, where they may write.
//
//   [[host.service]]
//   kind = "ftp"
//   port = 21
//   content = "ftp.hamburger.edu"     # the anonymous area's files (src/lab/www/...)
//   users = ["bob:hamburger"]         # NAME:PASSWORD; each gets users/NAME/ as root
//   anonymous = true                  # default true
//   tls_name = "ftp.hamburger.edu"    # AUTH TLS with a self-signed certificate for this
//                                     # name and the address (ftp-ADDRESS/cert.pem)
//
// Everything lives in the lab's state directory, ftp-ADDRESS/anonymous/ and
// ftp-ADDRESS/users/NAME/. `l7 lab --check` logs in anonymously with l7's FTP client,
// through AUTH TLS when tls_name is set, lists / over a passive data connection (EPSV) and
// expects the README.

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include "core/password_file.hpp"
#include "ftp/asio/client.hpp"
#include "ftp/asio/server.hpp"
#include "ftp/client_session.hpp"
#include "lab/lab_users.hpp"
#include "lab/services.hpp"
#include "lab/site_files.hpp"
#include "lab/state_dir.hpp"
#include "tls/asio/context.hpp"
#include "tls/self_signed.hpp"

namespace l7::lab {
namespace {

namespace fs = std::filesystem;

// Each user's name is a directory under users/.
std::vector<LabUser> users_of(const config::Table& s) {
    return lab_users(s, [](const std::string& name) {
        return name.find('/') == std::string::npos && !name.starts_with('.');
    });
}

void validate(const config::Table& s) {
    s.allow_only({"kind", "port", "content", "users", "anonymous", "tls_name"});
    if (auto content = s.get_string("content"); content && !has_site(*content)) {
        s.fail("content", "no built-in content named '" + *content + "'");
    }
    (void)users_of(s);
    (void)s.get_bool("anonymous");
    if (auto name = s.get_string("tls_name"); name && name->empty()) {
        s.fail("tls_name", "the certificate needs a host name");
    }
}

// Where the service on `ep` keeps its files and certificate, in the lab's state directory.
fs::path state_dir_of(const HostPort& ep) {
    return lab_state_dir() / ("ftp-" + ep.host);
}

// A new self-signed certificate at each start: students trust it with --cacert (curl,
// `l7 ftp --tls`) and see AUTH TLS, PBSZ and PROT in the trace.
std::shared_ptr<asio::ssl::context> lab_certificate(const fs::path& dir, const std::string& name,
                                                    const std::string& address) {
    auto pair = tls::make_self_signed({name, address});
    if (!pair) {
        throw std::runtime_error(pair.error().message);
    }
    const fs::path cert = dir / "cert.pem";
    const fs::path key = dir / "key.pem";
    if (auto written = tls::write_pair(*pair, cert, key); !written) {
        throw std::runtime_error(written.error().message);
    }
    auto context = tls::make_server_context({cert, key});
    if (!context) {
        throw std::runtime_error(context.error().message);
    }
    return *context;
}

void start(net::Runtime& rt, const HostPort& ep, const config::Table& s, trace::Tracer& tracer,
           const StartContext&) {
    const fs::path dir = state_dir_of(ep);
    ftp::FtpServiceOptions options;
    options.listen = {ep};
    options.hostname = "ftp." + ep.host;
    const fs::path anonymous = dir / "anonymous";
    fs::create_directories(anonymous);
    if (auto content = s.get_string("content")) {
        write_site(*content, anonymous);
    }
    if (s.get_bool("anonymous").value_or(true)) {
        options.anonymous_root = anonymous;
    }
    const std::vector<LabUser> users = users_of(s);
    for (const LabUser& u : users) {
        const fs::path home = dir / "users" / u.name;
        fs::create_directories(home);
        std::ofstream(home / "welcome.txt")
            << "Hello " << u.name << ": this is your own area on the lab's FTP server.\n";
        options.accounts.push_back({u.name, ftp::FtpAccount{home, true}});
    }
    options.passwords = password_file_of(users);
    options.default_root = anonymous;  // unused: every user has an account
    if (auto name = s.get_string("tls_name")) {
        options.tls = lab_certificate(dir, *name, ep.host);
    }
    ftp::start_ftp_server(rt, options, tracer);
}

// The listing the check asks for, kept in memory (bounded: the lab's is a few lines).
class ListingInMemory final : public ftp::FtpLocalData {
  public:
    std::optional<std::string> begin(const ftp::FtpClientTransfer&) override {
        return std::nullopt;
    }
    std::optional<std::string> write(std::string_view bytes) override {
        if (text.size() + bytes.size() > 64 * 1024) {
            return "the listing is larger than 64 KiB";
        }
        text += bytes;
        return std::nullopt;
    }
    std::optional<std::string> read(std::string&) override { return "nothing to upload"; }

    std::string text;
};

// What `l7 ftp ls` does, in-process: an anonymous LIST of / over EPSV, through AUTH TLS,
// PBSZ and PROT P when the server has a certificate (trusting the one written at its start).
Result<std::string> probe(const HostPort& ep, const config::Table& s) {
    ftp::FtpClientConfig config;  // anonymous, LIST of the login directory, passive
    config.password = "lab@l7";
    ftp::FtpClientRunOptions options;
    options.addresses = {ep.host};
    options.port = ep.port;
    options.connect_timeout = std::chrono::seconds(5);
    options.io_timeout = std::chrono::seconds(10);
    const auto tls_name = s.get_string("tls_name");
    if (tls_name) {
        const fs::path cert = state_dir_of(ep) / "cert.pem";
        auto context = tls::make_client_context({cert, true});
        if (!context) {
            return make_error(context.error().message);
        }
        options.tls = *context;
        options.tls_host = *tls_name;
        config.tls = true;
    }
    ftp::FtpClientSession session(config);
    ListingInMemory listing;
    std::optional<ftp::FtpClientRun> run;
    {
        asio::io_context io;  // before `session` and `listing` go: the coroutine refers to them
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                run = co_await ftp::run_ftp_client(options, session, listing);
            },
            asio::detached);
        // Each step has its own deadline; this bounds the whole dialogue.
        io.run_for(std::chrono::seconds(40));
    }
    if (!run) {
        return make_error("no answer within 40 s");
    }
    if (!run->connected) {
        return make_error("cannot connect: " + run->connect_failure);
    }
    if (!run->done.ok()) {
        return make_error(run->done.problem);
    }
    if (listing.text.find("README.txt") == std::string::npos) {
        return make_error("the anonymous listing has no README.txt");
    }
    return std::string("anonymous LIST over EPSV") + (tls_name ? " with AUTH TLS, PROT P" : "") +
           ": " + std::to_string(std::count(listing.text.begin(), listing.text.end(), '\n')) +
           " entries";
}

}  // namespace

ServiceKind ftp_service() {
    ServiceKind k;
    k.name = "ftp";
    k.protocol = "tcp";
    k.summary = "FTP server: an anonymous read-only area and one writable area per user";
    k.validate = validate;
    k.start = start;
    k.probe = probe;
    return k;
}

}  // namespace l7::lab
