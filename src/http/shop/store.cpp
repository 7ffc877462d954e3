#include "http/shop/store.hpp"

#include <algorithm>

namespace l7::http::shop {
namespace {

constexpr std::int64_t kSchemaVersion = 1;

// journal_mode=WAL: readers do not block the writer nor it them, and a commit appends to the
// log instead of rewriting pages in place.
// synchronous=FULL: in WAL mode NORMAL fsyncs only at checkpoints, so the last commits
// survive a crash of the process but may be lost if the machine loses power; FULL fsyncs the
// log at every commit. The shop answers "added to your cart" only after the commit, so FULL
// is what makes that answer true. The price, one fsync per change, is small for a course
// demo's traffic.
// foreign_keys: deleting a session deletes its visits and cart (ON DELETE CASCADE).
// busy_timeout: another process on the same file (sqlite3 in a terminal) waits, not fails.
constexpr const char* kPragmas = R"(
PRAGMA journal_mode = WAL;
PRAGMA synchronous = FULL;
PRAGMA foreign_keys = ON;
PRAGMA busy_timeout = 5000;
)";

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS sessions (
    id          TEXT PRIMARY KEY,
    created     INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    requests    INTEGER NOT NULL,
    cookie_sent INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_by_last_seen ON sessions (last_seen);
CREATE TABLE IF NOT EXISTS visits (
    session TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    item    TEXT NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS visits_by_session ON visits (session);
CREATE TABLE IF NOT EXISTS carts (
    session TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    item    TEXT NOT NULL,
    qty     INTEGER NOT NULL CHECK (qty > 0),
    UNIQUE (session, item)
);
PRAGMA user_version = 1;
)";

}  // namespace

struct Store::Statements {
    explicit Statements(Database& db)
        : insert_session(db,
                         "INSERT INTO sessions (id, created, last_seen, requests, cookie_sent) "
                         "VALUES (?1, ?2, ?2, 1, ?2)"),
          count_sessions(db, "SELECT count(*) FROM sessions"),
          evict_sessions(db,
                         "DELETE FROM sessions WHERE id IN "
                         "(SELECT id FROM sessions ORDER BY last_seen LIMIT ?1)"),
          find_session(db,
                       "SELECT created, last_seen, requests, cookie_sent FROM sessions "
                       "WHERE id = ?1"),
          touch_session(db,
                        "UPDATE sessions SET last_seen = ?2, requests = requests + 1 "
                        "WHERE id = ?1"),
          delete_session(db, "DELETE FROM sessions WHERE id = ?1"),
          mark_cookie_sent(db, "UPDATE sessions SET cookie_sent = ?2 WHERE id = ?1"),
          expire_sessions(db, "DELETE FROM sessions WHERE last_seen < ?1"),
          insert_visit(db, "INSERT INTO visits (session, item, at) VALUES (?1, ?2, ?3)"),
          trim_visits(db,
                      "DELETE FROM visits WHERE session = ?1 AND rowid NOT IN "
                      "(SELECT rowid FROM visits WHERE session = ?1 ORDER BY rowid DESC "
                      "LIMIT ?2)"),
          select_visits(db,
                        "SELECT item, at FROM visits WHERE session = ?1 ORDER BY rowid DESC "
                        "LIMIT ?2"),
          find_line(db, "SELECT qty FROM carts WHERE session = ?1 AND item = ?2"),
          count_lines(db, "SELECT count(*) FROM carts WHERE session = ?1"),
          insert_line(db, "INSERT INTO carts (session, item, qty) VALUES (?1, ?2, ?3)"),
          update_line(db, "UPDATE carts SET qty = ?3 WHERE session = ?1 AND item = ?2"),
          select_cart(db, "SELECT item, qty FROM carts WHERE session = ?1 ORDER BY rowid LIMIT ?2"),
          clear_cart(db, "DELETE FROM carts WHERE session = ?1") {}

