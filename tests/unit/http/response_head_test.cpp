// Completing a response for the request it answers: framing, HEAD, bodiless statuses, and
// keep-alive for HTTP/1.0 and 1.1.

#include <gtest/gtest.h>

#include "http/response_head.hpp"

namespace l7::http {
namespace {

ResponseContext get11() {
    ResponseContext c;
    c.method = "GET";
    c.date = "Sun, 06 Nov 1994 08:49:37 GMT";
    c.server = "l7";
    return c;
}

TEST(ResponseHead, AKnownLengthIsSentWithContentLength) {
    Response r;
    const ResponsePlan plan = finish_response(r, get11(), 1234);
    EXPECT_TRUE(plan.send_body);
    EXPECT_FALSE(plan.chunked);
    EXPECT_TRUE(plan.keep_alive);
    EXPECT_EQ(r.fields.get("Content-Length"), "1234");
    EXPECT_EQ(r.fields.get("Date"), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(r.fields.get("Server"), "l7");
    EXPECT_FALSE(r.fields.get("Connection"));
}

TEST(ResponseHead, AnUnknownLengthIsChunkedFor11AndCloseDelimitedFor10) {
    Response r;
    ResponsePlan plan = finish_response(r, get11(), std::nullopt);
    EXPECT_TRUE(plan.chunked);
    EXPECT_EQ(r.fields.get("Transfer-Encoding"), "chunked");
    ResponseContext c10 = get11();
    c10.version = Version::http10;
    Response r10;
    plan = finish_response(r10, c10, std::nullopt);
    EXPECT_FALSE(plan.chunked);
    EXPECT_FALSE(plan.keep_alive);
    EXPECT_EQ(r10.fields.get("Connection"), "close");
    EXPECT_FALSE(r10.fields.get("Content-Length"));
}

TEST(ResponseHead, HeadAndBodilessStatusesSendNoBody) {
    ResponseContext head = get11();
    head.method = "HEAD";
    Response r;
    ResponsePlan plan = finish_response(r, head, 500);
    EXPECT_FALSE(plan.send_body);
    EXPECT_EQ(r.fields.get("Content-Length"), "500");  // as GET would say
    Response not_modified;
    not_modified.status = 304;
    plan = finish_response(not_modified, get11(), 500);
    EXPECT_FALSE(plan.send_body);
    Response no_content;
    no_content.status = 204;
    no_content.fields.add("Content-Length", "0");
    plan = finish_response(no_content, get11(), 0);
    EXPECT_FALSE(plan.send_body);
    EXPECT_FALSE(no_content.fields.get("Content-Length"));
}

TEST(ResponseHead, KeepAliveFollowsTheRequestAndTheResponse) {
    ResponseContext c = get11();
    c.request_keep_alive = false;
    Response r;
    EXPECT_FALSE(finish_response(r, c, 0).keep_alive);
    EXPECT_EQ(r.fields.get("Connection"), "close");
    Response closing;
    closing.fields.add("Connection", "close");
    EXPECT_FALSE(finish_response(closing, get11(), 0).keep_alive);
    ResponseContext c10 = get11();
    c10.version = Version::http10;
    Response r10;
    EXPECT_TRUE(finish_response(r10, c10, 10).keep_alive);
    EXPECT_EQ(r10.fields.get("Connection"), "keep-alive");
}

TEST(ResponseHead, TheHandlersFramingFieldsAreReplacedAndItsOwnDateAndServerKept) {
    Response r;
    r.fields.add("content-length", "99");
    r.fields.add("X-Kept", "1");
    r.fields.add("Transfer-Encoding", "gzip");
    r.fields.add("connection", "keep-alive, Upgrade");
    r.fields.add("date", "Mon, 07 Nov 1994 08:49:37 GMT");
    r.fields.add("SERVER", "mine");
    const ResponsePlan plan = finish_response(r, get11(), 5);
    EXPECT_TRUE(plan.keep_alive);
    EXPECT_EQ(r.fields.count("Content-Length"), 1u);
    EXPECT_EQ(r.fields.get("Content-Length"), "5");
    EXPECT_EQ(r.fields.count("Transfer-Encoding"), 0u);
    EXPECT_EQ(r.fields.count("Connection"), 0u);
    EXPECT_EQ(r.fields.get("X-Kept"), "1");
    EXPECT_EQ(r.fields.count("Date"), 1u);
    EXPECT_EQ(r.fields.get("Date"), "Mon, 07 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(r.fields.count("Server"), 1u);
    EXPECT_EQ(r.fields.get("Server"), "mine");

    // A 304 keeps the length the GET would have had (RFC 9110 8.6); "close" from the handler
    // closes, and is said once.
    Response not_modified;
    not_modified.status = 304;
    not_modified.fields.add("Content-Length", "1234");
    not_modified.fields.add("Connection", "close");
    EXPECT_FALSE(finish_response(not_modified, get11(), 0).keep_alive);
    EXPECT_EQ(not_modified.fields.get("Content-Length"), "1234");
    EXPECT_EQ(not_modified.fields.count("Connection"), 1u);
    EXPECT_EQ(not_modified.fields.get("Connection"), "close");
}

}  // namespace
}  // namespace l7::http
