#pragma once
// TOML configuration files (toml++), read through a view that remembers where each value came
// from, so every error names the file, the line and the key:
//
//   lab.toml:12: key 'host[2].service[0].port': expected an integer from 1 to 65535
//
// Unknown keys are errors too (allow_only), since a misspelt key silently ignored is the
// most common configuration bug.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/duration.hpp"

namespace toml {
inline namespace v3 {
class table;
class node;
}  // namespace v3
}  // namespace toml

namespace l7::config {

class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Table {
  public:
    // Throws ConfigError "FILE:LINE:COL: <parser message>" on a syntax error, or
    // "FILE: cannot read: <reason>".
    static Table load_file(const std::string& path);
    // `source` names the text in messages (a file name or "<embedded lab>").
    static Table parse(std::string_view text, const std::string& source);

    bool has(std::string_view key) const;
    std::optional<std::string> get_string(std::string_view key) const;
    std::optional<std::int64_t> get_integer(std::string_view key, std::int64_t min,
                                            std::int64_t max) const;
    std::optional<double> get_number(std::string_view key, double min, double max) const;
    std::optional<bool> get_bool(std::string_view key) const;
    // A string such as "20ms" or "2s", or an integer number of seconds.
    std::optional<Duration> get_duration(std::string_view key) const;
    // An array of strings (a single string is accepted as a one-element array).
    std::vector<std::string> get_strings(std::string_view key) const;
    std::optional<Table> get_table(std::string_view key) const;
    // An array of tables ([[key]] in TOML); empty when absent.
    std::vector<Table> get_tables(std::string_view key) const;

    // Throws for the first key not in `keys`.
    void allow_only(std::initializer_list<std::string_view> keys) const;

    // Throws ConfigError "FILE:LINE: key 'PATH.KEY': message", using the key's line when it
    // exists and the table's otherwise.
    [[noreturn]] void fail(std::string_view key, std::string_view message) const;

    const std::string& path() const { return path_; }
    const std::string& source() const { return *source_; }

  private:
    Table(std::shared_ptr<const toml::table> root, const toml::table* node, std::string path,
          std::shared_ptr<const std::string> source);
    const toml::node* find(std::string_view key) const;
    std::string key_path(std::string_view key) const;
    std::string location(const toml::node* n) const;

    std::shared_ptr<const toml::table> root_;
    const toml::table* node_;
    std::string path_;  // dotted path of this table inside the file, "" for the root
    std::shared_ptr<const std::string> source_;
};

}  // namespace l7::config
