#include "mail/imap/session.hpp"

#include <algorithm>
#include <set>
#include <unordered_set>

#include "core/base64.hpp"
#include "mail/header.hpp"
#include "mail/imap/fetch.hpp"
#include "mail/imap/mailbox_name.hpp"
#include "mail/imap/quote.hpp"
#include "mail/imap/search.hpp"

namespace l7::mail::imap {
namespace {

using trace::Direction;

constexpr char kDelimiter = '.';
constexpr std::string_view kSystemFlags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

bool has_flag(const std::vector<Flag>& flags, std::string_view flag) {
    return std::any_of(flags.begin(), flags.end(), [&](const Flag& f) { return iequals(f, flag); });
}

std::string flag_list(const std::vector<Flag>& flags, bool recent) {
    std::vector<Flag> all = flags;
    if (recent) {
        all.push_back("\\Recent");
    }
    std::string out;
    append_flag_list(out, all);
    return out;
}

// "1:3,5,9:10" for COPYUID and APPENDUID (RFC 4315 3), in the order given.
std::string uid_set_text(const std::vector<std::uint32_t>& uids) {
    std::string out;
    for (std::size_t i = 0; i < uids.size();) {
        std::size_t j = i;
        while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) {
            ++j;
        }
        if (!out.empty()) {
            out += ',';
        }
        out += std::to_string(uids[i]);
        if (j > i) {
            out += ':' + std::to_string(uids[j]);
        }
        i = j + 1;
    }
    return out;
}

std::string mailbox_text(std::string_view name) {
    std::string out;
    append_astring(out, name);
    return out;
}

bool is_idle_done(std::string_view line) {
    return iequals(line, "DONE");
}

}  // namespace

// The session's picture of the selected folder: what the client has been told.
struct ImapServerSession::View {
    std::string folder;
    bool read_only = false;
    std::uint32_t uid_validity = 0;
    std::uint32_t uid_next = 1;
    std::vector<MessageState> messages;   // sequence order = ascending UIDs
    std::vector<std::uint32_t> expunged;  // UIDs gone from the store, not yet told

    std::optional<std::size_t> index_of(std::uint32_t uid) const {
        auto it =
            std::lower_bound(messages.begin(), messages.end(), uid,
                             [](const MessageState& m, std::uint32_t u) { return m.uid < u; });
        if (it == messages.end() || it->uid != uid) {
            return std::nullopt;
        }
        return static_cast<std::size_t>(it - messages.begin());
    }
    std::uint32_t largest_uid() const { return messages.empty() ? 0 : messages.back().uid; }
};

// A FETCH being rendered, a few messages per slice.
struct ImapServerSession::FetchJob {
    std::string tag;
    bool uid = false;
    std::vector<FetchAttribute> attributes;
    std::vector<std::size_t> indexes;
    std::size_t next = 0;
};

ImapServerSession::ImapServerSession(ImapServerConfig config, ImapAccounts& accounts)
    : config_(std::move(config)), accounts_(accounts), framer_(config_.limits.framer) {}

ImapServerSession::~ImapServerSession() = default;

std::string ImapServerSession::capabilities() const {
    std::string caps = "IMAP4rev1 LITERAL+ SASL-IR ENABLE IDLE";
    if (phase_ == Phase::not_authenticated || phase_ == Phase::not_started) {
        caps += " AUTH=PLAIN AUTH=LOGIN";
    } else {
        caps += " NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN";
    }
    return caps;
}

void ImapServerSession::start() {
    if (phase_ != Phase::not_started) {
        return;
    }
    phase_ = Phase::not_authenticated;
    untagged("OK [CAPABILITY " + capabilities() + "] " + config_.hostname + " IMAP4rev1 l7 ready");
}

void ImapServerSession::receive(std::string_view bytes) {
    if (phase_ == Phase::logout || close_queued_) {
        return;
    }
    if (bytes.empty()) {
        eof_ = true;
        return;
    }
    framer_.receive(bytes);
}

std::size_t ImapServerSession::input_room() const {
    if (phase_ == Phase::logout || close_queued_) {
        return 0;
    }
    return framer_.input_room();
}

ImapWaitingFor ImapServerSession::waiting_for() const {
    if (phase_ == Phase::logout || close_queued_) {
        return ImapWaitingFor::nothing;
    }
    if (!idle_tag_.empty()) {
        return ImapWaitingFor::idle;
    }
    if (phase_ == Phase::not_authenticated || phase_ == Phase::not_started) {
        return ImapWaitingFor::login;
    }
    return ImapWaitingFor::command;
}

std::optional<ImapEvent> ImapServerSession::next_event() {
    while (out_.size() < config_.limits.send_slice && phase_ != Phase::not_started) {
        if (fetch_job_) {
            continue_fetch();
            continue;
        }
        if (close_queued_ || phase_ == Phase::logout || !handle_framer_event()) {
            break;
        }
    }
    if (!out_.empty()) {
        return ImapSend{std::exchange(out_, {})};
    }
    if ((close_queued_ || phase_ == Phase::logout) && !close_sent_) {
        close_sent_ = true;
        return ImapClose{};
    }
    return std::nullopt;
}

