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

#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

namespace rm::persistence {
namespace {

namespace fs = std::filesystem;

// No TCP listener, so the port only names the socket file (.s.PGSQL.5432) in our own directory.
constexpr int socket_port = 5432;

struct os_user {
  uid_t uid;
  gid_t gid;
  std::vector<gid_t> groups;
};

std::runtime_error failure(const std::string& what) {
  return std::runtime_error("embedded PostgreSQL: " + what);
}

// The newest /usr/lib/postgresql/<major>/bin holding pg_ctl.
std::string newest_bin_dir() {
  const fs::path root{"/usr/lib/postgresql"};
  int best = -1;
  std::string best_dir;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string major = entry.path().filename().string();
    if (major.empty() || !std::all_of(major.begin(), major.end(), ::isdigit)) continue;
    const fs::path bin = entry.path() / "bin";
    if (::access((bin / "pg_ctl").c_str(), X_OK) != 0) continue;
    if (std::stoi(major) > best) {
      best = std::stoi(major);
      best_dir = bin.string();
    }
  }
  return best_dir;  // "" → start() reports it
}

os_user postgres_user() {
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) throw failure("running as root but there is no 'postgres' OS user");
  os_user u{pw->pw_uid, pw->pw_gid, {}};
  int n = 64;
  u.groups.resize(n);
  if (::getgrouplist(pw->pw_name, pw->pw_gid, u.groups.data(), &n) < 0) {
    u.groups.resize(n);
    ::getgrouplist(pw->pw_name, pw->pw_gid, u.groups.data(), &n);
  }
  u.groups.resize(n);
  return u;
}

bool traversable_by(const struct stat& st, const os_user& u) {
  if (st.st_uid == u.uid) return (st.st_mode & S_IXUSR) != 0;
  if (std::find(u.groups.begin(), u.groups.end(), st.st_gid) != u.groups.end()) {
    return (st.st_mode & S_IXGRP) != 0;
  }
  return (st.st_mode & S_IXOTH) != 0;
}

// postgres must be able to walk down to its directory; /root (0700) is the usual trap.
void require_traversable(const fs::path& dir, const os_user& u) {
  std::vector<fs::path> chain;
  for (fs::path p = dir; !p.empty(); p = p.parent_path()) {
    chain.push_back(p);
    if (p == p.root_path()) break;
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    struct stat st {};
    if (::stat(it->c_str(), &st) != 0) throw failure("cannot stat " + it->string());
    if (!traversable_by(st, u)) {
      throw failure("directory " + it->string() +
                    " is not traversable by the postgres OS user, so the cluster under " +
                    dir.string() + " cannot be used; set RINGMASTER_DATA_DIR to a directory "
                    "outside it (e.g. /var/lib/ringmaster)");
    }
  }
}

uid_t chown_uid;
gid_t chown_gid;
int chown_entry(const char* path, const struct stat*, int, struct FTW*) {
  return ::lchown(path, chown_uid, chown_gid) == 0 ? 0 : -1;
}

void chown_tree(const fs::path& dir, const os_user& u) {
  chown_uid = u.uid;
  chown_gid = u.gid;
  if (::nftw(dir.c_str(), chown_entry, 16, FTW_PHYS) != 0) {
    throw failure("cannot chown " + dir.string() + " to postgres: " + std::strerror(errno));
  }
}

