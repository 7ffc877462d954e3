#include "http/serializer.hpp"

#include <cstdio>

namespace l7::http {
namespace {

void append_fields(std::string& out, const Fields& fields) {
    for (const Field& f : fields.all()) {
        out += f.name;
        out += ": ";
        for (char c : f.value) {
            out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
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
    char status[8];
    std::snprintf(status, sizeof status, " %03d ", response.status);
    out += status;
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
