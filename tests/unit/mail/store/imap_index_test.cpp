// The IMAP index of Maildir folders in temporary directories: UIDs in delivery order, shared
// by sessions, kept through renames by other programs; flags in names, keywords in the index;
// append, copy, expunge; rebuilding after loss or corruption with a larger UIDVALIDITY; the
// folder tree and subscriptions.

#include "mail/store/imap_index.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "sqlite/database.hpp"

namespace l7::mail {
namespace {

namespace fs = std::filesystem;
using Code = MailboxError::Code;

constexpr std::int64_t kNow = 1'700'000'000;

class ImapIndexTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/l7-imap-index-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        root_ = Maildir(dir_ / "alice");
        ASSERT_FALSE(root_.create());
    }
    void TearDown() override { fs::remove_all(dir_); }

    static std::string read_file(const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }
    static void write_file(const fs::path& p, std::string_view bytes) {
        std::ofstream out(p, std::ios::binary);
        out << bytes;
    }
    static void set_mtime(const fs::path& p, std::int64_t seconds) {
        struct timespec times[2] = {};
        times[0].tv_nsec = UTIME_OMIT;
        times[1].tv_sec = static_cast<time_t>(seconds);
        ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, 0), 0);
    }
    static std::int64_t mtime(const fs::path& p) {
        struct stat st {};
        EXPECT_EQ(::stat(p.c_str(), &st), 0);
        return st.st_mtim.tv_sec;
    }
    // The names in BOX/SUB, sorted.
    static std::vector<std::string> names_in(const Maildir& box, const char* sub) {
        std::vector<std::string> out;
        for (const auto& e : fs::directory_iterator(box.root() / sub)) {
            out.push_back(e.path().filename().string());
        }
        std::sort(out.begin(), out.end());
        return out;
    }
    // A message delivered as the SMTP server does, at `seconds`.
    fs::path deliver(const Maildir& box, std::string_view bytes, std::int64_t seconds) {
        auto path = box.deliver(bytes, namer_.next(seconds * 1'000'000 + ++micros_, bytes.size()));
        EXPECT_TRUE(path) << path.error().message;
        return path ? *path : fs::path();
    }
    ImapIndex open(std::string_view folder = "INBOX", std::int64_t now = kNow,
                   IndexLimits limits = {}) {
        auto index = ImapIndex::open(root_, folder, now, limits);
        EXPECT_TRUE(index) << index.error().message;
        return std::move(index).value();
    }
    static FolderSnapshot sync(ImapIndex& index) {
        auto snap = index.sync();
        EXPECT_TRUE(snap) << snap.error().message;
        return snap ? std::move(*snap) : FolderSnapshot{};
    }
    static std::vector<std::uint32_t> uids_of(const FolderSnapshot& snap) {
        std::vector<std::uint32_t> out;
        for (const auto& m : snap.messages) {
            out.push_back(m.uid);
        }
        return out;
    }
    static const IndexedMessage* find(const FolderSnapshot& snap, std::uint32_t uid) {
        for (const auto& m : snap.messages) {
            if (m.uid == uid) {
                return &m;
            }
        }
        return nullptr;
    }
    static MessageFlags flags(std::vector<std::string> names) {
        auto f = MessageFlags::from_imap(names);
        EXPECT_TRUE(f) << f.error().message;
        return f ? *f : MessageFlags{};
    }

    fs::path dir_;
    Maildir root_{""};
    MaildirNamer namer_{"mx.example", 4242};
    std::int64_t micros_ = 0;
};

// ---- Names and flags ------------------------------------------------------------------------

TEST(MaildirFileNameTest, ParsesOddInfos) {
    auto plain = parse_maildir_file_name("1700000000.M1P2Q3.host,S=10");
    EXPECT_EQ(plain.base, "1700000000.M1P2Q3.host,S=10");
    EXPECT_EQ(plain.system, 0);
    EXPECT_EQ(plain.other_letters, "");

    auto seen = parse_maildir_file_name("x:2,S");
    EXPECT_EQ(seen.base, "x");
    EXPECT_EQ(seen.system, MessageFlags::kSeen);

    auto all = parse_maildir_file_name("x:2,TSRFD");
    EXPECT_EQ(all.system, MessageFlags::kSeen | MessageFlags::kAnswered | MessageFlags::kFlagged |
                              MessageFlags::kDeleted | MessageFlags::kDraft);

    auto duplicate = parse_maildir_file_name("x:2,SSS");
    EXPECT_EQ(duplicate.system, MessageFlags::kSeen);

    auto unknown = parse_maildir_file_name("x:2,cSaPa");
    EXPECT_EQ(unknown.system, MessageFlags::kSeen);
    EXPECT_EQ(unknown.other_letters, "Pac");

    auto experimental = parse_maildir_file_name("x:1,S");
    EXPECT_EQ(experimental.base, "x");
    EXPECT_EQ(experimental.system, 0);

    EXPECT_EQ(parse_maildir_file_name("x:2,").system, 0);
    EXPECT_EQ(parse_maildir_file_name("x:").base, "x");
    EXPECT_EQ(parse_maildir_file_name("").base, "");
}

TEST(MaildirFileNameTest, WritesSortedLettersKeepingUnknownOnes) {
    EXPECT_EQ(maildir_file_name("x", MessageFlags::kSeen | MessageFlags::kAnswered), "x:2,RS");
    EXPECT_EQ(maildir_file_name("x:2,Sa", MessageFlags::kFlagged), "x:2,Fa");
    EXPECT_EQ(maildir_file_name("x:2,SPP", MessageFlags::kSeen | MessageFlags::kDeleted),
              "x:2,PST");
    EXPECT_EQ(maildir_file_name("x:1,whatever", MessageFlags::kSeen), "x:2,S");
    EXPECT_EQ(maildir_file_name("x:2,S", 0), "x:2,");
}

