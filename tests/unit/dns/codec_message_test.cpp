#include "dns/message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns/message_text.hpp"
#include "dns/rdata.hpp"
#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using namespace test;

Message decode(const Bytes& wire) {
    auto m = decode_message(wire);
    EXPECT_TRUE(m) << m.error().message;
    return m ? *m : Message();
}

ResourceRecord record(std::string_view owner, RRType type, std::uint32_t ttl,
                      std::string_view rdata_hex) {
    return ResourceRecord{name(owner), type, RRClass::IN, ttl, from_hex(rdata_hex)};
}

// The messages below are what dnspython 2.3 writes (`dns.message.make_query`,
// `dns.message.from_text(...).to_wire()`).

// make_query("www.example.com.", "A", use_edns=0, payload=1232, want_dnssec=True, options=[
// cookie 0102030405060708]), id 0x1234.
const char* const kQuery =
    "12340100000100000000000103777777076578616D706C6503636F6D000001000100002904D000008000000C000A"
    "00080102030405060708";

// id 4660, flags QR AA RD, EDNS 1232: www.example.com. A; answer 192.0.2.1; authority
// example.com. NS ns1.example.com.; additional ns1.example.com. A 192.0.2.53.
const char* const kResponse =
    "12348500000100010001000203777777076578616D706C6503636F6D0000010001C00C0001000100000E100004C0"
    "000201C0100002000100000E100006036E7331C010C03D0001000100000E100004C000023500002904D000000000"
    "0000";

// id 7, QR, rcode BADVERS (16: 0 in the header, 1 in the OPT TTL), EDNS 4096, example.com. SOA.
const char* const kBadvers =
    "000780000001000000000001076578616D706C6503636F6D00000600010000291000010000000000";

// id 1, no flags, no EDNS: example.com. A.
const char* const kPlainQuery = "000100000001000000000000076578616D706C6503636F6D0000010001";

// id 42, QR AA, EDNS 4096 with DO: example.com. ANY, and 21 answers of every type l7 describes
// plus TYPE65534. dnspython compresses the SRV target (RFC 2782 says not to); l7 reads it.
const char* const kEveryType =
    "002A84000001001500000001076578616D706C6503636F6D0000FF0001C00C0006000100000E100027036E7331C0"
    "0C0A686F73746D6173746572C00C78A3F17500000E100000038400093A8000015180C00C0002000100000E100002"
    "C029C00C000F000100000E100009000A046D61696CC00CC00C0010000100000E1000130B763D73706631202D616C"
    "6C067365636F6E64C00C0101000100000E100016000569737375656C657473656E63727970742E6F7267C00C0030"
    "000100000E1000440100030D99DB2CC14CABDC33D6D77DA63A2F15F71112584F234E8D1DC428E39E8A4A97E1AA27"
    "1A555DC90701E17E2A4C4B6F120B7C32D44F4AC02BD894CF2D4BE7778A19C00C0033000100000E10000501000000"
    "0003777777C00C0001000100000E100004C0000201C115001C000100000E10001020010DB8000000000000000000"
    "000001C115002E000100000E10009F00010D0300000E1065BADF00659200803039076578616D706C6503636F6D00"
    "A090755BA58D1AFFA576F4375831B4310920E481218D18A9F164EB3D81AFD3B875D3C75428631E0CF2A28D50875F"
    "70C329D7DBFAFEA807DC1FBA1DC34C95D401F23F334CE63BFCF3F1B5B44739E5F0EDED18D6B33F040A911376D173"
    "D757A9F0C1FA1798941BB0B36B2DF9062790FA7F0166F2737EEA907378341FB12DC0A77A05616C696173C00C0005"
    "000100000E100002C1150131013201300331393207696E2D61646472046172706100000C000100000E100002C115"
    "045F736970045F756470C00C0021000100000E10000C0000000513C403736970C00CC00C0023000100000E10002B"
    "0064000A0155074532552B7369701B215E2E2A24217369703A696E666F406578616D706C652E636F6D2100036F6C"
    "64C00C0027000100000E10000D076578616D706C65036E65740004686F7374C00C000D000100000E10000F09494E"
    "54454C2D33383604556E6978C29E002C000100000E1000160101123456789ABCDEF67890123456789ABCDEF67890"
    "03737562C00C002B000100000E100018EC4505012BB183AF5F22588179A53B0A98631FAD1A292118C29E002F0001"
    "00000E10001903777777076578616D706C6503636F6D00000640040000000B2032767074753574696D616D717474"
    "676C346C7575396B6732316530616F723373C00C0032000100000E1000260101000C04AABBCCDD1417F3DF17B2B2"
    "ADAEF615257DE4D2020B80AC6C7C0006400000000002C00CFFFE000100000E1000040A0000010000291000000080"
    "000000";

