#include "mail/store/imap_index.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "core/staged_file.hpp"
#include "sqlite/database.hpp"

namespace l7::mail {
namespace {

namespace fs = std::filesystem;
using Code = MailboxError::Code;

constexpr const char* kIndexFile = "l7-imap.sqlite";
constexpr const char* kIndexLockFile = "l7-imap.lock";
constexpr const char* kCorruptMarker = "l7-imap.corrupt";  // an operation met corruption
constexpr const char* kFoldersLockFile = "l7-imap-folders.lock";
constexpr const char* kUidValidityFile = "l7-imap-uidvalidity";
constexpr const char* kSubscriptionsFile = "subscriptions";
constexpr const char* kTrashDirectory = "..l7-deleted";  // no folder: names never start '.'
constexpr std::int64_t kSchemaVersion = 1;
constexpr std::uint64_t kMaxUidNext = 0xFFFFFFFFULL;  // UIDs are nz-number, 32 bits
constexpr std::size_t kMaxSubscriptions = 10'000;
constexpr std::size_t kMaxSubscriptionsFile = 1 << 20;
constexpr int kListingAttempts = 4;

MailboxError fail(Code code, std::string message) {
    return MailboxError{code, std::move(message)};
}

MailboxError errno_failure(const fs::path& path, std::string_view what, int error) {
    return fail(Code::io, path.string() + ": " + std::string(what) + ": " + std::strerror(error));
}

// ---- Flags ----------------------------------------------------------------------------------

struct FlagLetter {
    char letter;
    std::uint8_t bit;
};
// In ASCII order, as Maildir names list them.
constexpr FlagLetter kFlagLetters[] = {{'D', MessageFlags::kDraft},
                                       {'F', MessageFlags::kFlagged},
                                       {'R', MessageFlags::kAnswered},
                                       {'S', MessageFlags::kSeen},
                                       {'T', MessageFlags::kDeleted}};

struct FlagName {
    const char* name;
    std::uint8_t bit;
};
// In the order RFC 3501 lists them, which FLAGS responses follow.
constexpr FlagName kFlagNames[] = {{"\\Answered", MessageFlags::kAnswered},
                                   {"\\Flagged", MessageFlags::kFlagged},
                                   {"\\Deleted", MessageFlags::kDeleted},
                                   {"\\Seen", MessageFlags::kSeen},
                                   {"\\Draft", MessageFlags::kDraft}};

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equal_nocase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

bool less_nocase(std::string_view a, std::string_view b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                        [](char x, char y) { return lower(x) < lower(y); });
}

// ATOM-CHAR (RFC 3501 9): a CHAR that is no atom-special.
bool is_atom_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
        return false;
    }
    return std::string_view("(){%*\"\\]").find(c) == std::string_view::npos;
}

// Sorted case-insensitively, duplicates (case-insensitively) dropped: one spelling per keyword.
void normalise_keywords(std::vector<std::string>& keywords) {
    std::stable_sort(keywords.begin(), keywords.end(), less_nocase);
    keywords.erase(std::unique(keywords.begin(), keywords.end(), equal_nocase), keywords.end());
}

std::optional<MailboxError> check_keywords(const std::vector<std::string>& keywords,
                                           const IndexLimits& limits) {
    if (keywords.size() > limits.max_keywords_per_message) {
        return fail(Code::limit, "more than " + std::to_string(limits.max_keywords_per_message) +
                                     " keywords on one message");
    }
    for (const std::string& k : keywords) {
        if (k.empty() || !std::all_of(k.begin(), k.end(), is_atom_char)) {
            return fail(Code::invalid, "not a keyword: " + k);
        }
        if (k.size() > limits.max_keyword_length) {
            return fail(Code::limit, "keyword longer than " +
                                         std::to_string(limits.max_keyword_length) +
                                         " octets: " + k);
        }
    }
    return std::nullopt;
}

std::string join_keywords(const std::vector<std::string>& keywords) {
    std::string out;
    for (const std::string& k : keywords) {
        if (!out.empty()) {
            out += ' ';
        }
        out += k;
    }
    return out;
}

std::vector<std::string> split_keywords(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const std::size_t space = text.find(' ');
        if (space != 0) {
            out.emplace_back(text.substr(0, space));
        }
        text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    }
    return out;
}

// ---- Maildir names ------------------------------------------------------------------------

std::string_view base_of(std::string_view name) {
    return name.substr(0, name.find(':'));
}

// The decimal number after `tag` (",S=", ",W=") in a name's base.
std::optional<std::uint64_t> number_in_base(std::string_view name, std::string_view tag) {
    const std::string_view base = base_of(name);
    const std::size_t at = base.find(tag);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    std::size_t i = at + tag.size();
    const std::size_t first = i;
    for (; i < base.size() && base[i] >= '0' && base[i] <= '9'; ++i) {
        if (v > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) {
            return std::nullopt;
        }
        v = v * 10 + static_cast<std::uint64_t>(base[i] - '0');
    }
    if (i == first) {
        return std::nullopt;
    }
    return v;
}

// Delivery order: names start with the delivery's seconds, and ours (and Dovecot's) continue
// with ".M<microseconds>"; compared as numbers, then as names. Names without a time go last.
struct DeliveryOrder {
    std::uint64_t seconds = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t micros = 0;
    std::string_view name;

    explicit DeliveryOrder(std::string_view n) : name(n) {
        std::size_t i = 0;
        std::uint64_t s = 0;
        for (; i < n.size() && i < 19 && n[i] >= '0' && n[i] <= '9'; ++i) {
            s = s * 10 + static_cast<std::uint64_t>(n[i] - '0');
        }
        if (i == 0) {
            return;
        }
        seconds = s;
        if (n.substr(i).starts_with(".M")) {
            std::uint64_t m = 0;
            for (std::size_t j = i + 2, k = 0; j < n.size() && k < 18 && n[j] >= '0' && n[j] <= '9';
                 ++j, ++k) {
                m = m * 10 + static_cast<std::uint64_t>(n[j] - '0');
            }
            micros = m;
        }
    }
    friend bool operator<(const DeliveryOrder& a, const DeliveryOrder& b) {
        return std::tie(a.seconds, a.micros, a.name) < std::tie(b.seconds, b.micros, b.name);
    }
};

// ---- Files --------------------------------------------------------------------------------

// flock(2) on a lock file, held until destruction.
class FileLock {
  public:
    // Opens (creating) `path` and locks it with `operation` (LOCK_SH or LOCK_EX, maybe with
    // LOCK_NB: Code::in_use when taken). The lock is on the file that has the name when it
    // is granted (a file removed and made again while we waited is locked afresh).
    static MailboxResult<FileLock> acquire(const fs::path& path, int operation) {
        for (int attempt = 0; attempt < 8; ++attempt) {
            const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
            if (fd < 0) {
                return errno_failure(path, "cannot open the lock", errno);
            }
            FileLock lock(fd);
            if (!lock.relock(operation)) {
                if (errno == EWOULDBLOCK) {
                    return fail(Code::in_use,
                                path.parent_path().string() + " is in use by another session");
                }
                return errno_failure(path, "cannot lock", errno);
            }
            struct stat held {};
            struct stat named {};
            if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 &&
                held.st_ino == named.st_ino && held.st_dev == named.st_dev) {
                return lock;
            }
        }
        return fail(Code::io, path.string() + ": the lock file keeps being replaced");
    }

    // Another flock() on the same file: a conversion, which is not atomic (flock(2)).
    bool relock(int operation) {
        while (::flock(fd_, operation) != 0) {
            if (errno != EINTR) {
                return false;
            }
        }
        return true;
    }

    FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileLock& operator=(FileLock&& other) noexcept {
        std::swap(fd_, other.fd_);
        return *this;
    }
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }

  private:
    explicit FileLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

fs::path message_path(const Maildir& folder, std::string_view name, bool in_new) {
    return folder.root() / (in_new ? "new" : "cur") / std::string(name);
}

// What the index records of a file when it first sees it.
struct FileFacts {
    std::uint64_t size = 0;
    std::uint64_t rfc822_size = 0;
    std::int64_t mtime = 0;
};

// The bytes as sent with every LF that follows no CR counted as CRLF.
std::uint64_t crlf_size(std::string_view bytes, char& previous) {
    std::uint64_t n = bytes.size();
    for (char c : bytes) {
        if (c == '\n' && previous != '\r') {
            ++n;
        }
        previous = c;
    }
    return n;
}

std::uint64_t crlf_size(std::string_view bytes) {
    char previous = '\0';
    return crlf_size(bytes, previous);
}

