// l7::config::Table on arbitrary TOML: parse, then call every getter on keys taken from the
// text itself (so the getters meet the values really there), down nested tables. The only
// exception allowed out is ConfigError, and its message names the source first.

#include <cctype>
#include <cstdint>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "fuzz_check.hpp"

namespace {

using l7::config::ConfigError;
using l7::config::Table;

const std::string source = "fuzz.toml";

// Calls `f`; a ConfigError is an expected answer and must name the source.
template <class F>
void attempt(F&& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        const std::string_view what = e.what();
        L7_FUZZ_CHECK(what.substr(0, source.size() + 1) == source + ":");
    }
}

// Bare keys as they appear in the text ([A-Za-z0-9_-]+), at most 12 of them.
std::vector<std::string> keys_in(std::string_view text) {
    std::set<std::string> seen;
    std::vector<std::string> keys;
    std::string word;
    auto flush = [&] {
        if (!word.empty() && keys.size() < 12 && seen.insert(word).second) {
            keys.push_back(word);
        }
        word.clear();
    };
    for (char c : text) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') {
            word += c;
        } else {
            flush();
        }
    }
    flush();
    return keys;
}

struct Walker {
    std::vector<std::string> keys;
    int budget = 4000;  // getter calls, so deep or wide documents stay fast

    std::string_view key(std::size_t i) const {
        return i < keys.size() ? std::string_view(keys[i]) : std::string_view("none");
    }

    void walk(const Table& t, int depth) {
        if (depth > 4) {
            return;
        }
        L7_FUZZ_CHECK(depth == 0 || !t.path().empty());
        L7_FUZZ_CHECK(t.source() == source);
        attempt([&] { t.allow_only({}); });
        attempt([&] { t.allow_only({key(0), key(1), key(2), key(3)}); });
        for (const std::string& k : keys) {
            if ((budget -= 10) < 0) {
                return;
            }
            const bool present = t.has(k);
            attempt([&] {
                const auto s = t.get_string(k);
                L7_FUZZ_CHECK(!s || present);
            });
            attempt([&] {
                const auto v = t.get_integer(k, 1, 65535);
                L7_FUZZ_CHECK(!v || (*v >= 1 && *v <= 65535));
            });
            attempt([&] {
                (void)t.get_integer(k, std::numeric_limits<std::int64_t>::min(),
                                    std::numeric_limits<std::int64_t>::max());
            });
            attempt([&] {
                const auto v = t.get_number(k, 0.0, 1.0);
                L7_FUZZ_CHECK(!v || (*v >= 0.0 && *v <= 1.0));
            });
            attempt([&] { (void)t.get_bool(k); });
            attempt([&] {
                const auto d = t.get_duration(k);
                L7_FUZZ_CHECK(!d || d->count() >= 0);
            });
            attempt([&] {
                const auto v = t.get_strings(k);
                L7_FUZZ_CHECK(v.empty() || present);
            });
            attempt([&] {
                if (auto sub = t.get_table(k)) {
                    L7_FUZZ_CHECK(present);
                    walk(*sub, depth + 1);
                }
            });
            attempt([&] {
                for (const Table& sub : t.get_tables(k)) {
                    walk(sub, depth + 1);
                }
            });
            attempt([&] { t.fail(k, "fuzz"); });
        }
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = l7::fuzz::as_text(data, size);
    attempt([&] {
        const Table root = Table::parse(text, source);
        L7_FUZZ_CHECK(root.path().empty());
        Walker walker{keys_in(text)};
        walker.walk(root, 0);
    });
    return 0;
}
