#include "dns/name.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

namespace l7::dns {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Characters that dig escapes with a backslash inside a label (they mean something in the
// master file syntax, RFC 1035 section 5.1).
bool needs_escape(unsigned char c) {
    switch (c) {
        case '.':
        case ';':
        case '\\':
        case '(':
        case ')':
        case '"':
        case '@':
        case '$':
            return true;
        default:
            return false;
    }
}

void append_label_text(std::string& out, std::string_view label) {
    for (char ch : label) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7f) {
            out += '\\';
            out += static_cast<char>('0' + c / 100);
            out += static_cast<char>('0' + c / 10 % 10);
            out += static_cast<char>('0' + c % 10);
        } else {
            if (needs_escape(c)) {
                out += '\\';
            }
            out += ch;
        }
    }
}

// Offsets of each label's length byte, first label first.
std::vector<std::size_t> label_offsets(std::string_view wire) {
    std::vector<std::size_t> offsets;
    std::size_t pos = 0;
    while (pos < wire.size() && wire[pos] != 0) {
        offsets.push_back(pos);
        pos += 1 + static_cast<std::uint8_t>(wire[pos]);
    }
    return offsets;
}

}  // namespace

Result<Name> Name::parse(std::string_view text, const Name& origin) {
    if (text.empty()) {
        return make_error("empty domain name");
    }
    if (text == "@") {
        return origin;
    }
    if (text == ".") {
        return Name();
    }
    std::string wire;
    wire.reserve(text.size() + 2);
    std::string label;
    bool absolute = false;
    auto end_label = [&]() -> bool {
        if (label.empty() || label.size() > kMaxLabel) {
            return false;
        }
        wire += static_cast<char>(label.size());
        wire += label;
        label.clear();
        return true;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '.') {
            if (!end_label()) {
                return make_error(label.empty() ? "empty label in '" + std::string(text) + "'"
                                                : "label longer than 63 bytes in '" +
                                                      std::string(text) + "'");
            }
            if (i + 1 == text.size()) {
                absolute = true;
            }
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= text.size()) {
                return make_error("dangling backslash in '" + std::string(text) + "'");
            }
            if (is_digit(text[i + 1])) {
                if (i + 3 >= text.size() || !is_digit(text[i + 2]) || !is_digit(text[i + 3])) {
                    return make_error("bad \\DDD escape in '" + std::string(text) + "'");
                }
                const int v =
                    (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
                if (v > 255) {
                    return make_error("\\DDD escape above 255 in '" + std::string(text) + "'");
                }
                label += static_cast<char>(v);
                i += 3;
            } else {
                label += text[i + 1];
                i += 1;
            }
            continue;
        }
        label += c;
    }
    if (!absolute) {
        if (!end_label()) {
            return make_error("label longer than 63 bytes in '" + std::string(text) + "'");
        }
        wire += origin.wire_;
    } else {
        wire += '\0';
    }
    if (wire.size() > kMaxNameWire) {
        return make_error("domain name longer than 255 bytes: '" + std::string(text) + "'");
    }
    return Name(std::move(wire));
}

Result<Name> Name::from_wire(std::string_view wire) {
    std::size_t pos = 0;
    while (pos < wire.size()) {
        const auto len = static_cast<std::uint8_t>(wire[pos]);
        if (len == 0) {
            if (pos + 1 != wire.size()) {
                return make_error("bytes after the root label");
            }
            if (wire.size() > kMaxNameWire) {
                return make_error("name longer than 255 bytes");
            }
            return Name(std::string(wire));
        }
        if (len > kMaxLabel) {
            return make_error("label longer than 63 bytes");
        }
        pos += 1 + len;
    }
    return make_error("name without the root label");
}

std::string Name::to_text() const {
    return wire_name::to_text(wire_);
}

std::size_t Name::label_count() const {
    return wire_name::label_count(wire_);
}

std::string_view Name::first_label() const {
    const auto len = static_cast<std::uint8_t>(wire_[0]);
    return std::string_view(wire_).substr(1, len);
}

Name Name::parent() const {
    if (is_root()) {
        return *this;
    }
    return Name(std::string(wire_name::parent(wire_)));
}

Name Name::suffix(std::size_t n) const {
    const auto offsets = label_offsets(wire_);
    if (n >= offsets.size()) {
        return *this;
    }
    if (n == 0) {
        return Name();
    }
    return Name(wire_.substr(offsets[offsets.size() - n]));
}

