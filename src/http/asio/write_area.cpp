#include "http/asio/write_area.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <stdexcept>
#include <variant>

#include "core/log.hpp"
#include "core/staged_file.hpp"
#include "http/basic_auth.hpp"
#include "http/conditional.hpp"
#include "http/http_date.hpp"
#include "http/target_path.hpp"

namespace l7::http {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kAllowFiles = "GET, HEAD, OPTIONS, PUT, DELETE";
constexpr std::string_view kAllowDirectories = "GET, HEAD, OPTIONS";
constexpr mode_t kNewFileMode = 0644;

// `path` is `root` or below it; both are canonical (no "..", no symlinks).
bool within(const fs::path& path, const fs::path& root) {
    const fs::path rel = path.lexically_relative(root);
    return !rel.empty() && *rel.begin() != "..";
}

// The status for a failed file-system call: the client's fault where it is one.
int status_for_errno(int e) {
    switch (e) {
        case ENOSPC:
        case EDQUOT:
            return 507;  // RFC 4918 11.5
        case EACCES:
        case EPERM:
        case EROFS:
            return 403;
        case ENOENT:
        case ENOTDIR:
            return 409;  // a directory on the way is missing or is a file
        case EISDIR:
            return 405;
        default:
            return 500;
    }
}

Reply not_allowed(std::string_view allow, std::string_view detail) {
    Reply r = error_reply(405, detail);
    r.response.fields.add("Allow", std::string(allow));
    return r;
}

Reply no_content() {
    Reply r;
    r.response.status = 204;
    return r;
}

std::string etag_of(const struct stat& st) {
    const std::int64_t mtime_ns =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    // The static site's validator (static_site.cpp): the same file gets the same ETag from
    // both, so If-Match with an ETag from a GET works for the PUT that follows.
    return make_etag(static_cast<std::uint64_t>(st.st_size), mtime_ns,
                     static_cast<std::uint64_t>(st.st_ino));
}

// A user name as it may appear in a log line: quoted, with '"' and '\' escaped (control
// characters cannot occur: parse_basic_credentials refuses them).
std::string log_quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "\"";
}

// Where a request's file is, once the path is known to be safe.
struct Located {
    fs::path file;  // the name to write or remove; its directory is inside the root
    bool exists = false;
    struct stat st {};  // when it exists (of the file a symlink inside the root leads to)
};

}  // namespace

WriteArea::WriteArea(WriteAreaOptions options) : options_(std::move(options)) {
    if (!options_.users) {
        throw std::invalid_argument("a write area needs a password file");
    }
    std::string& p = options_.prefix;
    if (!p.starts_with('/')) {
        p.insert(p.begin(), '/');
    }
    if (!p.ends_with('/')) {
        p += '/';
    }
    std::error_code ec;
    real_root_ = fs::canonical(options_.root, ec);
    if (ec) {
        real_root_ = options_.root;
    }
}

bool WriteArea::covers(std::string_view path) const {
    const std::string_view dir = std::string_view(options_.prefix).substr(0, prefix().size() - 1);
    return path.starts_with(options_.prefix) || (!dir.empty() && path == dir);
}

bool WriteArea::accepts(const Request& request) const {
    if (request.method != "PUT" && request.method != "DELETE" && request.method != "OPTIONS") {
        return false;
    }
    const auto target = parse_target(request.target);
    return target && covers(target->path);
}

Reply WriteArea::handle(const Request& request, const std::string& body, const Peer& peer) const {
    if (request.method == "OPTIONS") {
        Reply r = no_content();
        r.response.fields.add("Allow", std::string(kAllowFiles));
        return r;
    }
    if (request.method != "PUT" && request.method != "DELETE") {
        return not_allowed(kAllowFiles, request.method + " is not allowed here");
    }
    const auto target = parse_target(request.target);
    if (!target) {
        return error_reply(status_for(target.error()), describe(target.error()));
    }
    if (target->climbed_above_root) {
        return error_reply(400, "the path climbs above the root");
    }
    if (!covers(target->path)) {
        return error_reply(404);
    }

    // RFC 7617: credentials first, so that a stranger learns nothing about the files.
    const std::string what = peer.address() + " " + request.method + " " + request.target;
    const auto credentials = basic_credentials(request.fields);
    std::string refusal;
    if (!credentials) {
        refusal = std::string(describe(credentials.error()));
    } else if (!options_.users->verify(credentials->user, credentials->password)) {
        refusal =
            "user " + log_quoted(credentials->user) +
            (options_.users->has_user(credentials->user) ? ": wrong password" : ": no such user");
    }
    if (!refusal.empty()) {
        const bool first_try = !credentials && credentials.error() == BasicAuthError::missing;
        (first_try ? log::info : log::warn)("http", what + ": 401 (" + refusal + ")");
        Reply r = error_reply(401);
        r.response.fields.add("WWW-Authenticate", basic_challenge(options_.realm));
        return r;
    }
    const std::string who = what + " by user " + log_quoted(credentials->user);

    if (target->has_dotfile_segment) {
        return error_reply(404);  // hidden, as the static site hides them
    }
    if (target->path.ends_with('/')) {
        return not_allowed(kAllowDirectories, "a directory cannot be written or deleted");
    }
    return request.method == "PUT" ? put(request, body, target->path, who)
                                   : remove(request, target->path, who);
}

