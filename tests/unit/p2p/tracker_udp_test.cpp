// The UDP tracker protocol (BEP 15): every packet against bytes written by hand from the
// BEP's tables, the bounds, the retry schedule, and the tracker's stateless connection ids.

#include "p2p/tracker_udp.hpp"

#include <gtest/gtest.h>

#include "core/hex.hpp"

namespace l7::p2p {
namespace {

using namespace std::chrono_literals;

// "00 01 ff" -> the three bytes; spaces are ignored.
std::string unhex(std::string_view text) {
    std::string out;
    int hi = -1;
    for (char c : text) {
        if (c == ' ') {
            continue;
        }
        const int v = hex_digit_value(c);
        EXPECT_GE(v, 0) << "bad test vector";
        if (hi < 0) {
            hi = v;
        } else {
            out += static_cast<char>(hi * 16 + v);
            hi = -1;
        }
    }
    EXPECT_EQ(hi, -1) << "odd test vector";
    return out;
}

InfoHash hash_of(std::uint8_t first) {
    InfoHash h{};
    for (std::size_t i = 0; i < h.size(); ++i) {
        h[i] = static_cast<std::uint8_t>(first + i);
    }
    return h;
}

// 20 bytes 0x01..0x14 and 20 bytes "-L70001-abcdefghijkl".
constexpr std::string_view kHashHex = "0102030405060708090a0b0c0d0e0f1011121314";
constexpr std::string_view kPeerIdHex = "2d4c37303030312d6162636465666768696a6b6c";

// BEP 15 "Connect": magic 0x41727101980, action 0, transaction id.
TEST(UdpTracker, ConnectRequestBytes) {
    const std::string bytes = unhex("00000417 27101980 00000000 deadbeef");
    EXPECT_EQ(encode_udp_request(UdpConnectRequest{0xdeadbeef}), bytes);
    auto r = decode_udp_request(bytes);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_TRUE(std::holds_alternative<UdpConnectRequest>(*r));
    EXPECT_EQ(transaction_id(*r), 0xdeadbeefu);
    EXPECT_FALSE(connection_id(*r).has_value());
}

TEST(UdpTracker, ConnectRequestRejects) {
    // Wrong magic, one byte short, one byte long.
    EXPECT_FALSE(decode_udp_request(unhex("00000417 27101981 00000000 deadbeef")).ok());
    EXPECT_FALSE(decode_udp_request(unhex("00000417 27101980 00000000 deadbe")).ok());
    EXPECT_FALSE(decode_udp_request(unhex("00000417 27101980 00000000 deadbeef 00")).ok());
    EXPECT_FALSE(decode_udp_request("").ok());
    // Action 3 (error) and 7 are not requests.
    EXPECT_FALSE(decode_udp_request(unhex("00000417 27101980 00000003 deadbeef")).ok());
    EXPECT_FALSE(decode_udp_request(unhex("00000417 27101980 00000007 deadbeef")).ok());
}

TEST(UdpTracker, ConnectResponseBytes) {
    const std::string bytes = unhex("00000000 deadbeef 01234567 89abcdef");
    EXPECT_EQ(encode_udp_response(UdpConnectResponse{0xdeadbeef, 0x0123456789abcdef}), bytes);
    auto r = decode_udp_response(bytes);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto* c = std::get_if<UdpConnectResponse>(&*r);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->transaction_id, 0xdeadbeefu);
    EXPECT_EQ(c->connection_id, 0x0123456789abcdefu);
    EXPECT_FALSE(decode_udp_response(bytes + "x").ok());
    EXPECT_FALSE(decode_udp_response(bytes.substr(0, 15)).ok());
}

// BEP 15 "Announce": offsets 0 connection_id, 8 action 1, 12 transaction_id, 16 info_hash,
// 36 peer_id, 56 downloaded, 64 left, 72 uploaded, 80 event, 84 IP, 88 key, 92 num_want,
// 96 port; 98 bytes.
const std::string kAnnounceHex = std::string("0123456789abcdef") + "00000001" + "11223344" +
                                 std::string(kHashHex) + std::string(kPeerIdHex) +
                                 "0000000000001000"  // downloaded 4096
                                 "0000000100000000"  // left 2^32
                                 "0000000000000200"  // uploaded 512
                                 "00000002"          // event started
                                 "00000000"          // ip: the source address
                                 "cafebabe"          // key
                                 "ffffffff"          // num_want -1
                                 "1ae1";             // port 6881

TEST(UdpTracker, AnnounceRequestBytes) {
    const std::string bytes = unhex(kAnnounceHex);
    ASSERT_EQ(bytes.size(), 98u);
    auto r = decode_udp_request(bytes);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto* a = std::get_if<UdpAnnounceRequest>(&*r);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->connection_id, 0x0123456789abcdefu);
    EXPECT_EQ(a->transaction_id, 0x11223344u);
    EXPECT_EQ(a->info_hash, hash_of(1));
    EXPECT_EQ(to_bytes(a->peer_id), "-L70001-abcdefghijkl");
    EXPECT_EQ(a->downloaded, 4096u);
    EXPECT_EQ(a->left, 1ull << 32);
    EXPECT_EQ(a->uploaded, 512u);
    EXPECT_EQ(a->event, AnnounceEvent::started);
    EXPECT_EQ(a->ip, (std::array<std::uint8_t, 4>{}));
    EXPECT_EQ(a->key, 0xcafebabeu);
    EXPECT_EQ(a->num_want, -1);
    EXPECT_EQ(a->port, 6881);
    EXPECT_EQ(a->url_data, "");
    EXPECT_EQ(connection_id(*r), 0x0123456789abcdefu);
    EXPECT_EQ(encode_udp_request(*r), bytes);
}

