#include "core/staged_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <utility>

namespace l7 {
namespace {

namespace fs = std::filesystem;

std::error_code last_error() {
    return {errno, std::generic_category()};
}

fs::path directory_of(const fs::path& file) {
    const fs::path parent = file.parent_path();
    return parent.empty() ? fs::path(".") : parent;
}

// rename(2) that refuses to replace an existing name. renameat2 is Linux's (3.15); file
// systems without RENAME_NOREPLACE answer EINVAL, and then a hard link does the same job
// (link(2) never replaces either).
std::error_code rename_no_replace(const fs::path& from, const fs::path& to) {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
        return {};
    }
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
        return last_error();
    }
    if (::link(from.c_str(), to.c_str()) != 0) {
        return last_error();
    }
    ::unlink(from.c_str());
    return {};
}

}  // namespace

std::optional<StagedFile> StagedFile::create(const fs::path& directory, std::error_code& ec) {
    std::string name = (directory / ".l7-staged-XXXXXX").string();
    const int fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0) {
        ec = last_error();
        return std::nullopt;
    }
    ec.clear();
    return StagedFile(fd, fs::path(name));
}

StagedFile::StagedFile(StagedFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::exchange(other.path_, {})) {}

StagedFile& StagedFile::operator=(StagedFile&& other) noexcept {
    if (this != &other) {
        discard();
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::exchange(other.path_, {});
    }
    return *this;
}

StagedFile::~StagedFile() {
    discard();
}

void StagedFile::discard() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    if (!path_.empty()) {
        ::unlink(path_.c_str());
        path_.clear();
    }
}

std::error_code StagedFile::write(std::string_view data) {
    if (fd_ < 0) {
        return std::make_error_code(std::errc::bad_file_descriptor);
    }
    while (!data.empty()) {
        const ssize_t n = ::write(fd_, data.data(), data.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 ? last_error() : std::make_error_code(std::errc::io_error);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

std::error_code StagedFile::set_mode(mode_t mode) {
    if (fd_ < 0 || ::fchmod(fd_, mode) != 0) {
        return fd_ < 0 ? std::make_error_code(std::errc::bad_file_descriptor) : last_error();
    }
    return {};
}

// The data must be on disk before the name points at it: otherwise a crash after the rename
// could leave the new name on an empty or partial file.
std::error_code StagedFile::prepare_commit() {
    if (path_.empty()) {
        return std::make_error_code(std::errc::bad_file_descriptor);  // committed already
    }
    if (fd_ < 0) {
        return {};  // synced and closed by an earlier commit that found the name taken
    }
    if (::fsync(fd_) != 0) {
        return last_error();
    }
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) {
        return last_error();  // NFS reports write errors here
    }
    return {};
}

std::error_code StagedFile::finish_commit(const fs::path& target) {
    path_.clear();  // the temporary name is gone: nothing to remove any more
    return sync_directory(directory_of(target));
}

std::error_code StagedFile::replace(const fs::path& target) {
    if (auto ec = prepare_commit()) {
        return ec;
    }
    if (::rename(path_.c_str(), target.c_str()) != 0) {
        return last_error();
    }
    return finish_commit(target);
}

std::error_code StagedFile::create_new(const fs::path& target) {
    if (auto ec = prepare_commit()) {
        return ec;
    }
    if (auto ec = rename_no_replace(path_, target)) {
        return ec;
    }
    return finish_commit(target);
}

std::error_code sync_directory(const fs::path& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return last_error();
    }
    const int rc = ::fsync(fd);
    const std::error_code ec = rc == 0 ? std::error_code() : last_error();
    ::close(fd);
    return ec;
}

std::error_code create_private_directories(const fs::path& root,
                                           std::span<const char* const> subdirectories) {
    std::error_code ec;
    fs::create_directories(root, ec);
    if (ec) {
        return ec;
    }
    for (const char* sub : subdirectories) {
        if (::mkdir((root / sub).c_str(), 0700) != 0 && errno != EEXIST) {
            return last_error();
        }
    }
    return {};
}

std::error_code write_file_atomically(const fs::path& target, std::string_view data, mode_t mode) {
    std::error_code ec;
    auto staged = StagedFile::create(directory_of(target), ec);
    if (!staged) {
        return ec;
    }
    if ((ec = staged->write(data)) || (ec = staged->set_mode(mode))) {
        return ec;
    }
    return staged->replace(target);
}

}  // namespace l7
