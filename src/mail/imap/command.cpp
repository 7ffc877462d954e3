#include "mail/imap/command.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "core/base64.hpp"
#include "core/utf8.hpp"

namespace l7::mail::imap {

namespace {

// ---- Characters (RFC 3501 9) ---------------------------------------------------------------

// ATOM-CHAR: any CHAR (7-bit, not NUL) except atom-specials: "(" ")" "{" SP CTL "%" "*"
// DQUOTE "\" "]".
bool is_atom_char(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f) {
        return false;
    }
    switch (c) {
        case '(':
        case ')':
        case '{':
        case '%':
        case '*':
        case '"':
        case '\\':
        case ']':
            return false;
        default:
            return true;
    }
}

// ASTRING-CHAR: ATOM-CHAR / resp-specials ("]").
bool is_astring_char(char c) {
    return is_atom_char(c) || c == ']';
}

// tag: 1*<any ASTRING-CHAR except "+">.
bool is_tag_char(char c) {
    return is_astring_char(c) && c != '+';
}

// list-char: ATOM-CHAR / list-wildcards / resp-specials.
bool is_list_char(char c) {
    return is_astring_char(c) || c == '%' || c == '*';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

char to_upper(char c) {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), to_upper);
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return to_upper(x) == to_upper(y);
           });
}

// A client's text quoted in an error sentence: printable ASCII, and not much of it.
std::string shown(std::string_view s) {
    constexpr std::size_t kMax = 40;
    std::string out;
    for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        out += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
    }
    if (s.size() > kMax) {
        out += "...";
    }
    return out;
}

// "{N}" or "{N+}" at the end of a line: a literal's size and whether the client waits for a
// continuation request. Nothing when the line does not end in one (or N does not fit).
struct LiteralAnnouncement {
    std::uint64_t size = 0;
    bool synchronizing = true;
};

std::optional<LiteralAnnouncement> literal_announcement(std::string_view line) {
    if (!line.ends_with('}')) {
        return std::nullopt;
    }
    line.remove_suffix(1);
    LiteralAnnouncement a;
    if (line.ends_with('+')) {
        a.synchronizing = false;
        line.remove_suffix(1);
    }
    std::size_t digits = 0;
    while (digits < line.size() && is_digit(line[line.size() - 1 - digits])) {
        ++digits;
    }
    if (digits == 0 || digits == line.size() || line[line.size() - 1 - digits] != '{') {
        return std::nullopt;
    }
    for (const char c : line.substr(line.size() - digits)) {
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (a.size > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
            return std::nullopt;
        }
        a.size = a.size * 10 + d;
    }
    return a;
}

// The longest "{N+}" worth remembering while skipping a line: 20 digits and the brackets.
constexpr std::size_t kSkipTail = 24;

}  // namespace

// ---- ImapCommandFramer ---------------------------------------------------------------------

ImapCommandFramer::ImapCommandFramer(FramerLimits limits) : limits_(limits) {
    limits_.max_buffered_input = std::max<std::size_t>(limits_.max_buffered_input, 1);
}

std::size_t ImapCommandFramer::input_room() const {
    if (state_ == State::overflowed) {
        return 0;
    }
    return limits_.max_buffered_input - std::min(limits_.max_buffered_input, pending_input());
}

void ImapCommandFramer::receive(std::string_view bytes) {
    if (state_ == State::overflowed || bytes.empty()) {
        return;
    }
    if (bytes.size() > input_room()) {
        // Keep nothing: the session answers BYE and closes.
        state_ = State::overflowed;
        std::string().swap(input_);
        std::string().swap(command_);
        input_pos_ = 0;
        return;
    }
    input_.erase(0, input_pos_);
    input_pos_ = 0;
    input_.append(bytes);
}

void ImapCommandFramer::compact_input() {
    if (input_pos_ == input_.size()) {
        input_.clear();
        input_pos_ = 0;
        if (input_.capacity() > 2 * limits_.max_buffered_input) {
            std::string().swap(input_);
        }
    }
}

void ImapCommandFramer::reset_command() {
    command_.clear();
    if (command_.capacity() > 2 * limits_.max_line) {
        std::string().swap(command_);  // an APPEND's message: give the memory back
    }
    line_start_ = 0;
    text_bytes_ = 0;
    literals_ = 0;
    literal_bytes_ = 0;
    literal_left_ = 0;
}

std::string ImapCommandFramer::tag_of_command(std::string_view more) const {
    if (line_mode_) {
        return "*";
    }
    // Only as much of the command as is there whenever this is asked (FramerTooLong comes
    // with max_line - 1 octets at least), so how the bytes were cut changes nothing.
    constexpr std::size_t kLongestTagSeen = 64;
    const std::size_t head_size = std::min(
        kLongestTagSeen + 1, limits_.max_line - std::min<std::size_t>(limits_.max_line, 1));
    std::string head = command_.substr(0, head_size);
    head.append(more.substr(0, head_size - head.size()));
    const std::size_t sp = head.find(' ');
    if (sp == 0 || sp == std::string::npos ||
        !std::all_of(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(sp), is_tag_char)) {
        return "*";
    }
    return head.substr(0, sp);
}

void ImapCommandFramer::start_skipping(std::string_view line_so_far) {
    skip_tail_.assign(
        line_so_far.substr(line_so_far.size() - std::min(line_so_far.size(), kSkipTail)));
    state_ = State::skip_line;
}

