#pragma once
// The UDP tracker protocol (BEP 15), sans I/O: the four requests and four responses as
// structs, their encoders and decoders (the tracker decodes requests, the client decodes
// responses), the client's retry schedule and connection id lifetime, and a stateless scheme
// for the tracker's connection ids. Every integer is big-endian on the wire.
//
// A connection id proves the client can receive at its source address (BEP 15 "Connect"):
// without it, a spoofed announce could register someone else's address. Matching a
// response's transaction id to the request's, and a request's connection id to one issued,
// is the caller's; the helpers below do the arithmetic.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "p2p/tracker_http.hpp"
#include "p2p/types.hpp"

namespace l7::p2p {

inline constexpr std::uint64_t kUdpProtocolId = 0x41727101980;  // BEP 15 "magic constant"
inline constexpr std::size_t kUdpMaxScrapeHashes = 74;          // BEP 15 "Scrape"
inline constexpr std::size_t kUdpAnnounceRequestSize = 98;
// An announce may carry BEP 41 options after its 98 bytes (libtorrent sends the announce
// URL's path and query as URLData); at most this many bytes of them.
inline constexpr std::size_t kUdpMaxAnnounceOptions = 512;
inline constexpr std::size_t kUdpMaxErrorMessage = 1024;
// An announce response of a full 64 KiB datagram holds ~3600 IPv6 peers; we take at most this.
inline constexpr std::size_t kUdpMaxPeers = 1000;

enum class UdpAction : std::uint32_t { connect = 0, announce = 1, scrape = 2, error = 3 };

// ---- Requests (client -> tracker) -----------------------------------------------------

struct UdpConnectRequest {
    std::uint32_t transaction_id = 0;

    friend bool operator==(const UdpConnectRequest&, const UdpConnectRequest&) = default;
};

struct UdpAnnounceRequest {
    std::uint64_t connection_id = 0;
    std::uint32_t transaction_id = 0;
    InfoHash info_hash{};
    PeerId peer_id{};
    std::uint64_t downloaded = 0;
    std::uint64_t left = 0;
    std::uint64_t uploaded = 0;
    AnnounceEvent event = AnnounceEvent::none;  // wire: 0 none, 1 completed, 2 started, 3 stopped
    std::array<std::uint8_t, 4> ip{};           // 0.0.0.0: the packet's source address
    std::uint32_t key = 0;
    std::int32_t num_want = -1;  // -1: the tracker's default
    std::uint16_t port = 0;
    // BEP 41 URLData options, concatenated (the announce URL's path and query).
    std::string url_data;

    friend bool operator==(const UdpAnnounceRequest&, const UdpAnnounceRequest&) = default;
};

struct UdpScrapeRequest {
    std::uint64_t connection_id = 0;
    std::uint32_t transaction_id = 0;
    std::vector<InfoHash> info_hashes;  // 1 to 74

    friend bool operator==(const UdpScrapeRequest&, const UdpScrapeRequest&) = default;
};

using UdpRequest = std::variant<UdpConnectRequest, UdpAnnounceRequest, UdpScrapeRequest>;

// A scrape request with more than 74 hashes is encoded with the first 74.
std::string encode_udp_request(const UdpRequest& request);
// Error for a packet too short or too long for its action, a connect without the protocol
// id, an unknown action or event, a scrape of 0 or more than 74 hashes, malformed options.
Result<UdpRequest> decode_udp_request(std::string_view packet);

std::uint32_t transaction_id(const UdpRequest& request);
// nullopt for a connect request (it has the protocol id there instead).
std::optional<std::uint64_t> connection_id(const UdpRequest& request);

// The fields an HTTP announce would carry, so one registry serves both. ip: set when not
// 0.0.0.0; key: 8 hex digits; numwant: unset for a negative num_want; compact.
AnnounceRequest to_announce_request(const UdpAnnounceRequest& request);
// The other way, for a client: an ip that is not an IPv4 literal is dropped, the key taken
// as `key` (UDP keys are numbers), a numwant beyond 2^31-1 capped.
UdpAnnounceRequest to_udp_announce_request(const AnnounceRequest& request,
                                           std::uint64_t connection_id,
                                           std::uint32_t transaction_id, std::uint32_t key);

// ---- Responses (tracker -> client) ----------------------------------------------------

struct UdpConnectResponse {
    std::uint32_t transaction_id = 0;
    std::uint64_t connection_id = 0;

