#include "p2p/asio/experiment.hpp"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "http/asio/server.hpp"
#include "link/asio/relay.hpp"
#include "net/timeout.hpp"
#include "p2p/asio/torrent_client.hpp"
#include "p2p/metainfo.hpp"
#include "p2p/rate.hpp"

namespace l7::p2p {
namespace {

using tcp = asio::ip::tcp;
using Seconds = std::chrono::duration<double>;

// The clients' clock: requests that waited for tokens go out this often.
constexpr auto kTick = std::chrono::milliseconds(10);
constexpr double kCourseFileSize = 1e9;  // the course's example: F = 1 GB

// The buckets' depth: a few ticks of the rate (at least two blocks), enough to keep the rate
// between ticks, and so little that a run does not start with free bytes worth counting.
std::uint64_t burst_for(std::uint64_t rate) {
    return std::max<std::uint64_t>(rate / 25, 2 * kBlockSize);
}

std::string make_content(std::uint64_t size) {
    std::mt19937_64 gen(42);
    std::string out(size, '\0');
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = static_cast<char>(gen());
    }
    return out;
}

// Pieces in memory: the experiment measures the network, not a disk.
class MemoryStore : public PieceStore {
  public:
    MemoryStore(const std::string* content, std::uint32_t piece_length, bool full)
        : content_(content), piece_length_(piece_length), data_(full ? *content : "") {
        data_.resize(content->size());
    }
    Result<std::string> read(std::uint32_t piece, std::uint32_t begin,
                             std::uint32_t length) override {
        return data_.substr(std::uint64_t{piece} * piece_length_ + begin, length);
    }
    std::optional<Error> write_piece(std::uint32_t piece, std::string_view data) override {
        data_.replace(std::uint64_t{piece} * piece_length_, data.size(), data);
        return std::nullopt;
    }
    bool matches() const { return data_ == *content_; }

  private:
    const std::string* content_;
    std::uint32_t piece_length_;
    std::string data_;
};

// Stops `runtime` after `deadline` unless told first that it is done.
class Watchdog {
  public:
    Watchdog(net::Runtime& runtime, std::chrono::seconds deadline)
        : thread_([this, &runtime, deadline] {
              std::unique_lock lock(mutex_);
              if (!done_cv_.wait_for(lock, deadline, [this] { return done_; })) {
                  expired_ = true;
                  runtime.request_stop();
              }
          }) {}
    ~Watchdog() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        done_cv_.notify_all();
        thread_.join();
    }
    bool expired() {
        std::lock_guard lock(mutex_);
        return expired_;
    }

  private:
    std::mutex mutex_;
    std::condition_variable done_cv_;
    bool done_ = false;
    bool expired_ = false;
    std::thread thread_;
};

// One downloader of the client-server run: GET the file through the link, reading at most
// `rate` bytes/s; done() when the whole response has come.
asio::awaitable<void> download(tcp::endpoint server, std::uint64_t rate, std::uint64_t expected,
                               std::function<void(bool ok)> done) {
    auto ex = co_await asio::this_coro::executor;
    tcp::socket sock(ex);
    auto [connect_ec] = co_await sock.async_connect(server, net::as_tuple_awaitable);
    if (connect_ec) {
        done(false);
        co_return;
    }
    const std::string request =
        "GET /file HTTP/1.1\r\nHost: experiment\r\nConnection: close\r\n\r\n";
    auto [write_ec, written] =
        co_await asio::async_write(sock, asio::buffer(request), net::as_tuple_awaitable);
    (void)written;
    if (write_ec) {
        done(false);
        co_return;
    }
    TokenBucket bucket(rate, 2 * kBlockSize);  // no head start: the time is F/d_i at best
    asio::steady_timer timer(ex);
    std::vector<char> buffer(kBlockSize);
    std::uint64_t got = 0;
    for (;;) {
        // Wait for room in d_i before reading more: TCP's flow control then slows the sender.
        if (const auto wait = bucket.time_until(buffer.size(), Clock::now());
            wait && wait->count() > 0) {
            timer.expires_after(*wait);
            co_await timer.async_wait(net::as_tuple_awaitable);
        }
        auto [ec, n] = co_await sock.async_read_some(asio::buffer(buffer), net::as_tuple_awaitable);
        if (ec) {
            break;
        }
        bucket.try_take(n, Clock::now());
        got += n;
    }
    done(got >= expected);
}

}  // namespace

