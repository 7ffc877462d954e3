// `l7 torrent create PATH`: a .torrent (BEP 3, version 1) for a file or a directory tree.
// The sans-I/O p2p::TorrentBuilder hashes and encodes; here are the tree walk (sorted, every
// regular file, nothing skipped silently), the reading in large chunks with a progress bar,
// and the output file, written whole or not at all (StagedFile).

#include "app/torrent_create.hpp"

#include "app/progress.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>

#include "core/log.hpp"
#include "core/staged_file.hpp"
#include "core/unique_fd.hpp"
#include "l7/version.hpp"
#include "p2p/metainfo.hpp"

namespace l7::app {

namespace fs = std::filesystem;

void add_torrent_log_options(CLI::App& cmd, CommonOptions& o) {
    cmd.add_flag("-v,--verbose", o.verbose, "More log output (debug messages)");
    cmd.add_flag("-q,--quiet", o.quiet, "Only warnings and errors in the log");
    cmd.add_option("--log-format", o.log_format, "Log line format")
        ->check(CLI::IsMember({"text", "json"}))
        ->default_str("text");
}

std::string torrent_human_size(std::uint64_t bytes) {
    return human_bytes(static_cast<double>(bytes));
}

std::string torrent_printable(std::string_view text) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            out += "\\x";
            out += digits[u >> 4];
            out += digits[u & 15];
        } else {
            out += c;
        }
    }
    return out;
}

namespace {

struct CreateFlags {
    CommonOptions common;
    std::string path;
    std::string piece_size;
    std::vector<std::string> trackers;
    std::string comment;
    bool is_private = false;
    std::string output;
    bool force = false;
};

std::string errno_text() {
    return std::strerror(errno);
}

// --- the tree ------------------------------------------------------------------------------

struct SourceFile {
    fs::path disk;
    p2p::BuilderFile file;
};

struct Source {
    std::string name;
    bool single_file = true;
    std::vector<SourceFile> files;
};

std::string joined(const std::vector<std::string>& path) {
    std::string out;
    for (const std::string& c : path) {
        out += (out.empty() ? "" : "/") + c;
    }
    return out;
}

// Every regular file under `dir`; links and special files stop the walk with their path
// (a torrent of a tree with a link in it would silently hold the link's target, or miss it).
void walk(const fs::path& dir, std::vector<std::string>& rel, Source& out,
          const p2p::MetainfoLimits& limits) {
    if (rel.size() >= limits.max_path_depth) {
        throw std::runtime_error(dir.string() + ": directories nested deeper than " +
                                 std::to_string(limits.max_path_depth));
    }
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
        throw std::runtime_error(dir.string() + ": " + ec.message());
    }
    bool empty = true;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        empty = false;
        const fs::path p = it->path();
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0) {
            throw std::runtime_error(p.string() + ": " + errno_text());
        }
        rel.push_back(p.filename().string());
        if (S_ISDIR(st.st_mode)) {
            walk(p, rel, out, limits);
        } else if (S_ISREG(st.st_mode)) {
            if (out.files.size() == limits.max_files) {
                throw std::runtime_error(p.string() + ": more than " +
                                         std::to_string(limits.max_files) +
                                         " files (the most a torrent l7 reads may hold)");
            }
            out.files.push_back({p, {rel, static_cast<std::uint64_t>(st.st_size)}});
        } else if (S_ISLNK(st.st_mode)) {
            throw std::runtime_error(p.string() +
                                     " is a symbolic link; l7 puts only regular files and "
                                     "directories in a torrent");
        } else {
            throw std::runtime_error(p.string() +
                                     " is not a regular file or a directory (a device, FIFO "
                                     "or socket)");
        }
        rel.pop_back();
    }
    if (ec) {
        throw std::runtime_error(dir.string() + ": " + ec.message());
    }
    if (empty && !rel.empty()) {
        log::warn("torrent",
                  dir.string() + ": an empty directory cannot be part of a torrent; left out");
    }
}

Source scan(const std::string& arg, const p2p::MetainfoLimits& limits) {
    struct stat st {};
    if (::stat(arg.c_str(), &st) != 0) {
        throw UsageError(arg + ": " + errno_text());
    }
    // The name: PATH's last component, also for "dir/", "." or "a/.." (made absolute first).
    const fs::path normal = fs::absolute(arg).lexically_normal();
    std::string name = normal.filename().string();
    if (name.empty()) {
        name = normal.parent_path().filename().string();  // "dir/" normalizes to "dir/"
    }
    if (name.empty()) {
        throw UsageError(arg + " has no name to give the torrent (the root directory?)");
    }
    Source out;
    out.name = name;
    if (S_ISREG(st.st_mode)) {
        out.single_file = true;
        out.files.push_back({arg, {{name}, static_cast<std::uint64_t>(st.st_size)}});
    } else if (S_ISDIR(st.st_mode)) {
        out.single_file = false;
        std::vector<std::string> rel;
        walk(arg, rel, out, limits);
        if (out.files.empty()) {
            throw std::runtime_error(arg + " holds no files");
        }
        // mktorrent's order: byte-wise by the path under PATH, '/' between the names.
        std::sort(out.files.begin(), out.files.end(), [](const SourceFile& a, const SourceFile& b) {
            return joined(a.file.path) < joined(b.file.path);
        });
    } else {
        throw UsageError(arg + " is not a regular file or a directory");
    }
    return out;
}

