// Delivery status notifications, parsed back with l7_mail's MIME reader: the report's
// structure, its machine-readable fields, the returned content, line limits, and text from
// remote servers that must not break out of its field.

#include "mail/queue/dsn.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "mail/header.hpp"
#include "mail/mail_date.hpp"
#include "mail/mime.hpp"

namespace l7::mail {
namespace {

constexpr std::int64_t kArrival = 1'764'500'000;
constexpr std::int64_t kNow = kArrival + 3 * 86400;

const std::string kOriginal =
    "Received: from client.example.org by mx.example.org with ESMTP id 1764500000M1P42Q1;\r\n"
    "\tSun, 30 Nov 2025 10:53:20 +0000\r\n"
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.net, carol@example.com\r\n"
    "Subject: Lunch\r\n"
    "Message-ID: <lunch@example.org>\r\n"
    "\r\n"
    "Shall we?\r\n";

QueueEntry original_entry() {
    QueueEntry e;
    e.id = "1764500000M1P42Q1";
    e.mail_from = "alice@example.org";
    e.arrival = kArrival;
    e.origin = "client.example.org";
    e.parameters.envid = "QQ314159";
    QueueRecipient bob;
    bob.address = "bob@example.net";
    bob.state = RecipientState::failed;
    bob.attempts = 1;
    bob.last_attempt = kArrival + 2;
    bob.status = "5.1.1";
    bob.remote_mta = "mx.example.net";
    bob.last_reply = "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown";
    QueueRecipient carol;
    carol.address = "carol@example.com";
    carol.state = RecipientState::failed;
    carol.attempts = 40;
    carol.last_attempt = kNow;
    carol.status = "4.4.7";
    carol.remote_mta = "mx.example.com";
    carol.last_reply = "451 4.3.0 Temporary lookup failure";
    e.recipients = {bob, carol};
    return e;
}

BounceOptions options(DsnAction action = DsnAction::failed) {
    BounceOptions o;
    o.action = action;
    o.id = bounce_id("1764500000M1P42Q1", action, 3);
    o.reporting_mta = "mx.example.org";
    o.now = kNow;
    o.message_id_left = "dsn.5f3a9c";
    o.boundary_random = "\x01\x23\x45\x67\x89\xab\xcd\xef";
    o.will_retry_until = kArrival + 5 * 86400;
    return o;
}

Bounce compose(const QueueEntry& e, std::string_view message, const BounceOptions& o) {
    auto bounce = compose_bounce(e, e.recipients, message, o);
    EXPECT_TRUE(bounce) << (bounce ? "" : describe(bounce.error()));
    return bounce ? std::move(bounce).value() : Bounce{};
}

// The report's blocks of fields (RFC 3464 2.1: separated by empty lines), each parsed as a
// header section.
std::vector<Header> status_blocks(std::string_view body) {
    std::vector<Header> blocks;
    while (!body.empty()) {
        const std::size_t end = body.find("\r\n\r\n");
        const std::string_view block =
            body.substr(0, end == std::string_view::npos ? body.size() : end + 2);
        body.remove_prefix(end == std::string_view::npos ? body.size() : end + 4);
        if (block.empty() || block == "\r\n") {
            continue;
        }
        auto parsed = parse_header(block);
        EXPECT_TRUE(parsed);
        if (parsed) {
            blocks.push_back(parsed->header);
        }
    }
    return blocks;
}

std::string get(const Header& h, std::string_view name) {
    return std::string(h.get(name).value_or("<missing>"));
}

void expect_crlf_lines_within_limit(std::string_view text) {
    std::size_t line = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') {
            ASSERT_TRUE(i + 1 < text.size() && text[i + 1] == '\n') << "bare CR at " << i;
            ++i;
            line = 0;
            continue;
        }
        ASSERT_NE(text[i], '\n') << "bare LF at " << i;
        ++line;
        ASSERT_LE(line, kMaxLineLength) << "at " << i;
    }
    EXPECT_TRUE(text.ends_with("\r\n"));
}

