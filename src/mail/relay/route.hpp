#pragma once
// Where mail for a domain goes (RFC 5321 section 5.1), sans-I/O: the answer to the MX
// question in, the hosts to try in order out (or why there are none). The relay looks the
// MX records up, calls route_mail(), then tries each host's addresses in turn.
//
//   MX records         the exchanges by preference (the resolver has ordered them and
//                      shuffled equal ones); an exchange that is one of our own names, and
//                      every exchange not preferred over it, is dropped: mail routed to us is
//                      ours to deliver, and sending it on to a less preferred MX would loop
//                      (5.1: "if it appears in the list, discard it and all less preferred").
//   no MX records      the domain itself is the one host, as an implicit MX of preference 0
//                      (5.1, the A/AAAA fallback).
//   null MX (RFC 7505) the domain takes no mail: permanent, 5.1.10.
//   no such domain     permanent, 5.1.2 ("bad destination system address", RFC 3463).
//   no answer          temporary, 4.4.3 (directory server failure): try again later.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "dns/resolver/ordering.hpp"
#include "dns/resolver/stub_result.hpp"

namespace l7::mail {

struct RelayHost {
    std::string name;  // the exchange (or the domain itself), without the final dot
    std::uint16_t preference = 0;
    friend bool operator==(const RelayHost&, const RelayHost&) = default;
};

struct RouteFailure {
    bool permanent = false;
    std::string status;  // the enhanced status code for the DSN: "5.1.2", "4.4.3"
    std::string text;    // one sentence: "crepes.example: no such domain"
};

// `mx` is the resolver's answer for `domain`; `own_names` are this server's host names
// (compared case-insensitively, trailing dots ignored).
Result<std::vector<RelayHost>, RouteFailure> route_mail(
    std::string_view domain, const dns::StubResult<std::vector<dns::MxTarget>>& mx,
    std::span<const std::string> own_names);

// The domain of a mailbox ("bob@Hamburger.EDU." -> "hamburger.edu"); empty when there is none.
std::string recipient_domain(std::string_view address);

}  // namespace l7::mail
