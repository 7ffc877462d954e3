#pragma once
// Dynamic update (RFC 2136), sans-I/O: checks an UPDATE's prerequisites against a zone and
// applies its changes to a copy, which becomes the zone's next version (with its serial
// raised, section 3.6) together with the difference to journal and to send by IXFR.
// Authentication (TSIG) and the journal are the caller's.

#include <memory>
#include <optional>
#include <string>

#include "dns/message.hpp"
#include "dns/zone.hpp"

namespace l7::dns {

struct UpdateOutcome {
    Rcode rcode = Rcode::NOERROR;
    std::shared_ptr<Zone> zone;  // the new version; null when nothing changed or on error
    std::optional<ZoneDiff> diff;
    std::string summary;  // for the log: "2 added, 1 removed, serial 5"
};

// `update` is decoded; its zone section names `zone` (the caller found it).
UpdateOutcome apply_update(const Zone& zone, const Message& update);

}  // namespace l7::dns
