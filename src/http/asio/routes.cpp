#include "http/asio/routes.hpp"

#include <algorithm>

namespace l7::http {

void Routes::add(std::string method, std::string pattern, RouteHandler handler) {
    Route route;
    route.method = std::move(method);
    if (pattern.size() >= 2 && pattern.ends_with("/*")) {
        route.prefix = true;
        pattern.pop_back();  // keep the '/'
    }
    route.pattern = std::move(pattern);
    route.handler = std::move(handler);
    routes_.push_back(std::move(route));
}

std::size_t Routes::match_strength(const Route& route, std::string_view path) {
    if (!route.prefix) {
        // Exact routes outrank every prefix route.
        return path == route.pattern ? std::string_view::npos : 0;
    }
    if (path.size() > route.pattern.size() && path.starts_with(route.pattern)) {
        return route.pattern.size();
    }
    return 0;
}

std::optional<Reply> Routes::dispatch(const Request& request, const std::string& body,
                                      const Peer& peer, std::string path, std::string query) const {
    // The most specific pattern that matches decides; among its routes, the method.
    std::size_t best = 0;
    for (const Route& r : routes_) {
        best = std::max(best, match_strength(r, path));
    }
    if (best == 0) {
        return std::nullopt;
    }
    // Both branches are views: a ternary of "GET" and a std::string would make a temporary
    // string, and the view would outlive it.
    const std::string_view method =
        request.method == "HEAD" ? std::string_view("GET") : std::string_view(request.method);
    std::vector<std::string> allowed;
    for (const Route& r : routes_) {
        if (match_strength(r, path) != best) {
            continue;
        }
        if (r.method == method) {
            RouteRequest rr{request,
                            body,
                            peer,
                            path,
                            std::move(query),
                            r.prefix ? path.substr(r.pattern.size()) : std::string()};
            return r.handler(rr);
        }
        allowed.push_back(r.method);
        if (r.method == "GET") {
            allowed.emplace_back("HEAD");
        }
    }
    allowed.emplace_back("OPTIONS");
    std::string allow;
    for (const std::string& m : allowed) {
        allow += (allow.empty() ? "" : ", ") + m;
    }
    if (request.method == "OPTIONS") {
        Reply reply;
        reply.response.status = 204;
        reply.response.fields.add("Allow", allow);
        return reply;
    }
    Reply reply = error_reply(405, request.method + " is not allowed here");
    reply.response.fields.add("Allow", allow);
    return reply;
}

}  // namespace l7::http
