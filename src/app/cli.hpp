#pragma once
// Conventions every l7 command shares (README "Conventions"):
//   -v / -q / --log-format     logging
//   --trace / --trace-file     transcripts (text on stderr / JSON lines)
//   --listen ADDR:PORT         repeatable, on every server
//   L7_<MODULE>_<OPTION>       every option also from the environment
//   exit codes                 0 success, 1 failure, 2 usage
// Commands fill an Action during parsing; main() runs it once parsing succeeded.

#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/endpoint.hpp"
#include "core/trace/tracer.hpp"

namespace l7::app {

// A usage problem found after parsing (a config value, an option combination): printed as one
// sentence, exit code 2.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct CommonOptions {
    int verbose = 0;
    bool quiet = false;
    std::string log_format = "text";
    bool trace = false;
    std::string trace_file;
};

// What a parsed command line asks for: the chosen subcommand's body, returning an exit code.
using Action = std::function<int()>;

struct Context {
    Action action;
    trace::Tracer tracer;
};

void add_common_options(CLI::App& cmd, CommonOptions& options);
// Configures logging and the tracer from the common options. `server` prefixes text trace
// lines with the connection, since a server interleaves many.
void apply_common_options(const CommonOptions& options, Context& context, bool server);

// Gives every option of `cmd` that has a long name an environment variable
// L7_<MODULE>_<OPTION> (dashes as underscores), unless it already has one.
void add_env_names(CLI::App& cmd, const std::string& module);

// Validators that print one clear sentence.
CLI::Validator listen_address_validator();
CLI::Validator host_port_validator();
CLI::Validator duration_validator();

// A client's --timeout (each read and write, default 30s) and --connect-timeout (each
// connection attempt, default 10s), as DURATION texts for parse_duration_option.
void add_client_timeouts(CLI::App& cmd, std::string& timeout, std::string& connect_timeout);

std::vector<HostPort> parse_listen_list(const std::vector<std::string>& texts);

// For --config files: whether the command line (or its environment variable) gave `option`
// (then it wins over the file), and a path from the file made relative to its directory.
bool option_given(const CLI::App& cmd, const std::string& option);
std::string path_near(const std::filesystem::path& config_dir, const std::string& path);
HostPort parse_server(const std::string& text);
std::chrono::nanoseconds parse_duration_option(const std::string& text);

// Registration of each module's commands.
void register_socket_commands(CLI::App& root, Context& context);
void register_dns_commands(CLI::App& root, Context& context);
void register_http_commands(CLI::App& root, Context& context);
void register_mail_commands(CLI::App& root, Context& context);
void register_ftp_commands(CLI::App& root, Context& context);
void register_tls_commands(CLI::App& root, Context& context);
void register_torrent_commands(CLI::App& root, Context& context);
void register_lab_commands(CLI::App& root, Context& context);
void register_link_commands(CLI::App& root, Context& context);

}  // namespace l7::app
