#pragma once
// IMAP's view of a Maildir folder (RFC 3501 2.3.1 and 2.3.2, RFC 4315 UIDPLUS, RFC 7162
// CONDSTORE): unique identifiers, UIDVALIDITY, UIDNEXT, flags and modification sequences in a
// SQLite index beside the messages, and the user's tree of Maildir++ folders with its
// subscriptions.
//
// Theory of operation
//
//   ROOT/                     INBOX (the user's Maildir)
//   ROOT/l7-imap.sqlite       INBOX's index (plus -wal, -shm), ROOT/l7-imap.lock
//   ROOT/.Sent/               the folder "Sent"; ROOT/.Lists.l7/ is "Lists.l7" ('.' is the
//   ROOT/.Sent/l7-imap.sqlite   hierarchy delimiter); each folder has its own index
//   ROOT/subscriptions        subscribed names, one a line (Courier and Dovecot keep this file)
//   ROOT/l7-imap-uidvalidity  the highest UIDVALIDITY ever given to one of the user's folders
//   ROOT/l7-imap-folders.lock flock(2) for CREATE/DELETE/RENAME, subscriptions, UIDVALIDITY
//
// Each open ImapIndex holds a shared flock on its folder's l7-imap.lock. Whatever replaces
// an index file or moves a folder's directory (rebuilding a lost or corrupt index, DELETE,
// RENAME) needs it exclusively and is refused with Code::in_use while any session, the
// caller's own included, has the folder open: SQLite removes a WAL file by its name when a
// database's last connection closes, and an old connection must never meet a new file.
//
// Who is the truth for what. The Maildir's files say which messages exist and their system
// flags, in the name's info ":2,<letters>" (D \Draft, F \Flagged, R \Answered, S \Seen,
// T \Deleted, sorted; cr.yp.to/proto/maildir.html), so that mutt, Dovecot and our POP3 server
// see them. The index says what only IMAP needs: a message's UID (keyed by the name before
// ':', which renames keep), its keywords ($Forwarded, NonJunk: only here), its modification
// sequence, and its size as sent and internal date. \Recent is no flag on disk: a session
// decides; sync() says which UIDs it was the first to give to files still in new/.
//
//   auto index = ImapIndex::open(user_root, "INBOX", now);     // SELECT
//   auto snap = index->sync();    // files <-> rows: new UIDs, expunged UIDs, renames
//   index->store({4, 5}, FlagChange::add, seen);                // renames the files
//   index->append(bytes, flags, date, namer, now_micros);       // APPENDUID
//   index->copy({4}, *other, namer, now_micros);                // COPYUID
//   index->expunge(uids, /*only_deleted=*/true);                // EXPUNGE, UID EXPUNGE
//
// sync() lists new/ and cur/, compares them with the rows, and when something differs, takes
// the write lock, lists again and applies the difference in one transaction: unknown files get
// UIDs from UIDNEXT in delivery order (names start with the time), rows whose file is gone
// are dropped (their UIDs are reported as expunged), and names renamed by other programs give
// their row the new flags and a new modseq. Nothing changed: no write at all. A session keeps
// its own snapshot and compares it with each new one: another session may have been the one
// whose sync dropped a row (RFC 3501 7.4.1 EXPUNGE, 7.4.2 FETCH FLAGS).
//
// Concurrency. Any number of sessions and processes may open one folder. Every l7 change to a
// folder's files (rename for flags, append, copy in, expunge) happens inside the index's
// write transaction (BEGIN IMMEDIATE, WAL, busy timeout), so l7 sessions never race each other;
// other programs (mutt, a POP3 client, the SMTP delivery) rename, delete and add files at any
// time, and each operation copes: a file gone from its recorded name is looked for by its key
// in new/ and cur/, and a message gone from both is left for the next sync to expunge. A
// listing is repeated while the directories' mtimes change under it, and once more when it
// misses a file, before any row is dropped.
//
// Crashes. File operations are fsynced (file and directory) before the transaction that
// records them commits, and each commit is durable (synchronous=FULL). A crash in between
// leaves a file the index does not know about (the next sync gives it a UID: an APPEND or
// COPY that was never answered may show up), a renamed file (the next sync takes its flags
// from the name; only the keywords of that unanswered STORE are lost) or a row whose file is
// gone (the next sync expunges it). UIDs are never reused under one UIDVALIDITY.
//
// Rebuilding. A missing index, one SQLite calls corrupt (moved aside to
// l7-imap.sqlite.corrupt; corruption an operation meets is marked for the next open) or one
// without its meta row or schema is rebuilt from the Maildir with a new UIDVALIDITY (RFC 3501
// 2.3.1.1): the caller's `now` (seconds), and strictly above every UIDVALIDITY recorded in
// ROOT/l7-imap-uidvalidity, so deleting and recreating a folder, or losing an index, never
// brings an old UIDVALIDITY back. Keywords are lost with the index; system flags are not (they
// are in the names). An ImapIndex whose file was replaced, removed or reset by another
// session under it fails with MailboxError::Code::stale: the session must end (BYE),
// for RFC 3501 allows no UIDVALIDITY change within a session.
//
// Limits (IndexLimits): messages indexed per folder (files beyond it wait, unindexed, and the
// snapshot says over_limit), keywords per message and per folder, keyword length, message
// size for append and read. UIDs stay below 2^32-1; when a folder's UIDNEXT comes within
// max_messages of it, the next open renumbers it under a new UIDVALIDITY.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "mail/store/maildir.hpp"

