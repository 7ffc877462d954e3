#include "app/cli.hpp"

#include <algorithm>
#include <cctype>

#include "core/duration.hpp"
#include "core/log.hpp"

namespace l7::app {

void add_common_options(CLI::App& cmd, CommonOptions& o) {
    cmd.add_flag("-v,--verbose", o.verbose, "More log output (debug messages)");
    cmd.add_flag("-q,--quiet", o.quiet, "Only warnings and errors in the log");
    cmd.add_option("--log-format", o.log_format, "Log line format")
        ->check(CLI::IsMember({"text", "json"}))
        ->default_str("text");
    cmd.add_flag("--trace", o.trace,
                 "Print the protocol exchange on stderr, one line per message (C: client, S: "
                 "server)");
    cmd.add_option("--trace-file", o.trace_file,
                   "Append the exchange to PATH as JSON lines (time, conn, proto, peer, dir, "
                   "msg)")
        ->option_text("PATH");
}

void apply_common_options(const CommonOptions& o, Context& context, bool server) {
    log::Level level = log::Level::info;
    if (o.quiet) {
        level = log::Level::warn;
    } else if (o.verbose > 0) {
        level = log::Level::debug;
    }
    log::configure(level, o.log_format == "json" ? log::Format::json : log::Format::text);
    if (o.trace) {
        context.tracer.add_sink(std::make_unique<trace::TextSink>(stderr, server));
    }
    if (!o.trace_file.empty()) {
        try {
            context.tracer.add_sink(std::make_unique<trace::JsonLinesSink>(o.trace_file));
        } catch (const std::exception& e) {
            throw UsageError(std::string("--trace-file: ") + e.what());
        }
    }
}

void add_env_names(CLI::App& cmd, const std::string& module) {
    for (CLI::Option* opt : cmd.get_options()) {
        const std::string& name = opt->get_single_name();
        if (opt->get_lnames().empty() || !opt->get_envname().empty() || name == "help") {
            continue;
        }
        std::string env = "L7_" + module + "_" + opt->get_lnames().front();
        std::transform(env.begin(), env.end(), env.begin(), [](unsigned char c) {
            return c == '-' ? '_' : static_cast<char>(std::toupper(c));
        });
        opt->envname(env);
    }
}

CLI::Validator listen_address_validator() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            auto r = parse_listen_address(text);
            return r ? std::string() : r.error().message;
        },
        "");
}

CLI::Validator host_port_validator() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            auto r = parse_host_port(text);
            return r ? std::string() : r.error().message;
        },
        "");
}

CLI::Validator duration_validator() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            auto r = parse_duration(text);
            return r ? std::string() : r.error().message;
        },
        "");
}

std::vector<HostPort> parse_listen_list(const std::vector<std::string>& texts) {
    std::vector<HostPort> out;
    for (const auto& t : texts) {
        auto r = parse_listen_address(t);
        if (!r) {
            throw UsageError("--listen: " + r.error().message);
        }
        out.push_back(*r);
    }
    return out;
}

HostPort parse_server(const std::string& text) {
    auto r = parse_host_port(text);
    if (!r) {
        throw UsageError("--server: " + r.error().message);
    }
    return *r;
}

std::chrono::nanoseconds parse_duration_option(const std::string& text) {
    auto r = parse_duration(text);
    if (!r) {
        throw UsageError(r.error().message);
    }
    return *r;
}

void add_client_timeouts(CLI::App& cmd, std::string& timeout, std::string& connect_timeout) {
    timeout = "30s";
    connect_timeout = "10s";
    cmd.add_option("--timeout", timeout, "Deadline of each read and write")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("30s");
    cmd.add_option("--connect-timeout", connect_timeout, "Deadline of each connection attempt")
        ->check(duration_validator())
        ->type_name("DURATION")
        ->default_str("10s");
}

bool option_given(const CLI::App& cmd, const std::string& option) {
    const CLI::Option* o = cmd.get_option_no_throw(option);
    return o != nullptr && o->count() > 0;
}

std::string path_near(const std::filesystem::path& config_dir, const std::string& path) {
    return std::filesystem::path(path).is_absolute()
               ? path
               : (config_dir / path).lexically_normal().string();
}

}  // namespace l7::app
