// l7::mail::imap::ImapCommandFramer fed a client's stream in chunks of random sizes, every
// command it hands out parsed by parse_command(), and the modified UTF-7 mailbox names both
// ways. Whatever the bytes:
//   - the framer never holds more than its limits, hands out nothing longer than them, asks
//     for no more continuations than literals it may take, and never spins;
//   - how the stream is cut into chunks changes nothing: the events equal those of a framer
//     fed in large reads (unless the driver overfeeds, which must end in FramerOverflow);
//   - a parsed command is sane, and parsed again the same: a tag of tag characters, non-empty
//     sequence sets, lists within their kImapMax* bounds, search keys within their depth,
//     no \Recent set, INBOX normalised; a refused one has a tag and a one-line printable
//     message;
//   - decode(encode(x)) == x for every well-formed UTF-8 x, and encode(decode(y)) == y for
//     every y that decodes; LIST patterns: "*" matches every name, "%" those without the
//     delimiter, a pattern without wildcards only itself.
//
// Input: byte 0 seeds the chunk sizes, byte 1 picks the configuration (small limits, an
// overfeeding driver); the rest is the client's stream, and also the text for the mailbox
// name checks.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "mail/imap/command.hpp"
#include "mail/imap/mailbox_name.hpp"

using namespace l7::mail::imap;

namespace {

bool is_tag_char(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c < 0x7f &&
           std::string_view("(){%*\"\\+").find(ch) == std::string_view::npos;
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

// Well-formed UTF-8 (RFC 3629 4), checked here independently of the library.
bool is_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
        const auto in = [&](std::size_t k, unsigned lo, unsigned hi) {
            return i + k < s.size() && b(k) >= lo && b(k) <= hi;
        };
        const unsigned c = b(0);
        std::size_t n = 0;
        if (c < 0x80) {
            n = 1;
        } else if (c >= 0xc2 && c <= 0xdf && in(1, 0x80, 0xbf)) {
            n = 2;
        } else if (c >= 0xe0 && c <= 0xef &&
                   in(1, c == 0xe0 ? 0xa0 : 0x80, c == 0xed ? 0x9f : 0xbf) && in(2, 0x80, 0xbf)) {
            n = 3;
        } else if (c >= 0xf0 && c <= 0xf4 &&
                   in(1, c == 0xf0 ? 0x90 : 0x80, c == 0xf4 ? 0x8f : 0xbf) && in(2, 0x80, 0xbf) &&
                   in(3, 0x80, 0xbf)) {
            n = 4;
        } else {
            return false;
        }
        i += n;
    }
    return true;
}

void check_set(const SequenceSet& set) {
    L7_FUZZ_CHECK(!set.ranges.empty());
    L7_FUZZ_CHECK(set.ranges.size() <= kImapMaxSequenceRanges);
}

// Depth and key count of a search tree (the top level counts no key).
void check_search(const SearchKey& key, std::size_t depth, std::size_t& keys) {
    L7_FUZZ_CHECK(depth <= kImapMaxSearchDepth);
    ++keys;
    using K = SearchKey::Kind;
    switch (key.kind) {
        case K::not_:
            L7_FUZZ_CHECK(key.children.size() == 1);
            break;
        case K::or_:
            L7_FUZZ_CHECK(key.children.size() == 2);
            break;
        case K::and_:
            L7_FUZZ_CHECK(!key.children.empty());
            break;
        case K::uid:
        case K::sequence_set:
            check_set(key.set);
            [[fallthrough]];
        default:
            L7_FUZZ_CHECK(key.children.empty());
            break;
    }
    for (const auto& child : key.children) {
        check_search(child, depth + 1, keys);
    }
}

void check_flags(const std::vector<Flag>& flags) {
    L7_FUZZ_CHECK(flags.size() <= kImapMaxFlags);
    for (const auto& f : flags) {
        L7_FUZZ_CHECK(!f.empty() && f != "\\");
        L7_FUZZ_CHECK(!iequals(f, "\\Recent"));
    }
}

void check_mailbox(const std::string& name) {
    L7_FUZZ_CHECK(!iequals(name, "INBOX") || name == "INBOX");
}