FramerEvent ImapCommandFramer::next() {
    for (;;) {
        switch (state_) {
            case State::overflowed:
                if (!overflow_reported_) {
                    overflow_reported_ = true;
                    return FramerOverflow{};
                }
                return FramerNeedMore{};

            case State::literal: {
                const auto n = static_cast<std::size_t>(
                    std::min<std::uint64_t>(literal_left_, pending_input()));
                command_.append(input_, input_pos_, n);
                input_pos_ += n;
                literal_left_ -= n;
                if (literal_left_ > 0) {
                    compact_input();
                    return FramerNeedMore{};
                }
                line_start_ = command_.size();
                state_ = State::line;
                break;
            }

            case State::skip_literal: {
                const auto n = static_cast<std::size_t>(
                    std::min<std::uint64_t>(literal_left_, pending_input()));
                input_pos_ += n;
                literal_left_ -= n;
                if (literal_left_ > 0) {
                    compact_input();
                    return FramerNeedMore{};
                }
                skip_tail_.clear();
                state_ = State::skip_line;
                break;
            }

            case State::skip_line:
                if (auto ev = skip_line()) {
                    return std::move(*ev);
                }
                if (state_ == State::skip_line) {
                    compact_input();
                    return FramerNeedMore{};
                }
                break;

            case State::line: {
                const std::size_t lf = input_.find('\n', input_pos_);
                const std::size_t end = lf == std::string::npos ? input_.size() : lf;
                const std::string_view chunk(input_.data() + input_pos_, end - input_pos_);
                // The line still needs its CRLF (a CR at the end so far is part of it).
                const bool cr_last = chunk.empty()
                                         ? command_.size() > line_start_ && command_.back() == '\r'
                                         : chunk.back() == '\r';
                if (text_bytes_ + chunk.size() - (cr_last ? 1 : 0) + 2 > limits_.max_line) {
                    FramerTooLong ev{tag_of_command(chunk)};
                    start_skipping(std::string_view(command_).substr(line_start_));
                    reset_command();
                    return ev;
                }
                command_.append(chunk);
                text_bytes_ += chunk.size();
                input_pos_ = end;
                if (lf == std::string::npos) {
                    compact_input();
                    return FramerNeedMore{};
                }
                input_pos_ = lf + 1;
                if (auto ev = end_of_line()) {
                    return std::move(*ev);
                }
                break;
            }
        }
    }
}

std::optional<FramerEvent> ImapCommandFramer::end_of_line() {
    if (command_.size() > line_start_ && command_.back() == '\r') {
        command_.pop_back();
        --text_bytes_;
    }
    if (line_mode_) {
        FramerLine ev{std::move(command_)};
        reset_command();
        return ev;
    }
    const auto announced = literal_announcement(std::string_view(command_).substr(line_start_));
    if (!announced) {
        FramerCommand ev{std::move(command_)};
        reset_command();
        return ev;
    }
    using Why = FramerLiteralTooBig::Why;
    if (literals_ + 1 > limits_.max_literals) {
        return refuse_literal(announced->size, announced->synchronizing, Why::count);
    }
    if (announced->size > limits_.max_literal) {
        return refuse_literal(announced->size, announced->synchronizing, Why::size);
    }
    if (announced->size >
        limits_.max_literal_total - std::min(limits_.max_literal_total, literal_bytes_)) {
        return refuse_literal(announced->size, announced->synchronizing, Why::total);
    }
    command_ += "\r\n";  // a bare LF's line too: parse_command() reads "{N}\r\n"
    text_bytes_ += 2;
    ++literals_;
    literal_bytes_ += announced->size;
    literal_left_ = announced->size;
    state_ = State::literal;
    if (announced->synchronizing) {
        return FramerContinuationNeeded{tag_of_command({}), announced->size};
    }
    return std::nullopt;
}

std::optional<FramerEvent> ImapCommandFramer::refuse_literal(std::uint64_t size, bool synchronizing,
                                                             FramerLiteralTooBig::Why why) {
    FramerLiteralTooBig ev{tag_of_command({}), size, synchronizing, why};
    reset_command();
    if (synchronizing) {
        // No "+" goes out, so the client sends neither the literal nor the rest.
        state_ = State::line;
        return ev;
    }
    // The client sends it anyway: skip it and the rest of the command, then report.
    skip_report_ = std::move(ev);
    literal_left_ = size;
    state_ = State::skip_literal;
    return std::nullopt;
}

std::optional<FramerEvent> ImapCommandFramer::skip_line() {
    const std::size_t lf = input_.find('\n', input_pos_);
    const std::size_t end = lf == std::string::npos ? input_.size() : lf;
    const std::size_t keep = std::min(end - input_pos_, kSkipTail);
    skip_tail_.append(input_, end - keep, keep);
    if (skip_tail_.size() > kSkipTail) {
        skip_tail_.erase(0, skip_tail_.size() - kSkipTail);
    }
    input_pos_ = end;
    if (lf == std::string::npos) {
        return std::nullopt;
    }
    input_pos_ = lf + 1;
    if (skip_tail_.ends_with('\r')) {
        skip_tail_.pop_back();
    }
    if (!line_mode_) {
        const auto announced = literal_announcement(skip_tail_);
        if (announced && !announced->synchronizing) {
            // The client sends these octets without waiting: they are the command's too.
            literal_left_ = announced->size;
            state_ = State::skip_literal;
            return std::nullopt;
        }
    }
    // The command is over (a "{N}" here waits for a "+" that never comes).
    state_ = State::line;
    reset_command();
    if (skip_report_) {
        FramerEvent ev = std::move(*skip_report_);
        skip_report_.reset();
        return ev;
    }
    return std::nullopt;
}

// ---- Command names -------------------------------------------------------------------------

namespace {

struct NameEntry {
    std::string_view text;
    CommandName name;
};

constexpr std::array kCommandNames = {
    NameEntry{"CAPABILITY", CommandName::capability},
    NameEntry{"NOOP", CommandName::noop},
    NameEntry{"LOGOUT", CommandName::logout},
    NameEntry{"STARTTLS", CommandName::starttls},
    NameEntry{"AUTHENTICATE", CommandName::authenticate},
    NameEntry{"LOGIN", CommandName::login},
    NameEntry{"ENABLE", CommandName::enable},
    NameEntry{"SELECT", CommandName::select},
    NameEntry{"EXAMINE", CommandName::examine},
    NameEntry{"CREATE", CommandName::create},
    NameEntry{"DELETE", CommandName::delete_},
    NameEntry{"RENAME", CommandName::rename},
    NameEntry{"SUBSCRIBE", CommandName::subscribe},
    NameEntry{"UNSUBSCRIBE", CommandName::unsubscribe},
    NameEntry{"LIST", CommandName::list},
    NameEntry{"LSUB", CommandName::lsub},
    NameEntry{"NAMESPACE", CommandName::namespace_},
    NameEntry{"STATUS", CommandName::status},
    NameEntry{"APPEND", CommandName::append},
    NameEntry{"CHECK", CommandName::check},
    NameEntry{"CLOSE", CommandName::close},
    NameEntry{"UNSELECT", CommandName::unselect},
    NameEntry{"EXPUNGE", CommandName::expunge},
    NameEntry{"SEARCH", CommandName::search},
    NameEntry{"FETCH", CommandName::fetch},
    NameEntry{"STORE", CommandName::store},
    NameEntry{"COPY", CommandName::copy},
    NameEntry{"MOVE", CommandName::move},
    NameEntry{"IDLE", CommandName::idle},
};

std::optional<CommandName> command_name_of(std::string_view word) {
    for (const auto& e : kCommandNames) {
        if (iequals(word, e.text)) {
            return e.name;
        }
    }
    return std::nullopt;
}

}  // namespace

