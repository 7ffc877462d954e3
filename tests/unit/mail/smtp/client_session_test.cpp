// The SMTP client session (RFC 5321 as the sender) driven as its driver would, against
// scripted server replies: bytes in, sends and outcomes out.

#include "mail/smtp/client_session.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64.hpp"

namespace l7::mail {
namespace {

using Kind = SmtpOutcomeKind;
using Wait = SmtpClientWaitingFor;

const std::string kEhloPipelining =
    "250-mx.example.org greets client.example\r\n"
    "250-PIPELINING\r\n"
    "250-SIZE 10000\r\n"
    "250-8BITMIME\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250 SMTPUTF8\r\n";

const std::string kEhloPlain =
    "250-mx.example.org\r\n"
    "250-SIZE\r\n"
    "250 ENHANCEDSTATUSCODES\r\n";

SmtpClientConfig test_config() {
    SmtpClientConfig c;
    c.hello_name = "client.example";
    return c;
}

SmtpOutgoingMessage message(std::vector<std::string> recipients = {"bob@example.org"},
                            std::string data = "Subject: hi\r\n\r\nHello\r\n") {
    SmtpOutgoingMessage m;
    m.mail_from = "alice@client.example";
    m.recipients = std::move(recipients);
    m.data = std::move(data);
    return m;
}

// The driver: hands out queued messages at each Ready (then quits), keeps what it saw.
struct Client {
    explicit Client(SmtpClientConfig config = test_config()) : s(std::move(config)) {
        s.trace().enable(true);
    }

    SmtpClientSession s;
    std::deque<SmtpOutgoingMessage> queue;
    bool quit_when_idle = true;
    std::string sent;                // every byte sent, in order
    std::vector<std::string> sends;  // one per send event
    int readies = 0;
    std::vector<SmtpClientMessageDone> done;
    std::optional<SmtpClientClosed> closed;
    int events_after_close = 0;

    void drain() {
        while (auto ev = s.next_event()) {
            if (closed) {
                ++events_after_close;
            }
            if (auto* send = std::get_if<SmtpClientSend>(&*ev)) {
                EXPECT_FALSE(send->bytes.empty());
                sent += send->bytes;
                sends.push_back(send->bytes);
            } else if (std::holds_alternative<SmtpClientReady>(*ev)) {
                ++readies;
                if (!queue.empty()) {
                    EXPECT_TRUE(s.send_message(std::move(queue.front())));
                    queue.pop_front();
                } else if (quit_when_idle) {
                    s.quit();
                }
            } else if (auto* d = std::get_if<SmtpClientMessageDone>(&*ev)) {
                done.push_back(std::move(*d));
            } else if (auto* c = std::get_if<SmtpClientClosed>(&*ev)) {
                closed = std::move(*c);
            }
        }
    }

    // The server says `bytes` (an empty view: its EOF); returns what the client sent back.
    std::string server(std::string_view bytes) {
        const std::size_t before = sent.size();
        s.receive(bytes);
        drain();
        return sent.substr(before);
    }

