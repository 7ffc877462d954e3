// The SMTP server session (RFC 5321) driven as its driver would: bytes in, events out, every
// question answered by a small in-memory driver.

#include "mail/smtp/session.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64.hpp"

namespace l7::mail {
namespace {

constexpr std::string_view kDate = "Thu, 01 Jan 2026 12:00:00 +0000";

SmtpServerConfig test_config() {
    SmtpServerConfig c;
    c.hostname = "mx.example.org";
    return c;
}

SmtpPeer test_peer() {
    return SmtpPeer{"192.0.2.1", "mail.client.example", false};
}

// The driver: answers every question the way a test sets it up, and keeps what it saw.
struct Driver {
    explicit Driver(SmtpServerConfig config = test_config(), SmtpPeer peer = test_peer())
        : s(std::move(config), std::move(peer)) {}

    SmtpServerSession s;
    std::string sent;                // every byte the session sent, in order
    std::vector<std::string> sends;  // one per send event
    std::vector<std::string> recipients_checked;
    std::vector<SmtpCheckCredentials> credentials_checked;
    std::vector<SmtpMessage> messages;
    int closes = 0;
    int events_after_close = 0;

    std::function<SmtpRecipientVerdict(const std::string&)> on_recipient = [](const std::string&) {
        return SmtpRecipientVerdict::accept;
    };
    std::function<SmtpCredentialsVerdict(const SmtpCheckCredentials&)> on_credentials =
        [](const SmtpCheckCredentials& c) {
            return c.user == "alice" && c.password == "secret" ? SmtpCredentialsVerdict::accept
                                                               : SmtpCredentialsVerdict::reject;
        };
    bool answer_begin = true;     // false: leave SmtpBeginMessage for the test to answer
    bool answer_messages = true;  // false: leave SmtpMessage for the test to answer
    SmtpDeliveryResult delivery = SmtpDeliveryResult::stored;
    int next_id = 1;

    void drain() {
        while (auto ev = s.next_event()) {
            if (closes > 0) {
                ++events_after_close;
            }
            if (auto* send = std::get_if<SmtpSend>(&*ev)) {
                EXPECT_FALSE(send->bytes.empty());
                sent += send->bytes;
                sends.push_back(send->bytes);
            } else if (auto* r = std::get_if<SmtpCheckRecipient>(&*ev)) {
                recipients_checked.push_back(r->address);
                EXPECT_TRUE(s.recipient_result(on_recipient(r->address)));
            } else if (auto* c = std::get_if<SmtpCheckCredentials>(&*ev)) {
                credentials_checked.push_back(*c);
                EXPECT_TRUE(s.credentials_result(on_credentials(*c)));
            } else if (std::holds_alternative<SmtpBeginMessage>(*ev)) {
                if (answer_begin) {
                    EXPECT_TRUE(s.begin_message_result(stamp()));
                }
            } else if (auto* m = std::get_if<SmtpMessage>(&*ev)) {
                messages.push_back(std::move(*m));
                if (answer_messages) {
                    EXPECT_TRUE(s.message_result(delivery));
                }
            } else if (std::holds_alternative<SmtpClose>(*ev)) {
                ++closes;
            }
        }
    }

    SmtpMessageStamp stamp() { return {"ID" + std::to_string(next_id++), std::string(kDate)}; }

    // Feeds `input` in one piece and returns what the session sent in reply.
    std::string talk(std::string_view input) {
        const std::size_t before = sent.size();
        if (!input.empty()) {  // an empty receive() is the end of the input
            s.receive(input);
        }
        drain();
        return sent.substr(before);
    }

