#pragma once
// The files on disk behind a torrent (BEP 3 "metainfo files": a single-file torrent is the
// file `name`; a multi-file torrent is the directory `name` holding each file's path). The
// torrent's byte stream is its files one after another, so a piece may span several files:
// reads and writes go through map_range/piece_slices and pread/pwrite each stretch.
//
// The names come from a .torrent, that is from anyone. The parser already refuses "..", "/"
// and empty components; here every component at and below download_dir/name is opened with
// openat and O_NOFOLLOW, one directory at a time, so a symlink (say a directory someone
// placed there pointing at /etc) is never followed: it is refused with an error naming it,
// even one that would stay inside. download_dir itself, the user's choice, may be a symlink.
//
// Files stay open, one descriptor each, up to Options::max_open_files; a torrent with more
// files has the rest opened on demand and the least recently used one closed (after an
// fdatasync when it was written), so a 100 000-file torrent does not exhaust descriptors.
//
// Writes land in the page cache; sync() makes them durable (fdatasync of every file written
// since the last sync). The driver calls it on completion and on stop. On the way it calls
// start_writeback() whenever bytes_unwritten() passes its mark: the kernel starts writing
// without the event loop waiting for the disk, so a crash loses little (a resume's re-check
// finds what is there) and the final sync has little left to do.
//
// Not thread-safe: one thread at a time (the torrent's worker, then the caller after it).

#include <cstdint>
#include <filesystem>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "p2p/bitfield.hpp"
#include "p2p/metainfo.hpp"
#include "p2p/torrent_session.hpp"

namespace l7::p2p {

class FileStore : public PieceStore {
  public:
    enum class Mode {
        // Downloading: missing directories and files are created, each file given its full
        // length at once (fallocate, or a sparse ftruncate where the file system cannot);
        // a shorter file (an interrupted download) is extended and kept for the re-check.
        leech,
        // Seeding: every file must exist with exactly its length; opened read-only.
        seed,
    };

    struct Options {
        std::size_t max_open_files = 1024;  // at least 1
    };

    // The torrent's files under `download_dir` (created in leech mode when missing). A file
    // longer than the torrent says is refused in both modes: it is some other data (or
    // another version of the torrent), and truncating it would destroy bytes the user may
    // want, while keeping its tail would leave a "complete" file that is not the torrent's.
    static Result<std::unique_ptr<FileStore>> open(const TorrentInfo& info,
                                                   std::filesystem::path download_dir, Mode mode,
                                                   Options options);
    static Result<std::unique_ptr<FileStore>> open(const TorrentInfo& info,
                                                   std::filesystem::path download_dir, Mode mode);

    ~FileStore() override;
    FileStore(const FileStore&) = delete;
    FileStore& operator=(const FileStore&) = delete;

    // PieceStore: `length` bytes at `begin` in `piece`, which must lie inside the piece.
    Result<std::string> read(std::uint32_t piece, std::uint32_t begin,
                             std::uint32_t length) override;
    // PieceStore: the whole piece, exactly piece_size(piece) bytes; an error in seed mode.
    std::optional<Error> write_piece(std::uint32_t piece, std::string_view data) override;

    // fdatasync of every file written since the last sync; nullopt when all succeeded, else
    // the first failure (every file is still tried).
    std::optional<Error> sync();
    // Bytes written since the last sync().
    std::uint64_t bytes_unsynced() const { return unsynced_; }
    // Asks the kernel to start writing what is dirty in the open files (sync_file_range
    // SYNC_FILE_RANGE_WRITE: no wait for the disk, no durability promise).
    void start_writeback();
    // Bytes written since the last start_writeback() or sync().
    std::uint64_t bytes_unwritten() const { return unwritten_; }

    // Reads every piece and compares it with its hash: the pieces already on disk (a
    // resume). A never-written region reads as zeros and fails, as it should; the pieces
    // lying wholly in files this store created are not read at all (they are zeros). Calls
    // `progress(done, total)` after each piece. An error only when a file cannot be read.
    Result<Bitfield> recheck(
        const std::function<void(std::uint32_t done, std::uint32_t total)>& progress = {});

    Mode mode() const { return mode_; }
    // download_dir/name: the file, or the torrent's directory.
    const std::filesystem::path& root() const { return root_; }
    // Descriptors held for the torrent's files now (tests; at most max_open_files).
    std::size_t open_files() const { return lru_.size(); }

  private:
    struct File {
        std::vector<std::string> components;  // under download_dir
        std::string display;                  // download_dir/name/..., for messages
        std::uint64_t length = 0;
        int fd = -1;
        bool dirty = false;  // written since the last sync
        bool fresh = false;  // created by open() and not written since: all zeros
        std::list<std::size_t>::iterator lru;
    };

    FileStore(const TorrentInfo& info, Mode mode, Options options);
    Result<int> open_file(std::size_t index, bool at_open);
    Result<int> fd_for(std::size_t index);
    void evict_one();
    std::optional<Error> sync_file(File& f);
    Result<bool> pread_full(std::size_t index, char* out, std::uint64_t length,
                            std::uint64_t offset);

    TorrentInfo info_;  // a copy: the store may outlive the caller's
    Mode mode_;
    Options options_;
    std::filesystem::path root_;
    int dir_fd_ = -1;  // download_dir
    std::vector<File> files_;
    std::list<std::size_t> lru_;  // open files, most recently used first
    std::vector<std::size_t> dirty_;
    std::uint64_t unsynced_ = 0;
    std::uint64_t unwritten_ = 0;
    std::optional<Error> pending_sync_error_;  // an evicted file's fdatasync failed
};

}  // namespace l7::p2p
