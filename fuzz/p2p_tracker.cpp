// The tracker codecs and registry (src/p2p/tracker_http, tracker_udp, swarm_registry) on
// hostile input. Whatever decodes re-encodes and decodes to the same struct: announce and
// scrape query strings, announce and scrape responses (both peer list forms), UDP requests
// and responses (both address families), compact peer lists, percent-encoding. Decoded
// announces, HTTP and UDP, go to a registry with small limits, from a few IPv4 and IPv6
// addresses, in virtual time; its answers never hold more peers than asked or allowed,
// never the requester, never another family; its swarms never exceed their limits and its
// counts agree with its peers. Connection ids issued are accepted for two minutes.
//
// Input: byte 0 and 1 configure the registry (limits, numwant, the "ip" parameter, full
// scrape, an allow-list); then records of a tag byte, a 2-byte big-endian length and that
// many bytes (cut at the end of input). The tag's low 3 bits choose what the bytes are:
//   0 an HTTP announce query (also tried as a scrape query and an announce URL)
//   1 an HTTP announce response body (also tried as a scrape response)
//   2 a UDP request            3 a UDP response
//   4 time passes (the first byte, in 10 s steps) and the registry expires peers
//   5 a compact peer list and a percent-encoded value
//   6, 7 as 0 and 2
// and its high bits which source address a request comes from (bit 3: IPv6; 4-7: which).

#include <algorithm>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "p2p/swarm_registry.hpp"
#include "p2p/tracker_http.hpp"
#include "p2p/tracker_udp.hpp"

using namespace l7::p2p;
using namespace std::chrono_literals;

namespace {

struct World {
    SwarmRegistry registry;
    UdpConnectionIds ids{"fuzz key 0123456789"};
    l7::TimePoint now = l7::TimePoint{} + 24h;
};

PeerAddress source_of(std::uint8_t tag) {
    const auto n = static_cast<std::uint8_t>(tag >> 4);
    if ((tag & 8) != 0) {
        std::array<std::uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8};
        b[15] = n;
        return PeerAddress::v6(b, 1000);
    }
    return PeerAddress::v4({10, 0, 0, n}, 1000);
}

// The registry's state stays within its limits and its counts add up.
void check_registry(const SwarmRegistry& reg) {
    const SwarmConfig& c = reg.config();
    L7_FUZZ_CHECK(reg.torrent_count() <= c.max_torrents);
    const SwarmStats s = reg.stats();
    L7_FUZZ_CHECK(s.torrents == reg.torrent_count());
    std::size_t seeds = 0;
    std::size_t leechers = 0;
    std::uint64_t completed = 0;
    for (const TorrentStats& t : reg.torrent_stats(c.max_torrents)) {
        L7_FUZZ_CHECK(t.seeds + t.leechers <= c.max_peers_per_torrent);
        L7_FUZZ_CHECK(t.seeds + t.leechers == reg.peer_count(t.info_hash));
        std::size_t counted_seeds = 0;
        for (const SwarmPeer& p : reg.peers(t.info_hash)) {
            counted_seeds += p.seed() ? 1 : 0;
            L7_FUZZ_CHECK(p.address.port != 0);
            L7_FUZZ_CHECK(p.address == p.address.unmapped());
        }
        L7_FUZZ_CHECK(counted_seeds == t.seeds);
        L7_FUZZ_CHECK(t.completed <= 1'000'000);
        seeds += t.seeds;
        leechers += t.leechers;
        completed += t.completed;
    }
    L7_FUZZ_CHECK(seeds == s.seeds && leechers == s.leechers && completed == s.completed);
}

void announce(World& w, const AnnounceRequest& request, const PeerAddress& from) {
    const AnnounceResponse r = w.registry.announce(request, from, w.now);
    const SwarmConfig& c = w.registry.config();
    if (!r.failure_reason) {
        const std::uint32_t want =
            std::min(request.numwant.value_or(c.default_numwant), c.max_numwant);
        L7_FUZZ_CHECK(r.peers.size() <= want);
        L7_FUZZ_CHECK(r.complete && r.incomplete);
        L7_FUZZ_CHECK(*r.complete + *r.incomplete == w.registry.peer_count(request.info_hash));
        PeerAddress self = from.unmapped();
        self.port = request.port;
        for (const TrackerPeer& p : r.peers) {
            L7_FUZZ_CHECK(c.accept_ip_parameter || p.address.family == self.family);
            L7_FUZZ_CHECK(c.accept_ip_parameter || p.address != self);
        }
        if (request.event == AnnounceEvent::stopped) {
            L7_FUZZ_CHECK(r.peers.empty());
        }
        // The answer survives both encodings and the UDP one.
        auto compact = decode_announce_response(encode_announce_response(r, true));
        L7_FUZZ_CHECK(compact.ok() && compact->peers.size() == r.peers.size());
        auto full = decode_announce_response(encode_announce_response(r, false));
        L7_FUZZ_CHECK(full.ok() && *full == r);
    } else {
        auto failed = decode_announce_response(encode_announce_response(r, true));
        L7_FUZZ_CHECK(failed.ok() && failed->failure_reason == r.failure_reason);
    }
    check_registry(w.registry);
}

