#pragma once
// The server's side of HTTP/1.1 framing (RFC 9112), sans-I/O: bytes in, events out.
//
//   parser.receive(bytes);            // whatever the socket gave
//   for (;;) switch (Event e = parser.next(); e.kind) {
//       case head:  ... parser.request(), parser.body(), parser.keep_alive() ...
//       case data:  ... e.data (a view, valid until the next receive()) ...
//       case end:   ... answer; then next() goes on with a pipelined request, if any ...
//       case error: ... answer e.status, close ...
//       case need_more / closed: ...
//   }
//
// Strict where laxness lets a front end and this server disagree about where a request ends
// (request smuggling, RFC 9112 section 11.2): Content-Length with Transfer-Encoding, differing
// or malformed Content-Length, a Transfer-Encoding whose last coding is not chunked, obs-fold,
// whitespace before a colon, bare CR, control characters: all 400, and the connection closes.
// Limits answer 414 (request line), 431 (header section), 413 (body); an unknown method 501,
// an HTTP major version other than 1 505, an unknown expectation 417.

#include "http/message_reader.hpp"

namespace l7::http {

struct RequestLimits {
    HeadLimits head;
    BodyLimits body;
};

class RequestParser final : public MessageReader {
  public:
    explicit RequestParser(RequestLimits limits = {}) : MessageReader(limits.head, limits.body) {}

    // Valid from the head event until the next request's head.
    const Request& request() const { return request_; }
    bool keep_alive() const { return keep_alive_; }
    bool expects_continue() const { return expects_continue_; }

  private:
    Event start_line(std::string_view line) override;
    void add_field(Field field) override;
    std::size_t field_count() const override { return request_.fields.size(); }
    Event head_done() override;

    Request request_;
    bool keep_alive_ = true;
    bool expects_continue_ = false;
};

}  // namespace l7::http
