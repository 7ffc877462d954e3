#include "mail/pop3/client_session.hpp"

#include <charconv>
#include <utility>

namespace l7::mail {

namespace {

bool starts_with_status(std::string_view line, std::string_view status) {
    return line.substr(0, status.size()) == status &&
           (line.size() == status.size() || line[status.size()] == ' ');
}

// "N REST" of a UIDL or LIST line (RFC 1939 7, 5): the number and what follows one space.
bool split_listing_line(std::string_view line, std::uint64_t& number, std::string_view& rest) {
    const auto space = line.find(' ');
    if (space == std::string_view::npos || space == 0) {
        return false;
    }
    const auto [end, ec] = std::from_chars(line.data(), line.data() + space, number);
    if (ec != std::errc() || end != line.data() + space || number == 0) {
        return false;
    }
    rest = line.substr(space + 1);
    if (const auto more = rest.find(' '); more != std::string_view::npos) {
        rest = rest.substr(0, more);  // RFC 2449 allows more after the size, unused here
    }
    return !rest.empty();
}

}  // namespace

Pop3ClientSession::Pop3ClientSession(MailboxClientConfig config) : config_(std::move(config)) {
    config_.max_line = std::max<std::size_t>(config_.max_line, 512);  // RFC 1939 3's minimum
}

void Pop3ClientSession::send(std::string_view line, std::string_view traced) {
    trace_.record(trace::Direction::to_server, traced.empty() ? line : traced);
    std::string bytes(line);
    bytes += "\r\n";
    queue_send(std::move(bytes));
}

void Pop3ClientSession::finish(MailboxClientFailure failure, std::string problem, bool say_quit) {
    if (say_quit) {
        send("QUIT");  // nothing marked deleted is worth keeping: no harm in a clean end
    }
    done_.failure = failure;
    done_.problem = std::move(problem);
    if (failure != MailboxClientFailure::none) {
        done_.deleted = 0;  // without QUIT's +OK the server deleted nothing (RFC 1939 6)
    }
    step_ = Step::done;
    events_.push_back(done_);
}

bool Pop3ClientSession::read_line(std::string_view& line, std::size_t limit) {
    switch (lines_.next(in_, pos_, limit, line)) {
        case CommandLineScanner::Status::line:
            return true;
        case CommandLineScanner::Status::too_long:
            finish(MailboxClientFailure::protocol,
                   read_ == Read::message
                       ? "a message is larger than " + std::to_string(config_.max_message_bytes) +
                             " octets"
                       : "the server sent a line longer than " + std::to_string(config_.max_line) +
                             " octets");
            return false;
        case CommandLineScanner::Status::need_more:
            return false;
    }
    return false;
}

void Pop3ClientSession::advance() {
    while (step_ != Step::done && events_.empty()) {
        std::string_view line;
        const std::size_t limit =
            read_ == Read::message ? config_.max_message_bytes + 2 : config_.max_line;
        if (!read_line(line, limit)) {
            if (step_ != Step::done && eof_) {
                finish(MailboxClientFailure::closed, "the server closed the connection");
            }
            break;
        }
        switch (read_) {
            case Read::status:
                trace_.record(trace::Direction::to_client, line);
                on_status(line);
                break;
            case Read::listing:
                trace_.record(trace::Direction::to_client, line);
                if (line == ".") {
                    read_ = Read::status;
                    on_listing_end();
                } else {
                    on_listing_line(line);
                }
                break;
            case Read::message:
                if (line == ".") {
                    read_ = Read::status;
                    on_message_end();
                } else {
                    on_message_line(line);
                }
                break;
        }
    }
}

void Pop3ClientSession::on_status(std::string_view line) {
    const bool ok = starts_with_status(line, "+OK");
    if (!ok && !starts_with_status(line, "-ERR")) {
        finish(MailboxClientFailure::protocol,
               "the server's answer is neither +OK nor -ERR: " + without_controls(line));
        return;
    }
    const std::string said = without_controls(line);
    switch (step_) {
        case Step::greeting:
            if (!ok) {
                finish(MailboxClientFailure::refused, "the server refused the connection: " + said);
                return;
            }
            send("USER " + without_controls(config_.user));
            step_ = Step::user;
            return;
        case Step::user:
        case Step::pass:
            if (!ok) {
                finish(MailboxClientFailure::login, "the log-in was refused: " + said, true);
                return;
            }
            if (step_ == Step::user) {
                send("PASS " + without_controls(config_.password), "PASS <credentials hidden>");
                step_ = Step::pass;
            } else {
                send("UIDL");
                step_ = Step::uidl;
            }
            return;
        case Step::uidl:
            if (ok) {
                read_ = Read::listing;
            } else {
                send("LIST");  // no UIDL (it is optional): the ids stay empty
                step_ = Step::list;
            }
            return;
        case Step::list:
            if (!ok) {
                finish(MailboxClientFailure::server, "LIST was refused: " + said, true);
                return;
            }
            read_ = Read::listing;
            return;
        case Step::retr:
            if (!ok) {
                finish(MailboxClientFailure::server,
                       "RETR " + std::to_string(listing_[next_].first) + " was refused: " + said,
                       true);
                return;
            }
            read_ = Read::message;
            message_.clear();
            return;
        case Step::dele:
            if (!ok) {
                finish(MailboxClientFailure::server,
                       "DELE " + std::to_string(listing_[next_].first) + " was refused: " + said,
                       true);
                return;
            }
            ++done_.deleted;  // marked; the server deletes at QUIT
            ++next_;
            next_message();
            return;
        case Step::quit:
            if (!ok) {
                finish(MailboxClientFailure::server,
                       "QUIT was refused, so nothing was deleted: " + said);
                return;
            }
            finish(MailboxClientFailure::none, {});
            return;
        case Step::done:
            return;
    }
}

void Pop3ClientSession::on_listing_line(std::string_view line) {
    if (bad_listing_) {
        return;  // the rest of a broken listing is read to its end, then the session fails
    }
    std::uint64_t number = 0;
    std::string_view rest;
    if (!split_listing_line(line, number, rest)) {
        bad_listing_ = true;
        return;
    }
    if (step_ == Step::uidl) {
        if (uids_.size() >= config_.max_messages) {
            bad_listing_ = true;
            return;
        }
        uids_[number] = without_controls(rest);
        return;
    }
    std::uint64_t size = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), size);
    if (ec != std::errc() || end != rest.data() + rest.size() ||
        listing_.size() >= config_.max_messages) {
        bad_listing_ = true;
        return;
    }
    listing_.emplace_back(number, size);
}

