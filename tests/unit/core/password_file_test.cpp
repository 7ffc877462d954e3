// Password files (core/password_file.hpp): hashes made by Apache's htpasswd and by crypt(3)
// verify; weak and plaintext entries are refused with the file and line; parsing rules;
// editing keeps the rest of the file; yescrypt hashes made here verify; a changed file is
// re-read, a broken one is not taken.

#include "core/password_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "core/staged_file.hpp"

namespace l7 {
namespace {

namespace fs = std::filesystem;

// `htpasswd -nbB alice 'wonder land'` (Apache 2.4, its own bcrypt, cost 5).
constexpr std::string_view kAliceHtpasswd =
    "alice:$2y$05$tiFuaxNv/rgfkCHUiwehu.cdmy1ubkd.4yXGJxtaSpYeHtt3Jhhqa";
// `htpasswd -nbB -C 4 jörg pässwörd`: UTF-8 in the name and the password.
constexpr std::string_view kJoergHtpasswd =
    "j\xC3\xB6rg:$2y$04$nrj1Qr6tnTo0.cWRLZDr1uZR5EPS5Z9H8eJPfSOXQJlf6enYMEHVq";
// crypt(3) of "s3cret pass" with fixed salts: sha512crypt, bcrypt $2b$, yescrypt.
constexpr std::string_view kSha512 =
    "$6$l7testsalt$IluB7cUUo5rCfyX."
    "5mc0MS1T5D2AGM2Rnxs6Li6VxkCVYhQPrMdDN1h3eSIb1BciFKcWlX1TOWzansOitkY9T1";
constexpr std::string_view kBcrypt = "$2b$04$abcdefghijklmnopqrstuuoBpIrM0OnplXjsOI8DWYJTHUhJDuUv.";
constexpr std::string_view kYescrypt =
    "$y$j9T$l7testsaltl7testsalt$bNSGtB6FxihTr8EATcqY.tk38QkUsH8cmyN.KlChnO5";

std::shared_ptr<PasswordFile> from_text(std::string_view text) {
    auto file = PasswordFile::from_text(text, "users.htpasswd");
    EXPECT_TRUE(file) << (file ? "" : file.error().message);
    return file ? *file : nullptr;
}

std::string load_error(std::string_view text) {
    auto file = PasswordFile::from_text(text, "users.htpasswd");
    EXPECT_FALSE(file) << text;
    return file ? "" : file.error().message;
}

TEST(PasswordFile, HtpasswdBcryptEntriesVerify) {
    const auto file = from_text(std::string(kAliceHtpasswd) + "\n" + std::string(kJoergHtpasswd));
    ASSERT_TRUE(file);
    EXPECT_EQ(file->size(), 2u);
    EXPECT_TRUE(file->verify("alice", "wonder land"));
    EXPECT_FALSE(file->verify("alice", "wonder lan"));
    EXPECT_FALSE(file->verify("alice", "wonder land "));
    EXPECT_FALSE(file->verify("alice", ""));
    EXPECT_FALSE(file->verify("Alice", "wonder land"));  // names are case-sensitive
    EXPECT_FALSE(file->verify("j\xC3\xB6rg", "p\xC3\xA4sssw\xC3\xB6rd"));
    EXPECT_TRUE(file->verify("j\xC3\xB6rg", "p\xC3\xA4ssw\xC3\xB6rd"));
    // Another user's password, or an unknown user with a real password, never verifies.
    EXPECT_FALSE(file->verify("j\xC3\xB6rg", "wonder land"));
    EXPECT_FALSE(file->verify("mallory", "wonder land"));
    EXPECT_TRUE(file->has_user("alice"));
    EXPECT_FALSE(file->has_user("mallory"));
}

TEST(PasswordFile, CryptSchemesVerify) {
    for (std::string_view hash : {kSha512, kBcrypt, kYescrypt}) {
        const auto file = from_text("u:" + std::string(hash) + "\n");
        ASSERT_TRUE(file);
        EXPECT_TRUE(file->verify("u", "s3cret pass")) << hash;
        EXPECT_FALSE(file->verify("u", "s3cret pasS")) << hash;
        EXPECT_TRUE(password_matches("s3cret pass", std::string(hash))) << hash;
    }
    // crypt(3) stops at NUL: "s3cret pass\0anything" must not pass for "s3cret pass".
    EXPECT_FALSE(password_matches(std::string("s3cret pass\0x", 13), std::string(kSha512)));
    EXPECT_FALSE(password_matches("s3cret pass", ""));
    EXPECT_FALSE(password_matches("s3cret pass", "$6$l7testsalt$wrong"));
}

TEST(PasswordFile, CommentsBlankLinesCrlfAndExtraFields) {
    const std::string text =
        "# users of the upload area\n"
        "\n"
        "   \t\n"
        "  " +
        std::string(kAliceHtpasswd) +
        "  \r\n"
        "#bob:" +
        std::string(kSha512) +
        "\n"
        "carol:" +
        std::string(kSha512) +
        ":Carol, room 12\n"
        "dave:" +
        std::string(kBcrypt);  // no final newline
    const auto file = from_text(text);
    ASSERT_TRUE(file);
    EXPECT_EQ(file->size(), 3u);
    EXPECT_TRUE(file->verify("alice", "wonder land"));
    EXPECT_FALSE(file->has_user("bob"));
    EXPECT_FALSE(file->has_user("#bob"));
    EXPECT_TRUE(file->verify("carol", "s3cret pass"));
    EXPECT_TRUE(file->verify("dave", "s3cret pass"));
    const auto empty = from_text("# nobody yet\n");
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->size(), 0u);
    EXPECT_FALSE(empty->verify("alice", "wonder land"));
    EXPECT_FALSE(empty->verify("", ""));
}

TEST(PasswordFile, WeakAndPlaintextEntriesAreRefusedWithFileAndLine) {
    const std::string head = std::string(kAliceHtpasswd) + "\n# comment\n";
    struct Case {
        std::string line;
        std::string_view expected;
    };
    const Case cases[] = {
        {"bob:$apr1$9/2PwbFR$d1YuPQht9GFjh3Qquiy2h/", "not supported by libxcrypt"},
        {"bob:$1$l7salt$4oGfcz1oiWgxFykhIN8/f/", "MD5-crypt ($1$) is too weak"},
        {"bob:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=", "SHA-1 ({SHA}, htpasswd -s) is too weak"},
        {"bob:pVyDHmPMxHkwY", "DES crypt"},
        {"bob:pw", "a plaintext password?"},
        {"bob:correct horse battery staple", "a plaintext password?"},
        {"bob:", "the hash is empty"},
        {"bob:$5$l7testsalt$SHWGDXZJYSNY1OqhIbLIetX6PUr5Z3zY3Sih786imTB", "$5$ is too weak"},
        {"bob:$md5$x$y", "too weak"},
        {"bob:$zz$nonsense", "not a valid crypt(3) hash"},
    };
    for (const Case& c : cases) {
        const std::string error = load_error(head + c.line + "\n");
        EXPECT_TRUE(error.starts_with("users.htpasswd:3: user \"bob\": ")) << error;
        EXPECT_NE(error.find(c.expected), std::string::npos) << error;
        if (!c.line.ends_with(":")) {
            EXPECT_NE(error.find("htpasswd -B or l7 http passwd"), std::string::npos) << error;
        }
    }
}

TEST(PasswordFile, MalformedLinesAndNamesAreRefused) {
    EXPECT_EQ(load_error("alice\n"), "users.htpasswd:1: expected USER:HASH");
    EXPECT_EQ(load_error("\n:" + std::string(kSha512)), "users.htpasswd:2: the user name is empty");
    EXPECT_NE(load_error("a\x01"
                         "b:" +
                         std::string(kSha512))
                  .find("control characters"),
              std::string::npos);
    const std::string twice = "u:" + std::string(kSha512) + "\n\nu:" + std::string(kBcrypt) + "\n";
    EXPECT_EQ(load_error(twice), "users.htpasswd:3: user \"u\": listed again (first on line 1)");
    EXPECT_NE(load_error(std::string(300, 'x') + ":" + std::string(kSha512)).find("255 bytes"),
              std::string::npos);
}

TEST(PasswordFile, UserNameRules) {
    EXPECT_FALSE(refuse_user_name("alice"));
    EXPECT_FALSE(refuse_user_name("j\xC3\xB6rg"));
    EXPECT_FALSE(refuse_user_name("first last"));
    EXPECT_FALSE(refuse_user_name("a#b"));
    EXPECT_TRUE(refuse_user_name(""));
    EXPECT_TRUE(refuse_user_name("a:b"));
    EXPECT_TRUE(refuse_user_name(" alice"));
    EXPECT_TRUE(refuse_user_name("alice\t"));
    EXPECT_TRUE(refuse_user_name("#alice"));
    EXPECT_TRUE(refuse_user_name("al\nice"));
    EXPECT_TRUE(refuse_user_name("al\x7F"));
    EXPECT_TRUE(refuse_user_name(std::string(256, 'a')));
    EXPECT_FALSE(refuse_user_name(std::string(255, 'a')));
}

TEST(PasswordFile, HashPasswordMakesSaltedYescrypt) {
    auto a = hash_password("open sesame");
    auto b = hash_password("open sesame");
    ASSERT_TRUE(a && b);
    EXPECT_TRUE(a->starts_with("$y$")) << *a;
    EXPECT_NE(*a, *b);  // fresh salt each time
    EXPECT_FALSE(refuse_password_hash(*a));
    EXPECT_TRUE(password_matches("open sesame", *a));
    EXPECT_FALSE(password_matches("open sesamE", *a));
    auto utf8 = hash_password("p\xC3\xA4ssw\xC3\xB6rd");
    ASSERT_TRUE(utf8);
    EXPECT_TRUE(password_matches("p\xC3\xA4ssw\xC3\xB6rd", *utf8));
    EXPECT_FALSE(hash_password(std::string("a\0b", 3)));
}

TEST(PasswordFile, EditReplacesAppendsAndRemovesKeepingTheRest) {
    const std::string text =
        "# header\nalice:" + std::string(kSha512) + "\n\nbob:" + std::string(kBcrypt) + "\n";
    bool found = false;
    EXPECT_EQ(edit_password_file(text, "alice", std::string_view("$y$new"), &found),
              "# header\nalice:$y$new\n\nbob:" + std::string(kBcrypt) + "\n");
    EXPECT_TRUE(found);
    EXPECT_EQ(edit_password_file(text, "carol", std::string_view("$y$c"), &found),
              text + "carol:$y$c\n");
    EXPECT_FALSE(found);
    EXPECT_EQ(edit_password_file(text, "bob", std::nullopt, &found),
              "# header\nalice:" + std::string(kSha512) + "\n\n");
    EXPECT_TRUE(found);
    EXPECT_EQ(edit_password_file(text, "nobody", std::nullopt, &found), text);
    EXPECT_FALSE(found);
    // A file without a final newline, and an empty one.
    EXPECT_EQ(edit_password_file("# x", "u", std::string_view("$y$u")), "# x\nu:$y$u\n");
    EXPECT_EQ(edit_password_file("", "u", std::string_view("$y$u")), "u:$y$u\n");
    // A commented-out line of the same name is a comment, not the user's line.
    EXPECT_EQ(edit_password_file("#u:old\n", "u", std::string_view("$y$u")), "#u:old\nu:$y$u\n");
}

class PasswordFileOnDisk : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("l7-password-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = dir_ / "users";
    }
    void TearDown() override { fs::remove_all(dir_); }

