// The HTTP tracker protocol: announce query strings both ways (every byte value of a binary
// info_hash), compact peer lists over IPv4 and IPv6 both ways (BEP 23, BEP 7), announce and
// scrape responses in both forms, the scrape URL rule of BEP 48, and hostile responses.

#include "p2p/tracker_http.hpp"

#include <gtest/gtest.h>

#include "p2p/bencode.hpp"

namespace l7::p2p {
namespace {

using namespace std::string_literals;

InfoHash hash_of(std::uint8_t first) {
    InfoHash h{};
    for (std::size_t i = 0; i < h.size(); ++i) {
        h[i] = static_cast<std::uint8_t>(first + i);
    }
    return h;
}

PeerId peer_id(std::string_view text) {
    PeerId id{};
    EXPECT_TRUE(from_bytes(text, id));
    return id;
}

AnnounceRequest sample_request() {
    AnnounceRequest r;
    r.info_hash = hash_of(0xf0);
    r.peer_id = peer_id("-L70001-abcdefghijkl");
    r.port = 6881;
    r.uploaded = 10;
    r.downloaded = 20;
    r.left = 30;
    return r;
}

// ---- Peer addresses -------------------------------------------------------------------

TEST(PeerAddress, Text) {
    EXPECT_EQ(PeerAddress::v4({1, 2, 3, 4}, 6881).to_text(), "1.2.3.4:6881");
    auto v6 = parse_ip_address("::1", 6881);
    ASSERT_TRUE(v6.has_value());
    EXPECT_EQ(v6->family, AddressFamily::v6);
    EXPECT_EQ(v6->to_text(), "[::1]:6881");
    EXPECT_EQ(parse_ip_address("2001:DB8:0:0:0:0:0:1")->ip_text(), "2001:db8::1");
    EXPECT_EQ(parse_ip_address("10.0.0.1", 5)->to_text(), "10.0.0.1:5");
    for (const char* bad : {"", "example.org", "[::1]", "1.2.3", "1.2.3.4.5", "256.1.1.1",
                            "fe80::1%eth0", "1.2.3.4:80", " 1.2.3.4"}) {
        EXPECT_FALSE(parse_ip_address(bad).has_value()) << bad;
    }
    EXPECT_FALSE(parse_ip_address("1.2.3.4\0"s).has_value());
}

TEST(PeerAddress, Unmapped) {
    const PeerAddress mapped = *parse_ip_address("::ffff:192.0.2.1", 80);
    EXPECT_EQ(mapped.family, AddressFamily::v6);
    EXPECT_EQ(mapped.unmapped(), PeerAddress::v4({192, 0, 2, 1}, 80));
    const PeerAddress plain = *parse_ip_address("2001:db8::ffff:c000:201", 80);
    EXPECT_EQ(plain.unmapped(), plain);
}

// ---- Compact peer lists ---------------------------------------------------------------

TEST(CompactPeers, Ipv4BothWays) {
    const std::string bytes = "\x7f\x00\x00\x01\x1a\xe1\xc0\xa8\x01\x02\xc8\xd5"s;
    auto peers = decode_compact_peers(bytes, AddressFamily::v4, 10);
    ASSERT_TRUE(peers.ok()) << peers.error().message;
    ASSERT_EQ(peers->size(), 2u);
    EXPECT_EQ((*peers)[0].to_text(), "127.0.0.1:6881");
    EXPECT_EQ((*peers)[1].to_text(), "192.168.1.2:51413");
    EXPECT_EQ(encode_compact_peers(*peers, AddressFamily::v4), bytes);
    EXPECT_EQ(encode_compact_peers(*peers, AddressFamily::v6), "");
    EXPECT_FALSE(decode_compact_peers(bytes.substr(0, 11), AddressFamily::v4, 10).ok());
    EXPECT_FALSE(decode_compact_peers(bytes, AddressFamily::v4, 1).ok());
    EXPECT_TRUE(decode_compact_peers("", AddressFamily::v4, 0).ok());
}

TEST(CompactPeers, Ipv6BothWays) {
    const std::string bytes =
        "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1a\xe1"s
        "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x50"s;
    auto peers = decode_compact_peers(bytes, AddressFamily::v6, 10);
    ASSERT_TRUE(peers.ok()) << peers.error().message;
    ASSERT_EQ(peers->size(), 2u);
    EXPECT_EQ((*peers)[0].to_text(), "[2001:db8::1]:6881");
    EXPECT_EQ((*peers)[1].to_text(), "[::1]:80");
    EXPECT_EQ(encode_compact_peers(*peers, AddressFamily::v6), bytes);
    // 36 bytes are 6 IPv4 entries, but not 17-byte leftovers.
    EXPECT_EQ(decode_compact_peers(bytes, AddressFamily::v4, 10)->size(), 6u);
    EXPECT_FALSE(decode_compact_peers(bytes.substr(1), AddressFamily::v6, 10).ok());
}

// ---- Query strings --------------------------------------------------------------------

TEST(PercentEncoding, EveryByteValue) {
    std::string all;
    for (int b = 0; b < 256; ++b) {
        all += static_cast<char>(b);
    }
    const std::string encoded = percent_encode_query_value(all);
    EXPECT_NE(encoded.find("%00%01"), std::string::npos);
    EXPECT_NE(encoded.find("%2B"), std::string::npos);  // '+' is not unreserved
    EXPECT_NE(encoded.find("%25"), std::string::npos);
    EXPECT_NE(encoded.find("-.%2F0123456789%3A"), std::string::npos);
    EXPECT_NE(encoded.find("%5E_%60abc"), std::string::npos);
    EXPECT_NE(encoded.find("xyz%7B%7C%7D~%7F%80%81"), std::string::npos);
    EXPECT_TRUE(encoded.ends_with("%FE%FF"));
    EXPECT_EQ(encoded.size(), 66u + 190u * 3);  // 66 unreserved bytes stay literal
    auto decoded = percent_decode_query_value(encoded);
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, all);
    // Lowercase hex and a literal '+' (the byte, not a space).
    EXPECT_EQ(*percent_decode_query_value("%ff%Fa+x"), "\xff\xfa+x");
    for (const char* bad : {"%", "%4", "%G0", "a%0", "%%41"}) {
        EXPECT_FALSE(percent_decode_query_value(bad).ok()) << bad;
    }
}

TEST(AnnounceQuery, EveryBinaryByteRoundTrips) {
    for (int start = 0; start < 256; start += 20) {
        AnnounceRequest r = sample_request();
        for (std::size_t i = 0; i < 20; ++i) {
            r.info_hash[i] = static_cast<std::uint8_t>(start + static_cast<int>(i));
            r.peer_id[i] = static_cast<std::uint8_t>(255 - start - static_cast<int>(i));
        }
        const std::string query = announce_query(r);
        for (char c : query) {
            ASSERT_TRUE(c > ' ' && c < 127 && c != '#' && c != '+') << query;
        }
        auto parsed = parse_announce_query(query);
        ASSERT_TRUE(parsed.ok()) << parsed.error().message;
        EXPECT_EQ(*parsed, r) << query;
    }
}

TEST(AnnounceQuery, Bytes) {
    AnnounceRequest r = sample_request();
    r.info_hash = hash_of(0x2a);  // '*' '+' ',' '-' '.' '/' '0' ...
    r.event = AnnounceEvent::started;
    r.numwant = 80;
    r.key = "8A1F 2";
    EXPECT_EQ(announce_query(r),
              "info_hash=%2A%2B%2C-.%2F0123456789%3A%3B%3C%3D&peer_id=-L70001-abcdefghijkl"
              "&port=6881&uploaded=10&downloaded=20&left=30&compact=1&event=started"
              "&numwant=80&key=8A1F%202");
}

TEST(AnnounceQuery, AllOptionalFieldsRoundTrip) {
    AnnounceRequest r = sample_request();
    r.event = AnnounceEvent::completed;
    r.compact = false;
    r.no_peer_id = true;
    r.numwant = 0;
    r.ip = "2001:db8::5";
    r.key = "k&=%";
    r.trackerid = "tracker/1";
    r.uploaded = 18446744073709551615ull;
    auto parsed = parse_announce_query(announce_query(r));
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(*parsed, r);
}

TEST(AnnounceQuery, Url) {
    const AnnounceRequest r = sample_request();
    const std::string q = announce_query(r);
    EXPECT_EQ(announce_request_url("http://t.example/announce", r),
              "http://t.example/announce?" + q);
    EXPECT_EQ(announce_request_url("http://t.example/announce?passkey=abc", r),
              "http://t.example/announce?passkey=abc&" + q);
    EXPECT_EQ(announce_request_url("http://t.example/announce?", r),
              "http://t.example/announce?" + q);
    EXPECT_EQ(announce_request_url("http://t.example/a.php#frag", r),
              "http://t.example/a.php?" + q);
}

// What a real client sends (libtorrent's order and spellings), with extra parameters.
TEST(AnnounceQuery, ParsesAClientsQuery) {
    auto r = parse_announce_query(
        "info_hash=%12%34Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A&peer_id=-qB4250-a1b2c3d4e5f6"
        "&port=51413&uploaded=0&downloaded=0&left=1048576&corrupt=0&key=6AB81C41&event=started"
        "&numwant=200&compact=1&no_peer_id=1&supportcrypto=1&redundant=0");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(to_hex(r->info_hash), "123456789abcdef123456789abcdef123456789a");
    EXPECT_EQ(to_bytes(r->peer_id), "-qB4250-a1b2c3d4e5f6");
    EXPECT_EQ(r->port, 51413);
    EXPECT_EQ(r->left, 1048576u);
    EXPECT_EQ(r->event, AnnounceEvent::started);
    EXPECT_EQ(r->numwant, 200u);
    EXPECT_EQ(r->key, "6AB81C41");
    EXPECT_TRUE(r->compact);
    EXPECT_TRUE(r->no_peer_id);
    EXPECT_FALSE(r->ip.has_value());
}

TEST(AnnounceQuery, Defaults) {
    const std::string ids = "info_hash=" + percent_encode_query_value(to_bytes(hash_of(1))) +
                            "&peer_id=" + percent_encode_query_value("-L70001-abcdefghijkl");
    auto r = parse_announce_query(ids + "&port=1&left=0&event=&&");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->uploaded, 0u);
    EXPECT_EQ(r->downloaded, 0u);
    EXPECT_TRUE(r->compact);
    EXPECT_EQ(r->event, AnnounceEvent::none);
    EXPECT_EQ(parse_announce_query(ids + "&port=1&left=0&event=empty")->event, AnnounceEvent::none);
    EXPECT_EQ(parse_announce_query(ids + "&port=01&left=0")->port, 1);
}