// stat and, unless the name carries Dovecot's ",W=" size or the file is larger than
// `max_read`, a read to count bare LFs. nullopt when the file is gone.
std::optional<FileFacts> examine_file(const fs::path& path, std::uint64_t max_read) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return std::nullopt;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return std::nullopt;
    }
    FileFacts facts;
    facts.size = static_cast<std::uint64_t>(st.st_size);
    facts.mtime = st.st_mtim.tv_sec;
    facts.rfc822_size = facts.size;
    const std::string name = path.filename().string();
    if (auto w = number_in_base(name, ",W=")) {
        facts.rfc822_size = *w;
    } else if (facts.size <= max_read) {
        std::array<char, 64 * 1024> buffer{};
        char previous = '\0';
        std::uint64_t counted = 0;
        for (;;) {
            const ssize_t n = ::read(fd, buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            counted +=
                crlf_size(std::string_view(buffer.data(), static_cast<std::size_t>(n)), previous);
        }
        facts.rfc822_size = counted;
    }
    ::close(fd);
    return facts;
}

// A file listed in new/ or cur/.
struct ListedFile {
    std::string name;
    bool in_new = false;
};
using Listing = std::unordered_map<std::string, ListedFile>;  // by key (the base)

std::optional<std::pair<std::int64_t, std::int64_t>> directory_mtimes(const Maildir& folder) {
    struct stat n {};
    struct stat c {};
    if (::stat((folder.root() / "new").c_str(), &n) != 0 ||
        ::stat((folder.root() / "cur").c_str(), &c) != 0) {
        return std::nullopt;
    }
    auto ns = [](const struct stat& st) {
        return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    };
    return std::pair(ns(n), ns(c));
}

// new/ and cur/ by key. A file renamed while readdir(3) runs may be missed or seen twice, so
// the listing is repeated while the directories' mtimes change under it. Two files with one
// key (a crashed program's leftovers): the one in cur/, then the smaller name.
MailboxResult<Listing> list_folder(const Maildir& folder) {
    Listing out;
    for (int attempt = 0; attempt < kListingAttempts; ++attempt) {
        const auto before = directory_mtimes(folder);
        if (!before) {
            return fail(Code::stale, folder.root().string() + ": the folder is gone");
        }
        auto listed = folder.list();
        if (!listed) {
            return fail(Code::io, listed.error().message);
        }
        out.clear();
        for (MaildirMessage& m : *listed) {
            std::string key(base_of(m.name));
            auto [it, fresh] = out.try_emplace(std::move(key), ListedFile{m.name, m.in_new});
            if (!fresh && (it->second.in_new > m.in_new ||
                           (it->second.in_new == m.in_new && m.name < it->second.name))) {
                it->second = ListedFile{m.name, m.in_new};
            }
        }
        if (directory_mtimes(folder) == before) {
            break;
        }
    }
    return out;
}

// Where the file with `key` is now, when another program renamed it.
std::optional<ListedFile> find_by_key(const Maildir& folder, std::string_view key) {
    std::optional<ListedFile> found;
    for (const char* sub : {"cur", "new"}) {
        std::error_code ec;
        for (fs::directory_iterator it(folder.root() / sub, ec), end; !ec && it != end;
             it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (base_of(name) == key && (!found || name < found->name)) {
                found = ListedFile{name, std::string_view(sub) == "new"};
            }
        }
        if (found) {
            return found;
        }
    }
    return found;
}

std::error_code sync_directories(const Maildir& folder) {
    for (const char* sub : {"new", "cur"}) {
        if (auto ec = sync_directory(folder.root() / sub)) {
            return ec;
        }
    }
    return {};
}

bool set_mtime(const fs::path& path, std::int64_t unix_seconds) {
    struct timespec times[2] = {};
    times[0].tv_nsec = UTIME_OMIT;
    times[1].tv_sec = static_cast<time_t>(unix_seconds);
    return ::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0;
}

// Files this operation made, removed again unless it succeeds (all or nothing).
class MadeFiles {
  public:
    explicit MadeFiles(const Maildir& folder) : folder_(folder) {}
    MadeFiles(const MadeFiles&) = delete;
    MadeFiles& operator=(const MadeFiles&) = delete;
    ~MadeFiles() {
        if (paths_.empty()) {
            return;
        }
        for (const fs::path& p : paths_) {
            ::unlink(p.c_str());
        }
        (void)sync_directories(folder_);
    }
    void add(fs::path p) { paths_.push_back(std::move(p)); }
    void replace_last(fs::path p) { paths_.back() = std::move(p); }
    void keep() { paths_.clear(); }

  private:
    const Maildir& folder_;
    std::vector<fs::path> paths_;
};

// A small file's bytes (a counter, the subscriptions); nullopt when it cannot be read or is
// larger than `max_size`.
std::optional<std::string> read_small_file(const fs::path& path, std::size_t max_size) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return std::nullopt;
    }
    std::string out;
    std::array<char, 4096> buffer{};
    bool too_large = false;
    for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        if (out.size() + static_cast<std::size_t>(n) > max_size) {
            too_large = true;
            break;
        }
        out.append(buffer.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (too_large) {
        return std::nullopt;
    }
    return out;
}

// ---- SQLite -------------------------------------------------------------------------------

struct Meta {
    std::int64_t uidvalidity = 0;
    std::int64_t uidnext = 1;
    std::int64_t highestmodseq = 1;
};

struct Row {
    std::uint32_t uid = 0;
    std::string key;
    std::string name;
    bool in_new = false;
    std::uint8_t system = 0;
    std::vector<std::string> keywords;
    std::uint64_t modseq = 0;
    std::uint64_t size = 0;
    std::uint64_t rfc822_size = 0;
    std::int64_t internal_date = 0;
};

constexpr const char* kRowColumns =
    "uid, key, name, in_new, flags, keywords, modseq, size, rfc822_size, internal_date";

Row row_from(const sqlite::Statement::Use& use) {
    Row r;
    r.uid = static_cast<std::uint32_t>(use.int64(0));
    r.key = use.text(1);
    r.name = use.text(2);
    r.in_new = use.int64(3) != 0;
    r.system = static_cast<std::uint8_t>(use.int64(4) & 0x1f);
    r.keywords = split_keywords(use.text(5));
    r.modseq = static_cast<std::uint64_t>(use.int64(6));
    r.size = static_cast<std::uint64_t>(use.int64(7));
    r.rfc822_size = static_cast<std::uint64_t>(use.int64(8));
    r.internal_date = use.int64(9);
    return r;
}

std::string select_rows(const char* tail) {
    return std::string("SELECT ") + kRowColumns + " FROM messages " + tail;
}

bool looks_corrupt(const sqlite::Database& db, const sqlite::StoreError& e) {
    const int code = sqlite3_extended_errcode(db.handle()) & 0xff;
    const std::string_view what = e.what();
    return code == SQLITE_CORRUPT || code == SQLITE_NOTADB ||
           what.find("malformed") != std::string_view::npos ||
           what.find("not a database") != std::string_view::npos;
}

// BEGIN (deferred) ... COMMIT: one consistent snapshot for several SELECTs.
class ReadTransaction {
  public:
    explicit ReadTransaction(sqlite::Database& db) : db_(db) { db_.exec("BEGIN"); }
    ~ReadTransaction() { sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr); }
    ReadTransaction(const ReadTransaction&) = delete;
    ReadTransaction& operator=(const ReadTransaction&) = delete;

  private:
    sqlite::Database& db_;
};

constexpr const char* kSchema = R"(
CREATE TABLE meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uidnext INTEGER NOT NULL,
    highestmodseq INTEGER NOT NULL
);
CREATE TABLE messages (
    uid INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    in_new INTEGER NOT NULL,
    flags INTEGER NOT NULL,
    keywords TEXT NOT NULL,
    modseq INTEGER NOT NULL,
    size INTEGER NOT NULL,
    rfc822_size INTEGER NOT NULL,
    internal_date INTEGER NOT NULL
);
CREATE TABLE keywords (name TEXT PRIMARY KEY COLLATE NOCASE);
)";

