#include "core/json.hpp"

#include <gtest/gtest.h>

#include <string>

namespace l7::json {
namespace {

TEST(JsonQuote, PlainText) {
    EXPECT_EQ(quote(""), R"("")");
    EXPECT_EQ(quote("HELO crepes.fr"), R"("HELO crepes.fr")");
}

TEST(JsonQuote, QuoteAndBackslash) {
    EXPECT_EQ(quote(R"(say "hi")"), R"("say \"hi\"")");
    EXPECT_EQ(quote(R"(C:\dir\)"), R"("C:\\dir\\")");
    EXPECT_EQ(quote("/"), R"("/")");
}

TEST(JsonQuote, ShortEscapes) {
    EXPECT_EQ(quote("a\nb\rc\td"), R"("a\nb\rc\td")");
}

TEST(JsonQuote, OtherControlBytes) {
    EXPECT_EQ(quote(std::string("\0", 1)), R"("\u0000")");
    EXPECT_EQ(quote("\x01"), R"("\u0001")");
    EXPECT_EQ(quote("\b\f"), R"("\u0008\u000c")");
    EXPECT_EQ(quote("\x1b[31m"), R"("\u001b[31m")");
    EXPECT_EQ(quote("\x1f "), R"("\u001f ")");
}

TEST(JsonQuote, Delete) {
    EXPECT_EQ(quote("a\x7f"), R"("a\u007f")");
}

TEST(JsonQuote, ValidUtf8IsKept) {
    EXPECT_EQ(quote("cr\xc3\xaapes"), "\"cr\xc3\xaapes\"");        // 2 bytes: ê
    EXPECT_EQ(quote("\xe2\x82\xac"), "\"\xe2\x82\xac\"");          // 3 bytes: €
    EXPECT_EQ(quote("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");  // 4 bytes: U+1F600
    EXPECT_EQ(quote("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");  // U+10FFFF, the last
    EXPECT_EQ(quote("\xef\xbf\xbd"), "\"\xef\xbf\xbd\"");          // U+FFFD
}

TEST(JsonQuote, InvalidUtf8BytesAreEscaped) {
    EXPECT_EQ(quote("\xff"), R"("\u00ff")");
    EXPECT_EQ(quote("a\x80z"), R"("a\u0080z")");                  // lone continuation
    EXPECT_EQ(quote("\xc3"), R"("\u00c3")");                      // truncated at the end
    EXPECT_EQ(quote("\xc3z"), R"("\u00c3z")");                    // lead without continuation
    EXPECT_EQ(quote("\xe2\x82"), R"("\u00e2\u0082")");            // truncated 3-byte
    EXPECT_EQ(quote("\xc0\x80"), R"("\u00c0\u0080")");            // overlong NUL
    EXPECT_EQ(quote("\xe0\x80\xaf"), R"("\u00e0\u0080\u00af")");  // overlong '/'
    EXPECT_EQ(quote("\xed\xa0\x80"), R"("\u00ed\u00a0\u0080")");  // surrogate U+D800
    EXPECT_EQ(quote("\xf4\x90\x80\x80"), R"("\u00f4\u0090\u0080\u0080")");  // above U+10FFFF
    EXPECT_EQ(quote("\xf5\x80\x80\x80"), R"("\u00f5\u0080\u0080\u0080")");
    // The valid sequence after a bad byte is kept.
    EXPECT_EQ(quote("\xff\xc3\xaa"), "\"\\u00ff\xc3\xaa\"");
}

TEST(JsonAppendString, AppendsToExistingText) {
    std::string out = "{\"msg\":";
    append_string(out, "a\"b");
    out += '}';
    EXPECT_EQ(out, R"({"msg":"a\"b"})");
}

}  // namespace
}  // namespace l7::json
