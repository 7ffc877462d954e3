// l7::p2p::WireDecoder (BEP 3/6/10 framing) fed a peer's byte stream in chunks of random
// sizes, as initiator or receiver. Whatever the bytes: the events come in order (the receiver's
// info-hash, then the handshake, then messages), nothing follows an error, every message
// re-encodes to exactly the bytes it came from, every payload is within the limits, a
// bitfield fits the piece count when one is set, the buffer holds at most one incomplete
// frame after the decoder asks for more, and the events do not depend on the split (the same
// stream fed at once gives the same ones).
//
// Every extended payload the decoder yields, and the whole stream, go through the BEP 10
// handshake and BEP 9 ut_metadata decoders: what decodes is within their bounds and encodes
// back to something that decodes to the same.
//
// Input: byte 0 chooses (bit 0 receiver, bit 1 a valid handshake is put in front of the
// stream, bit 2 the largest message limit, bit 3 small limits); byte 1 is the piece count (0:
// unknown); byte 2 seeds the chunk sizes; the rest is the peer's stream. The seed corpus holds
// handshakes, bitfields, requests, pieces, Fast messages and extended handshakes, by hand.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "p2p/extension.hpp"
#include "p2p/wire.hpp"

using namespace l7::p2p;

namespace {

// The info-hash the fuzzed initiator expects: 01 02 ... 14.
InfoHash fuzz_hash() {
    InfoHash h{};
    for (std::size_t i = 0; i < h.size(); ++i) {
        h[i] = static_cast<std::uint8_t>(i + 1);
    }
    return h;
}

void extended_handshake(std::string_view payload) {
    auto h = decode_extended_handshake(payload);
    if (!h) {
        L7_FUZZ_CHECK(!h.error().message.empty());
        return;
    }
    L7_FUZZ_CHECK(h->m.size() <= kMaxExtensionNames);
    for (const auto& [name, id] : h->m) {
        L7_FUZZ_CHECK(!name.empty() && name.size() <= kMaxExtensionNameLength);
        L7_FUZZ_CHECK(h->extension_id(name) == (id == 0 ? std::nullopt : std::optional(id)));
    }
    L7_FUZZ_CHECK(!h->metadata_size ||
                  (*h->metadata_size >= 1 && *h->metadata_size <= kMaxMetadataSize));
    L7_FUZZ_CHECK(!h->yourip || h->yourip->size() == 4 || h->yourip->size() == 16);
    auto again = decode_extended_handshake(encode_extended_handshake(*h));
    L7_FUZZ_CHECK(again.ok());
    L7_FUZZ_CHECK(*again == *h);
}

void metadata_message(std::string_view payload) {
    auto msg = decode_metadata_message(payload);
    if (!msg) {
        L7_FUZZ_CHECK(!msg.error().message.empty());
        return;
    }
    L7_FUZZ_CHECK(msg->piece < kMaxMetadataPieces);
    std::string encoded;
    switch (msg->type) {
        case MetadataMessageType::request:
            encoded = encode_metadata_request(msg->piece);
            break;
        case MetadataMessageType::reject:
            encoded = encode_metadata_reject(msg->piece);
            break;
        case MetadataMessageType::data:
            L7_FUZZ_CHECK(msg->total_size >= 1 && msg->total_size <= kMaxMetadataSize);
            L7_FUZZ_CHECK(msg->data.size() == metadata_piece_length(msg->total_size, msg->piece));
            L7_FUZZ_CHECK(!msg->data.empty());
            encoded = encode_metadata_data(msg->piece, msg->total_size, msg->data);
            break;
        case MetadataMessageType::unknown:
            return;
    }
    auto again = decode_metadata_message(encoded);
    L7_FUZZ_CHECK(again.ok());
    L7_FUZZ_CHECK(*again == *msg);
}

// What a decoder gave, owned.
struct Event {
    WireStatus status;
    std::string bytes;
    bool operator==(const Event&) const = default;
};

struct Run {
    std::vector<Event> events;
    bool failed = false;
};

// Feeds `stream` in chunks (one chunk when `seed` is 0) and checks every event.
Run run(std::string_view stream, bool receiver, const WireLimits& limits, std::uint32_t pieces,
        std::uint32_t seed) {
    WireDecoder d =
        receiver ? WireDecoder::receiver(limits) : WireDecoder::initiator(fuzz_hash(), limits);
    d.set_piece_count(pieces);
    const WireLimits& used = d.limits();
    L7_FUZZ_CHECK(used.max_message <= kMaxMessageCeiling);
    L7_FUZZ_CHECK(used.max_bitfield <= kMaxBitfieldCeiling);
    L7_FUZZ_CHECK(used.max_extended <= kMaxExtendedCeiling);

    Run result;
    std::size_t fed = 0;
    std::size_t consumed = 0;  // stream bytes the events account for
    bool seen_info_hash = false;
    bool seen_handshake = false;
    while (fed < stream.size() && !result.failed) {
        std::size_t n = stream.size() - fed;
        if (seed != 0) {
            seed = seed * 1103515245u + 12345u;
            const std::size_t sizes[] = {1, 2, 3, 5, 17, 64, 1000, 20000};
            n = std::min(n, sizes[(seed >> 16) % 8] + (seed >> 8) % 7);
        }
        if ((seed >> 4) % 2 == 0) {
            d.feed(stream.substr(fed, n));
        } else {
            std::span<char> room = d.prepare(n + (seed >> 12) % 100);  // reads may fill less
            L7_FUZZ_CHECK(room.size() >= n);
            std::copy_n(stream.data() + fed, n, room.data());
            d.commit(n);
        }
        fed += n;
        L7_FUZZ_CHECK(d.buffered() <= d.max_frame() + n);
        for (int guard = 0;; ++guard) {
            L7_FUZZ_CHECK(guard < 1000000);
            WireMessage m;
            const WireStatus status = d.next(m);
            if (status == WireStatus::need_more) {
                L7_FUZZ_CHECK(d.buffered() < d.max_frame());
                L7_FUZZ_CHECK(consumed + d.buffered() == fed);
                break;
            }
            if (status == WireStatus::error) {
                L7_FUZZ_CHECK(!d.error().empty());
                L7_FUZZ_CHECK(d.failed());
                L7_FUZZ_CHECK(d.buffered() == 0);
                result.events.push_back({status, d.error()});
                result.failed = true;
                break;
            }
            if (status == WireStatus::info_hash) {
                L7_FUZZ_CHECK(receiver && !seen_info_hash && !seen_handshake);
                seen_info_hash = true;
                L7_FUZZ_CHECK(stream.substr(consumed + 28, 20) ==
                              to_bytes(d.handshake().info_hash));
                result.events.push_back({status, to_bytes(d.handshake().info_hash)});
                continue;
            }
            if (status == WireStatus::handshake) {
                L7_FUZZ_CHECK(!seen_handshake && (seen_info_hash || !receiver));
                L7_FUZZ_CHECK(receiver || d.handshake().info_hash == fuzz_hash());
                seen_handshake = true;
                const std::string hs = encode_handshake(d.handshake());
                L7_FUZZ_CHECK(stream.substr(consumed, hs.size()) == hs);
                auto decoded = decode_handshake(hs);
                L7_FUZZ_CHECK(decoded.ok() && *decoded == d.handshake());
                consumed += hs.size();
                result.events.push_back({status, hs});
                continue;
            }
            L7_FUZZ_CHECK(status == WireStatus::message);
            L7_FUZZ_CHECK(seen_handshake && d.handshake_done());
            const std::string bytes = encode_message(m);
            L7_FUZZ_CHECK(stream.substr(consumed, bytes.size()) == bytes);
            L7_FUZZ_CHECK(bytes.size() <= d.max_frame());
            consumed += bytes.size();
            switch (m.type) {
                case MessageType::piece:
                case MessageType::unknown:
                    L7_FUZZ_CHECK(bytes.size() <= used.max_message);
                    break;
                case MessageType::bitfield:
                    L7_FUZZ_CHECK(!m.payload.empty());
                    if (pieces != 0) {
                        L7_FUZZ_CHECK(!bitfield_problem(m.payload, pieces));
                    } else {
                        L7_FUZZ_CHECK(m.payload.size() <= used.max_bitfield);
                    }
                    break;
                case MessageType::extended:
                    L7_FUZZ_CHECK(m.payload.size() <= used.max_extended);
                    if (m.extended_id == kExtendedHandshakeId) {
                        extended_handshake(m.payload);
                    } else {
                        metadata_message(m.payload);
                    }
                    break;
                case MessageType::keep_alive:
                    L7_FUZZ_CHECK(bytes.size() == 4);
                    break;
                default:
                    L7_FUZZ_CHECK(m.payload.empty());
                    break;
            }
            result.events.push_back({status, bytes});
        }
    }
    if (result.failed) {
        // Nothing after an error, whatever comes.
        d.feed(stream.substr(0, 100));
        WireMessage m;
        L7_FUZZ_CHECK(d.next(m) == WireStatus::error);
        L7_FUZZ_CHECK(d.buffered() == 0);
    }
    return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) {
        return 0;
    }
    const bool receiver = (data[0] & 1) != 0;
    const bool prepend = (data[0] & 2) != 0;
    WireLimits limits;
    if ((data[0] & 4) != 0) {
        limits.max_message = kMaxMessageCeiling;
    }
    if ((data[0] & 8) != 0) {
        limits.max_message = 17 + data[2] % 64;  // below the minimum is clamped up to 17
        limits.max_bitfield = data[2] % 8;
        limits.max_extended = data[2] % 32;
    }
    const std::uint32_t pieces = data[1];
    const std::uint32_t seed = data[2] + 1u;
    const std::string_view rest = l7::fuzz::as_text(data + 3, size - 3);

    std::string stream;
    if (prepend) {
        Handshake h;
        h.info_hash = fuzz_hash();
        h.set_extension_protocol(true);
        h.set_fast(true);
        stream = encode_handshake(h);
    }
    stream.append(rest);

    const Run chunked = run(stream, receiver, limits, pieces, seed);
    const Run whole = run(stream, receiver, limits, pieces, 0);
    L7_FUZZ_CHECK(chunked.events == whole.events);

    // The stream itself as extension payloads.
    extended_handshake(rest);
    metadata_message(rest);
    return 0;
}
