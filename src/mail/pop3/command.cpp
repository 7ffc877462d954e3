#include "mail/pop3/command.hpp"

#include <array>
#include <limits>
#include <utility>

namespace l7::mail {
namespace {

struct VerbName {
    std::string_view name;
    Pop3Verb verb;
    std::size_t min_args;
    std::size_t max_args;
};

// RFC 1939 sections 4-7, RFC 2449 5 (CAPA), RFC 2595 4 (STLS), RFC 5034 4 (AUTH).
constexpr std::array<VerbName, 15> kVerbs{{
    {"USER", Pop3Verb::user, 1, 1},
    {"PASS", Pop3Verb::pass, 1, 1},
    {"APOP", Pop3Verb::apop, 2, 2},
    {"AUTH", Pop3Verb::auth, 0, 2},
    {"STLS", Pop3Verb::stls, 0, 0},
    {"CAPA", Pop3Verb::capa, 0, 0},
    {"QUIT", Pop3Verb::quit, 0, 0},
    {"STAT", Pop3Verb::stat, 0, 0},
    {"LIST", Pop3Verb::list, 0, 1},
    {"RETR", Pop3Verb::retr, 1, 1},
    {"DELE", Pop3Verb::dele, 1, 1},
    {"NOOP", Pop3Verb::noop, 0, 0},
    {"RSET", Pop3Verb::rset, 0, 0},
    {"TOP", Pop3Verb::top, 2, 2},
    {"UIDL", Pop3Verb::uidl, 0, 1},
}};

char upper(char c) {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

bool same_keyword(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (upper(a[i]) != b[i]) {
            return false;
        }
    }
    return true;
}

const VerbName* find_verb(std::string_view line) {
    const std::string_view keyword = line.substr(0, line.find(' '));
    for (const VerbName& v : kVerbs) {
        if (same_keyword(keyword, v.name)) {
            return &v;
        }
    }
    return nullptr;
}

bool is_control(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

std::optional<std::size_t> parse_digits(std::string_view text, std::size_t max_digits) {
    if (text.empty() || text.size() > max_digits) {
        return std::nullopt;
    }
    std::size_t n = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    return n;
}

}  // namespace

std::optional<Pop3Verb> pop3_verb_of(std::string_view line) {
    const VerbName* v = find_verb(line);
    return v ? std::optional<Pop3Verb>(v->verb) : std::nullopt;
}

Result<Pop3Command> parse_pop3_command(std::string_view line) {
    const VerbName* v = find_verb(line);
    if (v == nullptr) {
        return make_error("unknown command");
    }
    for (char c : line) {
        if (is_control(c)) {
            return make_error("control character in command");
        }
    }
    Pop3Command cmd{v->verb, {}};
    std::string_view rest = line.substr(v->name.size());
    if (v->verb == Pop3Verb::pass) {
        if (rest.size() < 2 || rest[0] != ' ') {
            return make_error("syntax: PASS password");
        }
        cmd.arguments.emplace_back(rest.substr(1));
        return cmd;
    }
    while (!rest.empty()) {
        const std::size_t start = rest.find_first_not_of(' ');
        if (start == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(start);
        const std::size_t end = std::min(rest.find(' '), rest.size());
        cmd.arguments.emplace_back(rest.substr(0, end));
        rest.remove_prefix(end);
        if (cmd.arguments.size() > v->max_args) {
            break;
        }
    }
    if (cmd.arguments.size() < v->min_args || cmd.arguments.size() > v->max_args) {
        return make_error(v->max_args == 0
                              ? "syntax: " + std::string(v->name) + " takes no arguments"
                              : "syntax: wrong number of arguments for " + std::string(v->name));
    }
    return cmd;
}

std::optional<std::size_t> parse_pop3_message_number(std::string_view text) {
    const auto n = parse_digits(text, 9);
    if (!n || *n == 0) {
        return std::nullopt;
    }
    return n;
}

std::optional<std::size_t> parse_pop3_line_count(std::string_view text) {
    if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) {
        return std::nullopt;
    }
    const std::size_t first = text.find_first_not_of('0');
    if (first == std::string_view::npos) {
        return 0;
    }
    // More than 18 significant digits is more lines than any message has.
    return parse_digits(text.substr(first), 18).value_or(std::numeric_limits<std::size_t>::max());
}

}  // namespace l7::mail
