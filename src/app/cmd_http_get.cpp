// `l7 http get`: the HTTP/1.1 client, like curl.

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli.hpp"
#include "app/cmd_http_parts.hpp"
#include "http/asio/client.hpp"
#include "http/cookie.hpp"
#include "http/cookie_jar.hpp"
#include "http/http_date.hpp"
#include "http/serializer.hpp"

namespace l7::app {
namespace {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// -z: curl's time condition. "DATE" or "FILE" (its modification time) for If-Modified-Since;
// a leading '-' asks for If-Unmodified-Since instead. A date is an HTTP-date, or anything the
// cookie-date algorithm reads ("9 Jun 2021 10:18:14", "Jun 9 2021"; midnight when no time).
http::Field time_condition(std::string text) {
    std::string name = "If-Modified-Since";
    if (text.starts_with('-')) {
        name = "If-Unmodified-Since";
        text.erase(0, 1);
    }
    std::error_code ec;
    if (std::filesystem::is_regular_file(text, ec)) {
        const auto mtime = std::filesystem::last_write_time(text, ec);
        if (!ec) {
            const auto sys = std::chrono::file_clock::to_sys(mtime);
            return {name,
                    http::format_http_date(
                        std::chrono::time_point_cast<std::chrono::system_clock::duration>(sys))};
        }
    }
    auto t = http::parse_http_date(text, unix_now());
    if (!t) {
        t = http::parse_cookie_date(text);
    }
    if (!t) {
        t = http::parse_cookie_date(text + " 00:00:00");
    }
    if (!t) {
        throw UsageError("-z '" + text + "': neither a date nor a file");
    }
    return {name, http::format_http_date(*t)};
}

// -r: "0-99", "100-", "-500", or a comma-separated list of them (RFC 9110 14.1.1).
std::string range_value(const std::string& text) {
    const bool ok = !text.empty() && text.find_first_not_of("0123456789-,") == std::string::npos &&
                    text.find('-') != std::string::npos;
    if (!ok) {
        throw UsageError("-r '" + text + "': expected FIRST-LAST, FIRST-, -SUFFIX or a list");
    }
    return "bytes=" + text;
}

// Where bodies go: stdout, or -o FILE, which is created when the first body byte arrives
// (or when a response with an empty body ends), as curl does, so that
// `-z FILE -o FILE` leaves the file alone when the answer is 304.
class BodyOutput {
  public:
    explicit BodyOutput(std::string path) : path_(std::move(path)) {}

    bool write(std::string_view bytes) {
        std::ostream* out = stream();
        if (out != nullptr) {
            out->write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        }
        return out != nullptr && static_cast<bool>(*out);
    }
    // A response ended: creates the file if no byte came, then flushes.
    bool finish() {
        std::ostream* out = stream();
        return out != nullptr && static_cast<bool>(out->flush());
    }

  private:
    std::ostream* stream() {
        if (path_.empty()) {
            return &std::cout;
        }
        if (!file_.is_open()) {
            file_.open(path_, std::ios::binary | std::ios::trunc);
            if (!file_) {
                std::cerr << "l7 http get: cannot write " << path_ << "\n";
                return nullptr;
            }
        }
        return &file_;
    }

    std::string path_;
    std::ofstream file_;
};

// The cookie engine (-b FILE, -c FILE): a jar read from and saved to curl's file format.
struct Cookies {
    bool engine = false;   // received cookies are kept (and sent on redirects)
    std::string literal;   // -b 'n=v; n2=v2': sent as given with every request
    std::string jar_path;  // -c: where to save
    http::CookieJar jar;

    void load(const std::vector<std::string>& sources) {
        for (const std::string& s : sources) {
            if (s.find('=') != std::string::npos) {
                // curl: an argument with '=' is cookie data, sent as it is.
                literal += (literal.empty() ? "" : "; ") + s;
                continue;
            }
            engine = true;
            std::ifstream in(s == "-" ? "/dev/stdin" : s, std::ios::binary);
            if (!in) {
                continue;  // like curl: a missing file starts an empty jar
            }
            std::ostringstream text;
            text << in.rdbuf();
            jar.load_netscape(text.str(), unix_now());
        }
    }

