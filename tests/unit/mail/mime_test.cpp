// MIME (RFC 2045, 2046, 2231): Content-Type and Content-Disposition, parameters, and the tree
// of parts with IMAP's section numbers (RFC 3501 6.4.5).

#include <gtest/gtest.h>

#include <string>

#include "mail/mime.hpp"

namespace l7::mail {
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

TEST(ContentType, ParsesTypeSubtypeAndParameters) {
    auto ct = parse_content_type("Text/HTML; Charset=\"UTF-8\"; format=flowed");
    ASSERT_TRUE(ct);
    EXPECT_EQ(ct->type, "text");
    EXPECT_EQ(ct->subtype, "html");
    EXPECT_EQ(ct->mime_type(), "text/html");
    EXPECT_TRUE(ct->is("text", "html"));
    ASSERT_EQ(ct->parameters.size(), 2u);
    EXPECT_EQ(ct->parameters[0].name, "charset");
    EXPECT_EQ(ct->parameter("CHARSET"), "UTF-8");
    EXPECT_EQ(ct->parameter("format"), "flowed");
    EXPECT_FALSE(ct->parameter("boundary"));
    // RFC 2045 5.1: comments and quoting make no difference.
    for (std::string_view v :
         {"text/plain; charset=us-ascii (Plain text)", "text/plain; charset=\"us-ascii\"",
          " text / plain ;charset = us-ascii ", "(c) text/plain (c); (c) charset=us-ascii"}) {
        auto same = parse_content_type(v);
        ASSERT_TRUE(same) << v;
        EXPECT_EQ(same->mime_type(), "text/plain") << v;
        EXPECT_EQ(same->parameter("charset"), "us-ascii") << v;
    }
}

TEST(ContentType, ParametersAreReadLeniently) {
    auto ct = parse_content_type(
        "application/pdf; name=my file.pdf; ; junk; =x; boundary=\"a\\\"b\"; name=second; "
        "unterminated=\"to the end");
    ASSERT_TRUE(ct);
    EXPECT_EQ(ct->parameter("name"), "my file.pdf");  // unquoted up to ';', the first wins
    EXPECT_EQ(ct->parameter("boundary"), "a\"b");
    EXPECT_EQ(ct->parameter("unterminated"), "to the end");
    auto no_semicolon = parse_content_type("text/plain charset=utf-8; format=fixed");
    ASSERT_TRUE(no_semicolon);
    EXPECT_FALSE(no_semicolon->parameter("charset"));
    EXPECT_EQ(no_semicolon->parameter("format"), "fixed");
    // Encoded words in name and filename, which senders use though RFC 2047 5 forbids it.
    auto encoded =
        parse_content_type("image/png; name=\"=?UTF-8?B?w6kucG5n?=\"; x=\"=?UTF-8?B?w6k=?=\"");
    ASSERT_TRUE(encoded);
    EXPECT_EQ(encoded->parameter("name"), "\xC3\xA9.png");
    EXPECT_EQ(encoded->parameter("x"), "=?UTF-8?B?w6k=?=");
}

TEST(ContentType, AnUnterminatedCommentRunsToTheEnd) {
    // A quoted-pair's backslash as the very last byte must not take the reader past the end.
    for (std::string_view v : {"text/plain; a=b (\\", "text/plain (\\", "text/plain; a=\"x\\"}) {
        auto ct = parse_content_type(v);
        ASSERT_TRUE(ct) << v;
        EXPECT_EQ(ct->mime_type(), "text/plain");
    }
    EXPECT_EQ(parse_content_type("text/plain; a=b (\\")->parameter("a"), "b");
    EXPECT_FALSE(parse_content_type("(\\"));
    EXPECT_FALSE(parse_content_disposition("(\\"));
}

TEST(ContentType, MalformedValuesAreErrors) {
    for (std::string_view v : {"", "text", "text/", "/plain", "text/;charset=x", "te xt/plain",
                               "(unterminated", "\"text\"/plain"}) {
        auto ct = parse_content_type(v);
        ASSERT_FALSE(ct) << v;
        EXPECT_EQ(ct.error(), MimeError::malformed_content_type);
    }
    const ContentType fallback;
    EXPECT_EQ(fallback.mime_type(), "text/plain");
    EXPECT_EQ(fallback.parameter("charset"), "us-ascii");  // RFC 2045 5.2
}

TEST(ContentType, ParameterCountIsBounded) {
    std::string v = "text/plain";
    for (std::size_t i = 0; i < kMaxParameters * 8; ++i) {
        v += "; p" + std::to_string(i) + "=v";
    }
    auto ct = parse_content_type(v);
    ASSERT_TRUE(ct);
    EXPECT_EQ(ct->parameters.size(), kMaxParameters);
}

TEST(Rfc2231, Examples) {
    // Section 3: continuations.
    auto url = parse_content_type(
        "message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n "
        "URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->parameter("url"), "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar");
    EXPECT_EQ(url->parameter("access-type"), "URL");
    // Section 4: charset and language.
    auto title = parse_content_type(
        "application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A");
    ASSERT_TRUE(title);
    ASSERT_EQ(title->parameters.size(), 1u);
    EXPECT_EQ(title->parameters[0].name, "title");
    EXPECT_EQ(title->parameters[0].value, "This is ***fun***");
    EXPECT_EQ(title->parameters[0].charset, "us-ascii");
    EXPECT_EQ(title->parameters[0].language, "en-us");
    // Section 4.1: both together, encoded and plain sections mixed.
    auto mixed = parse_content_type(
        "application/x-stuff;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n "
        "title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n title*2=\"isn't it!\"");
    ASSERT_TRUE(mixed);
    EXPECT_EQ(mixed->parameter("title"), "This is even more ***fun*** isn't it!");
}

TEST(Rfc2231, CharsetsOrderGapsAndConflicts) {
    struct Case {
        std::string_view value;
        std::string_view name, expected;
    };
    const Case cases[] = {
        {"a/b; name*=UTF-8''%E2%82%AC", "name", "\xE2\x82\xAC"},
        {"a/b; filename*=iso-8859-1''%E9t%E9.txt", "filename", "\xC3\xA9t\xC3\xA9.txt"},
        {"a/b; t*=iso-8859-2''%B1", "t", "\xB1"},  // unknown charset: the bytes
        {"a/b; t*=UTF-8''%ZZ%4", "t", "%ZZ%4"},    // malformed escapes kept
        {"a/b; t*=no-quotes%41", "t", "no-quotesA"},
        {"a/b; t*1=\"b\"; t*0=\"a\"", "t", "ab"},         // any order
        {"a/b; t*0=\"a\"; t*2=\"c\"", "t", "a"},          // stops at a gap
        {"a/b; t*0=\"a\"; t*0=\"z\"; t*1=b", "t", "ab"},  // a repeated section: the first
        {"a/b; name=\"old.txt\"; name*=UTF-8''new.txt", "name", "new.txt"},
        {"a/b; name*=UTF-8''new.txt; name=\"old.txt\"", "name", "new.txt"},
        {"a/b; t*01=x", "t*01", "x"},  // not RFC 2231 syntax: an ordinary name
        {"a/b; t*99=x", "t*99", "x"},  // beyond kMaxParameterSections
    };
    for (const Case& c : cases) {
        auto ct = parse_content_type(c.value);
        ASSERT_TRUE(ct) << c.value;
        EXPECT_EQ(ct->parameter(c.name), c.expected) << c.value;
    }
    auto t = parse_content_type("a/b; t*1=x");  // no section 0: no parameter
    ASSERT_TRUE(t);
    EXPECT_FALSE(t->parameter("t"));
}

TEST(Rfc2231, FormattedParametersParseBack) {
    EXPECT_EQ(format_parameter("charset", "utf-8"), "charset=utf-8");
    EXPECT_EQ(format_parameter("name", "my file.pdf"), "name=\"my file.pdf\"");
    EXPECT_EQ(format_parameter("name", "a\"b\\c"), "name=\"a\\\"b\\\\c\"");
    EXPECT_EQ(format_parameter("filename", "\xE2\x82\xAC.txt"), "filename*=UTF-8''%E2%82%AC.txt");
    // A name that looks like an encoded word must not be read as one.
    EXPECT_EQ(format_parameter("name", "=?UTF-8?Q?x?="), "name*=UTF-8''%3D%3FUTF-8%3FQ%3Fx%3F%3D");
    const std::string long_name =
        "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE9\x95\xB7\xE3\x81\x84\xE5\x90\x8D"
        "\xE5\x89\x8D\xE3\x81\xAE\xE6\xB7\xBB\xE4\xBB\x98\xE3\x83\x95\xE3\x82\xA1\xE3\x82\xA4"
        "\xE3\x83\xAB.pdf";
    const std::string sections = format_parameter("filename", long_name);
    EXPECT_NE(sections.find("filename*0*=UTF-8''"), std::string::npos);
    EXPECT_NE(sections.find("; filename*1*="), std::string::npos);
    std::string very_long;  // more than kMaxParameterSections sections of the usual length
    for (int i = 0; i < 3000; ++i) {
        very_long += "\xC3\xA9";
    }
    const std::string values[] = {
        "plain",     "with space", "quote\"d", long_name, "caf\xC3\xA9",     std::string(300, 'x'),
        "tab\there", "",           very_long,  "100%",    "=?UTF-8?B?w6k=?="};
    for (const std::string& v : values) {
        auto cd = parse_content_disposition("attachment; " + format_parameter("filename", v));
        ASSERT_TRUE(cd) << v;
        EXPECT_EQ(cd->parameter("filename"), v);
    }
}

TEST(ContentDisposition, Rfc2183Example) {
    auto cd = parse_content_disposition(
        "attachment; filename=genome.jpeg;\r\n modification-date=\"Wed, 12 Feb 1997 16:29:51 "
        "-0500\";");
    ASSERT_TRUE(cd);
    EXPECT_EQ(cd->type, "attachment");
    EXPECT_EQ(cd->parameter("filename"), "genome.jpeg");
    EXPECT_EQ(cd->parameter("modification-date"), "Wed, 12 Feb 1997 16:29:51 -0500");
    auto inline_cd = parse_content_disposition("INLINE");
    ASSERT_TRUE(inline_cd);
    EXPECT_EQ(inline_cd->type, "inline");
    EXPECT_TRUE(inline_cd->parameters.empty());
    for (std::string_view v : {"", "  ", "; filename=x", "\"attachment\""}) {
        auto bad = parse_content_disposition(v);
        ASSERT_FALSE(bad) << v;
        EXPECT_EQ(bad.error(), MimeError::malformed_content_disposition);
    }
}

TEST(MimeTree, AMessageWithoutMimeIsOnePart) {
    const std::string msg = crlf("From: a@b.example\nSubject: hi\n\nline one\nline two\n");
    auto tree = parse_message(msg);
    ASSERT_TRUE(tree);
    EXPECT_EQ(tree->content_type.mime_type(), "text/plain");
    EXPECT_EQ(tree->transfer_encoding, "7bit");
    EXPECT_EQ(tree->offset, 0u);
    EXPECT_EQ(tree->header_bytes(msg), crlf("From: a@b.example\nSubject: hi\n\n"));
    EXPECT_EQ(tree->body(msg), crlf("line one\nline two\n"));
    EXPECT_EQ(tree->body_lines, 2u);
    EXPECT_EQ(tree->end_offset(), msg.size());
    EXPECT_TRUE(tree->children.empty());
    const auto parts = number_parts(*tree);
    ASSERT_EQ(parts.size(), 1u);
    EXPECT_EQ(parts[0].section, "1");
    EXPECT_EQ(parts[0].part, &*tree);
    EXPECT_EQ(find_part(*tree, "1"), &*tree);
    EXPECT_EQ(find_part(*tree, "2"), nullptr);
    EXPECT_EQ(find_part(*tree, "1.1"), nullptr);
}

TEST(MimeTree, MultipartSplitsAtTheBoundaryIgnoringPreambleAndEpilogue) {
    const std::string msg = crlf(
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/mixed; boundary=\"simple boundary\"\n"
        "\n"
        "This is the preamble.  It is to be ignored.\n"
        "--simple boundary\n"
        "\n"
        "This is implicitly typed plain US-ASCII text.\n"
        "It does NOT end with a linebreak.\n"
        "--simple boundary \t\n"
        "Content-type: text/plain; charset=us-ascii\n"
        "\n"
        "This is explicitly typed plain US-ASCII text.\n"
        "It DOES end with a linebreak.\n"
        "\n"
        "--simple boundary--\n"
        "\n"
        "This is the epilogue.  It is also to be ignored.\n");  // RFC 2046 5.1.1's example
    auto tree = parse_message(msg);
    ASSERT_TRUE(tree);
    EXPECT_TRUE(tree->content_type.is_multipart());
    ASSERT_EQ(tree->children.size(), 2u);
    const MimePart& first = tree->children[0];
    EXPECT_TRUE(first.header.empty());
    EXPECT_EQ(first.content_type.mime_type(), "text/plain");
    EXPECT_EQ(first.body(msg), crlf("This is implicitly typed plain US-ASCII text.\n"
                                    "It does NOT end with a linebreak."));
    EXPECT_EQ(first.body_lines, 2u);
    const MimePart& second = tree->children[1];
    EXPECT_EQ(second.header.get("content-type"), "text/plain; charset=us-ascii");
    EXPECT_EQ(second.body(msg), crlf("This is explicitly typed plain US-ASCII text.\n"
                                     "It DOES end with a linebreak.\n"));
    EXPECT_EQ(second.header_bytes(msg), crlf("Content-type: text/plain; charset=us-ascii\n\n"));
    const auto parts = number_parts(*tree);
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[1].section, "2");
    EXPECT_EQ(find_part(*tree, "2"), &second);
    EXPECT_EQ(find_part(*tree, "3"), nullptr);
    EXPECT_EQ(find_part(*tree, "0"), nullptr);
}

// RFC 3501 6.4.5's example of section numbers, as a message.
std::string rfc3501_example() {
    return crlf(
        "Subject: sections\n"
        "Content-Type: MULTIPART/MIXED; boundary=outer\n"
        "\n"
        "--outer\n"
        "Content-Type: TEXT/PLAIN\n"
        "\n"
        "part 1\n"
        "--outer\n"
        "Content-Type: APPLICATION/OCTET-STREAM\n"
        "Content-Transfer-Encoding: base64\n"
        "\n"
        "cGFydCAy\n"
        "--outer\n"
        "Content-Type: MESSAGE/RFC822\n"
        "\n"
        "Subject: inner 3\n"
        "Content-Type: multipart/mixed; boundary=three\n"
        "\n"
        "--three\n"
        "\n"
        "part 3.1\n"
        "--three\n"
        "Content-Type: application/octet-stream\n"
        "\n"
        "part 3.2\n"
        "--three--\n"
        "--outer\n"
        "Content-Type: MULTIPART/MIXED; boundary=four\n"
        "\n"
        "--four\n"
        "Content-Type: IMAGE/GIF\n"
        "\n"
        "GIF89a\n"
        "--four\n"
        "Content-Type: MESSAGE/RFC822\n"
        "\n"
        "Subject: inner 4.2\n"
        "Content-Type: multipart/mixed; boundary=fourtwo\n"
        "\n"
        "--fourtwo\n"
        "\n"
        "part 4.2.1\n"
        "--fourtwo\n"
        "Content-Type: multipart/alternative; boundary=alt\n"
        "\n"
        "--alt\n"
        "\n"
        "part 4.2.2.1\n"
        "--alt\n"
        "Content-Type: text/richtext\n"
        "\n"
        "part 4.2.2.2\n"
        "--alt--\n"
        "--fourtwo--\n"
        "--four--\n"
        "--outer--\n");
}

TEST(MimeTree, SectionNumbersFollowRfc3501) {
    const std::string msg = rfc3501_example();
    auto tree = parse_message(msg);
    ASSERT_TRUE(tree);
    struct Expected {
        std::string_view section, type;
    };
    const Expected expected[] = {
        {"1", "text/plain"},
        {"2", "application/octet-stream"},
        {"3", "message/rfc822"},
        {"3.1", "text/plain"},
        {"3.2", "application/octet-stream"},
        {"4", "multipart/mixed"},
        {"4.1", "image/gif"},
        {"4.2", "message/rfc822"},
        {"4.2.1", "text/plain"},
        {"4.2.2", "multipart/alternative"},
        {"4.2.2.1", "text/plain"},
        {"4.2.2.2", "text/richtext"},
    };
    const auto parts = number_parts(*tree);
    ASSERT_EQ(parts.size(), std::size(expected));
    for (std::size_t i = 0; i < parts.size(); ++i) {
        EXPECT_EQ(parts[i].section, expected[i].section);
        EXPECT_EQ(parts[i].part->content_type.mime_type(), expected[i].type) << parts[i].section;
        EXPECT_EQ(find_part(*tree, parts[i].section), parts[i].part) << parts[i].section;
    }
    EXPECT_EQ(find_part(*tree, "1")->body(msg), "part 1");
    EXPECT_EQ(*decode_body(*find_part(*tree, "2"), msg), "part 2");
    EXPECT_EQ(find_part(*tree, "3.1")->body(msg), "part 3.1");
    EXPECT_EQ(find_part(*tree, "4.2.2.2")->body(msg), "part 4.2.2.2");
    // 3.HEADER and 4.2.HEADER: the encapsulated messages' own headers.
    const MimePart* three = find_part(*tree, "3");
    ASSERT_EQ(three->children.size(), 1u);
    EXPECT_EQ(three->children[0].header.get("Subject"), "inner 3");
    EXPECT_EQ(three->children[0].offset, three->body_offset);
    EXPECT_EQ(three->children[0].end_offset(), three->end_offset());
    EXPECT_EQ(find_part(*tree, "4.2")->children[0].header.get("Subject"), "inner 4.2");
    const std::vector<unsigned> path = {4, 2, 2, 1};
    EXPECT_EQ(find_part(*tree, path)->body(msg), "part 4.2.2.1");
    for (std::string_view bad : {"", "5", "1.1", "4.3", "4.2.3", "4.2.2.3", "4..1", "4.", ".4",
                                 "04", "a", "4.2.2.1.1", "99999999999999999999"}) {
        EXPECT_EQ(find_part(*tree, bad), nullptr) << bad;
    }
}

TEST(MimeTree, AnEncapsulatedMessageThatIsNotMultipartIsItsPartOne) {
    const std::string msg = crlf(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nintro\n--b\n"
        "Content-Type: message/rfc822\n\nSubject: fwd\n\nforwarded text\n--b--\n");
    auto tree = parse_message(msg);
    ASSERT_TRUE(tree);
    const MimePart* inner = find_part(*tree, "2.1");
    ASSERT_NE(inner, nullptr);
    EXPECT_EQ(inner->header.get("Subject"), "fwd");
    EXPECT_EQ(inner->body(msg), "forwarded text");
    const auto parts = number_parts(*tree);
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(parts[2].section, "2.1");
    EXPECT_EQ(find_part(*tree, "2.2"), nullptr);
    // A top-level message/rfc822: 1 is the message's body, 1.1 the inner one's.
    const std::string top = crlf("Content-Type: message/rfc822\n\nSubject: in\n\nx\n");
    auto wrapped = parse_message(top);
    ASSERT_TRUE(wrapped);
    EXPECT_EQ(find_part(*wrapped, "1"), &*wrapped);
    ASSERT_NE(find_part(*wrapped, "1.1"), nullptr);
    EXPECT_EQ(find_part(*wrapped, "1.1")->header.get("Subject"), "in");
}

TEST(MimeTree, ToleratesWhatStoredMailGetsWrong) {
    // No close delimiter: the last part runs to the end.
    const std::string open =
        crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n");
    auto unclosed = parse_message(open);
    ASSERT_TRUE(unclosed);
    ASSERT_EQ(unclosed->children.size(), 2u);
    EXPECT_EQ(unclosed->children[1].body(open), crlf("two\n"));
    // "--b" followed by text, or not at the start of a line, is no delimiter.
    const std::string lookalike =
        crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--bx\n x--b\n--b--\n");
    auto look = parse_message(lookalike);
    ASSERT_TRUE(look);
    ASSERT_EQ(look->children.size(), 1u);
    EXPECT_EQ(look->children[0].body(lookalike), crlf("--bx\n x--b"));
    // A boundary that never comes, or none at all: no parts.
    for (std::string_view ct :
         {"multipart/mixed; boundary=never", "multipart/mixed", "multipart/mixed; boundary=\"\""}) {
        const std::string m = "Content-Type: " + std::string(ct) + "\r\n\r\nbody\r\n--b\r\n";
        auto none = parse_message(m);
        ASSERT_TRUE(none) << ct;
        EXPECT_TRUE(none->children.empty()) << ct;
        EXPECT_TRUE(number_parts(*none).empty());
    }
    // A malformed Content-Type is text/plain.
    auto bad_ct = parse_message("Content-Type: garbage\r\n\r\nx");
    ASSERT_TRUE(bad_ct);
    EXPECT_EQ(bad_ct->content_type.mime_type(), "text/plain");
    EXPECT_EQ(bad_ct->content_type.parameter("charset"), "us-ascii");
    // Bare LF line ends.
    const std::string lf =
        "Content-Type: multipart/alternative; boundary=z\n\n--z\n\na\n--z\n\nb\n--z--\n";
    auto bare = parse_message(lf);
    ASSERT_TRUE(bare);
    ASSERT_EQ(bare->children.size(), 2u);
    EXPECT_EQ(bare->children[0].body(lf), "a");
    EXPECT_EQ(bare->children[1].body(lf), "b");
    // An encoded message/rfc822 stays a leaf.
    auto encoded = parse_message(
        "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: "
        "base64\r\n\r\nU3ViamVjdDogeA==\r\n");
    ASSERT_TRUE(encoded);
    EXPECT_TRUE(encoded->children.empty());
    // The same boundary inside: the outer multipart takes every delimiter line.
    const std::string same = crlf(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/mixed; "
        "boundary=b\n\n--b\n\ninner\n--b--\n--b--\n");
    auto reused = parse_message(same);
    ASSERT_TRUE(reused);
    EXPECT_EQ(reused->children.size(), 2u);
}

TEST(MimeTree, PartsOfADigestDefaultToMessages) {
    const std::string msg = crlf(
        "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nfirst\n--d\n"
        "Content-Type: text/plain\n\nnot a message\n--d--\n");
    auto tree = parse_message(msg);
    ASSERT_TRUE(tree);
    ASSERT_EQ(tree->children.size(), 2u);
    EXPECT_EQ(tree->children[0].content_type.mime_type(), "message/rfc822");
    ASSERT_EQ(tree->children[0].children.size(), 1u);
    EXPECT_EQ(tree->children[0].children[0].header.get("Subject"), "one");
    EXPECT_EQ(find_part(*tree, "1.1")->body(msg), "first");
    EXPECT_EQ(tree->children[1].content_type.mime_type(), "text/plain");
}

TEST(MimeTree, PartDetailsForImapAndTheReader) {
    const std::string msg = crlf(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: Quoted-Printable\n\n"
        "caf=C3=A9 =\nau lait\n--b\n"
        "Content-Type: application/pdf; name=\"from-type.pdf\"\n"
        "Content-Disposition: attachment; filename*=UTF-8''%E2%82%AC.pdf\n"
        "Content-Transfer-Encoding: base64 (comment)\n\nJVBERi0=\n--b\n"
        "Content-Type: image/png; name=only-name.png\nContent-Transfer-Encoding: x-unknown\n\n"
        "???\n--b--\n");
    auto tree = parse_message(msg);
    ASSERT_TRUE(tree);
    ASSERT_EQ(tree->children.size(), 3u);
    const MimePart& text = tree->children[0];
    EXPECT_EQ(text.transfer_encoding, "quoted-printable");
    EXPECT_EQ(*decode_body(text, msg), "caf\xC3\xA9 au lait");
    EXPECT_EQ(text.body_lines, 2u);
    EXPECT_FALSE(text.disposition);
    EXPECT_EQ(text.filename(), "");
    const MimePart& pdf = tree->children[1];
    ASSERT_TRUE(pdf.disposition);
    EXPECT_EQ(pdf.disposition->type, "attachment");
    EXPECT_EQ(pdf.filename(), "\xE2\x82\xAC.pdf");
    EXPECT_EQ(pdf.transfer_encoding, "base64");
    EXPECT_EQ(*decode_body(pdf, msg), "%PDF-");
    const MimePart& png = tree->children[2];
    EXPECT_EQ(png.filename(), "only-name.png");
    auto unknown = decode_body(png, msg);
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error(), TransferError::unknown_encoding);
}

