// Bencoding (BEP 3): every rule of p2p/bencode.hpp, its limits, raw_dict_value,
// bdecode_prefix, canonical round trips, and hostile inputs (deep nesting, huge lengths,
// truncations at every byte).

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "p2p/bencode.hpp"

using namespace l7::p2p;
using namespace std::string_literals;

namespace {

// The error message, or "" when `input` decodes.
std::string error_of(std::string_view input, const BencodeLimits& limits = {}) {
    auto r = bdecode(input, limits);
    return r ? std::string() : r.error().message;
}

bool decodes(std::string_view input, const BencodeLimits& limits = {}) {
    return bdecode(input, limits).ok();
}

// ---- integers -------------------------------------------------------------------------

TEST(Bencode, Integers) {
    for (const auto& [text, value] : std::vector<std::pair<std::string, std::int64_t>>{
             {"i0e", 0},
             {"i42e", 42},
             {"i-42e", -42},
             {"i9223372036854775807e", std::numeric_limits<std::int64_t>::max()},
             {"i-9223372036854775808e", std::numeric_limits<std::int64_t>::min()}}) {
        auto v = bdecode(text);
        ASSERT_TRUE(v) << text << ": " << v.error().message;
        ASSERT_TRUE(v->is_integer());
        EXPECT_EQ(v->as_integer(), value) << text;
        EXPECT_EQ(bencode(*v), text);
    }
}

TEST(Bencode, IntegersThatAreRefused) {
    EXPECT_NE(error_of("i03e").find("leading zero"), std::string::npos);
    EXPECT_NE(error_of("i00e").find("leading zero"), std::string::npos);
    EXPECT_NE(error_of("i-03e").find("leading zero"), std::string::npos);
    EXPECT_NE(error_of("i-0e").find("-0"), std::string::npos);
    EXPECT_NE(error_of("ie").find("not a number"), std::string::npos);
    EXPECT_NE(error_of("i-e").find("not a number"), std::string::npos);
    EXPECT_NE(error_of("i+1e").find("not a number"), std::string::npos);
    EXPECT_NE(error_of("i1.5e").find("not a number"), std::string::npos);
    EXPECT_NE(error_of("i 1e").find("not a number"), std::string::npos);
    EXPECT_NE(error_of("i--1e").find("not a number"), std::string::npos);
    EXPECT_NE(error_of("i9223372036854775808e").find("64 bits"), std::string::npos);
    EXPECT_NE(error_of("i-9223372036854775809e").find("64 bits"), std::string::npos);
    EXPECT_NE(error_of("i99999999999999999999999999e").find("64 bits"), std::string::npos);
    EXPECT_NE(error_of("i12").find("no end"), std::string::npos);
    EXPECT_NE(error_of("i").find("no end"), std::string::npos);
}

// ---- strings --------------------------------------------------------------------------

TEST(Bencode, Strings) {
    auto v = bdecode("4:spam");
    ASSERT_TRUE(v);
    ASSERT_TRUE(v->is_string());
    EXPECT_EQ(v->as_string(), "spam");

    auto empty = bdecode("0:");
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->as_string(), "");

    // Any bytes, NUL and 'e' and ':' included: the length says where the string ends.
    const std::string binary = "5:a\0e:\xff"s;
    auto b = bdecode(binary);
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(b->as_string(), "a\0e:\xff"s);
    EXPECT_EQ(bencode(*b), binary);
}

TEST(Bencode, StringsThatAreRefused) {
    EXPECT_NE(error_of("01:a").find("leading zero"), std::string::npos);
    EXPECT_NE(error_of("00:").find("leading zero"), std::string::npos);
    EXPECT_NE(error_of("5:spam").find("runs past the end"), std::string::npos);
    EXPECT_NE(error_of("4spam").find("':'"), std::string::npos);
    EXPECT_NE(error_of("4").find("':'"), std::string::npos);
    EXPECT_NE(error_of("-1:a").find("unexpected byte"), std::string::npos);
    // 20 digits fit in 64 bits but exceed any limit; 21 digits are not a length at all.
    EXPECT_NE(error_of("18446744073709551615:x").find("limit"), std::string::npos);
    EXPECT_NE(error_of("18446744073709551616:x").find("64 bits"), std::string::npos);
    EXPECT_FALSE(decodes("999999999999999999999:x"));
}

