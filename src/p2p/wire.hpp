#pragma once
// The peer wire protocol (BEP 3 "peer protocol"), with the Fast extension's messages (BEP 6)
// and the extension protocol's message id 20 (BEP 10). Sans-I/O: encoders that return bytes,
// and an incremental decoder fed whatever the socket gave, in any split.
//
// A connection starts with a 68-byte handshake each way: "\x13BitTorrent protocol", 8
// reserved bytes (feature bits), the info-hash and the peer id. Then messages, each a 4-byte
// big-endian length, then (unless the length is 0: a keep-alive) a one-byte id and a payload.
//
// The decoder checks framing only: every length against the message's id (exact for the fixed
// ones), every size against WireLimits, a bitfield against the piece count once known. What a
// message means in context (a piece index in range, "bitfield only first", Fast messages only
// when both sides said Fast) is the session's, which knows the torrent and the order of things.
//
// Speed: a piece message is the hot path. The driver can read straight into the decoder's
// buffer (prepare/commit), and a decoded message's payload is a view into that buffer, so
// the block is not copied in user space before it reaches the disk or the hasher; a message
// split across two reads is moved once, to the front of the buffer. On the way out,
// piece_header() gives the 13 bytes in front of a block so the block can follow from a file.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "p2p/types.hpp"

namespace l7::p2p {

// ---------------------------------------------------------------------------------------------
// Handshake (BEP 3 "handshake")

inline constexpr std::string_view kProtocolName = "BitTorrent protocol";
inline constexpr std::size_t kHandshakeSize = 1 + 19 + 8 + 20 + 20;  // 68

using Reserved = std::array<std::uint8_t, 8>;

struct Handshake {
    Reserved reserved{};
    InfoHash info_hash{};
    PeerId peer_id{};

    // The reserved bits we know. BEP 10: reserved[5] & 0x10, the extension protocol. BEP 6:
    // reserved[7] & 0x04, the Fast extension. BEP 5: reserved[7] & 0x01, a DHT node (the peer
    // then sends a port message).
    bool extension_protocol() const { return (reserved[5] & 0x10) != 0; }
    bool fast() const { return (reserved[7] & 0x04) != 0; }
    bool dht() const { return (reserved[7] & 0x01) != 0; }
    void set_extension_protocol(bool on);
    void set_fast(bool on);
    void set_dht(bool on);

    friend bool operator==(const Handshake&, const Handshake&) = default;
};

// The 68 bytes.
std::string encode_handshake(const Handshake& handshake);
// Exactly 68 bytes; an error for another size, a protocol name length other than 19 or a
// name other than "BitTorrent protocol".
Result<Handshake> decode_handshake(std::string_view bytes);

// ---------------------------------------------------------------------------------------------
// Messages (BEP 3 "messages", BEP 6, BEP 10)

// The one-byte ids on the wire.
namespace wire_id {
inline constexpr std::uint8_t choke = 0;
inline constexpr std::uint8_t unchoke = 1;
inline constexpr std::uint8_t interested = 2;
inline constexpr std::uint8_t not_interested = 3;
inline constexpr std::uint8_t have = 4;
inline constexpr std::uint8_t bitfield = 5;
inline constexpr std::uint8_t request = 6;
inline constexpr std::uint8_t piece = 7;
inline constexpr std::uint8_t cancel = 8;
inline constexpr std::uint8_t port = 9;             // BEP 5
inline constexpr std::uint8_t suggest = 0x0D;       // BEP 6
inline constexpr std::uint8_t have_all = 0x0E;      // BEP 6
inline constexpr std::uint8_t have_none = 0x0F;     // BEP 6
inline constexpr std::uint8_t reject = 0x10;        // BEP 6 "reject request"
inline constexpr std::uint8_t allowed_fast = 0x11;  // BEP 6
inline constexpr std::uint8_t extended = 20;        // BEP 10
}  // namespace wire_id

enum class MessageType {
    keep_alive,
    choke,
    unchoke,
    interested,
    not_interested,
    have,
    bitfield,
    request,
    piece,
    cancel,
    port,
    suggest,
    have_all,
    have_none,
    reject,
    allowed_fast,
    extended,
    unknown,  // an id we do not know: the session ignores it (BEP 3 leaves room for more)
};

// "have", "reject request", ... for logs.
std::string_view message_name(MessageType type);

// One message. Only the fields of its type are meaningful (the others stay 0 / empty).
struct WireMessage {
    MessageType type = MessageType::keep_alive;
    std::uint8_t id = 0;           // the id on the wire (what an unknown message had)
    std::uint32_t index = 0;       // have, request, piece, cancel, suggest, reject, allowed_fast
    std::uint32_t begin = 0;       // request, piece, cancel, reject
    std::uint32_t length = 0;      // request, cancel, reject
    std::uint16_t port = 0;        // port
    std::uint8_t extended_id = 0;  // extended: 0 is the BEP 10 handshake
    // bitfield: its bytes; piece: the block; extended: what follows the extended id;
    // unknown: everything after the id. From the decoder, a view into its buffer, valid until
    // the next feed() or prepare().
    std::string_view payload;

