#include "mail/queue/queue_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/staged_file.hpp"
#include "core/utf8.hpp"
#include "mail/mail_date.hpp"

namespace l7::mail {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "l7-queue 1";
constexpr std::string_view kMagicPrefix = "l7-queue ";
constexpr const char* kSubdirectories[] = {"tmp", "data", "env", "corrupt"};
constexpr std::string_view kHexUpper = "0123456789ABCDEF";

// ---------------------------------------------------------------------------------------
// Text

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// ---------------------------------------------------------------------------------------
// The envelope format

// Decimal digits only (leading zeros allowed), at most `max`.
std::optional<std::uint64_t> parse_number(std::string_view text, std::uint64_t max) {
    if (text.empty() || text.size() > 19) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        v = v * 10 + static_cast<std::uint64_t>(c - '0');  // 19 digits cannot overflow
    }
    if (v > max) {
        return std::nullopt;
    }
    return v;
}

void add_line(std::string& out, std::string_view key, std::string_view escaped) {
    out += key;
    if (!escaped.empty()) {
        out += ' ';
        out += escaped;
    }
    out += '\n';
}

void add_value(std::string& out, std::string_view key, std::string_view value) {
    add_line(out, key, escape_envelope_value(value));
}

void add_number(std::string& out, std::string_view key, std::uint64_t n) {
    add_line(out, key, std::to_string(n));
}

std::string_view return_content_name(ReturnContent r) {
    switch (r) {
        case ReturnContent::full:
            return "full";
        case ReturnContent::headers:
            return "hdrs";
        case ReturnContent::unspecified:
            break;
    }
    return "";
}

// The keys of a version 1 envelope, message fields then recipient fields.
enum class Key {
    id,
    arrival,
    from,
    body,
    smtputf8,
    envid,
    ret,
    auth_user,
    origin,
    size,
    attempts,
    next_attempt,
    warned,
    rcpt,
    end,
    rcpt_state,
    rcpt_attempts,
    rcpt_last_attempt,
    rcpt_status,
    rcpt_remote_mta,
    rcpt_reply,
    rcpt_notified,
    count_,
};

struct KeyName {
    std::string_view name;
    Key key;
};

constexpr KeyName kKeys[] = {
    {"id", Key::id},
    {"arrival", Key::arrival},
    {"from", Key::from},
    {"body", Key::body},
    {"smtputf8", Key::smtputf8},
    {"envid", Key::envid},
    {"ret", Key::ret},
    {"auth-user", Key::auth_user},
    {"origin", Key::origin},
    {"size", Key::size},
    {"attempts", Key::attempts},
    {"next-attempt", Key::next_attempt},
    {"warned", Key::warned},
    {"rcpt", Key::rcpt},
    {"end", Key::end},
    {"rcpt-state", Key::rcpt_state},
    {"rcpt-attempts", Key::rcpt_attempts},
    {"rcpt-last-attempt", Key::rcpt_last_attempt},
    {"rcpt-status", Key::rcpt_status},
    {"rcpt-remote-mta", Key::rcpt_remote_mta},
    {"rcpt-reply", Key::rcpt_reply},
    {"rcpt-notified", Key::rcpt_notified},
};

std::optional<Key> find_key(std::string_view name) {
    for (const KeyName& k : kKeys) {
        if (k.name == name) {
            return k.key;
        }
    }
    return std::nullopt;
}

bool is_recipient_key(Key k) {
    return k >= Key::rcpt_state;
}

