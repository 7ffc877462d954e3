#include "mail/imap/search.hpp"

#include <algorithm>
#include <chrono>
#include <functional>

#include "mail/encoded_word.hpp"
#include "mail/header.hpp"
#include "mail/mail_date.hpp"

namespace l7::mail::imap {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;

bool is_message_key(SearchKey::Kind kind) {
    using Kind = SearchKey::Kind;
    switch (kind) {
        case Kind::bcc:
        case Kind::body:
        case Kind::cc:
        case Kind::from:
        case Kind::subject:
        case Kind::text:
        case Kind::to:
        case Kind::header:
        case Kind::sent_before:
        case Kind::sent_on:
        case Kind::sent_since:
            return true;
        default:
            return false;
    }
}

bool needs_message(const SearchKey& key, std::size_t depth) {
    if (depth > kMaxSearchDepth) {
        return false;
    }
    return is_message_key(key.kind) ||
           std::any_of(key.children.begin(), key.children.end(),
                       [depth](const SearchKey& k) { return needs_message(k, depth + 1); });
}

bool needs_tree(const SearchKey& key, std::size_t depth) {
    if (depth > kMaxSearchDepth) {
        return false;
    }
    return key.kind == SearchKey::Kind::body || key.kind == SearchKey::Kind::text ||
           std::any_of(key.children.begin(), key.children.end(),
                       [depth](const SearchKey& k) { return needs_tree(k, depth + 1); });
}

// "Name: value\n" for every field, decoded and folded: what TEXT and BODY search of a header.
std::string header_text(const Header& header) {
    std::string out;
    for (const HeaderField& f : header.fields()) {
        out += f.name;
        out += ": ";
        out += decode_encoded_words(f.value);
        out += '\n';
    }
    return fold_case(out);
}

// A text part's content as UTF-8, as far as its encodings are known.
std::string part_text(const MimePart& part, std::string_view bytes) {
    auto decoded = decode_body(part, bytes);
    std::string text = decoded ? std::move(*decoded) : std::string(part.body(bytes));
    const std::string_view charset = part.content_type.parameter("charset").value_or("us-ascii");
    if (iequals(charset, "us-ascii") && is_valid_utf8(text)) {
        return text;  // also 8-bit UTF-8 mislabelled, which is common
    }
    if (auto utf8 = charset_to_utf8(charset, text)) {
        return std::move(*utf8);
    }
    return text;
}

void collect_body_texts(const MimePart& part, std::string_view bytes,
                        std::vector<std::string>& out) {
    if (part.content_type.is_multipart()) {
        for (const MimePart& child : part.children) {
            collect_body_texts(child, bytes, out);
        }
    } else if (part.content_type.is_encapsulated_message() && !part.children.empty()) {
        const MimePart& inner = part.children.front();
        out.push_back(header_text(inner.header));
        collect_body_texts(inner, bytes, out);
    } else if (part.content_type.type == "text" || part.content_type.type == "message") {
        out.push_back(fold_case(part_text(part, bytes)));
    }
}

}  // namespace

ImapDate day_in_zone(std::int64_t unix_seconds, int zone_minutes) {
    // About 8700 years either way: beyond any real date, within std::chrono's calendar.
    constexpr std::int64_t kLimit = std::int64_t{1} << 38;
    const std::int64_t local = std::clamp(unix_seconds, -kLimit, kLimit) +
                               std::int64_t{std::clamp(zone_minutes, -6000, 6000)} * 60;
    std::int64_t days = local / kSecondsPerDay;
    if (local % kSecondsPerDay < 0) {
        --days;
    }
    const std::chrono::year_month_day ymd{
        std::chrono::sys_days{std::chrono::days{static_cast<int>(days)}}};
    return ImapDate{static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                    static_cast<unsigned>(ymd.day())};
}

