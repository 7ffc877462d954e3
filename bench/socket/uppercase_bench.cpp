// The uppercase server's hot paths: UppercaseSession on a stream of lines (TCP), one line per
// receive (a request-reply client), EchoPolicy on one datagram (UDP), and to_upper_ascii.

#include <benchmark/benchmark.h>

#include <string>

#include "socket/echo_policy.hpp"
#include "socket/uppercase.hpp"

namespace {

std::string make_line(std::size_t length) {
    std::string line;
    for (std::size_t i = 0; line.size() + 1 < length; ++i) {
        line += (i % 7 == 6) ? ' ' : static_cast<char>('a' + i % 26);
    }
    return line + "\n";
}

// A client streaming 80-byte lines, read by the server in 16 KiB chunks.
void BM_UppercaseSession_Stream(benchmark::State& state) {
    const std::string line = make_line(80);
    std::string chunk;
    while (chunk.size() + line.size() <= 16384) {
        chunk += line;
    }
    const std::size_t lines_per_chunk = chunk.size() / line.size();
    l7::socket::UppercaseSession session;
    for (auto _ : state) {
        session.receive(chunk);
        benchmark::DoNotOptimize(session.pending_output().data());
        session.consume_output(session.pending_output().size());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * lines_per_chunk));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * chunk.size()));
    state.SetLabel("80-byte lines, 16 KiB reads");
}

// One line per receive() and its reply taken at once: the request-reply pattern.
void BM_UppercaseSession_OneLine(benchmark::State& state) {
    const std::string line = make_line(static_cast<std::size_t>(state.range(0)));
    l7::socket::UppercaseSession session;
    for (auto _ : state) {
        session.receive(line);
        benchmark::DoNotOptimize(session.pending_output().data());
        session.consume_output(session.pending_output().size());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * line.size()));
}

// The UDP server's work per datagram besides the socket calls.
void BM_EchoPolicy_Decide(benchmark::State& state) {
    l7::socket::EchoPolicy policy;
    policy.uppercase = state.range(1) != 0;
    const std::string datagram = make_line(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        auto reply = policy.decide(datagram, 0.5);
        benchmark::DoNotOptimize(reply);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(policy.uppercase ? "uppercase" : "echo");
}

void BM_ToUpperAscii(benchmark::State& state) {
    const std::string text = make_line(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        auto out = l7::socket::to_upper_ascii(text);
        benchmark::DoNotOptimize(out);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

}  // namespace

BENCHMARK(BM_UppercaseSession_Stream);
BENCHMARK(BM_UppercaseSession_OneLine)->Arg(80)->Arg(1000);
BENCHMARK(BM_EchoPolicy_Decide)->ArgNames({"bytes", "upper"})->Args({64, 0})->Args({64, 1});
BENCHMARK(BM_ToUpperAscii)->Arg(80)->Arg(1400);
