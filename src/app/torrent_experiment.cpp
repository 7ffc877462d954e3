// `l7 torrent experiment`: the course's distribution-time experiment, client-server against
// P2P over N (src/p2p/asio/experiment.hpp), with a CSV and a PNG chart of the results.

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "app/cli.hpp"
#include "app/torrent_create.hpp"
#include "core/log.hpp"
#include "link/amounts.hpp"
#include "link/rate.hpp"
#include "p2p/asio/experiment.hpp"
#include "p2p/metainfo.hpp"
#include "plot/line_chart.hpp"
#include "plot/png.hpp"

namespace l7::app {
namespace {

namespace fs = std::filesystem;

struct ExperimentFlags {
    CommonOptions common;
    std::string file_size = "8MiB";
    std::string piece_size = "64k";
    std::string us = "80mbit";
    std::string ui = "8mbit";
    std::string di = "20mbit";
    std::string peers = "1,2,4,6,8,10";
    std::string output = "experiment";
    bool only_p2p = false;
    bool only_client_server = false;
    bool real_clock = false;
};

std::uint64_t bytes_per_second(const std::string& text, const char* option) {
    auto bits = link::parse_rate(text);
    if (!bits) {
        throw UsageError(std::string(option) + ": " + bits.error().message);
    }
    return std::max<std::uint64_t>(*bits / 8, 1);
}

unsigned parse_count(std::string_view text, const std::string& whole) {
    unsigned v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || ptr != text.data() + text.size() || v < 1 || v > 50) {
        throw UsageError("--peers " + whole + ": give counts from 1 to 50, as 1..10 or 1,2,5,10");
    }
    return v;
}

// "1..10", "1,2,5,10" or "10".
std::vector<unsigned> parse_peer_counts(const std::string& text) {
    std::vector<unsigned> out;
    if (const auto dots = text.find(".."); dots != std::string::npos) {
        const unsigned from = parse_count(std::string_view(text).substr(0, dots), text);
        const unsigned to = parse_count(std::string_view(text).substr(dots + 2), text);
        if (from > to) {
            throw UsageError("--peers " + text + ": the range runs backwards");
        }
        for (unsigned n = from; n <= to; ++n) {
            out.push_back(n);
        }
        return out;
    }
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        const auto end = comma == std::string::npos ? text.size() : comma;
        out.push_back(parse_count(std::string_view(text).substr(start, end - start), text));
        start = end + 1;
    }
    return out;
}

std::string seconds(double s) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", s);
    return text;
}

void write_csv(const fs::path& path, const std::vector<p2p::ExperimentRow>& rows) {
    std::ofstream out(path);
    out << "peers,client_server_s,client_server_bound_s,p2p_s,p2p_bound_s,p2p_over_bound\n";
    for (const auto& r : rows) {
        out << r.peers << "," << seconds(r.client_server_seconds) << ","
            << seconds(r.client_server_bound) << "," << seconds(r.p2p_seconds) << ","
            << seconds(r.p2p_bound) << ","
            << (r.p2p_seconds > 0 ? seconds(r.p2p_seconds / r.p2p_bound) : "") << "\n";
    }
    if (!out) {
        throw std::runtime_error(path.string() + ": cannot write");
    }
}

std::optional<std::string> write_chart(const fs::path& path,
                                       const std::vector<p2p::ExperimentRow>& rows,
                                       const std::string& title) {
    plot::Series cs{"client-server, measured", {}, {0xd6, 0x27, 0x28}, false, true};
    plot::Series cs_bound{"client-server, lower bound", {}, {0xd6, 0x27, 0x28}, true, false};
    plot::Series p2p{"P2P, measured", {}, {0x1f, 0x77, 0xb4}, false, true};
    plot::Series p2p_bound{"P2P, lower bound", {}, {0x1f, 0x77, 0xb4}, true, false};
    for (const auto& r : rows) {
        const double n = r.peers;
        if (r.client_server_seconds > 0) {
            cs.points.emplace_back(n, r.client_server_seconds);
        }
        cs_bound.points.emplace_back(n, r.client_server_bound);
        if (r.p2p_seconds > 0) {
            p2p.points.emplace_back(n, r.p2p_seconds);
        }
        p2p_bound.points.emplace_back(n, r.p2p_bound);
    }
    plot::ChartOptions options;
    options.title = title;
    options.x_label = "N (peers)";
    options.y_label = "time to give all N the file (s)";
    options.integer_x_ticks = true;
    const plot::Image image = plot::draw_line_chart({cs, cs_bound, p2p, p2p_bound}, options);
    if (auto written = plot::write_png_file(path, image); !written) {
        return written.error().message;
    }
    return std::nullopt;
}

