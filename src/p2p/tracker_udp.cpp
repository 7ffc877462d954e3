#include "p2p/tracker_udp.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/hex.hpp"

namespace l7::p2p {
namespace {

// Big-endian writer and reader; the reader's bounds are checked by its callers (each
// packet's length is validated before any field is read).
class Writer {
  public:
    void u8(std::uint8_t v) { out_ += static_cast<char>(v); }
    void u16(std::uint16_t v) {
        u8(static_cast<std::uint8_t>(v >> 8));
        u8(static_cast<std::uint8_t>(v));
    }
    void u32(std::uint32_t v) {
        u16(static_cast<std::uint16_t>(v >> 16));
        u16(static_cast<std::uint16_t>(v));
    }
    void u64(std::uint64_t v) {
        u32(static_cast<std::uint32_t>(v >> 32));
        u32(static_cast<std::uint32_t>(v));
    }
    void bytes(const std::uint8_t* p, std::size_t n) {
        out_.append(reinterpret_cast<const char*>(p), n);
    }
    void bytes(std::string_view s) { out_ += s; }
    std::string take() { return std::move(out_); }

  private:
    std::string out_;
};

class Reader {
  public:
    explicit Reader(std::string_view in) : in_(in) {}
    std::uint8_t u8() { return static_cast<std::uint8_t>(in_[pos_++]); }
    std::uint16_t u16() {
        const std::uint16_t hi = u8();
        return static_cast<std::uint16_t>(hi << 8 | u8());
    }
    std::uint32_t u32() {
        const std::uint32_t hi = u16();
        return hi << 16 | u16();
    }
    std::uint64_t u64() {
        const std::uint64_t hi = u32();
        return hi << 32 | u32();
    }
    template <std::size_t N>
    std::array<std::uint8_t, N> array() {
        std::array<std::uint8_t, N> a{};
        std::memcpy(a.data(), in_.data() + pos_, N);
        pos_ += N;
        return a;
    }
    std::string_view rest() const { return in_.substr(pos_); }

  private:
    std::string_view in_;
    std::size_t pos_ = 0;
};

// BEP 15's event numbers differ from the order of the HTTP words.
std::uint32_t event_number(AnnounceEvent e) {
    switch (e) {
        case AnnounceEvent::completed:
            return 1;
        case AnnounceEvent::started:
            return 2;
        case AnnounceEvent::stopped:
            return 3;
        case AnnounceEvent::none:
            break;
    }
    return 0;
}

std::optional<AnnounceEvent> event_from_number(std::uint32_t n) {
    switch (n) {
        case 0:
            return AnnounceEvent::none;
        case 1:
            return AnnounceEvent::completed;
        case 2:
            return AnnounceEvent::started;
        case 3:
            return AnnounceEvent::stopped;
        default:
            return std::nullopt;
    }
}

Error too_long_or_short(std::string_view what, std::size_t size) {
    return make_error(std::string(what) + " of " + std::to_string(size) + " bytes: wrong length");
}

// BEP 41 options after an announce: 0 ends the list, 1 is a no-op, every other type has a
// length byte; URLData (2) pieces are concatenated, unknown types skipped.
Result<std::string> decode_options(std::string_view in) {
    if (in.size() > kUdpMaxAnnounceOptions) {
        return make_error("announce options longer than " + std::to_string(kUdpMaxAnnounceOptions) +
                          " bytes");
    }
    std::string url_data;
    std::size_t i = 0;
    while (i < in.size()) {
        const auto type = static_cast<std::uint8_t>(in[i++]);
        if (type == 0) {
            break;
        }
        if (type == 1) {
            continue;
        }
        if (i >= in.size()) {
            return make_error("announce option without its length");
        }
        const auto len = static_cast<std::uint8_t>(in[i++]);
        if (in.size() - i < len) {
            return make_error("announce option longer than the packet");
        }
        if (type == 2) {
            url_data.append(in.substr(i, len));
        }
        i += len;
    }
    return url_data;
}

std::string hex8(std::uint32_t v) {
    std::string s(8, '0');
    for (int i = 7; i >= 0; --i) {
        s[static_cast<std::size_t>(i)] = kUpperHexDigits[v & 15];
        v >>= 4;
    }
    return s;
}

std::uint64_t minute_of(TimePoint t) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::minutes>(t.time_since_epoch()).count());
}

}  // namespace

// ---- Requests -------------------------------------------------------------------------

