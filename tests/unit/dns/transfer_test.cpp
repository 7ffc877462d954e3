#include "dns/transfer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dns/master.hpp"
#include "dns/rdata.hpp"
#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using namespace test;

const Name kOrigin = name("example.com.");

std::string zone_text(std::uint32_t serial, const std::string& body) {
    return "$TTL 300\n@ SOA ns1 hostmaster " + std::to_string(serial) +
           " 7200 3600 1209600 60\n@ NS ns1\nns1 A 192.0.2.1\n" + body;
}

const std::string kBody10 =
    "www A 192.0.2.10\n"
    "www A 192.0.2.11\n"
    "mail A 192.0.2.25\n"
    "@ MX 10 mail\n"
    "txt TXT \"hello\" \"world\"\n"
    "a.b.c AAAA 2001:db8::1\n";

std::uint32_t serial_of(const ResourceRecord& rr) {
    EXPECT_EQ(rr.type, RRType::SOA);
    auto soa = decode_soa(rr.rdata);
    return soa ? soa->serial : 0;
}

Bytes axfr_query(std::uint16_t id) {
    Message q;
    q.header.id = id;
    q.questions.push_back({kOrigin, RRType::AXFR, RRClass::IN});
    return encode_message(q);
}

Bytes ixfr_query(std::uint16_t id, std::uint32_t serial) {
    Message q;
    q.header.id = id;
    q.questions.push_back({kOrigin, RRType::IXFR, RRClass::IN});
    q.authority.push_back({kOrigin, RRType::SOA, RRClass::IN, 0, soa_rdata(serial)});
    return encode_message(q);
}

TransferQuery parse(const Bytes& wire) {
    auto q = parse_transfer_query(wire);
    EXPECT_TRUE(q);
    return q ? *q : TransferQuery{};
}

struct Stream {
    std::vector<Message> messages;
    std::vector<std::size_t> sizes;
    std::vector<ResourceRecord> answers;  // every message's, in order
    std::size_t records_sent = 0;
    bool incremental = false;
};

Stream run(std::shared_ptr<const Zone> zone, const TransferQuery& query,
           std::size_t buffer_size = 65535) {
    Stream s;
    OutgoingTransfer t(std::move(zone), query);
    s.incremental = t.incremental();
    std::vector<std::uint8_t> buffer(buffer_size);
    for (int guard = 0; guard < 100000; ++guard) {
        const std::size_t n = t.next(buffer);
        if (n == 0) {
            break;
        }
        s.sizes.push_back(n);
        auto m = decode_message(std::span(buffer).first(n));
        EXPECT_TRUE(m) << m.error().message;
        if (!m) {
            break;
        }
        s.answers.insert(s.answers.end(), m->answers.begin(), m->answers.end());
        s.messages.push_back(std::move(*m));
    }
    EXPECT_EQ(t.next(buffer), 0u);  // and it stays complete
    s.records_sent = t.records_sent();
    return s;
}

// Feeds every message; the status after the last one.
IncomingTransfer::Status feed_all(IncomingTransfer& in, const Stream& s) {
    auto status = IncomingTransfer::Status::need_more;
    for (std::size_t i = 0; i < s.messages.size(); ++i) {
        status = in.feed(s.messages[i]);
        if (status != IncomingTransfer::Status::need_more) {
            EXPECT_EQ(i + 1, s.messages.size()) << "ended before the last message";
            break;
        }
    }
    return status;
}

// ---- parse_transfer_query ----

TEST(TransferQuery, Axfr) {
    const auto q = parse_transfer_query(axfr_query(77));
    ASSERT_TRUE(q);
    EXPECT_EQ(q->id, 77);
    EXPECT_EQ(q->question.name, kOrigin);
    EXPECT_EQ(q->question.type, RRType::AXFR);
    EXPECT_FALSE(q->client_serial);
}

TEST(TransferQuery, IxfrCarriesTheClientSerial) {
    const auto q = parse_transfer_query(ixfr_query(78, 4000000000u));
    ASSERT_TRUE(q);
    EXPECT_EQ(q->question.type, RRType::IXFR);
    ASSERT_TRUE(q->client_serial);
    EXPECT_EQ(*q->client_serial, 4000000000u);
}

