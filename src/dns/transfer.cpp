#include "dns/transfer.hpp"

#include "dns/rdata.hpp"

namespace l7::dns {
namespace {

std::optional<std::uint32_t> soa_serial(std::span<const std::uint8_t> rdata) {
    // The serial follows the two names; the last five fields are 20 bytes.
    if (rdata.size() < 22) {
        return std::nullopt;
    }
    const auto at = rdata.size() - 20;
    return static_cast<std::uint32_t>(rdata[at] << 24 | rdata[at + 1] << 16 | rdata[at + 2] << 8 |
                                      rdata[at + 3]);
}

// RFC 1982 serial number arithmetic: is a older than b?
bool serial_before(std::uint32_t a, std::uint32_t b) {
    return a != b && static_cast<std::uint32_t>(b - a) < 0x80000000u;
}

}  // namespace

std::optional<TransferQuery> parse_transfer_query(std::span<const std::uint8_t> wire) {
    const auto h = read_header(wire);
    if (!h || h->qr || h->opcode != Opcode::QUERY || h->qdcount != 1) {
        return std::nullopt;
    }
    WireReader r(wire, kHeaderSize);
    std::string name;
    if (!r.name(name)) {
        return std::nullopt;
    }
    const auto type = static_cast<RRType>(r.u16());
    const auto klass = static_cast<RRClass>(r.u16());
    if (!r.ok() || (type != RRType::AXFR && type != RRType::IXFR)) {
        return std::nullopt;
    }
    TransferQuery q{h->id, {*Name::from_wire(name), type, klass}, std::nullopt};
    if (type == RRType::IXFR) {
        // RFC 1995 section 3: the client's SOA in the authority section.
        auto m = decode_message(wire);
        if (!m || m->authority.size() != 1 || m->authority[0].type != RRType::SOA) {
            return std::nullopt;
        }
        q.client_serial = soa_serial(m->authority[0].rdata);
        if (!q.client_serial) {
            return std::nullopt;
        }
    }
    return q;
}

OutgoingTransfer::OutgoingTransfer(std::shared_ptr<const Zone> zone, TransferQuery query)
    : zone_(std::move(zone)), query_(std::move(query)) {
    node_ = zone_->nodes().begin();
    if (query_.question.type != RRType::IXFR || !query_.client_serial) {
        return;
    }
    const std::uint32_t have = *query_.client_serial;
    const std::uint32_t now = zone_->serial();
    if (have == now || serial_before(now, have)) {
        up_to_date_ = true;  // RFC 1995 section 2: just the current SOA
        return;
    }
    // Follow the history from the client's serial; any gap means a full transfer.
    std::uint32_t at = have;
    for (const ZoneDiff& d : zone_->history()) {
        if (d.from_serial == at) {
            diffs_.push_back(&d);
            at = d.to_serial;
        }
    }
    if (at != now) {
        diffs_.clear();
    }
}

bool OutgoingTransfer::next_zone_record(Item& item) {
    const auto& nodes = zone_->nodes();
    while (node_ != nodes.end()) {
        const auto& [owner, node] = *node_;
        const bool apex = wire_name::equal(owner, zone_->origin().wire());
        if (!in_rrset_) {
            if (rrset_index_ >= node.rrsets.size()) {
                ++node_;
                rrset_index_ = 0;
                continue;
            }
            const RRset& set = node.rrsets[rrset_index_];
            if (apex && set.type() == RRType::SOA) {
                ++rrset_index_;
                continue;
            }
            rdata_ = set.begin();
            in_rrset_ = true;
        }
        const RRset& set = node.rrsets[rrset_index_];
        if (rdata_ == set.end()) {
            in_rrset_ = false;
            ++rrset_index_;
            continue;
        }
        item = {owner, set.type(), set.ttl(), *rdata_};
        ++rdata_;
        return true;
    }
    return false;
}

bool OutgoingTransfer::next_item(Item& item) {
    const RRset* soa = zone_->soa();
    auto soa_item = [&] {
        return Item{zone_->origin().wire(), RRType::SOA, soa->ttl(), *soa->begin()};
    };
    while (true) {
        switch (phase_) {
            case Phase::first_soa:
                if (soa == nullptr || soa->empty()) {
                    phase_ = Phase::end;
                    return false;
                }
                item = soa_item();
                phase_ = up_to_date_ ? Phase::end : !diffs_.empty() ? Phase::diffs : Phase::records;
                return true;
            case Phase::records:
                if (next_zone_record(item)) {
                    return true;
                }
                phase_ = Phase::last_soa;
                continue;
            case Phase::diffs: {
                if (diff_index_ >= diffs_.size()) {
                    phase_ = Phase::last_soa;
                    continue;
                }
                const ZoneDiff& d = *diffs_[diff_index_];
                const std::size_t total = d.removed.size() + d.added.size();
                if (record_index_ >= total) {
                    ++diff_index_;
                    record_index_ = 0;
                    continue;
                }
                const ResourceRecord& rr = record_index_ < d.removed.size()
                                               ? d.removed[record_index_]
                                               : d.added[record_index_ - d.removed.size()];
                ++record_index_;
                item = {rr.owner.wire(), rr.type, rr.ttl, rr.rdata};
                return true;
            }
            case Phase::last_soa:
                item = soa_item();
                phase_ = Phase::end;
                return true;
            case Phase::end:
                return false;
        }
    }
}

std::size_t OutgoingTransfer::next(std::span<std::uint8_t> out) {
    if (!pending_ && phase_ == Phase::end) {
        return 0;
    }
    MessageBuilder b(out, std::min<std::size_t>(out.size(), 65535));
    Header h;
    h.id = query_.id;
    h.qr = true;
    h.aa = true;
    b.header(h);
    if (first_message_) {
        // RFC 5936 section 2.2.1: the question in the first message (later ones may omit it).
        (void)b.question(query_.question);
        first_message_ = false;
    }
    while (true) {
        Item item;
        if (pending_) {
            item = *pending_;
            pending_.reset();
        } else if (!next_item(item)) {
            break;
        }
        if (!b.add(Section::answer, item.owner, item.type, RRClass::IN, item.ttl, item.rdata)) {
            if (b.count(Section::answer) == 0) {
                continue;  // cannot happen for a record read from a message; skip it
            }
            pending_ = item;
            break;
        }
        ++records_sent_;
    }
    return b.finish().size();
}

IncomingTransfer::Status IncomingTransfer::fail(std::string why) {
    error_ = std::move(why);
    return Status::failed;
}

IncomingTransfer::Status IncomingTransfer::feed(const Message& reply) {
    if (reply.rcode() != Rcode::NOERROR) {
        return fail("the primary answered " + rcode_to_text(reply.rcode()));
    }
    if (!reply.header.aa && !started_) {
        return fail("the reply is not authoritative");
    }
    for (const ResourceRecord& rr : reply.answers) {
        // Bounded: a transfer that never ends is refused at 50 million records.
        if (++rr_count_ > 50'000'000) {
            return fail("too many records in the transfer");
        }
        if (!started_) {
            if (rr.type != RRType::SOA || !(rr.owner == origin_)) {
                return fail("the transfer does not start with the zone's SOA");
            }
            started_ = true;
            new_serial_ = *soa_serial(rr.rdata);
            records_.push_back(rr);
            if (current_serial_ &&
                (*current_serial_ == new_serial_ || serial_before(new_serial_, *current_serial_)) &&
                reply.answers.size() == 1) {
                up_to_date_ = true;
                return Status::done;
            }
            continue;
        }
        const bool is_soa = rr.type == RRType::SOA && rr.owner == origin_;
        const std::uint32_t serial = is_soa ? soa_serial(rr.rdata).value_or(0) : 0;
        if (records_.size() == 1 && diffs_.empty() && !incremental_ && is_soa &&
            serial != new_serial_) {
            incremental_ = true;  // RFC 1995 section 4: an old SOA right after the first
        }
        if (!incremental_) {
            if (is_soa && serial == new_serial_) {
                return Status::done;  // the closing SOA of AXFR
            }
            if (is_soa) {
                return fail("a second, different SOA inside the transfer");
            }
            records_.push_back(rr);
            continue;
        }
        if (is_soa) {
            if (ixfr_state_ == 0) {
                if (serial == new_serial_ && !diffs_.empty() &&
                    diffs_.back().to_serial == new_serial_) {
                    return Status::done;
                }
                diffs_.push_back({serial, 0, {rr}, {}});
                ixfr_state_ = 1;
            } else if (ixfr_state_ == 1) {
                diffs_.back().to_serial = serial;
                diffs_.back().added.push_back(rr);
                ixfr_state_ = 2;
            } else {
                // An SOA after additions starts the next change, or closes the stream.
                if (serial == new_serial_ && diffs_.back().to_serial == new_serial_) {
                    return Status::done;
                }
                diffs_.push_back({serial, 0, {rr}, {}});
                ixfr_state_ = 1;
            }
            continue;
        }
        if (ixfr_state_ == 1) {
            diffs_.back().removed.push_back(rr);
        } else if (ixfr_state_ == 2) {
            diffs_.back().added.push_back(rr);
        } else {
            return fail("a record outside any change in the IXFR stream");
        }
    }
    return Status::need_more;
}

}  // namespace l7::dns