TEST(UdpTracker, AnnounceEventsNumberedAsBep15) {
    std::string bytes = unhex(kAnnounceHex);
    const AnnounceEvent expected[] = {AnnounceEvent::none, AnnounceEvent::completed,
                                      AnnounceEvent::started, AnnounceEvent::stopped};
    for (std::uint8_t n = 0; n < 4; ++n) {
        bytes[83] = static_cast<char>(n);
        auto r = decode_udp_request(bytes);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(std::get<UdpAnnounceRequest>(*r).event, expected[n]);
        EXPECT_EQ(encode_udp_request(*r), bytes);
    }
    bytes[83] = 4;
    EXPECT_FALSE(decode_udp_request(bytes).ok());
}

// BEP 41: options after the 98 bytes; URLData (2) pieces concatenated, NOP (1), end (0).
TEST(UdpTracker, AnnounceRequestOptions) {
    const std::string base = unhex(kAnnounceHex);
    std::string bytes = base + std::string("\x02\x05/annc", 7) + "\x01" +
                        std::string("\x02\x03?a=", 5) + std::string("\x00trailing", 9);
    auto r = decode_udp_request(bytes);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& a = std::get<UdpAnnounceRequest>(*r);
    EXPECT_EQ(a.url_data, "/annc?a=");
    // Re-encoded as one URLData option.
    EXPECT_EQ(encode_udp_request(a), base + std::string("\x02\x08/annc?a=", 10));

    // A piece longer than the packet, a length missing, too many option bytes.
    EXPECT_FALSE(decode_udp_request(base + std::string("\x02\x09/annc", 7)).ok());
    EXPECT_FALSE(decode_udp_request(base + "\x02").ok());
    EXPECT_FALSE(decode_udp_request(base + std::string(kUdpMaxAnnounceOptions + 1, '\x01')).ok());
    EXPECT_TRUE(decode_udp_request(base + std::string(kUdpMaxAnnounceOptions, '\x01')).ok());
    // One byte short.
    EXPECT_FALSE(decode_udp_request(base.substr(0, 97)).ok());
}

