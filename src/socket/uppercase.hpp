#pragma once
// The course's first socket application: the server turns the client's text into upper case
// and sends it back. Over UDP each datagram gets one reply datagram; over TCP each line gets
// one reply line on a connection that serves many lines.
//
// Sans-I/O: UppercaseSession takes the bytes a TCP connection delivers and says what to send.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/line_framer.hpp"
#include "core/trace/recorder.hpp"

namespace l7::socket {

// ASCII letters only: other bytes (UTF-8, binary) pass through unchanged.
std::string to_upper_ascii(std::string_view text);

struct UppercaseLimits {
    std::size_t max_line = 64 * 1024;
};

class UppercaseSession {
  public:
    explicit UppercaseSession(UppercaseLimits limits = {});

    // Bytes from the client; an empty span is the end of its stream.
    void receive(std::string_view bytes);

    // What to send next; valid until the next receive() or consume_output().
    std::string_view pending_output() const { return output_; }
    void consume_output(std::size_t n) { output_.erase(0, n); }

    // True once the connection should close after pending output is sent: the client ended
    // its stream, or sent a line over the limit (answered with an ERROR line first).
    bool closing() const { return closing_; }

    trace::Recorder& trace() { return trace_; }

  private:
    LineFramer framer_;
    UppercaseLimits limits_;
    std::string output_;
    bool closing_ = false;
    trace::Recorder trace_;
};

}  // namespace l7::socket
