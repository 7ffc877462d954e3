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
#include <string>
#include <string_view>
#include <system_error>

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

  private:
    std::filesystem::path root_;
};

// A folder name that maps to one directory inside the Maildir: not empty, at most 255 bytes,
// no '/', no leading '.', no ".." , no control characters.
bool is_valid_folder_name(std::string_view name);

}  // namespace l7::mail
