// `l7 http serve`: the HTTP/1.1 server: one directory from flags, or virtual hosts from a
// configuration file; SIGHUP reloads the hosts, SIGTERM stops gracefully.

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>

#include "app/cli.hpp"
#include "app/cmd_http_parts.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "http/apps.hpp"
#include "http/asio/server.hpp"
#include "http/asio/virtual_host.hpp"
#include "http/server_config.hpp"
#include "net/reload_signal.hpp"

namespace l7::app {
namespace {

constexpr const char* kDefaultListen = "127.0.0.1:8080";

struct ServeFlags {
    CommonOptions common;
    std::string root;
    std::string config_file;
    std::vector<std::string> listen;
    unsigned threads = 0;
    std::vector<std::string> index;
    bool listing = false;
    bool dotfiles = false;
    bool symlinks = false;
    bool no_gzip = false;
    std::string mime_types;
    std::string writable;
    std::string password_file;
    std::string access_log;
    std::string header_timeout = "10s";
    std::string idle_timeout = "60s";
    std::size_t max_connections = 10'000;
    // Which flags were given, so that they override the configuration file.
    CLI::Option* listen_opt = nullptr;
    CLI::Option* threads_opt = nullptr;
    CLI::Option* access_log_opt = nullptr;
    CLI::Option* header_timeout_opt = nullptr;
    CLI::Option* idle_timeout_opt = nullptr;
    CLI::Option* max_connections_opt = nullptr;
    std::vector<CLI::Option*> site_opts;  // per-site flags, which a config file replaces
};

// The configuration the flags describe: one host, the default, for every name.
http::ServerConfig config_from_flags(const ServeFlags& f) {
    http::HostConfig host;
    host.names = {"localhost"};
    host.is_default = true;
    host.root = f.root;
    if (!f.index.empty()) {
        host.index = f.index;
    }
    host.listing = f.listing;
    host.dotfiles = f.dotfiles;
    host.follow_symlinks = f.symlinks;
    host.gzip = !f.no_gzip;
    host.mime_types = f.mime_types;
    if (f.writable.empty() != f.password_file.empty()) {
        throw UsageError("--writable and --password-file go together");
    }
    if (!f.writable.empty()) {
        if (!f.writable.starts_with('/')) {
            throw UsageError("--writable '" + f.writable + "': a URL path starting with '/'");
        }
        host.writable.push_back({f.writable, f.password_file, "l7"});
    }
    http::ServerConfig config;
    config.hosts.push_back(std::move(host));
    return config;
}

// The configuration to run: the file's or the flags', then the server-wide flags given.
http::ServerConfig load_config(const ServeFlags& f) {
    http::ServerConfig config;
    if (f.config_file.empty()) {
        config = config_from_flags(f);
    } else {
        config = http::load_server_config(f.config_file);
    }
    if (f.listen_opt->count() > 0 || config.listen.empty()) {
        config.listen = f.listen.empty() ? std::vector<std::string>{kDefaultListen} : f.listen;
    }
    if (f.threads_opt->count() > 0) {
        config.threads = f.threads;
    }
    if (f.access_log_opt->count() > 0) {
        config.access_log = f.access_log;
    }
    const auto millis = [](const std::string& text) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(parse_duration_option(text));
    };
    if (f.header_timeout_opt->count() > 0 || f.config_file.empty()) {
        config.header_timeout = millis(f.header_timeout);
    }
    if (f.idle_timeout_opt->count() > 0 || f.config_file.empty()) {
        config.idle_timeout = millis(f.idle_timeout);
    }
    if (f.max_connections_opt->count() > 0 || f.config_file.empty()) {
        config.max_connections = f.max_connections;
    }
    return config;
}

std::function<void(const std::string&)> open_access_log(const std::string& target) {
    if (target.empty()) {
        return {};
    }
    std::shared_ptr<std::ostream> out;
    if (target == "-") {
        out = std::shared_ptr<std::ostream>(&std::cout, [](std::ostream*) {});
    } else {
        auto file = std::make_shared<std::ofstream>(target, std::ios::app);
        if (!*file) {
            throw UsageError("access log: cannot open " + target);
        }
        out = file;
    }
    auto mutex = std::make_shared<std::mutex>();
    return [out, mutex](const std::string& line) {
        const std::lock_guard lock(*mutex);
        *out << line << '\n' << std::flush;
    };
}

// The hosts in force. Each worker thread keeps its own reference and looks at the shared one
// only when the generation has moved, so serving a request touches no shared reference count.
// Generations come from one process-wide counter, so no two LiveHosts (or two states of one)
// ever share one: a thread's cached reference can never be mistaken for another's.
class LiveHosts {
  public:
    explicit LiveHosts(std::shared_ptr<const http::VirtualHosts> hosts)
        : hosts_(std::move(hosts)), generation_(next_generation()) {}