TEST(Bencode, StringLimit) {
    BencodeLimits limits;
    limits.max_string = 4;
    EXPECT_TRUE(decodes("4:spam", limits));
    EXPECT_NE(error_of("5:spams", limits).find("the limit is 4"), std::string::npos);
    // A string longer than the limit is refused before its bytes are looked at: the input
    // may end right after the length.
    EXPECT_NE(error_of("1000000:", limits).find("limit"), std::string::npos);
    // Dictionary keys are strings too.
    EXPECT_FALSE(decodes("d5:abcdei1ee", limits));
}

// ---- lists and dictionaries -----------------------------------------------------------

TEST(Bencode, Lists) {
    auto v = bdecode("l4:spami42eli1eee");
    ASSERT_TRUE(v) << v.error().message;
    ASSERT_TRUE(v->is_list());
    ASSERT_EQ(v->as_list().size(), 3u);
    EXPECT_EQ(v->as_list()[0], BValue::string("spam"));
    EXPECT_EQ(v->as_list()[1], BValue::integer(42));
    EXPECT_EQ(v->as_list()[2], BValue::list({BValue::integer(1)}));

    auto empty = bdecode("le");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->as_list().empty());

    EXPECT_NE(error_of("l").find("a list has no end"), std::string::npos);
    EXPECT_NE(error_of("li1e").find("a list has no end"), std::string::npos);
    EXPECT_NE(error_of("lxe").find("unexpected byte 0x78"), std::string::npos);
}

TEST(Bencode, Dictionaries) {
    auto v = bdecode("d3:bar4:spam3:fooi42ee");
    ASSERT_TRUE(v) << v.error().message;
    ASSERT_TRUE(v->is_dict());
    ASSERT_EQ(v->as_dict().size(), 2u);
    EXPECT_EQ(v->as_dict()[0].first, "bar");
    EXPECT_EQ(v->as_dict()[1].first, "foo");
    ASSERT_NE(v->find_string("bar"), nullptr);
    EXPECT_EQ(*v->find_string("bar"), "spam");
    EXPECT_EQ(v->find_integer("foo"), 42);

    auto empty = bdecode("de");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->as_dict().empty());

    // The empty key is a key like any other, and sorts first.
    EXPECT_TRUE(decodes("d0:i1e1:ai2ee"));
}

TEST(Bencode, DictionaryKeysMustBeSortedAndUnique) {
    EXPECT_NE(error_of("d3:fooi1e3:bari2ee").find("not sorted"), std::string::npos);
    EXPECT_NE(error_of("d3:fooi1e3:fooi2ee").find("repeated"), std::string::npos);
    // Raw byte order: 'B' (0x42) < 'a' (0x61), and 0x80 and above sort after ASCII.
    EXPECT_TRUE(decodes("d1:Bi1e1:ai2ee"));
    EXPECT_FALSE(decodes("d1:ai1e1:Bi2ee"));
    EXPECT_TRUE(decodes("d1:zi1e1:\x80i2ee"));
    EXPECT_FALSE(decodes("d1:\x80i1e1:zi2ee"));
    // A prefix sorts before the longer key.
    EXPECT_TRUE(decodes("d1:ai1e2:aai2ee"));
    EXPECT_FALSE(decodes("d2:aai1e1:ai2ee"));
    // The error names the offset of the offending key.
    EXPECT_NE(error_of("d3:fooi1e3:bari2ee").find("at byte 9"), std::string::npos);
}

