// l7::dns::parse_master and build_zone on arbitrary zone text, with a loader that returns the
// same text for every $INCLUDE (so includes nest to the depth limit). Invariants: every
// problem names a file that was read, records are well formed, each record with typed fields
// prints (format_record) to a line that parses back to an equal record, a built zone holds
// what its checks promise, and the responder answers a few queries for its names.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "dns/master.hpp"
#include "dns/message.hpp"
#include "dns/message_text.hpp"
#include "dns/rdata.hpp"
#include "dns/responder.hpp"
#include "dns/ttl.hpp"
#include "dns/zone.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace l7::dns;

const Name& origin() {
    static const Name n = *Name::parse("example.com.");
    return n;
}

void check_problems(const MasterFile& file) {
    for (const MasterProblem& p : file.problems) {
        L7_FUZZ_CHECK(p.where.file < file.files.size());
        L7_FUZZ_CHECK(!p.message.empty());
    }
}

// The record printed and parsed again (at the root origin: every printed name is absolute).
void check_round_trip(const ResourceRecord& rr) {
    if (!has_rdata_fields(rr.type)) {
        return;
    }
    const std::string line = format_record(rr);
    const MasterFile again = parse_master(line, "reprint", Name());
    if (again.has_errors() || again.records.size() != 1) {
        std::fprintf(stderr, "reprinted: %s\n", line.c_str());
        for (const MasterProblem& p : again.problems) {
            std::fprintf(stderr, "  %s\n", again.describe(p).c_str());
        }
    }
    L7_FUZZ_CHECK(!again.has_errors());
    L7_FUZZ_CHECK(again.records.size() == 1);
    const ResourceRecord& back = again.records[0].rr;
    L7_FUZZ_CHECK(back.owner == rr.owner);
    L7_FUZZ_CHECK(back.type == rr.type);
    L7_FUZZ_CHECK(back.klass == rr.klass);
    L7_FUZZ_CHECK(back.ttl == rr.ttl);
    if (!rdata_equal(rr.type, back.rdata, rr.rdata)) {
        std::fprintf(stderr, "reprinted: %s\n", line.c_str());
    }
    L7_FUZZ_CHECK(rdata_equal(rr.type, back.rdata, rr.rdata));
}

// A few queries for the zone's own names; each must get a well-formed reply.
void check_answers(const std::shared_ptr<Zone>& zone, const MasterFile& file) {
    ZoneSet zones;
    zones.add(zone);
    std::vector<std::uint8_t> out(65535);
    int budget = 4;
    for (const MasterRecord& rec : file.records) {
        if (budget-- == 0) {
            break;
        }
        if (!rec.rr.owner.is_subdomain_of(origin())) {
            continue;
        }
        // The record's own type over UDP (truncation), ANY over TCP (every RRset).
        for (const auto& [type, t] :
             {std::pair{rec.rr.type, Transport::udp}, std::pair{RRType::ANY, Transport::tcp}}) {
            Message q;
            q.header.id = 1;
            q.questions.push_back({rec.rr.owner, type, RRClass::IN});
            const Bytes wire = encode_message(q, 512);
            const std::size_t n = respond(zones, wire, out, t);
            L7_FUZZ_CHECK(n >= kHeaderSize);
            L7_FUZZ_CHECK(t == Transport::tcp || n <= kClassicUdpSize);
            const auto reply = decode_message(std::span(out).first(n));
            L7_FUZZ_CHECK(reply.ok());
            L7_FUZZ_CHECK(reply->header.qr && reply->header.id == 1);
            L7_FUZZ_CHECK(reply->questions.size() == 1);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);
    int loads = 0;
    MasterOptions options;
    options.max_include_depth = 3;
    options.max_records = 5000;
    options.loader = [&](const std::string& path) -> l7::Result<std::string> {
        // Many $INCLUDE lines each nesting to the limit would be exponential: cap the loads.
        if (++loads > 8) {
            return l7::make_error("too many includes: " + path);
        }
        return std::string(text);
    };
    MasterFile file = parse_master(text, "fuzz.zone", origin(), options);
    check_problems(file);
    L7_FUZZ_CHECK(!file.files.empty() && file.files[0] == "fuzz.zone");
    L7_FUZZ_CHECK(file.records.size() <= options.max_records);
    for (const MasterRecord& rec : file.records) {
        const ResourceRecord& rr = rec.rr;
        L7_FUZZ_CHECK(rec.where.file < file.files.size());
        L7_FUZZ_CHECK(rec.where.line >= 1);
        L7_FUZZ_CHECK(Name::from_wire(rr.owner.wire()).ok());
        L7_FUZZ_CHECK(rr.owner.wire_size() <= kMaxNameWire);
        L7_FUZZ_CHECK(rr.klass == RRClass::IN);
        L7_FUZZ_CHECK(rr.ttl <= kMaxTtl);
        L7_FUZZ_CHECK(!is_meta_type(rr.type));
        L7_FUZZ_CHECK(rr.rdata.size() <= 65535);
    }
    // Round trips are costly: the first records are enough to find a printer/parser mismatch.
    for (std::size_t i = 0; i < file.records.size() && i < 32; ++i) {
        check_round_trip(file.records[i].rr);
    }

    const std::size_t parse_problems = file.problems.size();
    const auto zone = build_zone(origin(), file);
    check_problems(file);
    L7_FUZZ_CHECK(file.problems.size() >= parse_problems);
    L7_FUZZ_CHECK((zone == nullptr) == file.has_errors());
    if (zone == nullptr) {
        return 0;
    }
    L7_FUZZ_CHECK(zone->soa() != nullptr && zone->soa()->size() == 1);
    L7_FUZZ_CHECK(zone->apex().find(RRType::NS) != nullptr);
    L7_FUZZ_CHECK(zone->record_count() <= file.records.size());
    std::size_t counted = 0;
    zone->for_each_node([&](std::string_view owner, const Node& node) {
        L7_FUZZ_CHECK(wire_name::is_subdomain(owner, origin().wire()));
        // Every ancestor up to the apex exists (empty non-terminals).
        const std::string_view up = wire_name::parent(owner);
        L7_FUZZ_CHECK(owner.size() == origin().wire_size() || zone->find(up) != nullptr);
        for (const RRset& set : node.rrsets) {
            L7_FUZZ_CHECK(!set.empty());
            counted += set.size();
            if (set.type() == RRType::CNAME) {
                L7_FUZZ_CHECK(set.size() == 1);
            }
        }
    });
    L7_FUZZ_CHECK(counted == zone->record_count());
    for (const MasterRecord& rec : file.records) {
        if (rec.rr.owner.is_subdomain_of(origin())) {
            L7_FUZZ_CHECK(zone->find(rec.rr.owner.wire()) != nullptr);
        }
    }
    check_answers(zone, file);
    return 0;
}