    void write(const std::string& text) { ASSERT_FALSE(write_file_atomically(path_, text, 0600)); }

    fs::path dir_;
    fs::path path_;
};

TEST_F(PasswordFileOnDisk, LoadsAndReloadsWhenTheFileChanges) {
    write(std::string(kAliceHtpasswd) + "\n");
    auto loaded = PasswordFile::load(path_);
    ASSERT_TRUE(loaded) << loaded.error().message;
    const std::shared_ptr<const PasswordFile> file = *loaded;
    EXPECT_EQ(file->origin(), path_.string());
    EXPECT_TRUE(file->verify("alice", "wonder land"));
    EXPECT_FALSE(file->has_user("u"));

    // Replaced (as htpasswd and l7 http passwd do): a new inode, seen at the next use.
    write(std::string(kAliceHtpasswd) + "\nu:" + std::string(kYescrypt) + "\n");
    EXPECT_TRUE(file->verify("u", "s3cret pass"));
    EXPECT_EQ(file->size(), 2u);

    // A broken version is not taken: the users before it stay.
    write("u:plaintext\n");
    EXPECT_TRUE(file->verify("u", "s3cret pass"));
    EXPECT_TRUE(file->verify("alice", "wonder land"));

    // Rewritten in place (same inode, other size): re-read too.
    {
        std::ofstream out(path_, std::ios::trunc);
        out << "u:" << kSha512 << "\n";
    }
    EXPECT_FALSE(file->has_user("alice"));
    EXPECT_TRUE(file->verify("u", "s3cret pass"));

    // Gone: the last users stay.
    fs::remove(path_);
    EXPECT_TRUE(file->verify("u", "s3cret pass"));
}

TEST_F(PasswordFileOnDisk, LoadErrorsNameTheFile) {
    auto missing = PasswordFile::load(path_);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find(path_.string()), std::string::npos);
    write("# ok\nbob:$apr1$9/2PwbFR$d1YuPQht9GFjh3Qquiy2h/\n");
    auto weak = PasswordFile::load(path_);
    ASSERT_FALSE(weak);
    EXPECT_TRUE(weak.error().message.starts_with(path_.string() + ":2: user \"bob\": Apache's MD5"))
        << weak.error().message;
}

}  // namespace
}  // namespace l7
