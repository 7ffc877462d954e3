#pragma once
// A browser for the shop's unit tests, without sockets: requests are built as the server's
// parser would hand them over, dispatched through the Routes, and the replies' Set-Cookie
// fields go into a real CookieJar, which decides the Cookie field of the next request
// (Path=/cart scoping, Max-Age=0 deletion) as a browser does.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "http/asio/routes.hpp"
#include "http/cookie_jar.hpp"
#include "http/target_path.hpp"
#include "http/url.hpp"

namespace l7::http::shop::testing {

struct ShopReply {
    int status = 0;
    Fields fields;
    std::string body;

    std::vector<std::string> set_cookies() const {
        std::vector<std::string> out;
        for (const Field& f : fields.all()) {
            if (iequals(f.name, "Set-Cookie")) {
                out.push_back(f.value);
            }
        }
        return out;
    }
    // The Set-Cookie value that sets `name`, or "".
    std::string set_cookie(std::string_view name) const {
        for (const std::string& v : set_cookies()) {
            if (v.starts_with(std::string(name) + "=")) {
                return v;
            }
        }
        return {};
    }
};

// Dispatches one request; `cookie` empty means no Cookie field.
inline ShopReply call(const Routes& routes, std::string method, const std::string& target,
                      const std::string& cookie = {}, const std::string& body = {},
                      const std::string& content_type = "application/x-www-form-urlencoded") {
    Request request;
    request.method = std::move(method);
    request.target = target;
    request.fields.add("Host", "shop.networkutopia.com");
    if (!cookie.empty()) {
        request.fields.add("Cookie", cookie);
    }
    if (request.method == "POST") {
        request.fields.add("Content-Type", content_type);
        request.fields.add("Content-Length", std::to_string(body.size()));
    }
    auto parsed = parse_target(target);
    EXPECT_TRUE(parsed) << target;
    if (!parsed) {
        return {};
    }
    const Peer peer{"127.0.0.1:40000"};
    auto reply = routes.dispatch(request, body, peer, parsed->path, parsed->query);
    EXPECT_TRUE(reply.has_value()) << "no route for " << target;
    if (!reply) {
        return {};
    }
    ShopReply out;
    out.status = reply->response.status;
    out.fields = reply->response.fields;
    for (const BodyPart& part : reply->body) {
        out.body += part.memory();
    }
    return out;
}

// One visitor: a cookie jar and the time on its clock.
class Browser {
  public:
    Browser(const Routes& routes, const std::int64_t& now) : routes_(routes), now_(now) {}

    ShopReply get(const std::string& target) { return request("GET", target, {}, {}); }
    ShopReply post(const std::string& target, const std::string& body,
                   const std::string& content_type = "application/x-www-form-urlencoded") {
        return request("POST", target, body, content_type);
    }
    ShopReply request(const std::string& method, const std::string& target, const std::string& body,
                      const std::string& content_type) {
        const Url url = *parse_url("http://shop.networkutopia.com" + target);
        last_cookie_ = jar_.cookie_header(url, now_);
        ShopReply reply = call(routes_, method, target, last_cookie_, body, content_type);
        jar_.receive(reply.fields, url, now_);
        return reply;
    }
    // The Cookie field the last request carried.
    const std::string& last_cookie() const { return last_cookie_; }
    std::string cookie(std::string_view name) const {
        for (const StoredCookie& c : jar_.cookies()) {
            if (c.name == name) {
                return c.value;
            }
        }
        return {};
    }
    CookieJar& jar() { return jar_; }

  private:
    const Routes& routes_;
    const std::int64_t& now_;
    CookieJar jar_;
    std::string last_cookie_;
};

// A fresh directory for a test's database, removed at the end.
class TempDir {
  public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "l7-shop-test-XXXXXX").string();
        EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

}  // namespace l7::http::shop::testing
