// The lab's BitTorrent swarm: a tracker (tracker.networkutopia.com) and seeds of one sample
// file, all l7.
//
//   [[host.service]]                   [[host.service]]
//   kind = "torrent-tracker"           kind = "torrent-seed"
//   port = 6969                        port = 6881
//   interval = "30s"                   tracker = "networkutopia.com"   # the tracker's host
//
// The sample file (4 MiB of fixed pseudo-random bytes, 256 KiB pieces) is made the same way
// by every seed, so its info-hash never changes; its .torrent, naming the tracker by name and
// by address, is written to the lab's state directory (torrent/lab-sample.bin.torrent), for
// `l7 torrent get` and real clients. `l7 lab --check` asks each seed for its handshake and
// bitfield, and downloads the file from the seeds the tracker names.

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/write.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include "core/secure_random.hpp"
#include "http/asio/client.hpp"
#include "http/url.hpp"
#include "lab/services.hpp"
#include "lab/state_dir.hpp"
#include "p2p/asio/announcer.hpp"
#include "p2p/asio/file_store.hpp"
#include "p2p/asio/torrent_client.hpp"
#include "p2p/asio/tracker_server.hpp"
#include "p2p/metainfo.hpp"
#include "p2p/wire.hpp"

namespace l7::lab {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSampleName = "lab-sample.bin";
constexpr std::uint64_t kSampleSize = 4 * 1024 * 1024;
constexpr std::uint32_t kSamplePiece = 256 * 1024;
constexpr auto kCheckDeadline = std::chrono::seconds(60);

std::string sample_bytes() {
    std::mt19937_64 gen(20261201);  // fixed: the same file, and info-hash, in every lab
    std::string out(kSampleSize, '\0');
    for (std::size_t i = 0; i < out.size(); i += 8) {
        const std::uint64_t v = gen();
        for (std::size_t j = 0; j < 8; ++j) {
            out[i + j] = static_cast<char>(v >> (8 * j));
        }
    }
    return out;
}

// The tracker's endpoint as the seeds and the check find it.
HostPort tracker_of(const config::Table& s, const StartContext& ctx) {
    const std::string host = s.get_string("tracker").value_or("networkutopia.com");
    auto ep = ctx.find(host, "torrent-tracker");
    if (!ep) {
        throw std::runtime_error("torrent-seed: no torrent-tracker on host " + host);
    }
    return *ep;
}

// The sample's torrent: trackers by name (the lab's DNS knows it) and, as a second tier, by
// address (for clients that use the system's resolver).
std::string sample_torrent(const HostPort& tracker) {
    const std::string port = std::to_string(tracker.port);
    p2p::BuilderFile file;
    file.path = {std::string(kSampleName)};
    file.length = kSampleSize;
    auto builder =
        p2p::TorrentBuilder::create(std::string(kSampleName), {file}, true, kSamplePiece, false);
    if (!builder) {
        throw std::runtime_error(builder.error().message);
    }
    const std::string bytes = sample_bytes();
    if (auto fed = builder->feed(bytes); !fed) {
        throw std::runtime_error(fed.error().message);
    }
    p2p::TorrentExtras extras;
    extras.trackers = {"http://tracker.networkutopia.com:" + port + "/announce",
                       "http://" + tracker.host + ":" + port + "/announce",
                       "udp://" + tracker.host + ":" + port};
    extras.comment = "The l7 lab's sample file, seeded by the lab's hosts";
    extras.created_by = "l7 lab";
    auto torrent = builder->torrent(extras);
    if (!torrent) {
        throw std::runtime_error(torrent.error().message);
    }
    return *torrent;
}

void write_file(const fs::path& path, std::string_view bytes) {
    fs::create_directories(path.parent_path());
    const fs::path temporary = path.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!out) {
            throw std::runtime_error(temporary.string() + ": cannot write");
        }
    }
    fs::rename(temporary, path);
}

fs::path torrent_path() {
    return lab_state_dir() / "torrent" / (std::string(kSampleName) + ".torrent");
}

// --- the tracker ------------------------------------------------------------------------------

void validate_tracker(const config::Table& s) {
    s.allow_only({"kind", "port", "interval"});
    (void)s.get_duration("interval");
}

void start_tracker(net::Runtime& rt, const HostPort& ep, const config::Table& s,
                   trace::Tracer& tracer, const StartContext&) {
    p2p::TrackerServerOptions options;
    options.listen = {ep};
    const auto interval = s.get_duration("interval").value_or(std::chrono::seconds(30));
    options.swarm.interval = std::max<std::chrono::seconds>(
        std::chrono::duration_cast<std::chrono::seconds>(interval), std::chrono::seconds(1));
    auto server = std::make_shared<p2p::TrackerServer>(options);
    server->start(rt, tracer);
    rt.worker(0).stop_hooks.push_back([server] {});  // lives as long as the lab
}