TEST(MessageFlagsTest, FromImapNames) {
    auto f = MessageFlags::from_imap(
        {"\\seen", "\\ANSWERED", "\\Recent", "$Forwarded", "nonjunk", "$forwarded", "Apple"});
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->system, MessageFlags::kSeen | MessageFlags::kAnswered);
    EXPECT_EQ(f->keywords, (std::vector<std::string>{"$Forwarded", "Apple", "nonjunk"}));
    EXPECT_EQ(f->to_imap(),
              (std::vector<std::string>{"\\Answered", "\\Seen", "$Forwarded", "Apple", "nonjunk"}));

    auto bogus = MessageFlags::from_imap({"\\Bogus"});
    ASSERT_FALSE(bogus);
    EXPECT_EQ(bogus.error().code, Code::invalid);
    for (const char* bad : {"a b", "(x", "x]", "%", "q\"", "", "caf\xc3\xa9"}) {
        auto r = MessageFlags::from_imap({bad});
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, Code::invalid) << bad;
    }
    IndexLimits small;
    small.max_keyword_length = 4;
    small.max_keywords_per_message = 2;
    EXPECT_EQ(MessageFlags::from_imap({"abcde"}, small).error().code, Code::limit);
    EXPECT_EQ(MessageFlags::from_imap({"a", "b", "c"}, small).error().code, Code::limit);
    EXPECT_TRUE(MessageFlags::from_imap({"a", "b", "A", "B"}, small));
}

// ---- Sync -----------------------------------------------------------------------------------