// ----------------------------------------------------------------------------------------------
// Header

TEST(DnsMessage, HeaderFlagsAndCounts) {
    EXPECT_FALSE(read_header(from_hex("1234010000010000000000")));  // 11 bytes
    auto all = read_header(from_hex("ABCDFFFF0001000200030004"));
    ASSERT_TRUE(all);
    EXPECT_EQ(all->id, 0xABCD);
    EXPECT_TRUE(all->qr && all->aa && all->tc && all->rd && all->ra && all->z && all->ad &&
                all->cd);
    EXPECT_EQ(static_cast<unsigned>(all->opcode), 15u);
    EXPECT_EQ(all->rcode, 15);
    EXPECT_EQ(all->qdcount, 1);
    EXPECT_EQ(all->ancount, 2);
    EXPECT_EQ(all->nscount, 3);
    EXPECT_EQ(all->arcount, 4);

    auto notify = read_header(from_hex("0000A4300000000000000000"));  // qr, NOTIFY, aa; ad cd
    ASSERT_TRUE(notify);
    EXPECT_EQ(notify->opcode, Opcode::NOTIFY);
    EXPECT_TRUE(notify->qr && notify->aa && notify->ad && notify->cd);
    EXPECT_FALSE(notify->tc || notify->rd || notify->ra || notify->z);
}

TEST(DnsMessage, HeaderRoundTripsThroughTheBuilder) {
    Header h;
    h.id = 0xBEEF;
    h.qr = true;
    h.opcode = Opcode::UPDATE;
    h.aa = true;
    h.rd = true;
    h.ra = true;
    h.z = true;
    h.ad = true;
    h.cd = true;
    h.rcode = 5;
    Bytes buf(512);
    MessageBuilder b(buf, buf.size());
    b.header(h);
    const auto wire = b.finish();
    ASSERT_EQ(wire.size(), kHeaderSize);
    EXPECT_EQ(hex_encode(wire), "BEEFADF50000000000000000");
    auto back = read_header(wire);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->id, h.id);
    EXPECT_EQ(back->opcode, Opcode::UPDATE);
    EXPECT_TRUE(back->qr && back->aa && back->rd && back->ra && back->z && back->ad && back->cd);
    EXPECT_FALSE(back->tc);
    EXPECT_EQ(back->rcode, 5);
}

// ----------------------------------------------------------------------------------------------
// Decoding and encoding real messages

