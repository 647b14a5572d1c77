#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "persistence/repositories.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;
using namespace rm::persistence::test;
using std::chrono::minutes;

TEST_CASE("a held slot round-trips and is booked for a contact") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  const auto org = make_tenant(tx, "Clinic A", "+14155550100");
  make_call(tx, "call-1", org);
  auto hold = slot(org, utc(10, 0));
  hold.call_id = "call-1";
  hold.tool_call_id = "tc-1";
  auto inserted = insert_appointment(tx, hold);
  REQUIRE(inserted.error == insert_error::none);
  REQUIRE(inserted.row);
  const auto& row = *inserted.row;
  CHECK(row.status == appointment_status::held);
  CHECK(row.starts_at == utc(10, 0));
  CHECK(row.ends_at == utc(10, 30));
  CHECK(row.blocked_until == utc(10, 45));
  CHECK(row.hold_expires_at == utc(8, 5));
  CHECK(next_hold_expiry(tx, org) == utc(8, 5));

  const auto contact = upsert_contact(tx, org, "+14155550123", "Ann");
  CHECK(book_held(tx, row.id, contact));
  CHECK_FALSE(book_held(tx, row.id, contact));  // no longer held
  auto found = find_appointment(tx, org, row.id);
  REQUIRE(found);
  CHECK(found->status == appointment_status::booked);
  CHECK(found->contact_id == contact);
  CHECK_FALSE(found->hold_expires_at);
  CHECK_FALSE(next_hold_expiry(tx, org));
  auto for_call = appointments_for_call(tx, "call-1");
  REQUIRE(for_call.size() == 1);
  CHECK(for_call[0].tool_call_id == "tc-1");
}

TEST_CASE("PostgreSQL refuses overlapping live appointments, buffer included") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  const auto org = make_tenant(tx, "Clinic A", "+14155550100");
  const auto other = make_tenant(tx, "Clinic B", "+14155550200");
  REQUIRE(insert_appointment(tx, slot(org, utc(10, 0), appointment_status::booked)).row);

  SECTION("the same start overlaps") {
    CHECK(insert_appointment(tx, slot(org, utc(10, 0))).error == insert_error::overlaps);
  }
  SECTION("a start at 10:30 falls into the 15-minute buffer of a 10:00-10:30 booking") {
    CHECK(insert_appointment(tx, slot(org, utc(10, 30))).error == insert_error::overlaps);
  }
  SECTION("a start whose own buffer reaches 10:00 overlaps too") {
    CHECK(insert_appointment(tx, slot(org, utc(9, 20))).error == insert_error::overlaps);
  }
  SECTION("10:45 is free, and the transaction survives the refusal before it") {
    REQUIRE(insert_appointment(tx, slot(org, utc(10, 30))).error == insert_error::overlaps);
    auto r = insert_appointment(tx, slot(org, utc(10, 45)));
    CHECK(r.error == insert_error::none);
    CHECK(r.row);
    tx.commit();
  }
  SECTION("another tenant's calendar is independent") {
    CHECK(insert_appointment(tx, slot(other, utc(10, 0))).error == insert_error::none);
  }
  SECTION("busy_between reports the booking with its buffer") {
    auto busy = busy_between(tx, org, utc(9, 0), utc(12, 0), utc(8, 0));
    REQUIRE(busy.size() == 1);
    CHECK(busy[0].start == utc(10, 0));
    CHECK(busy[0].end == utc(10, 45));
    CHECK(busy_between(tx, org, utc(10, 45), utc(12, 0), utc(8, 0)).empty());
  }
}

TEST_CASE("an expired hold stops blocking once expire_holds marks it") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  const auto org = make_tenant(tx, "Clinic A", "+14155550100");
  auto hold = insert_appointment(tx, slot(org, utc(10, 0)));  // expires 08:05
  REQUIRE(hold.row);
  const auto later = utc(8, 6);

  CHECK(busy_between(tx, org, utc(9, 0), utc(12, 0), later).empty());  // not live any more
  CHECK(insert_appointment(tx, slot(org, utc(10, 0), appointment_status::held, later)).error ==
        insert_error::overlaps);  // …but the row still blocks until marked

  CHECK(expire_holds(tx, org, later, rm::domain::busy_interval{utc(11, 0), utc(12, 0)}).empty());
  CHECK(expire_holds(tx, org, utc(8, 4)).empty());  // not due yet
  auto expired = expire_holds(tx, org, later, rm::domain::busy_interval{utc(10, 0), utc(10, 45)});
  CHECK(expired == std::vector<std::string>{hold.row->id});
  CHECK(find_appointment(tx, org, hold.row->id)->status == appointment_status::expired);
  CHECK(insert_appointment(tx, slot(org, utc(10, 0), appointment_status::held, later)).row);
}