std::string encode_udp_request(const UdpRequest& request) {
    Writer w;
    if (const auto* c = std::get_if<UdpConnectRequest>(&request)) {
        w.u64(kUdpProtocolId);
        w.u32(static_cast<std::uint32_t>(UdpAction::connect));
        w.u32(c->transaction_id);
    } else if (const auto* a = std::get_if<UdpAnnounceRequest>(&request)) {
        w.u64(a->connection_id);
        w.u32(static_cast<std::uint32_t>(UdpAction::announce));
        w.u32(a->transaction_id);
        w.bytes(a->info_hash.data(), a->info_hash.size());
        w.bytes(a->peer_id.data(), a->peer_id.size());
        w.u64(a->downloaded);
        w.u64(a->left);
        w.u64(a->uploaded);
        w.u32(event_number(a->event));
        w.bytes(a->ip.data(), a->ip.size());
        w.u32(a->key);
        w.u32(static_cast<std::uint32_t>(a->num_want));
        w.u16(a->port);
        // URLData in pieces of at most 255 bytes, as far as the options' bound allows.
        std::string_view data = a->url_data;
        std::size_t room = kUdpMaxAnnounceOptions;
        while (!data.empty() && room > 2) {
            const std::size_t n = std::min({data.size(), std::size_t{255}, room - 2});
            w.u8(2);
            w.u8(static_cast<std::uint8_t>(n));
            w.bytes(data.substr(0, n));
            data.remove_prefix(n);
            room -= n + 2;
        }
    } else {
        const auto& s = std::get<UdpScrapeRequest>(request);
        w.u64(s.connection_id);
        w.u32(static_cast<std::uint32_t>(UdpAction::scrape));
        w.u32(s.transaction_id);
        const std::size_t n = std::min(s.info_hashes.size(), kUdpMaxScrapeHashes);
        for (std::size_t i = 0; i < n; ++i) {
            w.bytes(s.info_hashes[i].data(), s.info_hashes[i].size());
        }
    }
    return w.take();
}

Result<UdpRequest> decode_udp_request(std::string_view packet) {
    if (packet.size() < 16) {
        return too_long_or_short("request", packet.size());
    }
    Reader r(packet);
    const std::uint64_t id = r.u64();
    const std::uint32_t action = r.u32();
    const std::uint32_t tx = r.u32();
    switch (action) {
        case static_cast<std::uint32_t>(UdpAction::connect):
            if (id != kUdpProtocolId) {
                return make_error("connect request without the protocol id");
            }
            if (packet.size() != 16) {
                return too_long_or_short("connect request", packet.size());
            }
            return UdpRequest(UdpConnectRequest{tx});
        case static_cast<std::uint32_t>(UdpAction::announce): {
            if (packet.size() < kUdpAnnounceRequestSize) {
                return too_long_or_short("announce request", packet.size());
            }
            UdpAnnounceRequest a;
            a.connection_id = id;
            a.transaction_id = tx;
            a.info_hash = r.array<20>();
            a.peer_id = r.array<20>();
            a.downloaded = r.u64();
            a.left = r.u64();
            a.uploaded = r.u64();
            const auto event = event_from_number(r.u32());
            if (!event) {
                return make_error("announce request with an unknown event");
            }
            a.event = *event;
            a.ip = r.array<4>();
            a.key = r.u32();
            a.num_want = static_cast<std::int32_t>(r.u32());
            a.port = r.u16();
            auto url_data = decode_options(r.rest());
            if (!url_data) {
                return url_data.error();
            }
            a.url_data = std::move(*url_data);
            return UdpRequest(std::move(a));
        }
        case static_cast<std::uint32_t>(UdpAction::scrape): {
            const std::size_t body = packet.size() - 16;
            const std::size_t n = body / 20;
            if (body % 20 != 0 || n == 0 || n > kUdpMaxScrapeHashes) {
                return make_error("scrape request of " + std::to_string(packet.size()) +
                                  " bytes: not 1 to 74 info-hashes");
            }
            UdpScrapeRequest s;
            s.connection_id = id;
            s.transaction_id = tx;
            s.info_hashes.reserve(n);
            for (std::size_t i = 0; i < n; ++i) {
                s.info_hashes.push_back(r.array<20>());
            }
            return UdpRequest(std::move(s));
        }
        default:
            return make_error("request with unknown action " + std::to_string(action));
    }
}

std::uint32_t transaction_id(const UdpRequest& request) {
    return std::visit([](const auto& r) { return r.transaction_id; }, request);
}

