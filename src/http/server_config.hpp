#pragma once
// The configuration file of `l7 http serve --config FILE` (TOML): server-wide settings and
// one [[host]] table per virtual host. Relative paths are taken from the file's directory.
//
//   listen = ["127.0.0.1:8080"]          # server-wide; every key optional
//   access_log = "access.log"            # "-" for stdout
//
//   [[host]]
//   names = ["www.hamburger.edu", "hamburger.edu", "*.hamburger.edu"]
//   root = "sites/hamburger"
//   default = true                       # takes requests for names no host has
//   listing = true                       # an HTML index of directories without index.html
//
//   [[host.redirect]]
//   from = "/old/*"                      # an exact path, or a prefix ending in "/*"
//   to = "/new/*"                        # the '*' takes what it matched; or a full URL
//   status = 301                         # 301, 302, 303, 307 or 308
//
//   [[host.error_page]]
//   status = 404
//   file = "errors/404.html"
//
//   [[host.writable]]                    # PUT and DELETE, with HTTP Basic authentication
//   prefix = "/uploads/"
//   password_file = "users.htpasswd"     # htpasswd format, bcrypt/yescrypt/sha-crypt hashes
//
// Every mistake (an unknown key, a bad value) is one ConfigError naming the file, the line
// and the key (core/config.hpp).

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace l7::http {

struct RedirectRule {
    std::string from;  // an exact path, or a prefix ending in "/*"
    std::string to;    // a path or URL; a final '*' stands for what the '*' of `from` matched
    int status = 301;
};

struct ErrorPage {
    int status = 404;
    std::filesystem::path file;
};

struct WritableRule {
    std::string prefix;  // a path ending in '/'
    std::filesystem::path password_file;
    std::string realm;  // shown by browsers in the login prompt
};

struct HostConfig {
    std::vector<std::string> names;  // lowercase; "*.example.com" matches every subdomain
    bool is_default = false;
    std::filesystem::path root;
    std::vector<std::string> index{"index.html"};
    bool listing = false;
    bool dotfiles = false;
    bool follow_symlinks = false;
    bool gzip = true;                  // compress text on the fly for clients that accept it
    std::filesystem::path mime_types;  // extra mappings in mime.types format (optional)
    std::vector<RedirectRule> redirects;
    std::vector<ErrorPage> error_pages;
    std::vector<WritableRule> writable;
    std::string app;                     // an in-process application mounted here ("shop")
    std::filesystem::path app_database;  // its state, for apps that keep one
};

struct ServerConfig {
    std::vector<std::string> listen;  // ADDR:PORT texts; empty: the command's default
    unsigned threads = 0;
    std::string access_log;
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds idle_timeout{60'000};
    std::size_t max_connections = 10'000;
    std::vector<HostConfig> hosts;
};

// The apps a [[host]] may name in `app`.
inline constexpr std::string_view kKnownApps[] = {"shop"};

// Reads and checks FILE; throws config::ConfigError.
ServerConfig load_server_config(const std::filesystem::path& file);
// The same for text; `source` names it in messages, `base` resolves relative paths.
ServerConfig parse_server_config(std::string_view text, const std::string& source,
                                 const std::filesystem::path& base);

// Whether `host` (lowercase, without port or trailing dot) is one of `names`.
bool host_name_matches(std::string_view pattern, std::string_view host);

}  // namespace l7::http
