// A private PostgreSQL cluster for running ringmaster without a configured database.
// Layout under data_dir/postgres (mode 0700, owned by the postgres OS user when we run as root):
//   data/            the cluster (initdb -D)
//   socket/          the only way in: the Unix socket (directory 0700, no TCP listener)
//   pgpass           the superuser's generated password, in .pgpass format (mode 0600)
//   server.log       server output plus initdb/pg_ctl output
// Server settings go into data/ringmaster.conf (included from postgresql.conf), because pg_ctl
// passes `-o` options through /bin/sh and we never build shell strings. pg_hba.conf is rewritten
// at every start: Unix socket only, SCRAM password, no `trust` line.
#include "persistence/database.hpp"

#include "persistence/detail/embedded_postgres_os.hpp"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace rm::persistence {
namespace {

namespace fs = std::filesystem;

using detail::chown_tree;
using detail::failure;
using detail::generate_password;
using detail::log_tail;
using detail::newest_bin_dir;
using detail::pid_file_line;
using detail::postgres_user;
using detail::read_password;
using detail::require_traversable;
using detail::run;
using detail::write_private_file;

// No TCP listener, so the port only names the socket file (.s.PGSQL.5432) in our own directory.
constexpr int socket_port = 5432;

// A value for a key=value connection string: quoted, with ' and \ escaped (libpq rules).
std::string dsn_value(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

void write_settings(const fs::path& data, const fs::path& socket_dir) {
  const fs::path conf = data / "postgresql.conf";
  std::string content;
  {
    std::ifstream in{conf};
    std::stringstream ss;
    ss << in.rdbuf();
    content = ss.str();
  }
  const std::string include = "include_if_exists = 'ringmaster.conf'";
  if (content.find(include) == std::string::npos) {
    std::ofstream out{conf, std::ios::app};
    out << "\n# ringmaster: per-start settings\n" << include << "\n";
    if (!out) throw failure("cannot write " + conf.string());
  }
  // Double quotes inside the list value allow spaces and commas in the directory name.
  std::ofstream out{data / "ringmaster.conf", std::ios::trunc};
  out << "# Written by ringmaster at every start: no TCP listener, only the Unix socket in a\n"
      << "# private directory, SCRAM passwords (pg_hba.conf is rewritten too).\n"
      << "port = " << socket_port << "\n"
      << "listen_addresses = ''\n"
      << "unix_socket_directories = '\"" << socket_dir.string() << "\"'\n"
      << "unix_socket_permissions = 0700\n"
      << "password_encryption = 'scram-sha-256'\n";
  if (!out) throw failure("cannot write " + (data / "ringmaster.conf").string());
}

void write_hba(const fs::path& data) {
  std::ofstream out{data / "pg_hba.conf", std::ios::trunc};
  out << "# Written by ringmaster at every start (persistence/embedded_postgres.cpp): there is\n"
      << "# no TCP listener; the Unix socket's directory is private (0700) and every role needs\n"
      << "# its password (SCRAM). Edits here are overwritten.\n"
      << "# TYPE  DATABASE  USER  METHOD\n"
      << "local   all       all   scram-sha-256\n";
  if (!out) throw failure("cannot write " + (data / "pg_hba.conf").string());
}

// What the steps of embedded_postgres::start() share: the paths and whether we run as root
// (then every program runs as the postgres OS user, which owns everything under pg_dir).
struct cluster {
  std::string bin_dir, data_dir, pg_dir, log_path, socket_dir;
  fs::path data;  // pg_dir/data
  bool as_root = false;

  int pg(const std::vector<std::string>& argv, const std::string& input = "/dev/null") const {
    return run(argv, as_root, log_path, pg_dir, input);
  }
  void own() const {
    if (as_root) chown_tree(pg_dir, postgres_user());
  }
};

void check_paths(const cluster& c) {
  // sun_path holds 107 bytes; the server also needs "<socket>/.s.PGSQL.5432.lock".
  if (c.socket_dir.size() + std::strlen("/.s.PGSQL.5432.lock") >= sizeof(sockaddr_un{}.sun_path))
    throw failure("the socket directory " + c.socket_dir + " is too long for a Unix socket path "
                  "(at most 88 characters); set RINGMASTER_DATA_DIR to a shorter directory");
  if (c.socket_dir.find_first_of("\"'\\\n") != std::string::npos)
    throw failure("the data directory " + c.data_dir + " contains a quote, a backslash or a "
                  "newline; set RINGMASTER_DATA_DIR to a plainer directory");
}

void make_directories(const cluster& c) {
  std::error_code ec;
  fs::create_directories(c.pg_dir, ec);
  if (ec) {
    throw failure("cannot create " + c.pg_dir + ": " + ec.message() +
                  "; set RINGMASTER_DATA_DIR to a writable directory");
  }
  ::chmod(c.pg_dir.c_str(), 0700);
  fs::create_directories(c.socket_dir, ec);
  if (ec) throw failure("cannot create " + c.socket_dir + ": " + ec.message());
  ::chmod(c.socket_dir.c_str(), 0700);
  {
    std::ofstream touch{c.log_path, std::ios::app};  // created by us, so chown covers it
  }
  // Everything under postgres/ belongs to the postgres OS user (it runs the server); root still
  // reads the password file and connects through the socket directory.
  if (c.as_root) require_traversable(c.data_dir, postgres_user());
  c.own();
}

void init_cluster(const cluster& c, const std::string& password) {
  // initdb (running as postgres) reads the password from a file it owns; removed right after.
  const fs::path pwfile = fs::path(c.pg_dir) / "initdb.pw";
  write_private_file(pwfile, password + "\n");
  c.own();
  const int rc = c.pg({c.bin_dir + "/initdb", "-D", c.data.string(), "-U", "postgres",
                       "--auth=scram-sha-256", "--pwfile=" + pwfile.string(), "-E", "UTF8",
                       "--locale=C.UTF-8"});
  ::unlink(pwfile.c_str());
  if (rc != 0) {
    throw failure("initdb failed (exit " + std::to_string(rc) + "):" + log_tail(c.log_path));
  }
}

// Left running by an earlier process that died without stopping it: true (adopt it) when it is
// already private (our socket, no TCP, our password); otherwise (a cluster of an earlier
// version: TCP and trust) stops it so that it restarts with our settings, and returns false.
bool adopt_or_stop_running(const cluster& c, bool had_password) {
  if (c.pg({c.bin_dir + "/pg_ctl", "status", "-D", c.data.string()}) != 0) return false;
  const bool adopt = had_password && pid_file_line(c.data, 4) == std::to_string(socket_port) &&
                     pid_file_line(c.data, 5) == c.socket_dir &&
                     pid_file_line(c.data, 6) == std::string{};
  if (!adopt &&
      c.pg({c.bin_dir + "/pg_ctl", "stop", "-D", c.data.string(), "-m", "fast", "-w"}) != 0)
    throw failure("cannot stop the running server to restart it privately:" +
                  log_tail(c.log_path));
  return adopt;
}

// Runs argv up to three times, waiting a little longer before each retry: backends of a killed
// postmaster may still hold its shared memory for a moment. Returns the last exit code.
int with_retries(const cluster& c, const std::vector<std::string>& argv,
                 const std::string& input = "/dev/null") {
  int rc = 1;
  for (int attempt = 0; rc != 0 && attempt < 3; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500 * attempt));
    rc = c.pg(argv, input);
  }
  return rc;
}

