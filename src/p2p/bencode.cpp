#include "p2p/bencode.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <limits>

namespace l7::p2p {
namespace {

const BValue::List kNoList;
const BValue::Dict kNoDict;
const std::string kNoString;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Recursive descent over `in`; depth is bounded by the limits, so the recursion is too.
class Decoder {
  public:
    Decoder(std::string_view in, const BencodeLimits& limits) : in_(in), limits_(limits) {}

    Result<BValue> value(std::size_t depth) {
        if (pos_ >= in_.size()) {
            return fail("the input ends where a value should start");
        }
        if (++values_ > limits_.max_values) {
            return fail("more than " + std::to_string(limits_.max_values) + " values");
        }
        const char c = in_[pos_];
        if (c == 'i') {
            return integer();
        }
        if (is_digit(c)) {
            auto s = string();
            if (!s) {
                return s.error();
            }
            return BValue::string(std::move(*s));
        }
        if (c == 'l' || c == 'd') {
            if (depth >= limits_.max_depth) {
                return fail("nested deeper than " + std::to_string(limits_.max_depth));
            }
            return c == 'l' ? list(depth + 1) : dict(depth + 1);
        }
        return fail(std::string("unexpected byte 0x") + hex(c) + " where a value should start");
    }

    std::size_t position() const { return pos_; }

  private:
    static std::string hex(char c) {
        static constexpr char digits[] = "0123456789abcdef";
        const auto u = static_cast<unsigned char>(c);
        return {digits[u >> 4], digits[u & 15]};
    }

    Error fail(const std::string& why) const {
        return make_error("bencode: " + why + " (at byte " + std::to_string(pos_) + ")");
    }

    // i<digits>e: no leading zeros, no "-0", no empty number, within 64 bits.
    Result<BValue> integer() {
        ++pos_;  // 'i'
        const std::size_t start = pos_;
        const std::size_t end = in_.find('e', start);
        if (end == std::string_view::npos) {
            return fail("an integer has no end");
        }
        const std::string_view digits = in_.substr(start, end - start);
        const bool negative = !digits.empty() && digits[0] == '-';
        const std::string_view magnitude = negative ? digits.substr(1) : digits;
        if (magnitude.empty() || !std::all_of(magnitude.begin(), magnitude.end(), is_digit)) {
            return fail("an integer is not a number");
        }
        if (magnitude.size() > 1 && magnitude[0] == '0') {
            return fail("an integer has a leading zero");
        }
        if (negative && magnitude == "0") {
            return fail("an integer is -0");
        }
        std::int64_t v = 0;
        const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
        if (ec != std::errc() || ptr != digits.data() + digits.size()) {
            return fail("an integer does not fit in 64 bits");
        }
        pos_ = end + 1;
        return BValue::integer(v);
    }

    // <length>:<bytes>
    Result<std::string> string() {
        const std::size_t start = pos_;
        while (pos_ < in_.size() && is_digit(in_[pos_]) && pos_ - start < 20) {
            ++pos_;
        }
        if (pos_ >= in_.size() || in_[pos_] != ':') {
            pos_ = start;
            return fail("a string length is not followed by ':'");
        }
        const std::string_view digits = in_.substr(start, pos_ - start);
        if (digits.size() > 1 && digits[0] == '0') {
            pos_ = start;
            return fail("a string length has a leading zero");
        }
        std::uint64_t length = 0;
        const auto [ptr, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), length);
        if (ec != std::errc()) {
            pos_ = start;
            return fail("a string length does not fit in 64 bits");
        }
        ++pos_;  // ':'
        if (length > limits_.max_string) {
            return fail("a string of " + std::to_string(length) + " bytes (the limit is " +
                        std::to_string(limits_.max_string) + ")");
        }
        if (length > in_.size() - pos_) {
            return fail("a string of " + std::to_string(length) + " bytes runs past the end");
        }
        std::string s(in_.substr(pos_, length));
        pos_ += length;
        return s;
    }

    Result<BValue> list(std::size_t depth) {
        ++pos_;  // 'l'
        BValue out = BValue::list();
        for (;;) {
            if (pos_ >= in_.size()) {
                return fail("a list has no end");
            }
            if (in_[pos_] == 'e') {
                ++pos_;
                return out;
            }
            auto item = value(depth);
            if (!item) {
                return item.error();
            }
            out.as_list().push_back(std::move(*item));
        }
    }

    Result<BValue> dict(std::size_t depth) {
        ++pos_;  // 'd'
        BValue out = BValue::dict();
        for (;;) {
            if (pos_ >= in_.size()) {
                return fail("a dictionary has no end");
            }
            if (in_[pos_] == 'e') {
                ++pos_;
                return out;
            }
            if (!is_digit(in_[pos_])) {
                return fail("a dictionary key is not a string");
            }
            if (++values_ > limits_.max_values) {
                return fail("more than " + std::to_string(limits_.max_values) + " values");
            }
            const std::size_t key_at = pos_;
            auto key = string();
            if (!key) {
                return key.error();
            }
            // BEP 3: keys appear sorted as raw strings. Out of order or repeated keys would
            // let two readers disagree on a value, so they are refused.
            BValue::Dict& entries = out.as_dict();
            if (!entries.empty() && !(entries.back().first < *key)) {
                pos_ = key_at;
                return fail(entries.back().first == *key ? "a dictionary key is repeated"
                                                         : "dictionary keys are not sorted");
            }
            auto v = value(depth);
            if (!v) {
                return v.error();
            }
            entries.emplace_back(std::move(*key), std::move(*v));
        }
    }

