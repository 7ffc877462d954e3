// The client's HTTP/1.1 framing (RFC 9112 section 6.3): bodies by length, chunks or close;
// no body for HEAD, 1xx, 204 and 304; interim responses; pipelined responses in order.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/response_parser.hpp"

namespace l7::http {
namespace {

struct Got {
    std::vector<int> statuses;
    std::vector<std::string> bodies;
    std::vector<bool> keep_alive;
    bool error = false;
    std::string why;
};

Got read(std::vector<std::string> methods, std::string_view wire, bool eof = true) {
    ResponseParser p;
    for (std::string& m : methods) {
        p.expect(std::move(m));
    }
    p.receive(wire);
    if (eof) {
        p.receive_eof();
    }
    Got got;
    std::string body;
    for (int guard = 0; guard < 10000; ++guard) {
        Event e = p.next();
        switch (e.kind) {
            case Event::Kind::head:
                got.statuses.push_back(p.response().status);
                got.keep_alive.push_back(p.keep_alive());
                body.clear();
                break;
            case Event::Kind::data:
                body.append(e.data);
                break;
            case Event::Kind::end:
                got.bodies.push_back(body);
                break;
            case Event::Kind::error:
                got.error = true;
                got.why = e.why;
                return got;
            case Event::Kind::need_more:
            case Event::Kind::closed:
                return got;
        }
    }
    ADD_FAILURE() << "the parser never finished";
    return got;
}

TEST(ResponseParser, BodiesByLengthChunksAndClose) {
    Got g = read({"GET"}, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    EXPECT_EQ(g.statuses, std::vector<int>{200});
    EXPECT_EQ(g.bodies, std::vector<std::string>{"hello"});
    EXPECT_EQ(g.keep_alive, std::vector<bool>{true});
    g = read({"GET"}, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    EXPECT_EQ(g.bodies, std::vector<std::string>{"abc"});
    g = read({"GET"}, "HTTP/1.0 200 OK\r\n\r\nuntil the end");
    EXPECT_EQ(g.bodies, std::vector<std::string>{"until the end"});
    EXPECT_EQ(g.keep_alive, std::vector<bool>{false});
}

TEST(ResponseParser, NoBodyForHeadAnd204And304) {
    const Got g = read({"HEAD", "GET", "GET", "GET"},
                       "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
                       "HTTP/1.1 204 No Content\r\n\r\n"
                       "HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\n\r\n"
                       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    EXPECT_EQ(g.statuses, (std::vector<int>{200, 204, 304, 200}));
    EXPECT_EQ(g.bodies, (std::vector<std::string>{"", "", "", "ok"}));
}

TEST(ResponseParser, InterimResponsesPrecedeTheFinalOne) {
    const Got g = read({"PUT", "GET"},
                       "HTTP/1.1 100 Continue\r\n\r\n"
                       "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
                       "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
    EXPECT_EQ(g.statuses, (std::vector<int>{100, 201, 200}));
    EXPECT_EQ(g.bodies, (std::vector<std::string>{"", "", "x"}));
}

TEST(ResponseParser, AReasonPhraseMayBeEmptyOrMissing) {
    Got g = read({"GET"}, "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(g.statuses, std::vector<int>{200});
    g = read({"GET"}, "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(g.statuses, std::vector<int>{404});
}

TEST(ResponseParser, MalformedResponsesAreErrors) {
    for (const char* wire : {
             "HTTP/1.1 2000 OK\r\n\r\n",
             "HTTP/1.1 20 OK\r\n\r\n",
             "HTTP/2 200 OK\r\n\r\n",
             "ICY 200 OK\r\n\r\n",
             "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
             "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
         }) {
        const Got g = read({"GET"}, wire);
        EXPECT_TRUE(g.error) << wire;
        EXPECT_FALSE(g.why.empty()) << wire;
    }
    // A response nobody asked for.
    EXPECT_TRUE(read({}, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").error);
}

TEST(ResponseParser, AnUnknownTransferCodingIsReadUntilClose) {
    const Got g = read({"GET"}, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw bytes");
    EXPECT_EQ(g.bodies, std::vector<std::string>{"raw bytes"});
    EXPECT_EQ(g.keep_alive, std::vector<bool>{false});
}

}  // namespace
}  // namespace l7::http
