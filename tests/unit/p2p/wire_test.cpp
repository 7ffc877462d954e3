// The peer wire codec (BEP 3, BEP 6, BEP 10's id 20): byte vectors written by hand from the
// specs, round trips, the incremental decoder in every split, and every malformed frame.

#include "p2p/wire.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace l7::p2p {
namespace {

std::string bytes(std::initializer_list<int> list) {
    std::string out;
    for (int b : list) {
        out.push_back(static_cast<char>(b));
    }
    return out;
}

InfoHash test_hash() {
    InfoHash h{};
    for (std::size_t i = 0; i < h.size(); ++i) {
        h[i] = static_cast<std::uint8_t>(i + 1);
    }
    return h;
}

PeerId test_peer_id() {
    const std::string id = "-L70001-abcdefghijkl";
    PeerId p{};
    for (std::size_t i = 0; i < p.size(); ++i) {
        p[i] = static_cast<std::uint8_t>(id[i]);
    }
    return p;
}

Handshake test_handshake() {
    Handshake h;
    h.info_hash = test_hash();
    h.peer_id = test_peer_id();
    h.set_extension_protocol(true);
    h.set_fast(true);
    h.set_dht(true);
    return h;
}

// What the decoder gave, owned (payload views do not outlive the next feed).
struct Event {
    WireStatus status;
    std::string bytes;  // the message re-encoded, or the handshake encoded
    MessageType type = MessageType::keep_alive;
    std::string error;
    friend bool operator==(const Event&, const Event&) = default;
};

// Drains the decoder after one feed.
void drain(WireDecoder& d, std::vector<Event>& events) {
    for (int guard = 0; guard < 100000; ++guard) {
        WireMessage m;
        const WireStatus s = d.next(m);
        if (s == WireStatus::need_more) {
            return;
        }
        Event e{s, {}, m.type, {}};
        if (s == WireStatus::message) {
            e.bytes = encode_message(m);
        } else if (s == WireStatus::handshake) {
            e.bytes = encode_handshake(d.handshake());
        } else if (s == WireStatus::error) {
            e.error = d.error();
            events.push_back(e);
            return;
        }
        events.push_back(e);
    }
    ADD_FAILURE() << "decoder never asked for more";
}

// The events of `input` fed in chunks of `chunk` bytes (0: all at once).
std::vector<Event> decode(std::string_view input, std::size_t chunk, WireLimits limits = {},
                          std::uint32_t pieces = 0) {
    WireDecoder d = WireDecoder::initiator(test_hash(), limits);
    d.set_piece_count(pieces);
    std::vector<Event> events;
    if (chunk == 0) {
        chunk = input.size();
    }
    for (std::size_t at = 0; at < input.size(); at += chunk) {
        d.feed(input.substr(at, chunk));
        drain(d, events);
        if (!events.empty() && events.back().status == WireStatus::error) {
            EXPECT_EQ(d.buffered(), 0u);
            d.feed(input.substr(at));  // nothing comes after an error
            WireMessage m;
            EXPECT_EQ(d.next(m), WireStatus::error);
            break;
        }
        EXPECT_LT(d.buffered(), d.max_frame());
    }
    return events;
}

std::string with_handshake(std::string_view messages) {
    return encode_handshake(test_handshake()) + std::string(messages);
}

// --- Handshake -------------------------------------------------------------------------------

TEST(WireHandshake, KnownBytes) {
    // BEP 3: pstrlen 19, "BitTorrent protocol", 8 reserved bytes, info_hash, peer_id. BEP 10
    // sets 0x10 in reserved[5]; BEP 6 0x04 and BEP 5 0x01 in reserved[7].
    std::string want =
        "\x13"
        "BitTorrent protocol";
    want += bytes({0, 0, 0, 0, 0, 0x10, 0, 0x05});
    for (int i = 1; i <= 20; ++i) {
        want.push_back(static_cast<char>(i));
    }
    want += "-L70001-abcdefghijkl";
    ASSERT_EQ(want.size(), 68u);
    EXPECT_EQ(encode_handshake(test_handshake()), want);

    auto h = decode_handshake(want);
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_EQ(*h, test_handshake());
    EXPECT_TRUE(h->extension_protocol());
    EXPECT_TRUE(h->fast());
    EXPECT_TRUE(h->dht());
}

TEST(WireHandshake, ReservedBits) {
    Handshake h;
    EXPECT_FALSE(h.extension_protocol() || h.fast() || h.dht());
    h.reserved[0] = 0xFF;  // bits we do not know stay as they are
    h.set_fast(true);
    EXPECT_TRUE(h.fast());
    EXPECT_FALSE(h.dht());
    EXPECT_EQ(h.reserved[7], 0x04);
    h.set_dht(true);
    h.set_extension_protocol(true);
    EXPECT_EQ(h.reserved[5], 0x10);
    EXPECT_EQ(h.reserved[7], 0x05);
    h.set_fast(false);
    EXPECT_EQ(h.reserved[7], 0x01);
    EXPECT_EQ(h.reserved[0], 0xFF);
}

TEST(WireHandshake, DecodeErrors) {
    const std::string good = encode_handshake(test_handshake());
    std::string short_name = good;
    short_name[0] = 18;
    std::string other_name = good;
    other_name[19] = 'X';
    const std::vector<std::string> bad = {
        "",
        good.substr(0, 67),
        good + "x",
        short_name,
        other_name,
        "\x13"
        "bittorrent protocol" +
            good.substr(20),
    };
    for (const std::string& b : bad) {
        auto h = decode_handshake(b);
        EXPECT_FALSE(h.ok()) << b.size();
        if (!h.ok()) {
            EXPECT_NE(h.error().message.find("handshake"), std::string::npos);
        }
    }
}

TEST(WireDecoder, HandshakeBadNameFailsAtFirstWrongByte) {
    WireDecoder d = WireDecoder::receiver();
    WireMessage m;
    d.feed(
        "\x13"
        "BitTorrent");
    EXPECT_EQ(d.next(m), WireStatus::need_more);
    d.feed(" pro");
    EXPECT_EQ(d.next(m), WireStatus::need_more);
    d.feed("X");
    EXPECT_EQ(d.next(m), WireStatus::error);
    EXPECT_NE(d.error().find("BitTorrent protocol"), std::string::npos);

    WireDecoder e = WireDecoder::receiver();
    e.feed("GET / HTTP/1.1\r\n");  // 'G' is no pstrlen of 19
    EXPECT_EQ(e.next(m), WireStatus::error);
    EXPECT_NE(e.error().find("length 71"), std::string::npos) << e.error();
}

TEST(WireDecoder, ReceiverLearnsInfoHashBeforePeerId) {
    const std::string hs = encode_handshake(test_handshake());
    WireDecoder d = WireDecoder::receiver();
    WireMessage m;
    d.feed(hs.substr(0, 47));
    EXPECT_EQ(d.next(m), WireStatus::need_more);
    d.feed(hs.substr(47, 1));
    ASSERT_EQ(d.next(m), WireStatus::info_hash);
    EXPECT_EQ(d.handshake().info_hash, test_hash());
    EXPECT_TRUE(d.handshake().fast());
    EXPECT_FALSE(d.handshake_done());
    EXPECT_EQ(d.next(m), WireStatus::need_more);  // said once
    d.feed(hs.substr(48) + encode_interested());
    ASSERT_EQ(d.next(m), WireStatus::handshake);
    EXPECT_EQ(d.handshake(), test_handshake());
    EXPECT_TRUE(d.handshake_done());
    ASSERT_EQ(d.next(m), WireStatus::message);
    EXPECT_EQ(m.type, MessageType::interested);
    EXPECT_EQ(d.next(m), WireStatus::need_more);
}

TEST(WireDecoder, InitiatorRejectsAnotherTorrent) {
    InfoHash other = test_hash();
    other[19] ^= 1;
    WireDecoder d = WireDecoder::initiator(other);
    d.feed(encode_handshake(test_handshake()).substr(0, 48));  // error before the peer id
    WireMessage m;
    EXPECT_EQ(d.next(m), WireStatus::error);
    EXPECT_NE(d.error().find(to_hex(test_hash())), std::string::npos) << d.error();
}

TEST(WireDecoder, InitiatorAcceptsItsTorrent) {
    auto events = decode(encode_handshake(test_handshake()), 0);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].status, WireStatus::handshake);
    EXPECT_EQ(events[0].bytes, encode_handshake(test_handshake()));
}

