#include "p2p/asio/file_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/unique_fd.hpp"

namespace l7::p2p {

namespace fs = std::filesystem;

namespace {

using Fd = UniqueFd;

Error sys_error(const std::string& what, int err) {
    return make_error(what + ": " + std::strerror(err));
}

// What an openat of `name` in `parent` with O_NOFOLLOW failing says, in words. The symlink
// it refused shows as ELOOP, or as ENOTDIR with O_DIRECTORY: lstat tells which it was.
Error open_error(const std::string& what, int err, int parent, const char* name,
                 const fs::path& dir) {
    struct stat st {};
    if ((err == ELOOP || err == ENOTDIR) &&
        ::fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
        return make_error(what + ": a symbolic link; a torrent's files are never reached " +
                          "through one (they could lead outside " + dir.string() + ")");
    }
    return sys_error(what, err);
}

std::string bytes(std::uint64_t n) {
    return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

}  // namespace

FileStore::FileStore(const TorrentInfo& info, Mode mode, Options options)
    : info_(info), mode_(mode), options_(options) {
    info_.raw_info.clear();  // not needed here, and may be large
    options_.max_open_files = std::max<std::size_t>(options_.max_open_files, 1);
}

FileStore::~FileStore() {
    // No fdatasync here: closing keeps the data in the page cache, and the driver syncs on
    // stop where it can report a failure.
    for (File& f : files_) {
        if (f.fd >= 0) {
            ::close(f.fd);
        }
    }
    if (dir_fd_ >= 0) {
        ::close(dir_fd_);
    }
}

Result<std::unique_ptr<FileStore>> FileStore::open(const TorrentInfo& info, fs::path download_dir,
                                                   Mode mode) {
    return open(info, std::move(download_dir), mode, Options{});
}

Result<std::unique_ptr<FileStore>> FileStore::open(const TorrentInfo& info, fs::path download_dir,
                                                   Mode mode, Options options) {
    if (download_dir.empty()) {
        download_dir = ".";
    }
    std::unique_ptr<FileStore> store(new FileStore(info, mode, options));
    store->root_ = download_dir / info.name;
    if (mode == Mode::leech) {
        std::error_code ec;
        fs::create_directories(download_dir, ec);
        if (ec) {
            return make_error(download_dir.string() + ": " + ec.message());
        }
    }
    // The user's own directory: followed even when it is a symlink.
    store->dir_fd_ = ::open(download_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (store->dir_fd_ < 0) {
        return sys_error(download_dir.string(), errno);
    }
    for (const TorrentFile& tf : info.files) {
        File f;
        f.components.push_back(info.name);
        if (!info.single_file) {
            f.components.insert(f.components.end(), tf.path.begin(), tf.path.end());
        }
        fs::path shown = download_dir;
        for (const std::string& c : f.components) {
            shown /= c;
        }
        f.display = shown.string();
        f.length = tf.length;
        store->files_.push_back(std::move(f));
    }
    for (std::size_t i = 0; i < store->files_.size(); ++i) {
        auto fd = store->open_file(i, true);
        if (!fd) {
            return fd.error();
        }
        File& f = store->files_[i];
        // Zero-length files hold no bytes and are never read or written: created, not kept.
        if (f.length > 0 && store->lru_.size() < store->options_.max_open_files) {
            f.fd = *fd;
            store->lru_.push_front(i);
            f.lru = store->lru_.begin();
        } else {
            ::close(*fd);
        }
    }
    return store;
}

// Walks download_dir/name/... one component at a time with O_NOFOLLOW, so no symlink is
// ever followed (the last component included). At open (`at_open`) it also creates what is
// missing in leech mode and checks the file's type and length.
Result<int> FileStore::open_file(std::size_t index, bool at_open) {
    File& f = files_[index];
    const bool create = at_open && mode_ == Mode::leech;
    fs::path shown = root_.parent_path();
    if (shown.empty()) {
        shown = ".";
    }
    Fd dir;
    int parent = dir_fd_;
    for (std::size_t i = 0; i + 1 < f.components.size(); ++i) {
        const char* name = f.components[i].c_str();
        shown /= f.components[i];
        constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        int fd = ::openat(parent, name, kDirFlags);
        if (fd < 0 && errno == ENOENT && create) {
            if (::mkdirat(parent, name, 0755) != 0 && errno != EEXIST) {
                return sys_error(shown.string(), errno);
            }
            fd = ::openat(parent, name, kDirFlags);
        }
        if (fd < 0) {
            return open_error(shown.string(), errno, parent, name, root_.parent_path());
        }
        dir = Fd(fd);
        parent = dir.get();
    }
    const char* name = f.components.back().c_str();
    // O_NONBLOCK: a FIFO left where a file should be must not hang the open (it is refused
    // below as not a regular file); it changes nothing for regular files.
    constexpr int kCommon = O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    const int access = mode_ == Mode::leech ? O_RDWR : O_RDONLY;
    bool created = false;
    int raw = ::openat(parent, name, access | kCommon);
    if (raw < 0 && errno == ENOENT && create) {
        raw = ::openat(parent, name, access | kCommon | O_CREAT | O_EXCL, 0644);
        created = raw >= 0;
        if (raw < 0 && errno == EEXIST) {  // someone made it meanwhile: use theirs
            raw = ::openat(parent, name, access | kCommon);
        }
    }
    if (raw < 0) {
        if (errno == ENOENT && mode_ == Mode::seed) {
            return make_error(f.display + ": missing; seeding needs every file of the torrent");
        }
        return open_error(f.display, errno, parent, name, root_.parent_path());
    }
    Fd fd(raw);
    if (!at_open) {
        return fd.release();
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return sys_error(f.display, errno);
    }
    if (!S_ISREG(st.st_mode)) {
        return make_error(f.display + ": not a regular file");
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > f.length) {
        return make_error(f.display + ": " + bytes(size) + ", but the torrent's file has " +
                          bytes(f.length) + "; not truncating it (move it away if it is " +
                          "not this torrent's data)");
    }
    if (size < f.length && mode_ == Mode::seed) {
        return make_error(f.display + ": " + bytes(size) + ", but the torrent's file has " +
                          bytes(f.length) + "; is the download complete?");
    }
    if (size < f.length) {
        // Reserve the blocks now: a full disk shows at the start, not in the middle, and
        // the file is laid out in order. File systems without fallocate get a sparse file.
        const auto length = static_cast<off_t>(f.length);
        if (::fallocate(fd.get(), 0, 0, length) != 0) {
            const int err = errno;
            if (err != EOPNOTSUPP && err != ENOSYS && err != EINVAL) {
                return make_error(f.display + ": cannot reserve " + bytes(f.length) + ": " +
                                  std::strerror(err));
            }
            if (::ftruncate(fd.get(), length) != 0) {
                return sys_error(f.display, errno);
            }
        }
    }
    f.fresh = created;
    return fd.release();
}

void FileStore::evict_one() {
    const std::size_t index = lru_.back();
    File& f = files_[index];
    if (f.dirty) {
        // sync() cannot reach a closed file, so its written bytes are made durable now.
        if (auto err = sync_file(f); err && !pending_sync_error_) {
            pending_sync_error_ = std::move(err);
        }
    }
    ::close(f.fd);
    f.fd = -1;
    lru_.pop_back();
}

Result<int> FileStore::fd_for(std::size_t index) {
    File& f = files_[index];
    if (f.fd >= 0) {
        lru_.splice(lru_.begin(), lru_, f.lru);
        return f.fd;
    }
    while (lru_.size() >= options_.max_open_files) {
        evict_one();
    }
    auto fd = open_file(index, false);
    if (!fd) {
        return fd.error();
    }
    f.fd = *fd;
    lru_.push_front(index);
    f.lru = lru_.begin();
    return f.fd;
}

std::optional<Error> FileStore::sync_file(File& f) {
    f.dirty = false;
    if (::fdatasync(f.fd) != 0) {
        return sys_error(f.display + ": fdatasync", errno);
    }
    return std::nullopt;
}

// True when all `length` bytes were read; false when the file ended first.
Result<bool> FileStore::pread_full(std::size_t index, char* out, std::uint64_t length,
                                   std::uint64_t offset) {
    auto fd = fd_for(index);
    if (!fd) {
        return fd.error();
    }
    while (length > 0) {
        const ssize_t n = ::pread(*fd, out, length, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return sys_error(files_[index].display, errno);
        }
        if (n == 0) {
            return false;
        }
        out += n;
        length -= static_cast<std::uint64_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
    return true;
}

Result<std::string> FileStore::read(std::uint32_t piece, std::uint32_t begin,
                                    std::uint32_t length) {
    if (piece >= info_.piece_count()) {
        return make_error("piece " + std::to_string(piece) + " is past the torrent's end");
    }
    const std::uint32_t size = info_.piece_size(piece);
    if (begin > size || length > size - begin) {
        return make_error("bytes " + std::to_string(begin) + "+" + std::to_string(length) +
                          " are outside piece " + std::to_string(piece));
    }
    std::string out(length, '\0');
    std::size_t at = 0;
    const std::uint64_t start = std::uint64_t{piece} * info_.piece_length + begin;
    for (const FileSlice& s : map_range(info_, start, length)) {
        auto full = pread_full(s.file, out.data() + at, s.length, s.offset);
        if (!full) {
            return full.error();
        }
        if (!*full) {
            return make_error(files_[s.file].display + ": ends before byte " +
                              std::to_string(s.offset + s.length) + " (changed on disk?)");
        }
        at += s.length;
    }
    return out;
}

std::optional<Error> FileStore::write_piece(std::uint32_t piece, std::string_view data) {
    if (mode_ == Mode::seed) {
        return make_error(root_.string() + ": opened read-only for seeding");
    }
    if (piece >= info_.piece_count()) {
        return make_error("piece " + std::to_string(piece) + " is past the torrent's end");
    }
    if (data.size() != info_.piece_size(piece)) {
        return make_error("piece " + std::to_string(piece) + " has " + bytes(data.size()) +
                          ", not " + bytes(info_.piece_size(piece)));
    }
    for (const FileSlice& s : piece_slices(info_, piece)) {
        auto fd = fd_for(s.file);
        if (!fd) {
            return fd.error();
        }
        File& f = files_[s.file];
        const char* p = data.data();
        std::uint64_t left = s.length;
        std::uint64_t offset = s.offset;
        while (left > 0) {
            const ssize_t n = ::pwrite(*fd, p, left, static_cast<off_t>(offset));
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return sys_error(f.display, errno);
            }
            p += n;
            left -= static_cast<std::uint64_t>(n);
            offset += static_cast<std::uint64_t>(n);
        }
        data.remove_prefix(s.length);
        f.fresh = false;
        if (!f.dirty) {
            f.dirty = true;
            dirty_.push_back(s.file);
        }
        unsynced_ += s.length;
        unwritten_ += s.length;
    }
    return std::nullopt;
}

void FileStore::start_writeback() {
    for (std::size_t index : dirty_) {
        const File& f = files_[index];
        if (f.dirty && f.fd >= 0) {
            // A hint: a failure here shows again, and is reported, at sync().
            (void)::sync_file_range(f.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        }
    }
    unwritten_ = 0;
}

std::optional<Error> FileStore::sync() {
    std::optional<Error> first = std::exchange(pending_sync_error_, std::nullopt);
    for (std::size_t index : dirty_) {
        File& f = files_[index];
        if (!f.dirty) {
            continue;  // synced when it was closed
        }
        if (auto err = sync_file(f); err && !first) {
            first = std::move(err);
        }
    }
    dirty_.clear();
    unsynced_ = 0;
    unwritten_ = 0;
    return first;
}

Result<Bitfield> FileStore::recheck(
    const std::function<void(std::uint32_t done, std::uint32_t total)>& progress) {
    const std::uint32_t total = info_.piece_count();
    Bitfield have(total);
    std::string buffer;
    // The hashes of an all-zero piece (full and last size), computed when first needed.
    std::optional<Sha1> zero_full, zero_last;
    for (std::uint32_t i = 0; i < total; ++i) {
        const std::uint32_t size = info_.piece_size(i);
        const auto slices = piece_slices(info_, i);
        const bool all_fresh = std::all_of(
            slices.begin(), slices.end(), [&](const FileSlice& s) { return files_[s.file].fresh; });
        std::optional<Sha1> hash;
        if (all_fresh) {
            // Bytes of files this store just created are zeros: no need to read them.
            auto& zero = size == info_.piece_length ? zero_full : zero_last;
            if (!zero) {
                zero = sha1(std::string(size, '\0'));
            }
            hash = *zero;
        } else {
            buffer.resize(size);
            std::size_t at = 0;
            bool full = true;
            for (const FileSlice& s : slices) {
                auto r = pread_full(s.file, buffer.data() + at, s.length, s.offset);
                if (!r) {
                    return r.error();
                }
                if (!*r) {
                    full = false;  // shortened on disk since open: not there
                    break;
                }
                at += s.length;
            }
            if (full) {
                hash = sha1(std::string_view(buffer.data(), size));
            }
        }
        if (hash && *hash == info_.piece_hash(i)) {
            have.set(i);
        }
        if (progress) {
            progress(i + 1, total);
        }
    }
    return have;
}

}  // namespace l7::p2p
