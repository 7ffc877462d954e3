#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/trace/recorder.hpp"
#include "core/trace/tracer.hpp"

namespace l7::trace {
namespace {

using namespace std::chrono_literals;

// 2026-11-22T03:10:00.123Z
std::chrono::system_clock::time_point fixed_time() {
    using namespace std::chrono;
    return sys_days{year{2026} / November / 22} + 3h + 10min + 123ms;
}

Record record(Direction dir, std::string_view msg, std::uint64_t conn = 3,
              std::string_view peer = "127.0.0.1:5", std::string_view proto = "smtp") {
    return Record{fixed_time(), conn, proto, peer, dir, msg};
}

// A Record with its own storage (Record holds views).
struct Captured {
    std::chrono::system_clock::time_point time;
    std::uint64_t connection;
    std::string protocol;
    std::string peer;
    Direction direction;
    std::string message;
};

class CapturingSink final : public Sink {
  public:
    explicit CapturingSink(std::vector<Captured>& out) : out_(out) {}
    void write(const Record& r) override {
        out_.push_back(Captured{r.time, r.connection, std::string(r.protocol), std::string(r.peer),
                                r.direction, std::string(r.message)});
    }

  private:
    std::vector<Captured>& out_;
};

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

std::string temp_path(const std::string& name) {
    return testing::TempDir() + "l7_trace_test_" + std::to_string(::getpid()) + "_" + name;
}

TEST(FormatText, WithConnectionPrefix) {
    EXPECT_EQ(format_text(record(Direction::to_server, "HELO x"), true),
              "[#3 127.0.0.1:5] C: HELO x");
    EXPECT_EQ(format_text(record(Direction::to_client, "250 ok"), true),
              "[#3 127.0.0.1:5] S: 250 ok");
    EXPECT_EQ(format_text(record(Direction::note, "connection opened"), true),
              "[#3 127.0.0.1:5] *  connection opened");
    EXPECT_EQ(format_text(record(Direction::to_server, "x", 12, ""), true), "[#12] C: x");
}

TEST(FormatText, WithoutConnectionPrefix) {
    EXPECT_EQ(format_text(record(Direction::to_server, "HELO x"), false), "C: HELO x");
    EXPECT_EQ(format_text(record(Direction::to_client, "250 ok"), false), "S: 250 ok");
    EXPECT_EQ(format_text(record(Direction::note, "timeout"), false), "*  timeout");
    EXPECT_EQ(format_text(record(Direction::to_client, ""), false), "S: ");
}

TEST(FormatText, ControlBytesAreShownAsHex) {
    const std::string msg("a\rb\x1b[2J\x7f\0\tc\xc3\xa9\xff", 14);
    EXPECT_EQ(format_text(record(Direction::to_client, msg), false),
              "S: a\\x0db\\x1b[2J\\x7f\\x00\tc\xc3\xa9\xff");
    EXPECT_EQ(format_text(record(Direction::to_server, "\n"), false), "C: \\x0a");
}

TEST(FormatJson, ExactFields) {
    EXPECT_EQ(format_json(record(Direction::to_server, "HELO crepes.fr", 3, "127.0.0.1:40112")),
              R"({"time":"2026-11-22T03:10:00.123Z","conn":3,"proto":"smtp",)"
              R"("peer":"127.0.0.1:40112","dir":"C","msg":"HELO crepes.fr"})");
    EXPECT_EQ(format_json(record(Direction::to_client, "250 ok", 18446744073709551615u, "[::1]:25",
                                 "tcp-uppercase")),
              R"({"time":"2026-11-22T03:10:00.123Z","conn":18446744073709551615,)"
              R"("proto":"tcp-uppercase","peer":"[::1]:25","dir":"S","msg":"250 ok"})");
    EXPECT_EQ(format_json(record(Direction::note, "idle", 0, "")),
              R"({"time":"2026-11-22T03:10:00.123Z","conn":0,"proto":"smtp","peer":"",)"
              R"("dir":"*","msg":"idle"})");
}

TEST(FormatJson, MessageIsEscaped) {
    const std::string msg = "say \"hi\"\\\r\x01\xff";
    EXPECT_EQ(format_json(record(Direction::to_server, msg, 1, "p\"eer")),
              R"({"time":"2026-11-22T03:10:00.123Z","conn":1,"proto":"smtp","peer":"p\"eer",)"
              R"("dir":"C","msg":"say \"hi\"\\\r\u0001\u00ff"})");
}

