// Metainfo files (BEP 3, BEP 12 announce-list, BEP 27 private): parsing, hostile info
// dictionaries each with its error, the piece-to-file mapping, and the builder against
// info-hashes computed independently (Python's hashlib over hand-written bencoding, the bytes
// mktorrent writes).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "p2p/bencode.hpp"
#include "p2p/metainfo.hpp"

using namespace l7::p2p;
using namespace std::string_literals;

namespace {

constexpr std::string_view kFox = "The quick brown fox jumps over the lazy dog";

BValue strings(std::vector<std::string> items) {
    BValue list = BValue::list();
    for (auto& s : items) {
        list.push(BValue::string(std::move(s)));
    }
    return list;
}

// SHA-1 of each piece of `data`, concatenated.
std::string piece_hashes(std::string_view data, std::size_t piece_length) {
    std::string out;
    for (std::size_t i = 0; i < data.size(); i += piece_length) {
        out += to_bytes(sha1(data.substr(i, piece_length)));
    }
    return out;
}

// The multi-file example: 23 bytes in pieces of 8, with an empty file in the middle.
struct Tree {
    std::vector<std::pair<std::vector<std::string>, std::string>> files{
        {{"a.txt"}, "hello "},
        {{"dir", "b.bin"}, ""},
        {{"dir", "sub", "c.txt"}, "world, this is c"},
        {{"z"}, "!"}};
    std::string content() const {
        std::string all;
        for (const auto& f : files) {
            all += f.second;
        }
        return all;
    }
};

BValue tree_info() {
    const Tree t;
    BValue files = BValue::list();
    for (const auto& [path, data] : t.files) {
        files.push(
            BValue::dict({{"length", BValue::integer(static_cast<std::int64_t>(data.size()))},
                          {"path", strings(path)}}));
    }
    BValue info = BValue::dict();
    info.set("files", std::move(files));
    info.set("name", BValue::string("tree"));
    info.set("piece length", BValue::integer(8));
    info.set("pieces", BValue::string(piece_hashes(t.content(), 8)));
    return info;
}

BValue fox_info() {
    BValue info = BValue::dict();
    info.set("length", BValue::integer(static_cast<std::int64_t>(kFox.size())));
    info.set("name", BValue::string("fox.txt"));
    info.set("piece length", BValue::integer(16));
    info.set("pieces", BValue::string(piece_hashes(kFox, 16)));
    return info;
}

std::string info_error(const BValue& info, const MetainfoLimits& limits = {}) {
    auto r = parse_info_dict(bencode(info), limits);
    return r ? std::string() : r.error().message;
}

std::string torrent_error(std::string_view torrent) {
    auto r = parse_metainfo(torrent);
    return r ? std::string() : r.error().message;
}

BValue with_file_path(std::vector<std::string> path) {
    BValue info = tree_info();
    BValue& files = info.as_dict()[0].second;  // "files" sorts first
    files.as_list()[0].set("path", strings(std::move(path)));
    return info;
}

#define EXPECT_ERROR(message, needle)                                                   \
    do {                                                                                \
        const std::string m_ = (message);                                               \
        EXPECT_NE(m_.find(needle), std::string::npos) << "error was: \"" << m_ << "\""; \
    } while (0)

// ---- parsing --------------------------------------------------------------------------

TEST(Metainfo, SingleFile) {
    BValue top = BValue::dict();
    top.set("announce", BValue::string("http://127.0.0.1:6969/announce"));
    top.set("comment", BValue::string("a fox"));
    top.set("created by", BValue::string("hand"));
    top.set("creation date", BValue::integer(1700000000));
    top.set("info", fox_info());
    auto m = parse_metainfo(bencode(top));
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->info.name, "fox.txt");
    EXPECT_TRUE(m->info.single_file);
    EXPECT_FALSE(m->info.is_private);
    EXPECT_EQ(m->info.total_length, kFox.size());
    EXPECT_EQ(m->info.piece_length, 16u);
    EXPECT_EQ(m->info.piece_count(), 3u);
    ASSERT_EQ(m->info.files.size(), 1u);
    EXPECT_EQ(m->info.files[0].path, std::vector<std::string>{"fox.txt"});
    EXPECT_EQ(m->info.files[0].length, kFox.size());
    EXPECT_EQ(m->announce, "http://127.0.0.1:6969/announce");
    EXPECT_EQ(m->comment, "a fox");
    EXPECT_EQ(m->created_by, "hand");
    EXPECT_EQ(m->creation_date, 1700000000);
    EXPECT_EQ(m->trackers(), std::vector<std::string>{"http://127.0.0.1:6969/announce"});
    // Computed with Python: hashlib.sha1(bencoded info).hexdigest().
    EXPECT_EQ(to_hex(m->info.info_hash), "df293a048613e06fea49e740c7d1494595ead8fd");
    EXPECT_EQ(m->info.raw_info, bencode(fox_info()));
}

