#include "socket/uppercase.hpp"

namespace l7::socket {

std::string to_upper_ascii(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

UppercaseSession::UppercaseSession(UppercaseLimits limits)
    : framer_(limits.max_line), limits_(limits) {}

void UppercaseSession::receive(std::string_view bytes) {
    if (closing_) {
        return;
    }
    if (bytes.empty()) {
        closing_ = true;
        trace_.record(trace::Direction::note, "client closed the connection");
        return;
    }
    framer_.append(bytes);
    while (!closing_) {
        const auto next = framer_.next_line();
        if (next.status == LineFramer::Status::need_more) {
            break;
        }
        if (next.status == LineFramer::Status::too_long) {
            const std::string reply =
                "ERROR line longer than " + std::to_string(limits_.max_line) + " bytes";
            trace_.record(trace::Direction::to_server, "(a line over the limit)");
            trace_.record(trace::Direction::to_client, reply);
            output_ += reply + "\n";
            closing_ = true;
            break;
        }
        const std::string reply = to_upper_ascii(next.line);
        trace_.record(trace::Direction::to_server, next.line);
        trace_.record(trace::Direction::to_client, reply);
        output_ += reply;
        output_ += '\n';
    }
}

}  // namespace l7::socket
