// The header section of a message (RFC 5322 sections 2.1 to 2.2): splitting, unfolding,
// lookups, editing and folding.

#include <gtest/gtest.h>

#include <string>

#include "mail/header.hpp"
#include "mail/mail_date.hpp"

namespace l7::mail {
namespace {

// RFC 5322 Appendix A.1.1.
constexpr std::string_view kA11 =
    "From: John Doe <jdoe@machine.example>\r\n"
    "To: Mary Smith <mary@example.net>\r\n"
    "Subject: Saying Hello\r\n"
    "Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n"
    "Message-ID: <1234@local.machine.example>\r\n"
    "\r\n"
    "This is a message just to say hello.\r\n"
    "So, \"Hello\".\r\n";

TEST(Header, SplitsTheAppendixA11MessageAtTheEmptyLine) {
    auto parsed = parse_header(kA11);
    ASSERT_TRUE(parsed);
    const Header& h = parsed->header;
    ASSERT_EQ(h.size(), 5u);
    EXPECT_EQ(h.fields()[0].name, "From");
    EXPECT_EQ(h.fields()[0].value, "John Doe <jdoe@machine.example>");
    EXPECT_EQ(h.fields()[0].raw, "From: John Doe <jdoe@machine.example>\r\n");
    EXPECT_EQ(h.get("subject"), "Saying Hello");
    EXPECT_EQ(h.get("MESSAGE-ID"), "<1234@local.machine.example>");
    EXPECT_TRUE(parsed->has_empty_line);
    EXPECT_FALSE(parsed->bare_lf);
    EXPECT_EQ(kA11.substr(parsed->body_offset),
              "This is a message just to say hello.\r\nSo, \"Hello\".\r\n");
    // BODY[HEADER] is everything before the body, the empty line included.
    EXPECT_TRUE(kA11.substr(0, parsed->body_offset).ends_with(">\r\n\r\n"));
    EXPECT_EQ(h.to_string() + "\r\n", kA11.substr(0, parsed->body_offset));
}

TEST(Header, UnfoldsContinuationLinesAndKeepsTheRawBytes) {
    // RFC 5322 2.2.3's example, and A.5's folded Subject with leading whitespace.
    const std::string_view msg =
        "Subject: This\r\n is a test\r\n"
        "To:\r\n\tmary@example.net ,\r\n  jdoe@example.org  \r\n"
        "X-Empty:\r\n"
        "\r\n";
    auto parsed = parse_header(msg);
    ASSERT_TRUE(parsed);
    const Header& h = parsed->header;
    ASSERT_EQ(h.size(), 3u);
    EXPECT_EQ(h.get("Subject"), "This is a test");
    EXPECT_EQ(h.fields()[0].raw, "Subject: This\r\n is a test\r\n");
    EXPECT_EQ(h.get("To"), "mary@example.net ,  jdoe@example.org");
    EXPECT_EQ(h.get("X-Empty"), "");
    EXPECT_EQ(parsed->body_offset, msg.size());
}

TEST(Header, AppendixA4TraceFieldsAreFoldedAndGoFirst) {
    const std::string_view msg =
        "Received: from x.y.test\r\n"
        "   by example.net\r\n"
        "   via TCP\r\n"
        "   with ESMTP\r\n"
        "   id ABC12345\r\n"
        "   for <mary@example.net>;  21 Nov 1997 10:05:43 -0600\r\n"
        "Received: from node.example by x.y.test; 21 Nov 1997 10:01:22 -0600\r\n"
        "From: John Doe <jdoe@node.example>\r\n"
        "\r\n"
        "This is a message just to say hello.\r\n";
    auto parsed = parse_header(msg);
    ASSERT_TRUE(parsed);
    Header h = parsed->header;
    const std::string_view received = *h.get("Received");
    EXPECT_EQ(received,
              "from x.y.test   by example.net   via TCP   with ESMTP   id ABC12345   for "
              "<mary@example.net>;  21 Nov 1997 10:05:43 -0600");
    // The date after the last ';' (RFC 5321 4.4).
    auto date = parse_mail_date(received.substr(received.rfind(';') + 1));
    ASSERT_TRUE(date);
    EXPECT_EQ(date->unix_seconds, 880128343);
    EXPECT_EQ(date->utc_offset_minutes, -360);
    // An SMTP server adds its own trace field on top; everything else stays as received.
    ASSERT_TRUE(h.prepend(
        "Received", "from example.net by mail.example.org; " + format_mail_date(880128400, 0)));
    EXPECT_EQ(h.to_string(),
              "Received: from example.net by mail.example.org; Fri, 21 Nov 1997 16:06:40\r\n"
              " +0000\r\n" +
                  std::string(msg.substr(0, parsed->body_offset - 2)));
}

TEST(Header, NamesAreCaseInsensitiveRepeatsKeepTheirOrder) {
    auto parsed = parse_header(
        "Received: from a by b\r\nreceived: from c by d\r\nSubject: s\r\nRECEIVED: x\r\n\r\n");
    ASSERT_TRUE(parsed);
    const Header& h = parsed->header;
    EXPECT_EQ(h.count("Received"), 3u);
    EXPECT_EQ(h.get_all("received"),
              (std::vector<std::string_view>{"from a by b", "from c by d", "x"}));
    EXPECT_EQ(h.get("Received"), "from a by b");
    EXPECT_EQ(h.fields()[1].name, "received");
    EXPECT_FALSE(h.get("Cc"));
    EXPECT_EQ(h.find("Cc"), nullptr);
    EXPECT_TRUE(h.contains("SUBJECT"));
}

TEST(Header, AcceptsBareLfLineEndsAndSaysSo) {
    const std::string_view msg = "From: a@b.example\nSubject: two\n  lines\n\nbody\n";
    auto parsed = parse_header(msg);
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(parsed->bare_lf);
    EXPECT_TRUE(parsed->has_empty_line);
    EXPECT_EQ(parsed->header.get("Subject"), "two  lines");
    EXPECT_EQ(parsed->header.fields()[1].raw, "Subject: two\n  lines\n");
    EXPECT_EQ(msg.substr(parsed->body_offset), "body\n");
}

TEST(Header, ObsoleteWhitespaceBeforeTheColonIsAccepted) {
    auto parsed = parse_header("Subject \t: hi\r\n\r\n");
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->header.size(), 1u);
    EXPECT_EQ(parsed->header.fields()[0].name, "Subject");
    EXPECT_EQ(parsed->header.get("subject"), "hi");
}

TEST(Header, ALineThatCannotStartAFieldBeginsTheBody) {
    struct Case {
        std::string_view input;
        std::size_t fields;
        std::string_view body;
    };
    const Case cases[] = {
        {"From: a@b\r\nthis is no field\r\nmore\r\n", 1, "this is no field\r\nmore\r\n"},
        {"From: a@b\r\n: empty name\r\n", 1, ": empty name\r\n"},
        {"From: a@b\r\nBad\x80Name: x\r\n", 1, "Bad\x80Name: x\r\n"},
        {" leading continuation\r\nFrom: a@b\r\n\r\n", 0,
         " leading continuation\r\nFrom: a@b\r\n\r\n"},
        {"just a body", 0, "just a body"},
        {"", 0, ""},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.input);
        auto parsed = parse_header(c.input);
        ASSERT_TRUE(parsed);
        EXPECT_EQ(parsed->header.size(), c.fields);
        EXPECT_FALSE(parsed->has_empty_line);
        EXPECT_EQ(c.input.substr(parsed->body_offset), c.body);
    }
}