void scrape(World& w, std::span<const InfoHash> hashes) {
    const ScrapeResponse r = w.registry.scrape(hashes);
    if (!hashes.empty()) {
        L7_FUZZ_CHECK(!r.failure_reason && r.files.size() == hashes.size());
    }
    for (const ScrapeEntry& e : r.files) {
        L7_FUZZ_CHECK(e.complete + e.incomplete <= w.registry.config().max_peers_per_torrent);
    }
    auto back = decode_scrape_response(encode_scrape_response(r));
    L7_FUZZ_CHECK(back.ok());
}

void http_query(World& w, std::string_view data, const PeerAddress& from) {
    if (auto r = parse_announce_query(data)) {
        const std::string q = announce_query(*r);
        auto again = parse_announce_query(q);
        L7_FUZZ_CHECK(again.ok() && *again == *r);
        auto url = announce_request_url("http://t.example/announce?k=1", *r);
        L7_FUZZ_CHECK(url.ends_with(q));
        announce(w, *r, from);
    }
    if (auto hashes = parse_scrape_query(data)) {
        L7_FUZZ_CHECK(hashes->size() <= kMaxHttpScrapeHashes);
        auto again = parse_scrape_query(scrape_query(*hashes));
        L7_FUZZ_CHECK(again.ok() && *again == *hashes);
        scrape(w, *hashes);
    }
    if (auto url = scrape_url(data)) {
        L7_FUZZ_CHECK(url->find("scrape") != std::string::npos);
        L7_FUZZ_CHECK(url->size() == data.size() - 2);
    }
}

void http_response(std::string_view data) {
    TrackerResponseLimits limits;
    limits.max_peers = 50;
    limits.max_files = 20;
    if (auto r = decode_announce_response(data, limits)) {
        L7_FUZZ_CHECK(r->peers.size() <= limits.max_peers);
        auto again = decode_announce_response(encode_announce_response(*r, false), limits);
        L7_FUZZ_CHECK(again.ok() && *again == *r);
        // The compact form keeps what it can carry: the order v4 then v6, no ids.
        const bool compactable =
            std::is_sorted(r->peers.begin(), r->peers.end(),
                           [](const TrackerPeer& a, const TrackerPeer& b) {
                               return a.address.family < b.address.family;
                           }) &&
            std::none_of(r->peers.begin(), r->peers.end(),
                         [](const TrackerPeer& p) { return p.peer_id.has_value(); });
        if (compactable) {
            auto compact = decode_announce_response(encode_announce_response(*r, true), limits);
            L7_FUZZ_CHECK(compact.ok() && *compact == *r);
        }
    }
    if (auto r = decode_scrape_response(data, limits)) {
        L7_FUZZ_CHECK(r->files.size() <= limits.max_files);
        auto again = decode_scrape_response(encode_scrape_response(*r), limits);
        L7_FUZZ_CHECK(again.ok() && *again == *r);
    }
}

void udp_request(World& w, std::string_view data, const PeerAddress& from) {
    auto r = decode_udp_request(data);
    if (!r) {
        return;
    }
    auto again = decode_udp_request(encode_udp_request(*r));
    L7_FUZZ_CHECK(again.ok() && *again == *r);
    if (std::holds_alternative<UdpConnectRequest>(*r)) {
        const std::uint64_t id = w.ids.issue(from, w.now);
        L7_FUZZ_CHECK(w.ids.accepts(id, from, w.now));
        L7_FUZZ_CHECK(w.ids.accepts(id, from, w.now + 120s));
        L7_FUZZ_CHECK(!w.ids.accepts(id, from, w.now + 181s));
    } else if (const auto* a = std::get_if<UdpAnnounceRequest>(&*r)) {
        (void)w.ids.accepts(a->connection_id, from, w.now);
        const AnnounceRequest http = to_announce_request(*a);
        // Back to UDP: all but the options (not an HTTP field) and a num_want below -1.
        UdpAnnounceRequest expected = *a;
        expected.url_data.clear();
        expected.num_want = std::max(expected.num_want, -1);
        L7_FUZZ_CHECK(to_udp_announce_request(http, a->connection_id, a->transaction_id, a->key) ==
                      expected);
        announce(w, http, from);
        const UdpResponse answer = to_udp_announce_response(
            w.registry.announce(http, from, w.now), a->transaction_id, from.unmapped().family);
        auto decoded = decode_udp_response(encode_udp_response(answer, from.unmapped().family),
                                           from.unmapped().family);
        L7_FUZZ_CHECK(decoded.ok() && transaction_id(*decoded) == a->transaction_id);
    } else {
        const auto& s = std::get<UdpScrapeRequest>(*r);
        L7_FUZZ_CHECK(!s.info_hashes.empty() && s.info_hashes.size() <= kUdpMaxScrapeHashes);
        scrape(w, s.info_hashes);
        const UdpResponse answer =
            to_udp_scrape_response(w.registry.scrape(s.info_hashes), s.transaction_id);
        auto decoded = decode_udp_response(encode_udp_response(answer));
        L7_FUZZ_CHECK(decoded.ok());
        L7_FUZZ_CHECK(std::get<UdpScrapeResponse>(*decoded).counts.size() == s.info_hashes.size());
    }
}

