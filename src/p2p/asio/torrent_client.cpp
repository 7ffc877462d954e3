#include "p2p/asio/torrent_client.hpp"

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <deque>
#include <random>

#include "core/secure_random.hpp"
#include "l7/version.hpp"
#include "net/timeout.hpp"

namespace l7::p2p {
namespace {

using tcp = asio::ip::tcp;

constexpr std::size_t kReadChunk = 64 * 1024;
// After a connection to an address fails or ends, it is dialled again no sooner than this,
// doubling for each failure in a row up to the most (a tracker hands out the same peers
// every interval); a connection that lasted resets it.
constexpr auto kFirstRedialDelay = std::chrono::seconds(5);
constexpr auto kMostRedialDelay = std::chrono::seconds(120);
constexpr auto kLastingConnection = std::chrono::seconds(60);

std::string endpoint_text(const tcp::endpoint& ep) {
    return HostPort{ep.address().to_string(), ep.port()}.to_string();
}

Random make_random() {
    auto gen = std::make_shared<std::mt19937>(static_cast<std::uint32_t>(secure_random64()));
    return [gen] { return static_cast<std::uint32_t>((*gen)()); };
}

}  // namespace

PeerId make_peer_id() {
    std::string prefix = "-L7";
    for (const char* v = version; *v != '\0' && prefix.size() < 7; ++v) {
        if (*v >= '0' && *v <= '9') {
            prefix += *v;
        }
    }
    while (prefix.size() < 7) {
        prefix += '0';
    }
    prefix += '-';
    static constexpr char kChars[] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    PeerId id{};
    for (std::size_t i = 0; i < id.size(); ++i) {
        id[i] = static_cast<std::uint8_t>(
            i < prefix.size() ? prefix[i] : kChars[secure_random64() % (sizeof kChars - 1)]);
    }
    return id;
}

struct TorrentClient::Connection {
    Connection(tcp::socket s, PeerKey k, std::string a)
        : sock(std::move(s)), key(k), address(std::move(a)), wake(sock.get_executor()) {}

    tcp::socket sock;
    PeerKey key;
    std::string address;
    std::deque<std::string> outbox;
    asio::steady_timer wake;  // the writer waits here for the outbox to fill
    std::optional<Clock::time_point> write_started;
    bool closed = false;

