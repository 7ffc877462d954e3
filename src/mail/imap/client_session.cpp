#include "mail/imap/client_session.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "mail/imap/mailbox_name.hpp"
#include "mail/imap/quote.hpp"

namespace l7::mail::imap {

namespace {

constexpr std::size_t kMaxCapabilities = 256;

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

bool parse_number(std::string_view s, std::uint64_t& n) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// "{N}" at the end of a line: a literal of N octets follows (RFC 3501 4.3).
std::optional<std::uint64_t> literal_announced(std::string_view line) {
    if (line.empty() || line.back() != '}') {
        return std::nullopt;
    }
    const auto open = line.rfind('{');
    std::uint64_t n = 0;
    if (open == std::string_view::npos ||
        !parse_number(line.substr(open + 1, line.size() - open - 2), n)) {
        return std::nullopt;
    }
    return n;
}

// The text of a response code "[NAME rest]" at the start of `text`, if it is NAME.
std::optional<std::string_view> response_code(std::string_view text, std::string_view name) {
    if (text.empty() || text.front() != '[') {
        return std::nullopt;
    }
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
        return std::nullopt;
    }
    const std::string_view code = text.substr(1, close - 1);
    const std::string_view word = code.substr(0, code.find(' '));
    if (upper(word) != name) {
        return std::nullopt;
    }
    return word.size() < code.size() ? code.substr(word.size() + 1) : std::string_view();
}

// An astring for a command: an atom, a quoted string, or a synchronizing literal, which
// ends the current part (the rest goes after the server's "+").
void append_command_astring(std::vector<std::string>& parts, std::string_view s) {
    if (is_astring_atom(s) && upper(s) != "NIL") {
        parts.back() += s;
    } else if (can_quote(s)) {
        append_quoted(parts.back(), s);
    } else {
        parts.back() += "{" + std::to_string(s.size()) + "}\r\n";
        parts.emplace_back(s);
    }
}

}  // namespace

// Walks a response's tokens; the literals are moved out as they are read.
class ResponseCursor {
  public:
    explicit ResponseCursor(ClientResponse& r) : r_(r) {}

