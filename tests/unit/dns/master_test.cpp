#include "dns/master.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "dns/message_text.hpp"
#include "dns/rdata.hpp"
#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using namespace test;

const Name kOrigin = name("example.com.");

// Each record as spaced_record writes it.
std::vector<std::string> texts(const MasterFile& f) {
    std::vector<std::string> out;
    for (const MasterRecord& r : f.records) {
        out.push_back(spaced_record(r.rr));
    }
    return out;
}

// Each record's TTL, in file order.
std::vector<std::uint32_t> ttls(const MasterFile& f) {
    std::vector<std::uint32_t> out;
    for (const MasterRecord& r : f.records) {
        out.push_back(r.rr.ttl);
    }
    return out;
}

// "file#line: message" (and "warning" for warnings), one per problem.
std::vector<std::string> problems(const MasterFile& f) {
    std::vector<std::string> out;
    for (const MasterProblem& p : f.problems) {
        out.push_back(std::to_string(p.where.file) + "#" + std::to_string(p.where.line) + ": " +
                      (p.error ? "" : "warning: ") + p.message);
    }
    return out;
}

// An in-memory file system for $INCLUDE, which records the paths asked for.
struct Files {
    std::map<std::string, std::string> files;
    std::vector<std::string> asked;

    MasterOptions options() {
        MasterOptions o;
        o.loader = [this](const std::string& path) -> Result<std::string> {
            asked.push_back(path);
            const auto it = files.find(path);
            if (it == files.end()) {
                return make_error("cannot open '" + path + "'");
            }
            return it->second;
        };
        return o;
    }
};

MasterFile parse(std::string_view text, const MasterOptions& options = {}) {
    return parse_master(text, "example.com.db", kOrigin, options);
}

// ---- good input ----

TEST(Master, OriginTtlAtAndRelativeNames) {
    const auto f = parse(
        "$TTL 3600\n"
        "@ IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300\n"
        "@ IN NS ns1\n"
        "ns1 IN A 192.0.2.1\n"
        "www.example.com. IN A 192.0.2.2\n"
        "$ORIGIN sub.example.com.\n"
        "host IN A 192.0.2.3\n"
        "@ IN MX 10 mail\n"
        "$ORIGIN deeper\n"  // relative to the current origin
        "x IN A 192.0.2.4\n");
    EXPECT_EQ(problems(f), Lines{});
    EXPECT_EQ(texts(f), (Lines{
                            "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. "
                            "2024010101 7200 3600 1209600 300",
                            "example.com. 3600 IN NS ns1.example.com.",
                            "ns1.example.com. 3600 IN A 192.0.2.1",
                            "www.example.com. 3600 IN A 192.0.2.2",
                            "host.sub.example.com. 3600 IN A 192.0.2.3",
                            "sub.example.com. 3600 IN MX 10 mail.sub.example.com.",
                            "x.deeper.sub.example.com. 3600 IN A 192.0.2.4",
                        }));
    ASSERT_EQ(f.records.size(), 7u);
    EXPECT_EQ(f.records[0].where.file, 0u);
    EXPECT_EQ(f.records[0].where.line, 2u);
    EXPECT_EQ(f.records[6].where.line, 10u);
    EXPECT_EQ(f.files, Lines{"example.com.db"});
    EXPECT_FALSE(f.has_errors());
}

TEST(Master, OmittedOwnerUsesThePreviousOne) {
    const auto f = parse(
        "$TTL 60\n"
        "www A 192.0.2.1\n"
        "    A 192.0.2.2\n"
        "\tAAAA 2001:db8::1\n"
        "; a comment line does not change the owner\n"
        "\n"
        "  TXT \"still www\"\n"
        "mail A 192.0.2.9\n"
        " A 192.0.2.10\n");
    EXPECT_EQ(problems(f), Lines{});
    EXPECT_EQ(texts(f), (Lines{
                            "www.example.com. 60 IN A 192.0.2.1",
                            "www.example.com. 60 IN A 192.0.2.2",
                            "www.example.com. 60 IN AAAA 2001:db8::1",
                            "www.example.com. 60 IN TXT \"still www\"",
                            "mail.example.com. 60 IN A 192.0.2.9",
                            "mail.example.com. 60 IN A 192.0.2.10",
                        }));
}