TEST(DnsMessage, QueryWithEdnsRoundTripsByteForByte) {
    const Bytes wire = from_hex(kQuery);
    const Message m = decode(wire);
    EXPECT_EQ(m.header.id, 0x1234);
    EXPECT_FALSE(m.header.qr);
    EXPECT_TRUE(m.header.rd);
    ASSERT_EQ(m.questions.size(), 1u);
    EXPECT_EQ(m.questions[0].name.to_text(), "www.example.com.");
    EXPECT_EQ(m.questions[0].type, RRType::A);
    EXPECT_EQ(m.questions[0].klass, RRClass::IN);
    EXPECT_TRUE(m.answers.empty() && m.authority.empty() && m.additional.empty());
    ASSERT_TRUE(m.edns);
    EXPECT_EQ(m.edns->udp_size, 1232);
    EXPECT_EQ(m.edns->version, 0);
    EXPECT_TRUE(m.edns->dnssec_ok);
    EXPECT_EQ(m.edns->flags, 0);
    EXPECT_EQ(m.edns->extended_rcode, 0);
    ASSERT_EQ(m.edns->options.size(), 1u);
    EXPECT_EQ(m.edns->options[0].code, 10);  // COOKIE
    EXPECT_EQ(hex_encode(m.edns->options[0].data), "0102030405060708");
    EXPECT_EQ(m.rcode(), Rcode::NOERROR);
    EXPECT_EQ(encode_message(m), wire);
}

TEST(DnsMessage, CompressedResponseRoundTripsByteForByte) {
    const Bytes wire = from_hex(kResponse);
    ASSERT_EQ(wire.size(), 94u);
    const Message m = decode(wire);
    EXPECT_TRUE(m.header.qr && m.header.aa && m.header.rd);
    ASSERT_EQ(m.answers.size(), 1u);
    ASSERT_EQ(m.authority.size(), 1u);
    ASSERT_EQ(m.additional.size(), 1u);  // the OPT record is in m.edns
    EXPECT_EQ(format_record(m.answers[0]), "www.example.com.\t3600\tIN\tA\t192.0.2.1");
    EXPECT_EQ(format_record(m.authority[0]), "example.com.\t3600\tIN\tNS\tns1.example.com.");
    EXPECT_EQ(format_record(m.additional[0]), "ns1.example.com.\t3600\tIN\tA\t192.0.2.53");
    ASSERT_TRUE(m.edns);
    EXPECT_FALSE(m.edns->dnssec_ok);
    EXPECT_EQ(encode_message(m), wire);
}

TEST(DnsMessage, PlainQueryHasNoEdns) {
    const Bytes wire = from_hex(kPlainQuery);
    const Message m = decode(wire);
    EXPECT_FALSE(m.edns);
    EXPECT_EQ(m.header.id, 1);
    EXPECT_FALSE(m.header.rd);
    EXPECT_EQ(encode_message(m), wire);
}

TEST(DnsMessage, ExtendedRcodeBadvers) {
    const Bytes wire = from_hex(kBadvers);
    const Message m = decode(wire);
    EXPECT_EQ(m.header.rcode, 0);
    ASSERT_TRUE(m.edns);
    EXPECT_EQ(m.edns->extended_rcode, 1);
    EXPECT_EQ(m.edns->udp_size, 4096);
    EXPECT_EQ(m.rcode(), Rcode::BADVERS);
    EXPECT_EQ(encode_message(m), wire);
    EXPECT_NE(format_message(m).find("status: BADVERS"), std::string::npos);
}

TEST(DnsMessage, SetRcodeSplitsTheTwelveBits) {
    Message m;
    m.header.qr = true;
    m.set_rcode(Rcode::NXDOMAIN);
    EXPECT_EQ(m.header.rcode, 3);
    EXPECT_FALSE(m.edns);  // four bits fit in the header
    EXPECT_EQ(m.rcode(), Rcode::NXDOMAIN);

    m.set_rcode(Rcode::BADCOOKIE);  // 23 = 1 << 4 | 7
    ASSERT_TRUE(m.edns);
    EXPECT_EQ(m.header.rcode, 7);
    EXPECT_EQ(m.edns->extended_rcode, 1);
    EXPECT_EQ(m.rcode(), Rcode::BADCOOKIE);
    const Message back = decode(encode_message(m));
    EXPECT_EQ(back.rcode(), Rcode::BADCOOKIE);
    EXPECT_EQ(back.header.rcode, 7);

    m.set_rcode(Rcode::REFUSED);
    ASSERT_TRUE(m.edns);
    EXPECT_EQ(m.edns->extended_rcode, 0);
    EXPECT_EQ(m.rcode(), Rcode::REFUSED);
}

