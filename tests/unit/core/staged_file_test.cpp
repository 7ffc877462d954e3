// StagedFile (core/staged_file.hpp): the target appears only at commit, whole; create_new
// refuses a taken name; an abandoned staged file leaves nothing behind.

#include "core/staged_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace l7 {
namespace {

namespace fs = std::filesystem;

class StagedFileTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("l7-staged-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    static std::string read(const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), {}};
    }
    std::size_t entries() const {
        return static_cast<std::size_t>(
            std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
    }

    fs::path dir_;
};

TEST_F(StagedFileTest, ReplaceMakesTheTargetAppearWholeAtCommit) {
    const fs::path target = dir_ / "page.html";
    std::ofstream(target) << "old";
    std::error_code ec;
    auto staged = StagedFile::create(dir_, ec);
    ASSERT_TRUE(staged) << ec.message();
    EXPECT_EQ(staged->path().parent_path(), dir_);
    EXPECT_TRUE(staged->path().filename().string().starts_with("."));  // hidden from file servers
    EXPECT_FALSE(staged->write("new "));
    EXPECT_FALSE(staged->write(std::string(100'000, 'x')));
    EXPECT_EQ(read(target), "old");  // nothing visible before the commit
    EXPECT_FALSE(staged->set_mode(0644));
    EXPECT_FALSE(staged->replace(target));
    EXPECT_EQ(read(target), "new " + std::string(100'000, 'x'));
    EXPECT_EQ(entries(), 1u);  // no temporary left
    struct stat st {};
    ASSERT_EQ(::stat(target.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(StagedFileTest, CreateNewRefusesATakenName) {
    const fs::path target = dir_ / "a.txt";
    std::error_code ec;
    auto first = StagedFile::create(dir_, ec);
    auto second = StagedFile::create(dir_, ec);
    ASSERT_TRUE(first && second);
    EXPECT_NE(first->path(), second->path());
    EXPECT_FALSE(first->write("first"));
    EXPECT_FALSE(second->write("second"));
    EXPECT_FALSE(first->create_new(target));
    EXPECT_EQ(second->create_new(target), std::make_error_code(std::errc::file_exists));
    EXPECT_EQ(read(target), "first");
    EXPECT_FALSE(second->replace(target));  // still possible after file_exists
    EXPECT_EQ(read(target), "second");
    EXPECT_EQ(entries(), 1u);
}

TEST_F(StagedFileTest, AbandonedOrFailedStagingLeavesNothing) {
    {
        std::error_code ec;
        auto staged = StagedFile::create(dir_, ec);
        ASSERT_TRUE(staged);
        EXPECT_FALSE(staged->write("half"));
        EXPECT_EQ(entries(), 1u);
    }
    EXPECT_EQ(entries(), 0u);
    std::error_code ec;
    EXPECT_FALSE(StagedFile::create(dir_ / "missing", ec));
    EXPECT_EQ(ec, std::make_error_code(std::errc::no_such_file_or_directory));
    // A rename into a missing directory fails and the temporary is still removed.
    {
        auto staged = StagedFile::create(dir_, ec);
        ASSERT_TRUE(staged);
        EXPECT_TRUE(staged->replace(dir_ / "missing" / "x"));
    }
    EXPECT_EQ(entries(), 0u);
}

TEST_F(StagedFileTest, WriteFileAtomically) {
    const fs::path target = dir_ / "users";
    EXPECT_FALSE(write_file_atomically(target, "one\n", 0600));
    EXPECT_FALSE(write_file_atomically(target, "two\n", 0640));
    EXPECT_EQ(read(target), "two\n");
    struct stat st {};
    ASSERT_EQ(::stat(target.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0640u);
    EXPECT_EQ(entries(), 1u);
    EXPECT_TRUE(write_file_atomically(dir_ / "no" / "users", "x", 0600));
}

}  // namespace
}  // namespace l7