// --- a seed -----------------------------------------------------------------------------------

struct Seed {
    std::unique_ptr<p2p::FileStore> store;
    std::unique_ptr<p2p::TorrentClient> client;
    std::unique_ptr<p2p::Announcer> announcer;
};

void validate_seed(const config::Table& s) {
    s.allow_only({"kind", "port", "tracker"});
    (void)s.get_string("tracker");
}

void start_seed(net::Runtime& rt, const HostPort& ep, const config::Table& s, trace::Tracer&,
                const StartContext& ctx) {
    const HostPort tracker = tracker_of(s, ctx);
    const std::string torrent = sample_torrent(tracker);
    write_file(torrent_path(), torrent);
    auto meta = p2p::parse_metainfo(torrent);
    if (!meta) {
        throw std::runtime_error(meta.error().message);
    }
    const fs::path dir = lab_state_dir() / ("torrent-seed-" + ep.host);
    if (!fs::exists(dir / kSampleName)) {
        write_file(dir / kSampleName, sample_bytes());
    }
    auto seed = std::make_shared<Seed>();
    auto store = p2p::FileStore::open(meta->info, dir, p2p::FileStore::Mode::seed);
    if (!store) {
        throw std::runtime_error(store.error().message);
    }
    seed->store = std::move(*store);
    p2p::TorrentClientOptions options;
    options.listen = ep;
    options.seed_when_complete = true;
    options.stop_runtime_when_done = false;  // one service among many
    seed->client = std::make_unique<p2p::TorrentClient>(
        rt, p2p::identity_for(meta->info, p2p::make_peer_id()), *seed->store,
        p2p::Bitfield(meta->info.piece_count(), true), options);
    seed->client->start();
    p2p::AnnouncerOptions a;
    a.trackers = {"http://" + tracker.host + ":" + std::to_string(tracker.port) + "/announce"};
    a.info_hash = meta->info.info_hash;
    a.peer_id = p2p::make_peer_id();
    a.port = ep.port;
    a.local_address = ep.host;
    auto* client = seed->client.get();
    a.stats = [client] { return client->stats(); };
    a.on_peers = [client](std::vector<std::string> peers) { client->add_peers(std::move(peers)); };
    seed->announcer = std::make_unique<p2p::Announcer>(std::move(a));
    seed->announcer->start();
    rt.worker(0).stop_hooks.push_back([seed] { seed->announcer->stop(); });
}