TEST(Master, TtlAndClassInEitherOrderOrOmitted) {
    const auto f = parse(
        "$TTL 100\n"
        "a 300 IN A 192.0.2.1\n"
        "b IN 301 A 192.0.2.2\n"
        "c IN A 192.0.2.3\n"
        "d 302 A 192.0.2.4\n"
        "e A 192.0.2.5\n"
        "f in 303 a 192.0.2.6\n");  // mnemonics in any case
    EXPECT_EQ(problems(f), Lines{});
    EXPECT_EQ(texts(f), (Lines{
                            "a.example.com. 300 IN A 192.0.2.1",
                            "b.example.com. 301 IN A 192.0.2.2",
                            "c.example.com. 100 IN A 192.0.2.3",
                            "d.example.com. 302 IN A 192.0.2.4",
                            "e.example.com. 100 IN A 192.0.2.5",
                            "f.example.com. 303 IN A 192.0.2.6",
                        }));
}

TEST(Master, TtlUnits) {
    const auto f = parse(
        "$TTL 1h\n"
        "a A 192.0.2.1\n"
        "b 1h30m A 192.0.2.2\n"
        "c 2W A 192.0.2.3\n"
        "d 1d A 192.0.2.4\n"
        "e 1D2h3M4s A 192.0.2.5\n"
        "f 0 A 192.0.2.6\n");
    EXPECT_EQ(problems(f), Lines{});
    EXPECT_EQ(ttls(f), (std::vector<std::uint32_t>{3600u, 5400u, 1209600u, 86400u,
                                                   86400u + 7200u + 180u + 4u, 0u}));
}

TEST(Master, WithoutDollarTtlTheLastExplicitTtlApplies) {
    // RFC 1035 section 5.1 as BIND reads it: an omitted TTL is the last one given.
    const auto f = parse(
        "a 100 A 192.0.2.1\n"
        "b A 192.0.2.2\n"
        "c 200 A 192.0.2.3\n"
        "d A 192.0.2.4\n");
    EXPECT_EQ(problems(f), Lines{});
    EXPECT_EQ(ttls(f), (std::vector<std::uint32_t>{100u, 100u, 200u, 200u}));
}

TEST(Master, DollarTtlWinsOverTheLastExplicitTtl) {
    const auto f = parse(
        "$TTL 50\n"
        "a 100 A 192.0.2.1\n"
        "b A 192.0.2.2\n");
    ASSERT_EQ(f.records.size(), 2u);
    EXPECT_EQ(f.records[1].rr.ttl, 50u);
}

TEST(Master, FirstSoaWithoutAnyTtlUsesItsMinimumWithAWarning) {
    const auto f = parse(
        "@ SOA ns1 hostmaster 1 7200 3600 1209600 1h\n"
        "@ NS ns1\n");
    EXPECT_EQ(problems(f), Lines{"0#1: warning: no TTL specified; using the SOA minimum 3600"});
    EXPECT_FALSE(f.has_errors());
    // The SOA's TTL is the last one given when the NS record is read.
    EXPECT_EQ(ttls(f), (std::vector<std::uint32_t>{3600u, 3600u}));
    EXPECT_EQ(f.describe(f.problems[0]),
              "example.com.db:1: warning: no TTL specified; using the SOA minimum 3600");
}

TEST(Master, SoaMinimumAboveTheTtlLimitBecomesZero) {
    // RFC 2181 section 8, as for an explicit TTL (found by fuzz/dns_zone.cpp).
    const auto f = parse("@ SOA ns1 hostmaster 1 7200 3600 1209600 4294967295\n@ NS ns1\n");
    EXPECT_EQ(problems(f),
              (Lines{"0#1: warning: no TTL specified; using the SOA minimum 4294967295",
                     "0#1: warning: TTL 4294967295 is above 2147483647 (RFC 2181); using 0"}));
    EXPECT_EQ(ttls(f), (std::vector<std::uint32_t>{0u, 0u}));
}

