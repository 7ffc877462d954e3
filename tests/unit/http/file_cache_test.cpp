// FileCache: a cached entry (a small file's bytes, a larger file's descriptor) is served only
// while the path still names the same, unchanged file; anything else (rewritten, replaced,
// removed, a symlink swapped in) misses.
#include "http/asio/file_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace l7::http {
namespace {

namespace fs = std::filesystem;

class FileCacheTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("l7-file-cache-" + std::to_string(::getpid()) + "-" +
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
    std::shared_ptr<const std::string> read_through(FileCache& cache, const std::string& name) {
        const int fd = ::openat(dir_fd_, name.c_str(), O_RDONLY | O_CLOEXEC);
        EXPECT_GE(fd, 0) << name;
        struct stat st {};
        EXPECT_EQ(::fstat(fd, &st), 0);
        return cache.remember(name,
                              std::shared_ptr<int>(new int(fd),
                                                   [](int* p) {
                                                       ::close(*p);
                                                       delete p;
                                                   }),
                              st);
    }

    fs::path dir_;
    int dir_fd_ = -1;
};

TEST_F(FileCacheTest, ServesTheSameFileFromMemory) {
    FileCache cache(1 << 20, std::chrono::nanoseconds(0));
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

TEST_F(FileCacheTest, EachThreadKeepsItsOwnEntries) {
    // Workers do not share entries (nor their locks): what one thread read, another reads
    // for itself, and both are then served from memory.
    FileCache cache(1 << 20, std::chrono::nanoseconds(0));
    write("a.txt", "hello");
    ASSERT_TRUE(read_through(cache, "a.txt"));
    bool missed_elsewhere = false;
    bool hit_elsewhere_after_reading = false;
    std::thread([&] {
        missed_elsewhere = !cache.lookup(dir_fd_, "a.txt");
        read_through(cache, "a.txt");
        const auto hit = cache.lookup(dir_fd_, "a.txt");
        hit_elsewhere_after_reading = hit && *hit->bytes == "hello";
    }).join();
    EXPECT_TRUE(missed_elsewhere);
    EXPECT_TRUE(hit_elsewhere_after_reading);
    const auto hit = cache.lookup(dir_fd_, "a.txt");
    ASSERT_TRUE(hit) << "this thread's entry stays";
    EXPECT_EQ(*hit->bytes, "hello");
}

TEST_F(FileCacheTest, MissesOnceTheFileIsRewrittenInPlace) {
    FileCache cache(1 << 20, std::chrono::nanoseconds(0));
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

TEST_F(FileCacheTest, MissesWhenAnotherFileIsRenamedOverIt) {
    FileCache cache(1 << 20, std::chrono::nanoseconds(0));
    write("a.txt", "old");
    ASSERT_TRUE(read_through(cache, "a.txt"));
    write("b.txt", "new");
    fs::rename(dir_ / "b.txt", dir_ / "a.txt");
    EXPECT_FALSE(cache.lookup(dir_fd_, "a.txt"));
}

TEST_F(FileCacheTest, MissesWhenTheFileIsGoneOrASymlinkLeadsElsewhere) {
    FileCache cache(1 << 20, std::chrono::nanoseconds(0));
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

TEST_F(FileCacheTest, KeepsALargeFileByItsDescriptor) {
    FileCache cache(1 << 20, std::chrono::nanoseconds(0));
    const std::string content = std::string(FileCache::kMaxFileBytes, 'x') + "end";
    write("big.bin", content);
    EXPECT_FALSE(read_through(cache, "big.bin")) << "not read into memory";
    auto hit = cache.lookup(dir_fd_, "big.bin");
    ASSERT_TRUE(hit);
    EXPECT_FALSE(hit->bytes);
    ASSERT_TRUE(hit->fd);
    std::string tail(3, '\0');
    ASSERT_EQ(::pread(*hit->fd, tail.data(), 3, FileCache::kMaxFileBytes), 3);
    EXPECT_EQ(tail, "end");
    EXPECT_EQ(hit->st.st_size, static_cast<off_t>(content.size()));

    write("new.bin", std::string(FileCache::kMaxFileBytes + 10, 'y'));
    fs::rename(dir_ / "new.bin", dir_ / "big.bin");
    EXPECT_FALSE(cache.lookup(dir_fd_, "big.bin")) << "another file under the same name";
}

TEST_F(FileCacheTest, KeepsABoundedNumberOfDescriptors) {
    FileCache cache(1 << 20, std::chrono::nanoseconds(0));
    const std::string big(FileCache::kMaxFileBytes + 1, 'x');
    for (std::size_t i = 0; i <= FileCache::kMaxOpenFiles; ++i) {
        write("f" + std::to_string(i), big);
        read_through(cache, "f" + std::to_string(i));
    }
    // The last one did not fit beside the others: the cache started over with it.
    EXPECT_FALSE(cache.lookup(dir_fd_, "f0"));
    EXPECT_TRUE(cache.lookup(dir_fd_, "f" + std::to_string(FileCache::kMaxOpenFiles)));
}

TEST_F(FileCacheTest, KeepsNoFileJustChanged) {
    FileCache racy(1 << 20, std::chrono::hours(1));
    write("fresh.txt", "just written");
    auto bytes = read_through(racy, "fresh.txt");
    ASSERT_TRUE(bytes) << "served";
    EXPECT_EQ(*bytes, "just written");
    EXPECT_FALSE(racy.lookup(dir_fd_, "fresh.txt")) << "but not kept";
}

TEST_F(FileCacheTest, StaysWithinItsBudget) {
    FileCache cache(10, std::chrono::nanoseconds(0));
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
