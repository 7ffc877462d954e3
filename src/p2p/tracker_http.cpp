#include "p2p/tracker_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <limits>

#include "core/hex.hpp"
#include "p2p/bencode.hpp"

namespace l7::p2p {
namespace {

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

// A decimal without sign; leading zeros allowed (a client's "port=06881" means 6881).
template <class T>
std::optional<T> parse_decimal(std::string_view text) {
    if (text.empty() || text.size() > 20) {
        return std::nullopt;
    }
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
    }
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

void append_param(std::string& out, std::string_view name, std::string_view encoded_value) {
    if (!out.empty()) {
        out += '&';
    }
    out += name;
    out += '=';
    out += encoded_value;
}

std::string bytes_of(const std::array<std::uint8_t, 20>& a) {
    return std::string(reinterpret_cast<const char*>(a.data()), a.size());
}

// The URL without its fragment, and the separator a query appended to it needs.
std::string with_query(std::string_view url, const std::string& query) {
    url = url.substr(0, url.find('#'));
    std::string out(url);
    if (url.find('?') == std::string_view::npos) {
        out += '?';
    } else if (!url.ends_with('?') && !url.ends_with('&')) {
        out += '&';
    }
    out += query;
    return out;
}

// One name=value of a query string, both percent-decoded.
struct Param {
    std::string name;
    std::string value;
};

Result<std::vector<Param>> split_query(std::string_view query) {
    if (query.size() > kMaxQueryLength) {
        return make_error("query string longer than " + std::to_string(kMaxQueryLength) + " bytes");
    }
    std::vector<Param> params;
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view part = query.substr(0, amp);
        query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
        if (part.empty()) {
            continue;  // "a=1&&b=2"
        }
        if (params.size() == kMaxQueryParams) {
            return make_error("more than " + std::to_string(kMaxQueryParams) + " query parameters");
        }
        const std::size_t eq = part.find('=');
        auto name = percent_decode_query_value(part.substr(0, eq));
        auto value = percent_decode_query_value(eq == std::string_view::npos ? std::string_view()
                                                                             : part.substr(eq + 1));
        if (!name) {
            return name.error();
        }
        if (!value) {
            return make_error(*name + ": " + value.error().message);
        }
        params.push_back(Param{std::move(*name), std::move(*value)});
    }
    return params;
}

Result<std::uint32_t> checked_u32(const BValue& v, std::string_view what) {
    if (!v.is_integer() || v.as_integer() < 0 ||
        v.as_integer() > std::numeric_limits<std::uint32_t>::max()) {
        return make_error(std::string(what) + " is not an integer from 0 to 2^32-1");
    }
    return static_cast<std::uint32_t>(v.as_integer());
}

// An optional text field: absent is nullopt, anything but a short enough string an Error.
Result<std::optional<std::string>> optional_text(const BValue& dict, std::string_view key,
                                                 std::size_t max) {
    const BValue* v = dict.find(key);
    if (v == nullptr) {
        return std::optional<std::string>();
    }
    if (!v->is_string() || v->as_string().size() > max) {
        return make_error(std::string(key) + " is not a string of at most " + std::to_string(max) +
                          " bytes");
    }
    return std::optional<std::string>(v->as_string());
}

Result<std::optional<std::uint32_t>> optional_u32(const BValue& dict, std::string_view key) {
    const BValue* v = dict.find(key);
    if (v == nullptr) {
        return std::optional<std::uint32_t>();
    }
    auto n = checked_u32(*v, key);
    if (!n) {
        return n.error();
    }
    return std::optional<std::uint32_t>(*n);
}

// Responses are small: a few fields and at most max_peers entries of four values each.
BencodeLimits response_limits(const TrackerResponseLimits& limits) {
    BencodeLimits b;
    b.max_depth = 8;
    b.max_string = limits.max_body;
    b.max_values = 64 + 5 * std::max(limits.max_peers, limits.max_files);
    return b;
}

Result<BValue> decode_body(std::string_view body, const TrackerResponseLimits& limits) {
    if (body.size() > limits.max_body) {
        return make_error("response longer than " + std::to_string(limits.max_body) + " bytes");
    }
    auto doc = bdecode(body, response_limits(limits));
    if (!doc) {
        return make_error("response is not bencoded: " + doc.error().message);
    }
    if (!doc->is_dict()) {
        return make_error("response is not a dictionary");
    }
    return doc;
}

// A "peers" or "peers6" value in either form, appended to `out`.
Result<bool> decode_peer_value(const BValue& v, AddressFamily family,
                               const TrackerResponseLimits& limits, std::vector<TrackerPeer>& out) {
    const std::size_t room = limits.max_peers - out.size();
    if (v.is_string()) {
        auto peers = decode_compact_peers(v.as_string(), family, room);
        if (!peers) {
            return peers.error();
        }
        for (const PeerAddress& a : *peers) {
            out.push_back(TrackerPeer{a, std::nullopt});
        }
        return true;
    }
    if (!v.is_list()) {
        return make_error("peers is neither a string nor a list");
    }
    if (v.as_list().size() > room) {
        return make_error("more than " + std::to_string(limits.max_peers) + " peers");
    }
    for (const BValue& entry : v.as_list()) {
        const std::string* ip = entry.find_string("ip");
        const auto port = entry.find_integer("port");
        if (ip == nullptr || !port || *port < 0 || *port > 65535) {
            return make_error("a peer without a valid ip and port");
        }
        auto address = parse_ip_address(*ip, static_cast<std::uint16_t>(*port));
        if (!address) {
            continue;  // a host name (see the header)
        }
        TrackerPeer peer{*address, std::nullopt};
        PeerId id{};
        if (const std::string* s = entry.find_string("peer id");
            s != nullptr && from_bytes(*s, id)) {
            peer.peer_id = id;
        }
        out.push_back(std::move(peer));
    }
    return true;
}

}  // namespace

