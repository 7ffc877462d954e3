#pragma once
// Whole swarms in memory for the session tests: sessions wired to each other by a harness
// that carries each send action to the other end and runs simulated time; raw peers (bytes
// made by hand) for hostile input.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "p2p/metadata_session.hpp"
#include "p2p/torrent_session.hpp"

namespace l7::p2p::test {

using namespace std::chrono_literals;

constexpr std::uint32_t kPieceLength = 32 * 1024;

// Pieces in memory; `corrupt` makes it serve wrong bytes (a lying peer).
class MemoryStore : public PieceStore {
  public:
    MemoryStore(std::uint64_t total, bool full, const std::string& content)
        : data_(full ? content : std::string(total, '\0')) {}

    Result<std::string> read(std::uint32_t piece, std::uint32_t begin,
                             std::uint32_t length) override {
        std::string out = data_.substr(std::uint64_t{piece} * kPieceLength + begin, length);
        if (corrupt) {
            out[0] = static_cast<char>(out[0] ^ 0x55);
        }
        return out;
    }
    std::optional<Error> write_piece(std::uint32_t piece, std::string_view data) override {
        if (refuse_writes) {
            return make_error("disk full");
        }
        data_.replace(std::uint64_t{piece} * kPieceLength, data.size(), data);
        ++writes;
        return std::nullopt;
    }

    const std::string& data() const { return data_; }
    bool corrupt = false;
    bool refuse_writes = false;
    int writes = 0;

  private:
    std::string data_;
};

inline std::string make_content(std::size_t size) {
    std::mt19937 gen(7);
    std::string s(size, '\0');
    for (char& c : s) {
        c = static_cast<char>(gen());
    }
    return s;
}

struct Node {
    std::unique_ptr<MemoryStore> store;      // none for a magnet node
    std::unique_ptr<SwarmProtocol> session;  // a TorrentSession, or a MetadataSession
    MetadataSession* magnet = nullptr;       // the MetadataSession, for a magnet node
    std::vector<TorrentAction> seen;         // every action but send
};

class Swarm {
  public:
    // The torrent's metadata (its "info dictionary", here any bytes) is `metadata_size`
    // bytes; the info-hash is their SHA-1, as BEP 9 needs.
    Swarm(std::size_t size, TorrentLimits limits = {}, std::size_t metadata_size = 1000)
        : content_(make_content(size)) {
        identity_.layout = *PieceLayout::make(size, kPieceLength);
        identity_.metadata = make_content(metadata_size + 1).substr(1);
        identity_.info_hash = sha1(identity_.metadata);
        for (std::uint32_t i = 0; i < identity_.layout.piece_count(); ++i) {
            identity_.piece_hashes.push_back(sha1(std::string_view(content_).substr(
                std::uint64_t{i} * kPieceLength, identity_.layout.piece_size(i))));
        }
        limits_ = limits;
    }

    // `metadata`: what the node offers magnet peers instead of the true metadata.
    std::size_t add(bool seed, TorrentLimits limits,
                    std::optional<std::string> metadata = std::nullopt) {
        Node n;
        n.store = std::make_unique<MemoryStore>(content_.size(), seed, content_);
        TorrentIdentity id = identity_;
        if (metadata) {
            id.metadata = *metadata;
        }
        id.peer_id.fill(static_cast<std::uint8_t>('A' + nodes_.size()));
        const std::uint32_t seed_value = static_cast<std::uint32_t>(nodes_.size() + 1);
        auto gen = std::make_shared<std::mt19937>(seed_value);
        Bitfield have(identity_.layout.piece_count(), seed);
        n.session = std::make_unique<TorrentSession>(
            id, *n.store, limits, [gen] { return static_cast<std::uint32_t>((*gen)()); }, now_,
            have);
        n.session->set_trace(true);
        nodes_.push_back(std::move(n));
        return nodes_.size() - 1;
    }
    std::size_t add(bool seed) { return add(seed, limits_); }

