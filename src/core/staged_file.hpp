#pragma once
// A file's new content written beside it and put in place in one step, so that a reader (or
// a crash) sees the old file or the new one, never a part: the bytes go to a hidden
// temporary file in the target's directory, are fsynced, and the temporary is renamed over
// the target (or linked to it, when the target must not exist yet), then the directory is
// fsynced so that the new name is on disk too. Only then has the write happened: a server
// acknowledges it after commit returns.
//
//   std::error_code ec;
//   auto staged = StagedFile::create(dir, ec);   // dir/.l7-staged-XXXXXX, mode 0600
//   ec = staged->write(bytes);
//   ec = staged->replace(dir / "name");          // or create_new(): file_exists if taken
//
// A StagedFile that is destroyed without a commit removes its temporary file.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>

namespace l7 {

class StagedFile {
  public:
    // An empty temporary file in `directory` (which must exist), its name starting with '.'
    // so that file servers hide it. nullopt with `ec` set on failure.
    static std::optional<StagedFile> create(const std::filesystem::path& directory,
                                            std::error_code& ec);

    StagedFile(StagedFile&& other) noexcept;
    StagedFile& operator=(StagedFile&& other) noexcept;
    StagedFile(const StagedFile&) = delete;
    StagedFile& operator=(const StagedFile&) = delete;
    ~StagedFile();

    // Appends all of `data` (short writes and EINTR are retried).
    std::error_code write(std::string_view data);
    // The permissions the file will have (fchmod); the default is 0600.
    std::error_code set_mode(mode_t mode);

    // fsync the data, rename over `target` (rename(2) promises that `target` names the old
    // file or the new one at every moment), fsync the directory. `target` must be in the
    // same directory.
    std::error_code replace(const std::filesystem::path& target);
    // The same, but fails with std::errc::file_exists (and leaves `target` alone) when the
    // name is taken, atomically: renameat2(RENAME_NOREPLACE), or link(2) where the file
    // system lacks it. After file_exists, replace() may still be called (no more writes).
    std::error_code create_new(const std::filesystem::path& target);

    const std::filesystem::path& path() const { return path_; }

  private:
    StagedFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
    std::error_code prepare_commit();
    std::error_code finish_commit(const std::filesystem::path& target);
    void discard();

    int fd_ = -1;
    std::filesystem::path path_;  // empty once committed or moved from
};

// fsync(2) of a directory, so that names created, renamed or removed in it are on disk.
std::error_code sync_directory(const std::filesystem::path& directory);

// Creates `root` (with its parents) and its `subdirectories` (mode 0700: mail and queues are
// private) where missing: the layout of a Maildir or a queue.
std::error_code create_private_directories(const std::filesystem::path& root,
                                           std::span<const char* const> subdirectories);

// Writes `data` to `target` through a StagedFile with permissions `mode`, replacing the file
// if there is one.
std::error_code write_file_atomically(const std::filesystem::path& target, std::string_view data,
                                      mode_t mode);

}  // namespace l7
