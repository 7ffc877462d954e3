#include "dns/tsig.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns/message.hpp"
#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using namespace test;

// Known answers, made by third-party implementations from the same UPDATE of example.com.
// (add www 300 A 192.0.2.80, delete the A RRset of old), signed with the key "tsig-key."
// whose secret is base64("l7-tsig-test-secret-0123456789ab"):
//
//   kNsupdate: BIND 9's nsupdate -y hmac-sha256:tsig-key.:<secret>, the datagram it sent
//              (id 0x77a2, signed at 1795328391).
//   kDnspython*: dnspython 2.3 (dns.update.UpdateMessage(..., id=0x1234), use_tsig with
//              the algorithm, to_wire() with time.time() fixed at 1700000000); the response
//              is dns.message.make_response(request).to_wire(), which covers the request MAC.
//
// dnspython's dns.message.from_wire(wire, keyring=...) accepts each of them (it raises when
// the MAC is wrong), and tsig_sign reproduces each byte for byte, so it signs as they do.
constexpr std::uint64_t kNsupdateTime = 1795328391;
constexpr std::uint64_t kDnspythonTime = 1700000000;

constexpr const char* kNsupdate =
    "77a228000001000000020001076578616d706c6503636f6d000006000103777777c00c000100010000012c0004"
    "c0000250036f6c64c00c000100ff00000000000008747369672d6b65790000fa00ff00000000003d0b686d6163"
    "2d7368613235360000006b028987012c0020efd8724eba362dacdaae8e4ba8dff947a779b3c2960c12904a4020"
    "5ad278090c77a200000000";

constexpr const char* kDnspythonSha256 =
    "123428000001000000020001076578616d706c6503636f6d000006000103777777c00c000100010000012c0004"
    "c0000250036f6c64c00c000100ff00000000000008747369672d6b65790000fa00ff00000000003d0b686d6163"
    "2d7368613235360000006553f100012c0020680df7299306e782a57d372be227d27ceedbbbc6c8d31cafdafe6f"
    "8d0b6203d6123400000000";

constexpr const char* kDnspythonResponse =
    "1234a8000001000000000001076578616d706c6503636f6d000006000108747369672d6b65790000fa00ff0000"
    "0000003d0b686d61632d7368613235360000006553f100012c0020eb45822bd50c3aea15d27e46fea14f468fcd"
    "caaa26247b2c549ec8b5d106b273123400000000";

constexpr const char* kDnspythonSha1 =
    "123428000001000000020001076578616d706c6503636f6d000006000103777777c00c000100010000012c0004"
    "c0000250036f6c64c00c000100ff00000000000008747369672d6b65790000fa00ff00000000002f09686d6163"
    "2d736861310000006553f100012c00149b4631bfd65ad758f9efed2aad362aa97027df39123400000000";

constexpr const char* kDnspythonSha512 =
    "123428000001000000020001076578616d706c6503636f6d000006000103777777c00c000100010000012c0004"
    "c0000250036f6c64c00c000100ff00000000000008747369672d6b65790000fa00ff00000000005d0b686d6163"
    "2d7368613531320000006553f100012c0040d15375a8ce8bc88a90762e67752972419c9f4ac8f5a27d53f88d0e"
    "c2387cc86e0ad024853eaec1b1193ade256231a2e556b14c5696b3d138a2b988eb9ce546fd123400000000";

TsigKey key(std::string_view text) {
    auto k = parse_tsig_key(text);
    EXPECT_TRUE(k) << text << ": " << (k ? "" : k.error().message);
    return k ? *k : TsigKey{};
}

TsigKeyring ring(std::string_view text) {
    TsigKeyring r;
    r.add(key(text));
    return r;
}

const std::string kKey256 = std::string("hmac-sha256:tsig-key.:") + kTsigSecret;

// In a TSIG record 16 is BADSIG (rcode_to_text names it BADVERS, its meaning in EDNS).
std::string rcode(Rcode r) {
    return r == Rcode::BADSIG ? "BADSIG" : rcode_to_text(r);
}