// --- Messages: byte vectors by hand (BEP 3 "messages", BEP 6, BEP 10) ------------------------

struct Vector {
    const char* name;
    std::string encoded;  // from the encoder
    std::string want;     // written from the spec
    MessageType type;
    std::uint32_t index = 0, begin = 0, length = 0;
    std::uint16_t port = 0;
    std::string payload = {};
};

std::vector<Vector> vectors() {
    const std::string block = "abc";
    return {
        {"keep-alive", encode_keep_alive(), bytes({0, 0, 0, 0}), MessageType::keep_alive},
        {"choke", encode_choke(), bytes({0, 0, 0, 1, 0}), MessageType::choke},
        {"unchoke", encode_unchoke(), bytes({0, 0, 0, 1, 1}), MessageType::unchoke},
        {"interested", encode_interested(), bytes({0, 0, 0, 1, 2}), MessageType::interested},
        {"not interested", encode_not_interested(), bytes({0, 0, 0, 1, 3}),
         MessageType::not_interested},
        {"have", encode_have(0x01020304), bytes({0, 0, 0, 5, 4, 1, 2, 3, 4}), MessageType::have,
         0x01020304},
        {"bitfield", encode_bitfield(bytes({0xFF, 0x80})), bytes({0, 0, 0, 3, 5, 0xFF, 0x80}),
         MessageType::bitfield, 0, 0, 0, 0, bytes({0xFF, 0x80})},
        {"request", encode_request(1, 0x4000, 0x4000),
         bytes({0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0}), MessageType::request, 1,
         0x4000, 0x4000},
        {"piece", encode_piece(1, 0x4000, block),
         bytes({0, 0, 0, 12, 7, 0, 0, 0, 1, 0, 0, 0x40, 0, 'a', 'b', 'c'}), MessageType::piece, 1,
         0x4000, 0, 0, block},
        {"cancel", encode_cancel(0xFFFFFFFF, 0, 1),
         bytes({0, 0, 0, 13, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 1}),
         MessageType::cancel, 0xFFFFFFFF, 0, 1},
        {"port", encode_port(6881), bytes({0, 0, 0, 3, 9, 0x1A, 0xE1}), MessageType::port, 0, 0, 0,
         6881},
        {"suggest", encode_suggest(7), bytes({0, 0, 0, 5, 0x0D, 0, 0, 0, 7}), MessageType::suggest,
         7},
        {"have all", encode_have_all(), bytes({0, 0, 0, 1, 0x0E}), MessageType::have_all},
        {"have none", encode_have_none(), bytes({0, 0, 0, 1, 0x0F}), MessageType::have_none},
        {"reject", encode_reject(2, 0x8000, 0x4000),
         bytes({0, 0, 0, 13, 0x10, 0, 0, 0, 2, 0, 0, 0x80, 0, 0, 0, 0x40, 0}), MessageType::reject,
         2, 0x8000, 0x4000},
        {"allowed fast", encode_allowed_fast(9), bytes({0, 0, 0, 5, 0x11, 0, 0, 0, 9}),
         MessageType::allowed_fast, 9},
        {"extended", encode_extended(0, "de"), bytes({0, 0, 0, 4, 20, 0, 'd', 'e'}),
         MessageType::extended, 0, 0, 0, 0, "de"},
    };
}

