// The queue store in a temporary directory: round trips of enqueue, list, load, update and
// remove; the states a crash can leave behind and what recover() and list() make of them;
// corrupt envelopes; and the envelope format's escaping and limits.

#include "mail/queue/queue_store.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace l7::mail {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

constexpr std::int64_t kNow = 1'764'500'000;

QueueEntry sample_entry(std::string id = "1764500000M1P42Q1") {
    QueueEntry e;
    e.id = std::move(id);
    e.mail_from = "alice@example.org";
    e.parameters.eight_bit = true;
    e.parameters.envid = "QQ314159";
    e.parameters.ret = ReturnContent::headers;
    e.arrival = kNow;
    e.auth_user = "alice";
    e.origin = "client.example.org";
    e.next_attempt = kNow;
    QueueRecipient bob;
    bob.address = "bob@example.net";
    QueueRecipient carol;
    carol.address = "carol@example.com";
    carol.state = RecipientState::failed;
    carol.attempts = 1;
    carol.last_attempt = kNow + 5;
    carol.status = "5.1.1";
    carol.remote_mta = "mx.example.com";
    carol.last_reply = "550 5.1.1 <carol@example.com>: user unknown";
    carol.notified = true;
    e.recipients = {bob, carol};
    return e;
}

const std::string kMessage =
    "Received: from client.example.org by mx.example.org; Sun, 30 Nov 2025 10:53:20 +0000\r\n"
    "From: alice@example.org\r\nSubject: hi\r\n\r\nHello\r\n\0binary\r\n"s;

class QueueStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/l7-queue-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        ASSERT_FALSE(store().create());
    }
    void TearDown() override { fs::remove_all(dir_); }

    QueueStore store() const { return QueueStore(dir_ / "q"); }
    fs::path path(const std::string& sub, const std::string& name = "") const {
        return name.empty() ? dir_ / "q" / sub : dir_ / "q" / sub / name;
    }

    static std::string read(const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        return s.str();
    }
    static void write(const fs::path& p, std::string_view bytes) {
        std::ofstream out(p, std::ios::binary);
        out << bytes;
    }
    static void set_mtime(const fs::path& p, std::int64_t t) {
        struct timespec times[2] = {{t, 0}, {t, 0}};
        ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), times, 0), 0);
    }
    std::set<std::string> names(const std::string& sub) const {
        std::set<std::string> out;
        for (const auto& e : fs::directory_iterator(path(sub))) {
            out.insert(e.path().filename().string());
        }
        return out;
    }

    fs::path dir_;
};

TEST_F(QueueStoreTest, CreateMakesTheDirectoriesWithOwnerOnlyPermissions) {
    EXPECT_TRUE(store().exists());
    for (const char* sub : {"tmp", "data", "env", "corrupt"}) {
        EXPECT_TRUE(fs::is_directory(path(sub))) << sub;
        EXPECT_EQ(fs::status(path(sub)).permissions() & fs::perms::all, fs::perms::owner_all);
    }
    EXPECT_FALSE(store().create());  // idempotent
    EXPECT_FALSE(QueueStore(dir_ / "missing").exists());
}

TEST_F(QueueStoreTest, EnqueueMakesTheMessageVisibleWithItsExactBytes) {
    const QueueEntry entry = sample_entry();
    auto stored = store().enqueue(entry, kMessage);
    ASSERT_TRUE(stored) << stored.error().message;
    EXPECT_EQ(stored->message_size, kMessage.size());

    auto listing = store().list();
    ASSERT_TRUE(listing) << listing.error().message;
    ASSERT_EQ(listing->entries.size(), 1u);
    EXPECT_TRUE(listing->problems.empty());
    EXPECT_EQ(listing->entries[0], *stored);

    auto loaded = store().load(entry.id);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(*loaded, *stored);
    QueueEntry expected = entry;
    expected.message_size = kMessage.size();
    EXPECT_EQ(*loaded, expected);

    auto bytes = store().read_message(entry.id, 1 << 20);
    ASSERT_TRUE(bytes);
    EXPECT_EQ(*bytes, kMessage);
    EXPECT_EQ(read(path("data", entry.id)), kMessage);
    EXPECT_TRUE(names("tmp").empty());  // nothing left behind
}