// The message as it was before signing: without its TSIG record, ARCOUNT one lower.
Bytes strip(const Bytes& signed_wire, const TsigKeyring& keys) {
    const TsigCheck c = tsig_verify(signed_wire, keys, 0);
    EXPECT_TRUE(c.present);
    Bytes out(signed_wire.begin(),
              signed_wire.begin() + static_cast<std::ptrdiff_t>(c.unsigned_size));
    out[11] = static_cast<std::uint8_t>(out[11] - 1);
    return out;
}

// ---- known answers ----

TEST(TsigKnownAnswer, VerifiesNsupdate) {
    const Bytes wire = from_hex(kNsupdate);
    const auto keys = ring(kKey256);
    const TsigCheck c = tsig_verify(wire, keys, kNsupdateTime);
    EXPECT_TRUE(c.present);
    EXPECT_EQ(rcode(c.rcode), "NOERROR");
    EXPECT_EQ(rcode(c.error), "NOERROR");
    ASSERT_NE(c.key, nullptr);
    EXPECT_EQ(c.key_name.to_text(), "tsig-key.");
    EXPECT_EQ(c.algorithm.to_text(), "hmac-sha256.");
    EXPECT_EQ(c.time_signed, kNsupdateTime);
    EXPECT_EQ(hex_encode(c.mac),
              "EFD8724EBA362DACDAAE8E4BA8DFF947A779B3C2960C12904A40205AD278090C");
    EXPECT_EQ(c.unsigned_size, 0x41u);
    // The message itself decodes, TSIG last in the additional section.
    auto m = decode_message(wire);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->header.opcode, Opcode::UPDATE);
    ASSERT_EQ(m->additional.size(), 1u);
    EXPECT_EQ(m->additional[0].type, RRType::TSIG);
}

TEST(TsigKnownAnswer, SignsAsNsupdateDoes) {
    const Bytes wire = from_hex(kNsupdate);
    const auto keys = ring(kKey256);
    auto ours =
        tsig_sign(strip(wire, keys), keys.find(*Name::parse("tsig-key."))[0], kNsupdateTime);
    ASSERT_TRUE(ours);
    EXPECT_EQ(hex_encode(*ours), hex_encode(wire));
}

TEST(TsigKnownAnswer, DnspythonEveryAlgorithm) {
    struct Case {
        const char* algorithm;
        const char* wire;
        std::size_t mac_size;
    };
    for (const Case& c :
         {Case{"hmac-sha256", kDnspythonSha256, 32}, Case{"hmac-sha1", kDnspythonSha1, 20},
          Case{"hmac-sha512", kDnspythonSha512, 64}}) {
        SCOPED_TRACE(c.algorithm);
        const Bytes wire = from_hex(c.wire);
        const auto keys = ring(std::string(c.algorithm) + ":tsig-key.:" + kTsigSecret);
        const TsigCheck check = tsig_verify(wire, keys, kDnspythonTime);
        EXPECT_TRUE(check.present);
        EXPECT_EQ(rcode(check.rcode), "NOERROR");
        EXPECT_EQ(rcode(check.error), "NOERROR");
        EXPECT_EQ(check.mac.size(), c.mac_size);
        Bytes mac;
        auto ours = tsig_sign(strip(wire, keys), *keys.find(check.key_name), kDnspythonTime, {}, 0,
                              {}, &mac);
        ASSERT_TRUE(ours);
        EXPECT_EQ(hex_encode(*ours), hex_encode(wire));
        EXPECT_EQ(mac, check.mac);
    }
}

