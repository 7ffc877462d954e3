#include "dns/name.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using namespace test;

// A label of `n` copies of `c`.
std::string label(std::size_t n, char c = 'a') {
    return std::string(n, c);
}

TEST(DnsName, ParsesAbsoluteNameToWire) {
    const Name n = name("www.example.com.");
    EXPECT_EQ(n.wire(), std::string("\3www\7example\3com\0", 17));
    EXPECT_EQ(n.wire_size(), 17u);
    EXPECT_EQ(n.label_count(), 3u);
    EXPECT_EQ(n.first_label(), "www");
    EXPECT_EQ(n.to_text(), "www.example.com.");
}

TEST(DnsName, RootInEveryForm) {
    EXPECT_TRUE(Name().is_root());
    EXPECT_EQ(Name().to_text(), ".");
    EXPECT_EQ(Name().label_count(), 0u);
    EXPECT_TRUE(name(".").is_root());
    EXPECT_EQ(name(".").wire(), std::string(1, '\0'));
}

TEST(DnsName, RelativeNamesAndAtSignUseTheOrigin) {
    const Name origin = name("example.com.");
    auto www = Name::parse("www", origin);
    ASSERT_TRUE(www);
    EXPECT_EQ(www->to_text(), "www.example.com.");
    auto deep = Name::parse("a.b", origin);
    ASSERT_TRUE(deep);
    EXPECT_EQ(deep->to_text(), "a.b.example.com.");
    auto at = Name::parse("@", origin);
    ASSERT_TRUE(at);
    EXPECT_EQ(*at, origin);
    auto absolute = Name::parse("www.example.net.", origin);
    ASSERT_TRUE(absolute);
    EXPECT_EQ(absolute->to_text(), "www.example.net.");
    // Without an origin, a relative name is relative to the root.
    EXPECT_EQ(name("www").to_text(), "www.");
}

TEST(DnsName, EscapedDotStaysInsideTheLabel) {
    const Name n = name("a\\.b.example.");
    EXPECT_EQ(n.label_count(), 2u);
    EXPECT_EQ(n.first_label(), "a.b");
    EXPECT_EQ(n.to_text(), "a\\.b.example.");
    // An escaped final dot does not make the name absolute.
    auto relative = Name::parse("a\\.", name("example."));
    ASSERT_TRUE(relative);
    EXPECT_EQ(relative->first_label(), "a.");
    EXPECT_EQ(relative->to_text(), "a\\..example.");
}

TEST(DnsName, DecimalEscapes) {
    EXPECT_EQ(name("\\065bc.example.").first_label(), "Abc");
    EXPECT_EQ(name("\\000.example.").first_label(), std::string(1, '\0'));
    EXPECT_EQ(name("\\255.example.").first_label(), std::string(1, '\xff'));
    // Printing uses \DDD for bytes that are not printable, as dig does.
    EXPECT_EQ(name("\\000.example.").to_text(), "\\000.example.");
    EXPECT_EQ(name("\\200.example.").to_text(), "\\200.example.");
    EXPECT_EQ(name("a\\127b.").to_text(), "a\\127b.");
    // A printable byte written as \DDD prints as itself.
    EXPECT_EQ(name("\\065.example.").to_text(), "A.example.");
}

TEST(DnsName, SpacesPrintAsDecimalEscapes) {
    EXPECT_EQ(name("a\\032b.example.").first_label(), "a b");
    EXPECT_EQ(name("a\\ b.example.").first_label(), "a b");
    EXPECT_EQ(name("a\\ b.example.").to_text(), "a\\032b.example.");
}

TEST(DnsName, MasterFileSpecialCharactersAreEscaped) {
    EXPECT_EQ(name("\\@.example.").to_text(), "\\@.example.");
    EXPECT_EQ(name("\\$x.example.").to_text(), "\\$x.example.");
    EXPECT_EQ(name("a\\;b.").to_text(), "a\\;b.");
    EXPECT_EQ(name("\\(\\).").to_text(), "\\(\\).");
    EXPECT_EQ(name("\\\"q\\\".").to_text(), "\\\"q\\\".");
    EXPECT_EQ(name("back\\\\slash.").to_text(), "back\\\\slash.");
    EXPECT_EQ(name("back\\\\slash.").first_label(), "back\\slash");
    // Other punctuation prints as itself.
    EXPECT_EQ(name("_sip._tcp.example.").to_text(), "_sip._tcp.example.");
    EXPECT_EQ(name("*.example.").to_text(), "*.example.");
}

TEST(DnsName, PrintedTextParsesBackToTheSameWire) {
    std::string all;
    for (int c = 1; c < 64; ++c) {
        all += static_cast<char>(c * 4 - 1);  // a spread of bytes, including escapes
    }
    std::string w;
    w += static_cast<char>(all.size());
    w += all;
    w += std::string("\3com\0", 5);
    auto n = Name::from_wire(w);
    ASSERT_TRUE(n);
    auto again = Name::parse(n->to_text());
    ASSERT_TRUE(again) << n->to_text();
    EXPECT_EQ(again->wire(), n->wire());
}

