#pragma once
// The outgoing queue on disk: messages accepted for relay wait here, between delivery
// attempts and across restarts, until every recipient is delivered or has failed. Nothing
// accepted may be lost and nothing delivered may be sent again, so every change is durable
// when the call returns (the data fsynced, then the name, then the directory, as
// core/staged_file.hpp and the Maildir store do it):
//
//   QUEUE/tmp/          files being written (StagedFile's hidden temporaries)
//   QUEUE/data/ID       a message's bytes as received, its Received field included
//   QUEUE/env/ID        its envelope and delivery state (a small text file, below)
//   QUEUE/corrupt/      envelopes that did not parse, and their data, moved aside
//
// Crash safety comes from the order of the steps:
//  * enqueue() writes data/ID first and env/ID last: the envelope's appearance commits the
//    message. A crash before that leaves at most a temporary or a data file without an
//    envelope, which list() never shows and recover() deletes.
//  * update() writes the new envelope beside the old one and renames it over (rename(2) is
//    atomic): a restart finds the state before the attempt or after it. The relay calls it
//    after every attempt, so a recipient marked delivered is never sent to again.
//  * remove() deletes the envelope first: a crash in between leaves an orphan data file,
//    never an envelope without its message.
//
// One process owns a queue directory: the store takes no locks, and concurrent update() and
// remove() of the same id from two processes could bring a removed envelope back.
//
// The envelope file, version 1: one "key value" line per field, LF line ends, values
// escaped (escape_envelope_value) so that any byte of an address round-trips:
//
//   l7-queue 1
//   id 1764500000M123456P4242Q1
//   arrival 1764500000
//   from alice@example.org              ("from" alone: the null reverse-path <>)
//   body 8bitmime                       (7bit or 8bitmime: BODY=, RFC 6152)
//   smtputf8 0                          (RFC 6531)
//   envid                               (RFC 3461 ENVID=, decoded; empty: none)
//   ret                                 (RFC 3461 RET=: full, hdrs, or empty: unspecified)
//   auth-user alice
//   origin client.example.org
//   size 1234
//   attempts 1
//   next-attempt 1764500300
//   warned 0                            (a delay warning was sent)
//   rcpt bob@example.net                (starts a recipient; its fields follow)
//   rcpt-state pending                  (pending, delivered or failed)
//   rcpt-attempts 1
//   rcpt-last-attempt 1764500000        (0: never)
//   rcpt-status 4.2.2
//   rcpt-remote-mta mx.example.net
//   rcpt-reply 452%204.2.2%20Mailbox%20full
//   rcpt-notified 0                     (a DSN about it was queued)
//   end
//
// Missing fields take their defaults (id and arrival are required); unknown keys, repeated
// keys, anything after "end", or no "end" at all (a truncated file) are errors. Limits, for
// a file that may have been damaged: kMaxEnvelopeBytes, kMaxEnvelopeLine,
// kMaxQueueRecipients, kMaxEnvelopeValue.

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/result.hpp"

namespace l7::mail {

// The whole envelope file; larger files are not read.
inline constexpr std::size_t kMaxEnvelopeBytes = 16 * 1024 * 1024;
// One line of it, without the LF.
inline constexpr std::size_t kMaxEnvelopeLine = 8192;
// Recipients of one message (the SMTP server takes at most SmtpLimits::max_recipients).
inline constexpr std::size_t kMaxQueueRecipients = 10000;
// A field's value after unescaping. A longer reply text is cut to this when written; any
// other longer value makes enqueue() and update() fail.
inline constexpr std::size_t kMaxEnvelopeValue = 2048;
// A queue id: 1 to 64 of [A-Za-z0-9_-], an atom (RFC 5322 3.2.3) that is also a safe file
// name. QueueIdGenerator's ids are at most 51, so a suffix (bounce_id) still fits.
inline constexpr std::size_t kMaxQueueIdLength = 64;
// Times are Unix seconds from 0 to the end of year 9999 (what a mail date can show).
inline constexpr std::int64_t kMaxQueueTime = 253402300799;

enum class RecipientState { pending, delivered, failed };
std::string_view recipient_state_name(RecipientState s);  // "pending", "delivered", "failed"

// RFC 3461 4.3: RET=FULL or RET=HDRS, or neither given.
enum class ReturnContent { unspecified, full, headers };

struct QueueRecipient {
    std::string address;  // the forward-path's mailbox, as in RCPT TO (UTF-8 with SMTPUTF8)
    RecipientState state = RecipientState::pending;
    std::uint32_t attempts = 0;
    std::int64_t last_attempt = 0;  // Unix seconds; 0: never tried
    std::string status;             // the enhanced status of the last result, "5.1.1"
    std::string remote_mta;         // the server that gave it, "mx.example.net"
    std::string last_reply;         // its reply, "550 5.1.1 <bob@example.net>: user unknown"
    // A failure report (DSN) naming this recipient was queued: a later round does not
    // report it again.
    bool notified = false;

