#include "http/message_reader.hpp"

#include "http/head_syntax.hpp"

namespace l7::http {
namespace {

// Controls other than CR, LF and TAB, which the line parser judges by their position.
bool has_control_outside_line_breaks(std::string_view s) {
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7F) {
            return true;
        }
    }
    return false;
}

}  // namespace

void MessageReader::receive(std::string_view bytes) {
    // Drop what was parsed before adding, so the buffer holds at most one unparsed stretch.
    if (pos_ > 0) {
        buf_.erase(0, pos_);
        pos_ = 0;
    }
    buf_.append(bytes);
}

Event MessageReader::fail(int status, std::string why) {
    state_ = State::failed;
    Event e;
    e.kind = Event::Kind::error;
    e.status = status;
    e.why = std::move(why);
    return e;
}

Event MessageReader::next() {
    while (true) {
        switch (state_) {
            case State::failed: {
                Event e;
                e.kind = Event::Kind::closed;
                e.why = "the connection is closing after an error";
                return e;
            }
            case State::start:
            case State::fields: {
                bool progressed = false;
                Event e = head_step(progressed);
                if (e.kind != Event::Kind::need_more || !progressed) {
                    return e;
                }
                continue;
            }
            case State::body: {
                const std::string_view input(buf_.data() + pos_, buf_.size() - pos_);
                BodyStep s = decoder_.step(input, eof_);
                pos_ += s.consumed;
                switch (s.kind) {
                    case BodyStep::Kind::need_more:
                        if (s.consumed > 0) {
                            continue;
                        }
                        return Event{};
                    case BodyStep::Kind::data: {
                        Event e;
                        e.kind = Event::Kind::data;
                        e.data = s.data;
                        return e;
                    }
                    case BodyStep::Kind::end: {
                        state_ = State::start;
                        empty_lines_ = 0;
                        message_done();
                        Event e;
                        e.kind = Event::Kind::end;
                        return e;
                    }
                    case BodyStep::Kind::error:
                        return fail(s.status, std::move(s.why));
                }
            }
        }
    }
}

Event MessageReader::head_step(bool& progressed) {
    const std::string_view input(buf_.data() + pos_, buf_.size() - pos_);
    const bool at_start = state_ == State::start;
    Line line;
    const std::size_t max = at_start ? head_limits_.max_start_line : head_limits_.max_head_bytes;
    switch (next_line(input, max, line)) {
        case LineError::incomplete:
            if (at_start && has_control_outside_line_breaks(input)) {
                // Not HTTP at all (a TLS ClientHello, binary junk): say so now rather than
                // wait for a line end that may never come.
                return fail(400, "bytes that cannot begin an HTTP message");
            }
            if (eof_) {
                Event e;
                e.kind = Event::Kind::closed;
                if (!input.empty() || !at_start) {
                    e.why = "the peer closed the connection in the middle of a message";
                }
                return e;
            }
            return Event{};
        case LineError::too_long:
            return at_start ? fail(414, "a start line longer than " +
                                            std::to_string(head_limits_.max_start_line) + " bytes")
                            : fail(431, "a header section larger than " +
                                            std::to_string(head_limits_.max_head_bytes) + " bytes");
        case LineError::bare_cr:
            return fail(400, "a bare CR in the head");
        case LineError::none:
            break;
    }
    pos_ += line.consumed;
    progressed = true;
    if (at_start) {
        if (line.text.empty()) {
            if (++empty_lines_ > head_limits_.max_empty_lines) {
                return fail(400, "too many empty lines before the start line");
            }
            return Event{};
        }
        Event e = start_line(line.text);
        if (e.kind == Event::Kind::need_more) {
            head_bytes_ = 0;
            state_ = State::fields;
        }
        return e;
    }
    if (line.text.empty()) {
        Event e = head_done();
        if (e.kind == Event::Kind::head) {
            decoder_.start(body_, body_limits_);
            state_ = State::body;
        }
        return e;
    }
    head_bytes_ += line.consumed;
    if (head_bytes_ > head_limits_.max_head_bytes) {
        return fail(431, "a header section larger than " +
                             std::to_string(head_limits_.max_head_bytes) + " bytes");
    }
    if (field_count() >= head_limits_.max_fields) {
        return fail(431, "more than " + std::to_string(head_limits_.max_fields) + " header fields");
    }
    Field f;
    if (auto why = parse_field_line(line.text, f)) {
        return fail(400, "a header with " + *why);
    }
    add_field(std::move(f));
    return Event{};
}

}  // namespace l7::http
