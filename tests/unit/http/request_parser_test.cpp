// The server's HTTP/1.1 framing (RFC 9112): requests, bodies by Content-Length and chunks,
// pipelining, keep-alive, and every rule against request smuggling with the status it earns.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/request_parser.hpp"

namespace l7::http {
namespace {

struct Parsed {
    std::vector<Request> requests;
    std::vector<std::string> bodies;
    std::vector<bool> keep_alive;
    int error = 0;  // the status of an error event, 0 if none
    std::string why;
    bool closed = false;
};

// Feeds `wire` in pieces of `step` bytes (1: byte by byte) and collects every event.
Parsed parse(std::string_view wire, std::size_t step = 1 << 20, RequestLimits limits = {},
             bool eof = true) {
    RequestParser p(limits);
    Parsed out;
    std::string body;
    std::size_t fed = 0;
    for (int guard = 0; guard < 1'000'000; ++guard) {
        Event e = p.next();
        switch (e.kind) {
            case Event::Kind::need_more:
                if (fed < wire.size()) {
                    const std::size_t n = std::min(step, wire.size() - fed);
                    p.receive(wire.substr(fed, n));
                    fed += n;
                } else if (eof) {
                    p.receive_eof();
                    eof = false;
                } else {
                    return out;
                }
                continue;
            case Event::Kind::head:
                out.requests.push_back(p.request());
                out.keep_alive.push_back(p.keep_alive());
                body.clear();
                continue;
            case Event::Kind::data:
                body.append(e.data);
                continue;
            case Event::Kind::end:
                out.bodies.push_back(body);
                continue;
            case Event::Kind::error:
                out.error = e.status;
                out.why = e.why;
                return out;
            case Event::Kind::closed:
                out.closed = true;
                return out;
        }
    }
    ADD_FAILURE() << "the parser never finished";
    return out;
}

TEST(RequestParser, ASimpleGetWithHost) {
    for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{1} << 20}) {
        const Parsed p = parse(
            "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
            "Accept: */*\r\n\r\n",
            step);
        ASSERT_EQ(p.requests.size(), 1u) << step;
        EXPECT_EQ(p.requests[0].method, "GET");
        EXPECT_EQ(p.requests[0].target, "/index.html");
        EXPECT_EQ(p.requests[0].version, Version::http11);
        EXPECT_EQ(p.requests[0].fields.get("host"), "www.example.com");
        EXPECT_EQ(p.bodies, std::vector<std::string>{""});
        EXPECT_TRUE(p.keep_alive[0]);
        EXPECT_TRUE(p.closed);  // then the client closed, cleanly
        EXPECT_EQ(p.error, 0);
    }
}

TEST(RequestParser, BodiesByLengthAndByChunksWithTrailers) {
    Parsed p = parse("POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world", 2);
    ASSERT_EQ(p.bodies.size(), 1u);
    EXPECT_EQ(p.bodies[0], "hello world");
    p = parse(
        "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nChecksum: abc\r\n\r\n",
        1);
    ASSERT_EQ(p.bodies.size(), 1u) << p.why;
    EXPECT_EQ(p.bodies[0], "hello world");
    RequestParser parser;
    parser.receive(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        "0\r\nX-Trailer: yes\r\n\r\n");
    ASSERT_EQ(parser.next().kind, Event::Kind::head);
    ASSERT_EQ(parser.next().kind, Event::Kind::end);
    EXPECT_EQ(parser.trailers().get("x-trailer"), "yes");
}

