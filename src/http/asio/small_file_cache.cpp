#include "http/asio/small_file_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

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

}  // namespace

SmallFileCache::SmallFileCache(std::size_t budget_bytes, std::chrono::nanoseconds settle)
    : budget_(budget_bytes), settle_(settle) {}

std::optional<SmallFileCache::Hit> SmallFileCache::lookup(int dir_fd, const std::string& path) {
    Entry entry;
    {
        std::lock_guard lock(mutex_);
        const auto it = entries_.find(path);
        if (it == entries_.end()) {
            return std::nullopt;
        }
        entry = it->second;
    }
    struct stat now {};
    if (::fstatat(dir_fd, path.c_str(), &now, 0) == 0 && same_file(now, entry.st)) {
        return Hit{now, std::move(entry.bytes)};
    }
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(path);
    if (it != entries_.end() && it->second.bytes == entry.bytes) {
        used_ -= it->second.bytes->size();
        entries_.erase(it);
    }
    return std::nullopt;
}

std::shared_ptr<const std::string> SmallFileCache::remember(const std::string& path, int fd,
                                                            const struct stat& st) {
    if (!S_ISREG(st.st_mode) || st.st_size < 0 ||
        static_cast<std::uint64_t>(st.st_size) > kMaxFileBytes) {
        return nullptr;
    }
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
    std::shared_ptr<const std::string> shared = std::move(bytes);
    if (recently_changed(st, settle_)) {
        return shared;
    }
    std::lock_guard lock(mutex_);
    if (const auto it = entries_.find(path); it != entries_.end()) {
        used_ -= it->second.bytes->size();
        entries_.erase(it);
    }
    if (used_ + shared->size() > budget_ || entries_.size() >= kMaxEntries) {
        entries_.clear();  // rare: a site with more small files than the budget
        used_ = 0;
    }
    if (shared->size() <= budget_) {
        entries_.emplace(path, Entry{st, shared});
        used_ += shared->size();
    }
    return shared;
}

}  // namespace l7::http
