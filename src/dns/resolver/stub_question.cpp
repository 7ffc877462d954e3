#include "dns/resolver/stub_question.hpp"

#include <algorithm>
#include <limits>
#include <span>
#include <string_view>

#include "dns/types.hpp"

namespace l7::dns {

namespace {

std::string_view as_text(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

struct StubQuestion::Link {  // one CNAME of a reply's chain, to cache
    Name owner;
    Bytes rdata;
    std::uint32_t ttl = 0;
};

StubQuestion::StubQuestion(Name name, RRType type, const StubSettings& settings, Cache* cache,
                           std::size_t first, TimePoint now)
    : settings_(settings),
      cache_(cache),
      start_(settings.servers.empty() ? 0 : first % settings.servers.size()),
      reasons_(settings.servers.size()),
      bad_(settings.servers.size(), false) {
    outcome_.asked = name;
    outcome_.type = type;
    restart(name, now);
    advance();
}

std::optional<StubQuery> StubQuestion::poll_request(std::uint16_t id) {
    if (done_ || in_flight_) {
        return std::nullopt;
    }
    // advance() left position_ at a server in good standing.
    asked_ = (start_ + position_) % settings_.servers.size();
    ++position_;
    StubQuery q;
    q.token = next_token_++;
    q.server = settings_.servers[asked_];
    q.timeout = settings_.timeout;
    q.query.header.id = id_ = id;
    q.query.header.rd = true;
    q.query.questions.push_back({current_, outcome_.type, RRClass::IN});
    if (settings_.edns0) {
        q.query.edns = Edns{};
    }
    in_flight_ = q.token;
    return q;
}

bool StubQuestion::accepts(std::uint64_t token) {
    if (!in_flight_ || *in_flight_ != token) {
        return false;  // late, or never sent: nothing to learn from it
    }
    in_flight_.reset();
    return true;
}

void StubQuestion::on_timeout(std::uint64_t token) {
    if (!accepts(token)) {
        return;
    }
    reasons_[asked_] = "no reply from " + settings_.servers[asked_].to_string() + " in " +
                       std::to_string(settings_.timeout.count()) + " ms";
    advance();  // asked again next round
}

void StubQuestion::on_failure(std::uint64_t token, std::string reason) {
    if (!accepts(token)) {
        return;
    }
    reasons_[asked_] = std::move(reason);
    advance();  // asked again next round, as after a timeout
}

void StubQuestion::on_reply(std::uint64_t token, const Message& m, TimePoint now) {
    if (!accepts(token)) {
        return;
    }
    const std::string who = settings_.servers[asked_].to_string();
    const Rcode rcode = m.rcode();
    if (!m.header.qr || m.header.id != id_) {
        give_up_on_server(who + " sent a reply that does not match the query");
    } else if (rcode != Rcode::NOERROR && rcode != Rcode::NXDOMAIN) {
        give_up_on_server(who + " answered " + rcode_to_text(rcode));
    } else if (m.questions.size() != 1 || !(m.questions[0].name == current_) ||
               m.questions[0].type != outcome_.type || m.questions[0].klass != RRClass::IN) {
        give_up_on_server(who + " sent a reply to another question");
    } else if (m.header.tc) {
        // RFC 2181 section 9: a truncated reply is not to be used (the transport retries over
        // TCP; one that did not leaves nothing trustworthy).
        give_up_on_server(who + " sent a truncated reply");
    } else {
        take_reply(m, who, now);
    }
    advance();
}

// A new name to settle: the start of the question, or a CNAME target to chase. Servers that
// failed for the old name may well answer for the new one, so all are in good standing again.
void StubQuestion::restart(const Name& name, TimePoint now) {
    current_ = name;
    position_ = 0;
    std::fill(bad_.begin(), bad_.end(), false);
    std::fill(reasons_.begin(), reasons_.end(), std::string());
    from_cache(now);
}

// Settles the question from the cache when it can, following cached CNAMEs.
void StubQuestion::from_cache(TimePoint now) {
    if (cache_ == nullptr) {
        return;
    }
    while (true) {
        if (auto hit = cache_->get(current_, outcome_.type, now)) {
            if (!hit->negative) {
                settle(StubOutcome::Kind::data, std::move(hit->rdatas));
            } else {
                settle(hit->rcode == Rcode::NXDOMAIN ? StubOutcome::Kind::no_such_name
                                                     : StubOutcome::Kind::no_data);
            }
            return;
        }
        const auto link = cache_->get(current_, RRType::CNAME, now);
        if (!link || link->negative || link->rdatas.empty()) {
            return;
        }
        auto target = Name::from_wire(as_text(link->rdatas.front()));
        if (!target || !follow_link(*target)) {
            return;
        }
    }
}

// One more CNAME link; false (and the question unsettled) when the chain is too long, which
// is also how a loop ends.
bool StubQuestion::follow_link(const Name& target) {
    if (links_ == kStubMaxCnameLinks) {
        outcome_.reasons = {"the CNAME chain from " + outcome_.asked.to_text() +
                            " is longer than " + std::to_string(kStubMaxCnameLinks) + " links"};
        done_ = true;
        outcome_.kind = StubOutcome::Kind::unsettled;
        return false;
    }
    ++links_;
    current_ = target;
    return true;
}

void StubQuestion::take_reply(const Message& m, const std::string& who, TimePoint now) {
    const Trust trust = m.header.aa ? Trust::answer_auth : Trust::answer;
    const Name start = current_;
    std::vector<Link> chain;
    std::vector<Bytes> rdatas;
    std::uint32_t ttl = std::numeric_limits<std::uint32_t>::max();
    while (true) {
        for (const ResourceRecord& rr : m.answers) {
            if (rr.type == outcome_.type && rr.klass == RRClass::IN && rr.owner == current_) {
                rdatas.push_back(rr.rdata);
                ttl = std::min(ttl, rr.ttl);
            }
        }
        if (!rdatas.empty()) {
            break;
        }
        const auto cname = std::find_if(m.answers.begin(), m.answers.end(), [&](const auto& rr) {
            return rr.type == RRType::CNAME && rr.klass == RRClass::IN && rr.owner == current_;
        });
        if (cname == m.answers.end()) {
            break;
        }
        auto target = Name::from_wire(as_text(cname->rdata));
        if (!target) {
            break;
        }
        chain.push_back({current_, cname->rdata, cname->ttl});
        if (!follow_link(*target)) {
            return;
        }
    }
    const auto soa = std::find_if(m.authority.begin(), m.authority.end(),
                                  [](const auto& rr) { return rr.type == RRType::SOA; });
    const bool has_soa = soa != m.authority.end();
    const bool nxdomain = m.rcode() == Rcode::NXDOMAIN;
    if (rdatas.empty() && !nxdomain && !has_soa) {
        if (!(current_ == start)) {
            // The reply stops at a CNAME whose target it does not settle (an authoritative
            // server answering for its own zone only): ask for the target.
            store(chain, trust, {}, 0, nullptr, Rcode::NOERROR, now);
            restart(current_, now);
            return;
        }
        const bool referral = !m.header.aa && m.answers.empty() &&
                              std::any_of(m.authority.begin(), m.authority.end(),
                                          [](const auto& rr) { return rr.type == RRType::NS; });
        if (referral) {
            give_up_on_server(who +
                              " sent a referral instead of an answer (it does not resolve "
                              "recursively)");
            return;
        }
    }
    store(chain, trust, rdatas, ttl, has_soa ? &*soa : nullptr,
          nxdomain ? Rcode::NXDOMAIN : Rcode::NOERROR, now);
    if (!rdatas.empty()) {
        settle(StubOutcome::Kind::data, std::move(rdatas));
    } else {
        settle(nxdomain ? StubOutcome::Kind::no_such_name : StubOutcome::Kind::no_data);
    }
}

// Caches the chain's CNAMEs and the answer where it ends: the RRset, or the negative answer
// when the reply carries a SOA (RFC 2308 section 5; without one it is not cached).
void StubQuestion::store(const std::vector<Link>& chain, Trust trust,
                         const std::vector<Bytes>& rdatas, std::uint32_t ttl,
                         const ResourceRecord* soa, Rcode rcode, TimePoint now) {
    if (cache_ == nullptr) {
        return;
    }
    for (const Link& link : chain) {
        cache_->put(link.owner, RRType::CNAME, {link.rdata}, link.ttl, trust, now);
    }
    if (!rdatas.empty()) {
        cache_->put(current_, outcome_.type, rdatas, ttl, trust, now);
    } else if (soa != nullptr) {
        cache_->put_negative(current_, outcome_.type, rcode, *soa, now);
    }
}

void StubQuestion::give_up_on_server(std::string reason) {
    bad_[asked_] = true;
    reasons_[asked_] = std::move(reason);
}

// Keeps the invariant: moves position_ past the servers given up on, and ends the question
// unsettled when the rounds are used up.
void StubQuestion::advance() {
    if (done_) {
        return;
    }
    const std::size_t n = settings_.servers.size();
    const std::size_t tries = n * settings_.attempts;
    while (position_ < tries && bad_[(start_ + position_) % n]) {
        ++position_;
    }
    if (position_ >= tries) {
        settle(StubOutcome::Kind::unsettled);
    }
}

void StubQuestion::settle(StubOutcome::Kind kind, std::vector<Bytes> rdatas) {
    done_ = true;
    outcome_.kind = kind;
    outcome_.rdatas = std::move(rdatas);
    if (kind == StubOutcome::Kind::unsettled) {
        for (std::string& r : reasons_) {
            if (!r.empty()) {
                outcome_.reasons.push_back(std::move(r));
            }
        }
        if (outcome_.reasons.empty()) {
            outcome_.reasons.push_back("there is no server to ask");
        }
    }
}

}  // namespace l7::dns
