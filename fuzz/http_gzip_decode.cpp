// Arbitrary bytes through the gzip decoder, whole and in pieces: it never crashes, never
// returns more than its bound, and both ways of feeding it agree.

#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "http/gzip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace l7::http;
    constexpr std::size_t kBound = 1 << 20;
    const std::string_view text = l7::fuzz::as_text(data, size);
    auto whole = gzip_decompress(text, kBound);
    if (whole) {
        L7_FUZZ_CHECK(whole->size() <= kBound);
        // What decodes also survives a round trip through the encoder.
        auto again = gzip_decompress(gzip_compress(*whole, 1), kBound);
        L7_FUZZ_CHECK(again && *again == *whole);
    }
    GzipDecoder decoder(kBound);
    std::string pieces;
    bool ok = true;
    for (std::size_t i = 0; i < text.size() && ok; i += 7) {
        auto out = decoder.decode(text.substr(i, 7));
        ok = static_cast<bool>(out);
        if (ok) {
            pieces += *out;
        }
    }
    ok = ok && !decoder.finish();
    L7_FUZZ_CHECK(decoder.total_out() <= kBound);
    L7_FUZZ_CHECK(ok == static_cast<bool>(whole));
    if (ok) {
        L7_FUZZ_CHECK(pieces == *whole);
    }
    return 0;
}
