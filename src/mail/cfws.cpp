#include "mail/cfws.hpp"

namespace l7::mail {

CfwsStatus skip_comment(std::string_view text, std::size_t& pos, int max_depth) {
    int depth = 0;
    while (pos < text.size()) {
        const char c = text[pos++];
        if (c == '\\' && pos < text.size()) {
            ++pos;  // quoted-pair
        } else if (c == '(') {
            if (++depth > max_depth) {
                pos = text.size();
                return CfwsStatus::comment_too_deep;
            }
        } else if (c == ')' && --depth == 0) {
            return CfwsStatus::ok;
        }
    }
    return CfwsStatus::unterminated_comment;
}

CfwsStatus skip_cfws(std::string_view text, std::size_t& pos, int max_depth) {
    while (pos < text.size()) {
        const char c = text[pos];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            ++pos;
        } else if (c == '(') {
            if (const CfwsStatus s = skip_comment(text, pos, max_depth); s != CfwsStatus::ok) {
                return s;
            }
        } else {
            break;
        }
    }
    return CfwsStatus::ok;
}

}  // namespace l7::mail