// Two sessions opening a new index at once both switch it to WAL. The switch escalates a shared
// lock to an exclusive one, and SQLite answers SQLITE_BUSY at once there instead of calling the
// busy handler (two waiters would deadlock), so the loser retries until busy_timeout is spent.
std::string switch_to_wal(sqlite::Database& db, const IndexLimits& limits) {
    constexpr int kPauseMs = 5;
    for (int waited = 0;; waited += kPauseMs) {
        try {
            return db.query_text("PRAGMA journal_mode=WAL");
        } catch (const sqlite::StoreError&) {
            if ((sqlite3_errcode(db.handle()) & 0xff) != SQLITE_BUSY ||
                waited >= limits.busy_timeout_ms) {
                throw;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(kPauseMs));
    }
}

void configure(sqlite::Database& db, const IndexLimits& limits) {
    sqlite3_busy_timeout(db.handle(), limits.busy_timeout_ms);
    if (switch_to_wal(db, limits) != "wal") {
        throw sqlite::StoreError("the index cannot use write-ahead logging");
    }
    db.exec("PRAGMA synchronous=FULL");
}

enum class Health {
    ok,
    init,     // no schema, an old one, no meta row, or UIDs nearly spent: rebuilt in place
    corrupt,  // replaced by a new file
};

// What the schema and meta row say; a read of every row's page, so that a damaged table is
// found at open rather than in each sync. Throws StoreError (corruption included).
Health inspect(sqlite::Database& db, const IndexLimits& limits) {
    sqlite::Statement tables(db,
                             "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                             "name IN ('meta', 'messages', 'keywords')");
    {
        auto use = tables.use();
        if (!use.step() || use.int64(0) != 3) {
            return Health::init;
        }
    }
    sqlite::Statement meta(
        db, "SELECT version, uidvalidity, uidnext, highestmodseq FROM meta WHERE id = 1");
    {
        auto use = meta.use();
        if (!use.step() || use.int64(0) != kSchemaVersion || use.int64(1) < 1 ||
            use.int64(1) > static_cast<std::int64_t>(kMaxUidNext) || use.int64(2) < 1 ||
            use.int64(3) < 1) {
            return Health::init;
        }
        // Renumbered (a new UIDVALIDITY) before the UIDs can run out within a session.
        const std::uint64_t headroom =
            std::min<std::uint64_t>(limits.max_messages, kMaxUidNext / 2);
        if (static_cast<std::uint64_t>(use.int64(2)) > kMaxUidNext - headroom) {
            return Health::init;
        }
    }
    sqlite::Statement scan(db, "SELECT count(*), sum(length(name) + flags) FROM messages");
    auto use = scan.use();
    (void)use.step();
    return Health::ok;
}

// The open file's state: configured (WAL, busy timeout) and inspected. Throws StoreError for
// failures other than corruption.
template <class S>
Health probe(S& state) {
    std::error_code ec;
    if (fs::exists(state.folder.root() / kCorruptMarker, ec)) {
        return Health::corrupt;
    }
    try {
        configure(state.db, state.limits);
        return inspect(state.db, state.limits);
    } catch (const sqlite::StoreError& e) {
        if (looks_corrupt(state.db, e)) {
            return Health::corrupt;
        }
        throw;
    }
}

}  // namespace

// ---- Flags and names ----------------------------------------------------------------------

MailboxResult<MessageFlags> MessageFlags::from_imap(const std::vector<std::string>& names,
                                                    const IndexLimits& limits) {
    MessageFlags out;
    for (const std::string& name : names) {
        if (name.starts_with('\\')) {
            if (equal_nocase(name, "\\Recent")) {
                continue;
            }
            const auto* known =
                std::find_if(std::begin(kFlagNames), std::end(kFlagNames),
                             [&](const FlagName& f) { return equal_nocase(name, f.name); });
            if (known == std::end(kFlagNames)) {
                return fail(Code::invalid, "not a system flag: " + name);
            }
            out.system |= known->bit;
        } else {
            out.keywords.push_back(name);
        }
    }
    normalise_keywords(out.keywords);
    if (auto bad = check_keywords(out.keywords, limits)) {
        return *bad;
    }
    return out;
}

std::vector<std::string> MessageFlags::to_imap() const {
    std::vector<std::string> out;
    for (const FlagName& f : kFlagNames) {
        if (has(f.bit)) {
            out.emplace_back(f.name);
        }
    }
    out.insert(out.end(), keywords.begin(), keywords.end());
    return out;
}

MaildirFileName parse_maildir_file_name(std::string_view name) {
    MaildirFileName out;
    out.base = std::string(base_of(name));
    if (out.base.size() == name.size()) {
        return out;
    }
    const std::string_view info = name.substr(out.base.size() + 1);
    if (!info.starts_with("2,")) {
        return out;  // ":1,..." (experimental) or unknown: no flags we know
    }
    for (char c : info.substr(2)) {
        const auto* known = std::find_if(std::begin(kFlagLetters), std::end(kFlagLetters),
                                         [c](const FlagLetter& f) { return f.letter == c; });
        if (known != std::end(kFlagLetters)) {
            out.system |= known->bit;
        } else {
            out.other_letters += c;
        }
    }
    std::sort(out.other_letters.begin(), out.other_letters.end());
    out.other_letters.erase(std::unique(out.other_letters.begin(), out.other_letters.end()),
                            out.other_letters.end());
    return out;
}

std::string maildir_file_name(std::string_view name, std::uint8_t system) {
    const MaildirFileName parsed = parse_maildir_file_name(name);
    std::string letters = parsed.other_letters;
    for (const FlagLetter& f : kFlagLetters) {
        if ((system & f.bit) != 0) {
            letters += f.letter;
        }
    }
    std::sort(letters.begin(), letters.end());
    return parsed.base + ":2," + letters;
}

// ---- ImapIndex ----------------------------------------------------------------------------

namespace {

struct Statements {
    explicit Statements(sqlite::Database& db)
        : meta(db, "SELECT uidvalidity, uidnext, highestmodseq FROM meta WHERE id = 1"),
          set_meta(db, "UPDATE meta SET uidnext = ?1, highestmodseq = ?2 WHERE id = 1"),
          all_rows(db, select_rows("ORDER BY uid").c_str()),
          row(db, select_rows("WHERE uid = ?1").c_str()),
          insert(db,
                 "INSERT INTO messages (uid, key, name, in_new, flags, keywords, modseq, size, "
                 "rfc822_size, internal_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
          update(db,
                 "UPDATE messages SET name = ?2, in_new = ?3, flags = ?4, keywords = ?5, "
                 "modseq = ?6 WHERE uid = ?1"),
          remove(db, "DELETE FROM messages WHERE uid = ?1"),
          count(db, "SELECT count(*) FROM messages"),
          keywords(db, "SELECT name FROM keywords ORDER BY rowid"),
          keyword(db, "SELECT name FROM keywords WHERE name = ?1"),
          add_keyword(db, "INSERT INTO keywords (name) VALUES (?1)"),
          keyword_count(db, "SELECT count(*) FROM keywords") {}

    sqlite::Statement meta, set_meta, all_rows, row, insert, update, remove, count, keywords,
        keyword, add_keyword, keyword_count;
};

}  // namespace

struct ImapIndex::State {
    State(Maildir user_root_, Maildir folder_, const IndexLimits& limits_)
        : user_root(std::move(user_root_)),
          folder(std::move(folder_)),
          limits(limits_),
          db_path(folder.root() / kIndexFile),
          db(db_path.string()) {}

    Maildir user_root;
    Maildir folder;
    IndexLimits limits;
    fs::path db_path;
    std::optional<FileLock> lock;  // LOCK_SH on l7-imap.lock while open
    dev_t dev = 0;
    ino_t ino = 0;
    std::uint32_t uidvalidity = 0;
    sqlite::Database db;
    std::unique_ptr<Statements> sql;  // after db: finalised before it closes

    // -- checks --

    // The file this connection has open is still the folder's index.
    std::optional<MailboxError> check_current() const {
        struct stat st {};
        if (::stat(db_path.c_str(), &st) != 0 || st.st_ino != ino || st.st_dev != dev) {
            return fail(Code::stale, db_path.string() + " was removed or replaced");
        }
        return std::nullopt;
    }

    // The meta row, checked against the UIDVALIDITY this index was opened with.
    MailboxResult<Meta> load_meta() {
        auto use = sql->meta.use();
        if (!use.step()) {
            return fail(Code::stale, db_path.string() + ": the meta row is gone");
        }
        Meta m{use.int64(0), use.int64(1), use.int64(2)};
        if (m.uidvalidity != uidvalidity) {
            return fail(Code::stale, db_path.string() + ": UIDVALIDITY changed");
        }
        return m;
    }

    void save_meta(const Meta& m) {
        sql->set_meta.use().bind(1, m.uidnext).bind(2, m.highestmodseq).run();
    }

    std::vector<Row> load_rows() {
        std::vector<Row> rows;
        auto use = sql->all_rows.use();
        while (use.step()) {
            rows.push_back(row_from(use));
        }
        return rows;
    }

    std::optional<Row> load_row(std::uint32_t uid) {
        auto use = sql->row.use();
        use.bind(1, static_cast<std::int64_t>(uid));
        if (!use.step()) {
            return std::nullopt;
        }
        return row_from(use);
    }

    std::int64_t message_count() {
        auto use = sql->count.use();
        return use.step() ? use.int64(0) : 0;
    }

    void insert_row(const Row& r) {
        const std::string keywords = join_keywords(r.keywords);
        sql->insert.use()
            .bind(1, static_cast<std::int64_t>(r.uid))
            .bind(2, r.key)
            .bind(3, r.name)
            .bind(4, r.in_new ? 1 : 0)
            .bind(5, r.system)
            .bind(6, keywords)
            .bind(7, static_cast<std::int64_t>(r.modseq))
            .bind(8, static_cast<std::int64_t>(r.size))
            .bind(9, static_cast<std::int64_t>(r.rfc822_size))
            .bind(10, r.internal_date)
            .run();
    }

    void update_row(const Row& r) {
        const std::string keywords = join_keywords(r.keywords);
        sql->update.use()
            .bind(1, static_cast<std::int64_t>(r.uid))
            .bind(2, r.name)
            .bind(3, r.in_new ? 1 : 0)
            .bind(4, r.system)
            .bind(5, keywords)
            .bind(6, static_cast<std::int64_t>(r.modseq))
            .run();
    }

    void delete_row(std::uint32_t uid) {
        sql->remove.use().bind(1, static_cast<std::int64_t>(uid)).run();
    }

    // The folder's spelling of each keyword; new ones are added to the folder's list, within
    // max_keywords_per_folder.
    MailboxResult<std::vector<std::string>> define_keywords(std::vector<std::string> keywords) {
        std::int64_t defined = 0;
        {
            auto use = sql->keyword_count.use();
            defined = use.step() ? use.int64(0) : 0;
        }
        for (std::string& k : keywords) {
            auto use = sql->keyword.use();
            use.bind(1, k);
            if (use.step()) {
                k = use.text(0);
                continue;
            }
            if (static_cast<std::size_t>(defined) >= limits.max_keywords_per_folder) {
                return fail(Code::limit, "the folder has " +
                                             std::to_string(limits.max_keywords_per_folder) +
                                             " keywords already");
            }
            sql->add_keyword.use().bind(1, k).run();
            ++defined;
        }
        normalise_keywords(keywords);
        return keywords;
    }

    IndexedMessage message_of(const Row& r) const {
        IndexedMessage m;
        m.uid = r.uid;
        m.flags.system = r.system;
        m.flags.keywords = r.keywords;
        m.modseq = r.modseq;
        m.size = r.size;
        m.rfc822_size = r.rfc822_size;
        m.internal_date = r.internal_date;
        m.in_new = r.in_new;
        m.path = message_path(folder, r.name, r.in_new);
        return m;
    }

    // Follows a row's file to where another program put it: updates name, place and system
    // flags from the name found. False when the file is in neither new/ nor cur/.
    bool relocate(Row& r) const {
        auto found = find_by_key(folder, r.key);
        if (!found) {
            return false;
        }
        r.name = found->name;
        r.in_new = found->in_new;
        r.system = parse_maildir_file_name(r.name).system;
        return true;
    }

    // A StoreError as a MailboxError; corruption is marked for the next open to rebuild.
    MailboxError failure(const sqlite::StoreError& e) const {
        if (looks_corrupt(db, e)) {
            const int fd = ::open((folder.root() / kCorruptMarker).c_str(),
                                  O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
            if (fd >= 0) {
                ::close(fd);
            }
            return fail(Code::stale,
                        db_path.string() + ": corrupt, rebuilt at the next open: " + e.what());
        }
        return fail(Code::io, db_path.string() + ": " + e.what());
    }

    MailboxResult<FolderSnapshot> sync();
    MailboxResult<StoreOutcome> store(const std::vector<std::uint32_t>& uids, FlagChange change,
                                      const MessageFlags& flags,
                                      std::optional<std::uint64_t> unchanged_since);
    MailboxResult<AppendOutcome> append(std::string_view message, const MessageFlags& flags,
                                        std::int64_t internal_date, MaildirNamer& namer,
                                        std::int64_t now_micros);
    MailboxResult<CopyOutcome> copy(const std::vector<std::uint32_t>& uids, State& destination,
                                    MaildirNamer& namer, std::int64_t now_micros);
    MailboxResult<std::vector<std::uint32_t>> expunge(const std::vector<std::uint32_t>& uids,
                                                      bool only_deleted);
    MailboxResult<std::string> read(std::uint32_t uid);
};

namespace {

std::vector<std::uint32_t> sorted_unique(std::vector<std::uint32_t> uids) {
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
    uids.erase(std::remove(uids.begin(), uids.end(), 0U), uids.end());
    return uids;
}

// What differs between the rows and the files.
struct Difference {
    std::vector<std::size_t> gone;                                 // rows without a file
    std::vector<std::pair<std::size_t, const ListedFile*>> moved;  // renamed or taken to cur/
    std::vector<std::pair<std::string, const ListedFile*>> fresh;  // files without a row,
                                                                   // in delivery order
    bool empty() const { return gone.empty() && moved.empty() && fresh.empty(); }
};

Difference compare(const std::vector<Row>& rows, const Listing& files) {
    Difference d;
    std::unordered_set<std::string_view> known;
    known.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        known.insert(rows[i].key);
        auto it = files.find(rows[i].key);
        if (it == files.end()) {
            d.gone.push_back(i);
        } else if (it->second.name != rows[i].name || it->second.in_new != rows[i].in_new) {
            d.moved.emplace_back(i, &it->second);
        }
    }
    for (const auto& [key, file] : files) {
        if (!known.contains(key)) {
            d.fresh.emplace_back(key, &file);
        }
    }
    std::sort(d.fresh.begin(), d.fresh.end(), [](const auto& a, const auto& b) {
        return DeliveryOrder(a.second->name) < DeliveryOrder(b.second->name);
    });
    return d;
}

template <class S, class F>
auto guarded(S& s, F&& body) -> decltype(body()) {
    if (auto stale = s.check_current()) {
        return *stale;
    }
    try {
        return body();
    } catch (const sqlite::StoreError& e) {
        return s.failure(e);
    }
}

}  // namespace

MailboxResult<FolderSnapshot> ImapIndex::State::sync() {
    // Read only, no lock: most syncs find nothing to do.
    auto files = list_folder(folder);
    if (!files) {
        return files.error();
    }
    std::vector<Row> rows;
    Meta meta;
    {
        ReadTransaction read(db);
        auto m = load_meta();
        if (!m) {
            return m.error();
        }
        meta = *m;
        rows = load_rows();
    }
    Difference diff = compare(rows, *files);
    FolderSnapshot snap;
    if (!diff.empty()) {
        // New files are read (for their size as sent) before the write lock is taken.
        std::unordered_map<std::string, FileFacts> facts;
        for (const auto& [key, file] : diff.fresh) {
            if (auto f = examine_file(message_path(folder, file->name, file->in_new),
                                      limits.max_message_size)) {
                facts.emplace(key, *f);
            }
        }
        sqlite::Transaction write(db);
        auto m = load_meta();
        if (!m) {
            return m.error();
        }
        meta = *m;
        rows = load_rows();
        files = list_folder(folder);
        if (!files) {
            return files.error();
        }
        diff = compare(rows, *files);
        if (!diff.gone.empty()) {
            // A rename by another program may have hidden a file from readdir: look again
            // before any UID is given up.
            files = list_folder(folder);
            if (!files) {
                return files.error();
            }
            diff = compare(rows, *files);
        }
        const std::uint64_t modseq = static_cast<std::uint64_t>(meta.highestmodseq) + 1;
        bool changed = false;
        std::vector<bool> dropped(rows.size(), false);
        for (std::size_t i : diff.gone) {
            delete_row(rows[i].uid);
            snap.expunged.push_back(rows[i].uid);
            dropped[i] = true;
            changed = true;
        }
        for (auto& [i, file] : diff.moved) {
            Row& r = rows[i];
            r.name = file->name;
            r.in_new = file->in_new;
            const std::uint8_t system = parse_maildir_file_name(r.name).system;
            if (system != r.system) {
                r.system = system;
                r.modseq = modseq;
                changed = true;
            }
            update_row(r);
        }
        const std::size_t kept = rows.size() - diff.gone.size();
        const std::size_t room = limits.max_messages > kept ? limits.max_messages - kept : 0;
        std::size_t added = 0;
        for (const auto& [key, file] : diff.fresh) {
            if (added == room) {
                snap.over_limit = true;
                break;
            }
            std::optional<FileFacts> f;
            if (auto it = facts.find(key); it != facts.end()) {
                f = it->second;
            } else {
                f = examine_file(message_path(folder, file->name, file->in_new),
                                 limits.max_message_size);
            }
            if (!f) {
                continue;  // gone again; never indexed
            }
            if (static_cast<std::uint64_t>(meta.uidnext) >= kMaxUidNext) {
                return fail(Code::limit, db_path.string() + ": UIDs exhausted; reopen");
            }
            Row r;
            r.uid = static_cast<std::uint32_t>(meta.uidnext++);
            r.key = key;
            r.name = file->name;
            r.in_new = file->in_new;
            r.system = parse_maildir_file_name(file->name).system;
            r.modseq = modseq;
            r.size = f->size;
            r.rfc822_size = f->rfc822_size;
            r.internal_date = f->mtime;
            insert_row(r);
            if (r.in_new) {
                snap.first_seen.push_back(r.uid);
            }
            rows.push_back(std::move(r));
            dropped.push_back(false);
            ++added;
            changed = true;
        }
        if (changed) {
            meta.highestmodseq = static_cast<std::int64_t>(modseq);
            save_meta(meta);
        }
        write.commit();
        std::size_t kept_rows = 0;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (!dropped[i]) {
                if (kept_rows != i) {
                    rows[kept_rows] = std::move(rows[i]);
                }
                ++kept_rows;
            }
        }
        rows.resize(kept_rows);
    }
    snap.uidvalidity = static_cast<std::uint32_t>(meta.uidvalidity);
    snap.uidnext = static_cast<std::uint32_t>(meta.uidnext);
    snap.highestmodseq = static_cast<std::uint64_t>(meta.highestmodseq);
    snap.messages.reserve(rows.size());
    for (const Row& r : rows) {
        snap.messages.push_back(message_of(r));
    }
    return snap;
}

namespace {

MessageFlags flags_after(FlagChange change, std::uint8_t system,
                         const std::vector<std::string>& keywords, const MessageFlags& given) {
    MessageFlags out;
    switch (change) {
        case FlagChange::replace:
            out = given;
            break;
        case FlagChange::add:
            out.system = static_cast<std::uint8_t>(system | given.system);
            out.keywords = keywords;
            out.keywords.insert(out.keywords.end(), given.keywords.begin(), given.keywords.end());
            break;
        case FlagChange::remove:
            out.system = static_cast<std::uint8_t>(system & ~given.system);
            for (const std::string& k : keywords) {
                if (std::none_of(given.keywords.begin(), given.keywords.end(),
                                 [&](const std::string& g) { return equal_nocase(g, k); })) {
                    out.keywords.push_back(k);
                }
            }
            break;
    }
    normalise_keywords(out.keywords);
    return out;
}

}  // namespace

MailboxResult<StoreOutcome> ImapIndex::State::store(const std::vector<std::uint32_t>& uids,
                                                    FlagChange change, const MessageFlags& flags,
                                                    std::optional<std::uint64_t> unchanged_since) {
    if (auto bad = check_keywords(flags.keywords, limits)) {
        return *bad;
    }
    sqlite::Transaction write(db);
    auto meta = load_meta();
    if (!meta) {
        return meta.error();
    }
    MessageFlags given = flags;
    given.system &= 0x1f;
    if (change != FlagChange::remove) {
        auto spelt = define_keywords(given.keywords);
        if (!spelt) {
            return spelt.error();
        }
        given.keywords = std::move(*spelt);
    }
    // Every message's new flags first, so that a limit fails the STORE before any rename.
    std::vector<Row> rows;
    for (std::uint32_t uid : sorted_unique(uids)) {
        if (auto r = load_row(uid)) {
            const MessageFlags after = flags_after(change, r->system, r->keywords, given);
            if (after.keywords.size() > limits.max_keywords_per_message) {
                return fail(Code::limit, "more than " +
                                             std::to_string(limits.max_keywords_per_message) +
                                             " keywords on message " + std::to_string(uid));
            }
            rows.push_back(std::move(*r));
        }
    }
    StoreOutcome out;
    const std::uint64_t modseq = static_cast<std::uint64_t>(meta->highestmodseq) + 1;
    bool changed = false;
    for (Row& r : rows) {
        if (unchanged_since && r.modseq > *unchanged_since) {
            out.modified.push_back(r.uid);
            continue;
        }
        const Row before = r;
        // Start from the flags the file's name has now: another program may have renamed it
        // since the last sync.
        if (::access(message_path(folder, r.name, r.in_new).c_str(), F_OK) != 0 && !relocate(r)) {
            continue;  // gone: the next sync reports it expunged
        }
        MessageFlags after = flags_after(change, r.system, r.keywords, given);
        bool gone = false;
        for (int attempt = 0; after.system != r.system; ++attempt) {
            // The name carries the system flags: rename (into cur/, as readers do).
            const fs::path from = message_path(folder, r.name, r.in_new);
            const std::string target = maildir_file_name(r.name, after.system);
            if (::rename(from.c_str(), message_path(folder, target, false).c_str()) == 0) {
                r.name = target;
                r.in_new = false;
                r.system = after.system;
                break;
            }
            if (errno != ENOENT) {
                return errno_failure(from, "cannot rename", errno);
            }
            if (attempt > 0 || !relocate(r)) {
                gone = true;
                break;
            }
            after = flags_after(change, r.system, r.keywords, given);
        }
        if (gone) {
            continue;
        }
        StoredFlags stored;
        stored.uid = r.uid;
        if (after.system != before.system || after.keywords != before.keywords) {
            r.keywords = after.keywords;
            r.modseq = modseq;
            stored.changed = true;
            changed = true;
        }
        if (stored.changed || r.name != before.name || r.in_new != before.in_new) {
            update_row(r);
        }
        stored.flags.system = r.system;
        stored.flags.keywords = r.keywords;
        stored.modseq = r.modseq;
        out.messages.push_back(std::move(stored));
    }
    if (auto ec = sync_directories(folder)) {
        return errno_failure(folder.root(), "cannot sync", ec.value());
    }
    if (changed) {
        meta->highestmodseq = static_cast<std::int64_t>(modseq);
        save_meta(*meta);
    }
    write.commit();
    out.highestmodseq = static_cast<std::uint64_t>(meta->highestmodseq);
    return out;
}

MailboxResult<AppendOutcome> ImapIndex::State::append(std::string_view message,
                                                      const MessageFlags& flags,
                                                      std::int64_t internal_date,
                                                      MaildirNamer& namer,
                                                      std::int64_t now_micros) {
    if (message.size() > limits.max_message_size) {
        return fail(Code::limit,
                    "message larger than " + std::to_string(limits.max_message_size) + " octets");
    }
    if (auto bad = check_keywords(flags.keywords, limits)) {
        return *bad;
    }
    sqlite::Transaction write(db);
    auto meta = load_meta();
    if (!meta) {
        return meta.error();
    }
    if (static_cast<std::uint64_t>(message_count()) >= limits.max_messages) {
        return fail(Code::limit, folder.root().string() + ": the folder is full");
    }
    if (static_cast<std::uint64_t>(meta->uidnext) >= kMaxUidNext) {
        return fail(Code::limit, db_path.string() + ": UIDs exhausted; reopen");
    }
    auto keywords = define_keywords(flags.keywords);
    if (!keywords) {
        return keywords.error();
    }
    const std::uint8_t system = flags.system & 0x1f;
    const std::string name = namer.next(now_micros, message.size());
    auto delivered = folder.deliver(message, name);
    if (!delivered) {
        return fail(Code::io, delivered.error().message);
    }
    MadeFiles made(folder);
    made.add(*delivered);
    if (!set_mtime(*delivered, internal_date)) {
        return errno_failure(*delivered, "cannot set the internal date", errno);
    }
    Row r;
    r.uid = static_cast<std::uint32_t>(meta->uidnext);
    r.key = name;
    r.name = name;
    r.in_new = true;
    if (system != 0) {
        r.name = maildir_file_name(name, system);
        r.in_new = false;
        const fs::path to = message_path(folder, r.name, false);
        if (::rename(delivered->c_str(), to.c_str()) != 0) {
            return errno_failure(*delivered, "cannot rename", errno);
        }
        made.replace_last(to);
        if (auto ec = sync_directories(folder)) {
            return errno_failure(folder.root(), "cannot sync", ec.value());
        }
    }
    r.system = system;
    r.keywords = std::move(*keywords);
    r.modseq = static_cast<std::uint64_t>(meta->highestmodseq) + 1;
    r.size = message.size();
    r.rfc822_size = crlf_size(message);
    r.internal_date = internal_date;
    insert_row(r);
    meta->uidnext += 1;
    meta->highestmodseq += 1;
    save_meta(*meta);
    write.commit();
    made.keep();
    return AppendOutcome{uidvalidity, r.uid};
}

MailboxResult<CopyOutcome> ImapIndex::State::copy(const std::vector<std::uint32_t>& uids, State& to,
                                                  MaildirNamer& namer, std::int64_t now_micros) {
    std::vector<Row> rows;
    try {
        ReadTransaction read(db);
        for (std::uint32_t uid : sorted_unique(uids)) {
            if (auto r = load_row(uid)) {
                rows.push_back(std::move(*r));
            }
        }
    } catch (const sqlite::StoreError& e) {
        return failure(e);
    }
    sqlite::Transaction write(to.db);
    auto meta = to.load_meta();
    if (!meta) {
        return meta.error();
    }
    if (static_cast<std::uint64_t>(to.message_count()) + rows.size() > to.limits.max_messages) {
        return fail(Code::limit, to.folder.root().string() + ": the folder would be too full");
    }
    CopyOutcome out;
    out.uidvalidity = to.uidvalidity;
    MadeFiles made(to.folder);
    const std::uint64_t modseq = static_cast<std::uint64_t>(meta->highestmodseq) + 1;
    for (Row& r : rows) {
        if (static_cast<std::uint64_t>(meta->uidnext) >= kMaxUidNext) {
            return fail(Code::limit, to.db_path.string() + ": UIDs exhausted; reopen");
        }
        auto keywords = to.define_keywords(r.keywords);  // the destination's spelling
        if (!keywords) {
            return keywords.error();
        }
        // A new name: the same message may be copied into one folder twice.
        const std::string base = namer.next(now_micros, r.size);
        const bool into_new = r.in_new && r.system == 0;
        const std::string name = into_new ? base : maildir_file_name(base, r.system);
        const fs::path target = message_path(to.folder, name, into_new);
        bool gone = false;
        for (int attempt = 0;; ++attempt) {
            const fs::path source = message_path(folder, r.name, r.in_new);
            if (::link(source.c_str(), target.c_str()) == 0) {
                break;
            }
            const int error = errno;
            if (error == ENOENT && attempt < 2) {
                // Renamed since its row was read: by a session of ours, or another program.
                std::optional<Row> now;
                try {
                    now = load_row(r.uid);
                } catch (const sqlite::StoreError& e) {
                    return failure(e);
                }
                if (now && (now->name != r.name || now->in_new != r.in_new)) {
                    r.name = now->name;
                    r.in_new = now->in_new;
                } else if (!relocate(r)) {
                    gone = true;
                    break;
                }
                continue;
            }
            if (error != EXDEV && error != EPERM && error != EMLINK && error != EOPNOTSUPP) {
                return errno_failure(target, "cannot link", error);
            }
            // No hard link here (another file system, or not allowed): copy the bytes.
            auto bytes =
                folder.read(MaildirMessage{r.name, r.in_new, {}, r.size}, limits.max_message_size);
            if (!bytes) {
                return fail(Code::io, bytes.error().message);
            }
            std::error_code ec;
            auto staged = StagedFile::create(to.folder.root() / "tmp", ec);
            if (!staged || (ec = staged->write(*bytes))) {
                return errno_failure(to.folder.root() / "tmp", "cannot write", ec.value());
            }
            if (!set_mtime(staged->path(), r.internal_date)) {
                return errno_failure(staged->path(), "cannot set the internal date", errno);
            }
            if ((ec = staged->create_new(target))) {
                return errno_failure(target, "cannot create", ec.value());
            }
            break;
        }
        if (gone) {
            continue;  // expunged meanwhile: not copied (RFC 3501 allows either)
        }
        made.add(target);
        Row copied = r;
        copied.uid = static_cast<std::uint32_t>(meta->uidnext++);
        copied.key = base;
        copied.name = name;
        copied.in_new = into_new;
        copied.keywords = std::move(*keywords);
        copied.modseq = modseq;
        to.insert_row(copied);
        out.uids.emplace_back(r.uid, copied.uid);
    }
    if (auto ec = sync_directories(to.folder)) {
        return errno_failure(to.folder.root(), "cannot sync", ec.value());
    }
    if (!out.uids.empty()) {
        meta->highestmodseq = static_cast<std::int64_t>(modseq);
        to.save_meta(*meta);
    }
    write.commit();
    made.keep();
    return out;
}

MailboxResult<std::vector<std::uint32_t>> ImapIndex::State::expunge(
    const std::vector<std::uint32_t>& uids, bool only_deleted) {
    sqlite::Transaction write(db);
    auto meta = load_meta();
    if (!meta) {
        return meta.error();
    }
    std::vector<std::uint32_t> removed;
    for (std::uint32_t uid : sorted_unique(uids)) {
        auto r = load_row(uid);
        if (!r || (only_deleted && (r->system & MessageFlags::kDeleted) == 0)) {
            continue;
        }
        for (int attempt = 0;; ++attempt) {
            const fs::path path = message_path(folder, r->name, r->in_new);
            if (::unlink(path.c_str()) == 0) {
                break;
            }
            if (errno != ENOENT) {
                return errno_failure(path, "cannot remove", errno);
            }
            if (attempt > 0 || !relocate(*r)) {
                break;  // gone already
            }
        }
        delete_row(uid);
        removed.push_back(uid);
    }
    if (!removed.empty()) {
        if (auto ec = sync_directories(folder)) {
            return errno_failure(folder.root(), "cannot sync", ec.value());
        }
        meta->highestmodseq += 1;
        save_meta(*meta);
    }
    write.commit();
    return removed;
}

MailboxResult<std::string> ImapIndex::State::read(std::uint32_t uid) {
    auto r = load_row(uid);
    if (!r) {
        return fail(Code::nonexistent, "no message with UID " + std::to_string(uid));
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
        auto bytes =
            folder.read(MaildirMessage{r->name, r->in_new, {}, r->size}, limits.max_message_size);
        if (bytes) {
            return std::move(*bytes);
        }
        const fs::path path = message_path(folder, r->name, r->in_new);
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0) {
            return fail(static_cast<std::uint64_t>(st.st_size) > limits.max_message_size
                            ? Code::limit
                            : Code::io,
                        bytes.error().message);
        }
        auto now = load_row(uid);
        if (!now) {
            return fail(Code::nonexistent, "message " + std::to_string(uid) + " was expunged");
        }
        if (now->name != r->name || now->in_new != r->in_new) {
            r = std::move(now);
        } else if (!relocate(*r)) {
            return fail(Code::nonexistent, "message " + std::to_string(uid) + " is gone");
        }
    }
    return fail(Code::io, "message " + std::to_string(uid) + " keeps moving");
}