TEST(RequestParser, PipelinedRequestsComeOutInOrder) {
    const Parsed p = parse(
        "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
        "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
        "GET /3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    ASSERT_EQ(p.requests.size(), 3u);
    EXPECT_EQ(p.requests[0].target, "/1");
    EXPECT_EQ(p.requests[1].target, "/2");
    EXPECT_EQ(p.requests[2].target, "/3");
    EXPECT_EQ(p.bodies, (std::vector<std::string>{"", "abc", ""}));
    EXPECT_EQ(p.keep_alive, (std::vector<bool>{true, true, false}));
}

TEST(RequestParser, Http10KeepsAliveOnlyWhenAsked) {
    Parsed p = parse("GET / HTTP/1.0\r\n\r\n");  // no Host needed in 1.0
    ASSERT_EQ(p.requests.size(), 1u);
    EXPECT_EQ(p.requests[0].version, Version::http10);
    EXPECT_FALSE(p.keep_alive[0]);
    p = parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    EXPECT_TRUE(p.keep_alive[0]);
    // HTTP/1.2 is read as the highest 1.x we speak.
    p = parse("GET / HTTP/1.2\r\nHost: a\r\n\r\n");
    ASSERT_EQ(p.requests.size(), 1u);
    EXPECT_EQ(p.requests[0].version, Version::http11);
}

TEST(RequestParser, LoneLfLineEndingsAndLeadingEmptyLinesAreTolerated) {
    const Parsed p = parse("\r\n\nGET / HTTP/1.1\nHost: a\n\n");  // RFC 9112 section 2.2
    ASSERT_EQ(p.requests.size(), 1u) << p.why;
    EXPECT_EQ(p.error, 0);
}

struct Bad {
    const char* wire;
    int status;
    const char* what;
};

TEST(RequestParser, EveryFramingRuleHasItsStatus) {
    const std::string long_target(9000, 'a');
    const std::string long_header = "X-Big: " + std::string(17000, 'b');
    std::string many_fields;
    for (int i = 0; i < 101; ++i) {
        many_fields += "X-F" + std::to_string(i) + ": v\r\n";
    }
    const std::string target_line = "GET /" + long_target + " HTTP/1.1\r\nHost: a\r\n\r\n";
    const std::string big_header = "GET / HTTP/1.1\r\nHost: a\r\n" + long_header + "\r\n\r\n";
    const std::string too_many = "GET / HTTP/1.1\r\nHost: a\r\n" + many_fields + "\r\n";
    const std::vector<Bad> cases = {
        // Request smuggling (RFC 9112 section 11.2)
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
         "0\r\n\r\n",
         400, "CL and TE"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400,
         "differing CL"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\nabcd", 400, "CL list"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc", 400, "signed CL"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\nabc", 400, "hex CL"},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400, "empty CL"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n", 400,
         "TE not chunked"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400,
         "chunked not last"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
         "\r\n\r\n0\r\n\r\n",
         400, "chunked twice"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501,
         "unknown coding"},
        {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "TE in 1.0"},
        {"GET / HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n  b\r\n\r\n", 400, "obs-fold"},
        {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "space before colon"},
        {"GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400, "tab before colon"},
        {"GET / HTTP/1.1\r\nHost: a\r\nX-Bad: a\x01"
         "b\r\n\r\n",
         400, "control char"},
        {"GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400, "bare CR"},
        {"GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", 400, "bad field name"},
        {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400, "no colon"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
         "bad chunk size"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n", 400,
         "chunk longer than its size"},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
         "ffffffffffffffffff\r\n",
         400, "chunk size overflow"},
        // Request line
        {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "two spaces"},
        {"GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", 400, "extra word"},
        {"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400, "DEL in target"},
        {"G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad method token"},
        {"GET / http/1.1\r\nHost: a\r\n\r\n", 400, "lowercase version"},
        {"GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400, "two-digit minor"},
        {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP/2 over 1.1 framing"},
        {"GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505, "HTTP/0.9"},
        {"BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501, "unknown method"},
        // Host (RFC 9112 section 3.2)
        {"GET / HTTP/1.1\r\n\r\n", 400, "no Host"},
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "two Hosts"},
        // Limits
        {target_line.c_str(), 414, "long request line"},
        {big_header.c_str(), 431, "big header"},
        {too_many.c_str(), 431, "too many fields"},
        {"GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", 417, "unknown expectation"},
    };
    for (const Bad& c : cases) {
        for (std::size_t step : {std::size_t{1}, std::size_t{1} << 20}) {
            const Parsed p = parse(c.wire, step);
            EXPECT_EQ(p.error, c.status) << c.what << " (step " << step << "): " << p.why;
            EXPECT_FALSE(p.why.empty()) << c.what;
        }
    }
}

TEST(RequestParser, BodiesAreBoundedWith413) {
    RequestLimits limits;
    limits.body.max_body = 10;
    Parsed p =
        parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world", 1, limits);
    EXPECT_EQ(p.error, 413);
    EXPECT_TRUE(p.requests.empty());  // refused on the head, before any body byte
    p = parse(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        "6\r\nhello \r\n6\r\nworld!\r\n0\r\n\r\n",
        1, limits);
    EXPECT_EQ(p.error, 413);
}

TEST(RequestParser, AfterAnErrorTheConnectionOnlyCloses) {
    RequestParser parser;
    parser.receive("GET / HTTP/1.1\r\nHost : a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(parser.next().kind, Event::Kind::error);
    EXPECT_EQ(parser.next().kind, Event::Kind::closed);
}

TEST(RequestParser, ExpectContinueIsReportedForHttp11Only) {
    RequestParser parser;
    parser.receive(
        "PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n");
    ASSERT_EQ(parser.next().kind, Event::Kind::head);
    EXPECT_TRUE(parser.expects_continue());
    EXPECT_EQ(parser.next().kind, Event::Kind::need_more);  // waiting for the body
    parser.receive("ok");
    const Event e = parser.next();
    ASSERT_EQ(e.kind, Event::Kind::data);
    EXPECT_EQ(e.data, "ok");
    EXPECT_EQ(parser.next().kind, Event::Kind::end);
    EXPECT_TRUE(parser.idle());
}

TEST(RequestParser, ACutRequestIsNoRequest) {
    Parsed p = parse("GET / HTTP/1.1\r\nHost: a\r\n");  // then EOF
    EXPECT_TRUE(p.closed);
    EXPECT_TRUE(p.requests.empty());
    p = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
    EXPECT_EQ(p.error, 400);  // the body was cut short
}

}  // namespace
}  // namespace l7::http
