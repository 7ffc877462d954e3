// Content-Type by extension: the built-in table, case, paths, and mime.types text.

#include <gtest/gtest.h>

#include <string>

#include "http/mime_types.hpp"

namespace l7::http {
namespace {

TEST(MimeTypes, BuiltinTable) {
    const MimeTypes m;
    const std::pair<const char*, const char*> expected[] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"json", "application/json"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"gif", "image/gif"},
        {"webp", "image/webp"},
        {"ico", "image/x-icon"},
        {"txt", "text/plain; charset=utf-8"},
        {"xml", "application/xml"},
        {"pdf", "application/pdf"},
        {"mp4", "video/mp4"},
        {"webm", "video/webm"},
        {"m4s", "video/iso.segment"},
        {"mpd", "application/dash+xml"},
        {"m3u8", "application/vnd.apple.mpegurl"},
        {"woff2", "font/woff2"},
        {"wasm", "application/wasm"},
        {"gz", "application/gzip"},
        {"zip", "application/zip"},
    };
    for (const auto& [ext, type] : expected) {
        EXPECT_EQ(m.lookup(ext), type) << ext;
        EXPECT_EQ(builtin_mime_type(ext), type) << ext;
    }
    EXPECT_FALSE(m.lookup("unknownext"));
    EXPECT_FALSE(m.lookup(""));
    EXPECT_FALSE(m.lookup(std::string(100, 'a')));
}

TEST(MimeTypes, ExtensionsIgnoreCase) {
    const MimeTypes m;
    EXPECT_EQ(m.lookup("HTML"), "text/html; charset=utf-8");
    EXPECT_EQ(m.lookup("Jpg"), "image/jpeg");
    EXPECT_EQ(m.for_path("/INDEX.HTM"), "text/html; charset=utf-8");
}

TEST(MimeTypes, ForPath) {
    const MimeTypes m;
    EXPECT_EQ(m.for_path("/var/www/index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(m.for_path("style.css"), "text/css; charset=utf-8");
    EXPECT_EQ(m.for_path("/a/archive.tar.gz"), "application/gzip");
    EXPECT_EQ(m.for_path("/video/seg-1.m4s"), "video/iso.segment");
    EXPECT_EQ(m.for_path("/README"), kDefaultMimeType);
    EXPECT_EQ(m.for_path("/a.dir/README"), kDefaultMimeType);  // the dot is in a directory
    EXPECT_EQ(m.for_path("/.profile"), kDefaultMimeType);      // a dotfile has no extension
    EXPECT_EQ(m.for_path("/.config.json"), "application/json");
    EXPECT_EQ(m.for_path("/file."), kDefaultMimeType);
    EXPECT_EQ(m.for_path("/file.unknown"), kDefaultMimeType);
    EXPECT_EQ(m.for_path(""), kDefaultMimeType);
    EXPECT_EQ(kDefaultMimeType, "application/octet-stream");
}

TEST(MimeTypes, LoadsMimeTypesText) {
    MimeTypes m;
    const auto loaded = m.load(
        "# MIME type\t\t\tExtensions\n"
        "\n"
        "application/vnd.example  ex1 EX2\n"
        "text/x-custom\t\tcust  # a comment after the words\n"
        "image/x-none\n"
        "application/x-override html\r\n"
        "   # indented comment\n"
        "Application/X-Upper up");
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(*loaded, 5u);
    EXPECT_EQ(m.loaded_count(), 5u);
    EXPECT_EQ(m.lookup("ex1"), "application/vnd.example");
    EXPECT_EQ(m.lookup("ex2"), "application/vnd.example");
    EXPECT_EQ(m.for_path("/a/b.EX2"), "application/vnd.example");
    EXPECT_EQ(m.lookup("cust"), "text/x-custom; charset=utf-8");
    EXPECT_EQ(m.lookup("html"), "application/x-override");  // loaded mappings win
    EXPECT_EQ(m.lookup("up"), "application/x-upper");
    EXPECT_EQ(m.lookup("css"), "text/css; charset=utf-8");  // the built-ins remain
    // A later load adds to, and overrides, the earlier ones.
    ASSERT_TRUE(m.load("application/other ex1\n"));
    EXPECT_EQ(m.lookup("ex1"), "application/other");
    EXPECT_EQ(m.lookup("ex2"), "application/vnd.example");
}

TEST(MimeTypes, RejectsMalformedTextWithoutChangingAnything) {
    MimeTypes m;
    ASSERT_TRUE(m.load("application/a aaa\n"));
    const char* bad[] = {
        "nonsense ext\n",
        "text/ ext\n",
        "/html ext\n",
        "text/html/x ext\n",
        "text/h(tml ext\n",
        "application/b bbb\napplication/c c/c\n",
        "application/b bbb\napplication/c c\"c\n",
    };
    for (const char* text : bad) {
        const auto r = m.load(text);
        ASSERT_FALSE(r) << text;
        EXPECT_TRUE(r.error().message.starts_with("line ")) << r.error().message;
    }
    EXPECT_EQ(m.load("application/b bbb\napplication/c c/c\n").error().message.substr(0, 8),
              "line 2: ");
    EXPECT_EQ(m.loaded_count(), 1u);
    EXPECT_FALSE(m.lookup("bbb"));
    EXPECT_EQ(m.lookup("aaa"), "application/a");
}

TEST(MimeTypes, LoadIsBounded) {
    MimeTypes m;
    EXPECT_FALSE(m.load(std::string(kMaxMimeTypesText + 1, '#')));
    EXPECT_FALSE(m.load("application/x " + std::string(kMaxMimeExtension + 1, 'e') + "\n"));
    EXPECT_TRUE(m.load("application/x " + std::string(kMaxMimeExtension, 'e') + "\n"));

    std::string many = "application/x";
    for (std::size_t i = 0; i <= kMaxMimeTypesMappings; ++i) {
        many += " e" + std::to_string(i);
    }
    MimeTypes fresh;
    const auto r = fresh.load(many);
    ASSERT_FALSE(r);
    EXPECT_EQ(fresh.loaded_count(), 0u);
}

}  // namespace
}  // namespace l7::http
