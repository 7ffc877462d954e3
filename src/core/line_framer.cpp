#include "core/line_framer.hpp"

namespace l7 {

void LineFramer::append(std::string_view bytes) {
    compact();
    buf_.append(bytes);
}

void LineFramer::compact() {
    if (start_ > 0 && (start_ == buf_.size() || start_ > 4096)) {
        buf_.erase(0, start_);
        start_ = 0;
    }
}

LineFramer::Next LineFramer::next_line() {
    while (true) {
        const std::size_t from = start_ + scanned_;
        const std::size_t lf = buf_.find('\n', from);
        if (discarding_) {
            if (lf == std::string::npos) {
                start_ = buf_.size();
                scanned_ = 0;
                return {Status::need_more, {}};
            }
            start_ = lf + 1;
            scanned_ = 0;
            discarding_ = false;
            continue;
        }
        if (lf == std::string::npos) {
            scanned_ = buf_.size() - start_;
            // A CR at the end may be the first half of the CRLF: not part of the line.
            const std::size_t pending = scanned_ - (scanned_ > 0 && buf_.back() == '\r' ? 1 : 0);
            if (pending > max_line_) {
                // Report once, then drop the rest of this line as it arrives.
                discarding_ = true;
                start_ = buf_.size();
                scanned_ = 0;
                return {Status::too_long, {}};
            }
            return {Status::need_more, {}};
        }
        std::size_t end = lf;
        if (end > start_ && buf_[end - 1] == '\r') {
            --end;
        }
        const std::size_t length = end - start_;
        const std::size_t line_start = start_;
        start_ = lf + 1;
        scanned_ = 0;
        if (length > max_line_) {
            return {Status::too_long, {}};
        }
        return {Status::line, std::string_view(buf_).substr(line_start, length)};
    }
}

std::string LineFramer::take_rest() {
    std::string rest = buf_.substr(start_);
    buf_.clear();
    start_ = 0;
    scanned_ = 0;
    discarding_ = false;
    return rest;
}

}  // namespace l7