// The seed answers a handshake for the sample with its own and a full bitfield.
Result<std::string> probe_seed(const HostPort& ep, const config::Table&) {
    std::ifstream in(torrent_path(), std::ios::binary);
    const std::string torrent((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    auto meta = p2p::parse_metainfo(torrent);
    if (!meta) {
        return make_error(torrent_path().string() + ": " + meta.error().message);
    }
    asio::io_context io;
    asio::ip::tcp::socket sock(io);
    std::error_code ec;
    sock.connect({asio::ip::make_address(ep.host, ec), ep.port}, ec);
    if (ec) {
        return make_error("cannot connect: " + ec.message());
    }
    timeval tv{5, 0};  // a bound on each read below
    ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    p2p::Handshake h;
    h.info_hash = meta->info.info_hash;
    h.peer_id = p2p::make_peer_id();
    asio::write(sock, asio::buffer(p2p::encode_handshake(h)), ec);
    auto decoder = p2p::WireDecoder::initiator(h.info_hash);
    decoder.set_piece_count(meta->info.piece_count());
    std::array<char, 4096> buffer{};
    for (int reads = 0; reads < 16 && !ec; ++reads) {
        const std::size_t n = sock.read_some(asio::buffer(buffer), ec);
        decoder.feed(std::string_view(buffer.data(), n));
        p2p::WireMessage m;
        for (p2p::WireStatus st; (st = decoder.next(m)) != p2p::WireStatus::need_more;) {
            if (st == p2p::WireStatus::error) {
                return make_error(decoder.error());
            }
            if (st == p2p::WireStatus::message && m.type == p2p::MessageType::bitfield) {
                auto bits = p2p::Bitfield::from_wire(m.payload, meta->info.piece_count());
                if (!bits || !bits->all()) {
                    return make_error("its bitfield does not show every piece");
                }
                return "seeding " + std::string(kSampleName) + " (" +
                       std::to_string(bits->count()) + " pieces, info hash " +
                       p2p::to_hex(meta->info.info_hash).substr(0, 12) + "...)";
            }
        }
    }
    return make_error(ec ? "no bitfield: " + ec.message() : "no bitfield");
}

// Without the lab around it: the tracker's status page answers.
Result<std::string> probe_tracker_alone(const HostPort& ep, const config::Table&) {
    auto url = http::parse_url("http://" + ep.host + ":" + std::to_string(ep.port) + "/");
    if (!url) {
        return url.error();
    }
    http::ClientRequest request;
    request.url = *url;
    http::ClientOptions options;
    options.connect_timeout = std::chrono::seconds(5);
    options.timeout = std::chrono::seconds(5);
    std::string body;
    options.on_body = [&body](std::string_view bytes) {
        body.append(bytes.substr(0, 65536 - std::min<std::size_t>(body.size(), 65536)));
        return true;
    };
    auto got = http::fetch(request, options);
    if (!got) {
        return make_error(got.error().message);
    }
    if (got->response.status != 200 || body.find("l7 tracker") == std::string::npos) {
        return make_error("GET / answered " + std::to_string(got->response.status) +
                          " without the status page");
    }
    return std::string("GET / 200, the status page");
}

// The check: ask the tracker for the seeds and download the sample from them.
Result<std::string> probe_tracker(const HostPort& ep, const config::Table&, const StartContext&) {
    std::ifstream in(torrent_path(), std::ios::binary);
    const std::string torrent((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    auto meta = p2p::parse_metainfo(torrent);
    if (!meta) {
        return make_error("no sample torrent: " + meta.error().message);
    }
    const p2p::TorrentInfo& info = meta->info;
    p2p::AnnounceRequest request;
    request.info_hash = info.info_hash;
    request.peer_id = p2p::make_peer_id();
    request.port = 6881;
    request.left = info.total_length;
    request.event = p2p::AnnounceEvent::none;
    const std::string url = "http://" + ep.host + ":" + std::to_string(ep.port) + "/announce";
    const auto announced = p2p::announce_once(url, request, std::chrono::seconds(5));
    if (!announced.ok) {
        return make_error(announced.error);
    }
    if (announced.peers.empty()) {
        return make_error("the tracker knows no seed of " + std::string(kSampleName));
    }
    const fs::path dir = lab_state_dir() / ("torrent-check-" + std::to_string(secure_random64()));
    fs::create_directories(dir);
    struct Cleanup {
        fs::path dir;
        ~Cleanup() {
            std::error_code ignored;
            fs::remove_all(dir, ignored);
        }
    } cleanup{dir};
    auto store = p2p::FileStore::open(info, dir, p2p::FileStore::Mode::leech);
    if (!store) {
        return make_error(store.error().message);
    }
    net::Runtime runtime({.threads = 1, .handle_signals = false});
    bool complete = false;
    p2p::TorrentClientOptions options;
    options.on_complete = [&complete] { complete = true; };
    p2p::TorrentClient client(runtime, p2p::identity_for(info, p2p::make_peer_id()), **store,
                              p2p::Bitfield(info.piece_count()), options);
    client.start();
    client.add_peers(announced.peers);
    // The download stops the runtime when it completes; the watchdog, if it does not.
    std::mutex mutex;
    std::condition_variable finished;
    bool done = false;
    std::thread watchdog([&] {
        std::unique_lock lock(mutex);
        if (!finished.wait_for(lock, kCheckDeadline, [&] { return done; })) {
            runtime.request_stop();
        }
    });
    runtime.run();
    {
        std::lock_guard lock(mutex);
        done = true;
    }
    finished.notify_all();
    watchdog.join();
    if (!complete) {
        const auto s = client.stats();
        return make_error("downloaded " + std::to_string(s.pieces_have) + " of " +
                          std::to_string(s.piece_count) + " pieces in " +
                          std::to_string(kCheckDeadline.count()) + " s");
    }
    return "downloaded " + std::string(kSampleName) + " (" + std::to_string(info.piece_count()) +
           " pieces, each SHA-1 checked) from the seeds the tracker named (" +
           std::to_string(announced.peers.size()) + ")";
}

}  // namespace

ServiceKind torrent_tracker_service() {
    ServiceKind k;
    k.name = "torrent-tracker";
    k.protocol = "udp+tcp";
    k.summary = "BitTorrent tracker: HTTP and UDP announces, scrape, a status page";
    k.validate = validate_tracker;
    k.start = start_tracker;
    k.probe = probe_tracker_alone;
    k.probe_in_lab = probe_tracker;
    return k;
}

ServiceKind torrent_seed_service() {
    ServiceKind k;
    k.name = "torrent-seed";
    k.protocol = "tcp";
    k.summary = "BitTorrent seed of the lab's sample file, announced to the lab's tracker";
    k.validate = validate_seed;
    k.start = start_seed;
    k.probe = probe_seed;
    return k;
}

}  // namespace l7::lab
