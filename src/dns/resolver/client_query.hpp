#pragma once
// The recursive service's side of a client's query (sans-I/O): checking what came in and
// writing the answer for it. Resolution itself is Lookup's job; this is the framing around it.

#include <cstdint>
#include <optional>
#include <span>

#include "dns/message.hpp"
#include "dns/responder.hpp"

namespace l7::dns {

struct ClientQuery {
    std::uint16_t id = 0;
    bool rd = false;
    bool cd = false;
    bool edns = false;
    Question question;
    std::size_t reply_limit = kClassicUdpSize;  // the most the reply may take
};

struct QueryCheck {
    std::optional<ClientQuery> query;  // set: resolve it
    Rcode error = Rcode::NOERROR;      // otherwise answer with this rcode...
    bool drop = false;                 // ...or not at all (a response, not a query)
};

// RFC 1035 section 4.1 and RFC 6891 checks on a client's query: FORMERR for what does not
// parse or asks not exactly one question, NOTIMP for opcodes other than QUERY, BADVERS for an
// EDNS version above 0, REFUSED for zone transfers, classes other than IN and queries without
// RD (a recursive service does not let clients snoop its cache). `max_udp` is our own limit.
QueryCheck check_client_query(std::span<const std::uint8_t> wire, Transport transport,
                              std::size_t max_udp);

// Writes the answer: the client's id, RD and CD, RA, the question, the response's answer and
// authority sections, and an OPT record if the client sent one. When it does not fit in
// `query.reply_limit`, the sections are left out and TC is set (RFC 2181 section 9), so the
// client asks again over TCP. Returns the size written.
std::size_t write_response(const ClientQuery& query, const Message& response,
                           std::span<std::uint8_t> out);

// An rcode-only answer to what check_client_query() refused (0: send nothing).
std::size_t write_error(std::span<const std::uint8_t> wire, const QueryCheck& check,
                        std::span<std::uint8_t> out);

}  // namespace l7::dns