double client_server_bound(const ExperimentParams& p, unsigned n) {
    const double f = static_cast<double>(p.file_size);
    return std::max(n * f / static_cast<double>(p.server_upload),
                    f / static_cast<double>(p.peer_download));
}

double p2p_bound(const ExperimentParams& p, unsigned n) {
    const double f = static_cast<double>(p.file_size);
    return std::max({f / static_cast<double>(p.server_upload),
                     f / static_cast<double>(p.peer_download),
                     n * f / static_cast<double>(p.server_upload + n * p.peer_upload)});
}

Result<double> run_client_server(const ExperimentParams& p, unsigned n) {
    const std::string content = make_content(p.file_size);
    net::Runtime runtime({.threads = 1, .handle_signals = false});
    trace::Tracer silent;
    http::ServerOptions server;
    server.listen = {HostPort{"127.0.0.1", 0}};
    const auto origin = http::start_server(
        runtime, server,
        [&content](const http::Request&, const std::string&, const http::Peer&) {
            http::Reply r;
            r.response.status = 200;
            r.response.fields.add("Content-Type", "application/octet-stream");
            r.body.push_back({content, std::nullopt});
            return r;
        },
        silent);
    // The server's access link: every connection shares its upload, u_s.
    link::LinkOptions access;
    access.listen = {HostPort{"127.0.0.1", 0}};
    access.target = HostPort{"127.0.0.1", origin.front().port()};
    access.udp = false;
    access.down.rate_bps = p.server_upload * 8;
    access.down.queue_bytes = 256 * 1024;
    const link::Link relay = link::start_link(runtime, access, silent);
    const tcp::endpoint front = relay.tcp_endpoints().front();

    unsigned finished = 0;
    bool failed = false;
    const auto start = Clock::now();
    Clock::time_point last = start;
    for (unsigned i = 0; i < n; ++i) {
        asio::co_spawn(runtime.worker(0).io,
                       download(front, p.peer_download, p.file_size,
                                [&](bool ok) {
                                    failed = failed || !ok;
                                    last = Clock::now();
                                    if (++finished == n || !ok) {
                                        runtime.request_stop();
                                    }
                                }),
                       asio::detached);
    }
    Watchdog watchdog(runtime, p.run_deadline);
    runtime.run();
    if (watchdog.expired() || finished < n) {
        return make_error("client-server with " + std::to_string(n) +
                          " peers: " + std::to_string(finished) + " finished before the deadline");
    }
    if (failed) {
        return make_error("client-server: a download ended early");
    }
    return Seconds(last - start).count();
}

