#pragma once
// `l7 ftp serve`'s settings: its flags, and the same settings from a TOML file (--config
// FILE), where a flag given on the command line wins over the file. The file can also give
// each user their own root and rights, with a hashed password (htpasswd / `l7 http passwd`
// hashes: yescrypt, bcrypt, sha512crypt):
//
//   root = "srv"                            # --root (relative to the file's directory)
//   listen = ["0.0.0.0:21"]                 # --listen
//   hostname = "ftp.hamburger.edu"
//   anonymous = true                        # --anonymous
//   anonymous_root = "srv/pub"              # --anonymous-root
//   read_only = false                       # --read-only
//   passive_ports = "50000-50100"           # --passive-ports
//   idle_timeout = "5m"                     # and transfer_timeout
//   max_connections = 200                   # and threads
//   users_file = "users"                    # --users: NAME:HASH lines
//   [[user]]
//   name = "bob"
//   password_hash = "$y$j9T$..."            # unless users_file has bob
//   root = "home/bob"                       # default: root
//   write = true                            # default: true
//
// Unknown keys and bad values are errors naming the file, the line and the key.

#include <cstdint>
#include <string>
#include <vector>

#include "app/cli.hpp"

namespace l7::app {

struct FtpUserSetting {
    std::string name;
    std::string password_hash;  // empty: from the users file
    std::string root;           // empty: the server's root
    bool write = true;
};

struct FtpServeFlags {
    CommonOptions common;
    std::string config_file;
    std::string root = ".";
    std::vector<std::string> listen;
    std::vector<std::string> users;
    std::string users_file;
    std::vector<FtpUserSetting> user_settings;  // [[user]] of the file
    bool anonymous = false;
    std::string anonymous_root;
    bool read_only = false;
    std::string passive_ports;
    std::string hostname = "localhost";
    std::string idle_timeout = "5m";
    std::string transfer_timeout = "60s";
    std::size_t max_connections = 200;
    unsigned threads = 0;
    std::string tls_cert;  // AUTH TLS (RFC 4217) with this certificate chain...
    std::string tls_key;   // ...and key
    bool tls_required = false;
};

// Fills the settings in `flags` that `cmd`'s command line did not give from the file at
// `flags.config_file`. Throws config::ConfigError for a bad file.
void apply_ftp_serve_config(FtpServeFlags& flags, const CLI::App& cmd);

}  // namespace l7::app
