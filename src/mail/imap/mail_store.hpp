#pragma once
// What the IMAP session asks of a user's mail: folders, their messages' UIDs and flags, the
// messages' bytes, and the changes IMAP makes (flags, copies, expunges, appends). The session
// holds no files; the driver gives it an ImapMailStore for the user who logged in (the real
// one is Maildir with the SQLite index, mail/store/imap_index.hpp; tests use one in memory).
// Calls are synchronous and each is atomic with respect to other sessions: the store is
// where concurrent sessions meet, and state() is how a session learns what the others did.
//
// Folder names are IMAP names as the client sends them (modified UTF-7, hierarchy delimiter
// "."), "INBOX" for the inbox.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "mail/imap/command.hpp"
#include "mail/imap/types.hpp"

namespace l7::mail::imap {

struct StoreProblem {
    enum class Kind {
        no_such_folder,  // NO [TRYCREATE] for APPEND/COPY/MOVE, NO [NONEXISTENT] otherwise
        already_exists,  // NO [ALREADYEXISTS] (RFC 5530)
        not_allowed,     // NO [CANNOT]: deleting INBOX, a name the store cannot hold
        too_big,         // NO [TOOBIG]: a message beyond the store's size limit
        limit,           // NO [LIMIT]: an implementation limit (keywords per message, ...)
        in_use,          // NO [INUSE]: another session holds the folder (RFC 5530)
        stale,           // the selected folder was replaced under the session: BYE
        failure,         // NO [SERVERBUG] / [UNAVAILABLE]: the disk, the index
    };
    Kind kind = Kind::failure;
    std::string text;  // one sentence, for the log (the client gets a generic text)
};

struct MessageState {
    std::uint32_t uid = 0;
    std::vector<Flag> flags;  // without \Recent
    ImapDateTime internal_date;
    std::uint64_t size = 0;  // RFC822.SIZE: octets with CRLF line ends
    // First seen by this store object (a delivery this session is the first to see):
    // \Recent (RFC 3501 2.3.2). The store reports each message recent to one session only.
    bool recent = false;
};

struct FolderState {
    std::uint32_t uid_validity = 0;
    std::uint32_t uid_next = 1;
    std::vector<MessageState> messages;  // ascending UIDs
};

struct FolderEntry {
    std::string name;    // "INBOX", "Sent", "Lists.l7"
    bool exists = true;  // false: only a parent of others (LIST shows \Noselect)
};

struct UidMapping {
    std::uint32_t uid_validity = 0;                             // of the destination
    std::vector<std::pair<std::uint32_t, std::uint32_t>> uids;  // source -> destination
};

class ImapMailStore {
  public:
    virtual ~ImapMailStore() = default;

    // Every folder, INBOX included, with the parents that do not exist themselves.
    virtual Result<std::vector<FolderEntry>, StoreProblem> folders() = 0;
    virtual Result<std::vector<std::string>, StoreProblem> subscriptions() = 0;
    virtual std::optional<StoreProblem> set_subscribed(std::string_view folder, bool on) = 0;
    virtual std::optional<StoreProblem> create(std::string_view folder) = 0;
    virtual std::optional<StoreProblem> remove(std::string_view folder) = 0;
    virtual std::optional<StoreProblem> rename(std::string_view from, std::string_view to) = 0;

    // The folder the session has selected (nullopt: none). A store may hold resources
    // (an open index, its lock) for that folder only, and release other folders' after each
    // call, so a folder one session asked STATUS about stays free for another's DELETE.
    virtual void selected(std::optional<std::string_view> folder) { (void)folder; }

    // The folder as it is now (the store catches up with deliveries and other programs).
    virtual Result<FolderState, StoreProblem> state(std::string_view folder) = 0;
    // A message's bytes with CRLF line ends.
    virtual Result<std::string, StoreProblem> read(std::string_view folder, std::uint32_t uid) = 0;
    // Changes the flags of the messages with these UIDs (those gone meanwhile are skipped);
    // returns each changed one's flags afterwards.
    virtual Result<std::vector<std::pair<std::uint32_t, std::vector<Flag>>>, StoreProblem>
    store_flags(std::string_view folder, const std::vector<std::uint32_t>& uids,
                StoreAction::Mode mode, const std::vector<Flag>& flags) = 0;
    virtual Result<UidMapping, StoreProblem> copy(std::string_view folder,
                                                  const std::vector<std::uint32_t>& uids,
                                                  std::string_view destination) = 0;
    virtual std::optional<StoreProblem> expunge(std::string_view folder,
                                                const std::vector<std::uint32_t>& uids) = 0;
    // Returns the new message's UID in UidMapping form: uid_validity and {0, uid}.
    virtual Result<UidMapping, StoreProblem> append(std::string_view folder,
                                                    std::string_view message,
                                                    const std::vector<Flag>& flags,
                                                    std::optional<ImapDateTime> date) = 0;
};

// Who may log in, and their mail.
class ImapAccounts {
  public:
    virtual ~ImapAccounts() = default;
    // The user's store when the password is right; nullptr otherwise.
    virtual std::unique_ptr<ImapMailStore> login(std::string_view user,
                                                 std::string_view password) = 0;
};

}  // namespace l7::mail::imap
