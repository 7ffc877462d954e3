#pragma once
// One HTTP/1.1 exchange from the client's side (`l7 http get`): resolve the host with l7's
// stub resolver, connect (each address in turn, with a deadline), send the request, read the
// response with ResponseParser, and hand the body to a sink. Errors carry curl's exit codes,
// so scripts can tell a DNS failure (6) from a refused connection (7) or a timeout (28).

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/trace/tracer.hpp"
#include "http/message.hpp"
#include "http/url.hpp"

namespace l7::http {

struct ClientRequest {
    std::string method = "GET";
    Url url;
    Fields fields;  // Host, User-Agent and Content-Length are added when absent
    std::string body;
};

struct ClientOptions {
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds timeout{30'000};  // each read and write
    trace::Tracer* tracer = nullptr;            // --trace: C:/S: lines of both heads
    // Called with each head exactly as sent and received (-v), and with each piece of body.
    std::function<void(std::string_view head)> on_request_head;
    std::function<void(std::string_view head)> on_response_head;
    std::function<bool(std::string_view bytes)> on_body;  // false: stop (a write failed)
};

struct ClientError {
    int exit_code = 1;  // curl's: 6 resolve, 7 connect, 28 timeout, 52 empty reply, ...
    std::string message;
};

struct ClientResponse {
    Response response;
    bool keep_alive = false;
};

Result<ClientResponse, ClientError> fetch(const ClientRequest& request,
                                          const ClientOptions& options);

}  // namespace l7::http
