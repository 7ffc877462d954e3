#pragma once
// HTTP header fields (RFC 9110 section 5): an ordered list of name/value pairs, as received
// or to be sent. Names compare case-insensitively; a field may appear more than once, and
// list-valued fields are read as the comma-joined combination of their lines (RFC 9110
// section 5.3). Sans-I/O and allocation-light: names and values are kept as written.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace l7::http {

// ASCII case-insensitive equality, for field names and tokens.
bool iequals(std::string_view a, std::string_view b);

struct Field {
    std::string name;
    std::string value;
};

class Fields {
  public:
    void add(std::string name, std::string value);
    void add(Field&& field);
    // Replaces every field of that name with one.
    void set(std::string_view name, std::string value);
    void remove(std::string_view name);
    template <class Predicate>
    void remove_if(Predicate pred) {
        std::erase_if(fields_, pred);
    }

    // The first value of `name`, or nullopt.
    std::optional<std::string_view> get(std::string_view name) const;
    // How many field lines carry `name`.
    std::size_t count(std::string_view name) const;
    // Every value of `name`, comma-joined (RFC 9110 section 5.3); nullopt when absent.
    std::optional<std::string> combined(std::string_view name) const;
    // Whether a list-valued field (Connection, Transfer-Encoding, ...) holds `token`.
    bool has_token(std::string_view name, std::string_view token) const;

    const std::vector<Field>& all() const { return fields_; }
    std::size_t size() const { return fields_.size(); }
    bool empty() const { return fields_.empty(); }

  private:
    std::vector<Field> fields_;
};

// The comma-separated elements of a list value, trimmed of whitespace, empty ones dropped
// (RFC 9110 section 5.6.1). The views point into `value`: keep it alive while they are used
// (not the temporary that combined() returns).
std::vector<std::string_view> split_list(std::string_view value);

}  // namespace l7::http