// Reads the lines after the magic one into an entry, tracking which keys were seen so that
// a repeated field (two "from" lines, two states for one recipient) is an error rather than
// a silent overwrite.
class EnvelopeParser {
  public:
    // nullopt when the line was taken; else the error.
    std::optional<std::string> line(std::string_view key_name, std::string_view value_text) {
        const auto key = find_key(key_name);
        if (!key) {
            return "unknown key";
        }
        if (ended_) {
            return "text after end";
        }
        if (*key == Key::end) {
            ended_ = true;
            return value_text.empty() ? std::nullopt
                                      : std::optional<std::string>("end with a value");
        }
        if (*key == Key::rcpt) {
            if (entry_.recipients.size() >= kMaxQueueRecipients) {
                return "too many recipients";
            }
            entry_.recipients.emplace_back();
            recipient_seen_ = 0;
        } else if (is_recipient_key(*key)) {
            if (entry_.recipients.empty()) {
                return "a recipient field before the first rcpt";
            }
            if (!first_time(recipient_seen_, *key)) {
                return "repeated key";
            }
        } else if (!first_time(message_seen_, *key)) {
            return "repeated key";
        }
        auto value = unescape_envelope_value(value_text);
        if (!value) {
            return "malformed value";
        }
        if (value->size() > kMaxEnvelopeValue) {
            return "value too long";
        }
        return apply(*key, std::move(*value));
    }

    Result<QueueEntry> finish() && {
        if (!ended_) {
            return Error{"no end line (truncated)"};
        }
        if (!(message_seen_ & bit(Key::id)) || !(message_seen_ & bit(Key::arrival))) {
            return Error{"id or arrival missing"};
        }
        if (entry_.recipients.empty()) {
            return Error{"no recipients"};
        }
        return std::move(entry_);
    }

  private:
    static std::uint32_t bit(Key k) { return 1u << static_cast<unsigned>(k); }
    static bool first_time(std::uint32_t& seen, Key k) {
        if (seen & bit(k)) {
            return false;
        }
        seen |= bit(k);
        return true;
    }

    static std::optional<std::string> time_value(std::string_view v, std::int64_t& out) {
        const auto n = parse_number(v, static_cast<std::uint64_t>(kMaxQueueTime));
        if (!n) {
            return "not a time";
        }
        out = static_cast<std::int64_t>(*n);
        return std::nullopt;
    }
    static std::optional<std::string> count_value(std::string_view v, std::uint32_t& out) {
        const auto n = parse_number(v, UINT32_MAX);
        if (!n) {
            return "not a count";
        }
        out = static_cast<std::uint32_t>(*n);
        return std::nullopt;
    }
    static std::optional<std::string> flag_value(std::string_view v, bool& out) {
        if (v != "0" && v != "1") {
            return "not 0 or 1";
        }
        out = v == "1";
        return std::nullopt;
    }

    std::optional<std::string> apply(Key key, std::string value) {
        QueueEntry& e = entry_;
        switch (key) {
            case Key::id:
                if (!is_valid_queue_id(value)) {
                    return "invalid id";
                }
                e.id = std::move(value);
                return std::nullopt;
            case Key::arrival:
                return time_value(value, e.arrival);
            case Key::from:
                e.mail_from = std::move(value);
                return std::nullopt;
            case Key::body:
                if (value != "7bit" && value != "8bitmime") {
                    return "body is not 7bit or 8bitmime";
                }
                e.parameters.eight_bit = value == "8bitmime";
                return std::nullopt;
            case Key::smtputf8:
                return flag_value(value, e.parameters.smtputf8);
            case Key::envid:
                e.parameters.envid = std::move(value);
                return std::nullopt;
            case Key::ret:
                if (value == "full") {
                    e.parameters.ret = ReturnContent::full;
                } else if (value == "hdrs") {
                    e.parameters.ret = ReturnContent::headers;
                } else if (!value.empty()) {
                    return "ret is not full or hdrs";
                }
                return std::nullopt;
            case Key::auth_user:
                e.auth_user = std::move(value);
                return std::nullopt;
            case Key::origin:
                e.origin = std::move(value);
                return std::nullopt;
            case Key::size: {
                const auto n = parse_number(value, UINT64_MAX);
                if (!n) {
                    return "not a size";
                }
                e.message_size = *n;
                return std::nullopt;
            }
            case Key::attempts:
                return count_value(value, e.attempts);
            case Key::next_attempt:
                return time_value(value, e.next_attempt);
            case Key::warned:
                return flag_value(value, e.delay_warning_sent);
            case Key::rcpt:
                if (value.empty()) {
                    return "empty recipient";
                }
                e.recipients.back().address = std::move(value);
                return std::nullopt;
            default:
                return apply_recipient(key, std::move(value));
        }
    }