// Handles the framer's next event; false when it needs more input first.
bool ImapServerSession::handle_framer_event() {
    FramerEvent ev = framer_.next();
    if (std::holds_alternative<FramerNeedMore>(ev)) {
        if (!eof_) {
            return false;
        }
        trace_.record(Direction::note, "client closed the connection");
        close_queued_ = true;
        return true;
    }
    if (auto* cont = std::get_if<FramerContinuationNeeded>(&ev)) {
        (void)cont;
        out_ += "+ Ready for literal data\r\n";
        trace_.record(Direction::to_client, "+ Ready for literal data");
        return true;
    }
    if (auto* command = std::get_if<FramerCommand>(&ev)) {
        auto parsed = parse_command(command->text);
        if (!parsed) {
            trace_.record(Direction::to_server, trace::preview(command->text, 200));
            bad(parsed.error().tag, parsed.error().message);
            return true;
        }
        ImapCommand& cmd = *parsed;
        if (cmd.name == CommandName::login) {
            trace_.record(Direction::to_server,
                          cmd.tag + " LOGIN " + trace::preview(cmd.user, 100) + " <hidden>");
        } else if (cmd.name == CommandName::append) {
            trace_.record(Direction::to_server,
                          cmd.tag + " APPEND " + trace::preview(cmd.mailbox, 100) + " (" +
                              std::to_string(cmd.message.size()) + " octets)");
        } else {
            trace_.record(Direction::to_server, trace::preview(command->text, 200));
        }
        handle_command(cmd);
        return true;
    }
    if (auto* line = std::get_if<FramerLine>(&ev)) {
        handle_line(line->text);
        return true;
    }
    if (auto* too_long = std::get_if<FramerTooLong>(&ev)) {
        trace_.record(Direction::to_server, "(a command over the length limit)");
        if (!idle_tag_.empty() || sasl_) {
            framer_.set_line_mode(false);
            const std::string tag =
                !idle_tag_.empty() ? std::exchange(idle_tag_, {}) : std::exchange(sasl_tag_, {});
            sasl_.reset();
            bad(tag, "Line too long");
            return true;
        }
        bad(too_long->tag, "Command line too long");
        return true;
    }
    if (auto* too_big = std::get_if<FramerLiteralTooBig>(&ev)) {
        trace_.record(Direction::to_server, "(a literal of " + std::to_string(too_big->size) +
                                                " octets, over the limit)");
        if (too_big->synchronizing) {
            tagged(too_big->tag, "NO", "[TOOBIG] Literal too big");
        } else {
            bad(too_big->tag, "[TOOBIG] Literal too big");
        }
        return true;
    }
    if (std::holds_alternative<FramerOverflow>(ev)) {
        trace_.record(Direction::note, "client sent more than the input buffer holds");
        bye("Too much input");
    }
    return true;
}

// Line mode: an AUTHENTICATE response or IDLE's DONE.
void ImapServerSession::handle_line(std::string_view line) {
    if (sasl_) {
        trace_.record(Direction::to_server, line == "*" ? std::string_view("*") : "<hidden>");
        sasl_step(sasl_->step(line));
        return;
    }
    if (!idle_tag_.empty()) {
        trace_.record(Direction::to_server, trace::preview(line, 100));
        framer_.set_line_mode(false);
        const std::string tag = std::exchange(idle_tag_, {});
        if (!is_idle_done(line)) {
            bad(tag, "Expected DONE");
            return;
        }
        if (view_) {
            sync_view(true);
        }
        tagged(tag, "OK", "IDLE terminated");
        return;
    }
    framer_.set_line_mode(false);
}

void ImapServerSession::handle_command(ImapCommand& cmd) {
    switch (cmd.name) {
        case CommandName::capability:
        case CommandName::noop:
        case CommandName::logout:
            command_any_state(cmd);
            return;
        default:
            break;
    }
    if (phase_ == Phase::not_authenticated) {
        command_not_authenticated(cmd);
        return;
    }
    if (command_authenticated(cmd)) {
        return;
    }
    if (phase_ == Phase::selected && command_selected(cmd)) {
        return;
    }
    if (phase_ == Phase::authenticated) {
        bad(cmd.tag, std::string(command_name_text(cmd.name)) + " needs a selected mailbox");
        return;
    }
    bad(cmd.tag, std::string(command_name_text(cmd.name)) + " is not allowed now");
}

void ImapServerSession::command_any_state(const ImapCommand& cmd) {
    switch (cmd.name) {
        case CommandName::capability:
            untagged("CAPABILITY " + capabilities());
            tagged(cmd.tag, "OK", "CAPABILITY completed");
            return;
        case CommandName::noop:
            if (view_) {
                sync_view(true);
            }
            tagged(cmd.tag, "OK", "NOOP completed");
            return;
        case CommandName::logout:
            untagged("BYE " + config_.hostname + " IMAP4rev1 server logging out");
            tagged(cmd.tag, "OK", "LOGOUT completed");
            phase_ = Phase::logout;
            return;
        default:
            return;
    }
}

void ImapServerSession::command_not_authenticated(const ImapCommand& cmd) {
    switch (cmd.name) {
        case CommandName::login:
            login(cmd);
            return;
        case CommandName::authenticate:
            authenticate(cmd);
            return;
        case CommandName::starttls:
            tagged(cmd.tag, "NO", "TLS is not available on this server");
            return;
        default:
            bad(cmd.tag, "Log in first");
            return;
    }
}

