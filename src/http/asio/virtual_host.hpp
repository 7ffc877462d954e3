#pragma once
// Virtual hosts (RFC 9110 7.2): one server, many sites, told apart by the Host header (or the
// authority of an absolute-form target, RFC 9112 3.2.2). Each VirtualHost answers in this
// order:
//
//   1. configured redirects  (301/302/303/307/308 with Location)
//   2. routes                (in-process handlers, e.g. the shop)
//   3. writable areas        (PUT and DELETE, with Basic authentication)
//   4. static files          (StaticSite: files, index, listing, conditional, ranges, gzip)
//
// and then puts its own page in the body of an error reply when one is configured for the
// status. A request for a name no host has goes to the default host, as in nginx and Apache.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/asio/routes.hpp"
#include "http/asio/server.hpp"
#include "http/asio/static_site.hpp"
#include "http/asio/write_area.hpp"
#include "http/server_config.hpp"

namespace l7::http {

class VirtualHost {
  public:
    // Reads the host's mime.types and error pages now, so a bad file fails at start (throws
    // config::ConfigError naming it).
    explicit VirtualHost(const HostConfig& config);

    // Before the host serves: the shop and other apps add their routes here.
    Routes& routes() { return routes_; }
    void add_writable(std::shared_ptr<const WriteArea> area);

    Reply handle(const Request& request, const std::string& body, const Peer& peer) const;

  private:
    Reply dispatch(const Request& request, const std::string& body, const Peer& peer) const;
    std::optional<Reply> redirect(const std::string& path, const std::string& query,
                                  bool has_query) const;
    void apply_error_page(Reply& reply) const;

    std::vector<RedirectRule> redirects_;
    Routes routes_;
    std::vector<std::shared_ptr<const WriteArea>> writable_;
    StaticSite site_;
    std::unordered_map<int, std::string> error_pages_;  // status -> HTML
};

class VirtualHosts {
  public:
    // `names` as in HostConfig; the first host added with `is_default` (else the first host
    // at all) takes requests for unknown names.
    void add(const std::vector<std::string>& names, bool is_default,
             std::shared_ptr<const VirtualHost> host);

    // The host for a request: its Host (or absolute-form authority), without port or
    // trailing dot, compared without case.
    const VirtualHost& select(const Request& request) const;

    Reply handle(const Request& request, const std::string& body, const Peer& peer) const {
        return select(request).handle(request, body, peer);
    }

  private:
    std::unordered_map<std::string, std::shared_ptr<const VirtualHost>> exact_;
    std::vector<std::pair<std::string, std::shared_ptr<const VirtualHost>>> wildcards_;
    std::shared_ptr<const VirtualHost> default_;
    bool default_is_explicit_ = false;
};

// Mounts an in-process app (HostConfig::app) on a host's routes; the caller knows the apps.
using AppMounter = std::function<void(const HostConfig& host, Routes& routes)>;

// Every host of `config`, with its writable areas (password files read now) and its app.
// Throws config::ConfigError for a file that cannot be read or parsed.
std::shared_ptr<const VirtualHosts> build_virtual_hosts(const ServerConfig& config,
                                                        const AppMounter& mount_app);

// The host part of a Host header value or authority: "Example.COM.:8080" -> "example.com",
// "[::1]:80" -> "[::1]".
std::string host_without_port(std::string_view authority);

}  // namespace l7::http