TEST(Dsn, FailureReportHasTheThreeParts) {
    const Bounce b = compose(original_entry(), kOriginal, options());
    expect_crlf_lines_within_limit(b.message);

    auto tree = parse_message(b.message);
    ASSERT_TRUE(tree);
    const MimePart& top = *tree;
    EXPECT_TRUE(top.content_type.is("multipart", "report"));
    EXPECT_EQ(top.content_type.parameter("report-type"), "delivery-status");
    ASSERT_EQ(top.children.size(), 3u);
    EXPECT_TRUE(top.children[0].content_type.is("text", "plain"));
    EXPECT_EQ(top.children[0].content_type.parameter("charset"), "us-ascii");
    EXPECT_TRUE(top.children[1].content_type.is("message", "delivery-status"));
    EXPECT_TRUE(top.children[2].content_type.is("text", "rfc822-headers"));

    const Header& h = top.header;
    EXPECT_EQ(get(h, "From"), "Mail Delivery System <MAILER-DAEMON@mx.example.org>");
    EXPECT_EQ(get(h, "To"), "alice@example.org");
    EXPECT_EQ(get(h, "Subject"), "Undelivered Mail Returned to Sender");
    EXPECT_EQ(get(h, "Auto-Submitted"), "auto-replied");
    EXPECT_EQ(get(h, "MIME-Version"), "1.0");
    EXPECT_EQ(get(h, "Message-ID"), "<dsn.5f3a9c@mx.example.org>");
    auto date = parse_mail_date(get(h, "Date"));
    ASSERT_TRUE(date);
    EXPECT_EQ(date->unix_seconds, kNow);
}

TEST(Dsn, DeliveryStatusFieldsPerMessageAndPerRecipient) {
    const Bounce b = compose(original_entry(), kOriginal, options());
    auto tree = parse_message(b.message);
    ASSERT_TRUE(tree);
    ASSERT_EQ(tree->children.size(), 3u);
    const auto blocks = status_blocks(tree->children[1].body(b.message));
    ASSERT_EQ(blocks.size(), 3u);

    const Header& message = blocks[0];
    EXPECT_EQ(get(message, "Reporting-MTA"), "dns; mx.example.org");
    EXPECT_EQ(get(message, "Received-From-MTA"), "dns; client.example.org");
    EXPECT_EQ(get(message, "Original-Envelope-Id"), "QQ314159");
    EXPECT_EQ(get(message, "X-l7-Queue-ID"), "1764500000M1P42Q1");
    EXPECT_EQ(parse_mail_date(get(message, "Arrival-Date"))->unix_seconds, kArrival);

    const Header& bob = blocks[1];
    EXPECT_EQ(get(bob, "Final-Recipient"), "rfc822; bob@example.net");
    EXPECT_EQ(get(bob, "Action"), "failed");
    EXPECT_EQ(get(bob, "Status"), "5.1.1");
    EXPECT_EQ(get(bob, "Remote-MTA"), "dns; mx.example.net");
    EXPECT_EQ(get(bob, "Diagnostic-Code"),
              "smtp; 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown");
    EXPECT_EQ(parse_mail_date(get(bob, "Last-Attempt-Date"))->unix_seconds, kArrival + 2);
    EXPECT_FALSE(bob.contains("Will-Retry-Until"));

    const Header& carol = blocks[2];
    EXPECT_EQ(get(carol, "Final-Recipient"), "rfc822; carol@example.com");
    EXPECT_EQ(get(carol, "Status"), "4.4.7");  // expired: failed, with the timeout status
    EXPECT_EQ(get(carol, "Diagnostic-Code"), "smtp; 451 4.3.0 Temporary lookup failure");
}

TEST(Dsn, HumanPartNamesEachRecipientAndReply) {
    const Bounce b = compose(original_entry(), kOriginal, options());
    auto tree = parse_message(b.message);
    ASSERT_TRUE(tree);
    const std::string text(tree->children[0].body(b.message));
    EXPECT_NE(text.find("mx.example.org"), std::string::npos);
    EXPECT_NE(text.find("<bob@example.net>: host mx.example.net said: 550 5.1.1"),
              std::string::npos);
    EXPECT_NE(text.find("<carol@example.com>: delivery time expired"), std::string::npos);
    EXPECT_NE(text.find("Temporary lookup failure"), std::string::npos);
    EXPECT_NE(text.find("1764500000M1P42Q1"), std::string::npos);
}

TEST(Dsn, ReturnsTheHeaderSectionByDefault) {
    const Bounce b = compose(original_entry(), kOriginal, options());
    auto tree = parse_message(b.message);
    ASSERT_TRUE(tree);
    const std::string_view returned = tree->children[2].body(b.message);
    const std::string headers = kOriginal.substr(0, kOriginal.find("\r\n\r\n") + 2);
    EXPECT_EQ(returned, headers);
    EXPECT_EQ(b.message.find("Shall we?"), std::string::npos);
}