TEST_F(QueueStoreTest, EnqueueRefusesATakenIdAndLeavesTheFirstMessageAlone) {
    ASSERT_TRUE(store().enqueue(sample_entry(), kMessage));
    auto again = store().enqueue(sample_entry(), "other bytes");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind, QueueErrorKind::exists);
    EXPECT_EQ(read(path("data", sample_entry().id)), kMessage);
    EXPECT_TRUE(names("tmp").empty());

    // A data file without an envelope (a crashed enqueue) also keeps the id taken.
    write(path("data", "orphan1"), "x");
    auto orphan = store().enqueue(sample_entry("orphan1"), kMessage);
    ASSERT_FALSE(orphan);
    EXPECT_EQ(orphan.error().kind, QueueErrorKind::exists);
    EXPECT_FALSE(fs::exists(path("env", "orphan1")));
}

TEST_F(QueueStoreTest, EnqueueRefusesInvalidEntriesWithoutWritingAnything) {
    for (const std::string& id : std::vector<std::string>{"", "../escape", "a/b", "has space",
                                                          "dot.ted", std::string(65, 'a')}) {
        auto r = store().enqueue(sample_entry(id), kMessage);
        ASSERT_FALSE(r) << id;
        EXPECT_EQ(r.error().kind, QueueErrorKind::invalid) << id;
    }
    QueueEntry no_rcpt = sample_entry();
    no_rcpt.recipients.clear();
    EXPECT_EQ(store().enqueue(no_rcpt, kMessage).error().kind, QueueErrorKind::invalid);
    QueueEntry empty_rcpt = sample_entry();
    empty_rcpt.recipients[0].address.clear();
    EXPECT_EQ(store().enqueue(empty_rcpt, kMessage).error().kind, QueueErrorKind::invalid);
    QueueEntry long_from = sample_entry();
    long_from.mail_from = std::string(kMaxEnvelopeValue + 1, 'a');
    EXPECT_EQ(store().enqueue(long_from, kMessage).error().kind, QueueErrorKind::invalid);
    QueueEntry bad_time = sample_entry();
    bad_time.arrival = -1;
    EXPECT_EQ(store().enqueue(bad_time, kMessage).error().kind, QueueErrorKind::invalid);

    EXPECT_TRUE(names("data").empty());
    EXPECT_TRUE(names("env").empty());
    EXPECT_TRUE(names("tmp").empty());
    EXPECT_FALSE(fs::exists(dir_ / "escape"));
}

TEST_F(QueueStoreTest, AFailedEnvelopeCommitLeavesNoDataBehind) {
    // env/ is a file: committing the envelope fails after the data was written.
    fs::remove(path("env"));
    write(path("env"), "not a directory");
    auto r = store().enqueue(sample_entry(), kMessage);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, QueueErrorKind::io);
    EXPECT_TRUE(names("data").empty());
    EXPECT_TRUE(names("tmp").empty());
}

TEST_F(QueueStoreTest, UpdateReplacesTheStateAndSurvivesAReopen) {
    auto stored = store().enqueue(sample_entry(), kMessage);
    ASSERT_TRUE(stored);
    QueueEntry e = *stored;
    e.recipients[0].state = RecipientState::delivered;
    e.recipients[0].attempts = 1;
    e.recipients[0].last_attempt = kNow + 60;
    e.recipients[0].remote_mta = "mx.example.net";
    e.recipients[0].last_reply = "250 2.0.0 Ok: queued as 1234";
    e.attempts = 1;
    e.next_attempt = kNow + 300;
    e.delay_warning_sent = true;
    auto updated = store().update(e);
    ASSERT_TRUE(updated) << updated.error().message;

    // A new store object on the same directory: what a restarted server sees.
    auto loaded = QueueStore(dir_ / "q").load(e.id);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(*loaded, e);
    EXPECT_TRUE(loaded->done());
    EXPECT_EQ(loaded->pending(), 0u);
    EXPECT_TRUE(names("tmp").empty());
    EXPECT_EQ(read(path("data", e.id)), kMessage);  // the data is never rewritten
}

