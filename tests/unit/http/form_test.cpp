// Form bodies: application/x-www-form-urlencoded (WHATWG URL 5.1) and multipart/form-data
// (RFC 7578, with RFC 2046's framing and RFC 9110's parameter syntax for the boundary).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/form.hpp"

namespace l7::http {
namespace {

using FormFields = std::vector<FormField>;

FormFields urlencoded(std::string_view body, const UrlencodedLimits& limits = {}) {
    auto r = parse_urlencoded(body, limits);
    EXPECT_TRUE(r) << body << ": " << (r ? "" : r.error().message);
    return r ? *r : FormFields{};
}

TEST(Urlencoded, ParsesPairs) {
    EXPECT_EQ(urlencoded("name=John+Smith&city=K%C3%B8benhavn&empty=&flag"),
              (FormFields{{"name", "John Smith"},
                          {"city",
                           "K\xC3\xB8"
                           "benhavn"},
                          {"empty", ""},
                          {"flag", ""}}));
    EXPECT_EQ(urlencoded(""), FormFields{});
    EXPECT_EQ(urlencoded("&&a=1&&"), (FormFields{{"a", "1"}}));
    // Only the first '=' splits; '+' is a space but "%2B" a plus.
    EXPECT_EQ(urlencoded("eq=a=b&plus=1%2B1+%3D+2"),
              (FormFields{{"eq", "a=b"}, {"plus", "1+1 = 2"}}));
    EXPECT_EQ(urlencoded("a+b%20c=%26%3d"), (FormFields{{"a b c", "&="}}));
    // Repeated names stay, in order.
    EXPECT_EQ(urlencoded("x=1&x=2"), (FormFields{{"x", "1"}, {"x", "2"}}));
    // WHATWG: a '%' that starts no escape is kept; decoded bytes are not judged.
    EXPECT_EQ(urlencoded("p=100%&q=%zz&r=%4"),
              (FormFields{{"p", "100%"}, {"q", "%zz"}, {"r", "%4"}}));
    EXPECT_EQ(urlencoded("n=%00"), (FormFields{{"n", std::string(1, '\0')}}));
    EXPECT_EQ(urlencoded("=v"), (FormFields{{"", "v"}}));
}

TEST(Urlencoded, LimitsGive413) {
    UrlencodedLimits limits;
    limits.max_pairs = 2;
    limits.max_name_bytes = 4;
    limits.max_value_bytes = 6;
    limits.max_body_bytes = 40;
    EXPECT_EQ(urlencoded("a=1&b=2&&", limits).size(), 2u);
    const auto too_many = parse_urlencoded("a=1&b=2&c=3", limits);
    ASSERT_FALSE(too_many);
    EXPECT_EQ(too_many.error().status, 413);
    EXPECT_EQ(parse_urlencoded("abcde=1", limits).error().status, 413);
    EXPECT_EQ(parse_urlencoded("a=1234567", limits).error().status, 413);
    EXPECT_EQ(parse_urlencoded(std::string(41, '&'), limits).error().status, 413);
    EXPECT_TRUE(parse_urlencoded("abcd=%20%20", limits));  // sizes are counted as sent
}

TEST(MultipartBoundary, FromContentType) {
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc").value(), "abc");
    EXPECT_EQ(multipart_boundary("Multipart/Form-Data;BOUNDARY=abc ; charset=utf-8").value(),
              "abc");
    // RFC 2046's example boundary, which needs quoting because of its spaces and colons.
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"simple boundary\"").value(),
              "simple boundary");
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"gc0pJq0M:08jU534c0p\"").value(),
              "gc0pJq0M:08jU534c0p");
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"a\\\"b\"").error().status, 400);
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"a\\bc\"").value(), "abc");
    EXPECT_EQ(
        multipart_boundary("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW")
            .value(),
        "----WebKitFormBoundary7MA4YWxkTrZu0gW");
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'b')).value(),
              std::string(70, 'b'));

    EXPECT_EQ(multipart_boundary("application/x-www-form-urlencoded").error().status, 415);
    EXPECT_EQ(multipart_boundary("multipart/mixed; boundary=x").error().status, 415);
    const char* bad[] = {
        "multipart/form-data",
        "multipart/form-data; charset=utf-8",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data; boundary=a; boundary=b",
        "multipart/form-data; boundary=\"ends with space \"",
        "multipart/form-data; boundary=\"unterminated",
        "multipart/form-data; boundary=a b",
        "multipart/form-data; boundary=\"semi;colon\"",
        "multipart/form-data; =x",
    };
    for (const char* value : bad) {
        const auto r = multipart_boundary(value);
        ASSERT_FALSE(r) << value;
        EXPECT_EQ(r.error().status, 400) << value;
    }
    EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'b')));
    EXPECT_FALSE(multipart_boundary("multipart/form-data boundary=x"));
}

