#pragma once
// The extension protocol (BEP 10) and metadata exchange over it (BEP 9, ut_metadata): the
// payloads of wire message 20 (wire.hpp gives the payload after the extended id; these
// functions encode and decode it). Pure functions; what a peer sends is bounded and checked.
//
// BEP 10: after both handshakes set reserved bit 0x10 in byte 5, each side sends an extended
// handshake (extended id 0), a bencoded dictionary whose "m" maps the extension names it
// understands to the extended ids it wants to receive them under. A later handshake may
// change them; id 0 disables an extension.
//
// BEP 9: the info dictionary ("metadata") travels in 16 KiB pieces; a request names a piece,
// a data message is a bencoded dictionary immediately followed by the piece's bytes, a reject
// says the peer will not send it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace l7::p2p {

// The extended id of the BEP 10 handshake.
inline constexpr std::uint8_t kExtendedHandshakeId = 0;
// The extension name BEP 9 registers.
inline constexpr std::string_view kUtMetadata = "ut_metadata";

// Bounds on what a peer's handshake may hold. Real clients list about 10 extensions with
// short names (libtorrent: ut_metadata, ut_pex, lt_donthave, ut_holepunch, ...).
inline constexpr std::size_t kMaxExtensionNames = 64;
inline constexpr std::size_t kMaxExtensionNameLength = 64;
// The largest info dictionary we fetch: 16 MiB holds the SHA-1s of 838,860 pieces (13 TiB in
// 16 MiB pieces), or the paths of a file list far longer than any real torrent's.
inline constexpr std::uint32_t kMaxMetadataSize = 16 * 1024 * 1024;
// BEP 9: every metadata piece is 16 KiB, the last one possibly shorter.
inline constexpr std::uint32_t kMetadataPieceSize = 16 * 1024;
inline constexpr std::uint32_t kMaxMetadataPieces = kMaxMetadataSize / kMetadataPieceSize;

// ---------------------------------------------------------------------------------------------
// The extended handshake (BEP 10 "handshake message")

struct ExtendedHandshake {
    // "m": extension name -> the extended id the sender receives it under (0: disabled, BEP
    // 10 "Setting an extension number to zero means that the extension is not supported").
    std::map<std::string, std::uint8_t, std::less<>> m;
    std::optional<std::uint32_t> metadata_size;  // BEP 9: bytes of the info dictionary
    std::optional<std::uint16_t> port;           // "p": the sender's listen port
    std::optional<std::string> client;           // "v": name and version, as UTF-8
    std::optional<std::string> yourip;           // our address as it sees us: 4 or 16 bytes
    std::optional<std::uint32_t> reqq;           // requests it queues without dropping

    // The id to send `name` under; nullopt when the peer did not list it or disabled it.
    std::optional<std::uint8_t> extension_id(std::string_view name) const;

    friend bool operator==(const ExtendedHandshake&, const ExtendedHandshake&) = default;
};

// The bencoded dictionary (the payload of encode_extended(kExtendedHandshakeId, ...)).
std::string encode_extended_handshake(const ExtendedHandshake& handshake);

// From a peer. Errors (the handshake is unusable): not a dictionary; "m" not a dictionary, more
// than 64 names, an empty or over-long name, an id that is not an integer in 0..255, two
// names sharing a nonzero id; "metadata_size" not an integer in 1..16 MiB. The informational
// keys ("p", "v", "yourip", "reqq") are dropped when malformed (a wrong type, a port out of
// 1..65535, a "v" over 256 bytes, a "yourip" of neither 4 nor 16 bytes, a "reqq" out of
// 1..65535), as they change nothing we rely on; keys we do not know are ignored (BEP 10).
Result<ExtendedHandshake> decode_extended_handshake(std::string_view payload);

// For --trace: "ut_metadata 3, metadata_size 5213, client libtorrent/2.0.8" (the extensions
// it lists by name, then what else it says).
std::string describe_extended_handshake(const ExtendedHandshake& handshake);

// ---------------------------------------------------------------------------------------------
// Metadata exchange (BEP 9)

enum class MetadataMessageType {
    request = 0,
    data = 1,
    reject = 2,
    unknown,  // another msg_type: BEP 9 says to ignore it
};

struct MetadataMessage {
    MetadataMessageType type = MetadataMessageType::request;
    std::uint32_t piece = 0;
    std::uint32_t total_size = 0;  // data: the size of the whole info dictionary
    std::string_view data;         // data: the piece's bytes (a view into the payload)

    friend bool operator==(const MetadataMessage&, const MetadataMessage&) = default;
};

// The number of 16 KiB pieces of `total_size` bytes of metadata, and the size of one of them
// (0 for a piece past the end).
std::uint32_t metadata_piece_count(std::uint32_t total_size);
std::uint32_t metadata_piece_length(std::uint32_t total_size, std::uint32_t piece);

// Payloads for encode_extended(<the peer's ut_metadata id>, ...).
std::string encode_metadata_request(std::uint32_t piece);
std::string encode_metadata_reject(std::uint32_t piece);
// The dictionary, then `data` (which should be metadata_piece_length(total_size, piece) long).
std::string encode_metadata_data(std::uint32_t piece, std::uint32_t total_size,
                                 std::string_view data);

// From a peer. Errors: not a dictionary (a data message: not one followed by the bytes),
// "msg_type" or "piece" missing or not an integer, a piece index past the largest metadata
// (1024 pieces); for data, "total_size" missing or outside 1..16 MiB, a piece index past its
// end, or bytes that are not exactly that piece's length; for request and reject, bytes after
// the dictionary. An unknown msg_type gives type unknown (with its piece, when it has one).
// The caller checks total_size against the handshake's metadata_size.
Result<MetadataMessage> decode_metadata_message(std::string_view payload);

}  // namespace l7::p2p
