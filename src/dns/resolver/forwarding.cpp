#include "dns/resolver/forwarding.hpp"

#include <algorithm>
#include <map>

#include "dns/resolver/cache_walk.hpp"

namespace l7::dns {

Forwarding::Forwarding(Question question, ForwardContext& context, TimePoint now, bool refresh)
    : ctx_(context), question_(std::move(question)), started_(now) {
    response_.header.qr = true;
    response_.header.ra = true;
    response_.questions.push_back(question_);
    if (refresh) {
        return;
    }
    CacheWalk walk =
        walk_cache(ctx_.cache, question_.name, question_.type, now, ctx_.limits.max_cnames);
    if (walk.complete || walk.too_long) {
        response_.answers = std::move(walk.answers);
        response_.authority = std::move(walk.authority);
        finish(walk.too_long ? Rcode::SERVFAIL : walk.rcode);
    }
    // A partial chain is asked for whole: the forwarder follows it anyway.
}

void Forwarding::finish(Rcode rcode) {
    response_.set_rcode(rcode);
    done_ = true;
}

std::optional<UpstreamRequest> Forwarding::poll_request(TimePoint now) {
    if (done_ || in_flight_) {
        return std::nullopt;
    }
    if (now - started_ > ctx_.limits.deadline || queries_ >= ctx_.limits.max_queries) {
        finish(Rcode::SERVFAIL);
        return std::nullopt;
    }
    std::vector<std::string> candidates;
    for (const std::string& f : ctx_.forwarders) {
        // Each forwarder gets a second chance after a timeout (a lost datagram), with the
        // backed-off timeout; a refusal counts as both.
        if (std::count(failed_.begin(), failed_.end(), f) < 2) {
            candidates.push_back(f);
        }
    }
    if (candidates.empty()) {
        finish(Rcode::SERVFAIL);  // every forwarder failed
        return std::nullopt;
    }
    const std::uint64_t r = ctx_.random();
    UpstreamRequest req;
    req.token = next_token_++;
    req.server = candidates[ctx_.upstream.choose(candidates, now,
                                                 static_cast<double>(r % 1000000) / 1000000.0)];
    if (retry_server_ &&
        std::find(candidates.begin(), candidates.end(), *retry_server_) != candidates.end()) {
        req.server = *retry_server_;
    }
    retry_server_.reset();
    req.tcp = tcp_;
    req.timeout = ctx_.upstream.timeout(req.server, now);
    Message& q = req.query;
    q.header.id = static_cast<std::uint16_t>(r >> 32);
    q.header.rd = true;
    q.questions.push_back(question_);
    if (edns_) {
        Edns e;
        e.udp_size = 1232;
        q.edns = e;
    }
    sent_ = {req.server, q.header.id, question_};
    sent_at_ = now;
    in_flight_ = req.token;
    ++queries_;
    return req;
}

void Forwarding::on_reply(std::uint64_t token, const std::string& from, const Message& reply,
                          TimePoint now) {
    if (!in_flight_ || *in_flight_ != token || !reply_matches(sent_, from, reply)) {
        return;
    }
    in_flight_.reset();
    ctx_.upstream.record_reply(
        sent_.server, std::chrono::duration_cast<std::chrono::microseconds>(now - sent_at_), now);
    if (reply.header.tc && !tcp_) {
        tcp_ = true;
        retry_server_ = sent_.server;
        return;
    }
    tcp_ = false;
    const Rcode rcode = reply.rcode();
    if (rcode == Rcode::FORMERR && edns_) {
        edns_ = false;
        retry_server_ = sent_.server;
        return;
    }
    if (rcode != Rcode::NOERROR && rcode != Rcode::NXDOMAIN) {
        // SERVFAIL, REFUSED: another forwarder may do better; this one is done.
        failed_.insert(failed_.end(), 2, sent_.server);
        return;
    }
    accept(reply, now);
}

void Forwarding::accept(const Message& reply, TimePoint now) {
    // Keep the chain from the question's name only: CNAMEs, then the answer (RFC 5452 6).
    Name sname = question_.name;
    std::vector<ResourceRecord> chain;
    for (int hop = 0; hop <= ctx_.limits.max_cnames; ++hop) {
        bool moved = false;
        bool answered = false;
        for (const ResourceRecord& rr : reply.answers) {
            if (!(rr.owner == sname)) {
                continue;
            }
            if (rr.type == question_.type || question_.type == RRType::ANY) {
                chain.push_back(rr);
                answered = true;
            } else if (rr.type == RRType::CNAME && !moved && !answered) {
                chain.push_back(rr);
                auto target = Name::from_wire(std::string_view(
                    reinterpret_cast<const char*>(rr.rdata.data()), rr.rdata.size()));
                if (target) {
                    sname = std::move(*target);
                    moved = true;
                }
            }
        }
        if (!moved || answered) {
            break;
        }
    }
    std::map<std::pair<std::string, std::uint16_t>, std::vector<const ResourceRecord*>> sets;
    for (const ResourceRecord& rr : chain) {
        sets[{rr.owner.lowercased().to_text(), to_int(rr.type)}].push_back(&rr);
    }
    for (const auto& [key, records] : sets) {
        std::uint32_t ttl = records.front()->ttl;
        std::vector<Bytes> rdatas;
        for (const ResourceRecord* rr : records) {
            ttl = std::min(ttl, rr->ttl);
            rdatas.push_back(rr->rdata);
        }
        ctx_.cache.put(records.front()->owner, records.front()->type, std::move(rdatas), ttl,
                       Trust::answer, now);
    }
    const bool answered = std::any_of(chain.begin(), chain.end(), [&](const ResourceRecord& rr) {
        return rr.type == question_.type || question_.type == RRType::ANY;
    });
    const auto soa = std::find_if(reply.authority.begin(), reply.authority.end(),
                                  [](const ResourceRecord& rr) { return rr.type == RRType::SOA; });
    const Rcode rcode = reply.rcode();
    if (!answered && soa != reply.authority.end() && sname.is_subdomain_of(soa->owner)) {
        // RFC 2308: NXDOMAIN for the whole name, NODATA for the type.
        ctx_.cache.put_negative(sname, question_.type, rcode, *soa, now);
        response_.authority.push_back(*soa);
    }
    response_.answers = std::move(chain);
    finish(rcode);
}

void Forwarding::on_timeout(std::uint64_t token, TimePoint now) {
    if (!in_flight_ || *in_flight_ != token) {
        return;
    }
    in_flight_.reset();
    ctx_.upstream.record_timeout(sent_.server, now);
    failed_.push_back(sent_.server);
    tcp_ = false;
}

}  // namespace l7::dns