// ---- Opening --------------------------------------------------------------------------------

namespace {

// A fresh schema in the open file, under the write lock (another opener may have done it
// meanwhile: then it is left alone).
template <class S>
std::optional<MailboxError> initialise(S& state, const FolderTree& tree, std::int64_t now) {
    sqlite::Transaction write(state.db);
    if (inspect(state.db, state.limits) == Health::ok) {
        write.commit();
        return std::nullopt;
    }
    auto uidvalidity = tree.next_uidvalidity(now);
    if (!uidvalidity) {
        return uidvalidity.error();
    }
    state.db.exec(
        "DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS messages; "
        "DROP TABLE IF EXISTS keywords;");
    state.db.exec(kSchema);
    sqlite::Statement meta(state.db,
                           "INSERT INTO meta (id, version, uidvalidity, uidnext, highestmodseq) "
                           "VALUES (1, ?1, ?2, 1, 1)");
    meta.use().bind(1, kSchemaVersion).bind(2, static_cast<std::int64_t>(*uidvalidity)).run();
    write.commit();
    return std::nullopt;
}

// Moves a corrupt index aside and removes the WAL and shared-memory files that belonged to
// it (or to a deleted index): a new file must not start from them.
std::optional<MailboxError> clear_index_files(const Maildir& folder, bool keep_as_corrupt) {
    const fs::path db = folder.root() / kIndexFile;
    if (keep_as_corrupt && ::rename(db.c_str(), (db.string() + ".corrupt").c_str()) != 0 &&
        errno != ENOENT) {
        return errno_failure(db, "cannot move aside", errno);
    }
    for (const std::string& extra :
         {db.string() + "-wal", db.string() + "-shm", (folder.root() / kCorruptMarker).string()}) {
        if (::unlink(extra.c_str()) != 0 && errno != ENOENT) {
            return errno_failure(extra, "cannot remove", errno);
        }
    }
    if (auto ec = sync_directory(folder.root())) {
        return errno_failure(folder.root(), "cannot sync", ec.value());
    }
    return std::nullopt;
}

}  // namespace

