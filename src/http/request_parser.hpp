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

#include <cstdint>
#include <string>
#include <string_view>

#include "http/body_decoder.hpp"
#include "http/message.hpp"

namespace l7::http {

struct RequestLimits {
    std::size_t max_request_line = 8192;  // longer: 414
    std::size_t max_head_bytes = 16384;   // the field lines together: 431
    std::size_t max_fields = 100;         // more: 431
    std::size_t max_empty_lines = 8;      // tolerated before a request line (RFC 9112 2.2)
    BodyLimits body;
};

struct Event {
    enum class Kind { need_more, head, data, end, error, closed };
    Kind kind = Kind::need_more;
    std::string_view data;  // Kind::data
    int status = 0;         // Kind::error: the status to answer
    std::string why;        // Kind::error and Kind::closed: one sentence for the log
};

class RequestParser {
  public:
    explicit RequestParser(RequestLimits limits = {}) : limits_(limits) {}

    void receive(std::string_view bytes);
    void receive_eof() { eof_ = true; }
    Event next();

    // Valid from the head event until the next request's head.
    const Request& request() const { return request_; }
    const Body& body() const { return body_; }
    bool keep_alive() const { return keep_alive_; }
    bool expects_continue() const { return expects_continue_; }
    const Fields& trailers() const { return decoder_.trailers(); }

    // Bytes received and not yet parsed: a driver stops reading beyond a bound.
    std::size_t buffered() const { return buf_.size() - pos_; }
    // Between requests with nothing of the next one received (an idle keep-alive connection).
    bool idle() const { return state_ == State::start && buffered() == 0; }

  private:
    enum class State { start, fields, body, failed };
    Event head_step(bool& progressed);
    Event finish_head();
    Event fail(int status, std::string why);

    RequestLimits limits_;
    std::string buf_;
    std::size_t pos_ = 0;
    bool eof_ = false;
    State state_ = State::start;
    std::size_t empty_lines_ = 0;
    std::size_t head_bytes_ = 0;
    Request request_;
    Body body_;
    bool keep_alive_ = true;
    bool expects_continue_ = false;
    BodyDecoder decoder_;
};

}  // namespace l7::http
