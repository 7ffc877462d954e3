#include "dns/resolver/resolution.hpp"

#include <algorithm>
#include <map>

#include "dns/rdata.hpp"
#include "dns/resolver/cache_walk.hpp"

namespace l7::dns {
namespace {

std::string endpoint_of(std::span<const std::uint8_t> address_rdata, std::uint16_t port) {
    char buf[64];
    if (address_rdata.size() == 4) {
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u:%u", address_rdata[0], address_rdata[1],
                      address_rdata[2], address_rdata[3], port);
        return buf;
    }
    const std::string text = rdata_to_text(RRType::AAAA, address_rdata);
    return "[" + text + "]:" + std::to_string(port);
}

Name name_from(std::span<const std::uint8_t> wire) {
    return *Name::from_wire(
        std::string_view(reinterpret_cast<const char*>(wire.data()), wire.size()));
}

std::string question_text(const Name& n, RRType t) {
    return n.to_text() + " " + type_to_text(t);
}

}  // namespace

Resolution::Resolution(Question question, ResolverContext& context, TimePoint now, bool refresh)
    : ctx_(context), question_(std::move(question)), started_(now) {
    Frame f;
    f.sname = question_.name;
    f.qtype = question_.type;
    f.refresh = refresh;
    frames_.push_back(std::move(f));
    response_.header.qr = true;
    response_.header.ra = true;
    response_.questions.push_back(question_);
}

void Resolution::cache_records(const std::vector<ResourceRecord>& records, Trust trust,
                               TimePoint now) {
    // One RRset per owner and type; its TTL is the smallest of its records (RFC 2181 5.2).
    std::map<std::pair<std::string, std::uint16_t>, std::pair<std::uint32_t, std::vector<Bytes>>>
        sets;
    std::map<std::pair<std::string, std::uint16_t>, Name> owners;
    for (const ResourceRecord& rr : records) {
        const auto key = std::make_pair(rr.owner.lowercased().to_text(), to_int(rr.type));
        auto [it, fresh] = sets.try_emplace(key, rr.ttl, std::vector<Bytes>{});
        it->second.first = std::min(it->second.first, rr.ttl);
        it->second.second.push_back(rr.rdata);
        owners.try_emplace(key, rr.owner);
    }
    for (auto& [key, set] : sets) {
        ctx_.cache.put(owners.at(key), static_cast<RRType>(key.second), std::move(set.second),
                       set.first, trust, now);
    }
}

void Resolution::step(std::string outcome, TimePoint now) {
    steps_.push_back({sent_.server, frames_.back().zone.to_text(),
                      question_text(sent_.question.name, sent_.question.type), std::move(outcome),
                      std::chrono::duration_cast<std::chrono::microseconds>(now - sent_at_)});
}

bool Resolution::from_cache(Frame& f, TimePoint now) {
    if (f.refresh) {
        f.refresh = false;  // a prefetch: the cached answer is what it replaces
        return false;
    }
    CacheWalk walk =
        walk_cache(ctx_.cache, f.sname, f.qtype, now, ctx_.limits.max_cnames - f.cnames);
    f.cnames += walk.cnames;
    f.sname = std::move(walk.sname);
    f.answers.insert(f.answers.end(), std::make_move_iterator(walk.answers.begin()),
                     std::make_move_iterator(walk.answers.end()));
    if (walk.too_long) {
        fail(f, Rcode::SERVFAIL);
        return true;
    }
    if (!walk.complete) {
        return false;
    }
    f.rcode = walk.rcode;
    f.authority = std::move(walk.authority);
    f.finished = true;
    return true;
}

