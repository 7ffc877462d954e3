// The extension protocol's handshake (BEP 10) and metadata exchange (BEP 9): round trips, a
// handshake as libtorrent sends one, the byte examples of BEP 9, and hostile payloads.

#include "p2p/extension.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace l7::p2p {
namespace {

using namespace std::string_literals;

// --- The extended handshake ------------------------------------------------------------------

ExtendedHandshake full_handshake() {
    ExtendedHandshake h;
    h.m = {{"ut_metadata", 2}, {"ut_pex", 1}, {"lt_donthave", 0}};
    h.metadata_size = 31235;
    h.port = 6881;
    h.client = "l7 0.1";
    h.yourip = "\x7f\x00\x00\x01"s;
    h.reqq = 250;
    return h;
}

TEST(ExtendedHandshake, EncodesCanonically) {
    EXPECT_EQ(encode_extended_handshake(full_handshake()),
              "d1:md11:lt_donthavei0e11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei31235e"
              "1:pi6881e4:reqqi250e1:v6:l7 0.16:yourip4:\x7f\x00\x00\x01"
              "e"s);
    EXPECT_EQ(encode_extended_handshake(ExtendedHandshake{}), "d1:mdee");
}

TEST(ExtendedHandshake, RoundTrips) {
    for (const ExtendedHandshake& h : {full_handshake(), ExtendedHandshake{}}) {
        auto back = decode_extended_handshake(encode_extended_handshake(h));
        ASSERT_TRUE(back.ok()) << back.error().message;
        EXPECT_EQ(*back, h);
    }
}

TEST(ExtendedHandshake, ExtensionIdSkipsDisabled) {
    const ExtendedHandshake h = full_handshake();
    EXPECT_EQ(h.extension_id(kUtMetadata), 2);
    EXPECT_EQ(h.extension_id("ut_pex"), 1);
    EXPECT_EQ(h.extension_id("lt_donthave"), std::nullopt);  // id 0: disabled
    EXPECT_EQ(h.extension_id("ut_holepunch"), std::nullopt);
}

TEST(ExtendedHandshake, LibtorrentStyle) {
    // Keys as libtorrent 2.0 writes them (sorted byte-wise: "complete_ago" before "e"),
    // including ones we do not use, which are ignored.
    const std::string payload =
        "d12:complete_agoi-1e1:ei0e4:ipv616:\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
        "1:md11:lt_donthavei7e10:share_modei8e11:upload_onlyi3e12:ut_holepunchi4e"
        "11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei31235e1:pi6881e4:reqqi500e"
        "11:upload_onlyi0e1:v17:qBittorrent/4.6.06:yourip4:\xc0\x00\x02\x07"
        "e"s;
    auto h = decode_extended_handshake(payload);
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_EQ(h->m.size(), 6u);
    EXPECT_EQ(h->extension_id("ut_metadata"), 2);
    EXPECT_EQ(h->extension_id("ut_pex"), 1);
    EXPECT_EQ(h->extension_id("lt_donthave"), 7);
    EXPECT_EQ(h->extension_id("share_mode"), 8);
    EXPECT_EQ(h->metadata_size, 31235u);
    EXPECT_EQ(h->port, 6881);
    EXPECT_EQ(h->reqq, 500u);
    EXPECT_EQ(h->client, "qBittorrent/4.6.0");
    EXPECT_EQ(h->yourip, "\xc0\x00\x02\x07"s);
}

TEST(ExtendedHandshake, WithoutMIsAnUpdate) {
    // BEP 10: later handshakes may carry only what changed.
    auto h = decode_extended_handshake("d1:pi51413ee");
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_TRUE(h->m.empty());
    EXPECT_EQ(h->port, 51413);
}

TEST(ExtendedHandshake, MalformedInformationalKeysAreDropped) {
    auto h = decode_extended_handshake(
        "d1:md11:ut_metadatai1ee1:pi70000e4:reqqi0e1:vi5e6:yourip5:12345e");
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_EQ(h->extension_id("ut_metadata"), 1);
    EXPECT_FALSE(h->port);
    EXPECT_FALSE(h->reqq);
    EXPECT_FALSE(h->client);
    EXPECT_FALSE(h->yourip);
    h = decode_extended_handshake("d1:v" + std::to_string(257) + ":" + std::string(257, 'v') + "e");
    ASSERT_TRUE(h.ok()) << h.error().message;
    EXPECT_FALSE(h->client);
}

std::string many_names(int n) {
    std::vector<std::string> names;
    for (int i = 0; i < n; ++i) {
        names.push_back("x" + std::string(1, static_cast<char>('A' + i / 26)) +
                        std::string(1, static_cast<char>('a' + i % 26)));
    }
    std::string m = "d1:md";
    for (int i = 0; i < n; ++i) {
        m += std::to_string(names[static_cast<std::size_t>(i)].size()) + ":" +
             names[static_cast<std::size_t>(i)] + "i" + std::to_string(i + 1) + "e";
    }
    return m + "ee";
}

TEST(ExtendedHandshake, HostileOrBroken) {
    ASSERT_TRUE(decode_extended_handshake(many_names(64)).ok());
    struct Case {
        std::string payload;
        const char* error;
    };
    const std::vector<Case> cases = {
        {"", "extended handshake"},
        {"li1ee", "not a dictionary"},
        {"d1:mi1ee", "\"m\" is not a dictionary"},
        {"d1:md6:ut_pex3:oneee", "not an integer"},
        {"d1:md6:ut_pexi256eee", "not an integer in 0..255"},
        {"d1:md6:ut_pexi-1eee", "not an integer in 0..255"},
        {"d1:md0:i1eee", "name of 0 bytes"},
        {"d1:md65:" + std::string(65, 'n') + "i1eee", "name of 65 bytes"},
        {"d1:md1:ai3e1:bi3eee", "id 3 is given to two"},
        {many_names(65), "65 extensions"},
        {"d13:metadata_sizei0ee", "metadata_size"},
        {"d13:metadata_sizei-5ee", "metadata_size"},
        {"d13:metadata_sizei16777217ee", "metadata_size"},
        {"d13:metadata_size3:abce", "metadata_size"},
        {"d1:md6:ut_pexi1eee"
         "x",
         "extended handshake"},                                                 // trailing bytes
        {"d1:md6:ut_pexi1e", "extended handshake"},                             // truncated
        {"d1:pi1e1:mdee", "extended handshake"},                                // keys out of order
        {std::string(100, 'l') + std::string(100, 'e'), "extended handshake"},  // deep
    };
    for (const Case& c : cases) {
        auto h = decode_extended_handshake(c.payload);
        ASSERT_FALSE(h.ok()) << c.payload;
        EXPECT_NE(h.error().message.find(c.error), std::string::npos)
            << c.payload << " -> " << h.error().message;
    }
    // Repeated zeros are fine: "disabled" may be said of many.
    EXPECT_TRUE(decode_extended_handshake("d1:md1:ai0e1:bi0eee").ok());
    EXPECT_TRUE(decode_extended_handshake("d13:metadata_sizei16777216ee").ok());
}

// --- Metadata exchange -----------------------------------------------------------------------

TEST(Metadata, PieceArithmetic) {
    EXPECT_EQ(metadata_piece_count(0), 0u);
    EXPECT_EQ(metadata_piece_count(1), 1u);
    EXPECT_EQ(metadata_piece_count(16384), 1u);
    EXPECT_EQ(metadata_piece_count(16385), 2u);
    EXPECT_EQ(metadata_piece_count(kMaxMetadataSize), 1024u);
    EXPECT_EQ(metadata_piece_length(34256, 0), 16384u);
    EXPECT_EQ(metadata_piece_length(34256, 1), 16384u);
    EXPECT_EQ(metadata_piece_length(34256, 2), 34256u - 32768u);
    EXPECT_EQ(metadata_piece_length(34256, 3), 0u);
    EXPECT_EQ(metadata_piece_length(16384, 0), 16384u);
    EXPECT_EQ(metadata_piece_length(16384, 1), 0u);
    EXPECT_EQ(metadata_piece_length(0, 0), 0u);
}

TEST(Metadata, Bep9Examples) {
    // The byte examples of BEP 9 "request", "data" and "reject".
    EXPECT_EQ(encode_metadata_request(0), "d8:msg_typei0e5:piecei0ee");
    EXPECT_EQ(encode_metadata_reject(0), "d8:msg_typei2e5:piecei0ee");
    const std::string piece(16384, 'x');
    EXPECT_EQ(encode_metadata_data(0, 34256, piece),
              "d8:msg_typei1e5:piecei0e10:total_sizei34256ee" + piece);
}

TEST(Metadata, RoundTrips) {
    auto r = decode_metadata_message(encode_metadata_request(5));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->type, MetadataMessageType::request);
    EXPECT_EQ(r->piece, 5u);

