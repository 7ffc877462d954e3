#include "link/link_model.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace l7::link {

namespace {

// Heap order: std::push_heap keeps the greatest on top, so "greater" puts the earliest first.
struct LaterFirst {
    template <class P>
    bool operator()(const P& a, const P& b) const {
        return a.due != b.due ? a.due > b.due : a.seq > b.seq;
    }
};

}  // namespace

LinkModel::LinkModel(Mode mode, FlowParams params, std::shared_ptr<Wire> wire)
    : mode_(mode), params_(params), wire_(std::move(wire)) {
    params_.segment_bytes = std::max<std::size_t>(params_.segment_bytes, 1);
}

Duration LinkModel::propagation(double jitter_draw) const {
    const double u = std::clamp(jitter_draw, 0.0, 1.0);
    const auto offset = static_cast<Duration::rep>(
        std::llround((2 * u - 1) * static_cast<double>(params_.jitter.count())));
    return std::max(Duration(0), params_.delay + Duration(offset));
}

TimePoint LinkModel::enqueue(TimePoint sent, Duration propagation, std::string bytes, bool fin) {
    TimePoint due = sent + propagation;
    if (mode_ == Mode::stream) {
        // TCP delivers in order: jitter may delay a segment, never let it overtake.
        due = std::max(due, last_due_);
        last_due_ = due;
    }
    held_bytes_ += bytes.size();
    pending_.push_back(Pending{due, next_seq_++, std::move(bytes), fin});
    std::push_heap(pending_.begin(), pending_.end(), LaterFirst{});
    return due;
}

PushResult LinkModel::push(TimePoint now, std::string_view bytes, Draws draws) {
    return mode_ == Mode::datagram ? push_datagram(now, bytes, draws)
                                   : push_stream(now, bytes, draws);
}

PushResult LinkModel::push_datagram(TimePoint now, std::string_view bytes, Draws draws) {
    wire_->count_offered(bytes.size(), 1);
    if (draws.loss < params_.loss) {
        wire_->count_lost();
        return {Verdict::lost};
    }
    // The flow's own bound first: one flow must not fill memory behind a long delay even when
    // the wire is fast. A flow holding nothing takes any one datagram.
    const bool over_held = held_bytes_ != 0 && held_bytes_ + bytes.size() > params_.max_held_bytes;
    if (over_held || pending_.size() >= params_.max_chunks) {
        wire_->count_dropped();
        return {Verdict::dropped};
    }
    const auto sent = wire_->transmit_if_fits(now, bytes.size());
    if (!sent) {
        wire_->count_dropped();
        return {Verdict::dropped};
    }
    return {Verdict::accepted,
            enqueue(*sent, propagation(draws.jitter), std::string(bytes), false)};
}

PushResult LinkModel::push_stream(TimePoint now, std::string_view bytes, Draws draws) {
    assert(!fin_pushed_ && "push after push_fin");
    if (fin_pushed_) {
        return {Verdict::dropped};
    }
    if (bytes.empty()) {
        return {Verdict::accepted, std::max(last_due_, now)};
    }
    // One jitter draw per push: the segments of one read share it (they could not overtake
    // one another anyway).
    const Duration prop = propagation(draws.jitter);
    // An unlimited wire takes the read whole; a rate-limited one sees TCP-sized segments.
    const std::size_t piece = wire_->params().rate_bps == 0 ? bytes.size() : params_.segment_bytes;
    std::size_t packets = 0;
    TimePoint due{};
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
        const std::string_view part = bytes.substr(at, piece);
        due = enqueue(wire_->transmit(now, part.size()), prop, std::string(part), false);
        ++packets;
    }
    wire_->count_offered(bytes.size(), packets);
    return {Verdict::accepted, due};
}

TimePoint LinkModel::push_fin(TimePoint now, double jitter_draw) {
    assert(mode_ == Mode::stream && !fin_pushed_ && "push_fin twice or on a datagram flow");
    if (fin_pushed_) {
        return last_due_;
    }
    fin_pushed_ = true;
    // The FIN rides behind the data on the wire but takes no transmission time itself.
    return enqueue(wire_->transmit(now, 0), propagation(jitter_draw), std::string(), true);
}

std::size_t LinkModel::room(TimePoint now) {
    if (fin_pushed_ || pending_.size() >= params_.max_chunks ||
        held_bytes_ >= params_.max_held_bytes) {
        return 0;
    }
    const std::size_t held_room = params_.max_held_bytes - held_bytes_;
    return std::min(held_room, wire_->room(now, params_.segment_bytes));
}

std::optional<TimePoint> LinkModel::next_room_check() const {
    return wire_->next_departure();
}

std::optional<Chunk> LinkModel::poll_deliver(TimePoint now) {
    if (pending_.empty() || pending_.front().due > now) {
        return std::nullopt;
    }
    std::pop_heap(pending_.begin(), pending_.end(), LaterFirst{});
    Pending p = std::move(pending_.back());
    pending_.pop_back();
    held_bytes_ -= p.bytes.size();
    if (!p.fin) {
        wire_->count_delivered(p.bytes.size());
    }
    return Chunk{std::move(p.bytes), p.fin};
}

std::optional<TimePoint> LinkModel::next_deadline() const {
    if (pending_.empty()) {
        return std::nullopt;
    }
    return pending_.front().due;
}

}  // namespace l7::link
