#pragma once
// What the server session needs from a user's files, by virtual path (virtual_path.hpp):
// the server's driver gives it a view confined to the user's root (asio/confined_fs.hpp),
// the unit tests an in-memory one. Opening files for a transfer is the driver's job: the
// session only decides what is transferred.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "ftp/listing.hpp"

namespace l7::ftp {

enum class FsError {
    not_found,      // 550
    exists,         // 550 (MKD of an existing name, RNTO onto a directory)
    not_directory,  // 550
    is_directory,   // 550
    not_empty,      // 550 (RMD)
    permission,     // 550 (the disk said no, or a symbolic link points outside the root)
    too_many,       // 550 (a directory with more entries than the listing limit)
    no_space,       // 452
    io,             // 451
};

class FtpFileSystem {
  public:
    virtual ~FtpFileSystem() = default;

    // The file or directory at `path`; its name is the last component ("" for "/").
    virtual Result<FtpFileInfo, FsError> stat(const std::string& path) = 0;
    // The entries of a directory (not "." and ".."), sorted by name; FsError::too_many when
    // there are more than `max_entries`.
    virtual Result<std::vector<FtpFileInfo>, FsError> list(const std::string& path,
                                                           std::size_t max_entries) = 0;
    virtual std::optional<FsError> make_directory(const std::string& path) = 0;
    virtual std::optional<FsError> remove_directory(const std::string& path) = 0;
    virtual std::optional<FsError> remove_file(const std::string& path) = 0;
    // A file or directory moved; `to` may replace a file, never a directory.
    virtual std::optional<FsError> rename(const std::string& from, const std::string& to) = 0;
};

}  // namespace l7::ftp
