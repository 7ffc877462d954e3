#include "mail/store/maildir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <tuple>
#include <utility>

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

constexpr std::size_t kMaxUidLength = 70;  // RFC 1939 7, UIDL

// FNV-1a: a stable, short stand-in for a name too long to be a UIDL (not a security hash).
std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) {
        h = (h ^ c) * 1099511628211ULL;
    }
    return h;
}

std::string uid_for(std::string_view name) {
    const std::string_view base = name.substr(0, name.find(':'));
    const bool printable = std::all_of(base.begin(), base.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
    });
    if (!base.empty() && base.size() <= kMaxUidLength && printable) {
        return std::string(base);
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "h";
    for (std::uint64_t v = fnv1a(base), i = 0; i < 16; ++i, v >>= 4) {
        out += kHex[v & 15];
    }
    return out;
}

// ",S=1234" (the file's size) or ",W=1266" (its size with CRLF line ends, as sent) in a
// name, as Dovecot writes them (l7 writes ",S=" only: its files have CRLF line ends).
std::optional<std::uint64_t> size_in_name(std::string_view name, std::string_view key) {
    const std::string_view base = name.substr(0, name.find(':'));
    const std::size_t at = base.find(key);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    std::size_t i = at + 3;
    if (i >= base.size()) {
        return std::nullopt;
    }
    for (; i < base.size() && base[i] >= '0' && base[i] <= '9'; ++i) {
        if (v > (UINT64_MAX - 9) / 10) {
            return std::nullopt;
        }
        v = v * 10 + static_cast<std::uint64_t>(base[i] - '0');
    }
    return v;
}

// Where a message comes in delivery order: names begin "SECONDS.M<micros>" (l7's and
// Dovecot's), whose digits are not padded, so "1.M99999" sorts after "1.M100000" as text.
// Other names come after those, by name.
std::tuple<bool, std::uint64_t, std::uint64_t, std::string_view> delivery_key(
    std::string_view name) {
    std::uint64_t seconds = 0;
    std::uint64_t micros = 0;
    const char* end = name.data() + name.size();
    auto [p, ec] = std::from_chars(name.data(), end, seconds);
    if (ec == std::errc() && end - p > 2 && p[0] == '.' && p[1] == 'M') {
        auto [q, ec2] = std::from_chars(p + 2, end, micros);
        if (ec2 == std::errc() && q != p + 2) {
            return {false, seconds, micros, name};
        }
    }
    return {true, 0, 0, name};
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
    return create_private_directories(root_, kSubdirectories);
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

Result<std::vector<MaildirMessage>> Maildir::list() const {
    std::vector<MaildirMessage> out;
    for (const char* sub : {"new", "cur"}) {
        std::error_code ec;
        for (fs::directory_iterator it(root_ / sub, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if (name.starts_with('.') || !it->is_regular_file(ec)) {
                continue;
            }
            MaildirMessage m;
            m.name = name;
            m.in_new = std::string_view(sub) == "new";
            m.uid = uid_for(name);
            if (auto wire = size_in_name(name, ",W=")) {
                m.size = *wire;
            } else if (auto size = size_in_name(name, ",S=")) {
                m.size = *size;
            } else {
                m.size = static_cast<std::uint64_t>(it->file_size(ec));
            }
            out.push_back(std::move(m));
        }
        if (ec) {
            return Error{(root_ / sub).string() + ": cannot list: " + ec.message()};
        }
    }
    std::sort(out.begin(), out.end(), [](const MaildirMessage& a, const MaildirMessage& b) {
        return delivery_key(a.name) < delivery_key(b.name);
    });
    return out;
}

Result<std::string> Maildir::read(const MaildirMessage& message, std::uint64_t max_size) const {
    // Joined as a string: fs::path's operator/ splits every component again, which showed in
    // a FETCH of 10k messages.
    std::string path = root_.native();
    path += message.in_new ? "/new/" : "/cur/";
    path += message.name;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return Error{path + ": " + std::strerror(errno)};
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        static_cast<std::uint64_t>(st.st_size) > max_size) {
        ::close(fd);
        return Error{path + ": not a regular file of at most " + std::to_string(max_size) +
                     " bytes"};
    }
    std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    bytes.resize(done);
    return bytes;
}

std::error_code Maildir::remove(const std::vector<MaildirMessage>& messages) const {
    std::error_code first;
    for (const MaildirMessage& m : messages) {
        const fs::path path = root_ / (m.in_new ? "new" : "cur") / m.name;
        if (::unlink(path.c_str()) != 0 && errno != ENOENT && !first) {
            first = {errno, std::generic_category()};
        }
    }
    for (const char* sub : {"new", "cur"}) {
        if (auto ec = sync_directory(root_ / sub); ec && !first) {
            first = ec;
        }
    }
    return first;
}

std::optional<MaildirLock> MaildirLock::try_lock(const Maildir& box) {
    const fs::path path = box.root() / ".l7-pop3.lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return std::nullopt;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return std::nullopt;
    }
    return MaildirLock(fd);
}

MaildirLock::MaildirLock(MaildirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

MaildirLock& MaildirLock::operator=(MaildirLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

MaildirLock::~MaildirLock() {
    if (fd_ >= 0) {
        ::close(fd_);  // releases the flock
    }
}

}  // namespace l7::mail