TEST(Header, WithoutAnEmptyLineEverythingIsHeader) {
    auto parsed = parse_header("From: a@b\r\nSubject: no body");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->header.size(), 2u);
    EXPECT_EQ(parsed->header.get("Subject"), "no body");
    EXPECT_EQ(parsed->header.fields()[1].raw, "Subject: no body");
    EXPECT_EQ(parsed->body_offset, 27u);
    EXPECT_FALSE(parsed->has_empty_line);
}

TEST(Header, ValuesKeepEightBitBytesNulAndBareCr) {
    const std::string msg = std::string("Subject: caf\xC3\xA9 \xE9\0x\ry\r\n\r\n", 20);
    auto parsed = parse_header(msg);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->header.get("Subject"), std::string_view("caf\xC3\xA9 \xE9\0x\ry", 11));
}

TEST(Header, LimitsAreErrors) {
    HeaderLimits limits;
    limits.max_fields = 3;
    EXPECT_TRUE(parse_header("A: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits));
    auto many = parse_header("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits);
    ASSERT_FALSE(many);
    EXPECT_EQ(many.error(), HeaderError::too_many_fields);

    limits = {};
    limits.max_line_bytes = 20;
    EXPECT_TRUE(parse_header("Subject: 12345678901\r\n\r\n", limits));  // 20 bytes
    auto long_line = parse_header("Subject: 123456789012\r\n\r\n", limits);
    ASSERT_FALSE(long_line);
    EXPECT_EQ(long_line.error(), HeaderError::line_too_long);

    limits = {};
    limits.max_section_bytes = 17;
    EXPECT_TRUE(parse_header("A: 1234567890\r\n\r\nbody", limits));  // 17 with the empty line
    auto large = parse_header("A: 12345678901\r\n\r\n", limits);
    ASSERT_FALSE(large);
    EXPECT_EQ(large.error(), HeaderError::section_too_large);
    EXPECT_EQ(describe(HeaderError::section_too_large), "header section too large");
}

TEST(Header, HundredThousandCharacterLinesAreRefusedInTheHeaderButNotTheBody) {
    const std::string huge(100000, 'x');
    auto field = parse_header("Subject: " + huge + "\r\n\r\n");
    ASSERT_FALSE(field);
    EXPECT_EQ(field.error(), HeaderError::line_too_long);
    auto unterminated = parse_header("Subject: " + huge);
    ASSERT_FALSE(unterminated);
    EXPECT_EQ(unterminated.error(), HeaderError::line_too_long);
    auto continuation = parse_header("Subject: a\r\n " + huge + "\r\n\r\n");
    ASSERT_FALSE(continuation);
    EXPECT_EQ(continuation.error(), HeaderError::line_too_long);
    const std::string msg = "Subject: a\r\n\r\n" + huge + "\r\n";
    auto body = parse_header(msg);
    ASSERT_TRUE(body);
    EXPECT_EQ(body->body_offset, 14u);
    // A long line that is not a field is body, not an error.
    auto no_header = parse_header(huge);
    ASSERT_TRUE(no_header);
    EXPECT_EQ(no_header->body_offset, 0u);
}

TEST(Header, EveryPrefixOfAMessageParses) {
    const std::string_view msg =
        "Received: from x\r\n by y\r\nSubject: folded\r\n\tagain\nTo: a@b\r\n\r\nbody\r\n";
    for (std::size_t n = 0; n <= msg.size(); ++n) {
        const std::string_view prefix = msg.substr(0, n);
        auto parsed = parse_header(prefix);
        ASSERT_TRUE(parsed) << n;
        EXPECT_LE(parsed->body_offset, n);
        // What was taken as header gives back its bytes.
        std::string joined = parsed->header.to_string();
        if (parsed->has_empty_line) {
            joined += prefix.substr(joined.size(), parsed->body_offset - joined.size());
        }
        EXPECT_EQ(joined, prefix.substr(0, parsed->body_offset)) << n;
    }
}

TEST(Header, AddPrependSetAndRemove) {
    Header h;
    ASSERT_TRUE(h.add("Subject", "  hello  "));
    ASSERT_TRUE(h.add("Received", "two"));
    ASSERT_TRUE(h.prepend("Received", "one"));
    ASSERT_TRUE(h.add("received", "three"));
    EXPECT_EQ(h.get("Subject"), "hello");
    EXPECT_EQ(h.fields()[0].raw, "Received: one\r\n");
    EXPECT_EQ(h.get_all("Received"), (std::vector<std::string_view>{"one", "two", "three"}));
    ASSERT_TRUE(h.set("RECEIVED", "only"));
    EXPECT_EQ(h.get_all("Received"), (std::vector<std::string_view>{"only"}));
    EXPECT_EQ(h.to_string(), "RECEIVED: only\r\nSubject: hello\r\n");
    ASSERT_TRUE(h.set("To", "a@b"));
    EXPECT_EQ(h.fields().back().name, "To");
    EXPECT_EQ(h.remove("received"), 1u);
    EXPECT_EQ(h.remove("received"), 0u);
    EXPECT_EQ(h.size(), 2u);
}

TEST(Header, AddRefusesFieldsThatWouldSmuggleInOthers) {
    Header h;
    const std::pair<std::string_view, HeaderError> bad[] = {
        {"Subject", HeaderError::invalid_value},  // value below
        {"", HeaderError::invalid_name},         {"Sub ject", HeaderError::invalid_name},
        {"Sub:ject", HeaderError::invalid_name}, {"Sub\xC3\xA9", HeaderError::invalid_name},
    };
    for (const auto& [name, error] : bad) {
        auto r = h.add(name, name == "Subject" ? "x\r\nBcc: victim@example" : "x");
        ASSERT_FALSE(r) << name;
        EXPECT_EQ(r.error(), error);
    }
    EXPECT_FALSE(h.add("Subject", "x\ny"));
    EXPECT_FALSE(h.prepend("Subject", "x\ry"));
    EXPECT_FALSE(h.set("Subject", std::string_view("x\0y", 3)));
    EXPECT_TRUE(h.empty());
    EXPECT_TRUE(h.add("Subject", "caf\xC3\xA9"));  // UTF-8 is fine (RFC 6532)
}

TEST(Header, FoldsAt78WhereWhitespaceAllowsAndUnfoldsBackExactly) {
    const std::string value =
        "a fairly long subject line that will certainly need to be folded somewhere "
        "because it goes on and on,  with two spaces   and more words than fit";
    const std::string folded = fold_field("Subject", value);
    EXPECT_TRUE(folded.ends_with("\r\n"));
    std::size_t lines = 0;
    for (std::size_t begin = 0; begin < folded.size();) {
        const std::size_t end = folded.find("\r\n", begin);
        const std::string_view line = std::string_view(folded).substr(begin, end - begin);
        EXPECT_LE(line.size(), kFoldWidth) << line;
        EXPECT_NE(line.find_first_not_of(" \t"), std::string_view::npos);
        if (lines > 0) {
            EXPECT_TRUE(line.front() == ' ' || line.front() == '\t');
        }
        ++lines;
        begin = end + 2;
    }
    EXPECT_GE(lines, 2u);
    auto parsed = parse_header(folded + "\r\n");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->header.get("Subject"), value);
    EXPECT_EQ(fold_field("Subject", "short"), "Subject: short\r\n");
    EXPECT_EQ(fold_field("X-Empty", ""), "X-Empty:\r\n");
}

TEST(Header, ALongWordStaysWholeUpTo998AndIsSplitBeyond) {
    const std::string word(300, 'w');
    const std::string folded = fold_field("X-Long", "a " + word + " b");
    EXPECT_EQ(folded, "X-Long: a\r\n " + word + "\r\n b\r\n");

    const std::string huge(3000, 'h');
    const std::string split = fold_field("X-Huge", huge);
    std::string unfolded;
    for (std::size_t begin = 0; begin < split.size();) {
        const std::size_t end = split.find("\r\n", begin);
        const std::string_view line = std::string_view(split).substr(begin, end - begin);
        EXPECT_LE(line.size(), kMaxLineLength);
        unfolded += line;
        begin = end + 2;
    }
    std::erase(unfolded, ' ');
    EXPECT_EQ(unfolded, "X-Huge:" + huge);
}

TEST(Header, FoldingNeverLetsCrOrLfThrough) {
    EXPECT_EQ(fold_field("Subject", "a\r\nBcc: b"), "Subject: a  Bcc: b\r\n");
}

}  // namespace
}  // namespace l7::mail