TEST(WireMessages, KnownBytesDecodeAndRoundTrip) {
    for (const Vector& v : vectors()) {
        SCOPED_TRACE(v.name);
        EXPECT_EQ(v.encoded, v.want);
        WireDecoder d = WireDecoder::initiator(test_hash());
        d.feed(with_handshake(v.want));
        WireMessage m;
        ASSERT_EQ(d.next(m), WireStatus::handshake);
        ASSERT_EQ(d.next(m), WireStatus::message) << d.error();
        EXPECT_EQ(m.type, v.type);
        EXPECT_EQ(m.index, v.index);
        EXPECT_EQ(m.begin, v.begin);
        EXPECT_EQ(m.length, v.length);
        EXPECT_EQ(m.port, v.port);
        EXPECT_EQ(m.payload, v.payload);
        EXPECT_EQ(encode_message(m), v.want);
        EXPECT_EQ(d.next(m), WireStatus::need_more);
        EXPECT_EQ(d.buffered(), 0u);
    }
}

TEST(WireMessages, ExtendedIdAndPayload) {
    WireDecoder d = WireDecoder::initiator(test_hash());
    d.feed(with_handshake(encode_extended(3, "d1:xi1ee") + encode_extended(7, "")));
    WireMessage m;
    ASSERT_EQ(d.next(m), WireStatus::handshake);
    ASSERT_EQ(d.next(m), WireStatus::message);
    EXPECT_EQ(m.type, MessageType::extended);
    EXPECT_EQ(m.id, wire_id::extended);
    EXPECT_EQ(m.extended_id, 3);
    EXPECT_EQ(m.payload, "d1:xi1ee");
    ASSERT_EQ(d.next(m), WireStatus::message);  // an empty payload after the id is a frame
    EXPECT_EQ(m.extended_id, 7);
    EXPECT_TRUE(m.payload.empty());
}