TEST_F(ImapIndexTest, FirstSyncGivesUidsInDeliveryOrder) {
    // By hand, as other programs write them: in cur/ with flags, one in new/ without.
    write_file(root_.root() / "cur" / "1600000000.M5P1Q1.old:2,S", "Subject: oldest\n\nhi\n");
    write_file(root_.root() / "cur" / "1600000001.M100P1Q2.old:2,FS", "two\r\n");
    write_file(root_.root() / "cur" / "1600000001.M99P1Q3.old:2,", "three\n");  // earlier
    write_file(root_.root() / "new" / "1600000002.hand", "four");
    write_file(root_.root() / "cur" / ".hidden", "skipped");
    set_mtime(root_.root() / "cur" / "1600000000.M5P1Q1.old:2,S", 1'600'000'000);
    const fs::path delivered = deliver(root_, "From: bob\n\nlater\n", 1'700'000'000);

    ImapIndex index = open();
    const FolderSnapshot snap = sync(index);
    EXPECT_EQ(snap.uidvalidity, kNow);
    ASSERT_EQ(uids_of(snap), (std::vector<std::uint32_t>{1, 2, 3, 4, 5}));
    EXPECT_EQ(snap.uidnext, 6U);
    EXPECT_EQ(snap.messages[0].path.filename(), "1600000000.M5P1Q1.old:2,S");
    EXPECT_EQ(snap.messages[1].path.filename(), "1600000001.M99P1Q3.old:2,");
    EXPECT_EQ(snap.messages[2].path.filename(), "1600000001.M100P1Q2.old:2,FS");
    EXPECT_EQ(snap.messages[3].path.filename(), "1600000002.hand");
    EXPECT_EQ(snap.messages[4].path, delivered);
    EXPECT_EQ(snap.messages[0].flags.system, MessageFlags::kSeen);
    EXPECT_EQ(snap.messages[2].flags.system, MessageFlags::kSeen | MessageFlags::kFlagged);
    EXPECT_EQ(snap.messages[3].flags.system, 0);
    EXPECT_EQ(snap.messages[0].internal_date, 1'600'000'000);
    EXPECT_EQ(snap.messages[0].size, 20U);
    EXPECT_EQ(snap.messages[0].rfc822_size, 23U);  // three bare LFs
    EXPECT_EQ(snap.messages[2].rfc822_size, 5U);   // CRLF already
    EXPECT_EQ(snap.first_seen, (std::vector<std::uint32_t>{4, 5}));
    EXPECT_TRUE(snap.expunged.empty());
    EXPECT_FALSE(snap.over_limit);
    for (const auto& m : snap.messages) {
        EXPECT_EQ(m.modseq, 2U);
    }
    EXPECT_EQ(snap.highestmodseq, 2U);

    // Nothing changed: the same snapshot, nothing new.
    const FolderSnapshot again = sync(index);
    EXPECT_EQ(uids_of(again), uids_of(snap));
    EXPECT_EQ(again.highestmodseq, snap.highestmodseq);
    EXPECT_TRUE(again.first_seen.empty());
}

TEST_F(ImapIndexTest, AnotherSessionSeesTheSameUidsAndNewDeliveriesComeAfter) {
    deliver(root_, "one\n", 1'700'000'001);
    deliver(root_, "two\n", 1'700'000'002);
    ImapIndex first = open();
    const FolderSnapshot a = sync(first);

    ImapIndex second = open("inbox", kNow + 50);
    EXPECT_EQ(second.uidvalidity(), first.uidvalidity());
    const FolderSnapshot b = sync(second);
    EXPECT_EQ(uids_of(b), uids_of(a));
    EXPECT_EQ(b.highestmodseq, a.highestmodseq);
    EXPECT_TRUE(b.first_seen.empty());  // the first session claimed them

    deliver(root_, "three\n", 1'600'000'000);  // an old date: still a higher UID
    const FolderSnapshot c = sync(second);
    EXPECT_EQ(uids_of(c), (std::vector<std::uint32_t>{1, 2, 3}));
    EXPECT_EQ(c.first_seen, (std::vector<std::uint32_t>{3}));
    EXPECT_GT(c.highestmodseq, b.highestmodseq);
    EXPECT_EQ(uids_of(sync(first)), (std::vector<std::uint32_t>{1, 2, 3}));
}

TEST_F(ImapIndexTest, ExternalDeletionIsReportedAsExpunged) {
    deliver(root_, "one\n", 1'700'000'001);
    const fs::path doomed = deliver(root_, "two\n", 1'700'000'002);
    deliver(root_, "three\n", 1'700'000'003);
    ImapIndex index = open();
    const FolderSnapshot before = sync(index);
    fs::remove(doomed);
    const FolderSnapshot after = sync(index);
    EXPECT_EQ(after.expunged, (std::vector<std::uint32_t>{2}));
    EXPECT_EQ(uids_of(after), (std::vector<std::uint32_t>{1, 3}));
    EXPECT_GT(after.highestmodseq, before.highestmodseq);
    EXPECT_EQ(after.uidnext, 4U);
    // The UID is never given again.
    deliver(root_, "four\n", 1'700'000'004);
    EXPECT_EQ(uids_of(sync(index)), (std::vector<std::uint32_t>{1, 3, 4}));
}

TEST_F(ImapIndexTest, ExternalRenamesChangeFlagsAndModseq) {
    write_file(root_.root() / "cur" / "1600000000.a:2,S", "x\n");
    const fs::path fresh = deliver(root_, "y\n", 1'700'000'000);
    ImapIndex index = open();
    const FolderSnapshot before = sync(index);

    // mutt answers the first and takes the second out of new/ without flags.
    fs::rename(root_.root() / "cur" / "1600000000.a:2,S",
               root_.root() / "cur" / "1600000000.a:2,RS");
    fs::rename(fresh, root_.root() / "cur" / (fresh.filename().string() + ":2,"));
    const FolderSnapshot after = sync(index);
    ASSERT_EQ(uids_of(after), (std::vector<std::uint32_t>{1, 2}));
    EXPECT_EQ(after.messages[0].flags.system, MessageFlags::kSeen | MessageFlags::kAnswered);
    EXPECT_GT(after.messages[0].modseq, before.messages[0].modseq);
    EXPECT_EQ(after.highestmodseq, after.messages[0].modseq);
    EXPECT_FALSE(after.messages[1].in_new);
    EXPECT_EQ(after.messages[1].modseq, before.messages[1].modseq);  // no flag changed
    EXPECT_TRUE(after.expunged.empty());
}

TEST_F(ImapIndexTest, FilesBeyondTheLimitWaitUnindexed) {
    for (int i = 0; i < 3; ++i) {
        deliver(root_, "m\n", 1'700'000'000 + i);
    }
    IndexLimits limits;
    limits.max_messages = 2;
    ImapIndex index = open("INBOX", kNow, limits);
    const FolderSnapshot snap = sync(index);
    EXPECT_EQ(uids_of(snap), (std::vector<std::uint32_t>{1, 2}));
    EXPECT_TRUE(snap.over_limit);
    auto appended = index.append("x\n", {}, kNow, namer_, kNow * 1'000'000);
    ASSERT_FALSE(appended);
    EXPECT_EQ(appended.error().code, Code::limit);
}

// ---- Store ----------------------------------------------------------------------------------

TEST_F(ImapIndexTest, StoreRenamesFilesAndBumpsModseq) {
    const fs::path in_new = deliver(root_, "hello\n", 1'700'000'000);
    const std::string base = in_new.filename().string();
    ImapIndex index = open();
    const FolderSnapshot before = sync(index);

    auto seen = index.store({1}, FlagChange::add, flags({"\\Seen"}));
    ASSERT_TRUE(seen) << seen.error().message;
    ASSERT_EQ(seen->messages.size(), 1U);
    EXPECT_TRUE(seen->messages[0].changed);
    EXPECT_EQ(seen->messages[0].flags.system, MessageFlags::kSeen);
    EXPECT_GT(seen->messages[0].modseq, before.highestmodseq);
    EXPECT_EQ(seen->highestmodseq, seen->messages[0].modseq);
    EXPECT_TRUE(names_in(root_, "new").empty());
    EXPECT_EQ(names_in(root_, "cur"), (std::vector<std::string>{base + ":2,S"}));

    auto more = index.store({1}, FlagChange::add, flags({"\\Flagged", "\\Deleted"}));
    ASSERT_TRUE(more);
    EXPECT_EQ(names_in(root_, "cur"), (std::vector<std::string>{base + ":2,FST"}));
    auto less = index.store({1}, FlagChange::remove, flags({"\\Deleted", "\\Seen"}));
    ASSERT_TRUE(less);
    EXPECT_EQ(names_in(root_, "cur"), (std::vector<std::string>{base + ":2,F"}));
    auto replaced = index.store({1, 99}, FlagChange::replace, flags({"\\Answered"}));
    ASSERT_TRUE(replaced);
    ASSERT_EQ(replaced->messages.size(), 1U);  // 99 does not exist
    EXPECT_EQ(names_in(root_, "cur"), (std::vector<std::string>{base + ":2,R"}));

    // The same flags again: nothing changes, not even the modseq.
    auto same = index.store({1}, FlagChange::add, flags({"\\Answered"}));
    ASSERT_TRUE(same);
    EXPECT_FALSE(same->messages[0].changed);
    EXPECT_EQ(same->messages[0].modseq, replaced->messages[0].modseq);
    EXPECT_EQ(same->highestmodseq, replaced->highestmodseq);

    // UNCHANGEDSINCE (RFC 7162): the message changed after the given modseq.
    auto conditional =
        index.store({1}, FlagChange::add, flags({"\\Seen"}), replaced->messages[0].modseq - 1);
    ASSERT_TRUE(conditional);
    EXPECT_EQ(conditional->modified, (std::vector<std::uint32_t>{1}));
    EXPECT_TRUE(conditional->messages.empty());
    EXPECT_EQ(names_in(root_, "cur"), (std::vector<std::string>{base + ":2,R"}));

    const FolderSnapshot after = sync(index);
    EXPECT_EQ(after.messages[0].flags.system, MessageFlags::kAnswered);
    EXPECT_EQ(after.messages[0].modseq, replaced->messages[0].modseq);
}

TEST_F(ImapIndexTest, StoreFollowsAFileRenamedByAnotherProgram) {
    write_file(root_.root() / "cur" / "1600000000.a:2,S", "x\n");
    ImapIndex index = open();
    sync(index);
    fs::rename(root_.root() / "cur" / "1600000000.a:2,S",
               root_.root() / "cur" / "1600000000.a:2,FS");
    auto stored = index.store({1}, FlagChange::add, flags({"\\Answered"}));
    ASSERT_TRUE(stored) << stored.error().message;
    EXPECT_EQ(stored->messages[0].flags.system,
              MessageFlags::kSeen | MessageFlags::kFlagged | MessageFlags::kAnswered);
    EXPECT_EQ(names_in(root_, "cur"), (std::vector<std::string>{"1600000000.a:2,FRS"}));

    // Gone altogether: skipped, and the next sync expunges it.
    fs::remove(root_.root() / "cur" / "1600000000.a:2,FRS");
    auto skipped = index.store({1}, FlagChange::add, flags({"\\Seen"}));
    ASSERT_TRUE(skipped);
    EXPECT_TRUE(skipped->messages.empty());
    EXPECT_EQ(sync(index).expunged, (std::vector<std::uint32_t>{1}));
}

TEST_F(ImapIndexTest, KeywordsLiveOnlyInTheIndexAndPersist) {
    write_file(root_.root() / "cur" / "1600000000.a:2,Sa", "x\n");
    {
        ImapIndex index = open();
        sync(index);
        auto stored = index.store({1}, FlagChange::add, flags({"$Forwarded", "NonJunk"}));
        ASSERT_TRUE(stored) << stored.error().message;
        EXPECT_TRUE(stored->messages[0].changed);
        EXPECT_EQ(names_in(root_, "cur"), (std::vector<std::string>{"1600000000.a:2,Sa"}));
        // Another spelling is the same keyword; the folder's first spelling stays.
        auto again = index.store({1}, FlagChange::add, flags({"$FORWARDED"}));
        ASSERT_TRUE(again);
        EXPECT_FALSE(again->messages[0].changed);
        auto words = index.keywords();
        ASSERT_TRUE(words);
        EXPECT_EQ(*words, (std::vector<std::string>{"$Forwarded", "NonJunk"}));
    }
    ImapIndex reopened = open("INBOX", kNow + 100);
    const FolderSnapshot snap = sync(reopened);
    EXPECT_EQ(snap.messages[0].flags.keywords, (std::vector<std::string>{"$Forwarded", "NonJunk"}));
    EXPECT_EQ(snap.messages[0].flags.system, MessageFlags::kSeen);
    auto removed = reopened.store({1}, FlagChange::remove, flags({"nonjunk", "\\Seen"}));
    ASSERT_TRUE(removed);
    EXPECT_EQ(removed->messages[0].flags.keywords, (std::vector<std::string>{"$Forwarded"}));
    EXPECT_EQ(names_in(root_, "cur"), (std::vector<std::string>{"1600000000.a:2,a"}));
}

TEST_F(ImapIndexTest, KeywordLimitsFailTheWholeStore) {
    write_file(root_.root() / "cur" / "1600000000.a:2,", "x\n");
    IndexLimits limits;
    limits.max_keywords_per_folder = 2;
    limits.max_keywords_per_message = 2;
    ImapIndex index = open("INBOX", kNow, limits);
    sync(index);
    ASSERT_TRUE(index.store({1}, FlagChange::add, flags({"a", "b"})));
    auto third = index.store({1}, FlagChange::add, flags({"\\Seen", "c"}));
    ASSERT_FALSE(third);
    EXPECT_EQ(third.error().code, Code::limit);
    // Nothing of it happened: no rename either.
    EXPECT_EQ(names_in(root_, "cur"), (std::vector<std::string>{"1600000000.a:2,"}));
}

// ---- Append, read, copy, expunge -------------------------------------------------------------

TEST_F(ImapIndexTest, AppendGivesTheNextUidAndKeepsTheInternalDate) {
    ImapIndex index = open();
    sync(index);
    auto plain = index.append("Subject: a\n\nbody\n", {}, 1'500'000'000, namer_, kNow * 1'000'000);
    ASSERT_TRUE(plain) << plain.error().message;
    EXPECT_EQ(plain->uid, 1U);
    EXPECT_EQ(plain->uidvalidity, index.uidvalidity());
    auto flagged = index.append("two\r\n", flags({"\\Seen", "\\Draft", "$Label1"}), 1'500'000'001,
                                namer_, kNow * 1'000'000 + 1);
    ASSERT_TRUE(flagged) << flagged.error().message;
    EXPECT_EQ(flagged->uid, 2U);

    ASSERT_EQ(names_in(root_, "new").size(), 1U);
    const std::vector<std::string> cur = names_in(root_, "cur");
    ASSERT_EQ(cur.size(), 1U);
    EXPECT_TRUE(cur[0].ends_with(":2,DS")) << cur[0];
    EXPECT_EQ(mtime(root_.root() / "cur" / cur[0]), 1'500'000'001);

    const FolderSnapshot snap = sync(index);
    ASSERT_EQ(uids_of(snap), (std::vector<std::uint32_t>{1, 2}));
    EXPECT_TRUE(snap.first_seen.empty());  // the appending session knows them
    EXPECT_EQ(snap.messages[0].internal_date, 1'500'000'000);
    EXPECT_EQ(snap.messages[0].rfc822_size, 17U + 3U);
    EXPECT_TRUE(snap.messages[0].in_new);
    EXPECT_EQ(snap.messages[1].flags.keywords, (std::vector<std::string>{"$Label1"}));
    EXPECT_EQ(snap.uidnext, 3U);
    auto bytes = index.read(2);
    ASSERT_TRUE(bytes);
    EXPECT_EQ(*bytes, "two\r\n");

    IndexLimits small;
    small.max_message_size = 4;
    ImapIndex bounded = open("INBOX", kNow, small);
    auto big = bounded.append("12345", {}, kNow, namer_, kNow * 1'000'000 + 2);
    ASSERT_FALSE(big);
    EXPECT_EQ(big.error().code, Code::limit);
    auto too_big_to_read = bounded.read(2);
    ASSERT_FALSE(too_big_to_read);
    EXPECT_EQ(too_big_to_read.error().code, Code::limit);
}

TEST_F(ImapIndexTest, ReadFollowsRenamesAndReportsExpungedMessages) {
    write_file(root_.root() / "new" / "1600000000.a", "the bytes\n");
    ImapIndex index = open();
    sync(index);
    fs::rename(root_.root() / "new" / "1600000000.a", root_.root() / "cur" / "1600000000.a:2,S");
    auto bytes = index.read(1);
    ASSERT_TRUE(bytes) << bytes.error().message;
    EXPECT_EQ(*bytes, "the bytes\n");
    fs::remove(root_.root() / "cur" / "1600000000.a:2,S");
    EXPECT_EQ(index.read(1).error().code, Code::nonexistent);
    EXPECT_EQ(index.read(77).error().code, Code::nonexistent);
}

TEST_F(ImapIndexTest, CopyLinksWithFlagsKeywordsAndDates) {
    FolderTree tree(root_);
    ASSERT_TRUE(tree.create("Sent"));
    write_file(root_.root() / "cur" / "1600000000.a:2,FS", "first\n");
    set_mtime(root_.root() / "cur" / "1600000000.a:2,FS", 1'400'000'000);
    write_file(root_.root() / "new" / "1600000001.b", "second\n");
    ImapIndex inbox = open();
    sync(inbox);
    ASSERT_TRUE(inbox.store({1}, FlagChange::add, flags({"$Work"})));
    ImapIndex sent = open("Sent", kNow + 1);
    ASSERT_TRUE(sent.append("already\n", {}, kNow, namer_, kNow * 1'000'000));

    auto copied = inbox.copy({2, 1, 42}, sent, namer_, kNow * 1'000'000 + 5);
    ASSERT_TRUE(copied) << copied.error().message;
    EXPECT_EQ(copied->uidvalidity, sent.uidvalidity());
    EXPECT_EQ(copied->uids, (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{1, 2}, {2, 3}}));

    const FolderSnapshot snap = sync(sent);
    ASSERT_EQ(uids_of(snap), (std::vector<std::uint32_t>{1, 2, 3}));
    const IndexedMessage& first = snap.messages[1];
    EXPECT_EQ(first.flags.system, MessageFlags::kSeen | MessageFlags::kFlagged);
    EXPECT_EQ(first.flags.keywords, (std::vector<std::string>{"$Work"}));
    EXPECT_EQ(first.internal_date, 1'400'000'000);
    EXPECT_FALSE(first.in_new);
    EXPECT_TRUE(snap.messages[2].in_new);  // no flags: still new
    struct stat a {};
    struct stat b {};
    ASSERT_EQ(::stat((root_.root() / "cur" / "1600000000.a:2,FS").c_str(), &a), 0);
    ASSERT_EQ(::stat(first.path.c_str(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);  // a hard link
    EXPECT_EQ(read_file(first.path), "first\n");
    auto words = sent.keywords();
    ASSERT_TRUE(words);
    EXPECT_EQ(*words, (std::vector<std::string>{"$Work"}));

    // Into the same folder: new names, new UIDs; the originals stay.
    auto again = inbox.copy({1}, inbox, namer_, kNow * 1'000'000 + 6);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(again->uids, (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{1, 3}}));
    EXPECT_EQ(uids_of(sync(inbox)), (std::vector<std::uint32_t>{1, 2, 3}));
}

TEST_F(ImapIndexTest, CopyAcrossFileSystemsCopiesTheBytes) {
    struct stat here {};
    struct stat shm {};
    if (::stat(dir_.c_str(), &here) != 0 || ::stat("/dev/shm", &shm) != 0 ||
        here.st_dev == shm.st_dev) {
        GTEST_SKIP() << "no second file system at /dev/shm";
    }
    char tmpl[] = "/dev/shm/l7-imap-index-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const fs::path other_dir = tmpl;
    {
        const Maildir bob(other_dir / "bob");
        write_file(root_.root() / "cur" / "1600000000.a:2,S", "across\n");
        set_mtime(root_.root() / "cur" / "1600000000.a:2,S", 1'300'000'000);
        ImapIndex inbox = open();
        sync(inbox);
        auto theirs = ImapIndex::open(bob, "INBOX", kNow);
        ASSERT_TRUE(theirs) << theirs.error().message;
        auto copied = inbox.copy({1}, *theirs, namer_, kNow * 1'000'000);
        ASSERT_TRUE(copied) << copied.error().message;
        EXPECT_EQ(copied->uids, (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{1, 1}}));
        const FolderSnapshot snap = sync(*theirs);
        ASSERT_EQ(snap.messages.size(), 1U);
        EXPECT_EQ(read_file(snap.messages[0].path), "across\n");
        EXPECT_EQ(mtime(snap.messages[0].path), 1'300'000'000);
        EXPECT_EQ(snap.messages[0].flags.system, MessageFlags::kSeen);
        EXPECT_TRUE(names_in(bob, "tmp").empty());
    }
    fs::remove_all(other_dir);
}

TEST_F(ImapIndexTest, KeywordsAloneLeaveANewMessageInNew) {
    const fs::path in_new = deliver(root_, "m\n", 1'700'000'000);
    ImapIndex index = open();
    sync(index);
    auto stored = index.store({1}, FlagChange::add, flags({"$Junk"}));
    ASSERT_TRUE(stored);
    EXPECT_TRUE(stored->messages[0].changed);
    EXPECT_TRUE(fs::exists(in_new));
    EXPECT_TRUE(sync(index).messages[0].in_new);
}

TEST_F(ImapIndexTest, TwoFilesWithOneKeyAreOneMessage) {
    // A crashed reader's leftovers: the same message in new/ and in cur/.
    write_file(root_.root() / "new" / "1600000000.a", "m\n");
    write_file(root_.root() / "cur" / "1600000000.a:2,S", "m\n");
    ImapIndex index = open();
    const FolderSnapshot snap = sync(index);
    ASSERT_EQ(snap.messages.size(), 1U);
    EXPECT_FALSE(snap.messages[0].in_new);
    EXPECT_EQ(snap.messages[0].flags.system, MessageFlags::kSeen);
}

TEST_F(ImapIndexTest, ExpungeRemovesDeletedOrAnySet) {
    for (int i = 0; i < 4; ++i) {
        deliver(root_, "m" + std::to_string(i) + "\n", 1'700'000'000 + i);
    }
    ImapIndex index = open();
    ImapIndex other = open();
    sync(index);
    sync(other);
    ASSERT_TRUE(index.store({2, 3}, FlagChange::add, flags({"\\Deleted"})));
    auto expunged = index.expunge({1, 2, 3, 4}, true);
    ASSERT_TRUE(expunged) << expunged.error().message;
    EXPECT_EQ(*expunged, (std::vector<std::uint32_t>{2, 3}));
    EXPECT_EQ(names_in(root_, "new").size() + names_in(root_, "cur").size(), 2U);
    // MOVE's second half: any set.
    auto moved = index.expunge({4}, false);
    ASSERT_TRUE(moved);
    EXPECT_EQ(*moved, (std::vector<std::uint32_t>{4}));
    // The other session's snapshot has lost them too (its sync dropped nothing: ours did).
    const FolderSnapshot seen_by_other = sync(other);
    EXPECT_EQ(uids_of(seen_by_other), (std::vector<std::uint32_t>{1}));
    EXPECT_TRUE(seen_by_other.expunged.empty());
    EXPECT_EQ(seen_by_other.uidnext, 5U);
}

// ---- Rebuilding -------------------------------------------------------------------------------

TEST_F(ImapIndexTest, DeletedIndexIsRebuiltWithALargerUidvalidity) {
    write_file(root_.root() / "cur" / "1600000000.a:2,S", "x\n");
    std::uint32_t old_validity = 0;
    {
        ImapIndex index = open("INBOX", kNow);
        old_validity = index.uidvalidity();
        sync(index);
        ASSERT_TRUE(index.store({1}, FlagChange::add, flags({"$Kept", "\\Flagged"})));
        // Deleted while a session has it open: that session is told, and no new index is
        // made beside the old connection.
        fs::remove(root_.root() / "l7-imap.sqlite");
        EXPECT_EQ(index.sync().error().code, Code::stale);
        auto meanwhile = ImapIndex::open(root_, "INBOX", kNow);
        ASSERT_FALSE(meanwhile);
        EXPECT_EQ(meanwhile.error().code, Code::in_use);
    }
    ImapIndex rebuilt = open("INBOX", kNow);  // the same clock: still a larger value
    EXPECT_GT(rebuilt.uidvalidity(), old_validity);
    const FolderSnapshot snap = sync(rebuilt);
    ASSERT_EQ(snap.messages.size(), 1U);
    EXPECT_EQ(snap.messages[0].flags.system, MessageFlags::kSeen | MessageFlags::kFlagged);
    EXPECT_TRUE(snap.messages[0].flags.keywords.empty());  // keywords were only there
}

TEST_F(ImapIndexTest, GarbageIndexIsMovedAsideAndRebuilt) {
    deliver(root_, "m\n", 1'700'000'000);
    std::uint32_t old_validity = 0;
    {
        ImapIndex index = open();
        old_validity = index.uidvalidity();
        sync(index);
    }
    std::string garbage(8192, '\0');
    for (std::size_t i = 0; i < garbage.size(); ++i) {
        garbage[i] = static_cast<char>((i * 131 + 7) % 251);
    }
    write_file(root_.root() / "l7-imap.sqlite", garbage);
    ImapIndex rebuilt = open("INBOX", kNow - 1000);
    EXPECT_GT(rebuilt.uidvalidity(), old_validity);
    EXPECT_TRUE(fs::exists(root_.root() / "l7-imap.sqlite.corrupt"));
    EXPECT_EQ(uids_of(sync(rebuilt)), (std::vector<std::uint32_t>{1}));
}

TEST_F(ImapIndexTest, DamagedPagesAreFoundAndRebuilt) {
    for (int i = 0; i < 300; ++i) {
        write_file(root_.root() / "cur" /
                       (std::to_string(1'600'000'000 + i) + ".name-long-enough-" +
                        std::string(60, 'x') + ":2,S"),
                   "m\n");
    }
    std::uint32_t old_validity = 0;
    {
        ImapIndex index = open();
        old_validity = index.uidvalidity();
        ASSERT_EQ(sync(index).messages.size(), 300U);
    }
    // Checkpointed on close: the rows are in the main file. Scribble over its later pages.
    const fs::path db = root_.root() / "l7-imap.sqlite";
    const auto size = fs::file_size(db);
    ASSERT_GT(size, 3 * 4096U);
    {
        std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(2 * 4096);
        const std::string junk(size - 2 * 4096, '\x5a');
        f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    ImapIndex rebuilt = open();
    EXPECT_GT(rebuilt.uidvalidity(), old_validity);
    EXPECT_EQ(sync(rebuilt).messages.size(), 300U);
}

TEST_F(ImapIndexTest, LostMetaRowRebuildsInPlace) {
    deliver(root_, "m\n", 1'700'000'000);
    ImapIndex index = open();
    const std::uint32_t old_validity = index.uidvalidity();
    sync(index);
    {
        sqlite::Database db((root_.root() / "l7-imap.sqlite").string());
        db.exec("DELETE FROM meta");
    }
    EXPECT_EQ(index.sync().error().code, Code::stale);
    ImapIndex rebuilt = open();
    EXPECT_GT(rebuilt.uidvalidity(), old_validity);
    EXPECT_EQ(uids_of(sync(rebuilt)), (std::vector<std::uint32_t>{1}));
    // The old session is told: UIDVALIDITY changed under it.
    EXPECT_EQ(index.sync().error().code, Code::stale);
}

TEST_F(ImapIndexTest, NearlySpentUidsAreRenumberedUnderANewUidvalidity) {
    deliver(root_, "m\n", 1'700'000'000);
    IndexLimits limits;
    limits.max_messages = 100;
    std::uint32_t old_validity = 0;
    {
        ImapIndex index = open("INBOX", kNow, limits);
        old_validity = index.uidvalidity();
        sync(index);
    }
    {
        sqlite::Database db((root_.root() / "l7-imap.sqlite").string());
        db.exec("UPDATE meta SET uidnext = 4294967290");
    }
    ImapIndex renumbered = open("INBOX", kNow, limits);
    EXPECT_GT(renumbered.uidvalidity(), old_validity);
    EXPECT_EQ(uids_of(sync(renumbered)), (std::vector<std::uint32_t>{1}));
}

// ---- Concurrency ------------------------------------------------------------------------------

TEST_F(ImapIndexTest, TwoConnectionsWritingInterleaved) {
    ImapIndex a = open();
    ImapIndex b = open();
    std::vector<std::uint32_t> uids;
    for (int i = 0; i < 10; ++i) {
        ImapIndex& writer = i % 2 == 0 ? a : b;
        auto appended =
            writer.append("m" + std::to_string(i) + "\n", {}, kNow, namer_, kNow * 1'000'000 + i);
        ASSERT_TRUE(appended) << appended.error().message;
        uids.push_back(appended->uid);
        ImapIndex& flagger = i % 2 == 0 ? b : a;
        ASSERT_TRUE(flagger.store({appended->uid}, FlagChange::add, flags({"\\Seen"})));
    }
    EXPECT_EQ(uids, (std::vector<std::uint32_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
    ASSERT_TRUE(a.expunge({2, 4}, false));
    const FolderSnapshot sa = sync(a);
    const FolderSnapshot sb = sync(b);
    EXPECT_EQ(uids_of(sa), uids_of(sb));
    EXPECT_EQ(sa.messages.size(), 8U);
    EXPECT_EQ(sa.highestmodseq, sb.highestmodseq);
    for (const auto& m : sb.messages) {
        EXPECT_TRUE(m.flags.has(MessageFlags::kSeen));
        EXPECT_FALSE(m.in_new);
    }
}

TEST_F(ImapIndexTest, SessionsInThreadsNeverShareAUid) {
    constexpr int kPerThread = 15;
    auto work = [this](int id, std::vector<std::uint32_t>* got) {
        auto index = ImapIndex::open(root_, "INBOX", kNow);
        ASSERT_TRUE(index) << index.error().message;
        MaildirNamer namer("host", 1000 + id);
        for (int i = 0; i < kPerThread; ++i) {
            if (i % 3 == 0) {
                // Files arriving by SMTP are found by whoever syncs first.
                ASSERT_TRUE(root_.deliver("smtp\n", namer.next(kNow * 1'000'000 + i, 5)));
                ASSERT_TRUE(index->sync());
            }
            auto appended = index->append("x\n", {}, kNow, namer, kNow * 1'000'000 + i);
            ASSERT_TRUE(appended) << appended.error().message;
            got->push_back(appended->uid);
        }
    };
    std::vector<std::uint32_t> one;
    std::vector<std::uint32_t> two;
    std::thread t1(work, 1, &one);
    std::thread t2(work, 2, &two);
    t1.join();
    t2.join();
    std::set<std::uint32_t> all(one.begin(), one.end());
    all.insert(two.begin(), two.end());
    EXPECT_EQ(all.size(), 2U * kPerThread);
    ImapIndex index = open();
    const FolderSnapshot snap = sync(index);
    EXPECT_EQ(snap.messages.size(), 2U * kPerThread + 2U * 5U);
    const std::vector<std::uint32_t> uids = uids_of(snap);
    const std::set<std::uint32_t> listed(uids.begin(), uids.end());
    EXPECT_EQ(listed.size(), snap.messages.size());
}

// ---- Folders ----------------------------------------------------------------------------------

TEST_F(ImapIndexTest, FoldersCreateListAndDelete) {
    FolderTree tree(root_);
    ASSERT_TRUE(tree.create("Lists.l7.dev"));
    ASSERT_TRUE(tree.create("Sent"));
    EXPECT_TRUE(fs::is_directory(root_.root() / ".Lists.l7.dev" / "cur"));
    EXPECT_TRUE(fs::exists(root_.root() / ".Sent" / "maildirfolder"));
    EXPECT_TRUE(tree.exists("Lists"));  // superior names are made (RFC 3501 6.3.3)
    EXPECT_EQ(tree.create("Sent").error().code, Code::already_exists);
    EXPECT_EQ(tree.create("inbox").error().code, Code::already_exists);
    for (const char* bad :
         {"", ".hidden", "a..b", "a/b", "trailing.", "tab\there", "caf\xc3\xa9"}) {
        auto made = tree.create(bad);
        ASSERT_FALSE(made) << bad;
        EXPECT_EQ(made.error().code, Code::invalid) << bad;
    }

    ASSERT_TRUE(tree.remove("Lists.l7"));  // a parent: its child stays
    EXPECT_FALSE(tree.exists("Lists.l7"));
    EXPECT_TRUE(tree.exists("Lists.l7.dev"));
    auto listed = tree.list();
    ASSERT_TRUE(listed);
    std::vector<std::string> names;
    for (const auto& e : *listed) {
        names.push_back(e.name + (e.selectable ? "" : " noselect") +
                        (e.has_children ? " children" : ""));
    }
    EXPECT_EQ(names,
              (std::vector<std::string>{"INBOX", "Lists children", "Lists.l7 noselect children",
                                        "Lists.l7.dev", "Sent"}));

    EXPECT_EQ(tree.remove("INBOX").error().code, Code::invalid);
    EXPECT_EQ(tree.remove("Nope").error().code, Code::nonexistent);
    {
        ImapIndex sent = open("Sent");
        EXPECT_EQ(tree.remove("Sent").error().code, Code::in_use);
    }
    ASSERT_TRUE(tree.remove("Sent"));
    EXPECT_FALSE(fs::exists(root_.root() / ".Sent"));
    EXPECT_EQ(ImapIndex::open(root_, "Sent", kNow).error().code, Code::nonexistent);
}

TEST_F(ImapIndexTest, RecreatedFolderGetsANewUidvalidity) {
    FolderTree tree(root_);
    ASSERT_TRUE(tree.create("Drafts"));
    std::uint32_t first = 0;
    {
        ImapIndex drafts = open("Drafts", kNow);
        first = drafts.uidvalidity();
    }
    ASSERT_TRUE(tree.remove("Drafts"));
    ASSERT_TRUE(tree.create("Drafts"));
    ImapIndex again = open("Drafts", kNow);  // the same second
    EXPECT_GT(again.uidvalidity(), first);
}

TEST_F(ImapIndexTest, RenameMovesChildrenAndKeepsUids) {
    FolderTree tree(root_);
    ASSERT_TRUE(tree.create("Work"));
    ASSERT_TRUE(tree.create("Work.2024"));
    ASSERT_TRUE(tree.create("Other"));
    std::uint32_t validity = 0;
    {
        ImapIndex work = open("Work");
        validity = work.uidvalidity();
        ASSERT_TRUE(work.append("kept\n", {}, kNow, namer_, kNow * 1'000'000));
        EXPECT_EQ(tree.rename("Work", "Archive.Old", namer_, kNow * 1'000'000).error().code,
                  Code::in_use);
    }
    EXPECT_EQ(tree.rename("Work", "Other", namer_, kNow * 1'000'000).error().code,
              Code::already_exists);
    EXPECT_EQ(tree.rename("Work", "Work.Sub", namer_, kNow * 1'000'000).error().code,
              Code::invalid);
    EXPECT_EQ(tree.rename("Nope", "Yes", namer_, kNow * 1'000'000).error().code, Code::nonexistent);
    ASSERT_TRUE(tree.rename("Work", "Archive.Old", namer_, kNow * 1'000'000));
    EXPECT_FALSE(tree.exists("Work"));
    EXPECT_FALSE(tree.exists("Work.2024"));
    EXPECT_TRUE(tree.exists("Archive"));
    EXPECT_TRUE(tree.exists("Archive.Old.2024"));
    ImapIndex moved = open("Archive.Old");
    EXPECT_EQ(moved.uidvalidity(), validity);
    const FolderSnapshot snap = sync(moved);
    EXPECT_EQ(uids_of(snap), (std::vector<std::uint32_t>{1}));
}

TEST_F(ImapIndexTest, RenamingInboxMovesItsMessagesAndLeavesItEmpty) {
    FolderTree tree(root_);
    ASSERT_TRUE(tree.create("INBOX.child"));
    write_file(root_.root() / "cur" / "1600000000.a:2,S", "one\n");
    write_file(root_.root() / "new" / "1600000001.b", "two\n");
    {
        ImapIndex inbox = open();
        sync(inbox);
        ASSERT_TRUE(inbox.store({1}, FlagChange::add, flags({"$Keep"})));
    }
    ASSERT_TRUE(tree.rename("INBOX", "Old Mail", namer_, kNow * 1'000'000));
    ImapIndex inbox = open();
    EXPECT_TRUE(sync(inbox).messages.empty());
    EXPECT_TRUE(tree.exists("INBOX.child"));  // children of INBOX stay
    ImapIndex old = open("Old Mail");
    const FolderSnapshot snap = sync(old);
    ASSERT_EQ(snap.messages.size(), 2U);
    EXPECT_EQ(snap.messages[0].flags.system, MessageFlags::kSeen);
    EXPECT_EQ(snap.messages[0].flags.keywords, (std::vector<std::string>{"$Keep"}));
    EXPECT_EQ(read_file(snap.messages[1].path), "two\n");
    auto listed = tree.list();
    ASSERT_TRUE(listed);
    EXPECT_TRUE((*listed)[0].has_children);  // INBOX.child
}

TEST_F(ImapIndexTest, SubscriptionsAreOneNameALine) {
    FolderTree tree(root_);
    auto none = tree.subscriptions();
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
    ASSERT_TRUE(tree.set_subscribed("Sent", true));
    ASSERT_TRUE(tree.set_subscribed("inbox", true));
    ASSERT_TRUE(tree.set_subscribed("Lists.l7", true));
    ASSERT_TRUE(tree.set_subscribed("Sent", true));  // once only
    ASSERT_TRUE(tree.set_subscribed("Lists.l7", false));
    ASSERT_TRUE(tree.set_subscribed("Never", false));
    EXPECT_EQ(read_file(root_.root() / "subscriptions"), "Sent\nINBOX\n");
    auto names = tree.subscriptions();
    ASSERT_TRUE(names);
    EXPECT_EQ(*names, (std::vector<std::string>{"Sent", "INBOX"}));
    EXPECT_EQ(tree.set_subscribed("bad\nname", true).error().code, Code::invalid);

    // A file written by another program, with CRLF and blank lines.
    write_file(root_.root() / "subscriptions", "Trash\r\n\r\nSpam\n");
    EXPECT_EQ(*tree.subscriptions(), (std::vector<std::string>{"Trash", "Spam"}));
}

}  // namespace
}  // namespace l7::mail
