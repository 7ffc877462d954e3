#pragma once
// HTTP/1.1 exchanges from the client's side (`l7 http get`): resolve the host with l7's stub
// resolver, connect (each address in turn, with a deadline), send the request, read the
// response with ResponseParser, and hand the body to a sink. Errors carry curl's exit codes,
// so scripts can tell a DNS failure (6) from a refused connection (7) or a timeout (28).
//
// A Client keeps connections open between its requests (connection_pool.hpp): a second
// request to the same host and port reuses the first one's connection when the response
// allowed it (RFC 9112 section 9.3). If a kept connection turns out to be closed by the server
// before any byte of the response arrived, an idempotent request (RFC 9110 section 9.2.2) is
// sent again once on a new connection (RFC 9112 section 9.3.1); others fail.
//
// With `decompress` (curl's --compressed) the request asks for gzip (Accept-Encoding) and a
// gzip Content-Encoding is decoded before the body reaches on_body, within a bound that
// stops a gzip bomb (curl's exit code 61 for that and for corrupt data).

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
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
    std::chrono::milliseconds timeout{30'000};    // each read and write
    trace::Tracer* tracer = nullptr;              // --trace: C:/S: lines of both heads
    bool decompress = false;                      // --compressed: ask for gzip, decode it
    std::uint64_t max_decoded_body = 1ULL << 32;  // a decoded gzip body larger fails (61)
    std::string local_address;  // curl's --interface: connect from this IP address
    // Called with each head exactly as sent and received (-v), and with each piece of body.
    std::function<void(std::string_view head)> on_request_head;
    std::function<void(std::string_view head)> on_response_head;
    std::function<bool(std::string_view bytes)> on_body;  // false: stop (a write failed)
    // Connection events in curl -v's words ("Connected to HOST (ADDR) port N (#0)",
    // "Re-using existing connection #0 with host HOST", ...), without curl's "* ".
    std::function<void(std::string_view line)> on_info;
};

struct ClientError {
    int exit_code = 1;  // curl's: 6 resolve, 7 connect, 28 timeout, 52 empty reply, ...
    std::string message;
};

struct ClientResponse {
    Response response;
    bool keep_alive = false;
    bool reused_connection = false;  // sent over a connection kept from an earlier request
};

bool is_idempotent(std::string_view method);

class Client {
  public:
    explicit Client(ClientOptions options);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // One exchange; blocks until the response has been read (or failed).
    Result<ClientResponse, ClientError> fetch(const ClientRequest& request);
    // How many connections have been opened so far.
    std::uint64_t connections_opened() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// One exchange on a connection of its own.
Result<ClientResponse, ClientError> fetch(const ClientRequest& request,
                                          const ClientOptions& options);

}  // namespace l7::http
