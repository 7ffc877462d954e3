// IMAP4rev1 FETCH data (RFC 3501 6.4.5, 7.4.2) and the strings it is written in (4.3, 4.5):
// the expected ENVELOPE and BODYSTRUCTURE strings follow RFC 3501's own examples and what
// Dovecot and Cyrus send (upper-cased as Cyrus does).

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mail/imap/fetch.hpp"
#include "mail/imap/quote.hpp"

namespace l7::mail::imap {
namespace {

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

// RFC 3501 7.4.2's example message (its ENVELOPE is the RFC's).
const std::string kPlain = crlf(
    "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\n"
    "From: Terry Gray <gray@cac.washington.edu>\n"
    "Subject: IMAP4rev1 WG mtg summary and minutes\n"
    "To: imap@cac.washington.edu\n"
    "cc: minutes@CNRI.Reston.VA.US,\n"
    " John Klensin <KLENSIN@MIT.EDU>\n"
    "Message-Id: <B27397-0100000@cac.washington.edu>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\n"
    "\n"
    "Hello Joe, do you think we can meet at 3:30 tomorrow?\n");
const std::string kPlainBody = crlf("Hello Joe, do you think we can meet at 3:30 tomorrow?\n");

const std::string kAlternative = crlf(
    "From: \"Joe Q. Public\" <john.q.public@example.com>\n"
    "To: Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>\n"
    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus Berlin\n"
    "Date: Tue, 1 Jul 2003 10:52:37 +0200\n"
    "Message-ID: <5678.21-Nov-1997@example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/alternative; boundary=\"b1\"\n"
    "\n"
    "This is a MIME message.\n"
    "--b1\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Gr=C3=BC=C3=9Fe, Mary!\n"
    "--b1\n"
    "Content-Type: text/html; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "<p>Gr=C3=BC=C3=9Fe, <b>Mary</b>!</p>\n"
    "--b1--\n");

const std::string kInner = crlf(
    "From: Alice <alice@example.org>\n"
    "Subject: Forwarded\n"
    "Date: Sat, 1 Jan 2000 00:00:00 +0000\n"
    "Message-ID: <fwd@example.org>\n"
    "\n"
    "Inner text with the word zebra.");

const std::string kMixedHeader = crlf(
    "From: Nathaniel Borenstein <nsb@bellcore.com>\n"
    "To: Ned Freed <ned@innosoft.com>\n"
    "Subject: Sample message\n"
    "Date: Fri, 21 Mar 1997 09:55:06 -0800\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"simple boundary\"\n"
    "\n");
const std::string kPart1Header = crlf(
    "Content-Type: text/plain; charset=us-ascii\n"
    "Content-Language: en, de\n"
    "Content-Description: The note\n"
    "\n");
const std::string kPart1Body = crlf("Please see the attachment.\nLines: two\n");
const std::string kPart3Header = crlf(
    "Content-Type: message/rfc822\n"
    "Content-Location: http://example.com/fwd.eml\n"
    "\n");
const std::string kMixedText = crlf("preamble\n--simple boundary\n") + kPart1Header + kPart1Body +
                               crlf(
                                   "\n--simple boundary\n"
                                   "Content-Type: application/pdf; name=\"report.pdf\"\n"
                                   "Content-Transfer-Encoding: base64\n"
                                   "Content-Disposition: attachment; "
                                   "filename*=UTF-8''%E2%82%AC%20report.pdf\n"
                                   "Content-ID: <part2@example.com>\n"
                                   "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n"
                                   "\n"
                                   "JVBERi0xLjQKJcfsj6IK\n"
                                   "--simple boundary\n") +
                               kPart3Header + kInner + crlf("\n--simple boundary--\nepilogue\n");
const std::string kMixed = kMixedHeader + kMixedText;

const std::string kGroups = crlf(
    "From: Pete <pete@silly.example>\n"
    "To: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;\n"
    "Cc: Undisclosed recipients:;\n"
    "Bcc:\n"
    "Reply-To:\n"
    "Sender: Secretary <sec@silly.example>\n"
    "In-Reply-To: <1234@local.machine.example>\n"
    "Subject: Testing groups\n"
    "\n"
    "body\n");

FetchAttribute item(FetchAttribute::Kind kind) {
    FetchAttribute a;
    a.kind = kind;
    return a;
}

FetchAttribute body(std::vector<std::uint32_t> part, Section::Text text = Section::Text::all,
                    std::vector<std::string> fields = {}, bool peek = true) {
    FetchAttribute a;
    a.kind = FetchAttribute::Kind::body_section;
    a.section.part = std::move(part);
    a.section.text = text;
    a.section.fields = std::move(fields);
    a.peek = peek;
    return a;
}

FetchAttribute partial(FetchAttribute a, std::uint32_t offset, std::uint32_t length) {
    a.partial = Partial{offset, length};
    return a;
}

std::string fetch(std::string_view message, std::vector<FetchAttribute> attributes,
                  const FetchOptions& options = {}) {
    FetchMessage m;
    m.bytes = message;
    m.uid = 7;
    return render_fetch(attributes, m, options);
}

std::string literal(std::string_view s) {
    return "{" + std::to_string(s.size()) + "}\r\n" + std::string(s);
}

// The data of a single BODY[...] item, after "BODY[...] ".
std::string section(std::string_view message, FetchAttribute a) {
    ParsedMessage parsed(message);
    return section_data(parsed, a.section);
}

// ---- quote.hpp -----------------------------------------------------------------------------

TEST(ImapQuote, StringsAreQuotedWhenTheyCanBeElseLiterals) {
    std::string out;
    append_string(out, "plain text");
    EXPECT_EQ(out, "\"plain text\"");
    out.clear();
    append_string(out, R"(say "hi" \ bye)");
    EXPECT_EQ(out, R"("say \"hi\" \\ bye")");
    out.clear();
    append_string(out, "");
    EXPECT_EQ(out, "\"\"");
    for (std::string_view s : {std::string_view("Gr\xC3\xBC\xC3\x9F"
                                                "e"),
                               std::string_view("a\r\nb"), std::string_view("bare\nlf"),
                               std::string_view("nul\0x", 5)}) {
        out.clear();
        append_string(out, s);
        EXPECT_EQ(out, literal(s));
    }
    const std::string longest(kMaxQuotedLength, 'x');
    out.clear();
    append_string(out, longest);
    EXPECT_EQ(out, "\"" + longest + "\"");
    out.clear();
    append_string(out, longest + "x");
    EXPECT_EQ(out, literal(longest + "x"));
}

TEST(ImapQuote, NstringAndAstring) {
    std::string out;
    append_nstring(out, std::nullopt);
    out += ' ';
    append_nstring(out, "x y");
    EXPECT_EQ(out, "NIL \"x y\"");
    out.clear();
    for (std::string_view s :
         {"INBOX", "Sent]", "with space", "", "nil", "a%b", "{3}", "Gr\xC3\xBC"}) {
        append_astring(out, s);
        out += '|';
    }
    EXPECT_EQ(out, "INBOX|Sent]|\"with space\"|\"\"|\"nil\"|\"a%b\"|\"{3}\"|{4}\r\nGr\xC3\xBC|");
    EXPECT_TRUE(is_atom("X-Foo.bar"));
    EXPECT_FALSE(is_atom("a]"));
    EXPECT_TRUE(is_astring_atom("a]"));
    EXPECT_FALSE(is_atom(""));
}

TEST(ImapQuote, FlagListsLeaveOutWhatIsNoFlag) {
    const std::vector<Flag> flags = {"\\Seen", "$Forwarded", "bad flag", "\\", "x\r\ny", "NonJunk"};
    std::string out;
    append_flag_list(out, flags);
    EXPECT_EQ(out, "(\\Seen $Forwarded NonJunk)");
    out.clear();
    append_flag_list(out, {});
    EXPECT_EQ(out, "()");
}

TEST(ImapQuote, DateTimeInItsOwnZone) {
    // RFC 3501 9's example: 17-Jul-1996 02:44:25 -0700 is 09:44:25 UTC.
    EXPECT_EQ(format_date_time({837596665, -420}), "17-Jul-1996 02:44:25 -0700");
    EXPECT_EQ(format_date_time({837596665, 0}), "17-Jul-1996 09:44:25 +0000");
    // The day changes with the zone; one-digit days have two digits.
    EXPECT_EQ(format_date_time({1709681400, 330}), "06-Mar-2024 05:00:00 +0530");
    EXPECT_EQ(format_date_time({0, 0}), "01-Jan-1970 00:00:00 +0000");
    EXPECT_EQ(format_date_time({-1, 0}), "31-Dec-1969 23:59:59 +0000");
    // Out of range: clamped, never garbage.
    EXPECT_EQ(format_date_time({INT64_MIN, 0}), "01-Jan-1900 00:00:00 +0000");
    EXPECT_EQ(format_date_time({INT64_MAX, 0}), "31-Dec-9999 23:59:59 +0000");
    EXPECT_EQ(format_date_time({0, 100000}), "05-Jan-1970 03:59:00 +9959");
}

// ---- Simple items --------------------------------------------------------------------------

TEST(ImapFetch, FlagsUidDateAndSizeNeedNoMessage) {
    const std::vector<Flag> flags = {"\\Seen", "\\Answered"};
    FetchMessage m;
    m.uid = 4827313;
    m.flags = flags;
    m.internal_date = {837596665, -420};
    m.size = 44827;
    const std::vector<FetchAttribute> attrs = {
        item(FetchAttribute::Kind::flags), item(FetchAttribute::Kind::uid),
        item(FetchAttribute::Kind::internal_date), item(FetchAttribute::Kind::rfc822_size)};
    EXPECT_FALSE(fetch_needs_message(attrs));
    EXPECT_EQ(render_fetch(attrs, m),
              "(FLAGS (\\Seen \\Answered) UID 4827313 INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
              "RFC822.SIZE 44827)");
    // Without a size from the store, the octets given.
    m.size.reset();
    m.bytes = kPlain;
    EXPECT_EQ(render_fetch(std::vector{item(FetchAttribute::Kind::rfc822_size)}, m),
              "(RFC822.SIZE " + std::to_string(kPlain.size()) + ")");
    EXPECT_TRUE(fetch_needs_message(std::vector{item(FetchAttribute::Kind::envelope)}));
    EXPECT_TRUE(fetch_needs_message(std::vector{body({})}));
    EXPECT_EQ(render_fetch({}, m), "()");
}

TEST(ImapFetch, UidFetchPutsTheUidFirstOnce) {
    FetchOptions options;
    options.include_uid = true;
    EXPECT_EQ(fetch(kPlain, {item(FetchAttribute::Kind::flags)}, options), "(UID 7 FLAGS ())");
    EXPECT_EQ(fetch(kPlain, {item(FetchAttribute::Kind::flags), item(FetchAttribute::Kind::uid)},
                    options),
              "(FLAGS () UID 7)");
}

TEST(ImapFetch, WhichAttributesSetSeen) {
    EXPECT_FALSE(fetch_sets_seen(std::vector{item(FetchAttribute::Kind::flags),
                                             item(FetchAttribute::Kind::body_structure),
                                             item(FetchAttribute::Kind::rfc822_header),
                                             item(FetchAttribute::Kind::envelope), body({})}));
    EXPECT_TRUE(fetch_sets_seen(std::vector{body({}, Section::Text::header, {}, false)}));
    EXPECT_TRUE(fetch_sets_seen(std::vector{item(FetchAttribute::Kind::rfc822)}));
    EXPECT_TRUE(fetch_sets_seen(std::vector{item(FetchAttribute::Kind::rfc822_text)}));
    EXPECT_FALSE(fetch_sets_seen({}));
}

TEST(ImapFetch, ToCrlf) {
    EXPECT_EQ(to_crlf("a\nb\r\nc\rd\n\n"), "a\r\nb\r\nc\rd\r\n\r\n");
    EXPECT_EQ(to_crlf("\n"), "\r\n");
    EXPECT_EQ(to_crlf(""), "");
    EXPECT_EQ(to_crlf(kPlain), kPlain);
    EXPECT_EQ(to_crlf("x\r\n\ny"), "x\r\n\r\ny");
}

TEST(ImapFetch, HasBareLf) {
    EXPECT_FALSE(has_bare_lf(""));
    EXPECT_FALSE(has_bare_lf("a\r\nb\r\n"));
    EXPECT_FALSE(has_bare_lf("a\rb"));
    EXPECT_TRUE(has_bare_lf("\n"));
    EXPECT_TRUE(has_bare_lf("a\r\nb\n"));
    EXPECT_TRUE(has_bare_lf("a\r\n\n"));
}

// ---- ENVELOPE ------------------------------------------------------------------------------

TEST(ImapFetch, EnvelopeOfRfc3501sExample) {
    EXPECT_EQ(fetch(kPlain, {item(FetchAttribute::Kind::envelope)}),
              "(ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
              "\"IMAP4rev1 WG mtg summary and minutes\" "
              "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
              "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
              "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
              "((NIL NIL \"imap\" \"cac.washington.edu\")) "
              "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
              "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
              "\"<B27397-0100000@cac.washington.edu>\"))");
}

TEST(ImapFetch, EnvelopeKeepsEncodedWordsAndQuotedNames) {
    EXPECT_EQ(fetch(kAlternative, {item(FetchAttribute::Kind::envelope)}),
              "(ENVELOPE (\"Tue, 1 Jul 2003 10:52:37 +0200\" "
              "\"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus Berlin\" "
              "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")) "
              "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")) "
              "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")) "
              "((\"Mary Smith\" NIL \"mary\" \"x.test\")(NIL NIL \"jdoe\" \"example.org\")"
              "(\"Who?\" NIL \"one\" \"y.test\")) NIL NIL NIL "
              "\"<5678.21-Nov-1997@example.com>\"))");
}