MailboxResult<ImapIndex> ImapIndex::open(const Maildir& user_root, std::string_view name,
                                         std::int64_t now, IndexLimits limits) {
    FolderTree tree(user_root);
    auto folder = tree.folder(name);
    if (!folder) {
        return folder.error();
    }
    if (FolderTree::is_inbox(name) && !folder->exists()) {
        if (auto ec = folder->create()) {
            return errno_failure(folder->root(), "cannot create", ec.value());
        }
    }
    if (!folder->exists()) {
        return fail(Code::nonexistent, "no folder " + std::string(name));
    }
    auto lock = FileLock::acquire(folder->root() / kIndexLockFile, LOCK_SH);
    if (!lock || !folder->exists()) {
        if (!folder->exists()) {
            return fail(Code::nonexistent, "no folder " + std::string(name));
        }
        return lock.error();
    }
    const fs::path db_path = folder->root() / kIndexFile;
    // Ready: statements prepared, identity and UIDVALIDITY noted, the shared lock kept.
    auto ready = [&](std::unique_ptr<State> state) -> MailboxResult<ImapIndex> {
        struct stat st {};
        if (::stat(db_path.c_str(), &st) != 0) {
            return errno_failure(db_path, "cannot stat", errno);
        }
        state->dev = st.st_dev;
        state->ino = st.st_ino;
        state->sql = std::make_unique<Statements>(state->db);
        auto use = state->sql->meta.use();
        if (!use.step()) {
            return fail(Code::io, db_path.string() + ": no meta row");
        }
        state->uidvalidity = static_cast<std::uint32_t>(use.int64(0));
        state->lock = std::move(*lock);
        return ImapIndex(std::move(state));
    };
    try {
        std::error_code ec;
        const bool missing = !fs::exists(db_path, ec);
        // WAL and shared-memory files without their database: it was deleted while open.
        const bool leftovers =
            fs::exists(db_path.string() + "-wal", ec) || fs::exists(db_path.string() + "-shm", ec);
        if (!missing || !leftovers) {
            auto state = std::make_unique<State>(user_root, *folder, limits);
            const Health health = probe(*state);
            if (health == Health::ok) {
                return ready(std::move(state));
            }
            if (health == Health::init) {  // in place: SQLite's locks order the openers
                if (auto failed = initialise(*state, tree, now)) {
                    return *failed;
                }
                return ready(std::move(state));
            }
        }
        // A new file: only while nobody else has the old one open, for SQLite removes a WAL
        // by its name when the last connection to a database closes.
        if (!lock->relock(LOCK_EX | LOCK_NB)) {
            return fail(Code::in_use,
                        db_path.string() + " must be rebuilt, but other sessions have it open");
        }
        bool corrupt = false;
        if (fs::exists(db_path, ec)) {
            auto state = std::make_unique<State>(user_root, *folder, limits);
            corrupt = probe(*state) == Health::corrupt;
            if (!corrupt) {  // repaired by another opener meanwhile
                if (auto failed = initialise(*state, tree, now)) {
                    return *failed;
                }
                if (!lock->relock(LOCK_SH)) {
                    return errno_failure(folder->root() / kIndexLockFile, "cannot lock", errno);
                }
                return ready(std::move(state));
            }
        }
        if (auto failed = clear_index_files(*folder, corrupt)) {
            return *failed;
        }
        auto state = std::make_unique<State>(user_root, *folder, limits);
        if (probe(*state) == Health::corrupt) {
            return fail(Code::io, db_path.string() + ": a new index is corrupt at once");
        }
        if (auto failed = initialise(*state, tree, now)) {
            return *failed;
        }
        if (!lock->relock(LOCK_SH)) {
            return errno_failure(folder->root() / kIndexLockFile, "cannot lock", errno);
        }
        return ready(std::move(state));
    } catch (const sqlite::StoreError& e) {
        return fail(Code::io, db_path.string() + ": " + e.what());
    }
}

