#pragma once
// The bytes of small static files, kept in memory between requests. A request for a cached
// file costs one stat of its path instead of open, fstat, read and close; most of a small
// file's cost is those system calls, not the sending.
//
// A cached copy is used only while the path still names the same file, unchanged: same
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

class SmallFileCache {
  public:
    // Files up to this size are kept; larger ones are sent with sendfile from the disk cache.
    static constexpr std::size_t kMaxFileBytes = 64 * 1024;
    // And at most this many files (empty files cost no bytes, but an entry each).
    static constexpr std::size_t kMaxEntries = 4096;

    // At most `budget_bytes` of file contents in all (the cache starts over when full).
    // A file changed less than `settle` ago is served but not kept: file times move in
    // clock ticks (a few ms on kernels without fine-grained timestamps), so a second write
    // of the same size in the same tick would leave the cached copy looking current. This is
    // git's "racy" rule; tests pass zero.
    explicit SmallFileCache(std::size_t budget_bytes = 8 * 1024 * 1024,
                            std::chrono::nanoseconds settle = std::chrono::seconds(1));

    struct Hit {
        struct stat st;
        std::shared_ptr<const std::string> bytes;
    };
    // The cached contents of `path` (relative to `dir_fd`) when the file there is still the
    // one that was read; nullopt when it was never read, or has changed or gone since.
    std::optional<Hit> lookup(int dir_fd, const std::string& path);

    // Reads the file open on `fd` (described by `st`) and keeps its bytes under `path` when
    // it is a small regular file that did not change while it was read; the bytes, or null.
    std::shared_ptr<const std::string> remember(const std::string& path, int fd,
                                                const struct stat& st);

  private:
    struct Entry {
        struct stat st;
        std::shared_ptr<const std::string> bytes;
    };

    std::mutex mutex_;
    std::unordered_map<std::string, Entry> entries_;
    std::size_t budget_;
    std::chrono::nanoseconds settle_;
    std::size_t used_ = 0;
};

}  // namespace l7::http