TEST(ImapFetch, EnvelopeGroupsEmptyFieldsAndNoDate) {
    // Sender is its own; Reply-To is empty, so From (RFC 3501 7.4.2); Bcc is empty: NIL.
    EXPECT_EQ(render_envelope(parse_header(kGroups)->header),
              "(NIL \"Testing groups\" "
              "((\"Pete\" NIL \"pete\" \"silly.example\")) "
              "((\"Secretary\" NIL \"sec\" \"silly.example\")) "
              "((\"Pete\" NIL \"pete\" \"silly.example\")) "
              "((NIL NIL \"A Group\" NIL)(\"Ed Jones\" NIL \"c\" \"a.test\")"
              "(NIL NIL \"joe\" \"where.test\")(\"John\" NIL \"jdoe\" \"one.test\")"
              "(NIL NIL NIL NIL)) "
              "((NIL NIL \"Undisclosed recipients\" NIL)(NIL NIL NIL NIL)) NIL "
              "\"<1234@local.machine.example>\" NIL)");
}

TEST(ImapFetch, EnvelopeOfAnEmptyHeaderIsAllNil) {
    EXPECT_EQ(render_envelope(Header{}), "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
    EXPECT_EQ(fetch(crlf("\nbody only\n"), {item(FetchAttribute::Kind::envelope)}),
              "(ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))");
}

TEST(ImapFetch, EnvelopeAddressesAreReadBestEffort) {
    const std::string m = crlf(
        "From: not an address at all\n"
        "To: good@example.com, <broken, Bob <bob@example.com>\n"
        "Cc: \"unterminated, ok@example.com\n"
        "Bcc: first@example.com, (comment, with comma) second@example.com, @@@\n"
        "Subject: =?UTF-8?B?w6Q=?= and raw \xC3\xA4\n"
        "\n");
    EXPECT_EQ(fetch(m, {item(FetchAttribute::Kind::envelope)}),
              "(ENVELOPE (NIL {27}\r\n=?UTF-8?B?w6Q=?= and raw \xC3\xA4 NIL NIL NIL "
              "((NIL NIL \"good\" \"example.com\")) NIL "
              "((NIL NIL \"first\" \"example.com\")(NIL NIL \"second\" \"example.com\")) "
              "NIL NIL))");
}

// ---- BODY and BODYSTRUCTURE ----------------------------------------------------------------

TEST(ImapFetch, BodyOfASinglePart) {
    const std::string size = std::to_string(kPlainBody.size());
    EXPECT_EQ(
        fetch(kPlain, {item(FetchAttribute::Kind::body)}),
        "(BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" " + size + " 1))");
    EXPECT_EQ(fetch(kPlain, {item(FetchAttribute::Kind::body_structure)}),
              "(BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" " +
                  size + " 1 NIL NIL NIL NIL))");
    // No Content-Type at all: text/plain; charset=us-ascii (RFC 2045 5.2).
    EXPECT_EQ(fetch(crlf("Subject: x\n\nab\ncd"), {item(FetchAttribute::Kind::body)}),
              "(BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 6 2))");
    // A non-text part has no line count; no parameters is NIL.
    EXPECT_EQ(fetch(crlf("Content-Type: image/png\nContent-Transfer-Encoding: Base64\n\niVBO\n"),
                    {item(FetchAttribute::Kind::body)}),
              "(BODY (\"IMAGE\" \"PNG\" NIL NIL NIL \"BASE64\" 6))");
}