    // A node that knows only the info-hash (a magnet link) and fetches the metadata.
    std::size_t add_magnet(MetadataLimits limits = {}) {
        Node n;
        PeerId id{};
        id.fill(static_cast<std::uint8_t>('A' + nodes_.size()));
        auto session = std::make_unique<MetadataSession>(identity_.info_hash, id, limits, now_);
        n.magnet = session.get();
        n.session = std::move(session);
        n.session->set_trace(true);
        nodes_.push_back(std::move(n));
        return nodes_.size() - 1;
    }

    // Connects a to b (a initiates).
    void connect(std::size_t a, std::size_t b) {
        const PeerKey ka = *nodes_[a].session->add_peer(true, "10.0.0." + std::to_string(b), now_);
        const PeerKey kb = *nodes_[b].session->add_peer(false, "10.0.0." + std::to_string(a), now_);
        links_[{a, ka}] = {b, kb};
        links_[{b, kb}] = {a, ka};
    }

    // Delivers every action until all are quiet, then advances the time by `step`.
    void run(Duration total, Duration step = 100ms) {
        for (Duration t{}; t < total; t += step) {
            pump();
            now_ += step;
            for (auto& n : nodes_) {
                n.session->tick(now_);
            }
            pump();
            if (done_when_ && done_when_()) {
                return;
            }
        }
    }

    void pump() {
        for (int round = 0; round < 10000; ++round) {
            bool any = false;
            for (std::size_t i = 0; i < nodes_.size(); ++i) {
                for (TorrentAction& a : nodes_[i].session->take_actions()) {
                    any = true;
                    deliver(i, a);
                }
            }
            if (!any) {
                return;
            }
        }
        FAIL() << "the swarm never went quiet";
    }

    void deliver(std::size_t from, TorrentAction& a) {
        const auto link = links_.find({from, a.peer});
        if (a.kind == TorrentAction::Kind::send) {
            nodes_[from].session->flushed(a.peer, a.text.size(), now_);
            if (link != links_.end() && !closed_.contains({from, a.peer})) {
                nodes_[link->second.first].session->receive(link->second.second, a.text, now_);
            } else if (link == links_.end()) {
                raw_sent_[{from, a.peer}] += a.text;
            }
            return;
        }
        nodes_[from].seen.push_back(a);
        if (a.kind == TorrentAction::Kind::close && link != links_.end()) {
            closed_.insert({from, a.peer});
            closed_.insert(link->second);
            nodes_[from].session->peer_closed(a.peer, now_);
            nodes_[link->second.first].session->peer_closed(link->second.second, now_);
        }
    }

    // Feeds raw bytes to node `to` as peer `key` (a hand-made peer).
    PeerKey raw_peer(std::size_t to, const std::string& address = "10.9.9.9:1") {
        return *nodes_[to].session->add_peer(false, address, now_);
    }

    // What node `from` sent a raw peer.
    const std::string& raw_sent(std::size_t from, PeerKey key) { return raw_sent_[{from, key}]; }

    Node& node(std::size_t i) { return nodes_[i]; }
    const std::string& content() const { return content_; }
    const TorrentIdentity& identity() const { return identity_; }
    TimePoint now() const { return now_; }
    void done_when(std::function<bool()> f) { done_when_ = std::move(f); }

    bool saw(std::size_t i, TorrentAction::Kind kind, const std::string& text_part = {}) const {
        for (const auto& a : nodes_[i].seen) {
            if (a.kind == kind && a.text.find(text_part) != std::string::npos) {
                return true;
            }
        }
        return false;
    }

  private:
    std::string content_;
    TorrentIdentity identity_;
    TorrentLimits limits_;
    std::vector<Node> nodes_;
    std::map<std::pair<std::size_t, PeerKey>, std::pair<std::size_t, PeerKey>> links_;
    std::set<std::pair<std::size_t, PeerKey>> closed_;
    std::map<std::pair<std::size_t, PeerKey>, std::string> raw_sent_;
    TimePoint now_{std::chrono::hours(1)};
    std::function<bool()> done_when_;
};

}  // namespace l7::p2p::test
