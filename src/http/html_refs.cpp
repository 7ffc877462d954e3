#include "http/html_refs.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <unordered_set>

#include "http/fields.hpp"
#include "http/head_syntax.hpp"
#include "http/target_path.hpp"

namespace l7::http {
namespace {

// ASCII whitespace as HTML defines it (section 2.3.3 of the HTML Standard): TAB LF FF CR SP.
bool is_html_space(char c) {
    return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

bool is_ascii_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_ascii_alnum(char c) {
    return is_ascii_alpha(c) || (c >= '0' && c <= '9');
}

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Attributes beyond this many on one tag are ignored: a tag with thousands of attributes
// cannot make the work per tag grow without bound.
constexpr std::size_t kMaxAttributes = 64;
// Tag and attribute names are kept up to this length (longer ones are no name we look for).
constexpr std::size_t kMaxNameLength = 32;

struct Attribute {
    std::string name;   // lowercase
    std::string value;  // character references decoded; at most max_value + 1 bytes
};

struct Tag {
    std::string name;  // lowercase
    std::vector<Attribute> attributes;

    const std::string* get(std::string_view attr) const {
        for (const Attribute& a : attributes) {
            if (a.name == attr) {
                return &a.value;
            }
        }
        return nullptr;
    }
};

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        cp = 0xFFFD;  // HTML 13.2.5.80: the replacement character
    }
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// A character reference at `text` (which starts with '&'): appends what it stands for and
// returns how many bytes it took, or 0 when it is not one (the '&' is then literal). Numeric
// references and the few named ones a URL may hold; "&amp" without ';' too, as the HTML
// Standard's legacy rule allows unless a letter, digit or '=' follows (13.2.5.73).
std::size_t char_reference(std::string_view text, std::string& out) {
    if (text.size() >= 3 && text[1] == '#') {
        const bool hex = text[2] == 'x' || text[2] == 'X';
        std::size_t i = hex ? 3 : 2;
        const std::size_t digits_start = i;
        std::uint32_t cp = 0;
        while (i < text.size()) {
            const int d = hex ? hex_digit_value(text[i])
                              : (text[i] >= '0' && text[i] <= '9' ? text[i] - '0' : -1);
            if (d < 0) {
                break;
            }
            cp = std::min<std::uint32_t>(cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(d),
                                         0x110000);
            ++i;
        }
        if (i == digits_start) {
            return 0;
        }
        if (i < text.size() && text[i] == ';') {
            ++i;
        }
        append_utf8(out, cp);
        return i;
    }
    static constexpr struct {
        std::string_view name;
        char value;
    } named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    const std::string_view rest = text.substr(1);
    for (const auto& n : named) {
        if (rest.substr(0, n.name.size()) == n.name) {
            out += n.value;
            return 1 + n.name.size();
        }
    }
    if (rest.substr(0, 3) == "amp" &&
        (rest.size() == 3 || (!is_ascii_alnum(rest[3]) && rest[3] != '='))) {
        out += '&';
        return 4;
    }
    return 0;
}

// Reads the tags of a page, one at a time, skipping text, comments, declarations and the
// contents of raw-text elements.
class Tokenizer {
  public:
    Tokenizer(std::string_view html, std::size_t max_value) : s_(html), max_value_(max_value) {}

    std::optional<Tag> next() {
        while (pos_ < s_.size()) {
            if (!raw_end_.empty()) {
                skip_raw_text();
                continue;
            }
            const std::size_t lt = s_.find('<', pos_);
            if (lt == std::string_view::npos || lt + 1 >= s_.size()) {
                pos_ = s_.size();
                break;
            }
            pos_ = lt + 1;
            const char c = s_[pos_];
            if (c == '!') {
                skip_markup_declaration();
            } else if (c == '?') {
                skip_past('>');  // a bogus comment (13.2.5.6)
            } else if (c == '/') {
                ++pos_;
                if (pos_ < s_.size() && is_ascii_alpha(s_[pos_])) {
                    Tag ignored;
                    read_tag(ignored);  // an end tag's attributes are parsed and dropped
                } else {
                    skip_past('>');
                }
            } else if (is_ascii_alpha(c)) {
                Tag tag;
                if (!read_tag(tag)) {
                    break;  // the end of the input inside a tag: the tag is dropped
                }
                if (is_raw_text(tag.name)) {
                    raw_end_ = tag.name;
                }
                return tag;
            }
            // Otherwise the '<' was text.
        }
        return std::nullopt;
    }

