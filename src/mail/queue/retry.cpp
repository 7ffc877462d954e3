#include "mail/queue/retry.hpp"

#include <algorithm>
#include <limits>

namespace l7::mail {
namespace {

// Far beyond any sensible policy (about 34,800 years), and small enough that sums of
// queue times and delays cannot overflow.
constexpr std::int64_t kMaxDelaySeconds = std::int64_t{1} << 40;

std::int64_t clamp_seconds(std::chrono::seconds s) {
    return std::clamp<std::int64_t>(s.count(), 0, kMaxDelaySeconds);
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// 1 to 3 digits at text[i...]; returns the index after them, or npos.
std::size_t skip_digits(std::string_view text, std::size_t i) {
    const std::size_t start = i;
    while (i < text.size() && is_digit(text[i]) && i - start < 4) {
        ++i;
    }
    const std::size_t n = i - start;
    return n >= 1 && n <= 3 ? i : std::string_view::npos;
}

// The length of an enhanced status code at the start of `text` (0 when there is none), which
// must be followed by the end or a space.
std::size_t status_length(std::string_view text) {
    if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.') {
        return 0;
    }
    std::size_t i = skip_digits(text, 2);
    if (i == std::string_view::npos || i >= text.size() || text[i] != '.') {
        return 0;
    }
    i = skip_digits(text, i + 1);
    if (i == std::string_view::npos || (i < text.size() && text[i] != ' ')) {
        return 0;
    }
    return i;
}

FailureVerdict verdict(bool permanent, std::string status) {
    return FailureVerdict{permanent, std::move(status)};
}

}  // namespace

std::chrono::seconds retry_delay(const RetryPolicy& policy, std::uint32_t failed_attempts) {
    if (failed_attempts == 0) {
        return std::chrono::seconds(0);
    }
    const std::int64_t cap = clamp_seconds(policy.max_delay);
    std::int64_t delay = std::min(clamp_seconds(policy.first_delay), cap);
    const std::int64_t factor = std::max<std::int64_t>(policy.factor, 1);
    for (std::uint32_t n = 1; n < failed_attempts && delay < cap && factor > 1; ++n) {
        delay = std::min(delay * factor, cap);  // delay < 2^40 and factor < 2^32: no overflow
    }
    return std::chrono::seconds(delay);
}

std::int64_t expiry_time(const RetryPolicy& policy, std::int64_t arrival) {
    return arrival + clamp_seconds(policy.lifetime);
}

bool expired(const RetryPolicy& policy, std::int64_t arrival, std::int64_t now) {
    return now >= expiry_time(policy, arrival);
}

std::int64_t next_attempt(const RetryPolicy& policy, std::int64_t arrival,
                          std::uint32_t attempts_so_far, std::int64_t now, std::uint32_t random) {
    if (attempts_so_far == 0) {
        return now;
    }
    std::int64_t delay = retry_delay(policy, attempts_so_far).count();
    // delay * percent / 100 is below 2^41; times the top 16 bits of `random`, below 2^57.
    const std::int64_t percent = std::min<std::int64_t>(policy.jitter_percent, 100);
    delay += ((delay * percent / 100) * static_cast<std::int64_t>(random >> 16)) >> 16;
    const std::int64_t expiry = expiry_time(policy, arrival);
    if (now >= expiry) {
        return now;  // expired already: the caller bounces rather than waits
    }
    return std::min(now + delay, expiry);
}

bool should_warn(const RetryPolicy& policy, std::int64_t arrival, std::int64_t now,
                 bool warning_sent) {
    return policy.warn_after && !warning_sent &&
           now - arrival >= clamp_seconds(*policy.warn_after) && !expired(policy, arrival, now);
}

bool is_enhanced_status(std::string_view text) {
    return status_length(text) == text.size() && !text.empty();
}

std::string enhanced_status_of(std::string_view text) {
    if (text.size() >= 4 && is_digit(text[0]) && is_digit(text[1]) && is_digit(text[2]) &&
        (text[3] == ' ' || text[3] == '-')) {
        text.remove_prefix(4);
    }
    return std::string(text.substr(0, status_length(text)));
}

FailureVerdict classify_reply(unsigned code, std::string_view text, ReplyStage stage) {
    const unsigned klass = code / 100;
    if (code < 100 || code > 599 || klass < 4) {
        return verdict(false, "4.5.0");  // no failure where one was reported
    }
    if (code == 552 && stage == ReplyStage::rcpt) {
        return verdict(false, "4.5.3");
    }
    const bool permanent = klass == 5;
    std::string status = enhanced_status_of(text);
    if (status.empty()) {
        status = permanent ? "5.0.0" : "4.0.0";
    } else {
        status[0] = permanent ? '5' : '4';  // the reply code decides the class
    }
    return verdict(permanent, std::move(status));
}

FailureVerdict classify_connection_failure(ConnectionFailure failure) {
    switch (failure) {
        case ConnectionFailure::refused:
        case ConnectionFailure::timed_out:
        case ConnectionFailure::unreachable:
            return verdict(false, "4.4.1");
        case ConnectionFailure::lost:
            return verdict(false, "4.4.2");
        case ConnectionFailure::dns_temporary:
            return verdict(false, "4.4.3");
        case ConnectionFailure::protocol_error:
            return verdict(false, "4.5.0");
        case ConnectionFailure::no_such_domain:
            return verdict(true, "5.1.2");
        case ConnectionFailure::null_mx:
            return verdict(true, "5.1.10");
        case ConnectionFailure::mail_loop:
            return verdict(true, "5.4.6");
    }
    return verdict(false, "4.0.0");
}

FailureVerdict apply_lifetime(FailureVerdict v, const RetryPolicy& policy, std::int64_t arrival,
                              std::int64_t now) {
    if (!v.permanent && expired(policy, arrival, now)) {
        return verdict(true, "4.4.7");
    }
    return v;
}

}  // namespace l7::mail
