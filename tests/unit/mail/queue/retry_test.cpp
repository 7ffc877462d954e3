// The retry schedule (delays, caps, the lifetime, delay warnings) and the classification of
// failures into temporary and permanent.

#include "mail/queue/retry.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace l7::mail {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::int64_t kArrival = 1'764'500'000;

TEST(RetrySchedule, DelaysDoubleUpToTheCap) {
    const RetryPolicy policy;
    std::vector<std::int64_t> delays;
    for (std::uint32_t n = 0; n <= 8; ++n) {
        delays.push_back(retry_delay(policy, n).count());
    }
    EXPECT_EQ(delays, (std::vector<std::int64_t>{0, 300, 600, 1200, 2400, 3600, 3600, 3600, 3600}));
    EXPECT_EQ(retry_delay(policy, UINT32_MAX), hours(1));
}

TEST(RetrySchedule, OtherFactorsAndDegeneratePolicies) {
    RetryPolicy p;
    p.first_delay = seconds(10);
    p.factor = 3;
    p.max_delay = seconds(100);
    EXPECT_EQ(retry_delay(p, 1), seconds(10));
    EXPECT_EQ(retry_delay(p, 2), seconds(30));
    EXPECT_EQ(retry_delay(p, 3), seconds(90));
    EXPECT_EQ(retry_delay(p, 4), seconds(100));
    p.factor = 1;
    EXPECT_EQ(retry_delay(p, 50), seconds(10));
    p.factor = 0;
    EXPECT_EQ(retry_delay(p, 50), seconds(10));
    p.first_delay = seconds(500);  // above the cap: the cap
    EXPECT_EQ(retry_delay(p, 1), seconds(100));
    p.first_delay = seconds(-5);
    EXPECT_EQ(retry_delay(p, 3), seconds(0));
    p.factor = 4'000'000'000u;  // no overflow with a huge factor and cap
    p.first_delay = seconds(1000);
    p.max_delay = hours(24 * 365 * 1000);
    EXPECT_EQ(retry_delay(p, 40), p.max_delay);
}

TEST(RetrySchedule, NextAttemptFollowsTheDelaysFromNow) {
    const RetryPolicy policy;
    EXPECT_EQ(next_attempt(policy, kArrival, 0, kArrival), kArrival);
    // A message tried at arrival and then at each scheduled time, failing each time.
    std::int64_t now = kArrival;
    std::vector<std::int64_t> gaps;
    for (std::uint32_t attempts = 1; attempts <= 7; ++attempts) {
        const std::int64_t next = next_attempt(policy, kArrival, attempts, now);
        gaps.push_back(next - now);
        now = next;
    }
    EXPECT_EQ(gaps, (std::vector<std::int64_t>{300, 600, 1200, 2400, 3600, 3600, 3600}));
}

TEST(RetrySchedule, TheLastAttemptIsAtTheExpiryAndNoneAfter) {
    RetryPolicy policy;
    policy.lifetime = hours(2);
    const std::int64_t expiry = kArrival + 7200;
    EXPECT_EQ(expiry_time(policy, kArrival), expiry);
    EXPECT_EQ(next_attempt(policy, kArrival, 5, expiry - 100), expiry);  // not expiry + 3500
    EXPECT_EQ(next_attempt(policy, kArrival, 6, expiry), expiry);        // expired: now
    EXPECT_EQ(next_attempt(policy, kArrival, 6, expiry + 50), expiry + 50);
    EXPECT_FALSE(expired(policy, kArrival, expiry - 1));
    EXPECT_TRUE(expired(policy, kArrival, expiry));
    // The default lifetime is five days.
    EXPECT_EQ(expiry_time(RetryPolicy{}, kArrival), kArrival + 5 * 86400);
}

TEST(RetrySchedule, JitterComesOnlyFromTheCallersValue) {
    RetryPolicy policy;
    policy.jitter_percent = 10;
    const std::int64_t now = kArrival + 1000;
    EXPECT_EQ(next_attempt(policy, kArrival, 1, now, 0), now + 300);
    EXPECT_EQ(next_attempt(policy, kArrival, 1, now, 0x80000000u), now + 300 + 15);
    const std::int64_t most = next_attempt(policy, kArrival, 1, now, UINT32_MAX);
    EXPECT_GE(most, now + 329);
    EXPECT_LE(most, now + 330);
    EXPECT_EQ(next_attempt(policy, kArrival, 1, now, 12345),
              next_attempt(policy, kArrival, 1, now, 12345));
    policy.jitter_percent = 1000;  // clamped to 100
    EXPECT_LE(next_attempt(policy, kArrival, 1, now, UINT32_MAX), now + 600);
    RetryPolicy none;
    EXPECT_EQ(next_attempt(none, kArrival, 1, now, UINT32_MAX), now + 300);
}

TEST(RetrySchedule, DelayWarningOnceAfterItsTimeAndBeforeExpiry) {
    const RetryPolicy policy;  // warn after 4 h
    EXPECT_FALSE(should_warn(policy, kArrival, kArrival + 4 * 3600 - 1, false));
    EXPECT_TRUE(should_warn(policy, kArrival, kArrival + 4 * 3600, false));
    EXPECT_FALSE(should_warn(policy, kArrival, kArrival + 4 * 3600, true));
    EXPECT_FALSE(should_warn(policy, kArrival, kArrival + 5 * 86400, false));  // bounce instead
    RetryPolicy off;
    off.warn_after.reset();
    EXPECT_FALSE(should_warn(off, kArrival, kArrival + 86400, false));
}

