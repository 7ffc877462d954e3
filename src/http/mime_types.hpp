#pragma once
// Content-Type by file extension, for a static file server (RFC 9110 8.3): a built-in table
// of the common web types, plus mappings read from text in the mime.types format that Apache
// and Debian's /etc/mime.types use:
//
//   # comment
//   type/subtype  ext1 ext2 ...
//
// Extensions compare without ASCII case ("INDEX.HTML" is text/html). Unknown extensions get
// application/octet-stream (RFC 9110 8.3: a recipient may then sniff, or just save). text/*
// types carry "; charset=utf-8", as the files a web server holds today are UTF-8 and the
// default for text/* would otherwise be left to the browser's guess (RFC 6657 section 4).
//
// Sans-I/O: load_mime_types takes the file's text; reading the file is the driver's job.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"

namespace l7::http {

inline constexpr std::string_view kDefaultMimeType = "application/octet-stream";

// Bounds for loaded text; beyond them loading fails rather than using part of the file.
inline constexpr std::size_t kMaxMimeTypesText = 1024 * 1024;
inline constexpr std::size_t kMaxMimeTypesMappings = 10000;
inline constexpr std::size_t kMaxMimeExtension = 32;  // longer extensions are never looked up
inline constexpr std::size_t kMaxMimeTypeLength = 255;

class MimeTypes {
  public:
    // The built-in table only.
    MimeTypes() = default;

    // The Content-Type for an extension without its dot ("html"), or nullopt when neither
    // loaded mappings nor the built-in table know it. Loaded mappings win.
    std::optional<std::string_view> lookup(std::string_view extension) const;

    // The Content-Type for a file path or name: the extension after the last '.' of the last
    // segment ("a/b.tar.gz" -> "gz"), none for dotfiles without another dot (".profile"),
    // kDefaultMimeType when unknown. The view lives as long as this object, unchanged.
    std::string_view for_path(std::string_view path) const;

    // Adds the mappings of mime.types text (see above). Tabs and spaces separate words; a
    // type must be token "/" token (RFC 9110 5.6.2) and is stored lowercase, with
    // "; charset=utf-8" added to text/*; an extension must be a token of at most
    // kMaxMimeExtension bytes. A later line wins over an earlier one for the same extension.
    // Returns the number of extensions mapped.
    // Fails, naming the line ("line 3: ..."), on a malformed line or past the bounds above;
    // the mappings then stay as they were.
    Result<std::size_t> load(std::string_view text);

    std::size_t loaded_count() const { return extra_.size(); }

  private:
    std::unordered_map<std::string, std::string> extra_;  // lowercase extension -> type
};

// The built-in type for an extension, case-insensitively; nullopt when not in the table.
std::optional<std::string_view> builtin_mime_type(std::string_view extension);

}  // namespace l7::http