    std::string start() {
        s.start();
        drain();
        return sent;
    }
};

const std::string kEhloReply =
    "250-mx.example.org\r\n"
    "250-PIPELINING\r\n"
    "250-SIZE 26214400\r\n"
    "250-8BITMIME\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250-SMTPUTF8\r\n"
    "250 HELP\r\n";

// A session past the greeting and EHLO.
void hello(Driver& d, std::string_view verb = "EHLO") {
    d.start();
    d.talk(std::string(verb) + " client.example\r\n");
}

// Replays a dialogue: "C: " lines are sent (with CRLF), and each run of "S: " lines must be
// exactly what the server sent in answer to the "C: " lines before it. The greeting is the
// first run. Lines are separated by '\n'.
void replay(Driver& d, std::string_view transcript) {
    std::string client, expected;
    bool started = false;
    const auto check = [&] {
        if (!started) {
            EXPECT_EQ(d.start(), expected);
            started = true;
        } else if (!client.empty() || !expected.empty()) {
            EXPECT_EQ(d.talk(client), expected) << "after:\n" << client;
        }
        client.clear();
        expected.clear();
    };
    while (!transcript.empty()) {
        const std::size_t nl = transcript.find('\n');
        const std::string_view line = transcript.substr(0, nl);
        transcript.remove_prefix(nl == std::string_view::npos ? transcript.size() : nl + 1);
        if (line.substr(0, 3) == "C: " || line == "C:") {
            if (!expected.empty() || !started) {
                check();
            }
            client += std::string(line.substr(std::min<std::size_t>(3, line.size()))) + "\r\n";
        } else if (line.substr(0, 3) == "S: ") {
            expected += std::string(line.substr(3)) + "\r\n";
        }
    }
    check();
}

std::string received(std::string_view rcpt_clause, std::string_view with = "ESMTP",
                     std::string_view id = "ID1") {
    return "Received: from client.example (mail.client.example [192.0.2.1])\r\n"
           "\tby mx.example.org with " +
           std::string(with) + " id " + std::string(id) + std::string(rcpt_clause) + "; " +
           std::string(kDate) + "\r\n";
}

// ---------------------------------------------------------------- RFC 5321 appendix D

TEST(SmtpSession, AppendixD1TypicalTransaction) {
    Driver d;
    d.on_recipient = [](const std::string& a) {
        return a == "Green@foo.com" ? SmtpRecipientVerdict::reject : SmtpRecipientVerdict::accept;
    };
    replay(d,
           "S: 220 mx.example.org ESMTP l7\n"
           "C: EHLO bar.com\n"
           "S: 250-mx.example.org\n"
           "S: 250-PIPELINING\n"
           "S: 250-SIZE 26214400\n"
           "S: 250-8BITMIME\n"
           "S: 250-ENHANCEDSTATUSCODES\n"
           "S: 250-SMTPUTF8\n"
           "S: 250 HELP\n"
           "C: MAIL FROM:<Smith@bar.com>\n"
           "S: 250 2.1.0 Sender OK\n"
           "C: RCPT TO:<Jones@foo.com>\n"
           "S: 250 2.1.5 Recipient OK\n"
           "C: RCPT TO:<Green@foo.com>\n"
           "S: 550 5.1.1 No such mailbox here\n"
           "C: RCPT TO:<Brown@foo.com>\n"
           "S: 250 2.1.5 Recipient OK\n"
           "C: DATA\n"
           "S: 354 End data with <CR><LF>.<CR><LF>\n"
           "C: Blah blah blah...\n"
           "C: ...etc. etc. etc.\n"
           "C: .\n"
           "S: 250 2.0.0 OK: queued as ID1\n"
           "C: QUIT\n"
           "S: 221 2.0.0 mx.example.org closing connection\n");
    ASSERT_EQ(d.messages.size(), 1u);
    const SmtpMessage& m = d.messages[0];
    EXPECT_EQ(m.id, "ID1");
    EXPECT_EQ(m.envelope.helo, "bar.com");
    EXPECT_TRUE(m.envelope.esmtp);
    EXPECT_EQ(m.envelope.mail_from, "Smith@bar.com");
    EXPECT_EQ(m.envelope.recipients, (std::vector<std::string>{"Jones@foo.com", "Brown@foo.com"}));
    // The second line was sent dot-stuffed ("...etc"): one dot comes off.
    EXPECT_EQ(m.data,
              "Received: from bar.com (mail.client.example [192.0.2.1])\r\n"
              "\tby mx.example.org with ESMTP id ID1; " +
                  std::string(kDate) + "\r\nBlah blah blah...\r\n..etc. etc. etc.\r\n");
    EXPECT_EQ(d.recipients_checked,
              (std::vector<std::string>{"Jones@foo.com", "Green@foo.com", "Brown@foo.com"}));
    EXPECT_EQ(d.closes, 1);
    EXPECT_EQ(d.s.waiting_for(), SmtpWaitingFor::nothing);
}

TEST(SmtpSession, AppendixD2AbortedTransaction) {
    Driver d;
    d.on_recipient = [](const std::string& a) {
        return a == "Green@foo.com" ? SmtpRecipientVerdict::reject : SmtpRecipientVerdict::accept;
    };
    replay(d,
           "S: 220 mx.example.org ESMTP l7\n"
           "C: HELO bar.com\n"
           "S: 250 mx.example.org\n"
           "C: MAIL FROM:<Smith@bar.com>\n"
           "S: 250 Sender OK\n"
           "C: RCPT TO:<Jones@foo.com>\n"
           "S: 250 Recipient OK\n"
           "C: RCPT TO:<Green@foo.com>\n"
           "S: 550 No such mailbox here\n"
           "C: RSET\n"
           "S: 250 OK\n"
           "C: DATA\n"
           "S: 503 Need MAIL command\n"
           "C: QUIT\n"
           "S: 221 mx.example.org closing connection\n");
    EXPECT_TRUE(d.messages.empty());
}

TEST(SmtpSession, AppendixD3RelayedMail) {
    Driver d;
    replay(d,
           "S: 220 mx.example.org ESMTP l7\n"
           "C: HELO foo.com\n"
           "S: 250 mx.example.org\n"
           "C: MAIL FROM:<JQP@bar.com>\n"
           "S: 250 Sender OK\n"
           "C: RCPT TO:<Jones@XYZ.COM>\n"
           "S: 250 Recipient OK\n"
           "C: DATA\n"
           "S: 354 End data with <CR><LF>.<CR><LF>\n"
           "C: Received: from bar.com by foo.com ; Thu, 21 May 1998\n"
           "C:     05:33:29 -0700\n"
           "C: Date: Thu, 21 May 1998 05:33:22 -0700\n"
           "C: From: John Q. Public <JQP@bar.com>\n"
           "C: Subject: The Next Meeting of the Board\n"
           "C: To: Jones@xyz.com\n"
           "C:\n"
           "C: Bill:\n"
           "C: The next meeting of the board of directors will be\n"
           "C: on Tuesday.\n"
           "C:                                         John.\n"
           "C: .\n"
           "S: 250 OK: queued as ID1\n"
           "C: QUIT\n"
           "S: 221 mx.example.org closing connection\n");
    ASSERT_EQ(d.messages.size(), 1u);
    const std::string& data = d.messages[0].data;
    // Our trace field first, "with SMTP" after HELO, "for" with the one recipient; the
    // relay's own Received field after it, unchanged.
    EXPECT_EQ(data.substr(0, data.find("Received: from bar.com")),
              "Received: from foo.com (mail.client.example [192.0.2.1])\r\n"
              "\tby mx.example.org with SMTP id ID1\r\n"
              "\tfor <Jones@XYZ.COM>; " +
                  std::string(kDate) + "\r\n");
    EXPECT_NE(data.find("\r\n\r\nBill:\r\n"), std::string::npos);
    EXPECT_TRUE(data.ends_with("on Tuesday.\r\n                                        John.\r\n"));
}

TEST(SmtpSession, AppendixD4VerifyingAndSending) {
    Driver d;
    replay(d,
           "S: 220 mx.example.org ESMTP l7\n"
           "C: EHLO bar.com\n" +
               std::string("S: ") + "250-mx.example.org\n" +
               "S: 250-PIPELINING\nS: 250-SIZE 26214400\nS: 250-8BITMIME\n"
               "S: 250-ENHANCEDSTATUSCODES\nS: 250-SMTPUTF8\nS: 250 HELP\n"
               "C: VRFY Crispin\n"
               "S: 252 2.5.2 Cannot VRFY user, but will accept message and attempt delivery\n"
               "C: MAIL FROM:<EAK@bar.com>\n"
               "S: 250 2.1.0 Sender OK\n"
               "C: RCPT TO:<Admin.MRC@foo.com>\n"
               "S: 250 2.1.5 Recipient OK\n"
               "C: DATA\n"
               "S: 354 End data with <CR><LF>.<CR><LF>\n"
               "C: Subject: hello\n"
               "C:\n"
               "C: Blah blah blah...\n"
               "C: .\n"
               "S: 250 2.0.0 OK: queued as ID1\n"
               "C: QUIT\n"
               "S: 221 2.0.0 mx.example.org closing connection\n");
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_TRUE(d.messages[0].data.ends_with("\r\nSubject: hello\r\n\r\nBlah blah blah...\r\n"));
}

// ---------------------------------------------------------------- greeting, EHLO, HELO

TEST(SmtpSession, NothingBeforeStartThenTheGreeting) {
    Driver d;
    EXPECT_EQ(d.s.waiting_for(), SmtpWaitingFor::driver);
    EXPECT_EQ(d.talk("NOOP\r\n"), "");  // kept until start()
    EXPECT_EQ(d.start(), "220 mx.example.org ESMTP l7\r\n250 OK\r\n");
    d.s.start();  // once only
    d.drain();
    EXPECT_EQ(d.sent, "220 mx.example.org ESMTP l7\r\n250 OK\r\n");
    EXPECT_EQ(d.s.waiting_for(), SmtpWaitingFor::command);
}

TEST(SmtpSession, GreetingTextFromTheConfiguration) {
    SmtpServerConfig c = test_config();
    c.greeting = "Service ready\r\n250 fake";  // line breaks cannot get through
    Driver d(c);
    EXPECT_EQ(d.start(), "220 mx.example.org Service ready250 fake\r\n");
}

TEST(SmtpSession, EhloListsTheConfiguredExtensions) {
    Driver d;
    d.start();
    EXPECT_EQ(d.talk("EHLO client.example\r\n"), kEhloReply);

    SmtpServerConfig c = test_config();
    c.auth = SmtpAuthPolicy::offered;
    c.limits.max_message_size = 1000;
    c.extensions = {false, false, false, false, false};
    Driver few(c);
    few.start();
    EXPECT_EQ(few.talk("ehlo client.example\r\n"),
              "250-mx.example.org\r\n250-SIZE 1000\r\n250 AUTH PLAIN LOGIN\r\n");
    // Without ENHANCEDSTATUSCODES, no enhanced codes.
    EXPECT_EQ(few.talk("NOOP\r\n"), "250 OK\r\n");

    SmtpServerConfig sub = test_config();
    sub.auth = SmtpAuthPolicy::required;
    Driver submission(sub);
    submission.start();
    EXPECT_NE(submission.talk("EHLO x\r\n").find("250-AUTH PLAIN LOGIN\r\n"), std::string::npos);
}

TEST(SmtpSession, HeloHasNoExtensionsAndNoEnhancedCodes) {
    Driver d;
    d.start();
    EXPECT_EQ(d.talk("HELO client.example\r\n"), "250 mx.example.org\r\n");
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example> SIZE=10\r\n"), "555 Unsupported parameter SIZE\r\n");
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example>\r\n"), "250 Sender OK\r\n");
    // EHLO later negotiates them, and ends the transaction (RFC 5321 4.1.4).
    d.talk("EHLO client.example\r\n");
    EXPECT_EQ(d.talk("RCPT TO:<b@c.example>\r\n"), "503 5.5.1 Need MAIL command\r\n");
}

TEST(SmtpSession, HelloNameIsChecked) {
    Driver d;
    d.start();
    EXPECT_EQ(d.talk("EHLO\r\n"), "501 Syntax: EHLO hostname\r\n");
    EXPECT_EQ(d.talk("HELO a b\r\n"), "501 Syntax: HELO hostname\r\n");
    EXPECT_EQ(d.talk("MAIL FROM:<>\r\n"), "503 Send HELO or EHLO first\r\n");
}

// ---------------------------------------------------------------- transactions and sequence

TEST(SmtpSession, SequenceErrors) {
    Driver d;
    hello(d);
    EXPECT_EQ(d.talk("RCPT TO:<b@c.example>\r\n"), "503 5.5.1 Need MAIL command\r\n");
    EXPECT_EQ(d.talk("DATA\r\n"), "503 5.5.1 Need MAIL command\r\n");
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example>\r\n"), "250 2.1.0 Sender OK\r\n");
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example>\r\n"), "503 5.5.1 Nested MAIL command\r\n");
    EXPECT_EQ(d.talk("DATA\r\n"), "554 5.5.1 No valid recipients\r\n");
    EXPECT_EQ(d.talk("RSET\r\n"), "250 2.0.0 OK\r\n");
    EXPECT_EQ(d.talk("MAIL FROM:<>\r\n"), "250 2.1.0 Sender OK\r\n");
    EXPECT_EQ(d.s.envelope().mail_from, "");
    EXPECT_TRUE(d.recipients_checked.empty());
}

TEST(SmtpSession, RecipientVerdicts) {
    Driver d;
    d.on_recipient = [](const std::string& a) {
        if (a == "gone@example.org") {
            return SmtpRecipientVerdict::reject;
        }
        if (a == "x@elsewhere.example") {
            return SmtpRecipientVerdict::not_relaying;
        }
        if (a == "slow@example.org") {
            return SmtpRecipientVerdict::temporary_failure;
        }
        return SmtpRecipientVerdict::accept;
    };
    hello(d);
    d.talk("MAIL FROM:<a@b.example>\r\n");
    EXPECT_EQ(d.talk("RCPT TO:<gone@example.org>\r\n"), "550 5.1.1 No such mailbox here\r\n");
    EXPECT_EQ(d.talk("RCPT TO:<x@elsewhere.example>\r\n"), "550 5.7.1 Relaying denied\r\n");
    EXPECT_EQ(d.talk("RCPT TO:<slow@example.org>\r\n"),
              "451 4.3.0 Temporary lookup failure, try again later\r\n");
    EXPECT_EQ(d.talk("RCPT TO:<postmaster>\r\n"), "250 2.1.5 Recipient OK\r\n");
    EXPECT_EQ(d.talk("RCPT TO:<bob@example.org> NOTIFY=NEVER\r\n"),
              "555 5.5.4 Unsupported parameter NOTIFY\r\n");
    EXPECT_EQ(d.s.envelope().recipients, (std::vector<std::string>{"postmaster"}));
}

TEST(SmtpSession, SizeDeclaredAtMail) {
    SmtpServerConfig c = test_config();
    c.limits.max_message_size = 1000;
    Driver d(c);
    hello(d);
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example> SIZE=1001\r\n"),
              "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME\r\n"),
              "250 2.1.0 Sender OK\r\n");
    EXPECT_EQ(d.s.envelope().parameters.size, 1000u);
    EXPECT_EQ(d.s.envelope().parameters.body, SmtpBody::eight_bit_mime);
}