TEST(Master, RecordWithoutAnyTtlIsAnError) {
    const auto f = parse(
        "a A 192.0.2.1\n"
        "b 60 A 192.0.2.2\n");
    EXPECT_EQ(problems(f), Lines{"0#1: no TTL specified (add a TTL or a $TTL line)"});
    EXPECT_TRUE(f.has_errors());
    EXPECT_EQ(texts(f), Lines{"b.example.com. 60 IN A 192.0.2.2"});
}

TEST(Master, ParenthesesAcrossLinesWithComments) {
    const auto f = parse(
        "$TTL 300\n"
        "@ IN SOA ns1.example.com. hostmaster.example.com. ( ; the SOA\n"
        "        2024010101 ; serial\n"
        "        7200       ; refresh\n"
        "\n"
        "        3600 1209600 ; retry, expire\n"
        "        300 )      ; minimum\n"
        "next IN TXT ( \"one\"\n"
        "  \"two\" )\n"
        "last IN A 192.0.2.1\n");
    EXPECT_EQ(problems(f), Lines{});
    EXPECT_EQ(texts(f), (Lines{
                            "example.com. 300 IN SOA ns1.example.com. hostmaster.example.com. "
                            "2024010101 7200 3600 1209600 300",
                            "next.example.com. 300 IN TXT \"one\" \"two\"",
                            "last.example.com. 300 IN A 192.0.2.1",
                        }));
    ASSERT_EQ(f.records.size(), 3u);
    EXPECT_EQ(f.records[0].where.line, 2u);  // where the entry starts
    EXPECT_EQ(f.records[1].where.line, 8u);
    EXPECT_EQ(f.records[2].where.line, 10u);
}

TEST(Master, QuotedStringsWithSpacesAndEscapes) {
    const auto f = parse(
        "$TTL 300\n"
        "t TXT \"hello world\" \"say \\\"hi\\\"\" \"semi;colon (paren)\" \"\\065BC\" "
        "\"back\\\\slash\"\n"
        "u TXT unquoted\n"
        "v TXT \"\"\n");
    EXPECT_EQ(problems(f), Lines{});
    ASSERT_EQ(f.records.size(), 3u);
    const Bytes expected_t = [] {
        Bytes b;
        for (std::string s :
             {"hello world", "say \"hi\"", "semi;colon (paren)", "ABC", "back\\slash"}) {
            b.push_back(static_cast<std::uint8_t>(s.size()));
            b.insert(b.end(), s.begin(), s.end());
        }
        return b;
    }();
    EXPECT_EQ(f.records[0].rr.rdata, expected_t);
    EXPECT_EQ(f.records[1].rr.rdata, (Bytes{8, 'u', 'n', 'q', 'u', 'o', 't', 'e', 'd'}));
    EXPECT_EQ(f.records[2].rr.rdata, (Bytes{0}));
}

TEST(Master, EscapesInNames) {
    const auto f = parse(
        "$TTL 300\n"
        "a\\046b A 192.0.2.1\n"   // one label "a.b"
        "\\065bc A 192.0.2.2\n"   // "Abc"
        "sp\\ ace A 192.0.2.3\n"  // "sp ace"
        "c CNAME x\\.y.example.com.\n");
    EXPECT_EQ(problems(f), Lines{});
    ASSERT_EQ(f.records.size(), 4u);
    EXPECT_EQ(f.records[0].rr.owner.label_count(), 3u);
    EXPECT_EQ(f.records[0].rr.owner.first_label(), "a.b");
    EXPECT_EQ(f.records[1].rr.owner.first_label(), "Abc");
    EXPECT_EQ(f.records[1].rr.owner, name("abc.example.com."));
    EXPECT_EQ(f.records[2].rr.owner.first_label(), "sp ace");
    const auto target = Name::from_wire(std::string_view(
        reinterpret_cast<const char*>(f.records[3].rr.rdata.data()), f.records[3].rr.rdata.size()));
    ASSERT_TRUE(target);
    EXPECT_EQ(target->label_count(), 3u);
    EXPECT_EQ(target->first_label(), "x.y");
}

