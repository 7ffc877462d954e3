#include "http/asio/static_site.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstring>

#include "core/config.hpp"
#include "core/log.hpp"
#include "core/secure_random.hpp"
#include "http/conditional.hpp"
#include "http/content_coding.hpp"
#include "http/directory_listing.hpp"
#include "http/gzip.hpp"
#include "http/http_date.hpp"
#include "http/range.hpp"
#include "http/target_path.hpp"

namespace l7::http {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kAllow = "GET, HEAD, OPTIONS";

std::shared_ptr<int> own(int fd) {
    return std::shared_ptr<int>(new int(fd), [](int* p) {
        ::close(*p);
        delete p;
    });
}

bool inside(const fs::path& path, const fs::path& root) {
    auto p = path.begin();
    for (auto r = root.begin(); r != root.end(); ++r, ++p) {
        if (p == path.end() || *p != *r) {
            return false;
        }
    }
    return true;
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A file's validators as sent: its strong ETag and its Last-Modified date.
struct Validators {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = -1;
    timespec mtime{};
    std::string etag;
    std::string last_modified;
};

// The validators of `st`, remembered for the file this thread served last: a popular file
// would otherwise have both formatted again for every request.
const Validators& validators_of(const struct stat& st) {
    thread_local Validators last;
    if (last.ino != st.st_ino || last.dev != st.st_dev || last.size != st.st_size ||
        last.mtime.tv_sec != st.st_mtim.tv_sec || last.mtime.tv_nsec != st.st_mtim.tv_nsec) {
        const std::int64_t mtime_ns =
            static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
        last.etag = make_etag(static_cast<std::uint64_t>(st.st_size), mtime_ns,
                              static_cast<std::uint64_t>(st.st_ino));
        last.last_modified = format_http_date(st.st_mtim.tv_sec);
        last.dev = st.st_dev;
        last.ino = st.st_ino;
        last.size = st.st_size;
        last.mtime = st.st_mtim;
    }
    return last;
}

Reply redirect(int status, std::string location) {
    Reply r = error_reply(status);
    r.response.fields.add("Location", std::move(location));
    return r;
}

}  // namespace

StaticSite::StaticSite(SiteOptions options) : options_(std::move(options)) {
    std::error_code ec;
    real_root_ = fs::canonical(options_.root, ec);
    if (ec) {
        real_root_ = options_.root;
    }
    if (!options_.random) {
        options_.random = secure_random64;
    }
    const int root = ::open(real_root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
        throw config::ConfigError(options_.root.string() +
                                  ": cannot open the document root: " + std::strerror(errno));
    }
    root_fd_ = own(root);
    if (!options_.mime_types_text.empty()) {
        if (auto loaded = mime_.load(options_.mime_types_text); !loaded) {
            throw config::ConfigError(options_.mime_types_source + ": " + loaded.error().message);
        }
    }
}

Reply StaticSite::handle(const Request& request) const {
    auto target = parse_target(request.target);
    if (!target) {
        return error_reply(status_for(target.error()), describe(target.error()));
    }
    return handle(request, *target);
}

Reply StaticSite::handle(const Request& request, const TargetPath& target) const {
    if (request.method == "OPTIONS") {
        Reply r;
        r.response.status = 204;
        r.response.fields.add("Allow", std::string(kAllow));
        return r;
    }
    if (request.method != "GET" && request.method != "HEAD") {
        Reply r = error_reply(405, request.method + " is not allowed here");
        r.response.fields.add("Allow", std::string(kAllow));
        return r;
    }
    if (target.climbed_above_root) {
        return error_reply(400, "the path climbs above the root");
    }
    if (target.has_dotfile_segment && !options_.serve_dotfiles) {
        return error_reply(404);  // hidden: as if it did not exist
    }
    const std::string rel = target.path.substr(1);  // "docs/a.txt", "docs/", "" (the root)
    auto opened = open_in_root(rel, request.target);
    if (!opened) {
        return error_reply(opened.error());
    }
    if (S_ISDIR(opened->st.st_mode)) {
        if (target.path.back() != '/') {
            // RFC 9110 15.4.2: the directory lives at its name with a slash.
            std::string location = percent_encode(target.path, EncodeSet::path) + "/";
            if (target.has_query) {
                location += "?" + target.query;
            }
            return redirect(301, std::move(location));
        }
        for (const std::string& index : options_.index) {
            auto page = open_in_root(rel + index, request.target);
            if (page && S_ISREG(page->st.st_mode)) {
                return serve_file(request, *page, rel + index);
            }
        }
        if (options_.listing) {
            return list_directory(options_.root / rel, target.path);
        }
        return error_reply(403, "directory listing is off");
    }
    if (!S_ISREG(opened->st.st_mode)) {
        return error_reply(403);
    }
    return serve_file(request, *opened, rel);
}

Result<StaticSite::OpenFile, int> StaticSite::open_in_root(const std::string& rel,
                                                           std::string_view target) const {
    const char* path = rel.empty() ? "." : rel.c_str();
    if (auto hit = cache_->lookup(*root_fd_, rel.empty() ? std::string(".") : rel)) {
        return OpenFile{std::move(hit->fd), hit->st, std::move(hit->bytes)};
    }
    // O_NONBLOCK: opening a FIFO someone left in the tree must not block the worker.
    constexpr int kFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    int fd = -1;
    if (!options_.symlinks_outside_root) {
        // The kernel resolves the path and refuses, in this one call, any way out of the root
        // (a "..", a symlink, a mount): no realpath per request.
        open_how how{};
        how.flags = kFlags;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        fd = static_cast<int>(::syscall(SYS_openat2, *root_fd_, path, &how, sizeof how));
        if (fd < 0 && (errno == EXDEV || errno == ENOSYS)) {
            // RESOLVE_BENEATH also refuses an absolute symlink that stays inside the root, and
            // old kernels lack openat2: there the resolved path decides.
            std::error_code ec;
            const fs::path real = fs::canonical(real_root_ / rel, ec);
            if (ec) {
                return 404;
            }
            if (!inside(real, real_root_)) {
                log::info("http",
                          std::string(target) + ": a symlink out of the document root: 403");
                return 403;
            }
            fd = ::openat(*root_fd_, path, kFlags);
        }
    } else {
        fd = ::openat(*root_fd_, path, kFlags);
    }
    if (fd < 0) {
        return errno == EACCES || errno == ELOOP ? 403 : 404;
    }
    OpenFile file{own(fd), {}, nullptr};
    if (::fstat(fd, &file.st) != 0) {
        return 403;
    }
    file.bytes = cache_->remember(rel.empty() ? std::string(".") : rel, file.fd, file.st);
    return file;
}

Reply StaticSite::serve_file(const Request& request, const OpenFile& identity,
                             const std::string& rel) const {
    const std::string_view name = std::string_view(rel).substr(rel.rfind('/') + 1);
    const std::string_view type = mime_.for_path(name);
    const bool client_gzip = accepts_gzip(request.fields.get("Accept-Encoding"));
    // A precompressed sibling (FILE.gz) is the gzip representation of FILE (RFC 9110 8.4).
    // It is looked for when the client could take it, and for text types, where a response
    // varies with Accept-Encoding anyway. A binary type's identity response to a client that
    // does not take gzip then goes without Vary: a cache that keeps it serves that identity
    // response to everyone, which is correct, and saves a failing open per request.
    std::optional<OpenFile> gz_file;
    if (client_gzip || is_compressible(type)) {
        if (auto opened = open_in_root(rel + ".gz", request.target);
            opened && S_ISREG(opened->st.st_mode)) {
            gz_file = std::move(*opened);
        }
    }
    const bool has_gz = gz_file.has_value();
    const bool gzip = has_gz && client_gzip;
    const OpenFile& chosen = gzip ? *gz_file : identity;
    const struct stat& st = chosen.st;
    // A stretch of the body: from memory for a cached small file, else from the descriptor.
    const auto stretch = [&chosen](std::uint64_t offset, std::uint64_t length) -> BodyPart {
        if (chosen.bytes) {
            return BodyPart(
                SharedBytes{chosen.bytes, std::string_view(*chosen.bytes).substr(offset, length)});
        }
        return {{}, FileBody{chosen.fd, offset, length}};
    };
    const auto size = static_cast<std::uint64_t>(st.st_size);
    const Validators& validators = validators_of(st);
    std::string etag = validators.etag;
    const std::int64_t mtime = st.st_mtim.tv_sec;
    // Compressing on the fly makes another representation of the same file, so it gets its
    // own strong ETag (RFC 9110 8.8.3): a cache keeps both apart, and If-None-Match works.
    const bool compressible = !has_gz && options_.gzip_on_the_fly && is_compressible(type) &&
                              size >= kMinGzipSize && size <= kMaxGzipSize;
    const bool gzip_now = compressible && client_gzip && !request.fields.get("Range");
    if (gzip_now) {
        etag.insert(etag.size() - 1, "-gzip");
    }
    Reply r;
    Fields& f = r.response.fields;
    if (has_gz || compressible) {
        f.add("Vary", "Accept-Encoding");  // caches must key on it (RFC 9110 12.5.5)
    }
    if (gzip || gzip_now) {
        f.add("Content-Encoding", "gzip");
    }
    f.add("Last-Modified", validators.last_modified);
    f.add("ETag", etag);
    f.add("Accept-Ranges", "bytes");
    ResourceState state;
    state.etag = etag;
    state.last_modified = mtime;
    const PreconditionResult pre =
        evaluate_preconditions(request.method, request.fields, state, now_seconds());
    if (pre.outcome == PreconditionOutcome::not_modified) {
        r.response.status = 304;
        return r;
    }
    if (pre.outcome == PreconditionOutcome::precondition_failed) {
        Reply failed = error_reply(412);
        return failed;
    }
    const auto range_value = request.fields.get("Range");
    if (range_value && pre.range_allowed && request.method == "GET") {
        const RangeDecision d = evaluate_range(*range_value, size);
        if (d.outcome == RangeOutcome::unsatisfiable) {
            Reply bad = error_reply(416);
            bad.response.fields.add("Content-Range", content_range_unsatisfied(size));
            return bad;
        }
        if (d.outcome == RangeOutcome::satisfiable && d.ranges.size() == 1) {
            r.response.status = 206;
            f.add("Content-Type", std::string(type));
            f.add("Content-Range", content_range(d.ranges[0], size));
            r.body.push_back(stretch(d.ranges[0].first, d.ranges[0].size()));
            return r;
        }
        if (d.outcome == RangeOutcome::satisfiable) {
            std::array<std::uint8_t, 16> random{};
            for (std::size_t i = 0; i < random.size(); i += 8) {
                const std::uint64_t bits = options_.random();
                for (std::size_t j = 0; j < 8; ++j) {
                    random[i + j] = static_cast<std::uint8_t>(bits >> (8 * j));
                }
            }
            const ByterangesBody multi =
                make_byteranges_body(d.ranges, size, type, make_boundary(random));
            r.response.status = 206;
            f.add("Content-Type", multi.content_type);
            for (const ByterangesPart& part : multi.parts) {
                r.body.push_back({part.header, std::nullopt});
                r.body.push_back(stretch(part.range.first, part.range.size()));
            }
            r.body.push_back({multi.trailer, std::nullopt});
            return r;
        }
    }
    f.add("Content-Type", std::string(type));
    if (gzip_now) {
        if (chosen.bytes) {
            r.body.push_back({gzip_compress(*chosen.bytes), std::nullopt});
            return r;
        }
        std::string content(size, '\0');
        std::uint64_t done = 0;
        while (done < size) {
            const ssize_t n =
                ::pread(*chosen.fd, content.data() + done, size - done, static_cast<off_t>(done));
            if (n <= 0) {
                log::warn("http", rel + ": read failed while compressing");
                return error_reply(500);
            }
            done += static_cast<std::uint64_t>(n);
        }
        r.body.push_back({gzip_compress(content), std::nullopt});
        return r;
    }
    if (size > 0) {
        r.body.push_back(stretch(0, size));
    }
    return r;
}

Reply StaticSite::list_directory(const fs::path& dir, const std::string& url_path) const {
    std::vector<DirectoryEntry> entries;
    std::error_code ec;
    std::size_t more = 0;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.starts_with('.') && !options_.serve_dotfiles) {
            continue;
        }
        if (entries.size() >= kMaxListingEntries) {
            ++more;  // counted, not read: the page says how many were left out
            continue;
        }
        DirectoryEntry e;
        e.name = name;
        struct stat st {};
        if (::stat(it->path().c_str(), &st) == 0) {
            e.directory = S_ISDIR(st.st_mode);
            e.size = static_cast<std::uint64_t>(st.st_size);
            e.modified = st.st_mtim.tv_sec;
        }
        entries.push_back(std::move(e));
    }
    if (ec) {
        log::warn("http", dir.string() + ": cannot list: " + ec.message());
        return error_reply(403);
    }
    std::string html = directory_listing_html(url_path, std::move(entries), more);
    Reply r;
    r.response.status = 200;
    r.response.fields.add("Content-Type", "text/html; charset=utf-8");
    r.body.push_back({std::move(html), std::nullopt});
    return r;
}

}  // namespace l7::http
