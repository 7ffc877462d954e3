#include "p2p/metainfo.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <unordered_set>

#include "p2p/bencode.hpp"

namespace l7::p2p {
namespace {

// A name from the input, quoted for an error message: control bytes escaped, long names cut.
std::string quoted(std::string_view s) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size() && i < 80; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
            out += "\\x";
            out += digits[c >> 4];
            out += digits[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    out += s.size() > 80 ? "...\"" : "\"";
    return out;
}

Error fail(const std::string& why) {
    return make_error("torrent: " + why);
}

// A file or directory name that stays inside the torrent's directory, whatever the platform
// does with it: not empty, not "." or "..", no '/' (a separator) and no NUL (which ends a
// name for the system calls, so "a\0/../x" would be read as "a").
std::optional<std::string> component_problem(std::string_view c) {
    if (c.empty()) {
        return "is empty";
    }
    if (c == "." || c == "..") {
        return "is " + quoted(c) + ", which would leave the torrent's directory";
    }
    if (c.find('/') != std::string_view::npos) {
        return quoted(c) + " contains '/'";
    }
    if (c.find('\0') != std::string_view::npos) {
        return quoted(c) + " contains a NUL byte";
    }
    return std::nullopt;
}

std::string join(const std::vector<std::string>& path) {
    std::string out;
    for (const std::string& c : path) {
        if (!out.empty()) {
            out += '/';
        }
        out += c;
    }
    return out;
}

// Two files with one path, or a path that is a file and a directory at once ("a" and
// "a/b"), cannot both be stored: refused rather than one overwriting the other.
std::optional<Error> check_distinct(const std::vector<std::vector<std::string>>& paths) {
    std::unordered_set<std::string> files;
    files.reserve(paths.size());
    for (const auto& p : paths) {
        if (!files.insert(join(p)).second) {
            return fail("the file " + quoted(join(p)) + " is listed twice");
        }
    }
    for (const auto& p : paths) {
        std::string prefix;
        for (std::size_t i = 0; i + 1 < p.size(); ++i) {
            prefix += (i == 0 ? "" : "/") + p[i];
            if (files.count(prefix) != 0) {
                return fail(quoted(prefix) + " is both a file and a directory");
            }
        }
    }
    return std::nullopt;
}

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
    return a / b + (a % b != 0 ? 1 : 0);
}

// One entry of "files": {"length": N, "path": ["dir", "name"]}.
std::optional<Error> parse_file_entry(const BValue& entry, std::size_t index,
                                      const MetainfoLimits& limits, TorrentFile& out) {
    const std::string where = "files[" + std::to_string(index) + "]";
    if (!entry.is_dict()) {
        return fail(where + " is not a dictionary");
    }
    const auto length = entry.find_integer("length");
    if (!length) {
        return fail(where + " has no integer length");
    }
    if (*length < 0) {
        return fail(where + " has a negative length");
    }
    const BValue::List* path = entry.find_list("path");
    if (path == nullptr) {
        return fail(where + " has no path list");
    }
    if (path->empty()) {
        return fail(where + ".path is empty");
    }
    if (path->size() > limits.max_path_depth) {
        return fail(where + ".path has more than " + std::to_string(limits.max_path_depth) +
                    " components");
    }
    out.path.clear();
    for (std::size_t i = 0; i < path->size(); ++i) {
        const BValue& c = (*path)[i];
        if (!c.is_string()) {
            return fail(where + ".path[" + std::to_string(i) + "] is not a string");
        }
        if (auto why = component_problem(c.as_string())) {
            return fail(where + ".path[" + std::to_string(i) + "] " + *why);
        }
        out.path.push_back(c.as_string());
    }
    out.length = static_cast<std::uint64_t>(*length);
    return std::nullopt;
}

Result<TorrentInfo> parse_info_value(const BValue& info, std::string_view raw,
                                     const MetainfoLimits& limits) {
    if (!info.is_dict()) {
        return fail("the info value is not a dictionary");
    }
    TorrentInfo out;
    const std::string* name = info.find_string("name");
    if (name == nullptr) {
        return fail("the info dictionary has no name");
    }
    if (auto why = component_problem(*name)) {
        return fail("the name " + *why);
    }
    out.name = *name;

    const auto piece_length = info.find_integer("piece length");
    if (!piece_length) {
        return fail("the info dictionary has no integer piece length");
    }
    if (*piece_length <= 0 || *piece_length > static_cast<std::int64_t>(limits.max_piece_length)) {
        return fail("the piece length " + std::to_string(*piece_length) + " is not between 1 and " +
                    std::to_string(limits.max_piece_length));
    }
    out.piece_length = static_cast<std::uint32_t>(*piece_length);

    const std::string* pieces = info.find_string("pieces");
    if (pieces == nullptr) {
        if (info.find("file tree") != nullptr) {
            return fail("a version 2 torrent (BEP 52) without version 1 piece hashes");
        }
        return fail("the info dictionary has no pieces string");
    }
    if (pieces->size() % 20 != 0) {
        return fail("the pieces string has " + std::to_string(pieces->size()) +
                    " bytes, not a multiple of 20");
    }
    out.pieces = *pieces;

    const BValue* length = info.find("length");
    const BValue* files = info.find("files");
    if (length != nullptr && files != nullptr) {
        return fail("the info dictionary has both length and files");
    }
    if (length != nullptr) {
        if (!length->is_integer() || length->as_integer() < 0) {
            return fail("the length is not a non-negative integer");
        }
        const auto n = static_cast<std::uint64_t>(length->as_integer());
        if (n > limits.max_total_length) {
            return fail("the length " + std::to_string(n) + " is over the limit of " +
                        std::to_string(limits.max_total_length) + " bytes");
        }
        out.single_file = true;
        out.files.push_back(TorrentFile{{out.name}, n, 0});
        out.total_length = n;
    } else if (files != nullptr) {
        if (!files->is_list()) {
            return fail("files is not a list");
        }
        const BValue::List& list = files->as_list();
        if (list.empty()) {
            return fail("the files list is empty");
        }
        if (list.size() > limits.max_files) {
            return fail("more than " + std::to_string(limits.max_files) + " files");
        }
        out.single_file = false;
        out.files.reserve(list.size());
        for (std::size_t i = 0; i < list.size(); ++i) {
            TorrentFile f;
            if (auto e = parse_file_entry(list[i], i, limits, f)) {
                return *e;
            }
            if (f.length > limits.max_total_length - out.total_length) {
                return fail("the files hold more than " + std::to_string(limits.max_total_length) +
                            " bytes");
            }
            f.offset = out.total_length;
            out.total_length += f.length;
            out.files.push_back(std::move(f));
        }
        std::vector<std::vector<std::string>> paths;
        paths.reserve(out.files.size());
        for (const TorrentFile& f : out.files) {
            paths.push_back(f.path);
        }
        if (auto e = check_distinct(paths)) {
            return *e;
        }
    } else {
        return fail("the info dictionary has neither length nor files");
    }
    if (out.total_length == 0) {
        return fail("the torrent holds no bytes");
    }
    const std::uint64_t expected = ceil_div(out.total_length, out.piece_length);
    if (out.pieces.size() / 20 != expected) {
        return fail(std::to_string(out.pieces.size() / 20) + " piece hashes for " +
                    std::to_string(out.total_length) + " bytes in pieces of " +
                    std::to_string(out.piece_length) + ": " + std::to_string(expected) +
                    " expected");
    }
    out.is_private = info.find_integer("private") == 1;
    out.raw_info = std::string(raw);
    out.info_hash = sha1(raw);
    return out;
}

// BEP 12: a list of tiers, each a list of URLs.
std::optional<Error> parse_announce_list(const BValue& value, Metainfo& out) {
    constexpr std::size_t kMaxTrackers = 1000;
    if (!value.is_list()) {
        return fail("announce-list is not a list");
    }
    std::size_t count = 0;
    for (std::size_t t = 0; t < value.as_list().size(); ++t) {
        const BValue& tier = value.as_list()[t];
        if (!tier.is_list()) {
            return fail("announce-list[" + std::to_string(t) + "] is not a list");
        }
        std::vector<std::string> urls;
        for (const BValue& url : tier.as_list()) {
            if (!url.is_string()) {
                return fail("announce-list[" + std::to_string(t) + "] holds a non-string");
            }
            if (++count > kMaxTrackers) {
                return fail("more than " + std::to_string(kMaxTrackers) + " trackers");
            }
            if (!url.as_string().empty()) {
                urls.push_back(url.as_string());
            }
        }
        if (!urls.empty()) {
            out.announce_list.push_back(std::move(urls));
        }
    }
    return std::nullopt;
}

}  // namespace

