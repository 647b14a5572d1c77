#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <pqxx/pqxx>

#include "persistence/database.hpp"

using rm::persistence::embedded_postgres;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
  fs::path path;
  temp_dir() {
    char tmpl[] = "/tmp/rm-embedded-pg.XXXXXX";
    path = ::mkdtemp(tmpl);
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string database_of(const std::string& url) {
  pqxx::connection c{url};
  pqxx::nontransaction tx{c};
  return tx.exec1("SELECT current_database()")[0].as<std::string>();
}

std::string one_value(const std::string& url, const std::string& sql) {
  pqxx::connection c{url};
  pqxx::nontransaction tx{c};
  return tx.exec1(sql)[0].c_str();
}

std::string read_text(const fs::path& p) {
  std::ifstream in{p};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

pid_t postmaster_pid(const fs::path& dir) {
  std::ifstream in{dir / "postgres" / "data" / "postmaster.pid"};
  pid_t pid = 0;
  in >> pid;
  return pid;
}

// Inodes of the sockets process `pid` holds open.
std::set<std::string> socket_inodes(pid_t pid) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ec;
    const auto target = fs::read_symlink(e.path(), ec).string();
    if (target.rfind("socket:[", 0) == 0) out.insert(target.substr(8, target.size() - 9));
  }
  return out;
}

// Inodes listed in a /proc/net table (`column` is the 0-based inode column).
std::set<std::string> table_inodes(const std::string& table, std::size_t column) {
  std::set<std::string> out;
  std::ifstream in{table};
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields{line};
    std::vector<std::string> f;
    for (std::string x; fields >> x;) f.push_back(x);
    if (f.size() > column) out.insert(f[column]);
  }
  return out;
}

std::size_t shared(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::size_t n = 0;
  for (const auto& x : a) n += b.count(x);
  return n;
}

// Lines of pg_hba.conf that are not comments or blank.
std::vector<std::string> hba_rules(const fs::path& dir) {
  std::vector<std::string> out;
  std::istringstream in{read_text(dir / "postgres" / "data" / "pg_hba.conf")};
  for (std::string line; std::getline(in, line);) {
    auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    out.push_back(line.substr(start));
  }
  return out;
}

// A loopback port nobody listens on right now.
int free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Everything that makes the cluster private, checked from outside.
void check_private(const embedded_postgres& pg, const fs::path& dir, const std::string& url) {
  const pid_t pid = postmaster_pid(dir);
  REQUIRE(pid > 0);
  // No TCP listener: none of the postmaster's sockets is a TCP socket; its Unix socket is there.
  const auto mine = socket_inodes(pid);
  CHECK(shared(mine, table_inodes("/proc/net/tcp", 9)) == 0);
  CHECK(shared(mine, table_inodes("/proc/net/tcp6", 9)) == 0);
  CHECK(shared(mine, table_inodes("/proc/net/unix", 6)) >= 1);
  CHECK(one_value(url, "SHOW listen_addresses").empty());
  CHECK(one_value(url, "SHOW unix_socket_directories") == "\"" + pg.socket_dir() + "\"");
  // No trust: only the Unix socket with SCRAM.
  const auto rules = hba_rules(dir);
  REQUIRE(rules.size() == 1);
  CHECK(rules[0].find("local") == 0);
  CHECK(rules[0].find("scram-sha-256") != std::string::npos);
  CHECK(read_text(dir / "postgres" / "data" / "pg_hba.conf").find("trust") == std::string::npos);
  // The socket's directory and the password file are private.
  CHECK(pg.socket_dir() == (dir / "postgres" / "socket").string());
  CHECK(mode_of(pg.socket_dir()) == 0700);
  CHECK(fs::exists(fs::path(pg.socket_dir()) / ".s.PGSQL.5432"));
  CHECK(mode_of(pg.password_file()) == 0600);
  CHECK(mode_of(dir / "postgres") == 0700);
  CHECK(url.find(pg.password_file()) != std::string::npos);
  // The password is needed: none, or a wrong one, is refused.
  ::unsetenv("PGPASSWORD");
  const std::string base = "host=" + pg.socket_dir() + " port=5432 user=postgres dbname=ringmaster";
  CHECK_THROWS_AS(pqxx::connection{base + " passfile=/nonexistent/pgpass"},
                  pqxx::broken_connection);
  CHECK_THROWS_AS(pqxx::connection{base + " passfile=/nonexistent/pgpass password=wrong"},
                  pqxx::broken_connection);
  CHECK(database_of(url) == "ringmaster");
  CHECK(one_value(url, "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid"
                       " WHERE rolname = 'postgres'") == "t");
}

}  // namespace