TEST(FormatJson, TimeIsUtcWithMilliseconds) {
    using namespace std::chrono;
    const Record r{sys_days{year{1970} / January / 1} + 5ms, 1, "p", "", Direction::note, "m"};
    const std::string expected = R"({"time":"1970-01-01T00:00:00.005Z",)";
    EXPECT_EQ(format_json(r).substr(0, expected.size()), expected);
}

TEST(Preview, ShortTextUnchanged) {
    EXPECT_EQ(preview("hello"), "hello");
    EXPECT_EQ(preview(""), "");
    const std::string exact(200, 'x');
    EXPECT_EQ(preview(exact), exact);
    EXPECT_EQ(preview("abc", 3), "abc");
}

TEST(Preview, LongTextIsCutWithItsSize) {
    EXPECT_EQ(preview("abcdef", 3), "abc... (6 bytes)");
    const std::string big(65507, 'y');
    EXPECT_EQ(preview(big), std::string(200, 'y') + "... (65507 bytes)");
    EXPECT_EQ(preview("abcdef", 0), "... (6 bytes)");
}

TEST(Recorder, DisabledRecordsNothing) {
    Recorder r;
    EXPECT_FALSE(r.enabled());
    r.record(Direction::to_server, "HELO x");
    r.record_lines(Direction::to_client, "250-a\r\n250 b\r\n");
    EXPECT_TRUE(r.empty());
    EXPECT_TRUE(r.take().empty());
}

TEST(Recorder, RecordsInOrderAndTakeEmpties) {
    Recorder r;
    r.enable(true);
    EXPECT_TRUE(r.enabled());
    r.record(Direction::note, "connection from 127.0.0.1:5");
    r.record(Direction::to_server, "HELO x");
    r.record(Direction::to_client, "");
    EXPECT_FALSE(r.empty());
    const auto events = r.take();
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].direction, Direction::note);
    EXPECT_EQ(events[0].message, "connection from 127.0.0.1:5");
    EXPECT_EQ(events[1].direction, Direction::to_server);
    EXPECT_EQ(events[1].message, "HELO x");
    EXPECT_EQ(events[2].direction, Direction::to_client);
    EXPECT_EQ(events[2].message, "");
    EXPECT_TRUE(r.empty());
    EXPECT_TRUE(r.take().empty());

    r.enable(false);
    r.record(Direction::to_server, "ignored");
    EXPECT_TRUE(r.empty());
}

std::vector<std::string> recorded_lines(std::string_view wire) {
    Recorder r;
    r.enable(true);
    r.record_lines(Direction::to_client, wire);
    std::vector<std::string> out;
    for (const Event& e : r.take()) {
        EXPECT_EQ(e.direction, Direction::to_client);
        out.push_back(e.message);
    }
    return out;
}