TEST(Metainfo, MultiFile) {
    BValue top = BValue::dict();
    top.set("info", tree_info());
    auto m = parse_metainfo(bencode(top));
    ASSERT_TRUE(m) << m.error().message;
    const TorrentInfo& info = m->info;
    EXPECT_FALSE(info.single_file);
    EXPECT_EQ(info.name, "tree");
    ASSERT_EQ(info.files.size(), 4u);
    EXPECT_EQ(info.files[2].path_string(), "dir/sub/c.txt");
    EXPECT_EQ(info.files[0].offset, 0u);
    EXPECT_EQ(info.files[1].offset, 6u);
    EXPECT_EQ(info.files[2].offset, 6u);
    EXPECT_EQ(info.files[3].offset, 22u);
    EXPECT_EQ(info.total_length, 23u);
    EXPECT_EQ(to_hex(info.info_hash), "4e9033b668d47e35833746413d618f7bf7a8fd02");
    EXPECT_TRUE(m->trackers().empty());
    EXPECT_EQ(m->creation_date, std::nullopt);
}

TEST(Metainfo, InfoHashIsOverTheBytesAsWritten) {
    // Keys l7 does not know (a "source" tag, padding attributes) are part of the identity.
    BValue info = fox_info();
    info.set("source", BValue::string("tracker-x"));
    info.set("x-unknown", BValue::list({BValue::integer(1)}));
    BValue top = BValue::dict();
    top.set("info", info);
    const std::string doc = bencode(top);
    auto m = parse_metainfo(doc);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->info.info_hash, sha1(bencode(info)));
    EXPECT_EQ(m->info.raw_info, bencode(info));
    EXPECT_NE(m->info.info_hash, sha1(bencode(fox_info())));
}

TEST(Metainfo, Private) {
    BValue info = fox_info();
    info.set("private", BValue::integer(1));
    auto p = parse_info_dict(bencode(info));
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_TRUE(p->is_private);
    EXPECT_EQ(to_hex(p->info_hash), "6d950a7f1ab017ecdbb7b95e67edd5343db20f36");
    info.set("private", BValue::integer(0));
    auto q = parse_info_dict(bencode(info));
    ASSERT_TRUE(q);
    EXPECT_FALSE(q->is_private);
}

TEST(Metainfo, InfoDictAlone) {
    const std::string bytes = bencode(tree_info());
    auto info = parse_info_dict(bytes);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->info_hash, sha1(bytes));
    EXPECT_EQ(info->raw_info, bytes);
    EXPECT_ERROR(parse_info_dict("d4:name").error().message, "not valid bencoding");
    EXPECT_ERROR(parse_info_dict("li1ee").error().message, "not a dictionary");
}

TEST(Metainfo, AnnounceList) {
    BValue top = BValue::dict();
    top.set("announce", BValue::string("http://a/ann"));
    top.set("announce-list", BValue::list({strings({"http://a/ann", "udp://b:1"}), strings({}),
                                           strings({"http://c/ann", "udp://b:1", ""})}));
    top.set("info", fox_info());
    auto m = parse_metainfo(bencode(top));
    ASSERT_TRUE(m) << m.error().message;
    ASSERT_EQ(m->announce_list.size(), 2u);  // the empty tier is dropped, so is ""
    EXPECT_EQ(m->announce_list[1], (std::vector<std::string>{"http://c/ann", "udp://b:1"}));
    EXPECT_EQ(m->trackers(),
              (std::vector<std::string>{"http://a/ann", "udp://b:1", "http://c/ann"}));
}

