#include "p2p/asio/announcer.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include "core/endpoint.hpp"
#include "core/secure_random.hpp"
#include "core/unique_fd.hpp"
#include "http/asio/client.hpp"
#include "http/url.hpp"
#include "p2p/tracker_udp.hpp"

namespace l7::p2p {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> peer_texts(const std::vector<PeerAddress>& peers) {
    std::vector<std::string> out;
    out.reserve(peers.size());
    for (const PeerAddress& p : peers) {
        out.push_back(p.to_text());
    }
    return out;
}

AnnounceOutcome announce_http(const std::string& tracker, const AnnounceRequest& request,
                              std::chrono::milliseconds timeout, const std::string& local_address) {
    AnnounceOutcome out;
    auto url = http::parse_url(announce_request_url(tracker, request));
    if (!url) {
        out.error = tracker + ": " + url.error().message;
        return out;
    }
    http::ClientRequest req;
    req.url = *url;
    http::ClientOptions options;
    options.connect_timeout = timeout;
    options.timeout = timeout;
    options.local_address = local_address;
    std::string body;
    constexpr std::size_t kMaxBody = 1 << 20;  // a tracker's answer is a few KiB
    options.on_body = [&body](std::string_view bytes) {
        body.append(bytes);
        return body.size() <= kMaxBody;
    };
    auto response = http::fetch(req, options);
    if (!response) {
        out.error = tracker + ": " + response.error().message;
        return out;
    }
    if (response->response.status != 200) {
        out.error = tracker + ": HTTP status " + std::to_string(response->response.status);
        return out;
    }
    auto decoded = decode_announce_response(body);
    if (!decoded) {
        out.error = tracker + ": " + decoded.error().message;
        return out;
    }
    if (decoded->failure_reason) {
        out.error = tracker + ": the tracker refused: " + *decoded->failure_reason;
        return out;
    }
    out.ok = true;
    out.interval = decoded->interval;
    out.seeders = decoded->complete;
    out.leechers = decoded->incomplete;
    for (const TrackerPeer& p : decoded->peers) {
        out.peers.push_back(p.address.to_text());
    }
    return out;
}

// A UDP socket connected to the tracker, closed on scope exit.
struct UdpSocket {
    UniqueFd fd;
    AddressFamily family = AddressFamily::v4;
};

// One request and its answer (same transaction id), with BEP 15's doubling timeouts, but
// no more than `attempts` tries of at most `timeout` each.
Result<UdpResponse> udp_exchange(UdpSocket& sock, const std::string& packet,
                                 std::uint32_t transaction, std::chrono::milliseconds timeout,
                                 unsigned attempts) {
    std::string buffer(65536, '\0');
    for (unsigned attempt = 0; attempt < attempts; ++attempt) {
        const auto wait =
            std::min<std::chrono::milliseconds>(timeout, udp_retry_timeout(attempt).value_or(15s));
        if (::send(sock.fd.get(), packet.data(), packet.size(), 0) < 0) {
            return make_error(std::string("cannot send: ") + std::strerror(errno));
        }
        const auto deadline = std::chrono::steady_clock::now() + wait;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                break;
            }
            pollfd pfd{sock.fd.get(), POLLIN, 0};
            if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
                continue;
            }
            const ssize_t n = ::recv(sock.fd.get(), buffer.data(), buffer.size(), 0);
            if (n < 0) {
                return make_error(std::string("no answer: ") + std::strerror(errno));
            }
            auto response = decode_udp_response(
                std::string_view(buffer.data(), static_cast<std::size_t>(n)), sock.family);
            if (response && transaction_id(*response) == transaction) {
                return response;
            }
            // Another transaction's answer or garbage: keep waiting for ours.
        }
    }
    return make_error("no answer");
}

