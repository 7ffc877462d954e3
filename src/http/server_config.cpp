#include "http/server_config.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/config.hpp"
#include "http/head_syntax.hpp"

namespace l7::http {
namespace {

namespace fs = std::filesystem;

// A DNS name or an address literal, optionally "*." and a name: what a Host header can
// carry (RFC 9110 7.2), lowercase.
bool valid_host_pattern(std::string_view name) {
    if (name.starts_with("*.")) {
        name.remove_prefix(2);
    }
    if (name.empty() || name.size() > 253) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
               c == '_' || c == '[' || c == ']' || c == ':';
    });
}

fs::path resolve(const fs::path& base, const std::string& text) {
    const fs::path p(text);
    return p.is_absolute() ? p : base / p;
}

fs::path existing_directory(const config::Table& t, std::string_view key, const fs::path& base) {
    const auto text = t.get_string(key);
    if (!text || text->empty()) {
        t.fail(key, "a directory is required");
    }
    fs::path dir = resolve(base, *text);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        t.fail(key, "'" + dir.string() + "' is not a directory");
    }
    return dir;
}

fs::path existing_file(const config::Table& t, std::string_view key, const fs::path& base) {
    const auto text = t.get_string(key);
    if (!text || text->empty()) {
        t.fail(key, "a file is required");
    }
    fs::path file = resolve(base, *text);
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
        t.fail(key, "'" + file.string() + "' is not a readable file");
    }
    return file;
}

bool is_prefix_pattern(std::string_view p) {
    return p.size() >= 2 && p.ends_with("/*");
}

RedirectRule parse_redirect(const config::Table& t) {
    t.allow_only({"from", "to", "status"});
    RedirectRule r;
    r.from = t.get_string("from").value_or("");
    if (!r.from.starts_with('/')) {
        t.fail("from", "a path starting with '/' is required");
    }
    r.to = t.get_string("to").value_or("");
    if (r.to.empty()) {
        t.fail("to", "a path or URL is required");
    }
    if (r.to.ends_with('*') && !is_prefix_pattern(r.from)) {
        t.fail("to", "a '*' in 'to' needs a 'from' ending in \"/*\"");
    }
    if (std::any_of(r.to.begin(), r.to.end(),
                    [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; })) {
        t.fail("to", "spaces and control characters are not allowed in a Location");
    }
    r.status = static_cast<int>(t.get_integer("status", 300, 308).value_or(301));
    if (r.status != 301 && r.status != 302 && r.status != 303 && r.status != 307 &&
        r.status != 308) {
        t.fail("status", "expected 301, 302, 303, 307 or 308");
    }
    return r;
}