TEST(TransferQuery, Rejects) {
    // IXFR without the authority SOA (RFC 1995 section 3), or with something else there.
    Message q;
    q.questions.push_back({kOrigin, RRType::IXFR, RRClass::IN});
    EXPECT_FALSE(parse_transfer_query(encode_message(q)));
    q.authority.push_back({kOrigin, RRType::A, RRClass::IN, 0, {192, 0, 2, 1}});
    EXPECT_FALSE(parse_transfer_query(encode_message(q)));
    // Not a transfer: another type, a response, another opcode, two questions, garbage.
    Message a;
    a.questions.push_back({kOrigin, RRType::SOA, RRClass::IN});
    EXPECT_FALSE(parse_transfer_query(encode_message(a)));
    Message r = *decode_message(axfr_query(1));
    r.header.qr = true;
    EXPECT_FALSE(parse_transfer_query(encode_message(r)));
    r.header.qr = false;
    r.header.opcode = Opcode::NOTIFY;
    EXPECT_FALSE(parse_transfer_query(encode_message(r)));
    r.header.opcode = Opcode::QUERY;
    r.questions.push_back(r.questions[0]);
    EXPECT_FALSE(parse_transfer_query(encode_message(r)));
    Bytes cut = axfr_query(1);
    cut.resize(cut.size() - 2);
    EXPECT_FALSE(parse_transfer_query(cut));
}

// ---- AXFR out ----

TEST(OutgoingAxfr, SoaFirstAndLastEveryRecordOnce) {
    auto zone = make_zone(zone_text(10, kBody10));
    const Stream s = run(zone, parse(axfr_query(0x1111)));
    EXPECT_FALSE(s.incremental);
    ASSERT_EQ(s.messages.size(), 1u);
    const Message& m = s.messages[0];
    EXPECT_EQ(m.header.id, 0x1111);
    EXPECT_TRUE(m.header.qr);
    EXPECT_TRUE(m.header.aa);
    EXPECT_EQ(m.rcode(), Rcode::NOERROR);
    ASSERT_EQ(m.questions.size(), 1u);
    EXPECT_EQ(m.questions[0].type, RRType::AXFR);
    EXPECT_TRUE(m.authority.empty());

    ASSERT_EQ(s.answers.size(), zone->record_count() + 1);
    EXPECT_EQ(s.records_sent, s.answers.size());
    EXPECT_EQ(s.answers.front().type, RRType::SOA);
    EXPECT_EQ(s.answers.back().type, RRType::SOA);
    EXPECT_EQ(serial_of(s.answers.front()), 10u);
    EXPECT_EQ(serial_of(s.answers.back()), 10u);
    // Between the SOAs: every other record exactly once (a sorted list keeps duplicates).
    const std::vector<ResourceRecord> middle(s.answers.begin() + 1, s.answers.end() - 1);
    for (const ResourceRecord& rr : middle) {
        EXPECT_NE(rr.type, RRType::SOA);
    }
    auto expected = zone->records();
    expected.erase(expected.begin());  // the SOA
    EXPECT_EQ(record_keys(middle), record_keys(expected));
}

TEST(OutgoingAxfr, ALargeZoneIsSplitAndReadsBack) {
    std::string body;
    const std::string filler(100, 'x');
    for (int i = 0; i < 5000; ++i) {
        body += "host" + std::to_string(i) + " TXT \"" + std::to_string(i) + filler + "\"\n";
    }
    auto zone = make_zone(zone_text(42, body));
    ASSERT_EQ(zone->record_count(), 5003u);
    // A buffer larger than the limit: messages still stop at 65535 bytes.
    const Stream s = run(zone, parse(axfr_query(9)), 100000);
    EXPECT_GE(s.messages.size(), 5u);
    for (std::size_t i = 0; i < s.messages.size(); ++i) {
        EXPECT_LE(s.sizes[i], 65535u);
        EXPECT_GT(s.sizes[i], kHeaderSize);
        EXPECT_EQ(s.messages[i].header.id, 9);
        EXPECT_TRUE(s.messages[i].header.aa);
        // The question only in the first message (RFC 5936 section 2.2.1).
        EXPECT_EQ(s.messages[i].questions.size(), i == 0 ? 1u : 0u) << "message " << i;
        EXPECT_FALSE(s.messages[i].answers.empty());
    }
    // Every message but the last is nearly full: the packing wastes less than one record.
    for (std::size_t i = 0; i + 1 < s.messages.size(); ++i) {
        EXPECT_GT(s.sizes[i], 65535u - 200) << "message " << i;
    }
    ASSERT_EQ(s.answers.size(), 5004u);
    EXPECT_EQ(s.records_sent, 5004u);

    IncomingTransfer in(kOrigin, std::nullopt);
    ASSERT_EQ(feed_all(in, s), IncomingTransfer::Status::done) << in.error();
    EXPECT_FALSE(in.is_incremental());
    EXPECT_FALSE(in.up_to_date());
    EXPECT_EQ(in.new_serial(), 42u);
    ASSERT_EQ(in.records().size(), 5003u);
    EXPECT_EQ(in.records().front().type, RRType::SOA);
    EXPECT_EQ(record_keys(in.records()), record_keys(*zone));
}

