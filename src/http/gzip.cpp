#include "http/gzip.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <new>

namespace l7::http {
namespace {

// zlib's windowBits: 15 (a 32 KiB window, the maximum) plus 16 selects the gzip wrapper of
// RFC 1952 instead of zlib's own (RFC 1950), for both deflate and inflate.
constexpr int kGzipWindowBits = 15 + 16;
constexpr std::size_t kOutputStep = 16384;
// zlib counts input in uInt; larger inputs go in slices of this size.
constexpr std::size_t kMaxSlice = 1U << 30;

Bytef* input_bytes(std::string_view in) {
    // zlib's next_in is not const, though it never writes through it (ZLIB_CONST aside).
    return reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
}

}  // namespace

struct GzipEncoder::State {
    z_stream z{};
    bool finished = false;
};

GzipEncoder::GzipEncoder(int level) : state_(std::make_unique<State>()) {
    level = std::clamp(level, 0, 9);
    if (deflateInit2(&state_->z, level, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        throw std::bad_alloc();
    }
}

GzipEncoder::~GzipEncoder() {
    if (state_ && !state_->finished) {
        deflateEnd(&state_->z);
    }
}

GzipEncoder::GzipEncoder(GzipEncoder&&) noexcept = default;

GzipEncoder& GzipEncoder::operator=(GzipEncoder&& other) noexcept {
    if (this != &other) {
        if (state_ && !state_->finished) {
            deflateEnd(&state_->z);
        }
        state_ = std::move(other.state_);
    }
    return *this;
}

std::string GzipEncoder::run(std::string_view in, int mode) {
    std::string out;
    if (!state_ || state_->finished) {
        return out;
    }
    z_stream& z = state_->z;
    std::array<Bytef, kOutputStep> buffer;
    do {
        const std::string_view slice = in.substr(0, kMaxSlice);
        in.remove_prefix(slice.size());
        const int flush = in.empty() ? mode : Z_NO_FLUSH;
        z.next_in = input_bytes(slice);
        z.avail_in = static_cast<uInt>(slice.size());
        // Until zlib has taken all the input and, for a flush, written all it holds: it says
        // so by leaving room in the output buffer (or, for Z_FINISH, with Z_STREAM_END).
        while (true) {
            z.next_out = buffer.data();
            z.avail_out = static_cast<uInt>(buffer.size());
            const int ret = deflate(&z, flush);
            out.append(reinterpret_cast<const char*>(buffer.data()), buffer.size() - z.avail_out);
            if (ret == Z_STREAM_END) {
                deflateEnd(&z);
                state_->finished = true;
                return out;
            }
            if (z.avail_out != 0 && (flush != Z_FINISH || ret != Z_OK)) {
                break;
            }
        }
    } while (!in.empty());
    return out;
}

std::string GzipEncoder::compress(std::string_view in) {
    return run(in, Z_NO_FLUSH);
}

std::string GzipEncoder::flush(std::string_view in) {
    return run(in, Z_SYNC_FLUSH);
}

std::string GzipEncoder::finish(std::string_view in) {
    return run(in, Z_FINISH);
}

struct GzipDecoder::State {
    z_stream z{};
    std::size_t max_output = 0;
    std::size_t total = 0;
    bool started = false;     // some input arrived
    bool member_end = false;  // the last member's trailer has been checked
    std::optional<Error> failed;
};

GzipDecoder::GzipDecoder(std::size_t max_output) : state_(std::make_unique<State>()) {
    state_->max_output = max_output;
    if (inflateInit2(&state_->z, kGzipWindowBits) != Z_OK) {
        throw std::bad_alloc();
    }
}

GzipDecoder::~GzipDecoder() {
    if (state_) {
        inflateEnd(&state_->z);
    }
}

GzipDecoder::GzipDecoder(GzipDecoder&&) noexcept = default;

GzipDecoder& GzipDecoder::operator=(GzipDecoder&& other) noexcept {
    if (this != &other) {
        if (state_) {
            inflateEnd(&state_->z);
        }
        state_ = std::move(other.state_);
    }
    return *this;
}

Result<std::string> GzipDecoder::decode(std::string_view in) {
    State& s = *state_;
    if (s.failed) {
        return *s.failed;
    }
    const auto fail = [&s](std::string why) {
        s.failed = Error{std::move(why)};
        return *s.failed;
    };
    std::string out;
    std::array<Bytef, kOutputStep> buffer;
    while (!in.empty()) {
        const std::string_view slice = in.substr(0, kMaxSlice);
        in.remove_prefix(slice.size());
        s.started = true;
        s.z.next_in = input_bytes(slice);
        s.z.avail_in = static_cast<uInt>(slice.size());
        while (true) {
            if (s.member_end && s.z.avail_in > 0) {
                // RFC 1952 2.2: another member follows the one that ended.
                inflateReset(&s.z);
                s.member_end = false;
            }
            s.z.next_out = buffer.data();
            s.z.avail_out = static_cast<uInt>(buffer.size());
            const int ret = inflate(&s.z, Z_NO_FLUSH);
            const std::size_t produced = buffer.size() - s.z.avail_out;
            if (produced > s.max_output - s.total) {
                return fail("the gzip data decodes to more than " + std::to_string(s.max_output) +
                            " bytes");
            }
            s.total += produced;
            out.append(reinterpret_cast<const char*>(buffer.data()), produced);
            if (ret == Z_STREAM_END) {
                s.member_end = true;
                if (s.z.avail_in == 0) {
                    break;
                }
                continue;
            }
            if (ret == Z_BUF_ERROR) {
                break;  // no progress possible: zlib needs more input
            }
            if (ret != Z_OK) {
                return fail(std::string("corrupt gzip data: ") +
                            (s.z.msg != nullptr ? s.z.msg : "zlib error " + std::to_string(ret)));
            }
            if (s.z.avail_in == 0 && s.z.avail_out != 0) {
                break;  // all input taken and all output given
            }
        }
    }
    return out;
}

std::optional<Error> GzipDecoder::finish() const {
    if (state_->failed) {
        return state_->failed;
    }
    if (!state_->started) {
        return Error{"no gzip data"};
    }
    if (!state_->member_end) {
        return Error{"the gzip data ends early"};
    }
    return std::nullopt;
}

bool GzipDecoder::at_member_end() const {
    return state_->member_end;
}

std::size_t GzipDecoder::total_out() const {
    return state_->total;
}

std::string gzip_compress(std::string_view in, int level) {
    GzipEncoder encoder(level);
    return encoder.finish(in);
}

Result<std::string> gzip_decompress(std::string_view in, std::size_t max_output) {
    GzipDecoder decoder(max_output);
    auto out = decoder.decode(in);
    if (!out) {
        return out;
    }
    if (auto error = decoder.finish()) {
        return *error;
    }
    return out;
}

}  // namespace l7::http
