// FTP command lines (RFC 959 4.1, 5.3), Telnet commands in the control stream, and the
// data connection addresses both ways: PORT and the 227 text (RFC 959), EPRT and the 229
// text (RFC 2428).

#include <gtest/gtest.h>

#include <string>

#include "ftp/command.hpp"

using namespace l7::ftp;

namespace {

// ---- parse_command --------------------------------------------------------------------

TEST(FtpParseCommand, VerbAndArgument) {
    auto c = parse_command("RETR file.txt");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->verb, "RETR");
    EXPECT_EQ(c->argument, "file.txt");
}

TEST(FtpParseCommand, VerbIsUppercased) {
    auto c = parse_command("cwd Dir");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->verb, "CWD");
    EXPECT_EQ(c->argument, "Dir");
}

TEST(FtpParseCommand, NoArgument) {
    auto c = parse_command("PWD");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->verb, "PWD");
    EXPECT_EQ(c->argument, "");
    auto t = parse_command("NOOP ");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->argument, "");
}

TEST(FtpParseCommand, ArgumentKeepsSpaces) {
    auto c = parse_command("STOR my file.txt ");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->argument, "my file.txt ");
    auto d = parse_command("STOR  leading");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->argument, " leading");
}

TEST(FtpParseCommand, Rejected) {
    for (const char* bad : {"", "AB", "ABCDE", "ABCDE x", "RE1R x", "RETR\tx", "1234", " RETR x",
                            "RETR-x", "\xc3\xa9t\xc3\xa9"}) {
        EXPECT_FALSE(parse_command(bad)) << bad;
    }
}

// ---- strip_telnet ---------------------------------------------------------------------

TEST(FtpStripTelnet, PlainLineUnchanged) {
    EXPECT_EQ(strip_telnet("RETR a b"), "RETR a b");
    EXPECT_EQ(strip_telnet(""), "");
}

TEST(FtpStripTelnet, InterruptAndSynchBeforeAbor) {
    // IAC IP, IAC DM: what a client sends before ABOR (RFC 959 4.1.3).
    EXPECT_EQ(strip_telnet("\xff\xf4\xff\xf2"
                           "ABOR"),
              "ABOR");
    EXPECT_EQ(strip_telnet("\xff\xf4\xf2"
                           "ABOR"),
              "\xf2"
              "ABOR");  // DM without IAC stays
}

TEST(FtpStripTelnet, DoubledIacIsOneByte) {
    EXPECT_EQ(strip_telnet("STOR a\xff\xff"
                           "b"),
              "STOR a\xff"
              "b");
}

TEST(FtpStripTelnet, OptionNegotiationAndSubnegotiation) {
    EXPECT_EQ(strip_telnet("\xff\xfb\x01NOOP"), "NOOP");                 // WILL ECHO
    EXPECT_EQ(strip_telnet("\xff\xfe\x03NOOP"), "NOOP");                 // DONT SGA
    EXPECT_EQ(strip_telnet("\xff\xfa\x18\x01xyz\xff\xf0NOOP"), "NOOP");  // SB ... SE
    EXPECT_EQ(strip_telnet("NO\xff\xf1OP"), "NOOP");                     // NOP
}

TEST(FtpStripTelnet, TruncatedSequences) {
    EXPECT_EQ(strip_telnet("NOOP\xff"), "NOOP");
    EXPECT_EQ(strip_telnet("NOOP\xff\xfb"), "NOOP");
    EXPECT_EQ(strip_telnet("NOOP\xff\xfa\x18\x01"), "NOOP");
}

// ---- PORT -----------------------------------------------------------------------------

TEST(FtpPort, Parse) {
    auto hp = parse_port_argument("192,0,2,1,19,136");
    ASSERT_TRUE(hp);
    EXPECT_EQ(hp->address, "192.0.2.1");
    EXPECT_EQ(hp->port, 19 * 256 + 136);
    auto z = parse_port_argument("0,0,0,0,255,255");
    ASSERT_TRUE(z);
    EXPECT_EQ(z->port, 65535);
    EXPECT_EQ(z->address, "0.0.0.0");
}

TEST(FtpPort, ParseRejects) {
    for (const char* bad : {"", "1,2,3,4,5", "1,2,3,4,5,6,7", "1,2,3,4,5,6,", ",1,2,3,4,5,6",
                            "256,0,0,1,1,1", "1,2,3,4,5,256", "1,2,3,4,5, 6", "1,2,3,4,5,-6",
                            "a,b,c,d,e,f", "1,,3,4,5,6", "1.2.3.4,5,6", "1,2,3,4,5,6 "}) {
        EXPECT_FALSE(parse_port_argument(bad)) << bad;
    }
}

TEST(FtpPort, Format) {
    EXPECT_EQ(format_port_argument({"192.0.2.1", 5000}), "192,0,2,1,19,136");
    EXPECT_EQ(format_port_argument({"127.0.0.1", 255}), "127,0,0,1,0,255");
    EXPECT_FALSE(format_port_argument({"::1", 5000}));
    EXPECT_FALSE(format_port_argument({"example.com", 5000}));
}