HostConfig parse_host(const config::Table& h, const fs::path& base) {
    h.allow_only({"names", "default", "root", "index", "listing", "dotfiles", "follow_symlinks",
                  "gzip", "mime_types", "redirect", "error_page", "writable", "app", "database"});
    HostConfig host;
    for (std::string name : h.get_strings("names")) {
        name = ascii_lowercase(name);
        if (name.ends_with('.')) {
            name.pop_back();
        }
        if (!valid_host_pattern(name)) {
            h.fail("names", "'" + name + "' is not a host name");
        }
        host.names.push_back(std::move(name));
    }
    if (host.names.empty()) {
        h.fail("names", "every host needs at least one name");
    }
    host.is_default = h.get_bool("default").value_or(false);
    host.root = existing_directory(h, "root", base);
    if (h.has("index")) {
        host.index = h.get_strings("index");
        for (const std::string& i : host.index) {
            if (i.empty() || i.find('/') != std::string::npos) {
                h.fail("index", "'" + i + "' is not a file name");
            }
        }
    }
    host.listing = h.get_bool("listing").value_or(false);
    host.dotfiles = h.get_bool("dotfiles").value_or(false);
    host.follow_symlinks = h.get_bool("follow_symlinks").value_or(false);
    host.gzip = h.get_bool("gzip").value_or(true);
    if (h.has("mime_types")) {
        host.mime_types = existing_file(h, "mime_types", base);
    }
    for (const config::Table& r : h.get_tables("redirect")) {
        host.redirects.push_back(parse_redirect(r));
    }
    std::set<int> statuses;
    for (const config::Table& e : h.get_tables("error_page")) {
        e.allow_only({"status", "file"});
        ErrorPage page;
        const auto status = e.get_integer("status", 400, 599);
        if (!status) {
            e.fail("status", "an error status from 400 to 599 is required");
        }
        page.status = static_cast<int>(*status);
        if (!statuses.insert(page.status).second) {
            e.fail("status", "a second page for " + std::to_string(page.status));
        }
        page.file = existing_file(e, "file", base);
        host.error_pages.push_back(std::move(page));
    }
    for (const config::Table& w : h.get_tables("writable")) {
        w.allow_only({"prefix", "password_file", "realm"});
        WritableRule rule;
        rule.prefix = w.get_string("prefix").value_or("");
        if (!rule.prefix.starts_with('/') || !rule.prefix.ends_with('/')) {
            w.fail("prefix", "a path that starts and ends with '/' is required");
        }
        rule.password_file = existing_file(w, "password_file", base);
        rule.realm = w.get_string("realm").value_or(host.names.front());
        host.writable.push_back(std::move(rule));
    }
    if (auto app = h.get_string("app")) {
        if (std::find(std::begin(kKnownApps), std::end(kKnownApps), *app) == std::end(kKnownApps)) {
            h.fail("app", "'" + *app + "' is not an app l7 has (known: shop)");
        }
        host.app = *app;
        host.app_database = resolve(base, h.get_string("database").value_or(*app + ".db"));
    } else if (h.has("database")) {
        h.fail("database", "a database belongs to an app: set 'app' too");
    }
    return host;
}

}  // namespace

bool host_name_matches(std::string_view pattern, std::string_view host) {
    if (pattern.starts_with("*.")) {
        const std::string_view suffix = pattern.substr(1);  // ".example.com"
        return host.size() > suffix.size() && host.ends_with(suffix);
    }
    return pattern == host;
}

ServerConfig parse_server_config(std::string_view text, const std::string& source,
                                 const fs::path& base) {
    const config::Table root = config::Table::parse(text, source);
    root.allow_only({"listen", "threads", "access_log", "header_timeout", "idle_timeout",
                     "max_connections", "host"});
    ServerConfig config;
    config.listen = root.get_strings("listen");
    config.threads = static_cast<unsigned>(root.get_integer("threads", 0, 256).value_or(0));
    if (auto log = root.get_string("access_log")) {
        config.access_log = *log == "-" ? *log : resolve(base, *log).string();
    }
    const auto millis = [&](std::string_view key, std::chrono::milliseconds fallback) {
        const auto d = root.get_duration(key);
        if (!d) {
            return fallback;
        }
        if (d->count() <= 0) {
            root.fail(key, "the duration must be more than zero");
        }
        return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
    };
    config.header_timeout = millis("header_timeout", config.header_timeout);
    config.idle_timeout = millis("idle_timeout", config.idle_timeout);
    config.max_connections = static_cast<std::size_t>(
        root.get_integer("max_connections", 1, 10'000'000).value_or(10'000));
    const std::vector<config::Table> hosts = root.get_tables("host");
    if (hosts.empty()) {
        root.fail("host", "at least one [[host]] is required");
    }
    std::set<std::string> names;
    bool have_default = false;
    for (const config::Table& h : hosts) {
        HostConfig host = parse_host(h, base);
        for (const std::string& name : host.names) {
            if (!names.insert(name).second) {
                h.fail("names", "'" + name + "' belongs to another host already");
            }
        }
        if (host.is_default && have_default) {
            h.fail("default", "only one host can be the default");
        }
        have_default = have_default || host.is_default;
        config.hosts.push_back(std::move(host));
    }
    if (!have_default) {
        config.hosts.front().is_default = true;  // as nginx: the first host
    }
    return config;
}

ServerConfig load_server_config(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw config::ConfigError(file.string() + ": cannot read the file");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_server_config(text.str(), file.string(), file.parent_path());
}

}  // namespace l7::http
