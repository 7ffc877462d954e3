// The resolver cache: TTL countdown, clamps, negative caching (RFC 2308), trust ranking
// (RFC 2181 section 5.4.1), serve-stale (RFC 8767), prefetch, LRU eviction, flush and dump.

#include <gtest/gtest.h>

#include "dns/resolver/cache.hpp"
#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using test::name;
using test::rdata;
using namespace std::chrono_literals;

const TimePoint t0{};

std::vector<Bytes> addresses(std::initializer_list<const char*> texts) {
    std::vector<Bytes> out;
    for (const char* t : texts) {
        out.push_back(rdata(RRType::A, t));
    }
    return out;
}

TEST(Cache, HitCarriesTheRemainingTtlUntilItExpires) {
    Cache c;
    ASSERT_TRUE(c.put(name("www.example.com."), RRType::A, addresses({"192.0.2.1"}), 300,
                      Trust::answer_auth, t0));
    auto hit = c.get(name("WWW.Example.COM."), RRType::A, t0 + 100s);
    ASSERT_TRUE(hit);
    EXPECT_FALSE(hit->negative);
    EXPECT_EQ(hit->ttl, 200u);
    EXPECT_EQ(hit->rdatas, addresses({"192.0.2.1"}));
    EXPECT_FALSE(c.get(name("www.example.com."), RRType::A, t0 + 300s));  // expired
    EXPECT_FALSE(c.get(name("www.example.com."), RRType::AAAA, t0));      // another type
    const CacheStats s = c.stats();
    EXPECT_EQ(s.hits, 1u);
    EXPECT_EQ(s.misses, 2u);
    EXPECT_EQ(s.entries, 1u);
}

TEST(Cache, TtlsAreClampedAndZeroIsNotCached) {
    Cache c({.min_ttl = 60, .max_ttl = 3600});
    ASSERT_TRUE(
        c.put(name("a.example.com."), RRType::A, addresses({"192.0.2.1"}), 5, Trust::answer, t0));
    EXPECT_EQ(c.get(name("a.example.com."), RRType::A, t0)->ttl, 60u);
    ASSERT_TRUE(c.put(name("b.example.com."), RRType::A, addresses({"192.0.2.2"}), 999999,
                      Trust::answer, t0));
    EXPECT_EQ(c.get(name("b.example.com."), RRType::A, t0)->ttl, 3600u);
    Cache plain;
    EXPECT_FALSE(plain.put(name("c.example.com."), RRType::A, addresses({"192.0.2.3"}), 0,
                           Trust::answer, t0));
    // RFC 2181 section 8: a TTL with the top bit set counts as zero.
    EXPECT_FALSE(plain.put(name("d.example.com."), RRType::A, addresses({"192.0.2.4"}), 0x80000000u,
                           Trust::answer, t0));
    EXPECT_EQ(plain.stats().entries, 0u);
}

TEST(Cache, NegativeAnswersLiveForTheSoaMinimum) {
    Cache c;
    // The test SOA has TTL 300 and MINIMUM 60: the smaller one counts (RFC 2308 section 5).
    const ResourceRecord soa = test::soa_record(1);
    c.put_negative(name("gone.example.com."), RRType::A, Rcode::NXDOMAIN, soa, t0);
    auto hit = c.get(name("gone.example.com."), RRType::MX, t0 + 10s);  // any type
    ASSERT_TRUE(hit);
    EXPECT_TRUE(hit->negative);
    EXPECT_EQ(hit->rcode, Rcode::NXDOMAIN);
    EXPECT_EQ(hit->ttl, 50u);
    EXPECT_EQ(hit->soa.ttl, 50u);
    EXPECT_EQ(hit->soa.type, RRType::SOA);
    EXPECT_FALSE(c.get(name("gone.example.com."), RRType::A, t0 + 60s));

    // NODATA covers only its type.
    c.put_negative(name("www.example.com."), RRType::AAAA, Rcode::NOERROR, soa, t0);
    auto nodata = c.get(name("www.example.com."), RRType::AAAA, t0);
    ASSERT_TRUE(nodata);
    EXPECT_EQ(nodata->rcode, Rcode::NOERROR);
    EXPECT_TRUE(nodata->negative);
    EXPECT_FALSE(c.get(name("www.example.com."), RRType::A, t0));
    EXPECT_EQ(c.stats().negative_hits, 2u);
}

