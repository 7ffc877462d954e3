#include "dns/master.hpp"

#include <fstream>
#include <optional>
#include <sstream>

#include "dns/rdata.hpp"
#include "dns/ttl.hpp"

namespace l7::dns {
namespace {

// One entry of the file: its tokens, possibly over several physical lines in parentheses.
struct LogicalLine {
    std::uint32_t line = 0;
    bool owner_omitted = false;  // the line began with a space: "use the last owner"
    std::vector<TextToken> tokens;
};

class Lexer {
  public:
    explicit Lexer(std::string_view text) : text_(text) {}

    // Fills `out` with the next entry; false at the end. A syntax error fills `error` and
    // `error_line` and skips the rest of the entry.
    bool next(LogicalLine& out, std::string& error, std::uint32_t& error_line) {
        out.tokens.clear();
        error.clear();
        int depth = 0;
        bool at_line_start = true;
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (at_line_start && depth == 0 && out.tokens.empty()) {
                out.line = line_;
                out.owner_omitted = c == ' ' || c == '\t';
            }
            at_line_start = false;
            if (c == '\n') {
                ++pos_;
                ++line_;
                at_line_start = true;
                if (depth == 0 && !out.tokens.empty()) {
                    return true;
                }
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\r') {
                ++pos_;
                continue;
            }
            if (c == ';') {
                while (pos_ < text_.size() && text_[pos_] != '\n') {
                    ++pos_;
                }
                continue;
            }
            if (c == '(') {
                if (depth > 0) {
                    return fail(out, error, error_line, "nested parentheses", depth);
                }
                ++depth;
                ++pos_;
                continue;
            }
            if (c == ')') {
                if (depth == 0) {
                    return fail(out, error, error_line, "')' without '('", depth);
                }
                --depth;
                ++pos_;
                continue;
            }
            if (c == '"') {
                const std::size_t start = ++pos_;
                while (pos_ < text_.size() && text_[pos_] != '"') {
                    if (text_[pos_] == '\n') {
                        return fail(out, error, error_line, "missing closing quote", depth);
                    }
                    if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) {
                        line_ += text_[pos_ + 1] == '\n' ? 1 : 0;  // an escaped line end
                        ++pos_;
                    }
                    ++pos_;
                }
                if (pos_ >= text_.size()) {
                    return fail(out, error, error_line, "missing closing quote", depth);
                }
                out.tokens.push_back({text_.substr(start, pos_ - start), true});
                ++pos_;
                continue;
            }
            const std::size_t start = pos_;
            while (pos_ < text_.size()) {
                const char d = text_[pos_];
                if (d == ' ' || d == '\t' || d == '\r' || d == '\n' || d == ';' || d == '(' ||
                    d == ')' || d == '"') {
                    break;
                }
                if (d == '\\' && pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') {
                    ++pos_;
                }
                ++pos_;
            }
            out.tokens.push_back({text_.substr(start, pos_ - start), false});
        }
        if (depth > 0) {
            error = "missing ')' before the end of the file";
            error_line = out.line;
            out.tokens.clear();
            return true;
        }
        return !out.tokens.empty();
    }

