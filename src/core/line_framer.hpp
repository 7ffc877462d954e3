#pragma once
// Splits a byte stream into lines, for every line protocol (the uppercase server now; SMTP,
// POP3, IMAP and FTP control later). A line ends at LF; a CR before it is removed. A line
// longer than the limit is an error the session answers in its protocol's own way.
//
// Sans-I/O: feed bytes with append(), take lines with next_line(). Views returned by
// next_line() stay valid until the next append() or next_line().

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace l7 {

class LineFramer {
  public:
    explicit LineFramer(std::size_t max_line = 8192) : max_line_(max_line) {}

    void append(std::string_view bytes);

    enum class Status { line, need_more, too_long };
    struct Next {
        Status status;
        std::string_view line;  // without the terminator; valid when status == line
    };
    // After too_long, the framer discards bytes up to and including the next LF, so a
    // session that wants to continue (SMTP answers 500 and goes on) can.
    Next next_line();

    // Bytes received but not yet returned as a line.
    std::size_t buffered() const { return buf_.size() - start_; }
    // The bytes not yet framed, and forget them (for protocols that switch to raw data).
    std::string take_rest();

  private:
    void compact();

    std::size_t max_line_;
    std::string buf_;
    std::size_t start_ = 0;    // first byte not yet returned
    std::size_t scanned_ = 0;  // bytes from start_ already known to hold no LF
    bool discarding_ = false;  // skipping the rest of an over-long line
};

}  // namespace l7