void ImapServerSession::login(const ImapCommand& cmd) {
    auto store = accounts_.login(cmd.user, cmd.password);
    if (!store) {
        login_failed(cmd.tag);
        return;
    }
    const std::string user = cmd.user;
    logged_in(std::move(store), user);
    tagged(cmd.tag, "OK", "[CAPABILITY " + capabilities() + "] Logged in");
}

void ImapServerSession::authenticate(const ImapCommand& cmd) {
    auto mechanism = parse_sasl_mechanism(cmd.mechanism);
    if (!mechanism) {
        tagged(cmd.tag, "NO", "Unsupported authentication mechanism");
        return;
    }
    sasl_.emplace(*mechanism);
    sasl_tag_ = cmd.tag;
    std::optional<std::string_view> initial;
    if (cmd.initial_response) {
        initial = cmd.initial_response->empty() ? std::string_view("=")
                                                : std::string_view(*cmd.initial_response);
    }
    sasl_step(sasl_->start(initial));
}

void ImapServerSession::sasl_step(SaslStep step) {
    if (auto* challenge = std::get_if<SaslChallenge>(&step)) {
        out_ += "+ " + challenge->base64 + "\r\n";
        trace_.record(Direction::to_client, "+ " + challenge->base64);
        framer_.set_line_mode(true);
        return;
    }
    framer_.set_line_mode(false);
    const std::string tag = std::exchange(sasl_tag_, {});
    sasl_.reset();
    if (auto* failure = std::get_if<SaslFailure>(&step)) {
        if (*failure == SaslFailure::cancelled) {
            bad(tag, "Authentication cancelled");
        } else if (*failure == SaslFailure::authorization_refused) {
            login_failed(tag);
        } else {
            bad(tag, "Malformed authentication response");
        }
        return;
    }
    const auto& credentials = std::get<SaslCredentials>(step);
    auto store = accounts_.login(credentials.user, credentials.password);
    if (!store) {
        login_failed(tag);
        return;
    }
    logged_in(std::move(store), credentials.user);
    tagged(tag, "OK", "[CAPABILITY " + capabilities() + "] Logged in");
}

void ImapServerSession::logged_in(std::unique_ptr<ImapMailStore> store, const std::string& user) {
    store_ = std::move(store);
    user_ = user;
    phase_ = Phase::authenticated;
    trace_.record(Direction::note, "authenticated as " + trace::preview(user, 100));
}

void ImapServerSession::login_failed(const std::string& tag) {
    ++login_failures_;
    tagged(tag, "NO", "[AUTHENTICATIONFAILED] Authentication failed");
    if (login_failures_ >= config_.limits.max_login_failures) {
        bye("Too many failed logins");
    }
}

// ---- Authenticated state ------------------------------------------------------------------

bool ImapServerSession::command_authenticated(ImapCommand& cmd) {
    switch (cmd.name) {
        case CommandName::login:
        case CommandName::authenticate:
            bad(cmd.tag, "Already logged in");
            return true;
        case CommandName::starttls:
            bad(cmd.tag, "TLS is not available on this server");
            return true;
        case CommandName::enable:
            // No extension here changes behaviour when enabled (RFC 5161 3.1: list none).
            untagged("ENABLED");
            tagged(cmd.tag, "OK", "ENABLE completed");
            return true;
        case CommandName::namespace_:
            untagged("NAMESPACE ((\"\" \".\")) NIL NIL");
            tagged(cmd.tag, "OK", "NAMESPACE completed");
            return true;
        case CommandName::select:
        case CommandName::examine:
            select(cmd);
            return true;
        case CommandName::create: {
            std::string name = cmd.mailbox;
            while (!name.empty() && name.back() == kDelimiter) {
                name.pop_back();  // RFC 3501 6.3.3: "foo." creates "foo"
            }
            if (name.empty() || name == "INBOX") {
                tagged(cmd.tag, "NO", "[ALREADYEXISTS] Mailbox exists");
                return true;
            }
            if (auto problem = store_->create(name)) {
                no(cmd.tag, *problem, "CREATE");
                return true;
            }
            tagged(cmd.tag, "OK", "CREATE completed");
            break;
        }
        case CommandName::delete_:
            if (cmd.mailbox == "INBOX") {
                tagged(cmd.tag, "NO", "[CANNOT] INBOX cannot be deleted");
                return true;
            }
            if (view_ && view_->folder == cmd.mailbox) {
                view_.reset();
                store_->selected(std::nullopt);
                phase_ = Phase::authenticated;
            }
            if (auto problem = store_->remove(cmd.mailbox)) {
                no(cmd.tag, *problem, "DELETE");
                return true;
            }
            tagged(cmd.tag, "OK", "DELETE completed");
            break;
        case CommandName::rename:
            if (auto problem = store_->rename(cmd.mailbox, cmd.new_name)) {
                no(cmd.tag, *problem, "RENAME");
                return true;
            }
            tagged(cmd.tag, "OK", "RENAME completed");
            break;
        case CommandName::subscribe:
        case CommandName::unsubscribe:
            if (auto problem =
                    store_->set_subscribed(cmd.mailbox, cmd.name == CommandName::subscribe)) {
                no(cmd.tag, *problem, std::string(command_name_text(cmd.name)));
                return true;
            }
            tagged(cmd.tag, "OK", std::string(command_name_text(cmd.name)) + " completed");
            break;
        case CommandName::list:
        case CommandName::lsub:
            list(cmd);
            return true;
        case CommandName::status:
            status(cmd);
            return true;
        case CommandName::append:
            append(cmd);
            return true;
        case CommandName::idle:
            idle_tag_ = cmd.tag;
            framer_.set_line_mode(true);
            if (view_) {
                sync_view(true);
            }
            out_ += "+ idling\r\n";
            trace_.record(Direction::to_client, "+ idling");
            return true;
        default:
            return false;
    }
    return true;
}