TEST(FtpPort, RoundTrip) {
    for (std::uint16_t port : {1, 255, 256, 1024, 40001, 65535}) {
        const FtpHostPort hp{"10.1.2.3", port};
        auto text = format_port_argument(hp);
        ASSERT_TRUE(text);
        EXPECT_EQ(parse_port_argument(*text), hp);
    }
}

// ---- EPRT -----------------------------------------------------------------------------

TEST(FtpEprt, ParseIpv4AndIpv6) {
    auto v4 = parse_eprt_argument("|1|132.235.1.2|6275|");
    ASSERT_TRUE(v4);
    EXPECT_EQ(*v4, (FtpHostPort{"132.235.1.2", 6275}));
    auto v6 = parse_eprt_argument("|2|1080::8:800:200C:417A|5282|");
    ASSERT_TRUE(v6);
    EXPECT_EQ(*v6, (FtpHostPort{"1080::8:800:200C:417A", 5282}));
    // Any delimiter from 33 to 126.
    auto bang = parse_eprt_argument("!2!::1!5282!");
    ASSERT_TRUE(bang);
    EXPECT_EQ(*bang, (FtpHostPort{"::1", 5282}));
}

TEST(FtpEprt, ParseRejects) {
    for (const char* bad :
         {"", "|1|1.2.3.4|", "|1|1.2.3.4|0|", "|1|1.2.3.4|65536|", "|1|::1|5000|",
          "|2|1.2.3.4|5000|", "|3|1.2.3.4|5000|", "|1|1.2.3.4|5000", "|1|1.2.3.4|5000!",
          " 1 1.2.3.4 5000 ", "|1|1.2.3.4|5000|x|", "|1|host.example|5000|", "|1|1.2.3.4|x|",
          "|1|1.2.3.4|-1|", "|1||5000|"}) {
        EXPECT_FALSE(parse_eprt_argument(bad)) << bad;
    }
}

TEST(FtpEprt, FormatAndRoundTrip) {
    EXPECT_EQ(format_eprt_argument({"192.0.2.1", 6275}), "|1|192.0.2.1|6275|");
    EXPECT_EQ(format_eprt_argument({"::1", 5282}), "|2|::1|5282|");
    for (const FtpHostPort& hp : {FtpHostPort{"127.0.0.1", 1}, FtpHostPort{"2001:db8::7", 65535}}) {
        EXPECT_EQ(parse_eprt_argument(format_eprt_argument(hp)), hp);
    }
}

// ---- PASV (227) -----------------------------------------------------------------------

TEST(FtpPasv, Format) {
    EXPECT_EQ(format_pasv_text({"192.0.2.1", 5000}), "Entering Passive Mode (192,0,2,1,19,136).");
    EXPECT_FALSE(format_pasv_text({"::1", 5000}));
}

TEST(FtpPasv, ParseVariants) {
    const FtpHostPort want{"192.0.2.1", 5000};
    EXPECT_EQ(parse_pasv_text("Entering Passive Mode (192,0,2,1,19,136)."), want);
    EXPECT_EQ(parse_pasv_text("Entering Passive Mode 192,0,2,1,19,136"), want);
    EXPECT_EQ(parse_pasv_text("=192,0,2,1,19,136"), want);
    // Other numbers before the six are skipped (RFC 1123 4.1.2.6: scan for them).
    EXPECT_EQ(parse_pasv_text("Mode 2 ok (192,0,2,1,19,136)"), want);
    EXPECT_EQ(parse_pasv_text("1,2,3 then (192,0,2,1,19,136)"), want);
}

TEST(FtpPasv, ParseRejects) {
    for (const char* bad : {"", "Entering Passive Mode", "(192,0,2,1,19)", "(192,0,2,1,19,136,7)",
                            "(300,0,2,1,19,136)", "(192,0,2,1,19,1366)"}) {
        EXPECT_FALSE(parse_pasv_text(bad)) << bad;
    }
}

TEST(FtpPasv, RoundTrip) {
    const FtpHostPort hp{"10.0.0.254", 65535};
    auto text = format_pasv_text(hp);
    ASSERT_TRUE(text);
    EXPECT_EQ(parse_pasv_text(*text), hp);
}

// ---- EPSV (229) -----------------------------------------------------------------------

TEST(FtpEpsv, FormatAndParse) {
    EXPECT_EQ(format_epsv_text(6446), "Entering Extended Passive Mode (|||6446|)");
    EXPECT_EQ(parse_epsv_text("Entering Extended Passive Mode (|||6446|)"), 6446);
    EXPECT_EQ(parse_epsv_text("(!!!1!)"), 1);
    EXPECT_EQ(parse_epsv_text("Extended mode (|||65535|) ok"), 65535);
    for (std::uint16_t port : {1, 1024, 40000, 65535}) {
        EXPECT_EQ(parse_epsv_text(format_epsv_text(port)), port);
    }
}

TEST(FtpEpsv, ParseRejects) {
    for (const char* bad :
         {"", "no parens", "(|||6446|", "|||6446|)", "()", "(|||0|)", "(|||65536|)", "(||6446|)",
          "(|1||6446|)", "(|||6446!)", "(|||x|)", "( || 1|)", "(|||-1|)"}) {
        EXPECT_FALSE(parse_epsv_text(bad)) << bad;
    }
}

}  // namespace