TEST(FailureClassification, ReplyClassDecides) {
    EXPECT_EQ(classify_reply(550, "5.1.1 <bob@example.net>: user unknown", ReplyStage::rcpt),
              (FailureVerdict{true, "5.1.1"}));
    EXPECT_EQ(classify_reply(452, "4.2.2 Mailbox full", ReplyStage::rcpt),
              (FailureVerdict{false, "4.2.2"}));
    EXPECT_EQ(classify_reply(421, "mx.example.net closing", ReplyStage::greeting),
              (FailureVerdict{false, "4.0.0"}));
    EXPECT_EQ(classify_reply(554, "no SMTP service here", ReplyStage::greeting),
              (FailureVerdict{true, "5.0.0"}));
    EXPECT_EQ(classify_reply(554, "554 5.7.1 rejected", ReplyStage::message),
              (FailureVerdict{true, "5.7.1"}));
}

TEST(FailureClassification, TooManyRecipientsIsTemporary) {
    EXPECT_EQ(classify_reply(552, "5.5.3 too many recipients", ReplyStage::rcpt),
              (FailureVerdict{false, "4.5.3"}));
    // 552 after the data is the message size: permanent.
    EXPECT_EQ(classify_reply(552, "5.3.4 message too big", ReplyStage::message),
              (FailureVerdict{true, "5.3.4"}));
}

TEST(FailureClassification, MismatchedOrMissingStatusFollowsTheCode) {
    EXPECT_EQ(classify_reply(550, "4.2.2 confused", ReplyStage::rcpt),
              (FailureVerdict{true, "5.2.2"}));
    EXPECT_EQ(classify_reply(451, "5.7.1 confused", ReplyStage::rcpt),
              (FailureVerdict{false, "4.7.1"}));
    EXPECT_EQ(classify_reply(550, "5.1 not a status", ReplyStage::rcpt),
              (FailureVerdict{true, "5.0.0"}));
}

TEST(FailureClassification, NonFailureCodesAreProtocolErrors) {
    for (unsigned code : {0u, 99u, 250u, 354u, 600u, 999u}) {
        EXPECT_EQ(classify_reply(code, "", ReplyStage::data), (FailureVerdict{false, "4.5.0"}))
            << code;
    }
}

TEST(FailureClassification, ConnectionFailures) {
    EXPECT_EQ(classify_connection_failure(ConnectionFailure::refused),
              (FailureVerdict{false, "4.4.1"}));
    EXPECT_EQ(classify_connection_failure(ConnectionFailure::timed_out),
              (FailureVerdict{false, "4.4.1"}));
    EXPECT_EQ(classify_connection_failure(ConnectionFailure::lost),
              (FailureVerdict{false, "4.4.2"}));
    EXPECT_EQ(classify_connection_failure(ConnectionFailure::dns_temporary),
              (FailureVerdict{false, "4.4.3"}));
    EXPECT_EQ(classify_connection_failure(ConnectionFailure::protocol_error),
              (FailureVerdict{false, "4.5.0"}));
    EXPECT_EQ(classify_connection_failure(ConnectionFailure::no_such_domain),
              (FailureVerdict{true, "5.1.2"}));
    EXPECT_EQ(classify_connection_failure(ConnectionFailure::null_mx),
              (FailureVerdict{true, "5.1.10"}));
    EXPECT_EQ(classify_connection_failure(ConnectionFailure::mail_loop),
              (FailureVerdict{true, "5.4.6"}));
}

TEST(FailureClassification, TemporaryFailuresBecomePermanentAfterTheLifetime) {
    const RetryPolicy policy;
    const std::int64_t expiry = expiry_time(policy, kArrival);
    const FailureVerdict temp{false, "4.2.2"};
    EXPECT_EQ(apply_lifetime(temp, policy, kArrival, expiry - 1), temp);
    EXPECT_EQ(apply_lifetime(temp, policy, kArrival, expiry), (FailureVerdict{true, "4.4.7"}));
    const FailureVerdict perm{true, "5.1.1"};
    EXPECT_EQ(apply_lifetime(perm, policy, kArrival, expiry + 1), perm);
}

TEST(EnhancedStatus, Syntax) {
    for (std::string_view good : {"2.0.0", "4.4.7", "5.1.10", "5.123.456"}) {
        EXPECT_TRUE(is_enhanced_status(good)) << good;
    }
    for (std::string_view bad :
         {"", "5.1", "3.1.1", "5.1.1 ", "5.1234.1", "5..1", "x.1.1", "5.1.1.1"}) {
        EXPECT_FALSE(is_enhanced_status(bad)) << bad;
    }
    EXPECT_EQ(enhanced_status_of("550 5.1.1 user unknown"), "5.1.1");
    EXPECT_EQ(enhanced_status_of("550-5.1.1 user unknown"), "5.1.1");
    EXPECT_EQ(enhanced_status_of("4.2.2 full"), "4.2.2");
    EXPECT_EQ(enhanced_status_of("4.2.2"), "4.2.2");
    EXPECT_EQ(enhanced_status_of("550 user unknown"), "");
    EXPECT_EQ(enhanced_status_of("550 5.1.1user"), "");
    EXPECT_EQ(enhanced_status_of(""), "");
}

}  // namespace
}  // namespace l7::mail