TEST(Bencode, DictionariesThatAreRefused) {
    EXPECT_NE(error_of("di1ei2ee").find("key is not a string"), std::string::npos);
    EXPECT_NE(error_of("dli1ee1:ae").find("key is not a string"), std::string::npos);
    EXPECT_NE(error_of("d3:foo").find("where a value should start"), std::string::npos);
    EXPECT_NE(error_of("d3:fooe").find("unexpected byte 0x65"), std::string::npos);
    EXPECT_NE(error_of("d3:fooi1e").find("a dictionary has no end"), std::string::npos);
    EXPECT_NE(error_of("d").find("a dictionary has no end"), std::string::npos);
}

TEST(Bencode, WholeInputAndPrefix) {
    EXPECT_NE(error_of("").find("ends where a value should start"), std::string::npos);
    EXPECT_NE(error_of("i1ei2e").find("3 bytes after the value (at byte 3)"), std::string::npos);
    EXPECT_NE(error_of("4:spamX").find("1 bytes after"), std::string::npos);
    EXPECT_NE(error_of("x").find("unexpected byte 0x78"), std::string::npos);

    auto p = bdecode_prefix("d1:ai1ee<metadata piece>");
    ASSERT_TRUE(p) << p.error().message;
    EXPECT_EQ(p->length, 8u);
    EXPECT_EQ(p->value.find_integer("a"), 1);

    auto whole = bdecode_prefix("4:spam");
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->length, 6u);

    EXPECT_FALSE(bdecode_prefix(""));
    EXPECT_FALSE(bdecode_prefix("d1:ai1e"));  // the value itself must be complete
}

// ---- limits ---------------------------------------------------------------------------

std::string nested_lists(std::size_t depth) {
    return std::string(depth, 'l') + std::string(depth, 'e');
}

TEST(Bencode, DepthLimit) {
    BencodeLimits limits;
    limits.max_depth = 3;
    EXPECT_TRUE(decodes(nested_lists(3), limits));
    EXPECT_NE(error_of(nested_lists(4), limits).find("nested deeper than 3"), std::string::npos);
    EXPECT_TRUE(decodes("d1:ad1:ali1eeee", limits));        // dict, dict, list
    EXPECT_FALSE(decodes("d1:ad1:ald1:bi1eeeee", limits));  // and a fourth, a dict
}

TEST(Bencode, DepthLimitCountsDictionaries) {
    BencodeLimits limits;
    limits.max_depth = 2;
    EXPECT_TRUE(decodes("d1:ad1:bi1eee", limits));
    EXPECT_FALSE(decodes("d1:ad1:bd1:ci1eeee", limits));
    EXPECT_FALSE(decodes("d1:ald1:bi1eeee", limits));
}

TEST(Bencode, DefaultDepthIs32) {
    EXPECT_TRUE(decodes(nested_lists(32)));
    EXPECT_FALSE(decodes(nested_lists(33)));
    // A hostile document nested a million deep fails cleanly, without exhausting the stack.
    EXPECT_NE(error_of(std::string(1'000'000, 'l')).find("nested deeper"), std::string::npos);
}

TEST(Bencode, ValueLimit) {
    BencodeLimits limits;
    limits.max_values = 3;
    EXPECT_TRUE(decodes("li1ei2ee", limits));  // the list and two integers
    EXPECT_NE(error_of("li1ei2ei3ee", limits).find("more than 3 values"), std::string::npos);
    EXPECT_TRUE(decodes("d1:ai1ee", limits));  // the dictionary, a key and a value
    EXPECT_FALSE(decodes("d1:ai1e1:bi2ee", limits));
    // Keys count: a dictionary of many empty-list values cannot hide them.
    limits.max_values = 4;
    EXPECT_FALSE(decodes("d1:ale1:blee", limits));
}

TEST(Bencode, DefaultValueLimit) {
    std::string many = "l";
    for (int i = 0; i < 1'000'000; ++i) {
        many += "0:";
    }
    many += "e";
    EXPECT_NE(error_of(many).find("more than 1000000 values"), std::string::npos);
}

// ---- building and encoding ------------------------------------------------------------

