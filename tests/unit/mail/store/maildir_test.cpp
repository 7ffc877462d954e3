// Maildir delivery in a temporary directory: what lands where, with which name and bytes.

#include "mail/store/maildir.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace l7::mail {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

class MaildirTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/l7-maildir-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { fs::remove_all(dir_); }

    static std::string read(const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }
    static std::size_t count(const fs::path& d) {
        return static_cast<std::size_t>(
            std::distance(fs::directory_iterator(d), fs::directory_iterator()));
    }

    fs::path dir_;
};

TEST_F(MaildirTest, CreateMakesTheThreeDirectoriesAndIsIdempotent) {
    Maildir box(dir_ / "alice");
    EXPECT_FALSE(box.exists());
    ASSERT_FALSE(box.create());
    EXPECT_TRUE(box.exists());
    for (const char* sub : {"tmp", "new", "cur"}) {
        EXPECT_TRUE(fs::is_directory(dir_ / "alice" / sub)) << sub;
        EXPECT_EQ(fs::status(dir_ / "alice" / sub).permissions() & fs::perms::all,
                  fs::perms::owner_all);
    }
    EXPECT_FALSE(box.create());
}

TEST_F(MaildirTest, DeliverPutsTheExactBytesInNewAndLeavesTmpEmpty) {
    Maildir box(dir_ / "bob");
    ASSERT_FALSE(box.create());
    const std::string message = "From: alice@crepes.fr\r\nSubject: hi\r\n\r\nBody\r\n\0binary"s;
    auto delivered = box.deliver(message, "1.M2P3Q1.host,S=42");
    ASSERT_TRUE(delivered) << delivered.error().message;
    EXPECT_EQ(*delivered, dir_ / "bob" / "new" / "1.M2P3Q1.host,S=42");
    EXPECT_EQ(read(*delivered), message);
    EXPECT_EQ(count(dir_ / "bob" / "tmp"), 0u);
    EXPECT_EQ(count(dir_ / "bob" / "cur"), 0u);
}

TEST_F(MaildirTest, DeliverNeverReplacesAnExistingMessage) {
    Maildir box(dir_ / "bob");
    ASSERT_FALSE(box.create());
    ASSERT_TRUE(box.deliver("first", "same-name"));
    auto second = box.deliver("second", "same-name");
    ASSERT_FALSE(second);
    EXPECT_NE(second.error().message.find("same-name"), std::string::npos);
    EXPECT_EQ(read(dir_ / "bob" / "new" / "same-name"), "first");
    EXPECT_EQ(count(dir_ / "bob" / "tmp"), 0u);  // the loser's temporary file is gone
}

TEST_F(MaildirTest, DeliverIntoAMissingMaildirNamesThePath) {
    Maildir box(dir_ / "nobody");
    auto delivered = box.deliver("x", "name");
    ASSERT_FALSE(delivered);
    EXPECT_NE(delivered.error().message.find((dir_ / "nobody" / "tmp").string()),
              std::string::npos);
}

TEST_F(MaildirTest, NamesAreUniqueAndCarryTimePidHostAndSize) {
    MaildirNamer namer("mail.hamburger.edu", 4242);
    const std::string a = namer.next(1'764'500'000'123'456, 1234);
    EXPECT_EQ(a, "1764500000.M123456P4242Q1.mail.hamburger.edu,S=1234");
    std::set<std::string> names{a};
    for (int i = 0; i < 1000; ++i) {
        names.insert(namer.next(1'764'500'000'123'456, 1234));
    }
    EXPECT_EQ(names.size(), 1001u);
}

TEST_F(MaildirTest, HostSlashAndColonAreEscaped) {
    MaildirNamer namer("a/b:c", 1);
    const std::string name = namer.next(0, 0);
    EXPECT_EQ(name, "0.M0P1Q1.a\\057b\\072c,S=0");
    EXPECT_EQ(name.find('/'), std::string::npos);
    EXPECT_EQ(name.find(':'), std::string::npos);
}

TEST_F(MaildirTest, FoldersAreMaildirPlusPlusDirectories) {
    Maildir box(dir_ / "alice");
    Maildir sent = box.folder("Sent");
    EXPECT_EQ(sent.root(), dir_ / "alice" / ".Sent");
    ASSERT_FALSE(sent.create());
    ASSERT_TRUE(sent.deliver("copy", "n1"));
    EXPECT_EQ(read(dir_ / "alice" / ".Sent" / "new" / "n1"), "copy");
}

TEST(MaildirFolderName, Validity) {
    for (const char* good : {"Sent", "Lists.l7", "Entwürfe", "a b"}) {
        EXPECT_TRUE(is_valid_folder_name(good)) << good;
    }
    for (const char* bad : {"", ".hidden", "a/b", "..", "a..b", "tab\there"}) {
        EXPECT_FALSE(is_valid_folder_name(bad)) << bad;
    }
    EXPECT_FALSE(is_valid_folder_name(std::string(256, 'x')));
}

}  // namespace
}  // namespace l7::mail