// A cluster made by an earlier version (trust, no password): sets the generated password in
// single-user mode, with the server stopped, so no connection is ever accepted without it.
void set_superuser_password(const cluster& c, const std::string& password) {
  const fs::path sql = fs::path(c.pg_dir) / "set-password.sql";
  write_private_file(sql, "SET password_encryption = 'scram-sha-256';\n"
                          "ALTER ROLE postgres PASSWORD '" + password + "';\n");
  c.own();
  const int rc =
      with_retries(c, {c.bin_dir + "/postgres", "--single", "-D", c.data.string(), "postgres"},
                   sql.string());
  ::unlink(sql.c_str());
  if (rc != 0)
    throw failure("cannot set the superuser's password (postgres --single, exit " +
                  std::to_string(rc) + "):" + log_tail(c.log_path));
}

// Reloads an adopted server's settings, or starts the server. A stale postmaster.pid (kill -9)
// is handled by pg_ctl/postmaster themselves; the retries cover backends of a killed postmaster
// still releasing shared memory.
void launch(const cluster& c, bool adopt) {
  if (adopt) {
    if (c.pg({c.bin_dir + "/pg_ctl", "reload", "-D", c.data.string()}) != 0)
      throw failure("pg_ctl reload failed:" + log_tail(c.log_path));
    return;
  }
  if (with_retries(c, {c.bin_dir + "/pg_ctl", "start", "-D", c.data.string(), "-l", c.log_path,
                       "-w", "-t", "60"}) != 0)
    throw failure("pg_ctl start failed:" + log_tail(c.log_path));
}