    // The transcript: "C: " for the client's lines, "S: " for the server's, "*  " for notes.
    std::string transcript() {
        std::string out;
        for (const auto& e : s.trace().take()) {
            out += e.direction == trace::Direction::to_server   ? "C: "
                   : e.direction == trace::Direction::to_client ? "S: "
                                                                : "*  ";
            out += e.message + "\n";
        }
        return out;
    }
};

// Plays a dialogue: each run of "S: " lines is fed to the client, and the "C: " lines after
// it must be exactly what the client sends in answer. Returns the client.
void replay(Client& c, std::string_view dialogue) {
    std::string server, expected;
    const auto step = [&] {
        if (!server.empty() || !expected.empty()) {
            EXPECT_EQ(c.server(server), expected) << "after:\n" << server;
        }
        server.clear();
        expected.clear();
    };
    while (!dialogue.empty()) {
        const std::size_t nl = dialogue.find('\n');
        const std::string_view line = dialogue.substr(0, nl);
        dialogue.remove_prefix(nl == std::string_view::npos ? dialogue.size() : nl + 1);
        if (line.starts_with("S: ")) {
            if (!expected.empty()) {
                step();
            }
            server += std::string(line.substr(3)) + "\r\n";
        } else if (line.starts_with("C: ")) {
            expected += std::string(line.substr(3)) + "\r\n";
        }
    }
    step();
}

// A client past the greeting and EHLO (the given reply), holding `m` for the first Ready.
Client& greet(Client& c, const std::string& ehlo_reply) {
    c.drain();
    EXPECT_EQ(c.server("220 mx.example.org ESMTP\r\n"), "EHLO client.example\r\n");
    c.server(ehlo_reply);
    return c;
}

// ---------------------------------------------------------------- the course's dialogue

constexpr std::string_view kCourseDialogue =
    "S: 220 hamburger.edu\n"
    "C: HELO crepes.fr\n"
    "S: 250 Hello crepes.fr, pleased to meet you\n"
    "C: MAIL FROM:<alice@crepes.fr>\n"
    "S: 250 alice@crepes.fr ... Sender ok\n"
    "C: RCPT TO:<bob@hamburger.edu>\n"
    "S: 250 bob@hamburger.edu ... Recipient ok\n"
    "C: DATA\n"
    "S: 354 Enter mail, end with \".\" on a line by itself\n"
    "C: Do you like ketchup?\n"
    "C: How about pickles?\n"
    "C: .\n"
    "S: 250 Message accepted for delivery\n"
    "C: QUIT\n"
    "S: 221 hamburger.edu closing connection\n";

TEST(SmtpClient, CourseDialogue) {
    SmtpClientConfig config;
    config.hello_name = "crepes.fr";
    config.ehlo = false;
    Client c(config);
    SmtpOutgoingMessage m;
    m.mail_from = "alice@crepes.fr";
    m.recipients = {"bob@hamburger.edu"};
    m.data = "Do you like ketchup?\r\nHow about pickles?\r\n";
    c.queue.push_back(m);
    EXPECT_EQ(c.s.waiting_for(), Wait::greeting);
    replay(c, kCourseDialogue);

    ASSERT_EQ(c.done.size(), 1u);
    ASSERT_EQ(c.done[0].recipients.size(), 1u);
    EXPECT_EQ(c.done[0].recipients[0].recipient, "bob@hamburger.edu");
    const SmtpOutcome& o = c.done[0].recipients[0].outcome;
    EXPECT_EQ(o.kind, Kind::delivered);
    EXPECT_EQ(o.reply.code, 250u);
    EXPECT_EQ(o.stage, SmtpStage::message);
    EXPECT_FALSE(o.local);
    EXPECT_EQ(c.done[0].overall, o);
    ASSERT_TRUE(c.closed);
    EXPECT_FALSE(c.closed->failure);
    EXPECT_EQ(c.s.waiting_for(), Wait::nothing);
    EXPECT_EQ(c.events_after_close, 0);
    // The trace reads like the book.
    std::string expected_trace(kCourseDialogue);
    EXPECT_EQ(c.transcript(), expected_trace);
}

// ---------------------------------------------------------------- EHLO, HELO

TEST(SmtpClient, EhloOfferIsRead) {
    Client c;
    c.quit_when_idle = false;
    greet(c,
          "250-mx.example.org\r\n"
          "250-pipelining\r\n"
          "250-SIZE 52428800\r\n"
          "250-8BITMIME\r\n"
          "250-ENHANCEDSTATUSCODES\r\n"
          "250-SMTPUTF8\r\n"
          "250-STARTTLS\r\n"
          "250-AUTH=LOGIN\r\n"
          "250 HELP\r\n");
    const SmtpServerOffer& o = c.s.offer();
    EXPECT_TRUE(o.esmtp);
    EXPECT_TRUE(o.pipelining);
    EXPECT_TRUE(o.size);
    EXPECT_EQ(o.max_size, 52428800u);
    EXPECT_TRUE(o.eight_bit_mime);
    EXPECT_TRUE(o.enhanced_status_codes);
    EXPECT_TRUE(o.smtputf8);
    EXPECT_TRUE(o.starttls);
    EXPECT_TRUE(o.auth);
    EXPECT_TRUE(o.auth_login);
    EXPECT_FALSE(o.auth_plain);
    EXPECT_EQ(c.readies, 1);
    EXPECT_EQ(c.s.waiting_for(), Wait::driver);
}

TEST(SmtpClient, SizeWithoutNumberMeansNoLimit) {
    Client c;
    c.quit_when_idle = false;
    greet(c, "250-mx\r\n250-SIZE\r\n250 AUTH PLAIN CRAM-MD5\r\n");
    EXPECT_TRUE(c.s.offer().size);
    EXPECT_EQ(c.s.offer().max_size, 0u);
    EXPECT_TRUE(c.s.offer().auth_plain);
    EXPECT_FALSE(c.s.offer().auth_login);
}

TEST(SmtpClient, HeloWhenEhloIsNotKnown) {
    Client c;
    c.queue.push_back(message());
    replay(c,
           "S: 220 old.example.org\n"
           "C: EHLO client.example\n"
           "S: 502 Command not implemented\n"
           "C: HELO client.example\n"
           "S: 250 old.example.org\n"
           "C: MAIL FROM:<alice@client.example>\n");
    EXPECT_FALSE(c.s.offer().esmtp);
}

TEST(SmtpClient, HeloRefusedFailsWithQuit) {
    Client c;
    c.queue.push_back(message());
    replay(c,
           "S: 220 old.example.org\n"
           "C: EHLO client.example\n"
           "S: 500 What?\n"
           "C: HELO client.example\n"
           "S: 550 Go away\n"
           "C: QUIT\n"
           "S: 221 Bye\n");
    ASSERT_TRUE(c.closed);
    ASSERT_TRUE(c.closed->failure);
    EXPECT_EQ(c.closed->failure->kind, Kind::permanent_failure);
    EXPECT_EQ(c.closed->failure->stage, SmtpStage::hello);
    EXPECT_EQ(c.readies, 0);
    // The message given to the connection fails with the reason: it was never sent.
    ASSERT_EQ(c.done.size(), 0u);  // given at Ready, which never came
    EXPECT_EQ(c.queue.size(), 1u);
}

TEST(SmtpClient, EhloTemporaryFailure) {
    Client c;
    replay(c,
           "S: 220 mx\n"
           "C: EHLO client.example\n"
           "S: 451 Try later\n"
           "C: QUIT\n"
           "S: 221 Bye\n");
    ASSERT_TRUE(c.closed && c.closed->failure);
    EXPECT_EQ(c.closed->failure->kind, Kind::temporary_failure);
}

// ---------------------------------------------------------------- greeting

TEST(SmtpClient, GreetingRefusedFailsThePendingMessage) {
    Client c;
    EXPECT_TRUE(c.s.send_message(message({"a@x.example", "b@x.example"})));
    replay(c,
           "S: 554-mx.example.org No SMTP service here\n"
           "S: 554 Your address is listed\n"
           "C: QUIT\n"
           "S: 221 Bye\n");
    ASSERT_EQ(c.done.size(), 1u);
    ASSERT_EQ(c.done[0].recipients.size(), 2u);
    for (const auto& r : c.done[0].recipients) {
        EXPECT_EQ(r.outcome.kind, Kind::permanent_failure);
        EXPECT_EQ(r.outcome.reply.code, 554u);
        EXPECT_EQ(r.outcome.stage, SmtpStage::greeting);
    }
    EXPECT_EQ(c.done[0].overall.diagnostic(),
              "554 mx.example.org No SMTP service here Your address is listed");
    ASSERT_TRUE(c.closed && c.closed->failure);
    EXPECT_EQ(c.closed->failure->reply.code, 554u);
    EXPECT_NE(c.closed->reason.find("refused"), std::string::npos);
    EXPECT_EQ(c.readies, 0);
}

TEST(SmtpClient, Greeting421ClosesWithoutQuit) {
    Client c;
    EXPECT_TRUE(c.s.send_message(message()));
    c.drain();
    EXPECT_EQ(c.server("421 4.3.2 mx busy\r\n"), "");
    ASSERT_EQ(c.done.size(), 1u);
    EXPECT_EQ(c.done[0].recipients[0].outcome.kind, Kind::temporary_failure);
    EXPECT_EQ(c.done[0].recipients[0].outcome.status(), (EnhancedStatus{4, 3, 2}));
    ASSERT_TRUE(c.closed && c.closed->failure);
    EXPECT_EQ(c.closed->failure->reply.code, 421u);
}

TEST(SmtpClient, QuitBeforeTheGreetingSkipsEhlo) {
    Client c;
    c.s.quit();
    EXPECT_FALSE(c.s.send_message(message()));
    replay(c,
           "S: 220 mx\n"
           "C: QUIT\n"
           "S: 221 Bye\n");
    ASSERT_TRUE(c.closed);
    EXPECT_FALSE(c.closed->failure);
}

// ---------------------------------------------------------------- transactions

TEST(SmtpClient, OneCommandAtATimeWithoutPipelining) {
    Client c;
    c.queue.push_back(message({"bob@example.org", "carol@example.org"}));
    greet(c, kEhloPlain);
    EXPECT_EQ(c.sends.back(), "MAIL FROM:<alice@client.example> SIZE=22\r\n");
    EXPECT_EQ(c.s.waiting_for(), Wait::command_reply);
    EXPECT_EQ(c.server("250 2.1.0 OK\r\n"), "RCPT TO:<bob@example.org>\r\n");
    EXPECT_EQ(c.server("250 2.1.5 OK\r\n"), "RCPT TO:<carol@example.org>\r\n");
    EXPECT_EQ(c.server("250 2.1.5 OK\r\n"), "DATA\r\n");
    EXPECT_EQ(c.s.waiting_for(), Wait::data_reply);
    EXPECT_EQ(c.server("354 Go ahead\r\n"), "Subject: hi\r\n\r\nHello\r\n.\r\n");
    EXPECT_EQ(c.s.waiting_for(), Wait::final_reply);
    EXPECT_EQ(c.server("250 2.0.0 OK: queued as 7\r\n"), "QUIT\r\n");
    EXPECT_EQ(c.s.waiting_for(), Wait::command_reply);
    ASSERT_EQ(c.done.size(), 1u);
    for (const auto& r : c.done[0].recipients) {
        EXPECT_EQ(r.outcome.kind, Kind::delivered);
        EXPECT_EQ(r.outcome.status(), (EnhancedStatus{2, 0, 0}));
        EXPECT_EQ(r.outcome.reply.lines, std::vector<std::string>{"OK: queued as 7"});
    }
    EXPECT_EQ(c.server("221 2.0.0 Bye\r\n"), "");
    ASSERT_TRUE(c.closed);
    EXPECT_FALSE(c.closed->failure);
}

TEST(SmtpClient, PipelinedGroupInOneWriteAndMixedResults) {
    Client c;
    c.queue.push_back(message({"ok@example.org", "nouser@example.org", "later@example.org"}));
    greet(c, kEhloPipelining);
    EXPECT_EQ(c.sends.back(),
              "MAIL FROM:<alice@client.example> SIZE=22\r\n"
              "RCPT TO:<ok@example.org>\r\n"
              "RCPT TO:<nouser@example.org>\r\n"
              "RCPT TO:<later@example.org>\r\n"
              "DATA\r\n");
    EXPECT_EQ(c.s.waiting_for(), Wait::command_reply);
    EXPECT_EQ(c.server("250 2.1.0 OK\r\n"
                       "250 2.1.5 OK\r\n"
                       "550-5.1.1 No such user\r\n"
                       "550 5.1.1 here\r\n"
                       "451 4.3.0 Greylisted, try again\r\n"
                       "354 Go ahead\r\n"),
              "Subject: hi\r\n\r\nHello\r\n.\r\n");
    c.server("250 2.0.0 OK\r\n");
    ASSERT_EQ(c.done.size(), 1u);
    const auto& r = c.done[0].recipients;
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].recipient, "ok@example.org");
    EXPECT_EQ(r[0].outcome.kind, Kind::delivered);
    EXPECT_EQ(r[1].outcome.kind, Kind::permanent_failure);
    EXPECT_EQ(r[1].outcome.stage, SmtpStage::rcpt);
    EXPECT_EQ(r[1].outcome.status(), (EnhancedStatus{5, 1, 1}));
    EXPECT_EQ(r[1].outcome.reply.lines, (std::vector<std::string>{"No such user", "here"}));
    EXPECT_EQ(r[1].outcome.diagnostic(), "550 5.1.1 No such user here");
    EXPECT_EQ(r[2].outcome.kind, Kind::temporary_failure);
    EXPECT_EQ(r[2].outcome.status(), (EnhancedStatus{4, 3, 0}));
    // Overall: some recipient is worth another try.
    EXPECT_EQ(c.done[0].overall.kind, Kind::temporary_failure);
    EXPECT_EQ(c.done[0].overall.reply.code, 451u);
}