void Resolution::find_servers(Frame& f, TimePoint now) {
    f.servers.clear();
    f.failed.clear();
    f.timed_out.clear();
    // The closest enclosing zone whose name servers the cache knows (RFC 1034 5.3.3 step 2).
    for (Name zone = f.sname;; zone = zone.parent()) {
        auto ns = ctx_.cache.get(zone, RRType::NS, now);
        if (ns && !ns->negative && !ns->rdatas.empty()) {
            std::vector<Server> servers;
            bool any_address = false;
            for (const Bytes& r : ns->rdatas) {
                Server s{name_from(r), {}, false};
                for (RRType t : {RRType::A, RRType::AAAA}) {
                    if (auto a = ctx_.cache.get(s.name, t, now); a && !a->negative) {
                        for (const Bytes& addr : a->rdatas) {
                            s.endpoints.push_back(endpoint_of(addr, ctx_.upstream_port));
                        }
                    }
                }
                any_address = any_address || !s.endpoints.empty();
                servers.push_back(std::move(s));
            }
            // A delegation whose servers' addresses are all unknown is still usable when the
            // addresses can be looked up, unless that lookup would start inside the zone.
            const bool lookup_possible =
                std::any_of(servers.begin(), servers.end(),
                            [&](const Server& s) { return !s.name.is_subdomain_of(zone); });
            if (any_address || lookup_possible) {
                f.zone = zone;
                f.servers = std::move(servers);
                return;
            }
        }
        if (zone.is_root()) {
            break;
        }
    }
    f.zone = Name();
    for (const RootServer& r : ctx_.hints.servers) {
        Server s{r.name, {}, true};
        for (const HostPort& hp : r.addresses) {
            s.endpoints.push_back(hp.to_string());
        }
        f.servers.push_back(std::move(s));
    }
}

void Resolution::start(Frame& f, TimePoint now) {
    f.need_start = false;
    if (from_cache(f, now)) {
        return;
    }
    find_servers(f, now);
}

void Resolution::fail(Frame& f, Rcode rcode) {
    f.rcode = rcode;
    f.finished = true;
}

std::vector<std::string> Resolution::endpoints_to_ask(const Frame& f, int max_timeouts) const {
    std::vector<std::string> out;
    for (const Server& s : f.servers) {
        for (const std::string& e : s.endpoints) {
            if (std::find(f.failed.begin(), f.failed.end(), e) == f.failed.end() &&
                std::count(f.timed_out.begin(), f.timed_out.end(), e) <= max_timeouts) {
                out.push_back(e);
            }
        }
    }
    return out;
}

bool Resolution::look_up_a_server(Frame& f) {
    for (std::size_t i = 0; i < f.servers.size(); ++i) {
        Server& s = f.servers[i];
        if (s.looked_up || !s.endpoints.empty()) {
            continue;
        }
        s.looked_up = true;
        if (static_cast<int>(frames_.size()) > ctx_.limits.max_depth ||
            s.name.is_subdomain_of(f.zone)) {
            continue;  // would need itself: a delegation without the glue it requires
        }
        f.waiting_for = i;
        Frame sub;
        sub.sname = s.name;
        sub.qtype = RRType::A;
        frames_.push_back(std::move(sub));
        return true;
    }
    return false;
}