int run_experiment(const ExperimentFlags& f, Context& ctx) {
    apply_common_options(f.common, ctx, false);
    if (f.common.verbose == 0) {
        // Each run starts servers and links that log as they start: the table says enough.
        log::configure(log::Level::warn,
                       f.common.log_format == "json" ? log::Format::json : log::Format::text);
    }
    p2p::ExperimentParams p;
    auto size = link::parse_byte_size(f.file_size);
    if (!size || *size < 64 * 1024 || *size > 1024ULL * 1024 * 1024) {
        throw UsageError("--file-size " + f.file_size + ": give 64KiB to 1GiB");
    }
    p.file_size = *size;
    auto piece = p2p::parse_piece_length(f.piece_size);
    if (!piece) {
        throw UsageError("--piece-size: " + piece.error().message);
    }
    p.piece_length = *piece;
    p.server_upload = bytes_per_second(f.us, "--us");
    p.peer_upload = bytes_per_second(f.ui, "--ui");
    p.peer_download = bytes_per_second(f.di, "--di");
    p.peer_counts = parse_peer_counts(f.peers);
    p.client_server = !f.only_p2p;
    p.p2p = !f.only_client_server;
    p.scale_choker = !f.real_clock;
    const fs::path dir = f.output;
    fs::create_directories(dir);

    std::cout << "F = " << torrent_human_size(p.file_size) << ", u_s = " << f.us
              << ", u_i = " << f.ui << ", d_i = " << f.di << "\n";
    std::cout << "    N  client-server (bound)      P2P (bound)   P2P/bound\n";
    auto rows = p2p::run_experiment(p, [](const p2p::ExperimentRow& r) {
        char line[160];
        std::snprintf(line, sizeof line, "%5u  %8s s (%7s s)  %7s s (%7s s)  %s\n", r.peers,
                      r.client_server_seconds > 0 ? seconds(r.client_server_seconds).c_str() : "-",
                      seconds(r.client_server_bound).c_str(),
                      r.p2p_seconds > 0 ? seconds(r.p2p_seconds).c_str() : "-",
                      seconds(r.p2p_bound).c_str(),
                      r.p2p_seconds > 0 ? seconds(r.p2p_seconds / r.p2p_bound).c_str() : "-");
        std::cout << line << std::flush;
    });
    if (!rows) {
        std::cerr << "l7 torrent experiment: " << rows.error().message << "\n";
        return 1;
    }
    write_csv(dir / "experiment.csv", *rows);
    const std::string title = "Distribution time, F = " + torrent_human_size(p.file_size) +
                              ", u_s = " + f.us + ", u_i = " + f.ui + ", d_i = " + f.di;
    if (auto failed = write_chart(dir / "experiment.png", *rows, title)) {
        std::cerr << "l7 torrent experiment: " << *failed << "\n";
        return 1;
    }
    std::cout << "wrote " << (dir / "experiment.csv").string() << " and "
              << (dir / "experiment.png").string() << "\n";
    return 0;
}

}  // namespace

void add_torrent_experiment(CLI::App& torrent_cmd, Context& ctx) {
    auto f = std::make_shared<ExperimentFlags>();
    auto* cmd = torrent_cmd.add_subcommand(
        "experiment", "Measure client-server against P2P distribution time over N");
    add_torrent_log_options(*cmd, f->common);
    cmd->add_option("--file-size", f->file_size, "F, the file's size (default 8MiB)");
    cmd->add_option("--piece-size", f->piece_size, "The torrent's piece size (default 64k)");
    cmd->add_option("--us", f->us, "u_s, the server's (and the seed's) upload (default 80mbit)");
    cmd->add_option("--ui", f->ui, "u_i, each peer's upload (default 8mbit)");
    cmd->add_option("--di", f->di, "d_i, each peer's download (default 20mbit)");
    cmd->add_option("--peers", f->peers, "The values of N: 1..10 or 1,2,4,6,8,10 (the default)");
    cmd->add_option("-o,--output", f->output,
                    "Directory for experiment.csv and experiment.png (default ./experiment)");
    cmd->add_flag("--p2p-only", f->only_p2p, "Run the P2P swarms only");
    cmd->add_flag("--client-server-only", f->only_client_server, "Run client-server only");
    cmd->add_flag("--real-clock", f->real_clock,
                  "Keep tit-for-tat's 10 s and 30 s periods unscaled (see below)");
    cmd->footer(
        R"(The course's question: how long does it take to give a file of F bytes to N peers?

  client-server: the server sends N copies through its upload u_s, and the slowest peer
                 cannot receive faster than d_min:   D_cs  >= max{ N F/u_s, F/d_min }
  P2P:           the seed sends at least one copy, every peer downloads F, and the swarm's
                 total upload is u_s + N u_i:
                                 D_P2P >= max{ F/u_s, F/d_min, N F/(u_s + N u_i) }

Both are measured here on loopback, for each N: an l7 HTTP server behind an l7 link of rate
u_s serves N downloaders that each read at most d_i; then one l7 seed uploading at u_s and N
l7 peers uploading at u_i and downloading at d_i, in one swarm (every peer also connected to
the others). Each run lasts until the last peer has every piece. The defaults are the
course's example (F = 1 GB, u_s = 80 Mbit/s, u_i = 8, d_i = 20, N = 10: 1000 s against
500 s) with F scaled down 128 times, so the whole run takes a few minutes. Time is scaled
with it: the choker's 10 s rounds, 30 s optimistic unchokes and 20 s rate window shrink by
1 GB / F, so tit-for-tat turns as often during a run as it would at full size (without
that, a run of seconds would end before the first rotation; --real-clock keeps them).
The seed unchokes all N peers, as the bound's server sends to all at once (with only
tit-for-tat's 4 + 1 slots, the downloads of those 5, d_i each, would cap what it sends).

Writes experiment.csv (N, measured and bound times for both, P2P over its bound) and
experiment.png (both measured curves beside the two bounds) into the output directory.

Examples:
  l7 torrent experiment
  l7 torrent experiment --peers 1..20 --file-size 4MiB -o results/)");
    add_env_names(*cmd, "torrent");
    cmd->callback([f, &ctx] { ctx.action = [f, &ctx] { return run_experiment(*f, ctx); }; });
}

}  // namespace l7::app
