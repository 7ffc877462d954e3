// The client's HTTP/1.1 response parser on arbitrary bytes: the first byte picks how many
// requests were sent and which were HEAD; the parser must end (at EOF it never waits), keep
// bodies within their framing, and never deliver a body for a HEAD, 204 or 304 response.

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/response_parser.hpp"

using namespace l7::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const unsigned pick = data[0];
    ResponseParser p;
    const int requests = 1 + static_cast<int>(pick % 4);
    std::string methods;
    for (int i = 0; i < requests; ++i) {
        const bool head = (pick >> (2 + i)) & 1;
        p.expect(head ? "HEAD" : "GET");
        methods += head ? 'H' : 'G';
    }
    p.receive(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
    p.receive_eof();
    std::size_t answered = 0;
    bool no_body = false;
    for (int steps = 0;; ++steps) {
        L7_FUZZ_CHECK(steps < 100000);
        const Event e = p.next();
        L7_FUZZ_CHECK(e.kind != Event::Kind::need_more);  // at EOF it must end
        if (e.kind == Event::Kind::head) {
            const int status = p.response().status;
            L7_FUZZ_CHECK(status >= 100 && status <= 999 && answered < methods.size());
            no_body = methods[answered] == 'H' || status < 200 || status == 204 || status == 304;
            L7_FUZZ_CHECK(!no_body || p.body().framing == Framing::none);
            if (status >= 200) {
                ++answered;
            }
        } else if (e.kind == Event::Kind::data) {
            L7_FUZZ_CHECK(!no_body && !e.data.empty());
        } else if (e.kind == Event::Kind::error || e.kind == Event::Kind::closed) {
            break;
        }
    }
    return 0;
}
