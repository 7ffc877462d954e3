#pragma once
// The protocol side of tracing. A sans-I/O session owns a Recorder and notes each message it
// receives or sends; its driver drains the Recorder into a Tracer (tracer.hpp), which adds the
// time, connection id and peer and writes the transcript. Sessions never format timestamps or
// touch files, so the same session code traces identically in tests, clients and servers.
//
// Text protocols record each line exactly as on the wire, without its CRLF. Binary protocols
// record one decoded line per message (for example "query id=4711 A hamburger.edu").

#include <string>
#include <string_view>
#include <vector>

namespace l7::trace {

enum class Direction : unsigned char {
    to_server,  // sent by the client: printed "C: "
    to_client,  // sent by the server: printed "S: "
    note,       // an event that is not a message (connection opened, timeout): printed "*  "
};

struct Event {
    Direction direction;
    std::string message;
};

// At most `max` bytes of `bytes` for a trace line, with the full size noted when cut:
// datagrams and binary garbage can be 64 KiB.
std::string preview(std::string_view bytes, std::size_t max = 200);

class Recorder {
  public:
    void enable(bool on) { enabled_ = on; }
    bool enabled() const { return enabled_; }

    // Both are no-ops while disabled, so untraced sessions pay one branch.
    void record(Direction direction, std::string_view message);
    // Records each line of `wire` (split at LF, CR removed) as its own event: for
    // multi-line replies sent as one buffer.
    void record_lines(Direction direction, std::string_view wire);

    bool empty() const { return events_.empty(); }
    // Moves the recorded events out; the Recorder is empty afterwards.
    std::vector<Event> take();

  private:
    bool enabled_ = false;
    std::vector<Event> events_;
};

}  // namespace l7::trace
