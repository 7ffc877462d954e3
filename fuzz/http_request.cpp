// The server's HTTP/1.1 request parser on arbitrary bytes, fed in two pieces split where the
// first byte says (so every boundary gets tried): it ends, every error is one of the statuses
// the framing rules give, bodies stay within their limit, and every head it accepts, written
// back by the serializer, parses again to the same method, target and fields.

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/request_parser.hpp"
#include "http/serializer.hpp"

using namespace l7::http;

namespace {

void check_round_trip(const Request& request) {
    RequestParser again;
    again.receive(serialize(request));
    const Event e = again.next();
    L7_FUZZ_CHECK(e.kind == Event::Kind::head);
    L7_FUZZ_CHECK(again.request().method == request.method);
    L7_FUZZ_CHECK(again.request().target == request.target);
    L7_FUZZ_CHECK(again.request().fields.size() == request.fields.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::size_t split = data[0] % (all.size() + 1);
    RequestLimits limits;
    limits.body.max_body = 4096;
    RequestParser p(limits);
    p.receive(all.substr(0, split));
    bool second = false;
    bool eof = false;
    std::uint64_t body = 0;
    for (int steps = 0;; ++steps) {
        L7_FUZZ_CHECK(steps < 100000);
        const Event e = p.next();
        if (e.kind == Event::Kind::need_more) {
            if (!second) {
                p.receive(all.substr(split));
                second = true;
                continue;
            }
            if (!eof) {
                p.receive_eof();
                eof = true;
                continue;
            }
            L7_FUZZ_CHECK(false);  // at EOF the parser must end, not wait
        }
        if (e.kind == Event::Kind::head) {
            body = 0;
            check_round_trip(p.request());
        } else if (e.kind == Event::Kind::data) {
            body += e.data.size();
            L7_FUZZ_CHECK(!e.data.empty() && body <= limits.body.max_body);
        } else if (e.kind == Event::Kind::error) {
            const int s = e.status;
            L7_FUZZ_CHECK(s == 400 || s == 413 || s == 414 || s == 417 || s == 431 || s == 501 ||
                          s == 505);
            L7_FUZZ_CHECK(!e.why.empty());
            break;
        } else if (e.kind == Event::Kind::closed) {
            break;
        }
    }
    return 0;
}
