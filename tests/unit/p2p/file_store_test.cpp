// FileStore: a torrent's files on disk behind the PieceStore. Single- and multi-file
// layouts (nested directories, an empty file), pieces spanning two and three files written
// and read back across the boundaries, files created at their full lengths, seed mode's
// checks, the resume re-check after reopening, symlinks refused, a longer existing file
// refused, sync, and the open-file bound. Real files in a temporary directory.

#include "p2p/asio/file_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace l7::p2p;
namespace fs = std::filesystem;

namespace {

struct Content {
    std::vector<std::string> path;  // under the torrent's directory ({name} for single)
    std::string bytes;
};

// Recognisable bytes: file `seed`'s byte i.
std::string pattern(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>((i * 131 + seed * 17 + 7) % 251);
    }
    return s;
}

// A TorrentInfo for `files`, through the builder and the parser as a real .torrent goes.
TorrentInfo make_info(const std::string& name, const std::vector<Content>& files, bool single,
                      std::uint32_t piece_length) {
    std::vector<BuilderFile> list;
    for (const Content& c : files) {
        list.push_back({c.path, c.bytes.size()});
    }
    auto b = TorrentBuilder::create(name, list, single, piece_length, false);
    EXPECT_TRUE(b) << b.error().message;
    for (const Content& c : files) {
        EXPECT_TRUE(b->feed(c.bytes));
    }
    auto dict = b->info_dict();
    EXPECT_TRUE(dict);
    auto info = parse_info_dict(*dict);
    EXPECT_TRUE(info) << info.error().message;
    return *info;
}

std::string all_bytes(const std::vector<Content>& files) {
    std::string s;
    for (const Content& c : files) {
        s += c.bytes;
    }
    return s;
}

std::string piece_of(const TorrentInfo& info, const std::string& all, std::uint32_t i) {
    return all.substr(std::size_t{i} * info.piece_length, info.piece_size(i));
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void spit(const fs::path& p, const std::string& bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
}

std::vector<std::size_t> set_bits(const Bitfield& b) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (b.get(i)) {
            out.push_back(i);
        }
    }
    return out;
}

#define EXPECT_ERROR_HAS(message, part) \
    EXPECT_NE(std::string(message).find(part), std::string::npos) << (message)

class FileStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        base_ = fs::temp_directory_path() /
                ("l7-file-store-test-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(base_);
        dl_ = base_ / "dl";
        outside_ = base_ / "outside";
        fs::create_directories(outside_);
    }
    void TearDown() override { fs::remove_all(base_); }

    // The multi-file torrent "tree": piece 0 spans a, b and c; piece 1 spans c and, past
    // the empty file, d; 45 bytes in pieces of 16.
    std::vector<Content> tree() const {
        return {
            {{"a.txt"}, pattern(5, 1)},         {{"sub", "deep", "b.bin"}, pattern(4, 2)},
            {{"sub", "c.bin"}, pattern(20, 3)}, {{"zero"}, ""},
            {{"z", "d.bin"}, pattern(16, 4)},
        };
    }

    std::unique_ptr<FileStore> open(const TorrentInfo& info, FileStore::Mode mode,
                                    FileStore::Options options = {}) {
        auto s = FileStore::open(info, dl_, mode, options);
        EXPECT_TRUE(s) << s.error().message;
        return s ? std::move(*s) : nullptr;
    }

    fs::path base_, dl_, outside_;
};

TEST_F(FileStoreTest, SingleFileCreatedAtFullLengthAndReadBack) {
    const std::vector<Content> files{{{"movie.bin"}, pattern(100, 9)}};
    const TorrentInfo info = make_info("movie.bin", files, true, 16);
    auto store = open(info, FileStore::Mode::leech);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->root(), dl_ / "movie.bin");
    ASSERT_TRUE(fs::is_regular_file(dl_ / "movie.bin"));
    EXPECT_EQ(fs::file_size(dl_ / "movie.bin"), 100u);
    EXPECT_EQ(store->open_files(), 1u);

    const std::string all = all_bytes(files);
    for (std::uint32_t i = 0; i < info.piece_count(); ++i) {
        EXPECT_FALSE(store->write_piece(i, piece_of(info, all, i)));
    }
    auto last = store->read(6, 0, 4);  // the short last piece
    ASSERT_TRUE(last) << last.error().message;
    EXPECT_EQ(*last, all.substr(96));
    EXPECT_FALSE(store->sync());
    EXPECT_EQ(slurp(dl_ / "movie.bin"), all);
}