    void replace(std::shared_ptr<const http::VirtualHosts> hosts) {
        const std::lock_guard lock(mutex_);
        hosts_ = std::move(hosts);
        generation_.store(next_generation(), std::memory_order_release);
    }

    const http::VirtualHosts& current() {
        thread_local std::uint64_t seen = 0;
        thread_local std::shared_ptr<const http::VirtualHosts> mine;
        const std::uint64_t now = generation_.load(std::memory_order_acquire);
        if (now != seen) {
            const std::lock_guard lock(mutex_);
            mine = hosts_;
            seen = generation_.load(std::memory_order_relaxed);
        }
        return *mine;
    }

  private:
    static std::uint64_t next_generation() {
        static std::atomic<std::uint64_t> counter{0};
        return counter.fetch_add(1, std::memory_order_relaxed) + 1;
    }

    std::mutex mutex_;
    std::shared_ptr<const http::VirtualHosts> hosts_;
    std::atomic<std::uint64_t> generation_;
};

}  // namespace

void add_serve(CLI::App& http_cmd, Context& ctx) {
    auto f = std::make_shared<ServeFlags>();
    auto* cmd = http_cmd.add_subcommand(
        "serve", "HTTP/1.1 server: the files of a directory, or virtual hosts from --config");
    add_common_options(*cmd, f->common);
    f->site_opts.push_back(
        cmd->add_option("DIR", f->root, "The document root (default: the current directory)")
            ->check(CLI::ExistingDirectory));
    cmd->add_option("-c,--config", f->config_file,
                    "Virtual hosts and settings from this TOML file (instead of DIR)")
        ->check(CLI::ExistingFile)
        ->type_name("FILE");
    f->listen_opt =
        cmd->add_option("-l,--listen", f->listen, "Address to listen on; repeat for several")
            ->check(listen_address_validator())
            ->type_name("ADDR:PORT")
            ->default_str(kDefaultListen);
    f->threads_opt =
        cmd->add_option("--threads", f->threads, "Worker threads (default: one per core)")
            ->check(CLI::Range(0u, 256u));
    f->site_opts.push_back(
        cmd->add_option("--index", f->index, "Index file of a directory; repeat for several")
            ->type_name("NAME")
            ->default_str("index.html"));
    f->site_opts.push_back(cmd->add_flag(
        "--listing", f->listing, "An HTML list of a directory that has no index file (else 403)"));
    f->site_opts.push_back(cmd->add_flag("--dotfiles", f->dotfiles,
                                         "Serve files and directories whose name starts with ."));
    f->site_opts.push_back(cmd->add_flag("--follow-symlinks", f->symlinks,
                                         "Serve symlinks that lead out of the document root"));
    f->site_opts.push_back(
        cmd->add_flag("--no-gzip", f->no_gzip, "Never compress text on the fly"));
    f->site_opts.push_back(
        cmd->add_option("--mime-types", f->mime_types,
                        "More Content-Type mappings, in the format of /etc/mime.types")
            ->check(CLI::ExistingFile)
            ->type_name("FILE"));
    f->site_opts.push_back(
        cmd->add_option("--writable", f->writable,
                        "Allow PUT and DELETE of files under this URL path, for the users of "
                        "--password-file (HTTP Basic authentication)")
            ->type_name("PREFIX"));
    f->site_opts.push_back(
        cmd->add_option("--password-file", f->password_file,
                        "Who may write under --writable: USER:HASH lines (htpasswd -B, "
                        "l7 http passwd)")
            ->type_name("FILE"));
    f->access_log_opt =
        cmd->add_option("--access-log", f->access_log,
                        "Append a Combined Log Format line per request to FILE (- for stdout)")
            ->type_name("FILE");
    f->header_timeout_opt =
        cmd->add_option("--header-timeout", f->header_timeout,
                        "A request head must arrive within this (slowloris): 408 otherwise")
            ->check(duration_validator())
            ->type_name("DURATION")
            ->default_str("10s");
    f->idle_timeout_opt = cmd->add_option("--idle-timeout", f->idle_timeout,
                                          "Close a keep-alive connection idle this long")
                              ->check(duration_validator())
                              ->type_name("DURATION")
                              ->default_str("60s");
    f->max_connections_opt = cmd->add_option("--max-connections", f->max_connections,
                                             "Connections open at once, per address")
                                 ->default_str("10000");
    cmd->footer(
        R"(Serves the files under DIR (default: the current directory), or the virtual hosts of
--config FILE, over HTTP/1.1:

  GET, HEAD and OPTIONS of files: Content-Type by extension, Last-Modified and a strong
  ETag, conditional requests (If-Modified-Since, If-None-Match, If-Match,
  If-Unmodified-Since: 304 and 412), byte ranges (206, multipart/byteranges, 416),
  index.html for directories, a 301 to a directory's trailing slash, an optional listing.
  Text is gzip-compressed for clients that accept it (or FILE.gz is sent when it exists),
  with Vary: Accept-Encoding. Files go out with sendfile.
  PUT and DELETE under --writable PREFIX, for the users of --password-file, with HTTP
  Basic authentication (401 otherwise); a PUT is on disk before its 201 or 204.
  Connections stay open (HTTP/1.1, or 1.0 with keep-alive); pipelined requests are
  answered in order.

Virtual hosts: with --config, each [[host]] has its names (Host header; "*.example.com"
for subdomains), document root, index files, listing, error pages, redirects (301, 302,
303, 307, 308), writable areas and apps such as the course's cookie shop. A request for an
unknown name goes to the default host. An example file:

  listen = ["127.0.0.1:8080"]
  [[host]]
  names = ["www.hamburger.edu", "hamburger.edu"]
  root = "hamburger"
  listing = true
  [[host.redirect]]
  from = "/old/*"
  to = "/new/*"
  status = 301
  [[host.error_page]]
  status = 404
  file = "errors/404.html"
  [[host]]
  names = ["shop.networkutopia.com"]
  root = "shop"
  app = "shop"
  database = "shop.db"

Flags given with --config override its server-wide settings (listen, threads, access_log,
timeouts, max_connections); the per-site flags belong to DIR and are refused with it.

Requests are framed strictly (RFC 9112): Content-Length with Transfer-Encoding, differing
Content-Length values, obs-fold and whitespace before a colon get 400; a request line over
8 KiB 414, a header section over 16 KiB or 100 fields 431, an unknown method 501, HTTP/2+
505. The target is percent-decoded once and normalised: `..`, encoded slashes and symlinks
out of the root cannot escape it; dotfiles are hidden (404) unless --dotfiles.

Signals: SIGHUP reads the configuration (and password files, error pages) again and
switches to it for new requests; a bad file is logged and the running one kept. Listen
addresses change only with a restart. SIGINT/SIGTERM stop accepting, let requests in
progress finish (up to 10 s), then exit.

Examples:
  l7 http serve ./site --listen 127.0.0.1:8080
  curl -v http://127.0.0.1:8080/
  curl -z 'Sun, 06 Nov 1994 08:49:37 GMT' -r 0-99 http://127.0.0.1:8080/big.bin
  l7 http serve --config sites.toml --access-log - --trace
  curl -H 'Host: www.hamburger.edu' http://127.0.0.1:8080/
  l7 http serve ./site --writable /upload/ --password-file site.htpasswd
  curl -u alice -T notes.txt http://127.0.0.1:8080/upload/notes.txt)");
    cmd->callback([f, &ctx] {
        ctx.action = [f, &ctx] {
            apply_common_options(f->common, ctx, true);
            if (!f->config_file.empty()) {
                for (const CLI::Option* opt : f->site_opts) {
                    if (opt->count() > 0) {
                        throw UsageError(opt->get_name() +
                                         " describes a single site: with --config, set it in "
                                         "the file's [[host]]");
                    }
                }
            } else if (f->root.empty()) {
                f->root = ".";
            }
            const http::ServerConfig config = load_config(*f);
            auto live =
                std::make_shared<LiveHosts>(http::build_virtual_hosts(config, http::mount_app));
            http::ServerOptions options;
            options.listen = parse_listen_list(config.listen);
            options.header_timeout = config.header_timeout;
            options.idle_timeout = config.idle_timeout;
            options.max_connections = config.max_connections;
            options.access_log = open_access_log(config.access_log);
            net::raise_open_file_limit();
            net::Runtime runtime({.threads = config.threads});
            try {
                http::start_server(
                    runtime, options,
                    [live](const http::Request& request, const std::string& body,
                           const http::Peer& peer) {
                        return live->current().handle(request, body, peer);
                    },
                    ctx.tracer);
            } catch (const std::system_error& e) {
                log::error("http", e.what());
                return 1;
            }
            net::on_reload_signal(runtime, [f, live] {
                try {
                    const http::ServerConfig fresh = load_config(*f);
                    live->replace(http::build_virtual_hosts(fresh, http::mount_app));
                    log::info("http", "SIGHUP: reloaded, " + std::to_string(fresh.hosts.size()) +
                                          " host(s)");
                } catch (const std::exception& e) {
                    log::error("http", std::string("SIGHUP: keeping the running configuration: ") +
                                           e.what());
                }
            });
            for (const http::HostConfig& h : config.hosts) {
                log::info("http", "serving " + h.names.front() + " from " +
                                      std::filesystem::absolute(h.root).string());
            }
            runtime.run();
            log::info("http", "stopped");
            return 0;
        };
    });
}

}  // namespace l7::app