TEST(Cache, NegativeTtlIsCapped) {
    Cache c({.negative_max_ttl = 30});
    c.put_negative(name("gone.example.com."), RRType::A, Rcode::NXDOMAIN, test::soa_record(1), t0);
    EXPECT_EQ(c.get(name("gone.example.com."), RRType::A, t0)->ttl, 30u);
}

TEST(Cache, DataForANameReplacesItsCachedNxdomain) {
    Cache c;
    c.put_negative(name("new.example.com."), RRType::A, Rcode::NXDOMAIN, test::soa_record(1), t0);
    ASSERT_TRUE(c.put(name("new.example.com."), RRType::TXT, {rdata(RRType::TXT, "\"hi\"")}, 300,
                      Trust::answer_auth, t0));
    EXPECT_FALSE(c.get(name("new.example.com."), RRType::A, t0));  // the NXDOMAIN is gone
    EXPECT_TRUE(c.get(name("new.example.com."), RRType::TXT, t0));
}

TEST(Cache, GlueNeverReplacesAnAuthoritativeAnswer) {
    // The course's poisoning story: bogus additional data must not overwrite what the
    // authoritative server said (RFC 2181 section 5.4.1).
    Cache c;
    ASSERT_TRUE(c.put(name("ns.example.com."), RRType::A, addresses({"192.0.2.53"}), 3600,
                      Trust::answer_auth, t0));
    EXPECT_FALSE(c.put(name("ns.example.com."), RRType::A, addresses({"203.0.113.66"}), 3600,
                       Trust::glue, t0 + 1s));
    EXPECT_EQ(c.get(name("ns.example.com."), RRType::A, t0 + 2s)->rdatas,
              addresses({"192.0.2.53"}));
    // Equal or better trust replaces; so does anything once the old data expired.
    EXPECT_TRUE(c.put(name("ns.example.com."), RRType::A, addresses({"192.0.2.54"}), 3600,
                      Trust::answer_auth, t0 + 3s));
    EXPECT_EQ(c.get(name("ns.example.com."), RRType::A, t0 + 4s)->rdatas,
              addresses({"192.0.2.54"}));
    EXPECT_TRUE(c.put(name("ns.example.com."), RRType::A, addresses({"192.0.2.55"}), 60,
                      Trust::glue, t0 + 3s + 3600s));
    EXPECT_EQ(c.get(name("ns.example.com."), RRType::A, t0 + 3s + 3601s)->trust, Trust::glue);
}

TEST(Cache, ExpiredDataIsServedStaleOnlyWhenAskedAndWithinTheWindow) {
    Cache c({.stale_window = 3600s, .stale_ttl = 30});
    c.put(name("www.example.com."), RRType::A, addresses({"192.0.2.1"}), 60, Trust::answer_auth,
          t0);
    EXPECT_FALSE(c.get(name("www.example.com."), RRType::A, t0 + 120s));
    auto stale = c.get(name("www.example.com."), RRType::A, t0 + 120s, /*allow_stale=*/true);
    ASSERT_TRUE(stale);
    EXPECT_TRUE(stale->stale);
    EXPECT_EQ(stale->ttl, 30u);
    EXPECT_EQ(c.stats().stale_served, 1u);
    // Past the window the entry is dropped, stale or not.
    EXPECT_FALSE(c.get(name("www.example.com."), RRType::A, t0 + 60s + 3601s, true));
    EXPECT_EQ(c.stats().entries, 0u);
}

