#pragma once
// The pieces of `l7 torrent` (cmd_torrent.cpp registers the group): `create` lives in
// torrent_create.cpp, with the helpers the verbs share.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "app/cli.hpp"

namespace l7::app {

// -v, -q and --log-format: the common options that mean something to a command that
// exchanges nothing with anyone (no --trace).
void add_torrent_log_options(CLI::App& cmd, CommonOptions& options);

// `l7 torrent create PATH ...` under `torrent_cmd`.
void add_torrent_create(CLI::App& torrent_cmd, Context& context);

// `l7 torrent get` and `l7 torrent seed` (torrent_get.cpp).
void add_torrent_get(CLI::App& torrent_cmd, Context& context);
void add_torrent_seed(CLI::App& torrent_cmd, Context& context);
// `l7 torrent experiment` (torrent_experiment.cpp).
void add_torrent_experiment(CLI::App& torrent_cmd, Context& context);
// `l7 torrent tracker` (torrent_tracker.cpp).
void add_torrent_tracker(CLI::App& torrent_cmd, Context& context);

// The bytes of a .torrent file: UsageError when it is missing or not a regular file,
// runtime_error when it is too large to be one or cannot be read.
std::string read_torrent_file(const std::string& path);

// "1.2 MiB", "32 KiB", "512 B".
std::string torrent_human_size(std::uint64_t bytes);

// Text from a .torrent or a file system made safe for a terminal: control bytes (a hostile
// torrent's escape sequences) become \xNN.
std::string torrent_printable(std::string_view text);

}  // namespace l7::app
