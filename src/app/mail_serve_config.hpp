#pragma once
// `l7 mail serve`'s settings: its flags, and the same settings from a TOML file
// (--config FILE), where a flag given on the command line wins over the file:
//
//   domains = ["hamburger.edu"]             # --domain
//   maildir = "mail"                        # --maildir (relative to the file's directory)
//   users_file = "users"                    # --users (or users = ["bob:secret"], --user)
//   postmaster = "bob"
//   hostname = "mail.hamburger.edu"
//   smtp = ["0.0.0.0:25"]                   # and submission, pop3, imap: lists of ADDR:PORT
//   relay_networks = ["192.0.2.0/24"]
//   max_message_size = 26214400             # and max_recipients, max_connections, threads
//   [queue]
//   dir = "queue"                           # --queue
//   relay_port = 25
//   smarthost = "smtp.example.net:25"
//   resolvers = ["127.0.0.1:53"]
//   retry_delay = "5m"                      # and max_retry_delay, lifetime (--queue-lifetime)
//
// Unknown keys and bad values are errors naming the file, the line and the key.

#include <string>
#include <vector>

#include "app/cli.hpp"

namespace l7::app {

struct MailServeFlags {
    CommonOptions common;
    std::string config_file;
    std::vector<std::string> domains;
    std::vector<std::string> users;
    std::string users_file;
    std::string maildir;
    std::vector<std::string> smtp;
    std::vector<std::string> submission;
    std::vector<std::string> pop3;
    std::vector<std::string> imap;
    std::vector<std::string> relay_networks;
    std::string queue;
    std::uint16_t relay_port = 25;
    std::string smarthost;
    std::vector<std::string> resolvers;
    std::string retry_delay = "5m";
    std::string max_retry_delay = "1h";
    std::string queue_lifetime = "120h";
    std::string hostname;
    std::string postmaster;
    std::size_t max_message_size = 25 * 1024 * 1024;
    std::size_t max_recipients = 100;
    unsigned threads = 0;
    std::size_t max_connections = 1000;
};

// Fills the settings in `flags` that `cmd`'s command line did not give from the file at
// `flags.config_file`. Throws config::ConfigError for a bad file.
void apply_mail_serve_config(MailServeFlags& flags, const CLI::App& cmd);

}  // namespace l7::app