// RFC 7578 section 4's shape, as browsers send it.
using namespace std::string_literals;

const std::string kBody =
    "preamble is ignored\r\n"
    "--AaB03x\r\n"
    "Content-Disposition: form-data; name=\"submit-name\"\r\n"
    "\r\n"
    "Larry\r\n"
    "--AaB03x\r\n"
    "content-disposition: form-data; name=\"files\"; filename=\"file1.txt\"\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "... contents of file1.txt ...\r\n"
    "--AaB03x-not-a-delimiter\r\n"
    "\r\n"
    "--AaB03x  \r\n"
    "Content-Disposition: form-data; name=\"bin\"; filename=\"a \\\"q\\\".bin\"\r\n"
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
    "\x00\x01\r\x02\n\r\n\r\n"
    "--AaB03x--\r\n"
    "epilogue is ignored too"s;

TEST(Multipart, ParsesParts) {
    const std::string body(kBody.data(), kBody.size());
    const auto parts = parse_multipart(body, "AaB03x");
    ASSERT_TRUE(parts) << parts.error().message;
    ASSERT_EQ(parts->size(), 3u);

    const FormPart& name = (*parts)[0];
    EXPECT_EQ(name.name, "submit-name");
    EXPECT_FALSE(name.filename);
    EXPECT_EQ(name.content_type, "text/plain");  // RFC 7578 4.4's default
    EXPECT_EQ(name.body, "Larry");

    const FormPart& file = (*parts)[1];
    EXPECT_EQ(file.name, "files");
    EXPECT_EQ(file.filename, "file1.txt");
    EXPECT_EQ(file.content_type, "text/plain");
    // A line that merely starts with the boundary is content.
    EXPECT_EQ(file.body, "... contents of file1.txt ...\r\n--AaB03x-not-a-delimiter\r\n");
    EXPECT_EQ(file.headers.size(), 2u);

    const FormPart& bin = (*parts)[2];
    EXPECT_EQ(bin.name, "bin");
    EXPECT_EQ(bin.filename, "a \"q\".bin");
    EXPECT_EQ(bin.content_type, "application/octet-stream");
    EXPECT_EQ(bin.body, std::string_view("\x00\x01\r\x02\n\r\n", 7));
    // The views point into the body.
    EXPECT_GE(bin.body.data(), body.data());
    EXPECT_LE(bin.body.data() + bin.body.size(), body.data() + body.size());
}

TEST(Multipart, EdgeShapes) {
    // No preamble; a part with an empty body; a closing delimiter at the very end.
    auto parts =
        parse_multipart("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n--b--", "b");
    ASSERT_TRUE(parts) << parts.error().message;
    ASSERT_EQ(parts->size(), 1u);
    EXPECT_EQ((*parts)[0].name, "a");
    EXPECT_EQ((*parts)[0].body, "");
    // Headers and no empty line at all before the delimiter: an empty body too.
    parts = parse_multipart("--b\r\nContent-Disposition: form-data; name=a\r\n\r\n--b--", "b");
    ASSERT_TRUE(parts) << parts.error().message;
    EXPECT_EQ((*parts)[0].body, "");
    // An empty form: just the closing delimiter.
    parts = parse_multipart("--b--\r\n", "b");
    ASSERT_TRUE(parts);
    EXPECT_TRUE(parts->empty());
    // filename may be empty (no file chosen); filename* is ignored (RFC 7578 4.2).
    parts = parse_multipart(
        "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"; "
        "filename*=UTF-8''x.txt\r\n\r\n\r\n--b--",
        "b");
    ASSERT_TRUE(parts) << parts.error().message;
    EXPECT_EQ((*parts)[0].filename, "");
}