TEST_F(FileStoreTest, MultiFileLayoutWithNestedDirectoriesAndAnEmptyFile) {
    const TorrentInfo info = make_info("tree", tree(), false, 16);
    auto store = open(info, FileStore::Mode::leech);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->root(), dl_ / "tree");
    for (const Content& c : tree()) {
        fs::path p = dl_ / "tree";
        for (const auto& part : c.path) {
            p /= part;
        }
        ASSERT_TRUE(fs::is_regular_file(p)) << p;
        EXPECT_EQ(fs::file_size(p), c.bytes.size()) << p;
    }
    // Four files hold bytes; the empty one is created but needs no descriptor.
    EXPECT_EQ(store->open_files(), 4u);
}

TEST_F(FileStoreTest, PiecesSpanningFilesAreWrittenAndReadAcrossTheBoundaries) {
    const auto files = tree();
    const TorrentInfo info = make_info("tree", files, false, 16);
    // What the test relies on: piece 0 lies in three files, piece 1 in two (not the empty).
    ASSERT_EQ(piece_slices(info, 0).size(), 3u);
    ASSERT_EQ(piece_slices(info, 1).size(), 2u);
    auto store = open(info, FileStore::Mode::leech);
    ASSERT_TRUE(store);
    const std::string all = all_bytes(files);
    for (std::uint32_t i = 0; i < info.piece_count(); ++i) {
        ASSERT_FALSE(store->write_piece(i, piece_of(info, all, i)));
    }
    // Bytes 3..12: the end of a.txt, all of b.bin, the start of c.bin.
    auto span = store->read(0, 3, 10);
    ASSERT_TRUE(span) << span.error().message;
    EXPECT_EQ(*span, all.substr(3, 10));
    // Bytes 26..31 of the torrent: the end of c.bin and, past the empty file, d.bin's start.
    auto span2 = store->read(1, 10, 6);
    ASSERT_TRUE(span2) << span2.error().message;
    EXPECT_EQ(*span2, all.substr(26, 6));
    // Every whole piece, and the files themselves hold exactly their bytes.
    for (std::uint32_t i = 0; i < info.piece_count(); ++i) {
        auto p = store->read(i, 0, info.piece_size(i));
        ASSERT_TRUE(p);
        EXPECT_EQ(*p, piece_of(info, all, i)) << i;
    }
    EXPECT_EQ(slurp(dl_ / "tree" / "a.txt"), files[0].bytes);
    EXPECT_EQ(slurp(dl_ / "tree" / "sub" / "deep" / "b.bin"), files[1].bytes);
    EXPECT_EQ(slurp(dl_ / "tree" / "sub" / "c.bin"), files[2].bytes);
    EXPECT_EQ(slurp(dl_ / "tree" / "z" / "d.bin"), files[4].bytes);
}

TEST_F(FileStoreTest, BadArgumentsAreErrors) {
    const auto files = tree();
    const TorrentInfo info = make_info("tree", files, false, 16);
    auto store = open(info, FileStore::Mode::leech);
    ASSERT_TRUE(store);
    EXPECT_ERROR_HAS(store->read(3, 0, 1).error().message, "past the torrent's end");
    EXPECT_ERROR_HAS(store->read(2, 10, 4).error().message, "outside piece 2");  // 13 bytes
    EXPECT_ERROR_HAS(store->write_piece(0, "short")->message, "has 5 bytes, not 16 bytes");
    EXPECT_ERROR_HAS(store->write_piece(9, std::string(16, 'x'))->message, "past");
    EXPECT_EQ(store->bytes_unsynced(), 0u);
}

