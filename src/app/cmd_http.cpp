// `l7 http`: registers the verbs; `l7 http serve`, the HTTP/1.1 server, lives here.

#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>

#include "app/cli.hpp"
#include "app/cmd_http_parts.hpp"
#include "core/log.hpp"
#include "http/asio/server.hpp"
#include "http/asio/static_site.hpp"

namespace l7::app {
namespace {

constexpr const char* kDefaultListen = "127.0.0.1:8080";

void add_serve(CLI::App& http_cmd, Context& ctx) {
    auto common = std::make_shared<CommonOptions>();
    auto root = std::make_shared<std::string>(".");
    auto listen = std::make_shared<std::vector<std::string>>();
    auto threads = std::make_shared<unsigned>(0);
    auto index = std::make_shared<std::vector<std::string>>();
    auto dotfiles = std::make_shared<bool>(false);
    auto symlinks = std::make_shared<bool>(false);
    auto access_log = std::make_shared<std::string>();
    auto header_timeout = std::make_shared<std::string>("10s");
    auto idle_timeout = std::make_shared<std::string>("60s");
    auto max_connections = std::make_shared<std::size_t>(10'000);
    auto* cmd = http_cmd.add_subcommand("serve", "HTTP/1.1 server for the files of a directory");
    add_common_options(*cmd, *common);
    cmd->add_option("DIR", *root, "The document root")->check(CLI::ExistingDirectory);
    cmd->add_option("-l,--listen", *listen, "Address to listen on; repeat for several")
        ->check(listen_address_validator())
        ->type_name("ADDR:PORT")
        ->default_str(kDefaultListen);
    cmd->add_option("--threads", *threads, "Worker threads (default: one per core)")
        ->check(CLI::Range(0u, 256u));
    cmd->add_option("--index", *index, "Index file of a directory; repeat for several")
        ->type_name("NAME")
        ->default_str("index.html");
    cmd->add_flag("--dotfiles", *dotfiles, "Serve files and directories whose name starts with .");
    cmd->add_flag("--follow-symlinks", *symlinks,
                  "Serve symlinks that lead out of the document root");
    cmd->add_option("--access-log", *access_log,
                    "Append a Combined Log Format line per request to FILE (- for stdout)")
        ->type_name("FILE");
    cmd->add_option("--header-timeout", *header_timeout,
                    "A request head must arrive within this (slowloris): 408 otherwise")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("10s");
    cmd->add_option("--idle-timeout", *idle_timeout, "Close a keep-alive connection idle this long")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("60s");
    cmd->add_option("--max-connections", *max_connections, "Connections open at once, per address")
        ->default_str("10000");
    cmd->footer(
        R"(Serves GET, HEAD and OPTIONS of the files under DIR (default: the current directory):
Content-Type by extension, Last-Modified and a strong ETag, conditional requests
(If-Modified-Since, If-None-Match, If-Match, If-Unmodified-Since: 304 and 412), byte ranges
(206, multipart/byteranges, 416), index.html for directories and a 301 to the directory's
trailing slash. Files go out with sendfile. Connections stay open (HTTP/1.1 keep-alive, or
HTTP/1.0 with Connection: keep-alive); pipelined requests are answered in order.

Requests are framed strictly (RFC 9112): Content-Length with Transfer-Encoding, differing
Content-Length values, obs-fold and whitespace before a colon get 400; a request line over
8 KiB 414, a header section over 16 KiB or 100 fields 431, an unknown method 501, HTTP/2+
505. The target is percent-decoded once and normalised: `..`, encoded slashes and symlinks
out of DIR cannot escape it; dotfiles are hidden (404) unless --dotfiles.

Examples:
  l7 http serve ./site --listen 127.0.0.1:8080
  curl -v http://127.0.0.1:8080/
  curl -z 'Sun, 06 Nov 1994 08:49:37 GMT' -r 0-99 http://127.0.0.1:8080/big.bin
  l7 http serve ./site --access-log - --trace)");
    cmd->callback([=, &ctx] {
        ctx.action = [=, &ctx] {
            apply_common_options(*common, ctx, true);
            http::SiteOptions site;
            site.root = *root;
            if (!index->empty()) {
                site.index = *index;
            }
            site.serve_dotfiles = *dotfiles;
            site.symlinks_outside_root = *symlinks;
            auto handler_site = std::make_shared<http::StaticSite>(site);
            http::ServerOptions options;
            options.listen = parse_listen_list(
                listen->empty() ? std::vector<std::string>{kDefaultListen} : *listen);
            options.header_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                parse_duration_option(*header_timeout));
            options.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                parse_duration_option(*idle_timeout));
            options.max_connections = *max_connections;
            if (!access_log->empty()) {
                std::shared_ptr<std::ostream> out;
                if (*access_log == "-") {
                    out = std::shared_ptr<std::ostream>(&std::cout, [](std::ostream*) {});
                } else {
                    auto file = std::make_shared<std::ofstream>(*access_log, std::ios::app);
                    if (!*file) {
                        throw UsageError("--access-log: cannot open " + *access_log);
                    }
                    out = file;
                }
                auto mutex = std::make_shared<std::mutex>();
                options.access_log = [out, mutex](const std::string& line) {
                    const std::lock_guard lock(*mutex);
                    *out << line << '\n' << std::flush;
                };
            }
            net::raise_open_file_limit();
            net::Runtime runtime({.threads = *threads});
            try {
                http::start_server(
                    runtime, options,
                    [handler_site](const http::Request& request, const std::string&,
                                   const http::Peer&) { return handler_site->handle(request); },
                    ctx.tracer);
            } catch (const std::system_error& e) {
                log::error("http", e.what());
                return 1;
            }
            log::info("http", "serving " + std::filesystem::absolute(*root).string());
            runtime.run();
            log::info("http", "stopped");
            return 0;
        };
    });
}

}  // namespace

void register_http_commands(CLI::App& root, Context& ctx) {
    auto* http_cmd = root.add_subcommand("http", "HTTP/1.1: server and client");
    http_cmd->require_subcommand(1);
    http_cmd->footer(R"(Examples:
  l7 http serve ./site --listen 127.0.0.1:8080
  l7 http get -v http://127.0.0.1:8080/)");
    add_serve(*http_cmd, ctx);
    add_get(*http_cmd, ctx);
    for (CLI::App* verb : http_cmd->get_subcommands({})) {
        add_env_names(*verb, "HTTP");
    }
}

}  // namespace l7::app