// --- hashing -------------------------------------------------------------------------------

// Feeds every file's bytes to the builder, in order, in large reads; a file whose size
// changed since the walk is an error (the torrent would not describe it).
void hash_files(const Source& source, p2p::TorrentBuilder& builder) {
    constexpr std::size_t kChunk = 4 * 1024 * 1024;
    std::string buf(kChunk, '\0');
    ProgressBar bar("hashing");
    for (const SourceFile& f : source.files) {
        UniqueFd fd(::open(f.disk.c_str(), O_RDONLY | O_CLOEXEC));
        if (fd.get() < 0) {
            bar.finish();
            throw std::runtime_error(f.disk.string() + ": " + errno_text());
        }
        std::uint64_t left = f.file.length;
        while (left > 0) {
            const ssize_t n = ::read(fd.get(), buf.data(), std::min<std::uint64_t>(kChunk, left));
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                bar.finish();
                throw std::runtime_error(
                    f.disk.string() +
                    (n < 0 ? ": " + errno_text() : " became shorter while it was read"));
            }
            auto fed = builder.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
            if (!fed) {
                bar.finish();
                throw std::runtime_error(fed.error().message);
            }
            left -= static_cast<std::uint64_t>(n);
            bar.update(*fed, builder.total_length());
        }
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0 ||
            static_cast<std::uint64_t>(st.st_size) != f.file.length) {
            bar.finish();
            throw std::runtime_error(f.disk.string() + " changed size while it was read");
        }
    }
    bar.finish();
}

// --- the command ---------------------------------------------------------------------------

bool is_tracker_url(const std::string& url) {
    for (std::string_view scheme : {"http://", "https://", "udp://"}) {
        if (url.size() > scheme.size() &&
            std::equal(scheme.begin(), scheme.end(), url.begin(), [](char a, char b) {
                return a == std::tolower(static_cast<unsigned char>(b));
            })) {
            return true;
        }
    }
    return false;
}

fs::path output_path(const CreateFlags& f, const std::string& name) {
    const fs::path target = f.output.empty() ? fs::path(name + ".torrent") : fs::path(f.output);
    const fs::path dir = target.parent_path().empty() ? "." : target.parent_path();
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        throw UsageError("-o " + target.string() + ": the directory " + dir.string() +
                         " does not exist");
    }
    if (fs::is_directory(target, ec)) {
        throw UsageError("-o " + target.string() + " is a directory");
    }
    if (!f.force && fs::exists(fs::symlink_status(target, ec))) {
        throw UsageError(target.string() + " exists; give --force to overwrite it");
    }
    return target;
}

void write_output(const fs::path& target, std::string_view bytes, bool force) {
    std::error_code ec;
    auto staged = StagedFile::create(target.parent_path().empty() ? "." : target.parent_path(), ec);
    if (!staged) {
        throw std::runtime_error(target.string() +
                                 ": cannot create a temporary file beside it: " + ec.message());
    }
    const mode_t mask = ::umask(0);
    ::umask(mask);
    if ((ec = staged->set_mode(0666 & ~mask)) || (ec = staged->write(bytes))) {
        throw std::runtime_error(target.string() + ": " + ec.message());
    }
    ec = force ? staged->replace(target) : staged->create_new(target);
    if (ec == std::errc::file_exists) {
        throw std::runtime_error(target.string() +
                                 " appeared while l7 was hashing; give --force to overwrite it");
    }
    if (ec) {
        throw std::runtime_error(target.string() + ": " + ec.message());
    }
}

