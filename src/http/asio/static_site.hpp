#pragma once
// Static files from a document root (`l7 http serve DIR`): GET, HEAD and OPTIONS of files,
// with Last-Modified, a strong ETag, conditional requests (304/412, RFC 9110 section 13),
// ranges (206/416, RFC 9110 section 14), index files, redirects of directories to their
// trailing slash, and no escape from the root: the target is decoded once and normalised
// (target_path.hpp), dotfiles are hidden, and a symlink that leads out of the root is refused
// unless allowed.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "http/asio/server.hpp"
#include "http/mime_types.hpp"

namespace l7::http {

struct SiteOptions {
    std::filesystem::path root;
    std::vector<std::string> index = {"index.html"};
    bool serve_dotfiles = false;
    bool symlinks_outside_root = false;
    // Random bytes for multipart boundaries (tests pass a fixed source).
    std::function<std::uint64_t()> random;
};

class StaticSite {
  public:
    // The root must exist; it is resolved once (realpath) for the symlink check.
    explicit StaticSite(SiteOptions options);

    Reply handle(const Request& request) const;

  private:
    Reply serve_file(const Request& request, const std::filesystem::path& file) const;

    SiteOptions options_;
    std::filesystem::path real_root_;
    MimeTypes mime_;
};

}  // namespace l7::http