TEST(OutgoingAxfr, SmallBuffersGiveMoreMessages) {
    auto zone = make_zone(zone_text(10, kBody10));
    const Stream s = run(zone, parse(axfr_query(1)), 100);
    EXPECT_GT(s.messages.size(), 3u);
    for (std::size_t n : s.sizes) {
        EXPECT_LE(n, 100u);
    }
    IncomingTransfer in(kOrigin, std::nullopt);
    ASSERT_EQ(feed_all(in, s), IncomingTransfer::Status::done) << in.error();
    EXPECT_EQ(record_keys(in.records()), record_keys(*zone));
}

// ---- IXFR out ----

struct History {
    std::shared_ptr<Zone> v10, v11, v12;
    ZoneDiff d1, d2;
};

History make_history() {
    History h;
    h.v10 = make_zone(zone_text(10, kBody10));
    h.v11 = make_zone(zone_text(11,
                                "www A 192.0.2.10\n"
                                "www A 192.0.2.12\n"  // .11 -> .12
                                "mail A 192.0.2.25\n"
                                "@ MX 10 mail\n"
                                "txt TXT \"hello\" \"world\"\n"
                                "a.b.c AAAA 2001:db8::1\n"
                                "new A 192.0.2.99\n"));
    h.v12 = make_zone(zone_text(12,
                                "www A 192.0.2.10\n"
                                "www A 192.0.2.12\n"
                                "mail A 192.0.2.25\n"
                                "@ MX 10 mail\n"
                                "txt TXT \"changed\"\n"
                                "new A 192.0.2.99\n"));
    h.d1 = diff_zones(*h.v10, *h.v11);
    h.d2 = diff_zones(*h.v11, *h.v12);
    h.v12->set_history(std::make_shared<const std::vector<ZoneDiff>>(std::vector{h.d1, h.d2}));
    return h;
}

TEST(OutgoingIxfr, UpToDateClientGetsOneSoa) {
    const History h = make_history();
    for (std::uint32_t have : {12u, 13u}) {  // the same serial, or one we never had
        const Stream s = run(h.v12, parse(ixfr_query(5, have)));
        EXPECT_TRUE(s.incremental);
        ASSERT_EQ(s.messages.size(), 1u);
        ASSERT_EQ(s.answers.size(), 1u);
        EXPECT_EQ(serial_of(s.answers[0]), 12u);
        EXPECT_EQ(s.messages[0].questions.size(), 1u);

        IncomingTransfer in(kOrigin, have);
        EXPECT_EQ(in.feed(s.messages[0]), IncomingTransfer::Status::done);
        EXPECT_TRUE(in.up_to_date());
    }
}