TEST_F(QueueStoreTest, UpdateDoesNotBringBackARemovedMessage) {
    ASSERT_TRUE(store().enqueue(sample_entry(), kMessage));
    auto removed = store().remove(sample_entry().id);
    ASSERT_TRUE(removed);
    EXPECT_TRUE(*removed);
    auto updated = store().update(sample_entry());
    ASSERT_FALSE(updated);
    EXPECT_EQ(updated.error().kind, QueueErrorKind::not_found);
    EXPECT_TRUE(names("env").empty());
    EXPECT_TRUE(names("data").empty());
}

TEST_F(QueueStoreTest, UpdateRefusesAnInvalidEntry) {
    ASSERT_TRUE(store().enqueue(sample_entry(), kMessage));
    QueueEntry e = sample_entry();
    e.recipients[1].remote_mta = std::string(kMaxEnvelopeValue + 1, 'm');
    auto updated = store().update(e);
    ASSERT_FALSE(updated);
    EXPECT_EQ(updated.error().kind, QueueErrorKind::invalid);
    auto loaded = store().load(e.id);
    ASSERT_TRUE(loaded);
    EXPECT_EQ(loaded->recipients[1].remote_mta, "mx.example.com");  // unchanged
}

TEST_F(QueueStoreTest, RemoveDeletesEnvelopeAndDataAndSaysWhetherThereWasOne) {
    ASSERT_TRUE(store().enqueue(sample_entry(), kMessage));
    auto first = store().remove(sample_entry().id);
    ASSERT_TRUE(first);
    EXPECT_TRUE(*first);
    EXPECT_TRUE(names("env").empty());
    EXPECT_TRUE(names("data").empty());
    auto second = store().remove(sample_entry().id);
    ASSERT_TRUE(second);
    EXPECT_FALSE(*second);
    EXPECT_EQ(store().remove("../x").error().kind, QueueErrorKind::invalid);
    EXPECT_EQ(store().load(sample_entry().id).error().kind, QueueErrorKind::not_found);
}

TEST_F(QueueStoreTest, ReadMessageIsBoundedAndChecksTheId) {
    ASSERT_TRUE(store().enqueue(sample_entry(), kMessage));
    auto small = store().read_message(sample_entry().id, kMessage.size() - 1);
    ASSERT_FALSE(small);
    EXPECT_EQ(small.error().kind, QueueErrorKind::too_large);
    EXPECT_TRUE(store().read_message(sample_entry().id, kMessage.size()));
    EXPECT_EQ(store().read_message("nope", 100).error().kind, QueueErrorKind::not_found);
    EXPECT_EQ(store().read_message("../../etc/passwd", 100).error().kind, QueueErrorKind::invalid);
}

TEST_F(QueueStoreTest, ListSortsByArrival) {
    QueueEntry late = sample_entry("b-late");
    late.arrival = kNow + 10;
    QueueEntry early = sample_entry("z-early");
    early.arrival = kNow - 10;
    ASSERT_TRUE(store().enqueue(late, "1"));
    ASSERT_TRUE(store().enqueue(early, "2"));
    ASSERT_TRUE(store().enqueue(sample_entry("m-middle"), "3"));
    auto listing = store().list();
    ASSERT_TRUE(listing);
    ASSERT_EQ(listing->entries.size(), 3u);
    EXPECT_EQ(listing->entries[0].id, "z-early");
    EXPECT_EQ(listing->entries[1].id, "m-middle");
    EXPECT_EQ(listing->entries[2].id, "b-late");
}

