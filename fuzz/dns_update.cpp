// l7::dns dynamic update from arbitrary bytes, as the update service sees a datagram: TSIG
// verification with a fixed key and clock, then decoding, then apply_update against a small
// fixed zone. Invariants: a verified signature names its key; signing the message (when it
// decodes) gives one that verifies; when the update yields a new zone, its serial moved, the
// diff runs from the old serial to the new one with the SOAs first, the old zone with the
// diff applied holds exactly the new zone's records, the new zone keeps one SOA, its apex NS
// and CNAME exclusivity, and the diff survives the journal's encoding.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../tests/unit/dns/dns_test_util.hpp"
#include "dns/journal.hpp"
#include "dns/master.hpp"
#include "dns/message.hpp"
#include "dns/rdata.hpp"
#include "dns/tsig.hpp"
#include "dns/update.hpp"
#include "dns/zone.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace l7::dns;
using test::example_com;

constexpr std::uint64_t kNow = 1700000000;  // the time the dnspython seeds were signed

const TsigKeyring& keyring() {
    static const TsigKeyring ring = [] {
        TsigKeyring r;
        // The key of tests/unit/dns/tsig_test.cpp, which signed the dnspython seeds.
        r.add(*parse_tsig_key(std::string("hmac-sha256:tsig-key.:") + test::kTsigSecret));
        return r;
    }();
    return ring;
}

const Zone& zone() {
    static const std::shared_ptr<Zone> z = [] {
        // The update tests' zone, with more types and a delegation for updates to meet.
        auto built = test::parse_zone(std::string(test::kUpdateZone) +
                                      "www AAAA 2001:db8::10\n"
                                      "old A 192.0.2.99\n"
                                      "txt TXT \"hello\"\n"
                                      "sub NS ns.sub\n"
                                      "ns.sub A 192.0.2.53\n");
        L7_FUZZ_CHECK(built.zone != nullptr);
        return built.zone;
    }();
    return *z;
}

bool holds(const Zone& z, const ResourceRecord& rr) {
    const Node* node = z.find(rr.owner.wire());
    const RRset* set = node ? node->find(rr.type) : nullptr;
    return set != nullptr && set->ttl() == rr.ttl && set->contains(rr.rdata);
}

// The same records: as many, and each of one in the other (RRsets hold no duplicates).
bool same_records(const Zone& a, const Zone& b) {
    if (a.record_count() != b.record_count()) {
        return false;
    }
    for (const ResourceRecord& rr : b.records()) {
        if (!holds(a, rr)) {
            return false;
        }
    }
    return true;
}

void check_tsig(std::span<const std::uint8_t> wire) {
    const TsigCheck check = tsig_verify(wire, keyring(), kNow);
    if (!check.present) {
        return;
    }
    L7_FUZZ_CHECK(check.unsigned_size >= kHeaderSize && check.unsigned_size < wire.size());
    if (check.rcode == Rcode::NOERROR) {
        L7_FUZZ_CHECK(check.key != nullptr);
        L7_FUZZ_CHECK(check.error == Rcode::NOERROR);
    } else {
        L7_FUZZ_CHECK(check.rcode == Rcode::FORMERR || check.rcode == Rcode::NOTAUTH);
    }
    if (check.error == Rcode::BADKEY) {
        L7_FUZZ_CHECK(check.key == nullptr);
    }
}

void check_signing(std::span<const std::uint8_t> wire, const Message& m) {
    if (m.header.arcount == 0xFFFF) {
        return;
    }
    const TsigKey& key = *keyring().find(*Name::parse("tsig-key."));
    Bytes mac;
    auto signed_wire = tsig_sign(wire, key, kNow + 5, {}, 0, {}, &mac);
    L7_FUZZ_CHECK(signed_wire.ok());
    const TsigCheck check = tsig_verify(*signed_wire, keyring(), kNow);
    L7_FUZZ_CHECK(check.present);
    L7_FUZZ_CHECK(check.rcode == Rcode::NOERROR);
    L7_FUZZ_CHECK(check.unsigned_size == wire.size());
    L7_FUZZ_CHECK(check.mac == mac);
}

void check_new_zone(const Zone& old_zone, const UpdateOutcome& out) {
    const Zone& next = *out.zone;
    L7_FUZZ_CHECK(out.diff.has_value());
    const ZoneDiff& diff = *out.diff;
    L7_FUZZ_CHECK(next.serial() != old_zone.serial());
    L7_FUZZ_CHECK(diff.from_serial == old_zone.serial());
    L7_FUZZ_CHECK(diff.to_serial == next.serial());
    L7_FUZZ_CHECK(!diff.removed.empty() && diff.removed.front().type == RRType::SOA);
    L7_FUZZ_CHECK(!diff.added.empty() && diff.added.front().type == RRType::SOA);

    Zone replay = old_zone;
    const auto applied = replay.apply(diff);
    if (!applied) {
        std::fprintf(stderr, "apply: %s\n", applied.error().message.c_str());
    }
    L7_FUZZ_CHECK(applied.ok());
    L7_FUZZ_CHECK(same_records(replay, next));
    L7_FUZZ_CHECK(replay.serial() == next.serial());

    L7_FUZZ_CHECK(next.soa() != nullptr && next.soa()->size() == 1);
    L7_FUZZ_CHECK(next.apex().find(RRType::NS) != nullptr);
    std::size_t counted = 0;
    next.for_each_node([&](std::string_view owner, const Node& node) {
        L7_FUZZ_CHECK(wire_name::is_subdomain(owner, example_com().wire()));
        const std::string_view up = wire_name::parent(owner);
        L7_FUZZ_CHECK(owner.size() == example_com().wire_size() || next.find(up) != nullptr);
        for (const RRset& set : node.rrsets) {
            L7_FUZZ_CHECK(!set.empty());
            counted += set.size();
            if (set.type() == RRType::CNAME) {
                L7_FUZZ_CHECK(set.size() == 1);
            }
            if (node.find(RRType::CNAME) != nullptr) {
                L7_FUZZ_CHECK(set.type() == RRType::CNAME || set.type() == RRType::RRSIG ||
                              set.type() == RRType::NSEC);
            }
        }
    });
    L7_FUZZ_CHECK(counted == next.record_count());

    // What the journal keeps reads back as the same change.
    const auto entry = decode_journal_entry(encode_journal_entry(example_com(), diff));
    L7_FUZZ_CHECK(entry.ok());
    L7_FUZZ_CHECK(entry->from_serial == diff.from_serial && entry->to_serial == diff.to_serial);
    L7_FUZZ_CHECK(entry->removed.size() == diff.removed.size());
    L7_FUZZ_CHECK(entry->added.size() == diff.added.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> wire(data, size);
    check_tsig(wire);
    auto message = decode_message(wire);
    if (!message) {
        return 0;
    }
    check_signing(wire, *message);
    // The update service finds the zone by the zone section's name.
    if (message->questions.size() != 1 || !(message->questions[0].name == example_com())) {
        return 0;
    }
    const Zone& old_zone = zone();
    const std::uint32_t old_serial = old_zone.serial();
    const std::size_t old_count = old_zone.record_count();
    const UpdateOutcome out = apply_update(old_zone, *message);
    L7_FUZZ_CHECK(old_zone.serial() == old_serial && old_zone.record_count() == old_count);
    if (out.rcode != Rcode::NOERROR) {
        L7_FUZZ_CHECK(out.zone == nullptr && !out.diff);
        return 0;
    }
    if (out.zone == nullptr) {
        L7_FUZZ_CHECK(!out.diff);
        return 0;
    }
    check_new_zone(old_zone, out);
    return 0;
}