    void skip_spaces() {
        while (off_ < here().size() && here()[off_] == ' ') {
            ++off_;
        }
    }
    bool eat(char c) {
        skip_spaces();
        if (off_ < here().size() && here()[off_] == c) {
            ++off_;
            return true;
        }
        return false;
    }
    // An atom; a "[...]" inside it is taken whole, spaces and all (BODY[HEADER.FIELDS (A)]).
    bool atom(std::string& out) {
        skip_spaces();
        out.clear();
        int depth = 0;
        while (off_ < here().size()) {
            const char c = here()[off_];
            if (depth == 0 && (c == ' ' || c == '(' || c == ')' || c == '{' || c == '"')) {
                break;
            }
            depth += c == '[' ? 1 : (c == ']' && depth > 0 ? -1 : 0);
            out += c;
            ++off_;
        }
        return !out.empty();
    }
    bool number(std::uint64_t& n) {
        std::string a;
        return atom(a) && parse_number(a, n);
    }
    // nstring (4.5, 4.3, 4.1): NIL, a quoted string or a literal.
    bool nstring(std::optional<std::string>& out) {
        skip_spaces();
        if (off_ >= here().size()) {
            return false;
        }
        const char c = here()[off_];
        if (c == '"') {
            std::string s;
            for (++off_; off_ < here().size(); ++off_) {
                char d = here()[off_];
                if (d == '"') {
                    ++off_;
                    out = std::move(s);
                    return true;
                }
                if (d == '\\' && off_ + 1 < here().size()) {
                    d = here()[++off_];
                }
                s += d;
            }
            return false;
        }
        if (c == '{') {
            // The literal's announcement ends its text segment; its octets come next.
            if (!literal_announced(std::string_view(here()).substr(off_)) ||
                seg_ >= r_.literals.size()) {
                return false;
            }
            out = std::move(r_.literals[seg_]);
            ++seg_;
            off_ = 0;
            return true;
        }
        std::string a;
        if (atom(a) && upper(a) == "NIL") {
            out = std::nullopt;
            return true;
        }
        return false;
    }
    bool skip_value(int depth = 0) {
        skip_spaces();
        if (depth > 32 || off_ >= here().size()) {
            return false;
        }
        const char c = here()[off_];
        if (c == '(') {
            ++off_;
            while (!eat(')')) {
                if (!skip_value(depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        if (c == '"' || c == '{') {
            std::optional<std::string> ignored;
            return nstring(ignored);
        }
        std::string a;
        return atom(a);
    }

  private:
    const std::string& here() const { return r_.text[seg_]; }

    ClientResponse& r_;
    std::size_t seg_ = 0;
    std::size_t off_ = 0;
};

std::string uid_set_text(const std::set<std::uint64_t>& uids) {
    std::string out;
    for (auto it = uids.begin(); it != uids.end();) {
        const std::uint64_t first = *it;
        std::uint64_t last = first;
        for (++it; it != uids.end() && *it == last + 1; ++it) {
            last = *it;
        }
        out += (out.empty() ? "" : ",") + std::to_string(first);
        if (last != first) {
            out += ":" + std::to_string(last);
        }
    }
    return out;
}

ImapClientSession::ImapClientSession(MailboxClientConfig config) : config_(std::move(config)) {
    config_.max_line = std::max<std::size_t>(config_.max_line, 1024);
}

void ImapClientSession::send(std::string bytes) {
    queue_send(std::move(bytes));
}

void ImapClientSession::command(std::vector<std::string> parts, std::string traced) {
    tag_ = "a" + std::to_string(next_tag_++);
    trace_.record(trace::Direction::to_server, tag_ + " " + traced);
    parts.front().insert(0, tag_ + " ");
    parts.back() += "\r\n";
    send(std::move(parts.front()));
    parts_left_.assign(std::make_move_iterator(parts.begin() + 1),
                       std::make_move_iterator(parts.end()));
}

void ImapClientSession::finish(MailboxClientFailure failure, std::string problem, bool say_logout) {
    if (say_logout) {
        tag_ = "a" + std::to_string(next_tag_++);
        trace_.record(trace::Direction::to_server, tag_ + " LOGOUT");
        send(tag_ + " LOGOUT\r\n");
    }
    done_.failure = failure;
    done_.problem = std::move(problem);
    done_.messages = listed_;
    step_ = Step::done;
    events_.push_back(done_);
}

void ImapClientSession::advance() {
    while (step_ != Step::done && events_.empty() && read_response()) {
        ClientResponse r = std::exchange(reading_, {});
        response_bytes_ = 0;
        on_response(r);
    }
    if (step_ != Step::done && events_.empty() && eof_) {
        if (step_ == Step::logout && bye_) {
            finish(MailboxClientFailure::none, {});  // BYE, then the close: a log-out too
        } else {
            finish(MailboxClientFailure::closed,
                   bye_ ? "the server said BYE and closed the connection"
                        : "the server closed the connection");
        }
    }
}

bool ImapClientSession::read_response() {
    const std::size_t budget = config_.max_message_bytes + 4 * config_.max_line;
    while (true) {
        if (literal_left_ > 0) {
            const std::size_t take = std::min(literal_left_, in_.size() - pos_);
            reading_.literals.back().append(in_, pos_, take);
            pos_ += take;
            literal_left_ -= take;
            if (literal_left_ > 0) {
                return false;
            }
            continue;
        }
        std::string_view line;
        switch (lines_.next(in_, pos_, config_.max_line, line)) {
            case CommandLineScanner::Status::need_more:
                return false;
            case CommandLineScanner::Status::too_long:
                finish(MailboxClientFailure::protocol, "the server sent a line longer than " +
                                                           std::to_string(config_.max_line) +
                                                           " octets");
                return false;
            case CommandLineScanner::Status::line:
                break;
        }
        if (line.size() + 2 > config_.max_line) {
            finish(MailboxClientFailure::protocol, "the server sent a line longer than " +
                                                       std::to_string(config_.max_line) +
                                                       " octets");
            return false;
        }
        trace_.record(trace::Direction::to_client, line);
        response_bytes_ += line.size() + 2;
        reading_.text.emplace_back(line);
        const auto literal = literal_announced(line);
        if (!literal) {
            return true;
        }
        if (*literal > config_.max_message_bytes || response_bytes_ + *literal > budget) {
            finish(MailboxClientFailure::protocol, "the server announced a literal of " +
                                                       std::to_string(*literal) +
                                                       " octets, more than the limit of " +
                                                       std::to_string(config_.max_message_bytes));
            return false;
        }
        response_bytes_ += *literal;
        literal_left_ = *literal;
        reading_.literals.emplace_back();
        reading_.literals.back().reserve(std::min<std::size_t>(*literal, 1 << 20));
        if (*literal > 0) {
            trace_.record(trace::Direction::note, "(" + std::to_string(*literal) + " octets)");
        }
    }
}

void ImapClientSession::on_response(ClientResponse& r) {
    const std::string& first = r.text.front();
    if (first == "+" || first.starts_with("+ ")) {
        on_continuation();
        return;
    }
    if (first.starts_with("* ")) {
        on_untagged(r);
        return;
    }
    const auto space = first.find(' ');
    const std::string_view tag = std::string_view(first).substr(0, space);
    if (space == std::string::npos || tag_.empty() || tag != tag_) {
        finish(MailboxClientFailure::protocol,
               "the server sent an unexpected response: " + without_controls(first.substr(0, 200)));
        return;
    }
    const std::string rest = first.substr(space + 1);
    const auto status_end = rest.find(' ');
    const std::string text = status_end == std::string::npos ? "" : rest.substr(status_end + 1);
    on_tagged(upper(rest.substr(0, status_end)), text);
}

void ImapClientSession::on_continuation() {
    if (parts_left_.empty()) {
        finish(MailboxClientFailure::protocol,
               "the server asked for more of a command that has "
               "no more");
        return;
    }
    send(std::move(parts_left_.front()));
    parts_left_.pop_front();
}

void ImapClientSession::note_capabilities(std::string_view list) {
    while (!list.empty() && capabilities_.size() < kMaxCapabilities) {
        const auto space = list.find(' ');
        if (space != 0) {
            capabilities_.insert(upper(list.substr(0, space)));
        }
        if (space == std::string_view::npos) {
            break;
        }
        list.remove_prefix(space + 1);
    }
}

void ImapClientSession::on_untagged(ClientResponse& r) {
    // The first line's text, before the cursor moves literals out of the response.
    const std::string line = r.text.front();
    ResponseCursor c(r);
    c.eat('*');
    std::string word;
    if (!c.atom(word)) {
        return;
    }
    std::uint64_t n = 0;
    if (parse_number(word, n)) {
        std::string what;
        c.atom(what);
        what = upper(what);
        if (what == "EXISTS") {
            exists_ = n;
        } else if (what == "EXPUNGE") {
            ++expunged_;
        } else if (what == "FETCH") {
            on_fetch(n, c);
        }
        return;
    }
    word = upper(word);
    const std::string_view text =
        std::string_view(line).substr(std::min(line.size(), 3 + word.size()));
    if (word == "CAPABILITY") {
        note_capabilities(text);
        return;
    }
    if (auto caps = response_code(text, "CAPABILITY")) {
        note_capabilities(*caps);
    }
    if (auto validity = response_code(text, "UIDVALIDITY")) {
        parse_number(*validity, uid_validity_);
    }
    if (word == "BYE") {
        bye_ = true;
        if (step_ == Step::greeting) {
            finish(MailboxClientFailure::refused,
                   "the server refused the connection: " + without_controls(line));
        }
        return;
    }
    if (step_ != Step::greeting) {
        return;
    }
    if (word == "OK") {
        std::vector<std::string> parts{"LOGIN "};
        append_command_astring(parts, config_.user);
        parts.back() += ' ';
        append_command_astring(parts, config_.password);
        step_ = Step::login;
        command(std::move(parts),
                "LOGIN " + without_controls(config_.user) + " <credentials hidden>");
    } else if (word == "PREAUTH") {
        after_login();
    } else {
        finish(MailboxClientFailure::protocol,
               "the server's greeting is not OK, PREAUTH or BYE: " + without_controls(line));
    }
}

void ImapClientSession::on_fetch(std::uint64_t sequence, ResponseCursor& c) {
    if (step_ != Step::fetch) {
        return;  // a flag change of another session's making
    }
    if (!c.eat('(')) {
        finish(MailboxClientFailure::protocol, "a FETCH response without its list");
        return;
    }
    std::optional<std::uint64_t> uid;
    std::uint64_t size = 0;
    std::optional<std::string> body;
    bool has_body = false;
    while (!c.eat(')')) {
        std::string key;
        bool ok = c.atom(key);
        key = upper(key);
        if (ok && key == "UID") {
            std::uint64_t u = 0;
            ok = c.number(u);
            uid = u;
        } else if (ok && key == "RFC822.SIZE") {
            ok = c.number(size);
        } else if (ok && key.starts_with("BODY[]")) {
            ok = c.nstring(body);
            has_body = true;
        } else if (ok) {
            ok = c.skip_value();
        }
        if (!ok) {
            finish(
                MailboxClientFailure::protocol,
                "a FETCH response of message " + std::to_string(sequence) + " that cannot be read");
            return;
        }
    }
    if (!uid) {
        return;  // unsolicited (FLAGS of a change elsewhere)
    }
    if (listed_ >= config_.max_messages) {
        finish(MailboxClientFailure::protocol,
               "the folder holds more than " + std::to_string(config_.max_messages) + " messages",
               true);
        return;
    }
    if (!config_.list_only && !has_body) {
        return;  // a FETCH of flags only, interleaved: the body comes in its own response
    }
    ++listed_;
    MailboxMessage m;
    m.number = *uid;
    m.unique_id = std::to_string(uid_validity_) + "." + std::to_string(*uid);
    m.size = size;
    if (!config_.list_only) {
        m.data = body.value_or(std::string());
        ++done_.fetched;
        fetched_.insert(*uid);
    }
    events_.push_back(std::move(m));
}

void ImapClientSession::on_tagged(std::string_view status, const std::string& text) {
    tag_.clear();
    parts_left_.clear();
    if (auto caps = response_code(text, "CAPABILITY")) {
        note_capabilities(*caps);
    }
    const std::string said = without_controls(text);
    if (status != "OK") {
        if (status != "NO" && status != "BAD") {
            finish(MailboxClientFailure::protocol,
                   "a tagged response is not OK, NO or BAD: " + std::string(status));
            return;
        }
        switch (step_) {
            case Step::login:
                finish(MailboxClientFailure::login, "the log-in was refused: " + said, true);
                return;
            case Step::select:
                finish(MailboxClientFailure::server,
                       "the folder " + config_.folder + " cannot be opened: " + said, true);
                return;
            case Step::fetch:
            case Step::store:
            case Step::expunge:
                finish(MailboxClientFailure::server, "the server refused: " + said, true);
                return;
            default:
                finish(MailboxClientFailure::server, "the server refused: " + said);
                return;
        }
    }
    switch (step_) {
        case Step::login:
            after_login();
            return;
        case Step::select:
            after_select();
            return;
        case Step::fetch:
            after_fetch();
            return;
        case Step::store: {
            step_ = Step::expunge;
            expunged_ = 0;
            if (capabilities_.contains("UIDPLUS")) {
                command({"UID EXPUNGE " + uid_set_text(fetched_)},
                        "UID EXPUNGE " + uid_set_text(fetched_));
            } else {
                command({"EXPUNGE"}, "EXPUNGE");
            }
            return;
        }
        case Step::expunge:
            done_.deleted = std::min(expunged_, fetched_.size());
            logout();
            return;
        case Step::logout:
            finish(MailboxClientFailure::none, {});
            return;
        default:
            return;
    }
}

void ImapClientSession::after_login() {
    const bool write = config_.delete_after && !config_.list_only;
    std::vector<std::string> parts{write ? "SELECT " : "EXAMINE "};
    const std::string name = encode_mailbox_name(config_.folder);
    append_command_astring(parts, name);
    step_ = Step::select;
    command(std::move(parts), (write ? "SELECT " : "EXAMINE ") + without_controls(name));
}

void ImapClientSession::after_select() {
    if (exists_ == 0) {
        logout();
        return;
    }
    step_ = Step::fetch;
    const std::string items =
        config_.list_only ? "(UID RFC822.SIZE)" : "(UID RFC822.SIZE BODY.PEEK[])";
    command({"UID FETCH 1:* " + items}, "UID FETCH 1:* " + items);
}

void ImapClientSession::after_fetch() {
    if (config_.delete_after && !fetched_.empty()) {
        step_ = Step::store;
        const std::string cmd =
            "UID STORE " + uid_set_text(fetched_) + " +FLAGS.SILENT (\\Deleted)";
        command({cmd}, cmd);
        return;
    }
    logout();
}

void ImapClientSession::logout() {
    step_ = Step::logout;
    command({"LOGOUT"}, "LOGOUT");
}

}  // namespace l7::mail::imap