// A crash can stop enqueue() after writing a temporary, after committing the data, or in the
// middle of writing the envelope's temporary; remove() can stop between its two unlinks.
// None of these is visible, and recover() clears them once they are old enough.
TEST_F(QueueStoreTest, RecoverRemovesWhatCrashesLeaveAndNothingElse) {
    ASSERT_TRUE(store().enqueue(sample_entry("live"), kMessage));
    write(path("tmp", ".l7-staged-AAAAAA"), kMessage.substr(0, 10));  // data never committed
    write(path("tmp", ".l7-staged-BBBBBB"),
          format_envelope(sample_entry()).substr(0, 30));  // half an envelope
    write(path("data", "crashed-enqueue"), kMessage);      // data, no envelope
    write(path("data", "crashed-remove"), kMessage);       // envelope already gone
    write(path("data", "in-flight"), kMessage);            // an enqueue under way
    for (const auto& p : {path("tmp", ".l7-staged-AAAAAA"), path("tmp", ".l7-staged-BBBBBB"),
                          path("data", "crashed-enqueue"), path("data", "crashed-remove"),
                          path("data", "live"), path("env", "live")}) {
        set_mtime(p, kNow - 3600);
    }
    set_mtime(path("data", "in-flight"), kNow - 5);
    fs::create_directory(path("tmp", "subdir"));  // not ours to delete, and no reason to fail
    set_mtime(path("tmp", "subdir"), kNow - 3600);

    // Before recovery nothing of it shows.
    auto before = store().list();
    ASSERT_TRUE(before);
    ASSERT_EQ(before->entries.size(), 1u);
    EXPECT_EQ(before->entries[0].id, "live");
    EXPECT_TRUE(before->problems.empty());

    auto report = store().recover(kNow, 60);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->temporaries,
              (std::vector<std::string>{".l7-staged-AAAAAA", ".l7-staged-BBBBBB"}));
    EXPECT_EQ(report->orphans, (std::vector<std::string>{"crashed-enqueue", "crashed-remove"}));
    EXPECT_EQ(names("tmp"), (std::set<std::string>{"subdir"}));
    EXPECT_EQ(names("data"), (std::set<std::string>{"in-flight", "live"}));
    EXPECT_EQ(names("env"), (std::set<std::string>{"live"}));

    // The young file goes once it is old enough; the live message never.
    auto later = store().recover(kNow + 60, 60);
    ASSERT_TRUE(later);
    EXPECT_EQ(later->orphans, (std::vector<std::string>{"in-flight"}));
    auto bytes = store().read_message("live", 1 << 20);
    ASSERT_TRUE(bytes);
    EXPECT_EQ(*bytes, kMessage);
}

TEST_F(QueueStoreTest, ListMovesCorruptEnvelopesAsideAndKeepsTheRest) {
    ASSERT_TRUE(store().enqueue(sample_entry("good"), kMessage));
    ASSERT_TRUE(store().enqueue(sample_entry("garbled"), "garbled data"));
    write(path("env", "garbled"), "l7-queue 1\nid garbled\narrival 12\x01\n");
    ASSERT_TRUE(store().enqueue(sample_entry("truncated"), kMessage));
    const std::string full = format_envelope(sample_entry("truncated"));
    write(path("env", "truncated"), full.substr(0, full.size() - 4));  // "end\n" lost
    ASSERT_TRUE(store().enqueue(sample_entry("impostor"), kMessage));
    write(path("env", "impostor"), format_envelope(sample_entry("someone-else")));
    write(path("env", "no-data"), format_envelope(sample_entry("no-data")));
    write(path("env", "not an id"), "whatever");
    write(path("env", ".hidden"), "ignored");

    auto listing = store().list();
    ASSERT_TRUE(listing) << listing.error().message;
    ASSERT_EQ(listing->entries.size(), 1u);
    EXPECT_EQ(listing->entries[0].id, "good");
    std::set<std::string> problem_names;
    for (const QueueProblem& p : listing->problems) {
        problem_names.insert(p.name);
        EXPECT_NE(p.message.find("corrupt/"), std::string::npos) << p.message;
    }
    EXPECT_EQ(problem_names,
              (std::set<std::string>{"garbled", "truncated", "impostor", "no-data", "not an id"}));
    EXPECT_EQ(names("env"), (std::set<std::string>{".hidden", "good"}));
    EXPECT_EQ(names("data"), (std::set<std::string>{"good"}));
    // Kept for the administrator, data and all.
    EXPECT_EQ(read(path("corrupt", "garbled.data")), "garbled data");
    EXPECT_TRUE(fs::exists(path("corrupt", "garbled.env")));
    EXPECT_TRUE(fs::exists(path("corrupt", "no-data.env")));
    EXPECT_TRUE(fs::exists(path("corrupt", "not an id.env")));

    // A second corruption of the same name does not overwrite the first.
    ASSERT_TRUE(store().enqueue(sample_entry("garbled"), "second"));
    write(path("env", "garbled"), "junk");
    ASSERT_TRUE(store().list());
    EXPECT_EQ(read(path("corrupt", "garbled.data")), "garbled data");
    EXPECT_EQ(read(path("corrupt", "garbled.data.1")), "second");
}

