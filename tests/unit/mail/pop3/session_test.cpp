// The POP3 server session (RFC 1939, 2449, 5034) driven as its driver would: bytes in, events
// out, every question answered by a small in-memory driver holding one mailbox.

#include "mail/pop3/session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64.hpp"

namespace l7::mail {
namespace {

Pop3ServerConfig test_config() {
    Pop3ServerConfig c;
    c.hostname = "pop.example.org";
    return c;
}

// The driver: answers every question the way a test sets it up, and keeps what it saw.
struct Driver {
    explicit Driver(Pop3ServerConfig config = test_config()) : s(std::move(config)) {
        s.trace().enable(true);
    }

    Pop3ServerSession s;
    std::vector<std::string> mailbox = {"Subject: one\r\n\r\nfirst\r\n",
                                        "Subject: two\r\n\r\nsecond\r\n"};
    std::string sent;                // every byte the session sent, in order
    std::vector<std::string> sends;  // one per send event
    std::vector<Pop3CheckCredentials> checked;
    std::vector<std::string> opened;
    std::vector<std::size_t> reads;
    std::vector<std::vector<std::size_t>> commits;
    int closes = 0;
    int events_after_close = 0;

    bool answer = true;  // false: questions wait for the test to answer
    std::function<Pop3CredentialsVerdict(const Pop3CheckCredentials&)> on_credentials =
        [](const Pop3CheckCredentials& c) {
            return c.user == "alice" && c.password == "secret" ? Pop3CredentialsVerdict::accept
                                                               : Pop3CredentialsVerdict::reject;
        };
    bool mailbox_available = true;
    bool readable = true;
    bool commit_ok = true;

    std::vector<Pop3MessageInfo> listing() const {
        std::vector<Pop3MessageInfo> out;
        for (std::size_t i = 0; i < mailbox.size(); ++i) {
            out.push_back({mailbox[i].size(), "uid-" + std::to_string(i + 1)});
        }
        return out;
    }

    void drain() {
        while (auto ev = s.next_event()) {
            if (closes > 0) {
                ++events_after_close;
            }
            if (auto* send = std::get_if<Pop3Send>(&*ev)) {
                EXPECT_FALSE(send->bytes.empty());
                sent += send->bytes;
                sends.push_back(send->bytes);
            } else if (auto* c = std::get_if<Pop3CheckCredentials>(&*ev)) {
                checked.push_back(*c);
                if (answer) {
                    EXPECT_TRUE(s.credentials_result(on_credentials(*c)));
                }
            } else if (auto* o = std::get_if<Pop3OpenMailbox>(&*ev)) {
                opened.push_back(o->user);
                if (answer) {
                    EXPECT_TRUE(s.mailbox_result(mailbox_available ? std::optional(listing())
                                                                   : std::nullopt));
                }
            } else if (auto* r = std::get_if<Pop3ReadMessage>(&*ev)) {
                reads.push_back(r->index);
                if (answer) {
                    EXPECT_TRUE(s.message_result(readable ? std::optional(mailbox.at(r->index))
                                                          : std::nullopt));
                }
            } else if (auto* commit = std::get_if<Pop3Commit>(&*ev)) {
                commits.push_back(commit->deleted);
                if (answer) {
                    EXPECT_TRUE(s.commit_result(commit_ok));
                }
            } else if (std::holds_alternative<Pop3Close>(*ev)) {
                ++closes;
            }
        }
    }

    // Sends `bytes` and returns what the session sent back.
    std::string talk(std::string_view bytes) {
        const std::size_t before = sent.size();
        s.receive(bytes);
        drain();
        return sent.substr(before);
    }

    void start() {
        s.start();
        drain();
    }

    void login() {
        start();
        talk("USER alice\r\nPASS secret\r\n");
        ASSERT_TRUE(s.in_transaction());
    }