TEST(OutgoingIxfr, TwoChangesBehindGetsTheRfc1995Layout) {
    const History h = make_history();
    const Stream s = run(h.v12, parse(ixfr_query(6, 10)));
    EXPECT_TRUE(s.incremental);
    // current SOA, (old SOA, deletions, new SOA, additions) for each change, current SOA.
    std::vector<ResourceRecord> expected{h.v12->records().front()};
    for (const ZoneDiff* d : {&h.d1, &h.d2}) {
        expected.insert(expected.end(), d->removed.begin(), d->removed.end());
        expected.insert(expected.end(), d->added.begin(), d->added.end());
    }
    expected.push_back(h.v12->records().front());
    ASSERT_EQ(s.answers.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(record_key(s.answers[i]), record_key(expected[i])) << "record " << i;
    }
    // The SOAs where RFC 1995 puts them.
    const auto& a = s.answers;
    EXPECT_EQ(serial_of(a[0]), 12u);
    EXPECT_EQ(serial_of(a[1]), 10u);
    EXPECT_EQ(serial_of(a[h.d1.removed.size() + 1]), 11u);
    EXPECT_EQ(serial_of(a[h.d1.removed.size() + h.d1.added.size() + 1]), 11u);
    EXPECT_EQ(serial_of(a.back()), 12u);
    EXPECT_EQ(record_key(a[2]), "www.example.com. A 300 192.0.2.11");

    IncomingTransfer in(kOrigin, 10u);
    ASSERT_EQ(feed_all(in, s), IncomingTransfer::Status::done) << in.error();
    EXPECT_TRUE(in.is_incremental());
    EXPECT_FALSE(in.up_to_date());
    EXPECT_EQ(in.new_serial(), 12u);
    ASSERT_EQ(in.diffs().size(), 2u);
    EXPECT_EQ(in.diffs()[0].from_serial, 10u);
    EXPECT_EQ(in.diffs()[0].to_serial, 11u);
    EXPECT_EQ(in.diffs()[1].from_serial, 11u);
    EXPECT_EQ(in.diffs()[1].to_serial, 12u);
    Zone replay = *h.v10;
    for (const ZoneDiff& d : in.diffs()) {
        auto ok = replay.apply(d);
        ASSERT_TRUE(ok) << ok.error().message;
    }
    EXPECT_EQ(record_keys(replay), record_keys(*h.v12));
}

TEST(OutgoingIxfr, OneChangeBehind) {
    const History h = make_history();
    const Stream s = run(h.v12, parse(ixfr_query(6, 11)));
    EXPECT_TRUE(s.incremental);
    EXPECT_EQ(s.answers.size(), 2 + h.d2.removed.size() + h.d2.added.size());
    IncomingTransfer in(kOrigin, 11u);
    ASSERT_EQ(feed_all(in, s), IncomingTransfer::Status::done) << in.error();
    ASSERT_EQ(in.diffs().size(), 1u);
    Zone replay = *h.v11;
    ASSERT_TRUE(replay.apply(in.diffs()[0]));
    EXPECT_EQ(record_keys(replay), record_keys(*h.v12));
}

TEST(OutgoingIxfr, AGapInTheHistoryGivesTheWholeZone) {
    const History h = make_history();
    for (std::uint32_t have : {9u, 5u}) {
        const Stream s = run(h.v12, parse(ixfr_query(6, have)));
        EXPECT_FALSE(s.incremental);
        ASSERT_EQ(s.answers.size(), h.v12->record_count() + 1);
        EXPECT_EQ(serial_of(s.answers.front()), 12u);
        EXPECT_EQ(serial_of(s.answers.back()), 12u);
        EXPECT_EQ(s.messages[0].questions[0].type, RRType::IXFR);

        IncomingTransfer in(kOrigin, have);
        ASSERT_EQ(feed_all(in, s), IncomingTransfer::Status::done) << in.error();
        EXPECT_FALSE(in.is_incremental());
        EXPECT_EQ(record_keys(in.records()), record_keys(*h.v12));
    }
    // A history with a hole in the middle: d2 alone does not reach back to 10.
    auto gap = make_history();
    gap.v12->set_history(std::make_shared<const std::vector<ZoneDiff>>(std::vector{gap.d2}));
    const Stream s = run(gap.v12, parse(ixfr_query(6, 10)));
    EXPECT_FALSE(s.incremental);
    EXPECT_EQ(s.answers.size(), gap.v12->record_count() + 1);
}

// ---- IncomingTransfer's checks ----

Message reply(std::vector<ResourceRecord> answers) {
    Message m;
    m.header.id = 1;
    m.header.qr = true;
    m.header.aa = true;
    m.questions.push_back({kOrigin, RRType::AXFR, RRClass::IN});
    m.answers = std::move(answers);
    return m;
}

TEST(IncomingTransfer, AxfrAcrossMessages) {
    IncomingTransfer in(kOrigin, std::nullopt);
    EXPECT_EQ(in.feed(reply({soa_record(3), a_record("a.example.com.", 1)})),
              IncomingTransfer::Status::need_more);
    Message second = reply({a_record("b.example.com.", 2), soa_record(3)});
    second.questions.clear();
    EXPECT_EQ(in.feed(second), IncomingTransfer::Status::done);
    EXPECT_EQ(in.records().size(), 3u);
    EXPECT_EQ(in.new_serial(), 3u);
}