std::string runuser_path() {
  for (const char* p : {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  throw failure("running as root but runuser(1) was not found");
}

// Runs argv (as postgres when root) with stdin from `input`, stdout/stderr appended to `log`;
// returns the exit code. The child starts with no blocked signals and default handlers, whatever
// the caller blocked (ringmaster blocks SIGINT/SIGTERM for its sigwait).
int run(std::vector<std::string> argv, bool as_postgres, const std::string& log,
        const std::string& cwd, const std::string& input = "/dev/null") {
  if (as_postgres) {
    argv.insert(argv.begin(), {runuser_path(), "-u", "postgres", "--"});
  }
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, input.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_APPEND | O_CREAT,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // The postgres user may not be allowed into our working directory.
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw failure("cannot run " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw failure("waitpid failed: " + std::string(std::strerror(errno)));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string log_tail(const std::string& path, std::size_t lines = 30) {
  std::ifstream in{path};
  std::deque<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& l : tail) out += "\n  " + l;
  return out;
}

// Line `n` (1-based) of postmaster.pid: 4 port, 5 first socket directory, 6 first listen
// address ("" without TCP). nullopt when the file or the line is missing.
std::optional<std::string> pid_file_line(const fs::path& data, int n) {
  std::ifstream in{data / "postmaster.pid"};
  std::string line;
  for (int i = 0; i < n; ++i) {
    if (!std::getline(in, line)) return std::nullopt;
  }
  return line;
}

// Writes `content` to `path` with mode 0600 through a temporary file and a rename, so a reader
// never sees a partial file and the mode is never wider.
void write_private_file(const fs::path& path, const std::string& content) {
  const fs::path tmp = path.string() + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw failure("cannot create " + tmp.string() + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0600) == 0;
  for (std::size_t done = 0; ok && done < content.size();) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw failure("cannot write " + path.string() + ": " + std::strerror(errno));
  }
}

// 32 random bytes as hex: no character that .pgpass, a DSN or SQL would need to escape.
std::string generate_password() {
  unsigned char bytes[32];
  for (std::size_t got = 0; got < sizeof bytes;) {
    const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw failure(std::string("getrandom failed: ") + std::strerror(errno));
    got += static_cast<std::size_t>(n);
  }
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 0xf];
  }
  return out;
}

