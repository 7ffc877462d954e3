#pragma once
// Static files from a document root (`l7 http serve DIR`): GET, HEAD and OPTIONS of files,
// with Last-Modified, a strong ETag, conditional requests (304/412, RFC 9110 section 13),
// ranges (206/416, RFC 9110 section 14), index files, redirects of directories to their
// trailing slash, directory listings, gzip for text, and no escape from the root: the target is
// decoded once and normalised (target_path.hpp), dotfiles are hidden, and a symlink that leads out
// of the root is refused unless allowed.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <sys/stat.h>

#include "core/result.hpp"
#include "http/asio/file_cache.hpp"
#include "http/asio/server.hpp"
#include "http/mime_types.hpp"
#include "http/target_path.hpp"

namespace l7::http {

// Smaller bodies gain little from gzip; bigger ones would be held in memory whole.
inline constexpr std::uint64_t kMinGzipSize = 256;
inline constexpr std::uint64_t kMaxGzipSize = 8 * 1024 * 1024;

struct SiteOptions {
    std::filesystem::path root;
    std::vector<std::string> index = {"index.html"};
    bool serve_dotfiles = false;
    bool symlinks_outside_root = false;
    // An HTML index of a directory without an index file (else 403).
    bool listing = false;
    // Compress text (is_compressible) with gzip for clients that accept it, when no FILE.gz
    // is beside it; between kMinGzipSize and kMaxGzipSize bytes, not for Range requests.
    bool gzip_on_the_fly = true;
    // Extra Content-Type mappings (mime.types text), and the file they came from for errors.
    std::string mime_types_text;
    std::string mime_types_source;
    // Random bytes for multipart boundaries (tests pass a fixed source).
    std::function<std::uint64_t()> random;
};

class StaticSite {
  public:
    // The root must exist; it is resolved once (realpath) for the symlink check.
    // Throws config::ConfigError when mime_types_text does not parse.
    explicit StaticSite(SiteOptions options);

    Reply handle(const Request& request) const;
    // The same for a target the caller has parsed already (a virtual host has).
    Reply handle(const Request& request, const TargetPath& target) const;

  private:
    // A file or directory opened under the root, and what fstat said of it; a small file's
    // bytes come from the cache (then there is no descriptor at all), a larger file's descriptor
    // may.
    struct OpenFile {
        std::shared_ptr<int> fd;
        struct stat st;
        std::shared_ptr<const std::string> bytes;
    };
    // Opens `rel` (relative to the root; "" is the root) confined to the root unless
    // symlinks out of it are allowed; fails with the status to answer (404, 403).
    Result<OpenFile, int> open_in_root(const std::string& rel, std::string_view target) const;
    Reply serve_file(const Request& request, const OpenFile& identity,
                     const std::string& rel) const;
    Reply list_directory(const std::filesystem::path& dir, const std::string& url_path) const;

    SiteOptions options_;
    std::filesystem::path real_root_;
    std::shared_ptr<int> root_fd_;  // O_PATH descriptor of real_root_, the base of every open
    MimeTypes mime_;
    std::shared_ptr<FileCache> cache_ = std::make_shared<FileCache>();
};

}  // namespace l7::http
