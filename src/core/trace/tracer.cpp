#include "core/trace/tracer.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "core/json.hpp"
#include "core/time_format.hpp"

namespace l7::trace {

std::atomic<std::uint64_t> Tracer::next_id_{1};

namespace {

const char* direction_tag(Direction d) {
    switch (d) {
        case Direction::to_server:
            return "C";
        case Direction::to_client:
            return "S";
        case Direction::note:
            return "*";
    }
    return "*";
}

}  // namespace

std::string format_text(const Record& r, bool with_connection) {
    std::string out;
    out.reserve(r.message.size() + 32);
    if (with_connection) {
        out += "[#" + std::to_string(r.connection);
        if (!r.peer.empty()) {
            out += ' ';
            out += r.peer;
        }
        out += "] ";
    }
    out += direction_tag(r.direction);
    out += r.direction == Direction::note ? "  " : ": ";
    for (char ch : r.message) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out += ch;
        }
    }
    return out;
}

std::string format_json(const Record& r) {
    std::string out = "{\"time\":\"" + iso8601_utc(r.time) +
                      "\",\"conn\":" + std::to_string(r.connection) + ",\"proto\":";
    json::append_string(out, r.protocol);
    out += ",\"peer\":";
    json::append_string(out, r.peer);
    out += ",\"dir\":\"";
    out += direction_tag(r.direction);
    out += "\",\"msg\":";
    json::append_string(out, r.message);
    out += '}';
    return out;
}

void TextSink::write(const Record& r) {
    const std::string line = format_text(r, with_connection_) + "\n";
    std::fwrite(line.data(), 1, line.size(), out_);
    std::fflush(out_);
}

JsonLinesSink::JsonLinesSink(const std::string& path) : file_(std::fopen(path.c_str(), "a")) {
    if (file_ == nullptr) {
        throw std::runtime_error("cannot open trace file " + path + ": " + std::strerror(errno));
    }
}

JsonLinesSink::~JsonLinesSink() {
    std::fclose(file_);
}

void JsonLinesSink::write(const Record& r) {
    const std::string line = format_json(r) + "\n";
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fflush(file_);
}

void Tracer::add_sink(std::unique_ptr<Sink> sink) {
    std::lock_guard lock(mutex_);
    sinks_.push_back(std::move(sink));
}

std::uint64_t Tracer::next_connection_id() {
    return next_id_.fetch_add(1);
}

void Tracer::write(const Record& r) {
    std::lock_guard lock(mutex_);
    for (auto& sink : sinks_) {
        sink->write(r);
    }
}

void Tracer::flush(Recorder& recorder, std::uint64_t connection, std::string_view protocol,
                   std::string_view peer) {
    if (recorder.empty()) {
        return;
    }
    const auto now = std::chrono::system_clock::now();
    for (const Event& e : recorder.take()) {
        write(Record{now, connection, protocol, peer, e.direction, e.message});
    }
}

}  // namespace l7::trace
