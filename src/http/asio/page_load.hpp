#pragma once
// Loading a Web page the four ways the course compares (Kurose & Ross 2.2.2, `l7 http page`):
// fetch the base HTML, find the objects it references (html_refs.hpp), and fetch them
//
//   non-persistent  a new TCP connection per object, one after another
//   persistent      one connection per origin, kept open, one request at a time
//   pipelined       one connection per origin, every request written back to back, the
//                   responses read in order (origins in parallel)
//   parallel=N      up to N non-persistent connections at once
//
// timing every connection and object (page_report.hpp). The HTTP/1.1 codec runs directly on
// Asio sockets; every connect, read and write has a deadline. A server that closes a
// connection the mode would have kept (HTTP/1.0, Connection: close, an idle timeout) costs a
// new connection, which is counted, and the unanswered requests are sent again on it.

#include <chrono>
#include <cstdint>

#include "core/result.hpp"
#include "core/trace/tracer.hpp"
#include "http/asio/client.hpp"  // ClientError: curl's exit codes
#include "http/html_refs.hpp"
#include "http/page_report.hpp"
#include "http/url.hpp"

namespace l7::http {

struct PageLoadOptions {
    PageMode mode;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds timeout{30'000};    // each read and write
    HtmlRefLimits refs;                           // how many objects at most, ...
    std::uint64_t max_page_bytes = 16ULL << 20;   // the base HTML is kept to be parsed
    std::uint64_t max_object_bytes = 1ULL << 30;  // objects are counted, not kept
    trace::Tracer* tracer = nullptr;              // --trace: C:/S: lines of every head
};

// Loads `page` and its objects. Fails (with curl's exit code) only when the base page gets
// no response; an object without one is reported in its ObjectTiming.
Result<PageLoad, ClientError> load_page(const Url& page, const PageLoadOptions& options);

}  // namespace l7::http