std::optional<std::uint64_t> connection_id(const UdpRequest& request) {
    if (const auto* a = std::get_if<UdpAnnounceRequest>(&request)) {
        return a->connection_id;
    }
    if (const auto* s = std::get_if<UdpScrapeRequest>(&request)) {
        return s->connection_id;
    }
    return std::nullopt;
}

AnnounceRequest to_announce_request(const UdpAnnounceRequest& a) {
    AnnounceRequest r;
    r.info_hash = a.info_hash;
    r.peer_id = a.peer_id;
    r.port = a.port;
    r.uploaded = a.uploaded;
    r.downloaded = a.downloaded;
    r.left = a.left;
    r.event = a.event;
    r.compact = true;
    if (a.num_want >= 0) {
        r.numwant = static_cast<std::uint32_t>(a.num_want);
    }
    if (a.ip != std::array<std::uint8_t, 4>{}) {
        r.ip = PeerAddress::v4(a.ip, 0).ip_text();
    }
    r.key = hex8(a.key);
    return r;
}

UdpAnnounceRequest to_udp_announce_request(const AnnounceRequest& r, std::uint64_t connection,
                                           std::uint32_t transaction, std::uint32_t key) {
    UdpAnnounceRequest a;
    a.connection_id = connection;
    a.transaction_id = transaction;
    a.info_hash = r.info_hash;
    a.peer_id = r.peer_id;
    a.downloaded = r.downloaded;
    a.left = r.left;
    a.uploaded = r.uploaded;
    a.event = r.event;
    if (r.ip) {
        if (auto ip = parse_ip_address(*r.ip); ip && ip->family == AddressFamily::v4) {
            std::memcpy(a.ip.data(), ip->bytes.data(), 4);
        }
    }
    a.key = key;
    if (r.numwant) {
        a.num_want = static_cast<std::int32_t>(
            std::min<std::uint32_t>(*r.numwant, std::numeric_limits<std::int32_t>::max()));
    }
    a.port = r.port;
    return a;
}

// ---- Responses ------------------------------------------------------------------------

std::string encode_udp_response(const UdpResponse& response, AddressFamily family) {
    Writer w;
    if (const auto* c = std::get_if<UdpConnectResponse>(&response)) {
        w.u32(static_cast<std::uint32_t>(UdpAction::connect));
        w.u32(c->transaction_id);
        w.u64(c->connection_id);
    } else if (const auto* a = std::get_if<UdpAnnounceResponse>(&response)) {
        w.u32(static_cast<std::uint32_t>(UdpAction::announce));
        w.u32(a->transaction_id);
        w.u32(a->interval);
        w.u32(a->leechers);
        w.u32(a->seeders);
        w.bytes(encode_compact_peers(a->peers, family));
    } else if (const auto* s = std::get_if<UdpScrapeResponse>(&response)) {
        w.u32(static_cast<std::uint32_t>(UdpAction::scrape));
        w.u32(s->transaction_id);
        const std::size_t n = std::min(s->counts.size(), kUdpMaxScrapeHashes);
        for (std::size_t i = 0; i < n; ++i) {
            w.u32(s->counts[i].seeders);
            w.u32(s->counts[i].completed);
            w.u32(s->counts[i].leechers);
        }
    } else {
        const auto& e = std::get<UdpErrorResponse>(response);
        w.u32(static_cast<std::uint32_t>(UdpAction::error));
        w.u32(e.transaction_id);
        w.bytes(std::string_view(e.message).substr(0, kUdpMaxErrorMessage));
    }
    return w.take();
}

Result<UdpResponse> decode_udp_response(std::string_view packet, AddressFamily family) {
    if (packet.size() < 8) {
        return too_long_or_short("response", packet.size());
    }
    Reader r(packet);
    const std::uint32_t action = r.u32();
    const std::uint32_t tx = r.u32();
    switch (action) {
        case static_cast<std::uint32_t>(UdpAction::connect):
            if (packet.size() != 16) {
                return too_long_or_short("connect response", packet.size());
            }
            return UdpResponse(UdpConnectResponse{tx, r.u64()});
        case static_cast<std::uint32_t>(UdpAction::announce): {
            if (packet.size() < 20) {
                return too_long_or_short("announce response", packet.size());
            }
            UdpAnnounceResponse a;
            a.transaction_id = tx;
            a.interval = r.u32();
            a.leechers = r.u32();
            a.seeders = r.u32();
            auto peers = decode_compact_peers(r.rest(), family, kUdpMaxPeers);
            if (!peers) {
                return make_error("announce response: " + peers.error().message);
            }
            a.peers = std::move(*peers);
            return UdpResponse(std::move(a));
        }
        case static_cast<std::uint32_t>(UdpAction::scrape): {
            const std::size_t body = packet.size() - 8;
            if (body % 12 != 0 || body / 12 > kUdpMaxScrapeHashes) {
                return too_long_or_short("scrape response", packet.size());
            }
            UdpScrapeResponse s;
            s.transaction_id = tx;
            for (std::size_t i = 0; i < body / 12; ++i) {
                UdpScrapeCounts c;
                c.seeders = r.u32();
                c.completed = r.u32();
                c.leechers = r.u32();
                s.counts.push_back(c);
            }
            return UdpResponse(std::move(s));
        }
        case static_cast<std::uint32_t>(UdpAction::error):
            if (packet.size() - 8 > kUdpMaxErrorMessage) {
                return too_long_or_short("error response", packet.size());
            }
            return UdpResponse(UdpErrorResponse{tx, std::string(r.rest())});
        default:
            return make_error("response with unknown action " + std::to_string(action));
    }
}

