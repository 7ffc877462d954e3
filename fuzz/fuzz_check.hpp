#pragma once
// Shared by the fuzz targets: an invariant check that aborts (libFuzzer and the replay main
// both report an abort as a failure, with the input), and the input as text.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define L7_FUZZ_CHECK(cond) \
    ((cond) ? static_cast<void>(0) : ::l7::fuzz::check_failed(#cond, __FILE__, __LINE__))

namespace l7::fuzz {

[[noreturn]] inline void check_failed(const char* what, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", file, line, what);
    std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return size == 0 ? std::string_view()
                     : std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace l7::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