TEST(DnsMessage, EncodeTakesTheRcodeFromRcodeNotTheEdnsField) {
    Message m;
    m.header.qr = true;
    m.header.rcode = static_cast<std::uint8_t>(Rcode::BADVERS) & 0x0F;
    m.edns.emplace();
    m.edns->extended_rcode = 1;
    m.edns->udp_size = 1232;
    m.edns->dnssec_ok = true;
    m.edns->flags = 0x1234;  // unknown flag bits travel as received
    m.edns->options.push_back({8, from_hex("00011800C0000200")});  // client subnet
    m.edns->options.push_back({12, {}});                           // empty padding
    const Message back = decode(encode_message(m));
    ASSERT_TRUE(back.edns);
    EXPECT_EQ(back.rcode(), Rcode::BADVERS);
    EXPECT_EQ(back.edns->udp_size, 1232);
    EXPECT_TRUE(back.edns->dnssec_ok);
    EXPECT_EQ(back.edns->flags, 0x1234);
    ASSERT_EQ(back.edns->options.size(), 2u);
    EXPECT_EQ(back.edns->options[0].code, 8);
    EXPECT_EQ(hex_encode(back.edns->options[0].data), "00011800C0000200");
    EXPECT_EQ(back.edns->options[1].code, 12);
    EXPECT_TRUE(back.edns->options[1].data.empty());
}

TEST(DnsMessage, EveryTypeDecodesAndSurvivesReencoding) {
    const Bytes wire = from_hex(kEveryType);
    const Message m = decode(wire);
    ASSERT_TRUE(m.edns);
    EXPECT_TRUE(m.edns->dnssec_ok);
    ASSERT_EQ(m.questions.size(), 1u);
    EXPECT_EQ(format_question(m.questions[0]), ";example.com.\t\tIN\tANY");
    const std::vector<std::string> expected = {
        "example.com.\t3600\tIN\tSOA\tns1.example.com. hostmaster.example.com. 2024010101 3600 "
        "900 604800 86400",
        "example.com.\t3600\tIN\tNS\tns1.example.com.",
        "example.com.\t3600\tIN\tMX\t10 mail.example.com.",
        "example.com.\t3600\tIN\tTXT\t\"v=spf1 -all\" \"second\"",
        "example.com.\t3600\tIN\tCAA\t0 issue \"letsencrypt.org\"",
        "example.com.\t3600\tIN\tDNSKEY\t256 3 13 "
        "mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==",
        "example.com.\t3600\tIN\tNSEC3PARAM\t1 0 0 -",
        "www.example.com.\t3600\tIN\tA\t192.0.2.1",
        "www.example.com.\t3600\tIN\tAAAA\t2001:db8::1",
        "www.example.com.\t3600\tIN\tRRSIG\tA 13 3 3600 20240201000000 20240101000000 12345 "
        "example.com. oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6oB9wf"
        "uh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBzeDQf"
        "sS3Ap3o=",
        "alias.example.com.\t3600\tIN\tCNAME\twww.example.com.",
        "1.2.0.192.in-addr.arpa.\t3600\tIN\tPTR\twww.example.com.",
        "_sip._udp.example.com.\t3600\tIN\tSRV\t0 5 5060 sip.example.com.",
        "example.com.\t3600\tIN\tNAPTR\t100 10 \"U\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .",
        "old.example.com.\t3600\tIN\tDNAME\texample.net.",
        "host.example.com.\t3600\tIN\tHINFO\t\"INTEL-386\" \"Unix\"",
        "host.example.com.\t3600\tIN\tSSHFP\t1 1 123456789ABCDEF67890123456789ABCDEF67890",
        "sub.example.com.\t3600\tIN\tDS\t60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
        "host.example.com.\t3600\tIN\tNSEC\twww.example.com. A HINFO SSHFP RRSIG NSEC",
        "2vptu5timamqttgl4luu9kg21e0aor3s.example.com.\t3600\tIN\tNSEC3\t1 1 12 AABBCCDD "
        "2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S A RRSIG",
        "example.com.\t3600\tIN\tTYPE65534\t\\# 4 0A000001",
    };
    ASSERT_EQ(m.answers.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(format_record(m.answers[i]), expected[i]);
    }

    // l7 writes the SRV target whole, so its encoding is 11 bytes longer than dnspython's
    // ("\3sip" + pointer becomes "\3sip\7example\3com\0"), and otherwise the same records.
    const Bytes again = encode_message(m);
    EXPECT_EQ(again.size(), wire.size() + 11);
    const Message back = decode(again);
    ASSERT_EQ(back.answers.size(), m.answers.size());
    for (std::size_t i = 0; i < m.answers.size(); ++i) {
        EXPECT_EQ(back.answers[i].owner, m.answers[i].owner);
        EXPECT_EQ(back.answers[i].type, m.answers[i].type);
        EXPECT_EQ(back.answers[i].ttl, m.answers[i].ttl);
        EXPECT_EQ(back.answers[i].rdata, m.answers[i].rdata) << expected[i];
    }
    EXPECT_EQ(encode_message(back), again);
}