std::string TorrentFile::path_string() const {
    return join(path);
}

std::uint32_t TorrentInfo::piece_size(std::uint32_t index) const {
    if (index >= piece_count()) {
        return 0;
    }
    const std::uint64_t start = std::uint64_t{index} * piece_length;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(piece_length, total_length - start));
}

Sha1 TorrentInfo::piece_hash(std::uint32_t index) const {
    Sha1 out{};
    if (index < piece_count()) {
        from_bytes(std::string_view(pieces).substr(std::size_t{index} * 20, 20), out);
    }
    return out;
}

std::vector<std::string> Metainfo::trackers() const {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& tier : announce_list) {
        for (const std::string& url : tier) {
            if (seen.insert(url).second) {
                out.push_back(url);
            }
        }
    }
    if (out.empty() && !announce.empty()) {
        out.push_back(announce);
    }
    return out;
}

Result<TorrentInfo> parse_info_dict(std::string_view info, const MetainfoLimits& limits) {
    auto value = bdecode(info);
    if (!value) {
        return fail("the info dictionary is not valid bencoding: " + value.error().message);
    }
    return parse_info_value(*value, info, limits);
}

Result<Metainfo> parse_metainfo(std::string_view torrent, const MetainfoLimits& limits) {
    auto top = bdecode(torrent);
    if (!top) {
        return fail("not valid bencoding: " + top.error().message);
    }
    if (!top->is_dict()) {
        return fail("a .torrent file is a bencoded dictionary, this is not one");
    }
    const BValue* info_value = top->find("info");
    if (info_value == nullptr) {
        return fail("there is no info dictionary");
    }
    // The info-hash is the SHA-1 of the info value's bytes as the file holds them (BEP 3),
    // keys l7 does not know included; they are also what BEP 9 serves to peers.
    const auto raw = raw_dict_value(torrent, "info");
    if (!raw) {
        return fail("there is no info dictionary");
    }
    auto info = parse_info_value(*info_value, *raw, limits);
    if (!info) {
        return info.error();
    }
    Metainfo out;
    out.info = std::move(*info);
    if (const BValue* announce = top->find("announce")) {
        if (!announce->is_string()) {
            return fail("announce is not a string");
        }
        out.announce = announce->as_string();
    }
    if (const BValue* list = top->find("announce-list")) {
        if (auto e = parse_announce_list(*list, out)) {
            return *e;
        }
    }
    // Descriptive fields of another type than BEP 3 gives them are ignored, not refused:
    // they change nothing about the content.
    if (const std::string* comment = top->find_string("comment")) {
        out.comment = *comment;
    }
    if (const std::string* by = top->find_string("created by")) {
        out.created_by = *by;
    }
    out.creation_date = top->find_integer("creation date");
    return out;
}

