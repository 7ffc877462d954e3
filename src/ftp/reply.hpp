#pragma once
// FTP replies (RFC 959 4.2): a three-digit code and text, on one line ("200 Command okay.") or
// several ("211-Features:" ... "211 End"). The server renders them; the client parses them.
//
// Multi-line form: the first line is "CODE-text", the last "CODE text"; the lines between are
// free text, but one that could pass for the last line (starting with three digits and a
// space) would end the reply early in a naive client, so render_reply() starts every middle
// line with a space, as RFC 959 4.2 advises.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace l7::ftp {

struct FtpReply {
    int code = 0;                    // 100..599
    std::vector<std::string> lines;  // the text of each line, without code, separator, CRLF

    // The text of the last line, or of the first for a multi-line reply (the one that says
    // something: "227 Entering Passive Mode (...)" is a single line).
    std::string_view text() const { return lines.empty() ? std::string_view() : lines.front(); }
    bool positive_preliminary() const { return code / 100 == 1; }
    bool positive_completion() const { return code / 100 == 2; }
    bool positive_intermediate() const { return code / 100 == 3; }
    bool transient_negative() const { return code / 100 == 4; }
    bool permanent_negative() const { return code / 100 == 5; }
};

// "CODE text\r\n", or the multi-line form when `text` holds '\n' (each '\n' starts a line;
// CR and other control characters in the text become spaces).
std::string render_reply(int code, std::string_view text);
// The multi-line form with `first` and `last` around the middle lines (FEAT, STAT, HELP,
// MLST): "CODE-first", " line"..., "CODE last".
std::string render_multiline(int code, std::string_view first,
                             const std::vector<std::string>& middle, std::string_view last);

struct FtpReplyLimits {
    std::size_t max_line = 8192;    // bytes of one line, CRLF included
    std::size_t max_lines = 10000;  // lines of one reply (a STAT listing can be long)
};

// Collects replies from the bytes a server sends. Sans-I/O: feed(), then next() until it says
// it needs more. A line that is too long, a reply with too many lines, or a first line that
// does not start with a code make it fail for good (the connection is useless then).
class FtpReplyParser {
  public:
    explicit FtpReplyParser(FtpReplyLimits limits = {}) : limits_(limits) {}

    void feed(std::string_view bytes);

    enum class Status { reply, need_more, error };
    Status next(FtpReply& out);
    // Why it failed, after Status::error.
    const std::string& error() const { return error_; }
    // Bytes fed but not yet parsed.
    std::size_t buffered() const { return buffer_.size() - start_; }

  private:
    Status fail(std::string why);

    FtpReplyLimits limits_;
    std::string buffer_;
    std::size_t start_ = 0;
    std::optional<FtpReply> partial_;  // a multi-line reply whose last line has not come
    std::string error_;
};

}  // namespace l7::ftp
