#pragma once
// DNS messages (RFC 1035 section 4.1) with EDNS(0) (RFC 6891): a decoded form for clients,
// tools and tests, and MessageBuilder, which writes a message section by section into a
// caller's buffer (the server's allocation-free path and every encoder).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "dns/encoding.hpp"
#include "dns/name.hpp"
#include "dns/types.hpp"
#include "dns/wire.hpp"

namespace l7::dns {

inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::size_t kClassicUdpSize = 512;  // without EDNS (RFC 1035 4.2.1)

struct Header {
    std::uint16_t id = 0;
    bool qr = false;
    Opcode opcode = Opcode::QUERY;
    bool aa = false;
    bool tc = false;
    bool rd = false;
    bool ra = false;
    bool z = false;
    bool ad = false;  // RFC 4035 section 3.2.3
    bool cd = false;
    std::uint8_t rcode = 0;  // the header's 4 bits
    std::uint16_t qdcount = 0;
    std::uint16_t ancount = 0;
    std::uint16_t nscount = 0;
    std::uint16_t arcount = 0;
};

// Reads the fixed 12 bytes; nullopt when fewer are given.
std::optional<Header> read_header(std::span<const std::uint8_t> message);

struct Question {
    Name name;
    RRType type = RRType::A;
    RRClass klass = RRClass::IN;
};

struct ResourceRecord {
    Name owner;
    RRType type = RRType::A;
    RRClass klass = RRClass::IN;
    std::uint32_t ttl = 0;
    Bytes rdata;
};

struct EdnsOption {
    std::uint16_t code = 0;
    Bytes data;
};

struct Edns {
    std::uint16_t udp_size = 1232;
    std::uint8_t version = 0;
    std::uint8_t extended_rcode = 0;  // the high 8 bits of the 12-bit rcode
    bool dnssec_ok = false;           // the DO bit (RFC 3225)
    std::uint16_t flags = 0;          // the other 15 flag bits, kept as received
    std::vector<EdnsOption> options;
};

enum class Section { answer, authority, additional };

struct Message {
    Header header;
    std::vector<Question> questions;
    std::vector<ResourceRecord> answers;
    std::vector<ResourceRecord> authority;
    std::vector<ResourceRecord> additional;  // without the OPT record
    std::optional<Edns> edns;

    Rcode rcode() const;  // 12 bits when EDNS is present
    void set_rcode(Rcode rcode);
};

// Decodes a whole message. Fails on truncation, bad names or pointers, RDATA that does not
// match its type, a misplaced or repeated OPT record (RFC 6891 6.1.1), or trailing bytes.
Result<Message> decode_message(std::span<const std::uint8_t> wire);

// Writes a message in order: header, questions, then records section by section. Counts are
// patched in finish(). When a record does not fit under the limit, add() rolls it back and
// returns false; the caller decides whether that means TC (RFC 2181 section 9).
class MessageBuilder {
  public:
    MessageBuilder(std::span<std::uint8_t> buffer, std::size_t limit) : w_(buffer, limit) {}

    void header(const Header& h);
    // Rewrites the flag and rcode bytes of the header already written (a responder knows AA,
    // TC and the rcode only after it has written the sections).
    void rewrite_flags(const Header& h);
    bool question(std::string_view name_wire, RRType type, RRClass klass);
    bool question(const Question& q) { return question(q.name.wire(), q.type, q.klass); }

    // Reserve room for the OPT record (11 bytes + options) so that records added later leave
    // space for it; the OPT record itself is written by finish().
    void reserve_edns(const Edns& edns);

    bool add(Section section, std::string_view owner_wire, RRType type, RRClass klass,
             std::uint32_t ttl, std::span<const std::uint8_t> rdata);
    bool add(Section section, const ResourceRecord& rr) {
        return add(section, rr.owner.wire(), rr.type, rr.klass, rr.ttl, rr.rdata);
    }

    WireWriter::Mark mark() const { return w_.mark(); }
    // Undo every record written after `m`, and their counts.
    void rewind(WireWriter::Mark m, std::uint16_t answers, std::uint16_t authority,
                std::uint16_t additional);
    std::uint16_t count(Section s) const;

    void set_tc() { tc_ = true; }
    // Writes the OPT record if reserved, patches the counts and flags; returns the message.
    std::span<const std::uint8_t> finish();
    WireWriter& writer() { return w_; }

  private:
    WireWriter w_;
    std::uint16_t counts_[4] = {0, 0, 0, 0};  // question, answer, authority, additional
    std::optional<Edns> edns_;
    std::size_t edns_reserved_ = 0;
    bool tc_ = false;
};

// The whole message in one go (tools and tests); `limit` bounds the size.
Bytes encode_message(const Message& message, std::size_t limit = 65535);

}  // namespace l7::dns