TEST(TsigKnownAnswer, DnspythonResponseCoversTheRequestMac) {
    const auto keys = ring(kKey256);
    const TsigCheck request = tsig_verify(from_hex(kDnspythonSha256), keys, kDnspythonTime);
    ASSERT_EQ(rcode(request.rcode), "NOERROR");
    const Bytes response = from_hex(kDnspythonResponse);
    const TsigCheck ok = tsig_verify(response, keys, kDnspythonTime, request.mac);
    EXPECT_EQ(rcode(ok.rcode), "NOERROR");
    EXPECT_EQ(rcode(ok.error), "NOERROR");
    // Without the request's MAC (or with another) the response does not verify.
    const TsigCheck without = tsig_verify(response, keys, kDnspythonTime);
    EXPECT_EQ(rcode(without.error), "BADSIG");
    Bytes other = request.mac;
    other[0] ^= 1;
    EXPECT_EQ(rcode(tsig_verify(response, keys, kDnspythonTime, other).error), "BADSIG");
    // And we sign that response as dnspython does.
    auto ours =
        tsig_sign(strip(response, keys), *keys.find(request.key_name), kDnspythonTime, request.mac);
    ASSERT_TRUE(ours);
    EXPECT_EQ(hex_encode(*ours), hex_encode(response));
}

// ---- errors ----

TEST(TsigVerify, OneFlippedBitIsBadsig) {
    const Bytes good = from_hex(kNsupdate);
    const auto keys = ring(kKey256);
    const TsigCheck c = tsig_verify(good, keys, kNsupdateTime);
    ASSERT_EQ(rcode(c.error), "NOERROR");
    // A bit of the header, of a record, of the time signed, of the MAC.
    const std::size_t mac_at = good.size() - 6 - 32;
    for (std::size_t at : {std::size_t{3}, std::size_t{0x2e}, c.unsigned_size + 34, mac_at + 5}) {
        Bytes bad = good;
        bad[at] ^= 0x01;
        const TsigCheck b = tsig_verify(bad, keys, kNsupdateTime);
        EXPECT_TRUE(b.present) << at;
        EXPECT_EQ(rcode(b.rcode), "NOTAUTH") << at;
        EXPECT_EQ(rcode(b.error), "BADSIG") << at;
    }
    // The wrong secret.
    const TsigCheck wrong =
        tsig_verify(good, ring("tsig-key.:" + base64_encode(Bytes{1, 2, 3, 4})), kNsupdateTime);
    EXPECT_EQ(rcode(wrong.error), "BADSIG");
}

TEST(TsigVerify, UnknownKeyIsBadkey) {
    const Bytes wire = from_hex(kNsupdate);
    const TsigCheck c =
        tsig_verify(wire, ring(std::string("other-key.:") + kTsigSecret), kNsupdateTime);
    EXPECT_TRUE(c.present);
    EXPECT_EQ(rcode(c.rcode), "NOTAUTH");
    EXPECT_EQ(rcode(c.error), "BADKEY");
    EXPECT_EQ(c.key, nullptr);
    EXPECT_EQ(c.key_name.to_text(), "tsig-key.");
    // The right name with another algorithm is another key.
    const TsigCheck alg =
        tsig_verify(wire, ring(std::string("hmac-sha512:tsig-key.:") + kTsigSecret), kNsupdateTime);
    EXPECT_EQ(rcode(alg.error), "BADKEY");
    // No keys at all.
    EXPECT_EQ(rcode(tsig_verify(wire, TsigKeyring(), kNsupdateTime).error), "BADKEY");
}

TEST(TsigVerify, OutsideTheFudgeIsBadtime) {
    const Bytes wire = from_hex(kNsupdate);
    const auto keys = ring(kKey256);
    EXPECT_EQ(rcode(tsig_verify(wire, keys, kNsupdateTime + 300).error), "NOERROR");
    EXPECT_EQ(rcode(tsig_verify(wire, keys, kNsupdateTime - 300).error), "NOERROR");
    for (std::uint64_t now : {kNsupdateTime + 301, kNsupdateTime - 301, std::uint64_t{0}}) {
        const TsigCheck c = tsig_verify(wire, keys, now);
        EXPECT_EQ(rcode(c.rcode), "NOTAUTH") << now;
        EXPECT_EQ(rcode(c.error), "BADTIME") << now;
        EXPECT_NE(c.key, nullptr);  // the key verified; the reply can be signed
    }
    // The MAC is checked first: a bad MAC at a bad time is BADSIG.
    Bytes bad = wire;
    bad[0x2e] ^= 0x01;
    EXPECT_EQ(rcode(tsig_verify(bad, keys, kNsupdateTime + 1000).error), "BADSIG");
}

