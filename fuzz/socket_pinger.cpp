// l7::socket::Pinger driven in virtual time by a well-behaved driver, with the datagrams the
// input chooses: echoes of probes it sent (in any letter case, repeated, late) and arbitrary
// bytes. Every probe must end as exactly one Reply or one Timeout, and the statistics must
// agree with the events. Also parse_probe_seq on the whole input.
//
// Input: 4 bytes of options (count 0-7, interval 1-16 ms, timeout 1-32 ms, size 0-127), then
// operations: a byte whose bits 2-7 advance the clock (0-63 ms) and bits 0-1 choose
//   0: nothing more   1: echo probe number <next byte> (bit 7 of it: in lower case)
//   2: a datagram of <next byte> bytes taken from the input   3: stop()

#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "socket/pinger.hpp"

namespace {

using namespace std::chrono_literals;
using l7::socket::Pinger;
namespace ev = l7::socket::ping_event;

std::string lower(std::string s) {
    for (char& c : s) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c + 32);
        }
    }
    return s;
}

struct Harness {
    l7::socket::PingOptions options;
    Pinger pinger;
    l7::TimePoint now;
    std::vector<std::string> sent;
    std::uint32_t replies = 0, timeouts = 0, duplicates = 0;
    std::vector<int> outcome;  // per probe: replies + timeouts seen

    Harness(l7::socket::PingOptions o, l7::TimePoint start)
        : options(o), pinger(o, start), now(start) {}

    void drain_events() {
        while (auto e = pinger.poll_event()) {
            if (const auto* r = std::get_if<ev::Reply>(&*e)) {
                L7_FUZZ_CHECK(r->seq >= 1 && r->seq <= sent.size());
                L7_FUZZ_CHECK(r->rtt >= 0ns && r->rtt < options.timeout);
                ++replies;
                ++outcome[r->seq - 1];
            } else if (const auto* t = std::get_if<ev::Timeout>(&*e)) {
                L7_FUZZ_CHECK(t->seq >= 1 && t->seq <= sent.size());
                ++timeouts;
                ++outcome[t->seq - 1];
            } else if (const auto* l = std::get_if<ev::Late>(&*e)) {
                L7_FUZZ_CHECK(l->seq >= 1 && l->seq <= sent.size());
                L7_FUZZ_CHECK(l->rtt >= options.timeout);
            } else if (const auto* d = std::get_if<ev::Duplicate>(&*e)) {
                L7_FUZZ_CHECK(d->seq >= 1 && d->seq <= sent.size());
                ++duplicates;
            }
        }
        (void)pinger.trace().take();
    }

    // What a driver does: wake at each poll_timeout up to `until`, handle timeouts, send.
    void advance(l7::TimePoint until) {
        for (int guard = 0; guard < 10'000; ++guard) {
            const auto next = pinger.poll_timeout();
            if (!next || *next > until) {
                break;
            }
            now = std::max(now, *next);
            pinger.handle_timeout(now);
            while (auto probe = pinger.poll_transmit(now)) {
                sent.push_back(*probe);
                outcome.push_back(0);
                L7_FUZZ_CHECK(probe->size() >= options.size);
                L7_FUZZ_CHECK(l7::socket::parse_probe_seq(*probe) == sent.size());
            }
            drain_events();
        }
        now = std::max(now, until);
    }

    void datagram(std::string_view d) {
        pinger.handle_datagram(now, d);
        drain_events();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);
    if (const auto seq = l7::socket::parse_probe_seq(text)) {
        L7_FUZZ_CHECK(*seq > 0);
        L7_FUZZ_CHECK(l7::socket::parse_probe_seq("PING " + std::to_string(*seq)) == seq);
        L7_FUZZ_CHECK(l7::socket::parse_probe_seq(lower("PING " + std::to_string(*seq) + " x")) ==
                      seq);
    }
    if (size < 4) {
        return 0;
    }
    l7::socket::PingOptions o;
    o.count = data[0] % 8;
    o.interval = std::chrono::milliseconds(1 + data[1] % 16);
    o.timeout = std::chrono::milliseconds(1 + data[2] % 32);
    o.size = data[3] % 128;
    const l7::TimePoint start = l7::TimePoint{} + 1h;
    Harness h(o, start);
    h.pinger.trace().enable((data[0] & 0x80u) != 0);

    std::size_t i = 4;
    h.advance(start);
    while (i < size) {
        if (h.sent.size() >= 512) {
            h.pinger.stop();  // count 0 runs until stopped: keep each input fast
        }
        const std::uint8_t op = data[i++];
        h.advance(h.now + std::chrono::milliseconds(op >> 2));
        switch (op & 3u) {
            case 1:
                if (i < size && !h.sent.empty()) {
                    const std::uint8_t which = data[i++];
                    const std::string& probe = h.sent[which % h.sent.size()];
                    h.datagram((which & 0x80u) != 0 ? lower(probe) : probe);
                }
                break;
            case 2:
                if (i < size) {
                    const std::size_t want = data[i++];
                    const std::size_t n = std::min(want, size - i);
                    h.datagram(text.substr(i, n));
                    i += n;
                }
                break;
            case 3:
                h.pinger.stop();
                break;
            default:
                break;
        }
    }

    // Finish: no more probes, and every outstanding one ends by reply or timeout.
    h.pinger.stop();
    h.advance(h.now + o.timeout + 1ms);
    L7_FUZZ_CHECK(h.pinger.done());
    L7_FUZZ_CHECK(!h.pinger.poll_timeout().has_value());
    L7_FUZZ_CHECK(!h.pinger.poll_transmit(h.now + 1h).has_value());

    const auto& stats = h.pinger.statistics();
    L7_FUZZ_CHECK(stats.transmitted == h.sent.size());
    L7_FUZZ_CHECK(o.count == 0 || stats.transmitted <= o.count);
    L7_FUZZ_CHECK(stats.received == h.replies);
    L7_FUZZ_CHECK(stats.duplicates == h.duplicates);
    L7_FUZZ_CHECK(h.replies + h.timeouts == stats.transmitted);
    for (int n : h.outcome) {
        L7_FUZZ_CHECK(n == 1);
    }
    L7_FUZZ_CHECK(stats.loss_percent() >= 0.0 && stats.loss_percent() <= 100.0);
    L7_FUZZ_CHECK(stats.mdev() >= 0ns);
    if (stats.received > 0) {
        L7_FUZZ_CHECK(stats.min <= stats.avg() && stats.avg() <= stats.max);
        L7_FUZZ_CHECK(stats.mdev() <= stats.max - stats.min + 1us);  // float rounding
    }
    return 0;
}