TEST(Recorder, RecordLinesSplitsMultiLineReplies) {
    EXPECT_EQ(recorded_lines("250-crepes.fr\r\n250-SIZE 1000\r\n250 HELP\r\n"),
              (std::vector<std::string>{"250-crepes.fr", "250-SIZE 1000", "250 HELP"}));
    EXPECT_EQ(recorded_lines("a\nb"), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(recorded_lines("a\r\n\r\nb\n"), (std::vector<std::string>{"a", "", "b"}));
    EXPECT_EQ(recorded_lines("one line"), (std::vector<std::string>{"one line"}));
    EXPECT_EQ(recorded_lines("\n"), (std::vector<std::string>{""}));
    EXPECT_TRUE(recorded_lines("").empty());
    EXPECT_EQ(recorded_lines("a\rb\r\n"), (std::vector<std::string>{"a\rb"}));
}

TEST(Tracer, EnabledOnlyWithASink) {
    Tracer t;
    EXPECT_FALSE(t.enabled());
    std::vector<Captured> got;
    t.add_sink(std::make_unique<CapturingSink>(got));
    EXPECT_TRUE(t.enabled());
}

TEST(Tracer, FlushWritesThroughEverySinkAndEmptiesTheRecorder) {
    std::vector<Captured> first, second;
    Tracer t;
    t.add_sink(std::make_unique<CapturingSink>(first));
    t.add_sink(std::make_unique<CapturingSink>(second));

    Recorder r;
    r.enable(true);
    r.record(Direction::note, "connection from 127.0.0.1:40112");
    r.record(Direction::to_server, "hello");
    r.record_lines(Direction::to_client, "HELLO\r\nBYE\r\n");
    const auto before = std::chrono::system_clock::now();
    t.flush(r, 42, "tcp-uppercase", "127.0.0.1:40112");
    const auto after = std::chrono::system_clock::now();
    EXPECT_TRUE(r.empty());

    ASSERT_EQ(first.size(), 4u);
    const Direction dirs[] = {Direction::note, Direction::to_server, Direction::to_client,
                              Direction::to_client};
    const char* msgs[] = {"connection from 127.0.0.1:40112", "hello", "HELLO", "BYE"};
    for (std::size_t i = 0; i < first.size(); ++i) {
        EXPECT_EQ(first[i].connection, 42u);
        EXPECT_EQ(first[i].protocol, "tcp-uppercase");
        EXPECT_EQ(first[i].peer, "127.0.0.1:40112");
        EXPECT_EQ(first[i].direction, dirs[i]) << i;
        EXPECT_EQ(first[i].message, msgs[i]);
        EXPECT_GE(first[i].time, before);
        EXPECT_LE(first[i].time, after);
    }
    ASSERT_EQ(second.size(), 4u);
    EXPECT_EQ(second[3].message, "BYE");

    // Nothing recorded: nothing written.
    t.flush(r, 42, "tcp-uppercase", "127.0.0.1:40112");
    EXPECT_EQ(first.size(), 4u);
}

TEST(Tracer, WriteGoesToEverySink) {
    std::vector<Captured> got;
    Tracer t;
    t.add_sink(std::make_unique<CapturingSink>(got));
    t.write(record(Direction::to_server, "x", 9));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].connection, 9u);
    EXPECT_EQ(got[0].time, fixed_time());
    EXPECT_EQ(got[0].message, "x");
}

TEST(Tracer, ConnectionIdsAreUnique) {
    const auto a = Tracer::next_connection_id();
    const auto b = Tracer::next_connection_id();
    EXPECT_GT(b, a);
    EXPECT_NE(a, 0u);
}

TEST(JsonLinesSink, OneObjectPerLineAppending) {
    const std::string path = temp_path("lines.jsonl");
    std::remove(path.c_str());
    const Record a = record(Direction::to_server, "HELO crepes.fr");
    const Record b = record(Direction::to_client, "multi\nline \"reply\"");
    {
        JsonLinesSink sink(path);
        sink.write(a);
        sink.write(b);
    }
    EXPECT_EQ(read_lines(path), (std::vector<std::string>{format_json(a), format_json(b)}));
    {
        // A second sink appends instead of truncating.
        JsonLinesSink sink(path);
        sink.write(a);
        // Each write is flushed at once, so a reader sees it while the sink is open.
        EXPECT_EQ(read_lines(path).size(), 3u);
    }
    const auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[2], format_json(a));
    std::remove(path.c_str());
}

TEST(JsonLinesSink, UnwritablePathThrowsNamingIt) {
    const std::string path = temp_path("no-such-directory") + "/trace.jsonl";
    try {
        JsonLinesSink sink(path);
        FAIL() << "opened " << path;
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
}

TEST(TextSink, WritesOneLinePerRecord) {
    std::FILE* f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    {
        TextSink sink(f, true);
        sink.write(record(Direction::to_server, "HELO x"));
        sink.write(record(Direction::to_client, "250\rok"));
    }
    std::rewind(f);
    char buf[256] = {};
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    EXPECT_EQ(std::string(buf, n), "[#3 127.0.0.1:5] C: HELO x\n[#3 127.0.0.1:5] S: 250\\x0dok\n");
}

}  // namespace
}  // namespace l7::trace