TEST(TsigVerify, UnsignedAndMalformed) {
    Message m;
    m.header.id = 1;
    m.questions.push_back({*Name::parse("example.com."), RRType::SOA, RRClass::IN});
    const auto keys = ring(kKey256);
    EXPECT_FALSE(tsig_verify(encode_message(m), keys, 0).present);
    m.additional.push_back({*Name::parse("x."), RRType::A, RRClass::IN, 0, {1, 2, 3, 4}});
    EXPECT_FALSE(tsig_verify(encode_message(m), keys, 0).present);
    EXPECT_FALSE(tsig_verify(Bytes{1, 2, 3}, keys, 0).present);
    // A TSIG record of class IN, and one whose RDATA is cut short.
    Bytes wire = from_hex(kNsupdate);
    Bytes in_class = wire;
    in_class[0x41 + 10 + 3] = 1;  // owner (10 bytes), type (2), class low byte
    EXPECT_EQ(rcode(tsig_verify(in_class, keys, kNsupdateTime).rcode), "FORMERR");
    Bytes cut = wire;
    cut.pop_back();
    EXPECT_FALSE(tsig_verify(cut, keys, kNsupdateTime).present);
}

// A signed message with its MAC cut to `size` bytes (MAC size and RDLENGTH patched).
Bytes with_mac_size(const Bytes& signed_wire, const TsigKeyring& keys, std::size_t size) {
    const TsigCheck c = tsig_verify(signed_wire, keys, 0);
    const std::size_t rdata_at = c.unsigned_size + c.key_name.wire_size() + 10;
    const std::size_t mac_size_at = rdata_at + c.algorithm.wire_size() + 8;
    const std::size_t full = c.mac.size();
    Bytes out(signed_wire.begin(), signed_wire.begin() + static_cast<std::ptrdiff_t>(mac_size_at));
    out.push_back(static_cast<std::uint8_t>(size >> 8));
    out.push_back(static_cast<std::uint8_t>(size));
    Bytes mac = c.mac;
    mac.resize(size, 0xAA);
    out.insert(out.end(), mac.begin(), mac.end());
    const auto rest = signed_wire.begin() + static_cast<std::ptrdiff_t>(mac_size_at + 2 + full);
    out.insert(out.end(), rest, signed_wire.end());
    const std::size_t rdlength = out.size() - rdata_at;
    out[rdata_at - 2] = static_cast<std::uint8_t>(rdlength >> 8);
    out[rdata_at - 1] = static_cast<std::uint8_t>(rdlength);
    return out;
}

TEST(TsigVerify, TruncatedMacRules) {
    // RFC 8945 section 5.2.2.1: at least half the hash and at least 10 bytes, at most all.
    struct Case {
        const char* key;
        const char* wire;
        std::vector<std::size_t> accepted;
        std::vector<std::size_t> rejected;
    };
    const std::string sha1 = std::string("hmac-sha1:tsig-key.:") + kTsigSecret;
    for (const Case& c :
         {Case{kKey256.c_str(), kDnspythonSha256, {16, 20, 31, 32}, {0, 10, 15, 33}},
          Case{sha1.c_str(), kDnspythonSha1, {10, 15, 20}, {0, 9, 21}}}) {
        SCOPED_TRACE(c.key);
        const auto keys = ring(c.key);
        const Bytes wire = from_hex(c.wire);
        for (std::size_t n : c.accepted) {
            const TsigCheck check = tsig_verify(with_mac_size(wire, keys, n), keys, kDnspythonTime);
            EXPECT_EQ(rcode(check.rcode), "NOERROR") << n;
            EXPECT_EQ(check.mac.size(), n);
        }
        for (std::size_t n : c.rejected) {
            const TsigCheck check = tsig_verify(with_mac_size(wire, keys, n), keys, kDnspythonTime);
            EXPECT_EQ(rcode(check.rcode), "FORMERR") << n;
        }
        // A truncated MAC that is wrong in its kept part is BADSIG.
        Bytes bad = with_mac_size(wire, keys, 16);
        bad[bad.size() - 6 - 16] ^= 0x80;
        EXPECT_EQ(rcode(tsig_verify(bad, keys, kDnspythonTime).error), "BADSIG");
    }
}

