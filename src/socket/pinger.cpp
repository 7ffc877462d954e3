#include "socket/pinger.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace l7::socket {

double PingStatistics::loss_percent() const {
    if (transmitted == 0) {
        return 0;
    }
    return 100.0 * (transmitted - received) / transmitted;
}

std::chrono::nanoseconds PingStatistics::avg() const {
    return received == 0 ? std::chrono::nanoseconds(0) : sum / received;
}

std::chrono::nanoseconds PingStatistics::mdev() const {
    if (received == 0) {
        return std::chrono::nanoseconds(0);
    }
    const double mean_ms = static_cast<double>(sum.count()) / 1e6 / received;
    const double variance = sum_squares_ms / received - mean_ms * mean_ms;
    const double dev_ms = variance > 0 ? std::sqrt(variance) : 0.0;
    return std::chrono::nanoseconds(static_cast<std::int64_t>(dev_ms * 1e6));
}

std::optional<std::uint32_t> parse_probe_seq(std::string_view d) {
    if (d.size() < 6) {
        return std::nullopt;
    }
    // Any letter case: the uppercase server, or a peer's own spelling, may change it.
    constexpr std::string_view tag = "ping ";
    for (std::size_t i = 0; i < tag.size(); ++i) {
        const char c = d[i] >= 'A' && d[i] <= 'Z' ? static_cast<char>(d[i] - 'A' + 'a') : d[i];
        if (c != tag[i]) {
            return std::nullopt;
        }
    }
    d.remove_prefix(5);
    std::uint32_t seq = 0;
    auto [ptr, ec] = std::from_chars(d.data(), d.data() + d.size(), seq);
    if (ec != std::errc{} || ptr == d.data() || seq == 0) {
        return std::nullopt;
    }
    if (ptr != d.data() + d.size() && *ptr != ' ') {
        return std::nullopt;
    }
    return seq;
}

Pinger::Pinger(PingOptions options, TimePoint start) : options_(options), start_(start) {}

TimePoint Pinger::due(std::uint32_t seq) const {
    return start_ + options_.interval * static_cast<std::int64_t>(seq - 1);
}

bool Pinger::more_to_send() const {
    return !stopped_ && (options_.count == 0 || next_seq_ <= options_.count);
}

bool Pinger::done() const {
    return !more_to_send() && outstanding_.empty();
}

std::optional<std::string> Pinger::poll_transmit(TimePoint now) {
    if (!more_to_send() || now < due(next_seq_)) {
        return std::nullopt;
    }
    const std::uint32_t seq = next_seq_++;
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%.3f", static_cast<double>((now - start_).count()) / 1e6);
    std::string probe = "PING " + std::to_string(seq) + " " + stamp;
    if (probe.size() < options_.size) {
        probe += ' ';
        probe.resize(std::max(probe.size(), options_.size), 'x');
    }
    outstanding_[seq] = now;
    ++stats_.transmitted;
    // Remember old probes for duplicate and late detection, but not forever (count 0 runs
    // until stopped).
    constexpr std::uint32_t memory = 4096;
    if (seq > memory) {
        answered_.erase(answered_.begin(), answered_.lower_bound(seq - memory));
        expired_.erase(expired_.begin(), expired_.lower_bound(seq - memory));
    }
    trace_.record(trace::Direction::to_server, probe);
    return probe;
}

void Pinger::handle_datagram(TimePoint now, std::string_view datagram) {
    trace_.record(trace::Direction::to_client, datagram);
    const auto seq = parse_probe_seq(datagram);
    if (!seq) {
        events_.push_back(ping_event::Unrecognised{datagram.size()});
        return;
    }
    if (auto it = outstanding_.find(*seq); it != outstanding_.end()) {
        const auto rtt = now - it->second;
        outstanding_.erase(it);
        answered_[*seq] = true;
        if (stats_.received == 0 || rtt < stats_.min) {
            stats_.min = rtt;
        }
        if (rtt > stats_.max) {
            stats_.max = rtt;
        }
        ++stats_.received;
        stats_.sum += rtt;
        const double ms = static_cast<double>(rtt.count()) / 1e6;
        stats_.sum_squares_ms += ms * ms;
        events_.push_back(ping_event::Reply{*seq, rtt, datagram.size()});
        return;
    }
    if (answered_.count(*seq) != 0) {
        ++stats_.duplicates;
        events_.push_back(ping_event::Duplicate{*seq});
        return;
    }
    if (auto it = expired_.find(*seq); it != expired_.end()) {
        events_.push_back(ping_event::Late{*seq, now - it->second});
        return;
    }
    events_.push_back(ping_event::Unrecognised{datagram.size()});
}

std::optional<TimePoint> Pinger::poll_timeout() const {
    std::optional<TimePoint> next;
    if (more_to_send()) {
        next = due(next_seq_);
    }
    for (const auto& [seq, sent] : outstanding_) {
        const TimePoint expiry = sent + options_.timeout;
        if (!next || expiry < *next) {
            next = expiry;
        }
    }
    return next;
}

void Pinger::handle_timeout(TimePoint now) {
    for (auto it = outstanding_.begin(); it != outstanding_.end();) {
        if (now >= it->second + options_.timeout) {
            trace_.record(trace::Direction::note, "no reply to probe " + std::to_string(it->first));
            events_.push_back(ping_event::Timeout{it->first});
            expired_[it->first] = it->second;
            it = outstanding_.erase(it);
        } else {
            ++it;
        }
    }
}

std::optional<PingEvent> Pinger::poll_event() {
    if (events_.empty()) {
        return std::nullopt;
    }
    PingEvent e = std::move(events_.front());
    events_.pop_front();
    return e;
}

}  // namespace l7::socket
