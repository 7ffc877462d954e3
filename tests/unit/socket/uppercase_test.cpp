#include "socket/uppercase.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace l7::socket {
namespace {

// Everything the session has to send, consumed.
std::string take_output(UppercaseSession& s) {
    std::string out(s.pending_output());
    s.consume_output(out.size());
    return out;
}

std::vector<std::string> trace_lines(UppercaseSession& s) {
    std::vector<std::string> out;
    for (const auto& e : s.trace().take()) {
        const char* tag = e.direction == trace::Direction::to_server   ? "C: "
                          : e.direction == trace::Direction::to_client ? "S: "
                                                                       : "*  ";
        out.push_back(tag + e.message);
    }
    return out;
}

TEST(ToUpperAscii, LettersOnly) {
    EXPECT_EQ(to_upper_ascii("hello, World! 123 az AZ `{@["), "HELLO, WORLD! 123 AZ AZ `{@[");
    EXPECT_EQ(to_upper_ascii(""), "");
}

TEST(ToUpperAscii, NonAsciiBytesPassThrough) {
    // "crêpes" in UTF-8: the two bytes of ê stay as they are.
    EXPECT_EQ(to_upper_ascii("cr\xc3\xaapes"), "CR\xc3\xaaPES");
    const std::string binary("\0a\xff\xe1\x80z", 6);
    EXPECT_EQ(to_upper_ascii(binary), std::string("\0A\xff\xe1\x80Z", 6));
}

TEST(UppercaseSession, RepliesLineByLine) {
    UppercaseSession s;
    s.receive("hello\nworld\n");
    EXPECT_EQ(take_output(s), "HELLO\nWORLD\n");
    EXPECT_FALSE(s.closing());
    s.receive("again\n");
    EXPECT_EQ(take_output(s), "AGAIN\n");
}

TEST(UppercaseSession, CrlfInputGetsLfReplies) {
    UppercaseSession s;
    s.receive("hello\r\n\r\nx\r\n");
    EXPECT_EQ(take_output(s), "HELLO\n\nX\n");
}

TEST(UppercaseSession, PartialLinesWait) {
    UppercaseSession s;
    s.receive("hel");
    EXPECT_TRUE(s.pending_output().empty());
    s.receive("lo\r");
    EXPECT_TRUE(s.pending_output().empty());
    s.receive("\nwor");
    EXPECT_EQ(take_output(s), "HELLO\n");
    s.receive("ld\n");
    EXPECT_EQ(take_output(s), "WORLD\n");
    EXPECT_FALSE(s.closing());
}

TEST(UppercaseSession, OutputIsConsumedPiecewise) {
    UppercaseSession s;
    s.receive("abc\n");
    EXPECT_EQ(s.pending_output(), "ABC\n");
    s.consume_output(2);
    EXPECT_EQ(s.pending_output(), "C\n");
    s.receive("d\n");
    EXPECT_EQ(s.pending_output(), "C\nD\n");
}

TEST(UppercaseSession, EverySplitPoint) {
    const std::string input = "Hello\r\nsecond line\n\nlast\r\n";
    const std::string expected = "HELLO\nSECOND LINE\n\nLAST\n";
    for (std::size_t i = 0; i <= input.size(); ++i) {
        UppercaseSession s;
        // An empty span is the end of the stream: feed only non-empty parts.
        for (std::string_view part :
             {std::string_view(input).substr(0, i), std::string_view(input).substr(i)}) {
            if (!part.empty()) {
                s.receive(part);
            }
        }
        EXPECT_EQ(take_output(s), expected) << "split at " << i;
        EXPECT_FALSE(s.closing());
    }
    UppercaseSession bytewise;
    for (char c : input) {
        bytewise.receive(std::string_view(&c, 1));
    }
    EXPECT_EQ(take_output(bytewise), expected);
}

TEST(UppercaseSession, OverLongLineAnswersErrorAndCloses) {
    UppercaseSession s(UppercaseLimits{8});
    s.receive("ok\nabcdefgh\nabcdefghi\nnever\n");
    EXPECT_EQ(take_output(s), "OK\nABCDEFGH\nERROR line longer than 8 bytes\n");
    EXPECT_TRUE(s.closing());
    // Nothing more is answered.
    s.receive("more\n");
    EXPECT_TRUE(s.pending_output().empty());
}

TEST(UppercaseSession, OverLongLineWithoutItsEnd) {
    UppercaseSession s(UppercaseLimits{8});
    s.receive("abcdefgh");
    EXPECT_TRUE(s.pending_output().empty());
    EXPECT_FALSE(s.closing());
    s.receive("i");
    EXPECT_EQ(take_output(s), "ERROR line longer than 8 bytes\n");
    EXPECT_TRUE(s.closing());
}

TEST(UppercaseSession, DefaultLimitIs64KiB) {
    UppercaseSession s;
    s.receive(std::string(64 * 1024, 'a') + "\n");
    EXPECT_EQ(take_output(s), std::string(64 * 1024, 'A') + "\n");
    s.receive(std::string(64 * 1024 + 1, 'a'));
    EXPECT_EQ(take_output(s), "ERROR line longer than 65536 bytes\n");
    EXPECT_TRUE(s.closing());
}

TEST(UppercaseSession, EndOfStreamCloses) {
    UppercaseSession s;
    s.receive("a\n");
    s.receive({});
    EXPECT_TRUE(s.closing());
    EXPECT_EQ(take_output(s), "A\n");
    s.receive("b\n");
    EXPECT_TRUE(s.pending_output().empty());
}

TEST(UppercaseSession, BinaryGarbageIsEchoedPerLine) {
    UppercaseSession s;
    const std::string garbage("a\0b\n\xff\xfe\0\0\x01z\r\n\0\n", 14);
    s.receive(garbage);
    EXPECT_EQ(take_output(s), std::string("A\0B\n\xff\xfe\0\0\x01Z\n\0\n", 13));
    EXPECT_FALSE(s.closing());
}

TEST(UppercaseSession, TraceIsOffByDefault) {
    UppercaseSession s;
    s.receive("hello\n");
    s.receive({});
    EXPECT_TRUE(s.trace().empty());
}

TEST(UppercaseSession, TraceRecordsBothDirections) {
    UppercaseSession s(UppercaseLimits{8});
    s.trace().enable(true);
    s.receive("hi\r\nthere\n");
    EXPECT_EQ(trace_lines(s), (std::vector<std::string>{"C: hi", "S: HI", "C: there", "S: THERE"}));
    s.receive("123456789");
    EXPECT_EQ(trace_lines(s), (std::vector<std::string>{"C: (a line over the limit)",
                                                        "S: ERROR line longer than 8 bytes"}));
}

TEST(UppercaseSession, TraceNotesTheEndOfStream) {
    UppercaseSession s;
    s.trace().enable(true);
    s.receive({});
    EXPECT_EQ(trace_lines(s), (std::vector<std::string>{"*  client closed the connection"}));
}

}  // namespace
}  // namespace l7::socket
