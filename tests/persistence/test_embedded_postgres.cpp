#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

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

}  // namespace

TEST_CASE("the embedded PostgreSQL initialises, restarts, and survives a killed postmaster") {
  temp_dir dir;
  const fs::path pid_file = dir.path / "postgres" / "data" / "postmaster.pid";
  {
    embedded_postgres pg{dir.path.string()};
    const auto url = pg.start();
    CHECK(url.rfind("postgresql://postgres@127.0.0.1:", 0) == 0);
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