TEST(Master, GenericRdata) {
    const auto f = parse(
        "$TTL 300\n"
        "g TYPE65280 \\# 4 0A000001\n"
        "h A \\# 4 C0000201\n"  // a known type in the generic form
        "i TYPE65281 \\# 0\n"
        "j TYPE65282 \\# 6 0102 0304 ( 05\n"
        "  06 )\n");
    EXPECT_EQ(problems(f), Lines{});
    EXPECT_EQ(texts(f), (Lines{
                            "g.example.com. 300 IN TYPE65280 \\# 4 0A000001",
                            "h.example.com. 300 IN A 192.0.2.1",
                            "i.example.com. 300 IN TYPE65281 \\# 0",
                            "j.example.com. 300 IN TYPE65282 \\# 6 010203040506",
                        }));
    ASSERT_EQ(f.records.size(), 4u);
    EXPECT_EQ(f.records[0].rr.type, static_cast<RRType>(65280));
    EXPECT_EQ(f.records[0].rr.rdata, (Bytes{10, 0, 0, 1}));
    EXPECT_EQ(f.records[1].rr.rdata, (Bytes{192, 0, 2, 1}));
    EXPECT_TRUE(f.records[2].rr.rdata.empty());
}

TEST(Master, IncludeWithOriginArgumentRestoresOriginAndOwner) {
    Files fs;
    fs.files["zones/sub.db"] =
        "host A 192.0.2.1\n"
        "$ORIGIN other.example.com.\n"
        "x A 192.0.2.2\n";
    fs.files["zones/plain.db"] = "plain A 192.0.2.4\n";
    const auto f = parse_master(
        "$TTL 300\n"
        "www A 192.0.2.10\n"
        "$INCLUDE sub.db sub.example.com.\n"
        " AAAA 2001:db8::10\n"  // still www: the owner is restored
        "after A 192.0.2.3\n"   // relative to example.com. again
        "$INCLUDE plain.db\n"   // without an origin: the current one
        "$INCLUDE \"/abs/path.db\"\n",
        "zones/example.com.db", kOrigin, fs.options());
    EXPECT_EQ(fs.asked, (Lines{"zones/sub.db", "zones/plain.db", "/abs/path.db"}));
    EXPECT_EQ(problems(f), Lines{"0#7: $INCLUDE: cannot open '/abs/path.db'"});
    EXPECT_EQ(texts(f), (Lines{
                            "www.example.com. 300 IN A 192.0.2.10",
                            "host.sub.example.com. 300 IN A 192.0.2.1",
                            "x.other.example.com. 300 IN A 192.0.2.2",
                            "www.example.com. 300 IN AAAA 2001:db8::10",
                            "after.example.com. 300 IN A 192.0.2.3",
                            "plain.example.com. 300 IN A 192.0.2.4",
                        }));
    EXPECT_EQ(f.files, (Lines{"zones/example.com.db", "zones/sub.db", "zones/plain.db"}));
    ASSERT_EQ(f.records.size(), 6u);
    EXPECT_EQ(f.records[1].where.file, 1u);
    EXPECT_EQ(f.records[1].where.line, 1u);
    EXPECT_EQ(f.records[2].where.file, 1u);
    EXPECT_EQ(f.records[2].where.line, 3u);
    EXPECT_EQ(f.records[3].where.file, 0u);
    EXPECT_EQ(f.records[3].where.line, 4u);
    EXPECT_EQ(f.records[5].where.file, 2u);
    EXPECT_EQ(f.describe(f.problems[0]),
              "zones/example.com.db:7: $INCLUDE: cannot open '/abs/path.db'");
}

TEST(Master, ProblemsInAnIncludedFileNameThatFile) {
    Files fs;
    fs.files["inc.db"] =
        "ok A 192.0.2.1\n"
        "bad A 192.0.2.999\n";
    const auto f =
        parse_master("$TTL 1\n$INCLUDE inc.db\nz A 192.0.2.2\n", "main.db", kOrigin, fs.options());
    EXPECT_EQ(problems(f), Lines{"1#2: A record: bad IPv4 address '192.0.2.999'"});
    EXPECT_EQ(f.describe(f.problems[0]), "inc.db:2: A record: bad IPv4 address '192.0.2.999'");
    EXPECT_EQ(f.records.size(), 2u);
}

