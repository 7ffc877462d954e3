#include "http/serializer.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace l7::http {
namespace {

std::size_t fields_size(const Fields& fields) {
    std::size_t n = 2;  // the empty line
    for (const Field& f : fields.all()) {
        n += f.name.size() + f.value.size() + 4;
    }
    return n;
}

// Whether `value` holds a CR, LF or NUL, any of which would end the field (or the head)
// early. strcspn stops at the first CR or LF, or at a NUL: the one inside the value or the
// terminator after it.
bool has_line_break(const std::string& value) {
    return std::strcspn(value.c_str(), "\r\n") != value.size();
}

char* put(char* at, std::string_view s) {
    std::memcpy(at, s.data(), s.size());
    return at + s.size();
}

// Writes the fields and the empty line (`size` bytes: fields_size(), which the caller has
// already needed) into place: one growth of `out` for the whole head.
void append_fields(std::string& out, const Fields& fields, std::size_t size) {
    const std::size_t start = out.size();
    out.resize(start + size);
    char* at = out.data() + start;
    for (const Field& f : fields.all()) {
        at = put(at, f.name);
        at = put(at, ": ");
        char* const value = at;
        at = put(at, f.value);
        if (has_line_break(f.value)) {
            std::replace_if(
                value, at, [](char c) { return c == '\r' || c == '\n' || c == '\0'; }, ' ');
        }
        at = put(at, "\r\n");
    }
    put(at, "\r\n");
}

}  // namespace

std::string serialize(const Response& response) {
    std::string out;
    const std::size_t fields = fields_size(response.fields);
    out.reserve(48 + response.reason.size() + fields);
    out += version_text(response.version);
    const int code = response.status >= 100 && response.status <= 999 ? response.status : 500;
    const char status[] = {' ', static_cast<char>('0' + code / 100),
                           static_cast<char>('0' + code / 10 % 10),
                           static_cast<char>('0' + code % 10), ' '};
    out.append(status, sizeof status);
    out += response.reason.empty() ? reason_phrase(response.status) : response.reason;
    out += "\r\n";
    append_fields(out, response.fields, fields);
    return out;
}

std::string serialize(const Request& request) {
    std::string out;
    const std::size_t fields = fields_size(request.fields);
    out.reserve(32 + request.method.size() + request.target.size() + fields);
    out += request.method;
    out += ' ';
    out += request.target;
    out += ' ';
    out += version_text(request.version);
    out += "\r\n";
    append_fields(out, request.fields, fields);
    return out;
}

std::vector<std::string_view> head_lines(std::string_view head) {
    std::vector<std::string_view> lines;
    while (!head.empty()) {
        const std::size_t end = head.find("\r\n");
        if (end == std::string_view::npos || end == 0) {
            break;
        }
        lines.push_back(head.substr(0, end));
        head.remove_prefix(end + 2);
    }
    return lines;
}

std::string chunk(std::string_view data) {
    if (data.empty()) {
        return {};
    }
    char size[24];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    std::string out(size);
    out.append(data);
    out += "\r\n";
    return out;
}

std::string last_chunk(const Fields& trailers) {
    std::string out = "0\r\n";
    append_fields(out, trailers, fields_size(trailers));
    return out;
}

}  // namespace l7::http
