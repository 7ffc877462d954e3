// `l7 torrent ...`: BitTorrent (issue 8). The group and `show` are here, `create` in
// torrent_create.cpp; each verb is one add_* function, so a new verb (tracker, get, seed)
// is a file with its add_torrent_VERB() and one line in register_torrent_commands().

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "app/cli.hpp"
#include "app/torrent_create.hpp"
#include "p2p/magnet.hpp"
#include "p2p/metainfo.hpp"

namespace l7::app {
namespace {

// A .torrent is a few MiB at most (64 MiB of piece hashes is the parser's limit).
constexpr std::uint64_t kMaxTorrentFile = 96 * 1024 * 1024;

struct ShowFlags {
    CommonOptions common;
    std::string file;
};

std::string date_text(std::int64_t seconds) {
    const auto t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    char text[64];
    if (::gmtime_r(&t, &tm) == nullptr ||
        std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
        return std::to_string(seconds) + " (seconds since 1970)";
    }
    return text;
}

std::string size_text(std::uint64_t bytes) {
    return torrent_human_size(bytes) + " (" + std::to_string(bytes) + " bytes)";
}

int run_show(const ShowFlags& f, Context& ctx) {
    apply_common_options(f.common, ctx, false);
    const std::string bytes = read_torrent_file(f.file);
    auto meta = p2p::parse_metainfo(bytes);
    if (!meta) {
        std::cerr << "l7 torrent show: " << f.file << ": " << meta.error().message << "\n";
        return 1;
    }
    const p2p::TorrentInfo& info = meta->info;
    std::ostringstream out;
    out << "name:        " << torrent_printable(info.name) << "\n";
    out << "info hash:   " << p2p::to_hex(info.info_hash) << "\n";
    out << "total size:  " << size_text(info.total_length) << "\n";
    out << "piece size:  " << size_text(info.piece_length) << "\n";
    out << "pieces:      " << info.piece_count() << "\n";
    out << "private:     " << (info.is_private ? "yes" : "no") << "\n";
    if (!meta->created_by.empty()) {
        out << "created by:  " << torrent_printable(meta->created_by) << "\n";
    }
    if (meta->creation_date) {
        out << "created on:  " << date_text(*meta->creation_date) << "\n";
    }
    if (!meta->comment.empty()) {
        out << "comment:     " << torrent_printable(meta->comment) << "\n";
    }
    if (!meta->announce_list.empty()) {
        out << "trackers:\n";
        for (std::size_t t = 0; t < meta->announce_list.size(); ++t) {
            for (const std::string& url : meta->announce_list[t]) {
                out << "  tier " << t + 1 << ": " << torrent_printable(url) << "\n";
            }
        }
    } else if (!meta->announce.empty()) {
        out << "trackers:\n  tier 1: " << torrent_printable(meta->announce) << "\n";
    } else {
        out << "trackers:    none\n";
    }
    if (info.single_file) {
        out << "files:       1 (a single file)\n";
    } else {
        out << "files:       " << info.files.size() << " in the directory "
            << torrent_printable(info.name) << "/\n";
    }
    for (const p2p::TorrentFile& file : info.files) {
        out << "  " << torrent_printable(file.path_string()) << "  " << file.length << " bytes\n";
    }
    out << "magnet:      " << p2p::format_magnet(p2p::magnet_for(*meta)) << "\n";
    std::cout << out.str();
    return 0;
}

void add_torrent_show(CLI::App& torrent_cmd, Context& ctx) {
    auto f = std::make_shared<ShowFlags>();
    auto* cmd = torrent_cmd.add_subcommand("show", "Print what a .torrent file describes");
    add_torrent_log_options(*cmd, f->common);
    cmd->add_option("FILE", f->file, "The .torrent file")->required();
    cmd->footer(R"(Reads a metainfo (.torrent) file (BEP 3, version 1) and prints its name, the
info-hash (the SHA-1 of the info dictionary's bytes as they are in the file, the torrent's
identity on trackers and between peers), the total size, the piece size and count, whether
it is private (BEP 27), who made it and when, its comment, the trackers by tier (BEP 12),
the files with their sizes (paths below the torrent's directory, for a multi-file
torrent), and the magnet link (BEP 9) for it.

The file is checked as a download would check it: a path component that is empty, "." or
"..", or holds '/' or NUL (a torrent must never write outside its directory), a piece
count that does not match the size, and files listed twice are errors. Control characters
in names and comments print as \xNN.

Exit status: 0 when the file is a valid torrent, 1 when it is not (the reason on stderr), 2
for a usage error (FILE does not exist).

Examples:
  l7 torrent show ubuntu.iso.torrent
  l7 torrent show photos.torrent | grep '^magnet:')");
    add_env_names(*cmd, "torrent");
    cmd->callback([f, &ctx] { ctx.action = [f, &ctx] { return run_show(*f, ctx); }; });
}

}  // namespace

std::string read_torrent_file(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        throw UsageError(path + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        throw UsageError(path + " is not a regular file");
    }
    if (static_cast<std::uint64_t>(st.st_size) > kMaxTorrentFile) {
        throw std::runtime_error(path + " is " + std::to_string(st.st_size) +
                                 " bytes, too large for a .torrent");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw UsageError(path + ": " + std::strerror(errno));
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) {
        throw std::runtime_error(path + ": read error");
    }
    return bytes;
}

void register_torrent_commands(CLI::App& root, Context& ctx) {
    auto* torrent = root.add_subcommand(
        "torrent", "BitTorrent: make and read .torrent files, download and seed");
    torrent->require_subcommand(1);
    torrent->footer(R"(Examples:
  l7 torrent create photos/ -t http://127.0.0.1:6969/announce
  l7 torrent show photos.torrent
  l7 torrent seed photos.torrent photos/ --listen 127.0.0.2:6881
  l7 torrent get photos.torrent -o downloads/ --peer 127.0.0.2:6881)");
    add_torrent_create(*torrent, ctx);
    add_torrent_show(*torrent, ctx);
    add_torrent_get(*torrent, ctx);
    add_torrent_seed(*torrent, ctx);
    add_torrent_tracker(*torrent, ctx);
    add_torrent_experiment(*torrent, ctx);
}

}  // namespace l7::app
