// `l7 http get`: the HTTP/1.1 client, like curl.

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "app/cli.hpp"
#include "app/cmd_http_parts.hpp"
#include "http/asio/client.hpp"
#include "http/serializer.hpp"

namespace l7::app {

void add_get(CLI::App& http_cmd, Context& ctx) {
    auto common = std::make_shared<CommonOptions>();
    auto url_text = std::make_shared<std::string>();
    auto method = std::make_shared<std::string>();
    auto data = std::make_shared<std::vector<std::string>>();
    auto headers = std::make_shared<std::vector<std::string>>();
    auto output = std::make_shared<std::string>();
    auto head_only = std::make_shared<bool>(false);
    auto include = std::make_shared<bool>(false);
    auto follow = std::make_shared<bool>(false);
    auto fail = std::make_shared<bool>(false);
    auto max_redirs = std::make_shared<int>(50);
    auto timeout = std::make_shared<std::string>("30s");
    auto connect_timeout = std::make_shared<std::string>("10s");
    auto* cmd = http_cmd.add_subcommand("get", "HTTP/1.1 client: fetch a URL, like curl");
    add_common_options(*cmd, *common);
    cmd->add_option("URL", *url_text, "http://HOST[:PORT]/PATH")->required();
    cmd->add_option("-X,--request", *method, "The method (default GET, or POST with -d)");
    cmd->add_option("-d,--data", *data,
                    "Send this body (form-encoded, like curl); repeat to join with &");
    cmd->add_option("-H,--header", *headers, "Add a header field; repeatable")
        ->type_name("'NAME: VALUE'");
    cmd->add_option("-o,--output", *output, "Write the body to FILE instead of stdout")
        ->type_name("FILE");
    cmd->add_flag("-I,--head", *head_only, "HEAD: show the response head only");
    cmd->add_flag("-i,--include", *include, "Print the response head before the body");
    cmd->add_flag("-L,--location", *follow, "Follow redirects (3xx with Location)");
    cmd->add_option("--max-redirs", *max_redirs, "How many redirects -L follows")
        ->default_str("50");
    cmd->add_flag("-f,--fail", *fail, "Exit 22 when the status is 400 or more");
    cmd->add_option("--timeout", *timeout, "Deadline of each read and write")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("30s");
    cmd->add_option("--connect-timeout", *connect_timeout, "Deadline of each connection attempt")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("10s");
    cmd->footer(
        R"(Sends one request and prints the response body to stdout (or -o FILE). With -v the
request and response heads are shown on stderr as sent and received ("> " and "< "), like
curl -v; --trace prints them as the course's C:/S: dialogue. Names are resolved by l7's stub
resolver (/etc/hosts, then /etc/resolv.conf or L7_RESOLVER).

Exit status, as curl's: 0 success (whatever the status, unless -f), 2 usage, 3 bad URL,
6 name not resolved, 7 connection refused or failed, 8 malformed response, 22 HTTP error
with -f, 23 cannot write the output, 28 timeout, 47 too many redirects, 52 empty reply,
55 send failed, 56 receive failed.

Examples:
  l7 http get http://127.0.0.1:8080/
  l7 http get -v http://gaia.cs.umass.edu/kurose_ross/interactive/
  l7 http get -I http://127.0.0.1:8080/big.bin
  l7 http get -d 'item=socks&qty=2' http://shop.networkutopia.com/cart)");
    cmd->callback([=, &ctx] {
        ctx.action = [=, &ctx] {
            // -v shows the heads, as curl's does; -vv also turns debug logging on.
            CommonOptions adjusted = *common;
            const bool show_heads = common->verbose > 0;
            adjusted.verbose = std::max(0, common->verbose - 1);
            apply_common_options(adjusted, ctx, false);
            auto url = http::parse_url(*url_text);
            if (!url) {
                std::cerr << "l7 http get: " << url.error().message << "\n";
                return 3;
            }
            if (url->scheme != "http") {
                std::cerr << "l7 http get: https needs TLS, which l7 does not have yet\n";
                return 1;
            }
            http::ClientRequest request;
            request.url = *url;
            for (const std::string& h : *headers) {
                const std::size_t colon = h.find(':');
                if (colon == std::string::npos || colon == 0) {
                    throw UsageError("-H '" + h + "': expected 'NAME: VALUE'");
                }
                std::string value = h.substr(colon + 1);
                value.erase(0, value.find_first_not_of(" \t"));
                request.fields.add(h.substr(0, colon), value);
            }
            for (std::size_t i = 0; i < data->size(); ++i) {
                request.body += (i > 0 ? "&" : "") + (*data)[i];
            }
            request.method = !method->empty() ? *method
                             : *head_only     ? "HEAD"
                             : data->empty()  ? "GET"
                                              : "POST";
            if (!data->empty() && !request.fields.get("Content-Type")) {
                request.fields.add("Content-Type", "application/x-www-form-urlencoded");
            }
            std::ofstream file;
            if (!output->empty()) {
                file.open(*output, std::ios::binary | std::ios::trunc);
                if (!file) {
                    std::cerr << "l7 http get: cannot write " << *output << "\n";
                    return 23;
                }
            }
            std::ostream& body_out = output->empty() ? std::cout : file;
            const auto show = [](std::string_view prefix, std::string_view head) {
                for (std::string_view line : http::head_lines(head)) {
                    std::cerr << prefix << line << "\n";
                }
            };
            http::ClientOptions options;
            options.tracer = &ctx.tracer;
            options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                parse_duration_option(*timeout));
            options.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                parse_duration_option(*connect_timeout));
            bool write_body = true;
            if (show_heads) {
                options.on_request_head = [&](std::string_view h) { show("> ", h); };
            }
            options.on_response_head = [&](std::string_view h) {
                // The body of a redirect that -L follows is not the answer: drop it.
                const int status =
                    h.size() > 12 ? std::atoi(std::string(h.substr(9, 3)).c_str()) : 0;
                const bool redirect = status == 301 || status == 302 || status == 303 ||
                                      status == 307 || status == 308;
                write_body =
                    !(*follow && redirect && h.find("\r\nLocation:") != std::string_view::npos);
                if (show_heads) {
                    show("< ", h);
                }
                if (*include || *head_only) {
                    std::cout << h;
                }
            };
            options.on_body = [&](std::string_view bytes) {
                if (write_body) {
                    body_out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
                }
                return static_cast<bool>(body_out);
            };
            for (int redirects = 0;; ++redirects) {
                auto result = http::fetch(request, options);
                if (!result) {
                    std::cerr << "l7 http get: " << result.error().message << "\n";
                    return result.error().exit_code;
                }
                const http::Response& r = result->response;
                const auto location = r.fields.get("Location");
                const bool redirect = r.status == 301 || r.status == 302 || r.status == 303 ||
                                      r.status == 307 || r.status == 308;
                if (*follow && redirect && location) {
                    if (redirects >= *max_redirs) {
                        std::cerr << "l7 http get: more than " << *max_redirs << " redirects\n";
                        return 47;
                    }
                    auto next = http::resolve_reference(request.url, *location);
                    if (!next) {
                        std::cerr << "l7 http get: a bad Location: " << next.error().message
                                  << "\n";
                        return 3;
                    }
                    request.url = *next;
                    request.fields.remove("Host");
                    // 303, and 301/302 after POST, go on as GET (RFC 9110 15.4; browsers, curl).
                    if (r.status == 303 ||
                        ((r.status == 301 || r.status == 302) && request.method == "POST")) {
                        request.method = "GET";
                        request.body.clear();
                        request.fields.remove("Content-Type");
                    }
                    continue;
                }
                body_out.flush();
                if (*fail && r.status >= 400) {
                    std::cerr << "l7 http get: the server answered " << r.status << "\n";
                    return 22;
                }
                return 0;
            }
        };
    });
}

}  // namespace l7::app
