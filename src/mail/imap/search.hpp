#pragma once
// The message side of IMAP4rev1's SEARCH (RFC 3501 6.4.4), sans-I/O: whether one message
// matches a search key (imap/types.hpp's SearchKey, as the command parser builds it).
//
// Theory of operation
//
//   SearchableMessage s(message);              // one per message, per SEARCH
//   if (s.matches(key, context)) ...           // reads and parses the message only if a key
//                                              // needs it, and then once for every key
//
// What each key looks at:
//  * Flags (ANSWERED ... UNSEEN, KEYWORD, UNKEYWORD): flag names compare case-insensitively;
//    RECENT is SearchMessage::recent (or a "\Recent" flag); NEW is RECENT and UNSEEN, OLD is
//    NOT RECENT. These never read the message.
//  * BEFORE/ON/SINCE: the internal date's calendar day in its own zone. SENTBEFORE/SENTON/
//    SENTSINCE: the Date field's day in the zone it was written in; a message without a Date
//    field that parse_mail_date() reads matches none of them.
//  * LARGER/SMALLER: SearchMessage::size (RFC822.SIZE), strictly.
//  * UID, sequence sets: SequenceSet::contains() with "*" as SearchContext's largest number.
//  * FROM, TO, CC, BCC, SUBJECT, HEADER: a substring of a top-level field's value (any field of
//    that name), unfolded and with RFC 2047 encoded words decoded; HEADER with "" matches
//    every message that has the field.
//  * BODY: the text of the body: every text/* and message/* leaf part with its transfer
//    encoding undone and converted to UTF-8 from its charset where encoded_word.hpp knows the
//    charset (8-bit text labelled us-ascii, or unlabelled, is taken as UTF-8 when it is valid
//    UTF-8), and the header fields of encapsulated messages (they are text of the outer
//    body). Parts of other types (images, PDFs) are not searched. A part boundary breaks a
//    match.
//  * TEXT: the top-level header fields ("Name: value" lines, decoded as above) or BODY.
//  * NOT, OR, and_ (a parenthesised list, and the top level): as in logic; and_ of nothing is
//    true.
// Substrings match without regard to ASCII case (RFC 3501 6.4.4 leaves it to the server);
// other bytes compare exactly, so UTF-8 text is folded byte-wise.
//
// Bounds: the text of a message is decoded and case-folded once, into copies no larger than
// the message; each search then is Boyer-Moore-Horspool (worst case O(n*m) for a needle of m
// octets, linear in practice). A message parse_message() refuses is searched as one
// text/plain part (fetch.hpp's ParsedMessage). A key nested deeper than kMaxSearchDepth (the
// parser bounds nesting first) counts as false.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mail/imap/fetch.hpp"
#include "mail/imap/types.hpp"
#include "mail/mime.hpp"

namespace l7::mail::imap {

inline constexpr std::size_t kMaxSearchDepth = 128;

// A message as the session hands it over.
struct SearchMessage {
    std::uint32_t sequence = 0;
    std::uint32_t uid = 0;
    std::span<const Flag> flags;
    bool recent = false;
    ImapDateTime internal_date;
    std::uint64_t size = 0;  // RFC822.SIZE
    // The stored message (CRLF line ends), called at most once, and only when a key needs
    // it; the view must stay valid while the SearchableMessage is used. Empty: no bytes.
    std::function<std::string_view()> bytes;
};

struct SearchContext {
    std::uint32_t largest_sequence = 0;  // "*" in a sequence set (0: an empty mailbox)
    std::uint32_t largest_uid = 0;       // "*" in a UID set
};

// Whether evaluating `key` reads the message (header fields, Date, body text).
bool search_needs_message(const SearchKey& key);

// One message being searched, with what it learnt of its bytes cached for the next key.
// `message` must outlive it.
class SearchableMessage {
  public:
    explicit SearchableMessage(const SearchMessage& message, MimeLimits limits = {});

    bool matches(const SearchKey& key, const SearchContext& context);

  private:
    struct FoldedField {
        std::string name;
        std::string value;  // unfolded, encoded words decoded, case-folded
    };

    bool evaluate(const SearchKey& key, const SearchContext& context, std::size_t depth);
    bool has_flag(std::string_view flag) const;
    bool is_recent() const;
    bool field_contains(std::string_view name, std::string_view needle);
    bool body_contains(std::string_view needle);
    bool text_contains(std::string_view needle);
    std::optional<ImapDate> sent_day();

    ParsedMessage& parsed();
    const std::vector<FoldedField>& fields();
    const std::vector<std::string>& body_texts();

    const SearchMessage& message_;
    MimeLimits limits_;
    bool wants_tree_ = false;  // a key searches the body: parse the MIME tree at once
    std::optional<ParsedMessage> parsed_;
    std::optional<std::vector<FoldedField>> fields_;
    std::optional<std::string> header_text_;
    std::optional<std::vector<std::string>> body_texts_;
    std::optional<std::optional<ImapDate>> sent_day_;
};

// SearchableMessage(message).matches(key, context), for a single question.
bool search_matches(const SearchKey& key, const SearchMessage& message,
                    const SearchContext& context);

// The pieces, for callers and tests.
// The calendar day of an instant in a zone `zone_minutes` east of UTC.
ImapDate day_in_zone(std::int64_t unix_seconds, int zone_minutes);
// ASCII letters lowercased, every other byte kept.
std::string fold_case(std::string_view text);
// Whether `needle` occurs in `haystack`, both already fold_case()d; "" occurs everywhere.
bool contains_folded(std::string_view haystack, std::string_view needle);

}  // namespace l7::mail::imap