    friend bool operator==(const WireMessage&, const WireMessage&) = default;
};

// The message's bytes, length prefix included: whatever the decoder gave, re-encoded, is
// exactly the bytes it came from. append_message() appends to `out`.
std::string encode_message(const WireMessage& message);
void append_message(std::string& out, const WireMessage& message);

// One encoder per message (each the complete frame).
std::string encode_keep_alive();
std::string encode_choke();
std::string encode_unchoke();
std::string encode_interested();
std::string encode_not_interested();
std::string encode_have(std::uint32_t index);
std::string encode_bitfield(std::string_view bits);
std::string encode_request(std::uint32_t index, std::uint32_t begin, std::uint32_t length);
std::string encode_piece(std::uint32_t index, std::uint32_t begin, std::string_view block);
std::string encode_cancel(std::uint32_t index, std::uint32_t begin, std::uint32_t length);
std::string encode_port(std::uint16_t port);
std::string encode_suggest(std::uint32_t index);
std::string encode_have_all();
std::string encode_have_none();
std::string encode_reject(std::uint32_t index, std::uint32_t begin, std::uint32_t length);
std::string encode_allowed_fast(std::uint32_t index);
std::string encode_extended(std::uint8_t extended_id, std::string_view payload);

// The first 13 bytes of a piece message carrying a block of `length` bytes (length prefix,
// id, index, begin): the driver sends these, then the block straight from the file.
inline constexpr std::size_t kPieceHeaderSize = 13;
using PieceHeader = std::array<char, kPieceHeaderSize>;
PieceHeader piece_header(std::uint32_t index, std::uint32_t begin, std::uint32_t length);

// A bitfield's size for `piece_count` pieces, and why `bits` is not a valid bitfield for
// that many (wrong size, or a spare bit at the end set: BEP 3 "bitfield"); nullopt when it is.
inline std::size_t bitfield_size(std::uint32_t piece_count) {
    return (static_cast<std::size_t>(piece_count) + 7) / 8;
}
std::optional<std::string> bitfield_problem(std::string_view bits, std::uint32_t piece_count);

// ---------------------------------------------------------------------------------------------
// The decoder

struct WireLimits {
    // The longest message of any id not bounded below (a piece, an unknown id), counted as on
    // the wire: the 4-byte length prefix included. The default fits a piece message with a
    // 16 KiB block, the size every client requests (BEP 3). Raise it (up to
    // kMaxMessageCeiling) for peers that send larger blocks.
    std::size_t max_message = kBlockSize + kPieceHeaderSize;
    // The longest bitfield (its bytes) while the piece count is not known yet (a magnet link:
    // the metadata comes later, the bitfield right after the handshake). 128 KiB covers a
    // million pieces; our metadata is at most 16 MiB (extension.hpp), 838,860 pieces.
    std::size_t max_bitfield = 128 * 1024;
    // The longest extended payload (after the extended id). 64 KiB: the largest standard one,
    // a ut_metadata data message (BEP 9), is a 16 KiB piece and a dictionary of ~50 bytes;
    // handshakes and ut_pex messages are a few hundred bytes. A bound of 1 MiB would let each
    // hostile peer pin a megabyte of our memory for nothing any client sends.
    std::size_t max_extended = 64 * 1024;
};

// What the limits may be raised to: a 128 KiB block (old clients' size), 1 MiB elsewhere.
inline constexpr std::size_t kMaxMessageCeiling = 128 * 1024 + kPieceHeaderSize;
inline constexpr std::size_t kMaxBitfieldCeiling = 1024 * 1024;
inline constexpr std::size_t kMaxExtendedCeiling = 1024 * 1024;

// Who opened the connection. Both sides read the other's handshake; they differ in what they
// know beforehand.
enum class HandshakeMode {
    // We connected and sent our handshake for a torrent: the peer's must name the same
    // info-hash (anything else is an error).
    initiator,
    // The peer connected: we learn from its handshake which torrent it wants. The decoder
    // says so as soon as the info-hash is in (WireStatus::info_hash), before the peer id, so
    // the session can answer with its own handshake then: some initiators wait for it before
    // sending their peer id (BEP 3 "the recipient may wait for the initiator's handshake").
    receiver,
};

enum class WireStatus {
    need_more,  // feed more bytes
    info_hash,  // receiver only: handshake() has the reserved bytes and the info-hash
    handshake,  // handshake() is complete
    message,    // the message given to next()
    error,      // error() says why; the connection is done (nothing comes after)
};

class WireDecoder {
  public:
    static WireDecoder initiator(const InfoHash& expected, WireLimits limits = {});
    static WireDecoder receiver(WireLimits limits = {});