TEST(SmtpSession, Smtputf8Transactions) {
    Driver d;
    hello(d);
    EXPECT_EQ(d.talk("MAIL FROM:<j\xc3\xb6rg@example.org>\r\n"),
              "553 5.6.7 Non-ASCII address needs SMTPUTF8\r\n");
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example>\r\n"), "250 2.1.0 Sender OK\r\n");
    EXPECT_EQ(d.talk("RCPT TO:<j\xc3\xb6rg@example.org>\r\n"),
              "553 5.6.7 Non-ASCII address needs SMTPUTF8\r\n");
    d.talk("RSET\r\n");
    EXPECT_EQ(d.talk("MAIL FROM:<j\xc3\xb6rg@example.org> SMTPUTF8\r\n"),
              "250 2.1.0 Sender OK\r\n");
    EXPECT_EQ(d.talk("RCPT TO:<\xe7\x94\xb0\xe4\xb8\xad@\xe4\xbe\x8b\xe3\x81\x88.jp>\r\n"),
              "250 2.1.5 Recipient OK\r\n");
    d.talk("DATA\r\nSubject: x\r\n\r\nhi\r\n.\r\n");
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_TRUE(d.messages[0].envelope.parameters.smtputf8);
    EXPECT_NE(d.messages[0].data.find("with UTF8SMTP id"), std::string::npos);
    // SMTPUTF8 switched off: the parameter is unknown.
    SmtpServerConfig c = test_config();
    c.extensions.smtputf8 = false;
    Driver off(c);
    hello(off);
    EXPECT_EQ(off.talk("MAIL FROM:<a@b.example> SMTPUTF8\r\n"),
              "555 5.5.4 Unsupported parameter SMTPUTF8\r\n");
}

TEST(SmtpSession, TooManyRecipientsIs452AndTheMessageStillGoes) {
    SmtpServerConfig c = test_config();
    c.limits.max_recipients = 2;
    Driver d(c);
    hello(d);
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<1@x.example>\r\n"
                     "RCPT TO:<2@x.example>\r\nRCPT TO:<3@x.example>\r\n"),
              "250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n250 2.1.5 Recipient OK\r\n"
              "452 4.5.3 Too many recipients\r\n");
    EXPECT_EQ(d.recipients_checked.size(), 2u);  // the third was not even asked about
    EXPECT_EQ(d.talk("DATA\r\nx\r\n.\r\n"),
              "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 OK: queued as ID1\r\n");
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0].envelope.recipients.size(), 2u);
}

