#pragma once
// What one direction of the emulated link did, for the log at exit and every
// --stats-interval: the numbers an experiment reports (offered vs delivered, losses, drops,
// how deep the queue got).

#include <cstdint>
#include <string>

namespace l7::link {

struct LinkCounters {
    std::uint64_t bytes_in = 0;          // offered to the link, including what was lost or dropped
    std::uint64_t packets_in = 0;        // datagrams, or TCP segments (see LinkModel)
    std::uint64_t bytes_out = 0;         // delivered at the far end
    std::uint64_t packets_out = 0;       // datagrams or segments delivered
    std::uint64_t lost = 0;              // datagrams dropped by the loss probability
    std::uint64_t dropped = 0;           // datagrams dropped because the queue was full (drop-tail)
    std::uint64_t queue_high_water = 0;  // most bytes ever waiting for transmission at once
};

// One line: "1200 bytes in 10 packets, 1080 bytes out in 9 packets, 1 lost, 0 dropped,
// queue high-water 2400 bytes".
std::string format_counters(const LinkCounters& c);

}  // namespace l7::link
