// Internal to persistence/*.cpp (include from no public header): the small helpers every query
// file uses to bind parameters and read result fields. Column positions stay with each reader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "persistence/repositories.hpp"  // from_epoch

namespace rm::persistence::detail {

// Optional text parameter: "" travels as SQL NULL (libpqxx binds a null const char* as NULL).
// The pointer borrows from `s`, which must outlive the exec_params call.
inline const char* or_null(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

// A text field; SQL NULL reads as "".
inline std::string text(const pqxx::field& f) { return f.is_null() ? std::string{} : f.c_str(); }

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

}  // namespace rm::persistence::detail
