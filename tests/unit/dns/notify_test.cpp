#include "dns/notify.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "dns/rdata.hpp"
#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using namespace test;

const Name kZone = name("example.com.");

TEST(Notify, RoundTrip) {
    const Bytes wire = make_notify(kZone, 0xBEEF, soa_rdata(2024010101), 300);
    const auto h = read_header(wire);
    ASSERT_TRUE(h);
    EXPECT_FALSE(h->qr);
    EXPECT_TRUE(h->aa);  // RFC 1996 section 3.7
    EXPECT_EQ(h->opcode, Opcode::NOTIFY);
    EXPECT_EQ(h->ancount, 1u);

    const auto n = parse_notify(wire);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->id, 0xBEEF);
    EXPECT_EQ(n->question.name, kZone);
    EXPECT_EQ(n->question.type, RRType::SOA);
    EXPECT_EQ(n->question.klass, RRClass::IN);
    ASSERT_TRUE(n->serial);
    EXPECT_EQ(*n->serial, 2024010101u);
}

TEST(Notify, WithoutSoaHasNoSerial) {
    const Bytes wire = make_notify(kZone, 9, {}, 0);
    EXPECT_EQ(read_header(wire)->ancount, 0u);
    const auto n = parse_notify(wire);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->id, 9);
    EXPECT_FALSE(n->serial);
}

TEST(Notify, AnSoaOfAnotherNameIsNotTheSerial) {
    Message m;
    m.header.id = 3;
    m.header.opcode = Opcode::NOTIFY;
    m.questions.push_back({kZone, RRType::SOA, RRClass::IN});
    m.answers.push_back({name("other.example."), RRType::SOA, RRClass::IN, 300, soa_rdata(5)});
    const auto n = parse_notify(encode_message(m));
    ASSERT_TRUE(n);
    EXPECT_FALSE(n->serial);
}

TEST(Notify, ParseRejectsOtherMessages) {
    Bytes wire = make_notify(kZone, 1, soa_rdata(1), 300);
    // A query, a response, no question, garbage.
    Message m = *decode_message(wire);
    m.header.opcode = Opcode::QUERY;
    EXPECT_FALSE(parse_notify(encode_message(m)));
    m.header.opcode = Opcode::NOTIFY;
    m.header.qr = true;
    EXPECT_FALSE(parse_notify(encode_message(m)));
    m.header.qr = false;
    m.questions.clear();
    EXPECT_FALSE(parse_notify(encode_message(m)));
    wire.resize(wire.size() - 3);
    EXPECT_FALSE(parse_notify(wire));
    EXPECT_FALSE(parse_notify({}));
}

TEST(Notify, Response) {
    const auto n = parse_notify(make_notify(kZone, 0x4242, soa_rdata(7), 300));
    ASSERT_TRUE(n);
    std::vector<std::uint8_t> out(512);
    const std::size_t size = notify_response(*n, Rcode::NOERROR, out);
    ASSERT_GE(size, kHeaderSize);
    const auto reply = decode_message(std::span(out).first(size));
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->header.id, 0x4242);
    EXPECT_TRUE(reply->header.qr);
    EXPECT_TRUE(reply->header.aa);
    EXPECT_EQ(reply->header.opcode, Opcode::NOTIFY);
    EXPECT_EQ(reply->rcode(), Rcode::NOERROR);
    ASSERT_EQ(reply->questions.size(), 1u);
    EXPECT_EQ(reply->questions[0].name, kZone);
    EXPECT_EQ(reply->questions[0].type, RRType::SOA);
    EXPECT_TRUE(reply->answers.empty());
    EXPECT_TRUE(is_notify_ack(std::span(out).first(size), 0x4242, kZone));

    // A refusal: the rcode, and no AA.
    const std::size_t refused = notify_response(*n, Rcode::NOTAUTH, out);
    const auto r = decode_message(std::span(out).first(refused));
    ASSERT_TRUE(r);
    EXPECT_EQ(rcode_to_text(r->rcode()), "NOTAUTH");
    EXPECT_FALSE(r->header.aa);
    EXPECT_TRUE(r->header.qr);
    EXPECT_EQ(r->header.opcode, Opcode::NOTIFY);
}

TEST(Notify, IsNotifyAck) {
    auto ack = [](std::uint16_t id, const Name& zone, bool qr, Opcode opcode) {
        Message m;
        m.header.id = id;
        m.header.qr = qr;
        m.header.opcode = opcode;
        m.questions.push_back({zone, RRType::SOA, RRClass::IN});
        return encode_message(m);
    };
    EXPECT_TRUE(is_notify_ack(ack(5, kZone, true, Opcode::NOTIFY), 5, kZone));
    EXPECT_TRUE(is_notify_ack(ack(5, name("EXAMPLE.com."), true, Opcode::NOTIFY), 5, kZone));
    EXPECT_FALSE(is_notify_ack(ack(6, kZone, true, Opcode::NOTIFY), 5, kZone));
    EXPECT_FALSE(is_notify_ack(ack(5, name("example.net."), true, Opcode::NOTIFY), 5, kZone));
    EXPECT_FALSE(is_notify_ack(ack(5, kZone, false, Opcode::NOTIFY), 5, kZone));
    EXPECT_FALSE(is_notify_ack(ack(5, kZone, true, Opcode::QUERY), 5, kZone));
    // Our own NOTIFY echoed back is not an acknowledgement.
    EXPECT_FALSE(is_notify_ack(make_notify(kZone, 5, soa_rdata(1), 300), 5, kZone));
    EXPECT_FALSE(is_notify_ack(Bytes{1, 2, 3}, 5, kZone));
}

}  // namespace
}  // namespace l7::dns