    friend bool operator==(const UdpConnectResponse&, const UdpConnectResponse&) = default;
};

struct UdpAnnounceResponse {
    std::uint32_t transaction_id = 0;
    std::uint32_t interval = 0;
    std::uint32_t leechers = 0;
    std::uint32_t seeders = 0;
    std::vector<PeerAddress> peers;  // the family the request went over

    friend bool operator==(const UdpAnnounceResponse&, const UdpAnnounceResponse&) = default;
};

struct UdpScrapeCounts {
    std::uint32_t seeders = 0;
    std::uint32_t completed = 0;
    std::uint32_t leechers = 0;

    friend bool operator==(const UdpScrapeCounts&, const UdpScrapeCounts&) = default;
};

struct UdpScrapeResponse {
    std::uint32_t transaction_id = 0;
    std::vector<UdpScrapeCounts> counts;  // in the order of the request's hashes

    friend bool operator==(const UdpScrapeResponse&, const UdpScrapeResponse&) = default;
};

struct UdpErrorResponse {
    std::uint32_t transaction_id = 0;
    std::string message;

    friend bool operator==(const UdpErrorResponse&, const UdpErrorResponse&) = default;
};

using UdpResponse =
    std::variant<UdpConnectResponse, UdpAnnounceResponse, UdpScrapeResponse, UdpErrorResponse>;

// Announce peers are written in `family`'s size (BEP 15: 6 bytes over IPv4, 18 over IPv6);
// peers of the other family are skipped. At most kUdpMaxScrapeHashes counts, and an error
// message of at most kUdpMaxErrorMessage bytes, are written.
std::string encode_udp_response(const UdpResponse& response,
                                AddressFamily family = AddressFamily::v4);
// `family`: the one the request went over (the packet does not say). Error for a packet
// too short or too long, an unknown action, peers not a whole number of entries.
Result<UdpResponse> decode_udp_response(std::string_view packet,
                                        AddressFamily family = AddressFamily::v4);

std::uint32_t transaction_id(const UdpResponse& response);

// What a tracker sends for an AnnounceResponse from the registry: an error response for a
// failure reason, else the counts and the peers of `family`.
UdpResponse to_udp_announce_response(const AnnounceResponse& response, std::uint32_t transaction_id,
                                     AddressFamily family);

// The same for a registry's ScrapeResponse (one entry per hash asked, in order).
UdpResponse to_udp_scrape_response(const ScrapeResponse& response, std::uint32_t transaction_id);

// ---- Timing (BEP 15 "Time outs") ------------------------------------------------------

// How long to wait for the answer to attempt n (0-based): 15 * 2^n seconds for n = 0..8;
// nullopt after that (give up: 15 + 30 + ... + 3840 s in all).
std::optional<std::chrono::seconds> udp_retry_timeout(unsigned attempt);

// A client may use a connection id for one minute after receiving it.
inline constexpr std::chrono::seconds kUdpClientConnectionIdLifetime{60};
bool udp_connection_id_usable(TimePoint received, TimePoint now);

// The tracker's connection ids without per-client state: the top byte is the minute of
// issue (mod 256), the other 56 bits an HMAC-SHA1 under a secret key of that minute and the
// client's IP address (not the port: a NAT may rewrite it between packets). An id is
// accepted in its minute and the two after, so for 2 to 3 minutes after issue (BEP 15: at
// least 2).
class UdpConnectionIds {
  public:
    // `key`: secret random bytes (16 or more), e.g. from secure_random64 at start.
    explicit UdpConnectionIds(std::string key);

    std::uint64_t issue(const PeerAddress& client, TimePoint now) const;
    bool accepts(std::uint64_t id, const PeerAddress& client, TimePoint now) const;

  private:
    std::uint64_t id_for(std::uint64_t minute, const PeerAddress& client) const;

    std::string inner_pad_;  // key XOR 0x36.., the HMAC's pads (RFC 2104)
    std::string outer_pad_;
};

}  // namespace l7::p2p
