#include "dns/asio/update_service.hpp"

#include <cstring>
#include <ctime>

#include "core/log.hpp"
#include "dns/journal.hpp"
#include "dns/update.hpp"

namespace l7::dns {
namespace {

std::size_t copy_out(const Bytes& reply, std::span<std::uint8_t> out) {
    const std::size_t n = std::min(reply.size(), out.size());
    std::memcpy(out.data(), reply.data(), n);
    return n;
}

}  // namespace

std::size_t UpdateService::handle(std::span<const std::uint8_t> query, std::span<std::uint8_t> out,
                                  const asio::ip::address& from) {
    const std::string peer = from.to_string();
    auto message = decode_message(query);
    if (!message) {
        log::info("dns", "UPDATE from " + peer + ": malformed (" + message.error().message + ")");
        return error_response(query, Rcode::FORMERR, out);
    }
    const auto now = static_cast<std::uint64_t>(std::time(nullptr));
    const TsigCheck tsig = tsig_verify(query, keys_, now);
    // The reply: same id and zone section, QR set, signed when the request was.
    auto reply = [&](Rcode rcode, Rcode tsig_error = Rcode::NOERROR) -> std::size_t {
        Message r;
        r.header.id = message->header.id;
        r.header.qr = true;
        r.header.opcode = Opcode::UPDATE;
        r.questions = message->questions;
        r.set_rcode(rcode);
        Bytes wire = encode_message(r, 512);
        // A BADKEY reply names the unknown key, with an empty MAC (RFC 8945 section 5.3.2).
        const TsigKey unknown{tsig.key_name, tsig.algorithm, {}};
        const TsigKey* key = tsig.key != nullptr ? tsig.key : &unknown;
        if (tsig.present && tsig.rcode != Rcode::FORMERR) {
            Bytes other;
            if (tsig_error == Rcode::BADTIME) {
                for (int shift = 40; shift >= 0; shift -= 8) {  // our clock, RFC 8945 5.2.3
                    other.push_back(static_cast<std::uint8_t>(now >> shift));
                }
            }
            auto signed_wire =
                tsig_sign(wire, *key, now, tsig.mac, static_cast<std::uint16_t>(tsig_error), other);
            if (signed_wire) {
                wire = std::move(*signed_wire);
            }
        }
        return copy_out(wire, out);
    };
    if (message->questions.size() != 1 || message->questions.front().type != RRType::SOA) {
        return reply(Rcode::FORMERR);
    }
    const Name zone_name = message->questions.front().name;
    const std::string what = "UPDATE " + zone_name.to_text() + " from " + peer;
    if (!tsig.present) {
        log::info("dns", what + ": refused (not signed; updates need a TSIG key)");
        return reply(Rcode::REFUSED);
    }
    if (tsig.rcode != Rcode::NOERROR) {
        log::info("dns", what + ": TSIG " + tsig.key_name.to_text() + " " +
                             (tsig.rcode == Rcode::FORMERR  ? "malformed"
                              : tsig.error == Rcode::BADSIG ? "BADSIG"
                                                            : rcode_to_text(tsig.error)));
        return reply(tsig.rcode, tsig.error);
    }
    const ZoneSource* source = store_->source(zone_name);
    if (source == nullptr || source->is_secondary()) {
        log::info("dns", what + ": NOTAUTH (not a primary zone here)");
        return reply(Rcode::NOTAUTH);
    }
    std::lock_guard lock(mutex_);
    const auto zone = store_->find(zone_name);
    if (!zone) {
        return reply(Rcode::SERVFAIL);
    }
    UpdateOutcome outcome = apply_update(*zone, *message);
    if (outcome.rcode != Rcode::NOERROR) {
        log::info("dns",
                  what + " (key " + tsig.key_name.to_text() + "): " + rcode_to_text(outcome.rcode));
        return reply(outcome.rcode);
    }
    if (outcome.zone) {
        // On disk before the reply: an acknowledged update survives a crash.
        const std::string journal = ZoneStore::journal_path(*source);
        if (journal.empty()) {
            log::info("dns", what + ": the zone has no file, so the change lives in memory only");
        } else if (auto ok = append_journal(journal, zone_name, *outcome.diff); !ok) {
            log::error("dns", what + ": " + ok.error().message);
            return reply(Rcode::SERVFAIL);
        }
        store_->publish(outcome.zone, std::move(outcome.diff));
    }
    log::info("dns", what + " (key " + tsig.key_name.to_text() + "): NOERROR, " + outcome.summary);
    return reply(Rcode::NOERROR);
}

}  // namespace l7::dns
