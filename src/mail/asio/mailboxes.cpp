#include "mail/asio/mailboxes.hpp"

#include <unistd.h>

#include <algorithm>

namespace l7::mail {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    return out;
}

bool is_postmaster(std::string_view local) {
    return lower(local) == "postmaster";
}

// RFC 5321 4.1.2: a quoted local part names the same mailbox as its unquoted form
// ("bob"@x is bob@x); inside the quotes a backslash quotes the character after it.
std::string unquote(std::string_view local) {
    if (local.size() < 2 || local.front() != '"' || local.back() != '"') {
        return std::string(local);
    }
    std::string out;
    for (std::size_t i = 1; i + 1 < local.size(); ++i) {
        if (local[i] == '\\' && i + 2 < local.size()) {
            ++i;
        }
        out += local[i];
    }
    return out;
}

struct Split {
    std::string_view local;
    std::optional<std::string_view> domain;
};

Split split(std::string_view address) {
    const std::size_t at = address.rfind('@');
    if (at == std::string_view::npos) {
        return {address, std::nullopt};
    }
    return {address.substr(0, at), address.substr(at + 1)};
}

}  // namespace

Mailboxes::Mailboxes(MailboxesOptions options)
    : options_(std::move(options)), namer_(options_.hostname, ::getpid()) {
    for (std::string& d : options_.domains) {
        d = lower(d);
        if (d.ends_with('.')) {
            d.pop_back();
        }
    }
}

bool is_mailbox_name(std::string_view user) {
    return !user.empty() && user.front() != '.' && user.find('/') == std::string_view::npos;
}

bool Mailboxes::is_local_domain(std::string_view domain) const {
    std::string d = lower(domain);
    if (d.ends_with('.')) {
        d.pop_back();
    }
    return std::find(options_.domains.begin(), options_.domains.end(), d) != options_.domains.end();
}

bool Mailboxes::is_local_address(std::string_view address) const {
    const Split s = split(address);
    return s.domain ? is_local_domain(*s.domain) : is_postmaster(unquote(s.local));
}

std::optional<std::string> Mailboxes::user_for(std::string_view address) const {
    if (!is_local_address(address)) {
        return std::nullopt;
    }
    const Split parts = split(address);
    const std::string local = unquote(parts.local);
    if (is_postmaster(local)) {
        return options_.postmaster.empty() ? std::nullopt
                                           : std::optional<std::string>(options_.postmaster);
    }
    if (!options_.users) {
        return std::nullopt;
    }
    if (is_mailbox_name(local) && options_.users->has_user(local)) {
        return local;
    }
    if (const std::string l = lower(local); is_mailbox_name(l) && options_.users->has_user(l)) {
        return l;
    }
    return std::nullopt;
}

bool Mailboxes::verify(std::string_view user, std::string_view password) const {
    return is_mailbox_name(user) && options_.users && options_.users->verify(user, password);
}

Result<std::vector<std::filesystem::path>> Mailboxes::deliver(const std::vector<std::string>& users,
                                                              std::string_view message,
                                                              std::int64_t unix_micros) {
    std::vector<std::string> distinct;
    for (const std::string& u : users) {
        if (std::find(distinct.begin(), distinct.end(), u) == distinct.end()) {
            distinct.push_back(u);
        }
    }
    std::vector<std::filesystem::path> written;
    const auto undo = [&written] {
        for (const auto& p : written) {
            std::error_code ignored;
            std::filesystem::remove(p, ignored);
        }
    };
    for (const std::string& user : distinct) {
        // A user name is a single path component: the password file refuses '/' only
        // implicitly, so check here too.
        if (!is_mailbox_name(user)) {
            undo();
            return Error{"'" + user + "' cannot name a mailbox directory"};
        }
        Maildir box(options_.maildir_root / user);
        if (!box.exists()) {
            if (auto ec = box.create()) {
                undo();
                return Error{box.root().string() + ": cannot create the Maildir: " + ec.message()};
            }
        }
        auto delivered = box.deliver(message, namer_.next(unix_micros, message.size()));
        if (!delivered) {
            undo();
            return delivered.error();
        }
        written.push_back(*delivered);
    }
    return written;
}

}  // namespace l7::mail