Result<double> run_p2p(const ExperimentParams& p, unsigned n) {
    const std::string content = make_content(p.file_size);
    BuilderFile file{{"experiment.bin"}, p.file_size};
    auto builder = TorrentBuilder::create("experiment.bin", {file}, true, p.piece_length, false);
    if (!builder) {
        return builder.error();
    }
    if (auto fed = builder->feed(content); !fed) {
        return fed.error();
    }
    auto info_bytes = builder->info_dict();
    if (!info_bytes) {
        return info_bytes.error();
    }
    auto info = parse_info_dict(*info_bytes);
    if (!info) {
        return info.error();
    }
    const TorrentIdentity identity = identity_for(*info, PeerId{});

    net::Runtime runtime({.threads = 1, .handle_signals = false});
    std::vector<std::unique_ptr<MemoryStore>> stores;
    std::vector<std::unique_ptr<TorrentClient>> clients;
    std::vector<std::string> addresses;
    unsigned finished = 0;
    const auto start = Clock::now();
    Clock::time_point last = start;
    auto add_client = [&](bool seed, const TorrentLimits& limits) {
        stores.push_back(
            std::make_unique<MemoryStore>(&content, identity.layout.piece_length, seed));
        TorrentClientOptions options;
        options.listen = HostPort{"127.0.0.1", 0};
        options.limits = limits;
        options.seed_when_complete = true;  // peers upload until everyone has the file
        options.tick = kTick;
        options.stop_runtime_when_done = false;
        if (!seed) {
            options.on_complete = [&] {
                last = Clock::now();
                if (++finished == n) {
                    runtime.request_stop();
                }
            };
        }
        TorrentIdentity id = identity;
        id.peer_id = make_peer_id();
        clients.push_back(std::make_unique<TorrentClient>(
            runtime, id, *stores.back(), Bitfield(identity.layout.piece_count(), seed), options));
        const auto bound = clients.back()->start();
        addresses.push_back("127.0.0.1:" + std::to_string(bound->port()));
    };
    TorrentLimits scaled;
    if (p.scale_choker) {
        const double scale = std::max(1.0, kCourseFileSize / static_cast<double>(p.file_size));
        const auto shrink = [scale](Duration d) {
            return std::chrono::duration_cast<Duration>(d / scale);
        };
        scaled.choker.round_interval = shrink(scaled.choker.round_interval);
        scaled.choker.optimistic_interval = shrink(scaled.choker.optimistic_interval);
        scaled.choker.new_peer_age = shrink(scaled.choker.new_peer_age);
        scaled.rate_window = shrink(scaled.rate_window);
    }
    TorrentLimits seed_limits = scaled;
    // The bound's server splits u_s over all N at once; with tit-for-tat's 4 slots the seed
    // could feed only 5 peers, whose downloads (d_i each) then cap what it sends.
    seed_limits.choker.regular_slots = std::max<std::size_t>(n, seed_limits.choker.regular_slots);
    seed_limits.upload_rate = p.server_upload;
    seed_limits.rate_burst = burst_for(p.server_upload);
    add_client(true, seed_limits);
    TorrentLimits peer_limits = scaled;
    // Loopback has no delay to cover: a tenth of a second of each peer's rate keeps it busy,
    // and deeper queues would hold download tokens (d_i) at slow peers while fast ones idle.
    peer_limits.request_queue_time = std::chrono::milliseconds(100);
    peer_limits.upload_rate = p.peer_upload;
    peer_limits.download_rate = p.peer_download;
    peer_limits.rate_burst = burst_for(std::min(p.peer_upload, p.peer_download));
    for (unsigned i = 0; i < n; ++i) {
        add_client(false, peer_limits);
        // Each peer dials the seed and the peers before it: every pair is connected once,
        // as a tracker's peer lists would connect them.
        clients.back()->add_peers(std::vector<std::string>(addresses.begin(), addresses.end() - 1));
    }
    Watchdog watchdog(runtime, p.run_deadline);
    runtime.run();
    if (watchdog.expired() || finished < n) {
        return make_error("P2P with " + std::to_string(n) + " peers: " + std::to_string(finished) +
                          " finished before the deadline");
    }
    for (std::size_t i = 1; i < stores.size(); ++i) {
        if (!stores[i]->matches()) {
            return make_error("P2P: a peer's copy differs from the file");
        }
    }
    return Seconds(last - start).count();
}

Result<std::vector<ExperimentRow>> run_experiment(
    const ExperimentParams& p, const std::function<void(const ExperimentRow&)>& on_row) {
    std::vector<ExperimentRow> rows;
    for (unsigned n : p.peer_counts) {
        ExperimentRow row;
        row.peers = n;
        row.client_server_bound = client_server_bound(p, n);
        row.p2p_bound = p2p_bound(p, n);
        if (p.client_server) {
            auto t = run_client_server(p, n);
            if (!t) {
                return t.error();
            }
            row.client_server_seconds = *t;
        }
        if (p.p2p) {
            auto t = run_p2p(p, n);
            if (!t) {
                return t.error();
            }
            row.p2p_seconds = *t;
        }
        if (on_row) {
            on_row(row);
        }
        rows.push_back(row);
    }
    return rows;
}

}  // namespace l7::p2p
