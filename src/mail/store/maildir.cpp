#include "mail/store/maildir.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "core/staged_file.hpp"

namespace l7::mail {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSubdirectories[] = {"tmp", "new", "cur"};

// The format reserves '/' (a path) and ':' (the flags' separator); it writes them as octal
// escapes.
std::string escape_host(std::string_view host) {
    std::string out;
    for (char c : host) {
        if (c == '/') {
            out += "\\057";
        } else if (c == ':') {
            out += "\\072";
        } else {
            out += c;
        }
    }
    return out.empty() ? "localhost" : out;
}

std::error_code make_directory(const fs::path& dir) {
    if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) {
        return {};
    }
    return {errno, std::generic_category()};
}

}  // namespace

MaildirNamer::MaildirNamer(std::string host, pid_t pid) : host_(escape_host(host)), pid_(pid) {}

std::string MaildirNamer::next(std::int64_t unix_micros, std::uint64_t size) {
    const std::uint64_t n = counter_.fetch_add(1) + 1;
    return std::to_string(unix_micros / 1'000'000) + ".M" +
           std::to_string(unix_micros % 1'000'000) + "P" + std::to_string(pid_) + "Q" +
           std::to_string(n) + "." + host_ + ",S=" + std::to_string(size);
}

std::error_code Maildir::create() const {
    std::error_code ec;
    fs::create_directories(root_, ec);
    if (ec) {
        return ec;
    }
    for (const char* sub : kSubdirectories) {
        if (auto made = make_directory(root_ / sub)) {
            return made;
        }
    }
    return {};
}

bool Maildir::exists() const {
    std::error_code ec;
    for (const char* sub : kSubdirectories) {
        if (!fs::is_directory(root_ / sub, ec)) {
            return false;
        }
    }
    return true;
}

Maildir Maildir::folder(std::string_view name) const {
    return Maildir(root_ / ("." + std::string(name)));
}

Result<fs::path> Maildir::deliver(std::string_view message, const std::string& name) const {
    std::error_code ec;
    auto staged = StagedFile::create(root_ / "tmp", ec);
    if (!staged) {
        return Error{(root_ / "tmp").string() + ": cannot create a file: " + ec.message()};
    }
    if ((ec = staged->write(message))) {
        return Error{(root_ / "tmp").string() + ": cannot write: " + ec.message()};
    }
    const fs::path target = root_ / "new" / name;
    // create_new: fsync the data, link it under its name (never over another message),
    // fsync new/.
    if ((ec = staged->create_new(target))) {
        return Error{target.string() + ": cannot deliver: " + ec.message()};
    }
    return target;
}

bool is_valid_folder_name(std::string_view name) {
    if (name.empty() || name.size() > 255 || name.front() == '.' ||
        name.find("..") != std::string_view::npos || name.find('/') != std::string_view::npos) {
        return false;
    }
    for (char c : name) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            return false;
        }
    }
    return true;
}

}  // namespace l7::mail