namespace l7::mail {

// ---- Errors --------------------------------------------------------------------------------

struct MailboxError {
    enum class Code {
        io,              // the disk or SQLite failed (NO [SERVERBUG] or [UNAVAILABLE])
        invalid,         // a bad flag, keyword or folder name (BAD, or NO [CANNOT])
        nonexistent,     // no such folder or message (NO [NONEXISTENT], RFC 5530)
        already_exists,  // NO [ALREADYEXISTS]
        limit,           // an IndexLimits bound would be passed (NO [LIMIT])
        in_use,          // another session has the folder open (NO [INUSE])
        stale,           // the folder or its index was removed or replaced: end the session
    };
    Code code = Code::io;
    std::string message;
};

template <class T>
using MailboxResult = Result<T, MailboxError>;

struct IndexLimits {
    std::size_t max_messages = 1'000'000;          // rows per folder
    std::size_t max_keywords_per_message = 32;     //
    std::size_t max_keywords_per_folder = 256;     // PERMANENTFLAGS has \* until then
    std::size_t max_keyword_length = 64;           // octets of an atom
    std::uint64_t max_message_size = 64ULL << 20;  // append, read, copy by bytes
    int busy_timeout_ms = 5000;                    // waiting for another session's write
};

// ---- Flags ---------------------------------------------------------------------------------

struct MessageFlags {
    // System flags (RFC 3501 2.3.2) as bits; \Recent is not one of them (see above).
    static constexpr std::uint8_t kAnswered = 1;
    static constexpr std::uint8_t kFlagged = 2;
    static constexpr std::uint8_t kDeleted = 4;
    static constexpr std::uint8_t kSeen = 8;
    static constexpr std::uint8_t kDraft = 16;

    std::uint8_t system = 0;
    // Atoms, unique case-insensitively, sorted case-insensitively; as the folder first
    // spelt them once stored.
    std::vector<std::string> keywords;

    bool has(std::uint8_t flag) const { return (system & flag) != 0; }

    // From IMAP flag names ("\Seen", "\\answered", "$Forwarded"): system flags match
    // case-insensitively, "\Recent" is ignored (clients may not set it, RFC 3501 6.4.6),
    // another "\Name" or a keyword that is no atom, or longer or more numerous than the
    // limits allow, is an error (Code::invalid or Code::limit).
    static MailboxResult<MessageFlags> from_imap(const std::vector<std::string>& names,
                                                 const IndexLimits& limits = {});
    // "\Answered \Flagged \Deleted \Seen \Draft" (those set), then the keywords.
    std::vector<std::string> to_imap() const;

