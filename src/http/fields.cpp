#include "http/fields.hpp"
#include "http/head_syntax.hpp"

#include <algorithm>

namespace l7::http {
namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

// Room for a typical head at once, instead of growing through 1, 2, 4 and 8 fields.
constexpr std::size_t kTypicalFields = 8;

void Fields::add(std::string name, std::string value) {
    if (fields_.capacity() == 0) {
        fields_.reserve(kTypicalFields);
    }
    fields_.emplace_back(std::move(name), std::move(value));
}

void Fields::add(Field&& field) {
    if (fields_.capacity() == 0) {
        fields_.reserve(kTypicalFields);
    }
    fields_.push_back(std::move(field));
}

void Fields::set(std::string_view name, std::string value) {
    remove(name);
    add(std::string(name), std::move(value));
}

void Fields::remove(std::string_view name) {
    std::erase_if(fields_, [&](const Field& f) { return iequals(f.name, name); });
}

std::optional<std::string_view> Fields::get(std::string_view name) const {
    for (const Field& f : fields_) {
        if (iequals(f.name, name)) {
            return std::string_view(f.value);
        }
    }
    return std::nullopt;
}

std::size_t Fields::count(std::string_view name) const {
    return static_cast<std::size_t>(std::count_if(
        fields_.begin(), fields_.end(), [&](const Field& f) { return iequals(f.name, name); }));
}

std::optional<std::string> Fields::combined(std::string_view name) const {
    std::optional<std::string> out;
    for (const Field& f : fields_) {
        if (!iequals(f.name, name)) {
            continue;
        }
        if (out) {
            *out += ", ";
            *out += f.value;
        } else {
            out = f.value;
        }
    }
    return out;
}

bool Fields::has_token(std::string_view name, std::string_view token) const {
    if (token.empty()) {
        return false;
    }
    for (const Field& f : fields_) {
        if (!iequals(f.name, name)) {
            continue;
        }
        // The elements are compared where they stand: no list is built for a lookup.
        std::string_view rest = f.value;
        for (;;) {
            const std::size_t comma = rest.find(',');
            if (iequals(trim_ows(rest.substr(0, comma)), token)) {
                return true;
            }
            if (comma == std::string_view::npos) {
                break;
            }
            rest.remove_prefix(comma + 1);
        }
    }
    return false;
}

std::vector<std::string_view> split_list(std::string_view value) {
    std::vector<std::string_view> out;
    while (true) {
        const std::size_t comma = value.find(',');
        const std::string_view element = trim_ows(value.substr(0, comma));
        if (!element.empty()) {
            out.push_back(element);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        value.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace l7::http