TEST_CASE("sixteen processes racing for one slot: exactly one wins") {
  rm::testing::scratch_database db;
  std::string org;
  {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    org = make_tenant(tx, "Clinic A", "+14155550100");
    tx.commit();
  }
  constexpr int racers = 16;
  std::mutex m;
  std::condition_variable cv;
  int ready = 0;
  std::atomic<int> won{0}, refused{0};
  std::vector<std::string> errors;  // Catch2 assertions are not thread-safe: report after join
  std::vector<std::thread> threads;
  for (int i = 0; i < racers; ++i) {
    threads.emplace_back([&, i] {
      try {
        pqxx::connection c{db.url()};
        pqxx::work tx{c};
        tx.exec("SELECT 1");  // the transaction is open before the start line
        {
          std::unique_lock<std::mutex> lock{m};
          if (++ready == racers) cv.notify_all();
          cv.wait(lock, [&] { return ready == racers; });
        }
        // Slightly different slots that all overlap 10:00–10:45, booked the way the booking
        // code does it: expire stale holds in the range, then insert.
        const auto mine = slot(org, utc(10, i % 4 * 5));
        expire_holds(tx, org, utc(8, 0), rm::domain::busy_interval{mine.starts_at,
                                                                   mine.blocked_until});
        auto r = insert_appointment(tx, mine);
        if (r.row) {
          tx.commit();
          ++won;
        } else if (r.error == insert_error::overlaps) {
          ++refused;
        }
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock{m};
        errors.push_back("racer " + std::to_string(i) + ": " + e.what());
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(errors == std::vector<std::string>{});
  CHECK(won == 1);
  CHECK(refused == racers - 1);
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  CHECK(tx.exec1("SELECT count(*) FROM appointments")[0].as<int>() == 1);
}

namespace {
struct notices : pqxx::notification_receiver {
  std::vector<std::string> payloads;
  explicit notices(pqxx::connection_base& c) : pqxx::notification_receiver(c, "rm_calendar") {}
  void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
};
}  // namespace

TEST_CASE("a committed change to appointments notifies rm_calendar with its org_id, once per "
          "transaction (migration 015)") {
  rm::testing::scratch_database db;
  pqxx::connection listener{db.url()};
  notices heard{listener};
  pqxx::connection c{db.url()};
  std::string org, other;
  {
    pqxx::work tx{c};
    org = make_tenant(tx, "Clinic A", "+14155550100");
    other = make_tenant(tx, "Clinic B", "+14155550200");
    tx.commit();
  }
  auto drain = [&] {
    heard.payloads.clear();
    while (listener.await_notification(0, 200000) > 0) {
    }
    return heard.payloads;
  };
  drain();
  {  // rolled back: nothing is announced
    pqxx::work tx{c};
    insert_appointment(tx, slot(org, utc(9, 0)));
  }
  CHECK(drain().empty());
  {  // two rows of one tenant in one transaction: one notice
    pqxx::work tx{c};
    REQUIRE(insert_appointment(tx, slot(org, utc(10, 0))).row);
    REQUIRE(insert_appointment(tx, slot(org, utc(11, 0), appointment_status::booked)).row);
    tx.commit();
  }
  CHECK(drain() == std::vector<std::string>{org});
  {  // expiry (an UPDATE of status) announces the tenant; other tenants are not named
    pqxx::work tx{c};
    REQUIRE(insert_appointment(tx, slot(other, utc(10, 0))).row);
    tx.commit();
  }
  CHECK(drain() == std::vector<std::string>{other});
  {
    pqxx::work tx{c};
    CHECK(expire_holds(tx, org, utc(9, 0)).size() == 1);
    tx.commit();
  }
  CHECK(drain() == std::vector<std::string>{org});
  {  // an update that cannot change what is busy stays quiet
    pqxx::work tx{c};
    tx.exec_params("UPDATE appointments SET tool_call_id = 'x' WHERE org_id = $1", org);
    tx.commit();
  }
  CHECK(drain().empty());
}

TEST_CASE("blocking_between lists held (even past expiry) and booked rows, not expired or "
          "cancelled ones") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  const auto org = make_tenant(tx, "Clinic A", "+14155550100");
  REQUIRE(insert_appointment(tx, slot(org, utc(9, 0))).row);  // held until 08:05
  REQUIRE(insert_appointment(tx, slot(org, utc(10, 0), appointment_status::booked)).row);
  REQUIRE(insert_appointment(tx, slot(org, utc(11, 0))).row);
  expire_holds(tx, org, utc(8, 10), rm::domain::busy_interval{utc(11, 0), utc(12, 0)});
  auto rows = blocking_between(tx, org, utc(0, 0), utc(23, 0));
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].starts_at == utc(9, 0));
  CHECK(rows[0].status == appointment_status::held);
  CHECK(rows[0].hold_expires_at == utc(8, 5));
  CHECK(rows[1].starts_at == utc(10, 0));
  CHECK(rows[1].status == appointment_status::booked);
  CHECK(blocking_between(tx, org, utc(9, 40), utc(10, 0)).size() == 1);  // [start, blocked_until)
}
