#pragma once
// An FtpFileSystem in memory, for the server session's unit tests and its fuzz target: a map
// of resolved virtual paths to files (a size, a time) and directories. Failures can be
// injected (fail_next, stat_errors) to reach the session's error paths.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ftp/file_system.hpp"

namespace l7::ftp {

class MemoryFs : public FtpFileSystem {
  public:
    static constexpr std::int64_t kDefaultTime = 1700000000;  // 2023-11-14 22:13:20 UTC

    struct Node {
        FtpFileInfo::Type type = FtpFileInfo::Type::file;
        std::uint64_t size = 0;
        std::int64_t mtime = kDefaultTime;
    };

    MemoryFs() { nodes["/"] = Node{FtpFileInfo::Type::directory, 0, kDefaultTime}; }

    void add_file(const std::string& path, std::uint64_t size, std::int64_t mtime = kDefaultTime) {
        nodes[path] = Node{FtpFileInfo::Type::file, size, mtime};
    }
    void add_dir(const std::string& path, std::int64_t mtime = kDefaultTime) {
        nodes[path] = Node{FtpFileInfo::Type::directory, 0, mtime};
    }
    bool has(const std::string& path) const { return nodes.count(path) != 0; }
    bool is_dir(const std::string& path) const {
        auto it = nodes.find(path);
        return it != nodes.end() && it->second.type == FtpFileInfo::Type::directory;
    }

    // The next mutating call (make, remove, rename) fails with this error.
    std::optional<FsError> fail_next;
    // stat() of this path fails with this error.
    std::map<std::string, FsError> stat_errors;
    // More entries than this: make_directory() says no_space (fuzzing stays small).
    std::size_t max_nodes = 1'000'000;

    Result<FtpFileInfo, FsError> stat(const std::string& path) override {
        ++stats;
        if (auto e = stat_errors.find(path); e != stat_errors.end()) {
            return e->second;
        }
        auto it = nodes.find(path);
        if (it == nodes.end()) {
            return FsError::not_found;
        }
        return info(path, it->second);
    }

    Result<std::vector<FtpFileInfo>, FsError> list(const std::string& path,
                                                   std::size_t max_entries) override {
        auto it = nodes.find(path);
        if (it == nodes.end()) {
            return FsError::not_found;
        }
        if (it->second.type != FtpFileInfo::Type::directory) {
            return FsError::not_directory;
        }
        std::vector<FtpFileInfo> out;
        for (const auto& [p, node] : nodes) {
            if (p != "/" && parent_of(p) == path) {
                if (out.size() >= max_entries) {
                    return FsError::too_many;
                }
                out.push_back(info(p, node));
            }
        }
        return out;  // the map is sorted, and so are the children of one directory
    }

    std::optional<FsError> make_directory(const std::string& path) override {
        if (auto e = take_failure()) {
            return e;
        }
        if (has(path)) {
            return FsError::exists;
        }
        if (nodes.size() >= max_nodes) {
            return FsError::no_space;
        }
        if (auto e = parent_error(path)) {
            return e;
        }
        add_dir(path);
        return std::nullopt;
    }

    std::optional<FsError> remove_directory(const std::string& path) override {
        if (auto e = take_failure()) {
            return e;
        }
        auto it = nodes.find(path);
        if (it == nodes.end()) {
            return FsError::not_found;
        }
        if (it->second.type != FtpFileInfo::Type::directory) {
            return FsError::not_directory;
        }
        for (const auto& [p, node] : nodes) {
            if (p.starts_with(path + "/")) {
                return FsError::not_empty;
            }
        }
        nodes.erase(it);
        return std::nullopt;
    }

    std::optional<FsError> remove_file(const std::string& path) override {
        if (auto e = take_failure()) {
            return e;
        }
        auto it = nodes.find(path);
        if (it == nodes.end()) {
            return FsError::not_found;
        }
        if (it->second.type == FtpFileInfo::Type::directory) {
            return FsError::is_directory;
        }
        nodes.erase(it);
        return std::nullopt;
    }

    std::optional<FsError> rename(const std::string& from, const std::string& to) override {
        if (auto e = take_failure()) {
            return e;
        }
        if (!has(from)) {
            return FsError::not_found;
        }
        if (from == to) {
            return std::nullopt;
        }
        if (is_dir(to)) {
            return FsError::exists;
        }
        if (auto e = parent_error(to)) {
            return e;
        }
        std::map<std::string, Node> moved;
        for (auto it = nodes.begin(); it != nodes.end();) {
            if (it->first == from || it->first.starts_with(from + "/")) {
                moved[to + it->first.substr(from.size())] = it->second;
                it = nodes.erase(it);
            } else {
                ++it;
            }
        }
        for (auto& [p, node] : moved) {
            nodes[p] = node;
        }
        return std::nullopt;
    }

    std::map<std::string, Node> nodes;
    int stats = 0;

  private:
    static std::string parent_of(const std::string& p) {
        const std::size_t slash = p.rfind('/');
        return slash == 0 ? std::string("/") : p.substr(0, slash);
    }
    static FtpFileInfo info(const std::string& path, const Node& node) {
        FtpFileInfo i;
        i.name = path == "/" ? std::string() : path.substr(path.rfind('/') + 1);
        i.type = node.type;
        i.size = node.size;
        i.modified = node.mtime;
        i.mode = node.type == FtpFileInfo::Type::directory ? 0755 : 0644;
        return i;
    }
    std::optional<FsError> parent_error(const std::string& path) const {
        auto it = nodes.find(parent_of(path));
        if (it == nodes.end()) {
            return FsError::not_found;
        }
        if (it->second.type != FtpFileInfo::Type::directory) {
            return FsError::not_directory;
        }
        return std::nullopt;
    }
    std::optional<FsError> take_failure() { return std::exchange(fail_next, std::nullopt); }
};

}  // namespace l7::ftp
