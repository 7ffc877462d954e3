#include "http/body_decoder.hpp"

#include <algorithm>

#include "http/head_syntax.hpp"

namespace l7::http {
void BodyDecoder::start(Body body, BodyLimits limits) {
    limits_ = limits;
    received_ = 0;
    trailer_bytes_ = 0;
    trailers_ = Fields();
    switch (body.framing) {
        case Framing::none:
            state_ = State::done;
            break;
        case Framing::length:
            state_ = body.length == 0 ? State::done : State::length;
            left_ = body.length;
            break;
        case Framing::chunked:
            state_ = State::chunk_size;
            break;
        case Framing::close:
            state_ = State::until_close;
            break;
    }
}

BodyStep BodyDecoder::fail(int status, std::string why) {
    BodyStep s;
    s.kind = BodyStep::Kind::error;
    s.status = status;
    s.why = std::move(why);
    return s;
}

BodyStep BodyDecoder::data(std::string_view input, std::uint64_t want) {
    BodyStep s;
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(input.size(), want));
    if (n == 0) {
        return s;
    }
    if (received_ + n > limits_.max_body) {
        return fail(413, "the body is larger than " + std::to_string(limits_.max_body) + " bytes");
    }
    received_ += n;
    s.kind = BodyStep::Kind::data;
    s.consumed = n;
    s.data = input.substr(0, n);
    return s;
}

BodyStep BodyDecoder::step(std::string_view input, bool eof) {
    switch (state_) {
        case State::done: {
            BodyStep s;
            s.kind = BodyStep::Kind::end;
            return s;
        }
        case State::length: {
            if (input.empty()) {
                return eof ? fail(400, "the connection closed inside the body") : BodyStep{};
            }
            BodyStep s = data(input, left_);
            if (s.kind == BodyStep::Kind::data) {
                left_ -= s.consumed;
                if (left_ == 0) {
                    state_ = State::done;
                }
            }
            return s;
        }
        case State::until_close: {
            if (input.empty()) {
                if (eof) {
                    state_ = State::done;
                    BodyStep s;
                    s.kind = BodyStep::Kind::end;
                    return s;
                }
                return BodyStep{};
            }
            return data(input, input.size());
        }
        case State::chunk_size: {
            Line line;
            switch (next_line(input, limits_.max_chunk_line, line)) {
                case LineError::incomplete:
                    return eof ? fail(400, "the connection closed inside a chunk size line")
                               : BodyStep{};
                case LineError::too_long:
                    return fail(400, "a chunk size line longer than " +
                                         std::to_string(limits_.max_chunk_line) + " bytes");
                case LineError::bare_cr:
                    return fail(400, "a bare CR in a chunk size line");
                case LineError::none:
                    break;
            }
            // chunk-size [ chunk-ext ] (RFC 9112 section 7.1): hex digits, then ';' extensions.
            std::uint64_t size = 0;
            std::size_t i = 0;
            for (; i < line.text.size() && hex_digit_value(line.text[i]) >= 0; ++i) {
                if (i >= 15) {
                    return fail(400, "a chunk size too large");
                }
                size = size * 16 + static_cast<std::uint64_t>(hex_digit_value(line.text[i]));
            }
            if (i == 0) {
                return fail(400, "a chunk without a size");
            }
            std::string_view ext = line.text.substr(i);
            while (!ext.empty() && (ext.front() == ' ' || ext.front() == '\t')) {
                ext.remove_prefix(1);  // BWS before ';' (RFC 9112 section 7.1.1)
            }
            if (!ext.empty() && ext.front() != ';') {
                return fail(400, "garbage after a chunk size");
            }
            for (char c : ext) {
                if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
                    return fail(400, "a control character in a chunk extension");
                }
            }
            if (received_ + size > limits_.max_body) {
                return fail(
                    413, "the body is larger than " + std::to_string(limits_.max_body) + " bytes");
            }
            BodyStep s;
            s.consumed = line.consumed;
            left_ = size;
            state_ = size == 0 ? State::trailers : State::chunk_data;
            return s;
        }
        case State::chunk_data: {
            if (input.empty()) {
                return eof ? fail(400, "the connection closed inside a chunk") : BodyStep{};
            }
            BodyStep s = data(input, left_);
            if (s.kind == BodyStep::Kind::data) {
                left_ -= s.consumed;
                if (left_ == 0) {
                    state_ = State::chunk_data_end;
                }
            }
            return s;
        }
        case State::chunk_data_end: {
            if (input.size() >= 2 && input[0] == '\r' && input[1] == '\n') {
                state_ = State::chunk_size;
                BodyStep s;
                s.consumed = 2;
                return s;
            }
            if (!input.empty() && input[0] == '\n') {
                state_ = State::chunk_size;
                BodyStep s;
                s.consumed = 1;
                return s;
            }
            if (input.size() >= 2 || (input.size() == 1 && input[0] != '\r')) {
                return fail(400, "a chunk longer than its size");
            }
            return eof ? fail(400, "the connection closed after a chunk") : BodyStep{};
        }
        case State::trailers: {
            Line line;
            switch (next_line(input, limits_.max_trailer_bytes, line)) {
                case LineError::incomplete:
                    return eof ? fail(400, "the connection closed inside the trailer section")
                               : BodyStep{};
                case LineError::too_long:
                    return fail(400, "a trailer field line too long");
                case LineError::bare_cr:
                    return fail(400, "a bare CR in the trailer section");
                case LineError::none:
                    break;
            }
            BodyStep s;
            s.consumed = line.consumed;
            if (line.text.empty()) {
                state_ = State::done;
                s.kind = BodyStep::Kind::end;
                return s;
            }
            trailer_bytes_ += line.consumed;
            if (trailer_bytes_ > limits_.max_trailer_bytes ||
                trailers_.size() >= limits_.max_trailers) {
                return fail(400, "too many trailer fields");
            }
            Field f;
            if (auto why = parse_field_line(line.text, f)) {
                return fail(400, "a trailer with " + *why);
            }
            trailers_.add(std::move(f.name), std::move(f.value));
            return s;
        }
    }
    return fail(400, "unreachable body state");
}

}  // namespace l7::http