std::optional<UpstreamRequest> Resolution::next_query(Frame& f, TimePoint now) {
    // Every address not yet tried first, then the addresses of glueless name servers, and only
    // then, with a backed-off timeout, the servers that timed out: a datagram may get lost
    // (RFC 1035 section 4.2.1), and a zone with one server would otherwise fail on the first.
    std::vector<std::string> candidates = endpoints_to_ask(f, 0);
    if (candidates.empty()) {
        if (look_up_a_server(f)) {
            return std::nullopt;  // advance() goes on with the new frame
        }
        candidates = endpoints_to_ask(f, ctx_.limits.tries_per_server - 1);
    }
    if (candidates.empty()) {
        fail(f, Rcode::SERVFAIL);
        return std::nullopt;
    }
    if (queries_ >= ctx_.limits.max_queries) {
        fail(f, Rcode::SERVFAIL);
        return std::nullopt;
    }
    const std::uint64_t r = ctx_.random();
    const std::size_t pick =
        ctx_.upstream.choose(candidates, now, static_cast<double>(r % 1000000) / 1000000.0);
    UpstreamRequest req;
    req.token = next_token_++;
    req.server = candidates[pick];
    if (f.retry_server &&
        std::find(candidates.begin(), candidates.end(), *f.retry_server) != candidates.end()) {
        req.server = *f.retry_server;  // the same server, over TCP or without EDNS
    }
    f.retry_server.reset();
    // RFC 9156: show each server only one label more than the zone it serves, as type A,
    // until the full name is reached (or too many steps were taken).
    Name ask = f.sname;
    RRType ask_type = f.qtype;
    const std::size_t labels = f.zone.label_count() + f.extra_labels;
    if (ctx_.limits.qname_minimisation && labels < f.sname.label_count() &&
        f.minimised < ctx_.limits.max_minimised) {
        ask = f.sname.suffix(labels);
        ask_type = RRType::A;
        ++f.minimised;
    }
    req.tcp = f.tcp;
    req.timeout = ctx_.upstream.timeout(req.server, now);
    Message& q = req.query;
    q.header.id = static_cast<std::uint16_t>(r >> 32);
    const Name spelled = randomize_case(ask, ctx_.random);
    q.questions.push_back({spelled, ask_type, RRClass::IN});
    sent_name_ = ask;
    if (f.edns) {
        Edns e;
        e.udp_size = 1232;
        q.edns = e;
    }
    sent_ = {req.server, q.header.id, q.questions.front()};
    sent_at_ = now;
    in_flight_ = req.token;
    ++queries_;
    return req;
}