    std::string_view in_;
    const BencodeLimits& limits_;
    std::size_t pos_ = 0;
    std::size_t values_ = 0;
};

}  // namespace

BValue BValue::integer(std::int64_t v) {
    BValue b;
    b.type_ = Type::integer;
    b.integer_ = v;
    return b;
}

BValue BValue::string(std::string s) {
    BValue b;
    b.type_ = Type::string;
    b.string_ = std::move(s);
    return b;
}

BValue BValue::list(List items) {
    BValue b;
    b.type_ = Type::list;
    b.list_ = std::move(items);
    return b;
}

BValue BValue::dict(Dict entries) {
    BValue b;
    b.type_ = Type::dict;
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& z) { return a.first < z.first; });
    b.dict_ = std::move(entries);
    return b;
}

std::int64_t BValue::as_integer() const {
    assert(is_integer());
    return is_integer() ? integer_ : 0;
}

const std::string& BValue::as_string() const {
    assert(is_string());
    return is_string() ? string_ : kNoString;
}

const BValue::List& BValue::as_list() const {
    assert(is_list());
    return is_list() ? list_ : kNoList;
}

const BValue::Dict& BValue::as_dict() const {
    assert(is_dict());
    return is_dict() ? dict_ : kNoDict;
}

BValue::List& BValue::as_list() {
    assert(is_list());
    return list_;
}

BValue::Dict& BValue::as_dict() {
    assert(is_dict());
    return dict_;
}

const BValue* BValue::find(std::string_view key) const {
    if (!is_dict()) {
        return nullptr;
    }
    const auto it = std::lower_bound(
        dict_.begin(), dict_.end(), key,
        [](const auto& entry, std::string_view k) { return std::string_view(entry.first) < k; });
    return it != dict_.end() && it->first == key ? &it->second : nullptr;
}

std::optional<std::int64_t> BValue::find_integer(std::string_view key) const {
    const BValue* v = find(key);
    return v && v->is_integer() ? std::optional(v->integer_) : std::nullopt;
}

const std::string* BValue::find_string(std::string_view key) const {
    const BValue* v = find(key);
    return v && v->is_string() ? &v->string_ : nullptr;
}

const BValue::List* BValue::find_list(std::string_view key) const {
    const BValue* v = find(key);
    return v && v->is_list() ? &v->list_ : nullptr;
}

const BValue* BValue::find_dict(std::string_view key) const {
    const BValue* v = find(key);
    return v && v->is_dict() ? v : nullptr;
}

BValue& BValue::set(std::string key, BValue value) {
    assert(is_dict());
    const auto it =
        std::lower_bound(dict_.begin(), dict_.end(), key,
                         [](const auto& entry, const std::string& k) { return entry.first < k; });
    if (it != dict_.end() && it->first == key) {
        it->second = std::move(value);
        return it->second;
    }
    return dict_.emplace(it, std::move(key), std::move(value))->second;
}

BValue& BValue::push(BValue value) {
    assert(is_list());
    list_.push_back(std::move(value));
    return list_.back();
}

void bencode_into(std::string& out, const BValue& value) {
    switch (value.type()) {
        case BValue::Type::integer:
            out += 'i';
            out += std::to_string(value.as_integer());
            out += 'e';
            return;
        case BValue::Type::string:
            out += std::to_string(value.as_string().size());
            out += ':';
            out += value.as_string();
            return;
        case BValue::Type::list:
            out += 'l';
            for (const BValue& item : value.as_list()) {
                bencode_into(out, item);
            }
            out += 'e';
            return;
        case BValue::Type::dict:
            out += 'd';
            for (const auto& [key, item] : value.as_dict()) {
                out += std::to_string(key.size());
                out += ':';
                out += key;
                bencode_into(out, item);
            }
            out += 'e';
            return;
    }
}

std::string bencode(const BValue& value) {
    std::string out;
    bencode_into(out, value);
    return out;
}

Result<DecodedPrefix> bdecode_prefix(std::string_view input, const BencodeLimits& limits) {
    Decoder decoder(input, limits);
    auto v = decoder.value(0);
    if (!v) {
        return v.error();
    }
    return DecodedPrefix{std::move(*v), decoder.position()};
}

Result<BValue> bdecode(std::string_view input, const BencodeLimits& limits) {
    auto decoded = bdecode_prefix(input, limits);
    if (!decoded) {
        return decoded.error();
    }
    if (decoded->length != input.size()) {
        return make_error("bencode: " + std::to_string(input.size() - decoded->length) +
                          " bytes after the value (at byte " + std::to_string(decoded->length) +
                          ")");
    }
    return std::move(decoded->value);
}

std::optional<std::string_view> raw_dict_value(std::string_view document, std::string_view key,
                                               const BencodeLimits& limits) {
    if (document.empty() || document[0] != 'd' || !bdecode(document, limits)) {
        return std::nullopt;
    }
    // The document is valid, so walking it needs no more checks: each value's extent is
    // found by decoding it as a prefix.
    std::size_t pos = 1;
    while (pos < document.size() && document[pos] != 'e') {
        const std::size_t colon = document.find(':', pos);
        std::size_t length = 0;
        std::from_chars(document.data() + pos, document.data() + colon, length);
        const std::string_view k = document.substr(colon + 1, length);
        pos = colon + 1 + length;
        auto v = bdecode_prefix(document.substr(pos), limits);
        if (!v) {
            return std::nullopt;
        }
        if (k == key) {
            return document.substr(pos, v->length);
        }
        pos += v->length;
    }
    return std::nullopt;
}

}  // namespace l7::p2p