TEST(SmtpSession, TenThousandPipelinedRecipients) {
    Driver d;
    hello(d);
    std::string batch = "MAIL FROM:<list@lists.example>\r\n";
    for (int i = 0; i < 10000; ++i) {
        batch += "RCPT TO:<user" + std::to_string(i) + "@example.org>\r\n";
    }
    batch += "DATA\r\n";
    // The driver reads no more than the session has room for, as a real one does.
    std::string_view rest = batch;
    std::size_t peak = 0;
    while (!rest.empty()) {
        const std::size_t room = d.s.input_room();
        ASSERT_GT(room, 0u);
        const std::size_t n = std::min(room, rest.size());
        d.s.receive(rest.substr(0, n));
        rest.remove_prefix(n);
        d.drain();
        peak = std::max(peak, d.s.buffered_bytes());
    }
    EXPECT_LT(peak, 256u * 1024);
    EXPECT_EQ(d.recipients_checked.size(), 100u);
    EXPECT_EQ(d.s.envelope().recipients.size(), 100u);
    d.talk("Subject: many\r\n\r\nhello\r\n.\r\n");
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0].envelope.recipients.size(), 100u);
    EXPECT_EQ(d.messages[0].envelope.recipients[99], "user99@example.org");
    // Replies in order: 250 for MAIL, 100 accepted, 9900 deferred, 354, 250.
    std::string expected = "250 2.1.0 Sender OK\r\n";
    for (int i = 0; i < 100; ++i) {
        expected += "250 2.1.5 Recipient OK\r\n";
    }
    for (int i = 100; i < 10000; ++i) {
        expected += "452 4.5.3 Too many recipients\r\n";
    }
    expected += "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 OK: queued as ID1\r\n";
    EXPECT_EQ(d.sent.substr(d.sent.find("250 2.1.0")), expected);
    EXPECT_EQ(d.closes, 0);  // deferred recipients are not errors
}

// ---------------------------------------------------------------- pipelining (RFC 2920)

TEST(SmtpSession, APipelinedBatchIsAnsweredInOrderInOneSend) {
    Driver d;
    d.on_recipient = [](const std::string& a) {
        return a == "no@example.org" ? SmtpRecipientVerdict::reject : SmtpRecipientVerdict::accept;
    };
    hello(d);
    d.sends.clear();
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<yes@example.org>\r\n"
                     "RCPT TO:<no@example.org>\r\nDATA\r\n"),
              "250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n550 5.1.1 No such mailbox here\r\n"
              "354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_EQ(d.sends.size(), 1u);
}

TEST(SmtpSession, TheEndOfDataIsAnsweredOnlyOnceTheDriverHasStoredIt) {
    Driver d;
    d.answer_messages = false;
    hello(d);
    // The client pipelines the message's end with the next transaction and QUIT.
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n"),
              "250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n"
              "354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_EQ(d.talk("hello\r\n.\r\nMAIL FROM:<e@f.example>\r\nQUIT\r\n"), "");
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.s.waiting_for(), SmtpWaitingFor::driver);
    EXPECT_FALSE(d.s.next_event());                                    // still waiting
    EXPECT_FALSE(d.s.recipient_result(SmtpRecipientVerdict::accept));  // not the question
    EXPECT_LT(d.s.input_room(), test_config().limits.max_buffered_input);
    EXPECT_TRUE(d.s.message_result(SmtpDeliveryResult::stored));
    EXPECT_FALSE(d.s.message_result(SmtpDeliveryResult::stored));  // answered already
    d.drain();
    EXPECT_EQ(d.sent.substr(d.sent.find("354")),
              "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 OK: queued as ID1\r\n"
              "250 2.1.0 Sender OK\r\n221 2.0.0 mx.example.org closing connection\r\n");
    EXPECT_EQ(d.closes, 1);
}

TEST(SmtpSession, AsynchronousAnswersKeepTheOrder) {
    // A driver that answers recipient questions later (a slow lookup).
    SmtpServerSession s(test_config(), test_peer());
    s.start();
    s.receive("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nNOOP\r\n");
    std::vector<std::string> kinds;
    std::string sent;
    while (auto ev = s.next_event()) {
        if (auto* send = std::get_if<SmtpSend>(&*ev)) {
            sent += send->bytes;
        } else {
            kinds.push_back(std::holds_alternative<SmtpCheckRecipient>(*ev) ? "rcpt" : "other");
        }
    }
    EXPECT_EQ(kinds, std::vector<std::string>{"rcpt"});
    // The greeting, EHLO and MAIL replies wait with the rest: one write, in order.
    EXPECT_EQ(sent, "");
    EXPECT_TRUE(s.recipient_result(SmtpRecipientVerdict::accept));
    while (auto ev = s.next_event()) {
        sent += std::get<SmtpSend>(*ev).bytes;
    }
    EXPECT_EQ(sent, "220 mx.example.org ESMTP l7\r\n" + kEhloReply +
                        "250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n250 2.0.0 OK\r\n");
}

