// The recursive service's front door on arbitrary bytes: check_client_query() over UDP and
// TCP, then the answer it would send (write_response for a query to resolve, write_error for
// one refused). Whatever comes in, the reply fits the client's limit, echoes the id, and
// decodes.

#include <cstdint>
#include <vector>

#include "dns/resolver/client_query.hpp"
#include "fuzz_check.hpp"

using namespace l7::dns;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> wire(data, size);
    std::vector<std::uint8_t> out(65535);
    for (const Transport t : {Transport::udp, Transport::tcp}) {
        const QueryCheck check = check_client_query(wire, t, 1232);
        std::size_t written = 0;
        if (check.query) {
            const ClientQuery& q = *check.query;
            L7_FUZZ_CHECK(q.reply_limit >= kClassicUdpSize);
            Message response;
            for (int i = 0; i < 40; ++i) {  // enough to need TC under 512 bytes
                response.answers.push_back(
                    {q.question.name, RRType::A, RRClass::IN, 60, {192, 0, 2, 1}});
            }
            written = write_response(q, response, out);
            L7_FUZZ_CHECK(written <= q.reply_limit);
            auto reply = decode_message(std::span<const std::uint8_t>(out.data(), written));
            L7_FUZZ_CHECK(reply.ok());
            L7_FUZZ_CHECK(reply->header.id == q.id && reply->header.qr && reply->header.ra);
            L7_FUZZ_CHECK(reply->header.tc || reply->answers.size() == 40);
        } else {
            written = write_error(wire, check, out);
            L7_FUZZ_CHECK(!check.drop || written == 0);
            if (written > 0) {
                const auto header = read_header(std::span<const std::uint8_t>(out.data(), written));
                L7_FUZZ_CHECK(header && header->qr);
            }
        }
    }
    return 0;
}