    r = decode_metadata_message(encode_metadata_reject(1023));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->type, MetadataMessageType::reject);
    EXPECT_EQ(r->piece, 1023u);

    const std::string last(34256 - 32768, 'L');
    const std::string payload = encode_metadata_data(2, 34256, last);
    r = decode_metadata_message(payload);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->type, MetadataMessageType::data);
    EXPECT_EQ(r->piece, 2u);
    EXPECT_EQ(r->total_size, 34256u);
    EXPECT_EQ(r->data, last);
    EXPECT_EQ(r->data.data(), payload.data() + payload.size() - last.size());  // a view
    EXPECT_EQ(encode_metadata_data(r->piece, r->total_size, r->data), payload);
}

TEST(Metadata, UnknownMsgTypeIsIgnorable) {
    auto r = decode_metadata_message("d8:msg_typei7e5:piecei3ee");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->type, MetadataMessageType::unknown);
    r = decode_metadata_message("d8:msg_typei-1ee");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->type, MetadataMessageType::unknown);
}

TEST(Metadata, Hostile) {
    struct Case {
        std::string payload;
        const char* error;
    };
    const std::string header = "d8:msg_typei1e5:piecei0e10:total_sizei34256ee";
    const std::vector<Case> cases = {
        {"", "ut_metadata"},
        {"i1e", "not a dictionary"},
        {"d5:piecei0ee", "msg_type"},
        {"d8:msg_type1:0e", "msg_type"},
        {"d8:msg_typei0ee", "piece"},
        {"d8:msg_typei0e5:piece1:0e", "piece"},
        {"d8:msg_typei0e5:piecei-1ee", "piece -1"},
        {"d8:msg_typei0e5:piecei1024ee", "piece 1024"},
        {"d8:msg_typei0e5:piecei99999999999999999999ee", "ut_metadata"},  // overflow
        {"d8:msg_typei0e5:piecei0eexx", "2 bytes after a request"},
        {"d8:msg_typei2e5:piecei0eex", "1 bytes after a reject"},
        {"d8:msg_typei1e5:piecei0ee" + std::string(16384, 'x'), "total_size"},
        {"d8:msg_typei1e5:piecei0e10:total_sizei0ee", "total_size"},
        {"d8:msg_typei1e5:piecei0e10:total_sizei16777217ee", "total_size"},
        {"d8:msg_typei1e5:piecei0e10:total_size1:1ee", "total_size"},
        {header, "has 0 bytes, not 16384"},
        {header + std::string(16383, 'x'), "has 16383 bytes, not 16384"},
        {header + std::string(16385, 'x'), "has 16385 bytes, not 16384"},
        {"d8:msg_typei1e5:piecei3e10:total_sizei34256ee" + std::string(16384, 'x'), "past the end"},
        {"d8:msg_typei1e5:piecei2e10:total_sizei34256ee" + std::string(16384, 'x'),
         "has 16384 bytes, not 1488"},
        {"d8:msg_typei0e", "ut_metadata"},             // truncated
        {"d5:piecei0e8:msg_typei0ee", "ut_metadata"},  // keys out of order
        {std::string(10, 'd') + "e", "ut_metadata"},   // deep and broken
    };
    for (const Case& c : cases) {
        auto r = decode_metadata_message(c.payload);
        ASSERT_FALSE(r.ok()) << c.payload.substr(0, 80);
        EXPECT_NE(r.error().message.find(c.error), std::string::npos)
            << c.payload.substr(0, 80) << " -> " << r.error().message;
    }
}

}  // namespace
}  // namespace l7::p2p
