#include "link/counters.hpp"

namespace l7::link {

std::string format_counters(const LinkCounters& c) {
    return std::to_string(c.bytes_in) + " bytes in " + std::to_string(c.packets_in) + " packets, " +
           std::to_string(c.bytes_out) + " bytes out in " + std::to_string(c.packets_out) +
           " packets, " + std::to_string(c.lost) + " lost, " + std::to_string(c.dropped) +
           " dropped, queue high-water " + std::to_string(c.queue_high_water) + " bytes";
}

}  // namespace l7::link
