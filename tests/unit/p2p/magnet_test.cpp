// Magnet links (BEP 9): hex and base32 info-hashes, percent-decoding, repeated tr and x.pe,
// the errors, and formatting one for a torrent (which parses back to the same link).

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "p2p/bencode.hpp"
#include "p2p/magnet.hpp"

using namespace l7::p2p;

namespace {

constexpr std::string_view kHex = "df293a048613e06fea49e740c7d1494595ead8fd";
// The same 20 bytes in RFC 4648 base32 (Python: base64.b32encode).
constexpr std::string_view kBase32 = "34UTUBEGCPQG72SJ45AMPUKJIWK6VWH5";

std::string error_of(std::string_view uri) {
    auto r = parse_magnet(uri);
    return r ? std::string() : r.error().message;
}

#define EXPECT_ERROR(message, needle)                                                   \
    do {                                                                                \
        const std::string m_ = (message);                                               \
        EXPECT_NE(m_.find(needle), std::string::npos) << "error was: \"" << m_ << "\""; \
    } while (0)

TEST(Magnet, Full) {
    const std::string uri = "magnet:?xt=urn:btih:" + std::string(kHex) +
                            "&dn=The%20Fox+Book%2B1&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce"
                            "&tr=udp://127.0.0.1:6969&x.pe=127.0.0.1:6881&x.pe=%5B%3A%3A1%5D:51413";
    auto m = parse_magnet(uri);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(to_hex(m->info_hash), kHex);
    EXPECT_EQ(m->display_name, "The Fox Book+1");
    EXPECT_EQ(m->trackers,
              (std::vector<std::string>{"http://127.0.0.1:6969/announce", "udp://127.0.0.1:6969"}));
    EXPECT_EQ(m->peers, (std::vector<std::string>{"127.0.0.1:6881", "[::1]:51413"}));
}

TEST(Magnet, HashForms) {
    auto lower = parse_magnet("magnet:?xt=urn:btih:" + std::string(kHex));
    ASSERT_TRUE(lower);
    std::string upper_hex(kHex);
    for (char& c : upper_hex) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    auto upper = parse_magnet("magnet:?xt=urn:btih:" + upper_hex);
    ASSERT_TRUE(upper);
    auto b32 = parse_magnet("magnet:?xt=urn:btih:" + std::string(kBase32));
    ASSERT_TRUE(b32) << b32.error().message;
    std::string b32_lower(kBase32);
    for (char& c : b32_lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    auto b32l = parse_magnet("magnet:?xt=urn:btih:" + b32_lower);
    ASSERT_TRUE(b32l);
    EXPECT_EQ(lower->info_hash, upper->info_hash);
    EXPECT_EQ(lower->info_hash, b32->info_hash);
    EXPECT_EQ(lower->info_hash, b32l->info_hash);
    EXPECT_EQ(to_hex(b32->info_hash), kHex);
    // The scheme and the urn prefix are case-insensitive.
    auto mixed = parse_magnet("Magnet:?xt=URN:BTIH:" + std::string(kHex));
    ASSERT_TRUE(mixed) << mixed.error().message;
}

TEST(Magnet, ParametersInAnyOrderAndNumbered) {
    auto m = parse_magnet("magnet:?tr.1=http://a/&dn=x&&xt.1=urn:btih:" + std::string(kHex) +
                          "&tr.2=http://b/&tr=http://a/&so=0-3&x.pe.1=h:1&");
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->trackers, (std::vector<std::string>{"http://a/", "http://b/"}));  // once each
    EXPECT_EQ(m->peers, std::vector<std::string>{"h:1"});
    EXPECT_EQ(m->display_name, "x");
}

TEST(Magnet, OtherContentAddressesBesideBtih) {
    // A hybrid link (BEP 52) carries both; l7 uses the v1 hash.
    auto m = parse_magnet("magnet:?xt=urn:btmh:1220" + std::string(64, 'a') +
                          "&xt=urn:btih:" + std::string(kHex) + "&xt=urn:sha1:XYZ");
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(to_hex(m->info_hash), kHex);
    // The same btih twice is fine.
    EXPECT_TRUE(parse_magnet("magnet:?xt=urn:btih:" + std::string(kHex) +
                             "&xt=urn:btih:" + std::string(kBase32)));
}

TEST(Magnet, Errors) {
    EXPECT_ERROR(error_of(""), "does not start with magnet:");
    EXPECT_ERROR(error_of("http://x/?xt=urn:btih:" + std::string(kHex)),
                 "does not start with magnet:");
    EXPECT_ERROR(error_of("magnet:"), "no '?' after magnet:");
    EXPECT_ERROR(error_of("magnet:xt=urn:btih:" + std::string(kHex)), "no '?'");
    EXPECT_ERROR(error_of("magnet:?"), "no xt=urn:btih: info-hash");
    EXPECT_ERROR(error_of("magnet:?dn=x&tr=http://a/"), "no xt=urn:btih: info-hash");
    EXPECT_ERROR(error_of("magnet:?xt=urn:btmh:1220" + std::string(64, 'a')),
                 "only a version 2 info-hash");
    EXPECT_ERROR(error_of("magnet:?xt=urn:btih:" + std::string(kHex.substr(1))),
                 "neither 40 hex digits nor 32 base32");
    EXPECT_ERROR(error_of("magnet:?xt=urn:btih:" + std::string(kHex) + "0"), "neither 40 hex");
    EXPECT_ERROR(error_of("magnet:?xt=urn:btih:" + std::string(39, 'a') + "g"), "neither 40 hex");
    EXPECT_ERROR(error_of("magnet:?xt=urn:btih:" + std::string(31, 'A') + "1"),  // not base32
                 "neither 40 hex");
    EXPECT_ERROR(error_of("magnet:?xt=urn:btih:" + std::string(kHex) +
                          "&xt=urn:btih:" + std::string(40, '0')),
                 "two different urn:btih: info-hashes");
    EXPECT_ERROR(error_of("magnet:?xt=urn:btih:" + std::string(kHex) + "&dn=%4"),
                 "the value of dn has a '%' without two hex digits");
    EXPECT_ERROR(error_of("magnet:?xt=urn:btih:" + std::string(kHex) + "&tr=%zzhttp"),
                 "the value of tr has a '%'");
    EXPECT_ERROR(error_of("magnet:?xt=urn%3Abtih%3A" + std::string(kHex) + "&tr=%"), "'%'");
    EXPECT_ERROR(error_of("magnet:?xt=urn:btih:" + std::string(kHex) + "&tr="),
                 "an empty tr (tracker) value");
    for (const char* pe : {"nocolon", ":6881", "host:", ""}) {
        EXPECT_ERROR(error_of("magnet:?xt=urn:btih:" + std::string(kHex) + "&x.pe=" + pe),
                     "x.pe (peer) is not HOST:PORT");
    }
}

TEST(Magnet, PercentEncodedXt) {
    auto m = parse_magnet("magnet:?xt=urn%3Abtih%3A" + std::string(kHex));
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(to_hex(m->info_hash), kHex);
}

TEST(Magnet, Bounds) {
    std::string many = "magnet:?xt=urn:btih:" + std::string(kHex);
    for (std::size_t i = 0; i <= kMaxMagnetTrackers; ++i) {
        many += "&tr=http://t" + std::to_string(i) + "/";
    }
    EXPECT_ERROR(error_of(many), "more than 200 trackers");
    std::string peers = "magnet:?xt=urn:btih:" + std::string(kHex);
    for (std::size_t i = 0; i <= kMaxMagnetPeers; ++i) {
        peers += "&x.pe=10.0.0.1:" + std::to_string(1000 + i);
    }
    EXPECT_ERROR(error_of(peers), "more than 200 peers");
    const std::string long_uri =
        "magnet:?xt=urn:btih:" + std::string(kHex) + "&dn=" + std::string(kMaxMagnetLength, 'x');
    EXPECT_ERROR(error_of(long_uri), "longer than 65536 bytes");
}

TEST(Magnet, FormatAndParseBack) {
    MagnetLink link;
    ASSERT_TRUE(from_hex(kHex, link.info_hash));
    link.display_name = "a b+c/ä&=%";
    link.trackers = {"http://127.0.0.1:6969/announce?x=1&y=2", "udp://[::1]:6969"};
    link.peers = {"[::1]:51413"};
    const std::string text = format_magnet(link);
    EXPECT_EQ(text.substr(0, 60), "magnet:?xt=urn:btih:" + std::string(kHex));
    EXPECT_NE(text.find("&dn=a%20b%2Bc%2F%C3%A4%26%3D%25"), std::string::npos) << text;
    EXPECT_NE(text.find("&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce%3Fx%3D1%26y%3D2"),
              std::string::npos)
        << text;
    auto back = parse_magnet(text);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, link);

