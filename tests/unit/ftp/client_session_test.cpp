// The FTP client session without sockets: the server's replies are fed as bytes, the data
// connection's outcome is reported by hand, and the commands the session sends are compared
// line by line. Also parse_ftp_url.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ftp/client_session.hpp"

using namespace l7::ftp;

namespace {

// Runs a session and keeps what it asked for.
struct Client {
    explicit Client(FtpClientConfig config) : session(std::move(config)) { drain(); }

    void drain() {
        while (auto ev = session.next_event()) {
            ASSERT_FALSE(done) << "an event after the Done";
            if (auto* send = std::get_if<FtpClientSend>(&*ev)) {
                ASSERT_TRUE(send->bytes.ends_with("\r\n"));
                sent += send->bytes;
            } else if (auto* connect = std::get_if<FtpClientConnect>(&*ev)) {
                connects.push_back(connect->port);
            } else if (std::holds_alternative<FtpClientListen>(*ev)) {
                ++listens;
            } else if (auto* transfer = std::get_if<FtpClientTransfer>(&*ev)) {
                transfers.push_back(*transfer);
            } else if (auto* d = std::get_if<FtpClientDone>(&*ev)) {
                done = *d;
            } else if (std::holds_alternative<FtpClientStartTls>(*ev)) {
                ++handshakes;
            }
        }
    }
    // The server says `wire` (CRLF added when missing).
    void says(std::string wire) {
        if (!wire.ends_with("\n")) {
            wire += "\r\n";
        }
        session.receive(wire);
        drain();
    }
    // The command lines sent since the last call.
    std::vector<std::string> commands() {
        std::vector<std::string> out;
        std::size_t start = 0;
        for (std::size_t end = sent.find("\r\n"); end != std::string::npos;
             end = sent.find("\r\n", start)) {
            out.push_back(sent.substr(start, end - start));
            start = end + 2;
        }
        sent.clear();
        return out;
    }
    // Greeting and log-in as anonymous; leaves what followed PASS unread.
    void log_in() {
        says("220 ready");
        EXPECT_EQ(commands(), std::vector<std::string>{"USER anonymous"});
        says("331 Please specify the password.");
        EXPECT_EQ(commands(), std::vector<std::string>{"PASS anonymous@"});
        says("230 Login successful.");
    }
    // The last command line sent since the last call.
    std::string last_command() {
        auto lines = commands();
        return lines.empty() ? std::string() : lines.back();
    }
    // A passive data connection through EPSV, opened.
    void passive() {
        EXPECT_EQ(last_command(), "EPSV");
        says("229 Entering Extended Passive Mode (|||40001|)");
        ASSERT_EQ(connects, std::vector<std::uint16_t>{40001});
        session.data_opened();
        drain();
    }

    FtpClientSession session;
    std::string sent;
    std::vector<std::uint16_t> connects;
    int listens = 0;
    std::vector<FtpClientTransfer> transfers;
    std::optional<FtpClientDone> done;
    int handshakes = 0;
};

using Lines = std::vector<std::string>;

FtpClientConfig get_config(std::string path = "pub/file.bin") {
    FtpClientConfig c;
    c.operation = FtpOperation::get;
    c.path = std::move(path);
    return c;
}

FtpClientConfig put_config(std::uint64_t size, bool resume = false) {
    FtpClientConfig c;
    c.operation = FtpOperation::put;
    c.path = "incoming/up.bin";
    c.local_size = size;
    c.resume = resume;
    return c;
}

}  // namespace

// --- URLs ----------------------------------------------------------------------------------

TEST(FtpUrl, AllParts) {
    auto url = parse_ftp_url("ftp://bob:s%40cret:x@ftp.example.org:2121/pub/a%20b.txt");
    ASSERT_TRUE(url) << url.error().message;
    EXPECT_EQ(url->user, "bob");
    EXPECT_EQ(url->password, "s@cret:x");
    EXPECT_EQ(url->host, "ftp.example.org");
    EXPECT_EQ(url->port, 2121);
    EXPECT_EQ(url->path, "pub/a b.txt");
    EXPECT_FALSE(url->names_directory());
}

TEST(FtpUrl, Defaults) {
    auto url = parse_ftp_url("FTP://127.0.0.1");
    ASSERT_TRUE(url) << url.error().message;
    EXPECT_FALSE(url->user);
    EXPECT_FALSE(url->password);
    EXPECT_EQ(url->port, 21);
    EXPECT_EQ(url->path, "");
    EXPECT_TRUE(url->names_directory());
    auto user_only = parse_ftp_url("ftp://alice@[::1]/dir/");
    ASSERT_TRUE(user_only) << user_only.error().message;
    EXPECT_EQ(user_only->user, "alice");
    EXPECT_FALSE(user_only->password);
    EXPECT_EQ(user_only->host, "::1");
    EXPECT_EQ(user_only->path, "dir/");
    EXPECT_TRUE(user_only->names_directory());
}

