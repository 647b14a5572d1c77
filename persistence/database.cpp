// Schema migrations: embedded SQL files applied in order, one transaction each.
#include "persistence/database.hpp"

#include "persistence/detail/rows.hpp"

#include <set>

#include <cstdio>
#include <stdexcept>

namespace rm::persistence {
namespace {

// One key for every ringmaster process sharing a database.
constexpr const char* lock_sql =
    "SELECT pg_advisory_lock(hashtextextended('ringmaster.migrate', 0))";
constexpr const char* unlock_sql =
    "SELECT pg_advisory_unlock(hashtextextended('ringmaster.migrate', 0))";

// Holds the session-level advisory lock for its lifetime, also when a migration throws.
class migration_lock {
 public:
  explicit migration_lock(pqxx::connection& c) : c_(c) {
    pqxx::nontransaction tx{c_};
    tx.exec(lock_sql);
  }
  ~migration_lock() {
    try {
      pqxx::nontransaction tx{c_};
      tx.exec(unlock_sql);
    } catch (...) {
      // A broken connection releases session locks by itself.
    }
  }
  migration_lock(const migration_lock&) = delete;
  migration_lock& operator=(const migration_lock&) = delete;

 private:
  pqxx::connection& c_;
};

std::string label(const migration& m) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%03d", m.version);
  return buf + ("_" + m.name);
}

}  // namespace

int latest_schema_version() {
  const auto& all = embedded_migrations();
  return all.empty() ? 0 : all.back().version;
}

int current_schema_version(pqxx::connection& c) {
  pqxx::read_transaction tx{c};
  // An empty database has no schema_migrations yet (and a query naming it would not parse).
  const detail::named_row probe =
      tx.exec1("SELECT to_regclass('schema_migrations') IS NULL AS missing");
  if (probe["missing"].as<bool>()) return 0;
  const detail::named_row r =
      tx.exec1("SELECT coalesce(max(version), 0) AS version FROM schema_migrations");
  return r["version"].as<int>();
}

void apply_migration(pqxx::connection& c, const migration& m) {
  for (int attempt = 1;; ++attempt) {
    try {
      pqxx::work tx{c};
      tx.exec(m.sql);
      tx.exec_params0("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version,
                      m.name);
      tx.commit();
      return;
    } catch (const pqxx::sql_error& e) {
      // Roles are the cluster's, but migrate's advisory lock is per database: two databases of
      // one cluster migrating at once (the test suites do) may both find ringmaster_app missing,
      // and the second CREATE ROLE fails with unique_violation (23505, on pg_authid) or
      // duplicate_object (42710). The migration rolled back whole; run again, it now finds the
      // role.
      const bool raced = e.sqlstate() == "23505" || e.sqlstate() == "42710";
      if (raced && attempt < migration_attempts) continue;
      throw std::runtime_error("migration " + label(m) + " failed: " + e.what());
    }
  }
}

migrate_result migrate(pqxx::connection& c) {
  migration_lock lock{c};
  {
    pqxx::work tx{c};
    tx.exec0(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version int PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    tx.commit();
  }
  migrate_result result;
  result.from_version = current_schema_version(c);
  const int latest = latest_schema_version();
  if (result.from_version > latest) {
    throw std::runtime_error("database schema version " + std::to_string(result.from_version) +
                             " is newer than this ringmaster (" + std::to_string(latest) + ")");
  }
  // Every embedded migration not yet recorded is applied, in order — also one numbered below the
  // current version (e.g. merged late), so no database silently misses a migration.
  std::set<int> applied;
  {
    pqxx::work tx{c};
    for (const detail::named_row row : tx.exec("SELECT version FROM schema_migrations"))
      applied.insert(row["version"].as<int>());
    tx.commit();
  }
  for (const auto& m : embedded_migrations()) {
    if (applied.count(m.version)) continue;
    apply_migration(c, m);
    result.applied.push_back(label(m));
  }
  result.to_version = current_schema_version(c);
  return result;
}

}  // namespace rm::persistence
