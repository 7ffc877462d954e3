#pragma once
// Reading a message body by its framing (RFC 9112 sections 6 and 7): Content-Length bytes,
// chunks (with extensions, which are checked and ignored, and trailer fields), or everything
// until the connection closes. Works on whatever input the parser has buffered, one step at
// a time, and hands out views of the body bytes without copying them.

#include <cstdint>
#include <string>
#include <string_view>

#include "http/fields.hpp"
#include "http/message.hpp"

namespace l7::http {

struct BodyLimits {
    std::uint64_t max_body = 64ULL << 20;  // decoded bytes; more is 413
    std::size_t max_chunk_line = 4096;     // size line with extensions
    std::size_t max_trailer_bytes = 8192;
    std::size_t max_trailers = 32;
};

struct BodyStep {
    enum class Kind { need_more, data, end, error };
    Kind kind = Kind::need_more;
    std::size_t consumed = 0;  // input bytes used by this step
    std::string_view data;     // Kind::data: body bytes, a view into the input
    int status = 0;            // Kind::error: 400 or 413
    std::string why;           // Kind::error: one sentence
};

class BodyDecoder {
  public:
    void start(Body body, BodyLimits limits);
    // One step over `input` (the unconsumed bytes); `eof`: the peer has closed.
    BodyStep step(std::string_view input, bool eof);
    const Fields& trailers() const { return trailers_; }
    std::uint64_t received() const { return received_; }

  private:
    enum class State {
        length,
        chunk_size,
        chunk_data,
        chunk_data_end,
        trailers,
        until_close,
        done
    };
    BodyStep fail(int status, std::string why);
    BodyStep data(std::string_view input, std::uint64_t want);

    State state_ = State::done;
    BodyLimits limits_;
    std::uint64_t left_ = 0;  // bytes left of the body (length) or of the chunk
    std::uint64_t received_ = 0;
    std::size_t trailer_bytes_ = 0;
    Fields trailers_;
};

}  // namespace l7::http