std::string_view command_name_text(CommandName name) {
    for (const auto& e : kCommandNames) {
        if (e.name == name) {
            return e.text;
        }
    }
    return "?";
}

// ---- The parser ----------------------------------------------------------------------------

namespace {

// SEARCH keys by what follows them (RFC 3501 6.4.4).
enum class SearchArgument { none, astring, keyword, header, date, number, set, not_, or_ };

struct SearchKeyEntry {
    std::string_view text;
    SearchKey::Kind kind;
    SearchArgument argument;
};

constexpr std::array kSearchKeys = {
    SearchKeyEntry{"ALL", SearchKey::Kind::all, SearchArgument::none},
    SearchKeyEntry{"ANSWERED", SearchKey::Kind::answered, SearchArgument::none},
    SearchKeyEntry{"BCC", SearchKey::Kind::bcc, SearchArgument::astring},
    SearchKeyEntry{"BEFORE", SearchKey::Kind::before, SearchArgument::date},
    SearchKeyEntry{"BODY", SearchKey::Kind::body, SearchArgument::astring},
    SearchKeyEntry{"CC", SearchKey::Kind::cc, SearchArgument::astring},
    SearchKeyEntry{"DELETED", SearchKey::Kind::deleted, SearchArgument::none},
    SearchKeyEntry{"DRAFT", SearchKey::Kind::draft, SearchArgument::none},
    SearchKeyEntry{"FLAGGED", SearchKey::Kind::flagged, SearchArgument::none},
    SearchKeyEntry{"FROM", SearchKey::Kind::from, SearchArgument::astring},
    SearchKeyEntry{"HEADER", SearchKey::Kind::header, SearchArgument::header},
    SearchKeyEntry{"KEYWORD", SearchKey::Kind::keyword, SearchArgument::keyword},
    SearchKeyEntry{"LARGER", SearchKey::Kind::larger, SearchArgument::number},
    SearchKeyEntry{"NEW", SearchKey::Kind::new_, SearchArgument::none},
    SearchKeyEntry{"NOT", SearchKey::Kind::not_, SearchArgument::not_},
    SearchKeyEntry{"OLD", SearchKey::Kind::old, SearchArgument::none},
    SearchKeyEntry{"ON", SearchKey::Kind::on, SearchArgument::date},
    SearchKeyEntry{"OR", SearchKey::Kind::or_, SearchArgument::or_},
    SearchKeyEntry{"RECENT", SearchKey::Kind::recent, SearchArgument::none},
    SearchKeyEntry{"SEEN", SearchKey::Kind::seen, SearchArgument::none},
    SearchKeyEntry{"SENTBEFORE", SearchKey::Kind::sent_before, SearchArgument::date},
    SearchKeyEntry{"SENTON", SearchKey::Kind::sent_on, SearchArgument::date},
    SearchKeyEntry{"SENTSINCE", SearchKey::Kind::sent_since, SearchArgument::date},
    SearchKeyEntry{"SINCE", SearchKey::Kind::since, SearchArgument::date},
    SearchKeyEntry{"SMALLER", SearchKey::Kind::smaller, SearchArgument::number},
    SearchKeyEntry{"SUBJECT", SearchKey::Kind::subject, SearchArgument::astring},
    SearchKeyEntry{"TEXT", SearchKey::Kind::text, SearchArgument::astring},
    SearchKeyEntry{"TO", SearchKey::Kind::to, SearchArgument::astring},
    SearchKeyEntry{"UID", SearchKey::Kind::uid, SearchArgument::set},
    SearchKeyEntry{"UNANSWERED", SearchKey::Kind::unanswered, SearchArgument::none},
    SearchKeyEntry{"UNDELETED", SearchKey::Kind::undeleted, SearchArgument::none},
    SearchKeyEntry{"UNDRAFT", SearchKey::Kind::undraft, SearchArgument::none},
    SearchKeyEntry{"UNFLAGGED", SearchKey::Kind::unflagged, SearchArgument::none},
    SearchKeyEntry{"UNKEYWORD", SearchKey::Kind::unkeyword, SearchArgument::keyword},
    SearchKeyEntry{"UNSEEN", SearchKey::Kind::unseen, SearchArgument::none},
};

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool is_leap(int year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned days_in_month(int year, unsigned month) {
    constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// All digits, value at most 2^32 - 1 (RFC 3501 9: number, nz-number).
std::optional<std::uint32_t> to_number(std::string_view digits) {
    if (digits.empty() || digits.size() > 10) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    for (const char c : digits) {
        if (!is_digit(c)) {
            return std::nullopt;
        }
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (v > std::numeric_limits<std::uint32_t>::max()) {
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(v);
}

// nz-number: digit-nz *DIGIT, so no leading zero.
std::optional<std::uint32_t> to_nz_number(std::string_view digits) {
    if (digits.empty() || digits[0] == '0') {
        return std::nullopt;
    }
    return to_number(digits);
}

std::optional<unsigned> month_of(std::string_view name) {
    for (std::size_t i = 0; i < kMonths.size(); ++i) {
        if (iequals(name, kMonths[i])) {
            return static_cast<unsigned>(i + 1);
        }
    }
    return std::nullopt;
}

// date-text: date-day "-" date-month "-" date-year, date-day 1*2DIGIT.
std::optional<ImapDate> to_date(std::string_view s) {
    const std::size_t dash1 = s.find('-');
    if (dash1 == std::string_view::npos || dash1 == 0 || dash1 > 2) {
        return std::nullopt;
    }
    const std::string_view day = s.substr(0, dash1);
    s.remove_prefix(dash1 + 1);
    if (s.size() != 8 || s[3] != '-') {
        return std::nullopt;
    }
    const auto month = month_of(s.substr(0, 3));
    const auto year = to_number(s.substr(4));
    const auto d = to_number(day);
    if (!month || !year || s.substr(4).size() != 4 || !d) {
        return std::nullopt;
    }
    ImapDate date{static_cast<int>(*year), *month, *d};
    if (date.day < 1 || date.day > days_in_month(date.year, date.month)) {
        return std::nullopt;
    }
    return date;
}

// The inside of date-time's quotes: date-day-fixed "-" date-month "-" date-year SP time SP
// zone, as in "17-Jul-1996 02:44:25 -0700" (date-day-fixed: a space-padded or 2-digit day).
std::optional<ImapDateTime> to_date_time(std::string_view s) {
    if (s.size() != 26 || s[2] != '-' || s[11] != ' ' || s[14] != ':' || s[17] != ':' ||
        s[20] != ' ' || (s[21] != '+' && s[21] != '-')) {
        return std::nullopt;
    }
    const std::string_view day = s[0] == ' ' ? s.substr(1, 1) : s.substr(0, 2);
    const auto date = to_date(std::string(day) + std::string(s.substr(2, 9)));
    const auto all_digits = [](std::string_view v) {
        return std::all_of(v.begin(), v.end(), is_digit);
    };
    const std::string_view hh = s.substr(12, 2), mm = s.substr(15, 2), ss = s.substr(18, 2);
    const std::string_view zone = s.substr(22, 4);
    if (!date || !all_digits(day) || !all_digits(hh) || !all_digits(mm) || !all_digits(ss) ||
        !all_digits(zone)) {
        return std::nullopt;
    }
    const auto hour = *to_number(hh), minute = *to_number(mm), second = *to_number(ss);
    const auto zone_hours = *to_number(zone.substr(0, 2)), zone_mins = *to_number(zone.substr(2));
    if (hour > 23 || minute > 59 || second > 60 || zone_hours > 23 || zone_mins > 59) {
        return std::nullopt;
    }
    ImapDateTime dt;
    dt.zone_minutes = static_cast<int>(zone_hours * 60 + zone_mins) * (s[21] == '-' ? -1 : 1);
    dt.unix_seconds = days_from_civil(date->year, date->month, date->day) * 86400 +
                      static_cast<std::int64_t>(hour * 3600 + minute * 60 + second) -
                      static_cast<std::int64_t>(dt.zone_minutes) * 60;
    return dt;
}

std::optional<SequenceSet> to_sequence_set(std::string_view s) {
    SequenceSet set;
    const auto seq_number = [](std::string_view v) -> std::optional<std::uint32_t> {
        return v == "*" ? std::optional(kStar) : to_nz_number(v);
    };
    for (;;) {
        const std::size_t comma = s.find(',');
        const std::string_view item = s.substr(0, comma);
        const std::size_t colon = item.find(':');
        const auto first = seq_number(item.substr(0, colon));
        const auto last =
            colon == std::string_view::npos ? first : seq_number(item.substr(colon + 1));
        if (!first || !last || set.ranges.size() >= kImapMaxSequenceRanges) {
            return std::nullopt;
        }
        set.ranges.push_back({*first, *last});
        if (comma == std::string_view::npos) {
            return set;
        }
        s.remove_prefix(comma + 1);
    }
}

constexpr std::array<std::string_view, 5> kSystemFlags = {"Answered", "Flagged", "Deleted", "Seen",
                                                          "Draft"};

class Parser {
  public:
    explicit Parser(std::string_view text) : text_(text) {}

    Result<ImapCommand, ImapParseError> run() {
        if (!command() || !end()) {
            return ImapParseError{cmd_.tag.empty() ? std::string("*") : cmd_.tag,
                                  error_.empty() ? std::string("Syntax error") : error_};
        }
        return std::move(cmd_);
    }

  private:
    // ---- the cursor ----

    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }
    std::string_view rest() const { return text_.substr(std::min(pos_, text_.size())); }

    // Records why the command is refused (the first reason found is the one given).
    bool fail(std::string message) {
        if (error_.empty()) {
            error_ = std::move(message);
        }
        return false;
    }

    // The run of characters up to a space, parenthesis or the end: what a client meant as
    // one token, for reading it whole or quoting it in an error.
    std::string_view token() const {
        const std::string_view r = rest();
        return r.substr(0, std::min(r.find_first_of(" ()"), r.size()));
    }

    // The rest up to the next space: what an error quotes of something unreadable.
    std::string_view up_to_space() const {
        const std::string_view r = rest();
        return r.substr(0, std::min(r.find(' '), r.size()));
    }

    // What an error quotes of the item here: its token, or all up to the next space when
    // it starts with a parenthesis.
    std::string_view shown_item() const {
        const std::string_view t = token();
        return t.empty() ? up_to_space() : t;
    }

    // Refuses the item expected here: missing (nothing before the next space, the end of a
    // list or the end) or there but unreadable.
    bool missing_or_invalid(std::string_view what) {
        if (at_end() || peek() == ' ' || peek() == ')') {
            return fail("Missing " + std::string(what));
        }
        return fail("Invalid " + std::string(what) + " " + shown(shown_item()));
    }

    // After an atom-like item: a space, the end of a list, or the end of the command.
    bool at_item_end() const { return at_end() || peek() == ' ' || peek() == ')'; }

    // Takes the longest run of characters satisfying `pred`.
    template <class Pred>
    std::string_view take_while(Pred pred) {
        const std::size_t start = pos_;
        while (!at_end() && pred(text_[pos_])) {
            ++pos_;
        }
        return text_.substr(start, pos_ - start);
    }

    // Exactly one SP before `what`.
    bool sp(std::string_view what) {
        if (at_end()) {
            return fail("Missing " + std::string(what));
        }
        if (peek() != ' ') {
            return fail("Expected a space before " + std::string(what));
        }
        ++pos_;
        if (at_end()) {
            return fail("Missing " + std::string(what));
        }
        return true;
    }

    bool expect(char c, std::string_view what) {
        if (peek() != c) {
            return fail(at_end() ? "Missing " + std::string(what)
                                 : "Expected " + std::string(what) + " at " + shown(token()));
        }
        ++pos_;
        return true;
    }

    // After an item of a parenthesised list: its ")" or one SP and the next item.
    enum class Step { more, closed, failed };
    Step after_item(std::string_view what) {
        if (peek() == ')') {
            ++pos_;
            return Step::closed;
        }
        if (at_end()) {
            fail("Missing \")\" after the last " + std::string(what));
            return Step::failed;
        }
        return sp(what) ? Step::more : Step::failed;
    }

    bool end() {
        if (rest() == " ") {
            return fail("Unexpected space at the end of the command");
        }
        if (!at_end()) {
            const std::string_view r = rest();
            return fail("Unexpected text after the command: " +
                        shown(r.starts_with(' ') ? r.substr(1) : r));
        }
        return true;
    }

    // ---- strings (RFC 3501 4.3, 9) ----

    // quoted: DQUOTE *QUOTED-CHAR DQUOTE (plus UTF-8, as RFC 9051 allows).
    bool quoted(std::string& out) {
        ++pos_;
        out.clear();
        for (;;) {
            if (at_end()) {
                return fail("Unterminated quoted string");
            }
            const char c = text_[pos_];
            if (c == '"') {
                ++pos_;
                return true;
            }
            if (c == '\\') {
                const char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
                if (next != '"' && next != '\\') {
                    return fail("Invalid escape in a quoted string");
                }
                out += next;
                pos_ += 2;
                continue;
            }
            if (c == '\r' || c == '\n' || c == '\0') {
                return fail("Invalid character in a quoted string");
            }
            if (static_cast<unsigned char>(c) < 0x80) {
                out += c;
                ++pos_;
                continue;
            }
            const std::size_t n =
                utf8_sequence_length(rest());  // >= 2 here: rest() starts at 8-bit
            if (n == 0) {
                return fail("Invalid character in a quoted string");
            }
            out.append(text_.substr(pos_, n));
            pos_ += n;
        }
    }

    // literal: "{" number ["+"] "}" CRLF *CHAR8, as the framer inlined it.
    bool literal(std::string& out) {
        ++pos_;
        const std::string_view digits = take_while(is_digit);
        std::uint64_t size = 0;
        for (const char c : digits) {
            const auto d = static_cast<std::uint64_t>(c - '0');
            if (size > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
                return fail("Invalid literal");
            }
            size = size * 10 + d;
        }
        if (peek() == '+') {
            ++pos_;
        }
        if (digits.empty() || peek() != '}' || text_.substr(pos_ + 1, 2) != "\r\n") {
            return fail("Invalid literal");
        }
        pos_ += 3;
        if (size > text_.size() - pos_) {
            return fail("Literal shorter than announced");
        }
        const std::string_view octets = text_.substr(pos_, static_cast<std::size_t>(size));
        if (octets.find('\0') != std::string_view::npos) {
            return fail("NUL in a literal");
        }
        out.assign(octets);
        pos_ += octets.size();
        return true;
    }

    // string: quoted / literal.
    bool quoted_or_literal(std::string& out, std::string_view what) {
        if (peek() == '"') {
            return quoted(out);
        }
        if (peek() == '{') {
            return literal(out);
        }
        return fail(at_end() ? "Missing " + std::string(what) : "Invalid " + std::string(what));
    }

    // astring: 1*ASTRING-CHAR / string.
    bool astring(std::string& out, std::string_view what) {
        if (peek() == '"' || peek() == '{') {
            return quoted_or_literal(out, what);
        }
        const std::size_t start = pos_;
        const std::string_view atom = take_while(is_astring_char);
        if (atom.empty() || !at_item_end()) {
            pos_ = start;
            return missing_or_invalid(what);
        }
        out.assign(atom);
        return true;
    }

    // atom: 1*ATOM-CHAR.
    bool atom(std::string& out, std::string_view what) {
        const std::size_t start = pos_;
        const std::string_view a = take_while(is_atom_char);
        if (a.empty() || !at_item_end()) {
            pos_ = start;
            return missing_or_invalid(what);
        }
        out.assign(a);
        return true;
    }

    // mailbox: "INBOX" / astring, INBOX in any case being INBOX (RFC 3501 5.1).
    bool mailbox(std::string& out, std::string_view what = "mailbox name") {
        if (!astring(out, what)) {
            return false;
        }
        if (iequals(out, "INBOX")) {
            out = "INBOX";
        }
        return true;
    }

    // list-mailbox: 1*list-char / string.
    bool list_mailbox(std::string& out) {
        if (peek() == '"' || peek() == '{') {
            return quoted_or_literal(out, "mailbox pattern");
        }
        const std::size_t start = pos_;
        const std::string_view pattern = take_while(is_list_char);
        if (pattern.empty() || !at_item_end()) {
            pos_ = start;
            return missing_or_invalid("mailbox pattern");
        }
        out.assign(pattern);
        return true;
    }

    // ---- numbers, sets, dates ----

    bool number(std::uint32_t& out, std::string_view what) {
        const std::string_view t = token();
        const auto n = to_number(t);
        if (!n) {
            return fail("Invalid " + std::string(what) + " " + shown(t));
        }
        pos_ += t.size();
        out = *n;
        return true;
    }

    bool sequence_set(SequenceSet& out) {
        const std::string_view t = token();
        auto set = to_sequence_set(t);
        if (!set) {
            return fail("Invalid sequence set " + shown(t));
        }
        pos_ += t.size();
        out = std::move(*set);
        return true;
    }

    // date: date-text / DQUOTE date-text DQUOTE.
    bool date(ImapDate& out) {
        std::string_view t = token();
        bool quoted_date = false;
        if (peek() == '"') {
            const std::size_t close = rest().find('"', 1);
            t = rest().substr(0, close == std::string_view::npos ? rest().size() : close + 1);
            quoted_date = close != std::string_view::npos;
        }
        const auto d = to_date(quoted_date ? t.substr(1, t.size() - 2) : t);
        if (!d) {
            return fail("Invalid date " + shown(t));
        }
        pos_ += t.size();
        out = *d;
        return true;
    }

    bool date_time(std::optional<ImapDateTime>& out) {
        const std::string_view r = rest();
        const std::size_t close = r.find('"', 1);
        const auto dt =
            close == std::string_view::npos ? std::nullopt : to_date_time(r.substr(1, close - 1));
        if (!dt) {
            return fail("Invalid date-time " +
                        shown(r.substr(0, close == std::string_view::npos ? r.size() : close + 1)));
        }
        pos_ += close + 1;
        out = *dt;
        return true;
    }

    // ---- flags (RFC 3501 2.3.2, 9: flag, flag-list) ----

    // A flag a client may set (STORE, APPEND): not \Recent, system flags in their case.
    bool flag(std::vector<Flag>& out) {
        if (out.size() >= kImapMaxFlags) {
            return fail("Too many flags");
        }
        if (at_item_end()) {
            return missing_or_invalid("flag");
        }
        const std::string_view t = shown_item();
        const bool system = peek() == '\\';
        if (system) {
            ++pos_;
        }
        const std::string_view name = take_while(is_atom_char);
        if (name.empty() || !at_item_end()) {
            return fail("Invalid flag " + shown(t));
        }
        if (!system) {
            out.emplace_back(name);
            return true;
        }
        if (iequals(name, "Recent")) {
            return fail("\\Recent cannot be set");
        }
        for (const auto known : kSystemFlags) {
            if (iequals(name, known)) {
                out.push_back("\\" + std::string(known));
                return true;
            }
        }
        out.push_back("\\" + std::string(name));  // flag-extension
        return true;
    }

    // flag-list: "(" [flag *(SP flag)] ")".
    bool flag_list(std::vector<Flag>& out) {
        ++pos_;
        if (peek() == ')') {
            ++pos_;
            return true;
        }
        for (;;) {
            if (!flag(out)) {
                return false;
            }
            if (const auto step = after_item("flag"); step != Step::more) {
                return step == Step::closed;
            }
        }
    }

    // ---- the commands ----

    bool command() {
        if (text_.empty()) {
            return fail("Empty command line");
        }
        const std::string_view tag = take_while(is_tag_char);
        if (tag.empty() || (!at_end() && peek() != ' ')) {
            return fail(tag.empty() && peek() == ' ' ? "Missing tag" : "Invalid tag");
        }
        cmd_.tag.assign(tag);
        if (!sp("command")) {
            return false;
        }
        const std::string_view word = take_while([](char c) { return c != ' '; });
        if (word.empty()) {
            return fail("Missing command");
        }
        if (iequals(word, "UID")) {
            return uid_command();
        }
        const auto name = command_name_of(word);
        if (!name) {
            return fail("Unknown command " + shown(word));
        }
        cmd_.name = *name;
        return arguments();
    }

    bool uid_command() {
        cmd_.uid = true;
        if (!sp("command after UID")) {
            return false;
        }
        const std::string_view word = take_while([](char c) { return c != ' '; });
        const auto name = command_name_of(word);
        if (!name || (*name != CommandName::fetch && *name != CommandName::store &&
                      *name != CommandName::copy && *name != CommandName::move &&
                      *name != CommandName::search && *name != CommandName::expunge)) {
            return fail("Unknown command UID " + shown(word));
        }
        cmd_.name = *name;
        return arguments();
    }

    bool arguments() {
        switch (cmd_.name) {
            case CommandName::capability:
            case CommandName::noop:
            case CommandName::logout:
            case CommandName::starttls:
            case CommandName::namespace_:
            case CommandName::check:
            case CommandName::close:
            case CommandName::unselect:
            case CommandName::idle:
                return true;
            case CommandName::expunge:
                return !cmd_.uid || (sp("sequence set") && sequence_set(cmd_.set));
            case CommandName::authenticate:
                return authenticate();
            case CommandName::login:
                return login();
            case CommandName::enable:
                return enable();
            case CommandName::select:
            case CommandName::examine:
            case CommandName::create:
            case CommandName::delete_:
            case CommandName::subscribe:
            case CommandName::unsubscribe:
                return sp("mailbox name") && mailbox(cmd_.mailbox);
            case CommandName::rename:
                return sp("mailbox name") && mailbox(cmd_.mailbox) && sp("new mailbox name") &&
                       mailbox(cmd_.new_name, "new mailbox name");
            case CommandName::list:
            case CommandName::lsub:
                return list();
            case CommandName::status:
                return status();
            case CommandName::append:
                return append();
            case CommandName::search:
                return search();
            case CommandName::fetch:
                return sp("sequence set") && sequence_set(cmd_.set) && sp("FETCH attributes") &&
                       fetch();
            case CommandName::store:
                return sp("sequence set") && sequence_set(cmd_.set) && sp("STORE data item") &&
                       store();
            case CommandName::copy:
            case CommandName::move:
                return sp("sequence set") && sequence_set(cmd_.set) && sp("mailbox name") &&
                       mailbox(cmd_.mailbox);
        }
        return fail("Unknown command");
    }

    // login: "LOGIN" SP userid SP password (both astrings).
    bool login() {
        if (!sp("user name") || !astring(cmd_.user, "user name")) {
            return false;
        }
        if (sp("password") && astring(cmd_.password, "password") && end()) {
            return true;
        }
        // Nothing after the user name is quoted back: a BAD reply may well be logged.
        if (!error_.starts_with("Missing")) {
            error_ = "Invalid password";
        }
        return false;
    }

    // authenticate: "AUTHENTICATE" SP auth-type [SP (base64 / "=")] (RFC 4959).
    bool authenticate() {
        if (!sp("SASL mechanism") || !atom(cmd_.mechanism, "SASL mechanism")) {
            return false;
        }
        cmd_.mechanism = upper(cmd_.mechanism);
        if (at_end()) {
            return true;
        }
        if (!sp("initial response")) {
            return false;
        }
        const std::string_view response = rest();
        if (response == "=") {
            cmd_.initial_response.emplace();
        } else if (base64_decode(response)) {
            cmd_.initial_response.emplace(response);
        } else {
            return fail("Invalid initial response");
        }
        pos_ = text_.size();
        return true;
    }

    // enable: "ENABLE" 1*(SP capability) (RFC 5161).
    bool enable() {
        do {
            if (cmd_.capabilities.size() >= kImapMaxCapabilities) {
                return fail("Too many capabilities");
            }
            std::string name;
            if (!sp("capability name") || !atom(name, "capability name")) {
                return false;
            }
            cmd_.capabilities.push_back(upper(name));
        } while (!at_end());
        return true;
    }

    // list: "LIST" SP mailbox SP list-mailbox (LSUB the same).
    bool list() {
        if (!sp("reference name") || !mailbox(cmd_.reference, "reference name") ||
            !sp("mailbox pattern") || !list_mailbox(cmd_.pattern)) {
            return false;
        }
        if (iequals(cmd_.pattern, "INBOX")) {
            cmd_.pattern = "INBOX";
        }
        return true;
    }

    // status: "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")".
    bool status() {
        if (!sp("mailbox name") || !mailbox(cmd_.mailbox) || !sp("status items") ||
            !expect('(', "\"(\" before the status items")) {
            return false;
        }
        for (;;) {
            if (cmd_.status.size() >= kImapMaxStatusItems) {
                return fail("Too many status items");
            }
            const std::string_view t = token();
            if (iequals(t, "MESSAGES")) {
                cmd_.status.push_back(StatusItem::messages);
            } else if (iequals(t, "RECENT")) {
                cmd_.status.push_back(StatusItem::recent);
            } else if (iequals(t, "UIDNEXT")) {
                cmd_.status.push_back(StatusItem::uid_next);
            } else if (iequals(t, "UIDVALIDITY")) {
                cmd_.status.push_back(StatusItem::uid_validity);
            } else if (iequals(t, "UNSEEN")) {
                cmd_.status.push_back(StatusItem::unseen);
            } else if (t.empty()) {
                return missing_or_invalid("status item");
            } else {
                return fail("Unknown status item " + shown(t));
            }
            pos_ += t.size();
            if (const auto step = after_item("status item"); step != Step::more) {
                return step == Step::closed;
            }
        }
    }

    // append: "APPEND" SP mailbox [SP flag-list] [SP date-time] SP literal.
    bool append() {
        if (!sp("mailbox name") || !mailbox(cmd_.mailbox) || !sp("message literal")) {
            return false;
        }
        if (peek() == '(' && (!flag_list(cmd_.append_flags) || !sp("message literal"))) {
            return false;
        }
        if (peek() == '"' && (!date_time(cmd_.append_date) || !sp("message literal"))) {
            return false;
        }
        if (peek() != '{') {
            return fail("Expected the message as a literal");
        }
        return literal(cmd_.message);
    }

    // store: "STORE" SP sequence-set SP store-att-flags, where store-att-flags =
    // (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag))).
    bool store() {
        const std::string_view t = token();
        std::string_view item = t;
        if (item.starts_with('+') || item.starts_with('-')) {
            cmd_.store.mode = item[0] == '+' ? StoreAction::Mode::add : StoreAction::Mode::remove;
            item.remove_prefix(1);
        }
        if (iequals(item, "FLAGS.SILENT")) {
            cmd_.store.silent = true;
        } else if (!iequals(item, "FLAGS")) {
            return fail("Invalid STORE data item " + shown(t));
        }
        pos_ += t.size();
        if (!sp("flags")) {
            return false;
        }
        if (peek() == '(') {
            return flag_list(cmd_.store.flags);
        }
        for (;;) {
            if (!flag(cmd_.store.flags)) {
                return false;
            }
            if (at_end()) {
                return true;
            }
            if (!sp("flag")) {
                return false;
            }
        }
    }

    // ---- FETCH (RFC 3501 6.4.5) ----

    // fetch: ... SP ("ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")").
    bool fetch() {
        using K = FetchAttribute::Kind;
        const auto simple = [](K kind) {
            FetchAttribute a;
            a.kind = kind;
            return a;
        };
        const std::string_view t = token();
        if (iequals(t, "ALL") || iequals(t, "FAST") || iequals(t, "FULL")) {
            cmd_.fetch = {simple(K::flags), simple(K::internal_date), simple(K::rfc822_size)};
            if (!iequals(t, "FAST")) {
                cmd_.fetch.push_back(simple(K::envelope));
            }
            if (iequals(t, "FULL")) {
                cmd_.fetch.push_back(simple(K::body));
            }
            pos_ += t.size();
            return true;
        }
        if (peek() != '(') {
            return fetch_att();
        }
        ++pos_;
        for (;;) {
            if (!fetch_att()) {
                return false;
            }
            if (const auto step = after_item("FETCH attribute"); step != Step::more) {
                return step == Step::closed;
            }
        }
    }

    bool fetch_att() {
        using K = FetchAttribute::Kind;
        if (cmd_.fetch.size() >= kImapMaxFetchAttributes) {
            return fail("Too many FETCH attributes");
        }
        if (at_item_end()) {
            return missing_or_invalid("FETCH attribute");
        }
        const std::string_view whole = shown_item();
        const std::string_view word = take_while([](char c) {
            return is_digit(c) || c == '.' || (to_upper(c) >= 'A' && to_upper(c) <= 'Z');
        });
        struct Simple {
            std::string_view text;
            K kind;
        };
        constexpr std::array kSimple = {
            Simple{"ENVELOPE", K::envelope},
            Simple{"FLAGS", K::flags},
            Simple{"INTERNALDATE", K::internal_date},
            Simple{"RFC822", K::rfc822},
            Simple{"RFC822.HEADER", K::rfc822_header},
            Simple{"RFC822.SIZE", K::rfc822_size},
            Simple{"RFC822.TEXT", K::rfc822_text},
            Simple{"BODYSTRUCTURE", K::body_structure},
            Simple{"UID", K::uid},
        };
        FetchAttribute a;
        const bool body = iequals(word, "BODY");
        const bool peek_body = iequals(word, "BODY.PEEK");
        if (body && peek() != '[') {
            a.kind = K::body;
        } else if (body || peek_body) {
            a.kind = K::body_section;
            a.peek = peek_body;
            if (!section(a.section) || !partial(a.partial)) {
                return false;
            }
        } else {
            const auto it = std::find_if(kSimple.begin(), kSimple.end(),
                                         [&](const Simple& s) { return iequals(word, s.text); });
            if (it == kSimple.end()) {
                return fail("Unknown FETCH attribute " + shown(whole));
            }
            a.kind = it->kind;
        }
        if (!at_item_end()) {
            return fail("Unknown FETCH attribute " + shown(whole));
        }
        cmd_.fetch.push_back(std::move(a));
        return true;
    }

    // section: "[" [section-spec] "]", section-spec = section-msgtext / (section-part ["."
    // section-text]), section-part = nz-number *("." nz-number).
    bool section(Section& s) {
        if (!expect('[', "\"[\"")) {
            return false;
        }
        if (is_digit(peek())) {
            for (;;) {
                const auto n = to_nz_number(take_while(is_digit));
                if (!n) {
                    return fail("Invalid section part number");
                }
                if (s.part.size() >= kImapMaxSectionParts) {
                    return fail("Too many section part numbers");
                }
                s.part.push_back(*n);
                if (peek() != '.') {
                    break;
                }
                ++pos_;
                if (!is_digit(peek())) {
                    if (!section_text(s, true)) {
                        return false;
                    }
                    break;
                }
            }
        } else if (peek() != ']' && !section_text(s, false)) {
            return false;
        }
        return expect(']', "\"]\" after the section");
    }

    // section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT";
    // section-text = section-msgtext / "MIME" (MIME only after a part number).
    bool section_text(Section& s, bool after_part) {
        const std::string_view word = take_while(
            [](char c) { return c == '.' || (to_upper(c) >= 'A' && to_upper(c) <= 'Z'); });
        if (iequals(word, "HEADER")) {
            s.text = Section::Text::header;
        } else if (iequals(word, "TEXT")) {
            s.text = Section::Text::text;
        } else if (iequals(word, "MIME")) {
            if (!after_part) {
                return fail("MIME needs a part number");
            }
            s.text = Section::Text::mime;
        } else if (iequals(word, "HEADER.FIELDS") || iequals(word, "HEADER.FIELDS.NOT")) {
            s.text =
                word.size() == 13 ? Section::Text::header_fields : Section::Text::header_fields_not;
            return sp("header field names") && header_list(s.fields);
        } else {
            return fail(word.empty() ? std::string("Invalid section")
                                     : "Invalid section " + shown(word));
        }
        return true;
    }

    // header-list: "(" header-fld-name *(SP header-fld-name) ")", header-fld-name = astring.
    bool header_list(std::vector<std::string>& fields) {
        if (!expect('(', "\"(\" before the header field names")) {
            return false;
        }
        for (;;) {
            if (fields.size() >= kImapMaxHeaderFields) {
                return fail("Too many header field names");
            }
            if (!astring(fields.emplace_back(), "header field name")) {
                return false;
            }
            if (const auto step = after_item("header field name"); step != Step::more) {
                return step == Step::closed;
            }
        }
    }

    // "<" number "." nz-number ">" after a section.
    bool partial(std::optional<Partial>& out) {
        if (peek() != '<') {
            return true;
        }
        ++pos_;
        const auto offset = to_number(take_while(is_digit));
        const bool dot = peek() == '.';
        pos_ += dot ? 1 : 0;
        const auto length = to_nz_number(take_while(is_digit));
        if (!offset || !dot || !length || peek() != '>') {
            return fail("Invalid partial range");
        }
        ++pos_;
        out = Partial{*offset, *length};
        return true;
    }

    // ---- SEARCH (RFC 3501 6.4.4) ----

    // search: "SEARCH" [SP "CHARSET" SP astring] 1*(SP search-key).
    bool search() {
        if (!sp("search keys")) {
            return false;
        }
        if (iequals(token(), "CHARSET")) {
            pos_ += 7;
            if (!sp("charset") || !astring(cmd_.charset.emplace(), "charset") ||
                !sp("search keys")) {
                return false;
            }
        }
        cmd_.search.kind = SearchKey::Kind::and_;
        for (;;) {
            if (!search_key(cmd_.search.children.emplace_back(), 1)) {
                return false;
            }
            if (at_end()) {
                return true;
            }
            if (!sp("search key")) {
                return false;
            }
        }
    }

    bool search_key(SearchKey& key, std::size_t depth) {
        if (depth > kImapMaxSearchDepth) {
            return fail("Search keys nested too deeply");
        }
        if (++search_keys_ > kImapMaxSearchKeys) {
            return fail("Too many search keys");
        }
        if (peek() == '(') {
            ++pos_;
            key.kind = SearchKey::Kind::and_;
            for (;;) {
                if (!search_key(key.children.emplace_back(), depth + 1)) {
                    return false;
                }
                if (const auto step = after_item("search key"); step != Step::more) {
                    return step == Step::closed;
                }
            }
        }
        if (is_digit(peek()) || peek() == '*') {
            key.kind = SearchKey::Kind::sequence_set;
            return sequence_set(key.set);
        }
        if (at_item_end()) {
            return missing_or_invalid("search key");
        }
        const std::string_view word = token();
        const auto it =
            std::find_if(kSearchKeys.begin(), kSearchKeys.end(),
                         [&](const SearchKeyEntry& e) { return iequals(word, e.text); });
        if (it == kSearchKeys.end()) {
            return fail("Unknown search key " + shown(shown_item()));
        }
        pos_ += word.size();
        key.kind = it->kind;
        const std::string what = "argument of " + std::string(it->text);
        switch (it->argument) {
            case SearchArgument::none:
                return true;
            case SearchArgument::astring:
                return sp(what) && astring(key.text, what);
            case SearchArgument::keyword:
                return sp(what) && atom(key.text, "keyword");
            case SearchArgument::header:
                return sp(what) && astring(key.text, "header field name") && sp(what) &&
                       astring(key.value, what);
            case SearchArgument::date:
                return sp(what) && date(key.date);
            case SearchArgument::number:
                return sp(what) && number(key.number, "number");
            case SearchArgument::set:
                return sp(what) && sequence_set(key.set);
            case SearchArgument::not_:
                return sp(what) && search_key(key.children.emplace_back(), depth + 1);
            case SearchArgument::or_:
                return sp(what) && search_key(key.children.emplace_back(), depth + 1) && sp(what) &&
                       search_key(key.children.emplace_back(), depth + 1);
        }
        return fail("Unknown search key " + shown(word));
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::string error_;
    ImapCommand cmd_;
    std::size_t search_keys_ = 0;
};

}  // namespace

Result<ImapCommand, ImapParseError> parse_command(std::string_view text) {
    return Parser(text).run();
}

}  // namespace l7::mail::imap