TEST(Metainfo, DescriptiveFieldsOfAnotherTypeAreIgnored) {
    BValue top = BValue::dict();
    top.set("comment", BValue::integer(5));
    top.set("created by", BValue::list());
    top.set("creation date", BValue::string("yesterday"));
    top.set("info", fox_info());
    auto m = parse_metainfo(bencode(top));
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->comment, "");
    EXPECT_EQ(m->created_by, "");
    EXPECT_EQ(m->creation_date, std::nullopt);
}

// ---- hostile input, each case with its error ------------------------------------------

TEST(MetainfoHostile, TopLevel) {
    EXPECT_ERROR(torrent_error(""), "not valid bencoding");
    EXPECT_ERROR(torrent_error("d4:infod"), "not valid bencoding");
    EXPECT_ERROR(torrent_error("li1ee"), "is a bencoded dictionary");
    EXPECT_ERROR(torrent_error("d8:announce1:xe"), "no info dictionary");
    EXPECT_ERROR(torrent_error("d4:infoi1ee"), "not a dictionary");
    BValue top = BValue::dict();
    top.set("info", fox_info());
    top.set("announce", BValue::integer(1));
    EXPECT_ERROR(torrent_error(bencode(top)), "announce is not a string");
    top.set("announce", BValue::string("http://x/"));
    top.set("announce-list", BValue::string("http://x/"));
    EXPECT_ERROR(torrent_error(bencode(top)), "announce-list is not a list");
    top.set("announce-list", BValue::list({BValue::string("http://x/")}));
    EXPECT_ERROR(torrent_error(bencode(top)), "announce-list[0] is not a list");
    top.set("announce-list", BValue::list({BValue::list({BValue::integer(3)})}));
    EXPECT_ERROR(torrent_error(bencode(top)), "announce-list[0] holds a non-string");
}

TEST(MetainfoHostile, TooManyTrackers) {
    BValue tier = BValue::list();
    for (int i = 0; i < 1001; ++i) {
        tier.push(BValue::string("http://t" + std::to_string(i) + "/"));
    }
    BValue top = BValue::dict();
    top.set("announce-list", BValue::list({tier}));
    top.set("info", fox_info());
    EXPECT_ERROR(torrent_error(bencode(top)), "more than 1000 trackers");
}

TEST(MetainfoHostile, Names) {
    for (const auto& [name, needle] :
         std::vector<std::pair<std::string, std::string>>{{"", "the name is empty"},
                                                          {".", "leave the torrent's directory"},
                                                          {"..", "leave the torrent's directory"},
                                                          {"a/b", "contains '/'"},
                                                          {"/etc", "contains '/'"},
                                                          {"a\0b"s, "contains a NUL byte"}}) {
        BValue info = fox_info();
        info.set("name", BValue::string(name));
        EXPECT_ERROR(info_error(info), needle);
    }
    BValue info = fox_info();
    info.set("name", BValue::integer(3));
    EXPECT_ERROR(info_error(info), "has no name");
    info.as_dict().erase(info.as_dict().begin() + 1);  // "name"
    ASSERT_EQ(info.find("name"), nullptr);
    EXPECT_ERROR(info_error(info), "has no name");
    // Names that only look odd are fine: dots inside, spaces, UTF-8, a leading dot.
    for (const char* ok : {"...", ".hidden", "a..b", "a b", "caf\xc3\xa9", "\\x"}) {
        BValue good = fox_info();
        good.set("name", BValue::string(ok));
        EXPECT_EQ(info_error(good), "") << ok;
    }
}