TEST(Dsn, ReturnsTheWholeMessageForRetFullWhenSmall) {
    QueueEntry e = original_entry();
    e.parameters.ret = ReturnContent::full;
    const Bounce b = compose(e, kOriginal, options());
    auto tree = parse_message(b.message);
    ASSERT_TRUE(tree);
    ASSERT_EQ(tree->children.size(), 3u);
    const MimePart& returned = tree->children[2];
    EXPECT_TRUE(returned.content_type.is("message", "rfc822"));
    EXPECT_EQ(returned.body(b.message), kOriginal);
    ASSERT_EQ(returned.children.size(), 1u);  // parsed as the message inside
    EXPECT_EQ(returned.children[0].header.get("Subject"), "Lunch");

    BounceOptions small = options();
    small.max_returned_message = kOriginal.size() - 1;
    const Bounce headers_only = compose(e, kOriginal, small);
    auto tree2 = parse_message(headers_only.message);
    ASSERT_TRUE(tree2);
    EXPECT_TRUE(tree2->children[2].content_type.is("text", "rfc822-headers"));

    // A delay warning never returns the content.
    const Bounce warning = compose(e, kOriginal, options(DsnAction::delayed));
    auto tree3 = parse_message(warning.message);
    ASSERT_TRUE(tree3);
    EXPECT_TRUE(tree3->children[2].content_type.is("text", "rfc822-headers"));
}

TEST(Dsn, DelayWarning) {
    QueueEntry e = original_entry();
    for (QueueRecipient& r : e.recipients) {
        r.state = RecipientState::pending;
        r.status = "4.2.2";
    }
    e.recipients[1].status = "5.1.1";  // not a delay status: the default instead
    const Bounce b = compose(e, kOriginal, options(DsnAction::delayed));
    auto tree = parse_message(b.message);
    ASSERT_TRUE(tree);
    EXPECT_EQ(tree->header.get("Subject"), "Delayed Mail (still being retried)");
    const auto blocks = status_blocks(tree->children[1].body(b.message));
    ASSERT_EQ(blocks.size(), 3u);
    for (std::size_t i = 1; i < 3; ++i) {
        EXPECT_EQ(get(blocks[i], "Action"), "delayed");
        EXPECT_EQ(parse_mail_date(get(blocks[i], "Will-Retry-Until"))->unix_seconds,
                  kArrival + 5 * 86400);
    }
    EXPECT_EQ(get(blocks[1], "Status"), "4.2.2");
    EXPECT_EQ(get(blocks[2], "Status"), "4.0.0");
    const std::string text(tree->children[0].body(b.message));
    EXPECT_NE(text.find("tried again until"), std::string::npos);
    EXPECT_EQ(b.entry.id, "1764500000M1P42Q1-W3");
}

TEST(Dsn, TheReportsOwnEnvelope) {
    const Bounce b = compose(original_entry(), kOriginal, options());
    EXPECT_EQ(b.entry.id, "1764500000M1P42Q1-B3");
    EXPECT_TRUE(b.entry.mail_from.empty());  // <>: never bounced in turn
    ASSERT_EQ(b.entry.recipients.size(), 1u);
    EXPECT_EQ(b.entry.recipients[0].address, "alice@example.org");
    EXPECT_EQ(b.entry.recipients[0].state, RecipientState::pending);
    EXPECT_EQ(b.entry.arrival, kNow);
    EXPECT_EQ(b.entry.next_attempt, kNow);
    EXPECT_EQ(b.entry.message_size, b.message.size());
    EXPECT_FALSE(b.entry.parameters.eight_bit);
    EXPECT_FALSE(b.entry.parameters.smtputf8);
    EXPECT_TRUE(validate_entry(b.entry));
}

TEST(Dsn, RefusesWhatCannotBeReported) {
    QueueEntry bounce = original_entry();
    bounce.mail_from.clear();
    EXPECT_EQ(compose_bounce(bounce, bounce.recipients, kOriginal, options()).error(),
              DsnError::null_sender);
    const QueueEntry e = original_entry();
    EXPECT_EQ(compose_bounce(e, {}, kOriginal, options()).error(), DsnError::no_recipients);
    BounceOptions o = options();
    o.id = "bad id";
    EXPECT_EQ(compose_bounce(e, e.recipients, kOriginal, o).error(), DsnError::invalid_id);
    o = options();
    o.reporting_mta = "mx example";
    EXPECT_EQ(compose_bounce(e, e.recipients, kOriginal, o).error(),
              DsnError::invalid_reporting_mta);
    o.reporting_mta = "";
    EXPECT_EQ(compose_bounce(e, e.recipients, kOriginal, o).error(),
              DsnError::invalid_reporting_mta);
    o = options();
    o.message_id_left = "a@b";
    EXPECT_EQ(compose_bounce(e, e.recipients, kOriginal, o).error(), DsnError::invalid_message_id);
    o.reporting_mta = "[192.0.2.1]";
    o.message_id_left = "ok";
    EXPECT_TRUE(compose_bounce(e, e.recipients, kOriginal, o));
}

