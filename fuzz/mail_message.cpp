// A whole message through l7::mail's readers: the header section, the addresses of every
// address field, dates, encoded words, Content-Type parameters, the MIME tree with its section
// numbers, and every part's body decoded. Invariants: parts lie inside their parents; every
// numbered part is found again by its number; what the formatters write parses back to the
// same thing; the transfer encodings round-trip whatever a body decodes to.

#include <array>
#include <string>

#include "fuzz_check.hpp"
#include "mail/address.hpp"
#include "mail/encoded_word.hpp"
#include "mail/header.hpp"
#include "mail/mail_date.hpp"
#include "mail/mime.hpp"
#include "mail/transfer_encoding.hpp"

namespace {

using namespace l7::mail;

constexpr std::array<std::string_view, 12> kAddressFields = {
    "From",      "Sender",    "Reply-To",    "To",
    "Cc",        "Bcc",       "Resent-From", "Resent-Sender",
    "Resent-To", "Resent-Cc", "Resent-Bcc",  "Disposition-Notification-To"};

bool has_line_break(std::string_view s) {
    return s.find_first_of("\r\n") != std::string_view::npos;
}

void check_addresses(std::string_view value) {
    auto list = parse_address_list(value);
    (void)parse_mailbox_list(value);
    (void)parse_mailbox(value);
    if (!list) {
        L7_FUZZ_CHECK(!describe(list.error()).empty());
        return;
    }
    const std::string formatted = format_address_list(*list);
    if (formatted.size() > kMaxAddressFieldLength) {
        return;
    }
    auto again = parse_address_list(formatted);
    L7_FUZZ_CHECK(again.ok());
    const auto before = flatten(*list);
    const auto after = flatten(*again);
    L7_FUZZ_CHECK(before.size() == after.size());
    for (std::size_t i = 0; i < before.size(); ++i) {
        L7_FUZZ_CHECK(before[i].domain == after[i].domain);
        if (!has_line_break(before[i].local_part)) {
            L7_FUZZ_CHECK(before[i].local_part == after[i].local_part);
        }
        if (is_valid_utf8(before[i].display_name)) {
            L7_FUZZ_CHECK(before[i].display_name == after[i].display_name);
        }
    }
}

void check_text(std::string_view value) {
    const std::string decoded = decode_encoded_words(value);
    if (is_valid_utf8(decoded)) {
        L7_FUZZ_CHECK(decode_encoded_words(encode_header_text(decoded)) == decoded);
    }
}

void check_date(std::string_view value) {
    auto date = parse_mail_date(value);
    if (!date) {
        return;
    }
    const std::string text = format_mail_date(date->unix_seconds, date->utc_offset_minutes);
    auto again = parse_mail_date(text);
    L7_FUZZ_CHECK(again.ok());
    const std::int64_t local = date->unix_seconds + std::int64_t{date->utc_offset_minutes} * 60;
    if (local > kMinMailDate && local < kMaxMailDate) {
        L7_FUZZ_CHECK(*again == *date);
    }
}

void check_parameters(const std::vector<MimeParameter>& parameters) {
    for (const MimeParameter& p : parameters) {
        if (p.name.find('*') != std::string::npos || !is_valid_utf8(p.value)) {
            continue;
        }
        auto cd = parse_content_disposition("attachment; " + format_parameter(p.name, p.value));
        L7_FUZZ_CHECK(cd.ok());
        L7_FUZZ_CHECK(cd->parameter(p.name) == std::string_view(p.value));
    }
}

void check_header(const Header& header) {
    for (const HeaderField& f : header.fields()) {
        L7_FUZZ_CHECK(is_field_name(f.name));
        for (std::string_view name : kAddressFields) {
            if (iequals(f.name, name)) {
                check_addresses(f.value);
            }
        }
        if (iequals(f.name, "Subject") || iequals(f.name, "Comments")) {
            check_text(f.value);
        }
        if (iequals(f.name, "Date") || iequals(f.name, "Resent-Date")) {
            check_date(f.value);
        }
        if (iequals(f.name, "Content-Type")) {
            if (auto ct = parse_content_type(f.value)) {
                check_parameters(ct->parameters);
            }
        }
    }
}

void check_body(std::string_view body) {
    L7_FUZZ_CHECK(quoted_printable_decode(
                      quoted_printable_encode(body, QuotedPrintableMode::binary)) == body);
    L7_FUZZ_CHECK(base64_decode_lenient(base64_encode_lines(body)) == body);
    L7_FUZZ_CHECK(quoted_printable_decode(body).size() <= body.size());
    L7_FUZZ_CHECK(base64_decode_lenient(body).size() <= body.size());
}

void check_part(const MimePart& part, std::string_view message, std::size_t begin,
                std::size_t end) {
    L7_FUZZ_CHECK(begin <= part.offset && part.offset <= part.body_offset);
    L7_FUZZ_CHECK(part.body_offset <= part.end_offset() && part.end_offset() <= end);
    L7_FUZZ_CHECK(part.header.to_string().size() <= part.body_offset - part.offset);
    check_header(part.header);
    if (auto decoded = decode_body(part, message)) {
        check_body(*decoded);
    }
    for (const MimePart& child : part.children) {
        check_part(child, message, part.body_offset, part.end_offset());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view message = l7::fuzz::as_text(data, size);

    if (auto parsed = parse_header(message)) {
        L7_FUZZ_CHECK(parsed->body_offset <= message.size());
        L7_FUZZ_CHECK(
            message.substr(0, parsed->body_offset).starts_with(parsed->header.to_string()));
        // Folding what was parsed gives fields that parse back to the same values.
        for (const HeaderField& f : parsed->header.fields()) {
            if (f.value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos ||
                f.value.size() > 900) {
                continue;
            }
            auto again = parse_header(fold_field(f.name, f.value) + "\r\n");
            L7_FUZZ_CHECK(again.ok() && again->header.size() == 1);
            L7_FUZZ_CHECK(again->header.fields()[0].value == f.value);
        }
    } else {
        L7_FUZZ_CHECK(!describe(parsed.error()).empty());
    }

    auto tree = parse_message(message);
    if (!tree) {
        L7_FUZZ_CHECK(!describe(tree.error()).empty());
        return 0;
    }
    check_part(*tree, message, 0, message.size());
    for (const NumberedPart& p : number_parts(*tree)) {
        L7_FUZZ_CHECK(find_part(*tree, p.section) == p.part);
    }
    return 0;
}
