#include "dns/resolver/ordering.hpp"

#include <algorithm>

namespace l7::dns {

std::vector<MxTarget> order_mx(std::vector<MxTarget> records,
                               const std::function<std::uint64_t()>& random) {
    // Shuffle first (Fisher-Yates), then a stable sort keeps the shuffle among equals.
    for (std::size_t i = records.size(); i > 1; --i) {
        std::swap(records[i - 1], records[random() % i]);
    }
    std::stable_sort(records.begin(), records.end(), [](const MxTarget& a, const MxTarget& b) {
        return a.preference < b.preference;
    });
    return records;
}

std::vector<SrvTarget> order_srv(std::vector<SrvTarget> records,
                                 const std::function<std::uint64_t()>& random) {
    if (records.size() == 1 && records.front().target.is_root()) {
        return {};  // the service is decidedly not available here
    }
    std::stable_sort(records.begin(), records.end(), [](const SrvTarget& a, const SrvTarget& b) {
        return a.priority < b.priority;
    });
    std::vector<SrvTarget> out;
    out.reserve(records.size());
    for (std::size_t begin = 0; begin < records.size();) {
        std::size_t end = begin;
        while (end < records.size() && records[end].priority == records[begin].priority) {
            ++end;
        }
        // RFC 2782: weight-0 records first, then pick by running sums until none is left.
        std::vector<SrvTarget> group(records.begin() + static_cast<std::ptrdiff_t>(begin),
                                     records.begin() + static_cast<std::ptrdiff_t>(end));
        std::stable_partition(group.begin(), group.end(),
                              [](const SrvTarget& s) { return s.weight == 0; });
        while (!group.empty()) {
            std::uint64_t total = 0;
            for (const SrvTarget& s : group) {
                total += s.weight;
            }
            const std::uint64_t pick = total == 0 ? 0 : random() % (total + 1);
            std::uint64_t running = 0;
            std::size_t chosen = group.size() - 1;
            for (std::size_t i = 0; i < group.size(); ++i) {
                running += group[i].weight;
                if (running >= pick) {
                    chosen = i;
                    break;
                }
            }
            out.push_back(group[chosen]);
            group.erase(group.begin() + static_cast<std::ptrdiff_t>(chosen));
        }
        begin = end;
    }
    return out;
}

std::vector<std::string> interleave_addresses(const std::vector<std::string>& ipv6,
                                              const std::vector<std::string>& ipv4) {
    std::vector<std::string> out;
    out.reserve(ipv6.size() + ipv4.size());
    for (std::size_t i = 0; i < std::max(ipv6.size(), ipv4.size()); ++i) {
        if (i < ipv6.size()) {
            out.push_back(ipv6[i]);
        }
        if (i < ipv4.size()) {
            out.push_back(ipv4[i]);
        }
    }
    return out;
}

}  // namespace l7::dns
