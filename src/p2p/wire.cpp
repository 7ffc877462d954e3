#include "p2p/wire.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace l7::p2p {

namespace {

void put32(char* p, std::uint32_t v) {
    p[0] = static_cast<char>(v >> 24);
    p[1] = static_cast<char>(v >> 16);
    p[2] = static_cast<char>(v >> 8);
    p[3] = static_cast<char>(v);
}

std::uint32_t get32(const char* p) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
           std::uint32_t{u[3]};
}

void append32(std::string& out, std::uint32_t v) {
    char b[4];
    put32(b, v);
    out.append(b, 4);
}

// The length prefix and id of a message with `payload` bytes after the id.
void append_header(std::string& out, std::uint8_t id, std::size_t payload) {
    append32(out, static_cast<std::uint32_t>(1 + payload));
    out.push_back(static_cast<char>(id));
}

// The three numbers of request, cancel and reject request.
void append_block_ref(std::string& out, std::uint8_t id, std::uint32_t index, std::uint32_t begin,
                      std::uint32_t length) {
    append_header(out, id, 12);
    append32(out, index);
    append32(out, begin);
    append32(out, length);
}

std::string frame(const WireMessage& m) {
    std::string out;
    out.reserve(4 + 1 + 12 + m.payload.size() + 1);
    append_message(out, m);
    return out;
}

// The fixed length (the prefix's value) of an id; 0 for the ids whose length varies.
std::uint32_t fixed_length(std::uint8_t id) {
    switch (id) {
        case wire_id::choke:
        case wire_id::unchoke:
        case wire_id::interested:
        case wire_id::not_interested:
        case wire_id::have_all:
        case wire_id::have_none:
            return 1;
        case wire_id::have:
        case wire_id::suggest:
        case wire_id::allowed_fast:
            return 5;
        case wire_id::request:
        case wire_id::cancel:
        case wire_id::reject:
            return 13;
        case wire_id::port:
            return 3;
        default:
            return 0;
    }
}

MessageType type_of(std::uint8_t id) {
    switch (id) {
        case wire_id::choke:
            return MessageType::choke;
        case wire_id::unchoke:
            return MessageType::unchoke;
        case wire_id::interested:
            return MessageType::interested;
        case wire_id::not_interested:
            return MessageType::not_interested;
        case wire_id::have:
            return MessageType::have;
        case wire_id::bitfield:
            return MessageType::bitfield;
        case wire_id::request:
            return MessageType::request;
        case wire_id::piece:
            return MessageType::piece;
        case wire_id::cancel:
            return MessageType::cancel;
        case wire_id::port:
            return MessageType::port;
        case wire_id::suggest:
            return MessageType::suggest;
        case wire_id::have_all:
            return MessageType::have_all;
        case wire_id::have_none:
            return MessageType::have_none;
        case wire_id::reject:
            return MessageType::reject;
        case wire_id::allowed_fast:
            return MessageType::allowed_fast;
        case wire_id::extended:
            return MessageType::extended;
        default:
            return MessageType::unknown;
    }
}

// The name of a message by its id, for errors.
std::string id_name(std::uint8_t id) {
    const MessageType type = type_of(id);
    if (type == MessageType::unknown) {
        return "message of id " + std::to_string(id);
    }
    return std::string(message_name(type)) + " message";
}

void set_bit(std::uint8_t& byte, std::uint8_t mask, bool on) {
    byte = static_cast<std::uint8_t>(on ? (byte | mask) : (byte & ~mask));
}

}  // namespace

// --- Handshake -------------------------------------------------------------------------------

void Handshake::set_extension_protocol(bool on) {
    set_bit(reserved[5], 0x10, on);
}
void Handshake::set_fast(bool on) {
    set_bit(reserved[7], 0x04, on);
}
void Handshake::set_dht(bool on) {
    set_bit(reserved[7], 0x01, on);
}

std::string encode_handshake(const Handshake& handshake) {
    std::string out;
    out.reserve(kHandshakeSize);
    out.push_back(static_cast<char>(kProtocolName.size()));
    out.append(kProtocolName);
    out.append(reinterpret_cast<const char*>(handshake.reserved.data()), 8);
    out.append(reinterpret_cast<const char*>(handshake.info_hash.data()), 20);
    out.append(reinterpret_cast<const char*>(handshake.peer_id.data()), 20);
    return out;
}

