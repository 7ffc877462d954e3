#pragma once
// The resolver's defences against spoofed and poisoned replies (issue 4 point 5; the course's
// cache-poisoning story):
//
//   - 0x20: the letters of the query name get a random case, and a reply must echo the
//     question with exactly that case (draft-vixie-dnsext-dns0x20), adding entropy on top of
//     the random id and source port an off-path attacker must also guess;
//   - a reply counts only when it comes from the server and port asked, with the id and the
//     question sent (RFC 5452 section 9.1);
//   - scrubbing: records the asked server has no authority over (outside its bailiwick), and
//     additional records that no kept record points at, are dropped before anything is cached
//     (RFC 2181 section 5.4.1, RFC 5452 section 6).
//
// Sans-I/O: the caller supplies random bits.

#include <cstdint>
#include <functional>
#include <string>

#include "dns/message.hpp"
#include "dns/name.hpp"

namespace l7::dns {

// `random_bits()` returns 64 random bits; it is called once per 64 letters.
Name randomize_case(const Name& name, const std::function<std::uint64_t()>& random_bits);

// The same name with the same case, byte for byte.
bool same_spelling(const Name& a, const Name& b);

struct SentQuery {
    std::string server;  // ADDR:PORT the query went to
    std::uint16_t id = 0;
    Question question;  // as sent, with its 0x20 case
};

// RFC 5452 section 9.1, plus the 0x20 case check.
bool reply_matches(const SentQuery& sent, const std::string& from, const Message& reply);

// Gives the names of a matched reply back the spelling of `original` where the server copied
// the 0x20 spelling of `sent` (compression points names at the question): owners, questions
// and names inside RDATA, so clients never see the random case.
void restore_case(Message& reply, const Name& sent, const Name& original);

// Keeps only what `zone` (the zone the asked server was chosen for) may speak about, for a
// query about `qname`: answers in bailiwick; NS and SOA in the authority section at or above
// `qname` and in bailiwick; address records in the additional section only for the targets of
// kept NS, MX and SRV records, and in bailiwick. Returns how many records were dropped.
std::size_t scrub(Message& reply, const Name& zone, const Name& qname);

}  // namespace l7::dns