    std::optional<std::string> apply_recipient(Key key, std::string value) {
        QueueRecipient& r = entry_.recipients.back();
        switch (key) {
            case Key::rcpt_state:
                if (value == "pending") {
                    r.state = RecipientState::pending;
                } else if (value == "delivered") {
                    r.state = RecipientState::delivered;
                } else if (value == "failed") {
                    r.state = RecipientState::failed;
                } else {
                    return "unknown state";
                }
                return std::nullopt;
            case Key::rcpt_attempts:
                return count_value(value, r.attempts);
            case Key::rcpt_last_attempt:
                return time_value(value, r.last_attempt);
            case Key::rcpt_status:
                r.status = std::move(value);
                return std::nullopt;
            case Key::rcpt_remote_mta:
                r.remote_mta = std::move(value);
                return std::nullopt;
            case Key::rcpt_reply:
                r.last_reply = std::move(value);
                return std::nullopt;
            case Key::rcpt_notified:
                return flag_value(value, r.notified);
            default:
                return "unexpected key";
        }
    }

    static_assert(static_cast<unsigned>(Key::count_) <= 32, "the seen sets are 32-bit masks");

    QueueEntry entry_;
    std::uint32_t message_seen_ = 0;
    std::uint32_t recipient_seen_ = 0;
    bool ended_ = false;
};

// ---------------------------------------------------------------------------------------
// Files

QueueError io_error(QueueErrorKind kind, const fs::path& path, std::string_view what, int err) {
    return QueueError{kind, path.string() + ": " + std::string(what) + ": " + std::strerror(err)};
}

QueueError io_error(const fs::path& path, std::string_view what, const std::error_code& ec) {
    return QueueError{QueueErrorKind::io,
                      path.string() + ": " + std::string(what) + ": " + ec.message()};
}

QueueError invalid_id(std::string_view id) {
    return QueueError{QueueErrorKind::invalid, "invalid queue id \"" + safe_text(id) + "\""};
}

// A regular file's bytes, at most `max_size` of them (not_found, too_large, io).
Result<std::string, QueueError> read_file(const fs::path& path, std::uint64_t max_size) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        const int err = errno;
        return io_error(err == ENOENT ? QueueErrorKind::not_found : QueueErrorKind::io, path,
                        "cannot open", err);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return QueueError{QueueErrorKind::io, path.string() + ": not a regular file"};
    }
    if (static_cast<std::uint64_t>(st.st_size) > max_size) {
        ::close(fd);
        return QueueError{QueueErrorKind::too_large,
                          path.string() + ": larger than " + std::to_string(max_size) + " bytes"};
    }
    std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            return io_error(QueueErrorKind::io, path, "cannot read", err);
        }
        if (n == 0) {
            break;  // shrank meanwhile: what is there
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    bytes.resize(done);
    return bytes;
}

// Writes `bytes` to a temporary in tmp/ and commits it as `target`: create_new (which fails
// with file_exists when the name is taken) or replace.
std::error_code write_staged(const fs::path& tmp, const fs::path& target, std::string_view bytes,
                             bool replace) {
    std::error_code ec;
    auto staged = StagedFile::create(tmp, ec);
    if (!staged) {
        return ec;
    }
    if ((ec = staged->write(bytes))) {
        return ec;
    }
    return replace ? staged->replace(target) : staged->create_new(target);
}

