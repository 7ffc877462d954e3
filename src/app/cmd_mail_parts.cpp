#include <cstdlib>
#include <fstream>
#include <iterator>

#include "app/cmd_mail_parts.hpp"

namespace l7::app {

std::string mail_password(const std::string& password_file, const std::string& user) {
    if (!password_file.empty()) {
        std::ifstream in(password_file, std::ios::binary);
        if (!in) {
            throw UsageError("--password-file " + password_file + ": cannot be read");
        }
        std::string text(std::istreambuf_iterator<char>(in), {});
        if (auto nl = text.find('\n'); nl != std::string::npos) {
            text.erase(nl);
        }
        return text;
    }
    if (const char* env = std::getenv("L7_MAIL_PASSWORD")) {
        return env;
    }
    throw UsageError("--user " + user +
                     ": give the password with --password-file FILE or in L7_MAIL_PASSWORD");
}

}  // namespace l7::app