TEST(AnnounceQuery, Errors) {
    const std::string ih = "info_hash=" + percent_encode_query_value(to_bytes(hash_of(1)));
    const std::string pid = "peer_id=" + percent_encode_query_value("-L70001-abcdefghijkl");
    const std::string ok = ih + "&" + pid + "&port=6881&left=5";
    ASSERT_TRUE(parse_announce_query(ok).ok());

    const auto error = [](std::string_view q) {
        auto r = parse_announce_query(q);
        return r.ok() ? std::string("(parsed)") : r.error().message;
    };
    EXPECT_EQ(error(pid + "&port=6881&left=5"), "missing info_hash");
    EXPECT_EQ(error(ih + "&port=6881&left=5"), "missing peer_id");
    EXPECT_EQ(error(ih + "&" + pid + "&left=5"), "missing port");
    EXPECT_EQ(error(ih + "&" + pid + "&port=6881"), "missing left");
    EXPECT_EQ(error(""), "missing info_hash");
    EXPECT_EQ(error(ok + "&" + ih), "repeated info_hash");
    EXPECT_EQ(error(ok + "&left=6"), "repeated left");
    EXPECT_EQ(error(ok + "&info_hash=abc"), "repeated info_hash");
    EXPECT_EQ(error("info_hash=abc&" + pid + "&port=6881&left=5"),
              "invalid info_hash: not 20 bytes");
    EXPECT_EQ(error(ih + "&peer_id=%00&port=6881&left=5"), "invalid peer_id: not 20 bytes");
    for (const char* bad : {"port=0", "port=65536", "port=", "port=-1", "port=+1", "port=1x"}) {
        EXPECT_EQ(error(ih + "&" + pid + "&left=5&" + bad), "invalid port") << bad;
    }
    for (const char* bad : {"-1", "18446744073709551616", "1e3", " 1", "0x10"}) {
        EXPECT_EQ(error(ih + "&" + pid + "&port=1&left=" + bad), "invalid left") << bad;
    }
    EXPECT_EQ(error(ok + "&event=finished"), "invalid event");
    EXPECT_EQ(error(ok + "&compact=2"), "invalid compact");
    EXPECT_EQ(error(ok + "&numwant=4294967296"), "invalid numwant");
    EXPECT_EQ(error(ok + "&ip=" + std::string(kMaxQueryText + 1, 'a')), "ip longer than 255 bytes");
    EXPECT_TRUE(parse_announce_query(ok + "&key=" + std::string(kMaxQueryText, 'a')).ok());
    EXPECT_EQ(error(ok + "&key=%4"), "key: '%' not followed by two hex digits");
    EXPECT_NE(error(ok + "&x=" + std::string(kMaxQueryLength, 'a')).find("longer than"),
              std::string::npos);
    std::string many = ok;
    for (std::size_t i = 0; i < kMaxQueryParams; ++i) {
        many += "&x=1";
    }
    EXPECT_NE(error(many).find("query parameters"), std::string::npos);
}

