// `l7 http page`: load a Web page and the objects it references the four ways the course
// compares (non-persistent, persistent, pipelined, parallel), and count the round trips.

#include <iostream>

#include "app/cli.hpp"
#include "app/cmd_http_parts.hpp"
#include "core/json.hpp"
#include "http/asio/page_load.hpp"

namespace l7::app {

void add_page(CLI::App& http_cmd, Context& ctx) {
    auto common = std::make_shared<CommonOptions>();
    auto url_text = std::make_shared<std::string>();
    auto modes = std::make_shared<std::vector<std::string>>();
    auto json = std::make_shared<bool>(false);
    auto max_objects = std::make_shared<std::size_t>(200);
    auto timeout = std::make_shared<std::string>("30s");
    auto connect_timeout = std::make_shared<std::string>("10s");
    auto* cmd = http_cmd.add_subcommand(
        "page", "Load a page and its objects: non-persistent, persistent, pipelined, parallel");
    add_common_options(*cmd, *common);
    cmd->add_option("URL", *url_text, "http://HOST[:PORT]/PATH of an HTML page")->required();
    cmd->add_option("-m,--mode", *modes,
                    "non-persistent, persistent, pipelined, parallel=N, or all; repeat to "
                    "compare several")
        ->type_name("MODE")
        ->default_str("persistent");
    cmd->add_flag("--json", *json, "Print the report as JSON");
    cmd->add_option("--max-objects", *max_objects, "Fetch at most this many referenced objects")
        ->check(CLI::Range(0ul, 1000ul))
        ->default_str("200");
    add_client_timeouts(*cmd, *timeout, *connect_timeout);
    cmd->footer(
        R"(Fetches the base HTML page at URL, finds the objects it references (img, script,
link rel=stylesheet|icon|preload, video, audio, source, iframe, embed, object; resolved
against the page or its <base href>, each URL once, other origins too), and fetches them
the way --mode says, as Kurose & Ross section 2.2.2 compares them:

  non-persistent  a new TCP connection per object, one after another: 2 RTT per object
  persistent      one connection per origin kept open, the next request after the previous
                  response: 1 RTT per object after the first
  pipelined       one connection per origin, every request written back to back, the
                  responses read in order: about 1 RTT for all the objects
  parallel=N      up to N non-persistent connections at once (HTTP/1.0 browsers): 2 RTT per
                  round of N objects

Prints one row per object (status, body bytes, the connection that carried it, when its
request left and how long it took to its last byte) and a summary:

  mode=persistent objects=10 connections=1 rtt=100.4ms total=1.21s (12.0 RTT)

rtt is the round-trip time measured on the connections: half of (connect time + time to
the first byte of the connection's first response), the smallest over all connections. That
is one RTT whether the TCP handshake crossed the path or a local relay such as `l7 link`
completed it early. "RTT" in parentheses is total / rtt: the number the course predicts.
A server that closes a connection the mode would keep (HTTP/1.0, Connection: close) costs a
new connection, which is counted; unanswered pipelined requests are sent again. https
objects are listed but not fetched.

--mode all (or --mode repeated) loads the page in each mode, one after another, and prints
them side by side: when each object was done, connections, rtt, total and RTTs. --json
prints one JSON object per load ({"url", "loads": [...]} with several modes). --trace
shows every request and response head as C:/S: lines, per connection.

Exit status: 0 when the page and every object got a response (whatever its status), 1 when
some object got none, 2 usage; the page's own failure exits as `l7 http get` does (6 name
not resolved, 7 connection refused, 28 timeout, 52 empty reply, ...).

Examples:
  l7 http serve ./site --listen 127.0.0.1:8080 &
  l7 link --listen 127.0.0.1:9080 --to 127.0.0.1:8080 --delay 50ms &
  l7 http page http://127.0.0.1:9080/ --mode all          # RTT = 100 ms
  l7 http page http://127.0.0.1:9080/ --mode parallel=4 --trace
  l7 http page http://127.0.0.1:9080/ --mode pipelined --json)");
    cmd->callback([=, &ctx] {
        ctx.action = [=, &ctx] {
            std::vector<http::PageMode> plan;
            for (const std::string& m :
                 modes->empty() ? std::vector<std::string>{"persistent"} : *modes) {
                auto parsed = http::parse_page_modes(m);
                if (!parsed) {
                    throw UsageError("--mode: " + parsed.error().message);
                }
                plan.insert(plan.end(), parsed->begin(), parsed->end());
            }
            // Connections from several at once are told apart by the "[#N host]" prefix.
            apply_common_options(*common, ctx, true);
            auto url = http::parse_url(*url_text);
            if (!url) {
                std::cerr << "l7 http page: " << url.error().message << "\n";
                return 3;
            }
            if (url->scheme != "http") {
                std::cerr << "l7 http page: https needs TLS, which l7 does not have yet\n";
                return 1;
            }
            http::PageLoadOptions options;
            options.tracer = &ctx.tracer;
            options.refs.max_refs = *max_objects;
            options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                parse_duration_option(*timeout));
            options.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                parse_duration_option(*connect_timeout));
            std::vector<http::PageLoad> loads;
            for (const http::PageMode& mode : plan) {
                options.mode = mode;
                auto load = http::load_page(*url, options);
                if (!load) {
                    std::cerr << "l7 http page: " << load.error().message << "\n";
                    return load.error().exit_code;
                }
                loads.push_back(std::move(*load));
            }
            if (*json && loads.size() == 1) {
                std::cout << http::to_json(loads.front()) << "\n";
            } else if (*json) {
                std::string out = "{\"url\":";
                json::append_string(out, url->to_string());
                out += ",\"loads\":[";
                for (std::size_t i = 0; i < loads.size(); ++i) {
                    out += (i > 0 ? "," : "") + http::to_json(loads[i]);
                }
                std::cout << out << "]}\n";
            } else if (loads.size() == 1) {
                std::cout << http::report_table(loads.front());
            } else {
                std::cout << http::comparison_table(loads);
            }
            std::cout.flush();
            for (const http::PageLoad& l : loads) {
                if (l.failures() > 0) {
                    return 1;
                }
            }
            return 0;
        };
    });
}

}  // namespace l7::app
