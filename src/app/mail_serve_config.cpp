#include "app/mail_serve_config.hpp"

#include <filesystem>

#include "core/cidr.hpp"
#include "core/config.hpp"

namespace l7::app {
namespace {

namespace fs = std::filesystem;

std::string duration_text(Duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + "ms";
}

std::vector<std::string> listen_list(const config::Table& t, std::string_view key) {
    std::vector<std::string> values = t.get_strings(key);
    for (const std::string& v : values) {
        try {
            (void)parse_listen_list({v});
        } catch (const std::exception& e) {
            t.fail(key, "'" + v + "' is not ADDR:PORT");
        }
    }
    return values;
}

}  // namespace

void apply_mail_serve_config(MailServeFlags& f, const CLI::App& cmd) {
    const config::Table t = config::Table::load_file(f.config_file);
    t.allow_only({"domains", "users", "users_file", "maildir", "postmaster", "hostname", "smtp",
                  "submission", "pop3", "imap", "relay_networks", "max_message_size",
                  "max_recipients", "max_connections", "threads", "queue"});
    const fs::path dir = fs::absolute(f.config_file).parent_path();

    if (!option_given(cmd, "--domain") && t.has("domains")) {
        f.domains = t.get_strings("domains");
    }
    if (!option_given(cmd, "--user") && !option_given(cmd, "--users")) {
        if (t.has("users") && t.has("users_file")) {
            t.fail("users", "give users or users_file, not both");
        }
        if (t.has("users")) {
            f.users = t.get_strings("users");
            for (const std::string& u : f.users) {
                if (u.find(':') == std::string::npos) {
                    t.fail("users", "'" + u + "' is not NAME:PASSWORD");
                }
            }
        }
        if (auto file = t.get_string("users_file")) {
            f.users_file = path_near(dir, *file);
        }
    }
    if (auto v = t.get_string("maildir"); v && !option_given(cmd, "--maildir")) {
        f.maildir = path_near(dir, *v);
    }
    if (auto v = t.get_string("postmaster"); v && !option_given(cmd, "--postmaster")) {
        f.postmaster = *v;
    }
    if (auto v = t.get_string("hostname"); v && !option_given(cmd, "--hostname")) {
        f.hostname = *v;
    }
    const std::pair<const char*, std::vector<std::string>*> listeners[] = {
        {"smtp", &f.smtp}, {"submission", &f.submission}, {"pop3", &f.pop3}, {"imap", &f.imap}};
    for (const auto& [key, list] : listeners) {
        if (t.has(key) && !option_given(cmd, std::string("--") + key)) {
            *list = listen_list(t, key);
        }
    }
    if (t.has("relay_networks") && !option_given(cmd, "--relay-networks")) {
        f.relay_networks = t.get_strings("relay_networks");
        for (const std::string& n : f.relay_networks) {
            if (auto cidr = parse_cidr(n); !cidr) {
                t.fail("relay_networks", cidr.error().message);
            }
        }
    }
    if (auto v = t.get_integer("max_message_size", 1024, std::int64_t{1} << 30);
        v && !option_given(cmd, "--max-message-size")) {
        f.max_message_size = static_cast<std::size_t>(*v);
    }
    if (auto v = t.get_integer("max_recipients", 1, 100'000);
        v && !option_given(cmd, "--max-recipients")) {
        f.max_recipients = static_cast<std::size_t>(*v);
    }
    if (auto v = t.get_integer("max_connections", 1, 1'000'000);
        v && !option_given(cmd, "--max-connections")) {
        f.max_connections = static_cast<std::size_t>(*v);
    }
    if (auto v = t.get_integer("threads", 0, 1024); v && !option_given(cmd, "--threads")) {
        f.threads = static_cast<unsigned>(*v);
    }

    const auto queue = t.get_table("queue");
    if (!queue) {
        return;
    }
    queue->allow_only({"dir", "relay_port", "smarthost", "resolvers", "retry_delay",
                       "max_retry_delay", "lifetime"});
    if (auto v = queue->get_string("dir"); v && !option_given(cmd, "--queue")) {
        f.queue = path_near(dir, *v);
    }
    if (auto v = queue->get_integer("relay_port", 1, 65535);
        v && !option_given(cmd, "--relay-port")) {
        f.relay_port = static_cast<std::uint16_t>(*v);
    }
    if (auto v = queue->get_string("smarthost"); v && !option_given(cmd, "--smarthost")) {
        if (!parse_host_port(*v, 25)) {
            queue->fail("smarthost", "'" + *v + "' is not HOST[:PORT]");
        }
        f.smarthost = *v;
    }
    if (queue->has("resolvers") && !option_given(cmd, "--resolver")) {
        f.resolvers = queue->get_strings("resolvers");
        for (const std::string& r : f.resolvers) {
            if (!parse_host_port(r, 53)) {
                queue->fail("resolvers", "'" + r + "' is not ADDR[:PORT]");
            }
        }
    }
    const std::tuple<const char*, const char*, std::string*> durations[] = {
        {"retry_delay", "--retry-delay", &f.retry_delay},
        {"max_retry_delay", "--max-retry-delay", &f.max_retry_delay},
        {"lifetime", "--queue-lifetime", &f.queue_lifetime}};
    for (const auto& [key, option, value] : durations) {
        if (auto d = queue->get_duration(key); d && !option_given(cmd, option)) {
            *value = duration_text(*d);
        }
    }
}

}  // namespace l7::app