TEST_CASE("the embedded PostgreSQL initialises, restarts, and survives a killed postmaster") {
  temp_dir dir;
  const fs::path pid_file = dir.path / "postgres" / "data" / "postmaster.pid";
  {
    embedded_postgres pg{dir.path.string()};
    const auto url = pg.start();
    CHECK(url.find("host=") != std::string::npos);
    CHECK(database_of(url) == "ringmaster");
    pg.stop();
    CHECK_FALSE(fs::exists(pid_file));

    CHECK(database_of(pg.start()) == "ringmaster");  // existing cluster, no initdb

    // kill -9: the postmaster leaves its postmaster.pid behind.
    std::ifstream in{pid_file};
    pid_t pid = 0;
    in >> pid;
    REQUIRE(pid > 0);
    REQUIRE(::kill(pid, SIGKILL) == 0);
  }  // the destructor's stop fails quietly: the server is gone
  REQUIRE(fs::exists(pid_file));

  embedded_postgres again{dir.path.string()};
  const auto url = again.start();
  CHECK(database_of(url) == "ringmaster");
  again.stop();
}

TEST_CASE("the embedded PostgreSQL names a data directory postgres cannot reach") {
  // As root the postgres user cannot traverse it; as anyone else we cannot create inside it.
  temp_dir dir;
  const fs::path locked = dir.path / "locked";
  fs::create_directory(locked);
  fs::permissions(locked, fs::perms::owner_all);  // 0700, owned by root
  embedded_postgres pg{(locked / "data").string()};
  CHECK_THROWS_WITH(pg.start(), Catch::Contains(locked.string()) &&
                                    Catch::Contains("RINGMASTER_DATA_DIR"));
}

TEST_CASE("the embedded PostgreSQL is private: no TCP listener, no trust, a 0700 socket directory, "
          "a 0600 password file, no connection without the password") {
  temp_dir dir;
  embedded_postgres pg{dir.path.string()};
  const auto url = pg.start();
  check_private(pg, dir.path, url);
  pg.stop();
  // A restart keeps the password and everything private.
  const auto again = pg.start();
  check_private(pg, dir.path, again);
  pg.stop();
}

TEST_CASE("an embedded cluster left by an earlier version (TCP, trust, no password, still running) "
          "is made private in place at start, its data kept") {
  temp_dir dir;
  const fs::path data = dir.path / "postgres" / "data";
  {
    embedded_postgres pg{dir.path.string()};
    const auto url = pg.start();
    pqxx::connection c{url};
    pqxx::nontransaction tx{c};
    tx.exec("CREATE TABLE kept (v text)");
    tx.exec("INSERT INTO kept VALUES ('from the old version')");
    tx.exec("ALTER ROLE postgres PASSWORD NULL");
    c.disconnect();
    pg.stop();
  }
  // What the earlier version wrote: TCP on 127.0.0.1, no socket, trust, no password file.
  const int port = free_tcp_port();
  {
    std::ofstream conf{data / "ringmaster.conf", std::ios::trunc};
    conf << "port = " << port << "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n";
    std::ofstream hba{data / "pg_hba.conf", std::ios::trunc};
    hba << "local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n";
  }
  fs::remove(dir.path / "postgres" / "pgpass");
  // … and left running by a process that died.
  const std::string bin = [] {
    std::string best;
    for (const auto& e : fs::directory_iterator("/usr/lib/postgresql"))
      if (fs::exists(e.path() / "bin" / "pg_ctl") && e.path().string() > best) best = e.path();
    return best + "/bin";
  }();
  const std::string as_pg = ::geteuid() == 0 ? "runuser -u postgres -- " : "";
  if (::geteuid() == 0) {
    REQUIRE(std::system(("chown -R postgres: " + (dir.path / "postgres").string()).c_str()) == 0);
  }
  REQUIRE(std::system(("cd / && " + as_pg + bin + "/pg_ctl start -w -D " + data.string() + " -l " +
                       (dir.path / "postgres" / "old.log").string() + " >/dev/null")
                          .c_str()) == 0);
  const std::string old_url =
      "host=127.0.0.1 port=" + std::to_string(port) + " user=postgres dbname=ringmaster";
  REQUIRE(one_value(old_url, "SELECT v FROM kept") == "from the old version");  // trust over TCP

  embedded_postgres pg{dir.path.string()};
  const auto url = pg.start();
  check_private(pg, dir.path, url);
  CHECK(one_value(url, "SELECT v FROM kept") == "from the old version");
  CHECK_THROWS_AS(pqxx::connection{old_url}, pqxx::broken_connection);
  pg.stop();
}