bool path_exists(const fs::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

bool is_plain_file(const fs::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The modification time in Unix seconds, or nullopt when the file is gone.
std::optional<std::int64_t> modification_time(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(st.st_mtim.tv_sec);
}

bool is_safe_file_name(std::string_view name) {
    return !name.empty() && name.size() <= 255 && name != "." && name != ".." &&
           name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

// A name in corrupt/ that is not taken yet: NAME.SUFFIX, else NAME.SUFFIX.1, .2 ...
fs::path free_name(const fs::path& dir, std::string_view name, std::string_view suffix) {
    const std::string base = std::string(name) + "." + std::string(suffix);
    fs::path candidate = dir / base;
    for (int n = 1; n < 1000 && path_exists(candidate); ++n) {
        candidate = dir / (base + "." + std::to_string(n));
    }
    return candidate;
}

}  // namespace

// ---------------------------------------------------------------------------------------

std::string_view recipient_state_name(RecipientState s) {
    switch (s) {
        case RecipientState::pending:
            return "pending";
        case RecipientState::delivered:
            return "delivered";
        case RecipientState::failed:
            return "failed";
    }
    return "pending";
}

std::size_t QueueEntry::pending() const {
    return static_cast<std::size_t>(
        std::count_if(recipients.begin(), recipients.end(),
                      [](const QueueRecipient& r) { return r.state == RecipientState::pending; }));
}

bool is_valid_queue_id(std::string_view id) {
    return !id.empty() && id.size() <= kMaxQueueIdLength &&
           std::all_of(id.begin(), id.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-';
           });
}

std::string QueueIdGenerator::next(std::int64_t unix_micros) {
    const std::int64_t micros = std::max<std::int64_t>(unix_micros, 0);
    const std::uint64_t n = counter_.fetch_add(1) + 1;
    return std::to_string(micros / 1'000'000) + "M" + std::to_string(micros % 1'000'000) + "P" +
           std::to_string(pid_) + "Q" + std::to_string(n);
}

std::string safe_text(std::string_view text, bool utf8) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto u = static_cast<unsigned char>(text[i]);
        if (u >= 0x20 && u < 0x7F) {
            out += text[i++];
            continue;
        }
        if (u == '\t' || u == '\r' || u == '\n') {
            out += ' ';
            ++i;
            continue;
        }
        // A well-formed sequence is one character: one '?' when it cannot be shown.
        const std::size_t n = u >= 0x80 ? utf8_sequence_length(text, i) : 0;
        const bool c1 = n == 2 && u == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0;
        if (n == 0 || c1 || !utf8) {
            out += '?';
            i += n == 0 ? 1 : n;
            continue;
        }
        out.append(text.substr(i, n));
        i += n;
    }
    return out;
}

std::string escape_envelope_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (u > 0x20 && u < 0x7F && c != '%') {
            out += c;
        } else {
            out += '%';
            out += kHexUpper[u >> 4];
            out += kHexUpper[u & 15];
        }
    }
    return out;
}