namespace {

// Why the first min(size, 20) bytes cannot start a handshake; nullopt when they can.
std::optional<std::string> pstr_problem(std::string_view head) {
    if (head.empty()) {
        return std::nullopt;
    }
    const auto pstrlen = static_cast<std::uint8_t>(head[0]);
    if (pstrlen != kProtocolName.size()) {
        return "handshake: protocol name length " + std::to_string(pstrlen) +
               ", not 19 (\"BitTorrent protocol\")";
    }
    const std::size_t n = std::min(head.size(), std::size_t{20}) - 1;
    if (head.substr(1, n) != kProtocolName.substr(0, n)) {
        return std::string("handshake: the protocol is not \"BitTorrent protocol\"");
    }
    return std::nullopt;
}

void copy_bytes(const char* from, std::uint8_t* to, std::size_t n) {
    std::memcpy(to, from, n);
}

}  // namespace

Result<Handshake> decode_handshake(std::string_view bytes) {
    if (auto why = pstr_problem(bytes)) {
        return make_error(*why);
    }
    if (bytes.size() != kHandshakeSize) {
        return make_error("handshake: " + std::to_string(bytes.size()) + " bytes, not 68");
    }
    Handshake h;
    copy_bytes(bytes.data() + 20, h.reserved.data(), 8);
    copy_bytes(bytes.data() + 28, h.info_hash.data(), 20);
    copy_bytes(bytes.data() + 48, h.peer_id.data(), 20);
    return h;
}

// --- Messages --------------------------------------------------------------------------------

std::string_view message_name(MessageType type) {
    switch (type) {
        case MessageType::keep_alive:
            return "keep-alive";
        case MessageType::choke:
            return "choke";
        case MessageType::unchoke:
            return "unchoke";
        case MessageType::interested:
            return "interested";
        case MessageType::not_interested:
            return "not interested";
        case MessageType::have:
            return "have";
        case MessageType::bitfield:
            return "bitfield";
        case MessageType::request:
            return "request";
        case MessageType::piece:
            return "piece";
        case MessageType::cancel:
            return "cancel";
        case MessageType::port:
            return "port";
        case MessageType::suggest:
            return "suggest piece";
        case MessageType::have_all:
            return "have all";
        case MessageType::have_none:
            return "have none";
        case MessageType::reject:
            return "reject request";
        case MessageType::allowed_fast:
            return "allowed fast";
        case MessageType::extended:
            return "extended";
        case MessageType::unknown:
            return "unknown";
    }
    return "unknown";
}

void append_message(std::string& out, const WireMessage& m) {
    switch (m.type) {
        case MessageType::keep_alive:
            append32(out, 0);
            return;
        case MessageType::choke:
            append_header(out, wire_id::choke, 0);
            return;
        case MessageType::unchoke:
            append_header(out, wire_id::unchoke, 0);
            return;
        case MessageType::interested:
            append_header(out, wire_id::interested, 0);
            return;
        case MessageType::not_interested:
            append_header(out, wire_id::not_interested, 0);
            return;
        case MessageType::have_all:
            append_header(out, wire_id::have_all, 0);
            return;
        case MessageType::have_none:
            append_header(out, wire_id::have_none, 0);
            return;
        case MessageType::have:
        case MessageType::suggest:
        case MessageType::allowed_fast: {
            const std::uint8_t id = m.type == MessageType::have      ? wire_id::have
                                    : m.type == MessageType::suggest ? wire_id::suggest
                                                                     : wire_id::allowed_fast;
            append_header(out, id, 4);
            append32(out, m.index);
            return;
        }
        case MessageType::request:
            append_block_ref(out, wire_id::request, m.index, m.begin, m.length);
            return;
        case MessageType::cancel:
            append_block_ref(out, wire_id::cancel, m.index, m.begin, m.length);
            return;
        case MessageType::reject:
            append_block_ref(out, wire_id::reject, m.index, m.begin, m.length);
            return;
        case MessageType::bitfield:
            append_header(out, wire_id::bitfield, m.payload.size());
            out.append(m.payload);
            return;
        case MessageType::piece:
            append_header(out, wire_id::piece, 8 + m.payload.size());
            append32(out, m.index);
            append32(out, m.begin);
            out.append(m.payload);
            return;
        case MessageType::port:
            append_header(out, wire_id::port, 2);
            out.push_back(static_cast<char>(m.port >> 8));
            out.push_back(static_cast<char>(m.port & 0xFF));
            return;
        case MessageType::extended:
            append_header(out, wire_id::extended, 1 + m.payload.size());
            out.push_back(static_cast<char>(m.extended_id));
            out.append(m.payload);
            return;
        case MessageType::unknown:
            append_header(out, m.id, m.payload.size());
            out.append(m.payload);
            return;
    }
}

