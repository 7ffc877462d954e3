#include "http/serializer.hpp"

#include <cstdio>

namespace l7::http {
namespace {

void append_fields(std::string& out, const Fields& fields) {
    static constexpr std::string_view kBreaking("\r\n\0", 3);
    for (const Field& f : fields.all()) {
        out += f.name;
        out += ": ";
        // A CR, LF or NUL in a value would end the field (or the head) early: each becomes a
        // space. Values almost never hold one, so they are copied whole when they do not.
        const std::size_t at = out.size();
        out += f.value;
        for (std::size_t i = out.find_first_of(kBreaking, at); i != std::string::npos;
             i = out.find_first_of(kBreaking, i + 1)) {
            out[i] = ' ';
        }
        out += "\r\n";
    }
    out += "\r\n";
}

}  // namespace

std::string serialize(const Response& response) {
    std::string out;
    out.reserve(128 + response.fields.size() * 32);
    out += version_text(response.version);
    const int code = response.status >= 100 && response.status <= 999 ? response.status : 500;
    const char status[] = {' ', static_cast<char>('0' + code / 100),
                           static_cast<char>('0' + code / 10 % 10),
                           static_cast<char>('0' + code % 10), ' '};
    out.append(status, sizeof status);
    out += response.reason.empty() ? reason_phrase(response.status) : response.reason;
    out += "\r\n";
    append_fields(out, response.fields);
    return out;
}

std::string serialize(const Request& request) {
    std::string out;
    out.reserve(128 + request.target.size() + request.fields.size() * 32);
    out += request.method;
    out += ' ';
    out += request.target;
    out += ' ';
    out += version_text(request.version);
    out += "\r\n";
    append_fields(out, request.fields);
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
    append_fields(out, trailers);
    return out;
}

}  // namespace l7::http