TEST(WireMessages, UnknownIdIsReturnedNotAnError) {
    // Id 10 is unassigned; 21 is BEP 52's hash request, which we do not speak.
    const std::string a = bytes({0, 0, 0, 3, 10, 'A', 'B'});
    const std::string b = bytes({0, 0, 0, 1, 21});
    WireDecoder d = WireDecoder::initiator(test_hash());
    d.feed(with_handshake(a + b + encode_choke()));
    WireMessage m;
    ASSERT_EQ(d.next(m), WireStatus::handshake);
    ASSERT_EQ(d.next(m), WireStatus::message);
    EXPECT_EQ(m.type, MessageType::unknown);
    EXPECT_EQ(m.id, 10);
    EXPECT_EQ(m.payload, "AB");
    EXPECT_EQ(encode_message(m), a);
    ASSERT_EQ(d.next(m), WireStatus::message);
    EXPECT_EQ(m.type, MessageType::unknown);
    EXPECT_EQ(m.id, 21);
    EXPECT_EQ(encode_message(m), b);
    ASSERT_EQ(d.next(m), WireStatus::message);
    EXPECT_EQ(m.type, MessageType::choke);
}

TEST(WireMessages, PieceHeaderIsThePieceMessagesHead) {
    const std::string block(kBlockSize, 'z');
    const PieceHeader h = piece_header(5, 0x8000, kBlockSize);
    const std::string full = encode_piece(5, 0x8000, block);
    EXPECT_EQ(std::string(h.data(), h.size()), full.substr(0, kPieceHeaderSize));
    EXPECT_EQ(std::string(h.data(), h.size()) + block, full);
    EXPECT_EQ(std::string(h.data(), 5), bytes({0, 0, 0x40, 0x09, 7}));  // 9 + 16384
}

TEST(WireMessages, Names) {
    EXPECT_EQ(message_name(MessageType::reject), "reject request");
    EXPECT_EQ(message_name(MessageType::keep_alive), "keep-alive");
    EXPECT_EQ(message_name(MessageType::have_all), "have all");
}

// --- Splits ----------------------------------------------------------------------------------

