// `l7 mail queue`: what the outgoing queue holds, and a hand on it (mailq and postqueue).

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "app/cmd_mail_parts.hpp"
#include "mail/queue/queue_store.hpp"

namespace l7::app {
namespace {

struct QueueFlags {
    std::string queue;
    std::string maildir;
    std::string id;
};

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

mail::QueueStore open_queue(const QueueFlags& f) {
    if (f.queue.empty() && f.maildir.empty()) {
        throw UsageError("say which queue: --queue DIR, or --maildir DIR for DIR/.queue");
    }
    const std::filesystem::path root = f.queue.empty() ? std::filesystem::path(f.maildir) / ".queue"
                                                       : std::filesystem::path(f.queue);
    mail::QueueStore store(root);
    if (!store.exists()) {
        throw UsageError(root.string() + ": no mail queue here");
    }
    return store;
}

int list_queue(const QueueFlags& f) {
    const mail::QueueStore store = open_queue(f);
    auto listing = store.list();
    if (!listing) {
        std::cerr << "l7 mail queue: " << listing.error().message << "\n";
        return 1;
    }
    for (const mail::QueueProblem& p : listing->problems) {
        std::cerr << "l7 mail queue: " << p.name << ": " << p.message << "\n";
    }
    if (listing->entries.empty()) {
        std::cout << "Mail queue is empty\n";
        return 0;
    }
    std::cout << mail::format_queue_listing(listing->entries);
    return 0;
}

int flush_queue(const QueueFlags& f) {
    const mail::QueueStore store = open_queue(f);
    std::optional<std::string_view> id;
    if (!f.id.empty()) {
        if (!mail::is_valid_queue_id(f.id)) {
            throw UsageError(f.id + ": not a queue id");
        }
        if (!store.load(f.id)) {
            throw UsageError(f.id + ": no such message in the queue");
        }
        id = f.id;
    }
    auto changed = store.flush(unix_now(), id);
    if (!changed) {
        std::cerr << "l7 mail queue flush: " << changed.error().message << "\n";
        return 1;
    }
    std::cout << *changed << " message(s) due now; the server tries them within seconds\n";
    return 0;
}

int delete_from_queue(const QueueFlags& f) {
    const mail::QueueStore store = open_queue(f);
    if (!mail::is_valid_queue_id(f.id)) {
        throw UsageError(f.id + ": not a queue id");
    }
    auto removed = store.remove(f.id);
    if (!removed) {
        std::cerr << "l7 mail queue delete: " << removed.error().message << "\n";
        return 1;
    }
    if (!*removed) {
        throw UsageError(f.id + ": no such message in the queue");
    }
    std::cout << f.id << ": deleted\n";
    return 0;
}

void add_queue_location(CLI::App& cmd, QueueFlags& f) {
    cmd.add_option("--queue", f.queue, "The queue directory (as given to `l7 mail serve`)")
        ->type_name("DIR");
    cmd.add_option("--maildir", f.maildir, "The server's --maildir; the queue is DIR/.queue")
        ->type_name("DIR");
}

}  // namespace

void add_mail_queue(CLI::App& mail_cmd, Context& ctx) {
    auto* cmd = mail_cmd.add_subcommand("queue", "List, flush or delete queued outgoing mail");
    cmd->require_subcommand(1);
    cmd->footer(R"(The outgoing queue of `l7 mail serve` holds mail for other domains until each
recipient is delivered or has failed. `list` shows each message with its sender, size,
arrival, attempts, next try and its pending recipients with the last reply they got;
`flush` makes every message (or one) due now, and the running server tries it within its
scan interval (5 s); `delete` removes a message without a delivery report.

Examples:
  l7 mail queue list --maildir /tmp/mail
  l7 mail queue flush --maildir /tmp/mail
  l7 mail queue delete --maildir /tmp/mail 1796081245M298518P21147Q1)");

    auto list = std::make_shared<QueueFlags>();
    auto* list_cmd = cmd->add_subcommand("list", "Show the queued messages (like mailq)");
    add_queue_location(*list_cmd, *list);
    list_cmd->callback([list, &ctx] { ctx.action = [list] { return list_queue(*list); }; });

    auto flush = std::make_shared<QueueFlags>();
    auto* flush_cmd = cmd->add_subcommand("flush", "Make queued messages due for delivery now");
    add_queue_location(*flush_cmd, *flush);
    flush_cmd->add_option("ID", flush->id, "Only this message");
    flush_cmd->callback([flush, &ctx] { ctx.action = [flush] { return flush_queue(*flush); }; });

    auto del = std::make_shared<QueueFlags>();
    auto* del_cmd = cmd->add_subcommand("delete", "Remove a message from the queue");
    add_queue_location(*del_cmd, *del);
    del_cmd->add_option("ID", del->id, "The message's queue id (from `list`)")->required();
    del_cmd->callback([del, &ctx] { ctx.action = [del] { return delete_from_queue(*del); }; });
}

}  // namespace l7::app
