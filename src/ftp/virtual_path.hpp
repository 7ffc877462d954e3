#pragma once
// Paths as an FTP user sees them: absolute from the user's virtual root ("/" is the root the
// server gave them), whatever directory the server keeps on its disk. Resolution is lexical:
// "..", "." and repeated slashes are worked out on the text, and ".." at "/" stays at "/",
// so no client path names anything above the root. (Symbolic links are the file system's
// business: see asio/confined_fs.hpp.)

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace l7::ftp {

inline constexpr std::size_t kMaxPathLength = 4096;

// `argument` (absolute, or relative to `cwd`, itself a resolved path) as a resolved path:
// "/" or "/a/b", no "." or ".." component, no empty one, no trailing slash. nullopt when the
// argument holds NUL or the result would be longer than kMaxPathLength.
std::optional<std::string> resolve_path(std::string_view cwd, std::string_view argument);

// "/a/b" -> "/a"; "/a" -> "/"; "/" -> "/".
std::string_view parent_path(std::string_view resolved);
// "/a/b" -> "b"; "/" -> "".
std::string_view base_name(std::string_view resolved);
// `dir` + "/" + `name` for a resolved directory and a plain name.
std::string join_path(std::string_view dir, std::string_view name);

// The path in a 257 reply (RFC 959 Appendix II): quoted, each '"' inside doubled.
std::string quote_path(std::string_view path);

}  // namespace l7::ftp
