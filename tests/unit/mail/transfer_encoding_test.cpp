// Content-Transfer-Encoding (RFC 2045 section 6): quoted-printable and base64 both ways, the
// encoding names, and decoding a body.

#include <gtest/gtest.h>

#include <string>

#include "mail/transfer_encoding.hpp"

namespace l7::mail {
namespace {

// Every line of `text` (CRLF-separated) is at most 76 characters.
void expect_short_lines(const std::string& text) {
    std::size_t begin = 0;
    while (begin < text.size()) {
        std::size_t end = text.find("\r\n", begin);
        if (end == std::string::npos) {
            end = text.size();
        }
        EXPECT_LE(end - begin, kMaxEncodedLineLength) << text.substr(begin, end - begin);
        begin = end + 2;
    }
}

std::string all_bytes() {
    std::string s;
    for (int i = 0; i < 256; ++i) {
        s += static_cast<char>(i);
    }
    return s;
}

TEST(QuotedPrintable, EncodesWhatIsNotPrintableAndTrailingWhitespace) {
    struct Case {
        std::string_view in, out;
    };
    const Case cases[] = {
        {"Hello=World", "Hello=3DWorld"},
        {"caf\xC3\xA9", "caf=C3=A9"},
        {"a b\tc", "a b\tc"},
        {"end space \r\nend tab\t\r\n", "end space=20\r\nend tab=09\r\n"},
        {"last space ", "last space=20"},
        {"lf\nline", "lf\r\nline"},  // text: line breaks become CRLF
        {"lone\rcr", "lone=0Dcr"},
        {std::string_view("nul\0", 4), "nul=00"},
        {"", ""},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(quoted_printable_encode(c.in), c.out) << c.in;
    }
    EXPECT_EQ(quoted_printable_encode("a\r\nb", QuotedPrintableMode::binary), "a=0D=0Ab");
}

TEST(QuotedPrintable, SoftLineBreaksKeepLinesWithin76) {
    EXPECT_EQ(quoted_printable_encode(std::string(76, 'x')), std::string(76, 'x'));
    EXPECT_EQ(quoted_printable_encode(std::string(77, 'x')), std::string(75, 'x') + "=\r\nxx");
    // An escape is never split: 74 + "=C3" would reach 77.
    EXPECT_EQ(quoted_printable_encode(std::string(74, 'x') + "\xC3\xA9"),
              std::string(74, 'x') + "=\r\n=C3=A9");
    // A trailing space that lands on the edge is still escaped.
    EXPECT_EQ(quoted_printable_encode(std::string(74, 'x') + " "),
              std::string(74, 'x') + "=\r\n=20");
    std::string long_text;
    for (int i = 0; i < 40; ++i) {
        long_text += all_bytes();
    }
    expect_short_lines(quoted_printable_encode(long_text));
    expect_short_lines(quoted_printable_encode(long_text, QuotedPrintableMode::binary));
}

TEST(QuotedPrintable, DecodesLeniently) {
    struct Case {
        std::string_view in, out;
    };
    const Case cases[] = {
        {"Hello=3DWorld", "Hello=World"},
        {"caf=c3=a9", "caf\xC3\xA9"},  // lowercase hex
        {"soft=\r\nbreak", "softbreak"},
        {"soft=\nbreak", "softbreak"},
        {"soft=  \t\r\nbreak", "softbreak"},  // whitespace added after the '='
        {"trailing   \r\nspace\t\n", "trailing\r\nspace\n"},
        {"kept=20\r\n", "kept \r\n"},
        {"bad=G1 =4 =", "bad=G1 =4 "},  // a final '=' is a soft break at the end
        {"=\r\n", ""},
        {"x=", "x"},
        {"=Z=\r\nA", "=ZA"},
        {"lf\nonly\n", "lf\nonly\n"},
        {"no break at end", "no break at end"},
        {"", ""},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(quoted_printable_decode(c.in), c.out) << c.in;
    }
}

TEST(QuotedPrintable, RoundTrips) {
    const std::string bytes = all_bytes() + all_bytes();
    EXPECT_EQ(quoted_printable_decode(quoted_printable_encode(bytes, QuotedPrintableMode::binary)),
              bytes);
    const std::string text = "Lines with trailing spaces   \r\n\tand tabs\t\r\n" +
                             std::string(200, 'y') +
                             "\r\n=?not a word?=\r\n\r\nGr\xC3\xBC\xC3\x9F"
                             "e\r\n";
    EXPECT_EQ(quoted_printable_decode(quoted_printable_encode(text)), text);
}

TEST(Base64Lines, EncodesIn76CharacterLines) {
    EXPECT_EQ(base64_encode_lines(""), "");
    EXPECT_EQ(base64_encode_lines("hello"), "aGVsbG8=\r\n");
    const std::string fifty_seven(57, 'a');  // exactly one 76-character line
    EXPECT_EQ(base64_encode_lines(fifty_seven).size(), 78u);
    const std::string encoded = base64_encode_lines(all_bytes());
    expect_short_lines(encoded);
    EXPECT_TRUE(encoded.ends_with("\r\n"));
    EXPECT_EQ(base64_decode_lenient(encoded), all_bytes());
}

TEST(Base64Lines, DecodingIgnoresWhatIsNotBase64) {
    struct Case {
        std::string_view in, out;
    };
    const Case cases[] = {
        {"aGVs\r\nbG8=\r\n", "hello"},
        {" aG Vs\tbG8 = ", "hello"},
        {"aGVsbG8", "hello"},  // no padding
        {"aGVsbG8=!junk after padding", "hello"},
        {"a!G@V#s$bG8", "hello"},  // junk characters skipped (RFC 2045 6.8)
        {"aGVsbG8x", "hello1"},
        {"aGVsbG8xZ", "hello1"},  // a final lone character is no byte
        {"", ""},
        {"====", ""},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(base64_decode_lenient(c.in), c.out) << c.in;
    }
}

TEST(TransferEncoding, NamesAreCaseInsensitive) {
    struct Case {
        std::string_view value;
        TransferEncoding encoding;
    };
    const Case cases[] = {
        {"", TransferEncoding::seven_bit},
        {"7bit", TransferEncoding::seven_bit},
        {" 7BIT (plain) ", TransferEncoding::seven_bit},
        {"8Bit", TransferEncoding::eight_bit},
        {"binary", TransferEncoding::binary},
        {"Quoted-Printable", TransferEncoding::quoted_printable},
        {"BASE64", TransferEncoding::base64},
        {"base64;", TransferEncoding::base64},
        {"x-uuencode", TransferEncoding::unknown},
        {"base 64", TransferEncoding::unknown},
    };
    for (const Case& c : cases) {
        EXPECT_EQ(parse_transfer_encoding(c.value), c.encoding) << c.value;
    }
    EXPECT_EQ(transfer_encoding_name(TransferEncoding::quoted_printable), "quoted-printable");
    EXPECT_EQ(transfer_encoding_name(TransferEncoding::seven_bit), "7bit");
    EXPECT_EQ(transfer_encoding_name(TransferEncoding::unknown), "");
}

TEST(TransferEncoding, DecodesABodyByItsEncoding) {
    EXPECT_EQ(*decode_transfer_encoding("caf=C3=A9=\r\n!", "quoted-printable"), "caf\xC3\xA9!");
    EXPECT_EQ(*decode_transfer_encoding("aGVs\r\nbG8=\r\n", "Base64"), "hello");
    EXPECT_EQ(*decode_transfer_encoding("as =3D is", ""), "as =3D is");
    EXPECT_EQ(*decode_transfer_encoding(std::string_view("\0\xFF", 2), "binary"),
              std::string_view("\0\xFF", 2));
    auto unknown = decode_transfer_encoding("begin 644 x", "x-uuencode");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error(), TransferError::unknown_encoding);
    EXPECT_EQ(describe(unknown.error()), "unknown Content-Transfer-Encoding");
}

}  // namespace
}  // namespace l7::mail