void check_command(const ImapCommand& c) {
    L7_FUZZ_CHECK(!c.tag.empty());
    L7_FUZZ_CHECK(std::all_of(c.tag.begin(), c.tag.end(), is_tag_char));
    check_mailbox(c.mailbox);
    check_mailbox(c.new_name);
    check_mailbox(c.reference);
    switch (c.name) {
        case CommandName::fetch:
            check_set(c.set);
            L7_FUZZ_CHECK(!c.fetch.empty() && c.fetch.size() <= kImapMaxFetchAttributes);
            for (const auto& a : c.fetch) {
                L7_FUZZ_CHECK(a.section.fields.size() <= kImapMaxHeaderFields);
                L7_FUZZ_CHECK(a.section.part.size() <= kImapMaxSectionParts);
                L7_FUZZ_CHECK(a.section.text != Section::Text::mime || !a.section.part.empty());
                L7_FUZZ_CHECK(!a.partial || a.partial->length > 0);
            }
            break;
        case CommandName::store:
            check_set(c.set);
            check_flags(c.store.flags);
            break;
        case CommandName::copy:
        case CommandName::move:
            check_set(c.set);
            break;
        case CommandName::expunge:
            if (c.uid) {
                check_set(c.set);
            }
            break;
        case CommandName::search: {
            L7_FUZZ_CHECK(c.search.kind == SearchKey::Kind::and_);
            L7_FUZZ_CHECK(!c.search.children.empty());
            std::size_t keys = 0;
            for (const auto& k : c.search.children) {
                check_search(k, 1, keys);
            }
            L7_FUZZ_CHECK(keys <= kImapMaxSearchKeys);
            break;
        }
        case CommandName::status:
            L7_FUZZ_CHECK(!c.status.empty() && c.status.size() <= kImapMaxStatusItems);
            break;
        case CommandName::append:
            check_flags(c.append_flags);
            break;
        case CommandName::enable:
            L7_FUZZ_CHECK(!c.capabilities.empty() && c.capabilities.size() <= kImapMaxCapabilities);
            break;
        case CommandName::authenticate:
            L7_FUZZ_CHECK(!c.mechanism.empty());
            break;
        default:
            break;
    }
    L7_FUZZ_CHECK(c.uid ==
                  (c.uid && (c.name == CommandName::fetch || c.name == CommandName::store ||
                             c.name == CommandName::copy || c.name == CommandName::move ||
                             c.name == CommandName::search || c.name == CommandName::expunge)));
}

// Frames `stream` in reads of the sizes `next_size` gives, parses each command, plays the
// session's part in line mode (after AUTHENTICATE and IDLE, for one line), and returns the
// events as text for comparison.
template <class NextSize>
std::vector<std::string> run(std::string_view stream, const FramerLimits& limits, bool overfeed,
                             NextSize next_size) {
    ImapCommandFramer f(limits);
    std::vector<std::string> events;
    std::size_t continuations = 0;
    bool overflowed = false;
    const std::size_t most_held = limits.max_buffered_input + limits.max_line +
                                  static_cast<std::size_t>(limits.max_literal_total);
    const std::size_t total = stream.size();
    const auto drain = [&] {
        for (;;) {
            // Each event stands for an LF, or a command cut short: never more than the bytes.
            L7_FUZZ_CHECK(events.size() <= 2 * total + 2);
            FramerEvent ev = f.next();
            L7_FUZZ_CHECK(f.buffered_bytes() <= most_held);
            if (std::holds_alternative<FramerNeedMore>(ev)) {
                return;
            }
            if (auto* k = std::get_if<FramerContinuationNeeded>(&ev)) {
                L7_FUZZ_CHECK(k->size <= limits.max_literal);
                L7_FUZZ_CHECK(++continuations <= limits.max_literals);
                L7_FUZZ_CHECK(!f.line_mode());
                events.push_back("+" + k->tag + " " + std::to_string(k->size));
            } else if (auto* c = std::get_if<FramerCommand>(&ev)) {
                continuations = 0;
                L7_FUZZ_CHECK(c->text.size() <= limits.max_line + limits.max_literal_total);
                auto parsed = parse_command(c->text);
                if (parsed) {
                    check_command(*parsed);
                    auto again = parse_command(c->text);
                    L7_FUZZ_CHECK(again && *again == *parsed);
                    if (parsed->name == CommandName::authenticate ||
                        parsed->name == CommandName::idle) {
                        f.set_line_mode(true);
                    }
                } else {
                    const auto& e = parsed.error();
                    L7_FUZZ_CHECK(!e.tag.empty() && !e.message.empty());
                    L7_FUZZ_CHECK(std::all_of(e.message.begin(), e.message.end(),
                                              [](char ch) { return ch >= 0x20 && ch < 0x7f; }));
                }
                events.push_back("C " + c->text);
            } else if (auto* l = std::get_if<FramerLine>(&ev)) {
                L7_FUZZ_CHECK(l->text.size() <= limits.max_line);
                f.set_line_mode(false);
                events.push_back("L " + l->text);
            } else if (auto* t = std::get_if<FramerTooLong>(&ev)) {
                continuations = 0;
                events.push_back("LONG " + t->tag);
            } else if (auto* b = std::get_if<FramerLiteralTooBig>(&ev)) {
                continuations = 0;
                events.push_back("BIG " + b->tag + " " + std::to_string(b->size));
            } else if (std::holds_alternative<FramerOverflow>(ev)) {
                L7_FUZZ_CHECK(overfeed && !overflowed);
                overflowed = true;
                events.emplace_back("OVERFLOW");
            }
        }
    };
    while (!stream.empty()) {
        std::size_t n = std::min(stream.size(), next_size());
        if (!overfeed) {
            L7_FUZZ_CHECK(f.input_room() > 0);  // drained: the whole room is free
            n = std::min(n, f.input_room());
        }
        f.receive(stream.substr(0, n));
        stream.remove_prefix(n);
        drain();
        if (overflowed) {
            L7_FUZZ_CHECK(f.input_room() == 0 && f.buffered_bytes() == 0);
            break;
        }
    }
    return events;
}

