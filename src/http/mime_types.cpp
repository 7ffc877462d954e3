#include "http/mime_types.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "http/head_syntax.hpp"

namespace l7::http {
namespace {

struct Mapping {
    std::string_view extension;  // lowercase
    std::string_view type;
};

// Sorted by extension (checked below) for binary search. Types follow the IANA registry
// where it has one; JavaScript is text/javascript (RFC 9239), fonts are font/* (RFC 8081),
// DASH manifests application/dash+xml and HLS playlists application/vnd.apple.mpegurl.
constexpr std::array kBuiltin = {
    Mapping{"7z", "application/x-7z-compressed"},
    Mapping{"aac", "audio/aac"},
    Mapping{"apng", "image/apng"},
    Mapping{"atom", "application/atom+xml"},
    Mapping{"avif", "image/avif"},
    Mapping{"bmp", "image/bmp"},
    Mapping{"bz2", "application/x-bzip2"},
    Mapping{"css", "text/css; charset=utf-8"},
    Mapping{"csv", "text/csv; charset=utf-8"},
    Mapping{"flac", "audio/flac"},
    Mapping{"gif", "image/gif"},
    Mapping{"gz", "application/gzip"},
    Mapping{"htm", "text/html; charset=utf-8"},
    Mapping{"html", "text/html; charset=utf-8"},
    Mapping{"ico", "image/x-icon"},
    Mapping{"ics", "text/calendar; charset=utf-8"},
    Mapping{"jpeg", "image/jpeg"},
    Mapping{"jpg", "image/jpeg"},
    Mapping{"js", "text/javascript; charset=utf-8"},
    Mapping{"json", "application/json"},
    Mapping{"jsonld", "application/ld+json"},
    Mapping{"jxl", "image/jxl"},
    Mapping{"m3u8", "application/vnd.apple.mpegurl"},
    Mapping{"m4a", "audio/mp4"},
    Mapping{"m4s", "video/iso.segment"},
    Mapping{"m4v", "video/mp4"},
    Mapping{"map", "application/json"},
    Mapping{"md", "text/markdown; charset=utf-8"},
    Mapping{"mjs", "text/javascript; charset=utf-8"},
    Mapping{"mov", "video/quicktime"},
    Mapping{"mp3", "audio/mpeg"},
    Mapping{"mp4", "video/mp4"},
    Mapping{"mpd", "application/dash+xml"},
    Mapping{"oga", "audio/ogg"},
    Mapping{"ogg", "audio/ogg"},
    Mapping{"ogv", "video/ogg"},
    Mapping{"otf", "font/otf"},
    Mapping{"pdf", "application/pdf"},
    Mapping{"png", "image/png"},
    Mapping{"rss", "application/rss+xml"},
    Mapping{"svg", "image/svg+xml"},
    Mapping{"tar", "application/x-tar"},
    Mapping{"torrent", "application/x-bittorrent"},
    Mapping{"ts", "video/mp2t"},
    Mapping{"ttf", "font/ttf"},
    Mapping{"txt", "text/plain; charset=utf-8"},
    Mapping{"vtt", "text/vtt; charset=utf-8"},
    Mapping{"wasm", "application/wasm"},
    Mapping{"wav", "audio/wav"},
    Mapping{"webm", "video/webm"},
    Mapping{"webmanifest", "application/manifest+json"},
    Mapping{"webp", "image/webp"},
    Mapping{"woff", "font/woff"},
    Mapping{"woff2", "font/woff2"},
    Mapping{"xhtml", "application/xhtml+xml"},
    Mapping{"xml", "application/xml"},
    Mapping{"xz", "application/x-xz"},
    Mapping{"zip", "application/zip"},
    Mapping{"zst", "application/zstd"},
};
static_assert(std::is_sorted(kBuiltin.begin(), kBuiltin.end(),
                             [](const Mapping& a, const Mapping& b) {
                                 return a.extension < b.extension;
                             }),
              "kBuiltin must stay sorted by extension");

// Lowercase copy into `buf`; false when `ext` is empty or longer than kMaxMimeExtension.
bool lower_extension(std::string_view ext, std::array<char, kMaxMimeExtension>& buf,
                     std::string_view& out) {
    if (ext.empty() || ext.size() > buf.size()) {
        return false;
    }
    for (std::size_t i = 0; i < ext.size(); ++i) {
        const char c = ext[i];
        buf[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
    }
    out = std::string_view(buf.data(), ext.size());
    return true;
}

std::string_view next_word(std::string_view& line) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    std::size_t i = 0;
    while (i < line.size() && blank(line[i])) {
        ++i;
    }
    std::size_t j = i;
    while (j < line.size() && !blank(line[j])) {
        ++j;
    }
    const std::string_view word = line.substr(i, j - i);
    line.remove_prefix(j);
    return word;
}

}  // namespace

std::optional<std::string_view> builtin_mime_type(std::string_view extension) {
    std::array<char, kMaxMimeExtension> buf{};
    std::string_view key;
    if (!lower_extension(extension, buf, key)) {
        return std::nullopt;
    }
    const auto it =
        std::lower_bound(kBuiltin.begin(), kBuiltin.end(), key,
                         [](const Mapping& m, std::string_view k) { return m.extension < k; });
    if (it == kBuiltin.end() || it->extension != key) {
        return std::nullopt;
    }
    return it->type;
}

std::optional<std::string_view> MimeTypes::lookup(std::string_view extension) const {
    std::array<char, kMaxMimeExtension> buf{};
    std::string_view key;
    if (!lower_extension(extension, buf, key)) {
        return std::nullopt;
    }
    if (!extra_.empty()) {
        const auto it = extra_.find(std::string(key));
        if (it != extra_.end()) {
            return std::string_view(it->second);
        }
    }
    return builtin_mime_type(key);
}

std::string_view MimeTypes::for_path(std::string_view path) const {
    const std::size_t slash = path.rfind('/');
    const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const std::size_t dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) {
        return kDefaultMimeType;  // no extension, or a dotfile such as ".profile"
    }
    return lookup(name.substr(dot + 1)).value_or(kDefaultMimeType);
}