std::vector<FileSlice> map_range(const TorrentInfo& info, std::uint64_t offset,
                                 std::uint64_t length) {
    std::vector<FileSlice> out;
    if (offset >= info.total_length) {
        return out;
    }
    length = std::min(length, info.total_length - offset);
    // The first file that ends after `offset` (ends never decrease along the list).
    auto it = std::partition_point(
        info.files.begin(), info.files.end(),
        [offset](const TorrentFile& f) { return f.offset + f.length <= offset; });
    for (; it != info.files.end() && length > 0; ++it) {
        if (it->length == 0) {
            continue;
        }
        const std::uint64_t in_file = offset - it->offset;
        const std::uint64_t n = std::min(length, it->length - in_file);
        out.push_back(FileSlice{static_cast<std::size_t>(it - info.files.begin()), in_file, n});
        offset += n;
        length -= n;
    }
    return out;
}

std::vector<FileSlice> piece_slices(const TorrentInfo& info, std::uint32_t index) {
    if (index >= info.piece_count()) {
        return {};
    }
    return map_range(info, std::uint64_t{index} * info.piece_length, info.piece_size(index));
}

// --- making torrents ------------------------------------------------------------------------

std::uint32_t default_piece_length(std::uint64_t total_length) {
    constexpr std::uint64_t KiB = 1024;
    constexpr std::uint64_t MiB = 1024 * KiB;
    constexpr std::uint64_t GiB = 1024 * MiB;
    std::uint64_t p = 32 * KiB;
    if (total_length >= 2 * GiB) {
        p = 2 * MiB;
    } else if (total_length >= 1 * GiB) {
        p = 1 * MiB;
    } else if (total_length >= 512 * MiB) {
        p = 512 * KiB;
    } else if (total_length >= 350 * MiB) {
        p = 256 * KiB;
    } else if (total_length >= 150 * MiB) {
        p = 128 * KiB;
    } else if (total_length >= 50 * MiB) {
        p = 64 * KiB;
    }
    while (ceil_div(total_length, p) > kMaxPieces && p < kMaxPieceLength) {
        p *= 2;
    }
    return static_cast<std::uint32_t>(p);
}

