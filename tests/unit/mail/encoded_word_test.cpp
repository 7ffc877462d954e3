// RFC 2047 encoded words: decoding (section 8's examples, the charsets, malformed words) and
// encoding (lengths, character boundaries, round trips).

#include <gtest/gtest.h>

#include <string>

#include "mail/encoded_word.hpp"

namespace l7::mail {
namespace {

TEST(EncodedWord, Rfc2047Section8Examples) {
    struct Case {
        std::string_view encoded, decoded;
    };
    const Case cases[] = {
        {"=?US-ASCII?Q?Keith_Moore?=", "Keith Moore"},
        {"=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?=", "Keld J\xC3\xB8rn Simonsen"},
        {"=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\xC3\xA9 Pirard"},
        {"(=?ISO-8859-1?Q?a?=)", "(a)"},
        {"(=?ISO-8859-1?Q?a?= b)", "(a b)"},
        {"(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"},
        {"(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"},
        {"(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"},
        {"(=?ISO-8859-1?Q?a_b?=)", "(a b)"},
        // ISO-8859-2 is not a charset we convert: that word stays as written.
        {"(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a =?ISO-8859-2?Q?_b?=)"},
        {"=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=    "
         "=?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
         "If you can read this yo    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?="},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(decode_encoded_words(c.encoded), c.decoded) << c.encoded;
    }
}

TEST(EncodedWord, DecodesLeniently) {
    struct Case {
        std::string_view encoded, decoded;
    };
    const Case cases[] = {
        {"=?utf-8?b?R3LDvMOfZQ==?=",
         "Gr\xC3\xBC\xC3\x9F"
         "e"},
        {"=?UTF-8?B?w6k?=", "\xC3\xA9"},          // padding missing
        {"=?UTF8?Q?caf=c3=a9?=", "caf\xC3\xA9"},  // alias, lowercase hex
        {"=?latin1?Q?=E9?=", "\xC3\xA9"},
        {"=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore"},  // RFC 2231 section 5 language
        {"Re: =?UTF-8?Q?caf=C3=A9?= ok", "Re: caf\xC3\xA9 ok"},
        {"x=?UTF-8?Q?y?=z", "xyz"},  // glued to text, as some mailers write it
        {"=?UTF-8?Q?a?==?UTF-8?Q?b?=", "ab"},
        // A character split across two words comes out whole.
        {"=?UTF-8?Q?=C3?= =?UTF-8?Q?=A9?=", "\xC3\xA9"},
        {"=?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?=", "\xC3\xA9\xC3\xA9"},
        // Different charsets are converted apart, the space between still dropped.
        {"=?ISO-8859-1?Q?=E9?= =?UTF-8?Q?=C3=A9?=", "\xC3\xA9\xC3\xA9"},
        {"=?UTF-8?Q?a=ZZ=?=", "a=ZZ="},       // a malformed escape is kept
        {"=?UTF-8?Q?=FF?=", "\xEF\xBF\xBD"},  // invalid UTF-8 becomes U+FFFD
        {"=?US-ASCII?Q?=E9?=", "\xEF\xBF\xBD"},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(decode_encoded_words(c.encoded), c.decoded) << c.encoded;
    }
}

TEST(EncodedWord, MalformedOrUnknownWordsStayAsWritten) {
    const std::string_view unchanged[] = {
        "=?KOI8-R?B?8NLJ18XU?=",  // charset we do not convert
        "=?UTF-8?B?***?=",        // not base64
        "=?UTF-8?X?abc?=",        // no such encoding
        "=?UTF-8?Q?abc",          // unterminated
        "=?UTF-8?Q?a b?=",        // space in the encoded text
        "=??Q?abc?=",             // empty charset
        "=?UTF-8?Q?a?b?=",        // '?' in the encoded text
        "a =? b ?= c",
        "=?",
        "?=",
        "=?UTF-8?",
        "plain text, caf\xC3\xA9 \xE9",  // outside words, bytes pass through
    };
    for (std::string_view text : unchanged) {
        EXPECT_EQ(decode_encoded_words(text), text);
    }
    // A plain word between two encoded words keeps the spaces around it.
    EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?a?= and =?UTF-8?Q?b?="), "a and b");
}

TEST(EncodedWord, HostileInputStaysLinear) {
    // Each of these used to be quadratic in naive decoders; here they finish at once.
    std::string many_starts;
    for (int i = 0; i < 50000; ++i) {
        many_starts += "=?";
    }
    EXPECT_EQ(decode_encoded_words(many_starts), many_starts);
    std::string prefixes;
    for (int i = 0; i < 20000; ++i) {
        prefixes += "=?a?q?";
    }
    EXPECT_EQ(decode_encoded_words(prefixes), prefixes);
    const std::string open = "=?UTF-8?Q?" + std::string(200000, 'x');
    EXPECT_EQ(decode_encoded_words(open), open);
    std::string words;
    for (int i = 0; i < 10000; ++i) {
        words += "=?UTF-8?B?w6k=?= ";
    }
    EXPECT_EQ(decode_encoded_words(words).size(), 20000u + 1u);  // the last space is kept
}

TEST(EncodedWord, CharsetsAndUtf8Validation) {
    EXPECT_EQ(charset_to_utf8("ISO-8859-1", "\xE9t\xE9"), "\xC3\xA9t\xC3\xA9");
    EXPECT_EQ(charset_to_utf8("Latin1", "\xFF"), "\xC3\xBF");
    EXPECT_EQ(charset_to_utf8("us-ascii", "ok\x80"), "ok\xEF\xBF\xBD");
    EXPECT_EQ(charset_to_utf8("utf-8", "\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(charset_to_utf8("windows-1251", "x"), std::nullopt);
    EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x82\xAC"));
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // a surrogate
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // cut short
    EXPECT_FALSE(is_valid_utf8("\x80"));
    EXPECT_TRUE(is_valid_utf8(""));
}

TEST(EncodedWord, EncodesQAndB) {
    const std::string_view text =
        "Gr\xC3\xBC\xC3\x9F"
        "e, Welt!";
    EXPECT_EQ(encode_encoded_words(text, WordEncoding::q), "=?UTF-8?Q?Gr=C3=BC=C3=9Fe=2C_Welt!?=");
    EXPECT_EQ(encode_encoded_words(text, WordEncoding::b), "=?UTF-8?B?R3LDvMOfZSwgV2VsdCE=?=");
    EXPECT_EQ(encode_encoded_words("", WordEncoding::q), "");
    // Characters that have a meaning in a phrase or comment are escaped in Q.
    EXPECT_EQ(encode_encoded_words("a\"(b)<c>,;:_=?", WordEncoding::q),
              "=?UTF-8?Q?a=22=28b=29=3Cc=3E=2C=3B=3A=5F=3D=3F?=");
}

TEST(EncodedWord, LongTextIsSplitIntoShortWordsBetweenCharacters) {
    std::string text;
    for (int i = 0; i < 60; ++i) {
        text += "\xE2\x82\xAC \xF0\x9F\x98\x80 a\xC3\xA9";  // 3-, 4- and 2-byte characters
    }
    for (WordEncoding enc : {WordEncoding::q, WordEncoding::b}) {
        const std::string encoded = encode_encoded_words(text, enc);
        std::size_t words = 0;
        for (std::size_t begin = 0; begin < encoded.size();) {
            std::size_t end = encoded.find(' ', begin);
            if (end == std::string::npos) {
                end = encoded.size();
            }
            const std::string word = encoded.substr(begin, end - begin);
            EXPECT_LE(word.size(), kMaxEncodedWordLength) << word;
            // Each word decodes to whole characters on its own.
            EXPECT_TRUE(is_valid_utf8(decode_encoded_words(word))) << word;
            EXPECT_EQ(decode_encoded_words(word).find("\xEF\xBF\xBD"), std::string::npos);
            ++words;
            begin = end + 1;
        }
        EXPECT_GT(words, 5u);
        EXPECT_EQ(decode_encoded_words(encoded), text);
    }
}

TEST(EncodedWord, RoundTripsAnyText) {
    const std::string_view texts[] = {
        "plain",
        "  leading and trailing  ",
        "under_score = equals ? question",
        "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE4\xBB\xB6\xE5\x90\x8D",
        "tab\tand \x01 control",
        "=?UTF-8?Q?looks_encoded?=",
    };
    for (std::string_view t : texts) {
        for (WordEncoding enc : {WordEncoding::q, WordEncoding::b}) {
            EXPECT_EQ(decode_encoded_words(encode_encoded_words(t, enc)), t) << t;
        }
        EXPECT_EQ(decode_encoded_words(encode_header_text(t)), t) << t;
    }
}

TEST(EncodedWord, EncodesOnlyWhatNeedsIt) {
    EXPECT_FALSE(needs_encoding("Saying Hello"));
    EXPECT_FALSE(needs_encoding("tab\there"));
    EXPECT_FALSE(needs_encoding(""));
    EXPECT_TRUE(needs_encoding("caf\xC3\xA9"));
    EXPECT_TRUE(needs_encoding("a=?b"));
    EXPECT_TRUE(needs_encoding("line\r\nbreak"));
    EXPECT_TRUE(needs_encoding("del\x7F"));
    EXPECT_FALSE(needs_encoding(std::string(900, 'x') + " y"));
    EXPECT_TRUE(needs_encoding(std::string(901, 'x') + " y"));
    EXPECT_EQ(encode_header_text("Saying Hello"), "Saying Hello");
    // Mostly ASCII: Q is shorter; mostly not: B is.
    EXPECT_EQ(encode_header_text("Re: caf\xC3\xA9"), "=?UTF-8?Q?Re=3A_caf=C3=A9?=");
    EXPECT_EQ(encode_header_text("\xE6\x97\xA5\xE6\x9C\xAC"), "=?UTF-8?B?5pel5pys?=");
}

}  // namespace
}  // namespace l7::mail