std::optional<std::string> unescape_envelope_value(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto u = static_cast<unsigned char>(text[i]);
        if (u <= 0x20 || u >= 0x7F) {
            return std::nullopt;
        }
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size()) {
            return std::nullopt;
        }
        const int hi = hex_value(text[i + 1]);
        const int lo = hex_value(text[i + 2]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

std::string format_envelope(const QueueEntry& e) {
    std::string out;
    out += kMagic;
    out += '\n';
    add_value(out, "id", e.id);
    add_number(out, "arrival", static_cast<std::uint64_t>(e.arrival));
    add_value(out, "from", e.mail_from);
    add_line(out, "body", e.parameters.eight_bit ? "8bitmime" : "7bit");
    add_line(out, "smtputf8", e.parameters.smtputf8 ? "1" : "0");
    add_value(out, "envid", e.parameters.envid);
    add_line(out, "ret", return_content_name(e.parameters.ret));
    add_value(out, "auth-user", e.auth_user);
    add_value(out, "origin", e.origin);
    add_number(out, "size", e.message_size);
    add_number(out, "attempts", e.attempts);
    add_number(out, "next-attempt", static_cast<std::uint64_t>(e.next_attempt));
    add_line(out, "warned", e.delay_warning_sent ? "1" : "0");
    for (const QueueRecipient& r : e.recipients) {
        add_value(out, "rcpt", r.address);
        add_line(out, "rcpt-state", recipient_state_name(r.state));
        add_number(out, "rcpt-attempts", r.attempts);
        add_number(out, "rcpt-last-attempt", static_cast<std::uint64_t>(r.last_attempt));
        add_value(out, "rcpt-status", r.status);
        add_value(out, "rcpt-remote-mta", r.remote_mta);
        // A reply is diagnostic text: cut rather than refuse the update that records it.
        add_value(out, "rcpt-reply", std::string_view(r.last_reply).substr(0, kMaxEnvelopeValue));
        add_line(out, "rcpt-notified", r.notified ? "1" : "0");
    }
    out += "end\n";
    return out;
}

Result<bool> validate_entry(const QueueEntry& e) {
    if (!is_valid_queue_id(e.id)) {
        return Error{"invalid queue id"};
    }
    if (e.recipients.empty() || e.recipients.size() > kMaxQueueRecipients) {
        return Error{"a message needs 1 to " + std::to_string(kMaxQueueRecipients) + " recipients"};
    }
    const auto time_ok = [](std::int64_t t) { return t >= 0 && t <= kMaxQueueTime; };
    if (!time_ok(e.arrival) || !time_ok(e.next_attempt)) {
        return Error{"a time out of range"};
    }
    const auto fits = [](std::string_view v) { return v.size() <= kMaxEnvelopeValue; };
    if (!fits(e.mail_from) || !fits(e.parameters.envid) || !fits(e.auth_user) || !fits(e.origin)) {
        return Error{"a value longer than " + std::to_string(kMaxEnvelopeValue) + " bytes"};
    }
    for (const QueueRecipient& r : e.recipients) {
        if (r.address.empty() || !fits(r.address) || !fits(r.status) || !fits(r.remote_mta)) {
            return Error{"a recipient with an empty or too long value"};
        }
        if (!time_ok(r.last_attempt)) {
            return Error{"a time out of range"};
        }
    }
    if (format_envelope(e).size() > kMaxEnvelopeBytes) {
        return Error{"the envelope is larger than " + std::to_string(kMaxEnvelopeBytes) + " bytes"};
    }
    return true;
}

Result<QueueEntry> parse_envelope(std::string_view text) {
    if (text.size() > kMaxEnvelopeBytes) {
        return Error{"envelope too large"};
    }
    EnvelopeParser parser;
    std::size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const std::size_t eol = text.find('\n');
        if (eol == std::string_view::npos) {
            return Error{"line " + std::to_string(line_number) + ": no line end (truncated)"};
        }
        const std::string_view line = text.substr(0, eol);
        text.remove_prefix(eol + 1);
        if (line.size() > kMaxEnvelopeLine) {
            return Error{"line " + std::to_string(line_number) + ": too long"};
        }
        if (line_number == 1) {
            if (line != kMagic) {
                return Error{line.starts_with(kMagicPrefix) ? "unsupported envelope version"
                                                            : "not an l7 queue envelope"};
            }
            continue;
        }
        const std::size_t space = line.find(' ');
        const std::string_view key = line.substr(0, space);
        const std::string_view value =
            space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
        if (auto problem = parser.line(key, value)) {
            return Error{"line " + std::to_string(line_number) + ": " + *problem};
        }
    }
    if (line_number == 0) {
        return Error{"empty envelope"};
    }
    return std::move(parser).finish();
}

// ---------------------------------------------------------------------------------------

std::error_code QueueStore::create() const {
    return create_private_directories(root_, kSubdirectories);
}

bool QueueStore::exists() const {
    std::error_code ec;
    return std::all_of(std::begin(kSubdirectories), std::end(kSubdirectories),
                       [&](const char* sub) { return fs::is_directory(root_ / sub, ec); });
}