TEST(UdpTracker, LongUrlDataIsSplitInto255BytePieces) {
    UdpAnnounceRequest a;
    a.url_data = std::string(300, 'x');
    const std::string bytes = encode_udp_request(a);
    ASSERT_EQ(bytes.size(), 98u + 2 + 255 + 2 + 45);
    EXPECT_EQ(static_cast<std::uint8_t>(bytes[98]), 2);
    EXPECT_EQ(static_cast<std::uint8_t>(bytes[99]), 255);
    auto r = decode_udp_request(bytes);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(std::get<UdpAnnounceRequest>(*r), a);
}

// BEP 15 announce response: action 1, transaction_id, interval, leechers, seeders, then
// 6-byte IPv4 or 18-byte IPv6 entries.
TEST(UdpTracker, AnnounceResponseIpv4) {
    const std::string bytes = unhex(
        "00000001 11223344 00000708 00000002 00000001"
        "7f000001 1ae1"
        "c0a80102 c8d5");
    auto r = decode_udp_response(bytes, AddressFamily::v4);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& a = std::get<UdpAnnounceResponse>(*r);
    EXPECT_EQ(a.transaction_id, 0x11223344u);
    EXPECT_EQ(a.interval, 1800u);
    EXPECT_EQ(a.leechers, 2u);
    EXPECT_EQ(a.seeders, 1u);
    ASSERT_EQ(a.peers.size(), 2u);
    EXPECT_EQ(a.peers[0].to_text(), "127.0.0.1:6881");
    EXPECT_EQ(a.peers[1].to_text(), "192.168.1.2:51413");
    EXPECT_EQ(encode_udp_response(a, AddressFamily::v4), bytes);
    // The same 12 bytes of peers are not whole IPv6 entries.
    EXPECT_FALSE(decode_udp_response(bytes, AddressFamily::v6).ok());
    EXPECT_FALSE(decode_udp_response(bytes + "x", AddressFamily::v4).ok());
    EXPECT_FALSE(decode_udp_response(bytes.substr(0, 19), AddressFamily::v4).ok());
}

TEST(UdpTracker, AnnounceResponseIpv6) {
    const std::string bytes = unhex(
        "00000001 00000001 0000003c 00000000 00000005"
        "20010db8000000000000000000000001 1ae1");
    auto r = decode_udp_response(bytes, AddressFamily::v6);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& a = std::get<UdpAnnounceResponse>(*r);
    ASSERT_EQ(a.peers.size(), 1u);
    EXPECT_EQ(a.peers[0].to_text(), "[2001:db8::1]:6881");
    EXPECT_EQ(encode_udp_response(a, AddressFamily::v6), bytes);
    // Encoding for an IPv4 request leaves the IPv6 peer out.
    EXPECT_EQ(encode_udp_response(a, AddressFamily::v4), bytes.substr(0, 20));
}

TEST(UdpTracker, ScrapeRequestBytes) {
    const std::string bytes =
        unhex(std::string("0123456789abcdef 00000002 00000009") + std::string(kHashHex) +
              "ffffffffffffffffffffffffffffffffffffffff");
    auto r = decode_udp_request(bytes);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& s = std::get<UdpScrapeRequest>(*r);
    EXPECT_EQ(s.connection_id, 0x0123456789abcdefu);
    EXPECT_EQ(s.transaction_id, 9u);
    ASSERT_EQ(s.info_hashes.size(), 2u);
    EXPECT_EQ(s.info_hashes[0], hash_of(1));
    EXPECT_EQ(to_hex(s.info_hashes[1]), std::string(40, 'f'));
    EXPECT_EQ(encode_udp_request(s), bytes);
    // A hash cut short; no hash at all.
    EXPECT_FALSE(decode_udp_request(bytes.substr(0, bytes.size() - 1)).ok());
    EXPECT_FALSE(decode_udp_request(bytes.substr(0, 16)).ok());
}

TEST(UdpTracker, ScrapeOfAtMost74Hashes) {
    UdpScrapeRequest s;
    s.info_hashes.assign(75, hash_of(7));
    const std::string bytes = encode_udp_request(s);
    EXPECT_EQ(bytes.size(), 16u + 74 * 20);  // the 75th left out
    EXPECT_TRUE(decode_udp_request(bytes).ok());
    EXPECT_FALSE(decode_udp_request(bytes + std::string(20, 'h')).ok());
}

