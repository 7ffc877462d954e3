#pragma once
// Domain names (RFC 1035 sections 2.3.4, 3.1 and 5.1; RFC 4343 for case).
//
// A Name holds the uncompressed wire form of an absolute name: length-prefixed labels ending
// with the root's empty label. Comparison ignores ASCII case; the original case is kept for
// printing. Many lookups work on the wire bytes directly (a name's parent is a suffix of its
// bytes), which is why wire() is public and the free functions below take string_views.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace l7::dns {

inline constexpr std::size_t kMaxNameWire = 255;  // RFC 1035 section 2.3.4
inline constexpr std::size_t kMaxLabel = 63;

class Name {
  public:
    Name() : wire_(1, '\0') {}  // the root

    // Presentation form with \X and \DDD escapes. "@" is the origin; a name without a final
    // dot is relative to the origin.
    static Result<Name> parse(std::string_view text, const Name& origin);
    static Result<Name> parse(std::string_view text) { return parse(text, Name()); }
    // Checks the label lengths and the final root label.
    static Result<Name> from_wire(std::string_view wire);

    std::string to_text() const;
    std::string_view wire() const { return wire_; }
    std::size_t wire_size() const { return wire_.size(); }

    bool is_root() const { return wire_.size() == 1; }
    std::size_t label_count() const;  // the root label not counted
    std::string_view first_label() const;
    bool is_wildcard() const { return first_label() == "*"; }

    Name parent() const;  // the root's parent is the root
    // The last `n` labels of this name (n <= label_count()).
    Name suffix(std::size_t n) const;
    // `label` + "." + this name; fails when the result would be too long.
    Result<Name> prepend(std::string_view label) const;
    // This name with `old_suffix` replaced by `new_suffix` (DNAME substitution, RFC 6672).
    Result<Name> replace_suffix(const Name& old_suffix, const Name& new_suffix) const;

    bool is_subdomain_of(const Name& other) const;  // true when equal, too
    Name lowercased() const;

    friend bool operator==(const Name& a, const Name& b);
    // RFC 4034 section 6.1: labels compared right to left, as lowercase octet strings.
    friend std::strong_ordering operator<=>(const Name& a, const Name& b);

  private:
    explicit Name(std::string wire) : wire_(std::move(wire)) {}
    std::string wire_;
};

// Helpers on validated uncompressed wire names.
namespace wire_name {
std::size_t label_count(std::string_view wire);
// The name without its first label; the root's parent is empty.
inline std::string_view parent(std::string_view wire) {
    return wire.size() <= 1 ? std::string_view()
                            : wire.substr(1 + static_cast<std::uint8_t>(wire[0]));
}
bool equal(std::string_view a, std::string_view b);  // ASCII case-insensitive
bool is_subdomain(std::string_view name, std::string_view ancestor);
// Writes the lowercase form of `wire` to `out` (room for wire.size() bytes).
void lowercase(std::string_view wire, char* out);
std::string to_text(std::string_view wire);
}  // namespace wire_name

// Hash and equality of wire names that ignore ASCII case, with string_view lookup, so a map
// keyed by names as written can be probed with a query's name without copying it.
struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view wire) const noexcept;
};
struct NameEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept {
        return wire_name::equal(a, b);
    }
};

inline char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

}  // namespace l7::dns