ImapIndex::ImapIndex(std::unique_ptr<State> state) : state_(std::move(state)) {}
ImapIndex::ImapIndex(ImapIndex&&) noexcept = default;
ImapIndex& ImapIndex::operator=(ImapIndex&&) noexcept = default;
ImapIndex::~ImapIndex() = default;

const Maildir& ImapIndex::maildir() const {
    return state_->folder;
}

std::uint32_t ImapIndex::uidvalidity() const {
    return state_->uidvalidity;
}

const IndexLimits& ImapIndex::limits() const {
    return state_->limits;
}

MailboxResult<FolderSnapshot> ImapIndex::sync() {
    return guarded(*state_, [&] { return state_->sync(); });
}

MailboxResult<StoreOutcome> ImapIndex::store(const std::vector<std::uint32_t>& uids,
                                             FlagChange change, const MessageFlags& flags,
                                             std::optional<std::uint64_t> unchanged_since) {
    return guarded(*state_, [&] { return state_->store(uids, change, flags, unchanged_since); });
}

MailboxResult<AppendOutcome> ImapIndex::append(std::string_view message, const MessageFlags& flags,
                                               std::int64_t internal_date, MaildirNamer& namer,
                                               std::int64_t now_micros) {
    return guarded(
        *state_, [&] { return state_->append(message, flags, internal_date, namer, now_micros); });
}