TEST(SmtpSession, BeginMessageMayBeRefused) {
    Driver d;
    d.answer_begin = false;
    hello(d);
    d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n");
    EXPECT_EQ(d.s.waiting_for(), SmtpWaitingFor::driver);
    EXPECT_TRUE(d.s.begin_message_result(std::nullopt));
    d.drain();
    EXPECT_TRUE(d.sent.ends_with("451 4.3.0 Cannot take a message now, try again later\r\n"));
    // The transaction is still open: DATA again.
    d.answer_begin = true;
    EXPECT_EQ(d.talk("DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_EQ(d.talk(".\r\n"), "250 2.0.0 OK: queued as ID1\r\n");
}

TEST(SmtpSession, DeliveryFailures) {
    Driver d;
    hello(d);
    d.delivery = SmtpDeliveryResult::temporary_failure;
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nx\r\n.\r\n"),
              "250 2.1.0 Sender OK\r\n250 2.1.5 Recipient OK\r\n"
              "354 End data with <CR><LF>.<CR><LF>\r\n"
              "451 4.3.0 Message not stored, try again later\r\n");
    d.delivery = SmtpDeliveryResult::rejected;
    EXPECT_TRUE(d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nx\r\n.\r\n")
                    .ends_with("554 5.6.0 Message rejected\r\n"));
    // Either way the transaction is over.
    EXPECT_EQ(d.talk("RCPT TO:<c@d.example>\r\n"), "503 5.5.1 Need MAIL command\r\n");
}

// ---------------------------------------------------------------- DATA

// The data handed over for `body` sent after DATA (without the Received field).
std::optional<std::string> deliver(std::string_view body, std::string* reply = nullptr) {
    Driver d;
    hello(d);
    d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n");
    const std::string r = d.talk(body);
    if (reply) {
        *reply = r;
    }
    if (d.messages.empty()) {
        return std::nullopt;
    }
    const std::string& data = d.messages[0].data;
    const std::string head = received("\r\n\tfor <c@d.example>");
    EXPECT_TRUE(data.starts_with(head));
    return data.substr(head.size());
}

TEST(SmtpSession, DotStuffing) {
    struct Case {
        std::string_view sent;
        std::string_view data;
    };
    const Case cases[] = {
        {".\r\n", ""},
        {"a\r\n.\r\n", "a\r\n"},
        {"..\r\n.\r\n", ".\r\n"},
        {"..hidden\r\n.\r\n", ".hidden\r\n"},
        {"...\r\n.\r\n", "..\r\n"},
        {".x\r\n.\r\n", "x\r\n"},  // not stuffed by the client: the dot still comes off
        {"a.b\r\n. \r\n.\r\n", "a.b\r\n \r\n"},
        {"\r\n\r\n.\r\n", "\r\n\r\n"},
        {"line\r\n.\r\nNOOP\r\n", "line\r\n"},  // what follows is a command again
        {std::string_view("8bit \xc3\xa9\xff\x00 ok\r\n.\r\n", 17),
         std::string_view("8bit \xc3\xa9\xff\x00 ok\r\n", 14)},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(deliver(c.sent), std::string(c.data)) << c.sent;
    }
}

TEST(SmtpSession, DataSplitAtEveryByteGivesTheSameMessage) {
    const std::string body =
        "Subject: split\r\n\r\n..dot\r\n.x\r\nend of line\r\n\r\n.\r\nQUIT\r\n";
    for (std::size_t split = 0; split <= body.size(); ++split) {
        Driver d;
        hello(d);
        d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n");
        d.talk(body.substr(0, split));
        d.talk(body.substr(split));
        ASSERT_EQ(d.messages.size(), 1u) << split;
        EXPECT_TRUE(d.messages[0].data.ends_with("\r\n\r\n.dot\r\nx\r\nend of line\r\n\r\n"))
            << split;
        EXPECT_EQ(d.closes, 1) << split;
    }
}

TEST(SmtpSession, BareLineEndsGetTheMessageRefusedAtItsRealEnd) {
    const std::string_view cases[] = {
        "a\nb\r\n.\r\n",       // bare LF
        "a\rb\r\n.\r\n",       // bare CR
        "a\r\r\n.\r\n",        // CR CR LF
        "a\r\n.\nb\r\n.\r\n",  // "." LF is no end
        "a\n.\r\n.\r\n",       // LF "." CRLF is no end either
        "a\n.\nb\r\n.\r\n",    //
        "a\r\n.\rx\r\n.\r\n",  // "." CR x
        "a\r\n.\r\r\n.\r\n",   //
        "\n.\r\n.\r\n",        // at the very start
        "a\r\n\n\r\n.\r\n",    //
        "a\r\n.\n\r\n.\r\n",   //
    };
    for (std::string_view body : cases) {
        std::string reply;
        EXPECT_FALSE(deliver(body, &reply)) << body;
        EXPECT_EQ(reply,
                  "550 5.6.0 Message refused: bare CR or LF in the data (RFC 5321 2.3.8)\r\n")
            << body;
    }
}

TEST(SmtpSession, SmugglingDoesNotStartASecondTransaction) {
    Driver d;
    hello(d);
    d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n");
    const std::string reply = d.talk(
        "Subject: hi\r\n\r\nhello\r\n.\n"
        "MAIL FROM:<admin@bank.example>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\n"
        "From: admin@bank.example\r\n\r\nsmuggled\r\n.\r\n");
    EXPECT_EQ(reply, "550 5.6.0 Message refused: bare CR or LF in the data (RFC 5321 2.3.8)\r\n");
    EXPECT_TRUE(d.messages.empty());
    EXPECT_EQ(d.recipients_checked, std::vector<std::string>{"c@d.example"});
    // The session is back at commands, with no transaction.
    EXPECT_EQ(d.talk("RCPT TO:<x@y.example>\r\n"), "503 5.5.1 Need MAIL command\r\n");
}

TEST(SmtpSession, MessageSizeLimitReadsToTheEndThenRefuses) {
    SmtpServerConfig c = test_config();
    c.limits.max_message_size = 10;
    Driver d(c);
    hello(d);
    d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n");
    EXPECT_EQ(d.talk("12345678\r\n"), "");  // exactly 10
    EXPECT_EQ(d.talk(".\r\n"), "250 2.0.0 OK: queued as ID1\r\n");
    d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n");
    EXPECT_EQ(d.talk("123456789\r\nmore\r\n.\r\n"),
              "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
    EXPECT_EQ(d.messages.size(), 1u);
    // The next transaction works.
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example>\r\n"), "250 2.1.0 Sender OK\r\n");
}

TEST(SmtpSession, NeverEndingDataUsesBoundedMemory) {
    SmtpServerConfig c = test_config();
    c.limits.max_message_size = 64 * 1024;
    Driver d(c);
    hello(d);
    d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n");
    const std::string chunk = std::string(4000, 'x') + "\r\n" + std::string(10000, 'y');
    std::size_t peak = 0;
    for (int i = 0; i < 2000; ++i) {  // 28 MB, with no end and lines of any length
        d.s.receive(chunk);
        d.drain();
        peak = std::max(peak, d.s.buffered_bytes());
        ASSERT_EQ(d.s.input_room(), c.limits.max_buffered_input);
    }
    EXPECT_LT(peak, 3 * c.limits.max_message_size + c.limits.max_buffered_input);
    EXPECT_EQ(d.s.waiting_for(), SmtpWaitingFor::data);
    EXPECT_EQ(d.talk("\r\n.\r\n"), "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
}

TEST(SmtpSession, LongDataLinesAreAccepted) {
    const std::string line(5000, 'z');
    EXPECT_EQ(deliver(line + "\r\n.\r\n"), line + "\r\n");
}

TEST(SmtpSession, EndOfInputInsideDataDropsTheMessage) {
    Driver d;
    hello(d);
    d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nhalf a message\r\n");
    d.s.receive({});
    d.drain();
    EXPECT_TRUE(d.messages.empty());
    EXPECT_EQ(d.closes, 1);
    EXPECT_EQ(d.s.waiting_for(), SmtpWaitingFor::nothing);
}

// ---------------------------------------------------------------- AUTH (RFC 4954)

SmtpServerConfig auth_config(SmtpAuthPolicy policy = SmtpAuthPolicy::required) {
    SmtpServerConfig c = test_config();
    c.auth = policy;
    return c;
}

std::string plain(std::string_view user, std::string_view password) {
    return base64_encode(std::string(1, '\0') + std::string(user) + '\0' + std::string(password));
}

TEST(SmtpSession, SubmissionNeedsAuthBeforeMail) {
    Driver d(auth_config());
    hello(d);
    EXPECT_EQ(d.talk("MAIL FROM:<alice@example.org>\r\n"), "530 5.7.0 Authentication required\r\n");
    EXPECT_EQ(d.talk("AUTH PLAIN " + plain("alice", "secret") + "\r\n"),
              "235 2.7.0 Authentication successful\r\n");
    EXPECT_EQ(d.s.envelope().auth_user, "alice");
    ASSERT_EQ(d.credentials_checked.size(), 1u);
    EXPECT_EQ(d.credentials_checked[0].mechanism, SaslMechanism::plain);
    EXPECT_EQ(d.credentials_checked[0].password, "secret");
    EXPECT_EQ(d.talk("AUTH PLAIN " + plain("alice", "secret") + "\r\n"),
              "503 5.5.1 Already authenticated\r\n");
    d.talk("MAIL FROM:<alice@example.org> AUTH=<>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n");
    EXPECT_EQ(d.talk("AUTH LOGIN\r\n"), "");  // inside DATA this is message text
    d.talk(".\r\n");
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_EQ(d.messages[0].envelope.auth_user, "alice");
    EXPECT_EQ(d.messages[0].envelope.parameters.auth, "<>");
    EXPECT_TRUE(d.messages[0].data.starts_with(received("\r\n\tfor <bob@example.org>", "ESMTPA")));
    EXPECT_TRUE(d.messages[0].data.ends_with("\r\nAUTH LOGIN\r\n"));
}

TEST(SmtpSession, AuthSurvivesEhloAndRsetAndHelpMentionsIt) {
    Driver d(auth_config(SmtpAuthPolicy::offered));
    hello(d);
    d.talk("AUTH LOGIN " + base64_encode(std::string_view("alice")) + "\r\n" +
           base64_encode(std::string_view("secret")) + "\r\n");
    EXPECT_EQ(d.s.envelope().auth_user, "alice");
    d.talk("EHLO again.example\r\nRSET\r\n");
    EXPECT_EQ(d.s.envelope().auth_user, "alice");
    EXPECT_EQ(d.s.envelope().helo, "again.example");
    EXPECT_EQ(d.talk("HELP\r\n"),
              "214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY AUTH HELP\r\n"
              "214 2.0.0 See RFC 5321\r\n");
}

TEST(SmtpSession, AuthPlainWithAnEmptyChallenge) {
    Driver d(auth_config());
    hello(d);
    EXPECT_EQ(d.talk("AUTH PLAIN\r\n"), "334 \r\n");
    EXPECT_EQ(d.s.waiting_for(), SmtpWaitingFor::command);
    EXPECT_EQ(d.talk(plain("alice", "secret") + "\r\n"), "235 2.7.0 Authentication successful\r\n");
}

TEST(SmtpSession, AuthLoginDialogue) {
    Driver d(auth_config(SmtpAuthPolicy::offered));
    hello(d);
    EXPECT_EQ(d.talk("auth login\r\n"), "334 VXNlcm5hbWU6\r\n");
    EXPECT_EQ(d.talk(base64_encode(std::string_view("alice")) + "\r\n"), "334 UGFzc3dvcmQ6\r\n");
    EXPECT_EQ(d.talk(base64_encode(std::string_view("secret")) + "\r\n"),
              "235 2.7.0 Authentication successful\r\n");
    ASSERT_EQ(d.credentials_checked.size(), 1u);
    EXPECT_EQ(d.credentials_checked[0].mechanism, SaslMechanism::login);
    EXPECT_EQ(d.credentials_checked[0].user, "alice");
}

TEST(SmtpSession, AuthLoginWithTheUserNameOnTheAuthLine) {
    Driver d(auth_config());
    hello(d);
    EXPECT_EQ(d.talk("AUTH LOGIN " + base64_encode(std::string_view("alice")) + "\r\n"),
              "334 UGFzc3dvcmQ6\r\n");
    EXPECT_EQ(d.talk(base64_encode(std::string_view("secret")) + "\r\n"),
              "235 2.7.0 Authentication successful\r\n");
}

TEST(SmtpSession, AuthCancelAndBadResponses) {
    Driver d(auth_config());
    hello(d);
    EXPECT_EQ(d.talk("AUTH LOGIN\r\n*\r\n"),
              "334 VXNlcm5hbWU6\r\n501 5.7.0 Authentication cancelled\r\n");
    EXPECT_EQ(d.talk("AUTH PLAIN\r\n!!!!\r\n"),
              "334 \r\n501 5.5.2 Cannot decode the response (base64)\r\n");
    EXPECT_EQ(d.talk("AUTH CRAM-MD5\r\n"), "504 5.5.4 Unrecognized authentication type\r\n");
    EXPECT_EQ(d.talk("AUTH\r\n"), "501 5.5.4 Syntax: AUTH mechanism [initial-response]\r\n");
    EXPECT_TRUE(d.credentials_checked.empty());
    EXPECT_EQ(d.closes, 0);
}

TEST(SmtpSession, ThreeFailedAuthenticationsClose) {
    Driver d(auth_config());
    hello(d);
    EXPECT_EQ(d.talk("AUTH PLAIN " + plain("alice", "wrong") + "\r\n"),
              "535 5.7.8 Authentication credentials invalid\r\n");
    EXPECT_EQ(d.talk("AUTH PLAIN " + plain("mallory", "secret") + "\r\n"),
              "535 5.7.8 Authentication credentials invalid\r\n");
    EXPECT_EQ(d.closes, 0);
    EXPECT_EQ(d.talk("AUTH PLAIN " + plain("alice", "guess") + "\r\nNOOP\r\n"),
              "535 5.7.8 Authentication credentials invalid\r\n"
              "421 4.7.0 mx.example.org Too many authentication failures\r\n");
    EXPECT_EQ(d.closes, 1);
    EXPECT_EQ(d.talk("AUTH PLAIN " + plain("alice", "secret") + "\r\n"), "");  // closed
    EXPECT_EQ(d.credentials_checked.size(), 3u);
    EXPECT_EQ(d.events_after_close, 0);
}

TEST(SmtpSession, AuthTemporaryFailure) {
    Driver d(auth_config());
    d.on_credentials = [](const SmtpCheckCredentials&) {
        return SmtpCredentialsVerdict::temporary_failure;
    };
    hello(d);
    EXPECT_EQ(d.talk("AUTH PLAIN " + plain("alice", "secret") + "\r\n"),
              "454 4.7.0 Temporary authentication failure\r\n");
    EXPECT_EQ(d.s.envelope().auth_user, "");
}

TEST(SmtpSession, AuthOutOfPlace) {
    Driver none;  // AUTH not offered
    hello(none);
    EXPECT_EQ(none.talk("AUTH PLAIN " + plain("alice", "secret") + "\r\n"),
              "502 5.5.1 AUTH not available\r\n");
    Driver helo(auth_config());
    hello(helo, "HELO");
    EXPECT_EQ(helo.talk("AUTH PLAIN\r\n"), "503 Send EHLO first\r\n");
    Driver during(auth_config(SmtpAuthPolicy::offered));
    hello(during);
    during.talk("MAIL FROM:<a@b.example>\r\n");
    EXPECT_EQ(during.talk("AUTH PLAIN\r\n"),
              "503 5.5.1 AUTH not permitted during a mail transaction\r\n");
    EXPECT_TRUE(during.credentials_checked.empty());
}

TEST(SmtpSession, AnOverlongSaslResponseFailsTheAuthCommand) {
    Driver d(auth_config());
    hello(d);
    d.talk("AUTH PLAIN\r\n");
    EXPECT_EQ(d.talk(std::string(20000, 'A') + "\r\n"), "500 5.5.6 Line too long\r\n");
    EXPECT_EQ(d.talk("NOOP\r\n"), "250 2.0.0 OK\r\n");  // a command again, not a response
}

TEST(SmtpSession, TraceHidesCredentials) {
    Driver d(auth_config());
    d.s.trace().enable(true);
    hello(d);
    d.talk("AUTH PLAIN " + plain("alice", "secret") + "\r\n");
    d.talk("RSET\r\n");
    Driver e(auth_config());
    e.s.trace().enable(true);
    hello(e);
    e.talk("AUTH LOGIN\r\n" + base64_encode(std::string_view("alice")) + "\r\n*\r\n");
    std::vector<std::string> lines;
    for (auto* x : {&d, &e}) {
        for (const auto& ev : x->s.trace().take()) {
            lines.push_back((ev.direction == trace::Direction::to_server   ? "C: "
                             : ev.direction == trace::Direction::to_client ? "S: "
                                                                           : "*  ") +
                            ev.message);
        }
    }
    const std::vector<std::string> expected = {
        "S: 220 mx.example.org ESMTP l7",
        "C: EHLO client.example",
        "S: 250-mx.example.org",
        "S: 250-PIPELINING",
        "S: 250-SIZE 26214400",
        "S: 250-8BITMIME",
        "S: 250-ENHANCEDSTATUSCODES",
        "S: 250-SMTPUTF8",
        "S: 250-AUTH PLAIN LOGIN",
        "S: 250 HELP",
        "C: AUTH PLAIN <credentials hidden>",
        "S: 235 2.7.0 Authentication successful",
        "C: RSET",
        "S: 250 2.0.0 OK",
        "S: 220 mx.example.org ESMTP l7",
        "C: EHLO client.example",
        "S: 250-mx.example.org",
        "S: 250-PIPELINING",
        "S: 250-SIZE 26214400",
        "S: 250-8BITMIME",
        "S: 250-ENHANCEDSTATUSCODES",
        "S: 250-SMTPUTF8",
        "S: 250-AUTH PLAIN LOGIN",
        "S: 250 HELP",
        "C: AUTH LOGIN",
        "S: 334 VXNlcm5hbWU6",
        "C: <credentials hidden>",
        "S: 334 UGFzc3dvcmQ6",
        "C: *",
        "S: 501 5.7.0 Authentication cancelled",
    };
    EXPECT_EQ(lines, expected);
    for (const auto& line : lines) {
        EXPECT_EQ(line.find("secret"), std::string::npos);
        EXPECT_EQ(line.find(plain("alice", "secret")), std::string::npos);
    }
}

// ---------------------------------------------------------------- other commands

TEST(SmtpSession, OtherCommands) {
    Driver d;
    d.start();
    // Before HELO: what needs no transaction works.
    EXPECT_EQ(d.talk("NOOP\r\n"), "250 OK\r\n");
    EXPECT_EQ(d.talk("VRFY Smith\r\n"),
              "252 Cannot VRFY user, but will accept message and attempt delivery\r\n");
    d.talk("EHLO c.example\r\n");
    EXPECT_EQ(d.talk("NOOP what\r\n"), "250 2.0.0 OK\r\n");
    EXPECT_EQ(d.talk("EXPN staff\r\n"), "502 5.5.1 EXPN not available\r\n");
    EXPECT_EQ(d.talk("HELP\r\n"),
              "214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP\r\n"
              "214 2.0.0 See RFC 5321\r\n");
    EXPECT_EQ(d.talk("STARTTLS\r\n"), "502 5.5.1 STARTTLS not available\r\n");
    EXPECT_EQ(d.talk("BDAT 10 LAST\r\n"), "502 5.5.1 BDAT not available\r\n");
    EXPECT_EQ(d.talk("TURN\r\n"), "502 5.5.1 Command not implemented\r\n");
    EXPECT_EQ(d.talk("XYZZY\r\n"), "500 5.5.2 Command not recognized\r\n");
    EXPECT_EQ(d.talk("DATA now\r\n"), "501 5.5.4 Syntax: DATA (no arguments)\r\n");
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example> FOO=1\r\n"),
              "555 5.5.4 Unsupported parameter FOO\r\n");
    EXPECT_EQ(d.talk("MAIL FROM:<a@@b.example>\r\n"), "501 5.1.7 Bad sender address syntax\r\n");
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<>\r\n"),
              "250 2.1.0 Sender OK\r\n501 5.1.3 Bad recipient address syntax\r\n");
    EXPECT_EQ(d.closes, 0);
}

TEST(SmtpSession, QuitClosesAndLaterInputIsIgnored) {
    Driver d;
    hello(d);
    EXPECT_EQ(d.talk("QUIT\r\nNOOP\r\n"), "221 2.0.0 mx.example.org closing connection\r\n");
    EXPECT_EQ(d.closes, 1);
    EXPECT_EQ(d.talk("NOOP\r\n"), "");
    EXPECT_EQ(d.s.input_room(), 0u);
    EXPECT_EQ(d.events_after_close, 0);
    EXPECT_EQ(d.s.waiting_for(), SmtpWaitingFor::nothing);
}

TEST(SmtpSession, AnHttpRequestIsCutOff) {
    Driver d;
    d.start();
    EXPECT_EQ(d.talk("POST /cgi HTTP/1.1\r\nHost: x\r\n\r\nMAIL FROM:<a@b.example>\r\n"),
              "421 mx.example.org This is an SMTP server\r\n");
    EXPECT_EQ(d.closes, 1);
}

TEST(SmtpSession, TooManyErrorsClose) {
    Driver d;
    hello(d);
    std::string junk;
    for (int i = 0; i < 25; ++i) {
        junk += "BOGUS\r\n";
    }
    const std::string reply = d.talk(junk);
    std::string expected;
    for (int i = 0; i < 20; ++i) {
        expected += "500 5.5.2 Command not recognized\r\n";
    }
    expected += "421 4.7.0 mx.example.org Too many errors\r\n";
    EXPECT_EQ(reply, expected);
    EXPECT_EQ(d.closes, 1);
}

TEST(SmtpSession, RejectedRecipientsCountAsErrors) {
    SmtpServerConfig c = test_config();
    c.limits.max_errors = 3;
    Driver d(c);
    d.on_recipient = [](const std::string&) { return SmtpRecipientVerdict::reject; };
    hello(d);
    d.talk("MAIL FROM:<a@b.example>\r\n");
    const std::string reply = d.talk(
        "RCPT TO:<a@x.example>\r\nRCPT TO:<b@x.example>\r\n"
        "RCPT TO:<c@x.example>\r\nRCPT TO:<d@x.example>\r\n");
    EXPECT_TRUE(
        reply.ends_with("550 5.1.1 No such mailbox here\r\n"
                        "421 4.7.0 mx.example.org Too many errors\r\n"));
    EXPECT_EQ(d.recipients_checked.size(), 3u);
}

TEST(SmtpSession, TooManyCommandsWithoutMail) {
    SmtpServerConfig c = test_config();
    c.limits.max_junk_commands = 5;
    Driver d(c);
    hello(d);
    EXPECT_EQ(d.talk("NOOP\r\nRSET\r\nVRFY x\r\nHELP\r\nEXPN y\r\n").find("421"),
              std::string::npos);
    // A delivered message starts the count again.
    d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nx\r\n.\r\n");
    EXPECT_EQ(d.talk("NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n").find("421"), std::string::npos);
    EXPECT_TRUE(d.talk("NOOP\r\n").ends_with("421 4.7.0 mx.example.org Too many commands\r\n"));
    EXPECT_EQ(d.closes, 1);
}

// ---------------------------------------------------------------- lines and limits

TEST(SmtpSession, OverlongCommandLines) {
    Driver d;
    hello(d);
    // 512 octets with CRLF is the limit for NOOP; 2048 for MAIL.
    EXPECT_EQ(d.talk("NOOP " + std::string(505, 'x') + "\r\n"), "250 2.0.0 OK\r\n");
    EXPECT_EQ(d.talk("NOOP " + std::string(506, 'x') + "\r\n"), "500 5.5.6 Line too long\r\n");
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example> X-PAD=" + std::string(1000, 'p') + "\r\n"),
              "555 5.5.4 Unsupported parameter X-PAD\r\n");
    EXPECT_EQ(d.talk("MAIL FROM:<a@b.example> X-PAD=" + std::string(2100, 'p') + "\r\n"),
              "500 5.5.6 Line too long\r\n");
    // A line far beyond any limit is answered once, and dropped as it arrives.
    std::string reply;
    for (int i = 0; i < 100; ++i) {
        reply += d.talk(std::string(1000, 'z'));
    }
    EXPECT_EQ(reply, "500 5.5.6 Line too long\r\n");
    EXPECT_LT(d.s.buffered_bytes(), 64u * 1024);
    EXPECT_EQ(d.talk("zzz\r\nNOOP\r\n"), "250 2.0.0 OK\r\n");
}