// Scrape response entries: seeders, completed, leechers.
TEST(UdpTracker, ScrapeResponseBytes) {
    const std::string bytes = unhex(
        "00000002 00000009"
        "00000001 00000002 00000003"
        "0000000a 0000000b 0000000c");
    auto r = decode_udp_response(bytes);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& s = std::get<UdpScrapeResponse>(*r);
    ASSERT_EQ(s.counts.size(), 2u);
    EXPECT_EQ(s.counts[0], (UdpScrapeCounts{1, 2, 3}));
    EXPECT_EQ(s.counts[1], (UdpScrapeCounts{10, 11, 12}));
    EXPECT_EQ(encode_udp_response(s), bytes);
    EXPECT_FALSE(decode_udp_response(bytes + "x").ok());
    EXPECT_FALSE(decode_udp_response(unhex("00000002 00000009") + std::string(75 * 12, '\0')).ok());
}

TEST(UdpTracker, ErrorResponse) {
    const std::string bytes = unhex("00000003 00000009") + "unregistered torrent";
    auto r = decode_udp_response(bytes);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(std::get<UdpErrorResponse>(*r), (UdpErrorResponse{9, "unregistered torrent"}));
    EXPECT_EQ(transaction_id(*r), 9u);
    EXPECT_EQ(encode_udp_response(*r), bytes);
    EXPECT_FALSE(
        decode_udp_response(unhex("00000003 00000009") + std::string(kUdpMaxErrorMessage + 1, 'x'))
            .ok());
}

TEST(UdpTracker, ResponseRejects) {
    EXPECT_FALSE(decode_udp_response("").ok());
    EXPECT_FALSE(decode_udp_response(unhex("00000001 000000")).ok());
    EXPECT_FALSE(decode_udp_response(unhex("00000004 00000000")).ok());
}

TEST(UdpTracker, AnnounceConversions) {
    auto r = decode_udp_request(unhex(kAnnounceHex));
    ASSERT_TRUE(r.ok());
    UdpAnnounceRequest udp = std::get<UdpAnnounceRequest>(*r);
    udp.ip = {10, 0, 0, 7};
    const AnnounceRequest http = to_announce_request(udp);
    EXPECT_EQ(http.info_hash, udp.info_hash);
    EXPECT_EQ(http.port, 6881);
    EXPECT_EQ(http.left, 1ull << 32);
    EXPECT_EQ(http.event, AnnounceEvent::started);
    EXPECT_FALSE(http.numwant.has_value());
    EXPECT_EQ(http.ip, "10.0.0.7");
    EXPECT_EQ(http.key, "CAFEBABE");
    EXPECT_TRUE(http.compact);

    const UdpAnnounceRequest back =
        to_udp_announce_request(http, udp.connection_id, udp.transaction_id, udp.key);
    EXPECT_EQ(back, udp);

    AnnounceRequest named = http;
    named.ip = "peer.example";
    named.numwant = 0xffffffffu;
    const UdpAnnounceRequest capped = to_udp_announce_request(named, 1, 2, 3);
    EXPECT_EQ(capped.ip, (std::array<std::uint8_t, 4>{}));
    EXPECT_EQ(capped.num_want, 0x7fffffff);
}