TEST(Master, IncludeLoopStopsAtTheDepthLimit) {
    Files fs;
    fs.files["loop.db"] = "$INCLUDE loop.db\nl A 192.0.2.1\n";
    MasterOptions o = fs.options();
    o.max_include_depth = 3;
    const auto f =
        parse_master("$TTL 1\n$INCLUDE loop.db\ntop A 192.0.2.2\n", "loop.db", kOrigin, o);
    EXPECT_EQ(fs.asked.size(), 3u);
    EXPECT_EQ(f.files.size(), 4u);
    EXPECT_EQ(problems(f), Lines{"3#1: $INCLUDE nested too deeply (a loop?)"});
    // Each level's own record is still read, and the top file continues afterwards.
    EXPECT_EQ(f.records.size(), 4u);
    ASSERT_FALSE(f.records.empty());
    EXPECT_EQ(f.records.back().where.file, 0u);
    EXPECT_EQ(f.records.back().where.line, 3u);
}

TEST(Master, IncludeWithoutLoaderIsAnError) {
    const auto f = parse("$TTL 1\n$INCLUDE other.db\na A 192.0.2.1\n");
    EXPECT_EQ(problems(f), Lines{"0#2: $INCLUDE is not allowed here"});
    EXPECT_EQ(f.records.size(), 1u);
}

// ---- bad input: each problem where it is, and the parse goes on ----

TEST(Master, BadRecordsAreReportedAndSkipped) {
    const auto f = parse(
        "$TTL 300\n"
        "a IN FOO 1\n"           // 2
        "b A 192.0.2.300\n"      // 3
        "c CH A 192.0.2.1\n"     // 4
        "d AXFR \\# 0\n"         // 5
        "$FOO bar\n"             // 6
        "e TXT \"unbalanced\n"   // 7
        "f TXT ( ( \"x\" ) )\n"  // 8
        "g A 192.0.2.7 )\n"      // 9
        "h MX 10\n"              // 10
        "i AAAA 2001:db8::zz\n"  // 11
        "j IN ANY \\# 0\n"       // 12
        "k 300\n"                // 13
        "ok A 192.0.2.8\n");     // 14
    EXPECT_EQ(problems(f), (Lines{
                               "0#2: unknown RR type 'FOO'",
                               "0#3: A record: bad IPv4 address '192.0.2.300'",
                               "0#4: class 'CH' does not match the zone's class 'IN'",
                               "0#5: type AXFR cannot appear in a zone file",
                               "0#6: unknown directive '$FOO'",
                               "0#7: missing closing quote",
                               "0#8: nested parentheses",
                               "0#9: ')' without '('",
                               "0#10: MX record: too few fields for MX",
                               "0#11: AAAA record: bad IPv6 address '2001:db8::zz'",
                               "0#12: type ANY cannot appear in a zone file",
                               "0#13: missing record type",
                           }));
    EXPECT_TRUE(f.has_errors());
    EXPECT_EQ(texts(f), Lines{"ok.example.com. 300 IN A 192.0.2.8"});
    ASSERT_EQ(f.records.size(), 1u);
    EXPECT_EQ(f.records[0].where.line, 14u);
    EXPECT_EQ(f.describe(f.problems[0]), "example.com.db:2: unknown RR type 'FOO'");
}

TEST(Master, AnErrorInsideParenthesesSkipsTheRestOfThatEntry) {
    // The bad quote is on line 2; lines 3-4 belong to the same entry and must not add errors
    // of their own, and the record on line 5 is still read.
    const MasterFile f = parse(
        "$TTL 60\n"
        "a TXT ( \"unterminated\n"
        "        \"more\" ) ; still the same entry\n"
        "        \n"
        "b A 192.0.2.2\n");
    EXPECT_EQ(problems(f), (Lines{"0#2: missing closing quote"}));
    EXPECT_EQ(texts(f), (Lines{"b.example.com. 60 IN A 192.0.2.2"}));
}

TEST(Master, MissingCloseParenthesisAtTheEnd) {
    const auto f = parse(
        "$TTL 300\n"
        "a A 192.0.2.1\n"
        "@ SOA ns1 hostmaster ( 1 2 3 4\n"
        "   5\n"
        "b A 192.0.2.2\n");
    EXPECT_EQ(problems(f), Lines{"0#3: missing ')' before the end of the file"});
    EXPECT_EQ(texts(f), Lines{"a.example.com. 300 IN A 192.0.2.1"});
}