// ---- Peer addresses -------------------------------------------------------------------

PeerAddress PeerAddress::v4(std::array<std::uint8_t, 4> ip, std::uint16_t port) {
    PeerAddress a;
    a.family = AddressFamily::v4;
    std::memcpy(a.bytes.data(), ip.data(), 4);
    a.port = port;
    return a;
}

PeerAddress PeerAddress::v6(std::array<std::uint8_t, 16> ip, std::uint16_t port) {
    PeerAddress a;
    a.family = AddressFamily::v6;
    a.bytes = ip;
    a.port = port;
    return a;
}

std::string PeerAddress::ip_text() const {
    char buf[INET6_ADDRSTRLEN] = {};
    const int af = family == AddressFamily::v4 ? AF_INET : AF_INET6;
    if (inet_ntop(af, bytes.data(), buf, sizeof buf) == nullptr) {
        return "?";  // not reached: the buffer fits any address
    }
    return buf;
}

std::string PeerAddress::to_text() const {
    const std::string port_text = std::to_string(port);
    if (family == AddressFamily::v4) {
        return ip_text() + ":" + port_text;
    }
    return "[" + ip_text() + "]:" + port_text;
}

PeerAddress PeerAddress::unmapped() const {
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (family != AddressFamily::v6 || std::memcmp(bytes.data(), kMapped, 12) != 0) {
        return *this;
    }
    return v4({bytes[12], bytes[13], bytes[14], bytes[15]}, port);
}

std::optional<PeerAddress> parse_ip_address(std::string_view text, std::uint16_t port) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (text.empty() || text.size() >= sizeof buf || text.find('\0') != std::string_view::npos) {
        return std::nullopt;
    }
    std::memcpy(buf, text.data(), text.size());
    PeerAddress a;
    a.port = port;
    if (text.find(':') == std::string_view::npos) {
        a.family = AddressFamily::v4;
        if (inet_pton(AF_INET, buf, a.bytes.data()) != 1) {
            return std::nullopt;
        }
    } else {
        a.family = AddressFamily::v6;
        if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) {
            return std::nullopt;
        }
    }
    return a;
}