Result<std::uint32_t> parse_piece_length(std::string_view text) {
    const auto bad = [&] {
        return make_error("piece size " + quoted(text) +
                          " is not a size like 256k or 1m (a power of two from 16k to 64m)");
    };
    std::uint64_t n = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || ptr == text.data()) {
        return bad();
    }
    std::string unit(ptr, text.data() + text.size());
    std::transform(unit.begin(), unit.end(), unit.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::uint64_t scale = 1;
    if (unit == "k" || unit == "kib") {
        scale = 1024;
    } else if (unit == "m" || unit == "mib") {
        scale = 1024 * 1024;
    } else if (!unit.empty() && unit != "b") {
        return bad();
    }
    if (n > kMaxPieceLength) {
        return bad();
    }
    n *= scale;
    if (n < kMinPieceLength || n > kMaxPieceLength || (n & (n - 1)) != 0) {
        return bad();
    }
    return static_cast<std::uint32_t>(n);
}

Result<TorrentBuilder> TorrentBuilder::create(std::string name, std::vector<BuilderFile> files,
                                              bool single_file, std::uint32_t piece_length,
                                              bool is_private, const MetainfoLimits& limits) {
    if (auto why = component_problem(name)) {
        return fail("the name " + *why);
    }
    if (files.empty()) {
        return fail("there are no files");
    }
    if (single_file && files.size() != 1) {
        return fail("a single-file torrent has one file");
    }
    if (files.size() > limits.max_files) {
        return fail("more than " + std::to_string(limits.max_files) + " files");
    }
    if (piece_length == 0 || piece_length > limits.max_piece_length) {
        return fail("the piece length " + std::to_string(piece_length) + " is not between 1 and " +
                    std::to_string(limits.max_piece_length));
    }
    if (single_file) {
        files[0].path = {name};
    }
    std::uint64_t total = 0;
    std::vector<std::vector<std::string>> paths;
    for (const BuilderFile& f : files) {
        if (f.path.empty() || f.path.size() > limits.max_path_depth) {
            return fail("the file " + quoted(join(f.path)) + " has no path or too deep a one");
        }
        for (const std::string& c : f.path) {
            if (auto why = component_problem(c)) {
                return fail("in the file " + quoted(join(f.path)) + ", a name " + *why);
            }
        }
        if (f.length > limits.max_total_length - total) {
            return fail("the files hold more than " + std::to_string(limits.max_total_length) +
                        " bytes");
        }
        total += f.length;
        paths.push_back(f.path);
    }
    if (auto e = check_distinct(paths)) {
        return *e;
    }
    if (total == 0) {
        return fail("the files hold no bytes");
    }
    if (ceil_div(total, piece_length) > kMaxPieces) {
        return fail(std::to_string(ceil_div(total, piece_length)) +
                    " pieces are too many for a .torrent: choose a larger piece size");
    }
    TorrentBuilder b;
    b.name_ = std::move(name);
    b.files_ = std::move(files);
    b.single_file_ = single_file;
    b.private_ = is_private;
    b.piece_length_ = piece_length;
    b.total_ = total;
    b.pieces_.reserve(static_cast<std::size_t>(ceil_div(total, piece_length) * 20));
    b.hasher_ = std::make_unique<Sha1Hasher>();
    return b;
}