// ---- Announce responses ---------------------------------------------------------------

AnnounceResponse sample_response() {
    AnnounceResponse r;
    r.interval = 1800;
    r.complete = 1;
    r.incomplete = 2;
    r.peers.push_back({PeerAddress::v4({127, 0, 0, 1}, 6881), peer_id("-L70001-aaaaaaaaaaaa")});
    r.peers.push_back({*parse_ip_address("::1", 6882), peer_id("-L70001-bbbbbbbbbbbb")});
    return r;
}

TEST(AnnounceResponse, CompactBytes) {
    const std::string body = encode_announce_response(sample_response(), true);
    EXPECT_EQ(body,
              "d8:completei1e10:incompletei2e8:intervali1800e"
              "5:peers6:\x7f\x00\x00\x01\x1a\xe1"
              "6:peers618:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1a\xe2"
              "e"s);
    auto r = decode_announce_response(body);
    ASSERT_TRUE(r.ok()) << r.error().message;
    AnnounceResponse expected = sample_response();
    for (TrackerPeer& p : expected.peers) {
        p.peer_id.reset();  // compact lists carry no ids
    }
    EXPECT_EQ(*r, expected);
}

TEST(AnnounceResponse, CompactWithoutIpv6PeersHasNoPeers6) {
    AnnounceResponse r;
    r.interval = 60;
    EXPECT_EQ(encode_announce_response(r, true), "d8:intervali60e5:peers0:e");
}