TEST(ImapFetch, BodyStructureOfMultipartAlternative) {
    const std::string plain =
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL "
        "\"QUOTED-PRINTABLE\" 22 1";
    const std::string html =
        "(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL "
        "\"QUOTED-PRINTABLE\" 36 1";
    EXPECT_EQ(fetch(kAlternative, {item(FetchAttribute::Kind::body)}),
              "(BODY (" + plain + ")" + html + ") \"ALTERNATIVE\"))");
    EXPECT_EQ(fetch(kAlternative, {item(FetchAttribute::Kind::body_structure)}),
              "(BODYSTRUCTURE (" + plain + " NIL NIL NIL NIL)" + html +
                  " NIL NIL NIL NIL) \"ALTERNATIVE\" (\"BOUNDARY\" \"b1\") NIL NIL NIL))");
}

TEST(ImapFetch, BodyStructureOfMixedWithAttachmentAndMessage) {
    const std::string inner_envelope =
        "(\"Sat, 1 Jan 2000 00:00:00 +0000\" \"Forwarded\" "
        "((\"Alice\" NIL \"alice\" \"example.org\")) ((\"Alice\" NIL \"alice\" \"example.org\")) "
        "((\"Alice\" NIL \"alice\" \"example.org\")) NIL NIL NIL NIL \"<fwd@example.org>\")";
    const std::string inner_size = std::to_string(kInner.size());
    EXPECT_EQ(
        fetch(kMixed, {item(FetchAttribute::Kind::body_structure)}),
        "(BODYSTRUCTURE ("
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL \"The note\" \"7BIT\" 40 2 NIL NIL "
        "(\"en\" \"de\") NIL)"
        "(\"APPLICATION\" \"PDF\" (\"NAME\" \"report.pdf\") \"<part2@example.com>\" NIL "
        "\"BASE64\" 20 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" "
        "(\"ATTACHMENT\" (\"FILENAME*\" \"UTF-8''%E2%82%AC%20report.pdf\")) NIL NIL)"
        "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" " +
            inner_size + " " + inner_envelope +
            " (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 31 1 NIL NIL NIL "
            "NIL) 6 NIL NIL NIL \"http://example.com/fwd.eml\")"
            " \"MIXED\" (\"BOUNDARY\" \"simple boundary\") NIL NIL NIL))");
    EXPECT_EQ(fetch(kMixed, {item(FetchAttribute::Kind::body)}),
              "(BODY ("
              "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL \"The note\" \"7BIT\" 40 2)"
              "(\"APPLICATION\" \"PDF\" (\"NAME\" \"report.pdf\") \"<part2@example.com>\" NIL "
              "\"BASE64\" 20)"
              "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" " +
                  inner_size + " " + inner_envelope +
                  " (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 31 1) 6)"
                  " \"MIXED\"))");
}

