#pragma once
// Magnet links (BEP 9 "magnet URI format"): a torrent named by its info-hash alone, the
// metadata to be fetched from peers.
//
//   magnet:?xt=urn:btih:<info-hash>&dn=<display name>&tr=<tracker>&x.pe=<host:port>
//
// The info-hash is 40 hex digits or 32 base32 characters (RFC 4648; older links use it).
// Values are percent-decoded; tr and x.pe may repeat (also as tr.1, tr.2, ...); parameters
// l7 does not use are ignored. A link comes from anyone: its length and lists are bounded.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "p2p/metainfo.hpp"
#include "p2p/types.hpp"

namespace l7::p2p {

inline constexpr std::size_t kMaxMagnetLength = 64 * 1024;
inline constexpr std::size_t kMaxMagnetTrackers = 200;
inline constexpr std::size_t kMaxMagnetPeers = 200;

struct MagnetLink {
    InfoHash info_hash{};
    std::string display_name;           // dn, "" when absent ('+' reads as a space)
    std::vector<std::string> trackers;  // tr, in order, each once
    std::vector<std::string> peers;     // x.pe, "host:port" or "[v6]:port" as written

    bool operator==(const MagnetLink&) const = default;
};

Result<MagnetLink> parse_magnet(std::string_view uri);

// magnet:?xt=urn:btih:<40 lowercase hex>&dn=...&tr=...&x.pe=..., each value
// percent-encoded except for RFC 3986's unreserved characters.
std::string format_magnet(const MagnetLink& link);

// The link for a torrent: its info-hash, name and trackers.
MagnetLink magnet_for(const Metainfo& metainfo);

}  // namespace l7::p2p