  private:
    static bool is_raw_text(std::string_view name) {
        // RAWTEXT and RCDATA elements (13.2.6.2, 13.2.6.4.4): no tags inside. <plaintext>
        // never ends.
        for (std::string_view raw : {"script", "style", "textarea", "title", "xmp", "iframe",
                                     "noembed", "noframes", "plaintext"}) {
            if (name == raw) {
                return true;
            }
        }
        return false;
    }

    void skip_past(char c) {
        const std::size_t at = s_.find(c, pos_);
        pos_ = at == std::string_view::npos ? s_.size() : at + 1;
    }

    void skip_markup_declaration() {
        // pos_ is at '!'. "<!--" opens a comment, which "-->" ends; "<!-->" and "<!--->" are
        // empty comments (13.2.5.43). Anything else (DOCTYPE, CDATA) ends at '>'.
        if (s_.substr(pos_, 3) == "!--") {
            pos_ += 3;
            if (s_.substr(pos_, 1) == ">") {
                ++pos_;
                return;
            }
            if (s_.substr(pos_, 2) == "->") {
                pos_ += 2;
                return;
            }
            const std::size_t end = s_.find("-->", pos_);
            pos_ = end == std::string_view::npos ? s_.size() : end + 3;
            return;
        }
        skip_past('>');
    }

    void skip_raw_text() {
        if (raw_end_ == "plaintext") {
            pos_ = s_.size();
            return;
        }
        // The first "</NAME" followed by whitespace, '/' or '>' ends it, in any case.
        while (pos_ < s_.size()) {
            const std::size_t at = s_.find("</", pos_);
            if (at == std::string_view::npos) {
                pos_ = s_.size();
                return;
            }
            std::size_t i = at + 2;
            std::size_t k = 0;
            while (k < raw_end_.size() && i < s_.size() && lower(s_[i]) == raw_end_[k]) {
                ++i;
                ++k;
            }
            if (k == raw_end_.size() &&
                (i == s_.size() || is_html_space(s_[i]) || s_[i] == '/' || s_[i] == '>')) {
                pos_ = at;  // the end tag itself is read as a tag
                raw_end_.clear();
                return;
            }
            pos_ = at + 2;
        }
    }

    // A name (tag or attribute) up to whitespace, '/', '>' (and '=' for attributes).
    std::string read_name(bool attribute) {
        std::string name;
        const std::size_t start = pos_;
        while (pos_ < s_.size()) {
            const char c = s_[pos_];
            if (is_html_space(c) || c == '/' || c == '>' ||
                (attribute && c == '=' && pos_ > start)) {
                break;
            }
            if (name.size() <= kMaxNameLength) {
                name += lower(c);
            }
            ++pos_;
        }
        return name;
    }

    void skip_spaces() {
        while (pos_ < s_.size() && is_html_space(s_[pos_])) {
            ++pos_;
        }
    }

    // Appends the value up to `stop` (a quote) or, with stop 0, up to whitespace or '>'.
    void read_value(char stop, std::string& value) {
        while (pos_ < s_.size()) {
            const char c = s_[pos_];
            if (stop != 0 ? c == stop : (is_html_space(c) || c == '>')) {
                return;
            }
            if (c == '&') {
                std::string decoded;
                const std::size_t used = char_reference(s_.substr(pos_), decoded);
                if (used > 0) {
                    if (value.size() <= max_value_) {
                        value += decoded;
                    }
                    pos_ += used;
                    continue;
                }
            }
            if (value.size() <= max_value_) {
                value += c;
            }
            ++pos_;
        }
    }

    // At the first letter of a tag name. False when the input ends inside the tag.
    bool read_tag(Tag& tag) {
        tag.name = read_name(false);
        while (true) {
            skip_spaces();
            if (pos_ >= s_.size()) {
                return false;
            }
            const char c = s_[pos_];
            if (c == '>') {
                ++pos_;
                return true;
            }
            if (c == '/') {
                ++pos_;  // self-closing, or a stray slash: either way, on to the next
                continue;
            }
            Attribute attr;
            attr.name = read_name(true);
            skip_spaces();
            if (pos_ < s_.size() && s_[pos_] == '=') {
                ++pos_;
                skip_spaces();
                if (pos_ < s_.size() && (s_[pos_] == '"' || s_[pos_] == '\'')) {
                    const char quote = s_[pos_++];
                    read_value(quote, attr.value);
                    if (pos_ >= s_.size()) {
                        return false;
                    }
                    ++pos_;  // the closing quote
                } else {
                    read_value(0, attr.value);
                }
            }
            // The first of two attributes with one name wins (13.2.5.33).
            if (tag.attributes.size() < kMaxAttributes && tag.get(attr.name) == nullptr) {
                tag.attributes.push_back(std::move(attr));
            }
        }
    }