TEST(ImapFetch, BodyStructureParameterValues) {
    // Non-ASCII values go as encoded words; RFC 2231 ones in an unknown charset keep it;
    // a Content-Language of one tag is a string; disposition without parameters is NIL.
    const std::string m = crlf(
        "Content-Type: application/octet-stream; name=\"=?UTF-8?Q?=C3=A4.bin?=\";\n"
        " title*=x-unknown'de'%E4\n"
        "Content-Disposition: inline\n"
        "Content-Language: en\n"
        "\n"
        "data");
    EXPECT_EQ(fetch(m, {item(FetchAttribute::Kind::body_structure)}),
              "(BODYSTRUCTURE (\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" \"=?UTF-8?B?w6QuYmlu?=\" "
              "\"TITLE*\" \"x-unknown'de'%E4\") NIL NIL \"7BIT\" 4 NIL (\"INLINE\" NIL) \"en\" "
              "NIL))");
}

TEST(ImapFetch, MultipartWithoutPartsShowsAnEmptyTextPart) {
    const std::string m = crlf("Content-Type: multipart/mixed\n\nno boundary here\n");
    EXPECT_EQ(fetch(m, {item(FetchAttribute::Kind::body)}),
              "(BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 0) "
              "\"MIXED\"))");
    EXPECT_EQ(fetch(m, {item(FetchAttribute::Kind::body_structure)}),
              "(BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 0 "
              "0 NIL NIL NIL NIL) \"MIXED\" NIL NIL NIL NIL))");
    EXPECT_EQ(fetch(m, {body({1})}), "(BODY[1] \"\")");
}

