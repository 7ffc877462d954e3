// SMTP replies on the wire (RFC 5321 4.2, enhanced status codes RFC 2034 and RFC 3463).

#include "mail/smtp/reply.hpp"

#include <gtest/gtest.h>

namespace l7::mail {
namespace {

TEST(SmtpReply, OneLineWithAndWithoutTheEnhancedStatus) {
    const SmtpReply r = smtp_reply(250, {2, 1, 5}, "Recipient OK");
    EXPECT_EQ(format_reply(r), "250 2.1.5 Recipient OK\r\n");
    EXPECT_EQ(format_reply(r, false), "250 Recipient OK\r\n");
    EXPECT_EQ(format_reply(smtp_reply(354, "End data with <CR><LF>.<CR><LF>")),
              "354 End data with <CR><LF>.<CR><LF>\r\n");
}

TEST(SmtpReply, MultiLineRepliesUseHyphensUntilTheLastLine) {
    const SmtpReply ehlo{250, std::nullopt, {"mx.example.org", "PIPELINING", "HELP"}};
    EXPECT_EQ(format_reply(ehlo), "250-mx.example.org\r\n250-PIPELINING\r\n250 HELP\r\n");
    // RFC 2034 section 3: every line of a multi-line reply carries the code.
    const SmtpReply help{214, EnhancedStatus{2, 0, 0}, {"one", "two"}};
    EXPECT_EQ(format_reply(help), "214-2.0.0 one\r\n214 2.0.0 two\r\n");
}

TEST(SmtpReply, NoTextIsOneLineWithJustTheCode) {
    EXPECT_EQ(format_reply(SmtpReply{334, std::nullopt, {""}}), "334 \r\n");
    EXPECT_EQ(format_reply(SmtpReply{250, std::nullopt, {}}), "250 \r\n");
}

TEST(SmtpReply, LineBreaksInTextCannotEndTheReply) {
    const SmtpReply r = smtp_reply(550, {5, 1, 1}, "no\r\n250 OK\nreally");
    EXPECT_EQ(format_reply(r), "550 5.1.1 no  250 OK really\r\n");
}

TEST(SmtpReply, AppendsToWhatIsThere) {
    std::string out = "220 ready\r\n";
    append_reply(out, smtp_reply(221, {2, 0, 0}, "bye"));
    EXPECT_EQ(out, "220 ready\r\n221 2.0.0 bye\r\n");
}

TEST(SmtpReply, EnhancedStatusText) {
    EXPECT_EQ(format_enhanced_status({5, 7, 8}), "5.7.8");
    EXPECT_EQ(format_enhanced_status({4, 5, 3}), "4.5.3");
    EXPECT_EQ(format_enhanced_status({2, 0, 100}), "2.0.100");
}

}  // namespace
}  // namespace l7::mail
