#include <catch2/catch.hpp>

#include <thread>

#include <pqxx/pqxx>

#include "persistence/database.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;

namespace {

// Back to an empty database (scratch_database hands it over already migrated).
void wipe(pqxx::connection& c) {
  pqxx::work tx{c};
  tx.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  tx.commit();
}

}  // namespace

TEST_CASE("the embedded migrations start at 001_init and ascend") {
  const auto& all = embedded_migrations();
  REQUIRE_FALSE(all.empty());
  CHECK(all.front().version == 1);
  CHECK(all.front().name == "init");
  CHECK(all.front().sql.find("EXCLUDE USING gist") != std::string::npos);
  for (std::size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].version < all[i].version);
  CHECK(latest_schema_version() == all.back().version);
}

TEST_CASE("migrate applies every migration to an empty database and then nothing more") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  wipe(c);
  CHECK(current_schema_version(c) == 0);

  auto first = migrate(c);
  CHECK(first.from_version == 0);
  CHECK(first.to_version == latest_schema_version());
  REQUIRE(first.applied.size() == embedded_migrations().size());
  CHECK(first.applied.front() == "001_init");

  auto second = migrate(c);
  CHECK(second.from_version == latest_schema_version());
  CHECK(second.to_version == latest_schema_version());
  CHECK(second.applied.empty());

  pqxx::work tx{c};
  CHECK(tx.exec1("SELECT count(*) FROM schema_migrations")[0].as<int>() ==
        static_cast<int>(embedded_migrations().size()));
}

TEST_CASE("two connections migrating at once apply each migration exactly once") {
  rm::testing::scratch_database db;
  {
    pqxx::connection c{db.url()};
    wipe(c);
  }
  migrate_result a, b;
  std::thread other{[&] {
    pqxx::connection c{db.url()};
    b = migrate(c);
  }};
  {
    pqxx::connection c{db.url()};
    a = migrate(c);
  }
  other.join();
  CHECK(a.applied.size() + b.applied.size() == embedded_migrations().size());
  CHECK(a.to_version == latest_schema_version());
  CHECK(b.to_version == latest_schema_version());
}

TEST_CASE("migrate refuses a database whose schema is newer than the binary") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  {
    pqxx::work tx{c};
    tx.exec0("INSERT INTO schema_migrations (version, name) VALUES (999, 'from_the_future')");
    tx.commit();
  }
  CHECK(current_schema_version(c) == 999);
  REQUIRE_THROWS_WITH(migrate(c), "database schema version 999 is newer than this ringmaster (" +
                                      std::to_string(latest_schema_version()) + ")");
}

TEST_CASE("a migration missing below the current version is still applied, not skipped") {
  rm::testing::scratch_database db;  // migrated to the latest version
  pqxx::connection c{db.url()};
  {
    pqxx::work tx{c};
    // Pretend the initial migration was never recorded (as if it had been merged late).
    tx.exec0("DELETE FROM schema_migrations WHERE version = 1");
    tx.commit();
  }
  // It is attempted again: here it fails loudly, because its tables already exist.
  CHECK_THROWS_WITH(rm::persistence::migrate(c), Catch::Contains("migration 001_init failed"));
}

TEST_CASE(
    "a migration that lost a race for a cluster-wide object runs again, a bounded number of times") {
  rm::testing::scratch_database db;  // migrated: schema_migrations exists
  pqxx::connection c{db.url()};
  {
    pqxx::work tx{c};
    // A sequence is not rolled back with the migration's transaction: it counts the attempts.
    tx.exec0("CREATE SEQUENCE migration_attempt");
    tx.commit();
  }
  // Fails like the second CREATE ROLE of two databases migrating at once, on its first attempt
  // only (the other database's role is there by the next one).
  const migration raced{900, "raced",
                        "DO $$ BEGIN IF nextval('migration_attempt') = 1 THEN "
                        "RAISE unique_violation USING MESSAGE = 'duplicate key value violates "
                        "unique constraint \"pg_authid_rolname_index\"'; END IF; END $$; "
                        "CREATE TABLE after_the_race (id int)"};
  apply_migration(c, raced);
  {
    pqxx::work tx{c};
    CHECK(tx.exec1("SELECT last_value FROM migration_attempt")[0].as<int>() == 2);
    CHECK(tx.exec1("SELECT count(*) FROM schema_migrations WHERE version = 900")[0].as<int>() ==
          1);
    CHECK(tx.exec1("SELECT to_regclass('after_the_race') IS NOT NULL")[0].as<bool>());
  }

  SECTION("one that keeps failing is given up after migration_attempts") {
    const migration stuck{901, "stuck",
                          "SELECT nextval('migration_attempt'); "
                          "DO $$ BEGIN RAISE duplicate_object; END $$"};
    REQUIRE_THROWS_WITH(apply_migration(c, stuck),
                        Catch::Matchers::StartsWith("migration 901_stuck failed: "));
    pqxx::work tx{c};
    CHECK(tx.exec1("SELECT last_value FROM migration_attempt")[0].as<int>() ==
          2 + migration_attempts);
    CHECK(tx.exec1("SELECT count(*) FROM schema_migrations WHERE version = 901")[0].as<int>() ==
          0);
  }

  SECTION("any other error is not tried again") {
    const migration broken{902, "broken", "SELECT nextval('migration_attempt'); SELECT 1/0"};
    REQUIRE_THROWS_WITH(apply_migration(c, broken),
                        Catch::Matchers::Contains("division by zero"));
    pqxx::work tx{c};
    CHECK(tx.exec1("SELECT last_value FROM migration_attempt")[0].as<int>() == 3);
  }
}