void ImapServerSession::select(const ImapCommand& cmd) {
    // RFC 3501 6.3.1: a SELECT, failed or not, first deselects the current mailbox.
    view_.reset();
    phase_ = Phase::authenticated;
    store_->selected(cmd.mailbox);
    auto state = store_->state(cmd.mailbox);
    if (!state) {
        store_->selected(std::nullopt);
        no(cmd.tag, state.error(), "SELECT");
        return;
    }
    auto view = std::make_unique<View>();
    view->folder = cmd.mailbox;
    view->read_only = cmd.name == CommandName::examine;
    view->uid_validity = state->uid_validity;
    view->uid_next = state->uid_next;
    view->messages = std::move(state->messages);

    std::set<std::string, bool (*)(const std::string&, const std::string&)> keywords(
        [](const std::string& a, const std::string& b) {
            return ascii_lowercase(a) < ascii_lowercase(b);
        });
    std::size_t recent = 0;
    std::optional<std::size_t> first_unseen;
    for (std::size_t i = 0; i < view->messages.size(); ++i) {
        const MessageState& m = view->messages[i];
        recent += m.recent ? 1 : 0;
        if (!first_unseen && !has_flag(m.flags, "\\Seen")) {
            first_unseen = i + 1;
        }
        for (const Flag& f : m.flags) {
            if (!f.empty() && f[0] != '\\') {
                keywords.insert(f);
            }
        }
    }
    std::string flags = "(" + std::string(kSystemFlags);
    for (const std::string& k : keywords) {
        if (is_flag(k)) {
            flags += " " + k;
        }
    }
    untagged("FLAGS " + flags + ")");
    if (view->read_only) {
        untagged("OK [PERMANENTFLAGS ()] Read-only mailbox");
    } else {
        untagged("OK [PERMANENTFLAGS " + flags + " \\*)] Flags permitted");
    }
    untagged(std::to_string(view->messages.size()) + " EXISTS");
    untagged(std::to_string(recent) + " RECENT");
    if (first_unseen) {
        untagged("OK [UNSEEN " + std::to_string(*first_unseen) + "] First unseen");
    }
    untagged("OK [UIDVALIDITY " + std::to_string(view->uid_validity) + "] UIDs valid");
    untagged("OK [UIDNEXT " + std::to_string(view->uid_next) + "] Predicted next UID");
    const bool read_only = view->read_only;
    view_ = std::move(view);
    phase_ = Phase::selected;
    tagged(cmd.tag, "OK",
           std::string(read_only ? "[READ-ONLY] " : "[READ-WRITE] ") +
               std::string(command_name_text(cmd.name)) + " completed");
}

void ImapServerSession::list(const ImapCommand& cmd) {
    const bool lsub = cmd.name == CommandName::lsub;
    const std::string verb = lsub ? "LSUB" : "LIST";
    if (!lsub && cmd.pattern.empty()) {
        // RFC 3501 6.3.8: the hierarchy delimiter and the root of the reference.
        untagged("LIST (\\Noselect) \"" + std::string(1, kDelimiter) + "\" \"\"");
        tagged(cmd.tag, "OK", "LIST completed");
        return;
    }
    auto folders = store_->folders();
    if (!folders) {
        no(cmd.tag, folders.error(), verb);
        return;
    }
    std::vector<std::string> subscribed;
    if (lsub) {
        auto subs = store_->subscriptions();
        if (!subs) {
            no(cmd.tag, subs.error(), verb);
            return;
        }
        subscribed = std::move(*subs);
    }
    // The pattern is read after the reference (RFC 3501 6.3.8): a reference names a place in
    // the hierarchy, so "Lists." with "%" lists the children of Lists.
    const std::string pattern = cmd.reference + cmd.pattern;
    auto has_children = [&](const std::string& name) {
        const std::string prefix = name + kDelimiter;
        return std::any_of(folders->begin(), folders->end(), [&](const FolderEntry& f) {
            return f.name.size() > prefix.size() && f.name.compare(0, prefix.size(), prefix) == 0;
        });
    };
    auto line = [&](const std::string& attributes, const std::string& name) {
        untagged(verb + " (" + attributes + ") \"" + std::string(1, kDelimiter) + "\" " +
                 mailbox_text(name));
    };
    if (lsub) {
        // RFC 3501 6.3.9: the subscribed names, existing or not; and with "%", the parent of
        // a subscribed name that the pattern does not reach, as \Noselect when the parent
        // itself is not subscribed.
        const bool percent = pattern.find('%') != std::string::npos;
        auto is_subscribed = [&](const std::string& name) {
            return std::find(subscribed.begin(), subscribed.end(), name) != subscribed.end();
        };
        std::vector<std::string> shown;
        auto first_time = [&](const std::string& name) {
            if (std::find(shown.begin(), shown.end(), name) != shown.end()) {
                return false;
            }
            shown.push_back(name);
            return true;
        };
        for (const std::string& name : subscribed) {
            if (list_pattern_matches(pattern, name, kDelimiter)) {
                if (!first_time(name)) {
                    continue;
                }
                const auto f = std::find_if(folders->begin(), folders->end(),
                                            [&](const FolderEntry& e) { return e.name == name; });
                if (f == folders->end() || !f->exists) {
                    line("\\Noselect", name);
                } else {
                    line(has_children(name) ? "\\HasChildren" : "\\HasNoChildren", name);
                }
                continue;
            }
            for (auto at = name.find(kDelimiter); percent && at != std::string::npos;
                 at = name.find(kDelimiter, at + 1)) {
                const std::string parent = name.substr(0, at);
                if (!is_subscribed(parent) && list_pattern_matches(pattern, parent, kDelimiter) &&
                    first_time(parent)) {
                    line("\\Noselect", parent);
                }
            }
        }
        tagged(cmd.tag, "OK", verb + " completed");
        return;
    }
    for (const FolderEntry& folder : *folders) {
        if (!list_pattern_matches(pattern, folder.name, kDelimiter)) {
            continue;
        }
        std::string attributes;
        if (!folder.exists) {
            attributes += "\\Noselect ";
        }
        attributes += has_children(folder.name) ? "\\HasChildren" : "\\HasNoChildren";
        line(attributes, folder.name);
    }
    tagged(cmd.tag, "OK", verb + " completed");
}

