// Schema migrations and the embedded PostgreSQL used when no DATABASE_URL is configured.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace rm::persistence {

struct migration {
  int version;       // from the file name: 001_init.sql → 1
  std::string name;  // "init"
  std::string sql;
};

// The migrations compiled into the binary from persistence/migrations/*.sql, ascending.
const std::vector<migration>& embedded_migrations();
int latest_schema_version();

// The highest applied version in schema_migrations (0 on an empty database).
int current_schema_version(pqxx::connection& c);

struct migrate_result {
  int from_version = 0;
  int to_version = 0;
  std::vector<std::string> applied;  // "001_init", …
};
// Applies every embedded migration not yet recorded in schema_migrations (in version order, also
// one numbered below the current version), each in its own transaction together with its
// schema_migrations row, under a session advisory lock (so two processes never migrate at once).
// Throws std::runtime_error when the database's schema is newer than this binary
// ("database schema version N is newer than this ringmaster (M)").
migrate_result migrate(pqxx::connection& c);

// Applies one migration and its schema_migrations row in one transaction (migrate calls it for
// each missing one, under its lock). A failure with unique_violation (23505) or duplicate_object
// (42710) is run again, up to migration_attempts in all: roles are the cluster's while migrate's
// lock is per database, so two databases of one cluster migrating at once can race on
// CREATE ROLE, and the loser finds the role on its next attempt. Throws std::runtime_error
// ("migration 002_row_level_security failed: …") on any other error, or on the last attempt.
constexpr int migration_attempts = 3;
void apply_migration(pqxx::connection& c, const migration& m);

// A private PostgreSQL cluster under `data_dir`/postgres, started with the server binaries of the
// newest /usr/lib/postgresql/*/bin. As root, initdb/pg_ctl run as the `postgres` OS user (they
// refuse root) and the directory is chowned to it (root still reaches the socket and the
// password file). Private: no TCP listener (listen_addresses = ''), one Unix socket in
// `socket_dir()` (mode 0700), pg_hba.conf with only `local all all scram-sha-256` (no trust),
// the superuser `postgres` with a generated password kept in `password_file()` (.pgpass format,
// mode 0600). A cluster made by an earlier version (TCP, trust) is converted in place at start:
// settings and pg_hba.conf rewritten, a password set (postgres --single). stop() (and the
// destructor) stops it (`-m fast`).
class embedded_postgres {
 public:
  explicit embedded_postgres(std::string data_dir);
  ~embedded_postgres();
  embedded_postgres(const embedded_postgres&) = delete;
  embedded_postgres& operator=(const embedded_postgres&) = delete;

  // initdb on first use, start, create database "ringmaster"; returns its libpq key=value
  // connection string (host=<socket dir> … user=postgres passfile=<password file>; the password
  // itself is not in it). Throws std::runtime_error with the server log's tail on failure.
  std::string start();
  void stop();
  const std::string& log_path() const { return log_path_; }
  const std::string& socket_dir() const { return socket_dir_; }
  const std::string& password_file() const { return password_file_; }
  // The connection string of `database` as the superuser (through the socket and passfile).
  std::string connection_string(const std::string& database) const;

 private:
  std::string data_dir_;
  std::string pg_dir_;
  std::string log_path_;
  std::string bin_dir_;
  std::string socket_dir_;
  std::string password_file_;
  bool running_ = false;
};

}  // namespace rm::persistence
