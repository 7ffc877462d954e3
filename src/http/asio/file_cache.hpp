#pragma once
// Static files kept between requests: a small file's bytes in memory, a larger file's open
// descriptor (sent from with sendfile). A request for a cached file costs one stat of its
// path instead of open, fstat (and read) and close; for most static files those system calls
// cost more than the sending.
//
// A cached entry is used only while the path still names the same file, unchanged: same
// device and inode, size, and modification and change times to the nanosecond (the change
// time moves on a chmod, a rename or a new link too). Entries are made only from files the
// site opened through its confinement rules, so a path that now leads somewhere else (a
// symlink swapped in) names another inode, misses, and is opened (and judged) again.

#include <sys/stat.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace l7::http {

class FileCache {
  public:
    // Files up to this size are kept in memory; larger ones by their open descriptor.
    static constexpr std::size_t kMaxFileBytes = 64 * 1024;
    // At most this many files in all (empty files cost no bytes, but an entry each)...
    static constexpr std::size_t kMaxEntries = 4096;
    // ...and this many descriptors: a removed file's space is freed only when its entry goes.
    static constexpr std::size_t kMaxOpenFiles = 256;

    // At most `budget_bytes` of file contents in all (the cache starts over when full).
    // A file changed less than `settle` ago is served but not kept: file times move in
    // clock ticks (a few ms on kernels without fine-grained timestamps), so a second write
    // of the same size in the same tick would leave the cached entry looking current. This is
    // git's "racy" rule; tests pass zero.
    explicit FileCache(std::size_t budget_bytes = 8 * 1024 * 1024,
                       std::chrono::nanoseconds settle = std::chrono::seconds(1));

    struct Hit {
        struct stat st;
        std::shared_ptr<const std::string> bytes;  // a small file
        std::shared_ptr<int> fd;                   // a larger one
    };
    // The cached entry of `path` (relative to `dir_fd`) when the file there is still the one
    // that was opened; nullopt when it never was, or has changed or gone since.
    std::optional<Hit> lookup(int dir_fd, const std::string& path);

    // Offers the regular file open on `fd` (described by `st`) to the cache under `path`: a
    // small one is read, and its bytes returned (null when it changed while read); a larger
    // one's descriptor is kept, and null returned.
    std::shared_ptr<const std::string> remember(const std::string& path, std::shared_ptr<int> fd,
                                                const struct stat& st);

  private:
    struct Entry {
        struct stat st;
        std::shared_ptr<const std::string> bytes;
        std::shared_ptr<int> fd;
    };

    void forget(std::unordered_map<std::string, Entry>::iterator it);
    void make_room(std::size_t bytes, bool descriptor);

    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    std::size_t budget_;
    std::chrono::nanoseconds settle_;
    std::size_t used_ = 0;
    std::size_t open_files_ = 0;
};

}  // namespace l7::http