  private:
    bool fail(LogicalLine& out, std::string& error, std::uint32_t& error_line, const char* why,
              int depth) {
        error = why;
        error_line = line_;
        out.tokens.clear();
        // Resynchronise at the next line that starts outside parentheses: inside them, skip
        // to the closing ')' first, so the rest of the entry does not report errors of its own.
        while (depth > 0 && pos_ < text_.size()) {
            const char c = text_[pos_++];
            if (c == '\n') {
                ++line_;
            } else if (c == ';') {
                while (pos_ < text_.size() && text_[pos_] != '\n') {
                    ++pos_;
                }
            } else if (c == ')') {
                depth = 0;
            }
        }
        while (pos_ < text_.size() && text_[pos_] != '\n') {
            ++pos_;
        }
        return true;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    std::uint32_t line_ = 1;
};

std::string directory_of(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

struct ParseState {
    const MasterOptions& options;
    MasterFile& out;
    std::optional<std::uint32_t> default_ttl;  // $TTL
    std::optional<std::uint32_t> last_ttl;     // the last explicit TTL (RFC 1035 behaviour)
    bool stopped = false;
};

class FileParser {
  public:
    FileParser(ParseState& state, std::uint32_t file, Name origin, std::size_t depth)
        : s_(state), file_(file), origin_(std::move(origin)), depth_(depth) {}

    void run(std::string_view text) {
        Lexer lexer(text);
        LogicalLine line;
        std::string error;
        std::uint32_t error_line = 0;
        while (!s_.stopped && lexer.next(line, error, error_line)) {
            if (!error.empty()) {
                problem(error_line, error);
                continue;
            }
            if (!line.tokens.front().quoted && !line.owner_omitted &&
                line.tokens.front().text.starts_with('$')) {
                directive(line);
            } else {
                record(line);
            }
        }
    }

  private:
    void problem(std::uint32_t line, std::string message, bool error = true) {
        s_.out.problems.push_back({{file_, line}, std::move(message), error});
    }

    void directive(const LogicalLine& line) {
        const auto& t = line.tokens;
        const std::string_view name = t[0].text;
        if (name == "$ORIGIN") {
            if (t.size() != 2) {
                return problem(line.line, "$ORIGIN takes one domain name");
            }
            auto o = Name::parse(t[1].text, origin_);
            if (!o) {
                return problem(line.line, "$ORIGIN: " + o.error().message);
            }
            origin_ = std::move(*o);
        } else if (name == "$TTL") {
            if (t.size() != 2) {
                return problem(line.line, "$TTL takes one TTL");
            }
            const auto ttl = parse_ttl(t[1].text);
            if (!ttl || *ttl > kMaxTtl) {
                return problem(line.line, "$TTL: bad TTL '" + std::string(t[1].text) + "'");
            }
            s_.default_ttl = *ttl;
        } else if (name == "$INCLUDE") {
            include(line);
        } else {
            problem(line.line, "unknown directive '" + std::string(name) + "'");
        }
    }

    void include(const LogicalLine& line) {
        const auto& t = line.tokens;
        if (t.size() < 2 || t.size() > 3) {
            return problem(line.line, "$INCLUDE takes a file name and an optional origin");
        }
        Name origin = origin_;
        if (t.size() == 3) {
            auto o = Name::parse(t[2].text, origin_);
            if (!o) {
                return problem(line.line, "$INCLUDE origin: " + o.error().message);
            }
            origin = std::move(*o);
        }
        if (!s_.options.loader) {
            return problem(line.line, "$INCLUDE is not allowed here");
        }
        if (depth_ + 1 > s_.options.max_include_depth) {
            return problem(line.line, "$INCLUDE nested too deeply (a loop?)");
        }
        auto path = unescape(t[1].text);
        if (!path) {
            return problem(line.line, "$INCLUDE: " + path.error().message);
        }
        const std::string resolved =
            path->starts_with('/') ? *path : directory_of(s_.out.files[file_]) + *path;
        auto text = s_.options.loader(resolved);
        if (!text) {
            return problem(line.line, "$INCLUDE: " + text.error().message);
        }
        s_.out.files.push_back(resolved);
        const auto index = static_cast<std::uint32_t>(s_.out.files.size() - 1);
        FileParser child(s_, index, origin, depth_ + 1);
        child.run(*text);  // the origin and owner of this file are restored afterwards
    }

    void record(const LogicalLine& line) {
        const auto& t = line.tokens;
        std::size_t i = 0;
        if (!line.owner_omitted) {
            auto owner = Name::parse(t[0].text, origin_);
            if (!owner) {
                return problem(line.line, "bad owner name '" + std::string(t[0].text) +
                                              "': " + owner.error().message);
            }
            last_owner_ = std::move(*owner);
            i = 1;
        } else if (!last_owner_) {
            return problem(line.line, "no current owner name");
        }
        std::optional<std::uint32_t> ttl;
        std::optional<RRClass> klass;
        for (int k = 0; k < 2 && i < t.size() && !t[i].quoted; ++k) {
            if (!ttl) {
                if (auto v = parse_ttl(t[i].text)) {
                    ttl = v;
                    ++i;
                    continue;
                }
            }
            if (!klass) {
                if (auto c = class_from_text(t[i].text)) {
                    klass = c;
                    ++i;
                    continue;
                }
            }
            break;
        }
        if (i >= t.size()) {
            return problem(line.line, "missing record type");
        }
        const auto type = type_from_text(t[i].text);
        if (!type || t[i].quoted) {
            return problem(line.line, "unknown RR type '" + std::string(t[i].text) + "'");
        }
        if (is_meta_type(*type)) {
            return problem(line.line,
                           "type " + type_to_text(*type) + " cannot appear in a zone file");
        }
        if (klass && *klass != s_.options.klass) {
            return problem(line.line, "class '" + class_to_text(*klass) +
                                          "' does not match the zone's class '" +
                                          class_to_text(s_.options.klass) + "'");
        }
        auto rdata = rdata_from_text(*type, std::span(t).subspan(i + 1), origin_);
        if (!rdata) {
            return problem(line.line, type_to_text(*type) + " record: " + rdata.error().message);
        }
        // RFC 2181 section 8: a TTL with the top bit set counts as 0.
        auto clamp = [&] {
            if (*ttl > kMaxTtl) {
                problem(line.line,
                        "TTL " + std::to_string(*ttl) + " is above 2147483647 (RFC 2181); using 0",
                        false);
                ttl = 0;
            }
        };
        if (ttl) {
            clamp();
            s_.last_ttl = ttl;
        } else if (s_.default_ttl) {
            ttl = s_.default_ttl;
        } else if (s_.last_ttl) {
            ttl = s_.last_ttl;
        } else if (*type == RRType::SOA) {
            ttl = decode_soa(*rdata)->minimum;
            problem(line.line, "no TTL specified; using the SOA minimum " + std::to_string(*ttl),
                    false);
            clamp();
            s_.last_ttl = ttl;
        } else {
            return problem(line.line, "no TTL specified (add a TTL or a $TTL line)");
        }
        if (s_.out.records.size() >= s_.options.max_records) {
            problem(line.line, "more than " + std::to_string(s_.options.max_records) + " records");
            s_.stopped = true;
            return;
        }
        ResourceRecord rr{*last_owner_, *type, s_.options.klass, *ttl, std::move(*rdata)};
        s_.out.records.push_back({std::move(rr), {file_, line.line}});
    }

    ParseState& s_;
    std::uint32_t file_;
    Name origin_;
    std::size_t depth_;
    std::optional<Name> last_owner_;
};

}  // namespace

bool MasterFile::has_errors() const {
    for (const MasterProblem& p : problems) {
        if (p.error) {
            return true;
        }
    }
    return false;
}

std::string MasterFile::describe(const MasterProblem& p) const {
    std::string out = p.where.file < files.size() ? files[p.where.file] : std::string("?");
    if (p.where.line > 0) {
        out += ':' + std::to_string(p.where.line);
    }
    out += ": ";
    if (!p.error) {
        out += "warning: ";
    }
    out += p.message;
    return out;
}

MasterFile parse_master(std::string_view text, const std::string& file_name, const Name& origin,
                        const MasterOptions& options) {
    MasterFile out;
    out.files.push_back(file_name);
    ParseState state{options, out, std::nullopt, std::nullopt};
    FileParser parser(state, 0, origin, 0);
    parser.run(text);
    return out;
}

Result<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error("cannot open '" + path + "'");
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

MasterFile load_master_file(const std::string& path, const Name& origin, MasterOptions options) {
    if (!options.loader) {
        options.loader = read_text_file;
    }
    auto text = read_text_file(path);
    if (!text) {
        MasterFile out;
        out.files.push_back(path);
        out.problems.push_back({{0, 0}, "cannot open the file", true});
        return out;
    }
    return parse_master(*text, path, origin, options);
}

}  // namespace l7::dns
