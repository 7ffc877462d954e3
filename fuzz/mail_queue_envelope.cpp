// l7::mail::parse_envelope on arbitrary bytes: it never crashes and, when it parses, the
// entry is one the store would write (validate_entry), format_envelope gives printable
// ASCII lines that parse back to the same entry, and formatting is canonical (format,
// parse, format gives the same text). The input is also checked as an envelope value
// (escaping round-trips any bytes) and, for a parsed entry with a sender, as the returned
// message of a bounce about it: every line of the report ends in CRLF and stays within 998
// octets, and the report parses as a three-part multipart/report.

#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "mail/header.hpp"
#include "mail/mime.hpp"
#include "mail/queue/dsn.hpp"
#include "mail/queue/queue_store.hpp"

using namespace l7::mail;

namespace {

bool printable_lines(std::string_view text) {
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (c != '\n' && (u < 0x20 || u >= 0x7F)) {
            return false;
        }
    }
    return true;
}

bool crlf_lines_within_limit(std::string_view text) {
    std::size_t line = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') {
            if (i + 1 >= text.size() || text[i + 1] != '\n') {
                return false;
            }
            ++i;
            line = 0;
        } else if (text[i] == '\n' || ++line > kMaxLineLength) {
            return false;
        }
    }
    return text.ends_with("\r\n");
}

void check_bounce(const QueueEntry& entry, std::string_view original) {
    BounceOptions options;
    options.id = "fuzz-B0";
    options.reporting_mta = "mx.example.org";
    options.now = entry.arrival;
    options.message_id_left = "fuzz";
    options.boundary_random = "\x01\x02\x03\x04";
    options.action = entry.delay_warning_sent ? DsnAction::delayed : DsnAction::failed;
    auto bounce = compose_bounce(entry, entry.recipients, original, options);
    L7_FUZZ_CHECK(bounce.ok());
    L7_FUZZ_CHECK(crlf_lines_within_limit(bounce->message));
    L7_FUZZ_CHECK(bounce->entry.message_size == bounce->message.size());
    L7_FUZZ_CHECK(validate_entry(bounce->entry).ok());
    auto tree = parse_message(bounce->message);
    L7_FUZZ_CHECK(tree.ok());
    L7_FUZZ_CHECK(tree->content_type.is("multipart", "report"));
    L7_FUZZ_CHECK(tree->children.size() == 3);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);

    const auto unescaped = unescape_envelope_value(escape_envelope_value(text));
    L7_FUZZ_CHECK(unescaped && *unescaped == text);

    auto entry = parse_envelope(text);
    if (!entry) {
        return 0;
    }
    L7_FUZZ_CHECK(validate_entry(*entry).ok());
    const std::string formatted = format_envelope(*entry);
    L7_FUZZ_CHECK(printable_lines(formatted));
    auto again = parse_envelope(formatted);
    L7_FUZZ_CHECK(again.ok());
    L7_FUZZ_CHECK(*again == *entry);
    L7_FUZZ_CHECK(format_envelope(*again) == formatted);

    if (!entry->mail_from.empty()) {
        check_bounce(*entry, text);
    }
    return 0;
}