TEST(SmtpSession, CommandLinesMayEndInBareLf) {
    Driver d;
    d.start();
    EXPECT_EQ(d.talk("EHLO c.example\nNOOP\n"), kEhloReply + "250 2.0.0 OK\r\n");
}

TEST(SmtpSession, InputBeyondTheRoomIsRefused) {
    Driver d;
    d.answer_messages = false;
    hello(d);
    d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nx\r\n.\r\n");
    ASSERT_EQ(d.messages.size(), 1u);  // waiting for the driver to store it
    const std::size_t room = d.s.input_room();
    d.s.receive(std::string(room, 'n'));
    EXPECT_EQ(d.s.input_room(), 0u);
    d.s.receive("x");  // a driver that does not look
    d.drain();
    EXPECT_TRUE(d.sent.ends_with("421 4.7.0 mx.example.org Too much pipelined input\r\n"));
    EXPECT_EQ(d.closes, 1);
    EXPECT_FALSE(d.s.message_result(SmtpDeliveryResult::stored));
}

TEST(SmtpSession, InputUpToTheRoomIsAlwaysTaken) {
    Driver d;
    d.answer_messages = false;
    hello(d);
    // A command waits behind the message's end, so part of the buffer is already processed.
    d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\nx\r\n.\r\nNOOP\r\n");
    ASSERT_EQ(d.messages.size(), 1u);
    const std::size_t room = d.s.input_room();
    EXPECT_EQ(room, test_config().limits.max_buffered_input - 6);
    d.s.receive(std::string(room - 2, 'n') + "\r\n");
    EXPECT_EQ(d.s.input_room(), 0u);
    EXPECT_TRUE(d.s.message_result(SmtpDeliveryResult::stored));
    d.drain();
    EXPECT_TRUE(
        d.sent.ends_with("250 2.0.0 OK: queued as ID1\r\n250 2.0.0 OK\r\n"
                         "500 5.5.6 Line too long\r\n"));
    EXPECT_EQ(d.closes, 0);
}