TEST(SmtpClient, NoDataWithoutAnAcceptedRecipient) {
    Client c;
    c.quit_when_idle = false;
    c.queue.push_back(message({"a@example.org", "b@example.org"}));
    greet(c, kEhloPlain);
    EXPECT_EQ(c.server("250 OK\r\n"), "RCPT TO:<a@example.org>\r\n");
    EXPECT_EQ(c.server("550 5.1.1 No\r\n"), "RCPT TO:<b@example.org>\r\n");
    EXPECT_EQ(c.server("550 5.1.1 No\r\n"), "");  // no DATA
    ASSERT_EQ(c.done.size(), 1u);
    EXPECT_EQ(c.done[0].overall.kind, Kind::permanent_failure);
    EXPECT_EQ(c.readies, 2);
    // The next message closes the open transaction first.
    ASSERT_TRUE(c.s.send_message(message()));
    c.drain();
    EXPECT_EQ(c.sends.back(), "RSET\r\n");
    EXPECT_EQ(c.server("250 OK\r\n"), "MAIL FROM:<alice@client.example> SIZE=22\r\n");
}

TEST(SmtpClient, PipelinedDataRefusedWhenNoRecipient) {
    Client c;
    c.quit_when_idle = false;
    c.queue.push_back(message({"a@example.org"}));
    greet(c, kEhloPipelining);
    EXPECT_EQ(c.server("250 OK\r\n550 5.1.1 No\r\n554 5.5.1 No valid recipients\r\n"), "");
    ASSERT_EQ(c.done.size(), 1u);
    // The recipient's outcome is its RCPT reply, not DATA's.
    EXPECT_EQ(c.done[0].recipients[0].outcome.stage, SmtpStage::rcpt);
    EXPECT_EQ(c.done[0].recipients[0].outcome.status(), (EnhancedStatus{5, 1, 1}));
    // The next group starts with RSET, in the same write.
    ASSERT_TRUE(c.s.send_message(message()));
    c.drain();
    EXPECT_TRUE(c.sends.back().starts_with("RSET\r\nMAIL FROM:<alice@client.example>"));
    EXPECT_EQ(c.server("250 OK\r\n250 OK\r\n250 OK\r\n354 Go\r\n"),
              "Subject: hi\r\n\r\nHello\r\n.\r\n");
}

