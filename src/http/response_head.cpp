#include "http/response_head.hpp"

namespace l7::http {
namespace {

// What the handler's fields already say about framing and connection, found in one pass
// instead of a search per field name.
struct Given {
    bool date = false;
    bool server = false;
    bool connection = false;
    bool connection_close = false;
    bool content_length = false;
    bool transfer_encoding = false;
};

Given look_over(const Fields& fields) {
    Given g;
    for (const Field& f : fields.all()) {
        if (iequals(f.name, "Date")) {
            g.date = true;
        } else if (iequals(f.name, "Server")) {
            g.server = true;
        } else if (iequals(f.name, "Connection")) {
            g.connection = true;
        } else if (iequals(f.name, "Content-Length")) {
            g.content_length = true;
        } else if (iequals(f.name, "Transfer-Encoding")) {
            g.transfer_encoding = true;
        }
    }
    g.connection_close = g.connection && fields.has_token("Connection", "close");
    return g;
}

}  // namespace

ResponsePlan finish_response(Response& response, const ResponseContext& context,
                             std::optional<std::uint64_t> body_length) {
    ResponsePlan plan;
    Fields& fields = response.fields;
    response.version = Version::http11;  // what we speak, whatever the client did (RFC 9110 2.5)
    const Given given = look_over(fields);
    if (!context.date.empty() && !given.date) {
        fields.add("Date", std::string(context.date));
    }
    if (!context.server.empty() && !given.server) {
        fields.add("Server", std::string(context.server));
    }
    const int status = response.status;
    const bool bodiless_status = status < 200 || status == 204 || status == 304;
    plan.keep_alive = context.request_keep_alive && !given.connection_close;

    // The framing is ours to state: the handler's own Content-Length stays only on a 304
    // (RFC 9110 section 8.6: the length the GET would have had), its Transfer-Encoding and
    // Connection never. One pass removes what goes; the fields that replace them follow.
    const bool drop_length = given.content_length && !(bodiless_status && status == 304);
    if (drop_length || given.transfer_encoding || given.connection) {
        fields.remove_if([&](const Field& f) {
            return (given.connection && iequals(f.name, "Connection")) ||
                   (given.transfer_encoding && iequals(f.name, "Transfer-Encoding")) ||
                   (drop_length && iequals(f.name, "Content-Length"));
        });
    }
    if (bodiless_status) {
        plan.send_body = false;
    } else if (body_length) {
        fields.add("Content-Length", std::to_string(*body_length));
    } else if (context.version == Version::http11) {
        fields.add("Transfer-Encoding", "chunked");
        plan.chunked = true;
    } else {
        // An HTTP/1.0 client knows no chunks: the end of the connection ends the body.
        plan.keep_alive = false;
    }
    if (context.method == "HEAD") {
        plan.send_body = false;  // the same fields as for GET, no body (RFC 9110 9.3.2)
        plan.chunked = false;
    }
    if (!plan.keep_alive) {
        fields.add("Connection", "close");
    } else if (context.version == Version::http10) {
        fields.add("Connection", "keep-alive");  // 1.0 needs to hear it (RFC 9112 9.3)
    }
    return plan;
}

}  // namespace l7::http