TEST(ImapFetch, EncodedMessageRfc822IsALeaf) {
    const std::string m = crlf(
        "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA==\n");
    EXPECT_EQ(fetch(m, {item(FetchAttribute::Kind::body)}),
              "(BODY (\"MESSAGE\" \"RFC822\" NIL NIL NIL \"BASE64\" 18))");
    EXPECT_EQ(fetch(m, {body({1}, Section::Text::header)}), "(BODY[1.HEADER] \"\")");
}

// ---- BODY[section] -------------------------------------------------------------------------

TEST(ImapFetch, WholeHeaderAndTextOfTheMessage) {
    const std::string header = kPlain.substr(0, kPlain.size() - kPlainBody.size());
    EXPECT_EQ(fetch(kPlain, {body({})}), "(BODY[] " + literal(kPlain) + ")");
    EXPECT_EQ(fetch(kPlain, {body({}, Section::Text::header)}),
              "(BODY[HEADER] " + literal(header) + ")");
    EXPECT_EQ(fetch(kPlain, {body({}, Section::Text::text)}),
              "(BODY[TEXT] " + literal(kPlainBody) + ")");
    EXPECT_EQ(fetch(kPlain,
                    {item(FetchAttribute::Kind::rfc822), item(FetchAttribute::Kind::rfc822_header),
                     item(FetchAttribute::Kind::rfc822_text)}),
              "(RFC822 " + literal(kPlain) + " RFC822.HEADER " + literal(header) + " RFC822.TEXT " +
                  literal(kPlainBody) + ")");
    // A single-part message's part 1 is its body; 1.MIME its header.
    EXPECT_EQ(section(kPlain, body({1})), kPlainBody);
    EXPECT_EQ(section(kPlain, body({1}, Section::Text::mime)), header);
    EXPECT_EQ(section(kPlain, body({2})), "");
    EXPECT_EQ(section(kPlain, body({1, 1})), "");
    EXPECT_EQ(section(kPlain, body({1}, Section::Text::header)), "");
}