TEST(FtpUrl, AbsolutePathThroughPercent2F) {
    auto url = parse_ftp_url("ftp://h/%2Fetc/motd");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->path, "/etc/motd");
}

TEST(FtpUrl, Refused) {
    for (const char* text :
         {"http://h/x", "h/x", "ftps://h/x", "ftp://", "ftp:///x", "ftp://h:0/x", "ftp://h:99999/",
          "ftp://h/a%2", "ftp://h/a%zz", "ftp://h/a%0D%0ADELE%20x", "ftp://h/a%00b",
          "ftp://u%0A@h/", "ftp://:pw@h/", "ftp://h h/", "ftp://[::1/"}) {
        auto url = parse_ftp_url(text);
        EXPECT_FALSE(url) << text;
        if (!url) {
            EXPECT_FALSE(url.error().message.empty());
        }
    }
    EXPECT_NE(parse_ftp_url("ftp://h/a%0Db").error().message.find("CR, LF"), std::string::npos);
    EXPECT_NE(parse_ftp_url("ftps://h/").error().message.find("not supported"), std::string::npos);
}

// --- greeting and log-in -------------------------------------------------------------------

TEST(FtpClientSession, Greeting421FailsWithoutQuit) {
    Client c(get_config());
    c.says("421 Too many users, try later.");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::refused);
    EXPECT_NE(c.done->problem.find("421 Too many users"), std::string::npos);
    EXPECT_TRUE(c.commands().empty());
}

TEST(FtpClientSession, Greeting120IsWaitedOut) {
    Client c(get_config());
    c.says("120 Ready in 1 minute.");
    EXPECT_TRUE(c.commands().empty());
    EXPECT_FALSE(c.done);
    c.says("220 Ready now.");
    EXPECT_EQ(c.commands(), Lines{"USER anonymous"});
}

TEST(FtpClientSession, MultiLineGreetingIsOneReply) {
    Client c(get_config());
    c.says("220-Welcome to the archive.\r\n220-Second line.\r\n 220 not the end\r\n220 Go.\r\n");
    EXPECT_EQ(c.commands(), Lines{"USER anonymous"});
    EXPECT_FALSE(c.done);
}

TEST(FtpClientSession, RepliesCutAnywhereAreReassembled) {
    Client c(get_config());
    for (char ch : std::string("220-a\r\n220 b\r\n")) {
        c.session.receive(std::string(1, ch));
        c.drain();
    }
    EXPECT_EQ(c.commands(), Lines{"USER anonymous"});
}

TEST(FtpClientSession, Login530FailsAndQuits) {
    FtpClientConfig config = get_config();
    config.user = "bob";
    config.password = "wrong";
    Client c(config);
    c.says("220 ready");
    c.says("331 Password?");
    EXPECT_EQ(c.commands(), (Lines{"USER bob", "PASS wrong"}));
    c.says("530 Login incorrect.");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::login);
    EXPECT_NE(c.done->problem.find("530 Login incorrect."), std::string::npos);
    EXPECT_EQ(c.commands(), Lines{"QUIT"});
}

TEST(FtpClientSession, User530Fails) {
    Client c(get_config());
    c.says("220 ready");
    c.says("530 This FTP server is anonymous only.");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::login);
}

TEST(FtpClientSession, AccountWantedFailsClearly) {
    Client c(get_config());
    c.says("220 ready");
    c.says("331 Password?");
    c.says("332 Need account for login.");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::login);
    EXPECT_NE(c.done->problem.find("ACCT"), std::string::npos);
}

TEST(FtpClientSession, User230SkipsPass) {
    Client c(get_config());
    c.says("220 ready");
    c.commands();
    c.says("230 No password needed.");
    EXPECT_EQ(c.commands(), Lines{"TYPE I"});
}

TEST(FtpClientSession, TraceHidesThePasswordAndShowsMultiLineReplies) {
    FtpClientConfig config = get_config();
    config.password = "s3cret";
    FtpClientSession s(config);
    s.trace().enable(true);
    s.receive("220-first\r\nmiddle\r\n220 last\r\n331 pw?\r\n");
    while (s.next_event()) {
    }
    std::vector<std::string> lines;
    for (const auto& e : s.trace().take()) {
        lines.push_back((e.direction == l7::trace::Direction::to_server ? "C: " : "S: ") +
                        e.message);
        EXPECT_EQ(e.message.find("s3cret"), std::string::npos);
    }
    EXPECT_EQ(lines, (Lines{"S: 220-first", "S: middle", "S: 220 last", "C: USER anonymous",
                            "S: 331 pw?", "C: PASS <credentials hidden>"}));
}