Result<QueueEntry, QueueError> QueueStore::enqueue(const QueueEntry& entry,
                                                   std::string_view message) const {
    QueueEntry stored = entry;
    stored.message_size = message.size();
    if (auto valid = validate_entry(stored); !valid) {
        return QueueError{QueueErrorKind::invalid, valid.error().message};
    }
    const fs::path data = root_ / "data" / stored.id;
    const fs::path env = root_ / "env" / stored.id;
    if (path_exists(env)) {
        return QueueError{QueueErrorKind::exists, env.string() + ": the id is taken"};
    }
    // The data first: until the envelope exists, the message is invisible to list(), and a
    // crash leaves only what recover() deletes.
    if (auto ec = write_staged(root_ / "tmp", data, message, false)) {
        if (ec == std::errc::file_exists) {
            return QueueError{QueueErrorKind::exists, data.string() + ": the id is taken"};
        }
        return io_error(data, "cannot store the message", ec);
    }
    if (auto ec = write_staged(root_ / "tmp", env, format_envelope(stored), false)) {
        if (ec == std::errc::file_exists) {
            // An envelope appeared since the check above, and that one's data is ours now:
            // leave both.
            return QueueError{QueueErrorKind::exists, env.string() + ": the id is taken"};
        }
        // The caller reports a failure (the SMTP client will send again), so nothing may
        // stay visible: the envelope may have got its name before a failed directory sync.
        // The id was free before, so whatever is there is ours.
        ::unlink(env.c_str());
        (void)sync_directory(root_ / "env");
        ::unlink(data.c_str());
        (void)sync_directory(root_ / "data");
        return io_error(env, "cannot commit the envelope", ec);
    }
    return stored;
}

Result<QueueEntry, QueueError> QueueStore::load(std::string_view id) const {
    if (!is_valid_queue_id(id)) {
        return invalid_id(id);
    }
    const fs::path env = root_ / "env" / std::string(id);
    auto text = read_file(env, kMaxEnvelopeBytes);
    if (!text) {
        QueueError e = text.error();
        if (e.kind == QueueErrorKind::too_large) {
            e.kind = QueueErrorKind::corrupt;
        }
        return e;
    }
    auto entry = parse_envelope(*text);
    if (!entry) {
        return QueueError{QueueErrorKind::corrupt, env.string() + ": " + entry.error().message};
    }
    if (entry->id != id) {
        return QueueError{QueueErrorKind::corrupt, env.string() + ": names another id"};
    }
    return std::move(entry).value();
}

Result<QueueListing, QueueError> QueueStore::list() const {
    const fs::path env_dir = root_ / "env";
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(env_dir, ec), end; !ec && it != end; it.increment(ec)) {
        names.push_back(it->path().filename().string());
    }
    if (ec) {
        return io_error(env_dir, "cannot list", ec);
    }
    std::sort(names.begin(), names.end());

    QueueListing listing;
    const auto set_aside = [&](const std::string& name, const std::string& why) {
        if (auto moved = quarantine(name); !moved) {
            listing.problems.push_back({name, why + " (" + moved.error().message + ")"});
        } else if (*moved) {
            listing.problems.push_back({name, why + ": moved to corrupt/"});
        }
    };
    for (const std::string& name : names) {
        if (name.starts_with('.')) {
            continue;  // not ours (an editor's backup, say)
        }
        if (!is_valid_queue_id(name)) {
            set_aside(name, "not a queue id");
            continue;
        }
        auto entry = load(name);
        if (!entry) {
            switch (entry.error().kind) {
                case QueueErrorKind::not_found:
                    break;  // removed since the directory was read
                case QueueErrorKind::corrupt:
                    set_aside(name, entry.error().message);
                    break;
                default:
                    listing.problems.push_back({name, entry.error().message});
                    break;
            }
            continue;
        }
        if (!path_exists(root_ / "data" / name)) {
            set_aside(name, "no data file");
            continue;
        }
        listing.entries.push_back(std::move(entry).value());
    }
    std::stable_sort(
        listing.entries.begin(), listing.entries.end(),
        [](const QueueEntry& a, const QueueEntry& b) { return a.arrival < b.arrival; });
    return listing;
}

