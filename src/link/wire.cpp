#include "link/wire.hpp"

#include <algorithm>

namespace l7::link {

void Wire::advance(TimePoint now) {
    latest_ = std::max(latest_, now);
    while (!queue_.empty() && queue_.front().first <= latest_) {
        queued_ -= queue_.front().second;
        queue_.pop_front();
    }
}

std::size_t Wire::queued(TimePoint now) {
    std::lock_guard lock(mutex_);
    advance(now);
    return queued_;
}

std::size_t Wire::room(TimePoint now, std::size_t min_when_empty) {
    std::lock_guard lock(mutex_);
    advance(now);
    if (queued_ == 0) {
        return std::max(params_.queue_bytes, min_when_empty);
    }
    return queued_ < params_.queue_bytes ? params_.queue_bytes - queued_ : 0;
}

TimePoint Wire::transmit(TimePoint now, std::size_t bytes) {
    std::lock_guard lock(mutex_);
    advance(now);
    return transmit_locked(bytes);
}

std::optional<TimePoint> Wire::transmit_if_fits(TimePoint now, std::size_t bytes) {
    std::lock_guard lock(mutex_);
    advance(now);
    if (queued_ != 0 && queued_ + bytes > params_.queue_bytes) {
        return std::nullopt;
    }
    return transmit_locked(bytes);
}

TimePoint Wire::transmit_locked(std::size_t bytes) {
    if (params_.rate_bps == 0) {
        return latest_;
    }
    if (busy_until_ <= latest_) {
        // The wire was idle: this chunk starts now, and no remainder carries over.
        busy_until_ = latest_;
        carry_ = 0;
    }
    // bits * 1e9 / rate without overflow: whole seconds apart, then the remainder, whose
    // product with 1e9 stays below 2^64 because it is below rate <= 1e10.
    const std::uint64_t rate = params_.rate_bps;
    const std::uint64_t bits = static_cast<std::uint64_t>(bytes) * 8;
    const std::uint64_t scaled = (bits % rate) * 1'000'000'000 + carry_;
    const std::uint64_t ns = bits / rate * 1'000'000'000 + scaled / rate;
    carry_ = scaled % rate;
    busy_until_ += std::chrono::nanoseconds(static_cast<std::int64_t>(ns));
    if (bytes > 0) {
        queue_.emplace_back(busy_until_, bytes);
        queued_ += bytes;
        counters_.queue_high_water = std::max<std::uint64_t>(counters_.queue_high_water, queued_);
    }
    return busy_until_;
}

std::optional<TimePoint> Wire::next_departure() {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) {
        return std::nullopt;
    }
    return queue_.front().first;
}

void Wire::count_offered(std::size_t bytes, std::size_t packets) {
    std::lock_guard lock(mutex_);
    counters_.bytes_in += bytes;
    counters_.packets_in += packets;
}

void Wire::count_delivered(std::size_t bytes) {
    std::lock_guard lock(mutex_);
    counters_.bytes_out += bytes;
    counters_.packets_out += 1;
}

void Wire::count_lost() {
    std::lock_guard lock(mutex_);
    counters_.lost += 1;
}

void Wire::count_dropped() {
    std::lock_guard lock(mutex_);
    counters_.dropped += 1;
}

LinkCounters Wire::counters() {
    std::lock_guard lock(mutex_);
    return counters_;
}

}  // namespace l7::link