void ImapServerSession::status(const ImapCommand& cmd) {
    auto state = store_->state(cmd.mailbox);
    if (!state) {
        no(cmd.tag, state.error(), "STATUS");
        return;
    }
    std::string items;
    for (StatusItem item : cmd.status) {
        if (!items.empty()) {
            items += ' ';
        }
        switch (item) {
            case StatusItem::messages:
                items += "MESSAGES " + std::to_string(state->messages.size());
                break;
            case StatusItem::recent:
                items += "RECENT " + std::to_string(std::count_if(
                                         state->messages.begin(), state->messages.end(),
                                         [](const MessageState& m) { return m.recent; }));
                break;
            case StatusItem::uid_next:
                items += "UIDNEXT " + std::to_string(state->uid_next);
                break;
            case StatusItem::uid_validity:
                items += "UIDVALIDITY " + std::to_string(state->uid_validity);
                break;
            case StatusItem::unseen:
                items += "UNSEEN " +
                         std::to_string(std::count_if(
                             state->messages.begin(), state->messages.end(),
                             [](const MessageState& m) { return !has_flag(m.flags, "\\Seen"); }));
                break;
        }
    }
    untagged("STATUS " + mailbox_text(cmd.mailbox) + " (" + items + ")");
    if (view_) {
        sync_view(true);
    }
    tagged(cmd.tag, "OK", "STATUS completed");
}

void ImapServerSession::append(ImapCommand& cmd) {
    auto appended = store_->append(cmd.mailbox, cmd.message, cmd.append_flags, cmd.append_date);
    if (!appended) {
        no(cmd.tag, appended.error(), "APPEND");
        return;
    }
    if (view_) {
        sync_view(true);
    }
    const std::uint32_t uid = appended->uids.empty() ? 0 : appended->uids.front().second;
    tagged(cmd.tag, "OK",
           "[APPENDUID " + std::to_string(appended->uid_validity) + " " + std::to_string(uid) +
               "] APPEND completed");
}

// ---- Selected state -----------------------------------------------------------------------

bool ImapServerSession::command_selected(const ImapCommand& cmd) {
    switch (cmd.name) {
        case CommandName::check:
            sync_view(true);
            tagged(cmd.tag, "OK", "CHECK completed");
            return true;
        case CommandName::close:
            close_folder(cmd, !view_->read_only);
            return true;
        case CommandName::unselect:
            close_folder(cmd, false);
            return true;
        case CommandName::expunge:
            expunge(cmd);
            return true;
        case CommandName::search:
            search(cmd);
            return true;
        case CommandName::fetch:
            fetch(cmd);
            return true;
        case CommandName::store:
            store(cmd);
            return true;
        case CommandName::copy:
        case CommandName::move:
            copy_or_move(cmd);
            return true;
        default:
            return false;
    }
}

bool ImapServerSession::resolve_set(const SequenceSet& set, bool uid,
                                    std::vector<std::size_t>& out) const {
    const auto& messages = view_->messages;
    out.clear();
    if (!uid) {
        const std::uint32_t count = static_cast<std::uint32_t>(messages.size());
        for (const SequenceRange& r : set.ranges) {
            const std::uint32_t a = r.first == kStar ? count : r.first;
            const std::uint32_t b = r.last == kStar ? count : r.last;
            if (a == 0 || b == 0 || a > count || b > count) {
                return false;
            }
        }
        for (std::uint32_t n = 1; n <= count; ++n) {
            if (set.contains(n, count)) {
                out.push_back(n - 1);
            }
        }
        return true;
    }
    const std::uint32_t largest = view_->largest_uid();
    for (std::size_t i = 0; i < messages.size(); ++i) {
        if (set.contains(messages[i].uid, largest)) {
            out.push_back(i);
        }
    }
    return true;
}

