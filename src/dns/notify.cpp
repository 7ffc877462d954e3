#include "dns/notify.hpp"

#include "dns/rdata.hpp"

namespace l7::dns {

Bytes make_notify(const Name& zone, std::uint16_t id, std::span<const std::uint8_t> soa_rdata,
                  std::uint32_t soa_ttl) {
    Message m;
    m.header.id = id;
    m.header.opcode = Opcode::NOTIFY;
    m.header.aa = true;
    m.questions.push_back({zone, RRType::SOA, RRClass::IN});
    if (!soa_rdata.empty()) {
        m.answers.push_back(
            {zone, RRType::SOA, RRClass::IN, soa_ttl, Bytes(soa_rdata.begin(), soa_rdata.end())});
    }
    return encode_message(m, 512);
}

std::optional<NotifyRequest> parse_notify(std::span<const std::uint8_t> wire) {
    auto m = decode_message(wire);
    if (!m || m->header.qr || m->header.opcode != Opcode::NOTIFY || m->questions.size() != 1) {
        return std::nullopt;
    }
    NotifyRequest n{m->header.id, m->questions.front(), std::nullopt};
    for (const ResourceRecord& rr : m->answers) {
        if (rr.type == RRType::SOA && rr.owner == n.question.name) {
            if (auto soa = decode_soa(rr.rdata)) {
                n.serial = soa->serial;
            }
        }
    }
    return n;
}

std::size_t notify_response(const NotifyRequest& request, Rcode rcode,
                            std::span<std::uint8_t> out) {
    MessageBuilder b(out, std::min<std::size_t>(out.size(), 512));
    Header h;
    h.id = request.id;
    h.qr = true;
    h.opcode = Opcode::NOTIFY;
    h.aa = rcode == Rcode::NOERROR;
    h.rcode = static_cast<std::uint8_t>(static_cast<unsigned>(rcode) & 0x0F);
    b.header(h);
    (void)b.question(request.question);
    return b.finish().size();
}

bool is_notify_ack(std::span<const std::uint8_t> wire, std::uint16_t id, const Name& zone) {
    auto m = decode_message(wire);
    return m && m->header.qr && m->header.id == id && m->header.opcode == Opcode::NOTIFY &&
           (m->questions.empty() || m->questions.front().name == zone);
}

}  // namespace l7::dns
