#pragma once
// The command lines of a text protocol's client (SMTP, POP3, later IMAP), cut from the
// bytes a session has buffered: a line ends at LF, a CR before it is dropped. A line that
// grows past the limit before its LF comes is reported once (too_long) and the rest of it is
// skipped as it arrives, so an endless line costs no memory. The scanner remembers how far
// it has looked, so bytes that trickle in are not searched again.

#include <cstddef>
#include <string>
#include <string_view>

namespace l7::mail {

// Text from elsewhere (the configuration, a driver, the peer) going into a reply, a command,
// a header field or a trace: without line breaks or other controls, which could end a line
// early or rewrite a terminal.
inline std::string without_controls(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u != 0x7f) {
            out += c;
        }
    }
    return out;
}

class CommandLineScanner {
  public:
    enum class Status { line, need_more, too_long };

    // The next line of in[pos...] without its line end, advancing `pos` past it.
    // `max_unfinished`: how long (with its CRLF) a line may grow before its end arrives; a
    // complete line is returned whatever its length, for the caller's own per-command limit.
    Status next(const std::string& in, std::size_t& pos, std::size_t max_unfinished,
                std::string_view& line) {
        while (true) {
            const std::size_t lf = in.find('\n', pos + scanned_);
            if (discarding_) {
                scanned_ = 0;
                if (lf == std::string::npos) {
                    pos = in.size();
                    return Status::need_more;
                }
                pos = lf + 1;
                discarding_ = false;
                continue;
            }
            if (lf == std::string::npos) {
                scanned_ = in.size() - pos;
                const std::size_t pending = scanned_ - (scanned_ > 0 && in.back() == '\r' ? 1 : 0);
                if (pending + 2 > max_unfinished) {
                    discarding_ = true;  // answer now, and drop the rest of it as it comes
                    pos = in.size();
                    scanned_ = 0;
                    return Status::too_long;
                }
                return Status::need_more;
            }
            std::size_t end = lf;
            if (end > pos && in[end - 1] == '\r') {
                --end;
            }
            line = std::string_view(in).substr(pos, end - pos);
            pos = lf + 1;
            scanned_ = 0;
            return Status::line;
        }
    }

    // Forgets what it knew of the buffer (the session emptied it).
    void reset() {
        scanned_ = 0;
        discarding_ = false;
    }

  private:
    std::size_t scanned_ = 0;  // bytes after `pos` known to hold no LF
    bool discarding_ = false;  // skipping the rest of an over-long line
};

}  // namespace l7::mail
