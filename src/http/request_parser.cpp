#include "http/request_parser.hpp"

#include "http/head_syntax.hpp"

namespace l7::http {
namespace {

// origin-form, absolute-form, authority-form or "*": visible ASCII only (RFC 9112 3.2).
bool plausible_target(std::string_view target) {
    if (target.empty()) {
        return false;
    }
    for (char ch : target) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7F) {
            return false;
        }
    }
    return true;
}

}  // namespace

Event RequestParser::start_line(std::string_view line) {
    // request-line = method SP request-target SP HTTP-version (RFC 9112 section 3)
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
        return fail(400, "a request line that is not METHOD TARGET VERSION");
    }
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    int major = 0, minor = 0;
    if (!is_token(method)) {
        return fail(400, "an invalid method");
    }
    if (!plausible_target(target)) {
        return fail(400, "an invalid request-target");
    }
    if (!parse_http_version(version, major, minor)) {
        return fail(400, "an invalid HTTP version");
    }
    if (major != 1) {
        return fail(505, "HTTP/" + std::to_string(major) + "." + std::to_string(minor) +
                             " over this connection");
    }
    if (!is_known_method(method)) {
        return fail(501, "the method " + std::string(method) + " is not implemented");
    }
    request_ = Request();
    request_.method.assign(method);
    request_.target.assign(target);
    // A later 1.x is read as 1.1, the highest we speak (RFC 9110 section 2.5).
    request_.version = minor == 0 ? Version::http10 : Version::http11;
    return Event{};
}

void RequestParser::add_field(Field field) {
    request_.fields.add(std::move(field));
}

Event RequestParser::head_done() {
    const Fields& fields = request_.fields;
    const bool http11 = request_.version == Version::http11;
    // RFC 9112 section 3.2: exactly one Host in HTTP/1.1, at most one before.
    const std::size_t hosts = fields.count("Host");
    if (hosts > 1 || (http11 && hosts == 0)) {
        return fail(400, hosts == 0 ? "an HTTP/1.1 request without Host" : "several Host fields");
    }
    body_ = Body();
    const bool has_te = fields.count("Transfer-Encoding") > 0;
    std::string why;
    const auto length = content_length(fields, why);
    if (!why.empty()) {
        return fail(400, why);
    }
    if (has_te) {
        if (length) {
            return fail(400, "both Content-Length and Transfer-Encoding");  // RFC 9112 6.1
        }
        if (!http11) {
            return fail(400, "Transfer-Encoding in an HTTP/1.0 request");  // RFC 9112 6.1
        }
        const std::string te = *fields.combined("Transfer-Encoding");  // the views point here
        const auto codings = split_list(te);
        if (codings.empty() || !iequals(codings.back(), "chunked")) {
            return fail(400, "a Transfer-Encoding that does not end in chunked");
        }
        for (std::size_t i = 0; i + 1 < codings.size(); ++i) {
            if (iequals(codings[i], "chunked")) {
                return fail(400, "chunked applied twice");
            }
            return fail(501,
                        "the transfer coding " + std::string(codings[i]) + " is not implemented");
        }
        body_.framing = Framing::chunked;
    } else if (length) {
        if (*length > body_limits().max_body) {
            return fail(413, "a body of " + std::to_string(*length) + " bytes (at most " +
                                 std::to_string(body_limits().max_body) + ")");
        }
        body_.framing = *length == 0 ? Framing::none : Framing::length;
        body_.length = *length;
    }
    expects_continue_ = false;
    if (auto expect = fields.get("Expect")) {
        if (!iequals(*expect, "100-continue")) {
            return fail(417, "an expectation other than 100-continue");
        }
        expects_continue_ = http11;  // RFC 9110 10.1.1: ignore it from HTTP/1.0 clients
    }
    keep_alive_ = wants_keep_alive(request_.version, fields);
    Event e;
    e.kind = Event::Kind::head;
    return e;
}

}  // namespace l7::http
