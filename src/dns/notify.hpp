#pragma once
// NOTIFY (RFC 1996): the primary tells its secondaries that a zone changed, so they refresh
// now instead of at the next SOA refresh timer. Sans-I/O message building and reading.

#include <cstdint>
#include <optional>
#include <span>

#include "dns/message.hpp"

namespace l7::dns {

struct NotifyRequest {
    std::uint16_t id = 0;
    Question question;                    // the zone, type SOA
    std::optional<std::uint32_t> serial;  // the new serial, when the primary includes its SOA
};

// The NOTIFY a primary sends (RFC 1996 section 3.7: AA set, the zone's SOA in the answer).
Bytes make_notify(const Name& zone, std::uint16_t id, std::span<const std::uint8_t> soa_rdata,
                  std::uint32_t soa_ttl);
// Recognises a NOTIFY request; nullopt for anything else or a malformed one.
std::optional<NotifyRequest> parse_notify(std::span<const std::uint8_t> wire);
// The acknowledgement: same id and question, QR and AA set, with `rcode`.
std::size_t notify_response(const NotifyRequest& request, Rcode rcode, std::span<std::uint8_t> out);
// Whether `wire` acknowledges our NOTIFY `id` for `zone`.
bool is_notify_ack(std::span<const std::uint8_t> wire, std::uint16_t id, const Name& zone);

}  // namespace l7::dns