// `levels` multiparts, each the only part of the one outside it.
std::string nested_multiparts(std::size_t levels) {
    std::string head, tail;
    for (std::size_t i = 0; i < levels; ++i) {
        const std::string b = "b" + std::to_string(i);
        head += "Content-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b + "\r\n";
        tail = "\r\n--" + b + "--\r\n" + tail;
    }
    return head + "\r\ninnermost" + tail;
}

std::string nested_messages(std::size_t levels) {
    std::string out;
    for (std::size_t i = 0; i < levels; ++i) {
        out += "Content-Type: message/rfc822\r\n\r\n";
    }
    return out + "\r\ninnermost";
}

TEST(MimeTree, NestingIsBounded) {
    const MimeLimits limits;
    // The message is depth 0 and the innermost text part depth `levels`.
    auto deepest = parse_message(nested_multiparts(limits.max_depth));
    ASSERT_TRUE(deepest);
    std::string section = "1";
    for (std::size_t i = 1; i < limits.max_depth; ++i) {
        section += ".1";
    }
    ASSERT_NE(find_part(*deepest, section), nullptr);
    EXPECT_EQ(find_part(*deepest, section)->body(nested_multiparts(limits.max_depth)), "innermost");
    auto too_deep = parse_message(nested_multiparts(limits.max_depth + 1));
    ASSERT_FALSE(too_deep);
    EXPECT_EQ(too_deep.error(), MimeError::too_deep);
    EXPECT_TRUE(parse_message(nested_messages(limits.max_depth)));
    auto messages = parse_message(nested_messages(limits.max_depth + 1));
    ASSERT_FALSE(messages);
    EXPECT_EQ(messages.error(), MimeError::too_deep);
    // Far beyond: still an error, not a crash.
    EXPECT_FALSE(parse_message(nested_multiparts(5000)));
    EXPECT_FALSE(parse_message(nested_messages(100000)));
}

