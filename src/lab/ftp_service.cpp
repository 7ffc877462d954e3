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
// ftp-ADDRESS/users/NAME/. `l7 lab --check` logs in anonymously, lists / over a passive data
// connection (EPSV) and expects the README.

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <filesystem>
#include <fstream>

#include "core/password_file.hpp"
#include "ftp/asio/server.hpp"
#include "ftp/command.hpp"
#include "ftp/reply.hpp"
#include "lab/lab_users.hpp"
#include "lab/services.hpp"
#include "lab/site_files.hpp"
#include "lab/state_dir.hpp"
#include "net/timeout.hpp"
#include "tls/asio/context.hpp"
#include "tls/self_signed.hpp"

namespace l7::lab {
namespace {

namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

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
    const fs::path dir = lab_state_dir() / ("ftp-" + ep.host);
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

// One FTP dialogue for the check: greeting, anonymous login, EPSV, LIST, QUIT.
asio::awaitable<Result<std::string>> anonymous_listing(HostPort ep) {
    auto ex = co_await asio::this_coro::executor;
    tcp::socket control(ex);
    std::error_code ec;
    const auto address = asio::ip::make_address(ep.host, ec);
    if (ec) {
        co_return make_error(ep.host + ": not an IP address");
    }
    auto [connect_ec] =
        co_await control.async_connect(tcp::endpoint(address, ep.port), net::as_tuple_awaitable);
    if (connect_ec) {
        co_return make_error("cannot connect: " + connect_ec.message());
    }
    ftp::FtpReplyParser parser;
    std::array<char, 4096> buffer;
    auto next_reply = [&]() -> asio::awaitable<std::optional<ftp::FtpReply>> {
        ftp::FtpReply reply;
        for (;;) {
            const auto status = parser.next(reply);
            if (status == ftp::FtpReplyParser::Status::reply) {
                co_return reply;
            }
            if (status == ftp::FtpReplyParser::Status::error) {
                co_return std::nullopt;
            }
            auto [read_ec, n] =
                co_await control.async_read_some(asio::buffer(buffer), net::as_tuple_awaitable);
            if (read_ec) {
                co_return std::nullopt;
            }
            parser.feed(std::string_view(buffer.data(), n));
        }
    };
    auto command = [&](std::string line) -> asio::awaitable<std::optional<ftp::FtpReply>> {
        line += "\r\n";
        auto [write_ec, ignored] =
            co_await asio::async_write(control, asio::buffer(line), net::as_tuple_awaitable);
        if (write_ec) {
            co_return std::nullopt;
        }
        co_return co_await next_reply();
    };
    auto expect = [](const std::optional<ftp::FtpReply>& r, int code) {
        return r && r->code == code;
    };
    if (!expect(co_await next_reply(), 220)) {
        co_return make_error("no 220 greeting");
    }
    if (!expect(co_await command("USER anonymous"), 331) ||
        !expect(co_await command("PASS lab@l7"), 230)) {
        co_return make_error("anonymous login refused");
    }
    auto epsv = co_await command("EPSV");
    const auto port = epsv && epsv->code == 229 ? ftp::parse_epsv_text(epsv->text()) : std::nullopt;
    if (!port) {
        co_return make_error("EPSV gave no port");
    }
    tcp::socket data(ex);
    auto [data_ec] =
        co_await data.async_connect(tcp::endpoint(address, *port), net::as_tuple_awaitable);
    if (data_ec) {
        co_return make_error("cannot open the data connection: " + data_ec.message());
    }
    auto list = co_await command("LIST");
    if (!list || list->code != 150) {
        co_return make_error("LIST was not started (" +
                             (list ? std::to_string(list->code) : std::string("no reply")) + ")");
    }
    std::string listing;
    for (;;) {
        auto [read_ec, n] =
            co_await data.async_read_some(asio::buffer(buffer), net::as_tuple_awaitable);
        listing.append(buffer.data(), n);
        if (read_ec || listing.size() > 65536) {
            break;
        }
    }
    if (!expect(co_await next_reply(), 226)) {
        co_return make_error("LIST did not complete with 226");
    }
    (void)co_await command("QUIT");
    if (listing.find("README.txt") == std::string::npos) {
        co_return make_error("the anonymous listing has no README.txt");
    }
    co_return std::string("anonymous LIST over EPSV: ") +
        std::to_string(std::count(listing.begin(), listing.end(), '\n')) + " entries";
}

Result<std::string> probe(const HostPort& ep, const config::Table&) {
    asio::io_context io;
    std::optional<Result<std::string>> outcome;
    asio::co_spawn(io, net::with_timeout(anonymous_listing(ep), std::chrono::seconds(10)),
                   [&outcome](std::exception_ptr e, std::optional<Result<std::string>> r) {
                       if (e) {
                           outcome = make_error("the check failed");
                       } else {
                           outcome = r ? std::move(*r) : make_error("no answer within 10 s");
                       }
                   });
    io.run_for(std::chrono::seconds(12));
    if (!outcome) {
        return make_error("no answer within 10 s");
    }
    return std::move(*outcome);
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
