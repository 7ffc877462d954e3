#pragma once
// Password files in Apache's htpasswd format, checked with crypt(3) (libxcrypt), for HTTP
// Basic authentication and the mail services' users:
//
//   # comment
//   alice:$2y$05$tiFuaxNv/rgfkCHUiwehu.cdmy1ubkd.4yXGJxtaSpYeHtt3Jhhqa    htpasswd -B
//   bob:$y$j9T$/6k.2IU/5UE08g.1Bsk1E.$bXTNpBmsDG3I99OlScHVrW3bCd1oWitaV08wR7gdOf8  mkpasswd
//
// One "USER:HASH" a line; blank lines and lines starting with '#' are skipped, spaces and
// tabs around a line ignored, and, as Apache does, anything after a second ':' too. Only
// slow, salted schemes are accepted: yescrypt ($y$, $gy$), scrypt ($7$), bcrypt ($2b$,
// $2y$, $2a$) and sha512crypt ($6$). Plaintext, DES, MD5 ($1$), Apache's MD5 ($apr1$, which
// libxcrypt does not implement) and SHA-1 ({SHA}) make loading fail, naming the file and the
// line, rather than leave a user who can never log in or whose hash is easily cracked.
//
// PasswordFile::load keeps the path and re-reads the file when its modification time,
// size or inode change (htpasswd and `l7 http passwd` replace it), so users can be added
// without a restart; a file that no longer parses is logged and the previous users are kept.

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"

namespace l7 {

// Why `hash` cannot stand in a password file (one sentence), or nullopt when it is a hash
// of one of the accepted schemes.
std::optional<std::string> refuse_password_hash(std::string_view hash);

// Why `user` cannot be a name in a password file, or nullopt: 1 to 255 bytes, no ':', no
// control character, no space or tab at either end, not starting with '#'. Any other byte
// (UTF-8) is allowed.
std::optional<std::string> refuse_user_name(std::string_view user);

// Whether `password` is the one `hash` was made from: crypt(3) with the hash as setting, and
// the outputs compared in constant time. False for a password holding NUL (crypt would stop
// there) and for a hash crypt does not know.
bool password_matches(std::string_view password, const std::string& hash);

// A new yescrypt hash ($y$, libxcrypt's default cost) of `password`, salted with 16 bytes
// from the kernel's random generator.
Result<std::string> hash_password(std::string_view password);

struct PasswordEntry {
    std::string user;
    std::string hash;
};

// The entries of a password file's text; `origin` names it in errors ("FILE:LINE: ...").
// Fails on a line that is not USER:HASH, a bad user name, a user listed twice, or a
// refused hash.
Result<std::vector<PasswordEntry>> parse_password_file(std::string_view text,
                                                       std::string_view origin);

// The file's text with `user`'s line replaced by "user:hash" (appended when there is none),
// or removed when `hash` is nullopt. Every other line stays as written (each ends with '\n'
// afterwards). `found` (if not null) tells whether the user had a line.
std::string edit_password_file(std::string_view text, std::string_view user,
                               std::optional<std::string_view> hash, bool* found = nullptr);

// Password files are configuration, not network input, but still bounded.
inline constexpr std::size_t kMaxPasswordFileSize = 16 * 1024 * 1024;

class PasswordFile {
  public:
    // Reads and parses the file; it is re-read when it changes (see above).
    static Result<std::shared_ptr<PasswordFile>> load(const std::filesystem::path& path);
    // From text in memory (tests, or users from another configuration); never re-read.
    static Result<std::shared_ptr<PasswordFile>> from_text(std::string_view text,
                                                           std::string origin);

    // Whether `user` exists and `password` is theirs. An unknown user costs a hash
    // computation too, so the time taken does not tell which names exist.
    bool verify(std::string_view user, std::string_view password) const;
    bool has_user(std::string_view user) const;
    std::size_t size() const;
    // The path, or the origin given to from_text.
    const std::string& origin() const { return origin_; }

  private:
    struct Table {
        std::unordered_map<std::string, std::string> hashes;  // user -> hash
        // Checked for unknown users: a real user's hash, so that it costs the same.
        std::string dummy_hash;
    };
    // What identifies one version of the file on disk.
    struct Stamp {
        std::int64_t mtime_ns = 0;
        std::uint64_t size = 0;
        std::uint64_t inode = 0;
        std::uint64_t device = 0;
        friend bool operator==(const Stamp&, const Stamp&) = default;
    };

    PasswordFile(std::string origin, std::shared_ptr<const Table> table)
        : origin_(std::move(origin)), table_(std::move(table)) {}
    static std::shared_ptr<const Table> make_table(std::vector<PasswordEntry> entries);
    static std::optional<Stamp> stamp_of(const std::filesystem::path& path);
    static Result<std::vector<PasswordEntry>> read(const std::filesystem::path& path);
    // The current users, re-read first if the file changed.
    std::shared_ptr<const Table> current() const;

    std::string origin_;
    std::filesystem::path path_;  // empty: from_text, never re-read
    mutable std::mutex mutex_;
    mutable std::shared_ptr<const Table> table_;
    mutable std::optional<Stamp> stamp_;
};

}  // namespace l7