std::string encode_message(const WireMessage& message) {
    return frame(message);
}

namespace {
WireMessage make(MessageType type) {
    WireMessage m;
    m.type = type;
    return m;
}
WireMessage make_ref(MessageType type, std::uint32_t index, std::uint32_t begin = 0,
                     std::uint32_t length = 0) {
    WireMessage m = make(type);
    m.index = index;
    m.begin = begin;
    m.length = length;
    return m;
}
}  // namespace

std::string encode_keep_alive() {
    return frame(make(MessageType::keep_alive));
}
std::string encode_choke() {
    return frame(make(MessageType::choke));
}
std::string encode_unchoke() {
    return frame(make(MessageType::unchoke));
}
std::string encode_interested() {
    return frame(make(MessageType::interested));
}
std::string encode_not_interested() {
    return frame(make(MessageType::not_interested));
}
std::string encode_have_all() {
    return frame(make(MessageType::have_all));
}
std::string encode_have_none() {
    return frame(make(MessageType::have_none));
}

std::string encode_have(std::uint32_t index) {
    return frame(make_ref(MessageType::have, index));
}
std::string encode_suggest(std::uint32_t index) {
    return frame(make_ref(MessageType::suggest, index));
}
std::string encode_allowed_fast(std::uint32_t index) {
    return frame(make_ref(MessageType::allowed_fast, index));
}
std::string encode_request(std::uint32_t index, std::uint32_t begin, std::uint32_t length) {
    return frame(make_ref(MessageType::request, index, begin, length));
}
std::string encode_cancel(std::uint32_t index, std::uint32_t begin, std::uint32_t length) {
    return frame(make_ref(MessageType::cancel, index, begin, length));
}
std::string encode_reject(std::uint32_t index, std::uint32_t begin, std::uint32_t length) {
    return frame(make_ref(MessageType::reject, index, begin, length));
}

std::string encode_bitfield(std::string_view bits) {
    WireMessage m = make(MessageType::bitfield);
    m.payload = bits;
    return frame(m);
}

std::string encode_piece(std::uint32_t index, std::uint32_t begin, std::string_view block) {
    WireMessage m = make_ref(MessageType::piece, index, begin);
    m.payload = block;
    return frame(m);
}

std::string encode_port(std::uint16_t port) {
    WireMessage m = make(MessageType::port);
    m.port = port;
    return frame(m);
}

std::string encode_extended(std::uint8_t extended_id, std::string_view payload) {
    WireMessage m = make(MessageType::extended);
    m.extended_id = extended_id;
    m.payload = payload;
    return frame(m);
}

PieceHeader piece_header(std::uint32_t index, std::uint32_t begin, std::uint32_t length) {
    PieceHeader h{};
    put32(h.data(), 9 + length);
    h[4] = static_cast<char>(wire_id::piece);
    put32(h.data() + 5, index);
    put32(h.data() + 9, begin);
    return h;
}

std::optional<std::string> bitfield_problem(std::string_view bits, std::uint32_t piece_count) {
    const std::size_t want = bitfield_size(piece_count);
    if (bits.size() != want) {
        return "bitfield of " + std::to_string(bits.size()) + " bytes for " +
               std::to_string(piece_count) + " pieces (must be " + std::to_string(want) + ")";
    }
    const unsigned spare = static_cast<unsigned>(want * 8 - piece_count);
    if (spare != 0) {
        const auto last = static_cast<std::uint8_t>(bits.back());
        const auto mask = static_cast<std::uint8_t>((1u << spare) - 1);
        if ((last & mask) != 0) {
            return std::string("bitfield has a spare bit set after the last piece");
        }
    }
    return std::nullopt;
}

// --- The decoder -----------------------------------------------------------------------------

