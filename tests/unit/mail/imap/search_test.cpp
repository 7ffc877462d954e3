// IMAP4rev1 SEARCH keys evaluated on one message (RFC 3501 6.4.4): every key matching and not
// matching, laziness (flags never read the message; the message is read once), and messages
// that are malformed or beyond the MIME parser's limits.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mail/imap/fetch.hpp"
#include "mail/imap/search.hpp"

namespace l7::mail::imap {
namespace {

using Kind = SearchKey::Kind;

std::string crlf(std::string_view lf_text) {
    std::string out;
    for (char c : lf_text) {
        if (c == '\n') {
            out += '\r';
        }
        out += c;
    }
    return out;
}

const std::string kMessage = crlf(
    "From: =?UTF-8?Q?J=C3=BCrgen?= Schmidt <juergen@example.de>\n"
    "To: team:anna@example.org, \"Ben B.\" <ben@example.org>;\n"
    "Cc: carol@example.net\n"
    "Bcc: dave@example.com\n"
    "Subject: =?ISO-8859-1?Q?R=E9sum=E9?= UniqueTopSubject\n"
    "Date: Fri, 21 Nov 1997 23:30:00 -0600\n"
    "X-Mailer: Mutt/2.2\n"
    "X-Empty:\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\n"
    "\n"
    "preamble-not-searched\n"
    "--XX\n"
    "Content-Type: multipart/alternative; boundary=\"YY\"\n"
    "\n"
    "--YY\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Gr=C3=BC=C3=9Fe aus Berlin, see you at the caf=C3=A9.\n"
    "--YY\n"
    "Content-Type: text/html; charset=UTF-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "PHA+U29tZSA8Yj5ib2xkZmFjZTwvYj4gdGV4dDwvcD4=\n"
    "--YY--\n"
    "--XX\n"
    "Content-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Cr=E8me br=FBl=E9e recipe\n"
    "--XX\n"
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "c2VjcmV0d29yZCBpbnNpZGUgYmluYXJ5\n"
    "--XX\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "Subject: Inner subject line\n"
    "From: inner@example.org\n"
    "\n"
    "The zebra crossed.\n"
    "--XX--\n");

SearchKey key(Kind kind, std::string text = {}, std::string value = {}) {
    SearchKey k;
    k.kind = kind;
    k.text = std::move(text);
    k.value = std::move(value);
    return k;
}

SearchKey date_key(Kind kind, int year, unsigned month, unsigned day) {
    SearchKey k;
    k.kind = kind;
    k.date = ImapDate{year, month, day};
    return k;
}

SearchKey number_key(Kind kind, std::uint32_t n) {
    SearchKey k;
    k.kind = kind;
    k.number = n;
    return k;
}

SearchKey set_key(Kind kind, std::vector<SequenceRange> ranges) {
    SearchKey k;
    k.kind = kind;
    k.set.ranges = std::move(ranges);
    return k;
}

SearchKey node(Kind kind, std::vector<SearchKey> children) {
    SearchKey k;
    k.kind = kind;
    k.children = std::move(children);
    return k;
}

// A message for the tests, counting how often its bytes are read.
struct Fixture {
    std::vector<Flag> flags;
    std::string bytes = kMessage;
    int reads = 0;
    SearchMessage message;
    SearchContext context{20, 100};

    explicit Fixture(std::vector<Flag> f = {}) : flags(std::move(f)) {
        message.sequence = 3;
        message.uid = 42;
        message.flags = flags;
        message.internal_date = {1709681400, 330};  // 06-Mar-2024 05:00:00 +0530
        message.size = 1000;
        message.bytes = [this] {
            ++reads;
            return std::string_view(bytes);
        };
    }

