#include "core/password_file.hpp"

#include <crypt.h>
#include <sys/stat.h>

#include <array>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/log.hpp"
#include "core/secure_random.hpp"

namespace l7 {
namespace {

constexpr std::string_view kHowToFix = "make a new one with htpasswd -B or l7 http passwd";

// Checked when the file has no users at all, so that an unknown name still costs a yescrypt
// computation. Its password is random and was thrown away.
constexpr const char* kNoUsersDummyHash =
    "$y$j9T$/6k.2IU/5UE08g.1Bsk1E.$bXTNpBmsDG3I99OlScHVrW3bCd1oWitaV08wR7gdOf8";

// The schemes libxcrypt implements that are slow and salted enough for passwords an
// attacker may try offline (libxcrypt's own crypt(5) lists the others as weak or legacy).
constexpr std::array<std::string_view, 7> kAcceptedPrefixes = {
    "$y$", "$gy$", "$7$", "$2b$", "$2y$", "$2a$", "$6$",
};

bool is_des_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '/';
}

bool is_control(char c) {
    const auto b = static_cast<unsigned char>(c);
    return b < 0x20 || b == 0x7F;
}

// Equal strings, in a time that depends on their lengths only (the length of a hash is
// fixed by its scheme, so it tells nothing).
bool equal_constant_time(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = static_cast<unsigned char>(diff | (a[i] ^ b[i]));
    }
    return diff == 0;
}

std::string_view trim_blanks(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

// One line of a password file, without its '\n'.
struct Line {
    enum class Kind { blank, entry, malformed } kind = Kind::blank;
    std::string_view user;
    std::string_view hash;
};

Line classify(std::string_view raw) {
    const std::string_view line = trim_blanks(raw);
    if (line.empty() || line.front() == '#') {
        return {};
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
        return {Line::Kind::malformed, {}, {}};
    }
    std::string_view hash = line.substr(colon + 1);
    hash = hash.substr(0, hash.find(':'));  // later fields: ignored, as Apache does
    return {Line::Kind::entry, line.substr(0, colon), hash};
}

// Calls f(line) for each line of `text` (without the '\n'; a last line without one too).
template <class F>
void for_each_line(std::string_view text, F f) {
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        f(text.substr(0, nl));
        if (nl == std::string_view::npos) {
            break;
        }
        text.remove_prefix(nl + 1);
    }
}

}  // namespace

std::optional<std::string> refuse_password_hash(std::string_view hash) {
    if (hash.empty()) {
        return "the hash is empty";
    }
    if (hash.starts_with("$apr1$")) {
        return "Apache's MD5 hash ($apr1$, htpasswd -m) is not supported by libxcrypt: " +
               std::string(kHowToFix);
    }
    if (hash.starts_with("$1$")) {
        return "MD5-crypt ($1$) is too weak: " + std::string(kHowToFix);
    }
    if (hash.starts_with("{SHA}")) {
        return "SHA-1 ({SHA}, htpasswd -s) is too weak: " + std::string(kHowToFix);
    }
    if (!hash.starts_with('$')) {
        bool des = hash.size() == 13;
        for (char c : hash) {
            des = des && is_des_char(c);
        }
        if (des) {
            return "DES crypt (htpasswd -d) is too weak, or this is a plaintext password: " +
                   std::string(kHowToFix);
        }
        return "not a crypt(3) hash (a plaintext password?): " + std::string(kHowToFix);
    }
    for (char c : hash) {
        if (is_control(c) || c == ' ') {
            return "the hash holds a space or a control character";
        }
    }
    const std::string text(hash);
    const int check = crypt_checksalt(text.c_str());
    if (check == CRYPT_SALT_METHOD_LEGACY || check == CRYPT_SALT_METHOD_DISABLED) {
        return "the hash scheme " + text.substr(0, text.find('$', 1) + 1) +
               " is too weak (libxcrypt calls it legacy): " + std::string(kHowToFix);
    }
    if (check != CRYPT_SALT_OK) {
        return "not a valid crypt(3) hash: " + std::string(kHowToFix);
    }
    for (std::string_view prefix : kAcceptedPrefixes) {
        if (hash.starts_with(prefix)) {
            return std::nullopt;
        }
    }
    return "the hash scheme " + text.substr(0, text.find('$', 1) + 1) +
           " is not one of yescrypt, scrypt, bcrypt or sha512crypt: " + std::string(kHowToFix);
}