void ImapServerSession::fetch(const ImapCommand& cmd) {
    auto job = std::make_unique<FetchJob>();
    if (!resolve_set(cmd.set, cmd.uid, job->indexes)) {
        bad(cmd.tag, "Invalid message sequence number");
        return;
    }
    job->tag = cmd.tag;
    job->uid = cmd.uid;
    job->attributes = cmd.fetch;
    fetch_job_ = std::move(job);
}

// Renders messages until a slice is full; at the end, the tagged reply.
bool ImapServerSession::continue_fetch() {
    FetchJob& job = *fetch_job_;
    const bool sets_seen = fetch_sets_seen(job.attributes) && !view_->read_only;
    const bool needs_message = fetch_needs_message(job.attributes);
    const bool asks_flags =
        std::any_of(job.attributes.begin(), job.attributes.end(),
                    [](const FetchAttribute& a) { return a.kind == FetchAttribute::Kind::flags; });
    bool failed = false;
    while (job.next < job.indexes.size() && out_.size() < config_.limits.send_slice) {
        const std::size_t index = job.indexes[job.next++];
        MessageState& m = view_->messages[index];
        if (std::find(view_->expunged.begin(), view_->expunged.end(), m.uid) !=
            view_->expunged.end()) {
            continue;  // gone: nothing to say about it until the EXPUNGE can be sent
        }
        std::string bytes;
        if (needs_message) {
            auto read = store_->read(view_->folder, m.uid);
            if (!read) {
                failed = true;
                continue;
            }
            bytes = std::move(*read);
        }
        std::vector<FetchAttribute> attributes = job.attributes;
        if (sets_seen && !has_flag(m.flags, "\\Seen")) {
            auto changed =
                store_->store_flags(view_->folder, {m.uid}, StoreAction::Mode::add, {"\\Seen"});
            if (changed && !changed->empty()) {
                m.flags = changed->front().second;
                if (!asks_flags) {
                    attributes.push_back(
                        FetchAttribute{FetchAttribute::Kind::flags, {}, false, {}});
                }
            }
        }
        std::vector<Flag> flags = m.flags;
        if (m.recent) {
            flags.push_back("\\Recent");
        }
        FetchMessage message;
        message.bytes = bytes;
        message.uid = m.uid;
        message.flags = flags;
        message.internal_date = m.internal_date;
        message.size = m.size;
        FetchOptions options;
        options.include_uid = job.uid;
        std::string line = "* " + std::to_string(index + 1) + " FETCH " +
                           render_fetch(attributes, message, options);
        trace_.record(Direction::to_client, trace::preview(line, 200));
        out_ += line;
        out_ += "\r\n";
    }
    if (job.next < job.indexes.size()) {
        return false;
    }
    const std::string tag = job.tag;
    const bool uid = job.uid;
    fetch_job_.reset();
    sync_view(uid);
    if (failed) {
        tagged(tag, "NO", "[SERVERBUG] Some messages could not be read");
    } else {
        tagged(tag, "OK", uid ? "UID FETCH completed" : "FETCH completed");
    }
    return true;
}

void ImapServerSession::store(const ImapCommand& cmd) {
    if (view_->read_only) {
        tagged(cmd.tag, "NO", "Mailbox is read-only");
        return;
    }
    std::vector<std::size_t> indexes;
    if (!resolve_set(cmd.set, cmd.uid, indexes)) {
        bad(cmd.tag, "Invalid message sequence number");
        return;
    }
    std::vector<std::uint32_t> uids;
    for (std::size_t i : indexes) {
        uids.push_back(view_->messages[i].uid);
    }
    auto changed = store_->store_flags(view_->folder, uids, cmd.store.mode, cmd.store.flags);
    if (!changed) {
        no(cmd.tag, changed.error(), "STORE");
        return;
    }
    for (const auto& [uid, flags] : *changed) {
        auto index = view_->index_of(uid);
        if (!index) {
            continue;
        }
        MessageState& m = view_->messages[*index];
        m.flags = flags;
        if (!cmd.store.silent) {
            std::string line = "* " + std::to_string(*index + 1) + " FETCH (";
            if (cmd.uid) {
                line += "UID " + std::to_string(uid) + " ";
            }
            line += "FLAGS " + flag_list(m.flags, m.recent) + ")";
            untagged(line.substr(2));
        }
    }
    sync_view(cmd.uid);
    tagged(cmd.tag, "OK", cmd.uid ? "UID STORE completed" : "STORE completed");
}

void ImapServerSession::copy_or_move(const ImapCommand& cmd) {
    const bool move = cmd.name == CommandName::move;
    const std::string verb = std::string(cmd.uid ? "UID " : "") + (move ? "MOVE" : "COPY");
    if (move && view_->read_only) {
        tagged(cmd.tag, "NO", "Mailbox is read-only");
        return;
    }
    std::vector<std::size_t> indexes;
    if (!resolve_set(cmd.set, cmd.uid, indexes)) {
        bad(cmd.tag, "Invalid message sequence number");
        return;
    }
    std::vector<std::uint32_t> uids;
    for (std::size_t i : indexes) {
        uids.push_back(view_->messages[i].uid);
    }
    if (uids.empty()) {
        tagged(cmd.tag, "OK", verb + " completed (no messages)");
        return;
    }
    auto copied = store_->copy(view_->folder, uids, cmd.mailbox);
    if (!copied) {
        no(cmd.tag, copied.error(), verb);
        return;
    }
    std::vector<std::uint32_t> from, to;
    for (const auto& [a, b] : copied->uids) {
        from.push_back(a);
        to.push_back(b);
    }
    const std::string copyuid = from.empty()
                                    ? std::string()
                                    : "[COPYUID " + std::to_string(copied->uid_validity) + " " +
                                          uid_set_text(from) + " " + uid_set_text(to) + "] ";
    if (!move) {
        sync_view(cmd.uid);
        tagged(cmd.tag, "OK", copyuid + verb + " completed");
        return;
    }
    // RFC 6851 4.3: COPYUID goes in an untagged OK before the expunges.
    untagged("OK " + copyuid + "Moved");
    if (auto problem = expunge_uids(from)) {
        tagged(cmd.tag, "NO", "[SERVERBUG] Copied, but the originals could not be removed");
        return;
    }
    tagged(cmd.tag, "OK", verb + " completed");
}

