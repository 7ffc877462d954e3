#pragma once
// The objects an HTML page references, as a browser would fetch them after the base page
// (the course's "a Web page consists of a base HTML file and several referenced objects").
// Sans-I/O: bytes of HTML in, absolute URLs in document order out.
//
// The tokenizer is a small, forgiving subset of the HTML Standard's (section 13.2.5): tags
// with quoted and unquoted attributes, names in any case, comments, and the raw text of
// script, style, textarea and title, which may hold '<' that is not a tag. It never fails:
// malformed markup yields whatever references can still be read, as browsers do.
//
// Fetched, as browsers do without scripting:
//   img src (or the first URL of srcset when there is no src), script src,
//   link href with rel stylesheet, icon or preload, video src and poster, audio src,
//   source src, iframe src, embed src, object data.
// The first <base href> sets the URL every reference is resolved against (HTML 4.2.3).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "http/url.hpp"

namespace l7::http {

struct HtmlRef {
    Url url;                  // absolute, without fragment; target ready for a request line
    std::string element;      // "img", "script", "link", ...
    std::string attribute;    // "src", "href", "poster", "data", "srcset"
    bool same_origin = true;  // scheme, host and port equal to the page's (RFC 6454)
};

struct HtmlRefLimits {
    std::size_t max_refs = 1000;            // more are dropped, and `truncated` says so
    std::size_t max_url_length = 8192;      // a longer reference is skipped
    std::size_t max_html_bytes = 16 << 20;  // the rest of a larger page is not read
};

struct HtmlRefs {
    Url base;                   // the page's URL, or its <base href>
    std::vector<HtmlRef> refs;  // document order, each URL once
    std::size_t skipped = 0;    // references that are not http(s) URLs (data:, mailto:, bad)
    bool truncated = false;     // max_refs or max_html_bytes was reached
};

// The references of `html`, a page fetched from `page`.
HtmlRefs extract_html_refs(std::string_view html, const Url& page,
                           const HtmlRefLimits& limits = {});

// Whether two URLs have the same origin: scheme, host (case-insensitively) and port.
bool same_origin(const Url& a, const Url& b);

}  // namespace l7::http
