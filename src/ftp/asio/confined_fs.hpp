#pragma once
// A user's files on the disk: the FtpFileSystem of the server, confined to a root directory.
// Virtual paths (already free of "..", see virtual_path.hpp) are joined to the root, and
// every path is checked after the kernel resolved its symbolic links: one that ends outside
// the root is refused as "permission denied", whatever the link says. Operations on a name
// itself (remove, rename, create) resolve only its parent, so removing a link removes the
// link and never what it points to.
//
// The FTP users cannot make links (there is no command for it); links an administrator put
// in the tree are followed while they stay inside the root.

#include <filesystem>
#include <string>
#include <vector>

#include "ftp/file_system.hpp"

namespace l7::ftp {

class ConfinedFileSystem : public FtpFileSystem {
  public:
    // `root` must exist; it is made canonical here.
    explicit ConfinedFileSystem(const std::filesystem::path& root);

    const std::filesystem::path& root() const { return root_; }

    // The real path of an existing file or directory, links followed, inside the root.
    Result<std::filesystem::path, FsError> existing(const std::string& path) const;
    // The real path for a name to create or replace: its parent resolved (and inside the
    // root, and a directory), the name itself not followed. A name that is a link to
    // something outside the root is refused too.
    Result<std::filesystem::path, FsError> creatable(const std::string& path) const;

    Result<FtpFileInfo, FsError> stat(const std::string& path) override;
    Result<std::vector<FtpFileInfo>, FsError> list(const std::string& path,
                                                   std::size_t max_entries) override;
    std::optional<FsError> make_directory(const std::string& path) override;
    std::optional<FsError> remove_directory(const std::string& path) override;
    std::optional<FsError> remove_file(const std::string& path) override;
    std::optional<FsError> rename(const std::string& from, const std::string& to) override;

  private:
    bool inside(const std::filesystem::path& canonical) const;

    std::filesystem::path root_;
};

// The FsError for an errno value.
FsError fs_error_from_errno(int error);

}  // namespace l7::ftp