std::string encode_compact_peers(std::span<const PeerAddress> peers, AddressFamily family) {
    std::string out;
    for (const PeerAddress& p : peers) {
        if (p.family != family) {
            continue;
        }
        out.append(reinterpret_cast<const char*>(p.bytes.data()), p.ip_size());
        out += static_cast<char>(p.port >> 8);
        out += static_cast<char>(p.port & 0xff);
    }
    return out;
}

Result<std::vector<PeerAddress>> decode_compact_peers(std::string_view bytes, AddressFamily family,
                                                      std::size_t max_peers) {
    const std::size_t entry = family == AddressFamily::v4 ? 6 : 18;
    if (bytes.size() % entry != 0) {
        return make_error("compact peer list of " + std::to_string(bytes.size()) +
                          " bytes, not a multiple of " + std::to_string(entry));
    }
    if (bytes.size() / entry > max_peers) {
        return make_error("more than " + std::to_string(max_peers) + " peers");
    }
    std::vector<PeerAddress> out;
    out.reserve(bytes.size() / entry);
    for (std::size_t i = 0; i < bytes.size(); i += entry) {
        PeerAddress a;
        a.family = family;
        const std::size_t n = entry - 2;
        std::memcpy(a.bytes.data(), bytes.data() + i, n);
        a.port = static_cast<std::uint16_t>(static_cast<std::uint8_t>(bytes[i + n]) << 8 |
                                            static_cast<std::uint8_t>(bytes[i + n + 1]));
        out.push_back(a);
    }
    return out;
}

// ---- Percent-encoding -----------------------------------------------------------------

std::string percent_encode_query_value(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 3);
    for (char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (is_unreserved(c)) {
            out += ch;
        } else {
            out += '%';
            out += kUpperHexDigits[c >> 4];
            out += kUpperHexDigits[c & 15];
        }
    }
    return out;
}

Result<std::string> percent_decode_query_value(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (text.size() - i < 3) {
            return make_error("'%' not followed by two hex digits");
        }
        const int h = hex_digit_value(text[i + 1]);
        const int l = hex_digit_value(text[i + 2]);
        if (h < 0 || l < 0) {
            return make_error("'%' not followed by two hex digits");
        }
        out += static_cast<char>(h * 16 + l);
        i += 2;
    }
    return out;
}

// ---- Announce -------------------------------------------------------------------------

std::string_view to_text(AnnounceEvent event) {
    switch (event) {
        case AnnounceEvent::started:
            return "started";
        case AnnounceEvent::completed:
            return "completed";
        case AnnounceEvent::stopped:
            return "stopped";
        case AnnounceEvent::none:
            break;
    }
    return "";
}

std::string announce_query(const AnnounceRequest& r) {
    std::string q;
    append_param(q, "info_hash", percent_encode_query_value(bytes_of(r.info_hash)));
    append_param(q, "peer_id", percent_encode_query_value(bytes_of(r.peer_id)));
    append_param(q, "port", std::to_string(r.port));
    append_param(q, "uploaded", std::to_string(r.uploaded));
    append_param(q, "downloaded", std::to_string(r.downloaded));
    append_param(q, "left", std::to_string(r.left));
    append_param(q, "compact", r.compact ? "1" : "0");
    if (r.no_peer_id) {
        append_param(q, "no_peer_id", "1");
    }
    if (r.event != AnnounceEvent::none) {
        append_param(q, "event", to_text(r.event));
    }
    if (r.numwant) {
        append_param(q, "numwant", std::to_string(*r.numwant));
    }
    if (r.ip) {
        append_param(q, "ip", percent_encode_query_value(*r.ip));
    }
    if (r.key) {
        append_param(q, "key", percent_encode_query_value(*r.key));
    }
    if (r.trackerid) {
        append_param(q, "trackerid", percent_encode_query_value(*r.trackerid));
    }
    return q;
}

