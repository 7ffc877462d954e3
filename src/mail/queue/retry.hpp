#pragma once
// The outgoing queue's schedule and its judgement of failures, sans-I/O: pure functions of
// the policy, the message's arrival, the attempts so far and the time the caller passes.
//
// Schedule (RFC 5321 4.5.4.1 asks for at least 30 minutes between retries of a destination
// and at least 4-5 days before giving up; Postfix's defaults are the model here):
//
//   attempt 1        at arrival (enqueue sets next_attempt to the arrival time)
//   after failure n  first_delay * factor^(n-1), at most max_delay:
//                    5 min, 10, 20, 40, 60, 60 ... with the defaults
//   never after      arrival + lifetime: the last retry is moved to that instant, and a
//                    temporary failure then is final (4.4.7, delivery time expired)
//   delay warning    once, when a recipient is still pending warn_after after arrival
//
// Deterministic: no jitter unless the policy asks for it, and then drawn from a random value
// the caller passes.
//
// Failures (RFC 5321 4.2.1, RFC 3463): a 4xx reply is temporary and retried, a 5xx one is
// permanent and bounced, with these refinements:
//  * 552 to RCPT is temporary (4.5.3): RFC 5321 4.5.3.1.10 has clients treat "too many
//    recipients" so, since old servers sent 552 where 452 is meant.
//  * A reply that is no failure at all where one was reported, or no valid code, is a
//    protocol error: temporary (4.5.0).
//  * The enhanced status code in the reply text is kept; its class is made to agree with the
//    reply code (RFC 3463 2: the class must match; the code decides), and a reply without
//    one gets X.0.0.
//  * Connection failures are temporary (4.4.1 no answer, 4.4.2 connection lost, 4.4.3 DNS
//    trouble), except those DNS states for good: no such domain (5.1.2), a null MX (5.1.10,
//    RFC 7505 section 4.1) and a mail loop (5.4.6).
// Trying the next MX host after a failure at connect, greeting or EHLO is the relay
// driver's business; the verdict here is for the recipient once the hosts are exhausted.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace l7::mail {

struct RetryPolicy {
    std::chrono::seconds first_delay{std::chrono::minutes(5)};
    unsigned factor = 2;  // 0 and 1 keep the delay at first_delay
    // Postfix's maximal_backoff_time is 4000 s; an hour is a round number in its place.
    std::chrono::seconds max_delay{std::chrono::hours(1)};
    // Postfix's maximal_queue_lifetime: 5 days.
    std::chrono::seconds lifetime{std::chrono::hours(24 * 5)};
    // Postfix's delay_warning_time (which is off by default there); nullopt: no warnings.
    std::optional<std::chrono::seconds> warn_after{std::chrono::hours(4)};
    // Each delay is made up to this many percent longer (0 to 100), from the caller's random
    // value, so that messages deferred together do not all come back together.
    unsigned jitter_percent = 0;
};

// The delay after the n-th failed attempt (n >= 1): first_delay * factor^(n-1), capped at
// max_delay. 0 for n = 0.
std::chrono::seconds retry_delay(const RetryPolicy& policy, std::uint32_t failed_attempts);

// When to try next, after `attempts_so_far` attempts (none: `now`), all failed: now plus
// retry_delay (plus jitter from `random`), but no later than expiry_time(). Times are Unix
// seconds.
std::int64_t next_attempt(const RetryPolicy& policy, std::int64_t arrival,
                          std::uint32_t attempts_so_far, std::int64_t now,
                          std::uint32_t random = 0);

// arrival + lifetime: when temporary failures become final (a DSN's Will-Retry-Until).
std::int64_t expiry_time(const RetryPolicy& policy, std::int64_t arrival);
// now >= expiry_time.
bool expired(const RetryPolicy& policy, std::int64_t arrival, std::int64_t now);
// Whether to send the delay warning now: the policy has one, it was not sent, warn_after
// has passed since arrival, and the message has not expired (then it bounces instead). The
// caller asks only while a recipient is pending.
bool should_warn(const RetryPolicy& policy, std::int64_t arrival, std::int64_t now,
                 bool warning_sent);

// Where in the SMTP dialogue a reply came.
enum class ReplyStage { greeting, helo, mail, rcpt, data, message };

// Failures before any reply.
enum class ConnectionFailure {
    refused,         // 4.4.1
    timed_out,       // 4.4.1 (connect or a reply that never came)
    unreachable,     // 4.4.1 (no route, every address failed)
    lost,            // 4.4.2 (the connection broke mid-dialogue)
    dns_temporary,   // 4.4.3 (SERVFAIL, timeout)
    protocol_error,  // 4.5.0 (an unreadable reply)
    no_such_domain,  // 5.1.2 (NXDOMAIN, or no MX and no address)
    null_mx,         // 5.1.10 (RFC 7505: the domain takes no mail)
    mail_loop,       // 5.4.6 (the MX is this host)
};

struct FailureVerdict {
    bool permanent = false;
    std::string status;  // for the recipient and its DSN: "5.1.1", "4.4.7"

    friend bool operator==(const FailureVerdict&, const FailureVerdict&) = default;
};

// A failure reply: `code` and its text ("5.1.1 <bob@example.net>: user unknown", with or
// without the code in front), at `stage`.
FailureVerdict classify_reply(unsigned code, std::string_view text, ReplyStage stage);
FailureVerdict classify_connection_failure(ConnectionFailure failure);
// A temporary verdict after expiry_time() is final: permanent, status 4.4.7 (RFC 3463 3.5:
// delivery time expired; the DSN keeps the last reply as its diagnostic).
FailureVerdict apply_lifetime(FailureVerdict verdict, const RetryPolicy& policy,
                              std::int64_t arrival, std::int64_t now);

// RFC 3463 2: class "." subject "." detail, the class 2, 4 or 5, subject and detail 1 to 3
// digits.
bool is_enhanced_status(std::string_view text);
// The enhanced status at the start of `text`, or after a reply code and ' ' or '-' there
// ("550 5.1.1 user unknown" and "5.1.1 user unknown" both give "5.1.1"); "" when none.
std::string enhanced_status_of(std::string_view text);

}  // namespace l7::mail
