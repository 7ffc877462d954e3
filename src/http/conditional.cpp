#include "http/conditional.hpp"

#include <algorithm>

#include "http/head_syntax.hpp"
#include "http/http_date.hpp"

namespace l7::http {
namespace {

// etagc = %x21 / %x23-7E / obs-text (RFC 9110 8.8.3): visible bytes except DQUOTE.
bool is_etagc(char c) {
    const auto b = static_cast<unsigned char>(c);
    return b == 0x21 || (b >= 0x23 && b != 0x7F);
}

// One entity-tag at the front of `s`, consumed; nullopt (and `s` unspecified) if none.
std::optional<EntityTag> read_entity_tag(std::string_view& s) {
    EntityTag tag;
    std::string_view rest = s;
    if (rest.starts_with("W/")) {
        tag.weak = true;
        rest.remove_prefix(2);
    }
    if (!rest.starts_with('"')) {
        return std::nullopt;
    }
    std::size_t i = 1;
    while (i < rest.size() && is_etagc(rest[i])) {
        ++i;
    }
    if (i == rest.size() || rest[i] != '"') {
        return std::nullopt;
    }
    tag.opaque = rest.substr(0, i + 1);
    s = rest.substr(i + 1);
    return tag;
}

bool is_get_or_head(std::string_view method) {
    return method == "GET" || method == "HEAD";
}

// If-Match (13.1.1): "*" is true when a current representation exists; a list is true when a
// member strongly matches the current ETag.
bool if_match_true(std::string_view value, const ResourceState& r,
                   const std::optional<EntityTag>& current) {
    if (trim_ows(value) == "*") {
        return r.exists;
    }
    return r.exists && current && etag_list_matches(value, *current, EtagComparison::strong);
}

// If-None-Match (13.1.2): "*" is false when a current representation exists; a list is false
// when a member weakly matches the current ETag.
bool if_none_match_true(std::string_view value, const ResourceState& r,
                        const std::optional<EntityTag>& current) {
    if (trim_ows(value) == "*") {
        return !r.exists;
    }
    return !(r.exists && current && etag_list_matches(value, *current, EtagComparison::weak));
}

// If-Range (13.1.5): an entity-tag is told from a date by its first bytes (DQUOTE or W/).
bool if_range_true(std::string_view value, const ResourceState& r,
                   const std::optional<EntityTag>& current, std::int64_t now) {
    value = trim_ows(value);
    if (value.starts_with('"') || value.starts_with("W/")) {
        const auto tag = parse_entity_tag(value);
        return tag && current && strong_match(*tag, *current);
    }
    const auto date = parse_http_date(value, now);
    // A date validates only when it is exactly Last-Modified and that is a strong validator:
    // a second that is over cannot hide a later change made within it (8.8.2.2).
    return date && r.last_modified && *date == *r.last_modified && *r.last_modified < now;
}

}  // namespace

std::optional<EntityTag> parse_entity_tag(std::string_view text) {
    auto tag = read_entity_tag(text);
    if (!tag || !text.empty()) {
        return std::nullopt;
    }
    return tag;
}

bool is_valid_entity_tag(std::string_view text) {
    return parse_entity_tag(text).has_value();
}

bool strong_match(const EntityTag& a, const EntityTag& b) {
    return !a.weak && !b.weak && a.opaque == b.opaque;
}

bool weak_match(const EntityTag& a, const EntityTag& b) {
    return a.opaque == b.opaque;
}

bool etag_list_matches(std::string_view list, const EntityTag& current, EtagComparison how) {
    list = trim_ows(list);
    if (list == "*") {
        return true;
    }
    // 1#entity-tag (5.6.1): members separated by commas with OWS, empty members allowed. The
    // answer counts only when the whole list parses, so it cannot depend on member order.
    bool matched = false;
    bool any = false;
    while (true) {
        while (!list.empty() &&
               (list.front() == ',' || list.front() == ' ' || list.front() == '\t')) {
            list.remove_prefix(1);
        }
        if (list.empty()) {
            break;
        }
        const auto tag = read_entity_tag(list);
        if (!tag) {
            return false;
        }
        any = true;
        matched = matched || (how == EtagComparison::strong ? strong_match(*tag, current)
                                                            : weak_match(*tag, current));
        list = trim_ows(list);
        if (!list.empty() && list.front() != ',') {
            return false;
        }
    }
    return any && matched;
}

std::string make_etag(std::uint64_t size, std::int64_t mtime_ns, std::uint64_t inode) {
    // "SIZE-MTIME-INODE" in hex: at most 3 * 16 digits, 2 dashes and 2 quotes.
    char buf[3 * 16 + 4];
    std::size_t n = 0;
    const auto hex = [&](std::uint64_t v) {
        constexpr char kHex[] = "0123456789abcdef";
        char digits[16];
        std::size_t k = 0;
        do {
            digits[k++] = kHex[v & 0xF];
            v >>= 4;
        } while (v != 0);
        while (k > 0) {
            buf[n++] = digits[--k];
        }
    };
    buf[n++] = '"';
    hex(size);
    buf[n++] = '-';
    // Times before 1970 are negative; their two's complement is just as unique.
    hex(static_cast<std::uint64_t>(mtime_ns));
    buf[n++] = '-';
    hex(inode);
    buf[n++] = '"';
    return std::string(buf, n);
}

PreconditionResult evaluate_preconditions(std::string_view method, const RequestConditions& request,
                                          const ResourceState& resource, std::int64_t now) {
    const bool safe = is_get_or_head(method);
    if (!resource.exists && safe) {
        return {};  // 13.2.1: the response would be 404 without the preconditions
    }
    std::optional<EntityTag> current;
    const bool compares_tags = request.if_match || request.if_none_match || request.if_range;
    if (resource.exists && resource.etag && compares_tags) {
        current = parse_entity_tag(*resource.etag);
    }
    constexpr PreconditionResult kFailed{PreconditionOutcome::precondition_failed, false};
    constexpr PreconditionResult kNotModified{PreconditionOutcome::not_modified, false};

    // Steps 1 and 2: If-Match, or else If-Unmodified-Since.
    if (request.if_match) {
        if (!if_match_true(*request.if_match, resource, current)) {
            return kFailed;
        }
    } else if (request.if_unmodified_since && resource.exists && resource.last_modified) {
        const auto date = parse_http_date(*request.if_unmodified_since, now);
        if (date && *resource.last_modified > *date) {
            return kFailed;
        }
    }
    // Steps 3 and 4: If-None-Match, or else If-Modified-Since (GET and HEAD only).
    if (request.if_none_match) {
        if (!if_none_match_true(*request.if_none_match, resource, current)) {
            return safe ? kNotModified : kFailed;
        }
    } else if (safe && request.if_modified_since && resource.last_modified) {
        const auto date = parse_http_date(*request.if_modified_since, now);
        if (date && *resource.last_modified <= *date) {
            return kNotModified;
        }
    }
    // Step 5: If-Range, for a GET whose Range would otherwise be honoured.
    PreconditionResult result;
    if (request.if_range && method == "GET") {
        result.range_allowed = if_range_true(*request.if_range, resource, current, now);
    }
    return result;
}

PreconditionResult evaluate_preconditions(std::string_view method, const Fields& fields,
                                          const ResourceState& resource, std::int64_t now) {
    // Most requests carry no condition: one look at the names instead of five searches.
    const bool conditional = std::any_of(
        fields.all().begin(), fields.all().end(),
        [](const Field& f) { return iequals(std::string_view(f.name).substr(0, 3), "If-"); });
    if (!conditional) {
        return evaluate_preconditions(method, RequestConditions{}, resource, now);
    }
    // Own the combined values for the duration of the call.
    const auto if_match = fields.combined("If-Match");
    const auto if_none_match = fields.combined("If-None-Match");
    const auto if_modified_since = fields.combined("If-Modified-Since");
    const auto if_unmodified_since = fields.combined("If-Unmodified-Since");
    const auto if_range = fields.combined("If-Range");
    const auto view = [](const std::optional<std::string>& s) {
        return s ? std::optional<std::string_view>(*s) : std::nullopt;
    };
    return evaluate_preconditions(
        method,
        RequestConditions{view(if_match), view(if_none_match), view(if_modified_since),
                          view(if_unmodified_since), view(if_range)},
        resource, now);
}

}  // namespace l7::http