TEST(MetainfoHostile, FilePaths) {
    EXPECT_ERROR(info_error(with_file_path({"..", "etc", "passwd"})),
                 "files[0].path[0] is \"..\", which would leave the torrent's directory");
    EXPECT_ERROR(info_error(with_file_path({"a", "."})), "files[0].path[1] is \".\"");
    EXPECT_ERROR(info_error(with_file_path({"a", ""})), "files[0].path[1] is empty");
    EXPECT_ERROR(info_error(with_file_path({"a/../../b"})), "contains '/'");
    EXPECT_ERROR(info_error(with_file_path({"a\0b"s, "x"})), "contains a NUL byte");
    EXPECT_ERROR(info_error(with_file_path({})), "files[0].path is empty");

    BValue info = tree_info();
    BValue& entry = info.as_dict()[0].second.as_list()[1];
    entry.set("path", BValue::string("dir/b.bin"));
    EXPECT_ERROR(info_error(info), "files[1] has no path list");
    entry.set("path", BValue::list({BValue::integer(1)}));
    EXPECT_ERROR(info_error(info), "files[1].path[0] is not a string");
    // Control bytes in a quoted name are escaped in the message.
    EXPECT_ERROR(info_error(with_file_path({"\x1b[31m/x"})), "\\x1b[31m/x");
}

TEST(MetainfoHostile, PathDepth) {
    MetainfoLimits limits;
    limits.max_path_depth = 3;
    EXPECT_EQ(info_error(with_file_path({"a", "b", "c"}), limits), "");
    EXPECT_ERROR(info_error(with_file_path({"a", "b", "c", "d"}), limits),
                 "more than 3 components");
}

TEST(MetainfoHostile, PieceLength) {
    BValue info = fox_info();
    info.set("piece length", BValue::integer(0));
    EXPECT_ERROR(info_error(info), "piece length 0 is not between 1 and 67108864");
    info.set("piece length", BValue::integer(-16));
    EXPECT_ERROR(info_error(info), "piece length -16");
    info.set("piece length", BValue::integer(64 * 1024 * 1024 + 1));
    EXPECT_ERROR(info_error(info), "not between 1 and");
    info.set("piece length", BValue::string("16"));
    EXPECT_ERROR(info_error(info), "no integer piece length");
}

TEST(MetainfoHostile, Pieces) {
    BValue info = fox_info();
    info.set("pieces", BValue::string(std::string(59, 'x')));
    EXPECT_ERROR(info_error(info), "59 bytes, not a multiple of 20");
    info.set("pieces", BValue::string(std::string(40, 'x')));
    EXPECT_ERROR(info_error(info), "2 piece hashes for 43 bytes in pieces of 16: 3 expected");
    info.set("pieces", BValue::string(std::string(80, 'x')));
    EXPECT_ERROR(info_error(info), "4 piece hashes");
    info.set("pieces", BValue::integer(0));
    EXPECT_ERROR(info_error(info), "no pieces string");
    // A version 2 torrent (BEP 52) has a file tree and no v1 pieces.
    BValue v2 = BValue::dict();
    v2.set("file tree", BValue::dict());
    v2.set("meta version", BValue::integer(2));
    v2.set("name", BValue::string("x"));
    v2.set("piece length", BValue::integer(16384));
    EXPECT_ERROR(info_error(v2), "version 2 torrent");
}

TEST(MetainfoHostile, LengthsAndFiles) {
    BValue both = tree_info();
    both.set("length", BValue::integer(23));
    EXPECT_ERROR(info_error(both), "both length and files");

    BValue neither = fox_info();
    neither.as_dict().erase(neither.as_dict().begin());  // "length"
    EXPECT_ERROR(info_error(neither), "neither length nor files");

    BValue negative = fox_info();
    negative.set("length", BValue::integer(-1));
    EXPECT_ERROR(info_error(negative), "not a non-negative integer");

    BValue zero = fox_info();
    zero.set("length", BValue::integer(0));
    zero.set("pieces", BValue::string(""));
    EXPECT_ERROR(info_error(zero), "holds no bytes");

    BValue huge = fox_info();
    huge.set("length", BValue::integer(std::int64_t{1} << 50));
    EXPECT_ERROR(info_error(huge), "over the limit of 281474976710656 bytes");

    BValue not_list = tree_info();
    not_list.set("files", BValue::dict());
    EXPECT_ERROR(info_error(not_list), "files is not a list");

    BValue empty = tree_info();
    empty.set("files", BValue::list());
    EXPECT_ERROR(info_error(empty), "the files list is empty");

    BValue entry_type = tree_info();
    entry_type.as_dict()[0].second.as_list()[2] = BValue::string("c.txt");
    EXPECT_ERROR(info_error(entry_type), "files[2] is not a dictionary");

    BValue no_length = tree_info();
    no_length.as_dict()[0].second.as_list()[3].set("length", BValue::string("1"));
    EXPECT_ERROR(info_error(no_length), "files[3] has no integer length");

    BValue neg_file = tree_info();
    neg_file.as_dict()[0].second.as_list()[3].set("length", BValue::integer(-1));
    EXPECT_ERROR(info_error(neg_file), "files[3] has a negative length");
}

