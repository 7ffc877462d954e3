#include "sqlite/database.hpp"

#include <sqlite3.h>

#include <limits>

namespace l7::sqlite {

Database::Database(const std::string& path) {
    // NOMUTEX: the store holds its own mutex around every use of the connection.
    const int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw StoreError(path + ": " + why);
    }
    sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() {
    // Statements are finalised by their owners first (members declared after the Database).
    sqlite3_close(db_);
}

void Database::fail(std::string_view what) const {
    throw StoreError(std::string(what) + ": " + sqlite3_errmsg(db_));
}

std::int64_t Database::changes() const {
    return sqlite3_changes64(db_);
}

void Database::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string why = message ? message : sqlite3_errmsg(db_);
        sqlite3_free(message);
        throw StoreError(why);
    }
}

std::string Database::query_text(const char* sql) {
    Statement s(*this, sql);
    auto use = s.use();
    return use.step() ? use.text(0) : std::string();
}

Statement::Statement(Database& db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v3(db.handle(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) !=
        SQLITE_OK) {
        db.fail(std::string("preparing ") + sql);
    }
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

Statement::Use::~Use() {
    sqlite3_reset(s_.stmt_);
    sqlite3_clear_bindings(s_.stmt_);
}

Statement::Use& Statement::Use::bind(int index, std::int64_t value) {
    if (sqlite3_bind_int64(s_.stmt_, index, value) != SQLITE_OK) {
        s_.db_.fail("bind");
    }
    return *this;
}

Statement::Use& Statement::Use::bind(int index, std::string_view text) {
    if (text.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        throw StoreError("bind: text too long");
    }
    // A null destructor is SQLITE_STATIC: SQLite uses the bytes in place until the reset,
    // which the Use's end does (the macro itself is an old-style cast our warnings refuse).
    if (sqlite3_bind_text(s_.stmt_, index, text.data(), static_cast<int>(text.size()), nullptr) !=
        SQLITE_OK) {
        s_.db_.fail("bind");
    }
    return *this;
}

bool Statement::Use::step() {
    const int rc = sqlite3_step(s_.stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    s_.db_.fail(sqlite3_sql(s_.stmt_));
}

void Statement::Use::run() {
    while (step()) {
    }
}

std::int64_t Statement::Use::int64(int column) const {
    return sqlite3_column_int64(s_.stmt_, column);
}

std::string Statement::Use::text(int column) const {
    const auto* p = sqlite3_column_text(s_.stmt_, column);
    const int n = sqlite3_column_bytes(s_.stmt_, column);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
             : std::string();
}

Transaction::Transaction(Database& db) : db_(db) {
    db_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
    if (!done_) {
        // Rolling back cannot usefully fail here; an error would leave SQLite to roll back.
        sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
}

void Transaction::commit() {
    db_.exec("COMMIT");
    done_ = true;
}

}  // namespace l7::sqlite