// --- downloads -----------------------------------------------------------------------------

TEST(FtpClientSession, GetPassiveWholeDialogue) {
    Client c(get_config());
    c.log_in();
    EXPECT_EQ(c.commands(), Lines{"TYPE I"});
    c.says("200 Switching to Binary mode.");
    EXPECT_EQ(c.commands(), Lines{"SIZE pub/file.bin"});
    c.says("213 11");
    c.passive();
    EXPECT_EQ(c.commands(), Lines{"RETR pub/file.bin"});
    EXPECT_TRUE(c.transfers.empty());
    c.says("150 Opening BINARY mode data connection for pub/file.bin (11 bytes).");
    ASSERT_EQ(c.transfers.size(), 1u);
    EXPECT_EQ(c.transfers[0].direction, FtpClientDirection::download);
    EXPECT_FALSE(c.transfers[0].ascii);
    EXPECT_EQ(c.transfers[0].offset, 0u);
    EXPECT_EQ(c.transfers[0].total, 11u);
    c.session.data_finished(11);
    c.drain();
    EXPECT_TRUE(c.commands().empty());
    c.says("226 Transfer complete.");
    EXPECT_EQ(c.commands(), Lines{"QUIT"});
    EXPECT_FALSE(c.done);
    c.says("221 Goodbye.");
    ASSERT_TRUE(c.done);
    EXPECT_TRUE(c.done->ok()) << c.done->problem;
    EXPECT_TRUE(c.done->transfer_done);
    EXPECT_EQ(c.done->transferred, 11u);
    EXPECT_EQ(c.done->remote_size, 11u);
}

TEST(FtpClientSession, FinalReplyBeforeTheDataEnds) {
    Client c(get_config());
    c.log_in();
    c.says("200 ok");
    c.says("550 SIZE not available");  // no size: no check of the byte count either
    c.passive();
    c.commands();
    c.says("150 Here it comes.\r\n226 Transfer complete.\r\n");
    ASSERT_EQ(c.transfers.size(), 1u);
    EXPECT_EQ(c.transfers[0].total, std::nullopt);
    EXPECT_TRUE(c.commands().empty());  // the 226 waits for the data's end
    c.session.data_finished(3);
    c.drain();
    EXPECT_EQ(c.commands(), Lines{"QUIT"});
    c.session.receive({});  // the server closes without 221: all is done anyway
    c.drain();
    ASSERT_TRUE(c.done);
    EXPECT_TRUE(c.done->ok()) << c.done->problem;
}

TEST(FtpClientSession, Epsv502FallsBackToPasvAndRemembersIt) {
    Client c(get_config());
    c.log_in();
    c.says("200 ok");
    c.says("213 5");
    EXPECT_EQ(c.last_command(), "EPSV");
    c.says("502 Command not implemented.");
    EXPECT_EQ(c.commands(), Lines{"PASV"});
    EXPECT_TRUE(c.session.passive_only());
    // The address is the server's business; only the port counts (10*256+20).
    c.says("227 Entering Passive Mode (10,0,0,7,10,20).");
    EXPECT_EQ(c.connects, std::vector<std::uint16_t>{2580});
    c.session.data_opened();
    c.drain();
    EXPECT_EQ(c.commands(), Lines{"RETR pub/file.bin"});
}

TEST(FtpClientSession, Epsv501And500AlsoFallBack) {
    for (const char* refusal : {"500 'EPSV': command not understood.", "501 Bad syntax"}) {
        Client c(get_config());
        c.log_in();
        c.says("200 ok");
        c.says("213 5");
        c.commands();
        c.says(refusal);
        EXPECT_EQ(c.commands(), Lines{"PASV"}) << refusal;
    }
}

TEST(FtpClientSession, EpsvOtherRefusalFails) {
    Client c(get_config());
    c.log_in();
    c.says("200 ok");
    c.says("213 5");
    c.says("425 Cannot open passive connection.");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::data);
}

TEST(FtpClientSession, GarbledPassiveRepliesFail) {
    for (const char* garbled :
         {"229 Entering Extended Passive Mode (|||0|)", "229 Entering Extended Passive Mode"}) {
        Client c(get_config());
        c.log_in();
        c.says("200 ok");
        c.says("213 5");
        c.says(garbled);
        ASSERT_TRUE(c.done) << garbled;
        EXPECT_EQ(c.done->failure, FtpClientFailure::protocol);
    }
    Client c(get_config());
    c.log_in();
    c.says("200 ok");
    c.says("213 5");
    c.says("502 no");
    c.says("227 Entering Passive Mode (1,2,3).");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::protocol);
}

