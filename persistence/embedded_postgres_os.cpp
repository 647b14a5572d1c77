// The operating-system side of the embedded cluster (persistence/detail/embedded_postgres_os.hpp).
#include "persistence/detail/embedded_postgres_os.hpp"

#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>

extern char** environ;

namespace rm::persistence::detail {

namespace fs = std::filesystem;

std::runtime_error failure(const std::string& what) {
  return std::runtime_error("embedded PostgreSQL: " + what);
}

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

namespace {

bool traversable_by(const struct stat& st, const os_user& u) {
  if (st.st_uid == u.uid) return (st.st_mode & S_IXUSR) != 0;
  if (std::find(u.groups.begin(), u.groups.end(), st.st_gid) != u.groups.end()) {
    return (st.st_mode & S_IXGRP) != 0;
  }
  return (st.st_mode & S_IXOTH) != 0;
}

}  // namespace

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

namespace {

// nftw(3) takes a plain function: the target owner travels through these.
uid_t chown_uid;
gid_t chown_gid;
int chown_entry(const char* path, const struct stat*, int, struct FTW*) {
  return ::lchown(path, chown_uid, chown_gid) == 0 ? 0 : -1;
}

}  // namespace

void chown_tree(const fs::path& dir, const os_user& u) {
  chown_uid = u.uid;
  chown_gid = u.gid;
  if (::nftw(dir.c_str(), chown_entry, 16, FTW_PHYS) != 0) {
    throw failure("cannot chown " + dir.string() + " to postgres: " + std::strerror(errno));
  }
}

namespace {

std::string runuser_path() {
  for (const char* p : {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  throw failure("running as root but runuser(1) was not found");
}

}  // namespace

int run(std::vector<std::string> argv, bool as_postgres, const std::string& log,
        const std::string& cwd, const std::string& input) {
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

std::string log_tail(const std::string& path, std::size_t lines) {
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

std::optional<std::string> pid_file_line(const fs::path& data, int n) {
  std::ifstream in{data / "postmaster.pid"};
  std::string line;
  for (int i = 0; i < n; ++i) {
    if (!std::getline(in, line)) return std::nullopt;
  }
  return line;
}

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

std::string read_password(const fs::path& pgpass) {
  std::ifstream in{pgpass};
  std::string line;
  const std::string prefix = "*:*:*:postgres:";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0 && line.size() > prefix.size()) return line.substr(prefix.size());
  }
  return "";
}

}  // namespace rm::persistence::detail
