#pragma once
// The IMAP session's mail store (imap/mail_store.hpp) on a user's Maildir: folders from the
// Maildir++ tree, each folder's UIDs and flags from its SQLite index (store/imap_index.hpp),
// opened on first use and kept while the folder is selected. \Recent is this store's notion: the
// UIDs whose files it was the first to index (RFC 3501 2.3.2: one session sees a message as
// recent). Failures are logged here with their cause; the session tells the client only
// that the operation failed.

#include <map>
#include <memory>
#include <set>
#include <string>

#include "mail/imap/mail_store.hpp"
#include "mail/store/imap_index.hpp"

namespace l7::mail {

class MaildirImapStore : public imap::ImapMailStore {
  public:
    // `namer` names every file this store writes; it must outlive the store.
    MaildirImapStore(Maildir user_root, MaildirNamer& namer, IndexLimits limits = {});

    Result<std::vector<imap::FolderEntry>, imap::StoreProblem> folders() override;
    Result<std::vector<std::string>, imap::StoreProblem> subscriptions() override;
    std::optional<imap::StoreProblem> set_subscribed(std::string_view folder, bool on) override;
    std::optional<imap::StoreProblem> create(std::string_view folder) override;
    std::optional<imap::StoreProblem> remove(std::string_view folder) override;
    std::optional<imap::StoreProblem> rename(std::string_view from, std::string_view to) override;
    Result<imap::FolderState, imap::StoreProblem> state(std::string_view folder) override;
    Result<std::string, imap::StoreProblem> read(std::string_view folder,
                                                 std::uint32_t uid) override;
    Result<std::vector<std::pair<std::uint32_t, std::vector<imap::Flag>>>, imap::StoreProblem>
    store_flags(std::string_view folder, const std::vector<std::uint32_t>& uids,
                imap::StoreAction::Mode mode, const std::vector<imap::Flag>& flags) override;
    Result<imap::UidMapping, imap::StoreProblem> copy(std::string_view folder,
                                                      const std::vector<std::uint32_t>& uids,
                                                      std::string_view destination) override;
    std::optional<imap::StoreProblem> expunge(std::string_view folder,
                                              const std::vector<std::uint32_t>& uids) override;
    Result<imap::UidMapping, imap::StoreProblem> append(
        std::string_view folder, std::string_view message, const std::vector<imap::Flag>& flags,
        std::optional<imap::ImapDateTime> date) override;

    void selected(std::optional<std::string_view> folder) override;

  private:
    // Closes, at the end of a call, the indexes of folders other than the selected one.
    struct Release {
        explicit Release(MaildirImapStore& owner) : store(owner) {}
        ~Release() { store.release_unselected(); }
        Release(const Release&) = delete;
        Release& operator=(const Release&) = delete;
        MaildirImapStore& store;
    };

    Result<ImapIndex*, imap::StoreProblem> index(std::string_view folder);
    void release_unselected();
    void forget(std::string_view folder);  // after DELETE and RENAME

    FolderTree tree_;
    MaildirNamer& namer_;
    IndexLimits limits_;
    std::map<std::string, ImapIndex, std::less<>> open_;  // the selected folder's, mostly
    std::optional<std::string> selected_;
    std::map<std::string, std::set<std::uint32_t>, std::less<>> recent_;
};

}  // namespace l7::mail
