// SmallFileCache: a cached copy is served only while the path still names the same,
// unchanged file; anything else (rewritten, replaced, removed, a symlink swapped in) misses.
#include "http/asio/small_file_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace l7::http {
namespace {

namespace fs = std::filesystem;

class SmallFileCacheTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("l7-small-file-cache-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        dir_fd_ = ::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        ASSERT_GE(dir_fd_, 0);
    }
    void TearDown() override {
        ::close(dir_fd_);
        fs::remove_all(dir_);
    }

    void write(const std::string& name, const std::string& content) {
        std::ofstream(dir_ / name, std::ios::binary | std::ios::trunc) << content;
    }

    // Opens `name` and offers it to the cache, as the static site does after an open.
    std::shared_ptr<const std::string> read_through(SmallFileCache& cache,
                                                    const std::string& name) {
        const int fd = ::openat(dir_fd_, name.c_str(), O_RDONLY | O_CLOEXEC);
        EXPECT_GE(fd, 0) << name;
        struct stat st {};
        EXPECT_EQ(::fstat(fd, &st), 0);
        auto bytes = cache.remember(name, fd, st);
        ::close(fd);
        return bytes;
    }

    fs::path dir_;
    int dir_fd_ = -1;
};

TEST_F(SmallFileCacheTest, ServesTheSameFileFromMemory) {
    SmallFileCache cache(1 << 20, std::chrono::nanoseconds(0));
    write("a.txt", "hello");
    EXPECT_FALSE(cache.lookup(dir_fd_, "a.txt")) << "nothing read yet";
    auto bytes = read_through(cache, "a.txt");
    ASSERT_TRUE(bytes);
    EXPECT_EQ(*bytes, "hello");
    auto hit = cache.lookup(dir_fd_, "a.txt");
    ASSERT_TRUE(hit);
    EXPECT_EQ(*hit->bytes, "hello");
    EXPECT_EQ(hit->st.st_size, 5);
}

TEST_F(SmallFileCacheTest, MissesOnceTheFileIsRewrittenInPlace) {
    SmallFileCache cache(1 << 20, std::chrono::nanoseconds(0));
    write("a.txt", "hello");
    ASSERT_TRUE(read_through(cache, "a.txt"));
    write("a.txt", "HELLO");  // same size: only the times tell
    // Set apart from the first write's time even where file times move in coarse ticks.
    fs::last_write_time(dir_ / "a.txt",
                        fs::last_write_time(dir_ / "a.txt") - std::chrono::hours(1));
    EXPECT_FALSE(cache.lookup(dir_fd_, "a.txt"));
    EXPECT_EQ(*read_through(cache, "a.txt"), "HELLO");
    EXPECT_EQ(*cache.lookup(dir_fd_, "a.txt")->bytes, "HELLO");
}

TEST_F(SmallFileCacheTest, MissesWhenAnotherFileIsRenamedOverIt) {
    SmallFileCache cache(1 << 20, std::chrono::nanoseconds(0));
    write("a.txt", "old");
    ASSERT_TRUE(read_through(cache, "a.txt"));
    write("b.txt", "new");
    fs::rename(dir_ / "b.txt", dir_ / "a.txt");
    EXPECT_FALSE(cache.lookup(dir_fd_, "a.txt"));
}

TEST_F(SmallFileCacheTest, MissesWhenTheFileIsGoneOrASymlinkLeadsElsewhere) {
    SmallFileCache cache(1 << 20, std::chrono::nanoseconds(0));
    write("a.txt", "inside");
    write("other.txt", "elsewhere");
    ASSERT_TRUE(read_through(cache, "a.txt"));
    fs::remove(dir_ / "a.txt");
    EXPECT_FALSE(cache.lookup(dir_fd_, "a.txt"));
    write("a.txt", "inside");
    ASSERT_TRUE(read_through(cache, "a.txt"));
    fs::remove(dir_ / "a.txt");
    fs::create_symlink(dir_ / "other.txt", dir_ / "a.txt");
    EXPECT_FALSE(cache.lookup(dir_fd_, "a.txt")) << "the site must open and judge it again";
}

TEST_F(SmallFileCacheTest, KeepsNeitherLargeFilesNorFilesJustChanged) {
    SmallFileCache settled(1 << 20, std::chrono::nanoseconds(0));
    write("big.bin", std::string(SmallFileCache::kMaxFileBytes + 1, 'x'));
    EXPECT_FALSE(read_through(settled, "big.bin"));
    EXPECT_FALSE(settled.lookup(dir_fd_, "big.bin"));

    SmallFileCache racy(1 << 20, std::chrono::hours(1));
    write("fresh.txt", "just written");
    auto bytes = read_through(racy, "fresh.txt");
    ASSERT_TRUE(bytes) << "served";
    EXPECT_EQ(*bytes, "just written");
    EXPECT_FALSE(racy.lookup(dir_fd_, "fresh.txt")) << "but not kept";
}

TEST_F(SmallFileCacheTest, StaysWithinItsBudget) {
    SmallFileCache cache(10, std::chrono::nanoseconds(0));
    write("a.txt", "123456");
    write("b.txt", "abcdef");
    ASSERT_TRUE(read_through(cache, "a.txt"));
    ASSERT_TRUE(cache.lookup(dir_fd_, "a.txt"));
    ASSERT_TRUE(read_through(cache, "b.txt"));  // 12 bytes would not fit: starts over
    EXPECT_FALSE(cache.lookup(dir_fd_, "a.txt"));
    EXPECT_TRUE(cache.lookup(dir_fd_, "b.txt"));
}

}  // namespace
}  // namespace l7::http