    void close() {
        if (!closed) {
            closed = true;
            std::error_code ignored;
            sock.cancel(ignored);
            sock.close(ignored);
            wake.cancel();
        }
    }
};

TorrentClient::TorrentClient(net::Runtime& runtime, TorrentIdentity identity, PieceStore& store,
                             Bitfield have, TorrentClientOptions options)
    : runtime_(runtime),
      io_(runtime.worker(0).io),
      options_(std::move(options)),
      session_(std::make_unique<TorrentSession>(std::move(identity), store, options_.limits,
                                                make_random(), Clock::now(), std::move(have))) {
    session_->set_trace(static_cast<bool>(options_.on_trace));
    stats_ = session_->stats(Clock::now());  // an announce may ask before the first tick
}

TorrentClient::TorrentClient(net::Runtime& runtime, std::unique_ptr<SwarmProtocol> session,
                             TorrentClientOptions options)
    : runtime_(runtime),
      io_(runtime.worker(0).io),
      options_(std::move(options)),
      session_(std::move(session)) {
    session_->set_trace(static_cast<bool>(options_.on_trace));
    stats_ = session_->stats(Clock::now());
}

TorrentClient::~TorrentClient() = default;

std::optional<tcp::endpoint> TorrentClient::start() {
    std::optional<tcp::endpoint> bound;
    if (options_.listen) {
        bound = runtime_.listen_tcp(*options_.listen, [this](tcp::socket sock, net::Task& task) {
            return accepted(std::move(sock), task);
        });
    }
    runtime_.worker(0).tasks.spawn([this](net::Task& task) { return tick_loop(task); });
    return bound;
}

void TorrentClient::add_peers(std::vector<std::string> addresses) {
    asio::post(io_, [this, addresses = std::move(addresses)] {
        for (const std::string& address : addresses) {
            const auto wait = redial_.find(address);
            if (stopping_ || dialing_.contains(address) || session_->banned(address) ||
                (wait != redial_.end() && Clock::now() < wait->second.after)) {
                continue;
            }
            dialing_.insert(address);
            runtime_.worker(0).tasks.spawn(
                [this, address](net::Task& task) { return connect_peer(address, task); });
        }
    });
}

DownloadStats TorrentClient::stats() const {
    std::lock_guard lock(stats_mutex_);
    return stats_;
}

asio::awaitable<void> TorrentClient::accepted(tcp::socket sock, net::Task& task) {
    if (&sock.get_executor().context() == &io_) {
        co_await accept_peer(std::move(sock), task);
        co_return;
    }
    // Accepted by another worker (a runtime with several threads, as the lab's): the session
    // lives on worker 0 only, so the socket moves there.
    std::error_code ec;
    const auto protocol = sock.local_endpoint(ec).protocol();
    if (ec) {
        co_return;
    }
    const int fd = sock.release(ec);
    if (ec) {
        co_return;
    }
    asio::post(io_, [this, protocol, fd] {
        runtime_.worker(0).tasks.spawn([this, protocol, fd](net::Task& t) {
            tcp::socket moved(io_);
            std::error_code assign_ec;
            moved.assign(protocol, fd, assign_ec);
            return accept_peer(std::move(moved), t);
        });
    });
}

asio::awaitable<void> TorrentClient::accept_peer(tcp::socket sock, net::Task& task) {
    if (!sock.is_open()) {
        co_return;
    }
    std::error_code ec;
    const auto remote = sock.remote_endpoint(ec);
    const std::string address = ec ? "?" : endpoint_text(remote);
    if (stopping_ || session_->banned(address)) {
        co_return;  // the socket closes as it goes
    }
    const auto key = session_->add_peer(false, address, Clock::now());
    if (!key) {
        co_return;  // at the peer limit
    }
    auto c = std::make_shared<Connection>(std::move(sock), *key, address);
    co_await run_connection(c, task);
}

asio::awaitable<void> TorrentClient::connect_peer(std::string address, net::Task& task) {
    auto parsed = parse_host_port(address);
    if (!parsed || !parsed->is_address_literal()) {
        if (options_.on_note) {
            options_.on_note(address + ": not an ADDRESS:PORT");
        }
        dialing_.erase(address);
        co_return;
    }
    tcp::socket sock(io_);
    auto guard = task.on_interrupt([&sock] {
        std::error_code ignored;
        sock.close(ignored);
    });
    std::error_code ec;
    const tcp::endpoint remote(asio::ip::make_address(parsed->host, ec), parsed->port);
    sock.open(remote.protocol(), ec);
    if (options_.listen && !ec) {
        // From the address we accept peers on: peers (and Transmission, which keeps one
        // connection per IP) see each lab host as itself, not as 127.0.0.1.
        const auto local = asio::ip::make_address(options_.listen->host, ec);
        if (!ec && !local.is_unspecified() && local.is_v4() == remote.address().is_v4()) {
            sock.bind(tcp::endpoint(local, 0), ec);
        }
        ec.clear();
    }
    auto done = co_await net::with_timeout(sock.async_connect(remote, net::as_tuple_awaitable),
                                           options_.connect_timeout);
    std::string failure = !done ? "no answer within the connect timeout"
                                : (std::get<0>(*done) ? std::get<0>(*done).message() : "");
    if (!failure.empty() || stopping_) {
        if (options_.on_note && !stopping_) {
            options_.on_note(address + ": cannot connect: " + failure);
        }
        dialing_.erase(address);
        schedule_redial(address, false);
        co_return;
    }
    const auto key = session_->add_peer(true, address, Clock::now());
    if (!key) {
        dialing_.erase(address);
        co_return;
    }
    auto c = std::make_shared<Connection>(std::move(sock), *key, address);
    const auto connected_at = Clock::now();
    co_await run_connection(c, task);
    dialing_.erase(address);
    schedule_redial(address, Clock::now() - connected_at >= kLastingConnection);
}

void TorrentClient::schedule_redial(const std::string& address, bool lasted) {
    Redial& r = redial_[address];
    r.wait = lasted || r.wait == Clock::duration::zero()
                 ? std::chrono::duration_cast<Clock::duration>(kFirstRedialDelay)
                 : std::min<Clock::duration>(r.wait * 2, kMostRedialDelay);
    r.after = Clock::now() + r.wait;
}

asio::awaitable<void> TorrentClient::run_connection(std::shared_ptr<Connection> c,
                                                    net::Task& task) {
    std::error_code ignored;
    c->sock.set_option(tcp::no_delay(true), ignored);  // requests are small and batched
    connections_[c->key] = c;
    auto guard = task.on_interrupt([c] { c->close(); });
    if (options_.on_note) {
        options_.on_note(c->address + ": connected");
    }
    runtime_.worker(0).tasks.spawn([this, c](net::Task& t) { return write_loop(c, t); });
    dispatch();  // an outgoing connection's handshake is waiting
    std::vector<char> buffer(kReadChunk);
    while (!c->closed) {
        task.set_idle(true);
        auto [ec, n] =
            co_await c->sock.async_read_some(asio::buffer(buffer), net::as_tuple_awaitable);
        task.set_idle(false);
        if (ec) {
            if (options_.on_note && !c->closed) {
                options_.on_note(c->address + ": " +
                                 (ec == asio::error::eof ? "closed by the peer" : ec.message()));
            }
            break;
        }
        session_->receive(c->key, std::string_view(buffer.data(), n), Clock::now());
        dispatch();
    }
    c->close();
    connections_.erase(c->key);
    session_->peer_closed(c->key, Clock::now());
    dispatch();
}

asio::awaitable<void> TorrentClient::write_loop(std::shared_ptr<Connection> c, net::Task& task) {
    while (!c->closed) {
        if (c->outbox.empty()) {
            task.set_idle(true);
            c->wake.expires_at(Clock::time_point::max());
            co_await c->wake.async_wait(net::as_tuple_awaitable);
            task.set_idle(false);
            continue;
        }
        std::string bytes = std::move(c->outbox.front());
        c->outbox.pop_front();
        c->write_started = Clock::now();
        auto [ec, n] =
            co_await asio::async_write(c->sock, asio::buffer(bytes), net::as_tuple_awaitable);
        c->write_started.reset();
        if (ec) {
            c->close();
            break;
        }
        session_->flushed(c->key, n, Clock::now());
        dispatch();
    }
}

void TorrentClient::dispatch() {
    std::vector<TorrentAction> actions = session_->take_actions();
    if (!actions.empty()) {
        // What the announcer reads: fresh after every step, also the last before a stop.
        std::lock_guard lock(stats_mutex_);
        stats_ = session_->stats(Clock::now());
    }
    for (TorrentAction& a : actions) {
        switch (a.kind) {
            case TorrentAction::Kind::send: {
                const auto it = connections_.find(a.peer);
                if (it != connections_.end() && !it->second->closed) {
                    it->second->outbox.push_back(std::move(a.text));
                    it->second->wake.cancel();
                }
                break;
            }
            case TorrentAction::Kind::close: {
                const auto it = connections_.find(a.peer);
                if (it != connections_.end()) {
                    if (options_.on_note) {
                        options_.on_note(it->second->address + ": closing: " + a.text);
                    }
                    it->second->close();
                }
                break;
            }
            case TorrentAction::Kind::piece_written:
                if (options_.on_piece) {
                    options_.on_piece(a.piece);
                }
                break;
            case TorrentAction::Kind::metadata:
                if (options_.on_metadata) {
                    options_.on_metadata(a.text);
                }
                stop_when_done();
                break;
            case TorrentAction::Kind::complete:
                if (options_.on_complete) {
                    options_.on_complete();
                }
                stop_when_done();
                break;
            case TorrentAction::Kind::trace:
                if (options_.on_trace) {
                    const auto it = connections_.find(a.peer);
                    const std::string who =
                        a.peer == 0 ? "torrent"
                                    : (it != connections_.end() ? it->second->address
                                                                : "#" + std::to_string(a.peer));
                    options_.on_trace(who + ": " + a.text);
                }
                break;
            case TorrentAction::Kind::error:
                if (options_.on_fatal) {
                    options_.on_fatal(a.text);
                }
                stopping_ = true;
                if (options_.stop_runtime_when_done) {
                    runtime_.request_stop();
                }
                break;
        }
    }
}

void TorrentClient::stop_when_done() {
    if (!options_.seed_when_complete && options_.stop_runtime_when_done) {
        stopping_ = true;
        // Let what is queued leave first: the last "have" messages tell peers we are a seed.
        asio::post(io_, [this] { runtime_.request_stop(); });
    }
}

asio::awaitable<void> TorrentClient::tick_loop(net::Task& task) {
    asio::steady_timer timer(io_);
    auto guard = task.on_interrupt([&timer] { timer.cancel(); });
    auto next_progress = Clock::now();
    if (session_->complete()) {
        if (options_.on_complete) {
            options_.on_complete();
        }
        stop_when_done();
    }
    while (!task.draining()) {
        const auto now = Clock::now();
        session_->tick(now);
        for (auto& [key, c] : connections_) {
            if (c->write_started && now - *c->write_started > options_.write_timeout) {
                if (options_.on_note) {
                    options_.on_note(c->address + ": a write waited too long: closing");
                }
                c->close();
            }
        }
        dispatch();
        {
            std::lock_guard lock(stats_mutex_);
            stats_ = session_->stats(now);
        }
        if (now >= next_progress) {
            next_progress = now + std::chrono::seconds(1);
            if (options_.on_progress) {
                options_.on_progress(session_->stats(now));
            }
        }
        timer.expires_after(options_.tick);
        task.set_idle(true);
        co_await timer.async_wait(net::as_tuple_awaitable);
        task.set_idle(false);
    }
}

}  // namespace l7::p2p