TEST(Bencode, EncodeIsCanonical) {
    BValue d = BValue::dict({{"zeta", BValue::integer(1)},
                             {"alpha", BValue::string("a")},
                             {"mid", BValue::list({BValue::integer(-3), BValue::string("")})}});
    EXPECT_EQ(bencode(d), "d5:alpha1:a3:midli-3e0:e4:zetai1ee");
    EXPECT_EQ(bencode(BValue()), "i0e");
    EXPECT_EQ(bencode(BValue::list()), "le");
    EXPECT_EQ(bencode(BValue::dict()), "de");

    std::string out = "prefix:";
    bencode_into(out, BValue::string("xy"));
    EXPECT_EQ(out, "prefix:2:xy");
}

TEST(Bencode, SetKeepsKeysSortedAndReplaces) {
    BValue d = BValue::dict();
    d.set("b", BValue::integer(2));
    d.set("a", BValue::integer(1));
    d.set("c", BValue::integer(3));
    d.set("b", BValue::string("two"));
    EXPECT_EQ(bencode(d), "d1:ai1e1:b3:two1:ci3ee");
    BValue& inner = d.set("d", BValue::list());
    inner.push(BValue::integer(4));
    EXPECT_EQ(bencode(d), "d1:ai1e1:b3:two1:ci3e1:dli4eee");
}

TEST(Bencode, RoundTrips) {
    for (const std::string& text :
         {"i0e"s, "i-1e"s, "0:"s, "3:\x00\x01\x02"s, "le"s, "de"s, "llleee"s, "d1:ad1:bl1:ci1eeee"s,
          "d4:infod6:lengthi12e4:name5:a.txtee"s, "l0:0:i0ed0:0:ee"s}) {
        auto v = bdecode(text);
        ASSERT_TRUE(v) << text << ": " << v.error().message;
        EXPECT_EQ(bencode(*v), text);
    }
    // Built, encoded, decoded: the same value.
    BValue built = BValue::dict();
    built.set("list", BValue::list({BValue::integer(std::numeric_limits<std::int64_t>::min()),
                                    BValue::string("\xff\xfe"s), BValue::dict()}));
    built.set("int", BValue::integer(7));
    auto back = bdecode(bencode(built));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, built);
}

TEST(Bencode, FindHelpersCheckTypes) {
    auto v = bdecode("d1:dde1:ii1e1:lle1:s1:xe");
    ASSERT_TRUE(v);
    EXPECT_NE(v->find("i"), nullptr);
    EXPECT_EQ(v->find("missing"), nullptr);
    EXPECT_EQ(v->find_integer("i"), 1);
    EXPECT_EQ(v->find_integer("s"), std::nullopt);
    EXPECT_NE(v->find_string("s"), nullptr);
    EXPECT_EQ(v->find_string("i"), nullptr);
    EXPECT_NE(v->find_list("l"), nullptr);
    EXPECT_EQ(v->find_list("d"), nullptr);
    EXPECT_NE(v->find_dict("d"), nullptr);
    EXPECT_EQ(v->find_dict("l"), nullptr);
    // Lookups on something that is not a dictionary find nothing.
    EXPECT_EQ(BValue::list().find("i"), nullptr);
    EXPECT_EQ(BValue::integer(3).find_integer("i"), std::nullopt);
}

// ---- raw_dict_value -------------------------------------------------------------------

TEST(BencodeRaw, ValueBytesAsWritten) {
    const std::string doc = "d8:announce3:url4:infod6:lengthi5e4:name1:xe5:otheri0ee";
    auto info = raw_dict_value(doc, "info");
    ASSERT_TRUE(info);
    EXPECT_EQ(*info, "d6:lengthi5e4:name1:xe");
    // A view into the document itself, not a copy.
    EXPECT_GE(info->data(), doc.data());
    EXPECT_LE(info->data() + info->size(), doc.data() + doc.size());
    EXPECT_EQ(raw_dict_value(doc, "announce"), "3:url");
    EXPECT_EQ(raw_dict_value(doc, "other"), "i0e");
}

