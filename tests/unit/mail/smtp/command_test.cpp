// Reading SMTP command lines (RFC 5321 4.1.1, 4.1.2) and MAIL parameters (RFC 1870, 6152,
// 6531, 4954).

#include "mail/smtp/command.hpp"

#include <gtest/gtest.h>

namespace l7::mail {
namespace {

SmtpCommand parse_ok(std::string_view line) {
    auto r = parse_smtp_command(line);
    EXPECT_TRUE(r.ok()) << line << " -> " << (r.ok() ? "" : format_reply(r.error()));
    return r.ok() ? *r : SmtpCommand{};
}

// The code and enhanced status of the refusal, as "501 5.1.3".
std::string refusal(std::string_view line) {
    auto r = parse_smtp_command(line);
    if (r.ok()) {
        return "accepted";
    }
    const auto& e = r.error();
    return std::to_string(e.code) + (e.status ? " " + format_enhanced_status(*e.status) : "");
}

TEST(SmtpCommand, VerbsAreCaseInsensitive) {
    struct Case {
        std::string_view line;
        SmtpVerb verb;
    };
    const Case cases[] = {
        {"EHLO client.example", SmtpVerb::ehlo},
        {"ehlo client.example", SmtpVerb::ehlo},
        {"HeLo client.example", SmtpVerb::helo},
        {"MAIL FROM:<a@b.example>", SmtpVerb::mail},
        {"rcpt to:<a@b.example>", SmtpVerb::rcpt},
        {"DATA", SmtpVerb::data},
        {"data", SmtpVerb::data},
        {"RSET", SmtpVerb::rset},
        {"NOOP", SmtpVerb::noop},
        {"QUIT", SmtpVerb::quit},
        {"VRFY bob", SmtpVerb::vrfy},
        {"EXPN staff", SmtpVerb::expn},
        {"HELP", SmtpVerb::help},
        {"AUTH PLAIN", SmtpVerb::auth},
        {"STARTTLS", SmtpVerb::starttls},
        {"BDAT 100 LAST", SmtpVerb::bdat},
        {"TURN", SmtpVerb::not_implemented},
        {"ETRN example.org", SmtpVerb::not_implemented},
        {"SEND FROM:<a@b.example>", SmtpVerb::not_implemented},
        {"GET / HTTP/1.1", SmtpVerb::http},
        {"POST /form HTTP/1.1", SmtpVerb::http},
        {"CONNECT mx.example:25 HTTP/1.1", SmtpVerb::http},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(parse_ok(c.line).verb, c.verb) << c.line;
        EXPECT_EQ(smtp_verb_of(c.line), c.verb) << c.line;
    }
}

TEST(SmtpCommand, UnknownCommandsAre500) {
    for (std::string_view line : {"", "XYZZY", "MAILFROM:<a@b.example>", " MAIL FROM:<>",
                                  "EHLOclient", "\x01\x02", "DATA\tx", "ÉHLO x"}) {
        EXPECT_EQ(refusal(line), "500 5.5.2") << line;
    }
    EXPECT_FALSE(smtp_verb_of("XYZZY"));
}

TEST(SmtpCommand, HelloNames) {
    EXPECT_EQ(parse_ok("EHLO client.example").argument, "client.example");
    EXPECT_EQ(parse_ok("HELO [192.0.2.1]").argument, "[192.0.2.1]");
    EXPECT_EQ(parse_ok("EHLO [IPv6:2001:db8::1]").argument, "[IPv6:2001:db8::1]");
    EXPECT_EQ(parse_ok("EHLO 192.0.2.1").argument, "192.0.2.1");  // bare, as some send
    EXPECT_EQ(parse_ok("EHLO my_pc.local").argument, "my_pc.local");
    EXPECT_EQ(parse_ok("EHLO client.example  ").argument, "client.example");
    for (std::string_view line : {"EHLO", "EHLO ", "HELO two words", "EHLO a(b)", "EHLO []",
                                  "EHLO [1.2.3.4", "EHLO cli\xc3\xa9nt", "EHLO a\tb"}) {
        EXPECT_EQ(refusal(line), "501 5.5.4") << line;
    }
    EXPECT_EQ(refusal("EHLO " + std::string(256, 'a')), "501 5.5.4");
    EXPECT_EQ(refusal("EHLO " + std::string(255, 'a')), "accepted");
}

TEST(SmtpCommand, ReversePaths) {
    struct Case {
        std::string_view line;
        std::string_view mailbox;
    };
    const Case cases[] = {
        {"MAIL FROM:<>", ""},
        {"MAIL FROM:<alice@example.org>", "alice@example.org"},
        {"mail from:<Alice.Smith+tag@Example.ORG>", "Alice.Smith+tag@Example.ORG"},
        {"MAIL FROM: <alice@example.org>", "alice@example.org"},  // a space after the colon
        {"MAIL FROM:<@relay.example:alice@example.org>", "alice@example.org"},
        {"MAIL FROM:<@a.example,@b.example:alice@example.org>", "alice@example.org"},
        {"MAIL FROM:<\"alice smith\"@example.org>", "\"alice smith\"@example.org"},
        {"MAIL FROM:<\"a\\\"b\\\\c\"@example.org>", "\"a\\\"b\\\\c\"@example.org"},
        {"MAIL FROM:<\"\"@example.org>", "\"\"@example.org"},
        {"MAIL FROM:<a@[192.0.2.1]>", "a@[192.0.2.1]"},
        {"MAIL FROM:<a@[IPv6:2001:db8::1]>", "a@[IPv6:2001:db8::1]"},
        {"MAIL FROM:<a@[ipv6:::ffff:192.0.2.1]>", "a@[ipv6:::ffff:192.0.2.1]"},
        {"MAIL FROM:<a@[IPv6:1:2:3:4:5:6:7:8]>", "a@[IPv6:1:2:3:4:5:6:7:8]"},
        {"MAIL FROM:<a@[IPv6:1:2:3:4:5:6:192.0.2.1]>", "a@[IPv6:1:2:3:4:5:6:192.0.2.1]"},
        {"MAIL FROM:<a@[IPv6:::]>", "a@[IPv6:::]"},
        {"MAIL FROM:<!#$%&'*+-/=?^_`{|}~@x-1.example>", "!#$%&'*+-/=?^_`{|}~@x-1.example"},
        {"MAIL FROM:<a@b>", "a@b"},
        {"MAIL FROM:<a@3com.example>", "a@3com.example"},
    };
    for (const auto& c : cases) {
        const SmtpCommand cmd = parse_ok(c.line);
        EXPECT_EQ(cmd.path.mailbox, c.mailbox) << c.line;
        EXPECT_FALSE(cmd.path.non_ascii) << c.line;
        EXPECT_TRUE(cmd.parameters.empty()) << c.line;
    }
}

TEST(SmtpCommand, MalformedReversePaths) {
    for (std::string_view line : {
             "MAIL FROM:alice@example.org",   // no brackets
             "MAIL FROM:<alice@example.org",  // no closing bracket
             "MAIL FROM:<alice>",             // no domain
             "MAIL FROM:<postmaster>",        // only RCPT may omit the domain
             "MAIL FROM:<@example.org>",      // no local part
             "MAIL FROM:<alice@>",            //
             "MAIL FROM:<a..b@example.org>",  // empty atom
             "MAIL FROM:<.a@example.org>",    //
             "MAIL FROM:<a.@example.org>",    //
             "MAIL FROM:<a b@example.org>",   //
             "MAIL FROM:<a@example..org>",    // empty label
             "MAIL FROM:<a@example.org.>",    //
             "MAIL FROM:<a@-example.org>",    // a label starting or ending with '-'
             "MAIL FROM:<a@example-.org>",    //
             "MAIL FROM:<a@exa_mple.org>",    //
             "MAIL FROM:<a@b@example.org>",   //
             "MAIL FROM:<\"unterminated@example.org>",
             "MAIL FROM:<\"a\x01\"@example.org>",   // a control in a quoted string
             "MAIL FROM:<a@[256.0.0.1]>",           // address literals
             "MAIL FROM:<a@[1.2.3]>",               //
             "MAIL FROM:<a@[1.2.3.4.5]>",           //
             "MAIL FROM:<a@[0001.2.3.4]>",          //
             "MAIL FROM:<a@[IPv6:1::2::3]>",        //
             "MAIL FROM:<a@[IPv6:1:2:3:4:5:6:7]>",  //
             "MAIL FROM:<a@[IPv6:1:2:3:4:5:6:7:8:9]>",
             "MAIL FROM:<a@[IPv6:1:2:3::4:5:6:7]>",  // "::" for fewer than two groups
             "MAIL FROM:<a@[IPv6:12345::1]>",        //
             "MAIL FROM:<a@[IPv6:1.2.3.4::1]>",      //
             "MAIL FROM:<a@[IPv6:g::1]>",            //
             "MAIL FROM:<a@[x-tag:stuff]>",          // no registered general literal
             "MAIL FROM:<a@[1.2.3.4]x>",             //
             "MAIL FROM:<@relay.example>",           // a route without a mailbox
             "MAIL FROM:<@relay.example,alice@example.org>",
             "MAIL FROM:<>x",                         // no space before parameters
             "MAIL FROM:<a@b.example>x",              //
             "MAIL FROM:<<a@b.example>>",             //
             "MAIL FROM:<a\xff@example.org>",         // not UTF-8
             "MAIL FROM:<a\xc3@example.org>",         // cut short
             "MAIL FROM:<\xc0\xaf@example.org>",      // overlong
             "MAIL FROM:<\xed\xa0\x80@example.org>",  // a surrogate
         }) {
        EXPECT_EQ(refusal(line), "501 5.1.7") << line;
    }
    EXPECT_EQ(refusal("MAIL FROM <a@b.example>"), "501 5.5.4");
    EXPECT_EQ(refusal("MAIL TO:<a@b.example>"), "501 5.5.4");
    EXPECT_EQ(refusal("MAIL"), "501 5.5.4");
}

TEST(SmtpCommand, ForwardPaths) {
    EXPECT_EQ(parse_ok("RCPT TO:<bob@example.org>").path.mailbox, "bob@example.org");
    EXPECT_EQ(parse_ok("RCPT TO:<postmaster>").path.mailbox, "postmaster");
    EXPECT_EQ(parse_ok("RCPT TO:<PostMaster>").path.mailbox, "PostMaster");
    EXPECT_EQ(parse_ok("RCPT TO:<postmaster@example.org>").path.mailbox, "postmaster@example.org");
    EXPECT_EQ(parse_ok("RCPT TO:<@hosta.int,@jkl.org:userc@d.bar.org>").path.mailbox,
              "userc@d.bar.org");  // RFC 5321 appendix C's example
    EXPECT_EQ(refusal("RCPT TO:<>"), "501 5.1.3");
    EXPECT_EQ(refusal("RCPT TO:<postmasterx>"), "501 5.1.3");
    EXPECT_EQ(refusal("RCPT TO:bob@example.org"), "501 5.1.3");
    EXPECT_EQ(refusal("RCPT FROM:<bob@example.org>"), "501 5.5.4");
    EXPECT_EQ(refusal("RCPT TO:"), "501 5.1.3");
}

TEST(SmtpCommand, Utf8AddressesAreMarked) {
    const SmtpCommand a = parse_ok("RCPT TO:<j\xc3\xb6rg@example.org>");
    EXPECT_EQ(a.path.mailbox, "j\xc3\xb6rg@example.org");
    EXPECT_TRUE(a.path.non_ascii);
    const SmtpCommand b = parse_ok("RCPT TO:<info@\xe4\xbe\x8b\xe3\x81\x88.jp>");
    EXPECT_TRUE(b.path.non_ascii);
    const SmtpCommand c = parse_ok("RCPT TO:<\"\xf0\x9f\x98\x80 x\"@example.org>");
    EXPECT_TRUE(c.path.non_ascii);
    // Only the mailbox counts: a source route is dropped with whatever it held.
    const SmtpCommand d = parse_ok("RCPT TO:<@r\xc3\xa9lai.example:bob@example.org>");
    EXPECT_FALSE(d.path.non_ascii);
}

TEST(SmtpCommand, PathLengthLimits) {
    // 4.5.3.1.3: a path is at most 256 octets, brackets included.
    const std::string local(64, 'l');
    const std::string domain = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                               std::string(57, 'c') + ".example";  // 63+1+63+1+57+8 = 193
    const std::string mailbox = local + "@" + domain;              // 258
    ASSERT_EQ(mailbox.size(), 258u);
    EXPECT_EQ(refusal("RCPT TO:<" + mailbox + ">"), "501 5.1.3");
    const std::string shorter = mailbox.substr(4);  // 254 + 2 brackets
    EXPECT_EQ(refusal("RCPT TO:<" + shorter + ">"), "accepted");
    // A label is at most 63 octets.
    EXPECT_EQ(refusal("RCPT TO:<a@" + std::string(64, 'x') + ".example>"), "501 5.1.3");
    EXPECT_EQ(refusal("RCPT TO:<a@" + std::string(63, 'x') + ".example>"), "accepted");
}

TEST(SmtpCommand, Parameters) {
    const SmtpCommand cmd =
        parse_ok("MAIL FROM:<a@b.example> size=1000 BODY=8BITMIME  SMTPUTF8 AUTH=<>");
    ASSERT_EQ(cmd.parameters.size(), 4u);
    EXPECT_EQ(cmd.parameters[0], (SmtpParameter{"SIZE", "1000"}));
    EXPECT_EQ(cmd.parameters[1], (SmtpParameter{"BODY", "8BITMIME"}));
    EXPECT_EQ(cmd.parameters[2], (SmtpParameter{"SMTPUTF8", std::nullopt}));
    EXPECT_EQ(cmd.parameters[3], (SmtpParameter{"AUTH", "<>"}));
    EXPECT_EQ(parse_ok("MAIL FROM:<> X-FOO=a+20b").parameters[0],
              (SmtpParameter{"X-FOO", "a+20b"}));
    EXPECT_EQ(parse_ok("RCPT TO:<a@b.example> NOTIFY=NEVER").parameters.size(), 1u);
    for (std::string_view line :
         {"MAIL FROM:<> SIZE=", "MAIL FROM:<> =1", "MAIL FROM:<> -X=1", "MAIL FROM:<> A_B=1",
          "MAIL FROM:<> SIZE=1=2", "MAIL FROM:<> SIZE=1 size=2", "MAIL FROM:<> X=\x01",
          "MAIL FROM:<> X=\xff"}) {
        EXPECT_EQ(refusal(line), "501 5.5.4") << line;
    }
}

TEST(SmtpCommand, CommandsWithoutArguments) {
    for (std::string_view line : {"DATA", "RSET", "QUIT", "STARTTLS", "DATA  ", "quit "}) {
        EXPECT_EQ(refusal(line), "accepted") << line;
    }
    for (std::string_view line : {"DATA x", "RSET now", "QUIT please", "STARTTLS x"}) {
        EXPECT_EQ(refusal(line), "501 5.5.4") << line;
    }
}

TEST(SmtpCommand, CommandsWithStringArguments) {
    EXPECT_EQ(parse_ok("NOOP").argument, "");
    EXPECT_EQ(parse_ok("NOOP anything at all").argument, "anything at all");
    EXPECT_EQ(parse_ok("HELP MAIL").argument, "MAIL");
    EXPECT_EQ(parse_ok("VRFY Smith").argument, "Smith");
    EXPECT_EQ(refusal("VRFY"), "501 5.5.4");
    EXPECT_EQ(refusal("EXPN"), "501 5.5.4");
}

TEST(SmtpCommand, Auth) {
    const SmtpCommand a = parse_ok("AUTH plain");
    EXPECT_EQ(a.argument, "PLAIN");
    EXPECT_FALSE(a.initial_response);
    const SmtpCommand b = parse_ok("AUTH PLAIN AGFsaWNlAHNlY3JldA==");
    EXPECT_EQ(b.initial_response, "AGFsaWNlAHNlY3JldA==");
    EXPECT_EQ(parse_ok("AUTH LOGIN =").initial_response, "=");
    EXPECT_EQ(parse_ok("AUTH X-UNKNOWN_1").argument, "X-UNKNOWN_1");  // 504 is the session's
    for (std::string_view line :
         {"AUTH", "AUTH PLAIN a b", "AUTH PL.AIN", "AUTH ABCDEFGHIJKLMNOPQRSTU", "AUTH PLAIN  x"}) {
        EXPECT_EQ(refusal(line), "501 5.5.4") << line;
    }
}

TEST(SmtpCommand, LineLimitsPerVerb) {
    EXPECT_EQ(smtp_line_limit(SmtpVerb::noop), kSmtpMaxCommandLine);
    EXPECT_EQ(smtp_line_limit(SmtpVerb::ehlo), 512u);
    EXPECT_EQ(smtp_line_limit(SmtpVerb::mail), kSmtpMaxMailCommandLine);
    EXPECT_EQ(smtp_line_limit(SmtpVerb::rcpt), kSmtpMaxMailCommandLine);
    EXPECT_EQ(smtp_line_limit(SmtpVerb::auth), 12288u);
}

SmtpOfferedParameters all_offered() {
    return SmtpOfferedParameters{true, 1000, true, true, true};
}

TEST(SmtpMailParameters, KnownParameters) {
    const std::vector<SmtpParameter> params = {
        {"SIZE", "1000"}, {"BODY", "8bitmime"}, {"SMTPUTF8", std::nullopt}, {"AUTH", "<>"}};
    auto r = parse_mail_parameters(params, all_offered());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->size, 1000u);
    EXPECT_EQ(r->body, SmtpBody::eight_bit_mime);
    EXPECT_TRUE(r->smtputf8);
    EXPECT_EQ(r->auth, "<>");
    const std::vector<SmtpParameter> seven = {{"BODY", "7BIT"}};
    EXPECT_EQ(parse_mail_parameters(seven, all_offered())->body, SmtpBody::seven_bit);
    EXPECT_EQ(parse_mail_parameters({}, all_offered())->body, SmtpBody::unspecified);
}

std::string mail_refusal(std::vector<SmtpParameter> params,
                         SmtpOfferedParameters offered = all_offered()) {
    auto r = parse_mail_parameters(params, offered);
    return r.ok() ? "accepted"
                  : std::to_string(r.error().code) + " " +
                        format_enhanced_status(r.error().status.value_or(EnhancedStatus{}));
}

TEST(SmtpMailParameters, Refusals) {
    EXPECT_EQ(mail_refusal({{"SIZE", "1001"}}), "552 5.3.4");                  // RFC 1870 section 6
    EXPECT_EQ(mail_refusal({{"SIZE", "99999999999999999999"}}), "552 5.3.4");  // saturates
    EXPECT_EQ(mail_refusal({{"SIZE", "999999999999999999999"}}), "501 5.5.4");  // 21 digits
    EXPECT_EQ(mail_refusal({{"SIZE", "12k"}}), "501 5.5.4");
    EXPECT_EQ(mail_refusal({{"SIZE", std::nullopt}}), "501 5.5.4");
    EXPECT_EQ(mail_refusal({{"BODY", "BINARYMIME"}}), "555 5.5.4");
    EXPECT_EQ(mail_refusal({{"BODY", std::nullopt}}), "501 5.5.4");
    EXPECT_EQ(mail_refusal({{"SMTPUTF8", "yes"}}), "501 5.5.4");
    EXPECT_EQ(mail_refusal({{"AUTH", std::nullopt}}), "501 5.5.4");
    EXPECT_EQ(mail_refusal({{"RET", "HDRS"}}), "555 5.5.4");
    EXPECT_EQ(mail_refusal({{"X-FOO", std::nullopt}}), "555 5.5.4");
    // Parameters of extensions not offered (after HELO, or switched off) are unknown ones.
    EXPECT_EQ(mail_refusal({{"SIZE", "1"}}, SmtpOfferedParameters{}), "555 5.5.4");
    EXPECT_EQ(mail_refusal({{"BODY", "8BITMIME"}}, SmtpOfferedParameters{}), "555 5.5.4");
    EXPECT_EQ(mail_refusal({{"SMTPUTF8", std::nullopt}}, SmtpOfferedParameters{}), "555 5.5.4");
    EXPECT_EQ(mail_refusal({{"AUTH", "<>"}}, SmtpOfferedParameters{}), "555 5.5.4");
}

}  // namespace
}  // namespace l7::mail
