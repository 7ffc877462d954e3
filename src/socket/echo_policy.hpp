#pragma once
// What the UDP server does with one datagram: reply in upper case (the course's UDPServer) or
// echo it unchanged (the pinger's server), dropping a fraction of datagrams and delaying the
// rest to simulate a lossy, slow path. Randomness comes in as an argument, so tests are exact.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace l7::socket {

struct EchoPolicy {
    bool uppercase = true;  // false: echo the bytes unchanged
    double loss = 0.0;      // probability in [0, 1] that a datagram gets no reply
    std::chrono::nanoseconds delay{0};

    struct Reply {
        std::string payload;
        std::chrono::nanoseconds delay;
    };
    // `uniform` is a random number in [0, 1). No reply when uniform < loss.
    std::optional<Reply> decide(std::string_view datagram, double uniform) const;
};

}  // namespace l7::socket
