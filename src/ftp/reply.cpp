#include "ftp/reply.hpp"

#include <cctype>

namespace l7::ftp {
namespace {

void append_clean(std::string& out, std::string_view text) {
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f) ? ' ' : c;
    }
}

std::string code_text(int code) {
    return std::to_string(code);
}

bool starts_with_code(std::string_view line) {
    return line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
           std::isdigit(static_cast<unsigned char>(line[1])) &&
           std::isdigit(static_cast<unsigned char>(line[2]));
}

void append_middle(std::string& out, std::string_view line) {
    out += ' ';
    append_clean(out, line);
    out += "\r\n";
}

}  // namespace

std::string render_reply(int code, std::string_view text) {
    const std::size_t newline = text.find('\n');
    std::string out = code_text(code);
    if (newline == std::string_view::npos) {
        out += ' ';
        append_clean(out, text);
        out += "\r\n";
        return out;
    }
    out += '-';
    append_clean(out, text.substr(0, newline));
    out += "\r\n";
    std::string_view rest = text.substr(newline + 1);
    for (std::size_t end = rest.find('\n'); end != std::string_view::npos; end = rest.find('\n')) {
        append_middle(out, rest.substr(0, end));
        rest.remove_prefix(end + 1);
    }
    out += code_text(code);
    out += ' ';
    append_clean(out, rest);
    out += "\r\n";
    return out;
}

std::string render_multiline(int code, std::string_view first,
                             const std::vector<std::string>& middle, std::string_view last) {
    std::string out = code_text(code);
    out += '-';
    append_clean(out, first);
    out += "\r\n";
    for (const std::string& line : middle) {
        append_middle(out, line);
    }
    out += code_text(code);
    out += ' ';
    append_clean(out, last);
    out += "\r\n";
    return out;
}

void FtpReplyParser::feed(std::string_view bytes) {
    if (!error_.empty()) {
        return;
    }
    if (start_ > 0 && start_ == buffer_.size()) {
        buffer_.clear();
        start_ = 0;
    } else if (start_ > 4096 && start_ * 2 > buffer_.size()) {
        buffer_.erase(0, start_);
        start_ = 0;
    }
    buffer_.append(bytes);
}

FtpReplyParser::Status FtpReplyParser::fail(std::string why) {
    error_ = std::move(why);
    return Status::error;
}

FtpReplyParser::Status FtpReplyParser::next(FtpReply& out) {
    if (!error_.empty()) {
        return Status::error;
    }
    for (;;) {
        const std::size_t lf = buffer_.find('\n', start_);
        if (lf == std::string::npos) {
            if (buffered() > limits_.max_line) {
                return fail("a reply line is longer than " + std::to_string(limits_.max_line) +
                            " bytes");
            }
            return Status::need_more;
        }
        std::string_view line(buffer_.data() + start_, lf - start_);
        start_ = lf + 1;
        if (line.size() + 1 > limits_.max_line) {
            return fail("a reply line is longer than " + std::to_string(limits_.max_line) +
                        " bytes");
        }
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (!partial_) {
            if (!starts_with_code(line) || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
                return fail("the server sent a line that is not a reply: \"" +
                            std::string(line.substr(0, 80)) + "\"");
            }
            const int code = std::stoi(std::string(line.substr(0, 3)));
            if (code < 100 || code > 599) {
                return fail("the server sent reply code " + std::to_string(code));
            }
            FtpReply reply;
            reply.code = code;
            reply.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
            if (line.size() > 3 && line[3] == '-') {
                partial_ = std::move(reply);
                continue;
            }
            out = std::move(reply);
            return Status::reply;
        }
        // RFC 959 4.2: the reply ends at a line with the same code followed by a space.
        if (partial_->lines.size() >= limits_.max_lines) {
            return fail("a reply has more than " + std::to_string(limits_.max_lines) + " lines");
        }
        const std::string code = std::to_string(partial_->code);
        if (line.size() >= 3 && line.substr(0, 3) == code && (line.size() == 3 || line[3] == ' ')) {
            partial_->lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
            out = std::move(*partial_);
            partial_.reset();
            return Status::reply;
        }
        partial_->lines.emplace_back(line);
    }
}

}  // namespace l7::ftp
