#pragma once
// One client question answered by iterative resolution (RFC 1034 section 5.3.3), sans-I/O:
// start at the closest delegation the cache knows (or the root hints), ask one of its servers,
// follow referrals down, chase CNAMEs across zones, look up the addresses of name servers
// that came without glue, and stop at the limits (referrals, CNAMEs, upstream queries,
// nesting, a deadline).
//
// The driver asks poll_request() for the next query to send, passes each reply or timeout
// back, and reads response() once done(). Every upstream query gets a random id and a
// 0x20-randomised name; replies are matched and scrubbed (defences.hpp) before anything from
// them is believed or cached.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "dns/message.hpp"
#include "dns/resolver/defences.hpp"
#include "dns/resolver/hints.hpp"
#include "dns/resolver/lookup.hpp"
#include "dns/resolver/shared_cache.hpp"
#include "dns/resolver/upstream.hpp"

namespace l7::dns {

struct ResolverLimits {
    int max_referrals = 16;
    int max_cnames = 12;
    int max_queries = 48;            // upstream queries for one client question
    int max_depth = 3;               // nested lookups of name-server addresses
    bool qname_minimisation = true;  // RFC 9156
    int max_minimised = 10;          // RFC 9156 section 2.3's MAX_MINIMISE_COUNT
    int tries_per_server = 3;        // a server that timed out is asked again (a lost datagram)
    std::chrono::milliseconds deadline{8000};
};

// What every resolution of one resolver shares.
struct ResolverContext {
    SharedCache& cache;
    UpstreamTable& upstream;
    const RootHints& hints;
    std::uint16_t upstream_port = kDnsPort;  // for servers learnt from referrals (the lab: 10053)
    ResolverLimits limits;
    std::function<std::uint64_t()> random;  // ids, 0x20 case, server choice
};

// One exchange with an upstream server, for `l7 dns resolve --trace` and the logs.
struct ResolutionStep {
    std::string server;
    std::string zone;  // the zone the server was asked as an authority for
    std::string question;
    std::string outcome;  // "referral to edu. (1 server)", "answer", "NXDOMAIN", "timeout", ...
    std::chrono::microseconds elapsed{0};
};

class Resolution final : public Lookup {
  public:
    // `refresh`: ask upstream even though the cache holds the answer (a prefetch).
    Resolution(Question question, ResolverContext& context, TimePoint now, bool refresh = false);

    std::optional<UpstreamRequest> poll_request(TimePoint now) override;
    void on_reply(std::uint64_t token, const std::string& from, const Message& reply,
                  TimePoint now) override;
    void on_timeout(std::uint64_t token, TimePoint now) override;

    bool done() const override { return done_; }
    bool waiting_for(std::uint64_t token) const override {
        return in_flight_ && *in_flight_ == token;
    }
    const Message& response() const override { return response_; }
    int queries_sent() const override { return queries_; }
    const std::vector<ResolutionStep>& steps() const { return steps_; }

  private:
    struct Server {
        Name name;
        std::vector<std::string> endpoints;
        bool looked_up = false;  // an address lookup for it was tried
    };
    struct Frame {
        Name sname;
        RRType qtype = RRType::A;
        Name zone;
        std::vector<Server> servers;
        std::vector<std::string> failed;      // endpoints that misbehaved: never asked again
        std::vector<std::string> timed_out;   // one entry per timeout: asked again when no other
        std::vector<ResourceRecord> answers;  // the CNAME chain, then the answer
        std::vector<ResourceRecord> authority;
        Rcode rcode = Rcode::NOERROR;
        int referrals = 0;
        int cnames = 0;
        bool need_start = true;
        bool refresh = false;
        bool finished = false;
        bool edns = true;
        bool tcp = false;
        std::optional<std::size_t> waiting_for;  // index of the server being looked up
        // QNAME minimisation (RFC 9156): labels below the zone cut to show the next server,
        // and how many minimised queries this frame has made.
        std::size_t extra_labels = 1;
        int minimised = 0;
        std::optional<std::string> retry_server;  // TC or FORMERR: ask the same one again
    };

    void advance(TimePoint now);
    void start(Frame& f, TimePoint now);
    bool from_cache(Frame& f, TimePoint now);
    void find_servers(Frame& f, TimePoint now);
    std::vector<std::string> endpoints_to_ask(const Frame& f, int max_timeouts) const;
    bool look_up_a_server(Frame& f);
    std::optional<UpstreamRequest> next_query(Frame& f, TimePoint now);
    void handle(Frame& f, Message reply, TimePoint now);
    void fail(Frame& f, Rcode rcode);
    void finish_frame(TimePoint now);
    void cache_records(const std::vector<ResourceRecord>& records, Trust trust, TimePoint now);
    void step(std::string outcome, TimePoint now);

    ResolverContext& ctx_;
    Question question_;
    TimePoint started_;
    std::vector<Frame> frames_;  // frames_[0] is the client's question
    Message response_;
    std::vector<ResolutionStep> steps_;
    bool done_ = false;
    int queries_ = 0;
    // The query in flight.
    std::uint64_t next_token_ = 1;
    std::optional<std::uint64_t> in_flight_;
    SentQuery sent_;
    Name sent_name_;  // the name asked, in our spelling (minimised or not)
    TimePoint sent_at_;
};

}  // namespace l7::dns
