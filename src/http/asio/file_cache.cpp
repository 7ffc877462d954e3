#include "http/asio/file_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace l7::http {
namespace {

bool same_file(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
           a.st_mode == b.st_mode && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
           a.st_mtim.tv_nsec == b.st_mtim.tv_nsec && a.st_ctim.tv_sec == b.st_ctim.tv_sec &&
           a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

// Whether the file changed within `settle` of now (or in the future, by a skewed clock).
bool recently_changed(const struct stat& st, std::chrono::nanoseconds settle) {
    const auto changed =
        std::chrono::seconds(st.st_ctim.tv_sec) + std::chrono::nanoseconds(st.st_ctim.tv_nsec);
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return changed + settle > now;
}

// The whole of a small file, or null when it cannot be read or changed while it was.
std::shared_ptr<const std::string> read_whole(int fd, const struct stat& st) {
    auto bytes = std::make_shared<std::string>(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < bytes->size()) {
        const ssize_t n =
            ::pread(fd, bytes->data() + done, bytes->size() - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return nullptr;  // shrank, or cannot be read: sent from the file as it is
        }
        done += static_cast<std::size_t>(n);
    }
    // A file written to while it was read would be kept half old, half new.
    struct stat after {};
    if (::fstat(fd, &after) != 0 || !same_file(after, st)) {
        return nullptr;
    }
    return bytes;
}

}  // namespace

FileCache::FileCache(std::size_t budget_bytes, std::chrono::nanoseconds settle)
    : budget_(budget_bytes), settle_(settle) {}

FileCache::Shard& FileCache::this_threads_shard() {
    static std::atomic<std::size_t> next{0};
    thread_local const std::size_t slot = next.fetch_add(1, std::memory_order_relaxed) % kShards;
    return shards_[slot];
}

std::optional<FileCache::Hit> FileCache::lookup(int dir_fd, const std::string& path) {
    Shard& shard = this_threads_shard();
    Entry entry;
    {
        std::lock_guard lock(shard.mutex);
        const auto it = shard.entries.find(path);
        if (it == shard.entries.end()) {
            return std::nullopt;
        }
        entry = it->second;
    }
    struct stat now {};
    if (::fstatat(dir_fd, path.c_str(), &now, 0) == 0 && same_file(now, entry.st)) {
        return Hit{now, std::move(entry.bytes), std::move(entry.fd)};
    }
    std::lock_guard lock(shard.mutex);
    const auto it = shard.entries.find(path);
    if (it != shard.entries.end() && it->second.bytes == entry.bytes && it->second.fd == entry.fd) {
        forget(shard, it);
    }
    return std::nullopt;
}

std::shared_ptr<const std::string> FileCache::remember(const std::string& path,
                                                       std::shared_ptr<int> fd,
                                                       const struct stat& st) {
    if (!S_ISREG(st.st_mode) || st.st_size < 0 || !fd) {
        return nullptr;
    }
    const bool small = static_cast<std::uint64_t>(st.st_size) <= kMaxFileBytes;
    std::shared_ptr<const std::string> bytes;
    if (small && !(bytes = read_whole(*fd, st))) {
        return nullptr;
    }
    if (recently_changed(st, settle_)) {
        return bytes;
    }
    Shard& shard = this_threads_shard();
    std::lock_guard lock(shard.mutex);
    if (const auto it = shard.entries.find(path); it != shard.entries.end()) {
        forget(shard, it);
    }
    const std::size_t size = small ? bytes->size() : 0;
    if (size <= budget_) {
        make_room(shard, size, !small);
        shard.entries.emplace(path, Entry{st, bytes, small ? nullptr : std::move(fd)});
        shard.used += size;
        shard.open_files += small ? 0 : 1;
    }
    return bytes;
}

void FileCache::forget(Shard& shard, Map::iterator it) {
    shard.used -= it->second.bytes ? it->second.bytes->size() : 0;
    shard.open_files -= it->second.fd ? 1 : 0;
    shard.entries.erase(it);
}

void FileCache::make_room(Shard& shard, std::size_t bytes, bool descriptor) const {
    // Rare: a site with more files than the budget. Starting over is simple and keeps what
    // is requested often coming back at once.
    if (shard.used + bytes > budget_ || shard.entries.size() >= kMaxEntries ||
        (descriptor && shard.open_files >= kMaxOpenFiles)) {
        shard.entries.clear();
        shard.used = 0;
        shard.open_files = 0;
    }
}

}  // namespace l7::http