namespace {

// RFC 9110 13.2.2 for a PUT or DELETE: If-Match and If-None-Match against the file's
// current ETag (If-Unmodified-Since against its modification time).
bool preconditions_hold(const Request& request, const Located& at) {
    ResourceState state;
    state.exists = at.exists;
    const std::string etag = at.exists ? etag_of(at.st) : std::string();
    if (at.exists) {
        state.etag = etag;
        state.last_modified = at.st.st_mtim.tv_sec;
    }
    const auto result =
        evaluate_preconditions(request.method, request.fields, state, std::time(nullptr));
    return result.outcome != PreconditionOutcome::precondition_failed;
}

// The file `path` names under `root`, or the reply that refuses it: the parent must be an
// existing directory inside the root, a symlink may only lead to a file inside it, and the
// request's preconditions must hold.
std::variant<Located, Reply> locate(const fs::path& root, const fs::path& real_root,
                                    const Request& request, const std::string& path,
                                    const std::string& who) {
    const fs::path full = root / fs::path(path).relative_path();
    std::error_code ec;
    const fs::path parent = fs::canonical(full.parent_path(), ec);
    if (ec) {
        const int status = status_for_errno(ec.value());
        return error_reply(status, status == 409 ? "the parent directory does not exist" : "");
    }
    if (!within(parent, real_root)) {
        log::warn("http", who + ": a symlink out of the document root: 403");
        return error_reply(403);
    }
    if (!fs::is_directory(parent, ec)) {
        return error_reply(409, "the parent is not a directory");
    }
    Located at;
    at.file = parent / full.filename();
    if (::lstat(at.file.c_str(), &at.st) == 0 && S_ISLNK(at.st.st_mode)) {
        const fs::path real = fs::canonical(at.file, ec);
        if (ec || !within(real, real_root)) {
            log::warn("http", who + ": a symlink out of the document root: 403");
            return error_reply(403);
        }
        at.file = real;  // writes go to the file the link names, which stays a link
    }
    at.exists = ::stat(at.file.c_str(), &at.st) == 0;
    if (at.exists && S_ISDIR(at.st.st_mode)) {
        return not_allowed(kAllowDirectories, "a directory cannot be written or deleted");
    }
    if (at.exists && !S_ISREG(at.st.st_mode)) {
        return error_reply(403);
    }
    if (!preconditions_hold(request, at)) {
        return error_reply(412);
    }
    return at;
}

Reply failed(const std::string& who, std::string_view step, const std::error_code& ec) {
    const int status = status_for_errno(ec.value());
    log::warn("http",
              who + ": " + std::string(step) + ": " + ec.message() + ": " + std::to_string(status));
    return error_reply(status);
}

}  // namespace

Reply WriteArea::put(const Request& request, const std::string& body, const std::string& path,
                     const std::string& who) const {
    if (request.fields.get("Content-Range")) {
        return error_reply(400, "partial PUT (Content-Range) is not supported");
    }
    auto located = locate(options_.root, real_root_, request, path, who);
    if (auto* refused = std::get_if<Reply>(&located)) {
        return std::move(*refused);
    }
    const Located& at = std::get<Located>(located);
    std::error_code ec;
    auto staged = StagedFile::create(at.file.parent_path(), ec);
    if (!staged) {
        return failed(who, "cannot create a temporary file", ec);
    }
    if ((ec = staged->write(body)) ||
        (ec = staged->set_mode(at.exists ? at.st.st_mode & 07777 : kNewFileMode))) {
        return failed(who, "cannot write", ec);
    }
    bool created = false;
    if (!at.exists) {
        ec = staged->create_new(at.file);
        created = !ec;
        if (ec && ec != std::errc::file_exists) {
            return failed(who, "cannot create the file", ec);
        }
        if (ec && request.fields.get("If-None-Match")) {
            return error_reply(412);  // created by another request meanwhile
        }
    }
    if (!created && (ec = staged->replace(at.file))) {
        return failed(who, "cannot replace the file", ec);
    }
    Reply r = no_content();
    if (created) {
        r = error_reply(201);
        r.response.fields.add("Location", percent_encode(path, EncodeSet::path));
    }
    struct stat st {};
    if (::stat(at.file.c_str(), &st) == 0) {
        // Stored as sent (RFC 9110 9.3.4 allows validators then).
        r.response.fields.add("ETag", etag_of(st));
        r.response.fields.add("Last-Modified", format_http_date(st.st_mtim.tv_sec));
    }
    log::info("http", who + ": " + std::to_string(r.response.status) + ", " +
                          std::to_string(body.size()) + " bytes");
    return r;
}

Reply WriteArea::remove(const Request& request, const std::string& path,
                        const std::string& who) const {
    auto located = locate(options_.root, real_root_, request, path, who);
    if (auto* refused = std::get_if<Reply>(&located)) {
        return std::move(*refused);
    }
    const Located& at = std::get<Located>(located);
    if (!at.exists) {
        return error_reply(404);
    }
    // A symlink inside the root is removed itself (fs::path of the link's name, not `at.file`,
    // which is where it leads): DELETE removes the name the client used.
    const fs::path name = options_.root / fs::path(path).relative_path();
    if (::unlink(name.c_str()) != 0) {
        const int e = errno;
        return e == ENOENT ? error_reply(404)
                           : failed(who, "cannot delete", {e, std::generic_category()});
    }
    if (auto ec = sync_directory(name.parent_path())) {
        return failed(who, "cannot sync the directory", ec);
    }
    log::info("http", who + ": 204");
    return no_content();
}

}  // namespace l7::http
