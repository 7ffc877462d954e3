#pragma once
// What reading a request and reading a response share (RFC 9112): a buffer of received
// bytes, a start line, field lines up to the empty line, then the body by its framing. The
// subclass parses the start line and decides the framing once the head is complete; this
// class does the rest and turns it all into events, one at a time.

#include <cstdint>
#include <string>
#include <string_view>

#include "http/body_decoder.hpp"
#include "http/message.hpp"

namespace l7::http {

struct HeadLimits {
    std::size_t max_start_line = 8192;   // a longer request line is 414
    std::size_t max_head_bytes = 16384;  // the field lines together: 431
    std::size_t max_fields = 100;        // more: 431
    std::size_t max_empty_lines = 8;     // tolerated before a start line (RFC 9112 2.2)
};

struct Event {
    enum class Kind { need_more, head, data, end, error, closed };
    Kind kind = Kind::need_more;
    std::string_view data;  // Kind::data: a view, valid until the next receive()
    int status = 0;         // Kind::error: the status a server answers (0 for responses)
    std::string why;        // Kind::error and Kind::closed: one sentence for the log
};

class MessageReader {
  public:
    virtual ~MessageReader() = default;

    void receive(std::string_view bytes);
    void receive_eof() { eof_ = true; }
    Event next();

    const Body& body() const { return body_; }
    const Fields& trailers() const { return decoder_.trailers(); }
    // Bytes received and not yet parsed: a driver stops reading beyond a bound.
    std::size_t buffered() const { return buf_.size() - pos_; }
    // Between messages with nothing of the next one received.
    bool idle() const { return state_ == State::start && buffered() == 0; }

  protected:
    MessageReader(HeadLimits head, BodyLimits body) : head_limits_(head), body_limits_(body) {}

    // The start line; returns an error event (kind error) or a need_more event to go on.
    virtual Event start_line(std::string_view line) = 0;
    virtual void add_field(Field field) = 0;
    virtual std::size_t field_count() const = 0;
    // The head is complete: set body_ and return a head event, or an error event.
    virtual Event head_done() = 0;
    // The message has ended (before the end event goes out).
    virtual void message_done() {}

    Event fail(int status, std::string why);
    const BodyLimits& body_limits() const { return body_limits_; }

    Body body_;

  private:
    enum class State { start, fields, body, failed };
    Event head_step(bool& progressed);

    HeadLimits head_limits_;
    BodyLimits body_limits_;
    std::string buf_;
    std::size_t pos_ = 0;
    bool eof_ = false;
    State state_ = State::start;
    std::size_t empty_lines_ = 0;
    std::size_t head_bytes_ = 0;
    BodyDecoder decoder_;
};

}  // namespace l7::http