TEST_F(FileStoreTest, RecheckAfterReopeningFindsExactlyTheWrittenPieces) {
    const std::vector<Content> files{
        {{"one"}, pattern(40, 1)}, {{"two"}, pattern(50, 2)}, {{"three"}, pattern(30, 3)}};
    const TorrentInfo info = make_info("three", files, false, 16);  // 8 pieces
    const std::string all = all_bytes(files);
    {
        auto store = open(info, FileStore::Mode::leech);
        ASSERT_TRUE(store);
        auto none = store->recheck();
        ASSERT_TRUE(none);
        EXPECT_TRUE(none->none());
        for (std::uint32_t i : {0u, 2u, 3u, 7u}) {  // 2 spans one/two, 7 is the short last
            ASSERT_FALSE(store->write_piece(i, piece_of(info, all, i)));
        }
        // A piece with wrong bytes (never the session's doing, but a torn write's) fails.
        std::string bad = piece_of(info, all, 5);
        bad[0] ^= 1;
        ASSERT_FALSE(store->write_piece(5, bad));
        EXPECT_FALSE(store->sync());
    }
    auto store = open(info, FileStore::Mode::leech);
    ASSERT_TRUE(store);
    std::vector<std::uint32_t> calls;
    auto have = store->recheck([&](std::uint32_t done, std::uint32_t total) {
        EXPECT_EQ(total, 8u);
        calls.push_back(done);
    });
    ASSERT_TRUE(have) << have.error().message;
    EXPECT_EQ(set_bits(*have), (std::vector<std::size_t>{0, 2, 3, 7}));
    EXPECT_EQ(calls, (std::vector<std::uint32_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST_F(FileStoreTest, FreshFilesCountAsZerosWithoutBeingRead) {
    // Piece 1 is all zeros: in a file just created it is already right (and a peer would
    // send the same zeros), so the re-check says so; the others are missing.
    std::string bytes = pattern(48, 5);
    std::fill(bytes.begin() + 16, bytes.begin() + 32, '\0');
    const std::vector<Content> files{{{"z.bin"}, bytes}};
    const TorrentInfo info = make_info("z.bin", files, true, 16);
    auto store = open(info, FileStore::Mode::leech);
    ASSERT_TRUE(store);
    auto have = store->recheck();
    ASSERT_TRUE(have);
    EXPECT_EQ(set_bits(*have), (std::vector<std::size_t>{1}));
    // Reopened, the file is no longer fresh: read from disk, the same answer.
    store.reset();
    store = open(info, FileStore::Mode::leech);
    have = store->recheck();
    ASSERT_TRUE(have);
    EXPECT_EQ(set_bits(*have), (std::vector<std::size_t>{1}));
    // Once written, a fresh file is read again.
    ASSERT_FALSE(store->write_piece(0, bytes.substr(0, 16)));
    have = store->recheck();
    ASSERT_TRUE(have);
    EXPECT_EQ(set_bits(*have), (std::vector<std::size_t>{0, 1}));
}

TEST_F(FileStoreTest, ShorterExistingFileIsExtendedAndItsPiecesKept) {
    const std::vector<Content> files{{{"part.bin"}, pattern(64, 6)}};
    const TorrentInfo info = make_info("part.bin", files, true, 16);
    spit(dl_ / "part.bin", files[0].bytes.substr(0, 20));  // an interrupted download
    auto store = open(info, FileStore::Mode::leech);
    ASSERT_TRUE(store);
    EXPECT_EQ(fs::file_size(dl_ / "part.bin"), 64u);
    auto have = store->recheck();
    ASSERT_TRUE(have);
    EXPECT_EQ(set_bits(*have), (std::vector<std::size_t>{0}));
}

TEST_F(FileStoreTest, LongerExistingFileIsRefusedAndLeftAlone) {
    const std::vector<Content> files{{{"data.bin"}, pattern(32, 7)}};
    const TorrentInfo info = make_info("data.bin", files, true, 16);
    const std::string other = pattern(50, 8);
    spit(dl_ / "data.bin", other);
    for (auto mode : {FileStore::Mode::leech, FileStore::Mode::seed}) {
        auto store = FileStore::open(info, dl_, mode);
        ASSERT_FALSE(store);
        EXPECT_ERROR_HAS(store.error().message, (dl_ / "data.bin").string());
        EXPECT_ERROR_HAS(store.error().message, "50 bytes, but the torrent's file has 32");
        EXPECT_ERROR_HAS(store.error().message, "not truncating");
    }
    EXPECT_EQ(slurp(dl_ / "data.bin"), other);
}

TEST_F(FileStoreTest, SeedNeedsEveryFileWithItsLength) {
    const auto files = tree();
    const TorrentInfo info = make_info("tree", files, false, 16);
    const fs::path c = dl_ / "tree" / "sub" / "c.bin";
    for (const Content& f : files) {
        fs::path p = dl_ / "tree";
        for (const auto& part : f.path) {
            p /= part;
        }
        spit(p, f.bytes);
    }
    {
        auto store = open(info, FileStore::Mode::seed);
        ASSERT_TRUE(store);
        auto have = store->recheck();
        ASSERT_TRUE(have);
        EXPECT_TRUE(have->all());
        auto bytes = store->read(1, 0, 16);
        ASSERT_TRUE(bytes);
        EXPECT_EQ(*bytes, all_bytes(files).substr(16, 16));
        auto err = store->write_piece(0, bytes->substr(0, 16));
        ASSERT_TRUE(err);
        EXPECT_ERROR_HAS(err->message, "read-only");
    }
    EXPECT_EQ(slurp(c), files[2].bytes);

    spit(c, files[2].bytes.substr(0, 19));
    auto shorter = FileStore::open(info, dl_, FileStore::Mode::seed);
    ASSERT_FALSE(shorter);
    EXPECT_ERROR_HAS(shorter.error().message, c.string() + ": 19 bytes");
    EXPECT_ERROR_HAS(shorter.error().message, "has 20 bytes");

    fs::remove(c);
    auto missing = FileStore::open(info, dl_, FileStore::Mode::seed);
    ASSERT_FALSE(missing);
    EXPECT_ERROR_HAS(missing.error().message, c.string() + ": missing");
    EXPECT_FALSE(fs::exists(c));  // seeding creates nothing

    // A changed byte: the store opens, the re-check says which piece no longer matches.
    std::string changed = files[2].bytes;
    changed[19] ^= 1;  // torrent byte 28: piece 1
    spit(c, changed);
    auto store = open(info, FileStore::Mode::seed);
    ASSERT_TRUE(store);
    auto have = store->recheck();
    ASSERT_TRUE(have);
    EXPECT_EQ(set_bits(*have), (std::vector<std::size_t>{0, 2}));
}

TEST_F(FileStoreTest, SymlinkedDirectoryOutsideIsRefused) {
    const TorrentInfo info = make_info("tree", tree(), false, 16);
    fs::create_directories(dl_ / "tree");
    fs::create_directory_symlink(outside_, dl_ / "tree" / "sub");
    for (auto mode : {FileStore::Mode::leech, FileStore::Mode::seed}) {
        auto store = FileStore::open(info, dl_, mode);
        ASSERT_FALSE(store);
        EXPECT_ERROR_HAS(store.error().message, (dl_ / "tree" / "sub").string() + ": a symbolic");
    }
    EXPECT_TRUE(fs::is_empty(outside_));  // nothing created through the link
}

TEST_F(FileStoreTest, SymlinksAsTheTorrentDirectoryOrAFileAreRefused) {
    const TorrentInfo info = make_info("tree", tree(), false, 16);
    fs::create_directories(dl_);
    fs::create_directory_symlink(outside_, dl_ / "tree");
    auto store = FileStore::open(info, dl_, FileStore::Mode::leech);
    ASSERT_FALSE(store);
    EXPECT_ERROR_HAS(store.error().message, (dl_ / "tree").string() + ": a symbolic");
    EXPECT_TRUE(fs::is_empty(outside_));

    // The last component: a file that is a link to a file outside.
    fs::remove(dl_ / "tree");
    fs::create_directories(dl_ / "tree");
    spit(outside_ / "secret", "do not overwrite");
    fs::create_symlink(outside_ / "secret", dl_ / "tree" / "a.txt");
    store = FileStore::open(info, dl_, FileStore::Mode::leech);
    ASSERT_FALSE(store);
    EXPECT_ERROR_HAS(store.error().message, (dl_ / "tree" / "a.txt").string() + ": a symbolic");
    EXPECT_EQ(slurp(outside_ / "secret"), "do not overwrite");
}

TEST_F(FileStoreTest, DownloadDirItselfMayBeASymlink) {
    // The user's own choice of directory is followed.
    const std::vector<Content> files{{{"f"}, pattern(20, 1)}};
    const TorrentInfo info = make_info("f", files, true, 16);
    fs::create_directory_symlink(outside_, base_ / "link");
    auto store = FileStore::open(info, base_ / "link", FileStore::Mode::leech);
    ASSERT_TRUE(store) << store.error().message;
    EXPECT_TRUE(fs::is_regular_file(outside_ / "f"));
}

TEST_F(FileStoreTest, SyncCountsAndClearsUnsyncedBytes) {
    const auto files = tree();
    const TorrentInfo info = make_info("tree", files, false, 16);
    auto store = open(info, FileStore::Mode::leech);
    ASSERT_TRUE(store);
    const std::string all = all_bytes(files);
    EXPECT_FALSE(store->sync());  // nothing written: nothing to do
    ASSERT_FALSE(store->write_piece(0, piece_of(info, all, 0)));
    ASSERT_FALSE(store->write_piece(2, piece_of(info, all, 2)));
    EXPECT_EQ(store->bytes_unsynced(), 16u + 13u);
    EXPECT_FALSE(store->sync());
    EXPECT_EQ(store->bytes_unsynced(), 0u);
    ASSERT_FALSE(store->write_piece(1, piece_of(info, all, 1)));
    EXPECT_EQ(store->bytes_unsynced(), 16u);
    EXPECT_EQ(store->bytes_unwritten(), 16u);
    // A writeback is started, not waited for: the bytes still count as not durable.
    store->start_writeback();
    EXPECT_EQ(store->bytes_unwritten(), 0u);
    EXPECT_EQ(store->bytes_unsynced(), 16u);
    EXPECT_FALSE(store->sync());
    EXPECT_EQ(store->bytes_unsynced(), 0u);
    auto read = store->read(1, 0, 16);
    ASSERT_TRUE(read);
    EXPECT_EQ(*read, piece_of(info, all, 1));
}

TEST_F(FileStoreTest, ManyFilesAreOpenedOnDemandWithinTheBound) {
    std::vector<Content> files;
    for (unsigned i = 0; i < 9; ++i) {
        files.push_back({{"f" + std::to_string(i)}, pattern(7 + i, i)});
    }
    const TorrentInfo info = make_info("many", files, false, 16);
    const std::string all = all_bytes(files);
    {
        auto store = open(info, FileStore::Mode::leech, {.max_open_files = 2});
        ASSERT_TRUE(store);
        EXPECT_EQ(store->open_files(), 2u);
        for (std::uint32_t i = 0; i < info.piece_count(); ++i) {
            ASSERT_FALSE(store->write_piece(i, piece_of(info, all, i)));
            EXPECT_LE(store->open_files(), 2u);
        }
        for (std::uint32_t i = info.piece_count(); i-- > 0;) {
            auto p = store->read(i, 0, info.piece_size(i));
            ASSERT_TRUE(p) << p.error().message;
            EXPECT_EQ(*p, piece_of(info, all, i));
        }
        EXPECT_EQ(store->open_files(), 2u);
        EXPECT_FALSE(store->sync());
        EXPECT_EQ(store->bytes_unsynced(), 0u);
    }
    auto store = open(info, FileStore::Mode::seed, {.max_open_files = 1});
    ASSERT_TRUE(store);
    auto have = store->recheck();
    ASSERT_TRUE(have);
    EXPECT_TRUE(have->all());
    EXPECT_EQ(store->open_files(), 1u);
}

TEST_F(FileStoreTest, AFileDeletedWhileClosedIsAnErrorNamingIt) {
    std::vector<Content> files{{{"x"}, pattern(16, 1)}, {{"y"}, pattern(16, 2)}};
    const TorrentInfo info = make_info("xy", files, false, 16);
    auto store = open(info, FileStore::Mode::leech, {.max_open_files = 1});
    ASSERT_TRUE(store);
    fs::remove(dl_ / "xy" / "y");  // closed: only x fits the bound
    auto err = store->write_piece(1, files[1].bytes);
    ASSERT_TRUE(err);
    EXPECT_ERROR_HAS(err->message, (dl_ / "xy" / "y").string());
}

}  // namespace
