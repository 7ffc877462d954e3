// l7::http form parsing on arbitrary bodies. Invariants: parse_urlencoded keeps to its
// limits, and its fields, encoded again, parse back to the same fields; those fields written
// as a multipart/form-data body parse back to the same names and values; on arbitrary input,
// multipart_boundary gives a valid boundary or a 400/415, and parse_multipart gives parts that
// lie inside the body, or a 400/413.
//
// Input: the first line (up to CRLF or LF) is a Content-Type value for multipart_boundary, and
// the whole input is also the body for both parsers, the first line being the preamble.

#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "http/form.hpp"
#include "http/target_path.hpp"

namespace {

using namespace l7::http;

bool in_body(std::string_view body, std::string_view part) {
    return part.empty() ||
           (part.data() >= body.data() && part.data() + part.size() <= body.data() + body.size());
}

// The fields as a browser would send them in a multipart body, when they can be written so:
// names quoted with quoted-pairs for '"' and '\', no controls in them, and no value that holds
// the boundary.
void check_multipart_round_trip(const std::vector<FormField>& fields) {
    const std::string boundary = "l7fuzzBoundary";
    std::string body;
    for (const FormField& f : fields) {
        for (char c : f.name) {
            const auto b = static_cast<unsigned char>(c);
            if ((b < 0x20 && c != '\t') || b == 0x7F) {
                return;
            }
        }
        if (f.value.find(boundary) != std::string::npos) {
            return;
        }
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"";
        for (char c : f.name) {
            if (c == '"' || c == '\\') {
                body += '\\';
            }
            body += c;
        }
        body += "\"\r\n\r\n" + f.value + "\r\n";
    }
    body += "--" + boundary + "--\r\n";
    MultipartLimits limits;
    limits.max_parts = 1000;
    const auto parts = parse_multipart(body, boundary, limits);
    L7_FUZZ_CHECK(parts.ok());
    L7_FUZZ_CHECK(parts->size() == fields.size());
    for (std::size_t i = 0; i < fields.size(); ++i) {
        L7_FUZZ_CHECK((*parts)[i].name == fields[i].name);
        L7_FUZZ_CHECK((*parts)[i].body == fields[i].value);
    }
}

void check_urlencoded(std::string_view text) {
    UrlencodedLimits limits;
    limits.max_pairs = 50;
    const auto fields = parse_urlencoded(text, limits);
    if (!fields) {
        L7_FUZZ_CHECK(fields.error().status == 413);
        return;
    }
    L7_FUZZ_CHECK(fields->size() <= limits.max_pairs);
    std::string again;
    for (const FormField& f : *fields) {
        L7_FUZZ_CHECK(f.name.size() <= limits.max_name_bytes);
        L7_FUZZ_CHECK(f.value.size() <= limits.max_value_bytes);
        again += percent_encode(f.name) + "=" + percent_encode(f.value) + "&";
    }
    UrlencodedLimits roomy;
    roomy.max_body_bytes = again.size();
    roomy.max_name_bytes = 3 * limits.max_name_bytes;
    roomy.max_value_bytes = 3 * limits.max_value_bytes;
    const auto reparsed = parse_urlencoded(again, roomy);
    L7_FUZZ_CHECK(reparsed.ok() && *reparsed == *fields);
    check_multipart_round_trip(*fields);
}

void check_multipart(std::string_view text) {
    std::string_view first_line = text.substr(0, text.find('\n'));
    if (first_line.ends_with('\r')) {
        first_line.remove_suffix(1);
    }
    const auto boundary = multipart_boundary(first_line);
    if (!boundary) {
        L7_FUZZ_CHECK(boundary.error().status == 400 || boundary.error().status == 415);
    } else {
        L7_FUZZ_CHECK(!boundary->empty() && boundary->size() <= 70 && boundary->back() != ' ');
    }
    // Try the parsed boundary and a fixed one on the whole input.
    for (std::string_view b :
         {boundary ? std::string_view(*boundary) : "x", std::string_view("b")}) {
        MultipartLimits limits;
        limits.max_parts = 8;
        const auto parts = parse_multipart(text, b, limits);
        if (!parts) {
            L7_FUZZ_CHECK(parts.error().status == 400 || parts.error().status == 413);
            L7_FUZZ_CHECK(!parts.error().message.empty());
            continue;
        }
        L7_FUZZ_CHECK(parts->size() <= limits.max_parts);
        for (const FormPart& p : *parts) {
            L7_FUZZ_CHECK(in_body(text, p.body));
            L7_FUZZ_CHECK(!p.content_type.empty());
            L7_FUZZ_CHECK(p.headers.count("Content-Disposition") == 1);
            L7_FUZZ_CHECK(p.headers.size() <= limits.max_part_headers);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);
    check_urlencoded(text);
    check_multipart(text);
    return 0;
}
