#pragma once
// The client's side of HTTP/1.1 framing (RFC 9112), sans-I/O, with the same events as the
// server's RequestParser. A response's framing depends on the request it answers (a HEAD's
// response has no body, RFC 9112 section 6.3), so the client tells the parser, in order, the
// method of each request it sent: expect("GET"), expect("HEAD"), ... (pipelining keeps them
// queued). Interim responses (1xx) come out as a head and an end of their own, and the final
// response to the same request follows.

#include <deque>
#include <string>

#include "http/message_reader.hpp"

namespace l7::http {

struct ResponseLimits {
    HeadLimits head;
    BodyLimits body{.max_body = 1ULL << 40};  // the caller decides what is too much to keep
};

class ResponseParser final : public MessageReader {
  public:
    explicit ResponseParser(ResponseLimits limits = {}) : MessageReader(limits.head, limits.body) {}

    // The method of the next request sent on this connection.
    void expect(std::string method) { methods_.push_back(std::move(method)); }

    const Response& response() const { return response_; }
    bool keep_alive() const { return keep_alive_; }

  private:
    Event start_line(std::string_view line) override;
    void add_field(Field field) override;
    std::size_t field_count() const override { return response_.fields.size(); }
    Event head_done() override;
    void message_done() override;

    std::deque<std::string> methods_;
    Response response_;
    bool keep_alive_ = true;
};

}  // namespace l7::http
