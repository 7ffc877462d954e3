#pragma once
// The `users = ["NAME:PASSWORD", ...]` setting of the lab's mail and FTP servers: the users
// as given, and their password file (hashed at start, as `l7 http passwd` would).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/password_file.hpp"

namespace l7::lab {

struct LabUser {
    std::string name;
    std::string password;
};

// Fails the setting (config::ConfigError naming "users") for an entry without a colon or
// whose name refuse_user_name() or the service's `acceptable` rejects.
std::vector<LabUser> lab_users(const config::Table& settings,
                               const std::function<bool(const std::string& name)>& acceptable);

// The users with their passwords hashed. Throws std::runtime_error when hashing fails.
std::shared_ptr<const PasswordFile> password_file_of(const std::vector<LabUser>& users);

}  // namespace l7::lab
