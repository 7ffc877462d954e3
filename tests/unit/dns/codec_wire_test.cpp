#include "dns/wire.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dns/encoding.hpp"
#include "dns/name.hpp"
#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using namespace test;

using Buffer = std::vector<std::uint8_t>;

std::string hex_of(std::span<const std::uint8_t> b) {
    return hex_encode(b);
}

// Reads one name at `pos`; returns its text, or "error: ..." when the reader fails.
std::string read_name_at(const Buffer& msg, std::size_t pos, std::size_t* end = nullptr) {
    WireReader r(msg, pos);
    std::string out;
    if (!r.name(out)) {
        EXPECT_FALSE(r.ok());
        return std::string("error: ") + (r.error() ? r.error() : "?");
    }
    if (end != nullptr) {
        *end = r.pos();
    }
    return wire_name::to_text(out);
}

bool is_error(const std::string& s) {
    return s.rfind("error: ", 0) == 0;
}

// ----------------------------------------------------------------------------------------------
// WireReader

TEST(DnsWireReader, ReadsBigEndianIntegers) {
    const Buffer msg = from_hex("0102030405060708090A0B0C0D0E0F");
    WireReader r(msg);
    EXPECT_EQ(r.u8(), 0x01);
    EXPECT_EQ(r.u16(), 0x0203);
    EXPECT_EQ(r.u32(), 0x04050607u);
    EXPECT_EQ(r.u48(), 0x08090A0B0C0Dull);
    EXPECT_EQ(r.remaining(), 2u);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.bytes(2).size(), 2u);
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_TRUE(r.ok());
}

TEST(DnsWireReader, ShortReadIsStickyAndReturnsZero) {
    const Buffer msg = from_hex("010203");
    WireReader r(msg);
    EXPECT_EQ(r.u16(), 0x0102);
    EXPECT_EQ(r.u16(), 0);  // one byte left
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.error(), nullptr);
    EXPECT_EQ(r.remaining(), 0u);
    // Later reads fail too, even ones that would fit an empty request.
    EXPECT_EQ(r.u8(), 0);
    EXPECT_TRUE(r.bytes(0).empty());
    EXPECT_FALSE(r.ok());
    std::string name;
    EXPECT_FALSE(r.name(name));
}

TEST(DnsWireReader, FirstFailureIsKept) {
    const Buffer msg;
    WireReader r(msg);
    r.fail("first");
    r.fail("second");
    EXPECT_STREQ(r.error(), "first");
}

TEST(DnsWireReader, ReadsUncompressedName) {
    const Buffer msg = bytes_of(wire_of("www.Example.com.") + "rest");
    std::size_t end = 0;
    EXPECT_EQ(read_name_at(msg, 0, &end), "www.Example.com.");
    EXPECT_EQ(end, 17u);
}

TEST(DnsWireReader, RootName) {
    const Buffer msg = from_hex("00");
    std::size_t end = 0;
    EXPECT_EQ(read_name_at(msg, 0, &end), ".");
    EXPECT_EQ(end, 1u);
}

TEST(DnsWireReader, FollowsBackwardPointersAndResumesAfterThePointer) {
    // 0: www.example.com.   17: mail + pointer to "example.com." at 4
    // 24: ftp + pointer to 17 (a chain of two pointers)   30: a bare pointer to 0
    Buffer msg = bytes_of(wire_of("www.example.com."));
    const Buffer tail = from_hex(
        "046D61696CC004"
        "03667470C011"
        "C000"
        "FF");
    msg.insert(msg.end(), tail.begin(), tail.end());
    std::size_t end = 0;
    EXPECT_EQ(read_name_at(msg, 17, &end), "mail.example.com.");
    EXPECT_EQ(end, 24u);
    EXPECT_EQ(read_name_at(msg, 24, &end), "ftp.mail.example.com.");
    EXPECT_EQ(end, 30u);
    EXPECT_EQ(read_name_at(msg, 30, &end), "www.example.com.");
    EXPECT_EQ(end, 32u);
}