std::string announce_request_url(std::string_view announce_url, const AnnounceRequest& request) {
    return with_query(announce_url, announce_query(request));
}

Result<AnnounceRequest> parse_announce_query(std::string_view query) {
    auto params = split_query(query);
    if (!params) {
        return params.error();
    }
    // The parameters we read, each at most once: a second "left" or "info_hash" would let
    // two readers of the same query disagree.
    static constexpr std::string_view kKnown[] = {
        "info_hash", "peer_id", "port",       "uploaded", "downloaded", "left",     "compact",
        "event",     "numwant", "no_peer_id", "ip",       "key",        "trackerid"};
    bool seen[std::size(kKnown)] = {};
    AnnounceRequest r;
    for (const Param& p : *params) {
        std::size_t k = 0;
        while (k < std::size(kKnown) && kKnown[k] != p.name) {
            ++k;
        }
        if (k == std::size(kKnown)) {
            continue;
        }
        if (seen[k]) {
            return make_error("repeated " + p.name);
        }
        seen[k] = true;
        const std::string& v = p.value;
        const auto bad = [&] { return make_error("invalid " + p.name); };
        if (p.name == "info_hash") {
            if (!from_bytes(v, r.info_hash)) {
                return make_error("invalid info_hash: not 20 bytes");
            }
        } else if (p.name == "peer_id") {
            if (!from_bytes(v, r.peer_id)) {
                return make_error("invalid peer_id: not 20 bytes");
            }
        } else if (p.name == "port") {
            const auto n = parse_decimal<std::uint32_t>(v);
            if (!n || *n == 0 || *n > 65535) {
                return bad();
            }
            r.port = static_cast<std::uint16_t>(*n);
        } else if (p.name == "uploaded" || p.name == "downloaded" || p.name == "left") {
            const auto n = parse_decimal<std::uint64_t>(v);
            if (!n) {
                return bad();
            }
            (p.name == "uploaded"     ? r.uploaded
             : p.name == "downloaded" ? r.downloaded
                                      : r.left) = *n;
        } else if (p.name == "compact") {
            if (v != "0" && v != "1") {
                return bad();
            }
            r.compact = v == "1";
        } else if (p.name == "no_peer_id") {
            r.no_peer_id = v != "0";
        } else if (p.name == "event") {
            // "empty" is BEP 3's spelling of none; "paused" (BEP 21, a partial seed) is a
            // regular announce to a tracker that does not track partial seeds.
            if (v == "started") {
                r.event = AnnounceEvent::started;
            } else if (v == "completed") {
                r.event = AnnounceEvent::completed;
            } else if (v == "stopped") {
                r.event = AnnounceEvent::stopped;
            } else if (v.empty() || v == "empty" || v == "paused") {
                r.event = AnnounceEvent::none;
            } else {
                return bad();
            }
        } else if (p.name == "numwant") {
            const auto n = parse_decimal<std::uint32_t>(v);
            if (!n) {
                return bad();
            }
            r.numwant = *n;
        } else {
            if (v.size() > kMaxQueryText) {
                return make_error(p.name + " longer than " + std::to_string(kMaxQueryText) +
                                  " bytes");
            }
            (p.name == "ip" ? r.ip : p.name == "key" ? r.key : r.trackerid) = v;
        }
    }
    // BEP 3 lists every one of these as required; without "left" a tracker cannot tell a
    // seed from a leecher. uploaded and downloaded are statistics only and default to 0.
    for (std::string_view required : {"info_hash", "peer_id", "port", "left"}) {
        std::size_t k = 0;
        while (kKnown[k] != required) {
            ++k;
        }
        if (!seen[k]) {
            return make_error("missing " + std::string(required));
        }
    }
    return r;
}

