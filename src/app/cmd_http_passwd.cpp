// `l7 http passwd`: adds, changes or deletes a user of a password file (Apache's htpasswd
// format, yescrypt hashes), the file `l7 http serve --password-file` reads.

#include "app/cli.hpp"
#include "app/cmd_http_parts.hpp"
#include "app/password_edit.hpp"

namespace l7::app {

void add_passwd(CLI::App& http_cmd, Context& ctx) {
    auto file = std::make_shared<std::string>();
    auto user = std::make_shared<std::string>();
    auto remove = std::make_shared<bool>(false);
    auto from_stdin = std::make_shared<bool>(false);
    auto* cmd = http_cmd.add_subcommand(
        "passwd", "Add, change or delete a user of a password file (htpasswd format)");
    cmd->add_option("FILE", *file, "The password file (created when missing)")->required();
    cmd->add_option("USER", *user, "The user name")->required();
    cmd->add_flag("-D,--delete", *remove, "Delete the user instead");
    cmd->add_flag("--stdin", *from_stdin,
                  "Read the password from the first line of standard input (no prompt)");
    cmd->footer(
        R"(Sets USER's password in FILE: asks twice on the terminal (without echo), or reads one
line from standard input with --stdin, hashes it with yescrypt ($y$, a fresh random salt)
and writes the file again atomically (a temporary file, fsync, rename), keeping every other
line and comment. A new FILE is created with mode 0600; an existing one keeps its mode.

The format is Apache's htpasswd: one USER:HASH a line, # comments. `l7 http serve
--password-file` reads it, and so do Apache and nginx where crypt(3) knows yescrypt
(libxcrypt); files made by `htpasswd -B` (bcrypt) or `mkpasswd` (yescrypt, sha512crypt)
work with l7 as well. Weak hashes (DES,
MD5, $apr1$, {SHA}) and plaintext are refused when the file is loaded.

Exit status: 0 done, 1 failure (the user to delete is not in FILE, FILE cannot be written),
2 usage.

Examples:
  l7 http passwd site.htpasswd alice
  printf '%s\n' "$PASSWORD" | l7 http passwd --stdin site.htpasswd bob
  l7 http passwd --delete site.htpasswd bob
  l7 http serve ./site --writable /upload/ --password-file site.htpasswd)");
    cmd->callback([=, &ctx] {
        ctx.action = [=]() -> int {
            PasswordEdit edit;
            edit.mode = *remove ? PasswordEdit::Mode::remove : PasswordEdit::Mode::set;
            edit.file = *file;
            edit.user = *user;
            edit.from_stdin = *from_stdin;
            edit.command = "l7 http passwd";
            edit_password_entry(edit);
            return 0;
        };
    });
}

}  // namespace l7::app