TEST(DnsName, RejectsBadText) {
    for (const char* bad :
         {"", "a..b.", ".a.", "..", "a\\", "a\\1", "a\\12", "a\\12x.", "\\256.", "\\999."}) {
        EXPECT_FALSE(Name::parse(bad)) << bad;
    }
}

TEST(DnsName, LabelOf63BytesIsTheLimit) {
    EXPECT_TRUE(Name::parse(label(63) + ".example."));
    EXPECT_FALSE(Name::parse(label(64) + ".example."));
    EXPECT_FALSE(Name::parse(label(64) + "."));
    EXPECT_FALSE(Name::parse(label(64)));  // the last label of a relative name
    // Escapes count as one byte.
    std::string escaped;
    for (int i = 0; i < 63; ++i) {
        escaped += "\\046";
    }
    EXPECT_TRUE(Name::parse(escaped + "."));
    EXPECT_FALSE(Name::parse(escaped + "x."));
}

TEST(DnsName, WireOf255BytesIsTheLimit) {
    // 3 labels of 63 (3 * 64 bytes) + one of 61 (62 bytes) + the root = 255.
    const std::string longest =
        label(63) + "." + label(63) + "." + label(63) + "." + label(61) + ".";
    auto n = Name::parse(longest);
    ASSERT_TRUE(n);
    EXPECT_EQ(n->wire_size(), 255u);
    EXPECT_FALSE(Name::parse(label(63) + "." + label(63) + "." + label(63) + "." + label(62) +
                             "."));  // one byte more
    // A relative name that only becomes too long with its origin.
    auto origin = Name::parse(label(63) + "." + label(63) + "." + label(63) + ".");
    ASSERT_TRUE(origin);
    EXPECT_TRUE(Name::parse(label(61), *origin));
    EXPECT_FALSE(Name::parse(label(62), *origin));
}

TEST(DnsName, FromWireValidates) {
    EXPECT_TRUE(Name::from_wire(std::string("\3www\7example\0", 13)));
    EXPECT_TRUE(Name::from_wire(std::string(1, '\0')));
    EXPECT_FALSE(Name::from_wire(""));
    EXPECT_FALSE(Name::from_wire(std::string("\3www", 4)));                    // no root label
    EXPECT_FALSE(Name::from_wire(std::string("\3ww", 3)));                     // label cut short
    EXPECT_FALSE(Name::from_wire(std::string("\3www\0\0", 6)));                // bytes after root
    EXPECT_FALSE(Name::from_wire(std::string("\100", 1) + label(64) + '\0'));  // 64-byte label
    EXPECT_FALSE(Name::from_wire(std::string("\xc0\x0c", 2)));                 // a pointer
    std::string too_long;
    for (int i = 0; i < 4; ++i) {
        too_long += static_cast<char>(63);
        too_long += label(63);
    }
    too_long += '\0';
    EXPECT_FALSE(Name::from_wire(too_long));
}

TEST(DnsName, EqualityIgnoresAsciiCaseButKeepsIt) {
    const Name upper = name("WWW.Example.COM.");
    const Name lower = name("www.example.com.");
    EXPECT_EQ(upper, lower);
    EXPECT_EQ(upper <=> lower, std::strong_ordering::equal);
    EXPECT_EQ(upper.to_text(), "WWW.Example.COM.");
    EXPECT_EQ(upper.lowercased().wire(), lower.wire());
    EXPECT_NE(name("www.example.com."), name("www.example.net."));
    EXPECT_NE(name("ab.c."), name("a.bc."));
    // Only ASCII letters fold: \200 and \240 differ by 0x20 but are not letters.
    EXPECT_NE(name("\\200."), name("\\240."));
    EXPECT_NE(name("\\064."), name("\\096."));  // '@' and '`'
}

