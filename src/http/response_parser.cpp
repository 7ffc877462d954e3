#include "http/response_parser.hpp"

#include "http/head_syntax.hpp"

namespace l7::http {

Event ResponseParser::start_line(std::string_view line) {
    if (methods_.empty()) {
        return fail(0, "a response to no request");
    }
    // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 section 4);
    // a missing SP after the code is tolerated, as most clients do.
    int major = 0, minor = 0;
    if (line.size() < 12 || line[8] != ' ' ||
        !parse_http_version(line.substr(0, 8), major, minor)) {
        return fail(0, "an invalid status line");
    }
    if (major != 1) {
        return fail(0, "a response in HTTP/" + std::to_string(major) + "." + std::to_string(minor));
    }
    int status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (line[i] < '0' || line[i] > '9') {
            return fail(0, "an invalid status code");
        }
        status = status * 10 + (line[i] - '0');
    }
    if (status < 100 || (line.size() > 12 && line[12] != ' ')) {
        return fail(0, "an invalid status code");
    }
    response_ = Response();
    response_.status = status;
    response_.version = minor == 0 ? Version::http10 : Version::http11;
    if (line.size() > 13) {
        response_.reason.assign(line.substr(13));
    }
    return Event{};
}

void ResponseParser::add_field(Field field) {
    response_.fields.add(std::move(field));
}

Event ResponseParser::head_done() {
    const Fields& fields = response_.fields;
    const int status = response_.status;
    body_ = Body();
    keep_alive_ = wants_keep_alive(response_.version, fields);
    Event head;
    head.kind = Event::Kind::head;
    // RFC 9112 section 6.3, in its order.
    if (methods_.front() == "HEAD" || status < 200 || status == 204 || status == 304) {
        return head;
    }
    std::string why;
    const auto length = content_length(fields, why);
    if (fields.count("Transfer-Encoding") > 0) {
        const std::string te = *fields.combined("Transfer-Encoding");  // the views point here
        const auto codings = split_list(te);
        if (!codings.empty() && iequals(codings.back(), "chunked")) {
            body_.framing = Framing::chunked;
        } else {
            body_.framing = Framing::close;
            keep_alive_ = false;
        }
        return head;
    }
    if (!why.empty()) {
        return fail(0, "a response with " + why);
    }
    if (length) {
        body_.framing = *length == 0 ? Framing::none : Framing::length;
        body_.length = *length;
        return head;
    }
    body_.framing = Framing::close;
    keep_alive_ = false;
    return head;
}

void ResponseParser::message_done() {
    // An interim response leaves its request waiting for the final one.
    if (response_.status >= 200 && !methods_.empty()) {
        methods_.pop_front();
    }
}

}  // namespace l7::http