TEST(DnsWireReader, ExpandedNameHasTheUncompressedWireForm) {
    Buffer msg = bytes_of(wire_of("example.com."));
    const Buffer tail = from_hex("03777777C000");
    msg.insert(msg.end(), tail.begin(), tail.end());
    WireReader r(msg, 13);
    char out[kMaxNameWire];
    const std::size_t n = r.name(out);
    EXPECT_EQ(std::string(out, n), wire_of("www.example.com."));
}

TEST(DnsWireReader, RejectsForwardPointers) {
    // A pointer at 0 to a valid name at 2.
    const Buffer msg = from_hex(
        "C002"
        "0161"
        "00");
    EXPECT_TRUE(is_error(read_name_at(msg, 0)));
    EXPECT_EQ(read_name_at(msg, 2), "a.");
}

TEST(DnsWireReader, RejectsPointerToItself) {
    EXPECT_TRUE(is_error(read_name_at(from_hex("C000"), 0)));
    EXPECT_TRUE(is_error(read_name_at(from_hex("0000C002"), 2)));
    // A label then a pointer back to that label.
    EXPECT_TRUE(is_error(read_name_at(from_hex("0161C000"), 0)));
}

TEST(DnsWireReader, RejectsPointerLoops) {
    // 0 -> 2 and 2 -> 0: the second hop does not go below the first target.
    const Buffer msg = from_hex("C002C000");
    EXPECT_TRUE(is_error(read_name_at(msg, 2)));
    EXPECT_TRUE(is_error(read_name_at(msg, 0)));
    // A longer loop through labels: 0: "a" -> 4, 4: "b" -> 0, reached from 8.
    const Buffer labels = from_hex(
        "0161C004"
        "0162C000"
        "C004");
    EXPECT_TRUE(is_error(read_name_at(labels, 8)));
}

TEST(DnsWireReader, RejectsTruncatedNames) {
    EXPECT_TRUE(is_error(read_name_at(from_hex("0161C0"), 0)));    // half a pointer
    EXPECT_TRUE(is_error(read_name_at(from_hex("03616263"), 0)));  // no root label
    EXPECT_TRUE(is_error(read_name_at(from_hex("036162"), 0)));    // label cut short
    EXPECT_TRUE(is_error(read_name_at(from_hex(""), 0)));
}

TEST(DnsWireReader, RejectsExtendedAndReservedLabelTypes) {
    EXPECT_TRUE(is_error(read_name_at(from_hex("4161"
                                               "00"),
                                      0)));  // 0x40: EDNS0 extended label
    EXPECT_TRUE(is_error(read_name_at(from_hex("8161"
                                               "00"),
                                      0)));  // 0x80: reserved
    // 0x3F is the largest ordinary label.
    Buffer max_label = from_hex("3F");
    max_label.resize(1 + 63, 'x');
    max_label.push_back(0);
    EXPECT_FALSE(is_error(read_name_at(max_label, 0)));
}

// Three 63-byte labels and the root at 0 (193 bytes), then at 193 a label of `n` bytes
// followed by a pointer to 0: an expanded name of 193 + 1 + n bytes.
Buffer name_across_pointer(std::size_t n) {
    std::string first;
    for (char c : {'a', 'b', 'c'}) {
        first += static_cast<char>(63);
        first += std::string(63, c);
    }
    first += '\0';
    Buffer msg = bytes_of(first);
    msg.push_back(static_cast<std::uint8_t>(n));
    msg.insert(msg.end(), n, 'd');
    msg.push_back(0xC0);
    msg.push_back(0x00);
    return msg;
}

TEST(DnsWireReader, LimitOf255BytesCountsThroughPointers) {
    char out[kMaxNameWire];
    const Buffer ok_msg = name_across_pointer(61);
    WireReader r_ok(ok_msg, 193);
    EXPECT_EQ(r_ok.name(out), 255u);
    EXPECT_TRUE(r_ok.ok());
    EXPECT_EQ(r_ok.pos(), ok_msg.size());

    const Buffer long_msg = name_across_pointer(62);
    WireReader r_long(long_msg, 193);
    EXPECT_EQ(r_long.name(out), 0u);
    EXPECT_FALSE(r_long.ok());
}