TEST(DnsMessage, UnknownClassesAndTypesTravelUnchanged) {
    Message m;
    m.header.qr = true;
    m.questions.push_back({name("version.bind."), RRType::TXT, RRClass::CH});
    m.answers.push_back(
        ResourceRecord{name("version.bind."), RRType::TXT, RRClass::CH, 0, from_hex("026C37")});
    m.answers.push_back(ResourceRecord{name("x.example."), static_cast<RRType>(4242),
                                       static_cast<RRClass>(99), 7, from_hex("C000")});
    const Message back = decode(encode_message(m));
    ASSERT_EQ(back.answers.size(), 2u);
    EXPECT_EQ(back.questions[0].klass, RRClass::CH);
    EXPECT_EQ(format_record(back.answers[0]), "version.bind.\t0\tCH\tTXT\t\"l7\"");
    EXPECT_EQ(format_record(back.answers[1]), "x.example.\t7\tCLASS99\tTYPE4242\t\\# 2 C000");
}

TEST(DnsMessage, UpdateDeletionsWithoutRdataRoundTrip) {
    // UPDATE for example.com.: delete the RRsets www A and example.com. NS (class ANY, no RDATA,
    // RFC 2136 section 2.5.2).
    const Bytes wire = from_hex(
        "00162800000100000002000007"
        "6578616D706C6503636F6D0000060001"
        "03777777C00C000100FF000000000000"
        "C00C000200FF000000000000");
    const Message m = decode(wire);
    EXPECT_EQ(m.header.opcode, Opcode::UPDATE);
    ASSERT_EQ(m.authority.size(), 2u);
    for (const ResourceRecord& rr : m.authority) {
        EXPECT_EQ(rr.klass, RRClass::ANY);
        EXPECT_TRUE(rr.rdata.empty());
        EXPECT_EQ(rdata_to_text(rr.type, rr.rdata), "");
    }
    EXPECT_EQ(format_record(m.authority[0]).rfind("www.example.com.\t0\tANY\tA", 0), 0u);
    EXPECT_EQ(encode_message(m), wire);  // and no root name invented for the empty NS RDATA
}

// ----------------------------------------------------------------------------------------------
// Malformed messages

