#pragma once
// Metainfo (.torrent) files, BEP 3 "metainfo files", version 1 torrents: what the info
// dictionary says about the content (its name, files, piece length and piece hashes) and
// what the rest of the file adds (trackers, BEP 12 announce-list, comment, creator, date).
//
// A .torrent comes from anyone, and its names become file names on the downloader's disk, so
// the parser refuses anything that could write outside the torrent's own directory (empty,
// "." or ".." path components, '/' or NUL in a component), bounds every count and size, and
// checks that the piece hashes cover exactly the files' bytes.
//
// The builder goes the other way, without I/O: the caller lists the files and feeds their
// bytes in order; the builder hashes the pieces and writes the .torrent. Its info dictionary
// holds the same keys as mktorrent's (files or length, name, piece length, pieces, and
// private only when set), so the same content and piece length give the same info-hash.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "p2p/types.hpp"

namespace l7::p2p {

// Bounds on what a .torrent may describe (hostile input) and what the builder makes.
struct MetainfoLimits {
    std::size_t max_files = 100'000;
    std::uint64_t max_total_length = std::uint64_t{1} << 48;  // 256 TiB
    std::uint32_t max_piece_length = 64 * 1024 * 1024;
    std::size_t max_path_depth = 64;  // components of one file's path
};

struct TorrentFile {
    // Components under the torrent's directory; a single-file torrent's one file is {name}.
    std::vector<std::string> path;
    std::uint64_t length = 0;
    std::uint64_t offset = 0;  // where the file's bytes start in the torrent's byte stream

    // The components joined with '/', for display and logs.
    std::string path_string() const;
};

// The info dictionary (BEP 3 "info dictionary").
struct TorrentInfo {
    std::string name;
    std::uint32_t piece_length = 0;
    std::string pieces;       // the 20-byte SHA-1 of each piece, concatenated
    bool single_file = true;  // "length" rather than "files"
    bool is_private = false;  // BEP 27 "private" = 1
    std::vector<TorrentFile> files;
    std::uint64_t total_length = 0;
    InfoHash info_hash{};
    // The info dictionary's bytes exactly as they appear in the .torrent: the info-hash is
    // their SHA-1, and a BEP 9 peer serves them as the torrent's metadata.
    std::string raw_info;

    std::uint32_t piece_count() const { return static_cast<std::uint32_t>(pieces.size() / 20); }
    // The bytes of piece `index`: piece_length, except for a shorter last piece.
    std::uint32_t piece_size(std::uint32_t index) const;
    Sha1 piece_hash(std::uint32_t index) const;
};

struct Metainfo {
    TorrentInfo info;
    std::string announce;                                 // "" when absent
    std::vector<std::vector<std::string>> announce_list;  // BEP 12 tiers, empty ones dropped
    std::string comment;
    std::string created_by;
    std::optional<std::int64_t> creation_date;  // seconds since 1970 (UTC)

    // Every tracker once, in announce-list order (BEP 12: announce-list, when present,
    // replaces announce), else announce.
    std::vector<std::string> trackers() const;
};

// A whole .torrent file.
Result<Metainfo> parse_metainfo(std::string_view torrent, const MetainfoLimits& limits = {});
// A bencoded info dictionary alone: what a magnet download receives through BEP 9. The
// info-hash is computed from `info`; the caller compares it with the one it asked for.
Result<TorrentInfo> parse_info_dict(std::string_view info, const MetainfoLimits& limits = {});

// A stretch of one file: `length` bytes at `offset` in files[file].
struct FileSlice {
    std::size_t file = 0;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;

    bool operator==(const FileSlice&) const = default;
};

// Where the torrent's bytes [offset, offset + length) live, in file order; files of length
// zero hold no bytes and never appear. The range is clipped to the torrent's size.
std::vector<FileSlice> map_range(const TorrentInfo& info, std::uint64_t offset,
                                 std::uint64_t length);
// The same for one whole piece (nothing for an index past the end).
std::vector<FileSlice> piece_slices(const TorrentInfo& info, std::uint32_t index);

// --- making torrents ------------------------------------------------------------------------

// The smallest and largest piece lengths l7 makes: a piece must hold at least one 16 KiB
// block (BEP 3), and 64 MiB is the parser's bound.
inline constexpr std::uint32_t kMinPieceLength = 16 * 1024;
inline constexpr std::uint32_t kMaxPieceLength = 64 * 1024 * 1024;
// The most piece hashes a .torrent may hold: their string must stay within the bencode
// decoder's 64 MiB string limit.
inline constexpr std::uint64_t kMaxPieces = (64 * 1024 * 1024) / 20;

// transmission-create's rule (3.00, makemeta.c bestPieceSize): 32 KiB below 50 MiB, 64 KiB
// from 50 MiB, 128 KiB from 150 MiB, 256 KiB from 350 MiB, 512 KiB from 512 MiB, 1 MiB from
// 1 GiB, 2 MiB from 2 GiB; then doubled while the piece hashes would exceed kMaxPieces
// (contents over about 6 TiB).
std::uint32_t default_piece_length(std::uint64_t total_length);

// "256k", "1m", "1M", "16384": a power of two from 16 KiB to 64 MiB (k = KiB, m = MiB).
Result<std::uint32_t> parse_piece_length(std::string_view text);

struct BuilderFile {
    std::vector<std::string> path;  // components under the torrent's directory
    std::uint64_t length = 0;
};

// What the .torrent says besides the info dictionary.
struct TorrentExtras {
    std::vector<std::string> trackers;  // each its own BEP 12 tier; the first is "announce"
    std::string comment;
    std::string created_by;
    std::optional<std::int64_t> creation_date;
};

class TorrentBuilder {
  public:
    // A single-file torrent has exactly one file, whose path is {name}; a multi-file torrent
    // lists its files in the order their bytes follow each other (l7 sorts them by path).
    // The same checks as the parser's, so that what is built parses.
    static Result<TorrentBuilder> create(std::string name, std::vector<BuilderFile> files,
                                         bool single_file, std::uint32_t piece_length,
                                         bool is_private, const MetainfoLimits& limits = {});

    // The next bytes of the content, in file order, in chunks of any size. An error when
    // more bytes come than the files hold.
    Result<std::uint64_t> feed(std::string_view bytes);
    std::uint64_t fed() const { return fed_; }
    std::uint64_t total_length() const { return total_; }
    std::uint32_t piece_length() const { return piece_length_; }
    std::uint64_t piece_count() const;

    // Once every byte was fed: the bencoded info dictionary, and the whole .torrent.
    Result<std::string> info_dict() const;
    Result<std::string> torrent(const TorrentExtras& extras) const;

  private:
    TorrentBuilder() = default;

    std::string name_;
    std::vector<BuilderFile> files_;
    bool single_file_ = true;
    bool private_ = false;
    std::uint32_t piece_length_ = 0;
    std::uint64_t total_ = 0;
    std::uint64_t fed_ = 0;
    std::uint32_t in_piece_ = 0;  // bytes of the current piece hashed so far
    std::string pieces_;
    std::unique_ptr<Sha1Hasher> hasher_;
};

}  // namespace l7::p2p