int run_create(const CreateFlags& f, Context& ctx) {
    apply_common_options(f.common, ctx, false);
    std::optional<std::uint32_t> piece_length;
    if (!f.piece_size.empty()) {
        auto p = p2p::parse_piece_length(f.piece_size);
        if (!p) {
            throw UsageError("--piece-size: " + p.error().message);
        }
        piece_length = *p;
    }
    for (const std::string& url : f.trackers) {
        if (!is_tracker_url(url)) {
            throw UsageError("--tracker " + torrent_printable(url) +
                             ": a tracker URL starts with http://, https:// or udp://");
        }
    }
    if (f.is_private && f.trackers.empty()) {
        throw UsageError(
            "--private needs a --tracker: a private torrent finds peers through its "
            "trackers only");
    }
    const p2p::MetainfoLimits limits;
    const Source source = scan(f.path, limits);
    const fs::path target = output_path(f, source.name);

    std::uint64_t total = 0;
    std::vector<p2p::BuilderFile> files;
    files.reserve(source.files.size());
    for (const SourceFile& s : source.files) {
        files.push_back(s.file);
        total += s.file.length;
    }
    const std::uint32_t length = piece_length.value_or(p2p::default_piece_length(total));
    auto builder = p2p::TorrentBuilder::create(source.name, std::move(files), source.single_file,
                                               length, f.is_private, limits);
    if (!builder) {
        throw std::runtime_error(f.path + ": " + builder.error().message);
    }
    hash_files(source, *builder);

    p2p::TorrentExtras extras;
    extras.trackers = f.trackers;
    extras.comment = f.comment;
    extras.created_by = std::string("l7 ") + l7::version;
    extras.creation_date = static_cast<std::int64_t>(std::time(nullptr));
    auto bytes = builder->torrent(extras);
    if (!bytes) {
        throw std::runtime_error(bytes.error().message);
    }
    auto info = builder->info_dict();
    write_output(target, *bytes, f.force);
    const std::size_t count = source.files.size();
    std::cout << target.string() << ": " << count << (count == 1 ? " file, " : " files, ")
              << torrent_human_size(total) << " in " << builder->piece_count() << " pieces of "
              << torrent_human_size(length) << "; info hash "
              << p2p::to_hex(p2p::sha1(info ? *info : std::string())) << "\n";
    return 0;
}

}  // namespace

void add_torrent_create(CLI::App& torrent_cmd, Context& ctx) {
    auto f = std::make_shared<CreateFlags>();
    auto* cmd =
        torrent_cmd.add_subcommand("create", "Make a .torrent file for a file or a directory");
    add_torrent_log_options(*cmd, f->common);
    cmd->add_option("PATH", f->path, "The file or directory to share")->required();
    cmd->add_option("--piece-size", f->piece_size,
                    "Bytes per piece: a power of two from 16k to 64m (default: from the size)")
        ->type_name("SIZE");
    cmd->add_option("-t,--tracker", f->trackers,
                    "A tracker's announce URL (http://, https://, udp://); repeatable")
        ->type_name("URL");
    cmd->add_option("-c,--comment", f->comment, "A comment stored in the .torrent")
        ->type_name("TEXT");
    cmd->add_flag("-p,--private", f->is_private,
                  "Private torrent (BEP 27): peers come from the trackers only");
    cmd->add_option("-o,--output", f->output, "Where to write the .torrent (default NAME.torrent)")
        ->type_name("FILE");
    cmd->add_flag("-f,--force", f->force, "Overwrite the output file if it exists");
    cmd->footer(R"(Makes a metainfo (.torrent) file, BEP 3 version 1, for PATH: a file gives a
single-file torrent named after it; a directory gives a multi-file torrent named after the
directory, holding every regular file under it (hidden and empty ones too) in byte-wise
order of their paths below PATH. A symbolic link, device, FIFO or socket in the tree is an
error naming it: l7 neither follows nor skips anything silently. Empty directories cannot
be described by a torrent and are left out with a warning.

The content is cut into pieces of --piece-size bytes (a power of two from 16k to 64m; k =
KiB, m = MiB), each hashed with SHA-1. Without --piece-size the size follows
transmission-create's rule: 32 KiB below 50 MiB of content, 64 KiB from 50 MiB, 128 KiB
from 150 MiB, 256 KiB from 350 MiB, 512 KiB from 512 MiB, 1 MiB from 1 GiB, 2 MiB from
2 GiB, doubled further only if there would be more than 3.3 million pieces. Files are read
in 4 MiB chunks; on a terminal a progress bar shows once hashing takes over a second.

The info dictionary holds files (or length), name, piece length, pieces, and private only
with --private: the same bytes mktorrent writes, so for the same content and piece size
the info-hash is mktorrent's. transmission-create 3.00 gives the same hash for private
torrents; for public ones it writes "private" 0, and it leaves out hidden and empty files.
Each --tracker is a tier of its own (BEP 12); the first is also "announce". "created by"
is "l7 VERSION", "creation date" the current time.

The .torrent goes to -o FILE, by default NAME.torrent in the current directory; an
existing file is kept unless --force. The output appears whole or not at all. On success
one line on stdout names the file, the sizes and the info-hash.

Exit status: 0 when the .torrent was written, 1 when the tree could not be read (a link, a
special file, a file that changed while it was read), 2 for a usage error (a bad option,
a PATH that does not exist, an output file that exists).

Examples:
  l7 torrent create ubuntu.iso -t http://127.0.0.1:6969/announce
  l7 torrent create photos/ --piece-size 256k -t udp://127.0.0.1:6969 -o photos.torrent
  l7 torrent create notes.txt --private -t https://tracker.example.org/announce --force)");
    add_env_names(*cmd, "torrent");
    cmd->callback([f, &ctx] { ctx.action = [f, &ctx] { return run_create(*f, ctx); }; });
}

}  // namespace l7::app
