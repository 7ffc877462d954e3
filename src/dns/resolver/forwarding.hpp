#pragma once
// Forwarding mode of the recursive service: instead of iterating from the root, each client
// question goes, with RD set, to one of a list of upstream resolvers (the office resolver
// that asks the ISP's). Sans-I/O, like Resolution: the same cache, the same upstream RTT
// table and the same reply checks, with the forwarder trusted for any name but only for the
// chain that answers the question asked.

#include <functional>
#include <string>
#include <vector>

#include "dns/resolver/lookup.hpp"
#include "dns/resolver/resolution.hpp"

namespace l7::dns {

struct ForwardContext {
    SharedCache& cache;
    UpstreamTable& upstream;
    std::vector<std::string> forwarders;  // ADDR:PORT
    ResolverLimits limits;
    std::function<std::uint64_t()> random;
};

class Forwarding final : public Lookup {
  public:
    Forwarding(Question question, ForwardContext& context, TimePoint now, bool refresh = false);

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

  private:
    void finish(Rcode rcode);
    void accept(const Message& reply, TimePoint now);

    ForwardContext& ctx_;
    Question question_;
    TimePoint started_;
    Message response_;
    bool done_ = false;
    int queries_ = 0;
    std::vector<std::string> failed_;
    bool edns_ = true;
    bool tcp_ = false;
    std::optional<std::string> retry_server_;
    std::uint64_t next_token_ = 1;
    std::optional<std::uint64_t> in_flight_;
    SentQuery sent_;
    TimePoint sent_at_;
};

}  // namespace l7::dns