Result<std::size_t> MimeTypes::load(std::string_view text) {
    if (text.size() > kMaxMimeTypesText) {
        return make_error("mime.types text larger than " + std::to_string(kMaxMimeTypesText) +
                          " bytes");
    }
    std::unordered_map<std::string, std::string> merged = extra_;
    std::size_t mapped = 0;
    std::size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        line = line.substr(0, line.find('#'));
        const auto where = [&] { return "line " + std::to_string(line_no) + ": "; };

        const std::string_view type = next_word(line);
        if (type.empty()) {
            continue;  // blank or comment-only
        }
        const std::size_t slash = type.find('/');
        if (slash == std::string_view::npos || !is_token(type.substr(0, slash)) ||
            !is_token(type.substr(slash + 1)) || type.size() > kMaxMimeTypeLength) {
            return make_error(where() + "'" + std::string(type.substr(0, kMaxMimeTypeLength)) +
                              "' is not a media type (type/subtype)");
        }
        std::string full(type);
        std::transform(full.begin(), full.end(), full.begin(), [](char c) {
            return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
        });
        if (full.starts_with("text/")) {
            full += "; charset=utf-8";
        }
        for (std::string_view ext = next_word(line); !ext.empty(); ext = next_word(line)) {
            std::array<char, kMaxMimeExtension> buf{};
            std::string_view key;
            if (!is_token(ext) || !lower_extension(ext, buf, key)) {
                return make_error(where() + "bad extension '" +
                                  std::string(ext.substr(0, kMaxMimeExtension + 1)) + "'");
            }
            if (++mapped > kMaxMimeTypesMappings ||
                (merged.size() >= kMaxMimeTypesMappings && !merged.contains(std::string(key)))) {
                return make_error(where() + "more than " + std::to_string(kMaxMimeTypesMappings) +
                                  " extensions");
            }
            merged[std::string(key)] = full;
        }
    }
    extra_ = std::move(merged);
    return mapped;
}

}  // namespace l7::http