    friend bool operator==(const MessageFlags&, const MessageFlags&) = default;
};

// A Maildir file name taken apart: "BASE:2,LETTERS". Without ":2," (no info, or the
// experimental ":1,...") there are no flags. Letters are deduplicated; those that are not
// D, F, R, S or T (Dovecot's keyword letters a-z, 'P' passed, anything else) are kept.
struct MaildirFileName {
    std::string base;           // before the first ':', the message's key for the index
    std::uint8_t system = 0;    // MessageFlags bits
    std::string other_letters;  // sorted (ASCII), unique
};
MaildirFileName parse_maildir_file_name(std::string_view name);
// The name with its info set to ":2," and `system`'s letters merged, sorted, with the other
// letters it had ("x:2,Sa" with \Seen \Answered: "x:2,RSa"). An experimental ":1," info is
// replaced.
std::string maildir_file_name(std::string_view name, std::uint8_t system);

// ---- One folder's index --------------------------------------------------------------------

struct IndexedMessage {
    std::uint32_t uid = 0;
    MessageFlags flags;
    std::uint64_t modseq = 0;
    std::uint64_t size = 0;          // bytes of the file
    std::uint64_t rfc822_size = 0;   // bytes as sent: each LF not after a CR counted as CRLF
                                     // (RFC822.SIZE when the session sends bare LF as CRLF;
                                     // Dovecot's ",W=" in the name when present)
    std::int64_t internal_date = 0;  // unix seconds (the file's mtime, the Maildir way)
    bool in_new = false;             // still in new/: no reader has taken it yet
    std::filesystem::path path;      // as of this snapshot; read() follows later renames
};

struct FolderSnapshot {
    std::uint32_t uidvalidity = 0;
    std::uint32_t uidnext = 1;
    std::uint64_t highestmodseq = 1;
    std::vector<IndexedMessage> messages;   // in UID order
    std::vector<std::uint32_t> expunged;    // rows this sync dropped, their files gone
    std::vector<std::uint32_t> first_seen;  // UIDs this sync gave to files in new/ (\Recent)
    bool over_limit = false;                // files beyond max_messages are not indexed
};

enum class FlagChange { replace, add, remove };  // FLAGS, +FLAGS, -FLAGS

struct StoredFlags {
    std::uint32_t uid = 0;
    MessageFlags flags;  // after the STORE
    std::uint64_t modseq = 0;
    bool changed = false;
};

struct StoreOutcome {
    std::vector<StoredFlags> messages;    // the existing messages of the set, in UID order
    std::vector<std::uint32_t> modified;  // UNCHANGEDSINCE failed (RFC 7162 3.1.3 MODIFIED)
    std::uint64_t highestmodseq = 0;
};

struct AppendOutcome {
    std::uint32_t uidvalidity = 0;  // APPENDUID (RFC 4315 3)
    std::uint32_t uid = 0;
};

struct CopyOutcome {
    std::uint32_t uidvalidity = 0;                              // the destination's, for COPYUID
    std::vector<std::pair<std::uint32_t, std::uint32_t>> uids;  // (source, destination)
};

class ImapIndex {
  public:
    // The index of folder `name` ("INBOX" in any case: the root itself; "Sent": ROOT/.Sent)
    // of the user whose Maildir is `user_root`; created, or rebuilt, as above, with `now`
    // (unix seconds) for a new UIDVALIDITY. INBOX's Maildir is created when missing; another
    // missing folder is Code::nonexistent.
    static MailboxResult<ImapIndex> open(const Maildir& user_root, std::string_view name,
                                         std::int64_t now, IndexLimits limits = {});

    ImapIndex(ImapIndex&&) noexcept;
    ImapIndex& operator=(ImapIndex&&) noexcept;
    ~ImapIndex();

    const Maildir& maildir() const;
    std::uint32_t uidvalidity() const;
    const IndexLimits& limits() const;

    // Files and rows made to agree (above); the folder as it now is.
    MailboxResult<FolderSnapshot> sync();

    // STORE / UID STORE. Messages whose system flags change are renamed (and leave new/ for
    // cur/); each message that changes gets the transaction's new modseq. With
    // `unchanged_since`, messages whose modseq is above it are left alone and listed in
    // `modified`. UIDs not (or no longer) in the index are skipped.
    MailboxResult<StoreOutcome> store(const std::vector<std::uint32_t>& uids, FlagChange change,
                                      const MessageFlags& flags,
                                      std::optional<std::uint64_t> unchanged_since = std::nullopt);