Result<std::string, QueueError> QueueStore::read_message(std::string_view id,
                                                         std::uint64_t max_size) const {
    if (!is_valid_queue_id(id)) {
        return invalid_id(id);
    }
    return read_file(root_ / "data" / std::string(id), max_size);
}

Result<bool, QueueError> QueueStore::update(const QueueEntry& entry) const {
    if (auto valid = validate_entry(entry); !valid) {
        return QueueError{QueueErrorKind::invalid, valid.error().message};
    }
    const fs::path env = root_ / "env" / entry.id;
    // Never bring back an envelope that remove() took away (`l7 mail queue delete` while an
    // attempt was under way). One owner per queue makes this check enough.
    if (!path_exists(env)) {
        return QueueError{QueueErrorKind::not_found, env.string() + ": no such message"};
    }
    if (auto ec = write_staged(root_ / "tmp", env, format_envelope(entry), true)) {
        return io_error(env, "cannot update", ec);
    }
    return true;
}

Result<bool, QueueError> QueueStore::remove(std::string_view id) const {
    if (!is_valid_queue_id(id)) {
        return invalid_id(id);
    }
    const fs::path env = root_ / "env" / std::string(id);
    const fs::path data = root_ / "data" / std::string(id);
    bool existed = true;
    if (::unlink(env.c_str()) != 0) {
        if (errno != ENOENT) {
            return io_error(QueueErrorKind::io, env, "cannot remove", errno);
        }
        existed = false;
    }
    // The envelope's removal on disk first: were the data to go first, a crash could leave
    // an envelope whose message is gone.
    if (auto ec = sync_directory(root_ / "env")) {
        return io_error(root_ / "env", "cannot sync", ec);
    }
    if (::unlink(data.c_str()) != 0 && errno != ENOENT) {
        return io_error(QueueErrorKind::io, data, "cannot remove", errno);
    }
    if (auto ec = sync_directory(root_ / "data")) {
        return io_error(root_ / "data", "cannot sync", ec);
    }
    return existed;
}

Result<bool, QueueError> QueueStore::quarantine(std::string_view name) const {
    if (!is_safe_file_name(name)) {
        return QueueError{QueueErrorKind::invalid, "not a file name: \"" + safe_text(name) + "\""};
    }
    const fs::path corrupt = root_ / "corrupt";
    const fs::path data = root_ / "data" / std::string(name);
    const fs::path env = root_ / "env" / std::string(name);
    // The data first, so that a crash in between leaves an envelope without data (set aside
    // again next time) rather than data without an envelope (which recover() would delete).
    if (path_exists(data) &&
        ::rename(data.c_str(), free_name(corrupt, name, "data").c_str()) != 0 && errno != ENOENT) {
        return io_error(QueueErrorKind::io, data, "cannot move aside", errno);
    }
    bool moved = true;
    if (::rename(env.c_str(), free_name(corrupt, name, "env").c_str()) != 0) {
        if (errno != ENOENT) {
            return io_error(QueueErrorKind::io, env, "cannot move aside", errno);
        }
        moved = false;  // removed meanwhile
    }
    for (const char* sub : {"corrupt", "data", "env"}) {
        if (auto ec = sync_directory(root_ / sub)) {
            return io_error(root_ / sub, "cannot sync", ec);
        }
    }
    return moved;
}