std::uint32_t transaction_id(const UdpResponse& response) {
    return std::visit([](const auto& r) { return r.transaction_id; }, response);
}

UdpResponse to_udp_announce_response(const AnnounceResponse& response, std::uint32_t transaction,
                                     AddressFamily family) {
    if (response.failure_reason) {
        return UdpErrorResponse{transaction, *response.failure_reason};
    }
    UdpAnnounceResponse a;
    a.transaction_id = transaction;
    a.interval = response.interval;
    a.leechers = response.incomplete.value_or(0);
    a.seeders = response.complete.value_or(0);
    for (const TrackerPeer& p : response.peers) {
        if (p.address.family == family) {
            a.peers.push_back(p.address);
        }
    }
    return a;
}

UdpResponse to_udp_scrape_response(const ScrapeResponse& response, std::uint32_t transaction) {
    if (response.failure_reason) {
        return UdpErrorResponse{transaction, *response.failure_reason};
    }
    UdpScrapeResponse s;
    s.transaction_id = transaction;
    for (const ScrapeEntry& e : response.files) {
        s.counts.push_back(UdpScrapeCounts{e.complete, e.downloaded, e.incomplete});
    }
    return s;
}

// ---- Timing ---------------------------------------------------------------------------

std::optional<std::chrono::seconds> udp_retry_timeout(unsigned attempt) {
    if (attempt > 8) {
        return std::nullopt;
    }
    return std::chrono::seconds(15LL << attempt);
}

bool udp_connection_id_usable(TimePoint received, TimePoint now) {
    return now >= received && now - received < kUdpClientConnectionIdLifetime;
}

UdpConnectionIds::UdpConnectionIds(std::string key) {
    // HMAC (RFC 2104) with SHA-1's 64-byte block: a longer key is hashed first.
    if (key.size() > 64) {
        key = to_bytes(sha1(key));
    }
    key.resize(64, '\0');
    inner_pad_ = key;
    outer_pad_ = key;
    for (std::size_t i = 0; i < 64; ++i) {
        inner_pad_[i] = static_cast<char>(inner_pad_[i] ^ 0x36);
        outer_pad_[i] = static_cast<char>(outer_pad_[i] ^ 0x5c);
    }
}

std::uint64_t UdpConnectionIds::id_for(std::uint64_t minute, const PeerAddress& client) const {
    const PeerAddress a = client.unmapped();
    Writer msg;
    msg.u64(minute);
    msg.u8(a.family == AddressFamily::v4 ? 4 : 6);
    msg.bytes(a.bytes.data(), a.ip_size());
    const std::string message = msg.take();

    Sha1Hasher h;
    h.update(inner_pad_);
    h.update(message);
    const Sha1 inner = h.finish();
    h.update(outer_pad_);
    h.update(to_bytes(inner));
    const Sha1 mac = h.finish();

    std::uint64_t id = (minute & 0xff) << 56;
    for (std::size_t i = 0; i < 7; ++i) {
        id |= static_cast<std::uint64_t>(mac[i]) << (8 * (6 - i));
    }
    return id;
}

std::uint64_t UdpConnectionIds::issue(const PeerAddress& client, TimePoint now) const {
    return id_for(minute_of(now), client);
}

bool UdpConnectionIds::accepts(std::uint64_t id, const PeerAddress& client, TimePoint now) const {
    const std::uint64_t minute = minute_of(now);
    const auto age = static_cast<std::uint8_t>(minute - (id >> 56));
    if (age > 2) {
        return false;
    }
    return id_for(minute - age, client) == id;
}

}  // namespace l7::p2p
