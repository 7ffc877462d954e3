// FTP replies (RFC 959 4.2): rendering single- and multi-line replies, and FtpReplyParser
// collecting them from a byte stream (split anywhere, bad lines, limits).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ftp/reply.hpp"

using namespace l7::ftp;

namespace {

using Lines = std::vector<std::string>;

// Feeds `wire` in one piece and takes every reply; stops at need_more or error.
std::vector<FtpReply> parse_all(FtpReplyParser& p, std::string_view wire,
                                FtpReplyParser::Status* last = nullptr) {
    p.feed(wire);
    std::vector<FtpReply> out;
    for (int i = 0; i < 1000; ++i) {
        FtpReply r;
        const auto status = p.next(r);
        if (status != FtpReplyParser::Status::reply) {
            if (last != nullptr) {
                *last = status;
            }
            break;
        }
        out.push_back(std::move(r));
    }
    return out;
}

// ---- render_reply ---------------------------------------------------------------------

TEST(FtpRenderReply, SingleLine) {
    EXPECT_EQ(render_reply(200, "Command okay."), "200 Command okay.\r\n");
    EXPECT_EQ(render_reply(550, ""), "550 \r\n");
}

TEST(FtpRenderReply, ControlCharactersBecomeSpaces) {
    EXPECT_EQ(render_reply(550,
                           "a\rb\tc\x7f"
                           "d\x01"),
              "550 a b c d \r\n");
}

TEST(FtpRenderReply, MultiLineFromNewlines) {
    EXPECT_EQ(render_reply(211, "Status:\nline one\nEnd"),
              "211-Status:\r\n line one\r\n211 End\r\n");
    // Two lines: no middle at all.
    EXPECT_EQ(render_reply(230, "Welcome\nLogged in"), "230-Welcome\r\n230 Logged in\r\n");
}

TEST(FtpRenderReply, MiddleLineThatLooksLikeTheLastGetsASpace) {
    const std::string wire = render_reply(214, "Help\n214 not the end\n123 neither\nDone");
    EXPECT_EQ(wire, "214-Help\r\n 214 not the end\r\n 123 neither\r\n214 Done\r\n");
    // A parser sees one reply of four lines.
    FtpReplyParser p;
    const auto replies = parse_all(p, wire);
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].code, 214);
    EXPECT_EQ(replies[0].lines, (Lines{"Help", " 214 not the end", " 123 neither", "Done"}));
}

TEST(FtpRenderReply, MultilineHelper) {
    EXPECT_EQ(render_multiline(211, "Features:", {"EPSV", "SIZE"}, "End"),
              "211-Features:\r\n EPSV\r\n SIZE\r\n211 End\r\n");
    EXPECT_EQ(render_multiline(250, "Listing /x", {}, "End"), "250-Listing /x\r\n250 End\r\n");
    EXPECT_EQ(render_multiline(213, "a\rb", {"c\nd"}, "e"), "213-a b\r\n c d\r\n213 e\r\n");
}

// ---- FtpReply -------------------------------------------------------------------------

TEST(FtpReply, Categories) {
    FtpReply r;
    r.code = 150;
    EXPECT_TRUE(r.positive_preliminary());
    EXPECT_FALSE(r.positive_completion());
    r.code = 226;
    EXPECT_TRUE(r.positive_completion());
    r.code = 331;
    EXPECT_TRUE(r.positive_intermediate());
    r.code = 425;
    EXPECT_TRUE(r.transient_negative());
    r.code = 550;
    EXPECT_TRUE(r.permanent_negative());
    EXPECT_FALSE(r.transient_negative());
    EXPECT_EQ(r.text(), "");
    r.lines = {"first", "last"};
    EXPECT_EQ(r.text(), "first");
}

// ---- FtpReplyParser -------------------------------------------------------------------

TEST(FtpReplyParser, SingleLines) {
    FtpReplyParser p;
    const auto replies = parse_all(p, "220 ready\r\n331 Password please\r\n");
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(replies[0].code, 220);
    EXPECT_EQ(replies[0].lines, Lines{"ready"});
    EXPECT_EQ(replies[1].code, 331);
    EXPECT_EQ(replies[1].text(), "Password please");
    EXPECT_EQ(p.buffered(), 0u);
}

TEST(FtpReplyParser, BareCodeAndBareLf) {
    FtpReplyParser p;
    const auto replies = parse_all(p, "200\n226 done\n");
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(replies[0].code, 200);
    EXPECT_EQ(replies[0].lines, Lines{""});
    EXPECT_EQ(replies[1].lines, Lines{"done"});
}

TEST(FtpReplyParser, MultiLine) {
    FtpReplyParser p;
    const auto replies =
        parse_all(p, "211-Features:\r\n EPSV\r\n211-not the end\r\n200 other code\r\n211 End\r\n");
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].code, 211);
    EXPECT_EQ(replies[0].lines,
              (Lines{"Features:", " EPSV", "211-not the end", "200 other code", "End"}));
    EXPECT_EQ(replies[0].text(), "Features:");
}

TEST(FtpReplyParser, MultiLineEndingWithBareCode) {
    FtpReplyParser p;
    const auto replies = parse_all(p, "230-Hello\r\n230\r\n");
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].lines, (Lines{"Hello", ""}));
}