TEST(SmtpClient, PipelinedData354WithoutRecipientGetsTheEmptyMessage) {
    Client c;
    c.quit_when_idle = false;
    c.queue.push_back(message({"a@example.org"}));
    greet(c, kEhloPipelining);
    EXPECT_EQ(c.server("250 OK\r\n550 5.1.1 No\r\n354 Go ahead\r\n"), ".\r\n");
    EXPECT_TRUE(c.done.empty());
    EXPECT_EQ(c.server("554 5.5.1 No valid recipients\r\n"), "");
    ASSERT_EQ(c.done.size(), 1u);
    EXPECT_EQ(c.done[0].recipients[0].outcome.reply.code, 550u);
    // The final reply ended the transaction: no RSET next.
    ASSERT_TRUE(c.s.send_message(message()));
    c.drain();
    EXPECT_TRUE(c.sends.back().starts_with("MAIL FROM:"));
}

TEST(SmtpClient, PipelinedMailRefusedDecidesEveryRecipient) {
    Client c;
    c.queue.push_back(message({"a@example.org", "b@example.org"}));
    greet(c, kEhloPipelining);
    EXPECT_EQ(c.server("553 5.1.8 Sender domain does not exist\r\n"
                       "503 5.5.1 Need MAIL\r\n"
                       "503 5.5.1 Need MAIL\r\n"
                       "503 5.5.1 Need MAIL\r\n"),
              "QUIT\r\n");
    ASSERT_EQ(c.done.size(), 1u);
    for (const auto& r : c.done[0].recipients) {
        EXPECT_EQ(r.outcome.kind, Kind::permanent_failure);
        EXPECT_EQ(r.outcome.stage, SmtpStage::mail);
        EXPECT_EQ(r.outcome.status(), (EnhancedStatus{5, 1, 8}));
    }
}

TEST(SmtpClient, MailRefusedWithoutPipeliningNeedsNoRset) {
    Client c;
    c.quit_when_idle = false;
    c.queue.push_back(message());
    greet(c, kEhloPlain);
    EXPECT_EQ(c.server("451 4.3.0 Later\r\n"), "");
    ASSERT_EQ(c.done.size(), 1u);
    EXPECT_EQ(c.done[0].overall.kind, Kind::temporary_failure);
    ASSERT_TRUE(c.s.send_message(message()));
    c.drain();
    EXPECT_TRUE(c.sends.back().starts_with("MAIL FROM:"));
}

TEST(SmtpClient, DataRefused) {
    Client c;
    c.queue.push_back(message());
    greet(c, kEhloPlain);
    c.server("250 OK\r\n");
    EXPECT_EQ(c.server("250 OK\r\n"), "DATA\r\n");
    EXPECT_EQ(c.server("452 4.3.1 Insufficient storage\r\n"), "QUIT\r\n");
    ASSERT_EQ(c.done.size(), 1u);
    EXPECT_EQ(c.done[0].recipients[0].outcome.stage, SmtpStage::data);
    EXPECT_EQ(c.done[0].recipients[0].outcome.kind, Kind::temporary_failure);
}

TEST(SmtpClient, FinalReplyRefused) {
    Client c;
    c.queue.push_back(message({"a@example.org", "b@example.org"}));
    greet(c, kEhloPipelining);
    c.server("250 OK\r\n250 OK\r\n550 5.1.1 No\r\n354 Go\r\n");
    EXPECT_EQ(c.server("554 5.7.1 Spam\r\n"), "QUIT\r\n");
    ASSERT_EQ(c.done.size(), 1u);
    EXPECT_EQ(c.done[0].recipients[0].outcome.stage, SmtpStage::message);
    EXPECT_EQ(c.done[0].recipients[0].outcome.status(), (EnhancedStatus{5, 7, 1}));
    EXPECT_EQ(c.done[0].recipients[1].outcome.stage, SmtpStage::rcpt);
}