    std::vector<std::string> trace_lines() {
        std::vector<std::string> out;
        for (auto& e : s.trace().take()) {
            const char* p = e.direction == trace::Direction::to_server   ? "C: "
                            : e.direction == trace::Direction::to_client ? "S: "
                                                                         : "*  ";
            out.push_back(p + e.message);
        }
        return out;
    }
};

std::string plain(std::string_view authz, std::string_view user, std::string_view password) {
    std::string raw = std::string(authz) + '\0' + std::string(user) + '\0' + std::string(password);
    return base64_encode(raw);
}

TEST(Pop3Session, GreetsWithTheHostname) {
    Driver d;
    EXPECT_EQ(d.s.waiting_for(), Pop3WaitingFor::driver);
    d.start();
    EXPECT_EQ(d.sent, "+OK pop.example.org POP3 server ready\r\n");
    EXPECT_EQ(d.s.waiting_for(), Pop3WaitingFor::command);
    d.s.start();  // once only
    d.drain();
    EXPECT_EQ(d.sends.size(), 1u);
}

TEST(Pop3Session, InputBeforeStartWaitsForTheGreeting) {
    Driver d;
    d.s.receive("CAPA\r\n");
    d.drain();
    EXPECT_EQ(d.sent, "");
    d.start();
    EXPECT_TRUE(d.sent.starts_with("+OK pop.example.org POP3 server ready\r\n+OK capability"));
}

// RFC 1939 section 10, with USER/PASS in place of APOP (which l7 does not offer), replayed
// line by line: C: what the client sends, S: what the server answers.
TEST(Pop3Session, Rfc1939ExampleSession) {
    Driver d;
    d.mailbox = {std::string(104, 'a') + "\r\n" + std::string(12, 'b') + "\r\n",
                 std::string(198, 'c') + "\r\n"};
    ASSERT_EQ(d.mailbox[0].size(), 120u);
    ASSERT_EQ(d.mailbox[1].size(), 200u);
    struct Step {
        std::string client;
        std::string server;
    };
    const std::vector<Step> script = {
        {"", "+OK pop.example.org POP3 server ready\r\n"},
        {"USER mrose\r\n", "+OK send PASS\r\n"},
        {"PASS tanstaaf\r\n", "+OK maildrop has 2 messages (320 octets)\r\n"},
        {"STAT\r\n", "+OK 2 320\r\n"},
        {"LIST\r\n", "+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n"},
        {"RETR 1\r\n", "+OK 120 octets\r\n" + d.mailbox[0] + ".\r\n"},
        {"DELE 1\r\n", "+OK message 1 deleted\r\n"},
        {"RETR 2\r\n", "+OK 200 octets\r\n" + d.mailbox[1] + ".\r\n"},
        {"DELE 2\r\n", "+OK message 2 deleted\r\n"},
        {"QUIT\r\n", "+OK pop.example.org POP3 server signing off (maildrop empty)\r\n"},
    };
    d.on_credentials = [](const Pop3CheckCredentials& c) {
        return c.user == "mrose" && c.password == "tanstaaf" ? Pop3CredentialsVerdict::accept
                                                             : Pop3CredentialsVerdict::reject;
    };
    for (const Step& step : script) {
        if (step.client.empty()) {
            d.start();
            EXPECT_EQ(d.sent, step.server);
        } else {
            EXPECT_EQ(d.talk(step.client), step.server) << step.client;
        }
    }
    EXPECT_EQ(d.opened, std::vector<std::string>{"mrose"});
    EXPECT_EQ(d.reads, (std::vector<std::size_t>{0, 1}));
    ASSERT_EQ(d.commits.size(), 1u);
    EXPECT_EQ(d.commits[0], (std::vector<std::size_t>{0, 1}));
    EXPECT_EQ(d.closes, 1);
    EXPECT_EQ(d.events_after_close, 0);
    EXPECT_EQ(d.s.waiting_for(), Pop3WaitingFor::nothing);
    EXPECT_EQ(d.s.input_room(), 0u);
    EXPECT_EQ(d.talk("NOOP\r\n"), "");  // ignored once closed
}

TEST(Pop3Session, CapaInBothStates) {
    Driver d;
    d.start();
    EXPECT_EQ(d.talk("CAPA\r\n"),
              "+OK capability list follows\r\nUSER\r\nUIDL\r\nTOP\r\nPIPELINING\r\nRESP-CODES\r\n"
              "AUTH-RESP-CODE\r\nSASL PLAIN\r\nIMPLEMENTATION l7\r\n.\r\n");
    d.talk("USER alice\r\nPASS secret\r\n");
    // RFC 2449 5: USER and SASL are AUTHORIZATION-state capabilities.
    EXPECT_EQ(d.talk("capa\r\n"),
              "+OK capability list follows\r\nUIDL\r\nTOP\r\nPIPELINING\r\nRESP-CODES\r\n"
              "AUTH-RESP-CODE\r\nIMPLEMENTATION l7\r\n.\r\n");

    Pop3ServerConfig no_sasl = test_config();
    no_sasl.sasl_plain = false;
    Driver e(no_sasl);
    e.start();
    EXPECT_EQ(e.talk("CAPA\r\n").find("SASL"), std::string::npos);
    EXPECT_EQ(e.talk("AUTH PLAIN\r\n"), "-ERR AUTH not available\r\n");
}

TEST(Pop3Session, UserPassFailuresAndTheirLimit) {
    Driver d;
    d.start();
    EXPECT_EQ(d.talk("USER nobody\r\n"), "+OK send PASS\r\n");  // same for unknown users
    EXPECT_EQ(d.talk("PASS wrong\r\n"), "-ERR [AUTH] invalid user name or password\r\n");
    EXPECT_FALSE(d.s.in_transaction());
    EXPECT_EQ(d.talk("PASS secret\r\n"), "-ERR send USER first\r\n");  // USER is used up
    EXPECT_EQ(d.talk("USER alice\r\nNOOP\r\nPASS secret\r\n"),
              "+OK send PASS\r\n-ERR command not valid before login\r\n-ERR send USER first\r\n");
    EXPECT_EQ(d.talk("USER alice\r\nPASS bad\r\n"),
              "+OK send PASS\r\n-ERR [AUTH] invalid user name or password\r\n");
    EXPECT_EQ(d.closes, 0);
    EXPECT_EQ(d.talk("USER alice\r\nPASS bad again\r\nUSER alice\r\n"),
              "+OK send PASS\r\n"
              "-ERR [AUTH] invalid user name or password; too many failures, closing\r\n");
    EXPECT_EQ(d.closes, 1);
    ASSERT_EQ(d.checked.size(), 3u);
    EXPECT_EQ(d.checked[2].password, "bad again");
    EXPECT_TRUE(d.opened.empty());
    EXPECT_TRUE(d.commits.empty());
}

TEST(Pop3Session, TemporaryCredentialFailureDoesNotCount) {
    Driver d;
    d.on_credentials = [](const Pop3CheckCredentials&) {
        return Pop3CredentialsVerdict::temporary_failure;
    };
    d.start();
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(d.talk("USER alice\r\nPASS secret\r\n"),
                  "+OK send PASS\r\n-ERR [SYS/TEMP] cannot check credentials now, try again "
                  "later\r\n");
    }
    EXPECT_EQ(d.closes, 0);
}

TEST(Pop3Session, MailboxInUseStaysInAuthorization) {
    Driver d;
    d.mailbox_available = false;
    d.start();
    EXPECT_EQ(d.talk("USER alice\r\nPASS secret\r\n"),
              "+OK send PASS\r\n-ERR [IN-USE] mailbox locked or unavailable\r\n");
    EXPECT_FALSE(d.s.in_transaction());
    EXPECT_EQ(d.s.user(), "");
    EXPECT_EQ(d.talk("STAT\r\n"), "-ERR command not valid before login\r\n");
    d.mailbox_available = true;
    EXPECT_EQ(d.talk("USER alice\r\nPASS secret\r\n"),
              "+OK send PASS\r\n+OK maildrop has 2 messages (47 octets)\r\n");
    EXPECT_EQ(d.s.user(), "alice");
    EXPECT_EQ(d.opened, (std::vector<std::string>{"alice", "alice"}));
}

TEST(Pop3Session, AuthPlain) {
    Driver d;
    d.start();
    EXPECT_EQ(d.talk("AUTH\r\n"), "+OK mechanisms follow\r\nPLAIN\r\n.\r\n");
    EXPECT_EQ(d.talk("AUTH LOGIN\r\n"), "-ERR unsupported authentication mechanism\r\n");
    EXPECT_EQ(d.talk("AUTH CRAM-MD5\r\n"), "-ERR unsupported authentication mechanism\r\n");
    // A challenge, then a response; "*" cancels.
    EXPECT_EQ(d.talk("AUTH PLAIN\r\n"), "+ \r\n");
    EXPECT_EQ(d.s.waiting_for(), Pop3WaitingFor::command);
    EXPECT_EQ(d.talk("*\r\n"), "-ERR authentication cancelled\r\n");
    EXPECT_EQ(d.talk("AUTH PLAIN\r\n!!!\r\n"), "+ \r\n-ERR malformed authentication data\r\n");
    EXPECT_EQ(d.talk("AUTH PLAIN " + plain("mallory", "alice", "secret") + "\r\n"),
              "-ERR [AUTH] not authorized to act as that user\r\n");
    EXPECT_EQ(d.talk("AUTH PLAIN " + plain("", "alice", "nope") + "\r\n"),
              "-ERR [AUTH] invalid user name or password\r\n");
    EXPECT_EQ(d.talk("AUTH PLAIN\r\n" + plain("alice", "alice", "secret") + "\r\n"),
              "+ \r\n+OK maildrop has 2 messages (47 octets)\r\n");
    EXPECT_TRUE(d.s.in_transaction());
    ASSERT_EQ(d.checked.size(), 2u);
    EXPECT_EQ(d.checked[1].user, "alice");
    EXPECT_EQ(d.checked[1].password, "secret");
    EXPECT_EQ(d.talk("AUTH PLAIN\r\n"), "-ERR command not valid after login\r\n");

    const auto trace = d.trace_lines();
    for (const auto& line : trace) {
        EXPECT_EQ(line.find(plain("alice", "alice", "secret")), std::string::npos) << line;
        EXPECT_EQ(line.find(plain("", "alice", "nope")), std::string::npos) << line;
    }
    EXPECT_NE(std::find(trace.begin(), trace.end(), "C: AUTH PLAIN <credentials hidden>"),
              trace.end());
    EXPECT_NE(std::find(trace.begin(), trace.end(), "C: <credentials hidden>"), trace.end());
    EXPECT_NE(std::find(trace.begin(), trace.end(), "C: *"), trace.end());
}

TEST(Pop3Session, EveryCommandOutsideItsState) {
    Driver d;
    d.start();
    for (std::string_view cmd : {"STAT", "LIST", "LIST 1", "RETR 1", "DELE 1", "NOOP", "RSET",
                                 "TOP 1 1", "UIDL", "UIDL 1"}) {
        EXPECT_EQ(d.talk(std::string(cmd) + "\r\n"), "-ERR command not valid before login\r\n")
            << cmd;
    }
    EXPECT_EQ(d.talk("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
              "-ERR APOP not supported\r\n");
    EXPECT_EQ(d.talk("STLS\r\n"), "-ERR STLS not available\r\n");
    EXPECT_EQ(d.talk("XTND XMIT\r\n"), "-ERR unknown command\r\n");
    EXPECT_EQ(d.talk("STAT 1\r\n"), "-ERR syntax: STAT takes no arguments\r\n");

    Driver t;
    t.login();
    for (std::string_view cmd : {"USER alice", "PASS secret", "APOP a b", "AUTH PLAIN", "STLS"}) {
        EXPECT_EQ(t.talk(std::string(cmd) + "\r\n"), "-ERR command not valid after login\r\n")
            << cmd;
    }
    EXPECT_EQ(t.talk("NOOP\r\n"), "+OK\r\n");
    EXPECT_EQ(t.talk("TOP 1\r\n"), "-ERR syntax: wrong number of arguments for TOP\r\n");
    EXPECT_EQ(t.talk("TOP 1 x\r\n"), "-ERR syntax: TOP message lines\r\n");
    EXPECT_EQ(t.closes, 0);
    EXPECT_TRUE(t.reads.empty());
}

TEST(Pop3Session, ListAndUidl) {
    Driver d;
    d.login();
    EXPECT_EQ(d.talk("LIST\r\n"), "+OK 2 messages (47 octets)\r\n1 23\r\n2 24\r\n.\r\n");
    EXPECT_EQ(d.talk("LIST 2\r\n"), "+OK 2 24\r\n");
    EXPECT_EQ(d.talk("UIDL\r\n"), "+OK unique-id listing follows\r\n1 uid-1\r\n2 uid-2\r\n.\r\n");
    EXPECT_EQ(d.talk("UIDL 1\r\n"), "+OK 1 uid-1\r\n");
    for (std::string_view bad : {"LIST 3", "LIST 0", "LIST x", "UIDL 3", "RETR 3", "TOP 9 0",
                                 "DELE 3", "RETR 99999999999"}) {
        EXPECT_EQ(d.talk(std::string(bad) + "\r\n"), "-ERR no such message\r\n") << bad;
    }
    EXPECT_EQ(d.talk("STAT\r\n"), "+OK 2 47\r\n");
}

TEST(Pop3Session, EmptyMailbox) {
    Driver d;
    d.mailbox.clear();
    d.login();
    EXPECT_EQ(d.talk("STAT\r\nLIST\r\nUIDL\r\nRETR 1\r\n"),
              "+OK 0 0\r\n+OK 0 messages (0 octets)\r\n.\r\n+OK unique-id listing follows\r\n"
              ".\r\n-ERR no such message\r\n");
}

TEST(Pop3Session, DeletedMessagesAreHiddenAndRsetRestoresThem) {
    Driver d;
    d.mailbox.push_back("Subject: three\r\n\r\n3\r\n");
    d.login();
    EXPECT_EQ(d.talk("DELE 2\r\n"), "+OK message 2 deleted\r\n");
    EXPECT_EQ(d.talk("DELE 2\r\n"), "-ERR message 2 already deleted\r\n");
    EXPECT_EQ(d.talk("STAT\r\n"), "+OK 2 " + std::to_string(23 + d.mailbox[2].size()) + "\r\n");
    EXPECT_EQ(d.talk("LIST\r\n"), "+OK 2 messages (" + std::to_string(23 + d.mailbox[2].size()) +
                                      " octets)\r\n1 23\r\n3 " +
                                      std::to_string(d.mailbox[2].size()) + "\r\n.\r\n");
    EXPECT_EQ(d.talk("UIDL\r\n"), "+OK unique-id listing follows\r\n1 uid-1\r\n3 uid-3\r\n.\r\n");
    for (std::string_view cmd : {"LIST 2", "UIDL 2", "RETR 2", "TOP 2 0"}) {
        EXPECT_EQ(d.talk(std::string(cmd) + "\r\n"), "-ERR message 2 already deleted\r\n") << cmd;
    }
    EXPECT_TRUE(d.reads.empty());
    EXPECT_EQ(d.talk("RSET\r\n"), "+OK maildrop has 3 messages (" +
                                      std::to_string(47 + d.mailbox[2].size()) + " octets)\r\n");
    EXPECT_EQ(d.talk("LIST 2\r\n"), "+OK 2 24\r\n");
    EXPECT_EQ(d.talk("DELE 1\r\nDELE 3\r\nQUIT\r\n"),
              "+OK message 1 deleted\r\n+OK message 3 deleted\r\n"
              "+OK pop.example.org POP3 server signing off (1 messages left)\r\n");
    ASSERT_EQ(d.commits.size(), 1u);
    EXPECT_EQ(d.commits[0], (std::vector<std::size_t>{0, 2}));
}

TEST(Pop3Session, QuitWithoutDeletionsStillCommitsNothing) {
    Driver d;
    d.login();
    EXPECT_EQ(d.talk("QUIT\r\n"),
              "+OK pop.example.org POP3 server signing off (2 messages left)\r\n");
    ASSERT_EQ(d.commits.size(), 1u);
    EXPECT_TRUE(d.commits[0].empty());
    EXPECT_EQ(d.closes, 1);
}

TEST(Pop3Session, CommitFailure) {
    Driver d;
    d.commit_ok = false;
    d.login();
    EXPECT_EQ(d.talk("DELE 1\r\nQUIT\r\n"),
              "+OK message 1 deleted\r\n-ERR [SYS/TEMP] some deleted messages not removed\r\n");
    EXPECT_EQ(d.closes, 1);
}

TEST(Pop3Session, QuitInAuthorizationClosesWithoutCommit) {
    Driver d;
    d.start();
    EXPECT_EQ(d.talk("USER alice\r\nQUIT\r\nNOOP\r\n"),
              "+OK send PASS\r\n+OK pop.example.org POP3 server signing off\r\n");
    EXPECT_TRUE(d.commits.empty());
    EXPECT_TRUE(d.checked.empty());
    EXPECT_EQ(d.closes, 1);
}

// Byte-stuffing (RFC 1939 3): a line "." and a line ".x" get a dot in front; lines with a
// dot elsewhere do not.
TEST(Pop3Session, RetrByteStuffs) {
    Driver d;
    d.mailbox = {"Subject: dots\r\n\r\n.\r\n.x\r\n..\r\na.b\r\n.\r\n"};
    d.login();
    EXPECT_EQ(d.talk("RETR 1\r\n"), "+OK " + std::to_string(d.mailbox[0].size()) +
                                        " octets\r\nSubject: dots\r\n\r\n..\r\n..x\r\n...\r\n"
                                        "a.b\r\n..\r\n.\r\n");
}

TEST(Pop3Session, RetrEndsEveryMessageWithCrlf) {
    struct Case {
        std::string stored;
        std::string sent;  // between the +OK line and the "." line
    };
    const Case cases[] = {
        {"Subject: x\r\n\r\nno line end", "Subject: x\r\n\r\nno line end\r\n"},
        {"Subject: x\r\n\r\nends in CR\r", "Subject: x\r\n\r\nends in CR\r\n"},
        {"Subject: x\n\nbare LF\n", "Subject: x\r\n\r\nbare LF\r\n"},
        {".", "..\r\n"},  // a message that is just a dot, without CRLF
        {"", ""},
        {"\r\n", "\r\n"},
    };
    for (const auto& c : cases) {
        Driver d;
        d.mailbox = {c.stored};
        d.login();
        EXPECT_EQ(d.talk("RETR 1\r\n"),
                  "+OK " + std::to_string(c.stored.size()) + " octets\r\n" + c.sent + ".\r\n")
            << c.stored;
    }
}

TEST(Pop3Session, Top) {
    Driver d;
    d.mailbox = {"From: a\r\nSubject: b\r\n\r\nline 1\r\n.line 2\r\nline 3\r\n",
                 "Subject: no body, no blank line\r\nX: y\r\n", "Subject: x\r\n\r\nunended"};
    d.login();
    const std::string header = "+OK top of message follows\r\nFrom: a\r\nSubject: b\r\n\r\n";
    EXPECT_EQ(d.talk("TOP 1 0\r\n"), header + ".\r\n");
    EXPECT_EQ(d.talk("TOP 1 1\r\n"), header + "line 1\r\n.\r\n");
    EXPECT_EQ(d.talk("TOP 1 2\r\n"), header + "line 1\r\n..line 2\r\n.\r\n");
    EXPECT_EQ(d.talk("TOP 1 3\r\n"), header + "line 1\r\n..line 2\r\nline 3\r\n.\r\n");
    EXPECT_EQ(d.talk("TOP 1 100\r\n"), header + "line 1\r\n..line 2\r\nline 3\r\n.\r\n");
    EXPECT_EQ(d.talk("TOP 1 99999999999999999999999\r\n"),
              header + "line 1\r\n..line 2\r\nline 3\r\n.\r\n");
    EXPECT_EQ(d.talk("TOP 2 5\r\n"),
              "+OK top of message follows\r\nSubject: no body, no blank line\r\nX: y\r\n.\r\n");
    EXPECT_EQ(d.talk("TOP 3 0\r\n"), "+OK top of message follows\r\nSubject: x\r\n\r\n.\r\n");
    EXPECT_EQ(d.talk("TOP 3 1\r\n"),
              "+OK top of message follows\r\nSubject: x\r\n\r\nunended\r\n.\r\n");
    EXPECT_EQ(d.reads, (std::vector<std::size_t>{0, 0, 0, 0, 0, 0, 1, 2, 2}));
}

TEST(Pop3Session, UnreadableMessage) {
    Driver d;
    d.readable = false;
    d.login();
    EXPECT_EQ(d.talk("RETR 2\r\nTOP 1 0\r\nNOOP\r\n"),
              "-ERR [SYS/TEMP] cannot read message 2\r\n"
              "-ERR [SYS/TEMP] cannot read message 1\r\n+OK\r\n");
    EXPECT_EQ(d.closes, 0);
}

// RFC 2449 6.6: the responses to a pipelined batch come in order, in one send, even when some
// of them wait for the driver.
TEST(Pop3Session, PipelinedBatchGetsItsResponsesInOrderInOneSend) {
    Driver d;
    d.start();
    const std::size_t sends_before = d.sends.size();
    const std::string out = d.talk(
        "CAPA\r\nUSER alice\r\nPASS secret\r\nSTAT\r\nRETR 1\r\nDELE 1\r\nTOP 2 0\r\n"
        "LIST\r\nQUIT\r\n");
    EXPECT_EQ(d.sends.size(), sends_before + 1);
    const std::vector<std::string_view> expected_order = {"+OK capability list follows",
                                                          "+OK send PASS",
                                                          "+OK maildrop has 2",
                                                          "+OK 2 47",
                                                          "+OK 23 octets",
                                                          "+OK message 1 deleted",
                                                          "+OK top of message follows",
                                                          "+OK 1 messages",
                                                          "signing off (1 messages left)"};
    std::size_t pos = 0;
    for (auto piece : expected_order) {
        const std::size_t at = out.find(piece, pos);
        ASSERT_NE(at, std::string::npos) << piece << " in\n" << out;
        pos = at + piece.size();
    }
    EXPECT_EQ(d.commits, (std::vector<std::vector<std::size_t>>{{0}}));
    EXPECT_EQ(d.closes, 1);
}

TEST(Pop3Session, AnswersLaterAndByteByByte) {
    Driver d;
    d.answer = false;
    d.start();
    const std::string batch = "USER alice\r\nPASS secret\r\nRETR 1\r\nQUIT\r\n";
    for (char c : batch) {
        d.s.receive(std::string_view(&c, 1));
        d.drain();
    }
    ASSERT_EQ(d.checked.size(), 1u);
    EXPECT_EQ(d.s.waiting_for(), Pop3WaitingFor::driver);
    EXPECT_FALSE(d.s.mailbox_result(d.listing()));  // not the question asked
    EXPECT_FALSE(d.s.message_result("x"));
    EXPECT_FALSE(d.s.commit_result(true));
    // The input ran out after USER, so its answer went out; the rest waits for the driver.
    EXPECT_EQ(d.sent, "+OK pop.example.org POP3 server ready\r\n+OK send PASS\r\n");
    EXPECT_TRUE(d.s.credentials_result(Pop3CredentialsVerdict::accept));
    EXPECT_FALSE(d.s.credentials_result(Pop3CredentialsVerdict::accept));
    d.drain();
    EXPECT_EQ(d.opened.size(), 1u);
    EXPECT_TRUE(d.s.mailbox_result(d.listing()));
    d.drain();
    ASSERT_EQ(d.reads.size(), 1u);
    EXPECT_TRUE(d.s.message_result(d.mailbox[0]));
    d.drain();
    ASSERT_EQ(d.commits.size(), 1u);
    EXPECT_TRUE(d.s.commit_result(true));
    d.drain();
    EXPECT_EQ(d.closes, 1);
    EXPECT_TRUE(d.sent.ends_with("signing off (2 messages left)\r\n"));
}

TEST(Pop3Session, EofInEachState) {
    {  // AUTHORIZATION
        Driver d;
        d.start();
        d.talk("USER alice\r\n");
        d.s.receive({});
        d.drain();
        EXPECT_EQ(d.closes, 1);
        EXPECT_TRUE(d.checked.empty());
    }
    {  // in the middle of a SASL exchange
        Driver d;
        d.start();
        d.talk("AUTH PLAIN\r\n");
        d.s.receive({});
        d.drain();
        EXPECT_EQ(d.closes, 1);
        EXPECT_TRUE(d.checked.empty());
    }
    {  // TRANSACTION: RFC 1939 6, no UPDATE, nothing removed
        Driver d;
        d.login();
        d.talk("DELE 1\r\nDELE 2\r\nRETR");  // an unfinished line is dropped
        d.s.receive({});
        d.drain();
        EXPECT_EQ(d.closes, 1);
        EXPECT_TRUE(d.commits.empty());
        EXPECT_TRUE(d.reads.empty());
    }
    {  // QUIT then EOF at once: the QUIT was sent, so UPDATE happens
        Driver d;
        d.login();
        d.s.receive("DELE 1\r\nQUIT\r\n");
        d.s.receive({});
        d.drain();
        EXPECT_EQ(d.commits, (std::vector<std::vector<std::size_t>>{{0}}));
        EXPECT_EQ(d.closes, 1);
    }
    {  // while the driver reads a message: the answer is still taken, then the close
        Driver d;
        d.login();
        d.answer = false;
        d.talk("RETR 1\r\n");
        d.s.receive({});
        d.drain();
        EXPECT_EQ(d.closes, 0);
        EXPECT_EQ(d.s.input_room(), 0u);
        EXPECT_TRUE(d.s.message_result(d.mailbox[0]));
        d.drain();
        EXPECT_EQ(d.closes, 1);
        EXPECT_TRUE(d.commits.empty());
    }
    {  // before the greeting
        Driver d;
        d.s.receive({});
        d.start();
        EXPECT_EQ(d.closes, 1);
        EXPECT_EQ(d.sent, "+OK pop.example.org POP3 server ready\r\n");
    }
}

TEST(Pop3Session, OverLongLines) {
    Driver d;
    d.login();
    // RFC 2449 4: 255 octets with the CRLF are allowed, 256 are not.
    const std::string longest = "NOOP" + std::string(249, ' ');
    ASSERT_EQ(longest.size() + 2, 255u);
    EXPECT_EQ(d.talk(longest + "\r\n"), "+OK\r\n");
    EXPECT_EQ(d.talk(longest + " \r\n"), "-ERR line too long\r\n");
    // A long line in pieces: one -ERR as soon as it is known, the rest dropped.
    EXPECT_EQ(d.talk("LIST " + std::string(300, '1')), "-ERR line too long\r\n");
    EXPECT_EQ(d.talk(std::string(5000, '2')), "");
    EXPECT_EQ(d.talk(std::string(100, '3') + "\r\nSTAT\r\n"), "+OK 2 47\r\n");
    // A line of exactly 254 octets without its LF yet is not too long.
    EXPECT_EQ(d.talk(longest + "\r"), "");
    EXPECT_EQ(d.talk("\n"), "+OK\r\n");
    EXPECT_EQ(d.closes, 0);
}

TEST(Pop3Session, OverLongSaslResponseEndsTheExchange) {
    Driver d;
    d.start();
    EXPECT_EQ(d.talk("AUTH PLAIN\r\n"), "+ \r\n");
    EXPECT_EQ(d.talk(std::string(3000, 'A') + "\r\n"), "-ERR line too long\r\n");
    EXPECT_EQ(d.talk("STAT\r\n"), "-ERR command not valid before login\r\n");  // a command again
    EXPECT_TRUE(d.checked.empty());
}

TEST(Pop3Session, BareLfEndsCommandLines) {
    Driver d;
    d.start();
    EXPECT_EQ(d.talk("USER alice\nPASS secret\nSTAT\n"),
              "+OK send PASS\r\n+OK maildrop has 2 messages (47 octets)\r\n+OK 2 47\r\n");
}

TEST(Pop3Session, TooManyErrorsCloses) {
    Pop3ServerConfig c = test_config();
    c.limits.max_errors = 3;
    Driver d(c);
    d.start();
    EXPECT_EQ(d.talk("FOO\r\nBAR\r\n"), "-ERR unknown command\r\n-ERR unknown command\r\n");
    EXPECT_EQ(d.talk("BAZ\r\nCAPA\r\n"), "-ERR unknown command; too many errors, closing\r\n");
    EXPECT_EQ(d.closes, 1);
    EXPECT_EQ(d.events_after_close, 0);

    Driver def;  // the default: 20
    def.login();
    std::string many;
    for (int i = 0; i < 30; ++i) {
        many += "RETR 9\r\n";
    }
    const std::string out = def.talk(many);
    std::size_t count = 0;
    for (std::size_t p = out.find("-ERR"); p != std::string::npos; p = out.find("-ERR", p + 1)) {
        ++count;
    }
    EXPECT_EQ(count, 20u);
    EXPECT_EQ(def.closes, 1);
    EXPECT_TRUE(def.commits.empty());  // closing for errors is no UPDATE
}

TEST(Pop3Session, InputBeyondTheBufferCloses) {
    Driver d;
    d.login();
    d.answer = false;
    d.talk("RETR 1\r\n");
    EXPECT_EQ(d.s.waiting_for(), Pop3WaitingFor::driver);
    const std::size_t room = d.s.input_room();
    EXPECT_EQ(room, Pop3Limits{}.max_buffered_input);
    std::string batch;
    while (batch.size() < room) {
        batch += "NOOP\r\n";
    }
    batch.resize(room);
    d.talk(batch);
    EXPECT_EQ(d.s.input_room(), 0u);
    EXPECT_EQ(d.closes, 0);
    d.talk("N");  // one more than the room
    EXPECT_EQ(d.closes, 1);
    EXPECT_TRUE(d.sent.ends_with("-ERR too much pipelined input, closing\r\n"));
    EXPECT_FALSE(d.s.message_result(d.mailbox[0]));
}

TEST(Pop3Session, TraceHidesPasswordsAndShortensMessages) {
    Driver d;
    d.mailbox = {"Subject: hi\r\n\r\nline\r\nline\r\n"};
    d.login();
    d.talk("RETR 1\r\nPASS\r\npassWORD\r\nQUIT\r\n");  // the second: a typo
    const std::vector<std::string> expected = {
        "S: +OK pop.example.org POP3 server ready",
        "C: USER alice",
        "S: +OK send PASS",
        "C: PASS <credentials hidden>",
        "*  TRANSACTION for alice",
        "S: +OK maildrop has 1 messages (27 octets)",
        "C: RETR 1",
        "S: +OK 27 octets",
        "S: Subject: hi",
        "S: ... (3 more lines)",
        "S: .",
        "C: PASS <credentials hidden>",
        "S: -ERR syntax: PASS password",
        "C: PASS <credentials hidden>",
        "S: -ERR unknown command",
        "C: QUIT",
        "*  UPDATE: 0 message(s) to remove",
        "S: +OK pop.example.org POP3 server signing off (1 messages left)",
    };
    EXPECT_EQ(d.trace_lines(), expected);
}

TEST(Pop3Session, HostnameControlsAreRemovedAndUidsKeptOnOneLine) {
    Pop3ServerConfig c = test_config();
    c.hostname = "evil\r\n+OK.example";
    Driver d(c);
    d.start();
    EXPECT_EQ(d.sent, "+OK evil+OK.example POP3 server ready\r\n");
    d.talk("USER alice\r\n");
    d.answer = false;
    d.talk("PASS secret\r\n");
    ASSERT_TRUE(d.s.credentials_result(Pop3CredentialsVerdict::accept));
    d.drain();
    ASSERT_TRUE(d.s.mailbox_result(std::vector<Pop3MessageInfo>{{10, "a b\r\nc"}, {5, ""}}));
    d.drain();
    d.answer = true;
    EXPECT_EQ(d.talk("UIDL\r\n"), "+OK unique-id listing follows\r\n1 a?b??c\r\n2 ?\r\n.\r\n");
}

}  // namespace
}  // namespace l7::mail