TEST(ImapFetch, HeaderFieldsKeepTheStoredLinesInMessageOrder) {
    EXPECT_EQ(fetch(kPlain, {body({}, Section::Text::header_fields, {"cc", "DATE"})}),
              "(BODY[HEADER.FIELDS (cc DATE)] " +
                  literal(crlf("Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\n"
                               "cc: minutes@CNRI.Reston.VA.US,\n"
                               " John Klensin <KLENSIN@MIT.EDU>\n\n")) +
                  ")");
    EXPECT_EQ(section(kPlain, body({}, Section::Text::header_fields_not,
                                   {"Date", "CC", "message-id", "MIME-Version", "Content-Type"})),
              crlf("From: Terry Gray <gray@cac.washington.edu>\n"
                   "Subject: IMAP4rev1 WG mtg summary and minutes\n"
                   "To: imap@cac.washington.edu\n\n"));
    // Nothing matches: the empty line alone. Field names that need quoting are quoted.
    EXPECT_EQ(fetch(kPlain, {body({}, Section::Text::header_fields, {"X-None", "a b"})}),
              "(BODY[HEADER.FIELDS (X-None \"a b\")] {2}\r\n\r\n)");
    // Every field of a repeated name.
    EXPECT_EQ(section(crlf("Received: a\nX: 1\nReceived: b\n\nbody"),
                      body({}, Section::Text::header_fields, {"received"})),
              crlf("Received: a\nReceived: b\n\n"));
    // A header without body or final line end.
    EXPECT_EQ(section("Subject: x", body({}, Section::Text::header_fields, {"subject"})),
              "Subject: x\r\n\r\n");
}

TEST(ImapFetch, SectionsOfAMixedMessage) {
    EXPECT_EQ(section(kMixed, body({}, Section::Text::header)), kMixedHeader);
    EXPECT_EQ(section(kMixed, body({}, Section::Text::text)), kMixedText);
    EXPECT_EQ(section(kMixed, body({1})), kPart1Body);
    EXPECT_EQ(section(kMixed, body({1}, Section::Text::mime)), kPart1Header);
    EXPECT_EQ(section(kMixed, body({2})), "JVBERi0xLjQKJcfsj6IK");
    // The message/rfc822 part: its body is the message; HEADER, TEXT and HEADER.FIELDS are
    // the encapsulated message's; MIME the part's own.
    EXPECT_EQ(section(kMixed, body({3})), kInner);
    EXPECT_EQ(section(kMixed, body({3}, Section::Text::mime)), kPart3Header);
    EXPECT_EQ(section(kMixed, body({3}, Section::Text::header)),
              kInner.substr(0, kInner.find("\r\n\r\n") + 4));
    EXPECT_EQ(section(kMixed, body({3}, Section::Text::text)), "Inner text with the word zebra.");
    EXPECT_EQ(section(kMixed, body({3}, Section::Text::header_fields, {"Subject"})),
              "Subject: Forwarded\r\n\r\n");
    EXPECT_EQ(section(kMixed, body({3, 1})), "Inner text with the word zebra.");
    // What is not there is "".
    EXPECT_EQ(section(kMixed, body({4})), "");
    EXPECT_EQ(section(kMixed, body({0})), "");
    EXPECT_EQ(section(kMixed, body({2, 1})), "");
    EXPECT_EQ(section(kMixed, body({3, 2})), "");
    EXPECT_EQ(section(kMixed, body({1}, Section::Text::header)), "");
    EXPECT_EQ(section(kMixed, body({1}, Section::Text::text)), "");
    EXPECT_EQ(section(kMixed, body({}, Section::Text::mime)), "");
    EXPECT_EQ(fetch(kMixed,
                    {body({3}, Section::Text::header_fields_not, {"From", "Date"}), body({9, 9})}),
              "(BODY[3.HEADER.FIELDS.NOT (From Date)] " +
                  literal(crlf("Subject: Forwarded\nMessage-ID: <fwd@example.org>\n\n")) +
                  " BODY[9.9] \"\")");
}