TEST(MimeTree, PartCountIsBounded) {
    MimeLimits limits;
    limits.max_parts = 50;
    auto many = [](std::size_t n) {
        std::string m = "Content-Type: multipart/mixed; boundary=p\r\n\r\n";
        for (std::size_t i = 0; i < n; ++i) {
            m += "--p\r\n\r\nx\r\n";
        }
        return m + "--p--\r\n";
    };
    auto fits = parse_message(many(49), limits);  // 49 parts and the message
    ASSERT_TRUE(fits);
    EXPECT_EQ(fits->children.size(), 49u);
    auto over = parse_message(many(50), limits);
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error(), MimeError::too_many_parts);
    auto default_over = parse_message(many(2000));
    ASSERT_FALSE(default_over);
    EXPECT_EQ(default_over.error(), MimeError::too_many_parts);
}

TEST(MimeTree, HeaderLimitsApplyToEveryPart) {
    const std::string long_line =
        crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nX-Long: ") +
        std::string(100000, 'x') + "\r\n\r\nbody\r\n--b--\r\n";
    auto r = parse_message(long_line);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), MimeError::header_line_too_long);
    MimeLimits limits;
    limits.header.max_fields = 2;
    auto fields = parse_message(crlf("A: 1\nB: 2\nC: 3\n\n"), limits);
    ASSERT_FALSE(fields);
    EXPECT_EQ(fields.error(), MimeError::too_many_header_fields);
    limits = {};
    limits.header.max_section_bytes = 10;
    auto section = parse_message(crlf("Subject: 12345\n\n"), limits);
    ASSERT_FALSE(section);
    EXPECT_EQ(section.error(), MimeError::header_section_too_large);
    EXPECT_EQ(describe(MimeError::too_deep), "MIME parts nested too deeply");
}

// Every part lies inside its parent, headers before bodies.
void expect_consistent(const MimePart& part, std::size_t begin, std::size_t end) {
    EXPECT_LE(begin, part.offset);
    EXPECT_LE(part.offset, part.body_offset);
    EXPECT_LE(part.body_offset, part.end_offset());
    EXPECT_LE(part.end_offset(), end);
    for (const MimePart& child : part.children) {
        expect_consistent(child, part.body_offset, part.end_offset());
    }
}

TEST(MimeTree, EveryPrefixOfAComplexMessageParsesConsistently) {
    const std::string msg = rfc3501_example();
    for (std::size_t n = 0; n <= msg.size(); ++n) {
        const std::string_view prefix = std::string_view(msg).substr(0, n);
        auto tree = parse_message(prefix);
        ASSERT_TRUE(tree) << n;
        expect_consistent(*tree, 0, n);
        for (const NumberedPart& p : number_parts(*tree)) {
            EXPECT_EQ(find_part(*tree, p.section), p.part);
            EXPECT_TRUE(decode_body(*p.part, prefix) || p.part->transfer_encoding != "base64");
        }
    }
}

}  // namespace
}  // namespace l7::mail