WireDecoder::WireDecoder(HandshakeMode mode, const InfoHash& expected, WireLimits limits)
    : mode_(mode), expected_(expected), limits_(limits) {
    // A request frame (17 bytes) must always fit, and no limit goes past its ceiling.
    limits_.max_message = std::clamp(limits_.max_message, std::size_t{17}, kMaxMessageCeiling);
    limits_.max_bitfield = std::clamp(limits_.max_bitfield, std::size_t{1}, kMaxBitfieldCeiling);
    limits_.max_extended = std::min(limits_.max_extended, kMaxExtendedCeiling);
}

WireDecoder WireDecoder::initiator(const InfoHash& expected, WireLimits limits) {
    return WireDecoder(HandshakeMode::initiator, expected, limits);
}

WireDecoder WireDecoder::receiver(WireLimits limits) {
    return WireDecoder(HandshakeMode::receiver, InfoHash{}, limits);
}

void WireDecoder::set_piece_count(std::uint32_t n) {
    piece_count_ = n;
}

std::size_t WireDecoder::max_frame() const {
    if (state_ == State::handshake || state_ == State::peer_id) {
        return kHandshakeSize;
    }
    const std::size_t bitfield =
        piece_count_ != 0 ? bitfield_size(piece_count_) : limits_.max_bitfield;
    return std::max({limits_.max_message, 4 + 1 + bitfield, 4 + 2 + limits_.max_extended});
}

std::span<char> WireDecoder::prepare(std::size_t n) {
    if (start_ == end_) {
        start_ = end_ = 0;
    }
    if (capacity_ - end_ < n) {
        // Move the incomplete message to the front (views of returned messages go stale).
        if (start_ > 0) {
            std::memmove(buffer_.get(), buffer_.get() + start_, end_ - start_);
            end_ -= start_;
            start_ = 0;
        }
        if (capacity_ - end_ < n) {
            // Grow geometrically (a peer feeding a byte at a time must not cost a copy per
            // byte), but not past what one frame and this read need.
            const std::size_t want = std::max(
                end_ + n, std::min(std::max(capacity_ * 2, std::size_t{256}), max_frame() + n));
            auto bigger = std::make_unique_for_overwrite<char[]>(want);
            if (end_ > 0) {
                std::memcpy(bigger.get(), buffer_.get(), end_);
            }
            buffer_ = std::move(bigger);
            capacity_ = want;
        }
    }
    return {buffer_.get() + end_, n};
}

void WireDecoder::commit(std::size_t n) {
    assert(n <= capacity_ - end_);
    n = std::min(n, capacity_ - end_);
    if (state_ == State::failed) {
        start_ = end_ = 0;  // nothing is read after an error
        return;
    }
    end_ += n;
}

void WireDecoder::feed(std::string_view bytes) {
    if (bytes.empty()) {
        return;
    }
    if (state_ == State::failed) {
        return;
    }
    std::span<char> room = prepare(bytes.size());
    std::memcpy(room.data(), bytes.data(), bytes.size());
    commit(bytes.size());
}

WireStatus WireDecoder::fail(std::string why) {
    state_ = State::failed;
    error_ = std::move(why);
    start_ = end_ = 0;
    return WireStatus::error;
}

WireStatus WireDecoder::next_handshake() {
    const char* p = buffer_.get() + start_;
    const std::size_t avail = end_ - start_;
    if (state_ == State::handshake) {
        // Check the protocol name as it comes: a peer speaking something else is dropped at
        // its first wrong byte, not after 68.
        if (auto why = pstr_problem(std::string_view(p, std::min(avail, std::size_t{20})))) {
            return fail(std::move(*why));
        }
        if (avail < 48) {
            return WireStatus::need_more;
        }
        copy_bytes(p + 20, handshake_.reserved.data(), 8);
        copy_bytes(p + 28, handshake_.info_hash.data(), 20);
        state_ = State::peer_id;
        if (mode_ == HandshakeMode::initiator) {
            if (handshake_.info_hash != expected_) {
                return fail("handshake: the peer answered for info-hash " +
                            to_hex(handshake_.info_hash) + ", not " + to_hex(expected_));
            }
        } else {
            return WireStatus::info_hash;
        }
    }
    if (avail < kHandshakeSize) {
        return WireStatus::need_more;
    }
    copy_bytes(p + 48, handshake_.peer_id.data(), 20);
    start_ += kHandshakeSize;
    state_ = State::messages;
    return WireStatus::handshake;
}