TEST(FtpClientSession, ActiveSendsEprtThenPortWhenRefused) {
    FtpClientConfig config = get_config();
    config.active = true;
    Client c(config);
    c.log_in();
    c.says("200 ok");
    c.says("213 5");
    EXPECT_EQ(c.commands(), (Lines{"TYPE I", "SIZE pub/file.bin"}));
    EXPECT_EQ(c.listens, 1);
    c.session.data_listening({"127.0.0.1", 5000});
    c.drain();
    EXPECT_EQ(c.commands(), Lines{"EPRT |1|127.0.0.1|5000|"});
    c.says("500 'EPRT': command not understood.");
    EXPECT_EQ(c.commands(), Lines{"PORT 127,0,0,1,19,136"});
    c.says("200 PORT command successful.");
    EXPECT_EQ(c.commands(), Lines{"RETR pub/file.bin"});
    c.says("150 Opening data connection.");
    ASSERT_EQ(c.transfers.size(), 1u);
    c.session.data_finished(5);
    c.drain();
    c.says("226 Done.");
    c.says("221 Bye.");
    ASSERT_TRUE(c.done);
    EXPECT_TRUE(c.done->ok()) << c.done->problem;
}

TEST(FtpClientSession, ActiveEprtAccepted) {
    FtpClientConfig config = get_config();
    config.active = true;
    Client c(config);
    c.log_in();
    c.says("200 ok");
    c.says("213 5");
    c.session.data_listening({"::1", 6000});
    c.drain();
    EXPECT_EQ(c.commands(), (Lines{"TYPE I", "SIZE pub/file.bin", "EPRT |2|::1|6000|"}));
    c.says("200 EPRT command successful.");
    EXPECT_EQ(c.commands(), Lines{"RETR pub/file.bin"});
}

TEST(FtpClientSession, ActiveIpv6WithoutEprtFails) {
    FtpClientConfig config = get_config();
    config.active = true;
    Client c(config);
    c.log_in();
    c.says("200 ok");
    c.says("213 5");
    c.session.data_listening({"::1", 6000});
    c.drain();
    c.commands();
    c.says("502 no EPRT here");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::data);
    EXPECT_NE(c.done->problem.find("IPv6"), std::string::npos);
    EXPECT_EQ(c.commands(), Lines{"QUIT"});
}

TEST(FtpClientSession, Retr550FailsWithTheServersWords) {
    Client c(get_config("missing.txt"));
    c.log_in();
    c.says("200 ok");
    c.says("550 Could not get file size.");
    c.passive();
    EXPECT_EQ(c.commands(), Lines{"RETR missing.txt"});
    c.says("550 Failed to open file.");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::server);
    EXPECT_EQ(c.done->problem,
              "RETR missing.txt failed: the file or directory is unavailable (not found, or no "
              "access): 550 Failed to open file.");
    EXPECT_EQ(c.commands(), Lines{"QUIT"});
    EXPECT_TRUE(c.transfers.empty());
}

TEST(FtpClientSession, Aborted426MidTransfer) {
    Client c(get_config());
    c.log_in();
    c.says("200 ok");
    c.says("213 1000");
    c.passive();
    c.commands();
    c.says("150 Opening.");
    c.session.data_failed("the data connection was reset");
    c.drain();
    EXPECT_FALSE(c.done);  // the server's reply says why
    c.says("426 Failure writing network stream.");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::data);
    EXPECT_NE(c.done->problem.find("aborted"), std::string::npos);
    EXPECT_NE(c.done->problem.find("426 Failure writing network stream."), std::string::npos);
    EXPECT_EQ(c.commands(), Lines{"QUIT"});
}

TEST(FtpClientSession, Aborted426BeforeTheDataEnds) {
    Client c(get_config());
    c.log_in();
    c.says("200 ok");
    c.says("213 1000");
    c.passive();
    c.says("150 Opening.\r\n426 Connection closed; transfer aborted.\r\n");
    EXPECT_FALSE(c.done);
    c.session.data_finished(500);  // the cut looked like an end of file
    c.drain();
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::data);
}

TEST(FtpClientSession, BrokenDataWithoutAReplyTimesOutAsADataFailure) {
    Client c(get_config());
    c.log_in();
    c.says("200 ok");
    c.says("213 1000");
    c.passive();
    c.says("150 Opening.");
    c.session.data_failed("no data within 30 s");
    c.drain();
    c.session.timed_out();
    c.drain();
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::data);
    EXPECT_NE(c.done->problem.find("no data within 30 s"), std::string::npos);
}