TEST(DnsMessage, EveryTruncationIsRejected) {
    for (const char* hex : {kQuery, kResponse, kEveryType}) {
        const Bytes wire = from_hex(hex);
        for (std::size_t n = 0; n < wire.size(); ++n) {
            const Bytes prefix(wire.begin(), wire.begin() + static_cast<long>(n));
            EXPECT_FALSE(decode_message(prefix)) << n << " of " << wire.size() << " bytes";
        }
    }
}

TEST(DnsMessage, TrailingBytesAreRejected) {
    Bytes wire = from_hex(kPlainQuery);
    wire.push_back(0);
    EXPECT_FALSE(decode_message(wire));
}

TEST(DnsMessage, CountsLargerThanTheContentAreRejected) {
    Bytes wire = from_hex(kPlainQuery);
    wire[5] = 2;  // qdcount
    EXPECT_FALSE(decode_message(wire));
    wire = from_hex(kPlainQuery);
    wire[7] = 1;  // ancount
    EXPECT_FALSE(decode_message(wire));
}

// A header with the given counts, then `body`.
Bytes message_with(std::uint16_t an, std::uint16_t ns, std::uint16_t ar, std::string_view body) {
    Bytes wire = {0x00, 0x01,
                  0x80, 0x00,
                  0x00, 0x00,
                  0x00, static_cast<std::uint8_t>(an),
                  0x00, static_cast<std::uint8_t>(ns),
                  0x00, static_cast<std::uint8_t>(ar)};
    const Bytes b = from_hex(body);
    wire.insert(wire.end(), b.begin(), b.end());
    return wire;
}

constexpr std::string_view kOpt = "0000291000000000000000";  // root OPT, 4096, no options

TEST(DnsMessage, OptRecordPlacementIsChecked) {
    EXPECT_TRUE(decode_message(message_with(0, 0, 1, kOpt)));
    EXPECT_FALSE(decode_message(message_with(1, 0, 0, kOpt)));  // in the answer section
    EXPECT_FALSE(decode_message(message_with(0, 1, 0, kOpt)));  // in the authority section
    EXPECT_FALSE(decode_message(message_with(0, 0, 2, std::string(kOpt) + std::string(kOpt))));
    // The OPT owner must be the root.
    EXPECT_FALSE(decode_message(message_with(0, 0, 1, "01610000291000000000000000")));
}

TEST(DnsMessage, EdnsOptionsMustFitTheOptRecord) {
    // RDLENGTH 4: option 10 claiming 8 bytes that are not there.
    EXPECT_FALSE(decode_message(message_with(0, 0, 1,
                                             "00002910000000000000040"
                                             "00A0008")));
    // Half an option header.
    EXPECT_FALSE(decode_message(message_with(0, 0, 1,
                                             "000029100000000000000200"
                                             "0A")));
    auto ok = decode_message(message_with(0, 0, 1,
                                          "00002910000000000000060"
                                          "00A00020102"));
    ASSERT_TRUE(ok);
    ASSERT_TRUE(ok->edns);
    ASSERT_EQ(ok->edns->options.size(), 1u);
    EXPECT_EQ(hex_encode(ok->edns->options[0].data), "0102");
}

TEST(DnsMessage, BadRdataOrNamesAreRejected) {
    // An A record with 3 bytes of RDATA.
    EXPECT_FALSE(decode_message(message_with(1, 0, 0,
                                             "00"
                                             "0001"
                                             "0001"
                                             "00000E10"
                                             "0003"
                                             "C00002")));
    // A forward pointer in an owner name.
    EXPECT_FALSE(decode_message(message_with(1, 0, 0,
                                             "C00E"
                                             "00"
                                             "0001"
                                             "0001"
                                             "00000E10"
                                             "0000")));
    // An owner name with a 0x40 label.
    EXPECT_FALSE(decode_message(message_with(1, 0, 0,
                                             "4100"
                                             "0001"
                                             "0001"
                                             "00000E10"
                                             "0000")));
    // The same record with good RDATA decodes.
    EXPECT_TRUE(decode_message(message_with(1, 0, 0,
                                            "00"
                                            "0001"
                                            "0001"
                                            "00000E10"
                                            "0004"
                                            "C0000201")));
}