TEST(Multipart, RejectsMalformedBodies) {
    const auto status = [](std::string_view body, MultipartLimits limits = {}) {
        const auto r = parse_multipart(body, "b", limits);
        EXPECT_FALSE(r) << body;
        return r ? 0 : r.error().status;
    };
    const std::string cd = "Content-Disposition: form-data; name=x\r\n";
    EXPECT_EQ(status(""), 400);
    EXPECT_EQ(status("no boundary here"), 400);
    EXPECT_EQ(status("--b\r\n" + cd + "\r\nvalue"), 400);             // truncated
    EXPECT_EQ(status("--b\r\n" + cd + "\r\nvalue\r\n--b\r\n"), 400);  // no closing
    EXPECT_EQ(status("--b\r\n" + cd + "\r\nvalue\r\n--bb--"), 400);   // not ours
    EXPECT_EQ(status("--b\r\n\r\nvalue\r\n--b--"), 400);              // no disposition
    EXPECT_EQ(status("--b\r\nContent-Disposition: attachment; name=x\r\n\r\nv\r\n--b--"), 400);
    EXPECT_EQ(status("--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--"), 400);
    EXPECT_EQ(status("--b\r\nContent-Disposition: form-data; name=x; name=y\r\n\r\nv\r\n--b--"),
              400);
    EXPECT_EQ(status("--b\r\n" + cd + cd + "\r\nv\r\n--b--"), 400);
    EXPECT_EQ(status("--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\nv\r\n--b--"), 400);
    EXPECT_EQ(status("--b\r\n" + cd + " folded: header\r\n\r\nv\r\n--b--"), 400);
    EXPECT_EQ(status("--b\r\n" + cd + "No colon\r\n\r\nv\r\n--b--"), 400);
    EXPECT_EQ(status("--b\r\n" + cd + "X: a\x01" + "b\r\n\r\nv\r\n--b--"), 400);
    EXPECT_EQ(status("--b\r\n" + cd + "Content-Type: a\r\nContent-Type: b\r\n\r\nv\r\n--b--"), 400);
    EXPECT_EQ(status("--b\r\n" + cd + "v\r\n--b--"), 400);  // no empty line after headers
    EXPECT_FALSE(parse_multipart("--b--", ""));
    EXPECT_FALSE(parse_multipart("--b--", "bad\x01"));
    EXPECT_FALSE(parse_multipart("--b--", std::string(71, 'b')));
}

TEST(Multipart, LimitsGive413) {
    const std::string part = "--b\r\nContent-Disposition: form-data; name=x\r\n\r\nv\r\n";
    MultipartLimits limits;
    limits.max_parts = 2;
    EXPECT_TRUE(parse_multipart(part + part + "--b--", "b", limits));
    const auto many = parse_multipart(part + part + part + "--b--", "b", limits);
    ASSERT_FALSE(many);
    EXPECT_EQ(many.error().status, 413);

    limits = {};
    limits.max_part_headers = 2;
    EXPECT_TRUE(parse_multipart(
        "--b\r\nContent-Disposition: form-data; name=x\r\nA: 1\r\n\r\nv\r\n--b--", "b", limits));
    EXPECT_EQ(parse_multipart(
                  "--b\r\nContent-Disposition: form-data; name=x\r\nA: 1\r\nB: 2\r\n\r\nv\r\n--b--",
                  "b", limits)
                  .error()
                  .status,
              413);

    limits = {};
    limits.max_part_header_bytes = 64;
    EXPECT_EQ(parse_multipart("--b\r\nContent-Disposition: form-data; name=x\r\nA: " +
                                  std::string(64, 'a') + "\r\n\r\nv\r\n--b--",
                              "b", limits)
                  .error()
                  .status,
              413);

    limits = {};
    limits.max_body_bytes = 10;
    EXPECT_EQ(parse_multipart(part + "--b--", "b", limits).error().status, 413);
}

}  // namespace
}  // namespace l7::http