TEST_F(QueueStoreTest, LoadReportsCorruptionWithoutMovingAnything) {
    ASSERT_TRUE(store().enqueue(sample_entry("x1"), kMessage));
    write(path("env", "x1"), "not an envelope\n");
    auto loaded = store().load("x1");
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().kind, QueueErrorKind::corrupt);
    EXPECT_TRUE(fs::exists(path("env", "x1")));
    auto q = store().quarantine("x1");
    ASSERT_TRUE(q);
    EXPECT_TRUE(*q);
    EXPECT_FALSE(fs::exists(path("env", "x1")));
    EXPECT_EQ(store().quarantine("..").error().kind, QueueErrorKind::invalid);
    EXPECT_EQ(store().quarantine("a/b").error().kind, QueueErrorKind::invalid);
}

TEST_F(QueueStoreTest, FlushBringsFutureAttemptsForward) {
    QueueEntry a = sample_entry("a");
    a.next_attempt = kNow + 3600;
    QueueEntry b = sample_entry("b");
    b.next_attempt = kNow - 10;  // already due: unchanged
    QueueEntry c = sample_entry("c");
    c.next_attempt = kNow + 60;
    for (const auto& e : {a, b, c}) {
        ASSERT_TRUE(store().enqueue(e, kMessage));
    }
    auto one = store().flush(kNow, "c");
    ASSERT_TRUE(one);
    EXPECT_EQ(*one, 1u);
    EXPECT_EQ(store().load("c")->next_attempt, kNow);
    EXPECT_EQ(store().load("a")->next_attempt, kNow + 3600);

    auto all = store().flush(kNow);
    ASSERT_TRUE(all);
    EXPECT_EQ(*all, 1u);  // a; b was due, c done above
    EXPECT_EQ(store().load("a")->next_attempt, kNow);
    EXPECT_EQ(store().load("b")->next_attempt, kNow - 10);
    EXPECT_EQ(store().flush(kNow, "missing").error().kind, QueueErrorKind::not_found);
}

TEST_F(QueueStoreTest, HostileAddressesRoundTripThroughTheStore) {
    QueueEntry e = sample_entry("hostile");
    e.mail_from = "\"a b\"@example.org";
    e.recipients[0].address = "x\r\nend\r\nrcpt evil@example.org";
    e.recipients[1].address = "\"%41 100%\"@example.org\nid other";
    QueueRecipient utf8;
    utf8.address =
        "J\xc3\xbcrgen@b\xc3\xbc"
        "cher.example";
    utf8.last_reply = "452 4.2.2 \x00\x1b[31m full\xff"s;
    e.recipients.push_back(utf8);
    ASSERT_TRUE(store().enqueue(e, kMessage));
    auto loaded = store().load("hostile");
    ASSERT_TRUE(loaded);
    QueueEntry expected = e;
    expected.message_size = kMessage.size();
    EXPECT_EQ(*loaded, expected);
    // The file stays one field per line, printable ASCII.
    for (char c : read(path("env", "hostile"))) {
        const auto u = static_cast<unsigned char>(c);
        EXPECT_TRUE(c == '\n' || (u >= 0x20 && u < 0x7f)) << int(u);
    }
}

TEST_F(QueueStoreTest, QueueListingShowsPendingRecipientsSafely) {
    QueueEntry e = sample_entry("listed");
    e.recipients[0].last_reply = "451 4.3.0 try \x1b]0;pwned\x07 later";
    e.recipients[0].address = "bob\x1b[2J@example.net";
    QueueEntry bounce = sample_entry("bounce1");
    bounce.mail_from.clear();
    const std::vector<QueueEntry> entries = {e, bounce};
    const std::string text = format_queue_listing(entries);
    EXPECT_NE(text.find("listed"), std::string::npos);
    EXPECT_NE(text.find("alice@example.org"), std::string::npos);
    EXPECT_NE(text.find("bob?[2J@example.net"), std::string::npos);
    EXPECT_NE(text.find("(451 4.3.0 try ?]0;pwned? later)"), std::string::npos);
    EXPECT_NE(text.find("<>"), std::string::npos);
    EXPECT_EQ(text.find("carol"), std::string::npos);  // failed: not pending
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
    EXPECT_NE(text.find("-- 2 messages, 2 recipients pending"), std::string::npos);
}

// ---------------------------------------------------------------------------------------
// The envelope format