// ----------------------------------------------------------------------------------------------
// Encoding: compression and truncation

Message sample_response() {
    Message m;
    m.header.id = 4242;
    m.header.qr = true;
    m.header.aa = true;
    m.questions.push_back({name("www.example.com."), RRType::A, RRClass::IN});
    m.answers.push_back(record("www.example.com.", RRType::A, 300, "C0000201"));
    m.answers.push_back(record("www.example.com.", RRType::A, 300, "C0000202"));
    m.authority.push_back(
        record("example.com.", RRType::NS, 3600, "036E7331076578616D706C6503636F6D00"));
    m.additional.push_back(record("ns1.example.com.", RRType::A, 3600, "C0000235"));
    return m;
}

TEST(DnsMessage, EncodeCompressesNames) {
    const Bytes wire = encode_message(sample_response());
    // header 12; question 17 + 4; each A answer: owner pointer 2 + 10 + 4; NS: owner pointer 2
    // + 10 + "\3ns1" and a pointer (6); additional A: pointer to ns1 2 + 10 + 4.
    EXPECT_EQ(wire.size(), 12u + 21 + 16 + 16 + 18 + 16);
    const Message back = decode(wire);
    ASSERT_EQ(back.answers.size(), 2u);
    EXPECT_EQ(format_record(back.authority[0]), "example.com.\t3600\tIN\tNS\tns1.example.com.");
    EXPECT_EQ(format_record(back.additional[0]), "ns1.example.com.\t3600\tIN\tA\t192.0.2.53");
    EXPECT_FALSE(back.header.tc);
}

TEST(DnsMessage, EncodeOverTheLimitTruncatesWholeRecordsAndSetsTc) {
    // Room for the header, the question and one answer (12 + 21 + 16 = 49) but not two.
    const Bytes wire = encode_message(sample_response(), 60);
    EXPECT_EQ(wire.size(), 49u);
    const Message back = decode(wire);
    EXPECT_TRUE(back.header.tc);
    EXPECT_EQ(back.questions.size(), 1u);
    EXPECT_EQ(back.answers.size(), 1u);
    EXPECT_TRUE(back.authority.empty());
    EXPECT_TRUE(back.additional.empty());  // not even the small A record after the failure
}

TEST(DnsMessage, TruncatedMessageKeepsItsOptRecord) {
    Message m = sample_response();
    m.edns.emplace();
    m.edns->udp_size = 1232;
    // 11 bytes for the OPT record are kept back, so only one answer fits in 60.
    const Bytes wire = encode_message(m, 60);
    EXPECT_EQ(wire.size(), 60u);
    const Message back = decode(wire);
    EXPECT_TRUE(back.header.tc);
    EXPECT_EQ(back.answers.size(), 1u);
    ASSERT_TRUE(back.edns);
    EXPECT_EQ(back.edns->udp_size, 1232);
}

TEST(DnsMessage, LimitTooSmallForTheOptRecordStillGivesAValidMessage) {
    Message m = sample_response();
    m.edns.emplace();
    for (std::size_t limit : {12, 15, 22}) {  // below 12 + 11
        const Bytes wire = encode_message(m, limit);
        EXPECT_LE(wire.size(), limit);
        auto back = decode_message(wire);
        ASSERT_TRUE(back) << limit << ": " << back.error().message;
        EXPECT_TRUE(back->header.tc);
        EXPECT_FALSE(back->edns);
    }
    const Bytes exact = encode_message(m, 23);  // the header and the OPT record exactly
    EXPECT_EQ(exact.size(), 23u);
    EXPECT_TRUE(decode(exact).edns);
}

