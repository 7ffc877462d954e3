#include "mail/imap/session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "core/base64.hpp"
#include "mail/header.hpp"
#include "mail/imap/memory_store.hpp"

namespace l7::mail::imap {
namespace {

std::string message(std::string_view subject, std::string_view body = "hello\r\n") {
    return "From: alice@crepes.fr\r\nTo: bob@hamburger.edu\r\nSubject: " + std::string(subject) +
           "\r\n\r\n" + std::string(body);
}

// A client: sends, and collects what the session answers until it wants more input.
class Client {
  public:
    explicit Client(Mail& mail, ImapServerConfig config = {})
        : accounts_(mail), session_(std::move(config), accounts_) {
        session_.start();
        greeting = drain();
    }

    std::string send(std::string_view bytes) {
        session_.receive(bytes);
        return drain();
    }
    std::string drain() {
        std::string out;
        while (auto ev = session_.next_event()) {
            if (auto* s = std::get_if<ImapSend>(&*ev)) {
                out += s->bytes;
                ++sends;
            } else {
                closed = true;
            }
        }
        return out;
    }
    std::string login() { return send("a1 LOGIN bob secret\r\n"); }

    ImapServerSession& session() { return session_; }
    std::string greeting;
    bool closed = false;
    int sends = 0;

  private:
    Accounts accounts_;
    ImapServerSession session_;
};

bool has(const std::string& text, std::string_view piece) {
    return text.find(piece) != std::string::npos;
}

TEST(ImapSession, GreetsWithCapabilitiesAndLogsIn) {
    Mail mail;
    Client c(mail);
    EXPECT_EQ(c.greeting.rfind("* OK [CAPABILITY IMAP4rev1 ", 0), 0u) << c.greeting;
    EXPECT_TRUE(has(c.greeting, "AUTH=PLAIN"));
    EXPECT_EQ(c.session().waiting_for(), ImapWaitingFor::login);
    EXPECT_EQ(c.send("a0 SELECT INBOX\r\n"), "a0 BAD Log in first\r\n");
    std::string r = c.login();
    EXPECT_TRUE(has(r, "a1 OK [CAPABILITY IMAP4rev1 ")) << r;
    EXPECT_TRUE(has(r, "UIDPLUS")) << r;
    EXPECT_EQ(c.session().user(), "bob");
    EXPECT_EQ(c.session().waiting_for(), ImapWaitingFor::command);
    EXPECT_EQ(c.send("a2 LOGOUT\r\n"),
              "* BYE localhost IMAP4rev1 server logging out\r\na2 OK LOGOUT completed\r\n");
    EXPECT_TRUE(c.closed);
}

TEST(ImapSession, ThreeWrongPasswordsEndTheSession) {
    Mail mail;
    Client c(mail);
    EXPECT_EQ(c.send("a LOGIN bob wrong\r\n"),
              "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
    c.send("b LOGIN bob wrong\r\n");
    std::string r = c.send("c LOGIN bob wrong\r\n");
    EXPECT_TRUE(has(r, "* BYE")) << r;
    EXPECT_TRUE(c.closed);
}

TEST(ImapSession, AuthenticatePlainWithAndWithoutAnInitialResponse) {
    Mail mail;
    const std::string credentials = base64_encode(std::string("\0bob\0secret", 11));
    Client ir(mail);
    EXPECT_TRUE(has(ir.send("a AUTHENTICATE PLAIN " + credentials + "\r\n"), "a OK "));

    Client c(mail);
    EXPECT_EQ(c.send("a AUTHENTICATE PLAIN\r\n"), "+ \r\n");
    EXPECT_TRUE(has(c.send(credentials + "\r\n"), "a OK "));
    EXPECT_EQ(c.session().user(), "bob");

    Client cancel(mail);
    cancel.send("a AUTHENTICATE PLAIN\r\n");
    EXPECT_EQ(cancel.send("*\r\n"), "a BAD Authentication cancelled\r\n");
}

TEST(ImapSession, SelectReportsTheFolder) {
    Mail mail;
    mail.deliver("INBOX", message("one"), {"\\Seen"});
    mail.deliver("INBOX", message("two"));
    Client c(mail);
    c.login();
    std::string r = c.send("s SELECT inbox\r\n");
    EXPECT_TRUE(has(r, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n")) << r;
    EXPECT_TRUE(has(r, "* 2 EXISTS\r\n")) << r;
    EXPECT_TRUE(has(r, "* 2 RECENT\r\n")) << r;
    EXPECT_TRUE(has(r, "* OK [UNSEEN 2]")) << r;
    EXPECT_TRUE(has(r, "* OK [UIDVALIDITY 1000]")) << r;
    EXPECT_TRUE(has(r, "* OK [UIDNEXT 3]")) << r;
    EXPECT_TRUE(has(r, "s OK [READ-WRITE] SELECT completed\r\n")) << r;

    // Another session sees the same messages, without \Recent.
    Client other(mail);
    other.login();
    EXPECT_TRUE(has(other.send("e EXAMINE INBOX\r\n"), "* 0 RECENT\r\n"));
}

TEST(ImapSession, FetchSetsSeenUnlessPeeking) {
    Mail mail;
    const std::string m = message("one");
    mail.deliver("INBOX", m);
    Client c(mail);
    c.login();
    c.send("s SELECT INBOX\r\n");
    std::string r = c.send("f1 FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (Subject)])\r\n");
    EXPECT_EQ(r,
              "* 1 FETCH (UID 1 BODY[HEADER.FIELDS (Subject)] {16}\r\nSubject: one\r\n\r\n)\r\n"
              "f1 OK FETCH completed\r\n");
    EXPECT_TRUE(mail.folders["INBOX"].messages[0].flags.empty());
    r = c.send("f2 FETCH 1 BODY[]\r\n");
    EXPECT_EQ(r, "* 1 FETCH (BODY[] {" + std::to_string(m.size()) + "}\r\n" + m +
                     " FLAGS (\\Seen \\Recent))\r\nf2 OK FETCH completed\r\n");
    EXPECT_EQ(mail.folders["INBOX"].messages[0].flags, std::vector<Flag>{"\\Seen"});
    EXPECT_EQ(c.send("f3 FETCH 2 FLAGS\r\n"), "f3 BAD Invalid message sequence number\r\n");
    EXPECT_EQ(c.send("f4 UID FETCH 7 FLAGS\r\n"), "f4 OK UID FETCH completed\r\n");
}

TEST(ImapSession, ExamineIsReadOnly) {
    Mail mail;
    mail.deliver("INBOX", message("one"));
    Client c(mail);
    c.login();
    EXPECT_TRUE(has(c.send("e EXAMINE INBOX\r\n"), "e OK [READ-ONLY] EXAMINE completed"));
    c.send("f FETCH 1 BODY[]\r\n");
    EXPECT_TRUE(mail.folders["INBOX"].messages[0].flags.empty());
    EXPECT_EQ(c.send("s STORE 1 +FLAGS (\\Deleted)\r\n"), "s NO Mailbox is read-only\r\n");
}

TEST(ImapSession, StoreAndExpunge) {
    Mail mail;
    for (int i = 0; i < 4; ++i) {
        mail.deliver("INBOX", message("m" + std::to_string(i)));
    }
    Client c(mail);
    c.login();
    c.send("s SELECT INBOX\r\n");
    EXPECT_EQ(c.send("a STORE 2,4 +FLAGS (\\Deleted)\r\n"),
              "* 2 FETCH (FLAGS (\\Deleted \\Recent))\r\n"
              "* 4 FETCH (FLAGS (\\Deleted \\Recent))\r\na OK STORE completed\r\n");
    EXPECT_EQ(c.send("b UID STORE 1 +FLAGS.SILENT (\\Flagged)\r\n"),
              "b OK UID STORE completed\r\n");
    EXPECT_EQ(c.send("c EXPUNGE\r\n"), "* 4 EXPUNGE\r\n* 2 EXPUNGE\r\nc OK EXPUNGE completed\r\n");
    EXPECT_EQ(mail.folders["INBOX"].messages.size(), 2u);
    EXPECT_EQ(c.send("d FETCH 1:* UID\r\n"),
              "* 1 FETCH (UID 1)\r\n* 2 FETCH (UID 3)\r\nd OK FETCH completed\r\n");
}

TEST(ImapSession, CopyAndMoveAnswerWithCopyUid) {
    Mail mail;
    mail.folders["Archive"].uid_validity = 77;
    mail.deliver("INBOX", message("a"));
    mail.deliver("INBOX", message("b"));
    mail.deliver("INBOX", message("c"));
    Client c(mail);
    c.login();
    c.send("s SELECT INBOX\r\n");
    EXPECT_EQ(c.send("a UID COPY 1:2 Archive\r\n"),
              "a OK [COPYUID 77 1:2 1:2] UID COPY completed\r\n");
    EXPECT_EQ(c.send("b COPY 1 Nowhere\r\n"), "b NO [TRYCREATE] Mailbox does not exist\r\n");
    EXPECT_EQ(c.send("m MOVE 2:3 Archive\r\n"),
              "* OK [COPYUID 77 2:3 3:4] Moved\r\n* 3 EXPUNGE\r\n* 2 EXPUNGE\r\n"
              "m OK MOVE completed\r\n");
    EXPECT_EQ(mail.folders["Archive"].messages.size(), 4u);
    EXPECT_EQ(mail.folders["INBOX"].messages.size(), 1u);
}

TEST(ImapSession, OtherSessionsChangesArriveAtTheNextCommand) {
    Mail mail;
    mail.deliver("INBOX", message("a"));
    mail.deliver("INBOX", message("b"));
    Client c(mail);
    c.login();
    c.send("s SELECT INBOX\r\n");

    mail.deliver("INBOX", message("c"));
    mail.folders["INBOX"].messages[0].flags = {"\\Answered"};
    EXPECT_EQ(c.send("n NOOP\r\n"),
              "* 1 FETCH (UID 1 FLAGS (\\Answered \\Recent))\r\n* 3 EXISTS\r\n* 3 RECENT\r\n"
              "n OK NOOP completed\r\n");

    // An expunge by someone else is held back during FETCH (RFC 3501 7.4.1) ...
    mail.folders["INBOX"].messages.erase(mail.folders["INBOX"].messages.begin());
    EXPECT_EQ(c.send("f FETCH 2 UID\r\n"), "* 2 FETCH (UID 2)\r\nf OK FETCH completed\r\n");
    // ... and told at the next command that allows it.
    EXPECT_EQ(c.send("n NOOP\r\n"), "* 1 EXPUNGE\r\nn OK NOOP completed\r\n");
    EXPECT_EQ(c.send("f FETCH 1 UID\r\n"), "* 1 FETCH (UID 2)\r\nf OK FETCH completed\r\n");
}

TEST(ImapSession, IdleReportsNewMailUntilDone) {
    Mail mail;
    Client c(mail);
    c.login();
    c.send("s SELECT INBOX\r\n");
    EXPECT_EQ(c.send("i IDLE\r\n"), "+ idling\r\n");
    EXPECT_EQ(c.session().waiting_for(), ImapWaitingFor::idle);
    c.session().poll();
    EXPECT_EQ(c.drain(), "");
    mail.deliver("INBOX", message("new"));
    c.session().poll();
    EXPECT_EQ(c.drain(), "* 1 EXISTS\r\n* 1 RECENT\r\n");
    EXPECT_EQ(c.send("DONE\r\n"), "i OK IDLE terminated\r\n");
    EXPECT_EQ(c.session().waiting_for(), ImapWaitingFor::command);
}

TEST(ImapSession, AppendWithSynchronizingAndNonSynchronizingLiterals) {
    Mail mail;
    Client c(mail);
    c.login();
    const std::string m = message("appended");
    EXPECT_EQ(c.send("a APPEND INBOX (\\Seen) {" + std::to_string(m.size()) + "}\r\n"),
              "+ Ready for literal data\r\n");
    EXPECT_EQ(c.send(m + "\r\n"), "a OK [APPENDUID 1000 1] APPEND completed\r\n");
    EXPECT_EQ(mail.folders["INBOX"].messages.at(0).bytes, m);
    EXPECT_EQ(mail.folders["INBOX"].messages.at(0).flags, std::vector<Flag>{"\\Seen"});
    EXPECT_EQ(c.send("b APPEND INBOX {" + std::to_string(m.size()) + "+}\r\n" + m + "\r\n"),
              "b OK [APPENDUID 1000 2] APPEND completed\r\n");
    EXPECT_EQ(c.send("c APPEND Nowhere {1+}\r\nx\r\n"),
              "c NO [TRYCREATE] Mailbox does not exist\r\n");
}

TEST(ImapSession, ListAndFolders) {
    Mail mail;
    Client c(mail);
    c.login();
    EXPECT_EQ(c.send("l LIST \"\" \"\"\r\n"),
              "* LIST (\\Noselect) \".\" \"\"\r\nl OK LIST completed\r\n");
    EXPECT_EQ(c.send("c1 CREATE Lists\r\n"), "c1 OK CREATE completed\r\n");
    EXPECT_EQ(c.send("c2 CREATE Lists.l7\r\n"), "c2 OK CREATE completed\r\n");
    EXPECT_EQ(c.send("c3 CREATE Lists\r\n"), "c3 NO [ALREADYEXISTS] Mailbox exists\r\n");
    EXPECT_EQ(c.send("l LIST \"\" %\r\n"),
              "* LIST (\\HasNoChildren) \".\" INBOX\r\n* LIST (\\HasChildren) \".\" Lists\r\n"
              "l OK LIST completed\r\n");
    EXPECT_EQ(c.send("l LIST Lists. *\r\n"),
              "* LIST (\\HasNoChildren) \".\" Lists.l7\r\nl OK LIST completed\r\n");
    c.send("u SUBSCRIBE Lists.l7\r\n");
    EXPECT_EQ(c.send("l LSUB \"\" *\r\n"),
              "* LSUB (\\HasNoChildren) \".\" Lists.l7\r\nl OK LSUB completed\r\n");
    EXPECT_EQ(c.send("d DELETE INBOX\r\n"), "d NO [CANNOT] INBOX cannot be deleted\r\n");
    EXPECT_EQ(c.send("r RENAME Lists.l7 Lists.old\r\n"), "r OK RENAME completed\r\n");
    EXPECT_TRUE(mail.folders.count("Lists.old"));
}

TEST(ImapSession, StatusAndSearch) {
    Mail mail;
    mail.deliver("INBOX", message("hello world"), {"\\Seen"});
    mail.deliver("INBOX", message("other", "needle in the body\r\n"));
    Client c(mail);
    c.login();
    EXPECT_EQ(c.send("s STATUS INBOX (MESSAGES UNSEEN UIDNEXT)\r\n"),
              "* STATUS INBOX (MESSAGES 2 UNSEEN 1 UIDNEXT 3)\r\ns OK STATUS completed\r\n");
    c.send("x SELECT INBOX\r\n");
    const int reads = 0;
    (void)reads;
    EXPECT_EQ(c.send("a SEARCH UNSEEN\r\n"), "* SEARCH 2\r\na OK SEARCH completed\r\n");
    EXPECT_EQ(c.send("b UID SEARCH BODY needle\r\n"),
              "* SEARCH 2\r\nb OK UID SEARCH completed\r\n");
    EXPECT_EQ(c.send("c SEARCH SUBJECT WORLD\r\n"), "* SEARCH 1\r\nc OK SEARCH completed\r\n");
    EXPECT_EQ(c.send("d SEARCH CHARSET KOI8-R ALL\r\n"),
              "d NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset\r\n");
}

TEST(ImapSession, CommandsInTheWrongStateAndBadSyntax) {
    Mail mail;
    Client c(mail);
    c.login();
    EXPECT_EQ(c.send("f FETCH 1 FLAGS\r\n"), "f BAD FETCH needs a selected mailbox\r\n");
    EXPECT_EQ(c.send("l LOGIN bob secret\r\n"), "l BAD Already logged in\r\n");
    std::string r = c.send("x FROB\r\n");
    EXPECT_EQ(r.rfind("x BAD ", 0), 0u) << r;
}

TEST(ImapSession, TooManyBadCommandsEndTheSession) {
    Mail mail;
    ImapServerConfig config;
    config.limits.max_bad_commands = 3;
    Client c(mail, config);
    c.send("a FROB\r\nb FROB\r\n");
    EXPECT_FALSE(c.closed);
    EXPECT_TRUE(has(c.send("c FROB\r\n"), "* BYE Too many invalid commands"));
    EXPECT_TRUE(c.closed);
}

TEST(ImapSession, ALongFetchIsSentInSlices) {
    Mail mail;
    for (int i = 0; i < 50; ++i) {
        mail.deliver("INBOX", message("m", std::string(1000, 'x') + "\r\n"));
    }
    ImapServerConfig config;
    config.limits.send_slice = 4096;
    Client c(mail, config);
    c.login();
    c.send("s SELECT INBOX\r\n");
    c.sends = 0;
    std::string r = c.send("f FETCH 1:* BODY.PEEK[]\r\n");
    EXPECT_GT(c.sends, 10);
    EXPECT_EQ(std::count(r.begin(), r.end(), '{'), 50);
    EXPECT_TRUE(r.ends_with("f OK FETCH completed\r\n"));
}

TEST(ImapSession, PipelinedCommandsAreAnsweredInOrderAndEofCloses) {
    Mail mail;
    mail.deliver("INBOX", message("a"));
    Client c(mail);
    std::string r = c.send("1 LOGIN bob secret\r\n2 SELECT INBOX\r\n3 FETCH 1 UID\r\n");
    EXPECT_LT(r.find("1 OK"), r.find("2 OK"));
    EXPECT_LT(r.find("2 OK"), r.find("3 OK"));
    c.session().receive({});
    c.drain();
    EXPECT_TRUE(c.closed);
}

}  // namespace
}  // namespace l7::mail::imap
