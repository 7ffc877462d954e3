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

TEST_F(MaildirTest, ListReadAndRemove) {
    Maildir box(dir_ / "bob");
    ASSERT_FALSE(box.create());
    ASSERT_TRUE(box.deliver("second", "1764500002.M1P1Q2.host,S=6"));
    ASSERT_TRUE(box.deliver("first!", "1764500001.M1P1Q1.host,S=6"));
    // One a reader has seen (cur/, with flags), one without a size in its name, a dotfile.
    {
        std::ofstream(dir_ / "bob" / "cur" / "1764500003.M1P1Q3.host:2,S") << "seen";
        std::ofstream(dir_ / "bob" / "new" / "1764500004.plain") << "12345";
        std::ofstream(dir_ / "bob" / "new" / ".hidden") << "x";
    }
    auto listed = box.list();
    ASSERT_TRUE(listed) << listed.error().message;
    ASSERT_EQ(listed->size(), 4u);
    const auto& m = *listed;
    EXPECT_EQ(m[0].name, "1764500001.M1P1Q1.host,S=6");  // delivery order
    EXPECT_TRUE(m[0].in_new);
    EXPECT_EQ(m[0].uid, "1764500001.M1P1Q1.host,S=6");
    EXPECT_EQ(m[0].size, 6u);
    EXPECT_EQ(m[2].name, "1764500003.M1P1Q3.host:2,S");
    EXPECT_FALSE(m[2].in_new);
    EXPECT_EQ(m[2].uid, "1764500003.M1P1Q3.host");  // flags are not part of it
    EXPECT_EQ(m[2].size, 4u);                       // from the file
    EXPECT_EQ(m[3].size, 5u);

    auto text = box.read(m[2], 1000);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, "seen");
    EXPECT_FALSE(box.read(m[3], 4));  // larger than allowed

    ASSERT_FALSE(box.remove({m[0], m[2]}));
    ASSERT_FALSE(box.remove({m[0]}));  // already gone: fine
    auto after = box.list();
    ASSERT_TRUE(after);
    ASSERT_EQ(after->size(), 2u);
    EXPECT_EQ((*after)[0].name, "1764500002.M1P1Q2.host,S=6");
    EXPECT_FALSE(box.read(m[0], 1000));  // gone
}

TEST_F(MaildirTest, ListIsInDeliveryOrderWhateverTheDigitsOfTheMicroseconds) {
    // Names are "SECONDS.M<micros>...", unpadded (l7's and Dovecot's): as text, M100000
    // would come before M99999 and POP3 would number the messages out of order.
    Maildir box(dir_ / "bob");
    ASSERT_FALSE(box.create());
    ASSERT_TRUE(box.deliver("a", "1764500001.M99999P1Q1.host,S=1"));
    ASSERT_TRUE(box.deliver("b", "1764500001.M100000P1Q2.host,S=1"));
    ASSERT_TRUE(box.deliver("c", "1764500002.M5P1Q3.host,S=1"));
    ASSERT_TRUE(box.deliver("d", "999999999.M7P1Q4.host,S=1"));
    auto listed = box.list();
    ASSERT_TRUE(listed) << listed.error().message;
    std::vector<std::string> names;
    for (const auto& m : *listed) {
        names.push_back(m.name.substr(0, m.name.find('P')));
    }
    EXPECT_EQ(names, (std::vector<std::string>{"999999999.M7", "1764500001.M99999",
                                               "1764500001.M100000", "1764500002.M5"}));
}

TEST_F(MaildirTest, LongNamesGetAShortStableUid) {
    Maildir box(dir_ / "bob");
    ASSERT_FALSE(box.create());
    const std::string name = "1764500001.M1P1Q1." + std::string(100, 'h') + ",S=1";
    ASSERT_TRUE(box.deliver("x", name));
    auto listed = box.list();
    ASSERT_TRUE(listed);
    const std::string uid = (*listed)[0].uid;
    EXPECT_LE(uid.size(), 70u);
    EXPECT_FALSE(uid.empty());
    EXPECT_EQ(box.list().value()[0].uid, uid);  // the same in the next session
}

TEST_F(MaildirTest, ALockKeepsOtherSessionsOut) {
    Maildir box(dir_ / "bob");
    ASSERT_FALSE(box.create());
    {
        auto first = MaildirLock::try_lock(box);
        ASSERT_TRUE(first);
        EXPECT_FALSE(MaildirLock::try_lock(box));
        auto moved = std::move(*first);
        EXPECT_FALSE(MaildirLock::try_lock(box));  // still held by the moved-to lock
    }
    EXPECT_TRUE(MaildirLock::try_lock(box));   // released
    EXPECT_EQ(box.list().value().size(), 0u);  // the lock file is not a message
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