TEST(AnnounceResponse, DictionaryForm) {
    AnnounceResponse full = sample_response();
    full.min_interval = 900;
    full.tracker_id = "t1";
    full.warning_message = "be nice";
    const std::string body = encode_announce_response(full, false);
    EXPECT_EQ(body,
              "d8:completei1e10:incompletei2e8:intervali1800e12:min intervali900e"
              "5:peersld2:ip9:127.0.0.17:peer id20:-L70001-aaaaaaaaaaaa4:porti6881eed2:ip3:::1"
              "7:peer id20:-L70001-bbbbbbbbbbbb4:porti6882eee10:tracker id2:t1"
              "15:warning message7:be nicee");
    auto r = decode_announce_response(body);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, full);

    // no_peer_id: the same without ids.
    const std::string anonymous = encode_announce_response(full, false, false);
    EXPECT_EQ(anonymous.find("peer id"), std::string::npos);
    auto a = decode_announce_response(anonymous);
    ASSERT_TRUE(a.ok());
    EXPECT_FALSE(a->peers[0].peer_id.has_value());
    EXPECT_EQ(a->peers[1].address.to_text(), "[::1]:6882");
}

TEST(AnnounceResponse, DictionaryFormSkipsHostNamesAndOddIds) {
    auto r = decode_announce_response(
        "d8:intervali30e5:peersld2:ip11:example.org4:porti1eed2:ip8:10.0.0.2"
        "7:peer id3:abc4:porti2eeee");
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->peers.size(), 1u);
    EXPECT_EQ(r->peers[0].address.to_text(), "10.0.0.2:2");
    EXPECT_FALSE(r->peers[0].peer_id.has_value());
}

