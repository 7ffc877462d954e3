// Iterative resolution fed hostile replies. The input is a sequence of messages, each behind
// a two-byte length; each one that decodes is given the id and question of the query in
// flight (so it passes the matching that would otherwise drop it, as a spoofer who guessed
// right would) and handed to on_reply(); a missing or undecodable one is a timeout. Whatever
// the replies say (referral loops, CNAME chains, lame servers, junk), the resolution ends
// within its query limit and its response encodes and decodes.

#include <cstdint>
#include <string>
#include <vector>

#include "dns/resolver/resolution.hpp"
#include "fuzz_check.hpp"

using namespace l7::dns;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    SharedCache cache;
    UpstreamTable upstream;
    const RootHints hints =
        *RootHints::from_servers(std::vector<std::string>{"192.0.2.1:53", "192.0.2.2:53"});
    std::uint64_t state = 0x9E3779B97F4A7C15ULL;
    ResolverContext ctx{cache, upstream, hints, kDnsPort, {}, [&state] {
                            state ^= state << 13;  // xorshift: deterministic runs
                            state ^= state >> 7;
                            state ^= state << 17;
                            return state;
                        }};
    l7::TimePoint now{};
    Resolution r({*Name::parse("www.example.com."), RRType::A, RRClass::IN}, ctx, now);
    std::size_t pos = 0;
    int polls = 0;
    for (; polls < 1000 && !r.done(); ++polls) {
        auto req = r.poll_request(now);
        if (!req) {
            break;
        }
        now += std::chrono::milliseconds(5);
        std::optional<Message> reply;
        if (pos + 2 <= size) {
            const std::size_t length = static_cast<std::size_t>(data[pos] << 8 | data[pos + 1]);
            pos += 2;
            const std::size_t take = std::min(length, size - pos);
            auto decoded = decode_message(std::span<const std::uint8_t>(data + pos, take));
            pos += take;
            if (decoded) {
                reply = std::move(*decoded);
            }
        }
        if (reply) {
            reply->header.id = req->query.header.id;
            reply->header.qr = true;
            reply->questions = req->query.questions;
            r.on_reply(req->token, req->server, *reply, now);
        }
        if (r.waiting_for(req->token)) {
            r.on_timeout(req->token, now);
        }
    }
    L7_FUZZ_CHECK(r.done());
    L7_FUZZ_CHECK(r.queries_sent() <= ResolverLimits{}.max_queries);
    const Bytes wire = encode_message(r.response());
    L7_FUZZ_CHECK(decode_message(wire).ok());
    return 0;
}