TEST(Master, NoOwnerOnTheFirstLine) {
    const auto f = parse(
        "$TTL 300\n"
        "  A 192.0.2.1\n"
        "a A 192.0.2.2\n"
        "  A 192.0.2.3\n");
    EXPECT_EQ(problems(f), Lines{"0#2: no current owner name"});
    EXPECT_EQ(texts(f),
              (Lines{"a.example.com. 300 IN A 192.0.2.2", "a.example.com. 300 IN A 192.0.2.3"}));
}

TEST(Master, BadOwnerAndBadDirectives) {
    const auto f = parse(
        "$TTL\n"              // 1
        "$TTL forever\n"      // 2
        "$ORIGIN a..b.\n"     // 3
        "$ORIGIN\n"           // 4
        "a..b A 192.0.2.1\n"  // 5
        "$TTL 60\n"           // 6
        "x A 192.0.2.1\n");   // 7
    ASSERT_EQ(f.problems.size(), 5u);
    EXPECT_EQ(f.problems[0].where.line, 1u);
    EXPECT_EQ(f.problems[0].message, "$TTL takes one TTL");
    EXPECT_EQ(f.problems[1].where.line, 2u);
    EXPECT_EQ(f.problems[1].message, "$TTL: bad TTL 'forever'");
    EXPECT_EQ(f.problems[2].where.line, 3u);
    EXPECT_EQ(f.problems[2].message.rfind("$ORIGIN: ", 0), 0u) << f.problems[2].message;
    EXPECT_EQ(f.problems[3].where.line, 4u);
    EXPECT_EQ(f.problems[3].message, "$ORIGIN takes one domain name");
    EXPECT_EQ(f.problems[4].where.line, 5u);
    EXPECT_EQ(f.problems[4].message.rfind("bad owner name 'a..b': ", 0), 0u)
        << f.problems[4].message;
    // The origin is unchanged by the bad $ORIGIN.
    EXPECT_EQ(texts(f), Lines{"x.example.com. 60 IN A 192.0.2.1"});
}

TEST(Master, TtlAboveTheLimitBecomesZeroWithAWarning) {
    const auto f = parse("a 2147483648 A 192.0.2.1\n");
    EXPECT_EQ(problems(f),
              Lines{"0#1: warning: TTL 2147483648 is above 2147483647 (RFC 2181); using 0"});
    ASSERT_EQ(f.records.size(), 1u);
    EXPECT_EQ(f.records[0].rr.ttl, 0u);
}

TEST(Master, RecordLimit) {
    MasterOptions o;
    o.max_records = 2;
    const auto f = parse("$TTL 1\na A 192.0.2.1\nb A 192.0.2.2\nc A 192.0.2.3\nd A 192.0.2.4\n", o);
    EXPECT_EQ(problems(f), Lines{"0#4: more than 2 records"});
    EXPECT_EQ(f.records.size(), 2u);
}

TEST(Master, LineNumbersStayRightAfterEscapedNewlineInQuotes) {
    const auto f = parse(
        "$TTL 1\n"
        "a TXT \"two\\\nlines\"\n"
        "b A 192.0.2.300\n");
    ASSERT_EQ(f.problems.size(), 1u);
    EXPECT_EQ(f.problems[0].where.line, 4u);
    ASSERT_EQ(f.records.size(), 1u);
    EXPECT_EQ(f.records[0].rr.rdata, (Bytes{9, 't', 'w', 'o', '\n', 'l', 'i', 'n', 'e', 's'}));
}

TEST(Master, CrLfLineEnds) {
    const auto f = parse("$TTL 1\r\na A 192.0.2.1\r\n  A 192.0.2.2\r\n");
    EXPECT_EQ(problems(f), Lines{});
    EXPECT_EQ(texts(f),
              (Lines{"a.example.com. 1 IN A 192.0.2.1", "a.example.com. 1 IN A 192.0.2.2"}));
}

}  // namespace
}  // namespace l7::dns
