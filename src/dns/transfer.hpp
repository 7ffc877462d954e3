#pragma once
// Zone transfers, both directions, sans-I/O.
//
// Out: OutgoingTransfer writes the reply stream to an AXFR (RFC 5936 section 2.2: the SOA,
// every other record, the SOA again, packed into as few messages as fit) or to an IXFR
// (RFC 1995 section 4: the current SOA, then for each change the old SOA and the records it
// removed, the new SOA and the records it added, and the current SOA to close). When the
// history does not reach back to the client's serial, the IXFR reply is the whole zone in
// AXFR form.
//
// In: IncomingTransfer reads such a stream, message by message, and ends with either a whole
// zone or the list of changes to apply.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "dns/message.hpp"
#include "dns/zone.hpp"

namespace l7::dns {

// A query for AXFR or IXFR, as read from the wire.
struct TransferQuery {
    std::uint16_t id = 0;
    Question question;
    std::optional<std::uint32_t> client_serial;  // IXFR: the serial in the authority SOA
};

// Recognises an AXFR or IXFR query (opcode QUERY, one question of type AXFR or IXFR);
// nullopt for anything else, including malformed IXFR queries, which respond() then answers
// with FORMERR.
std::optional<TransferQuery> parse_transfer_query(std::span<const std::uint8_t> wire);

class OutgoingTransfer {
  public:
    OutgoingTransfer(std::shared_ptr<const Zone> zone, TransferQuery query);

    // Writes the next message of the stream into `out` (up to 65535 bytes); returns its
    // size, or 0 when the stream is complete.
    std::size_t next(std::span<std::uint8_t> out);
    bool incremental() const { return !diffs_.empty() || up_to_date_; }
    std::size_t records_sent() const { return records_sent_; }

  private:
    struct Item {
        std::string_view owner;
        RRType type = RRType::A;
        std::uint32_t ttl = 0;
        std::span<const std::uint8_t> rdata;
    };
    bool next_item(Item& item);
    bool next_zone_record(Item& item);

    std::shared_ptr<const Zone> zone_;
    TransferQuery query_;
    std::vector<const ZoneDiff*> diffs_;  // the changes the client lacks, oldest first
    bool up_to_date_ = false;
    // Where the stream is: the phase, then the position inside it.
    enum class Phase { first_soa, records, diffs, last_soa, end };
    Phase phase_ = Phase::first_soa;
    std::size_t diff_index_ = 0;
    std::size_t record_index_ = 0;  // inside the current diff: removed, then added
    Zone::NodeMap::const_iterator node_;
    std::size_t rrset_index_ = 0;
    RRset::Iterator rdata_;
    bool in_rrset_ = false;
    std::optional<Item> pending_;  // the record that did not fit in the last message
    bool first_message_ = true;
    std::size_t records_sent_ = 0;
};

class IncomingTransfer {
  public:
    // `current_serial`: what we have (for IXFR), nullopt for a fresh AXFR.
    IncomingTransfer(Name origin, std::optional<std::uint32_t> current_serial)
        : origin_(std::move(origin)), current_serial_(current_serial) {}

    enum class Status { need_more, done, failed };
    Status feed(const Message& reply);
    const std::string& error() const { return error_; }

    // After done: nullopt serial change means we were already up to date.
    bool up_to_date() const { return up_to_date_; }
    bool is_incremental() const { return incremental_; }
    std::uint32_t new_serial() const { return new_serial_; }
    // AXFR (or AXFR-style IXFR): every record of the zone, SOA first.
    std::vector<ResourceRecord>& records() { return records_; }
    // IXFR: the changes, oldest first.
    std::vector<ZoneDiff>& diffs() { return diffs_; }

  private:
    Status fail(std::string why);

    Name origin_;
    std::optional<std::uint32_t> current_serial_;
    std::string error_;
    bool started_ = false;
    bool incremental_ = false;
    bool up_to_date_ = false;
    std::uint32_t new_serial_ = 0;
    std::size_t rr_count_ = 0;
    std::vector<ResourceRecord> records_;
    std::vector<ZoneDiff> diffs_;
    int ixfr_state_ = 0;  // 0: expect old SOA or the final SOA; 1: deletions; 2: additions
};

}  // namespace l7::dns
