#pragma once
// Content-Transfer-Encoding (RFC 2045 section 6): how a MIME body is made safe for a 7-bit,
// line-oriented transport, and undone.
//
//   7bit, 8bit, binary   identity: the body is what it says it is
//   quoted-printable     section 6.7: printable ASCII as is, other bytes as =XX, lines of at
//                        most 76 characters with "=" soft line breaks
//   base64               section 6.8: RFC 4648 base64 in lines of at most 76 characters
//
// Encoding is strict; decoding is lenient, as section 6.7 and 6.8 ask of readers: a malformed
// =XX escape is kept as it was written, whitespace that transport added at the end of a
// quoted-printable line is dropped, and base64 ignores every character outside its alphabet
// (line breaks, spaces, junk) and tolerates missing padding. Neither decoder fails, and the
// output is never longer than the input.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace l7::mail {

// RFC 2045 6.7 (5) and 6.8: encoded lines are at most 76 characters without the CRLF.
inline constexpr std::size_t kMaxEncodedLineLength = 76;

enum class TransferEncoding {
    seven_bit,
    eight_bit,
    binary,
    quoted_printable,
    base64,
    unknown,  // anything else (x-uuencode, typos): the body cannot be decoded
};

// The encoding a Content-Transfer-Encoding value names: case-insensitive, surrounding
// whitespace and a trailing comment ignored. Empty (the field is absent) is 7bit (RFC 2045
// section 6.1).
TransferEncoding parse_transfer_encoding(std::string_view value);
// The value to write: "7bit", "8bit", "binary", "quoted-printable", "base64" ("" for unknown).
std::string_view transfer_encoding_name(TransferEncoding e);

enum class QuotedPrintableMode {
    text,    // CRLF and bare LF are line breaks, written as CRLF; a lone CR is encoded
    binary,  // every byte is data: CR and LF are encoded as =0D and =0A
};

std::string quoted_printable_encode(std::string_view data,
                                    QuotedPrintableMode mode = QuotedPrintableMode::text);
// Line breaks are kept as written (CRLF or LF); soft line breaks ("=" at a line's end, maybe
// followed by whitespace) are removed.
std::string quoted_printable_decode(std::string_view text);

// Base64 in lines of 76 characters, each ending in CRLF (the last one too); empty for empty.
std::string base64_encode_lines(std::string_view data);
// See above; a final lone character (6 bits, not a byte) is dropped.
std::string base64_decode_lenient(std::string_view text);

enum class TransferError {
    unknown_encoding,  // the Content-Transfer-Encoding names no encoding we know
};
std::string_view describe(TransferError e);

// `body` decoded according to the Content-Transfer-Encoding value `cte` (as in the field;
// empty when absent). Identity encodings give the body back unchanged.
Result<std::string, TransferError> decode_transfer_encoding(std::string_view body,
                                                            std::string_view cte);

}  // namespace l7::mail