// ---- signing ----

Bytes update_message(std::uint16_t id) {
    Message m;
    m.header.id = id;
    m.header.opcode = Opcode::UPDATE;
    m.questions.push_back({*Name::parse("example.com."), RRType::SOA, RRClass::IN});
    m.authority.push_back(
        {*Name::parse("www.example.com."), RRType::A, RRClass::IN, 300, {192, 0, 2, 7}});
    return encode_message(m);
}

TEST(TsigSign, RoundTripEveryAlgorithm) {
    for (const char* alg : {"hmac-sha1", "hmac-sha256", "hmac-sha384", "hmac-sha512"}) {
        SCOPED_TRACE(alg);
        const auto keys = ring(std::string(alg) + ":Key.Example.:" + kTsigSecret);
        const Bytes unsigned_wire = update_message(42);
        Bytes mac;
        auto wire = tsig_sign(unsigned_wire, *keys.find(*Name::parse("key.example.")), 5000, {}, 0,
                              {}, &mac);
        ASSERT_TRUE(wire);
        EXPECT_EQ(read_header(*wire)->arcount, 1u);
        const TsigCheck c = tsig_verify(*wire, keys, 5000);
        EXPECT_TRUE(c.present);
        EXPECT_EQ(rcode(c.rcode), "NOERROR");
        EXPECT_EQ(c.mac, mac);
        EXPECT_EQ(c.unsigned_size, unsigned_wire.size());
        EXPECT_EQ(c.time_signed, 5000u);
    }
}

TEST(TsigSign, ForwardedWithAnotherIdStillVerifies) {
    // The original id is in the record (RFC 8945 section 4.3.1): a forwarder may change it.
    const auto keys = ring(kKey256);
    auto wire = tsig_sign(update_message(0x0101), *keys.find(*Name::parse("tsig-key.")), 77);
    ASSERT_TRUE(wire);
    (*wire)[0] = 0x99;
    EXPECT_EQ(rcode(tsig_verify(*wire, keys, 77).error), "NOERROR");
}

TEST(TsigSign, AResponseCoversTheRequestMac) {
    const auto keys = ring(kKey256);
    const TsigKey& k = *keys.find(*Name::parse("tsig-key."));
    Bytes request_mac;
    auto request = tsig_sign(update_message(9), k, 1000, {}, 0, {}, &request_mac);
    ASSERT_TRUE(request);
    const TsigCheck rc = tsig_verify(*request, keys, 1000);
    ASSERT_EQ(rcode(rc.error), "NOERROR");
    EXPECT_EQ(rc.mac, request_mac);

    Message reply = *decode_message(update_message(9));
    reply.header.qr = true;
    reply.authority.clear();
    auto response = tsig_sign(encode_message(reply), k, 1001, rc.mac);
    ASSERT_TRUE(response);
    EXPECT_EQ(rcode(tsig_verify(*response, keys, 1001, rc.mac).error), "NOERROR");
    EXPECT_EQ(rcode(tsig_verify(*response, keys, 1001).error), "BADSIG");
    Bytes other = rc.mac;
    other.back() ^= 1;
    EXPECT_EQ(rcode(tsig_verify(*response, keys, 1001, other).error), "BADSIG");
}