AnnounceOutcome announce_udp(const std::string& tracker, const AnnounceRequest& request,
                             std::chrono::milliseconds timeout, const std::string& local_address) {
    AnnounceOutcome out;
    // udp://HOST:PORT[/path]: BEP 41 carries the path; l7's tracker does not need it.
    std::string_view rest = std::string_view(tracker).substr(6);
    rest = rest.substr(0, rest.find('/'));
    auto hp = parse_host_port(rest);
    if (!hp) {
        out.error = tracker + ": " + hp.error().message;
        return out;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(hp->host.c_str(), std::to_string(hp->port).c_str(), &hints, &found) != 0 ||
        found == nullptr) {
        out.error = tracker + ": cannot resolve " + hp->host;
        return out;
    }
    UdpSocket sock;
    sock.family = found->ai_family == AF_INET6 ? AddressFamily::v6 : AddressFamily::v4;
    sock.fd.reset(::socket(found->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    bool bound = true;
    if (sock.fd.valid() && !local_address.empty()) {
        // From our own address, as the HTTP announce does (see AnnouncerOptions).
        addrinfo local_hints{};
        local_hints.ai_family = found->ai_family;
        local_hints.ai_socktype = SOCK_DGRAM;
        local_hints.ai_flags = AI_NUMERICHOST;
        addrinfo* local = nullptr;
        bound = ::getaddrinfo(local_address.c_str(), "0", &local_hints, &local) == 0 &&
                local != nullptr && ::bind(sock.fd.get(), local->ai_addr, local->ai_addrlen) == 0;
        if (local != nullptr) {
            ::freeaddrinfo(local);
        }
    }
    const bool connected = sock.fd.valid() && bound &&
                           ::connect(sock.fd.get(), found->ai_addr, found->ai_addrlen) == 0;
    ::freeaddrinfo(found);
    if (!connected) {
        out.error = tracker + ": " + std::strerror(errno);
        return out;
    }
    const unsigned attempts = request.event == AnnounceEvent::stopped ? 1 : 3;
    const auto connect_tx = static_cast<std::uint32_t>(secure_random64());
    auto connected_reply = udp_exchange(sock, encode_udp_request(UdpConnectRequest{connect_tx}),
                                        connect_tx, timeout, attempts);
    if (!connected_reply) {
        out.error = tracker + ": " + connected_reply.error().message;
        return out;
    }
    if (auto* e = std::get_if<UdpErrorResponse>(&*connected_reply)) {
        out.error = tracker + ": the tracker refused: " + e->message;
        return out;
    }
    const auto* c = std::get_if<UdpConnectResponse>(&*connected_reply);
    if (c == nullptr) {
        out.error = tracker + ": an answer that is not to a connect";
        return out;
    }
    const auto announce_tx = static_cast<std::uint32_t>(secure_random64());
    const UdpAnnounceRequest udp = to_udp_announce_request(
        request, c->connection_id, announce_tx, static_cast<std::uint32_t>(secure_random64()));
    auto reply = udp_exchange(sock, encode_udp_request(udp), announce_tx, timeout, attempts);
    if (!reply) {
        out.error = tracker + ": " + reply.error().message;
        return out;
    }
    if (auto* e = std::get_if<UdpErrorResponse>(&*reply)) {
        out.error = tracker + ": the tracker refused: " + e->message;
        return out;
    }
    const auto* a = std::get_if<UdpAnnounceResponse>(&*reply);
    if (a == nullptr) {
        out.error = tracker + ": an answer that is not to an announce";
        return out;
    }
    out.ok = true;
    out.interval = a->interval;
    out.seeders = a->seeders;
    out.leechers = a->leechers;
    out.peers = peer_texts(a->peers);
    return out;
}

}  // namespace

AnnounceOutcome announce_once(const std::string& tracker, const AnnounceRequest& request,
                              std::chrono::milliseconds timeout, const std::string& local_address) {
    if (tracker.starts_with("udp://")) {
        return announce_udp(tracker, request, timeout, local_address);
    }
    if (tracker.starts_with("http://")) {
        return announce_http(tracker, request, timeout, local_address);
    }
    AnnounceOutcome out;
    out.error = tracker + ": only http:// and udp:// trackers are supported";
    return out;
}

Announcer::Announcer(AnnouncerOptions options) : options_(std::move(options)) {}

Announcer::~Announcer() {
    if (thread_.joinable()) {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
}

void Announcer::start() {
    complete_at_start_ = complete();  // a seed never sends "completed"
    thread_ = std::thread([this] { run(); });
}

AnnounceOutcome Announcer::announce(AnnounceEvent event, std::chrono::milliseconds timeout) {
    AnnounceRequest request;
    request.info_hash = options_.info_hash;
    request.peer_id = options_.peer_id;
    request.port = options_.port;
    const DownloadStats s = options_.stats ? options_.stats() : DownloadStats{};
    request.uploaded = s.uploaded;
    request.downloaded = s.downloaded;
    request.left = s.bytes_left;
    request.event = event;
    request.numwant = event == AnnounceEvent::stopped ? 0 : options_.numwant;
    request.trackerid = tracker_id_;
    AnnounceOutcome last;
    // The tracker in use first, then the others in order.
    for (std::size_t i = 0; i < options_.trackers.size(); ++i) {
        const std::size_t index = (current_ + i) % options_.trackers.size();
        last = announce_once(options_.trackers[index], request, timeout, options_.local_address);
        if (options_.on_note) {
            const std::string what = event == AnnounceEvent::none
                                         ? std::string("announce")
                                         : "announce (" + std::string(to_text(event)) + ")";
            options_.on_note(last.ok ? what + " to " + options_.trackers[index] + ": " +
                                           std::to_string(last.peers.size()) + " peers, next in " +
                                           std::to_string(last.interval) + " s"
                                     : what + " failed: " + last.error);
        }
        if (last.ok) {
            current_ = index;
            return last;
        }
    }
    return last;
}

bool Announcer::complete() const {
    return options_.stats && options_.stats().bytes_left == 0;
}

void Announcer::run() {
    AnnounceEvent event = AnnounceEvent::started;
    bool was_complete = complete_at_start_;
    // A tracker that does not answer is tried again soon, then less and less often.
    std::chrono::seconds retry = 2s;
    for (;;) {
        const AnnounceOutcome outcome = announce(event, options_.timeout);
        std::chrono::nanoseconds wait;
        if (outcome.ok && event == AnnounceEvent::completed) {
            std::lock_guard lock(mutex_);
            completed_sent_ = true;
        }
        if (outcome.ok) {
            event = AnnounceEvent::none;
            retry = 2s;
            if (options_.on_peers && !outcome.peers.empty()) {
                options_.on_peers(outcome.peers);
            }
            wait = std::chrono::seconds(std::max<std::uint32_t>(outcome.interval, 1));
            if (options_.min_interval.count() > 0) {
                wait = std::min(wait, options_.min_interval);
            }
        } else {
            wait = retry;  // keep the event (started) until a tracker hears it
            retry = std::min<std::chrono::seconds>(retry * 2, 30min);
        }
        // Wait for the interval, waking each second to see the download complete.
        const auto until = std::chrono::steady_clock::now() + wait;
        std::unique_lock lock(mutex_);
        while (!stopping_ && std::chrono::steady_clock::now() < until) {
            wake_.wait_for(lock, 1s);
            lock.unlock();
            const bool now_complete = complete();
            lock.lock();
            if (now_complete && !was_complete) {
                was_complete = true;
                event = AnnounceEvent::completed;  // BEP 3: sent once, when it completes
                break;
            }
        }
        if (stopping_) {
            return;
        }
    }
}

void Announcer::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
    // A download that completed and ends at once has not told the tracker yet (BEP 3:
    // "completed" is sent when the download completes).
    if (!complete_at_start_ && !completed_sent_ && complete()) {
        announce(AnnounceEvent::completed, std::chrono::milliseconds(2000));
    }
    // "stopped" lets the tracker drop us now rather than after its expiry; a short try only.
    announce(AnnounceEvent::stopped, std::chrono::milliseconds(2000));
}

}  // namespace l7::p2p