TEST(SmtpClient, TwoMessagesOnOneConnection) {
    Client c;
    c.queue.push_back(message({"a@example.org"}, "one\r\n"));
    c.queue.push_back(message({"b@example.org"}, "two\r\n"));
    greet(c, kEhloPipelining);
    EXPECT_EQ(c.server("250 OK\r\n250 OK\r\n354 Go\r\n"), "one\r\n.\r\n");
    // Delivered, so no RSET before the second.
    EXPECT_EQ(c.server("250 OK\r\n"),
              "MAIL FROM:<alice@client.example> SIZE=5\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
    EXPECT_EQ(c.server("250 OK\r\n250 OK\r\n354 Go\r\n"), "two\r\n.\r\n");
    EXPECT_EQ(c.server("250 OK\r\n"), "QUIT\r\n");
    ASSERT_EQ(c.done.size(), 2u);
    EXPECT_EQ(c.done[0].recipients[0].recipient, "a@example.org");
    EXPECT_EQ(c.done[1].recipients[0].recipient, "b@example.org");
    EXPECT_EQ(c.done[1].overall.kind, Kind::delivered);
    EXPECT_EQ(c.readies, 3);
}

TEST(SmtpClient, NullReversePathAndSendMessageRules) {
    Client c;
    c.quit_when_idle = false;
    greet(c, kEhloPlain);
    EXPECT_FALSE(c.s.send_message(message({})));  // no recipients
    SmtpOutgoingMessage bounce = message();
    bounce.mail_from = "";
    EXPECT_TRUE(c.s.send_message(bounce));
    EXPECT_FALSE(c.s.send_message(message()));  // one at a time
    c.drain();
    EXPECT_EQ(c.sends.back(), "MAIL FROM:<> SIZE=22\r\n");
    c.s.quit();
    EXPECT_FALSE(c.s.send_message(message()));
}

TEST(SmtpClient, QuitWaitsForTheMessageInProgress) {
    Client c;
    c.quit_when_idle = false;
    c.queue.push_back(message());
    greet(c, kEhloPipelining);
    c.s.quit();
    EXPECT_EQ(c.server("250 OK\r\n250 OK\r\n354 Go\r\n"), "Subject: hi\r\n\r\nHello\r\n.\r\n");
    EXPECT_EQ(c.server("250 OK\r\n"), "QUIT\r\n");
    EXPECT_EQ(c.readies, 1);
    c.server("");  // EOF instead of 221: still a clean end
    ASSERT_TRUE(c.closed);
    EXPECT_FALSE(c.closed->failure);
}

// ---------------------------------------------------------------- local checks

TEST(SmtpClient, TooBigForTheServersSize) {
    Client c;
    c.queue.push_back(message({"a@example.org"}, std::string(10001, 'x')));
    greet(c, kEhloPipelining);  // SIZE 10000
    ASSERT_EQ(c.done.size(), 1u);
    const SmtpOutcome& o = c.done[0].recipients[0].outcome;
    EXPECT_EQ(o.kind, Kind::permanent_failure);
    EXPECT_EQ(o.status(), (EnhancedStatus{5, 3, 4}));
    EXPECT_TRUE(o.local);
    EXPECT_EQ(c.sends.back(), "QUIT\r\n");  // nothing but QUIT after EHLO
    EXPECT_EQ(c.sends.size(), 2u);
}

TEST(SmtpClient, SizeCountsCrlfLinesNotStuffing) {
    Client c;
    // 9998 octets and the added CRLF: 10000, just fits; the bare LF counts as CRLF.
    c.queue.push_back(message({"a@example.org"}, ".\n" + std::string(9995, 'x')));
    greet(c, kEhloPipelining);
    EXPECT_TRUE(c.sends.back().starts_with("MAIL FROM:<alice@client.example> SIZE=10000\r\n"));
}

TEST(SmtpClient, EightBitNeeds8BitMime) {
    Client plain;
    SmtpOutgoingMessage m = message();
    m.eight_bit = true;
    plain.queue.push_back(m);
    greet(plain, kEhloPlain);
    ASSERT_EQ(plain.done.size(), 1u);
    EXPECT_EQ(plain.done[0].overall.status(), (EnhancedStatus{5, 6, 3}));
    EXPECT_EQ(plain.done[0].overall.kind, Kind::permanent_failure);
    EXPECT_EQ(plain.sends.back(), "QUIT\r\n");

    Client offered;
    offered.queue.push_back(m);
    greet(offered, kEhloPipelining);
    EXPECT_TRUE(offered.sends.back().starts_with(
        "MAIL FROM:<alice@client.example> SIZE=22 BODY=8BITMIME\r\n"));
}

TEST(SmtpClient, SmtpUtf8NeedsTheExtension) {
    SmtpOutgoingMessage m = message({"jörg@example.org"});
    m.smtputf8 = true;
    Client plain;
    plain.queue.push_back(m);
    greet(plain, kEhloPlain);
    ASSERT_EQ(plain.done.size(), 1u);
    EXPECT_EQ(plain.done[0].overall.status(), (EnhancedStatus{5, 6, 7}));

    Client offered;
    offered.queue.push_back(m);
    greet(offered, kEhloPipelining);
    EXPECT_TRUE(offered.sends.back().starts_with(
        "MAIL FROM:<alice@client.example> SIZE=22 SMTPUTF8\r\nRCPT TO:<jörg@example.org>\r\n"));
}

TEST(SmtpClient, AddressesThatCouldInjectCommandsAreNotSent) {
    Client c;
    c.queue.push_back(message({"a@example.org\r\nRSET", "<b@example.org>", "c@example.org"}));
    greet(c, kEhloPipelining);
    EXPECT_EQ(c.sends.back(),
              "MAIL FROM:<alice@client.example> SIZE=22\r\nRCPT TO:<c@example.org>\r\nDATA\r\n");
    c.server("250 OK\r\n250 OK\r\n354 Go\r\n");
    c.server("250 OK\r\n");
    ASSERT_EQ(c.done.size(), 1u);
    EXPECT_EQ(c.done[0].recipients[0].outcome.status(), (EnhancedStatus{5, 1, 3}));
    EXPECT_EQ(c.done[0].recipients[1].outcome.status(), (EnhancedStatus{5, 1, 3}));
    EXPECT_EQ(c.done[0].recipients[2].outcome.kind, Kind::delivered);

    Client sender;
    SmtpOutgoingMessage m = message();
    m.mail_from = "x@y\nz";
    sender.queue.push_back(m);
    greet(sender, kEhloPipelining);
    ASSERT_EQ(sender.done.size(), 1u);
    EXPECT_EQ(sender.done[0].overall.status(), (EnhancedStatus{5, 1, 7}));
    EXPECT_EQ(sender.sends.back(), "QUIT\r\n");
}

// ---------------------------------------------------------------- data

std::string data_sent_for(std::string data) {
    Client c;
    c.queue.push_back(message({"a@example.org"}, std::move(data)));
    greet(c, kEhloPipelining);
    return c.server("250 OK\r\n250 OK\r\n354 Go\r\n");
}

TEST(SmtpClient, DotStuffing) {
    EXPECT_EQ(data_sent_for(".\r\n..x\r\n.y\r\nz.\r\n"), "..\r\n...x\r\n..y\r\nz.\r\n.\r\n");
    EXPECT_EQ(data_sent_for("."), "..\r\n.\r\n");
}

TEST(SmtpClient, DataLineEnds) {
    EXPECT_EQ(data_sent_for("no final line end"), "no final line end\r\n.\r\n");
    EXPECT_EQ(data_sent_for(""), ".\r\n");
    // Bare LF and CR are sent as CRLF; a dot after a bare LF is stuffed (no smuggled end).
    EXPECT_EQ(data_sent_for("a\n.\nb\rc\r"), "a\r\n..\r\nb\r\nc\r\n.\r\n");
    EXPECT_EQ(data_sent_for("a\r\r\n"), "a\r\n\r\n.\r\n");
}

TEST(SmtpClient, DataGoesOutInBoundedChunksOnDemand) {
    SmtpClientConfig config = test_config();
    config.limits.data_chunk = 512;
    Client c(config);
    std::string data;
    for (int i = 0; i < 200; ++i) {
        data += (i % 7 == 0 ? "." : "") + std::string(40, static_cast<char>('a' + i % 26)) + "\r\n";
    }
    c.queue.push_back(message({"a@example.org"}, data));
    greet(c, kEhloPipelining);
    c.s.receive("250 OK\r\n250 OK\r\n354 Go\r\n");
    std::string stream;
    int chunks = 0;
    while (auto ev = c.s.next_event()) {
        auto* send = std::get_if<SmtpClientSend>(&*ev);
        ASSERT_NE(send, nullptr);
        EXPECT_LE(send->bytes.size(), 512u + 7);
        stream += send->bytes;
        ++chunks;
        // The session holds the message and no more than one chunk at a time.
        EXPECT_LE(c.s.buffered_bytes(), data.capacity() + 64 * 1024);
        if (!stream.ends_with("\r\n.\r\n")) {
            EXPECT_EQ(c.s.waiting_for(), Wait::data_block);
        }
    }
    EXPECT_GT(chunks, 10);
    EXPECT_EQ(c.s.waiting_for(), Wait::final_reply);
    std::string expected;
    for (int i = 0; i < 200; ++i) {
        expected +=
            (i % 7 == 0 ? ".." : "") + std::string(40, static_cast<char>('a' + i % 26)) + "\r\n";
    }
    EXPECT_EQ(stream, expected + ".\r\n");
}

TEST(SmtpClient, StuffingAcrossAChunkBoundary) {
    SmtpClientConfig config = test_config();
    config.limits.data_chunk = 512;
    Client c(config);
    // Line one ends exactly at the chunk's end; the next line starts with a dot.
    const std::string data = std::string(510, 'x') + "\r\n.next\r\n" + std::string(600, 'y');
    c.queue.push_back(message({"a@example.org"}, data));
    greet(c, kEhloPipelining);
    EXPECT_EQ(c.server("250 OK\r\n250 OK\r\n354 Go\r\n"),
              std::string(510, 'x') + "\r\n..next\r\n" + std::string(600, 'y') + "\r\n.\r\n");
}

TEST(SmtpClient, TraceShowsTheFirstLinesOfData) {
    Client c;
    std::string data;
    for (int i = 0; i < 150; ++i) {
        data += "line " + std::to_string(i) + "\r\n";
    }
    c.queue.push_back(message({"a@example.org"}, data));
    greet(c, kEhloPipelining);
    c.server("250 OK\r\n250 OK\r\n354 Go\r\n");
    const std::string t = c.transcript();
    EXPECT_NE(t.find("C: line 99\n"), std::string::npos);
    EXPECT_EQ(t.find("C: line 100\n"), std::string::npos);
    EXPECT_NE(t.find("*  50 more lines of message data\nC: .\n"), std::string::npos);
}

// ---------------------------------------------------------------- AUTH

SmtpClientConfig auth_config(bool require = false) {
    SmtpClientConfig c = test_config();
    c.auth = SmtpClientCredentials{"alice", "secret"};
    c.require_auth = require;
    return c;
}

TEST(SmtpClient, AuthPlainWithInitialResponse) {
    Client c(auth_config(true));
    c.queue.push_back(message());
    c.drain();
    c.server("220 submit.example.org\r\n");
    const std::string plain = base64_encode(std::string_view("\0alice\0secret", 13));
    EXPECT_EQ(c.server("250-submit.example.org\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME\r\n"),
              "AUTH PLAIN " + plain + "\r\n");
    EXPECT_EQ(c.s.waiting_for(), Wait::command_reply);
    EXPECT_EQ(c.server("235 2.7.0 Authentication successful\r\n"),
              "MAIL FROM:<alice@client.example>\r\n");
    const std::string t = c.transcript();
    EXPECT_NE(t.find("C: AUTH PLAIN <credentials hidden>\n"), std::string::npos);
    EXPECT_EQ(t.find(plain), std::string::npos);
    EXPECT_EQ(t.find("secret"), std::string::npos);
}

TEST(SmtpClient, AuthLogin) {
    Client c(auth_config(true));
    c.queue.push_back(message());
    c.drain();
    replay(c,
           "S: 220 submit.example.org\n"
           "C: EHLO client.example\n"
           "S: 250-submit.example.org\n"
           "S: 250 AUTH=LOGIN\n"
           "C: AUTH LOGIN\n"
           "S: 334 VXNlcm5hbWU6\n"
           "C: YWxpY2U=\n"
           "S: 334 UGFzc3dvcmQ6\n"
           "C: c2VjcmV0\n"
           "S: 235 2.7.0 OK\n"
           "C: MAIL FROM:<alice@client.example>\n");
    const std::string t = c.transcript();
    EXPECT_EQ(t.find("YWxpY2U="), std::string::npos);
    EXPECT_EQ(t.find("c2VjcmV0"), std::string::npos);
    EXPECT_NE(t.find("C: <credentials hidden>\nS: 334 UGFzc3dvcmQ6\nC: <credentials hidden>\n"),
              std::string::npos);
}

TEST(SmtpClient, AuthFailureIsPermanentAndShowsTheServersReply) {
    Client c(auth_config(true));
    c.queue.push_back(message());
    c.drain();
    c.server("220 submit\r\n");
    c.server("250-submit\r\n250 AUTH PLAIN\r\n");
    EXPECT_EQ(c.server("535 5.7.8 Authentication credentials invalid\r\n"), "QUIT\r\n");
    EXPECT_EQ(c.readies, 0);
    c.server("221 Bye\r\n");
    ASSERT_TRUE(c.closed && c.closed->failure);
    EXPECT_EQ(c.closed->failure->kind, Kind::permanent_failure);
    EXPECT_EQ(c.closed->failure->stage, SmtpStage::auth);
    EXPECT_EQ(c.closed->reason,
              "authentication failed: 535 5.7.8 Authentication credentials invalid");
}

TEST(SmtpClient, AuthTemporaryFailure) {
    Client c(auth_config(true));
    EXPECT_TRUE(c.s.send_message(message()));
    c.drain();
    c.server("220 submit\r\n");
    c.server("250-submit\r\n250 AUTH PLAIN\r\n");
    EXPECT_EQ(c.server("454 4.7.0 Temporary authentication failure\r\n"), "QUIT\r\n");
    ASSERT_EQ(c.done.size(), 1u);
    EXPECT_EQ(c.done[0].overall.kind, Kind::temporary_failure);
    EXPECT_EQ(c.done[0].overall.stage, SmtpStage::auth);
}

TEST(SmtpClient, RequiredAuthNotOffered) {
    Client c(auth_config(true));
    EXPECT_TRUE(c.s.send_message(message()));
    c.drain();
    c.server("220 submit\r\n");
    EXPECT_EQ(c.server("250-submit\r\n250 AUTH CRAM-MD5\r\n"), "QUIT\r\n");
    ASSERT_EQ(c.done.size(), 1u);
    EXPECT_EQ(c.done[0].overall.kind, Kind::permanent_failure);
    EXPECT_EQ(c.done[0].overall.status(), (EnhancedStatus{5, 7, 4}));
    EXPECT_TRUE(c.done[0].overall.local);
    c.server("221 Bye\r\n");
    ASSERT_TRUE(c.closed && c.closed->failure);
    EXPECT_NE(c.closed->reason.find("neither AUTH PLAIN nor AUTH LOGIN"), std::string::npos);
}

TEST(SmtpClient, OptionalAuthNotOfferedSendsWithout) {
    Client c(auth_config(false));
    c.queue.push_back(message());
    c.drain();
    c.server("220 mx\r\n");
    EXPECT_EQ(c.server("250 mx\r\n"), "MAIL FROM:<alice@client.example>\r\n");
}

TEST(SmtpClient, UnexpectedChallengeAfterPlainIsAProtocolError) {
    Client c(auth_config(true));
    c.drain();
    c.server("220 submit\r\n");
    c.server("250-submit\r\n250 AUTH PLAIN\r\n");
    EXPECT_EQ(c.server("334 \r\n"), "");  // no QUIT: it would be read as a SASL response
    ASSERT_TRUE(c.closed && c.closed->failure);
    EXPECT_EQ(c.closed->failure->kind, Kind::temporary_failure);
}

// ---------------------------------------------------------------- failures mid-way

TEST(SmtpClient, Reply421MidTransaction) {
    Client c;
    c.queue.push_back(message({"a@example.org", "b@example.org", "c@example.org"}));
    greet(c, kEhloPlain);
    c.server("250 OK\r\n");
    c.server("550 5.1.1 No\r\n");
    EXPECT_EQ(c.server("421 4.4.5 Shutting down\r\n"), "");
    ASSERT_EQ(c.done.size(), 1u);
    const auto& r = c.done[0].recipients;
    EXPECT_EQ(r[0].outcome.kind, Kind::permanent_failure);
    EXPECT_EQ(r[1].outcome.kind, Kind::temporary_failure);
    EXPECT_EQ(r[1].outcome.status(), (EnhancedStatus{4, 4, 5}));
    EXPECT_EQ(r[2].outcome.kind, Kind::temporary_failure);
    ASSERT_TRUE(c.closed && c.closed->failure);
    EXPECT_EQ(c.closed->failure->reply.code, 421u);
    EXPECT_EQ(c.s.waiting_for(), Wait::nothing);
    EXPECT_EQ(c.server("250 late\r\n"), "");
    EXPECT_EQ(c.events_after_close, 0);
}

TEST(SmtpClient, EofBeforeTheFinalReply) {
    Client c;
    c.queue.push_back(message());
    greet(c, kEhloPipelining);
    c.server("250 OK\r\n250 OK\r\n354 Go\r\n");
    EXPECT_EQ(c.server(""), "");
    ASSERT_EQ(c.done.size(), 1u);
    const SmtpOutcome& o = c.done[0].overall;
    EXPECT_EQ(o.kind, Kind::temporary_failure);
    EXPECT_TRUE(o.local);
    EXPECT_EQ(o.status(), (EnhancedStatus{4, 4, 2}));
    EXPECT_EQ(o.stage, SmtpStage::message);
    ASSERT_TRUE(c.closed && c.closed->failure);
}

TEST(SmtpClient, EofWhileDataIsBeingSent) {
    SmtpClientConfig config = test_config();
    config.limits.data_chunk = 512;
    Client c(config);
    c.queue.push_back(message({"a@example.org"}, std::string(5000, 'x')));
    greet(c, kEhloPipelining);
    c.s.receive("250 OK\r\n250 OK\r\n354 Go\r\n");
    auto first = c.s.next_event();
    ASSERT_TRUE(first && std::holds_alternative<SmtpClientSend>(*first));
    c.s.receive("552 5.3.4 Too much\r\n");
    c.s.receive({});
    const std::size_t sends_before = c.sends.size();
    c.drain();
    EXPECT_EQ(c.sends.size(), sends_before);  // the rest of the data is not sent
    ASSERT_EQ(c.done.size(), 1u);
    EXPECT_EQ(c.done[0].overall.status(), (EnhancedStatus{5, 3, 4}));
    EXPECT_FALSE(c.done[0].overall.local);
    ASSERT_TRUE(c.closed);
}

TEST(SmtpClient, TimeoutsFollowTheWait) {
    EXPECT_EQ(smtp_client_timeout(Wait::greeting), std::chrono::minutes(5));
    EXPECT_EQ(smtp_client_timeout(Wait::command_reply), std::chrono::minutes(5));
    EXPECT_EQ(smtp_client_timeout(Wait::data_reply), std::chrono::minutes(2));
    EXPECT_EQ(smtp_client_timeout(Wait::data_block), std::chrono::minutes(3));
    EXPECT_EQ(smtp_client_timeout(Wait::final_reply), std::chrono::minutes(10));
    EXPECT_EQ(smtp_client_timeout(Wait::driver), std::chrono::seconds(0));

    Client c;
    c.queue.push_back(message());
    greet(c, kEhloPipelining);
    c.server("250 OK\r\n250 OK\r\n354 Go\r\n");
    EXPECT_EQ(c.s.waiting_for(), Wait::final_reply);
    c.s.timed_out();
    c.drain();
    ASSERT_EQ(c.done.size(), 1u);
    EXPECT_EQ(c.done[0].overall.kind, Kind::temporary_failure);
    EXPECT_EQ(c.done[0].overall.diagnostic(),
              "421 4.4.2 Timed out waiting for the reply to the end of the data");
    ASSERT_TRUE(c.closed);
    EXPECT_EQ(c.closed->reason, "timed out waiting for the reply to the end of the data");
    EXPECT_EQ(c.sends.back(), "Subject: hi\r\n\r\nHello\r\n.\r\n");  // no QUIT
}

TEST(SmtpClient, TimeoutWaitingForQuitIsAnOrdinaryEnd) {
    Client c;
    greet(c, kEhloPlain);
    EXPECT_EQ(c.sends.back(), "QUIT\r\n");
    c.s.timed_out();
    c.drain();
    ASSERT_TRUE(c.closed);
    EXPECT_FALSE(c.closed->failure);
}

TEST(SmtpClient, IdleConnectionClosedByTheServer) {
    Client c;
    c.quit_when_idle = false;
    greet(c, kEhloPlain);
    EXPECT_EQ(c.server("421 4.4.2 Idle too long\r\n"), "");
    ASSERT_TRUE(c.closed && c.closed->failure);
    EXPECT_TRUE(c.done.empty());

    Client eof;
    eof.quit_when_idle = false;
    greet(eof, kEhloPlain);
    eof.server("");
    ASSERT_TRUE(eof.closed && eof.closed->failure);
    EXPECT_EQ(eof.closed->failure->kind, Kind::temporary_failure);
}

// ---------------------------------------------------------------- malformed replies

void expect_malformed(const std::string& reply, std::string_view problem) {
    Client c;
    c.queue.push_back(message());
    greet(c, kEhloPlain);
    EXPECT_EQ(c.server(reply), "") << reply;
    ASSERT_TRUE(c.closed) << reply;
    ASSERT_TRUE(c.closed->failure);
    EXPECT_EQ(c.closed->failure->kind, Kind::temporary_failure);
    EXPECT_NE(c.closed->reason.find(problem), std::string::npos) << c.closed->reason;
    ASSERT_EQ(c.done.size(), 1u);
    EXPECT_EQ(c.done[0].overall.kind, Kind::temporary_failure);
    EXPECT_TRUE(c.done[0].overall.local);
}

TEST(SmtpClient, MalformedReplies) {
    expect_malformed("25O OK\r\n", "not a reply line");
    expect_malformed("hello\r\n", "not a reply line");
    expect_malformed("199 What\r\n", "not a reply line");
    expect_malformed("600 What\r\n", "not a reply line");
    expect_malformed("260 What\r\n", "not a reply line");
    expect_malformed("250x\r\n", "not a reply line");
    expect_malformed("250-first\r\n251 second\r\n", "mixing codes 250 and 251");
    expect_malformed("250 " + std::string(3000, 'a') + "\r\n", "longer than 2048");
    expect_malformed("250 " + std::string(3000, 'a'), "longer than 2048");  // no line end yet
    std::string many;
    for (int i = 0; i < 101; ++i) {
        many += "250-line\r\n";
    }
    expect_malformed(many + "250 end\r\n", "more than 100 lines");
    expect_malformed("354 Go ahead\r\n", "unexpected reply to MAIL FROM");
}

TEST(SmtpClient, ReplyLimitsAreConfigurable) {
    SmtpClientConfig config = test_config();
    config.limits.reply.max_bytes = 600;
    Client c(config);
    c.drain();
    c.server("220 mx\r\n");
    std::string big;
    for (int i = 0; i < 25; ++i) {
        big += "250-" + std::string(100, 'k') + "\r\n";
    }
    c.server(big + "250 end\r\n");
    ASSERT_TRUE(c.closed);
    // max_bytes is raised to one line's limit, 2048.
    EXPECT_NE(c.closed->reason.find("a reply longer than 2048 octets"), std::string::npos)
        << c.closed->reason;
}

TEST(SmtpClient, UnsolicitedReplyWhileIdle) {
    Client c;
    c.quit_when_idle = false;
    greet(c, kEhloPlain);
    EXPECT_EQ(c.server("250 Surprise\r\n"), "");
    ASSERT_TRUE(c.closed && c.closed->failure);
    EXPECT_NE(c.closed->reason.find("unexpected reply"), std::string::npos);
}

TEST(SmtpClient, TooMuchInputWhileSending) {
    SmtpClientConfig config = test_config();
    config.limits.data_chunk = 512;
    config.limits.max_buffered_input = 1;  // raised to one reply
    Client c(config);
    c.queue.push_back(message({"a@example.org"}, std::string(5000, 'x')));
    greet(c, kEhloPipelining);
    c.s.receive("250 OK\r\n250 OK\r\n354 Go\r\n");
    ASSERT_TRUE(c.s.next_event());  // the first chunk; the server floods meanwhile
    for (int i = 0; i < 100 && !c.closed; ++i) {
        c.s.receive(std::string(4096, 'z'));
    }
    c.drain();
    ASSERT_TRUE(c.closed);
    ASSERT_EQ(c.done.size(), 1u);
    EXPECT_EQ(c.done[0].overall.kind, Kind::temporary_failure);
    EXPECT_LT(c.s.buffered_bytes(), 200u * 1024);
}

// ---------------------------------------------------------------- split input

// The whole pipelined dialogue fed at every split point and byte by byte gives the same
// sends and outcomes as fed reply by reply.
TEST(SmtpClient, RepliesSplitAtEveryByte) {
    const std::vector<std::string> script = {
        "220-mx.example.org ESMTP\r\n220 no UCE\r\n",
        kEhloPipelining,
        "250 2.1.0 OK\r\n250 2.1.5 OK\r\n550 5.1.1 No\r\n354 Go\r\n",
        "250 2.0.0 OK\r\n",
        "221 2.0.0 Bye\r\n",
    };
    const auto run = [&](const std::vector<std::string>& pieces) {
        Client c;
        c.queue.push_back(message({"a@example.org", "b@example.org"}));
        c.drain();
        for (const auto& p : pieces) {
            c.server(p);
        }
        return c;
    };
    Client whole = run(script);
    ASSERT_TRUE(whole.closed);
    EXPECT_FALSE(whole.closed->failure);
    ASSERT_EQ(whole.done.size(), 1u);
    EXPECT_EQ(whole.done[0].recipients[0].outcome.kind, Kind::delivered);
    EXPECT_EQ(whole.done[0].recipients[1].outcome.kind, Kind::permanent_failure);

    std::string all;
    for (const auto& s : script) {
        all += s;
    }
    std::vector<std::string> bytes;
    for (char ch : all) {
        bytes.emplace_back(1, ch);
    }
    Client trickled = run(bytes);
    EXPECT_EQ(trickled.sent, whole.sent);
    ASSERT_EQ(trickled.done.size(), 1u);
    EXPECT_EQ(trickled.done[0].recipients[1].outcome, whole.done[0].recipients[1].outcome);
    EXPECT_TRUE(trickled.closed && !trickled.closed->failure);

    for (std::size_t cut = 1; cut < all.size(); ++cut) {
        Client two = run({all.substr(0, cut), all.substr(cut)});
        EXPECT_EQ(two.sent, whole.sent) << cut;
        EXPECT_EQ(two.done.size(), 1u) << cut;
    }
}

TEST(SmtpClient, BareLfRepliesAndEnhancedCodesOnly) {
    Client c;
    c.queue.push_back(message());
    c.drain();
    c.server("220 mx\n");
    c.server("250-mx\n250 PIPELINING\n");
    c.server("250\n250 2.1.5\n354\n");
    c.server("250 2.0.0\n");
    ASSERT_EQ(c.done.size(), 1u);
    EXPECT_EQ(c.done[0].overall.kind, Kind::delivered);
    EXPECT_EQ(c.done[0].overall.diagnostic(), "250 2.0.0");
}

TEST(SmtpClient, EnhancedStatusOnlyOfTheRepliesClass) {
    Client c;
    c.queue.push_back(message());
    greet(c, kEhloPlain);
    c.server("550 4.1.1 Odd\r\n");  // a 4.x.x on a 550 is text, not a status
    ASSERT_EQ(c.done.size(), 1u);
    EXPECT_FALSE(c.done[0].overall.reply.status);
    EXPECT_EQ(c.done[0].overall.status(), (EnhancedStatus{5, 0, 0}));
    EXPECT_EQ(c.done[0].overall.reply.lines, std::vector<std::string>{"4.1.1 Odd"});
}

TEST(SmtpClient, HelloNameIsSanitised) {
    SmtpClientConfig config;
    config.hello_name = "bad\r\nname here";
    Client c(config);
    c.drain();
    EXPECT_EQ(c.server("220 mx\r\n"), "EHLO badnamehere\r\n");
}

}  // namespace
}  // namespace l7::mail
