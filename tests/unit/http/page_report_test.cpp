// The page-load report: mode names, the RTT estimate (the same whether the handshake took the
// round trip or a local relay finished it early), RTTs spent, and the printed forms.

#include <gtest/gtest.h>

#include "http/page_report.hpp"

namespace l7::http {
namespace {

PageLoad sample() {
    PageLoad load;
    load.url = "http://127.0.0.1:8080/";
    load.mode = {LoadMode::persistent, 1};
    load.objects.push_back({"http://127.0.0.1:8080/", "page", true, 200, 1000, 1, 0, 200, ""});
    load.objects.push_back(
        {"http://127.0.0.1:8080/a.png", "img", true, 200, 5000, 1, 200, 100, ""});
    load.objects.push_back(
        {"http://cdn.example/b.js", "script", false, 0, 0, 0, -1, 0, "cannot connect"});
    load.connections.push_back({1, "127.0.0.1:8080", 0, 100, 100, 2});
    load.total_ms = 300;
    load.wire_bytes = 6400;
    return load;
}

TEST(PageReport, ParsesModes) {
    auto all = parse_page_modes("all");
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 4u);
    EXPECT_EQ((*all)[0].name(), "non-persistent");
    EXPECT_EQ((*all)[1].name(), "persistent");
    EXPECT_EQ((*all)[2].name(), "pipelined");
    EXPECT_EQ((*all)[3].name(), "parallel=6");
    auto p = parse_page_modes("parallel=12");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->front().kind, LoadMode::parallel);
    EXPECT_EQ(p->front().connections, 12u);
    EXPECT_EQ(parse_page_modes("parallel")->front().connections, kDefaultParallel);
    for (const char* bad : {"", "parallel=0", "parallel=65", "parallel=x", "parallel=", "fast",
                            "parallel=0004", "Persistent"}) {
        EXPECT_FALSE(parse_page_modes(bad)) << bad;
    }
}

TEST(PageReport, MeasuresTheRttEitherWayTheHandshakeHappened) {
    PageLoad load = sample();
    // On the path: connect 100 ms, first byte 100 ms later.
    EXPECT_DOUBLE_EQ(load.rtt_ms(), 100);
    EXPECT_DOUBLE_EQ(load.handshake_ms(), 100);
    EXPECT_DOUBLE_EQ(load.rtts_spent(), 3);
    // Behind a relay that accepted at once: the round trip moves to the first byte.
    load.connections[0] = {1, "127.0.0.1:8080", 0, 0.1, 199.9, 2};
    EXPECT_DOUBLE_EQ(load.rtt_ms(), 100);
    // The smallest connection counts; one without a response does not.
    load.connections.push_back({2, "127.0.0.1:8080", 10, 60, 60, 1});
    load.connections.push_back({3, "127.0.0.1:8080", 20, 1, -1, 0});
    EXPECT_DOUBLE_EQ(load.rtt_ms(), 60);
    EXPECT_DOUBLE_EQ(load.handshake_ms(), 1);  // the median of 0.1, 1 and 60
    EXPECT_EQ(load.failures(), 1u);
    EXPECT_EQ(load.body_bytes(), 6000u);
    EXPECT_EQ(load.object_count(), 2u);
    PageLoad empty;
    EXPECT_DOUBLE_EQ(empty.rtt_ms(), 0);
    EXPECT_DOUBLE_EQ(empty.rtts_spent(), 0);
}

TEST(PageReport, PrintsTheSummaryTableAndJson) {
    const PageLoad load = sample();
    EXPECT_EQ(summary_line(load),
              "mode=persistent objects=2 connections=1 rtt=100.0ms total=300.0ms (3.0 RTT) "
              "failed=1");
    const std::string table = report_table(load);
    EXPECT_NE(table.find("/a.png"), std::string::npos) << table;
    EXPECT_NE(table.find("http://cdn.example/b.js"), std::string::npos) << table;
    EXPECT_NE(table.find("cannot connect"), std::string::npos) << table;
    const std::string json = to_json(load);
    EXPECT_EQ(json.front(), '{');
    EXPECT_EQ(json.back(), '}');
    for (const char* part :
         {"\"mode\":\"persistent\"", "\"connections_opened\":1", "\"object_count\":2",
          "\"rtts\":3.000", "\"bytes\":6000", "\"failed\":1", "\"error\":\"cannot connect\"",
          "\"page\":{\"url\":\"http://127.0.0.1:8080/\""}) {
        EXPECT_NE(json.find(part), std::string::npos) << part << " in " << json;
    }
    PageLoad other = load;
    other.mode = {LoadMode::parallel, 4};
    const std::string side = comparison_table({load, other});
    EXPECT_NE(side.find("parallel=4"), std::string::npos) << side;
    EXPECT_NE(side.find("RTTs spent"), std::string::npos) << side;
    EXPECT_NE(to_json(other).find("\"parallel\":4"), std::string::npos);
}

}  // namespace
}  // namespace l7::http
