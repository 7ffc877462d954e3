#pragma once
// The gzip content coding (RFC 9110 section 8.4.1.3, the file format of RFC 1952), streaming
// both ways, on zlib: a server compresses a body as it produces it (GzipEncoder, flush() at
// each chunk it wants the client to see now), a client decodes one as it arrives
// (GzipDecoder). Sans-I/O: bytes in, bytes out.
//
// Decoding is bounded: a few kilobytes of gzip can inflate to gigabytes (a "gzip bomb"), so
// the decoder is told how much output is too much and fails once its total would exceed it.
// Concatenated gzip members (RFC 1952 section 2.2) decode as one stream, as gunzip does.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace l7::http {

class GzipEncoder {
  public:
    // `level`: zlib's 0 (store) to 9 (smallest); other values are clamped into that range.
    explicit GzipEncoder(int level = 6);
    ~GzipEncoder();
    GzipEncoder(GzipEncoder&&) noexcept;
    GzipEncoder& operator=(GzipEncoder&&) noexcept;

    // Compresses `in`; returns the output ready so far (often empty: zlib keeps a window).
    std::string compress(std::string_view in);
    // compress(in), then everything pending, ending on a byte boundary (Z_SYNC_FLUSH), so the
    // receiver can decode all input given so far: for a streamed response.
    std::string flush(std::string_view in = {});
    // compress(in), then the end of the stream (the CRC-32 and size trailer). The encoder
    // cannot be used afterwards (compress() and flush() then return nothing).
    std::string finish(std::string_view in = {});

  private:
    struct State;
    std::string run(std::string_view in, int mode);
    std::unique_ptr<State> state_;
};

class GzipDecoder {
  public:
    // Fails once more than `max_output` bytes would be decoded in total.
    explicit GzipDecoder(std::size_t max_output);
    ~GzipDecoder();
    GzipDecoder(GzipDecoder&&) noexcept;
    GzipDecoder& operator=(GzipDecoder&&) noexcept;

    // The bytes `in` decodes to, or an error: not gzip, corrupt (a bad CRC or length trailer
    // included), or over max_output. After an error every call fails.
    Result<std::string> decode(std::string_view in);
    // The input has ended: an error when the stream stopped in the middle of a member (or
    // before any), otherwise nothing.
    std::optional<Error> finish() const;
    // Whether the last member seen so far has ended with a valid trailer.
    bool at_member_end() const;
    std::size_t total_out() const;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

// One-shot forms.
std::string gzip_compress(std::string_view in, int level = 6);
Result<std::string> gzip_decompress(std::string_view in, std::size_t max_output);

}  // namespace l7::http
