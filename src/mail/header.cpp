#include "mail/header.hpp"

#include <algorithm>

namespace l7::mail {
namespace {

bool is_wsp(char c) {
    return c == ' ' || c == '\t';
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_ftext(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 33 && u <= 126 && c != ':';
}

std::string_view trim_wsp(std::string_view s) {
    while (!s.empty() && is_wsp(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_wsp(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

// The field name of a line that starts a field ("Name:" or "Name :", obs-optional), or
// nullopt when the line cannot start one. `colon` is set to the colon's index.
std::optional<std::string_view> field_name_of(std::string_view line, std::size_t& colon) {
    std::size_t i = 0;
    while (i < line.size() && is_ftext(line[i])) {
        ++i;
    }
    const std::size_t name_end = i;
    while (i < line.size() && is_wsp(line[i])) {
        ++i;
    }
    if (name_end == 0 || i >= line.size() || line[i] != ':') {
        return std::nullopt;
    }
    colon = i;
    return line.substr(0, name_end);
}

bool value_is_sendable(std::string_view value) {
    return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

Result<HeaderField, HeaderError> make_field(std::string_view name, std::string_view value) {
    if (!is_field_name(name)) {
        return HeaderError::invalid_name;
    }
    if (!value_is_sendable(value)) {
        return HeaderError::invalid_value;
    }
    value = trim_wsp(value);
    return HeaderField{std::string(name), std::string(value), fold_field(name, value)};
}

}  // namespace

std::string_view describe(HeaderError e) {
    switch (e) {
        case HeaderError::section_too_large:
            return "header section too large";
        case HeaderError::too_many_fields:
            return "too many header fields";
        case HeaderError::line_too_long:
            return "header line too long";
        case HeaderError::invalid_name:
            return "invalid header field name";
        case HeaderError::invalid_value:
            return "CR, LF or NUL in a header field value";
    }
    return "bad header";
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

std::string ascii_lowercase(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = lower(c);
    }
    return out;
}

bool is_field_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), is_ftext);
}

const HeaderField* Header::find(std::string_view name) const {
    for (const HeaderField& f : fields_) {
        if (iequals(f.name, name)) {
            return &f;
        }
    }
    return nullptr;
}

std::optional<std::string_view> Header::get(std::string_view name) const {
    if (const HeaderField* f = find(name)) {
        return f->value;
    }
    return std::nullopt;
}

std::vector<std::string_view> Header::get_all(std::string_view name) const {
    std::vector<std::string_view> out;
    for (const HeaderField& f : fields_) {
        if (iequals(f.name, name)) {
            out.push_back(f.value);
        }
    }
    return out;
}

std::size_t Header::count(std::string_view name) const {
    return static_cast<std::size_t>(
        std::count_if(fields_.begin(), fields_.end(),
                      [&](const HeaderField& f) { return iequals(f.name, name); }));
}

Result<bool, HeaderError> Header::add(std::string_view name, std::string_view value) {
    auto field = make_field(name, value);
    if (!field) {
        return field.error();
    }
    fields_.push_back(std::move(*field));
    return true;
}

Result<bool, HeaderError> Header::prepend(std::string_view name, std::string_view value) {
    auto field = make_field(name, value);
    if (!field) {
        return field.error();
    }
    fields_.insert(fields_.begin(), std::move(*field));
    return true;
}

Result<bool, HeaderError> Header::set(std::string_view name, std::string_view value) {
    auto field = make_field(name, value);
    if (!field) {
        return field.error();
    }
    auto first = std::find_if(fields_.begin(), fields_.end(),
                              [&](const HeaderField& f) { return iequals(f.name, name); });
    if (first == fields_.end()) {
        fields_.push_back(std::move(*field));
        return true;
    }
    *first = std::move(*field);
    fields_.erase(std::remove_if(std::next(first), fields_.end(),
                                 [&](const HeaderField& f) { return iequals(f.name, name); }),
                  fields_.end());
    return true;
}

std::size_t Header::remove(std::string_view name) {
    const auto before = fields_.size();
    std::erase_if(fields_, [&](const HeaderField& f) { return iequals(f.name, name); });
    return before - fields_.size();
}

std::string Header::to_string() const {
    std::string out;
    for (const HeaderField& f : fields_) {
        out += f.raw;
    }
    return out;
}

Result<ParsedHeader, HeaderError> parse_header(std::string_view message,
                                               const HeaderLimits& limits) {
    ParsedHeader result;
    std::vector<HeaderField> fields;
    std::size_t pos = 0;
    bool in_field = false;  // whether continuation lines extend fields.back()
    std::string value;      // its unfolded value so far
    auto finish_field = [&] {
        if (in_field) {
            fields.back().value = trim_wsp(value);
            in_field = false;
        }
    };
    auto finish = [&](std::size_t body_offset) {
        finish_field();
        for (HeaderField& f : fields) {
            result.header.append_parsed(std::move(f));
        }
        result.body_offset = body_offset;
        return std::move(result);
    };
    while (pos < message.size()) {
        // Look for the line end no further than the longest line allowed, so that a huge
        // input without line ends costs no more than the limit.
        const std::string_view window =
            message.substr(pos, std::min(limits.max_line_bytes, message.size()) + 2);
        const std::size_t lf = window.find('\n');
        const bool complete = lf != std::string_view::npos;
        std::size_t text_len = complete ? lf : window.size();
        const bool crlf = complete && text_len > 0 && window[text_len - 1] == '\r';
        if (crlf) {
            --text_len;
        }
        const bool bare_lf = complete && !crlf;
        const std::string_view text = window.substr(0, text_len);
        const std::size_t line_size = complete ? lf + 1 : window.size();
        if (complete && text.empty()) {
            // RFC 5322 2.1: the empty line that separates header and body.
            if (pos + line_size > limits.max_section_bytes) {
                return HeaderError::section_too_large;
            }
            result.has_empty_line = true;
            result.bare_lf = result.bare_lf || bare_lf;
            return finish(pos + line_size);
        }
        std::size_t colon = 0;
        const bool continuation = is_wsp(text.front()) && in_field;
        const auto name = continuation ? std::nullopt : field_name_of(text, colon);
        if (!continuation && !name) {
            break;  // not a field: the body starts on this line
        }
        if (text.size() > limits.max_line_bytes ||
            (!complete && pos + line_size < message.size())) {
            return HeaderError::line_too_long;
        }
        if (pos + line_size > limits.max_section_bytes) {
            return HeaderError::section_too_large;
        }
        result.bare_lf = result.bare_lf || bare_lf;
        const std::string_view line_bytes = message.substr(pos, line_size);
        if (continuation) {
            // RFC 5322 2.2.3: unfolding removes the line break before the whitespace.
            value += text;
            fields.back().raw += line_bytes;
        } else {
            finish_field();
            if (fields.size() == limits.max_fields) {
                return HeaderError::too_many_fields;
            }
            fields.push_back(HeaderField{std::string(*name), {}, std::string(line_bytes)});
            in_field = true;
            value.assign(text.substr(colon + 1));
        }
        pos += line_size;
    }
    return finish(pos);
}

std::string fold_field(std::string_view name, std::string_view value) {
    value = trim_wsp(value);  // the parser would drop it: no whitespace-only last line
    std::string text(name);
    text += ':';
    if (!value.empty()) {
        text += ' ';
        for (char c : value) {
            text += c == '\r' || c == '\n' ? ' ' : c;
        }
    }
    // Greedy packing of pieces that each start with the whitespace a fold may go before; the
    // first piece (name, colon and the value's first word) cannot be broken.
    std::vector<std::string> lines;
    std::string line;
    std::size_t i = name.size() + 2;
    while (i < text.size() && is_wsp(text[i])) {
        ++i;
    }
    while (i < text.size() && !is_wsp(text[i])) {
        ++i;
    }
    line = text.substr(0, std::min(i, text.size()));
    while (i < text.size()) {
        std::size_t end = i;
        while (end < text.size() && is_wsp(text[end])) {
            ++end;
        }
        while (end < text.size() && !is_wsp(text[end])) {
            ++end;
        }
        const std::string_view piece = std::string_view(text).substr(i, end - i);
        if (line.size() + piece.size() > kFoldWidth) {
            lines.push_back(std::move(line));
            line.assign(piece);
        } else {
            line += piece;
        }
        i = end;
    }
    lines.push_back(std::move(line));
    std::string out;
    for (const std::string& l : lines) {
        // The last resort for a word longer than any line may be.
        std::string_view rest = l;
        std::size_t room = kMaxLineLength;
        while (rest.size() > room) {
            out += rest.substr(0, room);
            out += "\r\n ";
            rest.remove_prefix(room);
            room = kMaxLineLength - 1;  // after the space that begins a continuation line
        }
        out += rest;
        out += "\r\n";
    }
    return out;
}

}  // namespace l7::mail