void udp_response(std::string_view data) {
    for (AddressFamily family : {AddressFamily::v4, AddressFamily::v6}) {
        auto r = decode_udp_response(data, family);
        if (!r) {
            continue;
        }
        if (const auto* a = std::get_if<UdpAnnounceResponse>(&*r)) {
            L7_FUZZ_CHECK(a->peers.size() <= kUdpMaxPeers);
        }
        const std::string bytes = encode_udp_response(*r, family);
        L7_FUZZ_CHECK(bytes == data);  // every field is fixed-size: the bytes are the struct
        auto again = decode_udp_response(bytes, family);
        L7_FUZZ_CHECK(again.ok() && *again == *r);
    }
}

void peers_and_percent(std::string_view data) {
    for (AddressFamily family : {AddressFamily::v4, AddressFamily::v6}) {
        if (auto peers = decode_compact_peers(data, family, 100)) {
            L7_FUZZ_CHECK(encode_compact_peers(*peers, family) == data);
            for (const PeerAddress& p : *peers) {
                auto parsed = parse_ip_address(p.ip_text(), p.port);
                L7_FUZZ_CHECK(parsed && *parsed == p);
            }
        }
    }
    if (auto decoded = percent_decode_query_value(data)) {
        L7_FUZZ_CHECK(decoded->size() <= data.size());
        auto again = percent_decode_query_value(percent_encode_query_value(*decoded));
        L7_FUZZ_CHECK(again.ok() && *again == *decoded);
    }
    if (auto ip = parse_ip_address(data)) {
        L7_FUZZ_CHECK(parse_ip_address(ip->ip_text()) == ip);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    SwarmConfig config;
    config.interval = std::chrono::seconds(30 + 30 * (data[0] & 3));
    config.max_torrents = 1 + ((data[0] >> 2) & 3);
    config.max_peers_per_torrent = 1 + ((data[0] >> 4) & 7);
    config.accept_ip_parameter = (data[0] & 0x80) != 0;
    config.default_numwant = data[1] & 7;
    config.max_numwant = 1 + ((data[1] >> 3) & 7);
    config.full_scrape = (data[1] & 0x40) != 0;
    if ((data[1] & 0x80) != 0) {
        // Torrents whose info-hash begins with an even byte.
        config.allowed.emplace();
        for (int b = 0; b < 256; b += 2) {
            InfoHash h{};
            h.fill(static_cast<std::uint8_t>(b));
            config.allowed->insert(h);
        }
    }
    std::uint64_t rng = data[0] * 0x9e3779b97f4a7c15ull + data[1];
    World w{SwarmRegistry(config, [&rng] {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        return rng >> 11;
    })};

    std::string_view input = l7::fuzz::as_text(data + 2, size - 2);
    for (int records = 0; records < 1000 && input.size() >= 3; ++records) {
        const auto tag = static_cast<std::uint8_t>(input[0]);
        const std::size_t len =
            static_cast<std::uint8_t>(input[1]) << 8 | static_cast<std::uint8_t>(input[2]);
        input.remove_prefix(3);
        const std::string_view body = input.substr(0, std::min(len, input.size()));
        input.remove_prefix(body.size());
        const PeerAddress from = source_of(tag);
        switch (tag & 7) {
            case 0:
            case 6:
                http_query(w, body, from);
                break;
            case 1:
                http_response(body);
                break;
            case 2:
            case 7:
                udp_request(w, body, from);
                break;
            case 3:
                udp_response(body);
                break;
            case 4:
                w.now += std::chrono::seconds(
                    10 * (body.empty() ? 1 : static_cast<std::uint8_t>(body[0])));
                w.registry.expire(w.now);
                check_registry(w.registry);
                break;
            default:
                peers_and_percent(body);
                break;
        }
    }
    return 0;
}
