// The POP3 client session (RFC 1939 as the reader) against a scripted server.

#include "mail/pop3/client_session.hpp"

#include <gtest/gtest.h>

#include "harness.hpp"

namespace l7::mail {
namespace {

MailboxClientConfig config(bool delete_after = false, bool list_only = false) {
    MailboxClientConfig c;
    c.user = "bob";
    c.password = "ham burger";
    c.delete_after = delete_after;
    c.list_only = list_only;
    return c;
}

// Logs in and lists two messages; the session then asks for RETR 1.
void log_in_and_list(ClientHarness& h, bool trickle = false) {
    h.server("+OK POP3 ready\r\n", trickle);
    ASSERT_EQ(h.take_sent(), "USER bob\r\n");
    h.server("+OK\r\n", trickle);
    ASSERT_EQ(h.take_sent(), "PASS ham burger\r\n");
    h.server("+OK maildrop has 2\r\n", trickle);
    ASSERT_EQ(h.take_sent(), "UIDL\r\n");
    h.server("+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n", trickle);
    ASSERT_EQ(h.take_sent(), "LIST\r\n");
    h.server("+OK 2 messages\r\n1 30\r\n2 41\r\n.\r\n", trickle);
}

const char kFirst[] = "Subject: one\r\n\r\nfirst\r\n";
const char kSecondOnWire[] = "Subject: two\r\n\r\n..dot\r\n.\r\n";

TEST(Pop3Client, DownloadsAndKeepsEveryMessageUndoingTheDotStuffing) {
    Pop3ClientSession s(config());
    ClientHarness h(s);
    log_in_and_list(h);
    EXPECT_EQ(h.take_sent(), "RETR 1\r\n");
    h.server(std::string("+OK 30 octets\r\n") + kFirst + ".\r\n");
    EXPECT_EQ(h.take_sent(), "RETR 2\r\n");
    h.server(std::string("+OK\r\n") + kSecondOnWire);
    EXPECT_EQ(h.take_sent(), "QUIT\r\n");
    EXPECT_FALSE(h.done);
    h.server("+OK bye\r\n");
    ASSERT_TRUE(h.done);
    EXPECT_TRUE(h.done->ok());
    EXPECT_EQ(h.done->messages, 2u);
    EXPECT_EQ(h.done->fetched, 2u);
    EXPECT_EQ(h.done->deleted, 0u);
    ASSERT_EQ(h.messages.size(), 2u);
    EXPECT_EQ(h.messages[0].number, 1u);
    EXPECT_EQ(h.messages[0].unique_id, "uid-one");
    EXPECT_EQ(h.messages[0].size, 30u);
    EXPECT_EQ(*h.messages[0].data, kFirst);
    EXPECT_EQ(h.messages[1].unique_id, "uid-two");
    EXPECT_EQ(*h.messages[1].data, "Subject: two\r\n\r\n.dot\r\n");
}

TEST(Pop3Client, ReadsTheSameWhenBytesTrickleInOneByOne) {
    Pop3ClientSession s(config());
    ClientHarness h(s);
    log_in_and_list(h, true);
    h.take_sent();
    h.server(std::string("+OK\r\n") + kFirst + ".\r\n", true);
    h.server(std::string("+OK\r\n") + kSecondOnWire, true);
    h.server("+OK\r\n", true);
    ASSERT_TRUE(h.done && h.done->ok());
    ASSERT_EQ(h.messages.size(), 2u);
    EXPECT_EQ(*h.messages[1].data, "Subject: two\r\n\r\n.dot\r\n");
}

TEST(Pop3Client, DeletesEachMessageAfterItAndCountsThemAtQuitsOk) {
    Pop3ClientSession s(config(true));
    ClientHarness h(s);
    log_in_and_list(h);
    EXPECT_EQ(h.take_sent(), "RETR 1\r\n");
    h.server(std::string("+OK\r\n") + kFirst + ".\r\n");
    EXPECT_EQ(h.take_sent(), "DELE 1\r\n");
    h.server("+OK marked\r\n");
    EXPECT_EQ(h.take_sent(), "RETR 2\r\n");
    h.server(std::string("+OK\r\n") + kSecondOnWire);
    EXPECT_EQ(h.take_sent(), "DELE 2\r\n");
    h.server("+OK marked\r\n");
    EXPECT_EQ(h.take_sent(), "QUIT\r\n");
    h.server("+OK 2 deleted\r\n");
    ASSERT_TRUE(h.done && h.done->ok());
    EXPECT_EQ(h.done->deleted, 2u);
}

TEST(Pop3Client, ARefusedQuitMeansNothingWasDeleted) {
    Pop3ClientSession s(config(true));
    ClientHarness h(s);
    log_in_and_list(h);
    h.server(std::string("+OK\r\n") + kFirst + ".\r\n+OK\r\n");
    h.server(std::string("+OK\r\n") + kSecondOnWire + "+OK\r\n");
    EXPECT_EQ(h.take_sent(), "RETR 1\r\nDELE 1\r\nRETR 2\r\nDELE 2\r\nQUIT\r\n");
    h.server("-ERR some deleted messages not removed\r\n");
    ASSERT_TRUE(h.done);
    EXPECT_EQ(h.done->failure, MailboxClientFailure::server);
    EXPECT_EQ(h.done->deleted, 0u);
    EXPECT_NE(h.done->problem.find("some deleted messages not removed"), std::string::npos);
}

TEST(Pop3Client, ARefusedPasswordIsALoginFailureAndEndsWithQuit) {
    Pop3ClientSession s(config());
    ClientHarness h(s);
    h.server("+OK\r\n+OK\r\n");
    h.take_sent();
    h.server("-ERR [AUTH] invalid user name or password\r\n");
    ASSERT_TRUE(h.done);
    EXPECT_EQ(h.done->failure, MailboxClientFailure::login);
    EXPECT_EQ(h.take_sent(), "QUIT\r\n");
    EXPECT_NE(h.done->problem.find("invalid user name"), std::string::npos);
}

TEST(Pop3Client, TheTraceHidesThePassword) {
    Pop3ClientSession s(config());
    ClientHarness h(s);
    h.server("+OK hello\r\n+OK\r\n");
    const std::string trace = h.traced();
    EXPECT_NE(trace.find("+OK hello\n"), std::string::npos);
    EXPECT_NE(trace.find("USER bob\n"), std::string::npos);
    EXPECT_NE(trace.find("PASS <credentials hidden>\n"), std::string::npos);
    EXPECT_EQ(trace.find("ham burger"), std::string::npos);
}

TEST(Pop3Client, WithoutUidlTheListStillWorks) {
    Pop3ClientSession s(config(false, true));
    ClientHarness h(s);
    h.server("+OK\r\n+OK\r\n+OK\r\n");
    EXPECT_EQ(h.take_sent(), "USER bob\r\nPASS ham burger\r\nUIDL\r\n");
    h.server("-ERR unknown command\r\n");
    EXPECT_EQ(h.take_sent(), "LIST\r\n");
    h.server("+OK\r\n1 120\r\n3 7\r\n.\r\n");
    EXPECT_EQ(h.take_sent(), "QUIT\r\n");  // list only: no RETR
    h.server("+OK\r\n");
    ASSERT_TRUE(h.done && h.done->ok());
    ASSERT_EQ(h.messages.size(), 2u);
    EXPECT_EQ(h.messages[1].number, 3u);
    EXPECT_EQ(h.messages[1].size, 7u);
    EXPECT_EQ(h.messages[1].unique_id, "");
    EXPECT_FALSE(h.messages[1].data);
    EXPECT_EQ(h.done->fetched, 0u);
}

TEST(Pop3Client, ARefusedGreetingIsRefused) {
    Pop3ClientSession s(config());
    ClientHarness h(s);
    h.server("-ERR too many connections\r\n");
    ASSERT_TRUE(h.done);
    EXPECT_EQ(h.done->failure, MailboxClientFailure::refused);
    EXPECT_EQ(h.take_sent(), "");
}

TEST(Pop3Client, AMessageOverTheLimitFailsWithoutQuit) {
    MailboxClientConfig c = config(true);
    c.max_message_bytes = 16;
    Pop3ClientSession s(c);
    ClientHarness h(s);
    log_in_and_list(h);
    h.take_sent();
    h.server("+OK\r\n0123456789\r\n0123456789\r\n");
    ASSERT_TRUE(h.done);
    EXPECT_EQ(h.done->failure, MailboxClientFailure::protocol);
    EXPECT_EQ(h.take_sent(), "");  // no QUIT: nothing marked would be deleted
    h.server(".\r\n+OK\r\n");
    EXPECT_EQ(h.dones, 1);
}

TEST(Pop3Client, AnEndlessLineFailsOnceItPassesTheLimit) {
    MailboxClientConfig c = config();
    c.max_message_bytes = 1000;
    Pop3ClientSession s(c);
    ClientHarness h(s);
    log_in_and_list(h);
    h.server("+OK\r\n");
    for (int i = 0; i < 10 && !h.done; ++i) {
        h.server(std::string(500, 'x'));
    }
    ASSERT_TRUE(h.done);
    EXPECT_EQ(h.done->failure, MailboxClientFailure::protocol);
}

TEST(Pop3Client, AMalformedListingFails) {
    Pop3ClientSession s(config());
    ClientHarness h(s);
    h.server("+OK\r\n+OK\r\n+OK\r\n+OK\r\n1 a\r\n.\r\n");
    h.take_sent();
    h.server("+OK\r\n1 12\r\nzero 5\r\n.\r\n");
    ASSERT_TRUE(h.done);
    EXPECT_EQ(h.done->failure, MailboxClientFailure::protocol);
}

TEST(Pop3Client, TooManyMessagesFail) {
    MailboxClientConfig c = config();
    c.max_messages = 1;
    Pop3ClientSession s(c);
    ClientHarness h(s);
    h.server("+OK\r\n+OK\r\n+OK\r\n-ERR\r\n+OK\r\n1 12\r\n2 5\r\n.\r\n");
    ASSERT_TRUE(h.done);
    EXPECT_EQ(h.done->failure, MailboxClientFailure::protocol);
}

TEST(Pop3Client, AnAnswerThatIsNeitherOkNorErrFails) {
    Pop3ClientSession s(config());
    ClientHarness h(s);
    h.server("* OK IMAP4rev1 ready\r\n");
    ASSERT_TRUE(h.done);
    EXPECT_EQ(h.done->failure, MailboxClientFailure::protocol);
}

TEST(Pop3Client, ACloseMidMessageAndATimeoutEndTheSession) {
    {
        Pop3ClientSession s(config());
        ClientHarness h(s);
        log_in_and_list(h);
        h.server("+OK\r\nSubject: cut");
        EXPECT_FALSE(h.done);
        h.eof();
        ASSERT_TRUE(h.done);
        EXPECT_EQ(h.done->failure, MailboxClientFailure::closed);
        EXPECT_TRUE(h.messages.empty());
    }
    {
        Pop3ClientSession s(config());
        ClientHarness h(s);
        s.timed_out();
        h.drain();
        ASSERT_TRUE(h.done);
        EXPECT_EQ(h.done->failure, MailboxClientFailure::timeout);
        s.timed_out();
        h.drain();
        EXPECT_EQ(h.dones, 1);
    }
}

}  // namespace
}  // namespace l7::mail
