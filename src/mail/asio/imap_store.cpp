#include "mail/asio/imap_store.hpp"

#include <chrono>

#include "core/log.hpp"
#include "mail/imap/fetch.hpp"

namespace l7::mail {
namespace {

using imap::StoreProblem;

std::int64_t unix_micros_now() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t unix_now() {
    return unix_micros_now() / 1'000'000;
}

// "inbox" in any case is INBOX; other names are kept as sent.
std::string folder_key(std::string_view folder) {
    return FolderTree::is_inbox(folder) ? std::string("INBOX") : std::string(folder);
}

StoreProblem problem(const MailboxError& e) {
    using Code = MailboxError::Code;
    switch (e.code) {
        case Code::nonexistent:
            return StoreProblem{StoreProblem::Kind::no_such_folder, e.message};
        case Code::already_exists:
            return StoreProblem{StoreProblem::Kind::already_exists, e.message};
        case Code::invalid:
            return StoreProblem{StoreProblem::Kind::not_allowed, e.message};
        case Code::limit:
            return StoreProblem{StoreProblem::Kind::limit, e.message};
        case Code::in_use:
            return StoreProblem{StoreProblem::Kind::in_use, e.message};
        case Code::stale:
            log::warn("imap", e.message);
            return StoreProblem{StoreProblem::Kind::stale, e.message};
        case Code::io:
            break;
    }
    log::warn("imap", e.message);
    return StoreProblem{StoreProblem::Kind::failure, e.message};
}

FlagChange flag_change(imap::StoreAction::Mode mode) {
    switch (mode) {
        case imap::StoreAction::Mode::add:
            return FlagChange::add;
        case imap::StoreAction::Mode::remove:
            return FlagChange::remove;
        case imap::StoreAction::Mode::replace:
            break;
    }
    return FlagChange::replace;
}

}  // namespace

MaildirImapStore::MaildirImapStore(Maildir user_root, MaildirNamer& namer, IndexLimits limits)
    : tree_(std::move(user_root)), namer_(namer), limits_(limits) {}

Result<ImapIndex*, StoreProblem> MaildirImapStore::index(std::string_view folder) {
    const std::string key = folder_key(folder);
    auto it = open_.find(key);
    if (it == open_.end()) {
        auto opened = ImapIndex::open(tree_.root(), key, unix_now(), limits_);
        if (!opened) {
            return problem(opened.error());
        }
        it = open_.emplace(key, std::move(*opened)).first;
    }
    return &it->second;
}

void MaildirImapStore::selected(std::optional<std::string_view> folder) {
    selected_ = folder ? std::optional<std::string>(folder_key(*folder)) : std::nullopt;
    release_unselected();
}

void MaildirImapStore::release_unselected() {
    std::erase_if(open_, [&](const auto& entry) { return entry.first != selected_; });
}

void MaildirImapStore::forget(std::string_view folder) {
    // The folder and its children: their directories have gone or moved.
    const std::string key = folder_key(folder);
    const std::string prefix = key + FolderTree::kDelimiter;
    std::erase_if(open_, [&](const auto& entry) {
        return entry.first == key || entry.first.starts_with(prefix);
    });
    std::erase_if(recent_, [&](const auto& entry) {
        return entry.first == key || entry.first.starts_with(prefix);
    });
}

Result<std::vector<imap::FolderEntry>, StoreProblem> MaildirImapStore::folders() {
    auto listed = tree_.list();
    if (!listed) {
        return problem(listed.error());
    }
    std::vector<imap::FolderEntry> out;
    for (const FolderEntry& f : *listed) {
        out.push_back(imap::FolderEntry{f.name, f.selectable});
    }
    return out;
}

Result<std::vector<std::string>, StoreProblem> MaildirImapStore::subscriptions() {
    auto subs = tree_.subscriptions();
    if (!subs) {
        return problem(subs.error());
    }
    return std::move(*subs);
}

std::optional<StoreProblem> MaildirImapStore::set_subscribed(std::string_view folder, bool on) {
    auto done = tree_.set_subscribed(folder_key(folder), on);
    if (!done) {
        return problem(done.error());
    }
    return std::nullopt;
}

std::optional<StoreProblem> MaildirImapStore::create(std::string_view folder) {
    auto done = tree_.create(folder);
    if (!done) {
        return problem(done.error());
    }
    return std::nullopt;
}

std::optional<StoreProblem> MaildirImapStore::remove(std::string_view folder) {
    forget(folder);
    auto done = tree_.remove(folder);
    if (!done) {
        return problem(done.error());
    }
    return std::nullopt;
}

std::optional<StoreProblem> MaildirImapStore::rename(std::string_view from, std::string_view to) {
    forget(from);
    forget(to);
    auto done = tree_.rename(folder_key(from), to, namer_, unix_micros_now(), limits_);
    if (!done) {
        return problem(done.error());
    }
    return std::nullopt;
}

Result<imap::FolderState, StoreProblem> MaildirImapStore::state(std::string_view folder) {
    const Release release(*this);
    auto idx = index(folder);
    if (!idx) {
        return idx.error();
    }
    auto snapshot = (*idx)->sync();
    if (!snapshot) {
        return problem(snapshot.error());
    }
    auto& recent = recent_[folder_key(folder)];
    recent.insert(snapshot->first_seen.begin(), snapshot->first_seen.end());
    imap::FolderState state;
    state.uid_validity = snapshot->uidvalidity;
    state.uid_next = snapshot->uidnext;
    state.messages.reserve(snapshot->messages.size());
    for (const IndexedMessage& m : snapshot->messages) {
        state.messages.push_back(imap::MessageState{m.uid, m.flags.to_imap(),
                                                    imap::ImapDateTime{m.internal_date, 0},
                                                    m.rfc822_size, recent.count(m.uid) > 0});
    }
    return state;
}

Result<std::string, StoreProblem> MaildirImapStore::read(std::string_view folder,
                                                         std::uint32_t uid) {
    const Release release(*this);
    auto idx = index(folder);
    if (!idx) {
        return idx.error();
    }
    auto bytes = (*idx)->read(uid);
    if (!bytes) {
        return problem(bytes.error());
    }
    // Files written by other programs may have bare LF line ends; IMAP speaks CRLF.
    if (imap::has_bare_lf(*bytes)) {
        return imap::to_crlf(*bytes);
    }
    return std::move(*bytes);
}

Result<std::vector<std::pair<std::uint32_t, std::vector<imap::Flag>>>, StoreProblem>
MaildirImapStore::store_flags(std::string_view folder, const std::vector<std::uint32_t>& uids,
                              imap::StoreAction::Mode mode, const std::vector<imap::Flag>& flags) {
    const Release release(*this);
    auto idx = index(folder);
    if (!idx) {
        return idx.error();
    }
    auto parsed = MessageFlags::from_imap(flags, limits_);
    if (!parsed) {
        return problem(parsed.error());
    }
    auto outcome = (*idx)->store(uids, flag_change(mode), *parsed);
    if (!outcome) {
        return problem(outcome.error());
    }
    std::vector<std::pair<std::uint32_t, std::vector<imap::Flag>>> out;
    for (const StoredFlags& m : outcome->messages) {
        out.emplace_back(m.uid, m.flags.to_imap());
    }
    return out;
}

Result<imap::UidMapping, StoreProblem> MaildirImapStore::copy(
    std::string_view folder, const std::vector<std::uint32_t>& uids, std::string_view destination) {
    const Release release(*this);
    auto from = index(folder);
    if (!from) {
        return from.error();
    }
    auto to = index(destination);
    if (!to) {
        return to.error();
    }
    auto copied = (*from)->copy(uids, **to, namer_, unix_micros_now());
    if (!copied) {
        return problem(copied.error());
    }
    return imap::UidMapping{copied->uidvalidity, std::move(copied->uids)};
}

std::optional<StoreProblem> MaildirImapStore::expunge(std::string_view folder,
                                                      const std::vector<std::uint32_t>& uids) {
    const Release release(*this);
    auto idx = index(folder);
    if (!idx) {
        return idx.error();
    }
    auto removed = (*idx)->expunge(uids, false);
    if (!removed) {
        return problem(removed.error());
    }
    return std::nullopt;
}

Result<imap::UidMapping, StoreProblem> MaildirImapStore::append(
    std::string_view folder, std::string_view message, const std::vector<imap::Flag>& flags,
    std::optional<imap::ImapDateTime> date) {
    const Release release(*this);
    auto idx = index(folder);
    if (!idx) {
        return idx.error();
    }
    auto parsed = MessageFlags::from_imap(flags, limits_);
    if (!parsed) {
        return problem(parsed.error());
    }
    const std::int64_t now = unix_micros_now();
    const std::int64_t internal_date = date ? date->unix_seconds : now / 1'000'000;
    auto appended = (*idx)->append(message, *parsed, internal_date, namer_, now);
    if (!appended) {
        return problem(appended.error());
    }
    return imap::UidMapping{appended->uidvalidity, {{0, appended->uid}}};
}

}  // namespace l7::mail
