#include "socket/echo_policy.hpp"

#include "socket/uppercase.hpp"

namespace l7::socket {

std::optional<EchoPolicy::Reply> EchoPolicy::decide(std::string_view datagram,
                                                    double uniform) const {
    if (uniform < loss) {
        return std::nullopt;
    }
    return Reply{uppercase ? to_upper_ascii(datagram) : std::string(datagram), delay};
}

}  // namespace l7::socket