std::optional<std::string> refuse_user_name(std::string_view user) {
    if (user.empty()) {
        return "the user name is empty";
    }
    if (user.size() > 255) {
        return "the user name is longer than 255 bytes";
    }
    if (user.find(':') != std::string_view::npos) {
        return "a user name cannot contain ':'";
    }
    for (char c : user) {
        if (is_control(c)) {
            return "a user name cannot contain control characters";
        }
    }
    if (trim_blanks(user) != user || user.back() == '\r') {
        return "a user name cannot start or end with a space or tab";
    }
    if (user.front() == '#') {
        return "a user name cannot start with '#' (a comment)";
    }
    return std::nullopt;
}

bool password_matches(std::string_view password, const std::string& hash) {
    if (password.find('\0') != std::string_view::npos || hash.empty()) {
        return false;
    }
    // crypt_rn's work area (about 32 KiB) must start zeroed; one per call keeps this
    // thread-safe without a lock.
    auto data = std::make_unique<crypt_data>();
    std::string phrase(password);
    const char* out = crypt_rn(phrase.c_str(), hash.c_str(), data.get(), sizeof *data);
    // On failure crypt_rn returns null, and its output would start with '*'.
    const bool ok = out != nullptr && out[0] != '*' && equal_constant_time(out, hash);
    explicit_bzero(phrase.data(), phrase.size());
    explicit_bzero(data.get(), sizeof *data);
    return ok;
}

Result<std::string> hash_password(std::string_view password) {
    if (password.find('\0') != std::string_view::npos) {
        return make_error("a password cannot contain a NUL byte");
    }
    std::array<char, 16> salt_bytes{};
    for (std::size_t i = 0; i < salt_bytes.size(); i += 8) {
        const std::uint64_t bits = secure_random64();
        std::memcpy(salt_bytes.data() + i, &bits, 8);
    }
    std::array<char, CRYPT_GENSALT_OUTPUT_SIZE> setting{};
    // Count 0: libxcrypt's default cost for yescrypt.
    if (crypt_gensalt_rn("$y$", 0, salt_bytes.data(), static_cast<int>(salt_bytes.size()),
                         setting.data(), static_cast<int>(setting.size())) == nullptr) {
        return make_error(std::string("crypt_gensalt: ") + std::strerror(errno));
    }
    auto data = std::make_unique<crypt_data>();
    std::string phrase(password);
    const char* out = crypt_rn(phrase.c_str(), setting.data(), data.get(), sizeof *data);
    explicit_bzero(phrase.data(), phrase.size());
    if (out == nullptr || out[0] == '*') {
        return make_error(std::string("crypt: ") + std::strerror(errno));
    }
    std::string hash(out);
    explicit_bzero(data.get(), sizeof *data);
    return hash;
}

Result<std::vector<PasswordEntry>> parse_password_file(std::string_view text,
                                                       std::string_view origin) {
    std::vector<PasswordEntry> entries;
    std::unordered_map<std::string_view, std::size_t> seen;  // user -> line
    std::size_t number = 0;
    std::optional<Error> failure;
    for_each_line(text, [&](std::string_view raw) {
        ++number;
        if (failure) {
            return;
        }
        const auto where = [&] {
            return std::string(origin) + ":" + std::to_string(number) + ": ";
        };
        const Line line = classify(raw);
        if (line.kind == Line::Kind::malformed) {
            failure = make_error(where() + "expected USER:HASH");
            return;
        }
        if (line.kind == Line::Kind::blank) {
            return;
        }
        if (auto why = refuse_user_name(line.user)) {
            failure = make_error(where() + *why);
            return;
        }
        const std::string user_quoted = "user \"" + std::string(line.user) + "\": ";
        if (auto it = seen.find(line.user); it != seen.end()) {
            failure = make_error(where() + user_quoted + "listed again (first on line " +
                                 std::to_string(it->second) + ")");
            return;
        }
        if (auto why = refuse_password_hash(line.hash)) {
            failure = make_error(where() + user_quoted + *why);
            return;
        }
        seen.emplace(line.user, number);
        entries.push_back({std::string(line.user), std::string(line.hash)});
    });
    if (failure) {
        return *failure;
    }
    return entries;
}

