#pragma once
// RFC 2047 encoded-words, the way non-ASCII text travels in a header: "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?="
// in a Subject, a display name or a comment, and the charsets they may name.
//
//   encoded-word = "=?" charset ["*" language] "?" ( "B" / "Q" ) "?" encoded-text "?="
//                  (the language is RFC 2231 section 5's addition)
//
// Decoding is lenient in the ways mail clients are: a well-formed word is decoded wherever it
// stands (also inside a quoted string or glued to other text), B text may lack its padding,
// and a word longer than RFC 2047's 75 characters is still a word. Whitespace between two
// encoded words is dropped (RFC 2047 section 6.2), and adjacent words in the same charset are
// joined before conversion, so a character split across two words comes out whole. Text
// outside encoded words is passed through unchanged.
//
// Charsets converted to UTF-8: UTF-8, US-ASCII and ISO-8859-1 (with their common aliases).
// A word in any other charset, or one whose text does not decode, is left as it was written.
// Bytes that are not valid in their charset become U+FFFD.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace l7::mail {

// RFC 2047 section 2: an encoded word is at most 75 characters long (what we write).
inline constexpr std::size_t kMaxEncodedWordLength = 75;
// Longer charset names are not charset names (the longest IANA name is 45 characters).
inline constexpr std::size_t kMaxCharsetName = 64;

// `bytes` in `charset` (case-insensitive, an IANA name or alias) converted to UTF-8, invalid
// sequences replaced with U+FFFD; nullopt when the charset is not one of those above.
std::optional<std::string> charset_to_utf8(std::string_view charset, std::string_view bytes);

// Whether `text` is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view text);

// A header text (an unstructured value such as Subject, or a phrase) with its encoded words
// decoded to UTF-8. Never fails; linear in the size of `text`.
std::string decode_encoded_words(std::string_view text);

enum class WordEncoding {
    b,  // base64: compact for text that is mostly non-ASCII
    q,  // quoted-printable-like: readable for text that is mostly ASCII
};

// `utf8` as one or more "=?UTF-8?B?...?=" or "=?UTF-8?Q?...?=" words separated by single
// spaces (where a header may be folded; decoding drops them), each at most
// kMaxEncodedWordLength characters, split only between characters (an invalid byte counts as
// a character of its own). Q words use only the characters RFC 2047 5(3) allows in a phrase,
// so the result may stand in an unstructured field, a comment or a display name alike.
// Empty input gives an empty string.
std::string encode_encoded_words(std::string_view utf8, WordEncoding encoding);

// Whether `text` cannot go into a header as it is: it holds a byte outside printable ASCII
// (other than space and tab), "=?" (a decoder would take it for an encoded word), or a run
// without whitespace too long for a header line.
bool needs_encoding(std::string_view text);

// `text` as it is when it does not need encoding, else as encoded words: Q when at most a
// third of its bytes need escaping (mostly ASCII text stays readable), else B. For Subject and
// other unstructured fields, and display names.
std::string encode_header_text(std::string_view text);

}  // namespace l7::mail