void create_ringmaster_database(const std::string& postgres_dsn, const std::string& log_path) {
  try {
    pqxx::connection c{postgres_dsn};
    pqxx::nontransaction tx{c};
    if (tx.exec("SELECT 1 FROM pg_database WHERE datname = 'ringmaster'").empty()) {
      tx.exec("CREATE DATABASE ringmaster");
    }
  } catch (const std::exception& e) {
    throw failure(std::string("cannot create database ringmaster: ") + e.what() +
                  log_tail(log_path));
  }
}

}  // namespace

embedded_postgres::embedded_postgres(std::string data_dir)
    : data_dir_(std::move(data_dir)), bin_dir_(newest_bin_dir()) {
  const fs::path base = fs::absolute(data_dir_).lexically_normal();
  data_dir_ = base.string();
  pg_dir_ = (base / "postgres").string();
  log_path_ = (base / "postgres" / "server.log").string();
  socket_dir_ = (base / "postgres" / "socket").string();
  password_file_ = (base / "postgres" / "pgpass").string();
}

embedded_postgres::~embedded_postgres() {
  try {
    stop();
  } catch (...) {
    // Nothing sensible to do while unwinding; the server log keeps the details.
  }
}

std::string embedded_postgres::connection_string(const std::string& database) const {
  return "host=" + dsn_value(socket_dir_) + " port=" + std::to_string(socket_port) +
         " user=postgres dbname=" + dsn_value(database) + " passfile=" +
         dsn_value(password_file_) + " sslmode=disable";
}

std::string embedded_postgres::start() {
  if (running_) return connection_string("ringmaster");
  if (bin_dir_.empty()) throw failure("no PostgreSQL server in /usr/lib/postgresql/*/bin");
  cluster c;
  c.bin_dir = bin_dir_;
  c.data_dir = data_dir_;
  c.pg_dir = pg_dir_;
  c.log_path = log_path_;
  c.socket_dir = socket_dir_;
  c.data = fs::path(pg_dir_) / "data";
  c.as_root = ::geteuid() == 0;
  check_paths(c);
  make_directories(c);

  const fs::path pgpass{password_file_};
  std::string password = read_password(pgpass);
  const bool had_password = !password.empty();
  if (!had_password) password = generate_password();
  const std::string pgpass_line = "*:*:*:postgres:" + password + "\n";

  const bool fresh = !fs::exists(c.data / "PG_VERSION");
  if (fresh) {
    init_cluster(c, password);
    if (!had_password) write_private_file(pgpass, pgpass_line);
  }
  const bool adopt = adopt_or_stop_running(c, had_password);
  if (!fresh && !had_password) {
    set_superuser_password(c, password);
    write_private_file(pgpass, pgpass_line);
  }

  write_settings(c.data, socket_dir_);
  write_hba(c.data);
  c.own();
  launch(c, adopt);
  running_ = true;
  create_ringmaster_database(connection_string("postgres"), log_path_);
  return connection_string("ringmaster");
}

void embedded_postgres::stop() {
  if (!running_) return;
  const fs::path data = fs::path(pg_dir_) / "data";
  const int rc = run({bin_dir_ + "/pg_ctl", "stop", "-D", data.string(), "-m", "fast", "-w"},
                     ::geteuid() == 0, log_path_, pg_dir_);
  running_ = false;
  if (rc != 0) throw failure("pg_ctl stop failed:" + log_tail(log_path_));
}

}  // namespace rm::persistence