TEST(IncomingTransfer, AnSoaOnlyZone) {
    IncomingTransfer in(kOrigin, std::nullopt);
    EXPECT_EQ(in.feed(reply({soa_record(3), soa_record(3)})), IncomingTransfer::Status::done);
    EXPECT_FALSE(in.is_incremental());
    EXPECT_EQ(in.records().size(), 1u);
}

TEST(IncomingTransfer, RejectsAStreamNotStartingWithTheZonesSoa) {
    IncomingTransfer first_a(kOrigin, std::nullopt);
    EXPECT_EQ(first_a.feed(reply({a_record("a.example.com.", 1), soa_record(3)})),
              IncomingTransfer::Status::failed);
    EXPECT_NE(first_a.error().find("SOA"), std::string::npos);
    IncomingTransfer other_zone(kOrigin, std::nullopt);
    EXPECT_EQ(other_zone.feed(reply({soa_record(3, name("example.net.")), soa_record(3)})),
              IncomingTransfer::Status::failed);
}

TEST(IncomingTransfer, RejectsANonAuthoritativeFirstReply) {
    IncomingTransfer in(kOrigin, std::nullopt);
    Message m = reply({soa_record(3), soa_record(3)});
    m.header.aa = false;
    EXPECT_EQ(in.feed(m), IncomingTransfer::Status::failed);
    EXPECT_NE(in.error().find("authoritative"), std::string::npos);
}

TEST(IncomingTransfer, RejectsAnErrorRcode) {
    for (Rcode rc : {Rcode::NOTAUTH, Rcode::REFUSED, Rcode::SERVFAIL, Rcode::NOTIMP}) {
        IncomingTransfer in(kOrigin, std::nullopt);
        Message m = reply({});
        m.set_rcode(rc);
        EXPECT_EQ(in.feed(m), IncomingTransfer::Status::failed);
        EXPECT_NE(in.error().find(rcode_to_text(rc)), std::string::npos) << in.error();
    }
    // Also in the middle of a stream.
    IncomingTransfer in(kOrigin, std::nullopt);
    EXPECT_EQ(in.feed(reply({soa_record(3), a_record("a.example.com.", 1)})),
              IncomingTransfer::Status::need_more);
    Message m = reply({});
    m.set_rcode(Rcode::SERVFAIL);
    EXPECT_EQ(in.feed(m), IncomingTransfer::Status::failed);
}

TEST(IncomingTransfer, RejectsASecondDifferentSoaInAnAxfr) {
    IncomingTransfer in(kOrigin, std::nullopt);
    EXPECT_EQ(in.feed(reply({soa_record(3), a_record("a.example.com.", 1), soa_record(4)})),
              IncomingTransfer::Status::failed);
}

TEST(IncomingTransfer, DetectsIncrementalAndAxfrStyle) {
    // Incremental: an old SOA right after the first.
    IncomingTransfer ixfr(kOrigin, 1u);
    EXPECT_EQ(ixfr.feed(reply({soa_record(2), soa_record(1), a_record("old.example.com.", 1),
                               soa_record(2), a_record("new.example.com.", 2), soa_record(2)})),
              IncomingTransfer::Status::done);
    EXPECT_TRUE(ixfr.is_incremental());
    ASSERT_EQ(ixfr.diffs().size(), 1u);
    EXPECT_EQ(ixfr.diffs()[0].from_serial, 1u);
    EXPECT_EQ(ixfr.diffs()[0].to_serial, 2u);
    EXPECT_EQ(ixfr.diffs()[0].removed.size(), 2u);
    EXPECT_EQ(ixfr.diffs()[0].added.size(), 2u);
    // AXFR-style: a non-SOA record right after the first.
    IncomingTransfer axfr(kOrigin, 1u);
    EXPECT_EQ(axfr.feed(reply({soa_record(2), a_record("a.example.com.", 1), soa_record(2)})),
              IncomingTransfer::Status::done);
    EXPECT_FALSE(axfr.is_incremental());
    EXPECT_FALSE(axfr.up_to_date());
    EXPECT_EQ(axfr.records().size(), 2u);
    // Up to date: one SOA with our serial.
    IncomingTransfer same(kOrigin, 2u);
    EXPECT_EQ(same.feed(reply({soa_record(2)})), IncomingTransfer::Status::done);
    EXPECT_TRUE(same.up_to_date());
}

}  // namespace
}  // namespace l7::dns
