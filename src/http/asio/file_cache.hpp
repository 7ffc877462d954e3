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
//
// Each worker thread has its own part of the cache (a shard, its own lock, entries and
// budget): a request never waits for, nor writes a cache line of, another worker. The price
// is a copy of a popular file per worker.

#include <sys/stat.h>

#include <array>
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
    // At most this many files per shard (empty files cost no bytes, but an entry each)...
    static constexpr std::size_t kMaxEntries = 4096;
    // ...and this many descriptors: a removed file's space is freed only when its entry goes.
    static constexpr std::size_t kMaxOpenFiles = 256;

    // At most `budget_bytes` of file contents per shard (a shard starts over when full).
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
    using Map = std::unordered_map<std::string, Entry>;
    // Threads take shards in turn, so up to kShards workers each have one of their own.
    static constexpr std::size_t kShards = 16;
    struct alignas(64) Shard {
        std::mutex mutex;
        Map entries;
        std::size_t used = 0;
        std::size_t open_files = 0;
    };

    Shard& this_threads_shard();
    static void forget(Shard& shard, Map::iterator it);
    void make_room(Shard& shard, std::size_t bytes, bool descriptor) const;

    std::array<Shard, kShards> shards_;
    std::size_t budget_;
    std::chrono::nanoseconds settle_;
};

}  // namespace l7::http
