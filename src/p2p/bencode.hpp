#pragma once
// Bencoding (BEP 3): the encoding of .torrent files, tracker responses and the peer wire's
// extension messages. Integers `i42e`, strings `4:spam`, lists `l...e` and dictionaries
// `d...e` whose keys are strings in sorted order.
//
// The decoder takes bytes from the network or from a user's file, so it bounds what it
// builds: nesting depth, the number of values, and the length of any one string; and it is
// strict where a lenient reading would let two peers see different values in the same bytes
// (leading zeros, `-0`, keys out of order or repeated), because a torrent's identity is the
// SHA-1 of its bytes.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace l7::p2p {

struct BencodeLimits {
    std::size_t max_depth = 32;                 // lists and dictionaries inside each other
    std::size_t max_values = 1'000'000;         // values of every kind in one document
    std::size_t max_string = 64 * 1024 * 1024;  // bytes in one string (a torrent's pieces)
};

class BValue {
  public:
    enum class Type { integer, string, list, dict };
    using List = std::vector<BValue>;
    // Entries in key order (byte-wise), as on the wire.
    using Dict = std::vector<std::pair<std::string, BValue>>;

    BValue() = default;  // the integer 0
    static BValue integer(std::int64_t v);
    static BValue string(std::string s);
    static BValue list(List items = {});
    static BValue dict(Dict entries = {});

    Type type() const { return type_; }
    bool is_integer() const { return type_ == Type::integer; }
    bool is_string() const { return type_ == Type::string; }
    bool is_list() const { return type_ == Type::list; }
    bool is_dict() const { return type_ == Type::dict; }

    // The value of the matching type; calling the wrong one is a programming error (asserted,
    // and an empty value in release builds). Check the type first, or use the find_* helpers.
    std::int64_t as_integer() const;
    const std::string& as_string() const;
    const List& as_list() const;
    const Dict& as_dict() const;
    List& as_list();
    Dict& as_dict();

    // Dictionary lookups; nullptr / nullopt when this is not a dictionary, the key is
    // missing, or its value has another type.
    const BValue* find(std::string_view key) const;
    std::optional<std::int64_t> find_integer(std::string_view key) const;
    const std::string* find_string(std::string_view key) const;
    const List* find_list(std::string_view key) const;
    const BValue* find_dict(std::string_view key) const;

    // Builders: set() keeps a dictionary's keys sorted and replaces an existing key.
    BValue& set(std::string key, BValue value);
    BValue& push(BValue value);

    bool operator==(const BValue&) const = default;

  private:
    Type type_ = Type::integer;
    std::int64_t integer_ = 0;
    std::string string_;
    List list_;
    Dict dict_;
};

// The canonical encoding: dictionary keys sorted, so equal values give equal bytes.
std::string bencode(const BValue& value);
void bencode_into(std::string& out, const BValue& value);

// Decodes one value that must fill `input` exactly. The error says what is wrong and at
// which byte offset.
Result<BValue> bdecode(std::string_view input, const BencodeLimits& limits = {});

// Decodes one value at the start of `input` and says how many bytes it took; what follows is
// the caller's (BEP 9 sends a piece of metadata right after its bencoded header).
struct DecodedPrefix {
    BValue value;
    std::size_t length = 0;
};
Result<DecodedPrefix> bdecode_prefix(std::string_view input, const BencodeLimits& limits = {});

// The encoded bytes of `key`'s value in the dictionary that `document` is, exactly as they
// appear (a torrent's info-hash is the SHA-1 of its "info" value as written, not as we would
// re-encode it); nullopt when `document` is not a valid dictionary or lacks the key.
std::optional<std::string_view> raw_dict_value(std::string_view document, std::string_view key,
                                               const BencodeLimits& limits = {});

}  // namespace l7::p2p
