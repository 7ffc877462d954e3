#include "core/config.hpp"

#include <toml++/toml.h>

#include <fstream>
#include <sstream>

namespace l7::config {

namespace {

std::string line_of(const toml::source_region& where) {
    return where.begin.line > 0 ? std::to_string(where.begin.line) : "?";
}

}  // namespace

Table::Table(std::shared_ptr<const toml::table> root, const toml::table* node, std::string path,
             std::shared_ptr<const std::string> source)
    : root_(std::move(root)), node_(node), path_(std::move(path)), source_(std::move(source)) {}

Table Table::load_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ConfigError(path + ": cannot read the file");
    }
    std::stringstream text;
    text << in.rdbuf();
    return parse(text.str(), path);
}

Table Table::parse(std::string_view text, const std::string& source) {
    auto name = std::make_shared<const std::string>(source);
    std::shared_ptr<const toml::table> root;
    try {
        // Debian's toml++ is built with exceptions: a syntax error throws parse_error.
        root = std::make_shared<const toml::table>(toml::parse(text, source));
    } catch (const toml::parse_error& err) {
        throw ConfigError(source + ":" + line_of(err.source()) + ":" +
                          std::to_string(err.source().begin.column) + ": " +
                          std::string(err.description()));
    }
    const toml::table* node = root.get();
    return Table(std::move(root), node, "", std::move(name));
}

const toml::node* Table::find(std::string_view key) const {
    return node_->get(key);
}

std::string Table::key_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::string Table::location(const toml::node* n) const {
    const toml::source_region& where = n != nullptr ? n->source() : node_->source();
    return *source_ + ":" + line_of(where);
}

void Table::fail(std::string_view key, std::string_view message) const {
    throw ConfigError(location(find(key)) + ": key '" + key_path(key) +
                      "': " + std::string(message));
}

bool Table::has(std::string_view key) const {
    return find(key) != nullptr;
}

std::optional<std::string> Table::get_string(std::string_view key) const {
    const toml::node* n = find(key);
    if (n == nullptr) {
        return std::nullopt;
    }
    if (!n->is_string()) {
        fail(key, "expected a string");
    }
    return std::string(n->as_string()->get());
}

std::optional<std::int64_t> Table::get_integer(std::string_view key, std::int64_t min,
                                               std::int64_t max) const {
    const toml::node* n = find(key);
    if (n == nullptr) {
        return std::nullopt;
    }
    if (!n->is_integer() || n->as_integer()->get() < min || n->as_integer()->get() > max) {
        fail(key, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return n->as_integer()->get();
}

std::optional<double> Table::get_number(std::string_view key, double min, double max) const {
    const toml::node* n = find(key);
    if (n == nullptr) {
        return std::nullopt;
    }
    double v = 0;
    if (n->is_floating_point()) {
        v = n->as_floating_point()->get();
    } else if (n->is_integer()) {
        v = static_cast<double>(n->as_integer()->get());
    } else {
        fail(key, "expected a number");
    }
    if (!(v >= min && v <= max)) {
        std::ostringstream msg;
        msg << "expected a number from " << min << " to " << max;
        fail(key, msg.str());
    }
    return v;
}

std::optional<bool> Table::get_bool(std::string_view key) const {
    const toml::node* n = find(key);
    if (n == nullptr) {
        return std::nullopt;
    }
    if (!n->is_boolean()) {
        fail(key, "expected true or false");
    }
    return n->as_boolean()->get();
}

std::optional<Duration> Table::get_duration(std::string_view key) const {
    const toml::node* n = find(key);
    if (n == nullptr) {
        return std::nullopt;
    }
    if (n->is_integer()) {
        const auto secs = n->as_integer()->get();
        if (secs < 0 || secs > 1'000'000'000) {
            fail(key, "expected a duration such as \"20ms\" or \"2s\"");
        }
        return std::chrono::seconds(secs);
    }
    if (!n->is_string()) {
        fail(key, "expected a duration such as \"20ms\" or \"2s\"");
    }
    auto d = parse_duration(n->as_string()->get());
    if (!d) {
        fail(key, d.error().message);
    }
    return *d;
}

std::vector<std::string> Table::get_strings(std::string_view key) const {
    const toml::node* n = find(key);
    std::vector<std::string> out;
    if (n == nullptr) {
        return out;
    }
    if (n->is_string()) {
        out.emplace_back(n->as_string()->get());
        return out;
    }
    if (!n->is_array()) {
        fail(key, "expected an array of strings");
    }
    for (const toml::node& item : *n->as_array()) {
        if (!item.is_string()) {
            fail(key, "expected an array of strings");
        }
        out.emplace_back(item.as_string()->get());
    }
    return out;
}

std::optional<Table> Table::get_table(std::string_view key) const {
    const toml::node* n = find(key);
    if (n == nullptr) {
        return std::nullopt;
    }
    if (!n->is_table()) {
        fail(key, "expected a table");
    }
    return Table(root_, n->as_table(), key_path(key), source_);
}

std::vector<Table> Table::get_tables(std::string_view key) const {
    const toml::node* n = find(key);
    std::vector<Table> out;
    if (n == nullptr) {
        return out;
    }
    if (!n->is_array_of_tables()) {
        fail(key, "expected an array of tables ([[" + key_path(key) + "]])");
    }
    std::size_t i = 0;
    for (const toml::node& item : *n->as_array()) {
        out.push_back(Table(root_, item.as_table(), key_path(key) + "[" + std::to_string(i++) + "]",
                            source_));
    }
    return out;
}

void Table::allow_only(std::initializer_list<std::string_view> keys) const {
    for (const auto& [k, v] : *node_) {
        bool known = false;
        for (std::string_view allowed : keys) {
            known = known || k.str() == allowed;
        }
        if (!known) {
            std::string list;
            for (std::string_view allowed : keys) {
                list += list.empty() ? "" : ", ";
                list += allowed;
            }
            throw ConfigError(location(&v) + ": key '" + key_path(k.str()) +
                              "' is not known here (known keys: " + list + ")");
        }
    }
}

}  // namespace l7::config