MailboxResult<CopyOutcome> ImapIndex::copy(const std::vector<std::uint32_t>& uids,
                                           ImapIndex& destination, MaildirNamer& namer,
                                           std::int64_t now_micros) {
    if (auto stale = state_->check_current()) {
        return *stale;
    }
    State& to = *destination.state_;
    return guarded(to, [&] { return state_->copy(uids, to, namer, now_micros); });
}

MailboxResult<std::vector<std::uint32_t>> ImapIndex::expunge(const std::vector<std::uint32_t>& uids,
                                                             bool only_deleted) {
    return guarded(*state_, [&] { return state_->expunge(uids, only_deleted); });
}

MailboxResult<std::string> ImapIndex::read(std::uint32_t uid) {
    return guarded(*state_, [&] { return state_->read(uid); });
}

MailboxResult<std::vector<std::string>> ImapIndex::keywords() {
    return guarded(*state_, [&]() -> MailboxResult<std::vector<std::string>> {
        std::vector<std::string> out;
        auto use = state_->sql->keywords.use();
        while (use.step()) {
            out.push_back(use.text(0));
        }
        return out;
    });
}

// ---- FolderTree -----------------------------------------------------------------------------

namespace {

// The folders on disk: ROOT/.NAME directories that are Maildirs, with valid names.
std::set<std::string> folder_names(const Maildir& root) {
    std::set<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(root.root(), ec), end; !ec && it != end; it.increment(ec)) {
        const std::string dir = it->path().filename().string();
        if (dir.size() < 2 || dir.front() != '.') {
            continue;
        }
        std::string name = dir.substr(1);
        std::error_code type_ec;
        if (is_valid_folder_name(name) && it->is_directory(type_ec) &&
            Maildir(it->path()).exists()) {
            out.insert(std::move(name));
        }
    }
    return out;
}

// The superior names of "a.b.c": "a", "a.b".
std::vector<std::string> parents_of(std::string_view name) {
    std::vector<std::string> out;
    for (std::size_t at = name.find(FolderTree::kDelimiter); at != std::string_view::npos;
         at = name.find(FolderTree::kDelimiter, at + 1)) {
        out.emplace_back(name.substr(0, at));
    }
    return out;
}

// A name CREATE and RENAME may make: printable ASCII (modified UTF-7 is), valid, room for
// the leading '.' in 255 octets, no empty last level.
std::optional<MailboxError> check_new_name(std::string_view name) {
    if (FolderTree::is_inbox(name)) {
        return fail(Code::already_exists, "INBOX exists");
    }
    const bool printable = std::all_of(name.begin(), name.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
    });
    if (!is_valid_folder_name(name) || !printable || name.size() > 254 ||
        name.back() == FolderTree::kDelimiter) {
        return fail(Code::invalid, "not a folder name: " + std::string(name));
    }
    return std::nullopt;
}

std::optional<MailboxError> make_folder(const Maildir& root, std::string_view name) {
    const Maildir folder = root.folder(name);
    if (auto ec = folder.create()) {
        return errno_failure(folder.root(), "cannot create", ec.value());
    }
    // Maildir++ marks a folder so that delivery agents (maildrop, Dovecot's LDA) know it.
    const fs::path marker = folder.root() / "maildirfolder";
    const int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return errno_failure(marker, "cannot create", errno);
    }
    ::close(fd);
    return std::nullopt;
}

MailboxResult<FileLock> lock_folders(const Maildir& root) {
    std::error_code ec;
    fs::create_directories(root.root(), ec);
    if (ec) {
        return errno_failure(root.root(), "cannot create", ec.value());
    }
    return FileLock::acquire(root.root() / kFoldersLockFile, LOCK_EX);
}

}  // namespace

bool FolderTree::is_inbox(std::string_view name) {
    return equal_nocase(name, "INBOX");
}

MailboxResult<Maildir> FolderTree::folder(std::string_view name) const {
    if (is_inbox(name)) {
        return root_;
    }
    if (!is_valid_folder_name(name)) {
        return fail(Code::invalid, "not a folder name: " + std::string(name));
    }
    return root_.folder(name);
}

bool FolderTree::exists(std::string_view name) const {
    auto f = folder(name);
    return f && f->exists();
}

MailboxResult<std::vector<FolderEntry>> FolderTree::list() const {
    std::map<std::string, FolderEntry> entries;
    FolderEntry inbox{"INBOX", true, false};
    for (const std::string& name : folder_names(root_)) {
        FolderEntry& e = entries[name];
        e.name = name;
        e.selectable = true;
        for (const std::string& parent : parents_of(name)) {
            if (is_inbox(parent)) {
                inbox.has_children = true;
                continue;
            }
            FolderEntry& p = entries[parent];
            if (p.name.empty()) {
                p.name = parent;
                p.selectable = false;
            }
            p.has_children = true;
        }
    }
    std::vector<FolderEntry> out{inbox};
    for (auto& [name, entry] : entries) {
        if (!is_inbox(name)) {
            out.push_back(std::move(entry));
        }
    }
    return out;
}

