#pragma once
// The local side of the mail server: which domains are ours, which users have a mailbox,
// and delivery into their Maildirs (ROOT/USER/, created on first delivery).
//
// An address is local when its domain is one of ours (case-insensitive, a trailing dot
// ignored); its local part names a user exactly, or else in lower case ("Bob" finds "bob").
// "postmaster", with or without a domain of ours, always exists (RFC 5321 4.5.1): it goes
// to the configured postmaster user.

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/password_file.hpp"
#include "core/result.hpp"
#include "mail/store/maildir.hpp"

namespace l7::mail {

// Whether a user name can name a directory under the Maildir root: one path component that
// does not start with '.' (those belong to the server: ROOT/.queue is the outgoing queue).
bool is_mailbox_name(std::string_view user);

struct MailboxesOptions {
    std::vector<std::string> domains;
    std::shared_ptr<const PasswordFile> users;
    std::filesystem::path maildir_root;
    std::string postmaster;  // the user who gets postmaster's mail
    std::string hostname;    // in message file names
};

class Mailboxes {
  public:
    explicit Mailboxes(MailboxesOptions options);

    bool is_local_domain(std::string_view domain) const;
    // The user whose mailbox `address` (local@domain, or a bare "postmaster") is; nullopt
    // for an address that is not local or names no user.
    std::optional<std::string> user_for(std::string_view address) const;
    // Whether the address's domain is ours (a bare "postmaster" counts as ours).
    bool is_local_address(std::string_view address) const;

    // Delivers one copy of `message` to each user (duplicates removed), durably; either every
    // copy is delivered or none (copies already written are removed again). The error names
    // the mailbox and the cause.
    Result<std::vector<std::filesystem::path>> deliver(const std::vector<std::string>& users,
                                                       std::string_view message,
                                                       std::int64_t unix_micros);

    bool verify(std::string_view user, std::string_view password) const;
    // A user's Maildir (which may not exist yet).
    Maildir mailbox(std::string_view user) const { return Maildir(options_.maildir_root / user); }
    const MailboxesOptions& options() const { return options_; }
    // The process's one namer: every message file l7 writes (deliveries, IMAP's APPEND and
    // COPY) is named by it, so that names stay unique.
    MaildirNamer& namer() { return namer_; }

  private:
    MailboxesOptions options_;
    MaildirNamer namer_;
};

}  // namespace l7::mail