TEST(MetainfoHostile, TotalSizeIsBoundedWithoutOverflow) {
    // Two files of 2^62 bytes each would overflow a naive sum past 2^63.
    BValue info = tree_info();
    BValue& files = info.as_dict()[0].second;
    files.as_list()[0].set("length", BValue::integer(std::int64_t{1} << 62));
    files.as_list()[1].set("length", BValue::integer(std::int64_t{1} << 62));
    EXPECT_ERROR(info_error(info), "the files hold more than 281474976710656 bytes");
    MetainfoLimits limits;
    limits.max_total_length = 22;
    EXPECT_ERROR(info_error(tree_info(), limits), "more than 22 bytes");
}

TEST(MetainfoHostile, FileCount) {
    MetainfoLimits limits;
    limits.max_files = 3;
    EXPECT_ERROR(info_error(tree_info(), limits), "more than 3 files");
    limits.max_files = 4;
    EXPECT_EQ(info_error(tree_info(), limits), "");
}

TEST(MetainfoHostile, DuplicatesAndConflicts) {
    BValue twice = tree_info();
    twice.as_dict()[0].second.as_list()[3].set("path", strings({"a.txt"}));
    EXPECT_ERROR(info_error(twice), "the file \"a.txt\" is listed twice");

    BValue conflict = tree_info();
    conflict.as_dict()[0].second.as_list()[3].set("path", strings({"a.txt", "inner"}));
    EXPECT_ERROR(info_error(conflict), "\"a.txt\" is both a file and a directory");

    BValue deep = tree_info();
    deep.as_dict()[0].second.as_list()[0].set("path", strings({"dir", "sub"}));
    EXPECT_ERROR(info_error(deep), "\"dir/sub\" is both a file and a directory");
}

// ---- pieces and files -----------------------------------------------------------------

TEST(MetainfoPieces, SizesAndHashes) {
    auto info = parse_info_dict(bencode(fox_info()));
    ASSERT_TRUE(info);
    ASSERT_EQ(info->piece_count(), 3u);
    EXPECT_EQ(info->piece_size(0), 16u);
    EXPECT_EQ(info->piece_size(1), 16u);
    EXPECT_EQ(info->piece_size(2), 11u);  // 43 = 16 + 16 + 11
    EXPECT_EQ(info->piece_size(3), 0u);
    EXPECT_EQ(info->piece_hash(2), sha1(kFox.substr(32)));
    EXPECT_EQ(info->piece_hash(3), Sha1{});

    // A size that is a multiple of the piece length: the last piece is whole.
    BValue even = fox_info();
    even.set("length", BValue::integer(32));
    even.set("pieces", BValue::string(piece_hashes(kFox.substr(0, 32), 16)));
    auto e = parse_info_dict(bencode(even));
    ASSERT_TRUE(e) << e.error().message;
    EXPECT_EQ(e->piece_count(), 2u);
    EXPECT_EQ(e->piece_size(1), 16u);
}