// The password kept in the .pgpass-format file ("*:*:*:postgres:<password>"), "" when absent.
std::string read_password(const fs::path& pgpass) {
  std::ifstream in{pgpass};
  std::string line;
  const std::string prefix = "*:*:*:postgres:";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0 && line.size() > prefix.size()) return line.substr(prefix.size());
  }
  return "";
}

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
  const fs::path data = fs::path(pg_dir_) / "data";
  if (running_) return connection_string("ringmaster");
  if (bin_dir_.empty()) throw failure("no PostgreSQL server in /usr/lib/postgresql/*/bin");
  const bool as_root = ::geteuid() == 0;
  // sun_path holds 107 bytes; the server also needs "<socket>/.s.PGSQL.5432.lock".
  if (socket_dir_.size() + std::strlen("/.s.PGSQL.5432.lock") >= sizeof(sockaddr_un{}.sun_path))
    throw failure("the socket directory " + socket_dir_ + " is too long for a Unix socket path "
                  "(at most 88 characters); set RINGMASTER_DATA_DIR to a shorter directory");
  if (socket_dir_.find_first_of("\"'\\\n") != std::string::npos)
    throw failure("the data directory " + data_dir_ + " contains a quote, a backslash or a "
                  "newline; set RINGMASTER_DATA_DIR to a plainer directory");

  std::error_code ec;
  fs::create_directories(pg_dir_, ec);
  if (ec) {
    throw failure("cannot create " + pg_dir_ + ": " + ec.message() +
                  "; set RINGMASTER_DATA_DIR to a writable directory");
  }
  ::chmod(pg_dir_.c_str(), 0700);
  fs::create_directories(socket_dir_, ec);
  if (ec) throw failure("cannot create " + socket_dir_ + ": " + ec.message());
  ::chmod(socket_dir_.c_str(), 0700);
  {
    std::ofstream touch{log_path_, std::ios::app};  // created by us, so chown covers it
  }
  // Everything under postgres/ belongs to the postgres OS user (it runs the server); root still
  // reads the password file and connects through the socket directory.
  auto own = [&] {
    if (as_root) chown_tree(pg_dir_, postgres_user());
  };
  if (as_root) require_traversable(data_dir_, postgres_user());
  own();

  const fs::path pgpass{password_file_};
  std::string password = read_password(pgpass);
  const bool had_password = !password.empty();
  if (!had_password) password = generate_password();
  const std::string pgpass_line = "*:*:*:postgres:" + password + "\n";

  const bool fresh = !fs::exists(data / "PG_VERSION");
  if (fresh) {
    // initdb (running as postgres) reads the password from a file it owns; removed right after.
    const fs::path pwfile = fs::path(pg_dir_) / "initdb.pw";
    write_private_file(pwfile, password + "\n");
    own();
    const int rc = run({bin_dir_ + "/initdb", "-D", data.string(), "-U", "postgres",
                        "--auth=scram-sha-256", "--pwfile=" + pwfile.string(), "-E", "UTF8",
                        "--locale=C.UTF-8"},
                       as_root, log_path_, pg_dir_);
    ::unlink(pwfile.c_str());
    if (rc != 0) {
      throw failure("initdb failed (exit " + std::to_string(rc) + "):" + log_tail(log_path_));
    }
    if (!had_password) write_private_file(pgpass, pgpass_line);
  }

  // Left running by an earlier process that died without stopping it: adopt it when it is
  // already private (our socket, no TCP, our password); otherwise (a cluster of an earlier
  // version: TCP and trust) stop it so it restarts with the settings below.
  bool adopt = false;
  if (run({bin_dir_ + "/pg_ctl", "status", "-D", data.string()}, as_root, log_path_, pg_dir_) ==
      0) {
    adopt = had_password && pid_file_line(data, 4) == std::to_string(socket_port) &&
            pid_file_line(data, 5) == socket_dir_ && pid_file_line(data, 6) == std::string{};
    if (!adopt &&
        run({bin_dir_ + "/pg_ctl", "stop", "-D", data.string(), "-m", "fast", "-w"}, as_root,
            log_path_, pg_dir_) != 0)
      throw failure("cannot stop the running server to restart it privately:" +
                    log_tail(log_path_));
  }

  // A cluster made by an earlier version (trust, no password): set the generated password in
  // single-user mode, with the server stopped, so no connection is ever accepted without it.
  if (!fresh && !had_password) {
    const fs::path sql = fs::path(pg_dir_) / "set-password.sql";
    write_private_file(sql, "SET password_encryption = 'scram-sha-256';\n"
                            "ALTER ROLE postgres PASSWORD '" + password + "';\n");
    own();
    int rc = 1;
    // Backends of a killed postmaster may still hold its shared memory for a moment.
    for (int attempt = 0; rc != 0 && attempt < 3; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500 * attempt));
      rc = run({bin_dir_ + "/postgres", "--single", "-D", data.string(), "postgres"}, as_root,
               log_path_, pg_dir_, sql.string());
    }
    ::unlink(sql.c_str());
    if (rc != 0)
      throw failure("cannot set the superuser's password (postgres --single, exit " +
                    std::to_string(rc) + "):" + log_tail(log_path_));
    write_private_file(pgpass, pgpass_line);
  }

  write_settings(data, socket_dir_);
  write_hba(data);
  own();
  if (adopt) {
    if (run({bin_dir_ + "/pg_ctl", "reload", "-D", data.string()}, as_root, log_path_, pg_dir_) !=
        0)
      throw failure("pg_ctl reload failed:" + log_tail(log_path_));
  } else {
    // A stale postmaster.pid (kill -9) is handled by pg_ctl/postmaster themselves; a retry covers
    // backends of a killed postmaster still releasing shared memory.
    int rc = 1;
    for (int attempt = 0; rc != 0 && attempt < 3; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500 * attempt));
      rc = run({bin_dir_ + "/pg_ctl", "start", "-D", data.string(), "-l", log_path_, "-w", "-t",
                "60"},
               as_root, log_path_, pg_dir_);
    }
    if (rc != 0) throw failure("pg_ctl start failed:" + log_tail(log_path_));
  }
  running_ = true;
  try {
    pqxx::connection c{connection_string("postgres")};
    pqxx::nontransaction tx{c};
    if (tx.exec("SELECT 1 FROM pg_database WHERE datname = 'ringmaster'").empty()) {
      tx.exec("CREATE DATABASE ringmaster");
    }
  } catch (const std::exception& e) {
    throw failure(std::string("cannot create database ringmaster: ") + e.what() +
                  log_tail(log_path_));
  }
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
