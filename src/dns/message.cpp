#include "dns/message.hpp"

#include "dns/rdata.hpp"

namespace l7::dns {
namespace {

std::size_t opt_size(const Edns& edns) {
    std::size_t n = 11;  // root name, type, class, TTL, RDLENGTH
    for (const EdnsOption& o : edns.options) {
        n += 4 + o.data.size();
    }
    return n;
}

Result<ResourceRecord> read_record(WireReader& r) {
    ResourceRecord rr;
    std::string owner;
    if (!r.name(owner)) {
        return make_error(std::string("bad owner name: ") + (r.error() ? r.error() : "?"));
    }
    rr.owner = *Name::from_wire(owner);
    rr.type = static_cast<RRType>(r.u16());
    rr.klass = static_cast<RRClass>(r.u16());
    rr.ttl = r.u32();
    const std::uint16_t rdlength = r.u16();
    if (!r.ok()) {
        return make_error("record header truncated");
    }
    if (rdlength == 0 && (rr.klass == RRClass::ANY || rr.klass == RRClass::NONE)) {
        return rr;  // RFC 2136 section 2.4: prerequisites and deletions carry no RDATA
    }
    auto rdata = read_rdata(r, rr.type, rdlength);
    if (!rdata) {
        return rdata.error();
    }
    rr.rdata = std::move(*rdata);
    return rr;
}

Result<Edns> edns_from_record(const ResourceRecord& rr) {
    if (!rr.owner.is_root()) {
        return make_error("OPT record owner is not the root");
    }
    Edns e;
    e.udp_size = to_int(rr.klass);
    e.extended_rcode = static_cast<std::uint8_t>(rr.ttl >> 24);
    e.version = static_cast<std::uint8_t>(rr.ttl >> 16);
    e.dnssec_ok = (rr.ttl & 0x8000) != 0;
    e.flags = static_cast<std::uint16_t>(rr.ttl & 0x7FFF);
    WireReader r(rr.rdata);
    while (r.remaining() > 0) {
        EdnsOption o;
        o.code = r.u16();
        const std::uint16_t len = r.u16();
        const auto data = r.bytes(len);
        if (!r.ok()) {
            return make_error("EDNS option runs past the OPT record");
        }
        o.data.assign(data.begin(), data.end());
        e.options.push_back(std::move(o));
    }
    return e;
}

}  // namespace

std::optional<Header> read_header(std::span<const std::uint8_t> m) {
    if (m.size() < kHeaderSize) {
        return std::nullopt;
    }
    Header h;
    h.id = static_cast<std::uint16_t>(m[0] << 8 | m[1]);
    h.qr = (m[2] & 0x80) != 0;
    h.opcode = static_cast<Opcode>((m[2] >> 3) & 0x0F);
    h.aa = (m[2] & 0x04) != 0;
    h.tc = (m[2] & 0x02) != 0;
    h.rd = (m[2] & 0x01) != 0;
    h.ra = (m[3] & 0x80) != 0;
    h.z = (m[3] & 0x40) != 0;
    h.ad = (m[3] & 0x20) != 0;
    h.cd = (m[3] & 0x10) != 0;
    h.rcode = m[3] & 0x0F;
    h.qdcount = static_cast<std::uint16_t>(m[4] << 8 | m[5]);
    h.ancount = static_cast<std::uint16_t>(m[6] << 8 | m[7]);
    h.nscount = static_cast<std::uint16_t>(m[8] << 8 | m[9]);
    h.arcount = static_cast<std::uint16_t>(m[10] << 8 | m[11]);
    return h;
}

Rcode Message::rcode() const {
    const unsigned high = edns ? edns->extended_rcode : 0;
    return static_cast<Rcode>(high << 4 | header.rcode);
}

void Message::set_rcode(Rcode rcode) {
    const auto v = static_cast<unsigned>(rcode);
    header.rcode = static_cast<std::uint8_t>(v & 0x0F);
    if (v > 0x0F) {
        if (!edns) {
            edns.emplace();
        }
        edns->extended_rcode = static_cast<std::uint8_t>(v >> 4);
    } else if (edns) {
        edns->extended_rcode = 0;
    }
}

Result<Message> decode_message(std::span<const std::uint8_t> wire) {
    auto header = read_header(wire);
    if (!header) {
        return make_error("message shorter than the 12-byte header");
    }
    Message m;
    m.header = *header;
    WireReader r(wire, kHeaderSize);
    for (unsigned i = 0; i < header->qdcount; ++i) {
        std::string name;
        if (!r.name(name)) {
            return make_error(std::string("bad question name: ") + (r.error() ? r.error() : "?"));
        }
        Question q{*Name::from_wire(name), static_cast<RRType>(r.u16()),
                   static_cast<RRClass>(r.u16())};
        if (!r.ok()) {
            return make_error("question truncated");
        }
        m.questions.push_back(std::move(q));
    }
    const unsigned counts[3] = {header->ancount, header->nscount, header->arcount};
    std::vector<ResourceRecord>* sections[3] = {&m.answers, &m.authority, &m.additional};
    for (int s = 0; s < 3; ++s) {
        for (unsigned i = 0; i < counts[s]; ++i) {
            auto rr = read_record(r);
            if (!rr) {
                return rr.error();
            }
            if (rr->type == RRType::OPT) {
                if (s != 2) {
                    return make_error("OPT record outside the additional section");
                }
                if (m.edns) {
                    return make_error("more than one OPT record");
                }
                auto edns = edns_from_record(*rr);
                if (!edns) {
                    return edns.error();
                }
                m.edns = std::move(*edns);
                continue;
            }
            sections[s]->push_back(std::move(*rr));
        }
    }
    if (r.remaining() > 0) {
        return make_error(std::to_string(r.remaining()) + " bytes after the last record");
    }
    return m;
}

namespace {

std::uint16_t flag_bits(const Header& h) {
    return static_cast<std::uint16_t>(
        (h.qr ? 0x8000 : 0) | (static_cast<unsigned>(h.opcode) & 0x0F) << 11 | (h.aa ? 0x0400 : 0) |
        (h.tc ? 0x0200 : 0) | (h.rd ? 0x0100 : 0) | (h.ra ? 0x80 : 0) | (h.z ? 0x40 : 0) |
        (h.ad ? 0x20 : 0) | (h.cd ? 0x10 : 0) | (h.rcode & 0x0F));
}

}  // namespace

void MessageBuilder::header(const Header& h) {
    w_.u16(h.id);
    w_.u16(flag_bits(h));
    w_.u16(0);
    w_.u16(0);
    w_.u16(0);
    w_.u16(0);
    tc_ = h.tc;
}

void MessageBuilder::rewrite_flags(const Header& h) {
    w_.patch_u16(2, flag_bits(h));
    tc_ = h.tc;
}

bool MessageBuilder::question(std::string_view name_wire, RRType type, RRClass klass) {
    const auto m = w_.mark();
    w_.name(name_wire, true);
    w_.u16(to_int(type));
    w_.u16(to_int(klass));
    if (w_.overflow()) {
        w_.rewind(m);
        return false;
    }
    ++counts_[0];
    return true;
}

void MessageBuilder::reserve_edns(const Edns& edns) {
    edns_ = edns;
    edns_reserved_ = opt_size(edns);
    const std::size_t limit = w_.limit();
    w_.set_limit(limit > edns_reserved_ ? limit - edns_reserved_ : 0);
}

bool MessageBuilder::add(Section section, std::string_view owner_wire, RRType type, RRClass klass,
                         std::uint32_t ttl, std::span<const std::uint8_t> rdata) {
    const auto m = w_.mark();
    w_.name(owner_wire, true);
    w_.u16(to_int(type));
    w_.u16(to_int(klass));
    w_.u32(ttl);
    write_rdata(w_, type, rdata);
    if (w_.overflow()) {
        w_.rewind(m);
        return false;
    }
    ++counts_[1 + static_cast<int>(section)];
    return true;
}

void MessageBuilder::rewind(WireWriter::Mark m, std::uint16_t answers, std::uint16_t authority,
                            std::uint16_t additional) {
    w_.rewind(m);
    counts_[1] = answers;
    counts_[2] = authority;
    counts_[3] = additional;
}

std::uint16_t MessageBuilder::count(Section s) const {
    return counts_[1 + static_cast<int>(s)];
}

std::span<const std::uint8_t> MessageBuilder::finish() {
    if (edns_) {
        w_.set_limit(w_.limit() + edns_reserved_);
        const auto before_opt = w_.mark();
        w_.u8(0);  // root owner
        w_.u16(to_int(RRType::OPT));
        w_.u16(edns_->udp_size);
        w_.u8(edns_->extended_rcode);
        w_.u8(edns_->version);
        w_.u16(
            static_cast<std::uint16_t>((edns_->dnssec_ok ? 0x8000 : 0) | (edns_->flags & 0x7FFF)));
        std::size_t len = 0;
        for (const EdnsOption& o : edns_->options) {
            len += 4 + o.data.size();
        }
        w_.u16(static_cast<std::uint16_t>(len));
        for (const EdnsOption& o : edns_->options) {
            w_.u16(o.code);
            w_.u16(static_cast<std::uint16_t>(o.data.size()));
            w_.bytes(o.data);
        }
        if (w_.overflow()) {
            w_.rewind(before_opt);  // a limit below the header and OPT: leave it out
        } else {
            ++counts_[3];
        }
        edns_.reset();
    }
    if (w_.size() >= kHeaderSize) {
        if (tc_) {
            const auto d = w_.data();
            w_.patch_u16(2, static_cast<std::uint16_t>((d[2] | 0x02) << 8 | d[3]));
        }
        for (int i = 0; i < 4; ++i) {
            w_.patch_u16(4 + 2 * static_cast<std::size_t>(i), counts_[i]);
        }
    }
    return w_.data();
}

Bytes encode_message(const Message& message, std::size_t limit) {
    Bytes buffer(limit);
    MessageBuilder b(buffer, limit);
    Header h = message.header;
    h.rcode = static_cast<std::uint8_t>(static_cast<unsigned>(message.rcode()) & 0x0F);
    b.header(h);
    if (message.edns) {
        Edns e = *message.edns;
        e.extended_rcode = static_cast<std::uint8_t>(static_cast<unsigned>(message.rcode()) >> 4);
        b.reserve_edns(e);
    }
    bool fits = true;
    for (const Question& q : message.questions) {
        fits = fits && b.question(q);
    }
    for (const ResourceRecord& rr : message.answers) {
        fits = fits && b.add(Section::answer, rr);
    }
    for (const ResourceRecord& rr : message.authority) {
        fits = fits && b.add(Section::authority, rr);
    }
    for (const ResourceRecord& rr : message.additional) {
        fits = fits && b.add(Section::additional, rr);
    }
    if (!fits) {
        b.set_tc();
    }
    const auto out = b.finish();
    return Bytes(out.begin(), out.end());
}

}  // namespace l7::dns
