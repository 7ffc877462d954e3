#include "mail/imap/types.hpp"

#include <algorithm>

namespace l7::mail::imap {

bool SequenceSet::contains(std::uint32_t n, std::uint32_t largest) const {
    auto resolve = [largest](std::uint32_t v) { return v == kStar ? largest : v; };
    for (const auto& r : ranges) {
        auto a = resolve(r.first);
        auto b = resolve(r.last);
        // "*" in an empty mailbox stands for nothing at all.
        if (a == 0 || b == 0) {
            if (a == 0 && b == 0)
                continue;
            a = b = std::max(a, b);
        }
        if (a > b)
            std::swap(a, b);
        if (n >= a && n <= b)
            return true;
    }
    return false;
}

}  // namespace l7::mail::imap