std::optional<std::string> WireDecoder::check_length(std::uint8_t id, std::uint32_t length) const {
    const std::size_t frame_size = std::size_t{4} + length;
    if (const std::uint32_t fixed = fixed_length(id); fixed != 0) {
        if (length != fixed) {
            return id_name(id) + " with length " + std::to_string(length) + " (must be " +
                   std::to_string(fixed) + ")";
        }
        return std::nullopt;
    }
    switch (id) {
        case wire_id::bitfield:
            if (piece_count_ != 0) {
                if (length - 1 != bitfield_size(piece_count_)) {
                    return "bitfield of " + std::to_string(length - 1) + " bytes for " +
                           std::to_string(piece_count_) + " pieces (must be " +
                           std::to_string(bitfield_size(piece_count_)) + ")";
                }
            } else if (length == 1) {
                return std::string("bitfield of no bytes");
            } else if (length - 1 > limits_.max_bitfield) {
                return "bitfield of " + std::to_string(length - 1) +
                       " bytes exceeds the limit of " + std::to_string(limits_.max_bitfield);
            }
            return std::nullopt;
        case wire_id::piece:
            if (length < 9) {
                return "piece message with length " + std::to_string(length) +
                       " (at least 9: id, index, begin)";
            }
            break;
        case wire_id::extended:
            if (length < 2) {
                return std::string("extended message without its extended id");
            }
            if (length - 2 > limits_.max_extended) {
                return "extended message of " + std::to_string(length - 2) +
                       " bytes exceeds the limit of " + std::to_string(limits_.max_extended);
            }
            return std::nullopt;
        default:
            break;
    }
    if (frame_size > limits_.max_message) {
        return id_name(id) + " of " + std::to_string(frame_size) + " bytes exceeds the limit of " +
               std::to_string(limits_.max_message);
    }
    return std::nullopt;
}

WireStatus WireDecoder::next(WireMessage& out) {
    switch (state_) {
        case State::failed:
            return WireStatus::error;
        case State::handshake:
        case State::peer_id:
            return next_handshake();
        case State::messages:
            break;
    }
    const char* p = buffer_.get() + start_;
    const std::size_t avail = end_ - start_;
    if (avail < 4) {
        return WireStatus::need_more;
    }
    const std::uint32_t length = get32(p);
    if (length == 0) {
        start_ += 4;
        out = WireMessage{};
        return WireStatus::message;
    }
    // Refuse a length no id allows before its id is in: never wait for bytes we would drop.
    if (std::size_t{4} + length > max_frame()) {
        return fail("message of " + std::to_string(std::size_t{4} + length) +
                    " bytes exceeds the limit of " + std::to_string(max_frame()));
    }
    if (avail < 5) {
        return WireStatus::need_more;
    }
    const auto id = static_cast<std::uint8_t>(p[4]);
    if (auto why = check_length(id, length)) {
        return fail(std::move(*why));
    }
    if (avail < std::size_t{4} + length) {
        return WireStatus::need_more;
    }
    const char* body = p + 5;
    const std::size_t body_size = length - 1;
    out = WireMessage{};
    out.type = type_of(id);
    out.id = id;
    switch (out.type) {
        case MessageType::have:
        case MessageType::suggest:
        case MessageType::allowed_fast:
            out.index = get32(body);
            break;
        case MessageType::request:
        case MessageType::cancel:
        case MessageType::reject:
            out.index = get32(body);
            out.begin = get32(body + 4);
            out.length = get32(body + 8);
            break;
        case MessageType::piece:
            out.index = get32(body);
            out.begin = get32(body + 4);
            out.payload = std::string_view(body + 8, body_size - 8);
            break;
        case MessageType::port:
            out.port = static_cast<std::uint16_t>((static_cast<std::uint8_t>(body[0]) << 8) |
                                                  static_cast<std::uint8_t>(body[1]));
            break;
        case MessageType::bitfield:
            out.payload = std::string_view(body, body_size);
            if (piece_count_ != 0) {
                if (auto why = bitfield_problem(out.payload, piece_count_)) {
                    out = WireMessage{};
                    return fail(std::move(*why));
                }
            }
            break;
        case MessageType::extended:
            out.extended_id = static_cast<std::uint8_t>(body[0]);
            out.payload = std::string_view(body + 1, body_size - 1);
            break;
        case MessageType::unknown:
            out.payload = std::string_view(body, body_size);
            break;
        default:
            break;  // no payload
    }
    start_ += 4 + std::size_t{length};
    return WireStatus::message;
}

}  // namespace l7::p2p