    friend bool operator==(const QueueRecipient&, const QueueRecipient&) = default;
};

struct QueueParameters {
    bool eight_bit = false;  // BODY=8BITMIME
    bool smtputf8 = false;
    std::string envid;  // ENVID (RFC 3461 4.4), xtext decoded; empty: none
    ReturnContent ret = ReturnContent::unspecified;

    friend bool operator==(const QueueParameters&, const QueueParameters&) = default;
};

struct QueueEntry {
    std::string id;
    std::string mail_from;  // empty: the null reverse-path <> (a bounce: never bounced)
    QueueParameters parameters;
    std::int64_t arrival = 0;        // Unix seconds
    std::string auth_user;           // who submitted it, when authenticated
    std::string origin;              // the client's host name (DSN Received-From-MTA)
    std::uint64_t message_size = 0;  // bytes of data/ID (set by enqueue)
    std::vector<QueueRecipient> recipients;
    std::uint32_t attempts = 0;     // delivery attempts of the message
    std::int64_t next_attempt = 0;  // Unix seconds
    bool delay_warning_sent = false;

    // Recipients still pending.
    std::size_t pending() const;
    // No recipient pending: the message is finished (bounce the failed ones, then remove).
    bool done() const { return pending() == 0; }

    friend bool operator==(const QueueEntry&, const QueueEntry&) = default;
};

// A valid queue id: 1 to kMaxQueueIdLength of [A-Za-z0-9_-].
bool is_valid_queue_id(std::string_view id);

// Unique queue ids for one process, like MaildirNamer: "<seconds>M<micros>P<pid>Q<n>".
class QueueIdGenerator {
  public:
    explicit QueueIdGenerator(pid_t pid) : pid_(pid) {}
    // `unix_micros` is now; the counter keeps ids unique within the same microsecond.
    std::string next(std::int64_t unix_micros);

  private:
    pid_t pid_;
    std::atomic<std::uint64_t> counter_{0};
};

// Text safe to show on a terminal or to put in a header field: printable ASCII stays, and
// with `utf8` so do well-formed UTF-8 sequences other than the C1 controls (U+0080-U+009F);
// tab, CR and LF become a space, any other UTF-8 sequence one '?' and every other byte '?'.
std::string safe_text(std::string_view text, bool utf8 = true);

// Envelope values: bytes 0x21-0x7E stay, except '%', which with all others (space, CR, LF,
// UTF-8 ...) becomes %XX (uppercase hex). Unescaping takes either case and fails on a
// byte outside 0x21-0x7E or a '%' without two hex digits.
std::string escape_envelope_value(std::string_view value);
std::optional<std::string> unescape_envelope_value(std::string_view text);

// Whether `entry` can be written: a valid id, 1 to kMaxQueueRecipients recipients with
// non-empty addresses, times within 0..kMaxQueueTime, values within kMaxEnvelopeValue
// (reply texts excepted: they are cut), and a file within kMaxEnvelopeBytes.
Result<bool> validate_entry(const QueueEntry& entry);
// The envelope file's text (as above). Reply texts longer than kMaxEnvelopeValue are cut.
std::string format_envelope(const QueueEntry& entry);
// The envelope back. Never throws; the error names the line.
Result<QueueEntry> parse_envelope(std::string_view text);

enum class QueueErrorKind {
    io,         // a file system call failed
    exists,     // enqueue: the id is taken
    not_found,  // no envelope with this id
    invalid,    // an invalid id, or an entry validate_entry() refuses
    corrupt,    // the envelope does not parse, or names another id
    too_large,  // read_message: larger than the caller's limit
};

struct QueueError {
    QueueErrorKind kind = QueueErrorKind::io;
    std::string message;  // names the file and the step
};

// A file list() moved aside to corrupt/, or could not.
struct QueueProblem {
    std::string name;     // the file name in env/
    std::string message;  // why
};

struct QueueListing {
    std::vector<QueueEntry> entries;     // by arrival, then id
    std::vector<QueueProblem> problems;  // for the caller to log
};

struct QueueRecovery {
    std::vector<std::string> temporaries;  // removed from tmp/
    std::vector<std::string> orphans;      // data files without an envelope, removed
};

class QueueStore {
  public:
    explicit QueueStore(std::filesystem::path root) : root_(std::move(root)) {}

