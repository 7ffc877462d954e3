#include "p2p/rate.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "p2p/types.hpp"

namespace l7::p2p {
namespace {

constexpr std::uint64_t kNanosPerSecond = 1'000'000'000;

std::int64_t nanos_between(TimePoint from, TimePoint to) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count();
}

}  // namespace

// ---- RateMeter ------------------------------------------------------------------------

RateMeter::RateMeter(Duration window, std::size_t slots)
    : slot_width_(window / static_cast<std::int64_t>(std::max<std::size_t>(slots, 1))),
      counts_(std::max<std::size_t>(slots, 1), 0) {
    if (slot_width_ <= Duration::zero()) {
        slot_width_ = std::chrono::milliseconds(1);
    }
}

std::int64_t RateMeter::slot_of(TimePoint t) const {
    const auto ns = std::chrono::duration_cast<Duration>(t.time_since_epoch()).count();
    const auto w = slot_width_.count();
    std::int64_t s = ns / w;
    if (ns < 0 && ns % w != 0) {
        --s;  // floor, not truncation, for times before the clock's epoch
    }
    return s;
}

void RateMeter::start(TimePoint now) {
    start_ = now;
    head_ = slot_of(now);
    std::fill(counts_.begin(), counts_.end(), 0);
}

void RateMeter::add(std::uint64_t bytes, TimePoint now) {
    if (!start_) {
        start(now);
    }
    const auto n = static_cast<std::int64_t>(counts_.size());
    const std::int64_t s = std::max(slot_of(now), head_);
    if (s - head_ >= n) {
        std::fill(counts_.begin(), counts_.end(), 0);
    } else {
        for (std::int64_t k = head_ + 1; k <= s; ++k) {
            counts_[static_cast<std::size_t>(((k % n) + n) % n)] = 0;
        }
    }
    head_ = s;
    counts_[static_cast<std::size_t>(((s % n) + n) % n)] += bytes;
    total_ += bytes;
}

double RateMeter::rate(TimePoint now) const {
    if (!start_) {
        return 0.0;
    }
    const auto n = static_cast<std::int64_t>(counts_.size());
    const std::int64_t s_now = std::max(slot_of(now), head_);
    const std::int64_t first = s_now - n + 1;  // the oldest slot inside the window
    std::uint64_t sum = 0;
    for (std::int64_t k = std::max(first, head_ - n + 1); k <= head_; ++k) {
        sum += counts_[static_cast<std::size_t>(((k % n) + n) % n)];
    }
    // Divide by the time the counted slots cover: from the oldest slot's start (or the
    // meter's start, if later) to now; at least one slot, so a fresh meter is not infinite.
    const TimePoint window_begin = std::max(
        *start_, TimePoint(std::chrono::duration_cast<Clock::duration>(first * slot_width_)));
    Duration span = std::chrono::duration_cast<Duration>(now - window_begin);
    span = std::max(span, slot_width_);
    return static_cast<double>(sum) / std::chrono::duration<double>(span).count();
}

// ---- TokenBucket ----------------------------------------------------------------------

TokenBucket::TokenBucket(std::uint64_t rate, std::uint64_t burst) {
    set_rate(rate, burst, TimePoint{});
    last_.reset();  // full until first used
    level_ = {burst_, 0};
}

void TokenBucket::set_rate(std::uint64_t rate, std::uint64_t burst, TimePoint now) {
    if (last_) {
        level_ = level_at(now);
        last_ = std::max(now, *last_);
    }
    rate_ = std::min(rate, kMaxRate);
    burst_ = burst == 0 ? std::max<std::uint64_t>(rate_, kBlockSize) : std::min(burst, kMaxRate);
    if (level_.tokens >= burst_) {
        level_ = {burst_, 0};
    }
}

TokenBucket::Level TokenBucket::level_at(TimePoint now) const {
    if (!last_ || rate_ == 0) {
        return {burst_, 0};
    }
    const std::int64_t dt = nanos_between(*last_, now);
    if (dt <= 0 || level_.tokens >= burst_) {
        return level_;
    }
    const auto elapsed = static_cast<std::uint64_t>(dt);
    const std::uint64_t secs = elapsed / kNanosPerSecond;
    const std::uint64_t rem = elapsed % kNanosPerSecond;
    const std::uint64_t need = burst_ - level_.tokens;
    if (secs > need / rate_) {
        return {burst_, 0};  // rate * secs > need: full (and no overflow below)
    }
    // rate <= 8e9 and rem < 1e9, so rate * rem < 8e18 fits in 64 bits.
    const std::uint64_t frac = level_.nanos + rate_ * rem;
    Level out{level_.tokens + rate_ * secs + frac / kNanosPerSecond, frac % kNanosPerSecond};
    if (out.tokens >= burst_) {
        return {burst_, 0};
    }
    return out;
}

std::uint64_t TokenBucket::available(TimePoint now) const {
    if (rate_ == 0) {
        return std::numeric_limits<std::uint64_t>::max();
    }
    return level_at(now).tokens;
}

bool TokenBucket::try_take(std::uint64_t n, TimePoint now) {
    if (rate_ == 0) {
        return true;
    }
    level_ = level_at(now);
    if (!last_ || now > *last_) {
        last_ = now;
    }
    if (level_.tokens < n) {
        return false;
    }
    level_.tokens -= n;
    return true;
}

std::optional<Duration> TokenBucket::time_until(std::uint64_t n, TimePoint now) const {
    if (rate_ == 0) {
        return Duration::zero();
    }
    if (n > burst_) {
        return std::nullopt;
    }
    const Level level = level_at(now);
    if (level.tokens >= n) {
        return Duration::zero();
    }
    // (n - tokens) <= burst <= 8e9, so the product fits in 64 bits.
    const std::uint64_t need = (n - level.tokens) * kNanosPerSecond - level.nanos;
    const std::uint64_t ns = (need + rate_ - 1) / rate_;
    Duration wait{static_cast<Duration::rep>(ns)};
    // A time before the last update counts as that update's time (see level_at).
    if (last_ && now < *last_) {
        wait += std::chrono::duration_cast<Duration>(*last_ - now);
    }
    return wait;
}

bool try_take_both(TokenBucket& a, TokenBucket& b, std::uint64_t n, TimePoint now) {
    if (a.available(now) < n || b.available(now) < n) {
        return false;
    }
    const bool took_a = a.try_take(n, now);
    const bool took_b = b.try_take(n, now);
    return took_a && took_b;
}

std::optional<Duration> time_until_both(const TokenBucket& a, const TokenBucket& b, std::uint64_t n,
                                        TimePoint now) {
    const auto wa = a.time_until(n, now);
    const auto wb = b.time_until(n, now);
    if (!wa || !wb) {
        return std::nullopt;
    }
    return std::max(*wa, *wb);
}

std::string format_rate(double bytes_per_second) {
    char buf[48];
    const double r = std::max(bytes_per_second, 0.0);
    // Thresholds just below each power so that rounding never prints "1000.0 kB/s".
    if (r < 999.5) {
        std::snprintf(buf, sizeof buf, "%.0f B/s", r);
    } else if (r < 999'950) {
        std::snprintf(buf, sizeof buf, "%.1f kB/s", r / 1e3);
    } else if (r < 999'950'000) {
        std::snprintf(buf, sizeof buf, "%.1f MB/s", r / 1e6);
    } else {
        std::snprintf(buf, sizeof buf, "%.1f GB/s", r / 1e9);
    }
    return buf;
}

}  // namespace l7::p2p