TEST(MetainfoPieces, MapRange) {
    auto info = parse_info_dict(bencode(tree_info()));
    ASSERT_TRUE(info) << info.error().message;
    // a.txt [0,6), dir/b.bin empty at 6, dir/sub/c.txt [6,22), z [22,23).
    EXPECT_EQ(piece_slices(*info, 0), (std::vector<FileSlice>{{0, 0, 6}, {2, 0, 2}}));
    EXPECT_EQ(piece_slices(*info, 1), (std::vector<FileSlice>{{2, 2, 8}}));
    EXPECT_EQ(piece_slices(*info, 2), (std::vector<FileSlice>{{2, 10, 6}, {3, 0, 1}}));
    EXPECT_TRUE(piece_slices(*info, 3).empty());

    EXPECT_EQ(map_range(*info, 5, 3), (std::vector<FileSlice>{{0, 5, 1}, {2, 0, 2}}));
    EXPECT_EQ(map_range(*info, 6, 1), (std::vector<FileSlice>{{2, 0, 1}}));  // not b.bin
    EXPECT_EQ(map_range(*info, 20, 100), (std::vector<FileSlice>{{2, 14, 2}, {3, 0, 1}}));
    EXPECT_EQ(map_range(*info, 0, 23).size(), 3u);
    EXPECT_TRUE(map_range(*info, 23, 1).empty());
    EXPECT_TRUE(map_range(*info, 4, 0).empty());
    EXPECT_TRUE(map_range(*info, UINT64_MAX, UINT64_MAX).empty());

    // The slices of all pieces cover every byte once, in order.
    std::uint64_t covered = 0;
    for (std::uint32_t p = 0; p < info->piece_count(); ++p) {
        for (const FileSlice& s : piece_slices(*info, p)) {
            EXPECT_EQ(info->files[s.file].offset + s.offset, covered);
            covered += s.length;
        }
    }
    EXPECT_EQ(covered, info->total_length);
}

TEST(MetainfoPieces, MapRangeOverEmptyFilesAtTheEdges) {
    BValue files = BValue::list();
    for (const auto& [name, length] : std::vector<std::pair<std::string, int>>{
             {"e1", 0}, {"e2", 0}, {"x", 4}, {"e3", 0}, {"y", 4}, {"e4", 0}}) {
        files.push(BValue::dict({{"length", BValue::integer(length)}, {"path", strings({name})}}));
    }
    BValue info = BValue::dict();
    info.set("files", files);
    info.set("name", BValue::string("edges"));
    info.set("piece length", BValue::integer(4));
    info.set("pieces", BValue::string(std::string(40, 'h')));
    auto t = parse_info_dict(bencode(info));
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(piece_slices(*t, 0), (std::vector<FileSlice>{{2, 0, 4}}));
    EXPECT_EQ(piece_slices(*t, 1), (std::vector<FileSlice>{{4, 0, 4}}));
    EXPECT_EQ(map_range(*t, 3, 2), (std::vector<FileSlice>{{2, 3, 1}, {4, 0, 1}}));
}

// ---- making torrents ------------------------------------------------------------------

TorrentBuilder fox_builder(bool is_private = false) {
    auto b = TorrentBuilder::create("fox.txt", {{{"ignored"}, kFox.size()}}, true, 16, is_private);
    EXPECT_TRUE(b) << b.error().message;
    return std::move(*b);
}

TEST(MetainfoBuilder, SingleFileMatchesKnownHash) {
    for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{16}, kFox.size()}) {
        TorrentBuilder b = fox_builder();
        EXPECT_EQ(b.piece_count(), 3u);
        for (std::size_t i = 0; i < kFox.size(); i += chunk) {
            ASSERT_TRUE(b.feed(kFox.substr(i, chunk)));
        }
        auto info = b.info_dict();
        ASSERT_TRUE(info) << info.error().message;
        EXPECT_EQ(*info, bencode(fox_info())) << "chunk " << chunk;
        EXPECT_EQ(to_hex(sha1(*info)), "df293a048613e06fea49e740c7d1494595ead8fd");
    }
    TorrentBuilder p = fox_builder(true);
    ASSERT_TRUE(p.feed(kFox));
    EXPECT_EQ(to_hex(sha1(*p.info_dict())), "6d950a7f1ab017ecdbb7b95e67edd5343db20f36");
}

TEST(MetainfoBuilder, MultiFileMatchesKnownHash) {
    const Tree t;
    std::vector<BuilderFile> files;
    for (const auto& [path, data] : t.files) {
        files.push_back({path, data.size()});
    }
    auto b = TorrentBuilder::create("tree", files, false, 8, false);
    ASSERT_TRUE(b) << b.error().message;
    for (const auto& f : t.files) {
        ASSERT_TRUE(b->feed(f.second));
    }
    auto info = b->info_dict();
    ASSERT_TRUE(info);
    EXPECT_EQ(to_hex(sha1(*info)), "4e9033b668d47e35833746413d618f7bf7a8fd02");
    EXPECT_EQ(to_hex(sha1(*info)), to_hex(sha1(bencode(tree_info()))));
}