TEST(FtpClientSession, ShortTransferAgainstSizeFails) {
    Client c(get_config());
    c.log_in();
    c.says("200 ok");
    c.says("213 1000");
    c.passive();
    c.says("150 Opening.");
    c.session.data_finished(999);
    c.drain();
    c.says("226 Transfer complete.");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::data);
    EXPECT_NE(c.done->problem.find("999 of 1000"), std::string::npos);
}

TEST(FtpClientSession, DataConnectFailure) {
    Client c(get_config());
    c.log_in();
    c.says("200 ok");
    c.says("213 5");
    c.says("229 Entering Extended Passive Mode (|||40001|)");
    c.commands();
    c.session.data_failed("cannot connect to 127.0.0.1:40001: Connection refused");
    c.drain();
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::data);
    EXPECT_EQ(c.commands(), Lines{"QUIT"});
}

TEST(FtpClientSession, LocalFailureEndsAtOnce) {
    Client c(get_config());
    c.log_in();
    c.says("200 ok");
    c.says("213 5");
    c.passive();
    c.says("150 Opening.");
    c.commands();
    c.session.data_failed("out.bin: No space left on device", true);
    c.drain();
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::local);
    EXPECT_EQ(c.done->problem, "out.bin: No space left on device");
    EXPECT_EQ(c.commands(), Lines{"QUIT"});
}

TEST(FtpClientSession, AsciiGetSkipsSize) {
    FtpClientConfig config = get_config("notes.txt");
    config.ascii = true;
    Client c(config);
    c.log_in();
    EXPECT_EQ(c.commands(), Lines{"TYPE A"});
    c.says("200 Switching to ASCII mode.");
    c.passive();
    EXPECT_EQ(c.commands(), Lines{"RETR notes.txt"});
    c.says("150 ok");
    ASSERT_EQ(c.transfers.size(), 1u);
    EXPECT_TRUE(c.transfers[0].ascii);
}

// --- resuming ------------------------------------------------------------------------------

TEST(FtpClientSession, GetResumesWithRest) {
    FtpClientConfig config = get_config();
    config.resume = true;
    config.local_size = 5;
    Client c(config);
    c.log_in();
    c.says("200 ok");
    c.says("213 11");
    c.passive();
    EXPECT_EQ(c.commands(), Lines{"REST 5"});
    c.says("350 Restart position accepted (5).");
    EXPECT_EQ(c.commands(), Lines{"RETR pub/file.bin"});
    c.says("150 Opening.");
    ASSERT_EQ(c.transfers.size(), 1u);
    EXPECT_EQ(c.transfers[0].offset, 5u);
    EXPECT_EQ(c.transfers[0].total, 11u);
    c.session.data_finished(6);
    c.drain();
    c.says("226 ok");
    c.says("221 bye");
    ASSERT_TRUE(c.done);
    EXPECT_TRUE(c.done->ok()) << c.done->problem;
}

TEST(FtpClientSession, GetResumeRefusedRest) {
    FtpClientConfig config = get_config();
    config.resume = true;
    config.local_size = 5;
    Client c(config);
    c.log_in();
    c.says("200 ok");
    c.says("213 11");
    c.passive();
    c.says("502 REST not implemented.");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::server);
    EXPECT_NE(c.done->problem.find("cannot resume at byte 5"), std::string::npos);
}

TEST(FtpClientSession, GetResumeAlreadyComplete) {
    FtpClientConfig config = get_config();
    config.resume = true;
    config.local_size = 11;
    Client c(config);
    c.log_in();
    c.says("200 ok");
    c.commands();
    c.says("213 11");
    EXPECT_EQ(c.commands(), Lines{"QUIT"});
    c.says("221 bye");
    ASSERT_TRUE(c.done);
    EXPECT_TRUE(c.done->ok());
    EXPECT_TRUE(c.done->already_complete);
    EXPECT_TRUE(c.connects.empty());
}

TEST(FtpClientSession, GetResumeLocalLarger) {
    FtpClientConfig config = get_config();
    config.resume = true;
    config.local_size = 12;
    Client c(config);
    c.log_in();
    c.says("200 ok");
    c.says("213 11");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::local);
    EXPECT_NE(c.done->problem.find("nothing to resume"), std::string::npos);
}