TEST(ImapFetch, ItemNamesAreBodyWithoutPeek) {
    EXPECT_EQ(fetch(kMixed, {body({2}, Section::Text::all, {}, true),
                             body({1}, Section::Text::mime, {}, false)}),
              "(BODY[2] {20}\r\nJVBERi0xLjQKJcfsj6IK BODY[1.MIME] " + literal(kPart1Header) + ")");
}

TEST(ImapFetch, PartialsSliceByOctets) {
    const auto n = static_cast<std::uint32_t>(kPlain.size());
    EXPECT_EQ(fetch(kPlain, {partial(body({}), 0, 10)}), "(BODY[]<0> {10}\r\nDate: Wed,)");
    EXPECT_EQ(fetch(kPlain, {partial(body({}), n - 1, 10)}),
              "(BODY[]<" + std::to_string(n - 1) + "> {1}\r\n\n)");
    EXPECT_EQ(fetch(kPlain, {partial(body({}), n, 10)}),
              "(BODY[]<" + std::to_string(n) + "> \"\")");
    EXPECT_EQ(fetch(kPlain, {partial(body({}), 4000000000u, 4000000000u)}),
              "(BODY[]<4000000000> \"\")");
    EXPECT_EQ(fetch(kPlain, {partial(body({}), 0, 4000000000u)}),
              "(BODY[]<0> " + literal(kPlain) + ")");
    EXPECT_EQ(fetch(kPlain, {partial(body({}, Section::Text::text), 6, 3)}),
              "(BODY[TEXT]<6> {3}\r\nJoe)");
    EXPECT_EQ(fetch(kMixed, {partial(body({2}), 16, 100)}), "(BODY[2]<16> {4}\r\nj6IK)");
    EXPECT_EQ(fetch(kMixed, {partial(body({7}), 0, 1)}), "(BODY[7]<0> \"\")");
}

TEST(ImapFetch, EightBitDataGoesAsLiterals) {
    const std::string m = crlf(
        "Subject: Gr\xC3\xBC\xC3\x9F"
        "e\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\n\xC3\xA4\n");
    const std::string out =
        fetch(m, {item(FetchAttribute::Kind::envelope), item(FetchAttribute::Kind::body),
                  body({}, Section::Text::header_fields, {"Subject"})});
    EXPECT_EQ(out,
              "(ENVELOPE (NIL {7}\r\nGr\xC3\xBC\xC3\x9F"
              "e NIL NIL NIL NIL NIL NIL NIL NIL) "
              "BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"8BIT\" 4 1) "
              "BODY[HEADER.FIELDS (Subject)] {20}\r\nSubject: Gr\xC3\xBC\xC3\x9F"
              "e\r\n\r\n)");
}

TEST(ImapFetch, LfOnlyStoreThroughToCrlf) {
    const std::string lf =
        "From: a@example.org\nSubject: lf\nContent-Type: text/plain\n\nline one\nline two\n";
    const std::string m = to_crlf(lf);
    FetchMessage fm;
    fm.bytes = m;
    EXPECT_EQ(
        render_fetch(std::vector{item(FetchAttribute::Kind::rfc822_size),
                                 item(FetchAttribute::Kind::body), body({}, Section::Text::text)},
                     fm),
        "(RFC822.SIZE " + std::to_string(lf.size() + 6) +
            " BODY (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 20 2) BODY[TEXT] {20}\r\n"
            "line one\r\nline two\r\n)");
}

// ---- Messages parse_message() refuses, and malformed ones ----------------------------------

