// Conditional requests (RFC 9110 section 13): entity-tag syntax and the comparison table of
// 8.8.3.2, the field examples of 13.1, and the evaluation order of 13.2.2.

#include <gtest/gtest.h>

#include "http/conditional.hpp"

namespace l7::http {
namespace {

constexpr std::int64_t kModified = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr std::int64_t kNow = kModified + 3600;
constexpr const char* kAtModified = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr const char* kBefore = "Sun, 06 Nov 1994 08:49:36 GMT";
constexpr const char* kAfter = "Sun, 06 Nov 1994 08:49:38 GMT";

EntityTag tag(std::string_view text) {
    const auto t = parse_entity_tag(text);
    EXPECT_TRUE(t) << text;
    return t.value_or(EntityTag{});
}

ResourceState resource() {
    ResourceState r;
    r.etag = "\"xyzzy\"";
    r.last_modified = kModified;
    return r;
}

PreconditionOutcome eval(std::string_view method, const RequestConditions& c,
                         const ResourceState& r = resource()) {
    return evaluate_preconditions(method, c, r, kNow).outcome;
}

using enum PreconditionOutcome;

TEST(EntityTag, Syntax) {
    // RFC 9110 8.8.3's examples.
    EXPECT_EQ(tag("\"xyzzy\""), (EntityTag{false, "\"xyzzy\""}));
    EXPECT_EQ(tag("W/\"xyzzy\""), (EntityTag{true, "\"xyzzy\""}));
    EXPECT_EQ(tag("\"\""), (EntityTag{false, "\"\""}));
    EXPECT_TRUE(is_valid_entity_tag("\"a,b;c=d/\\\""));  // commas, backslash: all etagc
    EXPECT_TRUE(is_valid_entity_tag("\"\xC3\xA9\""));    // obs-text

    const char* bad[] = {"xyzzy",    "\"xyzzy", "xyzzy\"", "\"a\"b",   "w/\"x\"",
                         "W/ \"x\"", "W/x",     "\"a b\"", "\"a\tb\"", "\"a\x01\"",
                         " \"x\"",   "\"x\" ",  "",        "W/",       "*"};
    for (const char* text : bad) {
        EXPECT_FALSE(is_valid_entity_tag(text)) << text;
    }
}

TEST(EntityTag, Rfc9110ComparisonTable) {
    // RFC 9110 8.8.3.2: ETag 1, ETag 2, strong comparison, weak comparison.
    struct Row {
        const char* a;
        const char* b;
        bool strong;
        bool weak;
    };
    const Row table[] = {
        {"W/\"1\"", "W/\"1\"", false, true},
        {"W/\"1\"", "W/\"2\"", false, false},
        {"W/\"1\"", "\"1\"", false, true},
        {"\"1\"", "\"1\"", true, true},
    };
    for (const Row& row : table) {
        EXPECT_EQ(strong_match(tag(row.a), tag(row.b)), row.strong) << row.a << " " << row.b;
        EXPECT_EQ(strong_match(tag(row.b), tag(row.a)), row.strong) << row.b << " " << row.a;
        EXPECT_EQ(weak_match(tag(row.a), tag(row.b)), row.weak) << row.a << " " << row.b;
        EXPECT_EQ(weak_match(tag(row.b), tag(row.a)), row.weak) << row.b << " " << row.a;
    }
}

TEST(EntityTag, Lists) {
    const EntityTag current = tag("\"xyzzy\"");
    using enum EtagComparison;
    // RFC 9110 13.1.1 and 13.1.2's field values.
    EXPECT_TRUE(etag_list_matches("\"xyzzy\"", current, strong));
    EXPECT_TRUE(etag_list_matches("\"xyzzy\", \"r2d2xxxx\", \"c3piozzzz\"", current, strong));
    EXPECT_TRUE(etag_list_matches("\"r2d2xxxx\", \"c3piozzzz\",\"xyzzy\"", current, strong));
    EXPECT_FALSE(etag_list_matches("W/\"xyzzy\"", current, strong));
    EXPECT_TRUE(etag_list_matches("W/\"xyzzy\"", current, weak));
    EXPECT_TRUE(etag_list_matches("W/\"xyzzy\", W/\"r2d2xxxx\", W/\"c3piozzzz\"", current, weak));
    EXPECT_TRUE(etag_list_matches("*", current, strong));
    EXPECT_TRUE(etag_list_matches(" , \"a\" ,, \"xyzzy\" , ", current, strong));
    EXPECT_FALSE(etag_list_matches("\"r2d2xxxx\", \"c3piozzzz\"", current, weak));
    // A comma inside an opaque-tag does not split it.
    EXPECT_TRUE(etag_list_matches("\"a,b\", \"c\"", tag("\"a,b\""), strong));
    EXPECT_FALSE(etag_list_matches("\"a,b\"", tag("\"a\""), strong));
    // Invalid lists match nothing, wherever the bad member is.
    EXPECT_FALSE(etag_list_matches("\"xyzzy\", bogus", current, strong));
    EXPECT_FALSE(etag_list_matches("\"xyzzy\" \"abc\"", current, strong));
    EXPECT_FALSE(etag_list_matches("xyzzy", current, weak));
    EXPECT_FALSE(etag_list_matches("", current, weak));
    EXPECT_FALSE(etag_list_matches("*, \"xyzzy\"", current, weak));
}

TEST(EntityTag, MakeEtag) {
    EXPECT_EQ(make_etag(500, 0x17a2b3c4d5e6f708, 42), "\"1f4-17a2b3c4d5e6f708-2a\"");
    EXPECT_EQ(make_etag(0, 0, 0), "\"0-0-0\"");
    EXPECT_EQ(make_etag(1, -1, 1), "\"1-ffffffffffffffff-1\"");
    const std::string e = make_etag(1234, 1'700'000'000'123'456'789, 99);
    const auto parsed = parse_entity_tag(e);
    ASSERT_TRUE(parsed);
    EXPECT_FALSE(parsed->weak);
    // One nanosecond, one byte or another inode makes another tag.
    EXPECT_NE(e, make_etag(1234, 1'700'000'000'123'456'790, 99));
    EXPECT_NE(e, make_etag(1235, 1'700'000'000'123'456'789, 99));
    EXPECT_NE(e, make_etag(1234, 1'700'000'000'123'456'789, 98));
}

TEST(Preconditions, NoneMeansProceed) {
    const PreconditionResult r =
        evaluate_preconditions("GET", RequestConditions{}, resource(), kNow);
    EXPECT_EQ(r, (PreconditionResult{proceed, true}));
}

TEST(Preconditions, IfMatch) {
    EXPECT_EQ(eval("PUT", {.if_match = "\"xyzzy\""}), proceed);
    EXPECT_EQ(eval("PUT", {.if_match = "\"r2d2xxxx\", \"xyzzy\""}), proceed);
    EXPECT_EQ(eval("PUT", {.if_match = "\"r2d2xxxx\""}), precondition_failed);
    EXPECT_EQ(eval("GET", {.if_match = "\"r2d2xxxx\""}), precondition_failed);
    EXPECT_EQ(eval("PUT", {.if_match = "W/\"xyzzy\""}), precondition_failed);  // strong only
    EXPECT_EQ(eval("PUT", {.if_match = "*"}), proceed);

    ResourceState weak = resource();
    weak.etag = "W/\"xyzzy\"";
    EXPECT_EQ(eval("PUT", {.if_match = "W/\"xyzzy\""}, weak), precondition_failed);
    ResourceState no_etag = resource();
    no_etag.etag.reset();
    EXPECT_EQ(eval("PUT", {.if_match = "\"xyzzy\""}, no_etag), precondition_failed);
    EXPECT_EQ(eval("PUT", {.if_match = "*"}, no_etag), proceed);

    ResourceState missing;
    missing.exists = false;
    EXPECT_EQ(eval("PUT", {.if_match = "*"}, missing), precondition_failed);
    EXPECT_EQ(eval("DELETE", {.if_match = "\"xyzzy\""}, missing), precondition_failed);
    // 13.2.1: a GET of a missing resource is a 404 whatever its preconditions say.
    EXPECT_EQ(eval("GET", {.if_match = "*"}, missing), proceed);
}

TEST(Preconditions, IfUnmodifiedSince) {
    EXPECT_EQ(eval("PUT", {.if_unmodified_since = kAtModified}), proceed);
    EXPECT_EQ(eval("PUT", {.if_unmodified_since = kAfter}), proceed);
    EXPECT_EQ(eval("PUT", {.if_unmodified_since = kBefore}), precondition_failed);
    EXPECT_EQ(eval("GET", {.if_unmodified_since = kBefore}), precondition_failed);
    // Ignored: an invalid date, a list of dates, no Last-Modified, or an If-Match.
    EXPECT_EQ(eval("PUT", {.if_unmodified_since = "yesterday"}), proceed);
    EXPECT_EQ(eval("PUT", {.if_unmodified_since = std::string(kBefore) + ", " + kBefore}), proceed);
    ResourceState undated = resource();
    undated.last_modified.reset();
    EXPECT_EQ(eval("PUT", {.if_unmodified_since = kBefore}, undated), proceed);
    EXPECT_EQ(eval("PUT", {.if_match = "\"xyzzy\"", .if_unmodified_since = kBefore}), proceed);
    EXPECT_EQ(eval("PUT", {.if_match = "\"nope\"", .if_unmodified_since = kAfter}),
              precondition_failed);
}

TEST(Preconditions, IfNoneMatch) {
    EXPECT_EQ(eval("GET", {.if_none_match = "\"xyzzy\""}), not_modified);
    EXPECT_EQ(eval("HEAD", {.if_none_match = "\"xyzzy\""}), not_modified);
    EXPECT_EQ(eval("GET", {.if_none_match = "W/\"xyzzy\""}), not_modified);  // weak comparison
    EXPECT_EQ(eval("GET", {.if_none_match = "\"r2d2xxxx\", W/\"xyzzy\""}), not_modified);
    EXPECT_EQ(eval("GET", {.if_none_match = "\"r2d2xxxx\""}), proceed);
    EXPECT_EQ(eval("GET", {.if_none_match = "*"}), not_modified);
    EXPECT_EQ(eval("PUT", {.if_none_match = "\"xyzzy\""}), precondition_failed);
    EXPECT_EQ(eval("POST", {.if_none_match = "*"}), precondition_failed);
    // An invalid list matches nothing, so the condition holds.
    EXPECT_EQ(eval("GET", {.if_none_match = "\"xyzzy\", bogus"}), proceed);

    // PUT with If-None-Match: * creates only what does not exist yet.
    ResourceState missing;
    missing.exists = false;
    EXPECT_EQ(eval("PUT", {.if_none_match = "*"}, missing), proceed);
    EXPECT_EQ(eval("PUT", {.if_none_match = "*"}), precondition_failed);
}

TEST(Preconditions, IfModifiedSince) {
    EXPECT_EQ(eval("GET", {.if_modified_since = kAtModified}), not_modified);
    EXPECT_EQ(eval("HEAD", {.if_modified_since = kAfter}), not_modified);
    EXPECT_EQ(eval("GET", {.if_modified_since = kBefore}), proceed);
    // The obsolete forms count as well.
    EXPECT_EQ(eval("GET", {.if_modified_since = "Sunday, 06-Nov-94 08:49:37 GMT"}), not_modified);
    EXPECT_EQ(eval("GET", {.if_modified_since = "Sun Nov  6 08:49:37 1994"}), not_modified);
    // Ignored: other methods, invalid dates, lists, no Last-Modified, an If-None-Match.
    EXPECT_EQ(eval("POST", {.if_modified_since = kAtModified}), proceed);
    EXPECT_EQ(eval("GET", {.if_modified_since = "Sun, 06 Nov 1994 08:49:37"}), proceed);
    EXPECT_EQ(eval("GET", {.if_modified_since = std::string(kAfter) + ", " + kAfter}), proceed);
    ResourceState undated = resource();
    undated.last_modified.reset();
    EXPECT_EQ(eval("GET", {.if_modified_since = kAfter}, undated), proceed);
    EXPECT_EQ(eval("GET", {.if_none_match = "\"other\"", .if_modified_since = kAfter}), proceed);
}

TEST(Preconditions, EvaluationOrderOfSection13_2_2) {
    // If-Match fails first: 412, although If-None-Match alone would have given 304.
    EXPECT_EQ(eval("GET", {.if_match = "\"nope\"", .if_none_match = "\"xyzzy\""}),
              precondition_failed);
    // If-Unmodified-Since fails before If-None-Match is looked at.
    EXPECT_EQ(eval("GET", {.if_none_match = "\"xyzzy\"", .if_unmodified_since = kBefore}),
              precondition_failed);
    // Passing If-Match, then If-None-Match decides.
    EXPECT_EQ(eval("GET", {.if_match = "\"xyzzy\"", .if_none_match = "\"xyzzy\""}), not_modified);
    // A 304 or 412 leaves no Range to honour.
    const PreconditionResult r = evaluate_preconditions(
        "GET", {.if_none_match = "\"xyzzy\"", .if_range = "\"xyzzy\""}, resource(), kNow);
    EXPECT_EQ(r, (PreconditionResult{not_modified, false}));
}

TEST(Preconditions, IfRange) {
    const auto allowed = [](std::string_view if_range, const ResourceState& r = resource(),
                            std::int64_t now = kNow, std::string_view method = "GET") {
        const PreconditionResult res =
            evaluate_preconditions(method, {.if_range = if_range}, r, now);
        EXPECT_EQ(res.outcome, proceed);
        return res.range_allowed;
    };
    EXPECT_TRUE(allowed("\"xyzzy\""));
    EXPECT_TRUE(allowed(" \"xyzzy\" "));
    EXPECT_FALSE(allowed("\"r2d2xxxx\""));
    EXPECT_FALSE(allowed("W/\"xyzzy\""));  // weak tags never validate a range
    ResourceState weak = resource();
    weak.etag = "W/\"xyzzy\"";
    EXPECT_FALSE(allowed("\"xyzzy\"", weak));
    EXPECT_FALSE(allowed("\"xyzzy\", \"abc\""));  // one entity-tag, not a list

    EXPECT_TRUE(allowed(kAtModified));
    EXPECT_FALSE(allowed(kAfter));  // only an exact match
    EXPECT_FALSE(allowed(kBefore));
    // Last-Modified is strong only once its second is over.
    EXPECT_FALSE(allowed(kAtModified, resource(), kModified));
    EXPECT_TRUE(allowed(kAtModified, resource(), kModified + 1));
    ResourceState undated = resource();
    undated.last_modified.reset();
    EXPECT_FALSE(allowed(kAtModified, undated));
    EXPECT_FALSE(allowed("garbage"));
    EXPECT_FALSE(allowed(""));
    // If-Range is about GET's Range only.
    EXPECT_TRUE(allowed("\"r2d2xxxx\"", resource(), kNow, "HEAD"));
}

TEST(Preconditions, FromFields) {
    Fields f;
    f.add("If-None-Match", "\"a\"");
    f.add("if-none-match", "\"xyzzy\"");  // combined with the line before (RFC 9110 5.3)
    EXPECT_EQ(evaluate_preconditions("GET", f, resource(), kNow).outcome, not_modified);

    Fields dates;
    dates.add("If-Modified-Since", kAfter);
    EXPECT_EQ(evaluate_preconditions("GET", dates, resource(), kNow).outcome, not_modified);
    dates.add("If-Modified-Since", kAfter);  // two lines: a list, so ignored
    EXPECT_EQ(evaluate_preconditions("GET", dates, resource(), kNow).outcome, proceed);

    Fields range;
    range.add("If-Range", "\"other\"");
    EXPECT_EQ(evaluate_preconditions("GET", range, resource(), kNow),
              (PreconditionResult{proceed, false}));
    EXPECT_EQ(evaluate_preconditions("GET", Fields{}, resource(), kNow),
              (PreconditionResult{proceed, true}));
}

}  // namespace
}  // namespace l7::http
