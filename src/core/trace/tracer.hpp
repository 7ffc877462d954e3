#pragma once
// The driver side of tracing: turns recorded events into transcripts.
//
//   --trace            text on stderr, one line per message:  "C: HELO crepes.fr"
//   --trace-file PATH  JSON lines: {"time":"...","conn":3,"proto":"smtp","peer":"...",
//                                   "dir":"C","msg":"HELO crepes.fr"}
//
// A server with many connections prefixes text lines with the connection id and peer
// ("[#3 127.0.0.1:40112] C: ..."), so interleaved sessions stay readable. Thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/trace/recorder.hpp"

namespace l7::trace {

struct Record {
    std::chrono::system_clock::time_point time;
    std::uint64_t connection = 0;
    std::string_view protocol;
    std::string_view peer;
    Direction direction = Direction::note;
    std::string_view message;
};

// The text line for a record (no newline). Control bytes are shown as \xNN so a peer
// cannot drive the user's terminal; everything else is printed as received.
std::string format_text(const Record& r, bool with_connection);
// The JSON object for a record (no newline).
std::string format_json(const Record& r);

class Sink {
  public:
    virtual ~Sink() = default;
    virtual void write(const Record& r) = 0;
};

class TextSink final : public Sink {
  public:
    TextSink(std::FILE* out, bool with_connection) : out_(out), with_connection_(with_connection) {}
    void write(const Record& r) override;

  private:
    std::FILE* out_;
    bool with_connection_;
};

class JsonLinesSink final : public Sink {
  public:
    // Appends to `path`; throws std::runtime_error naming the path if it cannot be opened.
    explicit JsonLinesSink(const std::string& path);
    ~JsonLinesSink() override;
    JsonLinesSink(const JsonLinesSink&) = delete;
    JsonLinesSink& operator=(const JsonLinesSink&) = delete;
    void write(const Record& r) override;

  private:
    std::FILE* file_;
};

class Tracer {
  public:
    void add_sink(std::unique_ptr<Sink> sink);
    bool enabled() const { return !sinks_.empty(); }

    // Unique per process, shared by every protocol, so ids in one trace file never clash.
    static std::uint64_t next_connection_id();

    void write(const Record& r);
    // Writes and clears everything a session recorded.
    void flush(Recorder& recorder, std::uint64_t connection, std::string_view protocol,
               std::string_view peer);

  private:
    std::mutex mutex_;
    std::vector<std::unique_ptr<Sink>> sinks_;
    static std::atomic<std::uint64_t> next_id_;
};

}  // namespace l7::trace