std::string a_session() {
    std::string s = encode_handshake(test_handshake());
    s += encode_extended(0, "d1:md11:ut_metadatai2ee1:pi6881ee");
    s += encode_bitfield(bytes({0xFF, 0xF0}));  // 12 pieces
    s += encode_interested();
    s += encode_keep_alive();
    s += encode_unchoke();
    for (std::uint32_t i = 0; i < 3; ++i) {
        s += encode_request(i, 0, kBlockSize);
    }
    std::string block(kBlockSize, '\0');
    for (std::size_t i = 0; i < block.size(); ++i) {
        block[i] = static_cast<char>(i * 7);
    }
    s += encode_piece(0, 0, block);
    s += encode_piece(1, 0, block.substr(0, 100));
    s += encode_have(11);
    s += encode_port(6881);
    s += encode_allowed_fast(3);
    s += encode_reject(2, 0, kBlockSize);
    s += encode_cancel(1, 0, kBlockSize);
    s += bytes({0, 0, 0, 2, 0x0B, 0x42});  // unknown
    s += encode_have_none();
    s += encode_keep_alive();
    return s;
}

TEST(WireDecoder, EverySplitGivesTheSameEvents) {
    const std::string input = a_session();
    const std::vector<Event> whole = decode(input, 0, {}, 12);
    ASSERT_EQ(whole.size(), 19u);
    EXPECT_EQ(whole.front().status, WireStatus::handshake);
    std::string again = encode_handshake(test_handshake());
    for (std::size_t i = 1; i < whole.size(); ++i) {
        ASSERT_EQ(whole[i].status, WireStatus::message);
        again += whole[i].bytes;
    }
    EXPECT_EQ(again, input);  // every message re-encodes to its bytes
    for (std::size_t chunk : {1, 2, 3, 4, 5, 7, 13, 17, 100, 4096, 16397, 65536}) {
        SCOPED_TRACE(chunk);
        EXPECT_EQ(decode(input, chunk, {}, 12), whole);
    }
}

TEST(WireDecoder, PrepareCommitReadsInPlace) {
    // The driver reads into the decoder's buffer; the block is a view into it (no copy).
    const std::string input = with_handshake(encode_piece(0, 0, std::string(kBlockSize, 'q')));
    WireDecoder d = WireDecoder::initiator(test_hash());
    std::span<char> room = d.prepare(input.size());
    ASSERT_GE(room.size(), input.size());
    std::copy(input.begin(), input.end(), room.begin());
    d.commit(input.size());
    WireMessage m;
    ASSERT_EQ(d.next(m), WireStatus::handshake);
    ASSERT_EQ(d.next(m), WireStatus::message);
    EXPECT_EQ(m.type, MessageType::piece);
    EXPECT_EQ(m.payload, std::string(kBlockSize, 'q'));
    EXPECT_EQ(m.payload.data(), room.data() + kHandshakeSize + kPieceHeaderSize);
}

TEST(WireDecoder, PrepareCommitInSmallReads) {
    const std::string input = a_session();
    const std::vector<Event> whole = decode(input, 0, {}, 12);
    WireDecoder d = WireDecoder::initiator(test_hash());
    d.set_piece_count(12);
    std::vector<Event> events;
    for (std::size_t at = 0; at < input.size();) {
        const std::size_t n = std::min<std::size_t>(input.size() - at, 1000);
        std::span<char> room = d.prepare(1500);  // a read may fill less than it asked
        std::copy_n(input.begin() + static_cast<std::ptrdiff_t>(at), n, room.begin());
        d.commit(n);
        at += n;
        drain(d, events);
        EXPECT_LT(d.buffered(), d.max_frame());
    }
    EXPECT_EQ(events, whole);
}

TEST(WireDecoder, BufferStaysBoundedByOneFrame) {
    std::string input = encode_handshake(test_handshake());
    for (int i = 0; i < 40; ++i) {
        input += encode_piece(static_cast<std::uint32_t>(i), 0, std::string(kBlockSize, 'b'));
    }
    WireDecoder d = WireDecoder::initiator(test_hash());
    std::vector<Event> events;
    for (std::size_t at = 0; at < input.size(); at += 65536) {
        d.feed(std::string_view(input).substr(at, 65536));
        EXPECT_LE(d.buffered(), d.max_frame() + 65536);
        drain(d, events);
        EXPECT_LT(d.buffered(), kBlockSize + kPieceHeaderSize);
    }
    EXPECT_EQ(events.size(), 41u);
    EXPECT_EQ(d.buffered(), 0u);
}