TEST(DnsWireReader, NameAppendsToString) {
    const Buffer msg = bytes_of(wire_of("a."));
    WireReader r(msg);
    std::string out = "x";
    ASSERT_TRUE(r.name(out));
    EXPECT_EQ(out, "x" + wire_of("a."));
}

// ----------------------------------------------------------------------------------------------
// WireWriter

TEST(DnsWireWriter, WritesBigEndianIntegers) {
    Buffer buf(32);
    WireWriter w(buf, buf.size());
    w.u8(0x01);
    w.u16(0x0203);
    w.u32(0x04050607);
    w.u48(0x08090A0B0C0D);
    w.bytes(std::string_view("\x0E\x0F", 2));
    EXPECT_EQ(hex_of(w.data()), "0102030405060708090A0B0C0D0E0F");
    w.patch_u16(1, 0xBEEF);
    w.patch_u16(14, 0xFFFF);  // past the end: ignored
    EXPECT_EQ(hex_of(w.data()), "01BEEF0405060708090A0B0C0D0E0F");
    EXPECT_FALSE(w.overflow());
}

TEST(DnsWireWriter, LimitIsTheSmallerOfLimitAndBuffer) {
    Buffer buf(8);
    EXPECT_EQ(WireWriter(buf, 100).limit(), 8u);
    EXPECT_EQ(WireWriter(buf, 4).limit(), 4u);
    WireWriter w(buf, 4);
    w.set_limit(1000);
    EXPECT_EQ(w.limit(), 8u);
}

TEST(DnsWireWriter, WriteOverTheLimitWritesNothingAndSticks) {
    Buffer buf(16);
    WireWriter w(buf, 5);
    w.u32(0x01020304);
    w.u16(0x0506);  // 6 > 5
    EXPECT_TRUE(w.overflow());
    EXPECT_EQ(w.size(), 4u);
    w.u8(0x07);  // would fit, but the writer has overflowed
    EXPECT_EQ(w.size(), 4u);
    EXPECT_EQ(hex_of(w.data()), "01020304");
}

TEST(DnsWireWriter, SecondNamePointsAtTheFirst) {
    Buffer buf(512);
    WireWriter w(buf, buf.size());
    w.name(wire_of("www.example.com."), true);
    EXPECT_EQ(w.size(), 17u);
    w.name(wire_of("mail.example.com."), true);  // "mail" + pointer to "example" at 4
    EXPECT_EQ(hex_of(w.data().subspan(17)), "046D61696CC004");
    w.name(wire_of("www.example.com."), true);  // the whole name again
    EXPECT_EQ(hex_of(w.data().subspan(24)), "C000");
    w.name(wire_of("com."), true);
    EXPECT_EQ(hex_of(w.data().subspan(26)), "C00C");
    w.name(wire_of("ftp.mail.example.com."), true);  // points at the compressed "mail..."
    EXPECT_EQ(hex_of(w.data().subspan(28)), "03667470C011");

    // Everything written reads back as the full names.
    const Buffer msg(w.data().begin(), w.data().end());
    EXPECT_EQ(read_name_at(msg, 17), "mail.example.com.");
    EXPECT_EQ(read_name_at(msg, 24), "www.example.com.");
    EXPECT_EQ(read_name_at(msg, 26), "com.");
    EXPECT_EQ(read_name_at(msg, 28), "ftp.mail.example.com.");
}

TEST(DnsWireWriter, CompressionIgnoresCase) {
    Buffer buf(512);
    WireWriter w(buf, buf.size());
    w.name(wire_of("www.example.com."), true);
    w.name(wire_of("WWW.EXAMPLE.COM."), true);
    EXPECT_EQ(hex_of(w.data().subspan(17)), "C000");
    w.name(wire_of("Mail.Example.Com."), true);
    EXPECT_EQ(hex_of(w.data().subspan(19)), "044D61696CC004");
}