TEST(UdpTracker, RegistryAnswersConverted) {
    AnnounceResponse ok;
    ok.interval = 60;
    ok.complete = 3;
    ok.incomplete = 4;
    ok.peers.push_back({PeerAddress::v4({10, 0, 0, 1}, 1), std::nullopt});
    ok.peers.push_back({*parse_ip_address("::1", 2), std::nullopt});
    const auto v6 =
        std::get<UdpAnnounceResponse>(to_udp_announce_response(ok, 5, AddressFamily::v6));
    EXPECT_EQ(v6.transaction_id, 5u);
    EXPECT_EQ(v6.seeders, 3u);
    EXPECT_EQ(v6.leechers, 4u);
    ASSERT_EQ(v6.peers.size(), 1u);
    EXPECT_EQ(v6.peers[0].to_text(), "[::1]:2");
    const auto failed = to_udp_announce_response(announce_failure("no"), 6, AddressFamily::v4);
    EXPECT_EQ(std::get<UdpErrorResponse>(failed), (UdpErrorResponse{6, "no"}));

    ScrapeResponse scrape;
    scrape.files.push_back(ScrapeEntry{hash_of(1), 1, 2, 3});
    const auto s = std::get<UdpScrapeResponse>(to_udp_scrape_response(scrape, 8));
    ASSERT_EQ(s.counts.size(), 1u);
    EXPECT_EQ(s.counts[0], (UdpScrapeCounts{1, 2, 3}));
}

TEST(UdpTracker, RetrySchedule) {
    const long expected[] = {15, 30, 60, 120, 240, 480, 960, 1920, 3840};
    for (unsigned n = 0; n < 9; ++n) {
        ASSERT_TRUE(udp_retry_timeout(n).has_value());
        EXPECT_EQ(udp_retry_timeout(n)->count(), expected[n]);
    }
    EXPECT_FALSE(udp_retry_timeout(9).has_value());
    EXPECT_FALSE(udp_retry_timeout(1000).has_value());
}

TEST(UdpTracker, ClientConnectionIdLastsOneMinute) {
    const TimePoint t0 = TimePoint{} + 1000s;
    EXPECT_TRUE(udp_connection_id_usable(t0, t0));
    EXPECT_TRUE(udp_connection_id_usable(t0, t0 + 59s));
    EXPECT_FALSE(udp_connection_id_usable(t0, t0 + 60s));
    EXPECT_FALSE(udp_connection_id_usable(t0, t0 - 1s));
}

TEST(UdpTracker, ServerConnectionIdsNeedNoState) {
    const UdpConnectionIds ids("0123456789abcdef-secret");
    const PeerAddress client = PeerAddress::v4({192, 0, 2, 7}, 40000);
    const TimePoint base = TimePoint{} + 100 * 60s;
    for (int offset = 0; offset < 60; offset += 7) {
        const TimePoint issued = base + std::chrono::seconds(offset);
        const std::uint64_t id = ids.issue(client, issued);
        // Accepted for at least two minutes (BEP 15), at most three.
        EXPECT_TRUE(ids.accepts(id, client, issued));
        EXPECT_TRUE(ids.accepts(id, client, issued + 120s)) << offset;
        EXPECT_FALSE(ids.accepts(id, client, issued + 181s)) << offset;
        EXPECT_FALSE(ids.accepts(id, client, issued - 61s)) << offset;
        // Another address, another key, another id.
        EXPECT_FALSE(ids.accepts(id, PeerAddress::v4({192, 0, 2, 8}, 40000), issued));
        EXPECT_FALSE(UdpConnectionIds("another key").accepts(id, client, issued));
        EXPECT_FALSE(ids.accepts(id ^ 1, client, issued));
        EXPECT_FALSE(ids.accepts(id ^ (1ull << 56), client, issued));
    }
    // The port is not part of it; an IPv4-mapped address is its IPv4 address.
    const std::uint64_t id = ids.issue(client, base);
    EXPECT_TRUE(ids.accepts(id, PeerAddress::v4({192, 0, 2, 7}, 1), base));
    EXPECT_TRUE(ids.accepts(id, *parse_ip_address("::ffff:192.0.2.7", 9), base));
    EXPECT_FALSE(ids.accepts(id, *parse_ip_address("::192.0.2.7", 9), base));
    // The same input gives the same id: no state.
    EXPECT_EQ(UdpConnectionIds("0123456789abcdef-secret").issue(client, base), id);
    EXPECT_NE(ids.issue(client, base + 60s), id);
}

}  // namespace
}  // namespace l7::p2p
