#include "http/asio/virtual_host.hpp"

#include <fstream>
#include <sstream>

#include "core/config.hpp"
#include "core/log.hpp"
#include "http/head_syntax.hpp"
#include "http/target_path.hpp"

namespace l7::http {
namespace {

std::string read_whole_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw config::ConfigError(file.string() + ": cannot read the file");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

SiteOptions site_options(const HostConfig& config) {
    SiteOptions site;
    site.root = config.root;
    site.index = config.index;
    site.serve_dotfiles = config.dotfiles;
    site.symlinks_outside_root = config.follow_symlinks;
    site.listing = config.listing;
    site.gzip_on_the_fly = config.gzip;
    if (!config.mime_types.empty()) {
        site.mime_types_text = read_whole_file(config.mime_types);
        site.mime_types_source = config.mime_types.string();
    }
    return site;
}

// The authority the request names: an absolute-form target's wins over Host (RFC 9112 3.2.2).
std::string_view request_authority(const Request& request) {
    std::string_view target = request.target;
    for (std::string_view scheme : {"http://", "https://"}) {
        if (target.size() > scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
            target.remove_prefix(scheme.size());
            return target.substr(0, target.find_first_of("/?"));
        }
    }
    return request.fields.get("Host").value_or(std::string_view{});
}

}  // namespace

std::string host_without_port(std::string_view authority) {
    std::string_view host = authority;
    if (host.starts_with('[')) {
        host = host.substr(0, host.find(']') + 1);
    } else {
        host = host.substr(0, host.find(':'));
    }
    if (host.ends_with('.')) {
        host.remove_suffix(1);
    }
    return ascii_lowercase(host);
}

VirtualHost::VirtualHost(const HostConfig& config)
    : redirects_(config.redirects), site_(site_options(config)) {
    for (const ErrorPage& page : config.error_pages) {
        error_pages_[page.status] = read_whole_file(page.file);
    }
}

void VirtualHost::add_writable(std::shared_ptr<const WriteArea> area) {
    writable_.push_back(std::move(area));
}

Reply VirtualHost::handle(const Request& request, const std::string& body, const Peer& peer) const {
    Reply reply = dispatch(request, body, peer);
    if (reply.response.status >= 400) {
        apply_error_page(reply);
    }
    return reply;
}

Reply VirtualHost::dispatch(const Request& request, const std::string& body,
                            const Peer& peer) const {
    auto target = parse_target(request.target);
    if (!target) {
        return error_reply(status_for(target.error()), describe(target.error()));
    }
    if (target->climbed_above_root) {
        return error_reply(400, "the path climbs above the root");
    }
    if (auto moved = redirect(target->path, target->query, target->has_query)) {
        return std::move(*moved);
    }
    if (auto routed = routes_.dispatch(request, body, peer, target->path, target->query)) {
        return std::move(*routed);
    }
    for (const auto& area : writable_) {
        if (area->accepts(request)) {
            return area->handle(request, body, peer);
        }
        if (area->covers(target->path)) {
            // GET and HEAD are the static site's; its 405 must still list what may be done.
            Reply reply = site_.handle(request, *target);
            if (auto allow = reply.response.fields.get("Allow")) {
                reply.response.fields.set("Allow", std::string(*allow) + ", PUT, DELETE");
            }
            return reply;
        }
    }
    return site_.handle(request, *target);
}

std::optional<Reply> VirtualHost::redirect(const std::string& path, const std::string& query,
                                           bool has_query) const {
    for (const RedirectRule& rule : redirects_) {
        std::string rest;
        if (rule.from.ends_with("/*")) {
            const std::string_view prefix =
                std::string_view(rule.from).substr(0, rule.from.size() - 1);  // keeps the '/'
            if (!path.starts_with(prefix)) {
                continue;
            }
            rest = path.substr(prefix.size());
        } else if (path != rule.from) {
            continue;
        }
        std::string location = rule.to;
        if (location.ends_with('*')) {
            location.pop_back();
            location += percent_encode(rest, EncodeSet::path);
        }
        if (has_query && location.find('?') == std::string::npos) {
            location += "?" + query;
        }
        Reply reply = error_reply(rule.status);
        reply.response.fields.add("Location", std::move(location));
        return reply;
    }
    return std::nullopt;
}

void VirtualHost::apply_error_page(Reply& reply) const {
    const auto page = error_pages_.find(reply.response.status);
    if (page == error_pages_.end()) {
        return;
    }
    reply.body.clear();
    reply.body.push_back({page->second, std::nullopt});
    reply.response.fields.set("Content-Type", "text/html; charset=utf-8");
    reply.response.fields.remove("Content-Encoding");
}

void VirtualHosts::add(const std::vector<std::string>& names, bool is_default,
                       std::shared_ptr<const VirtualHost> host) {
    for (const std::string& name : names) {
        if (name.starts_with("*.")) {
            wildcards_.emplace_back(name, host);
        } else {
            exact_.emplace(name, host);
        }
    }
    // The most specific wildcard first: "*.cs.umass.edu" before "*.umass.edu".
    std::stable_sort(wildcards_.begin(), wildcards_.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    if (!default_ || (is_default && !default_is_explicit_)) {
        default_ = host;
        default_is_explicit_ = is_default;
    }
}

const VirtualHost& VirtualHosts::select(const Request& request) const {
    const std::string host = host_without_port(request_authority(request));
    if (const auto it = exact_.find(host); it != exact_.end()) {
        return *it->second;
    }
    for (const auto& [pattern, vhost] : wildcards_) {
        if (host_name_matches(pattern, host)) {
            return *vhost;
        }
    }
    return *default_;
}

std::shared_ptr<const VirtualHosts> build_virtual_hosts(const ServerConfig& config,
                                                        const AppMounter& mount_app) {
    auto hosts = std::make_shared<VirtualHosts>();
    for (const HostConfig& h : config.hosts) {
        auto host = std::make_shared<VirtualHost>(h);
        for (const WritableRule& rule : h.writable) {
            auto users = PasswordFile::load(rule.password_file);
            if (!users) {
                throw config::ConfigError(rule.password_file.string() + ": " +
                                          users.error().message);
            }
            host->add_writable(std::make_shared<const WriteArea>(
                WriteAreaOptions{h.root, rule.prefix, rule.realm, *users}));
        }
        if (!h.app.empty() && mount_app) {
            mount_app(h, host->routes());
        }
        hosts->add(h.names, h.is_default, std::move(host));
    }
    return hosts;
}

}  // namespace l7::http
