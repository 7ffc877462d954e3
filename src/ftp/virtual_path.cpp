#include "ftp/virtual_path.hpp"

#include <vector>

namespace l7::ftp {

std::optional<std::string> resolve_path(std::string_view cwd, std::string_view argument) {
    if (argument.find('\0') != std::string_view::npos || argument.size() > kMaxPathLength) {
        return std::nullopt;
    }
    std::vector<std::string_view> parts;
    auto walk = [&parts](std::string_view path) {
        while (!path.empty()) {
            const std::size_t slash = path.find('/');
            const std::string_view part = path.substr(0, slash);
            path.remove_prefix(slash == std::string_view::npos ? path.size() : slash + 1);
            if (part.empty() || part == ".") {
                continue;
            }
            if (part == "..") {
                if (!parts.empty()) {
                    parts.pop_back();
                }
                continue;
            }
            parts.push_back(part);
        }
    };
    if (argument.empty() || argument.front() != '/') {
        walk(cwd);
    }
    walk(argument);
    std::string out;
    for (std::string_view part : parts) {
        out += '/';
        out += part;
    }
    if (out.empty()) {
        out = "/";
    }
    if (out.size() > kMaxPathLength) {
        return std::nullopt;
    }
    return out;
}

std::string_view parent_path(std::string_view resolved) {
    const std::size_t slash = resolved.rfind('/');
    if (slash == std::string_view::npos || slash == 0) {
        return "/";
    }
    return resolved.substr(0, slash);
}

std::string_view base_name(std::string_view resolved) {
    const std::size_t slash = resolved.rfind('/');
    return slash == std::string_view::npos ? resolved : resolved.substr(slash + 1);
}

std::string join_path(std::string_view dir, std::string_view name) {
    std::string out(dir);
    if (out.empty() || out.back() != '/') {
        out += '/';
    }
    out += name;
    return out;
}

std::string quote_path(std::string_view path) {
    std::string out = "\"";
    for (char c : path) {
        out += c;
        if (c == '"') {
            out += '"';
        }
    }
    out += '"';
    return out;
}

}  // namespace l7::ftp