TEST(FtpClientSession, GetResumeFromZeroSendsNoRest) {
    FtpClientConfig config = get_config();
    config.resume = true;
    config.local_size = 0;
    Client c(config);
    c.log_in();
    c.says("200 ok");
    c.says("213 11");
    c.passive();
    EXPECT_EQ(c.commands(), Lines{"RETR pub/file.bin"});
}

TEST(FtpClientSession, PutUploadsWithStor) {
    Client c(put_config(10));
    c.log_in();
    EXPECT_EQ(c.commands(), Lines{"TYPE I"});
    c.says("200 ok");
    c.passive();  // no SIZE without --continue
    EXPECT_EQ(c.commands(), Lines{"STOR incoming/up.bin"});
    c.says("150 Ok to send data.");
    ASSERT_EQ(c.transfers.size(), 1u);
    EXPECT_EQ(c.transfers[0].direction, FtpClientDirection::upload);
    EXPECT_EQ(c.transfers[0].offset, 0u);
    EXPECT_EQ(c.transfers[0].total, 10u);
    c.session.data_finished(10);
    c.drain();
    c.says("226 Transfer complete.");
    c.says("221 bye");
    ASSERT_TRUE(c.done);
    EXPECT_TRUE(c.done->ok()) << c.done->problem;
}

TEST(FtpClientSession, PutResumesWithAppe) {
    Client c(put_config(10, true));
    c.log_in();
    c.says("200 ok");
    EXPECT_EQ(c.commands(), (Lines{"TYPE I", "SIZE incoming/up.bin"}));
    c.says("213 4");
    c.passive();
    EXPECT_EQ(c.commands(), Lines{"APPE incoming/up.bin"});
    c.says("150 Ok to send data.");
    ASSERT_EQ(c.transfers.size(), 1u);
    EXPECT_EQ(c.transfers[0].offset, 4u);
    EXPECT_EQ(c.transfers[0].total, 10u);
}

TEST(FtpClientSession, PutResumeFallsBackToRestAndStor) {
    Client c(put_config(10, true));
    c.log_in();
    c.says("200 ok");
    c.says("213 4");
    c.passive();
    EXPECT_EQ(c.commands(), Lines{"APPE incoming/up.bin"});
    c.says("502 APPE not implemented.");
    EXPECT_EQ(c.commands(), Lines{"REST 4"});
    c.says("350 Restarting at 4.");
    EXPECT_EQ(c.commands(), Lines{"STOR incoming/up.bin"});
    c.says("150 ok");
    ASSERT_EQ(c.transfers.size(), 1u);
    EXPECT_EQ(c.transfers[0].offset, 4u);
}

TEST(FtpClientSession, PutResumeOfANewFileStartsAtZero) {
    Client c(put_config(0, true));
    c.log_in();
    c.says("200 ok");
    c.says("550 Could not get file size.");
    c.passive();
    EXPECT_EQ(c.commands(), Lines{"STOR incoming/up.bin"});
}

TEST(FtpClientSession, PutResumeAlreadyCompleteAndLarger) {
    {
        Client c(put_config(10, true));
        c.log_in();
        c.says("200 ok");
        c.commands();
        c.says("213 10");
        EXPECT_EQ(c.commands(), Lines{"QUIT"});
        c.session.timed_out();  // an unanswered QUIT does not matter
        c.drain();
        ASSERT_TRUE(c.done);
        EXPECT_TRUE(c.done->ok());
        EXPECT_TRUE(c.done->already_complete);
    }
    Client c(put_config(10, true));
    c.log_in();
    c.says("200 ok");
    c.says("213 20");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::local);
}

TEST(FtpClientSession, PutResumeNeedsSize) {
    Client c(put_config(10, true));
    c.log_in();
    c.says("200 ok");
    c.says("502 SIZE not implemented.");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::server);
    EXPECT_NE(c.done->problem.find("--continue"), std::string::npos);
}

TEST(FtpClientSession, Stor553) {
    Client c(put_config(10));
    c.log_in();
    c.says("200 ok");
    c.passive();
    c.says("553 Could not create file.");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::server);
    EXPECT_NE(c.done->problem.find("not allowed"), std::string::npos);
}

// --- listings and file commands ------------------------------------------------------------

