#pragma once
// The HTTP/1.1 server driver (`l7 http serve`): one coroutine per connection on the net::Runtime,
// RequestParser for framing, a Handler for what to answer, finish_response() for the head,
// and sendfile for file bodies. Deadlines: the whole request head must arrive within
// header_timeout (slowloris), an idle keep-alive connection ends after idle_timeout, and
// every write has write_timeout. Pipelined requests are answered in order; a framing error
// gets its status and the connection closes.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/endpoint.hpp"
#include "core/trace/tracer.hpp"
#include "http/message.hpp"
#include "http/request_parser.hpp"
#include "net/runtime.hpp"

namespace l7::http {

// An open file to send as (part of) a body; the descriptor is closed when the last copy goes.
struct FileBody {
    std::shared_ptr<int> fd;  // owns the descriptor
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

// Bytes kept by someone else (a cached file's contents): shared, not copied.
struct SharedBytes {
    std::shared_ptr<const std::string> owner;
    std::string_view view;  // into *owner
};

// One piece of a body: bytes in memory (its own or shared), or a stretch of a file
// (multipart ranges mix them).
struct BodyPart {
    BodyPart() = default;
    BodyPart(std::string own, std::optional<FileBody> stretch = std::nullopt)
        : bytes(std::move(own)), file(std::move(stretch)) {}
    explicit BodyPart(SharedBytes kept) : shared(std::move(kept)) {}

    std::string bytes;
    std::optional<FileBody> file;
    SharedBytes shared;  // instead of `bytes` when it has an owner

    std::string_view memory() const { return shared.owner ? shared.view : bytes; }
};

struct Reply {
    Response response;
    std::vector<BodyPart> body;
    std::uint64_t body_length() const;
};

// What the handler knows of the client.
class Peer {
  public:
    Peer() = default;
    explicit Peer(std::string address) : address_(std::move(address)) {}
    // The address is looked up (getpeername) when first asked for: most requests never do.
    explicit Peer(const asio::ip::tcp::socket* socket) : socket_(socket) {}

    const std::string& address() const;  // ADDR:PORT, or "?" when unknown

  private:
    const asio::ip::tcp::socket* socket_ = nullptr;
    mutable std::optional<std::string> address_;
};

// Answers one request; `body` holds its whole body (bounded by the parser's limit).
using Handler = std::function<Reply(const Request& request, const std::string& body, const Peer&)>;

struct ServerOptions {
    std::vector<HostPort> listen;
    RequestLimits limits;
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds idle_timeout{60'000};
    std::chrono::milliseconds write_timeout{30'000};
    std::size_t max_connections = 10'000;
    std::string server_name = "l7";
    // One Combined Log Format line per request (empty: none).
    std::function<void(const std::string& line)> access_log;
};

std::vector<asio::ip::tcp::endpoint> start_server(net::Runtime& runtime,
                                                  const ServerOptions& options, Handler handler,
                                                  trace::Tracer& tracer);

// A small HTML page for an error status (what a handler or the driver sends).
Reply error_reply(int status, std::string_view detail = {});

}  // namespace l7::http
