// Mailbox names: modified UTF-7 both ways (RFC 3501 5.1.3), with every non-canonical spelling
// refused, and the LIST wildcards "*" and "%" (RFC 3501 6.3.8).

#include "mail/imap/mailbox_name.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace l7::mail::imap {
namespace {

TEST(MailboxName, RoundTripsTheRfcExamplesAndMore) {
    const std::pair<std::string_view, std::string_view> cases[] = {
        // RFC 3501 5.1.3's example: 台北 and 日本語.
        {"~peter/mail/&U,BTFw-/&ZeVnLIqe-",
         "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"},
        {"INBOX", "INBOX"},
        {"", ""},
        {"&-", "&"},
        {"Tom &- Jerry", "Tom & Jerry"},
        {"Entw&APw-rfe",
         "Entw\xc3\xbc"
         "rfe"},                                     // Entwürfe
        {"&AOQA9gD8-", "\xc3\xa4\xc3\xb6\xc3\xbc"},  // three units, 48 bits
        {"&AOQ-&-", "\xc3\xa4&"},                    // a run, then "&"
        {"&2D3eAA-", "\xf0\x9f\x98\x80"},            // U+1F600: a surrogate pair
        {"a&AAk-b", "a\tb"},                         // a control character
        {"&AH8-", "\x7f"},                           // DEL is not printable
        {"&,,8-", "\xef\xbf\xbf"},                   // U+FFFF: "," is base64 63
        {"~!\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}", "~!\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}"},
    };
    for (const auto& [mutf7, utf8] : cases) {
        const auto decoded = decode_mailbox_name(mutf7);
        ASSERT_TRUE(decoded.ok()) << mutf7 << ": " << decoded.error().message;
        EXPECT_EQ(*decoded, utf8) << mutf7;
        EXPECT_EQ(encode_mailbox_name(utf8), mutf7) << mutf7;
    }
}

TEST(MailboxName, RefusesMalformedAndNonCanonicalNames) {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"Entw\xc3\xbcrfe", "invalid character"},  // 8-bit: must be encoded
        {"a\tb", "invalid character"},             // a control character as itself
        {"&U,BTFw", "unterminated"},               // no "-"
        {"&", "unterminated"},
        {"&U/BTFw-", "invalid base64"},      // "/" is "," here
        {"&U,BTFw=-", "invalid base64"},     // no padding
        {"&AGE-", "printable ASCII"},        // "a" encoded
        {"&ACY-", "printable ASCII"},        // "&" encoded instead of "&-"
        {"&AOQ-&APY-", "two encoded runs"},  // should be one run "&AOQA9g-"
        {"&AOR-", "non-canonical"},          // left-over bits not zero
        {"&AOQA-", "non-canonical"},         // a whole base64 character too many
        {"&A-", "non-canonical"},            // 6 bits: no unit at all
        {"&2D0-", "unpaired"},               // a high surrogate alone
        {"&3gA-", "unpaired"},               // a low surrogate alone
        {"&2D0AQQ-", "unpaired"},            // a high surrogate, then not a low one
    };
    for (const auto& [mutf7, why] : cases) {
        const auto decoded = decode_mailbox_name(mutf7);
        ASSERT_FALSE(decoded.ok()) << mutf7;
        EXPECT_NE(decoded.error().message.find(why), std::string::npos)
            << mutf7 << ": " << decoded.error().message;
    }
}

TEST(MailboxName, EncodingReplacesMalformedUtf8) {
    EXPECT_EQ(encode_mailbox_name("a\xff"
                                  "b"),
              "a&,,0-b");                                          // U+FFFD
    EXPECT_EQ(encode_mailbox_name("\xed\xa0\x80"), "&,,3,,f,9-");  // a UTF-8 surrogate: 3 x
    EXPECT_EQ(encode_mailbox_name("\xc0\xaf"), "&,,3,,Q-");        // overlong "/": 2 x
    for (const auto& name : {encode_mailbox_name("a\xff"
                                                 "b"),
                             encode_mailbox_name("\xc0\xaf")}) {
        EXPECT_TRUE(decode_mailbox_name(name).ok()) << name;
    }
}

TEST(ListPattern, WildcardsAndTheDelimiter) {
    struct Case {
        std::string_view pattern;
        std::string_view name;
        bool matches;
    };
    const Case cases[] = {
        {"*", "", true},
        {"*", "a/b/c", true},
        {"%", "abc", true},
        {"%", "a/b", false},
        {"%/%", "a/b", true},
        {"%/%", "a/b/c", false},
        {"a/*", "a/b/c", true},
        {"a/%", "a/b/c", false},
        {"a/%", "a/", true},
        {"INBOX", "INBOX", true},
        {"INBOX", "inbox", false},  // case-sensitive; a session normalises INBOX
        {"IN%X", "INBOX", true},
        {"*x", "abc", false},
        {"*c", "abc", true},
        {"a*b*c", "aXbYbZc", true},
        {"a*b*c", "aXbYbZ", false},
        {"%%a", "bca", true},
        {"", "", true},
        {"", "a", false},
        {"a", "", false},
        {"a%b*", "a/b", false},
        {"*/%", "x/y/z", true},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(list_pattern_matches(c.pattern, c.name, '/'), c.matches)
            << c.pattern << " vs " << c.name;
    }
    // Another delimiter, and none at all (a flat namespace).
    EXPECT_TRUE(list_pattern_matches("%", "a/b", '.'));
    EXPECT_FALSE(list_pattern_matches("%", "a.b", '.'));
    EXPECT_TRUE(list_pattern_matches("%", "a.b/c", '\0'));
}

TEST(ListPattern, ManyWildcardsDoNotBacktrack) {
    // Exponential with naive backtracking. A run of wildcards is one wildcard, and the
    // automaton reads each character of the name once per position of the pattern.
    std::string pattern;
    for (int i = 0; i < 2000; ++i) {
        pattern += "*%";
    }
    pattern += "x";
    const std::string name(4000, 'a');
    EXPECT_FALSE(list_pattern_matches(pattern, name, '/'));
    EXPECT_TRUE(list_pattern_matches(pattern, name + "x", '/'));
    EXPECT_TRUE(list_pattern_matches("%%%%x", "aaax", '/'));
    EXPECT_FALSE(list_pattern_matches("%%%%x", "a/ax", '/'));
    EXPECT_TRUE(list_pattern_matches("%%*%%x", "a/ax", '/'));

    std::string alternating;
    for (int i = 0; i < 200; ++i) {
        alternating += "a%";
    }
    EXPECT_FALSE(list_pattern_matches(alternating + "b", std::string(1000, 'a'), '/'));
    EXPECT_TRUE(list_pattern_matches(alternating + "b", std::string(1000, 'a') + "b", '/'));
}

}  // namespace
}  // namespace l7::mail::imap