TEST(DnsMessage, BuilderRollsBackARecordThatDoesNotFit) {
    Bytes buf(512);
    MessageBuilder b(buf, 70);
    Header h;
    h.id = 9;
    h.qr = true;
    b.header(h);
    ASSERT_TRUE(b.question(name("www.example.com.").wire(), RRType::A, RRClass::IN));
    const auto a = record("www.example.com.", RRType::A, 60, "C0000201");
    EXPECT_TRUE(b.add(Section::answer, a));
    const auto mark = b.mark();
    EXPECT_FALSE(b.add(Section::answer, record("www.example.com.", RRType::TXT, 60,
                                               "20" + std::string(64, 'A'))));  // 45 bytes: 94 > 70
    EXPECT_EQ(b.count(Section::answer), 1);
    EXPECT_TRUE(b.add(Section::additional, a));  // 16 bytes: 65 <= 70
    EXPECT_EQ(b.count(Section::additional), 1);
    b.rewind(mark, 1, 0, 0);
    EXPECT_EQ(b.count(Section::additional), 0);
    b.set_tc();
    const auto wire = b.finish();
    const Message back = decode(Bytes(wire.begin(), wire.end()));
    EXPECT_TRUE(back.header.tc);
    EXPECT_EQ(back.header.id, 9);
    EXPECT_EQ(back.questions.size(), 1u);
    EXPECT_EQ(back.answers.size(), 1u);
    EXPECT_TRUE(back.additional.empty());
}

TEST(DnsMessage, BuilderQuestionThatDoesNotFitIsNotCounted) {
    Bytes buf(512);
    MessageBuilder b(buf, 20);
    b.header(Header{});
    EXPECT_FALSE(b.question(Question{name("www.example.com."), RRType::A, RRClass::IN}));
    const auto wire = b.finish();
    EXPECT_EQ(wire.size(), kHeaderSize);
    const Message back = decode(Bytes(wire.begin(), wire.end()));
    EXPECT_TRUE(back.questions.empty());
}

// ----------------------------------------------------------------------------------------------
// Text

TEST(DnsMessage, FormatMessageLooksLikeDig) {
    const Message m = decode(from_hex(kResponse));
    EXPECT_EQ(format_message(m),
              ";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 4660\n"
              ";; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 1, ADDITIONAL: 2\n"
              ";; WARNING: recursion requested but not available\n"
              "\n"
              ";; OPT PSEUDOSECTION:\n"
              "; EDNS: version: 0, flags:; udp: 1232\n"
              ";; QUESTION SECTION:\n"
              ";www.example.com.\t\tIN\tA\n"
              "\n"
              ";; ANSWER SECTION:\n"
              "www.example.com.\t3600\tIN\tA\t192.0.2.1\n"
              "\n"
              ";; AUTHORITY SECTION:\n"
              "example.com.\t3600\tIN\tNS\tns1.example.com.\n"
              "\n"
              ";; ADDITIONAL SECTION:\n"
              "ns1.example.com.\t3600\tIN\tA\t192.0.2.53\n");
    const Message q = decode(from_hex(kQuery));
    const std::string text = format_message(q);
    EXPECT_NE(text.find("; EDNS: version: 0, flags: do; udp: 1232\n"), std::string::npos) << text;
    EXPECT_NE(text.find("; OPTION 10: 0102030405060708\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("WARNING"), std::string::npos);  // a query, not a response
}

TEST(DnsMessage, SummaryForTraces) {
    EXPECT_EQ(summarize_message(decode(from_hex(kResponse))),
              "id 4660 QUERY NOERROR qr aa rd, www.example.com. IN A: 1 answer, 1 authority, 1 "
              "additional (EDNS)");
    EXPECT_EQ(summarize_message(decode(from_hex(kQuery))),
              "id 4660 QUERY rd, www.example.com. IN A (EDNS, DO)");
    EXPECT_EQ(summarize_message(decode(from_hex(kPlainQuery))), "id 1 QUERY, example.com. IN A");
}

}  // namespace
}  // namespace l7::dns