TEST(FtpClientSession, ListingVerbs) {
    const std::pair<FtpListing, const char*> cases[] = {
        {FtpListing::list, "LIST"}, {FtpListing::names, "NLST"}, {FtpListing::machine, "MLSD"}};
    for (const auto& [listing, verb] : cases) {
        FtpClientConfig config;
        config.listing = listing;
        Client c(config);
        c.log_in();
        EXPECT_EQ(c.commands(), Lines{"TYPE A"});
        c.says("200 ok");
        c.passive();
        EXPECT_EQ(c.commands(), Lines{verb});  // no path: the login directory
        c.says("150 Here comes the directory listing.");
        ASSERT_EQ(c.transfers.size(), 1u);
        EXPECT_TRUE(c.transfers[0].ascii);
        EXPECT_EQ(c.transfers[0].direction, FtpClientDirection::download);
        c.session.data_finished(100);
        c.drain();
        c.says("226 Directory send OK.");
        c.says("221 bye");
        ASSERT_TRUE(c.done);
        EXPECT_TRUE(c.done->ok()) << c.done->problem;
    }
}

TEST(FtpClientSession, ListingOfAPathAndMlsdUnknown) {
    FtpClientConfig config;
    config.listing = FtpListing::machine;
    config.path = "pub";
    Client c(config);
    c.log_in();
    c.says("200 ok");
    c.passive();
    EXPECT_EQ(c.commands(), Lines{"MLSD pub"});
    c.says("500 Unknown command.");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::server);
    EXPECT_NE(c.done->problem.find("MLSD"), std::string::npos);
}

TEST(FtpClientSession, MkdirAndRm) {
    struct Case {
        FtpOperation op;
        bool dir;
        const char* command;
        const char* ok;
    };
    for (const Case& k :
         {Case{FtpOperation::mkdir, false, "MKD new dir", "257 \"/new dir\" created"},
          Case{FtpOperation::remove, false, "DELE new dir", "250 Delete operation successful."},
          Case{FtpOperation::remove, true, "RMD new dir",
               "250 Remove directory operation successful."}}) {
        FtpClientConfig config;
        config.operation = k.op;
        config.remove_directory = k.dir;
        config.path = "new dir";
        Client c(config);
        c.log_in();
        EXPECT_EQ(c.commands(), Lines{k.command});
        c.says(k.ok);
        EXPECT_EQ(c.commands(), Lines{"QUIT"});
        c.says("221 bye");
        ASSERT_TRUE(c.done);
        EXPECT_TRUE(c.done->ok()) << c.done->problem;
        EXPECT_FALSE(c.done->transfer_done);
    }
}

TEST(FtpClientSession, Dele550) {
    FtpClientConfig config;
    config.operation = FtpOperation::remove;
    config.path = "nope";
    Client c(config);
    c.log_in();
    c.commands();
    c.says("550 Delete operation failed.");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::server);
    EXPECT_EQ(c.done->problem.substr(0, 17), "DELE nope failed:");
    EXPECT_EQ(c.commands(), Lines{"QUIT"});
}

// --- the connection's end, limits, odd servers ---------------------------------------------

TEST(FtpClientSession, ClosedMidDialogue) {
    Client c(get_config());
    c.log_in();
    c.session.receive({});
    c.drain();
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::closed);
    EXPECT_NE(c.done->problem.find("TYPE I"), std::string::npos);
}

TEST(FtpClientSession, ClosedBeforeTheGreeting) {
    Client c(get_config());
    c.session.receive({});
    c.drain();
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::closed);
}

TEST(FtpClientSession, TimeoutEndsWithoutQuit) {
    Client c(get_config());
    c.log_in();
    c.commands();
    c.session.timed_out();
    c.drain();
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::timeout);
    EXPECT_NE(c.done->problem.find("TYPE I"), std::string::npos);
    EXPECT_TRUE(c.commands().empty());
}

TEST(FtpClientSession, Reply421MidSession) {
    Client c(get_config());
    c.log_in();
    c.commands();
    c.says("421 Timeout.");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::closed);
    EXPECT_TRUE(c.commands().empty());
}

TEST(FtpClientSession, GarbageIsAProtocolFailure) {
    Client c(get_config());
    c.says("SSH-2.0-OpenSSH_9.2");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::protocol);
    EXPECT_TRUE(c.commands().empty());
}

TEST(FtpClientSession, OverlongLineIsAProtocolFailure) {
    FtpClientConfig config = get_config();
    config.limits.max_line = 100;
    Client c(config);
    c.says("220 " + std::string(200, 'x'));
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::protocol);
}

TEST(FtpClientSession, EndlessPreliminaryRepliesAreBounded) {
    FtpClientConfig config = get_config();
    config.max_preliminary = 3;
    Client c(config);
    for (int i = 0; i < 3; ++i) {
        c.says("120 soon");
        EXPECT_FALSE(c.done);
    }
    c.says("120 soon");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::protocol);
}

TEST(FtpClientSession, ArgumentsCannotAddCommands) {
    FtpClientConfig config = get_config("a\r\nDELE b\xff");
    Client c(config);
    c.log_in();
    c.commands();
    c.says("200 ok");
    EXPECT_EQ(c.commands(), Lines{"SIZE a  DELE b\xff\xff"});
}