TEST(MetainfoBuilder, TorrentParsesBack) {
    TorrentBuilder b = fox_builder();
    ASSERT_TRUE(b.feed(kFox));
    TorrentExtras extras;
    extras.trackers = {"http://127.0.0.1:6969/announce", "udp://127.0.0.1:6969"};
    extras.comment = "made in a test";
    extras.created_by = "l7 test";
    extras.creation_date = 1700000000;
    auto bytes = b.torrent(extras);
    ASSERT_TRUE(bytes) << bytes.error().message;
    // Canonical: decoding and encoding again gives the same bytes.
    auto decoded = bdecode(*bytes);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(bencode(*decoded), *bytes);

    auto m = parse_metainfo(*bytes);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(to_hex(m->info.info_hash), "df293a048613e06fea49e740c7d1494595ead8fd");
    EXPECT_EQ(m->announce, "http://127.0.0.1:6969/announce");
    ASSERT_EQ(m->announce_list.size(), 2u);  // each tracker a tier of its own (BEP 12)
    EXPECT_EQ(m->announce_list[1], std::vector<std::string>{"udp://127.0.0.1:6969"});
    EXPECT_EQ(m->comment, "made in a test");
    EXPECT_EQ(m->created_by, "l7 test");
    EXPECT_EQ(m->creation_date, 1700000000);

    // One tracker: announce alone, as mktorrent and transmission-create write it.
    extras.trackers = {"http://t/"};
    extras.comment.clear();
    extras.creation_date.reset();
    const std::string one = *b.torrent(extras);
    EXPECT_EQ(raw_dict_value(one, "announce-list"), std::nullopt);
    EXPECT_EQ(raw_dict_value(one, "comment"), std::nullopt);
    EXPECT_EQ(raw_dict_value(one, "creation date"), std::nullopt);
    EXPECT_EQ(raw_dict_value(one, "announce"), "9:http://t/");
}

TEST(MetainfoBuilder, FeedAndFinishErrors) {
    TorrentBuilder b = fox_builder();
    EXPECT_ERROR(b.info_dict().error().message, "only 0 of 43 bytes were hashed");
    ASSERT_TRUE(b.feed(kFox.substr(0, 40)));
    EXPECT_ERROR(b.feed("abcd").error().message, "44 bytes given for files of 43 bytes");
    EXPECT_EQ(b.fed(), 40u);  // the refused chunk was not taken
    ASSERT_TRUE(b.feed(kFox.substr(40)));
    EXPECT_TRUE(b.info_dict());
    EXPECT_FALSE(b.feed("x"));
}

TEST(MetainfoBuilder, CreateErrors) {
    const auto error = [](std::string name, std::vector<BuilderFile> files, bool single,
                          std::uint32_t piece_length, const MetainfoLimits& limits = {}) {
        auto b = TorrentBuilder::create(std::move(name), std::move(files), single, piece_length,
                                        false, limits);
        return b ? std::string() : b.error().message;
    };
    EXPECT_ERROR(error("..", {{{"x"}, 1}}, true, 16), "the name is \"..\"");
    EXPECT_ERROR(error("", {{{"x"}, 1}}, true, 16), "the name is empty");
    EXPECT_ERROR(error("t", {}, false, 16), "there are no files");
    EXPECT_ERROR(error("t", {{{"a"}, 1}, {{"b"}, 1}}, true, 16), "a single-file torrent");
    EXPECT_ERROR(error("t", {{{"a"}, 1}}, false, 0), "piece length 0");
    EXPECT_ERROR(error("t", {{{"a"}, 1}}, false, 128 * 1024 * 1024), "not between 1 and");
    EXPECT_ERROR(error("t", {{{"a", ".."}, 1}}, false, 16), "a name is \"..\"");
    EXPECT_ERROR(error("t", {{{}, 1}}, false, 16), "has no path");
    EXPECT_ERROR(error("t", {{{"a"}, 1}, {{"a"}, 2}}, false, 16), "listed twice");
    EXPECT_ERROR(error("t", {{{"a"}, 1}, {{"a", "b"}, 2}}, false, 16), "both a file and");
    EXPECT_ERROR(error("t", {{{"a"}, 0}, {{"b"}, 0}}, false, 16), "hold no bytes");
    EXPECT_ERROR(error("t", {{{"a"}, std::uint64_t{1} << 40}}, false, 16 * 1024),
                 "too many for a .torrent: choose a larger piece size");
    EXPECT_ERROR(error("t", {{{"a"}, UINT64_MAX}, {{"b"}, UINT64_MAX}}, false, 16),
                 "more than 281474976710656 bytes");
    MetainfoLimits few;
    few.max_files = 1;
    EXPECT_ERROR(error("t", {{{"a"}, 1}, {{"b"}, 1}}, false, 16, few), "more than 1 files");
}

