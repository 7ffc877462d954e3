// Accept-Encoding values from arbitrary text: accepts_gzip() never crashes, and listing gzip
// with q=0 after anything always refuses it.

#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "http/content_coding.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(l7::fuzz::as_text(data, size));
    (void)l7::http::accepts_gzip(text);
    if (text.find("gzip") == std::string::npos && text.find("GZIP") == std::string::npos) {
        L7_FUZZ_CHECK(!l7::http::accepts_gzip(text + ", gzip;q=0"));
    }
    return 0;
}