AnnounceResponse announce_failure(std::string reason) {
    AnnounceResponse r;
    r.failure_reason = std::move(reason);
    return r;
}

std::string encode_announce_response(const AnnounceResponse& response, bool compact,
                                     bool with_peer_ids) {
    BValue d = BValue::dict();
    if (response.failure_reason) {
        d.set("failure reason", BValue::string(*response.failure_reason));
        return bencode(d);
    }
    d.set("interval", BValue::integer(response.interval));
    if (response.min_interval) {
        d.set("min interval", BValue::integer(*response.min_interval));
    }
    if (response.warning_message) {
        d.set("warning message", BValue::string(*response.warning_message));
    }
    if (response.tracker_id) {
        d.set("tracker id", BValue::string(*response.tracker_id));
    }
    if (response.complete) {
        d.set("complete", BValue::integer(*response.complete));
    }
    if (response.incomplete) {
        d.set("incomplete", BValue::integer(*response.incomplete));
    }
    if (compact) {
        std::vector<PeerAddress> addresses;
        addresses.reserve(response.peers.size());
        for (const TrackerPeer& p : response.peers) {
            addresses.push_back(p.address);
        }
        d.set("peers", BValue::string(encode_compact_peers(addresses, AddressFamily::v4)));
        std::string v6 = encode_compact_peers(addresses, AddressFamily::v6);
        if (!v6.empty()) {
            d.set("peers6", BValue::string(std::move(v6)));
        }
    } else {
        BValue list = BValue::list();
        for (const TrackerPeer& p : response.peers) {
            BValue entry = BValue::dict();
            entry.set("ip", BValue::string(p.address.ip_text()));
            entry.set("port", BValue::integer(p.address.port));
            if (with_peer_ids && p.peer_id) {
                entry.set("peer id", BValue::string(bytes_of(*p.peer_id)));
            }
            list.push(std::move(entry));
        }
        d.set("peers", std::move(list));
    }
    return bencode(d);
}

Result<AnnounceResponse> decode_announce_response(std::string_view body,
                                                  const TrackerResponseLimits& limits) {
    auto doc = decode_body(body, limits);
    if (!doc) {
        return doc.error();
    }
    AnnounceResponse r;
    auto failure = optional_text(*doc, "failure reason", limits.max_text);
    if (!failure) {
        return failure.error();
    }
    if (*failure) {
        r.failure_reason = std::move(*failure);
        return r;
    }
    const BValue* interval = doc->find("interval");
    if (interval == nullptr) {
        return make_error("missing interval");
    }
    auto n = checked_u32(*interval, "interval");
    if (!n) {
        return n.error();
    }
    r.interval = *n;
    auto min_interval = optional_u32(*doc, "min interval");
    auto complete = optional_u32(*doc, "complete");
    auto incomplete = optional_u32(*doc, "incomplete");
    auto warning = optional_text(*doc, "warning message", limits.max_text);
    auto tracker_id = optional_text(*doc, "tracker id", limits.max_text);
    for (const auto* e : {&min_interval, &complete, &incomplete}) {
        if (!*e) {
            return e->error();
        }
    }
    for (const auto* e : {&warning, &tracker_id}) {
        if (!*e) {
            return e->error();
        }
    }
    r.min_interval = *min_interval;
    r.complete = *complete;
    r.incomplete = *incomplete;
    r.warning_message = std::move(*warning);
    r.tracker_id = std::move(*tracker_id);
    if (const BValue* peers = doc->find("peers")) {
        auto ok = decode_peer_value(*peers, AddressFamily::v4, limits, r.peers);
        if (!ok) {
            return ok.error();
        }
    }
    if (const BValue* peers6 = doc->find("peers6")) {
        auto ok = decode_peer_value(*peers6, AddressFamily::v6, limits, r.peers);
        if (!ok) {
            return ok.error();
        }
    }
    return r;
}

// ---- Scrape ---------------------------------------------------------------------------

