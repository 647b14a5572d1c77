// Internal to persistence/*.cpp (include from no public header): the small helpers every query
// file uses to bind parameters and read result fields.
//
// Readers address columns by name (named_row), never by position: each SELECT names or aliases
// every column it returns (an expression such as extract(epoch from x)::bigint or coalesce(…)
// gets an `AS name`), so reordering a SELECT list cannot make a reader read a neighbouring
// column, and a column missing from the SELECT fails loudly.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "persistence/repositories.hpp"  // from_epoch

namespace rm::persistence::detail {

// A result row whose fields are read by output-column name: r["org_id"]. The name must match
// exactly one output column, spelled as PostgreSQL reports it (unquoted names and aliases fold
// to lower case). A name the row lacks, or one that two columns share (SELECT a.id, b.id), throws
// pqxx::argument_error naming it and listing the row's columns: a query and its reader that
// disagree fail on the first row instead of reading the wrong column.
// Implicitly made from a pqxx::row, so readers take a named_row and callers pass rows[i].
class named_row {
 public:
  named_row(const pqxx::row& r) : row_(r) {}  // NOLINT(google-explicit-constructor)

  pqxx::field operator[](const char* name) const {
    // One scan over the column names (PQfname, no allocation); iterating does not copy the
    // result handle per column as row_[i] would.
    const auto end = row_.end();
    auto found = end;
    for (auto it = row_.begin(); it != end; ++it) {
      if (std::strcmp(it->name(), name) != 0) continue;
      if (found != end) {
        throw pqxx::argument_error("result row has more than one column named \"" +
                                   std::string{name} + "\" (columns: " + columns() +
                                   "); alias them apart in the SELECT");
      }
      found = it;
    }
    if (found == end) {
      throw pqxx::argument_error("result row has no column \"" + std::string{name} +
                                 "\" (columns: " + columns() + ")");
    }
    return *found;
  }

  // The output column names, comma-separated (for error messages).
  std::string columns() const {
    std::string out;
    for (const auto& f : row_) {
      if (!out.empty()) out += ", ";
      out += f.name();
    }
    return out;
  }

 private:
  pqxx::row row_;
};

// Optional text parameter: "" travels as SQL NULL (libpqxx binds a null const char* as NULL).
// The pointer borrows from `s`, which must outlive the exec_params call.
inline const char* or_null(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

// A text field; SQL NULL reads as "".
inline std::string text(const pqxx::field& f) { return f.is_null() ? std::string{} : f.c_str(); }

// A field converted to T; SQL NULL reads as nullopt.
template <class T>
std::optional<T> optional_as(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<T>();
}

// An epoch-seconds field (extract(epoch from …)::bigint) as an instant; the field must not be NULL.
inline domain::instant at(const pqxx::field& f) { return from_epoch(f.as<std::int64_t>()); }

// Like at(), but SQL NULL reads as no instant.
inline std::optional<domain::instant> optional_at(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return at(f);
}

// Transaction-scoped advisory lock on a text key (released at commit/rollback).
inline void lock_key(pqxx::work& tx, const std::string& key) {
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key);
}

// libpqxx 6.4 issues a subtransaction's SAVEPOINT lazily, on its first exec(); exec_params()
// skips that step and would run in the outer transaction, so a failure would abort the caller's
// whole transaction. Open the savepoint explicitly before the first exec_params.
inline pqxx::subtransaction& begun(pqxx::subtransaction& sub) {
  sub.exec("SELECT 1");
  return sub;
}

}  // namespace rm::persistence::detail
