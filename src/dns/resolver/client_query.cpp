#include "dns/resolver/client_query.hpp"

#include <algorithm>

namespace l7::dns {

QueryCheck check_client_query(std::span<const std::uint8_t> wire, Transport transport,
                              std::size_t max_udp) {
    QueryCheck check;
    const auto header = read_header(wire);
    if (!header || header->qr) {
        check.drop = true;  // never answer a response: that way lies a reflection loop
        return check;
    }
    if (header->opcode != Opcode::QUERY) {
        check.error = Rcode::NOTIMP;
        return check;
    }
    auto message = decode_message(wire);
    if (!message || message->questions.size() != 1) {
        check.error = Rcode::FORMERR;
        return check;
    }
    if (message->edns && message->edns->version > 0) {
        check.error = Rcode::BADVERS;  // RFC 6891 section 6.1.3
        return check;
    }
    const Question& q = message->questions.front();
    if (q.klass != RRClass::IN || q.type == RRType::AXFR || q.type == RRType::IXFR || !header->rd) {
        check.error = Rcode::REFUSED;
        return check;
    }
    ClientQuery cq;
    cq.id = header->id;
    cq.rd = header->rd;
    cq.cd = header->cd;
    cq.edns = message->edns.has_value();
    cq.question = q;
    if (transport == Transport::tcp) {
        cq.reply_limit = 65535;
    } else if (message->edns) {
        // RFC 6891 section 6.2.5: values under 512 are treated as 512.
        cq.reply_limit = std::clamp<std::size_t>(message->edns->udp_size, kClassicUdpSize,
                                                 std::max(max_udp, kClassicUdpSize));
    }
    check.query = std::move(cq);
    return check;
}

std::size_t write_response(const ClientQuery& query, const Message& response,
                           std::span<std::uint8_t> out) {
    MessageBuilder b(out, std::min(out.size(), query.reply_limit));
    Header h;
    h.id = query.id;
    h.qr = true;
    h.rd = query.rd;
    h.cd = query.cd;
    h.ra = true;
    const Rcode rcode = response.rcode();
    h.rcode = static_cast<std::uint8_t>(static_cast<unsigned>(rcode) & 0xF);
    b.header(h);
    if (!b.question(query.question)) {
        return 0;
    }
    if (query.edns) {
        Edns e;
        e.extended_rcode = static_cast<std::uint8_t>(static_cast<unsigned>(rcode) >> 4);
        b.reserve_edns(e);
    }
    const auto after_question = b.mark();
    bool fits = true;
    for (const ResourceRecord& rr : response.answers) {
        fits = fits && b.add(Section::answer, rr);
    }
    for (const ResourceRecord& rr : response.authority) {
        fits = fits && b.add(Section::authority, rr);
    }
    if (!fits) {
        b.rewind(after_question, 0, 0, 0);
        b.set_tc();
    }
    return b.finish().size();
}

std::size_t write_error(std::span<const std::uint8_t> wire, const QueryCheck& check,
                        std::span<std::uint8_t> out) {
    if (check.drop) {
        return 0;
    }
    if (check.error == Rcode::BADVERS) {
        // BADVERS needs an OPT record to carry its high bits (RFC 6891 section 6.1.3).
        const auto header = read_header(wire);
        if (!header) {
            return 0;
        }
        MessageBuilder b(out, std::min<std::size_t>(out.size(), kClassicUdpSize));
        Header h;
        h.id = header->id;
        h.qr = true;
        h.rd = header->rd;
        h.ra = true;
        h.rcode = static_cast<std::uint8_t>(static_cast<unsigned>(Rcode::BADVERS) & 0xF);
        b.header(h);
        Edns e;
        e.extended_rcode = static_cast<std::uint8_t>(static_cast<unsigned>(Rcode::BADVERS) >> 4);
        b.reserve_edns(e);
        return b.finish().size();
    }
    const std::size_t size = error_response(wire, check.error, out);
    if (size >= kHeaderSize) {
        out[3] = static_cast<std::uint8_t>(out[3] | 0x80);  // RA: we are a recursive service
    }
    return size;
}

}  // namespace l7::dns
