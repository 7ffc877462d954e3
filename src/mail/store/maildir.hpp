#pragma once
// A Maildir: one file per message, in the layout Dovecot, mutt, Postfix and fetchmail read
// (cr.yp.to/proto/maildir.html; Maildir++ for folders). A message is written under tmp/,
// fsynced, and then given its name in new/, and new/ is fsynced: a reader never sees half a
// message, and once deliver() returns, the message survives a crash. That is the moment the
// SMTP server may answer 250.
//
//   ROOT/new/NAME       delivered, not yet seen by a reader
//   ROOT/cur/NAME:2,FS  seen, with flags (the reader moves it)
//   ROOT/tmp/           being written
//   ROOT/.Sent/...      a Maildir++ folder: the same three directories
//
// File names are unique without locking: the time, the process id, a counter and the host,
// and Dovecot's ",S=SIZE" so readers know the size without a stat.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/result.hpp"

namespace l7::mail {

// Makes unique message file names for one process.
class MaildirNamer {
  public:
    MaildirNamer(std::string host, pid_t pid);
    // "SECONDS.M<micros>P<pid>Q<n>.HOST,S=<size>"; `unix_micros` is the delivery time.
    std::string next(std::int64_t unix_micros, std::uint64_t size);

  private:
    std::string host_;  // with '/' and ':' escaped, as the format asks
    pid_t pid_;
    std::atomic<std::uint64_t> counter_{0};
};

// A message as listed from new/ or cur/.
struct MaildirMessage {
    std::string name;     // the file name ("1764500000.M1P2Q3.host,S=42:2,S" in cur/)
    bool in_new = false;  // in new/ (not yet seen by a reader) rather than cur/
    std::string uid;      // stable across sessions: the name before ':' (or a hash of it
                          // when longer than 70 characters), for POP3's UIDL
    // Octets as sent, CRLF line ends: Dovecot's ",W=" when the name has it, else ",S=", else
    // the size on disk (a file with bare LF line ends and neither tag counts short).
    std::uint64_t size = 0;
};

class Maildir {
  public:
    explicit Maildir(std::filesystem::path root) : root_(std::move(root)) {}

    const std::filesystem::path& root() const { return root_; }

    // Creates ROOT and its tmp/, new/ and cur/ (mode 0700) where missing.
    std::error_code create() const;
    // True when ROOT has tmp/, new/ and cur/.
    bool exists() const;

    // A Maildir++ folder ("Sent", "Lists.l7"): ROOT/.Sent, ROOT/.Lists.l7. The name must be
    // valid (is_valid_folder_name); the folder is not created.
    Maildir folder(std::string_view name) const;

    // Writes `message` into new/ under `name` (from MaildirNamer), durably: the data and the
    // new name are on disk when this returns. The error names the step that failed.
    Result<std::filesystem::path> deliver(std::string_view message, const std::string& name) const;

    // The messages in new/ and cur/, in delivery order (names start with the time). Files
    // whose names start with '.' are skipped, as the format asks.
    Result<std::vector<MaildirMessage>> list() const;
    // The stored bytes of a listed message; an error for one larger than `max_size`, or
    // gone meanwhile.
    Result<std::string> read(const MaildirMessage& message, std::uint64_t max_size) const;
    // Deletes the messages and fsyncs new/ and cur/: the deletion has happened when this
    // returns. One already gone counts as deleted; the error names the first failure.
    std::error_code remove(const std::vector<MaildirMessage>& messages) const;

  private:
    std::filesystem::path root_;
};

// An exclusive lock on a mailbox for a POP3 session (RFC 1939 section 8): flock(2) on
// ROOT/.l7-pop3.lock, held until the object is destroyed. Other processes and other
// sessions of this one are kept out alike (each lock is its own open file).
class MaildirLock {
  public:
    // nullopt when another session holds it (or the file cannot be made).
    static std::optional<MaildirLock> try_lock(const Maildir& box);
    MaildirLock(MaildirLock&& other) noexcept;
    MaildirLock& operator=(MaildirLock&& other) noexcept;
    MaildirLock(const MaildirLock&) = delete;
    MaildirLock& operator=(const MaildirLock&) = delete;
    ~MaildirLock();

  private:
    explicit MaildirLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

// A folder name that maps to one directory inside the Maildir: not empty, at most 255 bytes,
// no '/', no leading '.', no ".." , no control characters.
bool is_valid_folder_name(std::string_view name);

}  // namespace l7::mail
