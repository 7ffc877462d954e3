#include "mail/smtp/reply.hpp"

#include <cassert>

namespace l7::mail {

std::string format_enhanced_status(EnhancedStatus status) {
    return std::to_string(status.klass) + "." + std::to_string(status.subject) + "." +
           std::to_string(status.detail);
}

SmtpReply smtp_reply(unsigned code, EnhancedStatus status, std::string text) {
    return SmtpReply{code, status, {std::move(text)}};
}

SmtpReply smtp_reply(unsigned code, std::string text) {
    return SmtpReply{code, std::nullopt, {std::move(text)}};
}

void append_reply(std::string& out, const SmtpReply& reply, bool enhanced) {
    assert(reply.code >= 200 && reply.code <= 599);
    const std::string code = std::to_string(reply.code);
    const std::string status =
        enhanced && reply.status ? format_enhanced_status(*reply.status) + " " : std::string();
    const std::size_t count = reply.lines.empty() ? 1 : reply.lines.size();
    for (std::size_t i = 0; i < count; ++i) {
        out += code;
        out += i + 1 < count ? '-' : ' ';
        out += status;
        if (!reply.lines.empty()) {
            for (char c : reply.lines[i]) {
                out += c == '\r' || c == '\n' ? ' ' : c;
            }
        }
        out += "\r\n";
    }
}

std::string format_reply(const SmtpReply& reply, bool enhanced) {
    std::string out;
    append_reply(out, reply, enhanced);
    return out;
}

}  // namespace l7::mail