TEST(DnsWireWriter, DoesNotMatchPartialLabels) {
    Buffer buf(512);
    WireWriter w(buf, buf.size());
    w.name(wire_of("example.com."), true);
    w.name(wire_of("ample.com."), true);  // a byte suffix of "example", not a label suffix
    EXPECT_EQ(hex_of(w.data().subspan(13)), "05616D706C65C008");
}

TEST(DnsWireWriter, RepeatedLabelsDoNotPointIntoTheNameBeingWritten) {
    // Writing "com.com.", the second "com." must not point at the first: that label is followed
    // by the bytes about to be written, not by the root.
    for (const char* text : {"com.com.", "a.a.", "x.com.com.", "a.a.a.a."}) {
        Buffer buf(512, 0);
        WireWriter w(buf, buf.size());
        w.name(wire_of(text), true);
        const Buffer msg(w.data().begin(), w.data().end());
        EXPECT_EQ(hex_of(msg), hex_of(bytes_of(wire_of(text)))) << text;
        EXPECT_EQ(read_name_at(msg, 0), text);
    }
    // A later copy may point at the finished name.
    Buffer buf(512);
    WireWriter w(buf, buf.size());
    w.name(wire_of("com.com."), true);
    w.name(wire_of("www.com.com."), true);
    EXPECT_EQ(hex_of(w.data().subspan(9)), "03777777C000");
}

TEST(DnsWireWriter, UncompressedNamesAreStillTargets) {
    Buffer buf(512);
    WireWriter w(buf, buf.size());
    w.name(wire_of("example.com."), false);
    w.name(wire_of("example.com."), false);
    EXPECT_EQ(w.size(), 26u);
    w.name(wire_of("www.example.com."), true);
    EXPECT_EQ(hex_of(w.data().subspan(26)), "03777777C000");
}

TEST(DnsWireWriter, RootNameIsOneByte) {
    Buffer buf(8);
    WireWriter w(buf, buf.size());
    w.name(std::string(1, '\0'), true);
    w.name(std::string(1, '\0'), true);
    EXPECT_EQ(hex_of(w.data()), "0000");
}

TEST(DnsWireWriter, NameOverTheLimitOverflowsAndRewindUndoesIt) {
    Buffer buf(64);
    WireWriter w(buf, 20);
    w.u16(0xAAAA);
    const WireWriter::Mark m = w.mark();
    w.name(wire_of("www.example.com."), true);  // 2 + 17 = 19: fits
    EXPECT_FALSE(w.overflow());
    w.name(wire_of("mail.example.net."), true);  // does not
    EXPECT_TRUE(w.overflow());
    w.rewind(m);
    EXPECT_FALSE(w.overflow());
    EXPECT_EQ(w.size(), 2u);
    // The rewound name is no pointer target any more: this one is written in full.
    w.name(wire_of("example.com."), true);
    EXPECT_EQ(hex_of(w.data()), "AAAA" + hex_of(bytes_of(wire_of("example.com."))));
}

TEST(DnsWireWriter, TruncationKeepsEarlierTargets) {
    Buffer buf(64);
    WireWriter w(buf, 30);
    w.name(wire_of("example.com."), true);  // 13 bytes
    const WireWriter::Mark m = w.mark();
    w.name(wire_of("a-long-label-that-does-not-fit.example.com."), true);
    EXPECT_TRUE(w.overflow());
    w.rewind(m);
    w.name(wire_of("www.example.com."), true);
    EXPECT_EQ(hex_of(w.data().subspan(13)), "03777777C000");
}

TEST(DnsWireWriter, OffsetsFrom0x4000AreNotTargets) {
    Buffer buf(0x4000 + 64);
    WireWriter w(buf, buf.size());
    const Buffer padding(0x4000, 0);
    w.bytes(padding);
    w.name(wire_of("a.example."), true);
    w.name(wire_of("a.example."), true);
    EXPECT_EQ(w.size(), 0x4000u + 2 * 11);
}

}  // namespace
}  // namespace l7::dns