void Resolution::handle(Frame& f, Message reply, TimePoint now) {
    ctx_.upstream.record_reply(
        sent_.server, std::chrono::duration_cast<std::chrono::microseconds>(now - sent_at_), now);
    if (reply.header.tc && !f.tcp) {
        f.tcp = true;  // RFC 7766 section 5: the whole answer over TCP
        f.retry_server = sent_.server;
        step("truncated, again over TCP", now);
        return;
    }
    f.tcp = false;
    const Rcode rcode = reply.rcode();
    if (rcode == Rcode::FORMERR && f.edns) {
        f.edns = false;  // an old server: ask again without EDNS
        f.retry_server = sent_.server;
        step("FORMERR, again without EDNS", now);
        return;
    }
    if (rcode != Rcode::NOERROR && rcode != Rcode::NXDOMAIN) {
        f.failed.push_back(sent_.server);
        step(rcode_to_text(rcode) + ", trying another server", now);
        return;
    }
    scrub(reply, f.zone, f.sname);
    const bool aa = reply.header.aa;
    if (!(sent_name_ == f.sname)) {
        // The answer to a minimised query (RFC 9156 section 3).
        if (rcode == Rcode::NXDOMAIN) {
            // RFC 8020: nothing exists below a name that does not exist.
            const auto soa =
                std::find_if(reply.authority.begin(), reply.authority.end(),
                             [](const ResourceRecord& rr) { return rr.type == RRType::SOA; });
            if (soa != reply.authority.end()) {
                ctx_.cache.put_negative(sent_name_, RRType::ANY, Rcode::NXDOMAIN, *soa, now);
                f.authority = {*soa};
            }
            f.rcode = Rcode::NXDOMAIN;
            f.finished = true;
            step("NXDOMAIN for " + sent_name_.to_text() + ", so for everything below it", now);
            return;
        }
        const bool referral =
            !aa && std::any_of(reply.authority.begin(), reply.authority.end(),
                               [&](const ResourceRecord& rr) {
                                   return rr.type == RRType::NS && rr.owner == sent_name_;
                               });
        if (!referral) {
            ++f.extra_labels;  // no zone cut there: show one label more
            step(sent_name_.to_text() + " is no zone cut: one label more", now);
            return;
        }
        // A referral: handled below, as for the full name.
    }
    // Answers: the record asked for, or a CNAME to follow (possibly already followed here).
    bool answered = false;
    bool moved = false;
    for (int hop = 0; hop <= ctx_.limits.max_cnames && !answered; ++hop) {
        std::vector<ResourceRecord> found;
        std::optional<ResourceRecord> cname;
        std::optional<ResourceRecord> dname;
        for (const ResourceRecord& rr : reply.answers) {
            if (rr.type == RRType::DNAME && f.sname.is_subdomain_of(rr.owner) &&
                !(rr.owner == f.sname)) {
                dname = rr;  // RFC 6672: the whole subtree below rr.owner is renamed
                continue;
            }
            if (!(rr.owner == f.sname)) {
                continue;
            }
            if (rr.type == f.qtype || f.qtype == RRType::ANY) {
                found.push_back(rr);
            } else if (rr.type == RRType::CNAME) {
                cname = rr;
            }
        }
        if (!found.empty()) {
            for (ResourceRecord& rr : found) {
                rr.owner = f.sname;  // our spelling, not the 0x20 one the server echoed
            }
            cache_records(found, aa ? Trust::answer_auth : Trust::answer, now);
            f.answers.insert(f.answers.end(), found.begin(), found.end());
            answered = true;
            break;
        }
        if (dname) {
            // Synthesize the CNAME ourselves (RFC 6672 section 3.2) rather than take the
            // server's: the name below the DNAME owner moved under the DNAME target, and the
            // server's copy would carry our query's 0x20 spelling into the target.
            auto target = f.sname.replace_suffix(dname->owner, name_from(dname->rdata));
            if (!target) {
                step("DNAME makes the name too long", now);
                fail(f, Rcode::YXDOMAIN);
                return;
            }
            cache_records({*dname}, aa ? Trust::answer_auth : Trust::answer, now);
            f.answers.push_back(*dname);
            cname = ResourceRecord{f.sname, RRType::CNAME, RRClass::IN, dname->ttl,
                                   Bytes(target->wire().begin(), target->wire().end())};
            f.answers.push_back(*cname);
            f.sname = std::move(*target);
            moved = true;
            if (++f.cnames > ctx_.limits.max_cnames) {
                step("too many CNAMEs", now);
                fail(f, Rcode::SERVFAIL);
                return;
            }
            continue;
        }
        if (!cname) {
            break;
        }
        cname->owner = f.sname;
        cache_records({*cname}, aa ? Trust::answer_auth : Trust::answer, now);
        f.answers.push_back(*cname);
        f.sname = name_from(cname->rdata);
        moved = true;
        if (++f.cnames > ctx_.limits.max_cnames) {
            step("too many CNAMEs", now);
            fail(f, Rcode::SERVFAIL);
            return;
        }
    }
    if (answered) {
        step(f.answers.size() > 1 ? "answer (after CNAME)" : "answer", now);
        f.finished = true;
        return;
    }
    const auto soa = std::find_if(reply.authority.begin(), reply.authority.end(),
                                  [](const ResourceRecord& rr) { return rr.type == RRType::SOA; });
    if (rcode == Rcode::NXDOMAIN && !moved) {
        if (soa != reply.authority.end()) {
            ctx_.cache.put_negative(f.sname, f.qtype, Rcode::NXDOMAIN, *soa, now);
            f.authority = {*soa};
        }
        f.rcode = Rcode::NXDOMAIN;
        f.finished = true;
        step("NXDOMAIN", now);
        return;
    }
    if (moved) {
        // The CNAME's target is elsewhere: resolve it from the top (of what the cache knows).
        step("CNAME to " + f.sname.to_text(), now);
        f.need_start = true;
        return;
    }
    // A referral: NS records for a zone between the one asked and the name.
    std::vector<ResourceRecord> ns;
    for (const ResourceRecord& rr : reply.authority) {
        if (rr.type == RRType::NS && rr.owner.is_subdomain_of(f.zone) && !(rr.owner == f.zone)) {
            ns.push_back(rr);
        }
    }
    if (!aa && !ns.empty()) {
        if (++f.referrals > ctx_.limits.max_referrals) {
            step("too many referrals", now);
            fail(f, Rcode::SERVFAIL);
            return;
        }
        cache_records(ns, Trust::referral, now);
        cache_records(reply.additional, Trust::glue, now);
        // The cut in our spelling: the ancestor of the name with as many labels.
        const Name cut = f.sname.suffix(ns.front().owner.label_count());
        step("referral to " + cut.to_text() + " (" + std::to_string(ns.size()) +
                 (ns.size() == 1 ? " server)" : " servers)"),
             now);
        f.zone = cut;
        f.extra_labels = 1;
        f.servers.clear();
        f.failed.clear();
        f.timed_out.clear();
        for (const ResourceRecord& rr : ns) {
            Server s{name_from(rr.rdata), {}, false};
            for (const ResourceRecord& a : reply.additional) {
                if (a.owner == s.name && (a.type == RRType::A || a.type == RRType::AAAA)) {
                    s.endpoints.push_back(endpoint_of(a.rdata, ctx_.upstream_port));
                }
            }
            f.servers.push_back(std::move(s));
        }
        return;
    }
    if (aa) {
        // NODATA (RFC 2308 section 2.2).
        if (soa != reply.authority.end()) {
            ctx_.cache.put_negative(f.sname, f.qtype, Rcode::NOERROR, *soa, now);
            f.authority = {*soa};
        }
        f.finished = true;
        step("no data", now);
        return;
    }
    // Neither answer nor referral nor authority: a lame server.
    f.failed.push_back(sent_.server);
    step("lame (no answer, no referral), trying another server", now);
}