    Statement insert_session, count_sessions, evict_sessions, find_session, touch_session,
        delete_session, mark_cookie_sent, expire_sessions;
    Statement insert_visit, trim_visits, select_visits;
    Statement find_line, count_lines, insert_line, update_line, select_cart, clear_cart;
};

Store::Store(const std::string& path, StoreLimits limits) : limits_(limits), db_(path) {
    db_.exec(kPragmas);
    const std::int64_t version = std::stoll("0" + db_.query_text("PRAGMA user_version"));
    if (version != 0 && version != kSchemaVersion) {
        throw StoreError(path + ": schema version " + std::to_string(version) +
                         " is not the shop's (" + std::to_string(kSchemaVersion) + ")");
    }
    {
        Transaction t(db_);
        db_.exec(kSchema);
        t.commit();
    }
    s_ = std::make_unique<Statements>(db_);
}

Store::~Store() = default;

void Store::create_session(std::string_view id, std::int64_t now) {
    const std::lock_guard lock(mutex_);
    Transaction t(db_);
    std::int64_t stored = 0;
    {
        auto q = s_->count_sessions.use();
        stored = q.step() ? q.int64(0) : 0;
    }
    const auto max = static_cast<std::int64_t>(std::max<std::size_t>(limits_.max_sessions, 1));
    if (stored >= max) {
        s_->evict_sessions.use().bind(1, stored - max + 1).run();
    }
    s_->insert_session.use().bind(1, id).bind(2, now).run();
    t.commit();
}

std::optional<Session> Store::touch_session(std::string_view id, std::int64_t now,
                                            std::int64_t max_idle) {
    const std::lock_guard lock(mutex_);
    Transaction t(db_);
    Session s;
    {
        auto q = s_->find_session.use();
        q.bind(1, id);
        if (!q.step()) {
            return std::nullopt;  // the transaction rolls back: nothing was written
        }
        s.id = std::string(id);
        s.created = q.int64(0);
        s.last_seen = q.int64(1);
        s.requests = q.int64(2) + 1;
        s.cookie_sent = q.int64(3);
    }
    if (now - s.last_seen > max_idle) {
        s_->delete_session.use().bind(1, id).run();
        t.commit();
        return std::nullopt;
    }
    s_->touch_session.use().bind(1, id).bind(2, now).run();
    t.commit();
    return s;
}

void Store::mark_cookie_sent(std::string_view id, std::int64_t now) {
    const std::lock_guard lock(mutex_);
    s_->mark_cookie_sent.use().bind(1, id).bind(2, now).run();
}

std::size_t Store::expire_sessions(std::int64_t now, std::int64_t max_idle) {
    const std::lock_guard lock(mutex_);
    s_->expire_sessions.use().bind(1, now - max_idle).run();
    return static_cast<std::size_t>(db_.changes());
}

std::size_t Store::session_count() {
    const std::lock_guard lock(mutex_);
    auto q = s_->count_sessions.use();
    return q.step() ? static_cast<std::size_t>(q.int64(0)) : 0;
}

void Store::record_visit(std::string_view session, const Item& item, std::int64_t now) {
    const std::lock_guard lock(mutex_);
    Transaction t(db_);
    s_->insert_visit.use().bind(1, session).bind(2, item.name).bind(3, now).run();
    s_->trim_visits.use()
        .bind(1, session)
        .bind(2, static_cast<std::int64_t>(limits_.max_visits))
        .run();
    t.commit();
}

std::vector<Visit> Store::visits(std::string_view session) {
    const std::lock_guard lock(mutex_);
    std::vector<Visit> out;
    auto q = s_->select_visits.use();
    q.bind(1, session).bind(2, static_cast<std::int64_t>(limits_.max_visits));
    while (q.step()) {
        out.push_back({q.text(0), q.int64(1)});
    }
    return out;
}

AddResult Store::add_to_cart(std::string_view session, const Item& item, std::int64_t quantity) {
    const std::lock_guard lock(mutex_);
    quantity = std::clamp<std::int64_t>(quantity, 1, limits_.max_quantity);
    Transaction t(db_);
    std::optional<std::int64_t> held;
    {
        auto q = s_->find_line.use();
        q.bind(1, session).bind(2, item.name);
        if (q.step()) {
            held = q.int64(0);
        }
    }
    AddResult result = AddResult::added;
    if (held) {
        // Both are at most max_quantity, so the sum cannot overflow.
        std::int64_t total = *held + quantity;
        if (total > limits_.max_quantity) {
            total = limits_.max_quantity;
            result = AddResult::capped;
        }
        s_->update_line.use().bind(1, session).bind(2, item.name).bind(3, total).run();
    } else {
        std::int64_t lines = 0;
        {
            auto q = s_->count_lines.use();
            q.bind(1, session);
            lines = q.step() ? q.int64(0) : 0;
        }
        if (lines >= static_cast<std::int64_t>(limits_.max_cart_lines)) {
            return AddResult::cart_full;
        }
        s_->insert_line.use().bind(1, session).bind(2, item.name).bind(3, quantity).run();
    }
    t.commit();
    return result;
}

std::vector<CartLine> Store::cart(std::string_view session) {
    const std::lock_guard lock(mutex_);
    std::vector<CartLine> out;
    auto q = s_->select_cart.use();
    q.bind(1, session).bind(2, static_cast<std::int64_t>(limits_.max_cart_lines));
    while (q.step()) {
        out.push_back({q.text(0), q.int64(1)});
    }
    return out;
}

void Store::clear_cart(std::string_view session) {
    const std::lock_guard lock(mutex_);
    s_->clear_cart.use().bind(1, session).run();
}

}  // namespace l7::http::shop
