// l7::LineFramer: lines per second for a stream of text lines fed in chunks as a socket
// delivers them. The main case is 80-byte lines (78 characters and CRLF) in 16 KiB reads;
// the others vary the line length and the read size.

#include <benchmark/benchmark.h>

#include <string>

#include "core/line_framer.hpp"

namespace {

// About 1 MiB of lines of `length` bytes each, CRLF included.
std::string make_stream(std::size_t length) {
    std::string line;
    for (std::size_t i = 0; line.size() + 2 < length; ++i) {
        line += static_cast<char>('a' + i % 26);
    }
    line += "\r\n";
    std::string stream;
    while (stream.size() < (1u << 20)) {
        stream += line;
    }
    return stream;
}

void BM_LineFramer(benchmark::State& state) {
    const auto length = static_cast<std::size_t>(state.range(0));
    const auto chunk = static_cast<std::size_t>(state.range(1));
    const std::string stream = make_stream(length);
    std::size_t lines = 0;
    for (auto _ : state) {
        l7::LineFramer framer(8192);
        std::size_t bytes = 0;
        for (std::size_t at = 0; at < stream.size(); at += chunk) {
            framer.append(std::string_view(stream).substr(at, chunk));
            while (true) {
                const auto next = framer.next_line();
                if (next.status != l7::LineFramer::Status::line) {
                    break;
                }
                bytes += next.line.size();
                ++lines;
            }
        }
        benchmark::DoNotOptimize(bytes);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(lines));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
    state.SetLabel(std::to_string(length) + "-byte lines, " + std::to_string(chunk) +
                   "-byte reads");
}

}  // namespace

BENCHMARK(BM_LineFramer)
    ->ArgNames({"line", "chunk"})
    ->Args({80, 16384})  // the reference case
    ->Args({80, 1460})   // one TCP segment per read
    ->Args({20, 16384})
    ->Args({1000, 16384})
    ->Args({80, 80});  // one line per read, as an interactive client sends