TEST(Dsn, LongRepliesAndHeaderLinesStayWithinTheLineLimit) {
    QueueEntry e = original_entry();
    e.recipients[0].last_reply = "550 5.7.1 " + std::string(3000, 'x');  // no place to fold
    std::string words;
    for (int i = 0; i < 400; ++i) {
        words += "word" + std::to_string(i) + " ";
    }
    e.recipients[1].last_reply = "550 5.7.1 " + words;
    const std::string long_header = "X-Long: " + std::string(3000, 'y') + "\r\n";
    const std::string message = long_header + kOriginal;
    const Bounce b = compose(e, message, options());
    expect_crlf_lines_within_limit(b.message);
    auto tree = parse_message(b.message);
    ASSERT_TRUE(tree);
    ASSERT_EQ(tree->children.size(), 3u);
    const auto blocks = status_blocks(tree->children[1].body(b.message));
    ASSERT_EQ(blocks.size(), 3u);
    // Folding at whitespace gives the words back exactly.
    EXPECT_EQ(get(blocks[2], "Diagnostic-Code"),
              "smtp; 550 5.7.1 " + words.substr(0, words.size() - 1));
    // The long returned header line is folded, still one field.
    auto returned = parse_header(tree->children[2].body(b.message));
    ASSERT_TRUE(returned);
    EXPECT_EQ(returned->header.count("X-Long"), 1u);
    EXPECT_EQ(returned->header.get("Subject"), "Lunch");
}

TEST(Dsn, RemoteTextCannotAddFieldsOrLines) {
    QueueEntry e = original_entry();
    e.recipients[0].last_reply =
        "550 5.1.1 no\r\nAction: delivered\r\n\r\nFinal-Recipient: rfc822; x@y";
    e.recipients[0].remote_mta = "mx\r\nStatus: 2.0.0";
    e.recipients[1].address = "carol@example.com\r\nAction: delivered";
    const Bounce b = compose(e, kOriginal, options());
    expect_crlf_lines_within_limit(b.message);
    EXPECT_EQ(b.message.find("\r\nAction: delivered"), std::string::npos);
    EXPECT_EQ(b.message.find("\r\nStatus: 2.0.0"), std::string::npos);
    auto tree = parse_message(b.message);
    ASSERT_TRUE(tree);
    const auto blocks = status_blocks(tree->children[1].body(b.message));
    ASSERT_EQ(blocks.size(), 3u);  // no block smuggled in
    EXPECT_EQ(get(blocks[1], "Action"), "failed");
    EXPECT_EQ(blocks[1].count("Final-Recipient"), 1u);
}

TEST(Dsn, BoundaryNeverOccursInTheContent) {
    // The boundary the random bytes give, planted in the returned header.
    const std::string planted = "--=_l7_0123456789abcdef";
    const std::string message = "X-Trap: " + planted + "\r\n" + kOriginal;
    const Bounce b = compose(original_entry(), message, options());
    auto tree = parse_message(b.message);
    ASSERT_TRUE(tree);
    const auto boundary = tree->content_type.parameter("boundary");
    ASSERT_TRUE(boundary);
    EXPECT_NE(*boundary, "=_l7_0123456789abcdef");
    ASSERT_EQ(tree->children.size(), 3u);
    EXPECT_NE(tree->children[2].body(b.message).find(planted), std::string_view::npos);
}

