#pragma once
// The journal of a zone's changes: how an acknowledged dynamic update survives a crash, and
// where IXFR history comes from after a restart.
//
// The file `<zone file>.jnl` is a sequence of entries, each
//   "L7J1" | u32 length | u32 CRC-32 of the payload | payload
// where the payload is one ZoneDiff written as a DNS message (question: the zone's SOA;
// answer: the records removed, old SOA first; authority: the records added, new SOA first),
// so the codec that reads the wire reads the journal. append() returns only after fsync. A
// torn last entry (a crash during the write, before the reply was sent) fails its length or
// CRC check and is ignored on reading.

#include <string>
#include <vector>

#include "core/result.hpp"
#include "dns/zone.hpp"

namespace l7::dns {

Bytes encode_journal_entry(const Name& origin, const ZoneDiff& diff);
Result<ZoneDiff> decode_journal_entry(std::span<const std::uint8_t> payload);

struct JournalContents {
    std::vector<ZoneDiff> entries;
    std::string warning;  // set when a damaged tail was ignored
};

// Reads every whole entry of the journal; a missing file is an empty journal.
Result<JournalContents> read_journal(const std::string& path);
// Appends one entry and fsyncs the file (and its directory when the file is new).
Result<bool> append_journal(const std::string& path, const Name& origin, const ZoneDiff& diff);

}  // namespace l7::dns
