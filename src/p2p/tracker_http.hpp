#pragma once
// The HTTP tracker protocol, sans I/O: announce (BEP 3) with compact peer lists (BEP 23) and
// IPv6 peers (BEP 7), and scrape (BEP 48). Structs in, bytes out; bytes in, Result out. The
// client builds a query string and decodes the bencoded body; the tracker parses the query
// string and encodes the body. The HTTP exchange itself is the driver's.
//
// Also the peer address both tracker protocols and the registry pass around: an IP address
// as raw bytes and a port, so no socket library is needed here.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "p2p/types.hpp"

namespace l7::p2p {

// ---- Peer addresses -------------------------------------------------------------------

enum class AddressFamily : std::uint8_t { v4, v6 };

struct PeerAddress {
    AddressFamily family = AddressFamily::v4;
    std::array<std::uint8_t, 16> bytes{};  // the first 4 for IPv4, the rest zero
    std::uint16_t port = 0;

    static PeerAddress v4(std::array<std::uint8_t, 4> ip, std::uint16_t port);
    static PeerAddress v6(std::array<std::uint8_t, 16> ip, std::uint16_t port);

    // 4 or 16.
    std::size_t ip_size() const { return family == AddressFamily::v4 ? 4 : 16; }
    // "1.2.3.4" or "2001:db8::1" (RFC 5952 form).
    std::string ip_text() const;
    // "1.2.3.4:6881" or "[::1]:6881".
    std::string to_text() const;
    // An IPv4-mapped IPv6 address (::ffff:1.2.3.4, what a dual-stack socket reports for an
    // IPv4 client) as the IPv4 address it is; anything else unchanged.
    PeerAddress unmapped() const;

    friend auto operator<=>(const PeerAddress&, const PeerAddress&) = default;
};

// An IPv4 (dotted quad) or IPv6 address literal, without brackets or zone; nullopt for
// anything else (host names included).
std::optional<PeerAddress> parse_ip_address(std::string_view text, std::uint16_t port = 0);

// Compact peer lists (BEP 23, BEP 7): 4 or 16 address bytes then the port, big-endian. The
// encoder writes the peers of `family` and skips the others.
std::string encode_compact_peers(std::span<const PeerAddress> peers, AddressFamily family);
// Error when the length is not a multiple of 6 (18) or holds more than `max_peers`.
Result<std::vector<PeerAddress>> decode_compact_peers(std::string_view bytes, AddressFamily family,
                                                      std::size_t max_peers);

// ---- Percent-encoding of query values (RFC 3986 2.1) ----------------------------------

// Every byte but the unreserved ones (ALPHA DIGIT - . _ ~) as %XX, as real clients send a
// binary info_hash.
std::string percent_encode_query_value(std::string_view bytes);
// %XX to its byte (either case); other bytes stay, '+' included (a literal '+' in a binary
// info_hash is the byte 0x2B, not a space: this is not an HTML form). Error on a '%' not
// followed by two hex digits.
Result<std::string> percent_decode_query_value(std::string_view text);

// ---- Announce (BEP 3 "Trackers") ------------------------------------------------------

enum class AnnounceEvent : std::uint8_t { none, started, completed, stopped };

// "started", "completed", "stopped"; "" for none.
std::string_view to_text(AnnounceEvent event);

// Bounds on what a query string may hold (the tracker's side).
inline constexpr std::size_t kMaxQueryLength = 32 * 1024;
inline constexpr std::size_t kMaxQueryParams = 256;
inline constexpr std::size_t kMaxQueryText = 255;  // ip, key, trackerid after decoding
inline constexpr std::size_t kMaxHttpScrapeHashes = 200;

struct AnnounceRequest {
    InfoHash info_hash{};
    PeerId peer_id{};
    std::uint16_t port = 0;  // where the peer listens
    std::uint64_t uploaded = 0;
    std::uint64_t downloaded = 0;
    std::uint64_t left = 0;  // 0: a seed
    AnnounceEvent event = AnnounceEvent::none;
    bool compact = true;      // BEP 23; a missing parameter reads as 1 (every client sends it)
    bool no_peer_id = false;  // non-compact lists without "peer id"
    std::optional<std::uint32_t> numwant;
    std::optional<std::string> ip;  // the address the peer claims (a tracker may ignore it)
    std::optional<std::string> key;
    std::optional<std::string> trackerid;

