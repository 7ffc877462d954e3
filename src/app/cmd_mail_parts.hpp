#pragma once
// The `l7 mail` verbs that live in files of their own (cmd_mail.cpp registers them all).

#include "app/cli.hpp"

namespace l7::app {

// The password of `user` for a mail client verb: the first line of `password_file` when one
// is given, else $L7_MAIL_PASSWORD; a UsageError when neither is.
std::string mail_password(const std::string& password_file, const std::string& user);

// `l7 mail queue list|flush|delete`: the outgoing queue of `l7 mail serve`.
void add_mail_queue(CLI::App& mail_cmd, Context& context);

// `l7 mail fetch`: list or download a mailbox over POP3 or IMAP, as a user agent does.
void add_mail_fetch(CLI::App& mail_cmd, Context& context);

// `l7 mail send`: compose a message and submit it over SMTP, as a user agent does.
void add_mail_send(CLI::App& mail_cmd, Context& context);

}  // namespace l7::app