TEST(SmtpSession, EndOfInputAfterAPipelinedQuit) {
    Driver d;
    d.start();
    d.s.receive("EHLO c.example\r\nQUIT\r\n");
    d.s.receive({});
    d.drain();
    EXPECT_EQ(d.sent, "220 mx.example.org ESMTP l7\r\n" + kEhloReply +
                          "221 2.0.0 mx.example.org closing connection\r\n");
    EXPECT_EQ(d.closes, 1);
    Driver e;
    hello(e);
    e.s.receive("NOOP\r\nNOO");  // the client goes away mid-command
    e.s.receive({});
    e.drain();
    EXPECT_TRUE(e.sent.ends_with("250 2.0.0 OK\r\n"));
    EXPECT_EQ(e.closes, 1);
}

// ---------------------------------------------------------------- Received field

TEST(SmtpSession, ReceivedFieldForms) {
    struct Case {
        SmtpPeer peer;
        std::string_view from;
    };
    const Case cases[] = {
        {{"192.0.2.1", "mail.client.example", false},
         "from c.example (mail.client.example [192.0.2.1])"},
        {{"192.0.2.1", "", false}, "from c.example ([192.0.2.1])"},
        {{"2001:db8::1", "", false}, "from c.example ([IPv6:2001:db8::1])"},
        {{"", "", false}, "from c.example"},
        {{"192.0.2.1", "evil\r\nX-Injected: 1", false},
         "from c.example (evilX-Injected: 1 [192.0.2.1])"},
    };
    for (const auto& c : cases) {
        Driver d(test_config(), c.peer);
        d.start();
        d.talk(
            "EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\n"
            "RCPT TO:<z@y.example>\r\nDATA\r\n.\r\n");
        ASSERT_EQ(d.messages.size(), 1u);
        EXPECT_EQ(d.messages[0].data, "Received: " + std::string(c.from) +
                                          "\r\n\tby mx.example.org with ESMTP id ID1; " +
                                          std::string(kDate) + "\r\n");
    }
    SmtpPeer tls = test_peer();
    tls.tls = true;
    Driver d(auth_config(), tls);
    hello(d);
    d.talk("AUTH PLAIN " + plain("alice", "secret") + "\r\n");
    d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<x@y.example>\r\nDATA\r\n.\r\n");
    ASSERT_EQ(d.messages.size(), 1u);
    EXPECT_NE(d.messages[0].data.find(" with ESMTPSA id ID1"), std::string::npos);
}