// Removes messages and tells the client (EXPUNGE is allowed here).
std::optional<std::string> ImapServerSession::expunge_uids(const std::vector<std::uint32_t>& uids) {
    if (!uids.empty()) {
        if (auto problem = store_->expunge(view_->folder, uids)) {
            sync_view(true);
            return problem->text;
        }
    }
    sync_view(true);
    return std::nullopt;
}

void ImapServerSession::expunge(const ImapCommand& cmd) {
    if (view_->read_only) {
        tagged(cmd.tag, "NO", "Mailbox is read-only");
        return;
    }
    std::vector<std::size_t> indexes;
    if (cmd.uid) {
        (void)resolve_set(cmd.set, true, indexes);
    } else {
        for (std::size_t i = 0; i < view_->messages.size(); ++i) {
            indexes.push_back(i);
        }
    }
    std::vector<std::uint32_t> uids;
    for (std::size_t i : indexes) {
        if (has_flag(view_->messages[i].flags, "\\Deleted")) {
            uids.push_back(view_->messages[i].uid);
        }
    }
    if (expunge_uids(uids)) {
        tagged(cmd.tag, "NO", "[SERVERBUG] Some messages could not be removed");
        return;
    }
    tagged(cmd.tag, "OK", cmd.uid ? "UID EXPUNGE completed" : "EXPUNGE completed");
}

