#include "http/response_head.hpp"

namespace l7::http {

ResponsePlan finish_response(Response& response, const ResponseContext& context,
                             std::optional<std::uint64_t> body_length) {
    ResponsePlan plan;
    response.version = Version::http11;  // what we speak, whatever the client did (RFC 9110 2.5)
    if (!context.date.empty() && !response.fields.get("Date")) {
        response.fields.set("Date", std::string(context.date));
    }
    if (!context.server.empty() && !response.fields.get("Server")) {
        response.fields.set("Server", std::string(context.server));
    }
    const int status = response.status;
    const bool bodiless_status = status < 200 || status == 204 || status == 304;
    plan.keep_alive =
        context.request_keep_alive && !response.fields.has_token("Connection", "close");
    response.fields.remove("Transfer-Encoding");
    if (bodiless_status) {
        plan.send_body = false;
        if (status == 204 || status < 200) {
            response.fields.remove("Content-Length");  // RFC 9110 section 8.6
        }
    } else if (body_length) {
        response.fields.set("Content-Length", std::to_string(*body_length));
    } else if (context.version == Version::http11) {
        response.fields.remove("Content-Length");
        response.fields.set("Transfer-Encoding", "chunked");
        plan.chunked = true;
    } else {
        // An HTTP/1.0 client knows no chunks: the end of the connection ends the body.
        response.fields.remove("Content-Length");
        plan.keep_alive = false;
    }
    if (context.method == "HEAD") {
        plan.send_body = false;  // the same fields as for GET, no body (RFC 9110 9.3.2)
        plan.chunked = false;
    }
    response.fields.remove("Connection");
    if (!plan.keep_alive) {
        response.fields.set("Connection", "close");
    } else if (context.version == Version::http10) {
        response.fields.set("Connection", "keep-alive");  // 1.0 needs to hear it (RFC 9112 9.3)
    }
    return plan;
}

}  // namespace l7::http