void Resolution::finish_frame(TimePoint now) {
    Frame done = std::move(frames_.back());
    frames_.pop_back();
    if (frames_.empty()) {
        response_.set_rcode(done.rcode);
        response_.answers = std::move(done.answers);
        response_.authority = std::move(done.authority);
        done_ = true;
        return;
    }
    Frame& parent = frames_.back();
    if (parent.waiting_for) {
        Server& s = parent.servers[*parent.waiting_for];
        for (const ResourceRecord& rr : done.answers) {
            if (rr.type == RRType::A || rr.type == RRType::AAAA) {
                s.endpoints.push_back(endpoint_of(rr.rdata, ctx_.upstream_port));
            }
        }
        parent.waiting_for.reset();
    }
    (void)now;
}

void Resolution::advance(TimePoint now) {
    while (!frames_.empty() && !in_flight_) {
        Frame& f = frames_.back();
        if (now - started_ > ctx_.limits.deadline) {
            fail(f, Rcode::SERVFAIL);
        }
        if (f.finished) {
            finish_frame(now);
            continue;
        }
        if (f.need_start) {
            start(f, now);
            continue;
        }
        return;  // ready to query
    }
}

std::optional<UpstreamRequest> Resolution::poll_request(TimePoint now) {
    while (!done_ && !in_flight_) {
        advance(now);
        if (done_ || frames_.empty()) {
            return std::nullopt;
        }
        const std::size_t depth = frames_.size();
        auto req = next_query(frames_.back(), now);
        if (req) {
            return req;
        }
        if (frames_.size() == depth && !frames_.back().finished) {
            return std::nullopt;  // cannot happen: next_query either queries, pushes or fails
        }
    }
    return std::nullopt;
}

void Resolution::on_reply(std::uint64_t token, const std::string& from, const Message& reply,
                          TimePoint now) {
    if (!in_flight_ || *in_flight_ != token || frames_.empty()) {
        return;
    }
    if (!reply_matches(sent_, from, reply)) {
        return;  // not ours (or forged): keep waiting for the real one
    }
    in_flight_.reset();
    Message copy = reply;
    restore_case(copy, sent_.question.name, sent_name_);
    handle(frames_.back(), std::move(copy), now);
}

void Resolution::on_timeout(std::uint64_t token, TimePoint now) {
    if (!in_flight_ || *in_flight_ != token || frames_.empty()) {
        return;
    }
    in_flight_.reset();
    ctx_.upstream.record_timeout(sent_.server, now);
    frames_.back().timed_out.push_back(sent_.server);
    frames_.back().tcp = false;
    step("timeout", now);
}

}  // namespace l7::dns