std::optional<std::string> scrape_url(std::string_view announce_url) {
    // The path ends at the query (which may itself hold '/': BEP 48's "announce?x=2/4").
    const std::size_t query = announce_url.find_first_of("?#");
    const std::string_view path = announce_url.substr(0, query);
    const std::size_t slash = path.rfind('/');
    if (slash == std::string_view::npos || !path.substr(slash + 1).starts_with("announce")) {
        return std::nullopt;
    }
    std::string out(announce_url.substr(0, slash + 1));
    out += "scrape";
    out += announce_url.substr(slash + 1 + std::string_view("announce").size());
    return out;
}

std::string scrape_query(std::span<const InfoHash> hashes) {
    std::string q;
    for (const InfoHash& h : hashes) {
        append_param(q, "info_hash", percent_encode_query_value(bytes_of(h)));
    }
    return q;
}

std::string scrape_request_url(std::string_view url, std::span<const InfoHash> hashes) {
    return with_query(url, scrape_query(hashes));
}

Result<std::vector<InfoHash>> parse_scrape_query(std::string_view query) {
    auto params = split_query(query);
    if (!params) {
        return params.error();
    }
    std::vector<InfoHash> hashes;
    for (const Param& p : *params) {
        if (p.name != "info_hash") {
            continue;
        }
        if (hashes.size() == kMaxHttpScrapeHashes) {
            return make_error("more than " + std::to_string(kMaxHttpScrapeHashes) +
                              " info_hash in one scrape");
        }
        InfoHash h{};
        if (!from_bytes(p.value, h)) {
            return make_error("invalid info_hash: not 20 bytes");
        }
        hashes.push_back(h);
    }
    return hashes;
}

std::string encode_scrape_response(const ScrapeResponse& response) {
    BValue d = BValue::dict();
    if (response.failure_reason) {
        d.set("failure reason", BValue::string(*response.failure_reason));
        return bencode(d);
    }
    BValue files = BValue::dict();
    for (const ScrapeEntry& e : response.files) {
        BValue counts = BValue::dict();
        counts.set("complete", BValue::integer(e.complete));
        counts.set("downloaded", BValue::integer(e.downloaded));
        counts.set("incomplete", BValue::integer(e.incomplete));
        files.set(bytes_of(e.info_hash), std::move(counts));
    }
    d.set("files", std::move(files));
    return bencode(d);
}

Result<ScrapeResponse> decode_scrape_response(std::string_view body,
                                              const TrackerResponseLimits& limits) {
    auto doc = decode_body(body, limits);
    if (!doc) {
        return doc.error();
    }
    ScrapeResponse r;
    auto failure = optional_text(*doc, "failure reason", limits.max_text);
    if (!failure) {
        return failure.error();
    }
    if (*failure) {
        r.failure_reason = std::move(*failure);
        return r;
    }
    const BValue* files = doc->find("files");
    if (files == nullptr) {
        return r;
    }
    if (!files->is_dict()) {
        return make_error("files is not a dictionary");
    }
    if (files->as_dict().size() > limits.max_files) {
        return make_error("more than " + std::to_string(limits.max_files) + " files");
    }
    for (const auto& [key, value] : files->as_dict()) {
        ScrapeEntry e;
        if (!from_bytes(key, e.info_hash)) {
            return make_error("a files key that is not a 20-byte info-hash");
        }
        if (!value.is_dict()) {
            return make_error("a files entry that is not a dictionary");
        }
        auto complete = optional_u32(value, "complete");
        auto downloaded = optional_u32(value, "downloaded");
        auto incomplete = optional_u32(value, "incomplete");
        for (const auto* c : {&complete, &downloaded, &incomplete}) {
            if (!*c) {
                return c->error();
            }
        }
        e.complete = complete->value_or(0);
        e.downloaded = downloaded->value_or(0);
        e.incomplete = incomplete->value_or(0);
        r.files.push_back(e);
    }
    return r;
}

}  // namespace l7::p2p