    friend bool operator==(const AnnounceRequest&, const AnnounceRequest&) = default;
};

// The query string, without '?': info_hash, peer_id, port, uploaded, downloaded, left,
// compact, then the optional ones that are set.
std::string announce_query(const AnnounceRequest& request);
// The announce URL with the query appended: after '?', or '&' when the URL has a query
// already (private trackers put a passkey there). A fragment is dropped.
std::string announce_request_url(std::string_view announce_url, const AnnounceRequest& request);

// The tracker's side: the query string (after '?') into a request. Error, with a sentence the
// tracker returns as a "failure reason", when info_hash, peer_id, port or left is missing,
// any field is malformed or repeated, or the query is longer than the bounds above. Unknown
// parameters are ignored (supportcrypto, corrupt, ipv4, ...).
Result<AnnounceRequest> parse_announce_query(std::string_view query);

struct TrackerPeer {
    PeerAddress address;
    std::optional<PeerId> peer_id;  // in non-compact lists only

    friend bool operator==(const TrackerPeer&, const TrackerPeer&) = default;
};

struct AnnounceResponse {
    // When set, the tracker refused and nothing else is meaningful.
    std::optional<std::string> failure_reason;
    std::optional<std::string> warning_message;
    std::uint32_t interval = 0;  // seconds until the next regular announce
    std::optional<std::uint32_t> min_interval;
    std::optional<std::string> tracker_id;
    std::optional<std::uint32_t> complete;    // seeds
    std::optional<std::uint32_t> incomplete;  // leechers
    std::vector<TrackerPeer> peers;           // both families

    friend bool operator==(const AnnounceResponse&, const AnnounceResponse&) = default;
};

struct TrackerResponseLimits {
    std::size_t max_body = 256 * 1024;
    std::size_t max_peers = 1000;  // both lists together
    std::size_t max_text = 1024;   // failure reason, warning message, tracker id
    std::size_t max_files = 1000;  // scrape entries
};

// A refusal: d14:failure reason...e.
AnnounceResponse announce_failure(std::string reason);

// compact: "peers" a string of 6-byte entries (always present) and "peers6" of 18-byte ones
// (when there are IPv6 peers). Otherwise "peers" a list of dictionaries with "ip" (text),
// "port" and, unless `with_peer_ids` is false or the id is unknown, "peer id".
std::string encode_announce_response(const AnnounceResponse& response, bool compact,
                                     bool with_peer_ids = true);

// A client meets both forms ("peers" a string or a list; "peers6" a string). Peers come in
// the order of "peers" then "peers6". A dictionary entry whose "ip" is a host name rather
// than an address is skipped (BEP 3 allows names; resolving them is not worth a lookup per
// peer). Error for anything that is not a well-formed response within the limits; a
// "failure reason" is a response, not an Error.
Result<AnnounceResponse> decode_announce_response(std::string_view body,
                                                  const TrackerResponseLimits& limits = {});

// ---- Scrape (BEP 48) ------------------------------------------------------------------

// The scrape URL of an announce URL: when the last path segment begins with "announce",
// that word becomes "scrape" (/x/announce.php?k=1 -> /x/scrape.php?k=1); otherwise the
// tracker has no scrape and the answer is nullopt.
std::optional<std::string> scrape_url(std::string_view announce_url);

// info_hash=...&info_hash=... (and the URL with it appended, as announce_request_url).
std::string scrape_query(std::span<const InfoHash> hashes);
std::string scrape_request_url(std::string_view scrape_url, std::span<const InfoHash> hashes);

// The tracker's side: every info_hash in the query (none: a "full scrape", the caller decides
// whether to answer it). Error for a malformed one or more than kMaxHttpScrapeHashes.
Result<std::vector<InfoHash>> parse_scrape_query(std::string_view query);

struct ScrapeEntry {
    InfoHash info_hash{};
    std::uint32_t complete = 0;    // seeds
    std::uint32_t downloaded = 0;  // "completed" events ever
    std::uint32_t incomplete = 0;  // leechers

    friend bool operator==(const ScrapeEntry&, const ScrapeEntry&) = default;
};

struct ScrapeResponse {
    std::optional<std::string> failure_reason;
    std::vector<ScrapeEntry> files;  // decoded in key order

    friend bool operator==(const ScrapeResponse&, const ScrapeResponse&) = default;
};

// d5:filesd20:<hash>d8:completei..e10:downloadedi..e10:incompletei..eeee
std::string encode_scrape_response(const ScrapeResponse& response);
// A missing count reads as 0; Error for anything malformed or beyond the limits.
Result<ScrapeResponse> decode_scrape_response(std::string_view body,
                                              const TrackerResponseLimits& limits = {});

}  // namespace l7::p2p