TEST(ImapFetch, RefusedMessageIsServedAsOneTextPart) {
    FetchOptions options;
    options.limits.max_parts = 2;  // kMixed has five
    const std::string text_size = std::to_string(kMixedText.size());
    const std::string lines =
        std::to_string(std::count(kMixedText.begin(), kMixedText.end(), '\n'));
    EXPECT_EQ(fetch(kMixed,
                    {item(FetchAttribute::Kind::body_structure), body({1}), body({2}),
                     body({}, Section::Text::header_fields, {"Subject"})},
                    options),
              "(BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" " +
                  text_size + " " + lines + " NIL NIL NIL NIL) BODY[1] " + literal(kMixedText) +
                  " BODY[2] \"\" BODY[HEADER.FIELDS (Subject)] {27}\r\nSubject: Sample "
                  "message\r\n\r\n)");
    ParsedMessage parsed(kMixed, options.limits);
    (void)parsed.tree();
    EXPECT_TRUE(parsed.fell_back());
}

TEST(ImapFetch, HeaderBeyondItsLimitsHasNoFields) {
    FetchOptions options;
    options.limits.header.max_line_bytes = 20;
    EXPECT_EQ(fetch(kPlain, {item(FetchAttribute::Kind::envelope), body({}, Section::Text::text)},
                    options),
              "(ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) BODY[TEXT] " +
                  literal(kPlainBody) + ")");
    // No empty line at all: all header, no text.
    EXPECT_EQ(fetch("Subject: " + std::string(100, 'x'), {body({}, Section::Text::text)}, options),
              "(BODY[TEXT] \"\")");
}

TEST(ImapFetch, MalformedMessagesNeverBreakTheResponse) {
    const std::vector<std::string> messages = {
        "",
        "\r\n",
        "no header at all",
        "From:\r\nTo: ,,,\r\nSender: <\r\nReply-To: (((\r\nDate: yesterday\r\n\r\n",
        "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n--x\r\n--x--",
        "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: multipart/"
        "mixed; boundary=x\r\n\r\n--x\r\n",
        "Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\n",
        "Content-Type: /\r\nContent-Disposition: ;\r\nContent-Transfer-Encoding: \"\r\n\r\nx",
        std::string("Subject: nul\0here\r\n\r\n\0", 22),
        "Content-Type: text/plain; charset*0*=''%; charset*1=\"\r\n\r\n",
    };
    std::vector<FetchAttribute> all = {item(FetchAttribute::Kind::envelope),
                                       item(FetchAttribute::Kind::body),
                                       item(FetchAttribute::Kind::body_structure),
                                       item(FetchAttribute::Kind::rfc822),
                                       item(FetchAttribute::Kind::rfc822_header),
                                       item(FetchAttribute::Kind::rfc822_text),
                                       body({}),
                                       body({1}),
                                       body({1, 1}),
                                       body({2}, Section::Text::mime),
                                       body({1}, Section::Text::header),
                                       body({1}, Section::Text::text),
                                       body({1}, Section::Text::header_fields, {"To"}),
                                       partial(body({1}), 3, 2)};
    for (const std::string& m : messages) {
        const std::string out = fetch(m, all);
        ASSERT_GE(out.size(), 2u) << m;
        EXPECT_EQ(out.front(), '(') << m;
        EXPECT_EQ(out.back(), ')') << m;
        // Parentheses outside strings and literals balance.
        int depth = 0;
        bool quoted = false;
        for (std::size_t i = 0; i < out.size(); ++i) {
            const char c = out[i];
            if (quoted) {
                if (c == '\\') {
                    ++i;
                } else if (c == '"') {
                    quoted = false;
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == '{') {
                const std::size_t close = out.find('}', i);
                ASSERT_NE(close, std::string::npos);
                i = close + 2 + std::stoul(out.substr(i + 1, close - i - 1));
            } else if (c == '(') {
                ++depth;
            } else if (c == ')') {
                ASSERT_GT(depth, 0) << m;
                --depth;
            }
        }
        EXPECT_EQ(depth, 0) << m;
        EXPECT_FALSE(quoted) << m;
    }
}

TEST(ImapFetch, DeepNestingIsBoundedByTheLimits) {
    std::string m;
    for (int i = 0; i < 200; ++i) {
        m += "Content-Type: message/rfc822\r\n\r\n";
    }
    m += "Subject: deep\r\n\r\nbody";
    ParsedMessage parsed(m);
    (void)parsed.tree();
    EXPECT_TRUE(parsed.fell_back());
    const std::string out = fetch(m, {item(FetchAttribute::Kind::body_structure)});
    EXPECT_TRUE(out.starts_with("(BODYSTRUCTURE (\"TEXT\" \"PLAIN\"")) << out;
}

}  // namespace
}  // namespace l7::mail::imap
