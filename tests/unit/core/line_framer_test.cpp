#include "core/line_framer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace l7 {
namespace {

using Status = LineFramer::Status;

// What the framer produced: a line, or "<too long>".
constexpr std::string_view too_long_mark = "<too long>";

void drain(LineFramer& f, std::vector<std::string>& out) {
    while (true) {
        const auto next = f.next_line();
        if (next.status == Status::need_more) {
            return;
        }
        out.emplace_back(next.status == Status::line ? next.line : too_long_mark);
    }
}

std::vector<std::string> frame(const std::vector<std::string_view>& chunks, std::size_t max_line) {
    LineFramer f(max_line);
    std::vector<std::string> out;
    for (std::string_view chunk : chunks) {
        f.append(chunk);
        drain(f, out);
    }
    return out;
}

std::vector<std::string> frame_whole(std::string_view input, std::size_t max_line) {
    return frame({input}, max_line);
}

std::vector<std::string> frame_bytewise(std::string_view input, std::size_t max_line) {
    std::vector<std::string_view> chunks;
    for (std::size_t i = 0; i < input.size(); ++i) {
        chunks.push_back(input.substr(i, 1));
    }
    return frame(chunks, max_line);
}

// Feeds `input` whole, byte by byte, and split in two at every index, and checks every way
// gives `expected`.
void expect_every_split(std::string_view input, std::size_t max_line,
                        const std::vector<std::string>& expected) {
    EXPECT_EQ(frame_whole(input, max_line), expected) << "whole";
    EXPECT_EQ(frame_bytewise(input, max_line), expected) << "byte by byte";
    for (std::size_t i = 0; i <= input.size(); ++i) {
        EXPECT_EQ(frame({input.substr(0, i), input.substr(i)}, max_line), expected)
            << "split at " << i;
    }
}

TEST(LineFramer, LfAndCrlfLines) {
    EXPECT_EQ(frame_whole("one\ntwo\r\n\r\n\nthree\n", 100),
              (std::vector<std::string>{"one", "two", "", "", "three"}));
}

TEST(LineFramer, OnlyTheCrBeforeLfIsRemoved) {
    EXPECT_EQ(frame_whole("a\rb\nc\r\r\n\rd\n", 100),
              (std::vector<std::string>{"a\rb", "c\r", "\rd"}));
}

TEST(LineFramer, PartialLineWaits) {
    LineFramer f(100);
    f.append("HELO crep");
    EXPECT_EQ(f.next_line().status, Status::need_more);
    EXPECT_EQ(f.buffered(), 9u);
    f.append("es.fr\r");
    EXPECT_EQ(f.next_line().status, Status::need_more);
    f.append("\nQUIT");
    const auto next = f.next_line();
    ASSERT_EQ(next.status, Status::line);
    EXPECT_EQ(next.line, "HELO crepes.fr");
    EXPECT_EQ(f.next_line().status, Status::need_more);
    EXPECT_EQ(f.buffered(), 4u);
}

TEST(LineFramer, EverySplitPoint) {
    expect_every_split("HELO crepes.fr\r\nMAIL FROM:<alice@crepes.fr>\n\r\n\nDATA\r\nrest", 100,
                       {"HELO crepes.fr", "MAIL FROM:<alice@crepes.fr>", "", "", "DATA"});
}

TEST(LineFramer, EverySplitPointWithLongLines) {
    expect_every_split(
        "ok\nthis line is far too long\nabcdefgh\nstill too long\r\nend\n", 8,
        {"ok", std::string(too_long_mark), "abcdefgh", std::string(too_long_mark), "end"});
}

TEST(LineFramer, LinesExactlyAtTheLimitPass) {
    EXPECT_EQ(frame_whole("abcd\nabcd\r\nabcde\n", 4),
              (std::vector<std::string>{"abcd", "abcd", std::string(too_long_mark)}));
    // A partial line of exactly the limit waits for its LF.
    LineFramer f(4);
    f.append("abcd");
    EXPECT_EQ(f.next_line().status, Status::need_more);
    f.append("\n");
    const auto next = f.next_line();
    ASSERT_EQ(next.status, Status::line);
    EXPECT_EQ(next.line, "abcd");
}

TEST(LineFramer, LineAtTheLimitWithCrlfSplitBetweenCrAndLf) {
    expect_every_split("abcd\r\nxy\r\n", 4, {"abcd", "xy"});
}

TEST(LineFramer, TooLongIsReportedOnceThenRecovers) {
    LineFramer f(4);
    f.append("abcdefgh\nok\n");
    EXPECT_EQ(f.next_line().status, Status::too_long);
    auto next = f.next_line();
    ASSERT_EQ(next.status, Status::line);
    EXPECT_EQ(next.line, "ok");
    EXPECT_EQ(f.next_line().status, Status::need_more);
}

TEST(LineFramer, TooLongAcrossManyAppends) {
    LineFramer f(4);
    std::vector<std::string> out;
    for (std::string_view chunk : {"ab", "cd", "ef", "gh", "ij", "kl\r", "\nok", "\r\nnext"}) {
        f.append(chunk);
        drain(f, out);
    }
    EXPECT_EQ(out, (std::vector<std::string>{std::string(too_long_mark), "ok"}));
    EXPECT_EQ(f.buffered(), 4u);
    // The discarded bytes are not kept while the framer waits for the LF.
    LineFramer g(4);
    g.append("abcdefgh");
    EXPECT_EQ(g.next_line().status, Status::too_long);
    for (int i = 0; i < 1000; ++i) {
        g.append("xxxxxxxxxxxxxxxx");
        EXPECT_EQ(g.next_line().status, Status::need_more);
        EXPECT_EQ(g.buffered(), 0u);
    }
    g.append("x\nabc\n");
    const auto next = g.next_line();
    ASSERT_EQ(next.status, Status::line);
    EXPECT_EQ(next.line, "abc");
}

TEST(LineFramer, TakeRest) {
    LineFramer f(100);
    f.append("DATA\r\nSubject: hi\r\nbody");
    const auto next = f.next_line();
    ASSERT_EQ(next.status, Status::line);
    EXPECT_EQ(next.line, "DATA");
    EXPECT_EQ(f.take_rest(), "Subject: hi\r\nbody");
    EXPECT_EQ(f.buffered(), 0u);
    EXPECT_EQ(f.next_line().status, Status::need_more);
    EXPECT_EQ(f.take_rest(), "");
    f.append("after\n");
    const auto again = f.next_line();
    ASSERT_EQ(again.status, Status::line);
    EXPECT_EQ(again.line, "after");
}

TEST(LineFramer, TakeRestEndsDiscarding) {
    LineFramer f(4);
    f.append("abcdefgh");
    EXPECT_EQ(f.next_line().status, Status::too_long);
    EXPECT_EQ(f.take_rest(), "");
    f.append("ok\n");
    const auto next = f.next_line();
    ASSERT_EQ(next.status, Status::line);
    EXPECT_EQ(next.line, "ok");
}

TEST(LineFramer, ManyLinesInOddChunks) {
    // Enough data that the framer compacts its buffer several times.
    std::string input;
    std::vector<std::string> expected;
    for (int i = 0; i < 3000; ++i) {
        std::string line =
            "line " + std::to_string(i) + std::string(static_cast<std::size_t>(i % 13), 'z');
        input += line + (i % 2 == 0 ? "\r\n" : "\n");
        expected.push_back(line);
    }
    for (std::size_t chunk : {1u, 3u, 7u, 64u, 4097u, 10000u}) {
        std::vector<std::string_view> chunks;
        for (std::size_t i = 0; i < input.size(); i += chunk) {
            chunks.push_back(std::string_view(input).substr(i, chunk));
        }
        EXPECT_EQ(frame(chunks, 100), expected) << "chunks of " << chunk;
    }
}

TEST(LineFramer, BinaryBytes) {
    const std::string input("\0a\xff\n\x01\x02\r\n", 8);
    EXPECT_EQ(frame_whole(input, 100),
              (std::vector<std::string>{std::string("\0a\xff", 3), std::string("\x01\x02", 2)}));
}

}  // namespace
}  // namespace l7
