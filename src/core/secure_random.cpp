#include "core/secure_random.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace l7 {

std::uint64_t secure_random64() {
    thread_local std::array<std::uint64_t, 64> pool;
    thread_local std::size_t left = 0;
    if (left == 0) {
        auto* bytes = reinterpret_cast<unsigned char*>(pool.data());
        std::size_t filled = 0;
        while (filled < sizeof pool) {
            const ssize_t n = ::getrandom(bytes + filled, sizeof pool - filled, 0);
            if (n < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw std::runtime_error(std::string("getrandom failed: ") + std::strerror(errno));
            }
            filled += static_cast<std::size_t>(n);
        }
        left = pool.size();
    }
    return pool[--left];
}

}  // namespace l7
