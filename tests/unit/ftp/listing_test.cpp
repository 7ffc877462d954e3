// Directory listings and file facts: time-val (RFC 3659 2.3), the "ls -l" LIST line with
// its recent/old time column, the MLSx facts line (RFC 3659 7); and the TYPE A converters
// (RFC 959 3.1.1.1) with a CRLF cut between chunks.

#include <gtest/gtest.h>

#include <string>

#include "ftp/ascii.hpp"
#include "ftp/listing.hpp"

using namespace l7::ftp;

namespace {

constexpr std::int64_t kDec1_2026_1030 = 1796121000;  // 2026-12-01 10:30:00 UTC
constexpr std::int64_t kMar5_2020 = 1583395629;       // 2020-03-05 08:07:09 UTC
constexpr std::int64_t kSixMonths = 182LL * 24 * 3600;

FtpFileInfo file(std::string name, std::uint64_t size, std::int64_t modified,
                 std::uint32_t mode = 0644) {
    FtpFileInfo info;
    info.name = std::move(name);
    info.type = FtpFileInfo::Type::file;
    info.size = size;
    info.modified = modified;
    info.mode = mode;
    return info;
}

FtpFileInfo directory(std::string name, std::int64_t modified, std::uint32_t mode = 0755) {
    FtpFileInfo info = file(std::move(name), 4096, modified, mode);
    info.type = FtpFileInfo::Type::directory;
    return info;
}

// ---- time_val -------------------------------------------------------------------------

TEST(FtpTimeVal, Utc) {
    EXPECT_EQ(time_val(0), "19700101000000");
    EXPECT_EQ(time_val(951868799), "20000229235959");
    EXPECT_EQ(time_val(1700000000), "20231114221320");
    EXPECT_EQ(time_val(kDec1_2026_1030), "20261201103000");
}

// ---- list_line ------------------------------------------------------------------------

TEST(FtpListLine, RecentFileShowsTime) {
    EXPECT_EQ(list_line(file("notes.txt", 1234, kDec1_2026_1030), kDec1_2026_1030 + 100),
              "-rw-r--r-- 1 ftp ftp         1234 Dec 01 10:30 notes.txt");
}

TEST(FtpListLine, OldFileShowsYear) {
    EXPECT_EQ(list_line(file("old.txt", 7, kMar5_2020), kDec1_2026_1030),
              "-rw-r--r-- 1 ftp ftp            7 Mar 05  2020 old.txt");
}

TEST(FtpListLine, SixMonthBoundary) {
    const auto f = file("f", 1, kMar5_2020);
    EXPECT_NE(list_line(f, kMar5_2020 + kSixMonths - 1).find("Mar 05 08:07 f"), std::string::npos);
    EXPECT_NE(list_line(f, kMar5_2020 + kSixMonths).find("Mar 05  2020 f"), std::string::npos);
}

TEST(FtpListLine, FutureFileShowsYearBeyondAnHour) {
    const auto f = file("f", 1, kDec1_2026_1030);
    EXPECT_NE(list_line(f, kDec1_2026_1030 - 3600).find("Dec 01 10:30 f"), std::string::npos);
    EXPECT_NE(list_line(f, kDec1_2026_1030 - 3601).find("Dec 01  2026 f"), std::string::npos);
}

TEST(FtpListLine, DirectoryAndModes) {
    EXPECT_EQ(list_line(directory("sub", kMar5_2020), kDec1_2026_1030),
              "drwxr-xr-x 1 ftp ftp         4096 Mar 05  2020 sub");
    EXPECT_EQ(list_line(file("x", 0, kMar5_2020, 04751), kDec1_2026_1030).substr(0, 10),
              "-rwxr-x--x");
    EXPECT_EQ(list_line(file("x", 0, kMar5_2020, 0), kDec1_2026_1030).substr(0, 10), "----------");
    FtpFileInfo other = file("fifo", 0, kMar5_2020, 0600);
    other.type = FtpFileInfo::Type::other;
    EXPECT_EQ(list_line(other, kDec1_2026_1030).substr(0, 10), "-rw-------");
}

TEST(FtpListLine, LargeSizeAndSpacesInName) {
    EXPECT_EQ(list_line(file("big file.iso", 1234567890123, kMar5_2020), kDec1_2026_1030),
              "-rw-r--r-- 1 ftp ftp 1234567890123 Mar 05  2020 big file.iso");
}

// ---- mlsx_line ------------------------------------------------------------------------

TEST(FtpMlsxLine, File) {
    EXPECT_EQ(mlsx_line(file("a.txt", 42, 1700000000), true),
              "type=file;size=42;modify=20231114221320;perm=adfrw; a.txt");
    EXPECT_EQ(mlsx_line(file("a.txt", 42, 1700000000), false),
              "type=file;size=42;modify=20231114221320;perm=r; a.txt");
}

TEST(FtpMlsxLine, DirectoryHasNoSize) {
    EXPECT_EQ(mlsx_line(directory("sub", 1700000000), true),
              "type=dir;modify=20231114221320;perm=cdeflmp; sub");
    EXPECT_EQ(mlsx_line(directory("sub", 1700000000), false),
              "type=dir;modify=20231114221320;perm=el; sub");
}

TEST(FtpMlsxLine, TypeFactOverride) {
    EXPECT_EQ(mlsx_line(directory(".", 0), false, "cdir"),
              "type=cdir;modify=19700101000000;perm=el; .");
}

TEST(FtpMlsxLine, Other) {
    FtpFileInfo other = file("dev", 0, 0);
    other.type = FtpFileInfo::Type::other;
    EXPECT_EQ(mlsx_line(other, false),
              "type=OS.unix=other;size=0;modify=19700101000000;perm=r; dev");
}

TEST(FtpMlsxLine, NameWithSpacesAndSemicolons) {
    EXPECT_EQ(mlsx_line(file("a; b=c", 1, 0), false),
              "type=file;size=1;modify=19700101000000;perm=r; a; b=c");
}

// ---- AsciiEncoder ---------------------------------------------------------------------

std::string encode_chunks(std::initializer_list<std::string_view> chunks) {
    AsciiEncoder e;
    std::string out;
    for (auto c : chunks) {
        e.encode(c, out);
    }
    return out;
}

std::string decode_chunks(std::initializer_list<std::string_view> chunks) {
    AsciiDecoder d;
    std::string out;
    for (auto c : chunks) {
        d.decode(c, out);
    }
    d.finish(out);
    return out;
}

TEST(FtpAsciiEncoder, LfBecomesCrlf) {
    EXPECT_EQ(encode_chunks({"a\nb\n"}), "a\r\nb\r\n");
    EXPECT_EQ(encode_chunks({"\n\n"}), "\r\n\r\n");
    EXPECT_EQ(encode_chunks({""}), "");
}

TEST(FtpAsciiEncoder, CrlfAndLoneCrStay) {
    EXPECT_EQ(encode_chunks({"a\r\nb"}), "a\r\nb");
    EXPECT_EQ(encode_chunks({"a\rb"}), "a\rb");
    EXPECT_EQ(encode_chunks({"a\r\r\n"}), "a\r\r\n");
}

TEST(FtpAsciiEncoder, CrlfSplitAcrossChunks) {
    EXPECT_EQ(encode_chunks({"a\r", "\nb"}), "a\r\nb");
    EXPECT_EQ(encode_chunks({"a\r", "", "\nb"}), "a\r\nb");  // an empty chunk forgets nothing
}

TEST(FtpAsciiEncoder, LfAtChunkStartAfterPlainByte) {
    EXPECT_EQ(encode_chunks({"a", "\nb"}), "a\r\nb");
}

TEST(FtpAsciiDecoder, CrlfBecomesLf) {
    EXPECT_EQ(decode_chunks({"a\r\nb\r\n"}), "a\nb\n");
    EXPECT_EQ(decode_chunks({"a\nb"}), "a\nb");
    EXPECT_EQ(decode_chunks({"a\rb"}), "a\rb");
    EXPECT_EQ(decode_chunks({"\r\r\n"}), "\r\n");
}

TEST(FtpAsciiDecoder, CrlfSplitAcrossChunks) {
    EXPECT_EQ(decode_chunks({"a\r", "\nb"}), "a\nb");
    EXPECT_EQ(decode_chunks({"a\r", "", "\nb"}), "a\nb");
    EXPECT_EQ(decode_chunks({"a\r", "b"}), "a\rb");
    EXPECT_EQ(decode_chunks({"a\r", "\r", "\n"}), "a\r\n");
}

TEST(FtpAsciiDecoder, TrailingCrComesOutAtFinish) {
    AsciiDecoder d;
    std::string out;
    d.decode("end\r", out);
    EXPECT_EQ(out, "end");
    d.finish(out);
    EXPECT_EQ(out, "end\r");
    d.finish(out);
    EXPECT_EQ(out, "end\r");
}

TEST(FtpAscii, RoundTrip) {
    const std::string disk = "line one\nline two\n\nlast";
    AsciiEncoder e;
    std::string wire;
    for (std::size_t i = 0; i < disk.size(); i += 3) {
        e.encode(std::string_view(disk).substr(i, 3), wire);
    }
    EXPECT_EQ(wire, "line one\r\nline two\r\n\r\nlast");
    AsciiDecoder d;
    std::string back;
    for (std::size_t i = 0; i < wire.size(); i += 2) {
        d.decode(std::string_view(wire).substr(i, 2), back);
    }
    d.finish(back);
    EXPECT_EQ(back, disk);
}

}  // namespace
