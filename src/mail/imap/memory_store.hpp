#pragma once
// A user's mail in memory behind the IMAP session's store interface (mail_store.hpp): the
// session's unit tests and its fuzz target run it without a disk. Sessions that share one
// Mail see each other's changes, as sessions on one Maildir do. Bob's password is "secret".

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mail/imap/mail_store.hpp"

namespace l7::mail::imap {

// A user's mail in memory, shared by the sessions of a test the way a Maildir is.
struct Mail {
    struct Message {
        std::uint32_t uid = 0;
        std::vector<Flag> flags;
        std::string bytes;
        bool seen_by_a_session = false;  // \Recent goes to the first session only
    };
    struct Folder {
        std::uint32_t uid_validity = 1000;
        std::uint32_t uid_next = 1;
        std::vector<Message> messages;
    };
    std::map<std::string, Folder> folders{{"INBOX", {}}};
    std::vector<std::string> subscribed;

    std::uint32_t deliver(const std::string& folder, std::string bytes,
                          std::vector<Flag> flags = {}) {
        Folder& f = folders.at(folder);
        const std::uint32_t uid = f.uid_next++;
        f.messages.push_back(Message{uid, std::move(flags), std::move(bytes), false});
        return uid;
    }
};

class MemoryStore : public ImapMailStore {
  public:
    explicit MemoryStore(Mail& mail) : mail_(mail) {}

    Result<std::vector<FolderEntry>, StoreProblem> folders() override {
        std::vector<FolderEntry> out;
        for (const auto& [name, f] : mail_.folders) {
            out.push_back(FolderEntry{name, true});
        }
        return out;
    }
    Result<std::vector<std::string>, StoreProblem> subscriptions() override {
        return mail_.subscribed;
    }
    std::optional<StoreProblem> set_subscribed(std::string_view folder, bool on) override {
        auto& s = mail_.subscribed;
        s.erase(std::remove(s.begin(), s.end(), folder), s.end());
        if (on) {
            s.emplace_back(folder);
        }
        return std::nullopt;
    }
    std::optional<StoreProblem> create(std::string_view folder) override {
        if (mail_.folders.count(std::string(folder))) {
            return StoreProblem{StoreProblem::Kind::already_exists, "exists"};
        }
        mail_.folders[std::string(folder)] = {};
        return std::nullopt;
    }
    std::optional<StoreProblem> remove(std::string_view folder) override {
        if (!mail_.folders.erase(std::string(folder))) {
            return StoreProblem{StoreProblem::Kind::no_such_folder, "none"};
        }
        return std::nullopt;
    }
    std::optional<StoreProblem> rename(std::string_view from, std::string_view to) override {
        auto it = mail_.folders.find(std::string(from));
        if (it == mail_.folders.end()) {
            return StoreProblem{StoreProblem::Kind::no_such_folder, "none"};
        }
        mail_.folders[std::string(to)] = it->second;
        mail_.folders.erase(it);
        return std::nullopt;
    }
    Result<FolderState, StoreProblem> state(std::string_view folder) override {
        auto* f = find(folder);
        if (!f) {
            return StoreProblem{StoreProblem::Kind::no_such_folder, "none"};
        }
        FolderState state{f->uid_validity, f->uid_next, {}};
        for (auto& m : f->messages) {
            bool recent = false;
            if (!m.seen_by_a_session) {
                m.seen_by_a_session = true;
                recent = true;
                recent_.push_back(m.uid);
            }
            recent = recent || std::count(recent_.begin(), recent_.end(), m.uid) > 0;
            state.messages.push_back(MessageState{m.uid, m.flags, ImapDateTime{1'000'000'000, 0},
                                                  m.bytes.size(), recent});
        }
        return state;
    }
    Result<std::string, StoreProblem> read(std::string_view folder, std::uint32_t uid) override {
        ++reads;
        if (auto* m = message(folder, uid)) {
            return m->bytes;
        }
        return StoreProblem{StoreProblem::Kind::failure, "gone"};
    }
    Result<std::vector<std::pair<std::uint32_t, std::vector<Flag>>>, StoreProblem> store_flags(
        std::string_view folder, const std::vector<std::uint32_t>& uids, StoreAction::Mode mode,
        const std::vector<Flag>& flags) override {
        std::vector<std::pair<std::uint32_t, std::vector<Flag>>> out;
        for (std::uint32_t uid : uids) {
            auto* m = message(folder, uid);
            if (!m) {
                continue;
            }
            if (mode == StoreAction::Mode::replace) {
                m->flags.clear();
            }
            for (const Flag& f : flags) {
                auto it = std::find(m->flags.begin(), m->flags.end(), f);
                if (mode == StoreAction::Mode::remove) {
                    if (it != m->flags.end()) {
                        m->flags.erase(it);
                    }
                } else if (it == m->flags.end()) {
                    m->flags.push_back(f);
                }
            }
            out.emplace_back(uid, m->flags);
        }
        return out;
    }
    Result<UidMapping, StoreProblem> copy(std::string_view folder,
                                          const std::vector<std::uint32_t>& uids,
                                          std::string_view destination) override {
        auto* to = find(destination);
        if (!to) {
            return StoreProblem{StoreProblem::Kind::no_such_folder, "none"};
        }
        UidMapping mapping{to->uid_validity, {}};
        for (std::uint32_t uid : uids) {
            if (auto* m = message(folder, uid)) {
                Mail::Message copy = *m;
                copy.uid = to->uid_next++;
                copy.seen_by_a_session = false;
                to->messages.push_back(copy);
                mapping.uids.emplace_back(uid, copy.uid);
            }
        }
        return mapping;
    }
    std::optional<StoreProblem> expunge(std::string_view folder,
                                        const std::vector<std::uint32_t>& uids) override {
        auto* f = find(folder);
        if (!f) {
            return StoreProblem{StoreProblem::Kind::no_such_folder, "none"};
        }
        std::erase_if(f->messages, [&](const Mail::Message& m) {
            return std::find(uids.begin(), uids.end(), m.uid) != uids.end();
        });
        return std::nullopt;
    }
    Result<UidMapping, StoreProblem> append(std::string_view folder, std::string_view message,
                                            const std::vector<Flag>& flags,
                                            std::optional<ImapDateTime>) override {
        auto* f = find(folder);
        if (!f) {
            return StoreProblem{StoreProblem::Kind::no_such_folder, "none"};
        }
        const std::uint32_t uid = mail_.deliver(std::string(folder), std::string(message), flags);
        return UidMapping{f->uid_validity, {{0, uid}}};
    }

    int reads = 0;  // read() calls, for the tests of FETCH's slices

  private:
    Mail::Folder* find(std::string_view folder) {
        auto it = mail_.folders.find(std::string(folder));
        return it == mail_.folders.end() ? nullptr : &it->second;
    }
    Mail::Message* message(std::string_view folder, std::uint32_t uid) {
        auto* f = find(folder);
        if (!f) {
            return nullptr;
        }
        for (auto& m : f->messages) {
            if (m.uid == uid) {
                return &m;
            }
        }
        return nullptr;
    }

    Mail& mail_;
    std::vector<std::uint32_t> recent_;
};

class Accounts : public ImapAccounts {
  public:
    explicit Accounts(Mail& mail) : mail_(mail) {}
    std::unique_ptr<ImapMailStore> login(std::string_view user,
                                         std::string_view password) override {
        if (user != "bob" || password != "secret") {
            return nullptr;
        }
        return std::make_unique<MemoryStore>(mail_);
    }

  private:
    Mail& mail_;
};

}  // namespace l7::mail::imap