TEST(FtpReplyParser, SplitAcrossFeedsAtEveryByte) {
    const std::string wire = "150 Opening\r\n226-Transfer\r\n  done\r\n226 ok\r\n";
    FtpReplyParser p;
    std::vector<FtpReply> replies;
    for (char c : wire) {
        p.feed(std::string_view(&c, 1));
        FtpReply r;
        for (int i = 0; i < 10; ++i) {
            const auto status = p.next(r);
            ASSERT_NE(status, FtpReplyParser::Status::error) << p.error();
            if (status == FtpReplyParser::Status::need_more) {
                break;
            }
            replies.push_back(r);
        }
    }
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(replies[0].code, 150);
    EXPECT_EQ(replies[1].code, 226);
    EXPECT_EQ(replies[1].lines, (Lines{"Transfer", "  done", "ok"}));
}

TEST(FtpReplyParser, NeedMoreKeepsPartialBytes) {
    FtpReplyParser p;
    FtpReplyParser::Status st{};
    EXPECT_TRUE(parse_all(p, "220 hel", &st).empty());
    EXPECT_EQ(st, FtpReplyParser::Status::need_more);
    EXPECT_EQ(p.buffered(), 7u);
    const auto replies = parse_all(p, "lo\r\n");
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].text(), "hello");
}

TEST(FtpReplyParser, NotAReplyFailsForGood) {
    for (const char* bad : {"hello\r\n", "22 short\r\n", "2200 x\r\n", "220x\r\n", "\r\n",
                            "099 too small\r\n", "600 too big\r\n"}) {
        FtpReplyParser p;
        FtpReplyParser::Status st{};
        EXPECT_TRUE(parse_all(p, bad, &st).empty()) << bad;
        EXPECT_EQ(st, FtpReplyParser::Status::error) << bad;
        EXPECT_FALSE(p.error().empty());
        // Stays failed, even when good bytes follow.
        const auto after = parse_all(p, "200 ok\r\n", &st);
        EXPECT_TRUE(after.empty());
        EXPECT_EQ(st, FtpReplyParser::Status::error);
    }
}

TEST(FtpReplyParser, LineTooLongWithAndWithoutLf) {
    FtpReplyLimits limits;
    limits.max_line = 16;
    {
        // Exactly 16 bytes with CRLF: fine.
        FtpReplyParser p(limits);
        const auto replies = parse_all(p, "200 0123456789\r\n");
        ASSERT_EQ(replies.size(), 1u);
        EXPECT_EQ(replies[0].text(), "0123456789");
    }
    {
        FtpReplyParser p(limits);
        FtpReplyParser::Status st{};
        EXPECT_TRUE(parse_all(p, "200 01234567890\r\n", &st).empty());
        EXPECT_EQ(st, FtpReplyParser::Status::error);
        EXPECT_NE(p.error().find("longer than 16"), std::string::npos) << p.error();
    }
    {
        // No LF yet, but already too long: no need to wait for the rest.
        FtpReplyParser p(limits);
        FtpReplyParser::Status st{};
        EXPECT_TRUE(parse_all(p, "200 0123456789abcdef", &st).empty());
        EXPECT_EQ(st, FtpReplyParser::Status::error);
    }
    {
        // A long middle line counts too.
        FtpReplyParser p(limits);
        FtpReplyParser::Status st{};
        EXPECT_TRUE(parse_all(p, "211-x\r\n this line is long\r\n211 End\r\n", &st).empty());
        EXPECT_EQ(st, FtpReplyParser::Status::error);
    }
}

TEST(FtpReplyParser, TooManyLines) {
    FtpReplyLimits limits;
    limits.max_lines = 3;
    {
        FtpReplyParser p(limits);
        const auto replies = parse_all(p, "211-a\r\n b\r\n211 c\r\n");
        ASSERT_EQ(replies.size(), 1u);
        EXPECT_EQ(replies[0].lines.size(), 3u);
    }
    {
        FtpReplyParser p(limits);
        FtpReplyParser::Status st{};
        EXPECT_TRUE(parse_all(p, "211-a\r\n b\r\n c\r\n d\r\n211 e\r\n", &st).empty());
        EXPECT_EQ(st, FtpReplyParser::Status::error);
        EXPECT_NE(p.error().find("more than 3 lines"), std::string::npos) << p.error();
    }
}

// Was a bug (reply.cpp:138): the line count is checked before a middle line is added, and the
// last line is added unchecked, so a reply of max_lines + 1 lines passes: with max_lines 3,
// "211-a", " b", " c", "211 d" (four lines) is accepted. Expected: an error.
TEST(FtpReplyParser, ReplyOfMaxLinesPlusOneFails) {
    FtpReplyLimits limits;
    limits.max_lines = 3;
    FtpReplyParser p(limits);
    FtpReplyParser::Status st{};
    EXPECT_TRUE(parse_all(p, "211-a\r\n b\r\n c\r\n211 d\r\n", &st).empty());
    EXPECT_EQ(st, FtpReplyParser::Status::error);
}

TEST(FtpReplyParser, ManySmallRepliesCompactTheBuffer) {
    FtpReplyParser p;
    std::size_t count = 0;
    for (int round = 0; round < 2000; ++round) {
        p.feed("200 a reply of some length to fill the buffer\r\n2");
        p.feed("26 x\r\n");
        FtpReply r;
        while (p.next(r) == FtpReplyParser::Status::reply) {
            ++count;
        }
    }
    EXPECT_EQ(count, 4000u);
    EXPECT_EQ(p.buffered(), 0u);
}

}  // namespace