void check_mailbox_names(std::string_view text) {
    const auto decoded = decode_mailbox_name(text);
    if (decoded) {
        // One spelling per name.
        L7_FUZZ_CHECK(encode_mailbox_name(*decoded) == text);
        // Printable ASCII without "&" is its own name.
        L7_FUZZ_CHECK(text.find('&') != std::string_view::npos || *decoded == text);
    }
    // Encoding always gives a canonical name, even of malformed UTF-8 (as U+FFFD), and
    // well-formed UTF-8 comes back as it was.
    const std::string encoded = encode_mailbox_name(text);
    const auto back = decode_mailbox_name(encoded);
    L7_FUZZ_CHECK(back.ok());
    L7_FUZZ_CHECK(encode_mailbox_name(*back) == encoded);
    L7_FUZZ_CHECK(is_utf8(*back));
    L7_FUZZ_CHECK((*back == text) == is_utf8(text));

    // "*" matches everything, "%" what holds no delimiter, a pattern without wildcards only
    // itself.
    const std::string_view name = text.substr(0, 64);
    L7_FUZZ_CHECK(list_pattern_matches("*", name, '/'));
    L7_FUZZ_CHECK(list_pattern_matches("%", name, '/') ==
                  (name.find('/') == std::string_view::npos));
    if (name.find_first_of("*%") == std::string_view::npos) {
        L7_FUZZ_CHECK(list_pattern_matches(name, name, '/'));
        L7_FUZZ_CHECK(!list_pattern_matches(std::string(name) + "x", name, '/'));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    std::uint32_t seed = data[0] + 1u;
    const std::uint8_t conf = data[1];
    const std::string_view stream = l7::fuzz::as_text(data + 2, size - 2);

    FramerLimits limits;
    if (conf & 1) {
        limits.max_line = 48;
        limits.max_literal = 20;
        limits.max_literal_total = 30;
        limits.max_literals = 3;
        limits.max_buffered_input = 16;
    }
    const bool overfeed = (conf & 2) != 0;

    const auto random_size = [&seed] {
        seed = seed * 1103515245u + 12345u;
        return static_cast<std::size_t>(1 + (seed >> 16) % 64);
    };
    const auto events = run(stream, limits, overfeed, random_size);
    if (!overfeed) {
        const std::size_t big = limits.max_buffered_input;
        const auto whole = run(stream, limits, false, [big] { return big; });
        L7_FUZZ_CHECK(events == whole);
    }

    check_mailbox_names(stream);
    return 0;
}