TEST(Cache, PopularEntriesNearExpiryAskForOnePrefetch) {
    Cache c;
    c.put(name("www.example.com."), RRType::A, addresses({"192.0.2.1"}), 100, Trust::answer_auth,
          t0);
    EXPECT_FALSE(
        c.get(name("www.example.com."), RRType::A, t0 + 10s)->prefetch);          // far from expiry
    EXPECT_TRUE(c.get(name("www.example.com."), RRType::A, t0 + 95s)->prefetch);  // < 10 % left
    EXPECT_FALSE(c.get(name("www.example.com."), RRType::A, t0 + 96s)->prefetch);  // asked once
    Cache once;
    once.put(name("rare.example.com."), RRType::A, addresses({"192.0.2.2"}), 100,
             Trust::answer_auth, t0);
    EXPECT_FALSE(once.get(name("rare.example.com."), RRType::A, t0 + 95s)->prefetch);  // first use
}

TEST(Cache, TheMemoryBoundEvictsTheLeastRecentlyUsed) {
    Cache c({.max_bytes = 2500});
    for (int i = 0; i < 50; ++i) {
        c.put(name("h" + std::to_string(i) + ".example.com."), RRType::A, addresses({"192.0.2.1"}),
              300, Trust::answer, t0);
        (void)c.get(name("h0.example.com."), RRType::A, t0);  // keep h0 in use
    }
    const CacheStats s = c.stats();
    EXPECT_LE(s.bytes, 2500u);
    EXPECT_GT(s.evictions, 0u);
    EXPECT_LT(s.entries, 50u);
    EXPECT_TRUE(c.get(name("h0.example.com."), RRType::A, t0));   // recently used: kept
    EXPECT_FALSE(c.get(name("h1.example.com."), RRType::A, t0));  // oldest unused: gone
    EXPECT_TRUE(c.get(name("h49.example.com."), RRType::A, t0));  // newest: kept
}

TEST(Cache, FlushOneNameOrASubtree) {
    Cache c;
    for (const char* n : {"example.com.", "www.example.com.", "a.b.example.com.", "example.net."}) {
        c.put(name(n), RRType::A, addresses({"192.0.2.1"}), 300, Trust::answer, t0);
    }
    c.put(name("www.example.com."), RRType::TXT, {rdata(RRType::TXT, "\"x\"")}, 300, Trust::answer,
          t0);
    EXPECT_EQ(c.flush(name("www.example.com.")), 2u);
    EXPECT_EQ(c.flush(name("example.com."), /*subtree=*/true), 2u);
    EXPECT_EQ(c.stats().entries, 1u);
    EXPECT_TRUE(c.get(name("example.net."), RRType::A, t0));
    c.clear();
    EXPECT_EQ(c.stats().entries, 0u);
    EXPECT_EQ(c.stats().bytes, 0u);
}

TEST(Cache, DumpListsLiveEntriesAsRecords) {
    Cache c;
    c.put(name("www.example.com."), RRType::A, addresses({"192.0.2.1", "192.0.2.2"}), 300,
          Trust::answer_auth, t0);
    c.put(name("old.example.com."), RRType::A, addresses({"192.0.2.9"}), 10, Trust::answer_auth,
          t0);
    c.put_negative(name("gone.example.com."), RRType::A, Rcode::NXDOMAIN, test::soa_record(1), t0);
    const auto lines = c.dump(t0 + 20s);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0],
              "; NXDOMAIN gone.example.com.\n"
              "example.com.\t40\tIN\tSOA\tns1.example.com. hostmaster.example.com. 1 7200 3600 "
              "1209600 60");
    EXPECT_EQ(lines[1], "www.example.com.\t280\tIN\tA\t192.0.2.1");
    EXPECT_EQ(lines[2], "www.example.com.\t280\tIN\tA\t192.0.2.2");
}

}  // namespace
}  // namespace l7::dns