    const std::filesystem::path& root() const { return root_; }

    // Creates ROOT and tmp/, data/, env/, corrupt/ (mode 0700) where missing.
    std::error_code create() const;
    bool exists() const;

    // Stores a new message: data/ID, then env/ID with message_size set to message.size().
    // Errors: invalid, exists (the id is taken; nothing changed), io (nothing left visible).
    Result<QueueEntry, QueueError> enqueue(const QueueEntry& entry, std::string_view message) const;

    // Every envelope in env/. One that does not parse, names another id, or has no data file
    // is moved to corrupt/ (with its data) and reported in problems. Fails only when env/
    // cannot be read.
    Result<QueueListing, QueueError> list() const;
    // Errors: not_found, corrupt (left in place; see quarantine), invalid (the id), io.
    Result<QueueEntry, QueueError> load(std::string_view id) const;
    // The message's bytes; too_large when the file holds more than `max_size`.
    Result<std::string, QueueError> read_message(std::string_view id, std::uint64_t max_size) const;

    // Replaces env/ID atomically with `entry`'s state. not_found when the message is gone
    // (removed meanwhile: it is not brought back).
    Result<bool, QueueError> update(const QueueEntry& entry) const;
    // Deletes env/ID, then data/ID. true when there was an envelope; a missing data file is
    // no error (a crash in an earlier remove).
    Result<bool, QueueError> remove(std::string_view id) const;
    // Moves env/NAME and data/NAME (when there) to corrupt/NAME.env and corrupt/NAME.data.
    // `name` is any file name in env/ (a valid id or not, but no '/' and not "." or "..").
    Result<bool, QueueError> quarantine(std::string_view name) const;

    // At start: deletes files in tmp/ and data files without an envelope whose modification
    // time is at least `min_age_seconds` before `now` (the age keeps it from taking a file
    // an enqueue() under way is still writing).
    Result<QueueRecovery, QueueError> recover(std::int64_t now, std::int64_t min_age_seconds) const;

    // `l7 mail queue flush`: the next attempt of every entry (or of `id` only) that is later
    // than `now` becomes `now`. Returns how many entries changed.
    Result<std::size_t, QueueError> flush(std::int64_t now,
                                          std::optional<std::string_view> id = std::nullopt) const;

  private:
    std::filesystem::path root_;
};

// `l7 mail queue`: a listing like mailq(1)'s, one block per message:
//
//   1764500000M1P2Q1    1234 Sun, 30 Nov 2025 10:53:20 +0000  alice@example.org
//       attempts 2, next Sun, 30 Nov 2025 11:13:20 +0000
//       (452 4.2.2 Mailbox full)
//       bob@example.net
//
// with the pending recipients, each after its last reply when it has one. Control
// characters in addresses and replies are shown as '?', so that an address cannot drive
// the terminal. Ends with "-- N messages, M recipients pending".
std::string format_queue_listing(std::span<const QueueEntry> entries, int utc_offset_minutes = 0);

}  // namespace l7::mail