// --- Malformed frames ------------------------------------------------------------------------

struct Bad {
    const char* name;
    std::string frame;
    const char* error;  // a part of the sentence
    std::uint32_t pieces = 0;
    WireLimits limits = {};
};

// A frame with `length` in its prefix, id `id` and the rest zeros.
std::string frame(std::uint32_t length, int id) {
    std::string f =
        bytes({static_cast<int>(length >> 24), static_cast<int>((length >> 16) & 0xFF),
               static_cast<int>((length >> 8) & 0xFF), static_cast<int>(length & 0xFF), id});
    f.resize(4 + std::max<std::uint32_t>(length, 1), '\0');
    return f;
}

std::vector<Bad> bad_frames() {
    std::vector<Bad> bad;
    // Every fixed-length id, one byte short and one byte long.
    const std::vector<std::pair<int, std::uint32_t>> fixed = {
        {0, 1}, {1, 1},    {2, 1},    {3, 1},    {4, 5},     {6, 13},   {8, 13},
        {9, 3}, {0x0D, 5}, {0x0E, 1}, {0x0F, 1}, {0x10, 13}, {0x11, 5},
    };
    for (const auto& [id, len] : fixed) {
        bad.push_back({"fixed length + 1", frame(len + 1, id), "(must be"});
        if (len > 1) {
            bad.push_back({"fixed length - 1", frame(len - 1, id), "(must be"});
        }
    }
    bad.push_back({"huge length", bytes({0x7F, 0xFF, 0xFF, 0xFF}), "exceeds the limit"});
    bad.push_back({"oversized piece", encode_piece(0, 0, std::string(kBlockSize + 1, 'x')),
                   "piece message of 16398 bytes exceeds the limit of 16397"});
    bad.push_back({"short piece", frame(8, 7), "piece message with length 8"});
    bad.push_back({"oversized unknown", frame(kBlockSize + 10, 0x0A), "id 10 of"});
    bad.push_back({"bitfield of wrong size", encode_bitfield(bytes({0xFF})),
                   "bitfield of 1 bytes for 12 pieces (must be 2)", 12});
    bad.push_back(
        {"bitfield too long", encode_bitfield(bytes({0xFF, 0xF0, 0})), "(must be 2)", 12});
    bad.push_back({"bitfield spare bit", encode_bitfield(bytes({0xFF, 0xF8})), "spare bit", 12});
    bad.push_back({"empty bitfield", frame(1, 5), "bitfield of no bytes"});
    WireLimits small_bitfield;
    small_bitfield.max_bitfield = 10;
    bad.push_back({"bitfield over the limit", encode_bitfield(std::string(11, '\xFF')),
                   "exceeds the limit of 10", 0, small_bitfield});
    bad.push_back({"zero-length extended", frame(1, 20), "without its extended id"});
    bad.push_back({"extended over the limit", encode_extended(1, std::string(64 * 1024 + 1, 'x')),
                   "exceeds the limit of 65536"});
    return bad;
}

TEST(WireDecoder, MalformedFramesAreErrors) {
    for (const Bad& b : bad_frames()) {
        SCOPED_TRACE(std::string(b.name) + " id " +
                     std::to_string(b.frame.size() > 4 ? b.frame[4] : -1));
        // A good message first: what came before an error is still delivered.
        const std::string input = with_handshake(encode_have(1) + b.frame + encode_choke());
        for (std::size_t chunk : {std::size_t{0}, std::size_t{1}}) {
            const auto events = decode(input, chunk, b.limits, b.pieces);
            ASSERT_EQ(events.size(), 3u);
            EXPECT_EQ(events[0].status, WireStatus::handshake);
            EXPECT_EQ(events[1].type, MessageType::have);
            EXPECT_EQ(events[2].status, WireStatus::error);
            EXPECT_NE(events[2].error.find(b.error), std::string::npos) << events[2].error;
        }
    }
}

