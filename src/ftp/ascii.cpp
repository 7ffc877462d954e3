#include "ftp/ascii.hpp"

namespace l7::ftp {

void AsciiEncoder::encode(std::string_view chunk, std::string& out) {
    out.reserve(out.size() + chunk.size() + chunk.size() / 16);
    for (char c : chunk) {
        if (c == '\n' && !last_was_cr_) {
            out += '\r';
        }
        out += c;
        last_was_cr_ = c == '\r';
    }
}

void AsciiDecoder::decode(std::string_view chunk, std::string& out) {
    out.reserve(out.size() + chunk.size());
    for (char c : chunk) {
        if (pending_cr_) {
            pending_cr_ = false;
            if (c != '\n') {
                out += '\r';
            }
        }
        if (c == '\r') {
            pending_cr_ = true;
            continue;
        }
        out += c;
    }
}

void AsciiDecoder::finish(std::string& out) {
    if (pending_cr_) {
        out += '\r';
        pending_cr_ = false;
    }
}

}  // namespace l7::ftp