void ImapServerSession::search(const ImapCommand& cmd) {
    if (cmd.charset && !iequals(*cmd.charset, "UTF-8") && !iequals(*cmd.charset, "US-ASCII")) {
        tagged(cmd.tag, "NO", "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
        return;
    }
    const bool needs_message = search_needs_message(cmd.search);
    SearchContext context;
    context.largest_sequence = static_cast<std::uint32_t>(view_->messages.size());
    context.largest_uid = view_->largest_uid();
    std::string hits;
    bool failed = false;
    for (std::size_t i = 0; i < view_->messages.size(); ++i) {
        const MessageState& m = view_->messages[i];
        std::string bytes;
        SearchMessage message;
        message.sequence = static_cast<std::uint32_t>(i + 1);
        message.uid = m.uid;
        message.flags = m.flags;
        message.recent = m.recent;
        message.internal_date = m.internal_date;
        message.size = m.size;
        if (needs_message) {
            message.bytes = [&]() -> std::string_view {
                auto read = store_->read(view_->folder, m.uid);
                if (!read) {
                    failed = true;
                    return {};
                }
                bytes = std::move(*read);
                return bytes;
            };
        }
        if (search_matches(cmd.search, message, context)) {
            hits += ' ';
            hits += std::to_string(cmd.uid ? m.uid : i + 1);
        }
    }
    untagged("SEARCH" + hits);
    sync_view(cmd.uid);
    if (failed) {
        tagged(cmd.tag, "NO", "[SERVERBUG] Some messages could not be read");
        return;
    }
    tagged(cmd.tag, "OK", cmd.uid ? "UID SEARCH completed" : "SEARCH completed");
}

void ImapServerSession::close_folder(const ImapCommand& cmd, bool expunge_deleted) {
    if (expunge_deleted) {
        std::vector<std::uint32_t> uids;
        for (const MessageState& m : view_->messages) {
            if (has_flag(m.flags, "\\Deleted")) {
                uids.push_back(m.uid);
            }
        }
        // RFC 3501 6.4.2: CLOSE expunges silently.
        if (!uids.empty()) {
            (void)store_->expunge(view_->folder, uids);
        }
    }
    view_.reset();
    store_->selected(std::nullopt);
    phase_ = Phase::authenticated;
    tagged(cmd.tag, "OK", std::string(command_name_text(cmd.name)) + " completed");
}

// ---- Keeping the client's view current ------------------------------------------------------

void ImapServerSession::sync_view(bool expunges_allowed) {
    if (!view_ || !store_) {
        return;
    }
    auto state = store_->state(view_->folder);
    if (!state) {
        if (state.error().kind == StoreProblem::Kind::stale) {
            stale_view();
        }
        return;  // told at the next command; the view stays as it was
    }
    View& view = *view_;
    // Gone from the store: remembered until an EXPUNGE may be sent.
    std::unordered_set<std::uint32_t> present;
    present.reserve(state->messages.size());
    for (const MessageState& m : state->messages) {
        present.insert(m.uid);
    }
    for (const MessageState& m : view.messages) {
        if (!present.count(m.uid) &&
            std::find(view.expunged.begin(), view.expunged.end(), m.uid) == view.expunged.end()) {
            view.expunged.push_back(m.uid);
        }
    }
    if (expunges_allowed) {
        send_expunges();
    }
    // Flags changed by others, and new messages.
    const std::uint32_t largest = view.largest_uid();
    const std::size_t old_count = view.messages.size();
    std::size_t recent = 0;
    for (MessageState& m : state->messages) {
        if (m.uid <= largest) {
            auto index = view.index_of(m.uid);
            if (index && view.messages[*index].flags != m.flags) {
                view.messages[*index].flags = m.flags;
                untagged(std::to_string(*index + 1) + " FETCH (UID " + std::to_string(m.uid) +
                         " FLAGS " + flag_list(m.flags, view.messages[*index].recent) + ")");
            }
            continue;
        }
        view.messages.push_back(std::move(m));
    }
    for (const MessageState& m : view.messages) {
        recent += m.recent ? 1 : 0;
    }
    view.uid_next = std::max(view.uid_next, state->uid_next);
    if (view.messages.size() != old_count) {
        untagged(std::to_string(view.messages.size()) + " EXISTS");
        untagged(std::to_string(recent) + " RECENT");
    }
}

void ImapServerSession::send_expunges() {
    View& view = *view_;
    if (view.expunged.empty()) {
        return;
    }
    // Highest sequence number first: no later number moves under an earlier EXPUNGE.
    std::vector<std::size_t> indexes;
    for (std::uint32_t uid : view.expunged) {
        if (auto index = view.index_of(uid)) {
            indexes.push_back(*index);
        }
    }
    std::sort(indexes.rbegin(), indexes.rend());
    for (std::size_t index : indexes) {
        untagged(std::to_string(index + 1) + " EXPUNGE");
        view.messages.erase(view.messages.begin() + static_cast<std::ptrdiff_t>(index));
    }
    view.expunged.clear();
}

void ImapServerSession::poll() {
    if (idle_tag_.empty() || !view_) {
        return;
    }
    sync_view(true);
}

void ImapServerSession::timed_out() {
    if (phase_ == Phase::logout || close_queued_) {
        return;
    }
    trace_.record(Direction::note, "no command within the deadline");
    bye("Autologout; idle for too long");
}

// ---- Replies --------------------------------------------------------------------------------

void ImapServerSession::untagged(std::string_view text) {
    std::string line = "* ";
    line += text;
    trace_.record(Direction::to_client, trace::preview(line, 200));
    out_ += line;
    out_ += "\r\n";
}

void ImapServerSession::tagged(const std::string& tag, std::string_view status,
                               std::string_view text) {
    std::string line = tag;
    line += ' ';
    line += status;
    line += ' ';
    line += text;
    trace_.record(Direction::to_client, line);
    out_ += line;
    out_ += "\r\n";
}

void ImapServerSession::bad(const std::string& tag, std::string_view text) {
    tagged(tag, "BAD", text);
    if (++bad_commands_ >= config_.limits.max_bad_commands) {
        bye("Too many invalid commands");
    }
}

void ImapServerSession::no(const std::string& tag, const StoreProblem& problem,
                           std::string_view what) {
    std::string code;
    switch (problem.kind) {
        case StoreProblem::Kind::no_such_folder:
            code = what == "APPEND" || what.ends_with("COPY") || what.ends_with("MOVE")
                       ? "[TRYCREATE] "
                       : "[NONEXISTENT] ";
            trace_.record(Direction::note, problem.text);
            tagged(tag, "NO", code + "Mailbox does not exist");
            return;
        case StoreProblem::Kind::already_exists:
            tagged(tag, "NO", "[ALREADYEXISTS] Mailbox exists");
            return;
        case StoreProblem::Kind::not_allowed:
            tagged(tag, "NO", "[CANNOT] " + std::string(what) + " not possible: " + problem.text);
            return;
        case StoreProblem::Kind::too_big:
            tagged(tag, "NO", "[TOOBIG] Message too big");
            return;
        case StoreProblem::Kind::limit:
            trace_.record(Direction::note, problem.text);
            tagged(tag, "NO", "[LIMIT] " + std::string(what) + " would pass a limit of the server");
            return;
        case StoreProblem::Kind::in_use:
            tagged(tag, "NO", "[INUSE] Mailbox in use by another session");
            return;
        case StoreProblem::Kind::stale:
            trace_.record(Direction::note, problem.text);
            tagged(tag, "NO", "[UNAVAILABLE] The mailbox was replaced");
            stale_view();
            return;
        case StoreProblem::Kind::failure:
            break;
    }
    trace_.record(Direction::note, problem.text);
    tagged(tag, "NO", "[SERVERBUG] " + std::string(what) + " failed; the server log says why");
}

void ImapServerSession::stale_view() {
    // RFC 3501 2.3.1.1: UIDVALIDITY may not change while a folder is selected, and the
    // folder's index was rebuilt (or removed) under this session: the session ends, and the
    // client reads the folder anew on its next connection.
    if (!close_queued_) {
        view_.reset();
        store_->selected(std::nullopt);
        bye("The selected mailbox was replaced; please reconnect");
    }
}

void ImapServerSession::bye(std::string_view text) {
    untagged("BYE " + std::string(text));
    close_queued_ = true;
}

}  // namespace l7::mail::imap