TEST(QueueEnvelope, FormatThenParseGivesTheSameEntry) {
    const QueueEntry e = sample_entry();
    const std::string text = format_envelope(e);
    EXPECT_TRUE(text.starts_with("l7-queue 1\nid 1764500000M1P42Q1\n"));
    EXPECT_TRUE(text.ends_with("rcpt-notified 1\nend\n"));
    EXPECT_NE(text.find("\nfrom alice@example.org\n"), std::string::npos);
    EXPECT_NE(text.find("\nret hdrs\n"), std::string::npos);
    EXPECT_NE(text.find("\nrcpt-reply 550%205.1.1%20<carol@example.com>:%20user%20unknown\n"),
              std::string::npos);
    auto parsed = parse_envelope(text);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(*parsed, e);
    EXPECT_EQ(format_envelope(*parsed), text);
}

TEST(QueueEnvelope, NullSenderAndDefaultsRoundTrip) {
    QueueEntry e;
    e.id = "b";
    e.recipients.resize(1);
    e.recipients[0].address = "x@y";
    const std::string text = format_envelope(e);
    EXPECT_NE(text.find("\nfrom\n"), std::string::npos);
    auto parsed = parse_envelope(text);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(*parsed, e);
    // Missing optional fields take their defaults.
    auto minimal = parse_envelope("l7-queue 1\nid m\narrival 5\nrcpt a@b\nend\n");
    ASSERT_TRUE(minimal) << minimal.error().message;
    EXPECT_EQ(minimal->arrival, 5);
    EXPECT_TRUE(minimal->mail_from.empty());
    EXPECT_EQ(minimal->recipients.at(0).state, RecipientState::pending);
}

TEST(QueueEnvelope, EveryTruncationIsAnError) {
    const std::string text = format_envelope(sample_entry());
    for (std::size_t n = 0; n < text.size(); ++n) {
        EXPECT_FALSE(parse_envelope(text.substr(0, n))) << n;
    }
}

TEST(QueueEnvelope, EscapingRoundTripsEveryByte) {
    std::string all;
    for (int b = 0; b < 256; ++b) {
        all += static_cast<char>(b);
    }
    const std::string escaped = escape_envelope_value(all);
    for (char c : escaped) {
        EXPECT_TRUE(static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f);
    }
    EXPECT_EQ(unescape_envelope_value(escaped), all);
    EXPECT_EQ(escape_envelope_value("a b%c\r\n"), "a%20b%25c%0D%0A");
    EXPECT_EQ(unescape_envelope_value("%c3%BC"), "\xc3\xbc");
    EXPECT_EQ(unescape_envelope_value(""), "");
    for (std::string_view bad : {"%", "%4", "%G0", "a b", "tab\t", "\x80", "%%41"}) {
        EXPECT_FALSE(unescape_envelope_value(bad)) << bad;
    }
}

TEST(QueueEnvelope, MalformedEnvelopesAreErrors) {
    const std::string head = "l7-queue 1\nid m\narrival 5\n";
    const std::string tail = "rcpt a@b\nend\n";
    const std::vector<std::string> bad = {
        "",
        "l7-queue 2\nid m\narrival 5\nrcpt a@b\nend\n",  // a version we do not know
        "something else\n",
        "l7-queue 1\r\nid m\narrival 5\nrcpt a@b\nend\n",  // CRLF
        head + "colour blue\n" + tail,                     // unknown key
        head + "id n\n" + tail,                            // repeated key
        head + "rcpt-state failed\n" + tail,               // before any rcpt
        head + "rcpt a@b\nrcpt-state failed\nrcpt-state pending\nend\n",
        head + "rcpt a@b\nrcpt-state lost\nend\n",
        head + "rcpt\nend\n",                               // empty address
        head + "end\n",                                     // no recipients
        "l7-queue 1\nid m\nrcpt a@b\nend\n",                // no arrival
        "l7-queue 1\narrival 5\nrcpt a@b\nend\n",           // no id
        "l7-queue 1\nid ../m\narrival 5\nrcpt a@b\nend\n",  // unsafe id
        head + tail + "rcpt c@d\n",                         // after end
        head + tail + "\n",
        head + "rcpt a@b\nend x\n",
        head + "attempts -1\n" + tail,
        head + "attempts 4294967296\n" + tail,
        head + "next-attempt 253402300800\n" + tail,  // after year 9999
        head + "size 99999999999999999999\n" + tail,
        head + "smtputf8 yes\n" + tail,
        head + "body binarymime\n" + tail,
        head + "ret all\n" + tail,
        head + "from a b\n" + tail,  // an unescaped space
        head + "from a%2\n" + tail,
        head + "from " + std::string(kMaxEnvelopeLine, 'a') + "\n" + tail,
        head + "from " + std::string(kMaxEnvelopeValue + 1, 'a') + "\n" + tail,
    };
    for (const std::string& text : bad) {
        EXPECT_FALSE(parse_envelope(text)) << text;
    }
}

