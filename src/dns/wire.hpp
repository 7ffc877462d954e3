#pragma once
// Bounds-checked reading and writing of DNS wire data (RFC 1035 section 4.1).
//
// WireReader never reads outside its span: a short read sets a sticky error and returns zeros,
// so a parser checks ok() once at the end of a record instead of after every field. Names are
// decompressed with pointers that must point strictly backwards (RFC 1035 4.1.4 allows only
// earlier occurrences), which also makes pointer loops impossible.
//
// WireWriter writes into a caller's buffer up to a limit (the client's UDP size) and remembers
// where names were written, so later names can point at them. A write past the limit sets
// overflow() and writes nothing; rewind() to a mark undoes a partial record, which is how a
// response is truncated at RRset boundaries.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace l7::dns {

class WireReader {
  public:
    explicit WireReader(std::span<const std::uint8_t> message, std::size_t pos = 0)
        : msg_(message), pos_(pos) {}

    bool ok() const { return error_ == nullptr; }
    const char* error() const { return error_; }
    void fail(const char* why) {
        if (error_ == nullptr) {
            error_ = why;
        }
    }

    std::size_t pos() const { return pos_; }
    std::size_t remaining() const { return pos_ <= msg_.size() ? msg_.size() - pos_ : 0; }
    std::span<const std::uint8_t> message() const { return msg_; }

    std::uint8_t u8();
    std::uint16_t u16();
    std::uint32_t u32();
    std::uint64_t u48();
    std::span<const std::uint8_t> bytes(std::size_t n);
    void skip(std::size_t n) { (void)bytes(n); }

    // Reads a name, following compression pointers, and writes its uncompressed wire form to
    // `out` (kMaxNameWire bytes of room). Returns the length written, 0 on error.
    std::size_t name(char* out);
    // The same, appended to a string.
    bool name(std::string& out);

  private:
    std::span<const std::uint8_t> msg_;
    std::size_t pos_;
    const char* error_ = nullptr;
};

class WireWriter {
  public:
    WireWriter(std::span<std::uint8_t> buffer, std::size_t limit)
        : buf_(buffer), limit_(limit < buffer.size() ? limit : buffer.size()) {}

    std::size_t size() const { return len_; }
    std::size_t limit() const { return limit_; }
    void set_limit(std::size_t limit) { limit_ = limit < buf_.size() ? limit : buf_.size(); }
    bool overflow() const { return overflow_; }
    std::span<const std::uint8_t> data() const { return buf_.first(len_); }

    void u8(std::uint8_t v);
    void u16(std::uint16_t v);
    void u32(std::uint32_t v);
    void u48(std::uint64_t v);
    void bytes(std::span<const std::uint8_t> b);
    void bytes(std::string_view b);
    void patch_u16(std::size_t at, std::uint16_t v);

    // Writes a validated uncompressed wire name; with `compress`, ends it with a pointer to an
    // earlier copy of its longest known suffix. Names written here become pointer targets
    // either way (RFC 3597 section 4: only well-known types may be compressed, but any name
    // may be pointed at).
    void name(std::string_view wire, bool compress);

    struct Mark {
        std::size_t size;
        std::size_t targets;
    };
    Mark mark() const { return {len_, targets_}; }
    void rewind(Mark m) {
        len_ = m.size;
        targets_ = m.targets;
        overflow_ = false;
    }

  private:
    bool room(std::size_t n);
    // Whether the name at message offset `at` (possibly compressed) equals `wire`.
    bool matches(std::size_t at, std::string_view wire) const;

    std::span<std::uint8_t> buf_;
    std::size_t limit_;
    std::size_t len_ = 0;
    bool overflow_ = false;
    // Offsets of labels already written (pointer targets must be below 0x4000).
    std::array<std::uint16_t, 128> target_offsets_{};
    // The uncompressed length of the name from each target on: only targets of the same
    // length can match, which rules out most of them without reading the message.
    std::array<std::uint8_t, 128> target_lengths_{};
    std::size_t targets_ = 0;
};

}  // namespace l7::dns
