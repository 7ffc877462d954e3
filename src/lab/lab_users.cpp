#include "lab/lab_users.hpp"

#include <stdexcept>

namespace l7::lab {

std::vector<LabUser> lab_users(const config::Table& settings,
                               const std::function<bool(const std::string& name)>& acceptable) {
    std::vector<LabUser> out;
    for (const std::string& entry : settings.get_strings("users")) {
        const auto colon = entry.find(':');
        const std::string name = entry.substr(0, colon);
        if (colon == std::string::npos || refuse_user_name(name) || !acceptable(name)) {
            settings.fail("users", "'" + entry + "' is not NAME:PASSWORD with a valid user name");
        }
        out.push_back(LabUser{name, entry.substr(colon + 1)});
    }
    return out;
}

std::shared_ptr<const PasswordFile> password_file_of(const std::vector<LabUser>& users) {
    std::string text;
    for (const LabUser& u : users) {
        auto hash = hash_password(u.password);
        if (!hash) {
            throw std::runtime_error(hash.error().message);
        }
        text += u.name + ":" + *hash + "\n";
    }
    auto file = PasswordFile::from_text(text, "users");
    if (!file) {
        throw std::runtime_error(file.error().message);
    }
    return *file;
}

}  // namespace l7::lab