TEST(AnnounceResponse, Failure) {
    const std::string body =
        encode_announce_response(announce_failure("unregistered torrent"), true);
    EXPECT_EQ(body, "d14:failure reason20:unregistered torrente");
    auto r = decode_announce_response(body);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->failure_reason, "unregistered torrent");
    // A failure needs nothing else, even if other keys are malformed.
    EXPECT_TRUE(decode_announce_response("d14:failure reason1:x8:intervali-1ee").ok());
}

TEST(AnnounceResponse, HostileBodies) {
    TrackerResponseLimits small;
    small.max_peers = 2;
    small.max_text = 8;
    small.max_body = 200;
    const std::string six = "\x01\x02\x03\x04\x00\x01"s;
    const std::string bodies[] = {
        "",
        "garbage",
        "le",                                 // not a dictionary
        "d8:intervali30e",                    // unterminated
        "d8:intervali30ee trailing",          // trailing bytes
        "d5:peers0:e",                        // no interval
        "d8:intervali-1e5:peers0:e",          // negative
        "d8:intervali4294967296e5:peers0:e",  // beyond 32 bits
        "d8:interval2:30e",                   // a string
        "d8:completei-5e8:intervali30ee",     // negative count
        "d8:intervali30e5:peers5:abcdee",     // not whole entries
        "d8:intervali30e6:peers617:" + std::string(17, 'x') + "e",
        "d8:intervali30e5:peersi7ee",                // an integer
        "d8:intervali30e5:peerslleee",               // a list of lists
        "d8:intervali30e5:peersld2:ip7:1.2.3.4eee",  // no port
        "d8:intervali30e5:peersld2:ip7:1.2.3.44:porti70000eeee",
        "d8:intervali30e5:peersld2:ipi1e4:porti1eeee",        // ip an integer
        "d8:intervali30e5:peers18:" + six + six + six + "e",  // over max_peers
        "d8:intervali30e5:peers12:" + six + six + "6:peers618:" + std::string(18, 'y') + "e",
        "d8:intervali30e15:warning message9:123456789e",  // over max_text
        "d14:failure reason9:123456789e",
        "d8:intervali30e10:tracker idi1ee",
        "d8:intervali30e1:x" + std::string(40, 'l') + std::string(40, 'e') + "e",  // deep
        "d8:intervali30e1:x300:" + std::string(300, 'z') + "e",                    // over max_body
        "d8:intervali30e8:intervali30ee",                                          // repeated key
    };
    for (const std::string& body : bodies) {
        EXPECT_FALSE(decode_announce_response(body, small).ok()) << body;
    }
    EXPECT_TRUE(
        decode_announce_response("d8:intervali30e5:peers12:" + six + six + "e", small).ok());
}

// ---- Scrape ---------------------------------------------------------------------------

