#pragma once
// In-process request handlers (C++ routes) for dynamic pages such as the lab's shop: a route
// is a method and a path, exact ("/cart") or a prefix ("/item/*"). The virtual host asks its
// routes first; a path no route names falls through to the static files.
//
//   Routes routes;
//   routes.add("GET", "/cart", [&](const RouteRequest& r) { return show_cart(r); });
//   routes.add("POST", "/cart", [&](const RouteRequest& r) { return add_to_cart(r); });
//
// A GET route also answers HEAD (the driver sends the head only). A path that has routes, but
// none for the request's method, gets 405 with Allow listing the methods it has.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/asio/server.hpp"

namespace l7::http {

// What a route handler sees of a request.
struct RouteRequest {
    const Request& request;
    const std::string& body;  // the whole body, bounded by the server's body limit
    const Peer& peer;
    std::string path;   // percent-decoded and normalised ("/item/red socks")
    std::string query;  // as sent, still percent-encoded, without the '?'
    // For a prefix route "/item/*": what the '*' matched ("red socks"); else empty.
    std::string rest;
};

using RouteHandler = std::function<Reply(const RouteRequest& request)>;

class Routes {
  public:
    // `pattern` is an exact path, or a prefix ending in "/*" that matches every path below it
    // (not the prefix itself). An exact route wins over a prefix, a longer prefix over a
    // shorter one.
    void add(std::string method, std::string pattern, RouteHandler handler);

    bool empty() const { return routes_.empty(); }

    // The reply of the route for this request, or nullopt when no route has its path.
    // `request.path` must be the normalised path (target_path.hpp).
    std::optional<Reply> dispatch(const Request& request, const std::string& body, const Peer& peer,
                                  std::string path, std::string query) const;

  private:
    struct Route {
        std::string method;
        std::string pattern;  // exact path, or prefix with its trailing "/" (the '*' dropped)
        bool prefix = false;
        RouteHandler handler;
    };

    // How well `route` matches `path`: 0 not at all, else higher is more specific.
    static std::size_t match_strength(const Route& route, std::string_view path);

    std::vector<Route> routes_;
};

}  // namespace l7::http