Result<Name> Name::prepend(std::string_view label) const {
    if (label.empty() || label.size() > kMaxLabel) {
        return make_error("bad label length");
    }
    if (wire_.size() + 1 + label.size() > kMaxNameWire) {
        return make_error("name longer than 255 bytes");
    }
    std::string wire;
    wire.reserve(wire_.size() + 1 + label.size());
    wire += static_cast<char>(label.size());
    wire += label;
    wire += wire_;
    return Name(std::move(wire));
}

Result<Name> Name::replace_suffix(const Name& old_suffix, const Name& new_suffix) const {
    if (!is_subdomain_of(old_suffix)) {
        return make_error("not below the old suffix");
    }
    const std::size_t keep = wire_.size() - old_suffix.wire_.size();
    if (keep + new_suffix.wire_.size() > kMaxNameWire) {
        return make_error("substituted name longer than 255 bytes");
    }
    return Name(wire_.substr(0, keep) + new_suffix.wire_);
}

bool Name::is_subdomain_of(const Name& other) const {
    return wire_name::is_subdomain(wire_, other.wire_);
}

Name Name::lowercased() const {
    std::string out(wire_.size(), '\0');
    wire_name::lowercase(wire_, out.data());
    return Name(std::move(out));
}

bool operator==(const Name& a, const Name& b) {
    return wire_name::equal(a.wire_, b.wire_);
}

std::strong_ordering operator<=>(const Name& a, const Name& b) {
    const auto la = label_offsets(a.wire_);
    const auto lb = label_offsets(b.wire_);
    auto ia = la.rbegin();
    auto ib = lb.rbegin();
    for (; ia != la.rend() && ib != lb.rend(); ++ia, ++ib) {
        const auto lena = static_cast<std::uint8_t>(a.wire_[*ia]);
        const auto lenb = static_cast<std::uint8_t>(b.wire_[*ib]);
        const std::size_t common = std::min(lena, lenb);
        for (std::size_t k = 1; k <= common; ++k) {
            const auto ca = static_cast<unsigned char>(ascii_lower(a.wire_[*ia + k]));
            const auto cb = static_cast<unsigned char>(ascii_lower(b.wire_[*ib + k]));
            if (ca != cb) {
                return ca <=> cb;
            }
        }
        if (lena != lenb) {
            return lena <=> lenb;
        }
    }
    return la.size() <=> lb.size();
}

namespace wire_name {

std::size_t label_count(std::string_view wire) {
    std::size_t n = 0;
    std::size_t pos = 0;
    while (pos < wire.size() && wire[pos] != 0) {
        ++n;
        pos += 1 + static_cast<std::uint8_t>(wire[pos]);
    }
    return n;
}

bool equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    if (std::memcmp(a.data(), b.data(), a.size()) == 0) {
        return true;  // the common case: the same spelling
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) {
            return false;
        }
    }
    return true;
}

bool is_subdomain(std::string_view name, std::string_view ancestor) {
    // Walk the labels of `name` until the rest is as long as `ancestor`, so a suffix match
    // always starts on a label boundary.
    std::string_view rest = name;
    while (rest.size() > ancestor.size()) {
        rest = parent(rest);
    }
    return rest.size() == ancestor.size() && equal(rest, ancestor);
}

void lowercase(std::string_view wire, char* out) {
    for (std::size_t i = 0; i < wire.size(); ++i) {
        out[i] = ascii_lower(wire[i]);
    }
}

std::string to_text(std::string_view wire) {
    if (wire.size() <= 1) {
        return ".";
    }
    std::string out;
    out.reserve(wire.size() + 1);
    std::size_t pos = 0;
    while (pos < wire.size() && wire[pos] != 0) {
        const auto len = static_cast<std::uint8_t>(wire[pos]);
        append_label_text(out, wire.substr(pos + 1, len));
        out += '.';
        pos += 1 + len;
    }
    return out;
}

}  // namespace wire_name

std::size_t NameHash::operator()(std::string_view wire) const noexcept {
    // Eight bytes at a time, each with bit 0x20 set, so 'A' and 'a' hash alike (other bytes
    // may collide a little more; NameEqual decides). Names are short: no need for more.
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ wire.size();
    std::size_t i = 0;
    for (; i + 8 <= wire.size(); i += 8) {
        std::uint64_t chunk;
        std::memcpy(&chunk, wire.data() + i, 8);
        h = (h ^ (chunk | 0x2020202020202020ull)) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    std::uint64_t tail = 0;
    for (std::size_t k = 0; i + k < wire.size(); ++k) {
        tail |= static_cast<std::uint64_t>(static_cast<unsigned char>(wire[i + k]) | 0x20u)
                << (8 * k);
    }
    h = (h ^ tail) * 0x94D049BB133111EBull;
    return static_cast<std::size_t>(h ^ (h >> 29));
}

}  // namespace l7::dns