TEST(DnsName, CanonicalOrderOfRfc4034Section6_1) {
    const std::vector<std::string> expected = {
        "example.",         "a.example.",      "yljkjljk.a.example.",
        "Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
        "\\001.z.example.", "*.z.example.",    "\\200.z.example.",
    };
    std::vector<Name> names;
    for (auto it = expected.rbegin(); it != expected.rend(); ++it) {
        names.push_back(name(*it));
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> got;
    for (const Name& n : names) {
        got.push_back(n.to_text());
    }
    EXPECT_EQ(got, expected);
    for (std::size_t i = 0; i + 1 < names.size(); ++i) {
        EXPECT_LT(names[i], names[i + 1]) << got[i] << " < " << got[i + 1];
        EXPECT_GT(names[i + 1], names[i]);
    }
}

TEST(DnsName, OrderComparesLabelsRightToLeft) {
    EXPECT_LT(Name(), name("com."));
    EXPECT_LT(name("z.com."), name("a.net."));  // com < net decides
    EXPECT_LT(name("a.b.com."), name("b.com.z."));
    EXPECT_LT(name("ab.com."), name("abc.com."));  // a prefix sorts first
    EXPECT_LT(name("A.com."), name("b.com."));     // case folded before comparing
    EXPECT_LT(name("b.com."), name("C.com."));
}

TEST(DnsName, SubdomainsFollowLabelBoundaries) {
    const Name example = name("example.com.");
    EXPECT_TRUE(name("www.example.com.").is_subdomain_of(example));
    EXPECT_TRUE(name("a.b.EXAMPLE.com.").is_subdomain_of(example));
    EXPECT_TRUE(example.is_subdomain_of(example));
    EXPECT_TRUE(example.is_subdomain_of(Name()));
    EXPECT_TRUE(Name().is_subdomain_of(Name()));
    EXPECT_FALSE(name("notexample.com.").is_subdomain_of(example));
    EXPECT_FALSE(name("com.").is_subdomain_of(example));
    EXPECT_FALSE(Name().is_subdomain_of(example));
    EXPECT_FALSE(name("example.net.").is_subdomain_of(example));
    // The same bytes at the end, but not on a label boundary: "\3xex\7ample\3com" style.
    EXPECT_FALSE(name("x\\007example.com.").is_subdomain_of(example));
}

TEST(DnsName, ParentSuffixAndWildcard) {
    const Name n = name("*.a.example.com.");
    EXPECT_TRUE(n.is_wildcard());
    EXPECT_FALSE(name("a.*.example.").is_wildcard());
    EXPECT_FALSE(name("\\*x.example.").is_wildcard());
    EXPECT_EQ(n.parent().to_text(), "a.example.com.");
    EXPECT_EQ(n.parent().parent().parent().parent(), Name());
    EXPECT_EQ(Name().parent(), Name());
    EXPECT_EQ(n.suffix(2).to_text(), "example.com.");
    EXPECT_EQ(n.suffix(0), Name());
    EXPECT_EQ(n.suffix(4), n);
    EXPECT_EQ(Name().first_label(), "");
}

TEST(DnsName, PrependChecksLengths) {
    auto www = name("example.com.").prepend("www");
    ASSERT_TRUE(www);
    EXPECT_EQ(www->to_text(), "www.example.com.");
    EXPECT_FALSE(name("example.").prepend(""));
    EXPECT_FALSE(name("example.").prepend(label(64)));
    auto near_limit = Name::parse(label(63) + "." + label(63) + "." + label(63) + ".");
    ASSERT_TRUE(near_limit);  // 193 bytes: room for one more label of 61 bytes
    EXPECT_TRUE(near_limit->prepend(label(61)));
    EXPECT_FALSE(near_limit->prepend(label(62)));
}

TEST(DnsName, ReplaceSuffixForDname) {
    auto moved =
        name("www.a.example.com.").replace_suffix(name("example.com."), name("example.net."));
    ASSERT_TRUE(moved);
    EXPECT_EQ(moved->to_text(), "www.a.example.net.");
    auto to_root = name("www.example.com.").replace_suffix(name("example.com."), Name());
    ASSERT_TRUE(to_root);
    EXPECT_EQ(to_root->to_text(), "www.");
    EXPECT_FALSE(name("www.example.org.").replace_suffix(name("example.com."), name("x.")));
    // The result must stay within 255 bytes.
    auto deep = Name::parse(label(63) + "." + label(63) + "." + label(50) + ".a.");
    auto long_target = Name::parse(label(63) + "." + label(20) + ".");
    ASSERT_TRUE(deep);
    ASSERT_TRUE(long_target);
    EXPECT_FALSE(deep->replace_suffix(name("a."), *long_target));
}

TEST(DnsName, WireHelpers) {
    const std::string www = wire_of("www.Example.com.");
    EXPECT_EQ(wire_name::label_count(www), 3u);
    EXPECT_EQ(wire_name::parent(www), wire_of("Example.com."));
    EXPECT_EQ(wire_name::parent(std::string(1, '\0')), "");
    EXPECT_TRUE(wire_name::equal(www, wire_of("WWW.EXAMPLE.COM.")));
    EXPECT_FALSE(wire_name::equal(www, wire_of("www.example.co.")));
    EXPECT_TRUE(wire_name::is_subdomain(www, wire_of("COM.")));
    EXPECT_FALSE(wire_name::is_subdomain(wire_of("com."), www));
    EXPECT_EQ(wire_name::to_text(www), "www.Example.com.");
    std::string lower(www.size(), '?');
    wire_name::lowercase(www, lower.data());
    EXPECT_EQ(lower, wire_of("www.example.com."));
    // NameHash and NameEqual ignore case, so a map keyed by names can be probed as written.
    const NameHash hash;
    const NameEqual eq;
    EXPECT_EQ(hash(www), hash(wire_of("WWW.EXAMPLE.COM.")));
    EXPECT_TRUE(eq(www, wire_of("WWW.EXAMPLE.COM.")));
    EXPECT_FALSE(eq(www, wire_of("www.example.net.")));
}

}  // namespace
}  // namespace l7::dns
