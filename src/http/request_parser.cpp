#include "http/request_parser.hpp"

#include "http/head_syntax.hpp"

namespace l7::http {
namespace {

// "HTTP/1.1" -> 1.1; the grammar is exact (RFC 9112 section 2.3: case-sensitive, one digit each).
bool parse_version(std::string_view text, int& major, int& minor) {
    if (text.size() != 8 || text.substr(0, 5) != "HTTP/" || text[6] != '.' || text[5] < '0' ||
        text[5] > '9' || text[7] < '0' || text[7] > '9') {
        return false;
    }
    major = text[5] - '0';
    minor = text[7] - '0';
    return true;
}

// origin-form, absolute-form, authority-form or "*": visible ASCII only (RFC 9112 3.2).
bool plausible_target(std::string_view target) {
    if (target.empty()) {
        return false;
    }
    for (char ch : target) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7F) {
            return false;
        }
    }
    return true;
}

}  // namespace

void RequestParser::receive(std::string_view bytes) {
    // Drop what was parsed before adding, so the buffer holds at most one unparsed stretch.
    if (pos_ > 0) {
        buf_.erase(0, pos_);
        pos_ = 0;
    }
    buf_.append(bytes);
}

Event RequestParser::fail(int status, std::string why) {
    state_ = State::failed;
    Event e;
    e.kind = Event::Kind::error;
    e.status = status;
    e.why = std::move(why);
    return e;
}

Event RequestParser::next() {
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

Event RequestParser::head_step(bool& progressed) {
    const std::string_view input(buf_.data() + pos_, buf_.size() - pos_);
    const bool at_start = state_ == State::start;
    Line line;
    const std::size_t max = at_start ? limits_.max_request_line : limits_.max_head_bytes;
    switch (next_line(input, max, line)) {
        case LineError::incomplete:
            if (eof_) {
                Event e;
                e.kind = Event::Kind::closed;
                if (!input.empty() || !at_start) {
                    e.why = "the client closed the connection in the middle of a request";
                }
                return e;
            }
            return Event{};
        case LineError::too_long:
            return at_start ? fail(414, "a request line longer than " +
                                            std::to_string(limits_.max_request_line) + " bytes")
                            : fail(431, "a header section larger than " +
                                            std::to_string(limits_.max_head_bytes) + " bytes");
        case LineError::bare_cr:
            return fail(400, "a bare CR in the request head");
        case LineError::none:
            break;
    }
    pos_ += line.consumed;
    progressed = true;
    if (at_start) {
        if (line.text.empty()) {
            if (++empty_lines_ > limits_.max_empty_lines) {
                return fail(400, "too many empty lines before the request line");
            }
            return Event{};
        }
        // request-line = method SP request-target SP HTTP-version (RFC 9112 section 3)
        const std::size_t sp1 = line.text.find(' ');
        const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.text.find(' ', sp1 + 1);
        if (sp2 == std::string_view::npos ||
            line.text.find(' ', sp2 + 1) != std::string_view::npos) {
            return fail(400, "a request line that is not METHOD TARGET VERSION");
        }
        const std::string_view method = line.text.substr(0, sp1);
        const std::string_view target = line.text.substr(sp1 + 1, sp2 - sp1 - 1);
        const std::string_view version = line.text.substr(sp2 + 1);
        int major = 0, minor = 0;
        if (!is_token(method)) {
            return fail(400, "an invalid method");
        }
        if (!plausible_target(target)) {
            return fail(400, "an invalid request-target");
        }
        if (!parse_version(version, major, minor)) {
            return fail(400, "an invalid HTTP version");
        }
        if (major != 1) {
            return fail(505, "HTTP/" + std::to_string(major) + "." + std::to_string(minor) +
                                 " over this connection");
        }
        if (!is_known_method(method)) {
            return fail(501, "the method " + std::string(method) + " is not implemented");
        }
        request_ = Request();
        request_.method.assign(method);
        request_.target.assign(target);
        // A later 1.x is read as 1.1, the highest we speak (RFC 9110 section 2.5).
        request_.version = minor == 0 ? Version::http10 : Version::http11;
        head_bytes_ = 0;
        state_ = State::fields;
        return Event{};
    }
    if (line.text.empty()) {
        return finish_head();
    }
    head_bytes_ += line.consumed;
    if (head_bytes_ > limits_.max_head_bytes) {
        return fail(431, "a header section larger than " + std::to_string(limits_.max_head_bytes) +
                             " bytes");
    }
    if (request_.fields.size() >= limits_.max_fields) {
        return fail(431, "more than " + std::to_string(limits_.max_fields) + " header fields");
    }
    Field f;
    if (auto why = parse_field_line(line.text, f)) {
        return fail(400, "a header with " + *why);
    }
    request_.fields.add(std::move(f.name), std::move(f.value));
    return Event{};
}

Event RequestParser::finish_head() {
    const Fields& fields = request_.fields;
    const bool http11 = request_.version == Version::http11;
    // RFC 9112 section 3.2: exactly one Host in HTTP/1.1, at most one before.
    const std::size_t hosts = fields.count("Host");
    if (hosts > 1 || (http11 && hosts == 0)) {
        return fail(400, hosts == 0 ? "an HTTP/1.1 request without Host" : "several Host fields");
    }
    body_ = Body();
    const bool has_te = fields.count("Transfer-Encoding") > 0;
    std::string why;
    const auto length = content_length(fields, why);
    if (!why.empty()) {
        return fail(400, why);
    }
    if (has_te) {
        if (length) {
            return fail(400, "both Content-Length and Transfer-Encoding");  // RFC 9112 6.1
        }
        if (!http11) {
            return fail(400, "Transfer-Encoding in an HTTP/1.0 request");  // RFC 9112 6.1
        }
        const auto codings = split_list(*fields.combined("Transfer-Encoding"));
        if (codings.empty() || !iequals(codings.back(), "chunked")) {
            return fail(400, "a Transfer-Encoding that does not end in chunked");
        }
        for (std::size_t i = 0; i + 1 < codings.size(); ++i) {
            if (iequals(codings[i], "chunked")) {
                return fail(400, "chunked applied twice");
            }
            return fail(501,
                        "the transfer coding " + std::string(codings[i]) + " is not implemented");
        }
        body_.framing = Framing::chunked;
    } else if (length) {
        if (*length > limits_.body.max_body) {
            return fail(413, "a body of " + std::to_string(*length) + " bytes (at most " +
                                 std::to_string(limits_.body.max_body) + ")");
        }
        body_.framing = *length == 0 ? Framing::none : Framing::length;
        body_.length = *length;
    }
    expects_continue_ = false;
    if (auto expect = fields.get("Expect")) {
        if (!iequals(*expect, "100-continue")) {
            return fail(417, "an expectation other than 100-continue");
        }
        expects_continue_ = http11;  // RFC 9110 10.1.1: ignore it from HTTP/1.0 clients
    }
    keep_alive_ = wants_keep_alive(request_.version, fields);
    decoder_.start(body_, limits_.body);
    state_ = State::body;
    Event e;
    e.kind = Event::Kind::head;
    return e;
}

}  // namespace l7::http
