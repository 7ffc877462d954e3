#include "lab/state_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace l7::lab {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const fs::path& dir, const std::string& why) {
    throw std::runtime_error("lab state directory " + dir.string() + ": " + why);
}

// The directory itself, never what a symlink in its place points to; -1 if it cannot be.
int open_directory(const fs::path& dir) {
    return ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

// Empties the way for a fresh directory. Under /tmp anyone may have made the name first, so
// nothing another user owns is touched, and a symlink is removed, not followed.
void clear_old(const fs::path& dir) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) {
        if (errno != ENOENT) {
            fail(dir, std::strerror(errno));
        }
        return;
    }
    if (st.st_uid != ::geteuid()) {
        fail(dir, "it belongs to another user; remove it or set XDG_RUNTIME_DIR");
    }
    if (S_ISDIR(st.st_mode)) {
        const int fd = open_directory(dir);
        if (fd >= 0) {
            const bool locked = ::flock(fd, LOCK_EX | LOCK_NB) != 0;
            ::close(fd);
            if (locked) {
                fail(dir, "another l7 lab of yours is running and uses it");
            }
        }
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) {
        fail(dir, "cannot remove what the last lab left: " + ec.message());
    }
}

fs::path make_fresh(const fs::path& dir) {
    clear_old(dir);
    // mkdir fails if someone made the name again since: nothing is taken over unchecked.
    if (::mkdir(dir.c_str(), 0700) != 0) {
        fail(dir, std::string("cannot create it: ") + std::strerror(errno));
    }
    // Held until the process ends (the descriptor is never closed): a second lab sees it.
    const int fd = open_directory(dir);
    if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        fail(dir, "cannot lock it");
    }
    return dir;
}

}  // namespace

fs::path default_state_dir() {
    if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && *runtime) {
        return fs::path(runtime) / "l7-lab";
    }
    return fs::path("/tmp") / ("l7-lab-" + std::to_string(::getuid()));
}

const fs::path& lab_state_dir() {
    static const fs::path dir = make_fresh(default_state_dir());
    return dir;
}

}  // namespace l7::lab
