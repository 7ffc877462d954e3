#pragma once
// The course's distribution-time experiment (`l7 torrent experiment`): how long it takes to
// give a file of F bytes to N peers,
//   client-server: an l7 HTTP server behind an l7 link whose upload is u_s, N downloaders
//                  each reading at most d_i;            lower bound max{NF/u_s, F/d_min}
//   P2P:           one l7 seed uploading at u_s and N l7 peers uploading at u_i and
//                  downloading at d_i, all in one swarm; lower bound
//                  max{F/u_s, F/d_min, NF/(u_s + N u_i)}
// each measured on loopback from the start until the last of the N has the whole file.
// Everything runs in this process on fresh runtimes, one run per N and mode.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace l7::p2p {

struct ExperimentParams {
    std::uint64_t file_size = 8 * 1024 * 1024;  // F, bytes
    std::uint32_t piece_length = 64 * 1024;
    std::uint64_t server_upload = 10'000'000;  // u_s, bytes/s
    std::uint64_t peer_upload = 1'000'000;     // u_i, bytes/s
    std::uint64_t peer_download = 2'500'000;   // d_i, bytes/s
    std::vector<unsigned> peer_counts = {1, 2, 4, 6, 8, 10};
    bool client_server = true;
    bool p2p = true;
    // The run is the course's example (F = 1 GB) scaled down in size, so it is scaled down in
    // time too: tit-for-tat's 10 s rounds, 30 s optimistic unchokes and 20 s rate window
    // shrink by 1 GB / F (never grow), so the choker turns as often relative to the
    // download as it would at full size. Off: the real clock, whatever F is.
    bool scale_choker = true;
    // A run that has not finished by then fails (bounded: a bug must not hang the command).
    std::chrono::seconds run_deadline{600};
};

// The course's lower bounds, in seconds.
double client_server_bound(const ExperimentParams& p, unsigned n);
double p2p_bound(const ExperimentParams& p, unsigned n);

struct ExperimentRow {
    unsigned peers = 0;
    double client_server_seconds = 0;  // 0 when not run
    double p2p_seconds = 0;
    double client_server_bound = 0;
    double p2p_bound = 0;
};

// One run of each mode; the time in seconds until all n have the file.
Result<double> run_client_server(const ExperimentParams& p, unsigned n);
Result<double> run_p2p(const ExperimentParams& p, unsigned n);

// Every N of p.peer_counts, both modes; `on_row` hears each row as it is measured.
Result<std::vector<ExperimentRow>> run_experiment(
    const ExperimentParams& p, const std::function<void(const ExperimentRow&)>& on_row);

}  // namespace l7::p2p
