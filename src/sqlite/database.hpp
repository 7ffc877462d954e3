#pragma once
// A thin RAII layer over SQLite's C API: a connection, prepared statements that are reset
// after every use, and transactions that roll back unless committed. Every failure throws
// StoreError with SQLite's message. Not thread-safe: each user serialises its callers (the
// shop's store, the mail store's IMAP index).

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace l7::sqlite {

class StoreError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Database {
  public:
    // Opens (creating if needed) the database at `path`; ":memory:" is a private in-memory one.
    explicit Database(const std::string& path);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Runs one or more statements that return no rows the caller needs.
    void exec(const char* sql);
    // The first column of the first row of a query without parameters ("PRAGMA ...").
    std::string query_text(const char* sql);

    // Rows changed by the last INSERT, UPDATE or DELETE.
    std::int64_t changes() const;

    sqlite3* handle() const { return db_; }
    [[noreturn]] void fail(std::string_view what) const;

  private:
    sqlite3* db_ = nullptr;
};

// A statement prepared once and used many times. Use it through a Statement::Use, whose end
// resets the statement: a SELECT left unreset would hold its read transaction open and keep
// WAL checkpoints from finishing.
class Statement {
  public:
    Statement(Database& db, const char* sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    class Use {
      public:
        explicit Use(Statement& s) : s_(s) {}
        ~Use();
        Use(const Use&) = delete;
        Use& operator=(const Use&) = delete;

        // Parameters are numbered from 1. Text is not copied: it must outlive this Use.
        Use& bind(int index, std::int64_t value);
        Use& bind(int index, std::string_view text);
        // true: a row is ready to read; false: done.
        bool step();
        // step() for statements that return no rows.
        void run();
        std::int64_t int64(int column) const;
        std::string text(int column) const;

      private:
        Statement& s_;
    };

    Use use() { return Use(*this); }

  private:
    Database& db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT; rolled back when it ends without commit() (an exception).
// IMMEDIATE takes the write lock at the start, so a transaction never fails halfway with
// SQLITE_BUSY because another connection wrote first.
class Transaction {
  public:
    explicit Transaction(Database& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

  private:
    Database& db_;
    bool done_ = false;
};

}  // namespace l7::sqlite