MailboxResult<bool> FolderTree::create(std::string_view name) const {
    if (auto bad = check_new_name(name)) {
        return *bad;
    }
    auto lock = lock_folders(root_);
    if (!lock) {
        return lock.error();
    }
    if (exists(name)) {
        return fail(Code::already_exists, std::string(name) + " exists");
    }
    if (auto ec = root_.create()) {
        return errno_failure(root_.root(), "cannot create", ec.value());
    }
    for (const std::string& parent : parents_of(name)) {
        if (!is_inbox(parent) && !exists(parent)) {
            if (auto failed = make_folder(root_, parent)) {
                return *failed;
            }
        }
    }
    if (auto failed = make_folder(root_, name)) {
        return *failed;
    }
    if (auto ec = sync_directory(root_.root())) {
        return errno_failure(root_.root(), "cannot sync", ec.value());
    }
    return true;
}

MailboxResult<bool> FolderTree::remove(std::string_view name) const {
    if (is_inbox(name)) {
        return fail(Code::invalid, "INBOX cannot be deleted");
    }
    if (!is_valid_folder_name(name)) {
        return fail(Code::invalid, "not a folder name: " + std::string(name));
    }
    auto lock = lock_folders(root_);
    if (!lock) {
        return lock.error();
    }
    if (!exists(name)) {
        return fail(Code::nonexistent, "no folder " + std::string(name));
    }
    const Maildir folder = root_.folder(name);
    // Nobody may have it open: its connections would later remove the WAL of a folder made
    // under the same name.
    auto in_use = FileLock::acquire(folder.root() / kIndexLockFile, LOCK_EX | LOCK_NB);
    if (!in_use) {
        return in_use.error();
    }
    // Out of sight in one step, then removed at leisure (a crash leaves only the trash).
    const fs::path trash = root_.root() / kTrashDirectory;
    std::error_code ec;
    fs::remove_all(trash, ec);
    if (::rename(folder.root().c_str(), trash.c_str()) != 0) {
        return errno_failure(folder.root(), "cannot remove", errno);
    }
    if (auto synced = sync_directory(root_.root())) {
        return errno_failure(root_.root(), "cannot sync", synced.value());
    }
    fs::remove_all(trash, ec);
    return true;
}

MailboxResult<bool> FolderTree::rename(std::string_view from, std::string_view to,
                                       MaildirNamer& namer, std::int64_t now_micros,
                                       const IndexLimits& limits) const {
    if (auto bad = check_new_name(to)) {
        return *bad;
    }
    if (is_inbox(from)) {
        if (auto made = create(to); !made) {
            return made.error();
        }
        // RFC 3501 6.3.5: INBOX's messages move into the new folder; INBOX stays, empty.
        const std::int64_t now = now_micros / 1'000'000;
        auto inbox = ImapIndex::open(root_, "INBOX", now, limits);
        if (!inbox) {
            return inbox.error();
        }
        auto target = ImapIndex::open(root_, to, now, limits);
        if (!target) {
            return target.error();
        }
        auto snap = inbox->sync();
        if (!snap) {
            return snap.error();
        }
        std::vector<std::uint32_t> uids;
        for (const IndexedMessage& m : snap->messages) {
            uids.push_back(m.uid);
        }
        if (!uids.empty()) {
            if (auto copied = inbox->copy(uids, *target, namer, now_micros); !copied) {
                return copied.error();
            }
            if (auto expunged = inbox->expunge(uids, false); !expunged) {
                return expunged.error();
            }
        }
        return true;
    }
    if (!is_valid_folder_name(from)) {
        return fail(Code::invalid, "not a folder name: " + std::string(from));
    }
    const std::string prefix = std::string(from) + kDelimiter;
    if (to.starts_with(prefix)) {
        return fail(Code::invalid, "cannot rename " + std::string(from) + " into itself");
    }
    auto lock = lock_folders(root_);
    if (!lock) {
        return lock.error();
    }
    // The folder and its children, each under its new name; nothing is renamed unless all can be.
    const std::set<std::string> names = folder_names(root_);
    std::vector<std::pair<std::string, std::string>> moves;
    for (const std::string& name : names) {
        if (name == from || name.starts_with(prefix)) {
            moves.emplace_back(name, std::string(to) + name.substr(from.size()));
        }
    }
    if (moves.empty()) {
        return fail(Code::nonexistent, "no folder " + std::string(from));
    }
    std::vector<FileLock> in_use;
    for (const auto& [old_name, new_name] : moves) {
        if (new_name.size() > 254) {
            return fail(Code::invalid, "name too long: " + new_name);
        }
        if (names.contains(new_name) || exists(new_name)) {
            return fail(Code::already_exists, new_name + " exists");
        }
        auto held =
            FileLock::acquire(root_.folder(old_name).root() / kIndexLockFile, LOCK_EX | LOCK_NB);
        if (!held) {
            return held.error();
        }
        in_use.push_back(std::move(*held));
    }
    for (const std::string& parent : parents_of(to)) {
        if (!is_inbox(parent) && !exists(parent)) {
            if (auto failed = make_folder(root_, parent)) {
                return *failed;
            }
        }
    }
    for (const auto& [old_name, new_name] : moves) {
        const fs::path source = root_.folder(old_name).root();
        if (::rename(source.c_str(), root_.folder(new_name).root().c_str()) != 0) {
            return errno_failure(source, "cannot rename", errno);
        }
    }
    if (auto ec = sync_directory(root_.root())) {
        return errno_failure(root_.root(), "cannot sync", ec.value());
    }
    return true;
}

MailboxResult<std::vector<std::string>> FolderTree::subscriptions() const {
    const fs::path path = root_.root() / kSubscriptionsFile;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        return std::vector<std::string>{};
    }
    auto text = read_small_file(path, kMaxSubscriptionsFile);
    if (!text) {
        return fail(Code::io, path.string() + ": unreadable or larger than " +
                                  std::to_string(kMaxSubscriptionsFile) + " octets");
    }
    std::vector<std::string> out;
    std::string_view rest = *text;
    while (!rest.empty() && out.size() < kMaxSubscriptions) {
        const std::size_t end = rest.find('\n');
        std::string_view line = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        if (!line.empty()) {
            out.emplace_back(line);
        }
    }
    return out;
}

MailboxResult<bool> FolderTree::set_subscribed(std::string_view name, bool subscribed) const {
    const std::string stored = is_inbox(name) ? std::string("INBOX") : std::string(name);
    if (!is_inbox(name) && !is_valid_folder_name(name)) {
        return fail(Code::invalid, "not a folder name: " + stored);
    }
    auto lock = lock_folders(root_);
    if (!lock) {
        return lock.error();
    }
    auto names = subscriptions();
    if (!names) {
        return names.error();
    }
    auto it = std::find(names->begin(), names->end(), stored);
    if (subscribed == (it != names->end())) {
        return true;
    }
    if (subscribed) {
        if (names->size() >= kMaxSubscriptions) {
            return fail(Code::limit,
                        "more than " + std::to_string(kMaxSubscriptions) + " subscriptions");
        }
        names->push_back(stored);
    } else {
        names->erase(std::remove(names->begin(), names->end(), stored), names->end());
    }
    std::string text;
    for (const std::string& n : *names) {
        text += n;
        text += '\n';
    }
    const fs::path path = root_.root() / kSubscriptionsFile;
    if (auto ec = write_file_atomically(path, text, 0600)) {
        return errno_failure(path, "cannot write", ec.value());
    }
    return true;
}

MailboxResult<std::uint32_t> FolderTree::next_uidvalidity(std::int64_t now) const {
    auto lock = lock_folders(root_);
    if (!lock) {
        return lock.error();
    }
    const fs::path path = root_.root() / kUidValidityFile;
    std::int64_t last = 0;
    if (auto text = read_small_file(path, 64)) {
        for (char c : *text) {
            if (c < '0' || c > '9' || last > std::numeric_limits<std::int64_t>::max() / 10 - 9) {
                break;
            }
            last = last * 10 + (c - '0');
        }
    }
    const std::int64_t next = std::max<std::int64_t>({now, last + 1, 1});
    if (next > static_cast<std::int64_t>(std::numeric_limits<std::uint32_t>::max())) {
        return fail(Code::limit, path.string() + ": UIDVALIDITY values exhausted");
    }
    if (auto ec = write_file_atomically(path, std::to_string(next) + "\n", 0600)) {
        return errno_failure(path, "cannot write", ec.value());
    }
    return static_cast<std::uint32_t>(next);
}

}  // namespace l7::mail