TEST(Scrape, UrlFromAnnounceUrl) {
    // The examples of BEP 48.
    const std::pair<const char*, const char*> cases[] = {
        {"http://example.com/announce", "http://example.com/scrape"},
        {"http://example.com/x/announce", "http://example.com/x/scrape"},
        {"http://example.com/announce.php", "http://example.com/scrape.php"},
        {"http://example.com/announce?x2%0644", "http://example.com/scrape?x2%0644"},
        {"http://example.com/announce?x=2/4", "http://example.com/scrape?x=2/4"},
        {"http://example.com/a", nullptr},
        {"http://example.com/a/b/announce.php?passkey=1",
         "http://example.com/a/b/scrape.php?passkey=1"},
        {"http://example.com/x%064announce", nullptr},
        {"http://example.com/announce/x", nullptr},
        {"http://example.com", nullptr},
    };
    for (const auto& [announce, scrape] : cases) {
        const auto got = scrape_url(announce);
        if (scrape == nullptr) {
            EXPECT_FALSE(got.has_value()) << announce;
        } else {
            EXPECT_EQ(got, scrape) << announce;
        }
    }
}

TEST(Scrape, QueryWithSeveralHashes) {
    const std::vector<InfoHash> hashes = {hash_of(0), hash_of(100), hash_of(200), hash_of(0)};
    const std::string q = scrape_query(hashes);
    EXPECT_TRUE(q.starts_with("info_hash=%00%01%02"));
    EXPECT_EQ(scrape_request_url("http://t/scrape?k=1", hashes), "http://t/scrape?k=1&" + q);
    auto parsed = parse_scrape_query(q + "&other=1");
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(*parsed, hashes);                    // repeated info_hash is what scrape is for
    EXPECT_TRUE(parse_scrape_query("")->empty());  // a full scrape
    EXPECT_FALSE(parse_scrape_query("info_hash=short").ok());
    EXPECT_FALSE(parse_scrape_query("info_hash=%zz").ok());
    const std::vector<InfoHash> too_many(kMaxHttpScrapeHashes + 1, hash_of(9));
    EXPECT_FALSE(parse_scrape_query(scrape_query(too_many)).ok());
    const std::vector<InfoHash> most(kMaxHttpScrapeHashes, hash_of(9));
    EXPECT_TRUE(parse_scrape_query(scrape_query(most)).ok());
}

TEST(Scrape, ResponseBothWays) {
    ScrapeResponse r;
    r.files.push_back(ScrapeEntry{hash_of(0x61), 5, 10, 2});
    const std::string body = encode_scrape_response(r);
    EXPECT_EQ(body,
              "d5:filesd20:abcdefghijklmnopqrstd8:completei5e10:downloadedi10e"
              "10:incompletei2eeee");
    auto d = decode_scrape_response(body);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(*d, r);

    auto partial = decode_scrape_response("d5:filesd20:abcdefghijklmnopqrstd8:completei5eeee");
    ASSERT_TRUE(partial.ok());
    EXPECT_EQ(partial->files[0], (ScrapeEntry{hash_of(0x61), 5, 0, 0}));

    ScrapeResponse failed;
    failed.failure_reason = "no scrape here";
    EXPECT_EQ(*decode_scrape_response(encode_scrape_response(failed)), failed);
    EXPECT_TRUE(decode_scrape_response("de")->files.empty());
}

TEST(Scrape, HostileResponses) {
    TrackerResponseLimits small;
    small.max_files = 1;
    const std::string bodies[] = {
        "",
        "l5:filese",
        "d5:filesle",
        "d5:filesd3:abcdeee",
        "d5:filesd20:abcdefghijklmnopqrsti1eee",
        "d5:filesd20:abcdefghijklmnopqrstd8:completei-1eeee",
        "d5:filesd20:abcdefghijklmnopqrstd8:complete1:5eeee",
        "d5:filesd20:abcdefghijklmnopqrstde20:bbcdefghijklmnopqrstdeee",  // over max_files
    };
    for (const std::string& body : bodies) {
        EXPECT_FALSE(decode_scrape_response(body, small).ok()) << body;
    }
}

}  // namespace
}  // namespace l7::p2p
