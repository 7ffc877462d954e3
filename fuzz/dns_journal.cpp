// l7::dns journal files from arbitrary bytes: the input is written to a file of this process's
// own and read back with read_journal; the input is also decoded as one entry's payload
// directly (a fuzzer seldom forges a CRC). Invariants: every entry read re-encodes and
// decodes to an equal entry with its serials from its SOAs, and replaying the entries onto a
// small zone, as the server does after a restart, leaves a consistent zone.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "../tests/unit/dns/dns_test_util.hpp"
#include "dns/journal.hpp"
#include "dns/master.hpp"
#include "dns/rdata.hpp"
#include "dns/zone.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace l7::dns;
using test::example_com;

const Zone& zone() {
    static const std::shared_ptr<Zone> z = [] {
        auto built = test::parse_zone(
            "$TTL 300\n"
            "@ SOA ns1 hostmaster 1 7200 3600 1209600 60\n"
            "@ NS ns1\n"
            "ns1 A 192.0.2.1\n"
            "www A 192.0.2.1\n"
            "a.b.c TXT \"deep\"\n");
        L7_FUZZ_CHECK(built.zone != nullptr);
        return built.zone;
    }();
    return *z;
}

const std::string& path() {
    static const std::string p = [] {
        const char* dir = std::getenv("TMPDIR");
        return std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/l7-fuzz-journal-" +
               std::to_string(::getpid()) + ".jnl";
    }();
    return p;
}

bool same_list(const std::vector<ResourceRecord>& a, const std::vector<ResourceRecord>& b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        // Names compare without case: the encoder may compress a name onto another case.
        if (!(a[i].owner == b[i].owner) || a[i].type != b[i].type || a[i].klass != b[i].klass ||
            a[i].ttl != b[i].ttl || !rdata_equal(a[i].type, a[i].rdata, b[i].rdata)) {
            return false;
        }
    }
    return true;
}

void check_entry(const ZoneDiff& d) {
    L7_FUZZ_CHECK(!d.removed.empty() && d.removed.front().type == RRType::SOA);
    L7_FUZZ_CHECK(!d.added.empty() && d.added.front().type == RRType::SOA);
    L7_FUZZ_CHECK(decode_soa(d.removed.front().rdata)->serial == d.from_serial);
    L7_FUZZ_CHECK(decode_soa(d.added.front().rdata)->serial == d.to_serial);
    const auto again = decode_journal_entry(encode_journal_entry(example_com(), d));
    if (!again) {
        std::fprintf(stderr, "re-decode: %s\n", again.error().message.c_str());
    }
    L7_FUZZ_CHECK(again.ok());
    L7_FUZZ_CHECK(again->from_serial == d.from_serial);
    L7_FUZZ_CHECK(again->to_serial == d.to_serial);
    L7_FUZZ_CHECK(same_list(again->removed, d.removed));
    L7_FUZZ_CHECK(same_list(again->added, d.added));
}

void check_zone(const Zone& z) {
    std::size_t counted = 0;
    z.for_each_node([&](std::string_view owner, const Node& node) {
        L7_FUZZ_CHECK(wire_name::is_subdomain(owner, example_com().wire()));
        const std::string_view up = wire_name::parent(owner);
        L7_FUZZ_CHECK(owner.size() == example_com().wire_size() || z.find(up) != nullptr);
        for (const RRset& set : node.rrsets) {
            L7_FUZZ_CHECK(!set.empty());
            counted += set.size();
        }
    });
    L7_FUZZ_CHECK(counted == z.record_count());
    (void)z.records();
}

// As ZoneStore::replay_journal: entries from the zone's serial on, each applied to a copy.
void replay(const std::vector<ZoneDiff>& entries) {
    Zone z = zone();
    for (const ZoneDiff& d : entries) {
        if (d.from_serial != z.serial()) {
            continue;
        }
        Zone next = z;
        if (!next.apply(d)) {
            check_zone(next);  // a failed apply leaves a partly changed copy: still consistent
            break;
        }
        check_zone(next);
        z = std::move(next);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input(data, size);
    if (auto direct = decode_journal_entry(input)) {
        check_entry(*direct);
        replay({*direct});
    }

    std::FILE* f = std::fopen(path().c_str(), "wb");
    L7_FUZZ_CHECK(f != nullptr);
    L7_FUZZ_CHECK(size == 0 || std::fwrite(data, 1, size, f) == size);
    L7_FUZZ_CHECK(std::fclose(f) == 0);
    const auto journal = read_journal(path());
    std::remove(path().c_str());
    if (!journal) {
        L7_FUZZ_CHECK(!journal.error().message.empty());
        return 0;
    }
    // Each entry takes at least its 12-byte header and a 12-byte message.
    L7_FUZZ_CHECK(journal->entries.size() * 24 <= size);
    for (const ZoneDiff& d : journal->entries) {
        check_entry(d);
    }
    replay(journal->entries);
    return 0;
}
