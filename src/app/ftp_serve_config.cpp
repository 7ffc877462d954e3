#include "app/ftp_serve_config.hpp"

#include <filesystem>

#include "core/config.hpp"
#include "core/password_file.hpp"

namespace l7::app {
namespace {

namespace fs = std::filesystem;

std::string duration_text(Duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + "ms";
}

FtpUserSetting user_of(const config::Table& u, const fs::path& dir) {
    u.allow_only({"name", "password_hash", "root", "write"});
    FtpUserSetting setting;
    const auto name = u.get_string("name");
    if (!name) {
        u.fail("name", "each [[user]] needs a name");
    }
    if (auto why = refuse_user_name(*name)) {
        u.fail("name", *why);
    }
    setting.name = *name;
    if (auto hash = u.get_string("password_hash")) {
        if (auto why = refuse_password_hash(*hash)) {
            u.fail("password_hash", *why);
        }
        setting.password_hash = *hash;
    }
    if (auto root = u.get_string("root")) {
        setting.root = path_near(dir, *root);
    }
    setting.write = u.get_bool("write").value_or(true);
    return setting;
}

}  // namespace

void apply_ftp_serve_config(FtpServeFlags& f, const CLI::App& cmd) {
    const config::Table t = config::Table::load_file(f.config_file);
    t.allow_only({"root", "listen", "hostname", "anonymous", "anonymous_root", "read_only",
                  "passive_ports", "idle_timeout", "transfer_timeout", "max_connections", "threads",
                  "users_file", "user", "tls_cert", "tls_key", "tls_required"});
    const fs::path dir = fs::absolute(f.config_file).parent_path();
    if (auto v = t.get_string("root"); v && !option_given(cmd, "--root")) {
        f.root = path_near(dir, *v);
    }
    if (t.has("listen") && !option_given(cmd, "--listen")) {
        f.listen = t.get_strings("listen");
        for (const std::string& l : f.listen) {
            try {
                (void)parse_listen_list({l});
            } catch (const std::exception&) {
                t.fail("listen", "'" + l + "' is not ADDR:PORT");
            }
        }
    }
    if (auto v = t.get_string("tls_cert"); v && !option_given(cmd, "--tls-cert")) {
        f.tls_cert = path_near(dir, *v);
    }
    if (auto v = t.get_string("tls_key"); v && !option_given(cmd, "--tls-key")) {
        f.tls_key = path_near(dir, *v);
    }
    if (auto v = t.get_bool("tls_required"); v && !option_given(cmd, "--tls-required")) {
        f.tls_required = *v;
    }
    if (auto v = t.get_string("hostname"); v && !option_given(cmd, "--hostname")) {
        f.hostname = *v;
    }
    if (auto v = t.get_bool("anonymous"); v && !option_given(cmd, "--anonymous")) {
        f.anonymous = *v;
    }
    if (auto v = t.get_string("anonymous_root"); v && !option_given(cmd, "--anonymous-root")) {
        f.anonymous_root = path_near(dir, *v);
    }
    if (auto v = t.get_bool("read_only"); v && !option_given(cmd, "--read-only")) {
        f.read_only = *v;
    }
    if (auto v = t.get_string("passive_ports"); v && !option_given(cmd, "--passive-ports")) {
        f.passive_ports = *v;
    }
    if (auto v = t.get_duration("idle_timeout"); v && !option_given(cmd, "--idle-timeout")) {
        f.idle_timeout = duration_text(*v);
    }
    if (auto v = t.get_duration("transfer_timeout");
        v && !option_given(cmd, "--transfer-timeout")) {
        f.transfer_timeout = duration_text(*v);
    }
    if (auto v = t.get_integer("max_connections", 1, 100'000);
        v && !option_given(cmd, "--max-connections")) {
        f.max_connections = static_cast<std::size_t>(*v);
    }
    if (auto v = t.get_integer("threads", 1, 256); v && !option_given(cmd, "--threads")) {
        f.threads = static_cast<unsigned>(*v);
    }
    if (auto v = t.get_string("users_file");
        v && !option_given(cmd, "--users") && !option_given(cmd, "--user")) {
        f.users_file = path_near(dir, *v);
    }
    for (const config::Table& u : t.get_tables("user")) {
        FtpUserSetting setting = user_of(u, dir);
        for (const FtpUserSetting& seen : f.user_settings) {
            if (seen.name == setting.name) {
                u.fail("name", "user '" + setting.name + "' is listed twice");
            }
        }
        f.user_settings.push_back(std::move(setting));
    }
}

}  // namespace l7::app