std::uint64_t TorrentBuilder::piece_count() const {
    return ceil_div(total_, piece_length_);
}

Result<std::uint64_t> TorrentBuilder::feed(std::string_view bytes) {
    if (bytes.size() > total_ - fed_) {
        return fail(std::to_string(fed_ + bytes.size()) + " bytes given for files of " +
                    std::to_string(total_) + " bytes");
    }
    while (!bytes.empty()) {
        const std::size_t n = std::min<std::size_t>(bytes.size(), piece_length_ - in_piece_);
        hasher_->update(bytes.substr(0, n));
        bytes.remove_prefix(n);
        in_piece_ += static_cast<std::uint32_t>(n);
        fed_ += n;
        if (in_piece_ == piece_length_ || fed_ == total_) {
            pieces_ += to_bytes(hasher_->finish());
            in_piece_ = 0;
        }
    }
    return fed_;
}

namespace {

BValue path_list(const std::vector<std::string>& path) {
    BValue list = BValue::list();
    for (const std::string& c : path) {
        list.push(BValue::string(c));
    }
    return list;
}

}  // namespace

Result<std::string> TorrentBuilder::info_dict() const {
    if (fed_ != total_) {
        return fail("only " + std::to_string(fed_) + " of " + std::to_string(total_) +
                    " bytes were hashed");
    }
    BValue info = BValue::dict();
    if (single_file_) {
        info.set("length", BValue::integer(static_cast<std::int64_t>(files_[0].length)));
    } else {
        BValue list = BValue::list();
        for (const BuilderFile& f : files_) {
            BValue entry = BValue::dict();
            entry.set("length", BValue::integer(static_cast<std::int64_t>(f.length)));
            entry.set("path", path_list(f.path));
            list.push(std::move(entry));
        }
        info.set("files", std::move(list));
    }
    info.set("name", BValue::string(name_));
    info.set("piece length", BValue::integer(piece_length_));
    info.set("pieces", BValue::string(pieces_));
    // Only when set, as mktorrent and libtorrent write it (transmission-create 3.00 writes
    // "private" 0 too, which gives another info-hash for the same content).
    if (private_) {
        info.set("private", BValue::integer(1));
    }
    return bencode(info);
}

Result<std::string> TorrentBuilder::torrent(const TorrentExtras& extras) const {
    auto info = info_dict();
    if (!info) {
        return info.error();
    }
    // The info dictionary goes in as the bytes just made; the rest is encoded around it
    // with the keys in order (announce, announce-list, comment, created by, creation date,
    // info), which is what bencode() of the whole would give.
    BValue top = BValue::dict();
    if (!extras.trackers.empty()) {
        top.set("announce", BValue::string(extras.trackers.front()));
    }
    if (extras.trackers.size() > 1) {
        BValue tiers = BValue::list();
        for (const std::string& url : extras.trackers) {
            tiers.push(BValue::list({BValue::string(url)}));
        }
        top.set("announce-list", std::move(tiers));
    }
    if (!extras.comment.empty()) {
        top.set("comment", BValue::string(extras.comment));
    }
    if (!extras.created_by.empty()) {
        top.set("created by", BValue::string(extras.created_by));
    }
    if (extras.creation_date) {
        top.set("creation date", BValue::integer(*extras.creation_date));
    }
    std::string out = bencode(top);
    out.pop_back();  // the top dictionary's 'e'; "info" sorts after every key above
    out += "4:info";
    out += *info;
    out += 'e';
    return out;
}

}  // namespace l7::p2p
