// Virtual paths: lexical resolution against the current directory (no escape above "/"),
// the NUL and length limits, and the helpers around them (parent, base name, join, the
// quoting of RFC 959 Appendix II).

#include <gtest/gtest.h>

#include <string>

#include "ftp/virtual_path.hpp"

using namespace l7::ftp;

namespace {

std::string resolved(std::string_view cwd, std::string_view arg) {
    auto p = resolve_path(cwd, arg);
    return p ? *p : std::string("<nullopt>");
}

TEST(FtpResolvePath, AbsoluteAndRelative) {
    EXPECT_EQ(resolved("/", "a"), "/a");
    EXPECT_EQ(resolved("/a", "b/c"), "/a/b/c");
    EXPECT_EQ(resolved("/a", "/x/y"), "/x/y");
    EXPECT_EQ(resolved("/a/b", "/"), "/");
}

TEST(FtpResolvePath, EmptyArgumentIsTheCurrentDirectory) {
    EXPECT_EQ(resolved("/", ""), "/");
    EXPECT_EQ(resolved("/a/b", ""), "/a/b");
    EXPECT_EQ(resolved("/a/b", "."), "/a/b");
    EXPECT_EQ(resolved("/a/b", "./"), "/a/b");
}

TEST(FtpResolvePath, DotDot) {
    EXPECT_EQ(resolved("/a/b", ".."), "/a");
    EXPECT_EQ(resolved("/a/b", "../.."), "/");
    EXPECT_EQ(resolved("/a/b", "../c/./d/../e"), "/a/c/e");
    EXPECT_EQ(resolved("/a", "b/../../c"), "/c");
}

TEST(FtpResolvePath, DotDotAtRootStaysAtRoot) {
    EXPECT_EQ(resolved("/", ".."), "/");
    EXPECT_EQ(resolved("/", "../../.."), "/");
    EXPECT_EQ(resolved("/a", "../../../etc/passwd"), "/etc/passwd");
    EXPECT_EQ(resolved("/a", "/../../etc"), "/etc");
}

TEST(FtpResolvePath, SlashesAreNormalized) {
    EXPECT_EQ(resolved("/", "//a///b//"), "/a/b");
    EXPECT_EQ(resolved("/a", "b/"), "/a/b");
    EXPECT_EQ(resolved("/", "///"), "/");
}

TEST(FtpResolvePath, NamesThatOnlyLookSpecial) {
    EXPECT_EQ(resolved("/", "..."), "/...");
    EXPECT_EQ(resolved("/", ".hidden"), "/.hidden");
    EXPECT_EQ(resolved("/", "a..b"), "/a..b");
    EXPECT_EQ(resolved("/", "my file.txt"), "/my file.txt");
    EXPECT_EQ(resolved("/", "a\\..\\b"), "/a\\..\\b");  // a backslash is a name character
    EXPECT_EQ(resolved("/", "-la"), "/-la");
    EXPECT_EQ(resolved("/", "\xc3\xa9t\xc3\xa9"), "/\xc3\xa9t\xc3\xa9");
}

TEST(FtpResolvePath, NulIsRefused) {
    using namespace std::string_literals;
    EXPECT_FALSE(resolve_path("/", "a\0b"s));
    EXPECT_FALSE(resolve_path("/", "\0"s));
    EXPECT_FALSE(resolve_path("/a", "x/\0/../y"s));
}

TEST(FtpResolvePath, LengthLimit) {
    // The result may be kMaxPathLength long, not more.
    const std::string exact = "/" + std::string(kMaxPathLength - 1, 'a');
    EXPECT_EQ(resolve_path("/", exact), exact);
    EXPECT_FALSE(resolve_path("/", exact + "b"));
    // A short argument below a long current directory still counts in full.
    const std::string cwd = "/" + std::string(kMaxPathLength - 3, 'c');
    EXPECT_EQ(resolve_path(cwd, "d"), cwd + "/d");
    EXPECT_FALSE(resolve_path(cwd, "de"));
    // An argument longer than the limit is refused before it is resolved.
    EXPECT_FALSE(resolve_path("/", std::string(kMaxPathLength + 1, '/')));
}

TEST(FtpParentPath, Cases) {
    EXPECT_EQ(parent_path("/a/b"), "/a");
    EXPECT_EQ(parent_path("/a/b/c"), "/a/b");
    EXPECT_EQ(parent_path("/a"), "/");
    EXPECT_EQ(parent_path("/"), "/");
    EXPECT_EQ(parent_path("name"), "/");
}

TEST(FtpBaseName, Cases) {
    EXPECT_EQ(base_name("/a/b"), "b");
    EXPECT_EQ(base_name("/a"), "a");
    EXPECT_EQ(base_name("/"), "");
    EXPECT_EQ(base_name("plain"), "plain");
}

TEST(FtpJoinPath, Cases) {
    EXPECT_EQ(join_path("/", "x"), "/x");
    EXPECT_EQ(join_path("/a", "x"), "/a/x");
    EXPECT_EQ(join_path("/a/", "x"), "/a/x");
    EXPECT_EQ(join_path("", "x"), "/x");
}

TEST(FtpQuotePath, DoublesQuotes) {
    EXPECT_EQ(quote_path("/"), "\"/\"");
    EXPECT_EQ(quote_path("/usr/dm"), "\"/usr/dm\"");
    // RFC 959 Appendix II: MKD foo"bar -> 257 "/usr/dm/foo""bar" created.
    EXPECT_EQ(quote_path("/usr/dm/foo\"bar"), "\"/usr/dm/foo\"\"bar\"");
    EXPECT_EQ(quote_path("\"\""), "\"\"\"\"\"\"");
}

}  // namespace