TEST(WireDecoder, OversizedLengthFailsBeforeTheBody) {
    // The error comes with the length prefix, not after waiting for 16 KiB we would drop.
    WireDecoder d = WireDecoder::initiator(test_hash());
    d.feed(with_handshake(bytes({0, 0x10, 0, 0})));  // 1 MiB: no id allows it
    WireMessage m;
    ASSERT_EQ(d.next(m), WireStatus::handshake);
    EXPECT_EQ(d.next(m), WireStatus::error);
    // A piece-sized length with a fixed-length id fails at its id byte.
    WireDecoder e = WireDecoder::initiator(test_hash());
    e.feed(with_handshake(bytes({0, 0, 0x40, 0, 4})));
    ASSERT_EQ(e.next(m), WireStatus::handshake);
    EXPECT_EQ(e.next(m), WireStatus::error);
    EXPECT_EQ(e.error(), "have message with length 16384 (must be 5)");
}

TEST(WireDecoder, NothingAfterAnError) {
    WireDecoder d = WireDecoder::initiator(test_hash());
    d.feed(with_handshake(frame(2, 1)));
    WireMessage m;
    ASSERT_EQ(d.next(m), WireStatus::handshake);
    ASSERT_EQ(d.next(m), WireStatus::error);
    const std::string why = d.error();
    d.feed(encode_choke());
    std::span<char> room = d.prepare(5);
    std::copy_n(encode_choke().begin(), 5, room.begin());
    d.commit(5);
    EXPECT_EQ(d.next(m), WireStatus::error);
    EXPECT_EQ(d.next(m), WireStatus::error);
    EXPECT_EQ(d.error(), why);
    EXPECT_EQ(d.buffered(), 0u);
    EXPECT_TRUE(d.failed());
}

TEST(WireDecoder, LargerBlocksWhenConfigured) {
    const std::string big = encode_piece(0, 0, std::string(128 * 1024, 'x'));
    WireLimits limits;
    limits.max_message = 128 * 1024 + 13;
    auto events = decode(with_handshake(big), 4096, limits);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].status, WireStatus::message);
    EXPECT_EQ(events[1].bytes, big);
    // Beyond the ceiling the limit is clamped.
    limits.max_message = 10 * 1024 * 1024;
    WireDecoder d = WireDecoder::initiator(test_hash(), limits);
    EXPECT_EQ(d.limits().max_message, kMaxMessageCeiling);
    events =
        decode(with_handshake(encode_piece(0, 0, std::string(128 * 1024 + 1, 'x'))), 0, limits);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].status, WireStatus::error);
}

TEST(WireDecoder, BitfieldBeforeAndAfterPieceCount) {
    // Unknown piece count (a magnet link): any bitfield up to max_bitfield is taken as is.
    const std::string bits = bytes({0xFF, 0xF8});
    auto events = decode(with_handshake(encode_bitfield(bits)), 1);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].type, MessageType::bitfield);
    // 13 pieces: exactly two bytes, the last three bits spare.
    events = decode(with_handshake(encode_bitfield(bits)), 1, {}, 13);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].type, MessageType::bitfield);
    // A bitfield larger than max_bitfield is fine when the piece count asks for it.
    WireLimits limits;
    limits.max_bitfield = 1;
    events = decode(with_handshake(encode_bitfield(bits)), 0, limits, 16);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].type, MessageType::bitfield);
}

TEST(WireBitfield, Problems) {
    EXPECT_EQ(bitfield_size(0), 0u);
    EXPECT_EQ(bitfield_size(1), 1u);
    EXPECT_EQ(bitfield_size(8), 1u);
    EXPECT_EQ(bitfield_size(9), 2u);
    EXPECT_FALSE(bitfield_problem(bytes({0x80}), 1));
    EXPECT_TRUE(bitfield_problem(bytes({0x40}), 1));
    EXPECT_FALSE(bitfield_problem(bytes({0xFF}), 8));
    EXPECT_TRUE(bitfield_problem(bytes({0xFF}), 9));
    EXPECT_FALSE(bitfield_problem(bytes({0xFF, 0x80}), 9));
    EXPECT_TRUE(bitfield_problem(bytes({0xFF, 0x81}), 9));
}

}  // namespace
}  // namespace l7::p2p
