#pragma once
// A message's header section (RFC 5322 sections 2.1 to 2.2 and 3.6), sans-I/O: split from the
// body at the first empty line, unfolded into an ordered list of fields, looked up by name
// without regard to case, and written back out folded.
//
//   Received: from a.example by b.example; Mon, 30 Nov 2026 16:15:21 +0000    <- raw kept
//   Subject: a long subject that was folded
//    over two lines                                                          <- unfolded
//   (empty line)
//   body ...
//
// Parsing is lenient where stored mail is known to differ from the grammar, because the IMAP
// server must still show such a message: lines may end in a bare LF (files on disk), field
// values may hold any byte (UTF-8 per RFC 6532, but also NUL or Latin-1), whitespace may
// separate a name from its colon (obs-optional, RFC 5322 4.5), and a line that cannot start a
// field ends the header section there (the body begins with it; Python's email package does
// the same). Only the limits make parsing fail: input from the network is hostile.
//
// Every field keeps its raw bytes (folding and line ends as received) next to its unfolded
// value: IMAP's BODY[HEADER.FIELDS] and DKIM need the former, everything else the latter.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace l7::mail {

// RFC 5322 2.1.1: lines MUST NOT be longer than 998 characters and SHOULD NOT be longer than
// 78, both without the CRLF.
inline constexpr std::size_t kMaxLineLength = 998;
inline constexpr std::size_t kFoldWidth = 78;

struct HeaderLimits {
    // The whole header section, its empty line included (Postfix's header_size_limit is 100 KiB).
    std::size_t max_section_bytes = 256 * 1024;
    std::size_t max_fields = 1000;
    // One physical line, without its line end. Larger than RFC 5322's 998 because mailers that
    // break that rule exist and their mail is still mail; a line longer than this is an attack.
    std::size_t max_line_bytes = 8192;
};

enum class HeaderError {
    section_too_large,  // more than max_section_bytes before the end of the header section
    too_many_fields,    // more than max_fields fields
    line_too_long,      // a field line longer than max_line_bytes
    invalid_name,       // (building) a field name that is empty or not printable ASCII without ':'
    invalid_value,      // (building) a field value holding CR, LF or NUL
};

// A short English description ("header line too long"), for logs and replies.
std::string_view describe(HeaderError e);

struct HeaderField {
    std::string name;   // as written, case kept, without whitespace before the colon
    std::string value;  // unfolded (RFC 5322 2.2.3) and trimmed of surrounding whitespace
    std::string raw;    // the field's bytes as in the message, each line end included

    friend bool operator==(const HeaderField&, const HeaderField&) = default;
};

// ASCII case-insensitive equality, for field names and MIME tokens.
bool iequals(std::string_view a, std::string_view b);
std::string ascii_lowercase(std::string_view s);
// RFC 5322 2.2: a field name is 1*ftext, printable US-ASCII except ':'.
bool is_field_name(std::string_view name);

// An ordered list of header fields. Names repeat (Received, Comments); lookups take the first
// in order unless they say otherwise. Fields added here are folded at once, so raw is always
// what goes on the wire.
class Header {
  public:
    const std::vector<HeaderField>& fields() const { return fields_; }
    std::size_t size() const { return fields_.size(); }
    bool empty() const { return fields_.empty(); }

    // The first field called `name` (case-insensitive), or nullptr / nullopt.
    const HeaderField* find(std::string_view name) const;
    std::optional<std::string_view> get(std::string_view name) const;
    // Every value of `name`, in order.
    std::vector<std::string_view> get_all(std::string_view name) const;
    std::size_t count(std::string_view name) const;
    bool contains(std::string_view name) const { return find(name) != nullptr; }

    // Appends "name: value", folded with fold_field(). Fails with invalid_name or
    // invalid_value (CR, LF or NUL would let a value smuggle in a field of its own) and then
    // changes nothing.
    Result<bool, HeaderError> add(std::string_view name, std::string_view value);
    // The same at the top: trace fields (Received, Return-Path) go before the others
    // (RFC 5322 3.6.7).
    Result<bool, HeaderError> prepend(std::string_view name, std::string_view value);
    // Replaces every `name` field with one, where the first was (else at the end).
    Result<bool, HeaderError> set(std::string_view name, std::string_view value);
    // Removes every `name` field; returns how many there were.
    std::size_t remove(std::string_view name);

    // Appends a field as parsed (no checks: raw is taken as it is).
    void append_parsed(HeaderField field) { fields_.push_back(std::move(field)); }

    // Every field's raw bytes in order: the header section without its empty line.
    std::string to_string() const;

    friend bool operator==(const Header&, const Header&) = default;

  private:
    std::vector<HeaderField> fields_;
};

struct ParsedHeader {
    Header header;
    // Where the body begins in the input: after the empty line, at the line that could not
    // start a field, or at the end. input.substr(0, body_offset) is IMAP's BODY[HEADER].
    std::size_t body_offset = 0;
    bool has_empty_line = false;  // false: the section ended at a non-field line or the end
    bool bare_lf = false;         // some line ended in LF without CR
};

// Splits `message` (a whole message or a MIME part) into its header and body and parses the
// header section. Errors: section_too_large, too_many_fields, line_too_long; nothing else
// fails. `message` is only read during the call.
Result<ParsedHeader, HeaderError> parse_header(std::string_view message,
                                               const HeaderLimits& limits = {});

// "Name: value" ready to send: folded before whitespace so that lines stay within kFoldWidth
// where the value allows (unfolding gives back the value exactly), each line ending in CRLF.
// A run without whitespace too long for kMaxLineLength is split where it must be, which
// adds a space on unfolding: the limit is a MUST, and callers who care (compose) encode such
// text first. CR and LF in `value` are written as spaces, whitespace around it is dropped (as
// parsing drops it); the caller checks names.
std::string fold_field(std::string_view name, std::string_view value);

}  // namespace l7::mail
