// l7::socket::Pinger: the cost of one probe's life in virtual time (send, reply, event), so
// a pinger at a short interval is never limited by its own bookkeeping.

#include <benchmark/benchmark.h>

#include "socket/pinger.hpp"

namespace {

void BM_Pinger_RoundTrip(benchmark::State& state) {
    using namespace std::chrono_literals;
    l7::socket::PingOptions options;
    options.count = 0;  // until stopped
    options.interval = 1ms;
    options.timeout = 1s;
    options.size = static_cast<std::size_t>(state.range(0));
    l7::TimePoint now{};
    l7::socket::Pinger pinger(options, now);
    for (auto _ : state) {
        auto probe = pinger.poll_transmit(now);
        pinger.handle_datagram(now + 200us, *probe);
        auto event = pinger.poll_event();
        benchmark::DoNotOptimize(event);
        now += options.interval;
    }
    state.SetItemsProcessed(state.iterations());
    benchmark::DoNotOptimize(pinger.statistics().received);
}

}  // namespace

BENCHMARK(BM_Pinger_RoundTrip)->Arg(0)->Arg(1000);