    std::string header(const http::Url& url) {
        std::string value = engine ? jar.cookie_header(url, unix_now()) : std::string();
        if (!literal.empty()) {
            value += (value.empty() ? "" : "; ") + literal;
        }
        return value;
    }

    void received(const http::Fields& fields, const http::Url& url) {
        if (engine) {
            jar.receive(fields, url, unix_now());
        }
    }

    bool save() const {
        if (jar_path.empty()) {
            return true;
        }
        const std::string text = jar.to_netscape(unix_now());
        if (jar_path == "-") {
            std::cout << text;
            return static_cast<bool>(std::cout.flush());
        }
        std::ofstream out(jar_path, std::ios::binary | std::ios::trunc);
        out << text;
        return static_cast<bool>(out.flush());
    }
};

}  // namespace

void add_get(CLI::App& http_cmd, Context& ctx) {
    auto common = std::make_shared<CommonOptions>();
    auto url_texts = std::make_shared<std::vector<std::string>>();
    auto method = std::make_shared<std::string>();
    auto data = std::make_shared<std::vector<std::string>>();
    auto headers = std::make_shared<std::vector<std::string>>();
    auto output = std::make_shared<std::string>();
    auto head_only = std::make_shared<bool>(false);
    auto include = std::make_shared<bool>(false);
    auto follow = std::make_shared<bool>(false);
    auto fail = std::make_shared<bool>(false);
    auto compressed = std::make_shared<bool>(false);
    auto time_cond = std::make_shared<std::string>();
    auto range = std::make_shared<std::string>();
    auto cookie_sources = std::make_shared<std::vector<std::string>>();
    auto cookie_jar = std::make_shared<std::string>();
    auto junk_session = std::make_shared<bool>(false);
    auto max_redirs = std::make_shared<int>(50);
    auto timeout = std::make_shared<std::string>("30s");
    auto connect_timeout = std::make_shared<std::string>("10s");
    auto* cmd = http_cmd.add_subcommand("get", "HTTP/1.1 client: fetch URLs, like curl");
    add_common_options(*cmd, *common);
    cmd->add_option("URL", *url_texts, "http://HOST[:PORT]/PATH; several are fetched in turn")
        ->required();
    cmd->add_option("-X,--request", *method, "The method (default GET, or POST with -d)");
    // Each repeatable option takes one value per occurrence, so that the URLs after it stay
    // URLs (CLI11's vectors would otherwise take every argument but the last).
    cmd->add_option("-d,--data", *data,
                    "Send this body (form-encoded, like curl); repeat to join with &")
        ->allow_extra_args(false);
    cmd->add_option("-H,--header", *headers, "Add a header field; repeatable")
        ->type_name("'NAME: VALUE'")
        ->allow_extra_args(false);
    cmd->add_option("-o,--output", *output, "Write the bodies to FILE instead of stdout")
        ->type_name("FILE");
    cmd->add_flag("-I,--head", *head_only, "HEAD: show the response head only");
    cmd->add_flag("-i,--include", *include, "Print the response head before the body");
    cmd->add_flag("-L,--location", *follow, "Follow redirects (3xx with Location)");
    cmd->add_option("--max-redirs", *max_redirs, "How many redirects -L follows")
        ->default_str("50");
    cmd->add_flag("-f,--fail", *fail, "Exit 22 when the status is 400 or more");
    cmd->add_flag("--compressed", *compressed,
                  "Ask for gzip (Accept-Encoding) and decode a gzip response");
    cmd->add_option("-z,--time-cond,--if-modified-since", *time_cond,
                    "Only if modified since DATE or FILE's mtime; -DATE: if not modified since")
        ->type_name("[-]DATE|FILE");
    cmd->add_option("-r,--range", *range, "Only these bytes (Range: bytes=...)")
        ->type_name("FIRST-LAST");
    cmd->add_option("-b,--cookie", *cookie_sources,
                    "Send cookies 'NAME=VALUE; ...', or read a cookie FILE (repeatable)")
        ->type_name("DATA|FILE")
        ->allow_extra_args(false);
    cmd->add_option("-c,--cookie-jar", *cookie_jar,
                    "Write all cookies to FILE afterwards (- for stdout)")
        ->type_name("FILE");
    cmd->add_flag("-j,--junk-session-cookies", *junk_session,
                  "Forget the session cookies read with -b FILE");
    add_client_timeouts(*cmd, *timeout, *connect_timeout);
    cmd->footer(
        R"(Sends a request for each URL in turn and prints the response bodies to stdout (or all
to -o FILE), one after another, like curl. Requests to the same host and port share one
connection while the server keeps it open (HTTP/1.1 persistent connections); a connection
the server closed meanwhile is replaced, and an idempotent request sent again once. A failed
URL does not stop the others; the exit status is the last failure's. With -v the request
and response heads are shown on stderr as sent and received ("> " and "< "), with curl's
"* Connected to" / "* Re-using existing connection" lines; --trace prints the heads as the
course's C:/S: dialogue. Names are resolved by l7's stub resolver (/etc/hosts, then
/etc/resolv.conf or L7_RESOLVER).

--compressed asks for gzip and decodes it (chunked or not); a body that decodes to more than
4 GiB is refused (exit 61). -z sends If-Modified-Since (a 304 then prints nothing) or, with
-DATE, If-Unmodified-Since; DATE is an HTTP-date or a date like '9 Jun 2021 10:18:14'. -r
asks for a byte range (206 Partial Content).

Cookies (RFC 6265): -b FILE and -c FILE turn the cookie engine on: cookies from Set-Cookie
are kept by domain and path, expire by Max-Age or Expires, and go back in later requests and
in -L redirects (Secure ones only over https). FILE is the Netscape cookie file curl reads
and writes (curl -c / -b), in both directions; -b with NAME=VALUE sends that text as is.

Exit status, as curl's: 0 success (whatever the status, unless -f), 2 usage, 3 bad URL,
6 name not resolved, 7 connection refused or failed, 8 malformed response, 22 HTTP error
with -f, 23 cannot write the output, 28 timeout, 47 too many redirects, 52 empty reply,
55 send failed, 56 receive failed, 61 bad gzip body.

Examples:
  l7 http get http://127.0.0.1:8080/
  l7 http get -v http://gaia.cs.umass.edu/kurose_ross/interactive/
  l7 http get -I http://127.0.0.1:8080/big.bin
  l7 http get -d 'item=socks&qty=2' http://shop.networkutopia.com/cart
  l7 http get -v http://127.0.0.1:8080/a.html http://127.0.0.1:8080/b.png   # one connection
  l7 http get --compressed -z index.html -o index.html http://127.0.0.1:8080/index.html
  l7 http get -r 0-99 http://127.0.0.1:8080/big.bin
  l7 http get -L -b jar.txt -c jar.txt http://127.0.0.1:8080/login)");
    cmd->callback([=, &ctx] {
        ctx.action = [=, &ctx] {
            // -v shows the heads, as curl's does; -vv also turns debug logging on.
            CommonOptions adjusted = *common;
            const bool show_heads = common->verbose > 0;
            adjusted.verbose = std::max(0, common->verbose - 1);
            apply_common_options(adjusted, ctx, false);
            std::vector<http::Url> urls;
            for (const std::string& text : *url_texts) {
                auto url = http::parse_url(text);
                if (!url) {
                    std::cerr << "l7 http get: " << url.error().message << "\n";
                    return 3;
                }
                if (url->scheme != "http") {
                    std::cerr << "l7 http get: https needs TLS, which l7 does not have yet\n";
                    return 1;
                }
                urls.push_back(*url);
            }
            http::Fields fields;
            for (const std::string& h : *headers) {
                const std::size_t colon = h.find(':');
                if (colon == std::string::npos || colon == 0) {
                    throw UsageError("-H '" + h + "': expected 'NAME: VALUE'");
                }
                std::string value = h.substr(colon + 1);
                value.erase(0, value.find_first_not_of(" \t"));
                fields.add(h.substr(0, colon), value);
            }
            if (!time_cond->empty()) {
                http::Field f = time_condition(*time_cond);
                fields.set(f.name, f.value);
            }
            if (!range->empty()) {
                fields.set("Range", range_value(*range));
            }
            std::string body;
            for (std::size_t i = 0; i < data->size(); ++i) {
                body += (i > 0 ? "&" : "") + (*data)[i];
            }
            const std::string first_method = !method->empty() ? *method
                                             : *head_only     ? "HEAD"
                                             : data->empty()  ? "GET"
                                                              : "POST";
            if (!data->empty() && !fields.get("Content-Type")) {
                fields.add("Content-Type", "application/x-www-form-urlencoded");
            }
            Cookies cookies;
            cookies.jar_path = *cookie_jar;
            cookies.engine = !cookie_jar->empty();
            cookies.load(*cookie_sources);
            // A Cookie given with -H goes out with the jar's, in one field (RFC 6265 5.4).
            for (const http::Field& f : fields.all()) {
                if (http::iequals(f.name, "Cookie")) {
                    cookies.literal += (cookies.literal.empty() ? "" : "; ") + f.value;
                }
            }
            fields.remove("Cookie");
            if (*junk_session) {
                cookies.jar.remove_session_cookies();
            }
            BodyOutput body_out(*output);
            const auto show = [](std::string_view prefix, std::string_view head) {
                for (std::string_view line : http::head_lines(head)) {
                    std::cerr << prefix << line << "\n";
                }
            };
            http::ClientOptions options;
            options.tracer = &ctx.tracer;
            options.decompress = *compressed;
            options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                parse_duration_option(*timeout));
            options.connect_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
                parse_duration_option(*connect_timeout));
            bool write_body = true;
            if (show_heads) {
                options.on_request_head = [&](std::string_view h) { show("> ", h); };
                options.on_info = [](std::string_view line) { std::cerr << "* " << line << "\n"; };
            }
            options.on_response_head = [&](std::string_view h) {
                // The body of a redirect that -L follows is not the answer: drop it.
                const int status =
                    h.size() > 12 ? std::atoi(std::string(h.substr(9, 3)).c_str()) : 0;
                write_body = !(*follow && is_redirect(status) &&
                               h.find("\r\nLocation:") != std::string_view::npos);
                // -f: nothing of an error response is output, as with curl.
                const bool failed = *fail && status >= 400;
                write_body = write_body && !failed;
                if (show_heads) {
                    show("< ", h);
                }
                if ((*include || *head_only) && !failed) {
                    std::cout << h;
                }
            };
            options.on_body = [&](std::string_view bytes) {
                return !write_body || body_out.write(bytes);
            };
            http::Client client(options);
            // One URL and its redirects; returns the exit code.
            const auto transfer = [&](const http::Url& start) {
                http::ClientRequest request;
                request.url = start;
                request.method = first_method;
                request.fields = fields;
                request.body = body;
                for (int redirects = 0;; ++redirects) {
                    request.fields.remove("Cookie");
                    if (std::string c = cookies.header(request.url); !c.empty()) {
                        request.fields.add("Cookie", c);
                    }
                    auto result = client.fetch(request);
                    if (!result) {
                        std::cerr << "l7 http get: " << result.error().message << "\n";
                        return result.error().exit_code;
                    }
                    const http::Response& r = result->response;
                    cookies.received(r.fields, request.url);
                    const auto location = r.fields.get("Location");
                    if (*follow && is_redirect(r.status) && location) {
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
                        // 303, and 301/302 after POST, go on as GET (RFC 9110 15.4; browsers,
                        // curl).
                        if (r.status == 303 ||
                            ((r.status == 301 || r.status == 302) && request.method == "POST")) {
                            request.method = "GET";
                            request.body.clear();
                            request.fields.remove("Content-Type");
                        }
                        continue;
                    }
                    if (r.status != 304 && request.method != "HEAD" &&
                        !(*fail && r.status >= 400) && !body_out.finish()) {
                        return 23;
                    }
                    if (*fail && r.status >= 400) {
                        std::cerr << "l7 http get: the server answered " << r.status << "\n";
                        return 22;
                    }
                    return 0;
                }
            };
            int status = 0;
            for (const http::Url& url : urls) {
                if (int code = transfer(url); code != 0) {
                    status = code;
                }
            }
            if (!cookies.save()) {
                std::cerr << "l7 http get: cannot write the cookie jar " << *cookie_jar << "\n";
                status = status != 0 ? status : 23;
            }
            return status;
        };
    });
}

}  // namespace l7::app
