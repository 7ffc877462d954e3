// `l7 http shop`: the course's cookie demo (Kurose & Ross 2.2.4) on a server of its own; the
// lab serves the same routes as shop.networkutopia.com on a virtual host.

#include <filesystem>

#include "app/cli.hpp"
#include "app/cmd_http_parts.hpp"
#include "core/log.hpp"
#include "http/asio/server.hpp"
#include "http/shop/shop.hpp"
#include "http/target_path.hpp"

namespace l7::app {
namespace {

constexpr const char* kDefaultShopListen = "127.0.0.1:8080";
// The shop's forms are a few dozen bytes; the driver refuses bigger bodies with 413 before
// buffering them.
constexpr std::uint64_t kShopMaxBody = 64 * 1024;

// The normalised path of the target, then the shop's routes; 404 for any other path.
http::Reply dispatch(const http::Routes& routes, const http::Request& request,
                     const std::string& body, const http::Peer& peer) {
    auto target = http::parse_target(request.target);
    if (!target) {
        return http::error_reply(http::status_for(target.error()), http::describe(target.error()));
    }
    if (target->climbed_above_root) {
        return http::error_reply(400, "the path climbs above the root");
    }
    if (auto reply = routes.dispatch(request, body, peer, target->path, target->query)) {
        return std::move(*reply);
    }
    return http::error_reply(404);
}

}  // namespace

void add_shop(CLI::App& http_cmd, Context& ctx) {
    auto common = std::make_shared<CommonOptions>();
    auto listen = std::make_shared<std::vector<std::string>>();
    auto database = std::make_shared<std::string>("shop.db");
    auto threads = std::make_shared<unsigned>(0);
    auto max_age = std::make_shared<std::string>("720h");
    auto* cmd = http_cmd.add_subcommand(
        "shop", "The course's cookie demo: an e-commerce site that remembers you");
    add_common_options(*cmd, *common);
    cmd->add_option("-l,--listen", *listen, "Address to listen on; repeat for several")
        ->check(listen_address_validator())
        ->type_name("ADDR:PORT")
        ->default_str(kDefaultShopListen);
    cmd->add_option("--database", *database,
                    "The SQLite file of sessions, visits and carts (created if missing)")
        ->type_name("FILE")
        ->default_str("shop.db");
    cmd->add_option("--threads", *threads, "Worker threads (default: one per core)")
        ->check(CLI::Range(0u, 256u));
    cmd->add_option("--session-max-age", *max_age,
                    "The sid cookie's Max-Age, and how long an idle session is kept")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("720h");
    cmd->footer(
        R"(Kurose & Ross's cookie example (section 2.2.4), served: on Susan's first visit the
server makes a session id (128 random bits), stores it in its back-end database and answers
with Set-Cookie: sid=...; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax. Every later
request carries Cookie: sid=..., and the server finds her cart and her history under it
and recommends items from the categories she looked at most.

  GET  /             the catalogue, "first visit" or "welcome back"
  GET  /item/NAME    an item (recorded in the history)
  POST /cart         form item=NAME&qty=N, then 303 to /cart
  GET  /cart         the cart, with recommendations
  POST /cart/clear   empty it
  GET  /history      the items looked at, newest first
  POST /prefs        form theme=light|dark: a cookie page JavaScript can read

Every page shows the Cookie field the browser sent, the Set-Cookie of the reply and what
document.cookie shows (not sid: it is HttpOnly). The last_added cookie has Path=/cart, so
the browser sends it only there. Sessions live in FILE (SQLite, WAL, each change synced
before the reply), so they survive a restart; an unknown or expired sid gets a new session.

Examples:
  l7 http shop --listen 127.0.0.1:8080 --database /tmp/shop.db
  curl -c jar -b jar -i http://127.0.0.1:8080/
  curl -c jar -b jar -d 'item=socks&qty=2' http://127.0.0.1:8080/cart
  curl -c jar -b jar http://127.0.0.1:8080/cart
  sqlite3 /tmp/shop.db 'SELECT * FROM carts')");
    cmd->callback([=, &ctx] {
        ctx.action = [=, &ctx] {
            apply_common_options(*common, ctx, true);
            http::shop::ShopOptions shop;
            shop.database = *database;
            shop.session_max_age =
                std::chrono::duration_cast<std::chrono::seconds>(parse_duration_option(*max_age))
                    .count();
            if (shop.session_max_age < 1) {
                throw UsageError("--session-max-age must be at least one second");
            }
            auto routes = std::make_shared<http::Routes>();
            try {
                http::shop::install_shop(*routes, shop);
            } catch (const http::shop::StoreError& e) {
                log::error("shop", e.what());
                return 1;
            }
            http::ServerOptions options;
            options.listen = parse_listen_list(
                listen->empty() ? std::vector<std::string>{kDefaultShopListen} : *listen);
            options.limits.body.max_body = kShopMaxBody;
            net::raise_open_file_limit();
            net::Runtime runtime({.threads = *threads});
            try {
                http::start_server(
                    runtime, options,
                    [routes](const http::Request& request, const std::string& body,
                             const http::Peer& peer) {
                        return dispatch(*routes, request, body, peer);
                    },
                    ctx.tracer);
            } catch (const std::system_error& e) {
                log::error("http", e.what());
                return 1;
            }
            log::info("shop", "database " + std::filesystem::absolute(*database).string());
            runtime.run();
            log::info("http", "stopped");
            return 0;
        };
    });
}

}  // namespace l7::app
