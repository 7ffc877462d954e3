#pragma once
// Adding, changing and deleting a user of a password file (htpasswd format, yescrypt), for
// `l7 http passwd` and `l7 mail user`. The password comes from the terminal (asked twice,
// without echo) or from the first line of standard input; the file is rewritten atomically
// and keeps its other lines and its mode (0600 when new).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/password_file.hpp"

namespace l7::app {

// Users from repeated --user NAME:PASSWORD flags, hashed now (yescrypt), in memory only,
// after the "NAME:HASH" lines of `preset` (users a configuration file gave with their hashes).
// `refuse_name` adds a server's own rule for names (why a name cannot be used, or nullopt).
// Throws UsageError naming the flag.
std::shared_ptr<const PasswordFile> users_from_flags(
    const std::vector<std::string>& pairs,
    const std::function<std::optional<std::string>(const std::string&)>& refuse_name = {},
    const std::string& preset = {});

struct PasswordEdit {
    enum class Mode {
        set,     // add the user, or change their password
        add,     // add a new user; an existing one is an error
        change,  // change an existing user's password; a missing one is an error
        remove,  // delete the user; a missing one is an error
    };
    Mode mode = Mode::set;
    std::string file;
    std::string user;
    bool from_stdin = false;
    std::string command;  // "l7 http passwd", for warnings
};

// Does the edit and prints what it did; throws UsageError (exit 2) or std::runtime_error
// (exit 1) with one sentence.
void edit_password_entry(const PasswordEdit& edit);

}  // namespace l7::app