Result<QueueRecovery, QueueError> QueueStore::recover(std::int64_t now,
                                                      std::int64_t min_age_seconds) const {
    QueueRecovery report;
    const auto old_enough = [&](const fs::path& p) {
        const auto mtime = modification_time(p);
        return mtime && now - *mtime >= min_age_seconds;
    };
    const auto remove_in = [&](const char* sub, auto&& wanted,
                               std::vector<std::string>& removed) -> std::optional<QueueError> {
        const fs::path dir = root_ / sub;
        std::vector<fs::path> paths;
        std::error_code ec;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            paths.push_back(it->path());
        }
        if (ec) {
            return io_error(dir, "cannot list", ec);
        }
        for (const fs::path& p : paths) {
            if (!is_plain_file(p) || !wanted(p) || !old_enough(p)) {
                continue;
            }
            if (::unlink(p.c_str()) != 0 && errno != ENOENT) {
                return io_error(QueueErrorKind::io, p, "cannot remove", errno);
            }
            removed.push_back(p.filename().string());
        }
        if (auto synced = sync_directory(dir)) {
            return io_error(dir, "cannot sync", synced);
        }
        return std::nullopt;
    };
    // A temporary is a write that never committed: its envelope or data never got its name.
    if (auto e = remove_in(
            "tmp", [](const fs::path&) { return true; }, report.temporaries)) {
        return *e;
    }
    // Data without an envelope: an enqueue() that crashed before its commit, or a remove()
    // that crashed after deleting the envelope. Nothing refers to it.
    const auto orphan = [&](const fs::path& p) {
        return !path_exists(root_ / "env" / p.filename());
    };
    if (auto e = remove_in("data", orphan, report.orphans)) {
        return *e;
    }
    std::sort(report.temporaries.begin(), report.temporaries.end());
    std::sort(report.orphans.begin(), report.orphans.end());
    return report;
}

Result<std::size_t, QueueError> QueueStore::flush(std::int64_t now,
                                                  std::optional<std::string_view> id) const {
    std::vector<QueueEntry> entries;
    if (id) {
        auto entry = load(*id);
        if (!entry) {
            return entry.error();
        }
        entries.push_back(std::move(entry).value());
    } else {
        auto listing = list();
        if (!listing) {
            return listing.error();
        }
        entries = std::move(listing->entries);
    }
    std::size_t changed = 0;
    for (QueueEntry& e : entries) {
        if (e.next_attempt <= now) {
            continue;
        }
        e.next_attempt = std::max<std::int64_t>(now, 0);
        if (auto updated = update(e); !updated) {
            if (updated.error().kind == QueueErrorKind::not_found && !id) {
                continue;  // delivered and removed meanwhile
            }
            return updated.error();
        }
        ++changed;
    }
    return changed;
}

std::string format_queue_listing(std::span<const QueueEntry> entries, int utc_offset_minutes) {
    std::string out;
    std::size_t pending = 0;
    for (const QueueEntry& e : entries) {
        std::string size = std::to_string(e.message_size);
        std::string id = e.id;
        id.resize(std::max<std::size_t>(id.size(), 24), ' ');
        size.insert(0, size.size() < 8 ? 8 - size.size() : 0, ' ');
        out += id + " " + size + " " + format_mail_date(e.arrival, utc_offset_minutes) + "  " +
               (e.mail_from.empty() ? "<>" : safe_text(e.mail_from)) + "\n";
        out += "    attempts " + std::to_string(e.attempts) + ", next " +
               format_mail_date(e.next_attempt, utc_offset_minutes) +
               (e.delay_warning_sent ? ", delay warning sent" : "") + "\n";
        for (const QueueRecipient& r : e.recipients) {
            if (r.state != RecipientState::pending) {
                continue;
            }
            ++pending;
            if (!r.last_reply.empty()) {
                out += "    (" + safe_text(r.last_reply) + ")\n";
            }
            out += "    " + safe_text(r.address) + "\n";
        }
        out += "\n";
    }
    out += "-- " + std::to_string(entries.size()) +
           (entries.size() == 1 ? " message, " : " messages, ") + std::to_string(pending) +
           (pending == 1 ? " recipient" : " recipients") + " pending\n";
    return out;
}

}  // namespace l7::mail
