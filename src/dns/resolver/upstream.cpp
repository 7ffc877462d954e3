#include "dns/resolver/upstream.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace l7::dns {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

const UpstreamTable::Entry* UpstreamTable::find(const std::string& server, TimePoint now) const {
    const auto it = servers_.find(server);
    if (it == servers_.end() || now - it->second.last_news > limits_.forget_after) {
        return nullptr;
    }
    return &it->second;
}

milliseconds UpstreamTable::clamp(microseconds t) const {
    return std::clamp(duration_cast<milliseconds>(t), limits_.min_timeout, limits_.max_timeout);
}

UpstreamTable::Entry& UpstreamTable::entry_for(const std::string& server, TimePoint now,
                                               bool& fresh) {
    if (servers_.size() >= limits_.max_servers && servers_.find(server) == servers_.end()) {
        std::erase_if(servers_, [&](const auto& kv) {
            return now - kv.second.last_news > limits_.forget_after;
        });
        if (servers_.size() >= limits_.max_servers) {
            servers_.erase(servers_.begin());  // all recent: drop any one
        }
    }
    auto [it, inserted] = servers_.try_emplace(server);
    fresh = inserted;
    return it->second;
}

std::size_t UpstreamTable::choose(std::span<const std::string> servers, TimePoint now,
                                  double random) const {
    const std::lock_guard lock(mutex_);
    std::size_t best = 0;
    double best_cost = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < servers.size(); ++i) {
        const Entry* e = find(servers[i], now);
        double cost;
        if (e == nullptr) {
            // Unknown: a small cost, spread by `random` so unknown servers take turns.
            cost = 1000.0 * (1.0 + std::fmod(random + static_cast<double>(i) * 0.618, 1.0));
        } else {
            cost = static_cast<double>(e->srtt.count());
            if (e->timeouts_in_a_row > 0) {
                cost +=
                    1e9 * e->timeouts_in_a_row;  // failing servers go last, in order of failures
            }
        }
        if (cost < best_cost) {
            best_cost = cost;
            best = i;
        }
    }
    return best;
}

milliseconds UpstreamTable::timeout(const std::string& server, TimePoint now) const {
    const std::lock_guard lock(mutex_);
    return timeout_locked(server, now);
}

milliseconds UpstreamTable::timeout_locked(const std::string& server, TimePoint now) const {
    const Entry* e = find(server, now);
    if (e == nullptr) {
        return limits_.initial_timeout;
    }
    if (e->backoff.count() > 0) {
        return e->backoff;
    }
    return clamp(e->srtt + 4 * e->rttvar);  // RFC 6298 section 2.3
}

void UpstreamTable::record_reply(const std::string& server, microseconds rtt, TimePoint now) {
    const std::lock_guard lock(mutex_);
    bool fresh = false;
    Entry& e = entry_for(server, now, fresh);
    if (fresh || now - e.last_news > limits_.forget_after || e.srtt.count() == 0) {
        e.srtt = rtt;  // RFC 6298 section 2.2: the first measurement
        e.rttvar = rtt / 2;
    } else {
        const microseconds delta = rtt > e.srtt ? rtt - e.srtt : e.srtt - rtt;
        e.rttvar = (3 * e.rttvar + delta) / 4;
        e.srtt = (7 * e.srtt + rtt) / 8;
    }
    e.backoff = milliseconds(0);
    e.timeouts_in_a_row = 0;
    e.last_news = now;
}

void UpstreamTable::record_timeout(const std::string& server, TimePoint now) {
    const std::lock_guard lock(mutex_);
    const milliseconds current = timeout_locked(server, now);
    bool fresh = false;
    Entry& e = entry_for(server, now, fresh);
    if (fresh) {
        e.srtt = duration_cast<microseconds>(limits_.initial_timeout);
    }
    // RFC 6298 section 5.5: back off the timer.
    e.backoff = std::min(current * 2, limits_.max_timeout);
    ++e.timeouts_in_a_row;
    e.last_news = now;
}

UpstreamTable::Stats UpstreamTable::stats(const std::string& server, TimePoint now) const {
    const std::lock_guard lock(mutex_);
    Stats s;
    const Entry* e = find(server, now);
    s.timeout = timeout_locked(server, now);
    if (e != nullptr) {
        s.known = true;
        s.srtt = e->srtt;
        s.rttvar = e->rttvar;
        s.timeouts_in_a_row = e->timeouts_in_a_row;
    }
    return s;
}

}  // namespace l7::dns
