#pragma once
// The values IMAP4rev1 commands carry (RFC 3501 section 9, the formal syntax), shared by the
// command parser (imap/command.hpp), which makes them, and the message side (imap/fetch.hpp,
// imap/search.hpp) and the session, which use them. Plain data, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace l7::mail::imap {

// ---- Sequence sets (RFC 3501 9: sequence-set) --------------------------------------------

// "*" in a sequence set: the largest number in use (the last message's sequence number or
// UID). Never a real number: nz-number starts at 1.
inline constexpr std::uint32_t kStar = 0;

// "a:b" (either order, either may be "*"), or "a" alone (first == last).
struct SequenceRange {
    std::uint32_t first = 1;
    std::uint32_t last = 1;
    friend bool operator==(const SequenceRange&, const SequenceRange&) = default;
};

struct SequenceSet {
    std::vector<SequenceRange> ranges;  // as written; never empty once parsed

    // Whether `n` is in the set when "*" stands for `largest` (0 for an empty mailbox, when
    // "*" matches nothing). "559:*" holds `largest` even when 559 is higher (RFC 3501 6.4.8).
    bool contains(std::uint32_t n, std::uint32_t largest) const;
    friend bool operator==(const SequenceSet&, const SequenceSet&) = default;
};

// ---- Dates (RFC 3501 9: date, date-time) -------------------------------------------------

// A day, as SEARCH's BEFORE/ON/SINCE/SENT* keys give it ("1-Feb-1994"): no time, no zone.
struct ImapDate {
    int year = 1970;
    unsigned month = 1;  // 1..12
    unsigned day = 1;    // 1..31, valid for the month
    friend auto operator<=>(const ImapDate&, const ImapDate&) = default;
};

// An instant with the zone it was written in, as INTERNALDATE and APPEND give it
// ("17-Jul-1996 02:44:25 -0700").
struct ImapDateTime {
    std::int64_t unix_seconds = 0;  // the instant, UTC
    int zone_minutes = 0;           // the written zone's offset east of UTC (-0700: -420)
    friend bool operator==(const ImapDateTime&, const ImapDateTime&) = default;
};

// ---- Flags (RFC 3501 2.3.2) ----------------------------------------------------------------

// A flag as written: a system flag ("\Seen", "\Answered", "\Flagged", "\Deleted", "\Draft",
// "\Recent") or a keyword atom ("$Forwarded", "NonJunk"). Flags compare case-insensitively.
using Flag = std::string;

// ---- FETCH (RFC 3501 6.4.5) ----------------------------------------------------------------

// BODY[section]: the part number ("1.2.3", empty for the whole message) and what of it.
struct Section {
    enum class Text {
        all,                // BODY[] or BODY[1.2]: the whole message or part
        header,             // BODY[HEADER], BODY[2.HEADER] (of an encapsulated message)
        header_fields,      // BODY[HEADER.FIELDS (From To)]
        header_fields_not,  // BODY[HEADER.FIELDS.NOT (Received)]
        text,               // BODY[TEXT], BODY[2.TEXT]: the body without the header
        mime,               // BODY[1.MIME]: the part's own MIME header (needs a part)
    };
    std::vector<std::uint32_t> part;  // nz-numbers; empty: the message itself
    Text text = Text::all;
    std::vector<std::string> fields;  // for header_fields(_not), as written (astrings)
    friend bool operator==(const Section&, const Section&) = default;
};

// "<offset.length>" after a section.
struct Partial {
    std::uint32_t offset = 0;
    std::uint32_t length = 0;  // nz-number
    friend bool operator==(const Partial&, const Partial&) = default;
};

struct FetchAttribute {
    enum class Kind {
        envelope,        // ENVELOPE
        flags,           // FLAGS
        internal_date,   // INTERNALDATE
        rfc822,          // RFC822: BODY[] (sets \Seen)
        rfc822_header,   // RFC822.HEADER: BODY.PEEK[HEADER]
        rfc822_size,     // RFC822.SIZE
        rfc822_text,     // RFC822.TEXT: BODY[TEXT] (sets \Seen)
        body,            // BODY: BODYSTRUCTURE without the extension data
        body_structure,  // BODYSTRUCTURE
        uid,             // UID
        body_section,    // BODY[section]<partial> and BODY.PEEK[...]
    };
    Kind kind = Kind::flags;
    Section section;                 // body_section only
    bool peek = false;               // BODY.PEEK: do not set \Seen
    std::optional<Partial> partial;  // body_section only
    friend bool operator==(const FetchAttribute&, const FetchAttribute&) = default;
};

// ---- SEARCH (RFC 3501 6.4.4) ---------------------------------------------------------------

struct SearchKey {
    // clang-format off
    // Grouped by what they use of the fields below.
    enum class Kind {
        // flags only
        all, answered, deleted, draft, flagged, new_, old, recent, seen,
        unanswered, undeleted, undraft, unflagged, unseen,
        // text: a flag keyword
        keyword, unkeyword,
        // text: a string to find (case-insensitively, RFC 3501 6.4.4)
        bcc, body, cc, from, subject, text, to,
        // text: a header field name; value: the string to find in it
        header,
        // date
        before, on, since, sent_before, sent_on, sent_since,
        // number: octets
        larger, smaller,
        // set: UIDs or sequence numbers
        uid, sequence_set,
        // children: NOT one key, OR two, and a parenthesised list (and the top level) all
        not_, or_, and_,
    };
    // clang-format on
    Kind kind = Kind::all;
    std::string text;   // the flag keyword, string to find, or header field name
    std::string value;  // HEADER's string to find
    ImapDate date;
    std::uint32_t number = 0;  // LARGER / SMALLER octets
    SequenceSet set;
    std::vector<SearchKey> children;
    friend bool operator==(const SearchKey&, const SearchKey&) = default;
};

// ---- STATUS (RFC 3501 6.3.10) --------------------------------------------------------------

enum class StatusItem { messages, recent, uid_next, uid_validity, unseen };

}  // namespace l7::mail::imap
