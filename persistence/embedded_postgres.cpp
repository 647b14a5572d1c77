// A private PostgreSQL cluster for running ringmaster without a configured database.
// Layout under data_dir/postgres (owned by the postgres OS user when we run as root):
//   data/            the cluster (initdb -D)
//   server.log       server output plus initdb/pg_ctl output
// Server settings go into data/ringmaster.conf (included from postgresql.conf), because pg_ctl
// passes `-o` options through /bin/sh and we never build shell strings.
#include "persistence/database.hpp"

#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

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

constexpr int first_port = 54329;
constexpr int port_attempts = 100;

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

// Runs argv (as postgres when root) with stdout/stderr appended to `log`; returns the exit code.
int run(std::vector<std::string> argv, bool as_postgres, const std::string& log,
        const std::string& cwd) {
  if (as_postgres) {
    argv.insert(argv.begin(), {runuser_path(), "-u", "postgres", "--"});
  }
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_APPEND | O_CREAT,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // The postgres user may not be allowed into our working directory.
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw failure("cannot run " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw failure("waitpid failed: " + std::string(std::strerror(errno)));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool port_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const int one = 1;
  // PostgreSQL sets SO_REUSEADDR too, so TIME_WAIT leftovers do not count as taken.
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

int pick_port() {
  for (int p = first_port; p < first_port + port_attempts; ++p) {
    if (port_free(p)) return p;
  }
  throw failure("no free port on 127.0.0.1 in " + std::to_string(first_port) + "…" +
                std::to_string(first_port + port_attempts - 1));
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

// Line 4 of postmaster.pid is the port of a running server.
std::optional<int> running_port(const fs::path& data) {
  std::ifstream in{data / "postmaster.pid"};
  std::string line;
  for (int i = 0; i < 4 && std::getline(in, line); ++i) {
  }
  if (!in || line.empty()) return std::nullopt;
  try {
    return std::stoi(line);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void write_settings(const fs::path& data, int port) {
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
  std::ofstream out{data / "ringmaster.conf", std::ios::trunc};
  out << "# Written by ringmaster at every start.\n"
      << "port = " << port << "\n"
      << "listen_addresses = '127.0.0.1'\n"
      << "unix_socket_directories = ''\n";
  if (!out) throw failure("cannot write " + (data / "ringmaster.conf").string());
}

std::string url_for(int port) {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/ringmaster";
}

void create_ringmaster_database(int port) {
  pqxx::connection c{"host=127.0.0.1 port=" + std::to_string(port) +
                     " user=postgres dbname=postgres"};
  pqxx::nontransaction tx{c};
  if (tx.exec("SELECT 1 FROM pg_database WHERE datname = 'ringmaster'").empty()) {
    tx.exec("CREATE DATABASE ringmaster");
  }
}

}  // namespace

embedded_postgres::embedded_postgres(std::string data_dir)
    : data_dir_(std::move(data_dir)), bin_dir_(newest_bin_dir()) {
  const fs::path base = fs::absolute(data_dir_).lexically_normal();
  data_dir_ = base.string();
  pg_dir_ = (base / "postgres").string();
  log_path_ = (base / "postgres" / "server.log").string();
}

embedded_postgres::~embedded_postgres() {
  try {
    stop();
  } catch (...) {
    // Nothing sensible to do while unwinding; the server log keeps the details.
  }
}

std::string embedded_postgres::start() {
  const fs::path data = fs::path(pg_dir_) / "data";
  if (running_) {
    if (auto port = running_port(data)) return url_for(*port);
  }
  if (bin_dir_.empty()) throw failure("no PostgreSQL server in /usr/lib/postgresql/*/bin");
  const bool as_root = ::geteuid() == 0;

  std::error_code ec;
  fs::create_directories(pg_dir_, ec);
  if (ec) {
    throw failure("cannot create " + pg_dir_ + ": " + ec.message() +
                  "; set RINGMASTER_DATA_DIR to a writable directory");
  }
  ::chmod(pg_dir_.c_str(), 0700);
  {
    std::ofstream touch{log_path_, std::ios::app};  // created by us, so chown covers it
  }
  if (as_root) {
    const os_user pg = postgres_user();
    require_traversable(data_dir_, pg);  // pg_dir_ itself is chowned to postgres next
    chown_tree(pg_dir_, pg);
  }

  if (!fs::exists(data / "PG_VERSION")) {
    const int rc = run({bin_dir_ + "/initdb", "-D", data.string(), "-U", "postgres", "-A",
                        "trust", "-E", "UTF8", "--locale=C.UTF-8"},
                       as_root, log_path_, pg_dir_);
    if (rc != 0) {
      throw failure("initdb failed (exit " + std::to_string(rc) + "):" + log_tail(log_path_));
    }
  }

  // Left running by an earlier process that died without stopping it: adopt it.
  const int status = run({bin_dir_ + "/pg_ctl", "status", "-D", data.string()}, as_root,
                         log_path_, pg_dir_);
  std::optional<int> port = status == 0 ? running_port(data) : std::nullopt;
  // A stale postmaster.pid (kill -9) is handled by pg_ctl/postmaster themselves; a retry covers
  // a port taken between our probe and the server's bind, and backends of a killed postmaster
  // still releasing shared memory.
  for (int attempt = 0; !port && attempt < 3; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500 * attempt));
    const int candidate = pick_port();
    write_settings(data, candidate);
    if (as_root) chown_tree(pg_dir_, postgres_user());
    const int rc = run({bin_dir_ + "/pg_ctl", "start", "-D", data.string(), "-l", log_path_,
                        "-w", "-t", "60"},
                       as_root, log_path_, pg_dir_);
    if (rc == 0) port = candidate;
  }
  if (!port) throw failure("pg_ctl start failed:" + log_tail(log_path_));
  running_ = true;
  try {
    create_ringmaster_database(*port);
  } catch (const std::exception& e) {
    throw failure(std::string("cannot create database ringmaster: ") + e.what() +
                  log_tail(log_path_));
  }
  return url_for(*port);
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