TEST(MetainfoBuilder, EmptyFilesTakePartAndHoldNoBytes) {
    auto b = TorrentBuilder::create("t", {{{"empty"}, 0}, {{"x"}, 3}}, false, 16, false);
    ASSERT_TRUE(b) << b.error().message;
    ASSERT_TRUE(b->feed("abc"));
    auto info = parse_info_dict(*b->info_dict());
    ASSERT_TRUE(info) << info.error().message;
    ASSERT_EQ(info->files.size(), 2u);
    EXPECT_EQ(info->files[0].length, 0u);
    EXPECT_EQ(info->piece_hash(0), sha1("abc"));
}

// ---- piece sizes ----------------------------------------------------------------------

TEST(MetainfoPieceLength, DefaultFollowsTransmission) {
    constexpr std::uint64_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;
    EXPECT_EQ(default_piece_length(1), 32 * KiB);
    EXPECT_EQ(default_piece_length(50 * MiB - 1), 32 * KiB);
    EXPECT_EQ(default_piece_length(50 * MiB), 64 * KiB);
    EXPECT_EQ(default_piece_length(150 * MiB), 128 * KiB);
    EXPECT_EQ(default_piece_length(350 * MiB), 256 * KiB);
    EXPECT_EQ(default_piece_length(512 * MiB), 512 * KiB);
    EXPECT_EQ(default_piece_length(1 * GiB), 1 * MiB);
    EXPECT_EQ(default_piece_length(2 * GiB), 2 * MiB);
    EXPECT_EQ(default_piece_length(1000 * GiB), 2 * MiB);
    // Past about 6.4 TiB the pieces grow so that their hashes fit the 64 MiB string limit.
    EXPECT_EQ(default_piece_length(7 * 1024 * GiB), 4 * MiB);
    EXPECT_EQ(default_piece_length(std::uint64_t{1} << 48), 64 * MiB);  // the largest
    for (std::uint64_t total : {1 * GiB, 7 * 1024 * GiB, std::uint64_t{1} << 47}) {
        const std::uint64_t p = default_piece_length(total);
        EXPECT_LE((total + p - 1) / p, kMaxPieces) << total;
    }
}

TEST(MetainfoPieceLength, Parse) {
    EXPECT_EQ(*parse_piece_length("16k"), 16384u);
    EXPECT_EQ(*parse_piece_length("256k"), 262144u);
    EXPECT_EQ(*parse_piece_length("256K"), 262144u);
    EXPECT_EQ(*parse_piece_length("256KiB"), 262144u);
    EXPECT_EQ(*parse_piece_length("1m"), 1048576u);
    EXPECT_EQ(*parse_piece_length("64M"), 67108864u);
    EXPECT_EQ(*parse_piece_length("32768"), 32768u);
    for (const char* bad : {"", "k", "8k", "128m", "100k", "1.5m", "-256k", "256 k", "256kb", "0",
                            "1g", "99999999999999999999999k", "16384x"}) {
        auto r = parse_piece_length(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_ERROR(r.error().message, "is not a size like 256k or 1m");
    }
}

}  // namespace
