#pragma once
// The shop's back-end database (Kurose & Ross 2.2.4: the cookie is only a key; what the site
// knows about the user lives here). SQLite, three tables:
//
//   sessions(id, created, last_seen, requests, cookie_sent)   one row per cookie handed out
//   visits(session, item, at)                                  item pages seen, newest kept
//   carts(session, item, qty)                                  what is in each cart
//
// Every change is committed (and, with synchronous=FULL, on disk) before the call returns, so
// a reply that acknowledges it never outruns the data. Thread-safe: one connection behind a
// mutex; the server calls handlers from several threads, and SQLite serialises writers anyway.
// Every size is bounded (StoreLimits): carts, quantities, remembered visits and sessions.
// Item names come in as catalogue Items, so only the catalogue's names are ever stored.
// Times are whole seconds since 1970 (they outlive the process, so no steady clock).

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/shop/catalogue.hpp"
#include "sqlite/database.hpp"

namespace l7::http::shop {

using sqlite::Database;
using sqlite::Statement;
using sqlite::StoreError;
using sqlite::Transaction;

struct StoreLimits {
    std::size_t max_cart_lines = 20;     // different items in one cart
    std::int64_t max_quantity = 10;      // of one item in one cart
    std::size_t max_visits = 100;        // per session; older ones are forgotten
    std::size_t max_sessions = 100'000;  // the least recently seen go first
};

struct Session {
    std::string id;
    std::int64_t created = 0;
    std::int64_t last_seen = 0;    // before this request
    std::int64_t requests = 0;     // counting this one
    std::int64_t cookie_sent = 0;  // when the Set-Cookie last went out
};

struct Visit {
    std::string item;
    std::int64_t at = 0;
};

struct CartLine {
    std::string item;
    std::int64_t quantity = 0;
};

enum class AddResult {
    added,      // as asked
    capped,     // the line is now at max_quantity, less than asked
    cart_full,  // a new line would exceed max_cart_lines: nothing changed
};

class Store {
  public:
    // Opens or creates the database and its schema. Throws StoreError (an unreadable file, a
    // schema from another version).
    Store(const std::string& path, StoreLimits limits = {});
    ~Store();

    const StoreLimits& limits() const { return limits_; }

    // A new session, counted as one request. Makes room by deleting the least recently seen
    // sessions when max_sessions are stored. The id must be new.
    void create_session(std::string_view id, std::int64_t now);

    // The session `id`, its request count incremented and last_seen set to now; nullopt when
    // unknown, or when idle for longer than `max_idle` seconds (it is then deleted).
    std::optional<Session> touch_session(std::string_view id, std::int64_t now,
                                         std::int64_t max_idle);

    void mark_cookie_sent(std::string_view id, std::int64_t now);

    // Deletes the sessions idle for longer than `max_idle`, with their visits and carts;
    // returns how many.
    std::size_t expire_sessions(std::int64_t now, std::int64_t max_idle);
    std::size_t session_count();

    // Remembers a visit of `item`'s page, forgetting the oldest beyond max_visits.
    void record_visit(std::string_view session, const Item& item, std::int64_t now);
    // Newest first, at most max_visits.
    std::vector<Visit> visits(std::string_view session);

    // Adds `quantity` (at least 1) of `item`; quantities are capped at max_quantity.
    AddResult add_to_cart(std::string_view session, const Item& item, std::int64_t quantity);
    // In the order the items were first added.
    std::vector<CartLine> cart(std::string_view session);
    void clear_cart(std::string_view session);

  private:
    struct Statements;

    StoreLimits limits_;
    std::mutex mutex_;
    Database db_;
    std::unique_ptr<Statements> s_;  // after db_: finalised before the connection closes
};

}  // namespace l7::http::shop