    WireDecoder(WireDecoder&&) noexcept = default;
    WireDecoder& operator=(WireDecoder&&) noexcept = default;

    // Once the torrent's piece count is known: every bitfield must then be exactly
    // bitfield_size(n) bytes with its spare bits clear (0 forgets it again).
    void set_piece_count(std::uint32_t n);

    // Input, copied into the buffer.
    void feed(std::string_view bytes);
    // Or without the copy: room for up to `n` bytes to read into, then commit() how many
    // came. Either invalidates the views of earlier messages.
    std::span<char> prepare(std::size_t n);
    void commit(std::size_t n);

    // The next event. Call until need_more (or error) before feeding more, so that at most
    // one incomplete message stays buffered.
    WireStatus next(WireMessage& out);

    // The peer's handshake (after WireStatus::info_hash / handshake).
    const Handshake& handshake() const { return handshake_; }
    bool handshake_done() const { return state_ == State::messages || state_ == State::failed; }
    bool failed() const { return state_ == State::failed; }
    const std::string& error() const { return error_; }

    // Bytes fed and not yet returned as events.
    std::size_t buffered() const { return end_ - start_; }
    // The longest frame the decoder accepts now: after next() says need_more, buffered() is
    // less than this (at most one incomplete message).
    std::size_t max_frame() const;
    const WireLimits& limits() const { return limits_; }

  private:
    enum class State { handshake, peer_id, messages, failed };

    WireDecoder(HandshakeMode mode, const InfoHash& expected, WireLimits limits);
    WireStatus fail(std::string why);
    WireStatus next_handshake();
    // Why a message with this id and length (the prefix's value) is not acceptable.
    std::optional<std::string> check_length(std::uint8_t id, std::uint32_t length) const;

    HandshakeMode mode_;
    InfoHash expected_{};
    WireLimits limits_;
    std::uint32_t piece_count_ = 0;
    State state_ = State::handshake;
    Handshake handshake_;
    std::string error_;

    std::unique_ptr<char[]> buffer_;
    std::size_t capacity_ = 0;
    std::size_t start_ = 0;  // first byte not yet returned
    std::size_t end_ = 0;    // end of the bytes fed
};

}  // namespace l7::p2p
