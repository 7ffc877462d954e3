#pragma once
// What a page load measured (`l7 http page`), and the arithmetic the course does with it
// (Kurose & Ross, section 2.2.2): how many round trips the page cost in each of the four ways
// HTTP/1.x can fetch a base page and its objects. Sans-I/O: the driver (asio/page_load.hpp)
// fills a PageLoad; this file names the modes, derives the RTT and prints the reports.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace l7::http {

enum class LoadMode {
    non_persistent,  // a new TCP connection per object, one at a time: 2 RTT per object
    persistent,      // one connection per origin, one request at a time: 1 RTT per object
    pipelined,       // one connection per origin, all requests at once: about 1 RTT in all
    parallel,        // up to N non-persistent connections at once (HTTP/1.0 browsers)
};

struct PageMode {
    LoadMode kind = LoadMode::persistent;
    unsigned connections = 1;  // parallel: at most this many at once

    // "non-persistent", "persistent", "pipelined", "parallel=6".
    std::string name() const;
};

inline constexpr unsigned kMaxParallel = 64;
inline constexpr unsigned kDefaultParallel = 6;  // what browsers settled on per host

// One of the names above, "parallel" (kDefaultParallel), or "all": the four in the course's
// order, parallel with kDefaultParallel. The error is one sentence.
Result<std::vector<PageMode>> parse_page_modes(std::string_view text);

// The base page (objects[0]) or one object it references.
struct ObjectTiming {
    std::string url;
    std::string element;  // "page" for the base HTML, else the referencing element ("img")
    bool same_origin = true;
    int status = 0;              // 0: no response (see error)
    std::uint64_t bytes = 0;     // body bytes received
    std::size_t connection = 0;  // which connection answered (1-based), 0 for none
    double start_ms = -1;        // when its request was sent, since the load began
    double ms = 0;               // from its request to its last byte
    std::string error;           // why there is no response
};

struct ConnectionTiming {
    std::size_t number = 0;  // 1-based, in the order they were opened
    std::string origin;      // host:port
    double opened_ms = 0;    // when the connect began, since the load began
    double connect_ms = 0;   // the handshake as the client saw it
    // From the connection's first request to the first byte of its answer; -1 when none came.
    double first_byte_ms = -1;
    std::size_t responses = 0;
};

struct PageLoad {
    std::string url;
    PageMode mode;
    std::vector<ObjectTiming> objects;  // [0] is the base page, then document order
    std::vector<ConnectionTiming> connections;
    std::size_t peak_connections = 0;  // open at the same time
    double total_ms = 0;               // from the first connect to the last byte
    std::uint64_t wire_bytes = 0;      // everything received: heads and bodies
    std::size_t skipped_refs = 0;      // references that were not http(s) URLs
    bool refs_truncated = false;

    std::size_t object_count() const { return objects.empty() ? 0 : objects.size() - 1; }
    std::uint64_t body_bytes() const;
    // The median connect time: the TCP handshake as the course counts it.
    double handshake_ms() const;
    // The round-trip time the RTT count divides by. A connection's setup costs one round
    // trip before its first request and one more before the first byte of the answer, so
    // (connect + first byte) / 2 is one RTT whether the handshake happened on the path (the
    // connect takes the RTT) or was finished early by a local proxy such as `l7 link` (the
    // connect returns at once and the first byte comes two RTTs later). The smallest over
    // the connections, as TCP's own min-RTT filters queueing.
    double rtt_ms() const;
    // total / RTT: the number the course predicts (about 2 per object non-persistent, ...).
    double rtts_spent() const;
    // Objects without a response.
    std::size_t failures() const;
};

// `mode=persistent objects=10 connections=1 rtt=100.4ms total=1.21s (12.0 RTT)`
std::string summary_line(const PageLoad& load);
// One row per object: object, status, bytes, connection, start and time; then the summary.
std::string report_table(const PageLoad& load);
// The loads side by side: when each object was done in each mode, then the totals.
std::string comparison_table(const std::vector<PageLoad>& loads);
// A JSON object (RFC 8259) with everything above, for scripts and tests.
std::string to_json(const PageLoad& load);

}  // namespace l7::http