std::string fold_case(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

bool contains_folded(std::string_view haystack, std::string_view needle) {
    if (needle.empty()) {
        return true;
    }
    if (needle.size() > haystack.size()) {
        return false;
    }
    const std::boyer_moore_horspool_searcher searcher(needle.begin(), needle.end());
    return std::search(haystack.begin(), haystack.end(), searcher) != haystack.end();
}

bool search_needs_message(const SearchKey& key) {
    return needs_message(key, 0);
}

// ---- SearchableMessage ---------------------------------------------------------------------

SearchableMessage::SearchableMessage(const SearchMessage& message, MimeLimits limits)
    : message_(message), limits_(limits) {}

bool SearchableMessage::matches(const SearchKey& key, const SearchContext& context) {
    wants_tree_ = wants_tree_ || needs_tree(key, 0);
    return evaluate(key, context, 0);
}

ParsedMessage& SearchableMessage::parsed() {
    if (!parsed_) {
        const std::string_view bytes = message_.bytes ? message_.bytes() : std::string_view();
        parsed_.emplace(bytes, limits_);
    }
    if (wants_tree_) {
        // Parsed as a tree before anything reads the header alone, so that is done once.
        (void)parsed_->tree();
    }
    return *parsed_;
}

bool SearchableMessage::has_flag(std::string_view flag) const {
    return std::any_of(message_.flags.begin(), message_.flags.end(),
                       [&](const Flag& f) { return iequals(f, flag); });
}

bool SearchableMessage::is_recent() const {
    return message_.recent || has_flag("\\Recent");
}

const std::vector<SearchableMessage::FoldedField>& SearchableMessage::fields() {
    if (!fields_) {
        fields_.emplace();
        for (const HeaderField& f : parsed().header().fields()) {
            fields_->push_back(FoldedField{f.name, fold_case(decode_encoded_words(f.value))});
        }
    }
    return *fields_;
}

const std::vector<std::string>& SearchableMessage::body_texts() {
    if (!body_texts_) {
        body_texts_.emplace();
        ParsedMessage& p = parsed();
        collect_body_texts(p.tree(), p.bytes(), *body_texts_);
    }
    return *body_texts_;
}

bool SearchableMessage::field_contains(std::string_view name, std::string_view needle) {
    return std::any_of(fields().begin(), fields().end(), [&](const FoldedField& f) {
        return iequals(f.name, name) && contains_folded(f.value, needle);
    });
}

bool SearchableMessage::body_contains(std::string_view needle) {
    return std::any_of(body_texts().begin(), body_texts().end(),
                       [&](const std::string& text) { return contains_folded(text, needle); });
}

bool SearchableMessage::text_contains(std::string_view needle) {
    if (!header_text_) {
        header_text_ = header_text(parsed().header());
    }
    return contains_folded(*header_text_, needle) || body_contains(needle);
}

std::optional<ImapDate> SearchableMessage::sent_day() {
    if (!sent_day_) {
        sent_day_.emplace();
        if (const auto value = parsed().header().get("Date")) {
            if (auto date = parse_mail_date(*value)) {
                *sent_day_ = day_in_zone(date->unix_seconds, date->utc_offset_minutes);
            }
        }
    }
    return *sent_day_;
}

bool SearchableMessage::evaluate(const SearchKey& key, const SearchContext& context,
                                 std::size_t depth) {
    if (depth > kMaxSearchDepth) {
        return false;
    }
    const auto child = [&](std::size_t i) {
        return i < key.children.size() && evaluate(key.children[i], context, depth + 1);
    };
    const auto folded = [](std::string_view s) { return fold_case(s); };
    const auto internal_day = [&] {
        return day_in_zone(message_.internal_date.unix_seconds,
                           message_.internal_date.zone_minutes);
    };
    using Kind = SearchKey::Kind;
    switch (key.kind) {
        case Kind::all:
            return true;
        case Kind::answered:
            return has_flag("\\Answered");
        case Kind::deleted:
            return has_flag("\\Deleted");
        case Kind::draft:
            return has_flag("\\Draft");
        case Kind::flagged:
            return has_flag("\\Flagged");
        case Kind::new_:
            return is_recent() && !has_flag("\\Seen");
        case Kind::old:
            return !is_recent();
        case Kind::recent:
            return is_recent();
        case Kind::seen:
            return has_flag("\\Seen");
        case Kind::unanswered:
            return !has_flag("\\Answered");
        case Kind::undeleted:
            return !has_flag("\\Deleted");
        case Kind::undraft:
            return !has_flag("\\Draft");
        case Kind::unflagged:
            return !has_flag("\\Flagged");
        case Kind::unseen:
            return !has_flag("\\Seen");
        case Kind::keyword:
            return has_flag(key.text);
        case Kind::unkeyword:
            return !has_flag(key.text);
        case Kind::bcc:
            return field_contains("Bcc", folded(key.text));
        case Kind::cc:
            return field_contains("Cc", folded(key.text));
        case Kind::from:
            return field_contains("From", folded(key.text));
        case Kind::subject:
            return field_contains("Subject", folded(key.text));
        case Kind::to:
            return field_contains("To", folded(key.text));
        case Kind::header:
            return field_contains(key.text, folded(key.value));
        case Kind::body:
            return body_contains(folded(key.text));
        case Kind::text:
            return text_contains(folded(key.text));
        case Kind::before:
            return internal_day() < key.date;
        case Kind::on:
            return internal_day() == key.date;
        case Kind::since:
            return internal_day() >= key.date;
        case Kind::sent_before: {
            const auto day = sent_day();
            return day && *day < key.date;
        }
        case Kind::sent_on: {
            const auto day = sent_day();
            return day && *day == key.date;
        }
        case Kind::sent_since: {
            const auto day = sent_day();
            return day && *day >= key.date;
        }
        case Kind::larger:
            return message_.size > key.number;
        case Kind::smaller:
            return message_.size < key.number;
        case Kind::uid:
            return key.set.contains(message_.uid, context.largest_uid);
        case Kind::sequence_set:
            return key.set.contains(message_.sequence, context.largest_sequence);
        case Kind::not_:
            return !child(0);
        case Kind::or_:
            return child(0) || child(1);
        case Kind::and_:
            for (std::size_t i = 0; i < key.children.size(); ++i) {
                if (!child(i)) {
                    return false;
                }
            }
            return true;
    }
    return false;
}

bool search_matches(const SearchKey& key, const SearchMessage& message,
                    const SearchContext& context) {
    SearchableMessage searchable(message);
    return searchable.matches(key, context);
}

}  // namespace l7::mail::imap