void Pop3ClientSession::on_listing_end() {
    if (bad_listing_) {
        finish(MailboxClientFailure::protocol,
               std::string(step_ == Step::uidl ? "UIDL" : "LIST") +
                   " listed a malformed line or more than " + std::to_string(config_.max_messages) +
                   " messages",
               true);
        return;
    }
    if (step_ == Step::uidl) {
        send("LIST");
        step_ = Step::list;
        return;
    }
    done_.messages = listing_.size();
    if (config_.list_only) {
        for (const auto& [number, size] : listing_) {
            const auto uid = uids_.find(number);
            events_.push_back(MailboxMessage{
                number, uid == uids_.end() ? std::string() : uid->second, size, std::nullopt});
        }
        next_ = listing_.size();
    }
    next_message();
}

void Pop3ClientSession::next_message() {
    if (next_ < listing_.size()) {
        send("RETR " + std::to_string(listing_[next_].first));
        step_ = Step::retr;
        return;
    }
    send("QUIT");
    step_ = Step::quit;
}

void Pop3ClientSession::on_message_line(std::string_view line) {
    if (!line.empty() && line.front() == '.') {
        line.remove_prefix(1);  // RFC 1939 3: the byte-stuffing of a leading "."
    }
    if (message_.size() + line.size() + 2 > config_.max_message_bytes) {
        finish(MailboxClientFailure::protocol,
               "message " + std::to_string(listing_[next_].first) + " is larger than " +
                   std::to_string(config_.max_message_bytes) + " octets");
        return;
    }
    message_.append(line);
    message_ += "\r\n";
}

void Pop3ClientSession::on_message_end() {
    const auto [number, size] = listing_[next_];
    trace_.record(trace::Direction::note, "message " + std::to_string(number) + ": " +
                                              std::to_string(message_.size()) + " octets");
    const auto uid = uids_.find(number);
    events_.push_back(MailboxMessage{number, uid == uids_.end() ? std::string() : uid->second, size,
                                     std::exchange(message_, {})});
    ++done_.fetched;
    if (config_.delete_after) {
        send("DELE " + std::to_string(number));
        step_ = Step::dele;
        return;
    }
    ++next_;
    next_message();
}

}  // namespace l7::mail