TEST(BencodeRaw, OnlyTopLevelKeys) {
    const std::string doc = "d1:ad4:infoi1eee";
    EXPECT_EQ(raw_dict_value(doc, "info"), std::nullopt);
    EXPECT_EQ(raw_dict_value(doc, "a"), "d4:infoi1ee");
    // A key's text inside a string value is not a key either.
    EXPECT_EQ(raw_dict_value("d1:a6:4:infoe", "info"), std::nullopt);
}

TEST(BencodeRaw, NothingFromInvalidDocuments) {
    EXPECT_EQ(raw_dict_value("", "info"), std::nullopt);
    EXPECT_EQ(raw_dict_value("li1ee", "info"), std::nullopt);
    EXPECT_EQ(raw_dict_value("4:info", "info"), std::nullopt);
    EXPECT_EQ(raw_dict_value("d4:infoi1e", "info"), std::nullopt);            // no end
    EXPECT_EQ(raw_dict_value("d4:infoi1ee trailing", "info"), std::nullopt);  // bytes after
    EXPECT_EQ(raw_dict_value("d4:infoi01ee", "info"), std::nullopt);          // not canonical
    EXPECT_EQ(raw_dict_value("d4:name1:x4:infoi1ee", "info"), std::nullopt);  // unsorted
    EXPECT_EQ(raw_dict_value("de", "info"), std::nullopt);
}

TEST(BencodeRaw, RespectsLimits) {
    BencodeLimits limits;
    limits.max_depth = 1;
    EXPECT_EQ(raw_dict_value("d4:infoi1ee", "info", limits), "i1e");
    EXPECT_EQ(raw_dict_value("d4:infodee", "info", limits), std::nullopt);
}

TEST(BencodeRaw, EveryKeyOfADocument) {
    BValue d = BValue::dict();
    d.set("a", BValue::integer(1));
    d.set("bb", BValue::string("two"));
    d.set("ccc", BValue::list({BValue::dict({{"x", BValue::string("y")}})}));
    d.set("dddd", BValue::dict({{"k", BValue::integer(-5)}}));
    const std::string doc = bencode(d);
    for (const auto& [key, value] : d.as_dict()) {
        auto raw = raw_dict_value(doc, key);
        ASSERT_TRUE(raw) << key;
        EXPECT_EQ(*raw, bencode(value)) << key;
    }
}

// ---- hostile inputs -------------------------------------------------------------------

// Every truncation of a valid document fails (none is itself a complete value), without
// reading past the end; every truncation decodes as a prefix at most as long as itself.
TEST(BencodeHostile, EveryTruncationFails) {
    const std::string doc =
        "d8:announce20:http://t.example/ann13:announce-listll3:urlee4:infod5:filesld6:length"
        "i3e4:pathl1:a1:beee4:name4:tree12:piece lengthi16384e6:pieces20:01234567890123456789"
        "ee";
    ASSERT_TRUE(decodes(doc)) << error_of(doc);
    for (std::size_t n = 0; n < doc.size(); ++n) {
        const std::string cut = doc.substr(0, n);  // a copy: sanitizers see any overread
        EXPECT_FALSE(decodes(cut)) << n;
        EXPECT_EQ(raw_dict_value(cut, "info"), std::nullopt) << n;
    }
}

TEST(BencodeHostile, EveryByteFlipIsHandled) {
    const std::string doc = "d1:ali1ei-2e3:abce1:bd1:ci0eee";
    for (std::size_t i = 0; i < doc.size(); ++i) {
        for (int b : std::initializer_list<int>{0, '0', '9', 'e', 'i', 'l', 'd', ':', '-', 0xff}) {
            std::string mutated = doc;
            mutated[i] = static_cast<char>(b);
            auto v = bdecode(mutated);
            if (v) {
                EXPECT_EQ(bencode(*v), mutated) << "decoded input must be canonical";
            } else {
                EXPECT_NE(v.error().message.find("at byte"), std::string::npos);
            }
        }
    }
}

TEST(BencodeHostile, ErrorsNameTheOffset) {
    EXPECT_NE(error_of("li1ei01ee").find("at byte 5"), std::string::npos);
    EXPECT_NE(error_of("l4:spami1ex").find("at byte 10"), std::string::npos);
}

}  // namespace