TEST(FtpClientSession, NothingAfterTheDone) {
    Client c(get_config());
    c.says("421 go away");
    ASSERT_TRUE(c.done);
    c.session.receive("220 hello again\r\n");
    c.session.data_finished(3);
    c.session.timed_out();
    EXPECT_FALSE(c.session.next_event());
}

TEST(FtpClientSession, AGarbledGoodbyeIsStillASuccess) {
    FtpClientConfig config;
    config.operation = FtpOperation::mkdir;
    config.path = "d";
    Client c(config);
    c.log_in();
    c.says("257 \"/d\" created");
    EXPECT_EQ(c.last_command(), "QUIT");
    c.says("22- Bye.");
    ASSERT_TRUE(c.done);
    EXPECT_TRUE(c.done->ok()) << c.done->problem;
}

// --- TLS (RFC 4217) ------------------------------------------------------------------------

namespace {

FtpClientConfig tls_get_config() {
    FtpClientConfig c = get_config();
    c.tls = true;
    return c;
}

}  // namespace

TEST(FtpClientSession, TlsBeforeTheLogInThenProtectedData) {
    Client c(tls_get_config());
    c.says("220 ready");
    EXPECT_EQ(c.commands(), Lines{"AUTH TLS"});
    c.says("234 Proceed with negotiation.");
    EXPECT_EQ(c.handshakes, 1);
    EXPECT_EQ(c.commands(), Lines{}) << "nothing before the handshake";
    c.session.tls_ready();
    c.drain();
    EXPECT_EQ(c.commands(), Lines{"USER anonymous"});
    c.says("331 Please specify the password.");
    EXPECT_EQ(c.commands(), Lines{"PASS anonymous@"});
    c.says("230 Login successful.");
    EXPECT_EQ(c.commands(), Lines{"PBSZ 0"});
    c.says("200 PBSZ set to 0.");
    EXPECT_EQ(c.commands(), Lines{"PROT P"});
    c.says("200 PROT now Private.");
    EXPECT_EQ(c.commands(), Lines{"TYPE I"});
    c.says("200 Switching to Binary mode.");
    EXPECT_EQ(c.commands(), Lines{"SIZE pub/file.bin"});
    c.says("213 10");
    c.passive();
    EXPECT_EQ(c.last_command(), "RETR pub/file.bin");
    c.says("150 Opening BINARY mode data connection.");
    ASSERT_EQ(c.transfers.size(), 1U);
    EXPECT_TRUE(c.transfers[0].protect);
}

TEST(FtpClientSession, ARefusedAuthEndsTheSessionWithoutTheLogIn) {
    Client c(tls_get_config());
    c.says("220 ready");
    c.commands();
    c.says("502 AUTH not available");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::tls);
    EXPECT_NE(c.done->problem.find("502"), std::string::npos) << c.done->problem;
    EXPECT_EQ(c.commands(), Lines{"QUIT"}) << "no USER, no PASS in clear";
}

TEST(FtpClientSession, AFailedHandshakeEndsTheSession) {
    Client c(tls_get_config());
    c.says("220 ready");
    c.says("234 ok");
    c.commands();
    c.session.tls_failed("TLS handshake failed: certificate verify failed");
    c.drain();
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::tls);
    EXPECT_EQ(c.commands(), Lines{}) << "no QUIT on a broken connection";
}

TEST(FtpClientSession, RepliesBehindThe234AreNotTrusted) {
    Client c(tls_get_config());
    c.says("220 ready");
    // A man in the middle appends a reply in clear behind the 234.
    c.says("234 ok\r\n230 Login successful.");
    c.commands();
    c.session.tls_ready();
    c.drain();
    EXPECT_EQ(c.commands(), Lines{"USER anonymous"});
    c.says("331 Please specify the password.");
    EXPECT_EQ(c.commands(), Lines{"PASS anonymous@"}) << "the injected 230 was dropped";
}

TEST(FtpClientSession, ARefusedProtEndsTheSession) {
    Client c(tls_get_config());
    c.says("220 ready");
    c.says("234 ok");
    c.session.tls_ready();
    c.drain();
    c.says("331 password");
    c.says("230 in");
    c.says("200 PBSZ=0");
    c.commands();
    c.says("536 PROT P not supported");
    ASSERT_TRUE(c.done);
    EXPECT_EQ(c.done->failure, FtpClientFailure::tls);
    EXPECT_NE(c.done->problem.find("PROT P"), std::string::npos) << c.done->problem;
}
