// Composing messages: exact output for a simple one, and round trips through the parsers
// (header, addresses, encoded words, MIME tree, transfer encodings) for everything else.

#include <gtest/gtest.h>

#include <string>

#include "mail/compose.hpp"
#include "mail/encoded_word.hpp"
#include "mail/mail_date.hpp"
#include "mail/mime.hpp"

namespace l7::mail {
namespace {

Mailbox mb(std::string display, std::string local, std::string domain) {
    Mailbox m;
    m.display_name = std::move(display);
    m.local_part = std::move(local);
    m.domain = std::move(domain);
    return m;
}

NewMessage simple() {
    NewMessage m;
    m.from = mb("Ann Example", "ann", "example.com");
    m.to = {mb("", "bob", "example.org")};
    m.subject = "Lunch";
    m.date = 1796055321;
    m.message_id_left = "4f1c9a0b";
    m.message_id_domain = "example.com";
    m.text = "See you at noon.\n";
    m.boundary_random = "\x01\x23\x45\x67\x89\xab\xcd\xef";
    return m;
}

// Every line ends in CRLF (no bare CR or LF) and is at most 998 characters.
void expect_wire_form(const std::string& msg) {
    std::size_t line = 0;
    for (std::size_t i = 0; i < msg.size(); ++i) {
        if (msg[i] == '\r') {
            ASSERT_TRUE(i + 1 < msg.size() && msg[i + 1] == '\n') << "bare CR at " << i;
            ++i;
            line = 0;
            continue;
        }
        ASSERT_NE(msg[i], '\n') << "bare LF at " << i;
        ASSERT_LE(++line, kMaxLineLength) << "long line at " << i;
    }
}

TEST(Compose, ASimpleMessageIsExactly) {
    auto msg = compose_message(simple());
    ASSERT_TRUE(msg);
    EXPECT_EQ(*msg,
              "Date: Mon, 30 Nov 2026 16:15:21 +0000\r\n"
              "From: Ann Example <ann@example.com>\r\n"
              "To: bob@example.org\r\n"
              "Subject: Lunch\r\n"
              "Message-ID: <4f1c9a0b@example.com>\r\n"
              "MIME-Version: 1.0\r\n"
              "Content-Type: text/plain; charset=utf-8\r\n"
              "Content-Transfer-Encoding: 7bit\r\n"
              "\r\n"
              "See you at noon.\r\n");
    EXPECT_EQ(*compose_message(simple()), *msg);  // deterministic
}

TEST(Compose, NonAsciiHeadersAndTextAreEncodedAndParseBack) {
    NewMessage m = simple();
    m.from = mb("J\xC3\xBCrgen M\xC3\xBCller", "j", "example.com");
    m.to = {mb("\xE5\xB1\xB1\xE7\x94\xB0", "yamada", "example.jp"), Group{"Team", "", {}}};
    m.cc = {mb("Quote \"Me\"", "q", "example.net")};
    m.reply_to = {mb("", "replies", "example.com")};
    m.subject =
        "Gr\xC3\xBC\xC3\x9F"
        "e aus K\xC3\xB6ln \xE2\x80\x94 " +
        std::string(80, 's');
    m.text =
        "Gr\xC3\xBC\xC3\x9F"
        "e!\nZweite Zeile\n";
    m.extra_fields = {{"In-Reply-To", "<1@example.org>"}, {"User-Agent", "l7"}};
    auto msg = compose_message(m);
    ASSERT_TRUE(msg);
    expect_wire_form(*msg);
    auto tree = parse_message(*msg);
    ASSERT_TRUE(tree);
    const Header& h = tree->header;
    EXPECT_EQ(decode_encoded_words(*h.get("Subject")), m.subject);
    auto from = parse_mailbox(*h.get("From"));
    ASSERT_TRUE(from);
    EXPECT_EQ(from->display_name, m.from.display_name);
    auto to = parse_address_list(*h.get("To"));
    ASSERT_TRUE(to);
    ASSERT_EQ(to->size(), 2u);
    EXPECT_EQ(std::get<Mailbox>((*to)[0]).display_name, "\xE5\xB1\xB1\xE7\x94\xB0");
    EXPECT_EQ(std::get<Group>((*to)[1]).display_name, "Team");
    EXPECT_EQ(std::get<Mailbox>(parse_address_list(*h.get("Cc"))->at(0)).display_name,
              "Quote \"Me\"");
    EXPECT_EQ(h.get("Reply-To"), "replies@example.com");
    EXPECT_EQ(h.get("In-Reply-To"), "<1@example.org>");
    EXPECT_EQ(h.get("User-Agent"), "l7");
    EXPECT_EQ(parse_mail_date(*h.get("Date"))->unix_seconds, m.date);
    EXPECT_EQ(tree->transfer_encoding, "quoted-printable");
    EXPECT_EQ(tree->content_type.parameter("charset"), "utf-8");
    EXPECT_EQ(*decode_body(*tree, *msg),
              "Gr\xC3\xBC\xC3\x9F"
              "e!\r\nZweite Zeile\r\n");
}

TEST(Compose, TheTextEncodingDependsOnTheText) {
    struct Case {
        std::string text;
        std::string_view encoding;
    };
    const Case cases[] = {
        {"plain\nascii\n", "7bit"},
        {std::string(kMaxPlainTextLine, 'x'), "7bit"},
        {std::string(kMaxPlainTextLine + 1, 'x'), "quoted-printable"},
        {"caf\xC3\xA9", "quoted-printable"},
        {std::string("nul\0byte", 8), "quoted-printable"},
        {"", "7bit"},
    };
    for (const Case& c : cases) {
        NewMessage m = simple();
        m.text = c.text;
        auto msg = compose_message(m);
        ASSERT_TRUE(msg);
        expect_wire_form(*msg);
        auto tree = parse_message(*msg);
        ASSERT_TRUE(tree);
        EXPECT_EQ(tree->transfer_encoding, c.encoding) << c.text;
        std::string expected = c.text;
        for (std::size_t i = expected.find('\n'); i != std::string::npos;
             i = expected.find('\n', i + 2)) {
            expected.insert(i, 1, '\r');
        }
        EXPECT_EQ(*decode_body(*tree, *msg), expected);
    }
    NewMessage m = simple();
    m.text = "mac\rold\r\nwindows\nunix";
    auto msg = compose_message(m);
    ASSERT_TRUE(msg);
    EXPECT_EQ(*decode_body(*parse_message(*msg), *msg), "mac\r\nold\r\nwindows\r\nunix");
}

TEST(Compose, AttachmentsMakeAMultipartThatParsesBack) {
    NewMessage m = simple();
    std::string binary;
    for (int i = 0; i < 3000; ++i) {
        binary += static_cast<char>(i * 7 % 256);
    }
    m.attachments = {
        {"report.pdf", "application/pdf", "%PDF-1.4 ..."},
        {"\xE2\x82\xAC uro \xE6\x97\xA5\xE6\x9C\xAC.bin", "application/octet-stream", binary},
        {"data.csv", "text/csv; charset=utf-8", "a,b\r\n1,2\r\n"},
        {"", "image/png", ""},
        {"fwd.eml", "message/rfc822", "Subject: forwarded\r\n\r\nold text\r\n"},
    };
    auto msg = compose_message(m);
    ASSERT_TRUE(msg);
    expect_wire_form(*msg);
    auto tree = parse_message(*msg);
    ASSERT_TRUE(tree);
    EXPECT_EQ(tree->content_type.mime_type(), "multipart/mixed");
    ASSERT_EQ(tree->children.size(), 6u);
    EXPECT_EQ(*decode_body(tree->children[0], *msg), "See you at noon.\r\n");
    for (std::size_t i = 0; i < m.attachments.size(); ++i) {
        const Attachment& a = m.attachments[i];
        const MimePart& part = tree->children[i + 1];
        SCOPED_TRACE(a.filename);
        EXPECT_EQ(part.content_type.mime_type(), parse_content_type(a.content_type)->mime_type());
        ASSERT_TRUE(part.disposition);
        EXPECT_EQ(part.disposition->type, "attachment");
        EXPECT_EQ(part.filename(), a.filename);
        EXPECT_EQ(part.content_type.parameter("name").value_or(""), a.filename);
        EXPECT_EQ(*decode_body(part, *msg), a.data);
    }
    EXPECT_EQ(tree->children[1].transfer_encoding, "base64");
    EXPECT_EQ(tree->children[3].content_type.parameter("charset"), "utf-8");
    EXPECT_EQ(tree->children[5].transfer_encoding, "7bit");
    ASSERT_EQ(tree->children[5].children.size(), 1u);
    EXPECT_EQ(tree->children[5].children[0].header.get("Subject"), "forwarded");
    EXPECT_EQ(number_parts(*tree).size(), 7u);  // 1-6 and 6.1
}

TEST(Compose, TheBoundaryAvoidsEveryPart) {
    const std::string parts[] = {"text with --=_l7_abcd inside", "and --=_l7_abcd_1 too"};
    EXPECT_EQ(choose_boundary("\xab\xcd", parts), "=_l7_abcd_2");
    EXPECT_EQ(choose_boundary("\xab\xcd", std::span<const std::string>()), "=_l7_abcd");
    EXPECT_EQ(choose_boundary("", std::span<const std::string>()), "=_l7_");
    EXPECT_EQ(choose_boundary(std::string(100, '\xff'), std::span<const std::string>()).size(),
              5 + 2 * kMaxBoundaryRandomBytes);

    NewMessage m = simple();
    m.boundary_random = "\xab\xcd";
    m.text = "A line that is the boundary:\n--=_l7_abcd\n--=_l7_abcd--\n";
    m.attachments = {{"x.txt", "text/plain", "--=_l7_abcd_1\r\n"}};
    auto msg = compose_message(m);
    ASSERT_TRUE(msg);
    auto tree = parse_message(*msg);
    ASSERT_TRUE(tree);
    EXPECT_EQ(tree->content_type.parameter("boundary"), "=_l7_abcd_1");
    ASSERT_EQ(tree->children.size(), 2u);
    EXPECT_EQ(*decode_body(tree->children[0], *msg),
              "A line that is the boundary:\r\n--=_l7_abcd\r\n--=_l7_abcd--\r\n");
}

TEST(Compose, RefusesWhatCannotBeSent) {
    struct Case {
        std::string_view what;
        void (*change)(NewMessage&);
        ComposeError error;
    };
    const Case cases[] = {
        {"empty from", [](NewMessage& m) { m.from = Mailbox{}; }, ComposeError::invalid_from},
        {"from without domain", [](NewMessage& m) { m.from.domain.clear(); },
         ComposeError::invalid_from},
        {"from with CRLF", [](NewMessage& m) { m.from.local_part = "a\r\nBcc: x"; },
         ComposeError::invalid_from},
        {"bad domain", [](NewMessage& m) { m.from.domain = "exa mple.com"; },
         ComposeError::invalid_from},
        {"bad literal", [](NewMessage& m) { m.from.domain = "[1.2]3]"; },
         ComposeError::invalid_from},
        {"bad to", [](NewMessage& m) { m.to.push_back(mb("", "", "x.example")); },
         ComposeError::invalid_address},
        {"bad group member",
         [](NewMessage& m) {
             m.cc = {Group{"G", "", {mb("", "a", "b..c")}}};
         },
         ComposeError::invalid_address},
        {"bad reply-to", [](NewMessage& m) { m.reply_to = {mb("", "a", "")}; },
         ComposeError::invalid_address},
        {"id with space", [](NewMessage& m) { m.message_id_left = "a b"; },
         ComposeError::invalid_message_id},
        {"id without domain", [](NewMessage& m) { m.message_id_domain.clear(); },
         ComposeError::invalid_message_id},
        {"id with UTF-8", [](NewMessage& m) { m.message_id_left = "\xC3\xA9"; },
         ComposeError::invalid_message_id},
        {"field name",
         [](NewMessage& m) {
             m.extra_fields = {{"Bad Name", "x"}};
         },
         ComposeError::invalid_field},
        {"field injection",
         [](NewMessage& m) {
             m.extra_fields = {{"X-Note", "x\r\nBcc: victim@example.com"}};
         },
         ComposeError::invalid_field},
        {"content type",
         [](NewMessage& m) {
             m.attachments = {{"a", "garbage", "x"}};
         },
         ComposeError::invalid_content_type},
        {"multipart attachment",
         [](NewMessage& m) {
             m.attachments = {{"a", "multipart/mixed; boundary=x", "x"}};
         },
         ComposeError::invalid_content_type},
        {"message with bare LF",
         [](NewMessage& m) {
             m.attachments = {{"a", "message/rfc822", "Subject: x\n\nbody\n"}};
         },
         ComposeError::attachment_not_encodable},
        {"message with NUL",
         [](NewMessage& m) {
             m.attachments = {{"a", "message/rfc822", std::string("A: \0\r\n", 6)}};
         },
         ComposeError::attachment_not_encodable},
        {"message with a long line",
         [](NewMessage& m) {
             m.attachments = {{"a", "message/rfc822", "A: " + std::string(1000, 'x') + "\r\n"}};
         },
         ComposeError::attachment_not_encodable},
    };
    for (const Case& c : cases) {
        NewMessage m = simple();
        c.change(m);
        auto msg = compose_message(m);
        ASSERT_FALSE(msg) << c.what;
        EXPECT_EQ(msg.error(), c.error) << c.what << ": " << describe(msg.error());
    }
}

TEST(Compose, OddButValidInputStillMakesAValidMessage) {
    NewMessage m = simple();
    m.from = mb("", "first last", "[192.0.2.1]");
    m.subject = std::string(2000, 'x');  // one word longer than a line: encoded to fold
    m.text = std::string(5000, 'y') + "\n" + "trailing space \n";
    m.attachments = {{std::string(300, 'n') + ".txt", "text/plain", std::string(10000, 'z')}};
    auto msg = compose_message(m);
    ASSERT_TRUE(msg);
    expect_wire_form(*msg);
    auto tree = parse_message(*msg);
    ASSERT_TRUE(tree);
    EXPECT_EQ(decode_encoded_words(*tree->header.get("Subject")), m.subject);
    EXPECT_EQ(parse_mailbox(*tree->header.get("From"))->local_part, "first last");
    ASSERT_EQ(tree->children.size(), 2u);
    EXPECT_EQ(*decode_body(tree->children[0], *msg),
              std::string(5000, 'y') + "\r\ntrailing space \r\n");
    EXPECT_EQ(tree->children[1].filename(), m.attachments[0].filename);
}

}  // namespace
}  // namespace l7::mail