    // APPEND: delivered under namer.next(now_micros, size) (into new/ without system flags,
    // else cur/), its mtime set to `internal_date`, indexed with the next UID.
    MailboxResult<AppendOutcome> append(std::string_view message, const MessageFlags& flags,
                                        std::int64_t internal_date, MaildirNamer& namer,
                                        std::int64_t now_micros);

    // COPY / UID COPY into `destination` (which may be this folder): each message is hard
    // linked under a new name (copied when the file system refuses), with its flags, keywords
    // and internal date; all or nothing. MOVE is copy() and then expunge(uids, false).
    MailboxResult<CopyOutcome> copy(const std::vector<std::uint32_t>& uids, ImapIndex& destination,
                                    MaildirNamer& namer, std::int64_t now_micros);

    // EXPUNGE (only_deleted: those with \Deleted) or any set (MOVE's second half): files and
    // rows removed; the UIDs removed, in order.
    MailboxResult<std::vector<std::uint32_t>> expunge(const std::vector<std::uint32_t>& uids,
                                                      bool only_deleted);

    // The message's bytes (at most limits().max_message_size), wherever its file now is.
    MailboxResult<std::string> read(std::uint32_t uid);

    // The keywords defined in this folder, for FLAGS and PERMANENTFLAGS (add \* while fewer
    // than limits().max_keywords_per_folder).
    MailboxResult<std::vector<std::string>> keywords();

  private:
    struct State;
    explicit ImapIndex(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

// ---- The user's folders --------------------------------------------------------------------

struct FolderEntry {
    std::string name;           // "INBOX", "Sent", "Lists.l7"
    bool selectable = true;     // false: only implied by children ("Lists" for "Lists.l7"),
                                // LIST's \Noselect (or \NonExistent)
    bool has_children = false;  // \HasChildren, else \HasNoChildren (RFC 3348)
};

class FolderTree {
  public:
    explicit FolderTree(Maildir root) : root_(std::move(root)) {}

    const Maildir& root() const { return root_; }
    static constexpr char kDelimiter = '.';
    static bool is_inbox(std::string_view name);  // "INBOX" in any case

    // The Maildir of a folder (INBOX: the root), whether or not it exists; Code::invalid for
    // a name is_valid_folder_name refuses.
    MailboxResult<Maildir> folder(std::string_view name) const;
    bool exists(std::string_view name) const;

    // INBOX, then the folders and the parents their names imply, sorted by name.
    MailboxResult<std::vector<FolderEntry>> list() const;

    // CREATE, with the superior names that do not exist yet (RFC 3501 6.3.3). Names are
    // printable ASCII (modified UTF-7 is), valid, without a trailing '.'.
    MailboxResult<bool> create(std::string_view name) const;
    // DELETE: the folder's files and index; its children stay (RFC 3501 6.3.4). Not INBOX;
    // not while open (Code::in_use).
    MailboxResult<bool> remove(std::string_view name) const;
    // RENAME with the children (RFC 3501 6.3.5); no target may exist. Renaming INBOX moves
    // its messages (not its children) into a new folder and leaves INBOX empty: a copy and
    // an expunge, hence the namer and the time. Not while a folder renamed is open.
    MailboxResult<bool> rename(std::string_view from, std::string_view to, MaildirNamer& namer,
                               std::int64_t now_micros, const IndexLimits& limits = {}) const;

    // LSUB's names (RFC 3501 6.3.6), as SUBSCRIBE stored them; existing or not.
    MailboxResult<std::vector<std::string>> subscriptions() const;
    // SUBSCRIBE / UNSUBSCRIBE, rewriting ROOT/subscriptions atomically.
    MailboxResult<bool> set_subscribed(std::string_view name, bool subscribed) const;

    // A UIDVALIDITY for a new or rebuilt index: max(now, the last one given + 1), recorded.
    MailboxResult<std::uint32_t> next_uidvalidity(std::int64_t now) const;

  private:
    Maildir root_;
};

}  // namespace l7::mail