    bool matches(const SearchKey& k) { return search_matches(k, message, context); }
};

// ---- Pieces --------------------------------------------------------------------------------

TEST(ImapSearch, FoldingAndSubstrings) {
    EXPECT_EQ(fold_case("AbC \xC3\x9C-Z"), "abc \xC3\x9C-z");
    EXPECT_TRUE(contains_folded("hello world", "o w"));
    EXPECT_TRUE(contains_folded("hello", ""));
    EXPECT_TRUE(contains_folded("", ""));
    EXPECT_FALSE(contains_folded("hello", "hello!"));
    EXPECT_FALSE(contains_folded("hel lo", "hello"));
    // A long haystack of near misses (the worst case for a naive search).
    std::string hay(1 << 20, 'a');
    EXPECT_FALSE(contains_folded(hay, std::string(64, 'a') + "b"));
    hay += 'b';
    EXPECT_TRUE(contains_folded(hay, std::string(64, 'a') + "b"));
}

TEST(ImapSearch, DayInZone) {
    EXPECT_EQ(day_in_zone(1709681400, 0), (ImapDate{2024, 3, 5}));
    EXPECT_EQ(day_in_zone(1709681400, 330), (ImapDate{2024, 3, 6}));
    EXPECT_EQ(day_in_zone(0, -1), (ImapDate{1969, 12, 31}));
    EXPECT_EQ(day_in_zone(-86400, 0), (ImapDate{1969, 12, 31}));
    EXPECT_EQ(day_in_zone(-86401, 0), (ImapDate{1969, 12, 30}));
    // Extremes are clamped, not undefined.
    EXPECT_GT(day_in_zone(INT64_MAX, INT32_MAX).year, 9999);
    EXPECT_LT(day_in_zone(INT64_MIN, INT32_MIN).year, 0);
}

// ---- Flags, sizes, sets, dates ---------------------------------------------------------------

TEST(ImapSearch, FlagKeysNeverReadTheMessage) {
    Fixture seen({"\\SEEN", "\\answered", "\\Flagged", "\\Deleted", "\\Draft", "$Forwarded"});
    Fixture none;
    struct Case {
        Kind kind;
        bool with_flags;
    };
    for (Case c :
         {Case{Kind::answered, true}, Case{Kind::deleted, true}, Case{Kind::draft, true},
          Case{Kind::flagged, true}, Case{Kind::seen, true}, Case{Kind::unanswered, false},
          Case{Kind::undeleted, false}, Case{Kind::undraft, false}, Case{Kind::unflagged, false},
          Case{Kind::unseen, false}, Case{Kind::all, true}}) {
        const SearchKey k = key(c.kind);
        EXPECT_EQ(seen.matches(k), c.with_flags) << static_cast<int>(c.kind);
        EXPECT_EQ(none.matches(k), !c.with_flags || c.kind == Kind::all)
            << static_cast<int>(c.kind);
        EXPECT_FALSE(search_needs_message(k));
    }
    EXPECT_TRUE(seen.matches(key(Kind::keyword, "$forwarded")));
    EXPECT_FALSE(none.matches(key(Kind::keyword, "$Forwarded")));
    EXPECT_FALSE(seen.matches(key(Kind::unkeyword, "$FORWARDED")));
    EXPECT_TRUE(none.matches(key(Kind::unkeyword, "$Forwarded")));
    EXPECT_FALSE(seen.matches(key(Kind::keyword, "$Junk")));
    EXPECT_EQ(seen.reads, 0);
    EXPECT_EQ(none.reads, 0);
}

TEST(ImapSearch, RecentNewOld) {
    Fixture recent_unseen;
    recent_unseen.message.recent = true;
    Fixture recent_seen({"\\Seen"});
    recent_seen.message.recent = true;
    Fixture recent_flag({"\\Recent"});
    Fixture old;
    EXPECT_TRUE(recent_unseen.matches(key(Kind::recent)));
    EXPECT_TRUE(recent_unseen.matches(key(Kind::new_)));
    EXPECT_FALSE(recent_unseen.matches(key(Kind::old)));
    EXPECT_TRUE(recent_seen.matches(key(Kind::recent)));
    EXPECT_FALSE(recent_seen.matches(key(Kind::new_)));
    EXPECT_TRUE(recent_flag.matches(key(Kind::new_)));
    EXPECT_FALSE(old.matches(key(Kind::recent)));
    EXPECT_FALSE(old.matches(key(Kind::new_)));
    EXPECT_TRUE(old.matches(key(Kind::old)));
}

TEST(ImapSearch, LargerAndSmallerAreStrict) {
    Fixture f;  // 1000 octets
    EXPECT_TRUE(f.matches(number_key(Kind::larger, 999)));
    EXPECT_FALSE(f.matches(number_key(Kind::larger, 1000)));
    EXPECT_TRUE(f.matches(number_key(Kind::smaller, 1001)));
    EXPECT_FALSE(f.matches(number_key(Kind::smaller, 1000)));
    EXPECT_EQ(f.reads, 0);
}

TEST(ImapSearch, UidAndSequenceSets) {
    Fixture f;  // sequence 3 of 20, UID 42 of 100
    EXPECT_TRUE(f.matches(set_key(Kind::uid, {{40, 50}})));
    EXPECT_TRUE(f.matches(set_key(Kind::uid, {{1, 2}, {42, 42}})));
    EXPECT_FALSE(f.matches(set_key(Kind::uid, {{43, kStar}})));
    EXPECT_FALSE(f.matches(set_key(Kind::uid, {{3, 3}})));
    EXPECT_TRUE(f.matches(set_key(Kind::sequence_set, {{3, 3}})));
    EXPECT_TRUE(f.matches(set_key(Kind::sequence_set, {{kStar, 2}})));
    EXPECT_FALSE(f.matches(set_key(Kind::sequence_set, {{4, kStar}})));
    EXPECT_FALSE(f.matches(set_key(Kind::sequence_set, {{42, 42}})));
    // "*" is the largest number in use.
    f.context.largest_uid = 42;
    EXPECT_TRUE(f.matches(set_key(Kind::uid, {{kStar, kStar}})));
    f.context.largest_sequence = 3;
    EXPECT_TRUE(f.matches(set_key(Kind::sequence_set, {{kStar, kStar}})));
    EXPECT_EQ(f.reads, 0);
}

TEST(ImapSearch, InternalDateByDayInItsZone) {
    Fixture f;  // 06-Mar-2024 05:00 +0530 (05-Mar in UTC)
    EXPECT_TRUE(f.matches(date_key(Kind::on, 2024, 3, 6)));
    EXPECT_FALSE(f.matches(date_key(Kind::on, 2024, 3, 5)));
    EXPECT_TRUE(f.matches(date_key(Kind::before, 2024, 3, 7)));
    EXPECT_FALSE(f.matches(date_key(Kind::before, 2024, 3, 6)));
    EXPECT_TRUE(f.matches(date_key(Kind::since, 2024, 3, 6)));
    EXPECT_TRUE(f.matches(date_key(Kind::since, 2023, 12, 31)));
    EXPECT_FALSE(f.matches(date_key(Kind::since, 2024, 3, 7)));
    EXPECT_EQ(f.reads, 0);
}

TEST(ImapSearch, SentDateByDayInItsZone) {
    Fixture f;  // Date: Fri, 21 Nov 1997 23:30:00 -0600 (22 Nov in UTC)
    EXPECT_TRUE(f.matches(date_key(Kind::sent_on, 1997, 11, 21)));
    EXPECT_FALSE(f.matches(date_key(Kind::sent_on, 1997, 11, 22)));
    EXPECT_TRUE(f.matches(date_key(Kind::sent_before, 1997, 11, 22)));
    EXPECT_FALSE(f.matches(date_key(Kind::sent_before, 1997, 11, 21)));
    EXPECT_TRUE(f.matches(date_key(Kind::sent_since, 1997, 11, 21)));
    EXPECT_FALSE(f.matches(date_key(Kind::sent_since, 1997, 11, 22)));
    EXPECT_EQ(f.reads, 6);  // one SearchableMessage per search_matches()
}

TEST(ImapSearch, WithoutAReadableDateNoSentKeyMatches) {
    for (std::string_view date : {"", "Date: yesterday\r\n", "Date: \r\n"}) {
        Fixture f;
        f.bytes = std::string(date) + "Subject: x\r\n\r\nbody\r\n";
        for (Kind kind : {Kind::sent_before, Kind::sent_on, Kind::sent_since}) {
            for (int year : {1900, 1997, 9999}) {
                EXPECT_FALSE(f.matches(date_key(kind, year, 1, 1))) << date;
            }
        }
        EXPECT_TRUE(f.matches(node(Kind::not_, {date_key(Kind::sent_on, 1997, 11, 21)})));
    }
}

// ---- Header fields -------------------------------------------------------------------------

TEST(ImapSearch, AddressAndSubjectFieldsDecodedAndCaseInsensitive) {
    Fixture f;
    EXPECT_TRUE(f.matches(key(Kind::from, "JUERGEN@example")));
    EXPECT_TRUE(f.matches(key(Kind::from, "j\xC3\xBCrgen schmidt")));  // encoded word decoded
    EXPECT_FALSE(f.matches(key(Kind::from, "=?UTF-8?")));
    EXPECT_FALSE(f.matches(key(Kind::from, "carol")));
    EXPECT_TRUE(f.matches(key(Kind::to, "ben@EXAMPLE.org")));
    EXPECT_TRUE(f.matches(key(Kind::to, "team:")));
    EXPECT_FALSE(f.matches(key(Kind::to, "carol")));
    EXPECT_TRUE(f.matches(key(Kind::cc, "Carol")));
    EXPECT_FALSE(f.matches(key(Kind::cc, "dave")));
    EXPECT_TRUE(f.matches(key(Kind::bcc, "dave@")));
    EXPECT_FALSE(f.matches(key(Kind::bcc, "ben")));
    // ISO-8859-1 encoded word, compared as UTF-8; ASCII letters fold, others compare exactly.
    EXPECT_TRUE(f.matches(key(Kind::subject, "R\xC3\xA9SUM\xC3\xA9 uniquetop")));
    EXPECT_FALSE(f.matches(key(Kind::subject, "R\xC3\x89SUM\xC3\x89")));
    EXPECT_FALSE(f.matches(key(Kind::subject, "Inner subject")));  // the inner message's
    EXPECT_TRUE(f.matches(key(Kind::subject, "")));
}

TEST(ImapSearch, HeaderKey) {
    Fixture f;
    EXPECT_TRUE(f.matches(key(Kind::header, "x-mailer", "mutt")));
    EXPECT_FALSE(f.matches(key(Kind::header, "X-Mailer", "thunderbird")));
    EXPECT_TRUE(f.matches(key(Kind::header, "X-Empty", "")));  // present, though empty
    EXPECT_FALSE(f.matches(key(Kind::header, "X-Empty", "x")));
    EXPECT_FALSE(f.matches(key(Kind::header, "X-Missing", "")));
    EXPECT_TRUE(f.matches(key(Kind::header, "Subject", "r\xC3\xA9sum")));
    EXPECT_TRUE(f.matches(key(Kind::header, "content-type", "boundary")));
    // A message without the field at all.
    Fixture bare;
    bare.bytes = "\r\nonly a body";
    EXPECT_FALSE(bare.matches(key(Kind::from, "")));
    EXPECT_FALSE(bare.matches(key(Kind::header, "Subject", "")));
}

TEST(ImapSearch, EveryFieldOfTheNameIsSearched) {
    Fixture f;
    f.bytes = crlf("Received: from a.example\nReceived: from b.example\nTo: x@y\nTo: z@w\n\n");
    EXPECT_TRUE(f.matches(key(Kind::header, "Received", "B.EXAMPLE")));
    EXPECT_TRUE(f.matches(key(Kind::to, "z@w")));
}

// ---- Body and text -------------------------------------------------------------------------

TEST(ImapSearch, BodySearchesDecodedTextParts) {
    Fixture f;
    // quoted-printable UTF-8
    EXPECT_TRUE(f.matches(key(Kind::body,
                              "gr\xC3\xBC\xC3\x9F"
                              "e AUS berlin")));
    EXPECT_TRUE(f.matches(key(Kind::body, "caf\xC3\xA9.")));
    // base64 HTML
    EXPECT_TRUE(f.matches(key(Kind::body, "BOLDFACE</b>")));
    // quoted-printable ISO-8859-1, converted to UTF-8
    EXPECT_TRUE(f.matches(key(Kind::body,
                              "cr\xC3\xA8me BR\xC3\xBBl\xC3\xA9"
                              "e")));
    // the encapsulated message: its header and its body are body text of the outer message
    EXPECT_TRUE(f.matches(key(Kind::body, "inner subject line")));
    EXPECT_TRUE(f.matches(key(Kind::body, "zebra")));
    // not: an application/octet-stream part, the encoded forms, the preamble, the top header
    EXPECT_FALSE(f.matches(key(Kind::body, "secretword")));
    EXPECT_FALSE(f.matches(key(Kind::body, "Gr=C3")));
    EXPECT_FALSE(f.matches(key(Kind::body, "PHA+U29t")));
    EXPECT_FALSE(f.matches(key(Kind::body, "preamble")));
    EXPECT_FALSE(f.matches(key(Kind::body, "UniqueTopSubject")));
    EXPECT_FALSE(f.matches(key(Kind::body, "aardvark")));
}

TEST(ImapSearch, TextSearchesHeaderAndBody) {
    Fixture f;
    EXPECT_TRUE(f.matches(key(Kind::text, "uniquetopsubject")));
    EXPECT_TRUE(f.matches(key(Kind::text, "subject: r\xC3\xA9sum\xC3\xA9")));  // decoded
    EXPECT_TRUE(f.matches(key(Kind::text, "x-mailer: mutt")));
    EXPECT_TRUE(f.matches(key(Kind::text, "zebra crossed")));
    EXPECT_TRUE(f.matches(key(Kind::text, "boldface")));
    EXPECT_FALSE(f.matches(key(Kind::text, "secretword")));
    EXPECT_FALSE(f.matches(key(Kind::text, "aardvark")));
}

TEST(ImapSearch, PlainMessagesAndCharsets) {
    Fixture f;
    // No MIME header: text/plain, us-ascii; 8-bit UTF-8 in it is searched as UTF-8.
    f.bytes = "Subject: plain\r\n\r\nNa\xC3\xAFve text\r\n";
    EXPECT_TRUE(f.matches(key(Kind::body, "NA\xC3\xAFVE")));
    // An unknown charset: the decoded bytes as they are.
    f.bytes = crlf("Content-Type: text/plain; charset=koi8-r\n\n\xF0\xD2\xC9\n");
    EXPECT_TRUE(f.matches(key(Kind::body, "\xF0\xD2\xC9")));
    // An unknown transfer encoding: the body as it is.
    f.bytes = crlf("Content-Transfer-Encoding: x-uuencode\n\nbegin 644 f\n");
    EXPECT_TRUE(f.matches(key(Kind::body, "BEGIN 644")));
    EXPECT_TRUE(f.matches(key(Kind::body, "")));
}

// ---- Logic and laziness --------------------------------------------------------------------

TEST(ImapSearch, NotOrAnd) {
    Fixture f({"\\Seen"});
    const SearchKey yes = key(Kind::seen);
    const SearchKey no = key(Kind::deleted);
    EXPECT_FALSE(f.matches(node(Kind::not_, {yes})));
    EXPECT_TRUE(f.matches(node(Kind::not_, {no})));
    EXPECT_TRUE(f.matches(node(Kind::or_, {no, yes})));
    EXPECT_TRUE(f.matches(node(Kind::or_, {yes, no})));
    EXPECT_FALSE(f.matches(node(Kind::or_, {no, no})));
    EXPECT_TRUE(f.matches(node(Kind::and_, {yes, yes, node(Kind::not_, {no})})));
    EXPECT_FALSE(f.matches(node(Kind::and_, {yes, no, yes})));
    EXPECT_TRUE(f.matches(node(Kind::and_, {})));
    // A typical client search: UNDELETED FROM "juergen" OR SUBJECT aardvark BODY zebra
    EXPECT_TRUE(f.matches(node(Kind::and_, {key(Kind::undeleted), key(Kind::from, "juergen"),
                                            node(Kind::or_, {key(Kind::subject, "aardvark"),
                                                             key(Kind::body, "zebra")})})));
}

TEST(ImapSearch, TheMessageIsReadOnceAndOnlyWhenNeeded) {
    Fixture f({"\\Seen"});
    SearchableMessage s(f.message);
    EXPECT_TRUE(
        s.matches(node(Kind::and_, {key(Kind::seen), number_key(Kind::larger, 10)}), f.context));
    EXPECT_EQ(f.reads, 0);
    // AND stops at the first false key: the message is never read.
    EXPECT_FALSE(
        s.matches(node(Kind::and_, {key(Kind::deleted), key(Kind::body, "zebra")}), f.context));
    EXPECT_EQ(f.reads, 0);
    EXPECT_TRUE(s.matches(key(Kind::from, "juergen"), f.context));
    EXPECT_TRUE(s.matches(key(Kind::body, "zebra"), f.context));
    EXPECT_TRUE(s.matches(key(Kind::text, "mutt"), f.context));
    EXPECT_TRUE(s.matches(date_key(Kind::sent_on, 1997, 11, 21), f.context));
    EXPECT_EQ(f.reads, 1);
    EXPECT_TRUE(search_needs_message(key(Kind::body, "x")));
    EXPECT_TRUE(search_needs_message(node(Kind::not_, {key(Kind::header, "a", "b")})));
    EXPECT_TRUE(search_needs_message(date_key(Kind::sent_since, 2000, 1, 1)));
    EXPECT_FALSE(
        search_needs_message(node(Kind::or_, {key(Kind::seen), date_key(Kind::on, 2000, 1, 1)})));
    // No bytes accessor at all: an empty message.
    SearchMessage empty;
    EXPECT_FALSE(search_matches(key(Kind::body, "x"), empty, {}));
    EXPECT_TRUE(search_matches(key(Kind::body, ""), empty, {}));
}

SearchKey wrap_in_not(SearchKey inner) {
    SearchKey outer = key(Kind::not_);
    outer.children.push_back(std::move(inner));
    return outer;
}

TEST(ImapSearch, NestingIsBounded) {
    SearchKey deep = key(Kind::all);
    for (int i = 0; i < 100; ++i) {
        deep = wrap_in_not(std::move(deep));
    }
    Fixture f;
    EXPECT_TRUE(f.matches(deep));  // an even number of NOTs, within the bound
    for (int i = 0; i < 1000; ++i) {
        deep = wrap_in_not(std::move(deep));
    }
    (void)f.matches(deep);  // beyond the bound: evaluated to a point, without crashing
    EXPECT_FALSE(search_needs_message(deep));
}

// ---- Refused and malformed messages --------------------------------------------------------

TEST(ImapSearch, RefusedMessagesAreSearchedAsOneTextPart) {
    Fixture f;
    MimeLimits limits;
    limits.max_parts = 2;
    SearchableMessage s(f.message, limits);
    // The whole body as raw text: the encoded forms are there, the preamble too.
    EXPECT_TRUE(s.matches(key(Kind::body, "preamble-not-searched"), f.context));
    EXPECT_TRUE(s.matches(key(Kind::body, "zebra"), f.context));
    EXPECT_TRUE(s.matches(key(Kind::body, "Gr=C3=BC"), f.context));
    EXPECT_TRUE(s.matches(key(Kind::from, "juergen"), f.context));
    EXPECT_FALSE(s.matches(key(Kind::body, "UniqueTopSubject"), f.context));
}

TEST(ImapSearch, MalformedMessagesDoNotBreakTheSearch) {
    const std::vector<std::string> messages = {
        "",
        "\r\n\r\n",
        "no header",
        "From: <<<\r\nSubject: =?UTF-8?B?!!!?=\r\nDate: 99 Foo 99999 99:99\r\n\r\n",
        "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x\r\n--x--",
        "Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\n",
        "Content-Type: text/plain; charset=\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%\r\n",
        std::string("Subject: a\0b\r\n\r\n\0\0", 18),
        "Subject: " + std::string(20000, 'x') + "\r\n\r\nbody",
    };
    const SearchKey every =
        node(Kind::or_,
             {node(Kind::and_, {key(Kind::body, "zz"), key(Kind::text, "zz"), key(Kind::from, "a"),
                                key(Kind::header, "Subject", "")}),
              node(Kind::and_, {date_key(Kind::sent_on, 2000, 1, 1), key(Kind::subject, "b"),
                                key(Kind::to, "c"), key(Kind::cc, "d"), key(Kind::bcc, "e")})});
    for (const std::string& m : messages) {
        Fixture f;
        f.bytes = m;
        EXPECT_FALSE(f.matches(every)) << m;
        EXPECT_TRUE(f.matches(key(Kind::text, ""))) << m;
    }
}

}  // namespace
}  // namespace l7::mail::imap
