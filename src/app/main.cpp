// l7: one multi-call binary, `l7 <module> <verb> [options]`.

#include <csignal>
#include <iostream>
#include <optional>

#include "app/cli.hpp"
#include "core/config.hpp"
#include "l7/version.hpp"

namespace {

// "l7 socket ping": the path of the deepest subcommand the user chose.
std::string command_path(CLI::App& app) {
    std::string path = app.get_name();
    CLI::App* cur = &app;
    while (true) {
        auto chosen = cur->get_subcommands();
        if (chosen.empty()) {
            return path;
        }
        cur = chosen.front();
        path += " " + cur->get_name();
    }
}

// When the user typed a word where a command was expected ("l7 socket pnig"), say so and
// list the commands, instead of CLI11's "a subcommand is required".
std::optional<std::string> unknown_command(CLI::App& app, const CLI::ParseError& error) {
    CLI::App* cur = &app;
    while (!cur->get_subcommands().empty()) {
        cur = cur->get_subcommands().front();
    }
    const auto verbs = cur->get_subcommands({});
    const auto extra = cur->remaining();
    if (verbs.empty()) {
        return std::nullopt;
    }
    std::string list;
    for (const CLI::App* v : verbs) {
        list += (list.empty() ? "" : ", ") + v->get_name();
    }
    if (extra.empty() && std::string(error.what()).find("subcommand") != std::string::npos) {
        return "a command is needed here; the commands are: " + list + ".";
    }
    if (extra.empty()) {
        return std::nullopt;
    }
    if (extra.front().rfind("-", 0) == 0) {
        return "'" + extra.front() + "' is not an option here; options come after the command (" +
               list + ").";
    }
    return "'" + extra.front() + "' is not a command here; the commands are: " + list + ".";
}

// "Value 5x not in range": CLI11's messages, trimmed to one sentence that ends with a stop.
std::string sentence(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    const auto nl = text.find('\n');
    if (nl != std::string::npos) {
        text = text.substr(0, nl);
    }
    if (!text.empty() && text.back() != '.') {
        text += '.';
    }
    return text;
}

}  // namespace

int main(int argc, char** argv) {
    // A peer that hangs up must cost its connection, never the process: sendfile(2) cannot
    // be told MSG_NOSIGNAL, so a write to a closed socket would raise SIGPIPE. Ignored, the
    // write fails with EPIPE and the driver closes that one connection.
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app(
        "l7 — the Internet's application layer in one toolkit: DNS, the Web, e-mail, FTP, P2P\n"
        "and socket programming, each protocol implemented for real and watchable with --trace.");
    app.name("l7");
    app.set_version_flag("--version", std::string("l7 ") + l7::version);
    app.require_subcommand(1);
    app.footer(R"(Examples:
  l7 lab                                  # start the miniature Internet on loopback
  l7 lab --check                          # start it, probe every service, report
  l7 socket udp-server & l7 socket udp-client hello
  l7 help socket ping                     # help for one command

Every server takes --listen ADDR:PORT (repeatable); every client and server takes --trace.
Every option can also come from L7_<MODULE>_<OPTION>, e.g. L7_SOCKET_LISTEN=127.0.0.1:9000.
Exit status: 0 success, 1 failure, 2 bad usage.)");

    l7::app::Context ctx;
    l7::app::register_socket_commands(app, ctx);
    l7::app::register_dns_commands(app, ctx);
    l7::app::register_http_commands(app, ctx);
    l7::app::register_mail_commands(app, ctx);
    l7::app::register_ftp_commands(app, ctx);
    l7::app::register_tls_commands(app, ctx);
    l7::app::register_torrent_commands(app, ctx);
    l7::app::register_lab_commands(app, ctx);
    l7::app::register_link_commands(app, ctx);

    std::vector<std::string> topic;
    auto* help = app.add_subcommand("help", "Show the help of a command, e.g. l7 help socket ping");
    help->add_option("COMMAND", topic, "Module and verb");
    help->callback([&] {
        ctx.action = [&]() -> int {
            CLI::App* cur = &app;
            std::string path = app.get_name();
            for (const auto& word : topic) {
                CLI::App* next = nullptr;
                try {
                    next = cur->get_subcommand(word);
                } catch (const CLI::OptionNotFound&) {
                }
                if (next == nullptr || word == "help") {
                    std::cerr << "l7 help: there is no command '" << word
                              << "'; run 'l7 --help' for the list.\n";
                    return 2;
                }
                cur = next;
                path += " " + word;
            }
            // The formatter directly: App::help() would follow the selected subcommand, which
            // here is `help` itself, and would name the command without its parents.
            std::cout << cur->get_formatter()->make_help(cur, path, CLI::AppFormatMode::Normal);
            return 0;
        };
    });

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        const std::string path = command_path(app);
        if (auto unknown = unknown_command(app, e)) {
            std::cerr << path << ": " << *unknown << " Run '" << path << " --help' for usage.\n";
            return 2;
        }
        std::cerr << path << ": " << sentence(e.what()) << " Run '" << path
                  << " --help' for usage.\n";
        return 2;
    }

    try {
        return ctx.action ? ctx.action() : 0;
    } catch (const l7::app::UsageError& e) {
        std::cerr << command_path(app) << ": " << sentence(e.what()) << "\n";
        return 2;
    } catch (const l7::config::ConfigError& e) {
        std::cerr << command_path(app) << ": " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << command_path(app) << ": " << sentence(e.what()) << "\n";
        return 1;
    }
}
