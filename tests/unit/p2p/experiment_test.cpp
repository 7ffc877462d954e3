// The course's lower bounds on distribution time, as `l7 torrent experiment` plots them.
#include "p2p/asio/experiment.hpp"

#include <gtest/gtest.h>

namespace l7::p2p {
namespace {

// The course's example: F = 1 GB (8 Gbit), u_s = 80 Mbit/s, u_i = 8 Mbit/s, d_i = 20 Mbit/s.
ExperimentParams course() {
    ExperimentParams p;
    p.file_size = 1'000'000'000;
    p.server_upload = 10'000'000;
    p.peer_upload = 1'000'000;
    p.peer_download = 2'500'000;
    return p;
}

TEST(ExperimentBounds, TheCourseExampleGives1000SecondsAgainst500) {
    EXPECT_DOUBLE_EQ(client_server_bound(course(), 10), 1000.0);
    EXPECT_DOUBLE_EQ(p2p_bound(course(), 10), 500.0);
}

TEST(ExperimentBounds, EachTermOfTheBoundsLeadsSomewhere) {
    const ExperimentParams p = course();
    struct Case {
        unsigned n;
        double client_server;  // max{N F/u_s, F/d_min}
        double p2p;            // max{F/u_s, F/d_min, N F/(u_s + N u_i)}
    };
    const Case cases[] = {
        {1, 400.0, 400.0},      // F/d_min leads both: one peer cannot take it faster
        {4, 400.0, 400.0},      // N F/u_s = 400 ties F/d_min
        {5, 500.0, 400.0},      // the server's upload now leads client-server
        {30, 3000.0, 750.0},    // the swarm's upload, 30 GB / 40 MB/s, leads P2P
        {100, 10000.0, 909.0},  // P2P approaches F/u_i = 1000 s, client-server grows with N
    };
    for (const Case& c : cases) {
        EXPECT_DOUBLE_EQ(client_server_bound(p, c.n), c.client_server) << c.n;
        EXPECT_NEAR(p2p_bound(p, c.n), c.p2p, 0.5) << c.n;
    }
}

}  // namespace
}  // namespace l7::p2p