std::string edit_password_file(std::string_view text, std::string_view user,
                               std::optional<std::string_view> hash, bool* found) {
    std::string out;
    out.reserve(text.size() + user.size() + (hash ? hash->size() : 0) + 2);
    bool done = false;
    for_each_line(text, [&](std::string_view raw) {
        const Line line = classify(raw);
        if (line.kind == Line::Kind::entry && line.user == user) {
            if (hash && !done) {
                out.append(user).append(":").append(*hash).append("\n");
            }
            done = true;  // a second line of the same user goes: it would be refused
            return;
        }
        out.append(raw).append("\n");
    });
    if (hash && !done) {
        out.append(user).append(":").append(*hash).append("\n");
    }
    if (found != nullptr) {
        *found = done;
    }
    return out;
}

Result<std::shared_ptr<PasswordFile>> PasswordFile::load(const std::filesystem::path& path) {
    const auto stamp = stamp_of(path);
    auto entries = read(path);
    if (!entries) {
        return entries.error();
    }
    auto file = std::shared_ptr<PasswordFile>(
        new PasswordFile(path.string(), make_table(std::move(*entries))));
    file->path_ = path;
    file->stamp_ = stamp;
    return file;
}

Result<std::shared_ptr<PasswordFile>> PasswordFile::from_text(std::string_view text,
                                                              std::string origin) {
    auto entries = parse_password_file(text, origin);
    if (!entries) {
        return entries.error();
    }
    return std::shared_ptr<PasswordFile>(
        new PasswordFile(std::move(origin), make_table(std::move(*entries))));
}

bool PasswordFile::verify(std::string_view user, std::string_view password) const {
    const auto table = current();
    const auto it = table->hashes.find(std::string(user));
    const bool known = it != table->hashes.end();
    const bool matches = password_matches(password, known ? it->second : table->dummy_hash);
    return known && matches;
}

bool PasswordFile::has_user(std::string_view user) const {
    return current()->hashes.contains(std::string(user));
}

std::size_t PasswordFile::size() const {
    return current()->hashes.size();
}

std::shared_ptr<const PasswordFile::Table> PasswordFile::make_table(
    std::vector<PasswordEntry> entries) {
    auto table = std::make_shared<Table>();
    table->dummy_hash = entries.empty() ? kNoUsersDummyHash : entries.front().hash;
    for (PasswordEntry& e : entries) {
        table->hashes.emplace(std::move(e.user), std::move(e.hash));
    }
    return table;
}

std::optional<PasswordFile::Stamp> PasswordFile::stamp_of(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return std::nullopt;
    }
    return Stamp{static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                 static_cast<std::uint64_t>(st.st_size), static_cast<std::uint64_t>(st.st_ino),
                 static_cast<std::uint64_t>(st.st_dev)};
}

Result<std::vector<PasswordEntry>> PasswordFile::read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error("cannot read the password file " + path.string() + ": " +
                          std::strerror(errno));
    }
    std::string text;
    std::array<char, 8192> buffer{};
    while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
        text.append(buffer.data(), static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxPasswordFileSize) {
            return make_error("the password file " + path.string() + " is larger than 16 MiB");
        }
    }
    if (in.bad()) {
        return make_error("cannot read the password file " + path.string());
    }
    return parse_password_file(text, path.string());
}

std::shared_ptr<const PasswordFile::Table> PasswordFile::current() const {
    const std::lock_guard lock(mutex_);
    if (path_.empty()) {
        return table_;
    }
    const auto stamp = stamp_of(path_);
    if (stamp == stamp_) {
        return table_;
    }
    // Changed, or gone: either way this version is looked at once, and logged once.
    stamp_ = stamp;
    const std::string keeping =
        "; keeping the previous " + std::to_string(table_->hashes.size()) + " users";
    if (!stamp) {
        log::warn("auth", "cannot stat the password file " + origin_ + keeping);
        return table_;
    }
    auto entries = read(path_);
    if (!entries) {
        log::warn("auth", entries.error().message + keeping);
        return table_;
    }
    table_ = make_table(std::move(*entries));
    log::info("auth",
              "reloaded " + origin_ + ": " + std::to_string(table_->hashes.size()) + " users");
    return table_;
}

}  // namespace l7
