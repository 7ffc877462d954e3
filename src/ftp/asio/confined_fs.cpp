#include "ftp/asio/confined_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>

namespace l7::ftp {
namespace fs = std::filesystem;

namespace {

FtpFileInfo info_from(const struct stat& st, std::string name) {
    FtpFileInfo info;
    info.name = std::move(name);
    info.type = S_ISDIR(st.st_mode)   ? FtpFileInfo::Type::directory
                : S_ISREG(st.st_mode) ? FtpFileInfo::Type::file
                                      : FtpFileInfo::Type::other;
    info.size = S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
    info.modified = st.st_mtime;
    info.mode = st.st_mode & 07777;
    return info;
}

// The virtual path below the root: "/a/b" -> "a/b".
fs::path relative(const std::string& path) {
    std::string_view p = path;
    while (p.starts_with('/')) {
        p.remove_prefix(1);
    }
    return fs::path(std::string(p));
}

}  // namespace

FsError fs_error_from_errno(int error) {
    switch (error) {
        case ENOENT:
            return FsError::not_found;
        case EEXIST:
            return FsError::exists;
        case ENOTDIR:
            return FsError::not_directory;
        case EISDIR:
            return FsError::is_directory;
        case ENOTEMPTY:
            return FsError::not_empty;
        case EACCES:
        case EPERM:
        case EROFS:
        case ELOOP:
        case EXDEV:
        case EBUSY:
            return FsError::permission;
        case ENOSPC:
        case EDQUOT:
        case EFBIG:
            return FsError::no_space;
        default:
            return FsError::io;
    }
}

ConfinedFileSystem::ConfinedFileSystem(const fs::path& root) : root_(fs::canonical(root)) {}

bool ConfinedFileSystem::inside(const fs::path& canonical) const {
    const std::string& r = root_.native();
    const std::string& c = canonical.native();
    if (r == "/") {
        return true;
    }
    return c == r || (c.size() > r.size() && c.compare(0, r.size(), r) == 0 && c[r.size()] == '/');
}

Result<fs::path, FsError> ConfinedFileSystem::existing(const std::string& path) const {
    std::error_code ec;
    const fs::path joined = root_ / relative(path);
    fs::path real = fs::canonical(joined, ec);
    if (ec) {
        // Behind a link to the outside, "no such file" would tell what exists out there.
        std::error_code weak_ec;
        const fs::path reached = fs::weakly_canonical(joined, weak_ec);
        if (!weak_ec && !inside(reached)) {
            return FsError::permission;
        }
        return fs_error_from_errno(ec.value());
    }
    if (!inside(real)) {
        return FsError::permission;
    }
    return real;
}

Result<fs::path, FsError> ConfinedFileSystem::creatable(const std::string& path) const {
    const fs::path rel = relative(path);
    if (rel.empty()) {
        return FsError::permission;
    }
    std::error_code ec;
    const fs::path parent = fs::canonical(root_ / rel.parent_path(), ec);
    if (ec) {
        return fs_error_from_errno(ec.value());
    }
    if (!inside(parent)) {
        return FsError::permission;
    }
    if (!fs::is_directory(parent, ec)) {
        return FsError::not_directory;
    }
    fs::path real = parent / rel.filename();
    struct stat st {};
    if (::lstat(real.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        // Writing through a link would write where it points: only inside the root.
        const fs::path target = fs::weakly_canonical(real, ec);
        if (ec || !inside(target)) {
            return FsError::permission;
        }
    }
    return real;
}

Result<FtpFileInfo, FsError> ConfinedFileSystem::stat(const std::string& path) {
    auto real = existing(path);
    if (!real) {
        return real.error();
    }
    struct stat st {};
    if (::stat(real->c_str(), &st) != 0) {
        return fs_error_from_errno(errno);
    }
    const std::size_t slash = path.rfind('/');
    return info_from(st, slash == std::string::npos ? path : path.substr(slash + 1));
}

Result<std::vector<FtpFileInfo>, FsError> ConfinedFileSystem::list(const std::string& path,
                                                                   std::size_t max_entries) {
    auto real = existing(path);
    if (!real) {
        return real.error();
    }
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(real->c_str()), ::closedir);
    if (!dir) {
        return fs_error_from_errno(errno);
    }
    std::vector<FtpFileInfo> out;
    while (const dirent* entry = ::readdir(dir.get())) {
        const std::string name = entry->d_name;
        if (name == "." || name == "..") {
            continue;
        }
        // Hidden staging files of uploads in progress are not for listing.
        if (name.starts_with(".l7-staged-")) {
            continue;
        }
        struct stat st {};
        if (::fstatat(::dirfd(dir.get()), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            continue;  // gone meanwhile
        }
        if (S_ISLNK(st.st_mode)) {
            // Shown as what it points to, when that is inside the root; else not at all.
            std::error_code ec;
            const fs::path target = fs::canonical(*real / name, ec);
            if (ec || !inside(target) || ::stat(target.c_str(), &st) != 0) {
                continue;
            }
        }
        if (out.size() >= max_entries) {
            return FsError::too_many;
        }
        out.push_back(info_from(st, name));
    }
    std::sort(out.begin(), out.end(),
              [](const FtpFileInfo& a, const FtpFileInfo& b) { return a.name < b.name; });
    return out;
}

std::optional<FsError> ConfinedFileSystem::make_directory(const std::string& path) {
    auto real = creatable(path);
    if (!real) {
        return real.error();
    }
    if (::mkdir(real->c_str(), 0755) != 0) {
        return fs_error_from_errno(errno);
    }
    return std::nullopt;
}

std::optional<FsError> ConfinedFileSystem::remove_directory(const std::string& path) {
    auto real = creatable(path);
    if (!real) {
        return real.error();
    }
    if (::rmdir(real->c_str()) != 0) {
        return fs_error_from_errno(errno == EEXIST ? ENOTEMPTY : errno);
    }
    return std::nullopt;
}

std::optional<FsError> ConfinedFileSystem::remove_file(const std::string& path) {
    auto real = creatable(path);
    if (!real) {
        return real.error();
    }
    struct stat st {};
    if (::lstat(real->c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        return FsError::is_directory;
    }
    if (::unlink(real->c_str()) != 0) {
        return fs_error_from_errno(errno);
    }
    return std::nullopt;
}

std::optional<FsError> ConfinedFileSystem::rename(const std::string& from, const std::string& to) {
    auto source = creatable(from);
    if (!source) {
        return source.error();
    }
    auto target = creatable(to);
    if (!target) {
        return target.error();
    }
    struct stat st {};
    if (::lstat(target->c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        return FsError::exists;  // never replace a directory
    }
    if (::rename(source->c_str(), target->c_str()) != 0) {
        return fs_error_from_errno(errno);
    }
    return std::nullopt;
}

}  // namespace l7::ftp