    std::string_view s_;
    std::size_t max_value_;
    std::size_t pos_ = 0;
    std::string raw_end_;  // inside this raw-text element
};

// A reference before resolution: which attribute of which element, and its value.
struct RawRef {
    std::string element;
    std::string attribute;
    std::string value;
    bool too_long = false;  // its value was dropped: no URL that long is fetched
};

bool has_token(std::string_view list, std::string_view token) {
    std::size_t i = 0;
    while (i < list.size()) {
        while (i < list.size() && is_html_space(list[i])) {
            ++i;
        }
        const std::size_t start = i;
        while (i < list.size() && !is_html_space(list[i])) {
            ++i;
        }
        if (i > start && iequals(list.substr(start, i - start), token)) {
            return true;
        }
    }
    return false;
}

// The URL of srcset's first image candidate (HTML 4.8.4.3.10): leading whitespace and commas
// skipped, then a run of non-whitespace without its trailing commas.
std::string first_srcset_url(std::string_view srcset) {
    std::size_t i = 0;
    while (i < srcset.size() && (is_html_space(srcset[i]) || srcset[i] == ',')) {
        ++i;
    }
    const std::size_t start = i;
    while (i < srcset.size() && !is_html_space(srcset[i])) {
        ++i;
    }
    std::string_view url = srcset.substr(start, i - start);
    while (!url.empty() && url.back() == ',') {
        url.remove_suffix(1);
    }
    return std::string(url);
}

// The references a tag makes, in attribute order as the table in the header lists them.
void collect(const Tag& tag, std::vector<RawRef>& out) {
    const auto add = [&](std::string_view attribute) {
        if (const std::string* v = tag.get(attribute)) {
            out.push_back({tag.name, std::string(attribute), *v});
            return true;
        }
        return false;
    };
    const std::string& n = tag.name;
    if (n == "img") {
        if (!add("src")) {
            if (const std::string* srcset = tag.get("srcset")) {
                out.push_back({n, "srcset", first_srcset_url(*srcset)});
            }
        }
    } else if (n == "script" || n == "audio" || n == "source" || n == "iframe" || n == "embed") {
        add("src");
    } else if (n == "video") {
        add("src");
        add("poster");
    } else if (n == "object") {
        add("data");
    } else if (n == "link") {
        const std::string* rel = tag.get("rel");
        if (rel != nullptr && (has_token(*rel, "stylesheet") || has_token(*rel, "icon") ||
                               has_token(*rel, "preload"))) {
            add("href");
        }
    }
}

// The WHATWG URL parser drops leading and trailing C0-and-space and every TAB, LF and CR.
std::string strip_url_whitespace(std::string_view v) {
    std::size_t b = 0, e = v.size();
    while (b < e && static_cast<unsigned char>(v[b]) <= 0x20) {
        ++b;
    }
    while (e > b && static_cast<unsigned char>(v[e - 1]) <= 0x20) {
        --e;
    }
    std::string out;
    for (char c : v.substr(b, e - b)) {
        if (c != '\t' && c != '\n' && c != '\r') {
            out += c;
        }
    }
    return out;
}

// The scheme of a reference (RFC 3986 section 3.1), lowercase, or empty for a relative one.
std::string scheme_of(std::string_view ref) {
    if (ref.empty() || !is_ascii_alpha(ref.front())) {
        return {};
    }
    for (std::size_t i = 1; i < ref.size(); ++i) {
        const char c = ref[i];
        if (c == ':') {
            return ascii_lowercase(ref.substr(0, i));
        }
        if (!is_ascii_alnum(c) && c != '+' && c != '-' && c != '.') {
            return {};
        }
    }
    return {};
}

// What a browser does to the characters a request line cannot carry (WHATWG URL's
// percent-encode sets): spaces, controls, non-ASCII bytes (already UTF-8) and the few
// delimiters RFC 3986 excludes become %XX; a '\' is a '/' in http URLs; a '%' that starts no
// %XX escape is itself encoded.
std::string encode_for_request(std::string_view ref) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (std::size_t i = 0; i < ref.size(); ++i) {
        const auto c = static_cast<unsigned char>(ref[i]);
        const bool bad_percent =
            c == '%' && (i + 2 >= ref.size() || hex_digit_value(ref[i + 1]) < 0 ||
                         hex_digit_value(ref[i + 2]) < 0);
        if (c == '\\') {
            out += '/';
        } else if (c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>' || c == '`' ||
                   c == '{' || c == '}' || c == '|' || c == '^' || bad_percent) {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

// Resolves one reference against `base`; nullopt for what is not an http(s) URL.
std::optional<Url> resolve(const Url& base, std::string_view value, std::size_t max_length) {
    if (value.size() > max_length) {
        return std::nullopt;
    }
    std::string ref = strip_url_whitespace(value);
    if (const std::size_t hash = ref.find('#'); hash != std::string::npos) {
        ref.erase(hash);  // a fragment is never sent (RFC 9110 section 7.1)
    }
    if (ref.empty()) {
        return std::nullopt;  // "" and "#x" name the page itself, not another object
    }
    const std::string scheme = scheme_of(ref);
    if (!scheme.empty() && scheme != "http" && scheme != "https") {
        return std::nullopt;  // data:, javascript:, mailto:, ...
    }
    ref = encode_for_request(ref);
    Result<Url> url = make_error("");
    if (!scheme.empty() || ref.substr(0, 2) == "//") {
        url = resolve_reference(base, ref);
    } else {
        // A relative reference may carry "://" in its query ("/go?to=http://x") or path;
        // resolve_reference() would take it for an absolute URL. The path is resolved alone
        // (':' in it encoded) and the query appended as written.
        const std::size_t q = ref.find('?');
        std::string path = ref.substr(0, q);
        const std::string query = q == std::string::npos ? "" : ref.substr(q + 1);
        if (path.find("://") != std::string::npos) {
            std::string encoded;
            for (char c : path) {
                encoded += c == ':' ? std::string("%3A") : std::string(1, c);
            }
            path = std::move(encoded);
        }
        url = resolve_reference(base, q == std::string::npos ? path : path + "?");
        if (url && q != std::string::npos) {
            url->target += query;
        }
    }
    if (!url || !is_valid_target(url->target) || url->target.size() > max_length) {
        return std::nullopt;
    }
    return *url;
}

std::string dedup_key(const Url& url) {
    return url.scheme + "://" + ascii_lowercase(url.authority()) + url.target;
}

}  // namespace

bool same_origin(const Url& a, const Url& b) {
    return a.scheme == b.scheme && iequals(a.host, b.host) && a.port == b.port;
}

HtmlRefs extract_html_refs(std::string_view html, const Url& page, const HtmlRefLimits& limits) {
    HtmlRefs result;
    result.base = page;
    if (html.size() > limits.max_html_bytes) {
        html = html.substr(0, limits.max_html_bytes);
        result.truncated = true;
    }
    // Two passes: the first <base href> applies to every reference, also those before it.
    const std::size_t max_raw = limits.max_refs * 4;
    std::vector<RawRef> raw;
    std::optional<std::string> base_href;
    Tokenizer tokens(html, limits.max_url_length);
    while (auto tag = tokens.next()) {
        if (tag->name == "base" && !base_href) {
            if (const std::string* href = tag->get("href")) {
                base_href = *href;
            }
        }
        if (raw.size() >= max_raw) {
            result.truncated = true;
            break;
        }
        const std::size_t before = raw.size();
        collect(*tag, raw);
        for (std::size_t i = before; i < raw.size(); ++i) {
            if (raw[i].value.size() > limits.max_url_length) {
                raw[i].value = std::string();  // kept memory: the count of refs, not their size
                raw[i].too_long = true;
            }
        }
    }
    if (base_href) {
        if (auto b = resolve(page, *base_href, limits.max_url_length)) {
            result.base = *b;
        }
    }
    std::unordered_set<std::string> seen;
    for (const RawRef& r : raw) {
        auto url = r.too_long ? std::nullopt : resolve(result.base, r.value, limits.max_url_length);
        if (!url) {
            ++result.skipped;
            continue;
        }
        if (!seen.insert(dedup_key(*url)).second) {
            continue;
        }
        if (result.refs.size() >= limits.max_refs) {
            result.truncated = true;
            break;
        }
        const bool same = same_origin(*url, page);
        result.refs.push_back(HtmlRef{std::move(*url), r.element, r.attribute, same});
    }
    return result;
}

}  // namespace l7::http