// ---------------------------------------------------------------- split feeding

// A whole pipelined session, fed whole and in pieces of every size from 1 to 7 bytes: the
// bytes sent back and the messages handed over must not depend on how the input was cut.
TEST(SmtpSession, SplitFeedingDoesNotChangeTheDialogue) {
    const std::string input =
        "EHLO c.example\r\nMAIL FROM:<a@b.example> BODY=8BITMIME\r\nRCPT TO:<x@y.example>\r\n"
        "DATA\r\nSubject: t\r\n\r\n..dots\r\nbody\r\n.\r\nRSET\r\nVRFY q\r\nBOGUS\r\n"
        "NOOP " +
        std::string(600, 'n') + "\r\nQUIT\r\n";
    Driver whole;
    whole.start();
    whole.talk(input);
    ASSERT_EQ(whole.messages.size(), 1u);
    ASSERT_EQ(whole.closes, 1);
    for (std::size_t piece = 1; piece <= 7; ++piece) {
        Driver d;
        d.start();
        for (std::size_t i = 0; i < input.size(); i += piece) {
            d.talk(std::string_view(input).substr(i, piece));
        }
        EXPECT_EQ(d.sent, whole.sent) << piece;
        ASSERT_EQ(d.messages.size(), 1u) << piece;
        EXPECT_EQ(d.messages[0].data, whole.messages[0].data) << piece;
        EXPECT_EQ(d.messages[0].envelope, whole.messages[0].envelope) << piece;
        EXPECT_EQ(d.closes, 1) << piece;
    }
}

TEST(SmtpSession, TraceShowsTheDialogueAndTheFirstLinesOfData) {
    Driver d;
    d.s.trace().enable(true);
    hello(d);
    std::string body;
    for (int i = 0; i < 150; ++i) {
        body += "line " + std::to_string(i) + "\r\n";
    }
    d.talk("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n" + body + ".\r\n");
    std::vector<std::string> lines;
    for (const auto& ev : d.s.trace().take()) {
        lines.push_back(ev.message);
    }
    const auto at = [&](std::string_view s) {
        return std::find(lines.begin(), lines.end(), s) != lines.end();
    };
    EXPECT_TRUE(at("MAIL FROM:<a@b.example>"));
    EXPECT_TRUE(at("354 End data with <CR><LF>.<CR><LF>"));
    EXPECT_TRUE(at("line 0"));
    EXPECT_TRUE(at("line 99"));
    EXPECT_FALSE(at("line 100"));
    EXPECT_TRUE(at("50 more lines of message data"));
    EXPECT_TRUE(at("."));
    EXPECT_TRUE(at("250 2.0.0 OK: queued as ID1"));
}

}  // namespace
}  // namespace l7::mail
