#include "p2p/extension.hpp"

#include <array>

#include "p2p/bencode.hpp"

namespace l7::p2p {

namespace {

// The payloads are at most WireLimits::max_extended (1 MiB at most) long; a handshake is a
// flat dictionary with one nested "m", a ut_metadata header a flat dictionary of three
// integers. Deeper or busier documents are hostile or broken.
BencodeLimits handshake_limits() {
    BencodeLimits limits;
    limits.max_depth = 8;
    limits.max_values = 4096;
    limits.max_string = 64 * 1024;
    return limits;
}

BencodeLimits metadata_header_limits() {
    BencodeLimits limits;
    limits.max_depth = 4;
    limits.max_values = 64;
    limits.max_string = 1024;
    return limits;
}

constexpr std::size_t kMaxClientName = 256;

}  // namespace

// --- The extended handshake ------------------------------------------------------------------

std::optional<std::uint8_t> ExtendedHandshake::extension_id(std::string_view name) const {
    const auto it = m.find(name);
    if (it == m.end() || it->second == 0) {
        return std::nullopt;
    }
    return it->second;
}

std::string describe_extended_handshake(const ExtendedHandshake& handshake) {
    std::string out;
    const auto add = [&out](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
    for (const auto& [name, id] : handshake.m) {
        if (id != 0) {
            add(name + " " + std::to_string(id));
        }
    }
    if (handshake.metadata_size) {
        add("metadata_size " + std::to_string(*handshake.metadata_size));
    }
    if (handshake.client) {
        // The peer's words: only printable ASCII reaches a terminal.
        std::string client;
        for (const char c : *handshake.client) {
            client += (c >= 0x20 && c < 0x7f) ? c : '?';
        }
        add("client " + client);
    }
    return out.empty() ? "no extensions" : out;
}

std::string encode_extended_handshake(const ExtendedHandshake& handshake) {
    BValue names = BValue::dict();
    for (const auto& [name, id] : handshake.m) {
        names.set(name, BValue::integer(id));
    }
    BValue dict = BValue::dict();
    dict.set("m", std::move(names));
    if (handshake.metadata_size) {
        dict.set("metadata_size", BValue::integer(*handshake.metadata_size));
    }
    if (handshake.port) {
        dict.set("p", BValue::integer(*handshake.port));
    }
    if (handshake.client) {
        dict.set("v", BValue::string(*handshake.client));
    }
    if (handshake.yourip) {
        dict.set("yourip", BValue::string(*handshake.yourip));
    }
    if (handshake.reqq) {
        dict.set("reqq", BValue::integer(*handshake.reqq));
    }
    return bencode(dict);
}

namespace {

Error handshake_error(std::string why) {
    return make_error("extended handshake: " + std::move(why));
}

// "m" into `out`; an error sentence when it is unusable.
std::optional<std::string> read_names(const BValue& m,
                                      std::map<std::string, std::uint8_t, std::less<>>& out) {
    if (!m.is_dict()) {
        return std::string("\"m\" is not a dictionary");
    }
    const BValue::Dict& entries = m.as_dict();
    if (entries.size() > kMaxExtensionNames) {
        return "\"m\" lists " + std::to_string(entries.size()) + " extensions (at most " +
               std::to_string(kMaxExtensionNames) + ")";
    }
    std::array<bool, 256> used{};
    for (const auto& [name, value] : entries) {
        if (name.empty() || name.size() > kMaxExtensionNameLength) {
            return "\"m\" has a name of " + std::to_string(name.size()) + " bytes (1.." +
                   std::to_string(kMaxExtensionNameLength) + ")";
        }
        if (!value.is_integer() || value.as_integer() < 0 || value.as_integer() > 255) {
            return "\"m\": the id of \"" + name + "\" is not an integer in 0..255";
        }
        const auto id = static_cast<std::uint8_t>(value.as_integer());
        // Two extensions under one id could not be told apart (BEP 10: "no extension message
        // share the same [id]"); 0 is "disabled" and may repeat.
        if (id != 0 && used[id]) {
            return "\"m\": id " + std::to_string(id) + " is given to two extensions";
        }
        used[id] = true;
        out.emplace(name, id);
    }
    return std::nullopt;
}

}  // namespace

Result<ExtendedHandshake> decode_extended_handshake(std::string_view payload) {
    auto doc = bdecode(payload, handshake_limits());
    if (!doc) {
        return handshake_error(doc.error().message);
    }
    if (!doc->is_dict()) {
        return handshake_error("not a dictionary");
    }
    ExtendedHandshake h;
    if (const BValue* m = doc->find("m")) {
        if (auto why = read_names(*m, h.m)) {
            return handshake_error(std::move(*why));
        }
    }
    if (const BValue* size = doc->find("metadata_size")) {
        if (!size->is_integer() || size->as_integer() < 1 ||
            size->as_integer() > kMaxMetadataSize) {
            return handshake_error("\"metadata_size\" is not an integer in 1.." +
                                   std::to_string(kMaxMetadataSize));
        }
        h.metadata_size = static_cast<std::uint32_t>(size->as_integer());
    }
    if (auto p = doc->find_integer("p"); p && *p >= 1 && *p <= 65535) {
        h.port = static_cast<std::uint16_t>(*p);
    }
    if (const std::string* v = doc->find_string("v"); v && v->size() <= kMaxClientName) {
        h.client = *v;
    }
    if (const std::string* ip = doc->find_string("yourip");
        ip && (ip->size() == 4 || ip->size() == 16)) {
        h.yourip = *ip;
    }
    if (auto reqq = doc->find_integer("reqq"); reqq && *reqq >= 1 && *reqq <= 65535) {
        h.reqq = static_cast<std::uint32_t>(*reqq);
    }
    return h;
}

// --- Metadata exchange -----------------------------------------------------------------------

std::uint32_t metadata_piece_count(std::uint32_t total_size) {
    return total_size / kMetadataPieceSize + (total_size % kMetadataPieceSize != 0 ? 1 : 0);
}

std::uint32_t metadata_piece_length(std::uint32_t total_size, std::uint32_t piece) {
    if (piece >= metadata_piece_count(total_size)) {
        return 0;
    }
    const std::uint64_t begin = std::uint64_t{piece} * kMetadataPieceSize;
    const std::uint64_t rest = total_size - begin;
    return static_cast<std::uint32_t>(rest < kMetadataPieceSize ? rest : kMetadataPieceSize);
}

namespace {

std::string metadata_header(MetadataMessageType type, std::uint32_t piece,
                            std::optional<std::uint32_t> total_size) {
    BValue dict = BValue::dict();
    dict.set("msg_type", BValue::integer(static_cast<int>(type)));
    dict.set("piece", BValue::integer(piece));
    if (total_size) {
        dict.set("total_size", BValue::integer(*total_size));
    }
    return bencode(dict);
}

Error metadata_error(std::string why) {
    return make_error("ut_metadata: " + std::move(why));
}

}  // namespace

std::string encode_metadata_request(std::uint32_t piece) {
    return metadata_header(MetadataMessageType::request, piece, std::nullopt);
}

std::string encode_metadata_reject(std::uint32_t piece) {
    return metadata_header(MetadataMessageType::reject, piece, std::nullopt);
}

std::string encode_metadata_data(std::uint32_t piece, std::uint32_t total_size,
                                 std::string_view data) {
    std::string out = metadata_header(MetadataMessageType::data, piece, total_size);
    out.append(data);
    return out;
}

Result<MetadataMessage> decode_metadata_message(std::string_view payload) {
    auto prefix = bdecode_prefix(payload, metadata_header_limits());
    if (!prefix) {
        return metadata_error(prefix.error().message);
    }
    const BValue& dict = prefix->value;
    if (!dict.is_dict()) {
        return metadata_error("not a dictionary");
    }
    const std::string_view rest = payload.substr(prefix->length);
    const auto msg_type = dict.find_integer("msg_type");
    if (!msg_type) {
        return metadata_error("no integer \"msg_type\"");
    }
    MetadataMessage msg;
    const auto piece = dict.find_integer("piece");
    if (piece && (*piece < 0 || *piece >= kMaxMetadataPieces)) {
        return metadata_error("piece " + std::to_string(*piece) + " is past the largest metadata");
    }
    if (piece) {
        msg.piece = static_cast<std::uint32_t>(*piece);
    }
    switch (*msg_type) {
        case static_cast<int>(MetadataMessageType::request):
        case static_cast<int>(MetadataMessageType::reject):
        case static_cast<int>(MetadataMessageType::data):
            break;
        default:
            msg.type = MetadataMessageType::unknown;
            return msg;
    }
    msg.type = static_cast<MetadataMessageType>(*msg_type);
    if (!piece) {
        return metadata_error("no integer \"piece\"");
    }
    if (msg.type != MetadataMessageType::data) {
        if (!rest.empty()) {
            return metadata_error(
                std::to_string(rest.size()) + " bytes after a " +
                (msg.type == MetadataMessageType::request ? "request" : "reject"));
        }
        return msg;
    }
    const auto total = dict.find_integer("total_size");
    if (!total || *total < 1 || *total > kMaxMetadataSize) {
        return metadata_error("\"total_size\" is not an integer in 1.." +
                              std::to_string(kMaxMetadataSize));
    }
    msg.total_size = static_cast<std::uint32_t>(*total);
    const std::uint32_t want = metadata_piece_length(msg.total_size, msg.piece);
    if (want == 0) {
        return metadata_error("piece " + std::to_string(msg.piece) + " is past the end of " +
                              std::to_string(msg.total_size) + " bytes");
    }
    if (rest.size() != want) {
        return metadata_error("piece " + std::to_string(msg.piece) + " has " +
                              std::to_string(rest.size()) + " bytes, not " + std::to_string(want));
    }
    msg.data = rest;
    return msg;
}

}  // namespace l7::p2p
