// Writing heads and chunks, and reading them back with the parser.

#include <gtest/gtest.h>

#include "http/request_parser.hpp"
#include "http/serializer.hpp"

namespace l7::http {
namespace {

TEST(Serializer, AResponseHeadWithTheStandardReason) {
    Response r;
    r.status = 404;
    r.fields.add("Content-Length", "0");
    EXPECT_EQ(serialize(r), "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    r.status = 299;
    r.reason = "Custom";
    r.version = Version::http10;
    r.fields = Fields();
    EXPECT_EQ(serialize(r), "HTTP/1.0 299 Custom\r\n\r\n");
}

TEST(Serializer, ValuesCannotSplitTheHead) {
    Response r;
    r.status = 302;
    r.fields.add("Location", "/x\r\nSet-Cookie: evil=1");
    EXPECT_EQ(serialize(r), "HTTP/1.1 302 Found\r\nLocation: /x  Set-Cookie: evil=1\r\n\r\n");
}

TEST(Serializer, ABareLineFeedOrANulInAValueBecomesASpace) {
    Response r;
    r.fields.add("X-A", std::string("1\n2\0"
                                    "3",
                                    5));
    r.fields.add("X-B", "plain");
    EXPECT_EQ(serialize(r), "HTTP/1.1 200 OK\r\nX-A: 1 2 3\r\nX-B: plain\r\n\r\n");
}

TEST(Serializer, ARequestWithAChunkedBodyParsesBack) {
    Request q;
    q.method = "POST";
    q.target = "/upload";
    q.fields.add("Host", "example.com");
    q.fields.add("Transfer-Encoding", "chunked");
    Fields trailers;
    trailers.add("Digest", "x");
    const std::string wire =
        serialize(q) + chunk("hello ") + chunk("") + chunk("world") + last_chunk(trailers);
    RequestParser p;
    p.receive(wire);
    ASSERT_EQ(p.next().kind, Event::Kind::head);
    EXPECT_EQ(p.request().target, "/upload");
    std::string body;
    for (Event e = p.next(); e.kind == Event::Kind::data; e = p.next()) {
        body.append(e.data);
    }
    EXPECT_EQ(body, "hello world");
    EXPECT_EQ(p.trailers().get("Digest"), "x");
    EXPECT_EQ(chunk(std::string(255, 'x')).substr(0, 4), "ff\r\n");
}

}  // namespace
}  // namespace l7::http
