#pragma once
// CFWS (RFC 5322 3.2.2): the white space, line breaks and comments that may stand between
// the tokens of a structured header field. Comments nest, and hold quoted-pairs:
//
//   Mon, 30 Nov 2026 16:15:21 +0100 (CET (Paris \) time))
//
// Shared by the address, date and MIME parameter readers.

#include <cstddef>
#include <string_view>

namespace l7::mail {

enum class CfwsStatus {
    ok,
    unterminated_comment,  // a '(' whose ')' never comes
    comment_too_deep,      // comments nested deeper than the caller allows
};

// Advances `pos` past CFWS in `text`. On an error `pos` is text.size(): a reader that
// tolerates it (MIME) can go on, and finds nothing more.
CfwsStatus skip_cfws(std::string_view text, std::size_t& pos, int max_depth);

// Advances `pos` past the comment that starts at text[pos] ('('); errors as skip_cfws.
CfwsStatus skip_comment(std::string_view text, std::size_t& pos, int max_depth);

}  // namespace l7::mail
