#pragma once
// Conditional requests (RFC 9110 section 13): entity-tags, their comparison, and the
// evaluation of If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since and If-Range
// in the order of section 13.2.2, for a server that knows its resource's current ETag and
// Last-Modified.
//
//   outcome              the server then answers
//   proceed              as if unconditional (200, 206, 204 ...)
//   not_modified         304 Not Modified (GET/HEAD whose cached copy is current)
//   precondition_failed  412 Precondition Failed
//
// and `range_allowed` tells whether a Range header may be honoured (If-Range, 13.1.5): when
// false the server sends the whole representation with 200.
//
// Sans-I/O: dates are seconds since the epoch, `now` is an argument (the rfc850 date form and
// the strength of Last-Modified need it), and nothing is read from the file system.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/fields.hpp"

namespace l7::http {

// entity-tag = [ weak ] opaque-tag (RFC 9110 8.8.3); `opaque` is the quoted string, quotes
// included, as written: '"xyzzy"'.
struct EntityTag {
    bool weak = false;
    std::string_view opaque;

    friend bool operator==(const EntityTag&, const EntityTag&) = default;
};

// Parses exactly one entity-tag (no surrounding whitespace): W/ is case-sensitive, the opaque
// part is DQUOTE *etagc DQUOTE with etagc = %x21 / %x23-7E / obs-text. The view points into
// `text`.
std::optional<EntityTag> parse_entity_tag(std::string_view text);
bool is_valid_entity_tag(std::string_view text);

// RFC 9110 8.8.3.2: strong comparison matches when neither tag is weak and the opaque parts
// are equal; weak comparison ignores the W/.
bool strong_match(const EntityTag& a, const EntityTag& b);
bool weak_match(const EntityTag& a, const EntityTag& b);

enum class EtagComparison { strong, weak };

// Whether an If-Match / If-None-Match value ("*" or 1#entity-tag) matches `current`:
// "*" matches any current ETag; a list matches when one member does under `how`. A list that
// does not parse matches nothing (an invalid member cannot equal a valid ETag). Commas inside
// an opaque-tag are part of it ("a,b" is one tag).
bool etag_list_matches(std::string_view list, const EntityTag& current, EtagComparison how);

// A strong ETag for a file from its size, modification time (nanoseconds since the epoch) and
// inode number: "<size>-<mtime_ns>-<inode>" in lowercase hex, quoted, e.g.
// "\"1f4-17a2b3c4d5e6f708-2a\"". It changes whenever one of the three does, which a
// replaced or rewritten file does; nanosecond time makes two writes in one second distinct.
std::string make_etag(std::uint64_t size, std::int64_t mtime_ns, std::uint64_t inode);

// The request's precondition fields, as their (combined) values; absent fields are nullopt.
struct RequestConditions {
    std::optional<std::string_view> if_match = std::nullopt;
    std::optional<std::string_view> if_none_match = std::nullopt;
    std::optional<std::string_view> if_modified_since = std::nullopt;
    std::optional<std::string_view> if_unmodified_since = std::nullopt;
    std::optional<std::string_view> if_range = std::nullopt;
};

// What the server knows about the target resource's selected representation.
struct ResourceState {
    bool exists = true;
    std::optional<std::string_view> etag;       // the ETag it would send, quoted
    std::optional<std::int64_t> last_modified;  // the Last-Modified it would send, seconds
};

enum class PreconditionOutcome { proceed, not_modified, precondition_failed };

struct PreconditionResult {
    PreconditionOutcome outcome = PreconditionOutcome::proceed;
    // If-Range is absent or true (13.1.5). Only meaningful for a GET with a Range header.
    bool range_allowed = true;

    friend bool operator==(const PreconditionResult&, const PreconditionResult&) = default;
};

// RFC 9110 13.2.2, for a request with `method` (case-sensitive, "GET"):
//   1. If-Match: false -> 412 (a missing resource matches nothing, not even "*").
//   2. otherwise If-Unmodified-Since (valid date, resource has a Last-Modified): modified
//      after it -> 412.
//   3. If-None-Match: true when no member matches (weak comparison); false -> 304 for GET and
//      HEAD, 412 for other methods.
//   4. otherwise, for GET and HEAD, If-Modified-Since (valid date, resource has a
//      Last-Modified): not modified after it -> 304.
//   5. If-Range (GET only): an entity-tag must strongly match the current ETag, a date must
//      equal Last-Modified exactly and that Last-Modified must be strong (at least one second
//      before `now`, 8.8.2.2); otherwise the Range is ignored.
// Invalid dates and dates given as lists are ignored (13.1.3, 13.1.4). Preconditions are
// ignored altogether when the resource is missing and the method is GET or HEAD, since the
// answer without them would be a 404 (13.2.1).
PreconditionResult evaluate_preconditions(std::string_view method, const RequestConditions& request,
                                          const ResourceState& resource, std::int64_t now);

// The same with the fields of a request; repeated list fields are combined (5.3).
PreconditionResult evaluate_preconditions(std::string_view method, const Fields& fields,
                                          const ResourceState& resource, std::int64_t now);

}  // namespace l7::http