TEST(TsigSign, ErrorResponses) {
    const auto keys = ring(kKey256);
    const TsigKey& k = *keys.find(*Name::parse("tsig-key."));
    const Bytes request_mac(32, 0x5A);
    // BADTIME: signed, with the server's time in the other data.
    const Bytes server_time{0, 0, 0, 0, 0x10, 0x00};
    auto badtime = tsig_sign(update_message(3), k, 2000, request_mac,
                             static_cast<std::uint16_t>(Rcode::BADTIME), server_time);
    ASSERT_TRUE(badtime);
    const TsigCheck t = tsig_verify(*badtime, keys, 2000, request_mac);
    EXPECT_EQ(rcode(t.rcode), "NOERROR");
    EXPECT_EQ(rcode(t.reported_error), "BADTIME");
    // BADSIG and BADKEY: no MAC (RFC 8945 section 5.3.2).
    for (Rcode e : {Rcode::BADSIG, Rcode::BADKEY}) {
        Bytes mac{1};
        auto wire = tsig_sign(update_message(3), k, 2000, request_mac,
                              static_cast<std::uint16_t>(e), {}, &mac);
        ASSERT_TRUE(wire);
        EXPECT_TRUE(mac.empty());
        const TsigCheck c = tsig_verify(*wire, keys, 2000, request_mac);
        EXPECT_TRUE(c.present);
        EXPECT_TRUE(c.mac.empty());
        EXPECT_EQ(rcode(c.reported_error), rcode(e));
        EXPECT_NE(rcode(c.rcode), "NOERROR");  // an empty MAC never verifies
    }
}

TEST(TsigSign, RejectsAnUnknownAlgorithmOrNoMessage) {
    TsigKey k = key(kKey256);
    EXPECT_FALSE(tsig_sign(Bytes{1, 2, 3}, k, 0));
    k.algorithm = *Name::parse("hmac-md5.sig-alg.reg.int.");
    EXPECT_FALSE(tsig_sign(update_message(1), k, 0));
}

// ---- keys ----

TEST(TsigKey, Forms) {
    const TsigKey two = key(std::string("tsig-key:") + kTsigSecret);
    EXPECT_EQ(two.name.to_text(), "tsig-key.");
    EXPECT_EQ(two.algorithm.to_text(), "hmac-sha256.");
    EXPECT_EQ(std::string(two.secret.begin(), two.secret.end()),
              "l7-tsig-test-secret-0123456789ab");
    for (const char* alg :
         {"hmac-sha1", "hmac-sha384", "hmac-sha512", "HMAC-SHA256", "hmac-sha256."}) {
        const TsigKey k = key(std::string(alg) + ":k.example.:" + kTsigSecret);
        EXPECT_EQ(k.algorithm.lowercased().to_text(), Name::parse(alg)->lowercased().to_text());
        EXPECT_EQ(k.name.to_text(), "k.example.");
    }
}

TEST(TsigKey, Errors) {
    for (const std::string& text :
         {std::string("hmac-md5:k:") + kTsigSecret, std::string("gss-tsig:k:") + kTsigSecret,
          std::string("k:not base64!"), std::string("k:"), std::string("justaname"),
          std::string("a:b:c:d"), std::string(":") + kTsigSecret}) {
        EXPECT_FALSE(parse_tsig_key(text)) << text;
    }
}

TEST(TsigKeyring, FindsWithoutCase) {
    TsigKeyring r;
    EXPECT_TRUE(r.empty());
    r.add(key(std::string("Tsig-Key.:") + kTsigSecret));
    EXPECT_FALSE(r.empty());
    EXPECT_NE(r.find(*Name::parse("TSIG-KEY.")), nullptr);
    EXPECT_EQ(r.find(*Name::parse("other.")), nullptr);
    // A key name in another case verifies: the MAC covers the canonical (lowercase) name.
    EXPECT_EQ(rcode(tsig_verify(from_hex(kNsupdate), r, kNsupdateTime).error), "NOERROR");
}

}  // namespace
}  // namespace l7::dns
