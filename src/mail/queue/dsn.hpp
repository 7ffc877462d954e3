#pragma once
// Delivery status notifications (RFC 3464, the report format of RFC 6522): the message the
// queue sends back to a sender when recipients failed for good (Action: failed) or are still
// being retried after a while (Action: delayed, the delay warning).
//
//   From: "Mail Delivery System" <MAILER-DAEMON@mx.example.org>
//   To: alice@example.org
//   Subject: Undelivered Mail Returned to Sender     (or "Delayed Mail (still being retried)")
//   Date, Message-ID, Auto-Submitted: auto-replied (RFC 3834 5), MIME-Version
//   Content-Type: multipart/report; report-type=delivery-status; boundary="=_l7_..."
//
//   1  text/plain                 for people: each recipient with the remote server's reply
//   2  message/delivery-status    for programs (RFC 3464 2.2, 2.3):
//        Reporting-MTA: dns; mx.example.org
//        X-l7-Queue-ID: 1764500000M1P2Q1
//        Received-From-MTA: dns; client.example      (when the origin is known)
//        Arrival-Date: ...
//        Original-Envelope-Id: ...                   (when the sender gave ENVID)
//
//        Final-Recipient: rfc822; bob@example.net
//        Action: failed
//        Status: 5.1.1
//        Remote-MTA: dns; mx.example.net
//        Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: user unknown
//        Last-Attempt-Date: ...
//        Will-Retry-Until: ...                       (delayed only)
//   3  text/rfc822-headers        the returned message's header section, or message/rfc822
//                                 with the whole message when the sender asked for RET=FULL,
//                                 it is a failure report, and the message is small
//
// Internationalized mail (RFC 6533): when the original transaction was SMTPUTF8 and an
// address, reply or the returned header holds UTF-8, the report is the global kind
// (report-type=global-delivery-status, message/global-delivery-status, address type
// "utf-8", message/global-headers, message/global) and is itself sent with SMTPUTF8. In
// any other report, text that is not ASCII is shown as '?'; control characters never
// reach the output (safe_text).
//
// Output is CRLF throughout, every line within 998 octets (fields are folded, long reply
// text wrapped, returned header lines folded); the boundary occurs in no part. The report
// goes out from the null reverse-path <> so that it is never bounced in turn (RFC 5321 6.1,
// RFC 3464 2): compose_bounce refuses a message whose own sender was <>.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "mail/queue/queue_store.hpp"

namespace l7::mail {

enum class DsnAction { failed, delayed };

// The id of the report about message `original_id`: "<original_id>-B<sequence>" (failed) or
// "-W<sequence>" (delayed). A report's id is derived, not random, so that a crash between
// queueing it and recording that it was queued cannot send it twice: enqueue() then finds
// the id taken (QueueErrorKind::exists). `sequence` tells apart reports of one message
// (which attempt round found the failures, say). Check it with is_valid_queue_id: an
// original id near kMaxQueueIdLength leaves no room.
std::string bounce_id(std::string_view original_id, DsnAction action, std::uint32_t sequence = 0);

struct BounceOptions {
    DsnAction action = DsnAction::failed;
    std::string id;             // the report's queue id (bounce_id)
    std::string reporting_mta;  // this host's name: Reporting-MTA, From, Message-ID
    std::int64_t now = 0;       // Unix seconds: Date and the report's arrival
    int utc_offset_minutes = 0;
    std::string message_id_left;        // a unique dot-atom (random hex) for the Message-ID
    std::string boundary_random;        // random bytes for the boundary (choose_boundary)
    std::int64_t will_retry_until = 0;  // delayed: expiry_time(policy, arrival)
    // RET=FULL returns the whole message only up to this size (else the header section).
    std::size_t max_returned_message = 256 * 1024;
};

enum class DsnError {
    null_sender,            // the message came from <>: reports are never reported on
    no_recipients,          // nothing to report
    invalid_id,             // options.id is not a valid queue id
    invalid_reporting_mta,  // not a domain name
    invalid_message_id,     // message_id_left is not a dot-atom
};
std::string_view describe(DsnError e);

// What to enqueue: the report's envelope (null sender, the original sender as its one
// pending recipient, arrival and next attempt `now`, BODY=8BITMIME and SMTPUTF8 as its
// content needs) and its text.
struct Bounce {
    QueueEntry entry;
    std::string message;
};

// The report on `recipients` (usually those of `original` that failed, or that are still
// pending for a delay warning) of `original`, whose stored bytes are `original_message`.
Result<Bounce, DsnError> compose_bounce(const QueueEntry& original,
                                        std::span<const QueueRecipient> recipients,
                                        std::string_view original_message,
                                        const BounceOptions& options);

}  // namespace l7::mail