TEST(Dsn, InternationalizedReportForSmtpUtf8Mail) {
    QueueEntry e = original_entry();
    e.parameters.smtputf8 = true;
    e.mail_from = "j\xc3\xbcrgen@example.org";
    e.recipients[0].address = "\xd0\xb1\xd0\xbe\xd0\xb1@example.net";
    const Bounce b = compose(e, kOriginal, options());
    EXPECT_TRUE(b.entry.parameters.smtputf8);
    EXPECT_TRUE(b.entry.parameters.eight_bit);
    EXPECT_EQ(b.entry.recipients[0].address, e.mail_from);
    auto tree = parse_message(b.message);
    ASSERT_TRUE(tree);
    EXPECT_EQ(tree->content_type.parameter("report-type"), "global-delivery-status");
    ASSERT_EQ(tree->children.size(), 3u);
    EXPECT_EQ(tree->children[0].content_type.parameter("charset"), "utf-8");
    EXPECT_TRUE(tree->children[1].content_type.is("message", "global-delivery-status"));
    EXPECT_TRUE(tree->children[2].content_type.is("message", "global-headers"));
    EXPECT_EQ(tree->header.get("To"), "j\xc3\xbcrgen@example.org");
    const auto blocks = status_blocks(tree->children[1].body(b.message));
    ASSERT_EQ(blocks.size(), 3u);
    EXPECT_EQ(get(blocks[1], "Final-Recipient"), "utf-8; \xd0\xb1\xd0\xbe\xd0\xb1@example.net");
    EXPECT_EQ(get(blocks[2], "Final-Recipient"), "rfc822; carol@example.com");
}

TEST(Dsn, NonAsciiOutsideSmtpUtf8IsMasked) {
    QueueEntry e = original_entry();
    e.recipients[0].last_reply = "550 5.1.1 Benutzer unbekannt \xe2\x80\x94 \xff";
    const Bounce b = compose(e, kOriginal, options());
    EXPECT_FALSE(b.entry.parameters.smtputf8);
    EXPECT_FALSE(b.entry.parameters.eight_bit);
    for (char c : b.message) {
        EXPECT_LT(static_cast<unsigned char>(c), 0x80);
    }
    EXPECT_NE(b.message.find("Benutzer unbekannt ? ?"), std::string::npos);
}

TEST(Dsn, EightBitHeadersMakeAnEightBitReport) {
    const std::string latin1 = "Subject: Caf\xe9\r\n\r\nbody\r\n";
    const Bounce b = compose(original_entry(), latin1, options());
    EXPECT_TRUE(b.entry.parameters.eight_bit);
    EXPECT_FALSE(b.entry.parameters.smtputf8);
    auto tree = parse_message(b.message);
    ASSERT_TRUE(tree);
    ASSERT_EQ(tree->children.size(), 3u);
    EXPECT_EQ(tree->children[2].header.get("Content-Transfer-Encoding"), "8bit");
    EXPECT_EQ(tree->children[2].body(b.message), "Subject: Caf\xe9\r\n");
}

TEST(Dsn, RecipientsWithoutRepliesGetDefaults) {
    QueueEntry e = original_entry();
    e.recipients.resize(1);
    e.recipients[0].status.clear();
    e.recipients[0].last_reply.clear();
    e.recipients[0].remote_mta.clear();
    e.recipients[0].last_attempt = 0;
    e.origin.clear();
    e.parameters.envid.clear();
    const Bounce b = compose(e, "", options());
    expect_crlf_lines_within_limit(b.message);
    auto tree = parse_message(b.message);
    ASSERT_TRUE(tree);
    ASSERT_EQ(tree->children.size(), 3u);
    const auto blocks = status_blocks(tree->children[1].body(b.message));
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_FALSE(blocks[0].contains("Received-From-MTA"));
    EXPECT_FALSE(blocks[0].contains("Original-Envelope-Id"));
    EXPECT_EQ(get(blocks[1], "Status"), "5.0.0");
    EXPECT_FALSE(blocks[1].contains("Remote-MTA"));
    EXPECT_FALSE(blocks[1].contains("Diagnostic-Code"));
    EXPECT_FALSE(blocks[1].contains("Last-Attempt-Date"));
}

TEST(Dsn, NonSmtpDiagnosticsGetTheirOwnType) {
    QueueEntry e = original_entry();
    e.recipients.resize(1);
    e.recipients[0].last_reply = "connect to mx.example.net[192.0.2.7]:25: Connection refused";
    const Bounce b = compose(e, kOriginal, options());
    auto tree = parse_message(b.message);
    ASSERT_TRUE(tree);
    const auto blocks = status_blocks(tree->children[1].body(b.message));
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_EQ(get(blocks[1], "Diagnostic-Code"),
              "X-l7; connect to mx.example.net[192.0.2.7]:25: Connection refused");
}

TEST(Dsn, BounceIds) {
    EXPECT_EQ(bounce_id("abc", DsnAction::failed), "abc-B0");
    EXPECT_EQ(bounce_id("abc", DsnAction::delayed, 12), "abc-W12");
    EXPECT_TRUE(is_valid_queue_id(bounce_id(std::string(51, 'a'), DsnAction::failed, UINT32_MAX)));
}

}  // namespace
}  // namespace l7::mail
