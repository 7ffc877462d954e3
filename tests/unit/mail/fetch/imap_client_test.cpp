// The IMAP client session (RFC 3501 as the reader) against a scripted server.

#include "mail/imap/client_session.hpp"

#include <gtest/gtest.h>

#include "harness.hpp"

namespace l7::mail::imap {
namespace {

MailboxClientConfig config(bool delete_after = false, bool list_only = false) {
    MailboxClientConfig c;
    c.user = "bob";
    c.password = "ham burger";
    c.delete_after = delete_after;
    c.list_only = list_only;
    return c;
}

const std::string kOne = "Subject: one\r\n\r\nfirst\r\n";
const std::string kTwo = "Subject: two\r\n\r\n{5}\r\n)\r\n";  // looks like syntax, is not

// Greets, logs in and opens the folder with two messages (UIDs 7 and 9).
void open_folder(ClientHarness& h, const std::string& verb, bool trickle = false) {
    h.server("* OK [CAPABILITY IMAP4rev1 UIDPLUS] ready\r\n", trickle);
    ASSERT_EQ(h.take_sent(), "a1 LOGIN bob \"ham burger\"\r\n");
    h.server("a1 OK LOGIN completed\r\n", trickle);
    ASSERT_EQ(h.take_sent(), "a2 " + verb + " INBOX\r\n");
    h.server(
        "* 2 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1234] UIDs valid\r\n"
        "* OK [UIDNEXT 10] next\r\na2 OK [READ-ONLY] done\r\n",
        trickle);
}

std::string fetch_responses() {
    return "* 1 FETCH (UID 7 RFC822.SIZE " + std::to_string(kOne.size()) + " BODY[] {" +
           std::to_string(kOne.size()) + "}\r\n" + kOne +
           ")\r\n"
           "* 2 FETCH (FLAGS (\\Seen))\r\n"  // another session's change: no UID
           "* 2 FETCH (UID 9 RFC822.SIZE " +
           std::to_string(kTwo.size()) + " FLAGS (\\Seen $Junk) BODY[] {" +
           std::to_string(kTwo.size()) + "}\r\n" + kTwo + ")\r\n";
}

TEST(ImapClient, FetchesEveryMessageWithPeekAndKeepsThem) {
    ImapClientSession s(config());
    ClientHarness h(s);
    open_folder(h, "EXAMINE");
    EXPECT_EQ(h.take_sent(), "a3 UID FETCH 1:* (UID RFC822.SIZE BODY.PEEK[])\r\n");
    h.server(fetch_responses() + "a3 OK FETCH done\r\n");
    EXPECT_EQ(h.take_sent(), "a4 LOGOUT\r\n");
    h.server("* BYE logging out\r\na4 OK LOGOUT completed\r\n");
    ASSERT_TRUE(h.done);
    EXPECT_TRUE(h.done->ok()) << h.done->problem;
    EXPECT_EQ(h.done->messages, 2u);
    EXPECT_EQ(h.done->fetched, 2u);
    ASSERT_EQ(h.messages.size(), 2u);
    EXPECT_EQ(h.messages[0].number, 7u);
    EXPECT_EQ(h.messages[0].unique_id, "1234.7");
    EXPECT_EQ(h.messages[0].size, kOne.size());
    EXPECT_EQ(*h.messages[0].data, kOne);
    EXPECT_EQ(h.messages[1].number, 9u);
    EXPECT_EQ(*h.messages[1].data, kTwo);
}

TEST(ImapClient, ReadsTheSameWhenBytesTrickleInOneByOne) {
    ImapClientSession s(config());
    ClientHarness h(s);
    open_folder(h, "EXAMINE", true);
    h.take_sent();
    h.server(fetch_responses() + "a3 OK FETCH done\r\n", true);
    h.server("* BYE\r\na4 OK\r\n", true);
    ASSERT_TRUE(h.done && h.done->ok());
    ASSERT_EQ(h.messages.size(), 2u);
    EXPECT_EQ(*h.messages[1].data, kTwo);
}

TEST(ImapClient, DeletesWhatItFetchedWithUidExpungeUnderUidplus) {
    ImapClientSession s(config(true));
    ClientHarness h(s);
    open_folder(h, "SELECT");
    h.take_sent();
    h.server(fetch_responses() + "a3 OK\r\n");
    EXPECT_EQ(h.take_sent(), "a4 UID STORE 7,9 +FLAGS.SILENT (\\Deleted)\r\n");
    h.server("a4 OK\r\n");
    EXPECT_EQ(h.take_sent(), "a5 UID EXPUNGE 7,9\r\n");
    h.server("* 1 EXPUNGE\r\n* 1 EXPUNGE\r\na5 OK\r\n");
    EXPECT_EQ(h.take_sent(), "a6 LOGOUT\r\n");
    h.server("* BYE\r\na6 OK\r\n");
    ASSERT_TRUE(h.done && h.done->ok());
    EXPECT_EQ(h.done->deleted, 2u);
}

TEST(ImapClient, WithoutUidplusItExpungesTheFolder) {
    ImapClientSession s(config(true));
    ClientHarness h(s);
    h.server("* OK ready\r\n");
    h.server("a1 OK\r\n* 1 EXISTS\r\na2 OK\r\n");
    h.take_sent();
    h.server("* 1 FETCH (UID 3 RFC822.SIZE 2 BODY[] \"hi\")\r\na3 OK\r\n");
    EXPECT_EQ(h.take_sent(), "a4 UID STORE 3 +FLAGS.SILENT (\\Deleted)\r\n");
    h.server("a4 OK\r\n");
    EXPECT_EQ(h.take_sent(), "a5 EXPUNGE\r\n");
    h.server("* 1 EXPUNGE\r\na5 OK\r\n* BYE\r\n");
    h.eof();  // BYE and the close, without the tagged OK: a log-out all the same
    ASSERT_TRUE(h.done);
    EXPECT_TRUE(h.done->ok()) << h.done->problem;
    EXPECT_EQ(h.done->deleted, 1u);
    ASSERT_EQ(h.messages.size(), 1u);
    EXPECT_EQ(*h.messages[0].data, "hi");
}

TEST(ImapClient, ListsWithoutBodies) {
    ImapClientSession s(config(false, true));
    ClientHarness h(s);
    open_folder(h, "EXAMINE");
    EXPECT_EQ(h.take_sent(), "a3 UID FETCH 1:* (UID RFC822.SIZE)\r\n");
    h.server("* 1 FETCH (UID 7 RFC822.SIZE 30)\r\n* 2 FETCH (RFC822.SIZE 41 UID 9)\r\na3 OK\r\n");
    ASSERT_EQ(h.messages.size(), 2u);
    EXPECT_FALSE(h.messages[0].data);
    EXPECT_EQ(h.messages[1].size, 41u);
    EXPECT_EQ(h.messages[1].number, 9u);
}

TEST(ImapClient, AnEmptyFolderSkipsTheFetch) {
    ImapClientSession s(config());
    ClientHarness h(s);
    h.server("* OK ready\r\na1 OK\r\n* 0 EXISTS\r\na2 OK\r\n");
    EXPECT_EQ(h.take_sent(), "a1 LOGIN bob \"ham burger\"\r\na2 EXAMINE INBOX\r\na3 LOGOUT\r\n");
    h.server("* BYE\r\na3 OK\r\n");
    ASSERT_TRUE(h.done && h.done->ok());
    EXPECT_EQ(h.done->messages, 0u);
}

TEST(ImapClient, ARefusedLoginIsALoginFailure) {
    ImapClientSession s(config());
    ClientHarness h(s);
    h.server("* OK ready\r\n");
    h.take_sent();
    h.server("a1 NO [AUTHENTICATIONFAILED] invalid credentials\r\n");
    ASSERT_TRUE(h.done);
    EXPECT_EQ(h.done->failure, MailboxClientFailure::login);
    EXPECT_EQ(h.take_sent(), "a2 LOGOUT\r\n");
    const std::string trace = h.traced();
    EXPECT_NE(trace.find("a1 LOGIN bob <credentials hidden>"), std::string::npos);
    EXPECT_EQ(trace.find("ham burger"), std::string::npos);
}

TEST(ImapClient, AnEightBitPasswordGoesAsALiteralAfterTheContinuation) {
    MailboxClientConfig c = config();
    c.password = "cr\xc3\xaapes";
    ImapClientSession s(c);
    ClientHarness h(s);
    h.server("* OK ready\r\n");
    EXPECT_EQ(h.take_sent(), "a1 LOGIN bob {7}\r\n");
    h.server("+ go ahead\r\n");
    EXPECT_EQ(h.take_sent(), "cr\xc3\xaapes\r\n");
    h.server("a1 OK\r\n");
    EXPECT_EQ(h.take_sent(), "a2 EXAMINE INBOX\r\n");
}

TEST(ImapClient, PreauthSkipsTheLoginAndFoldersAreModifiedUtf7) {
    MailboxClientConfig c = config();
    c.folder = "Entw\xc3\xbcrfe";
    ImapClientSession s(c);
    ClientHarness h(s);
    h.server("* PREAUTH welcome\r\n");
    EXPECT_EQ(h.take_sent(), "a1 EXAMINE Entw&APw-rfe\r\n");
    h.server("a1 NO no such folder\r\n");
    ASSERT_TRUE(h.done);
    EXPECT_EQ(h.done->failure, MailboxClientFailure::server);
}

TEST(ImapClient, AByeGreetingIsRefused) {
    ImapClientSession s(config());
    ClientHarness h(s);
    h.server("* BYE too busy\r\n");
    ASSERT_TRUE(h.done);
    EXPECT_EQ(h.done->failure, MailboxClientFailure::refused);
}

TEST(ImapClient, ALiteralOverTheLimitFails) {
    MailboxClientConfig c = config();
    c.max_message_bytes = 100;
    ImapClientSession s(c);
    ClientHarness h(s);
    open_folder(h, "EXAMINE");
    h.server("* 1 FETCH (UID 7 BODY[] {101}\r\n");
    ASSERT_TRUE(h.done);
    EXPECT_EQ(h.done->failure, MailboxClientFailure::protocol);
}

TEST(ImapClient, AnEndlessLineFails) {
    MailboxClientConfig c = config();
    c.max_line = 2000;
    ImapClientSession s(c);
    ClientHarness h(s);
    for (int i = 0; i < 10 && !h.done; ++i) {
        h.server(std::string(500, '*'));
    }
    ASSERT_TRUE(h.done);
    EXPECT_EQ(h.done->failure, MailboxClientFailure::protocol);
}

TEST(ImapClient, ResponsesThatCannotBeReadFail) {
    for (const char* bad :
         {"* 1 FETCH UID 7\r\n", "* 1 FETCH (UID x)\r\n",
          "* 1 FETCH (UID 7 BODY[] \"unterminated)\r\n", "a9 OK who?\r\n", "a3 MAYBE\r\n"}) {
        ImapClientSession s(config());
        ClientHarness h(s);
        open_folder(h, "EXAMINE");
        h.server(bad);
        ASSERT_TRUE(h.done) << bad;
        EXPECT_EQ(h.done->failure, MailboxClientFailure::protocol) << bad;
    }
}

TEST(ImapClient, TooManyMessagesFail) {
    MailboxClientConfig c = config();
    c.max_messages = 1;
    ImapClientSession s(c);
    ClientHarness h(s);
    open_folder(h, "EXAMINE");
    h.server(fetch_responses());
    ASSERT_TRUE(h.done);
    EXPECT_EQ(h.done->failure, MailboxClientFailure::protocol);
    EXPECT_EQ(h.messages.size(), 1u);
}

TEST(ImapClient, ACloseMidResponseIsClosed) {
    ImapClientSession s(config());
    ClientHarness h(s);
    open_folder(h, "EXAMINE");
    h.server("* 1 FETCH (UID 7 BODY[] {50}\r\nSubject: cut");
    h.eof();
    ASSERT_TRUE(h.done);
    EXPECT_EQ(h.done->failure, MailboxClientFailure::closed);
}

TEST(ImapClient, UidSetsAreWrittenAsRanges) {
    EXPECT_EQ(uid_set_text({}), "");
    EXPECT_EQ(uid_set_text({4}), "4");
    EXPECT_EQ(uid_set_text({1, 2, 3, 5, 7, 8, 9, 20}), "1:3,5,7:9,20");
}

}  // namespace
}  // namespace l7::mail::imap