TEST(QueueEnvelope, RecipientCountIsBounded) {
    std::string text = "l7-queue 1\nid m\narrival 5\n";
    for (std::size_t i = 0; i < kMaxQueueRecipients; ++i) {
        text += "rcpt r" + std::to_string(i) + "@x\n";
    }
    auto at_limit = parse_envelope(text + "end\n");
    ASSERT_TRUE(at_limit) << at_limit.error().message;
    EXPECT_EQ(at_limit->recipients.size(), kMaxQueueRecipients);
    EXPECT_FALSE(parse_envelope(text + "rcpt one@more\nend\n"));
    EXPECT_FALSE(parse_envelope(std::string(kMaxEnvelopeBytes + 1, 'x')));
}

TEST(QueueEnvelope, LongRepliesAreCutAndLongAddressesRefused) {
    QueueEntry e = sample_entry();
    e.recipients[1].last_reply = "550 " + std::string(5000, 'x');
    EXPECT_TRUE(validate_entry(e));
    auto parsed = parse_envelope(format_envelope(e));
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->recipients[1].last_reply.size(), kMaxEnvelopeValue);
    EXPECT_TRUE(parsed->recipients[1].last_reply.starts_with("550 xxx"));

    e.recipients[0].address = std::string(kMaxEnvelopeValue + 1, 'a');
    EXPECT_FALSE(validate_entry(e));
}

TEST(QueueIds, GeneratedIdsAreValidAndUnique) {
    QueueIdGenerator gen(4194304);
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const std::string id = gen.next(kNow * 1'000'000 + 123456);
        EXPECT_TRUE(is_valid_queue_id(id)) << id;
        EXPECT_TRUE(seen.insert(id).second) << id;
    }
    EXPECT_EQ(*seen.begin(), "1764500000M123456P4194304Q1");
    EXPECT_LE(QueueIdGenerator(4194304).next(253402300799LL * 1'000'000).size(), 51u);
    EXPECT_TRUE(is_valid_queue_id(gen.next(-5)));
}

TEST(QueueIds, Validity) {
    EXPECT_TRUE(is_valid_queue_id("A-z_09"));
    EXPECT_TRUE(is_valid_queue_id(std::string(kMaxQueueIdLength, 'a')));
    EXPECT_FALSE(is_valid_queue_id(std::string(kMaxQueueIdLength + 1, 'a')));
    for (std::string_view bad : {"", ".", "..", "a.b", "a/b", "a b", "\xc3\xbc"}) {
        EXPECT_FALSE(is_valid_queue_id(bad)) << bad;
    }
}

TEST(SafeText, KeepsPrintableAndUtf8AndMasksTheRest) {
    EXPECT_EQ(safe_text("plain text"), "plain text");
    EXPECT_EQ(safe_text("a\tb\r\nc"), "a b  c");
    EXPECT_EQ(safe_text("\x1b[1m\x7f"), "?[1m?");
    EXPECT_EQ(safe_text("J\xc3\xbcrgen"), "J\xc3\xbcrgen");
    EXPECT_EQ(safe_text("J\xc3\xbcrgen", false), "J?rgen");
    EXPECT_EQ(safe_text("\xc2\x9b"), "?");        // C1 CSI, UTF-8 encoded
    EXPECT_EQ(safe_text("\xff\xc3"), "??");       // invalid, truncated
    EXPECT_EQ(safe_text("\xed\xa0\x80"), "???");  // a surrogate
    EXPECT_EQ(safe_text("\xc0\xaf"), "??");       // overlong '/'
    EXPECT_EQ(safe_text("\xf0\x9f\x93\xa7"), "\xf0\x9f\x93\xa7");
}

}  // namespace
}  // namespace l7::mail