    MagnetLink bare;
    EXPECT_EQ(format_magnet(bare), "magnet:?xt=urn:btih:0000000000000000000000000000000000000000");
}

TEST(Magnet, ForATorrent) {
    BValue info = BValue::dict();
    info.set("length", BValue::integer(3));
    info.set("name", BValue::string("my file.txt"));
    info.set("piece length", BValue::integer(16384));
    info.set("pieces", BValue::string(to_bytes(sha1("abc"))));
    BValue top = BValue::dict();
    top.set("announce", BValue::string("http://a/announce"));
    top.set("announce-list", BValue::list({BValue::list({BValue::string("http://a/announce")}),
                                           BValue::list({BValue::string("udp://b:80")})}));
    top.set("info", info);
    auto meta = parse_metainfo(bencode(top));
    ASSERT_TRUE(meta) << meta.error().message;
    const MagnetLink link = magnet_for(*meta);
    EXPECT_EQ(link.info_hash, sha1(bencode(info)));
    EXPECT_EQ(link.display_name, "my file.txt");
    EXPECT_EQ(link.trackers, (std::vector<std::string>{"http://a/announce", "udp://b:80"}));
    EXPECT_EQ(format_magnet(link), "magnet:?xt=urn:btih:" + to_hex(sha1(bencode(info))) +
                                       "&dn=my%20file.txt&tr=http%3A%2F%2Fa%2Fannounce"
                                       "&tr=udp%3A%2F%2Fb%3A80");
}

}  // namespace
