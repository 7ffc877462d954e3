#include "app/password_edit.hpp"

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "app/cli.hpp"
#include "core/password_file.hpp"
#include "core/staged_file.hpp"
#include "http/basic_auth.hpp"

namespace l7::app {

std::shared_ptr<const PasswordFile> users_from_flags(
    const std::vector<std::string>& pairs,
    const std::function<std::optional<std::string>(const std::string&)>& refuse_name,
    const std::string& preset) {
    std::string text = preset;
    for (const std::string& pair : pairs) {
        const std::size_t colon = pair.find(':');
        if (colon == std::string::npos) {
            throw UsageError("--user " + pair + ": expected NAME:PASSWORD");
        }
        const std::string name = pair.substr(0, colon);
        std::optional<std::string> why = refuse_user_name(name);
        if (!why && refuse_name) {
            why = refuse_name(name);
        }
        if (why) {
            throw UsageError("--user " + name + ": " + *why);
        }
        auto hash = hash_password(pair.substr(colon + 1));
        if (!hash) {
            throw std::runtime_error("--user " + name + ": " + hash.error().message);
        }
        text += name + ":" + *hash + "\n";
    }
    auto file = PasswordFile::from_text(text, preset.empty() ? "--user" : "--user and [[user]]");
    if (!file) {
        throw UsageError(file.error().message);
    }
    return *file;
}
namespace {

namespace fs = std::filesystem;

// A password longer than this cannot be sent in Basic credentials anyway.
constexpr std::size_t kMaxPassword = http::kMaxBasicPasswordLength;

// One line of standard input without its line ending; nullopt at end of input or when longer
// than kMaxPassword.
std::optional<std::string> read_password_line() {
    std::string line;
    char c = 0;
    while (std::cin.get(c) && c != '\n') {
        line += c;
        if (line.size() > kMaxPassword + 1) {
            throw UsageError("the password is longer than " + std::to_string(kMaxPassword) +
                             " bytes");
        }
    }
    if (!std::cin && line.empty()) {
        return std::nullopt;
    }
    if (line.ends_with('\r')) {
        line.pop_back();
    }
    return line;
}

// Asks on the terminal with echo off; the echo comes back whatever happens.
std::string prompt(const std::string& text) {
    std::cerr << text << std::flush;
    termios saved{};
    const bool tty = ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        termios quiet = saved;
        quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    auto line = read_password_line();
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        std::cerr << "\n";
    }
    if (!line) {
        throw std::runtime_error("no password given");
    }
    return *line;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + path.string() + ": " + std::strerror(errno));
    }
    std::string text;
    std::array<char, 8192> buffer{};
    while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
        text.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxPasswordFileSize) {
            throw std::runtime_error(path.string() + " is larger than 16 MiB");
        }
    }
    return text;
}

}  // namespace

void edit_password_entry(const PasswordEdit& edit) {
    const bool remove = edit.mode == PasswordEdit::Mode::remove;
    if (auto why = refuse_user_name(edit.user)) {
        throw UsageError(*why);
    }
    if (remove && edit.from_stdin) {
        throw UsageError("--delete takes no password: leave out --stdin");
    }
    const fs::path path(edit.file);
    std::error_code ec;
    const bool exists = fs::exists(path, ec);
    const std::string text = exists ? read_file(path) : std::string();
    struct stat st {};
    const mode_t mode = exists && ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0600;
    bool listed = false;
    (void)edit_password_file(text, edit.user, std::nullopt, &listed);
    if (edit.mode == PasswordEdit::Mode::add && listed) {
        throw std::runtime_error("there is a user " + edit.user + " in " + path.string() +
                                 " already");
    }
    if ((edit.mode == PasswordEdit::Mode::change || remove) && !listed) {
        throw std::runtime_error("there is no user " + edit.user + " in " + path.string());
    }
    std::optional<std::string> hash;
    if (!remove) {
        std::string password;
        if (edit.from_stdin) {
            auto line = read_password_line();
            if (!line) {
                throw UsageError("--stdin: no password on standard input");
            }
            password = std::move(*line);
        } else if (::isatty(STDIN_FILENO)) {
            password = prompt("New password for " + edit.user + ": ");
            if (prompt("Again: ") != password) {
                throw std::runtime_error("the two passwords differ; nothing changed");
            }
        } else {
            throw UsageError(
                "standard input is not a terminal: give the password on it with --stdin");
        }
        if (password.empty()) {
            throw UsageError("the password is empty");
        }
        if (password.size() > kMaxPassword) {
            throw UsageError("the password is longer than " + std::to_string(kMaxPassword) +
                             " bytes");
        }
        auto made = hash_password(password);
        explicit_bzero(password.data(), password.size());
        if (!made) {
            throw std::runtime_error(made.error().message);
        }
        hash = std::move(*made);
    }
    bool found = false;
    const std::string edited = edit_password_file(
        text, edit.user, hash ? std::optional<std::string_view>(*hash) : std::nullopt, &found);
    if (remove && !found) {
        throw std::runtime_error("there is no user " + edit.user + " in " + path.string());
    }
    if (auto e = write_file_atomically(path, edited, mode)) {
        throw std::runtime_error("cannot write " + path.string() + ": " + e.message());
    }
    const char* done = remove ? "deleted" : found ? "changed the password of" : "added";
    std::cout << done << " user " << edit.user << " in " << path.string() << "\n";
    // Other lines that make the file unusable are the admin's to fix: say so now rather
    // than when the server starts.
    if (auto check = parse_password_file(edited, path.string()); !check) {
        std::cerr << edit.command + ": warning: " << check.error().message << "\n";
    }
}

}  // namespace l7::app
