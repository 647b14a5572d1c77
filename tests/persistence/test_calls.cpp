#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include <pqxx/pqxx>

#include "persistence/repositories.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;
using namespace rm::persistence::test;
using rm::domain::call_event;
using rm::domain::call_event_kind;
using rm::domain::call_state;

namespace {

call_event status_event(call_state s, std::int64_t at_ms, std::string key) {
  call_event e;
  e.kind = call_event_kind::status;
  e.status = s;
  e.occurred_at_ms = at_ms;
  e.dedup_key = std::move(key);
  return e;
}

struct tenant_with_call {
  std::string org;
  explicit tenant_with_call(const std::string& url) {
    pqxx::connection c{url};
    pqxx::work tx{c};
    org = make_tenant(tx, "Clinic A", "+14155550100");
    make_call(tx, "call-1", org);
    tx.commit();
  }
};

// Waits until the backend `pid` is blocked on a lock (observed, not timed).
bool wait_until_blocked(const std::string& url, int pid) {
  pqxx::connection c{url};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    pqxx::nontransaction tx{c};
    auto r = tx.exec_params(
        "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", pid);
    if (!r.empty()) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a duplicated call event is stored once") {
  rm::testing::scratch_database db;
  tenant_with_call f{db.url()};
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  auto ringing = status_event(call_state::ringing, 1000, "vapi:ringing");
  CHECK(append_call_event(tx, "call-1", f.org, ringing, R"({"status":"ringing"})"));
  CHECK_FALSE(append_call_event(tx, "call-1", f.org, ringing, R"({"status":"ringing"})"));
  auto ended = status_event(call_state::ended, 3000, "vapi:ended");
  ended.ended_reason = "customer-ended-call";
  CHECK(append_call_event(tx, "call-1", f.org, ended, ""));

  auto events = load_call_events(tx, "call-1");
  REQUIRE(events.size() == 2);
  CHECK(events[0].event.dedup_key == "vapi:ringing");
  CHECK(events[0].event.status == call_state::ringing);
  CHECK(events[0].event.occurred_at_ms == 1000);
  CHECK(events[0].payload_json == R"({"status": "ringing"})");  // as jsonb renders it
  CHECK(events[0].received_at_ms > 0);
  CHECK(events[1].event.ended_reason == "customer-ended-call");
  CHECK(events[1].payload_json.empty());
}

TEST_CASE("score and transfer events are stored and read back; the latest transfer wins") {
  rm::testing::scratch_database db;
  tenant_with_call f{db.url()};
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  auto score = status_event(call_state::scored, 5000, "score");
  score.kind = call_event_kind::score;
  auto transfer = status_event(call_state::forwarding, 4000, "transfer:4000");
  transfer.kind = call_event_kind::transfer;
  CHECK(append_call_event(tx, "call-1", f.org, transfer, R"({"destination":"+14155550111"})"));
  CHECK(append_call_event(tx, "call-1", f.org, score, "{}"));
  auto events = load_call_events(tx, "call-1");
  REQUIRE(events.size() == 2);
  CHECK(events[0].event.kind == call_event_kind::transfer);
  CHECK(events[1].event.kind == call_event_kind::score);
  CHECK(events[1].event.status == call_state::scored);

  save_transfer(tx, "call-1", {"+14155550111", "front desk", 4000});
  save_transfer(tx, "call-1", {"sip:late@clinic.example", "", 3000});  // older: ignored
  auto row = tx.exec_params1(
      "SELECT transfer_to, transfer_reason, (extract(epoch from transfer_time) * 1000)::bigint"
      " FROM calls WHERE id = $1", "call-1");
  CHECK(row[0].as<std::string>() == "+14155550111");
  CHECK(row[1].as<std::string>() == "front desk");
  CHECK(row[2].as<std::int64_t>() == 4000);
  save_transfer(tx, "call-1", {"sip:desk@clinic.example", "", 6000});
  row = tx.exec_params1("SELECT transfer_to, transfer_reason IS NULL FROM calls WHERE id = $1",
                        "call-1");
  CHECK(row[0].as<std::string>() == "sip:desk@clinic.example");
  CHECK(row[1].as<bool>());
}

TEST_CASE("call_events is append-only: UPDATE and DELETE raise") {
  rm::testing::scratch_database db;
  tenant_with_call f{db.url()};
  pqxx::connection c{db.url()};
  {
    pqxx::work tx{c};
    append_call_event(tx, "call-1", f.org, status_event(call_state::ringing, 1, "k1"), "");
    tx.commit();
  }
  SECTION("UPDATE") {
    pqxx::work tx{c};
    CHECK_THROWS_WITH(tx.exec("UPDATE call_events SET dedup_key = 'forged'"),
                      Catch::Contains("append-only"));
  }
  SECTION("DELETE") {
    pqxx::work tx{c};
    CHECK_THROWS_WITH(tx.exec("DELETE FROM call_events"), Catch::Contains("append-only"));
  }
  pqxx::work tx{c};
  CHECK(load_call_events(tx, "call-1").size() == 1);
}

TEST_CASE("an event cannot be filed under another tenant's call") {
  rm::testing::scratch_database db;
  tenant_with_call f{db.url()};
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  const auto other = make_tenant(tx, "Clinic B", "+14155550200");
  CHECK_THROWS_AS(
      append_call_event(tx, "call-1", other, status_event(call_state::ringing, 1, "k"), ""),
      pqxx::foreign_key_violation);
}

TEST_CASE("the first identity of a call wins and its projection and report round-trip") {
  rm::testing::scratch_database db;
  tenant_with_call f{db.url()};
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  ensure_call(tx, {"call-1", f.org, "outbound", "+19995550000", "+19995550001", "CAxyz"});

  rm::domain::call_projection p;
  p.state = call_state::reported;
  p.outcome = rm::domain::call_outcome::booked;
  p.ended_reason = "assistant-ended-call";
  p.started_at_ms = 1894665600123;
  p.ended_at_ms = 1894665700456;
  save_projection(tx, "call-1", p);
  call_report r;
  r.ended_reason = "assistant-ended-call";
  r.transcript = "AI: Hello";
  r.summary = "Booked a cleaning";
  r.duration_seconds = 100.5;
  r.cost_usd = 0.0825;
  r.structured_data_json = R"({"booked": true})";
  save_report(tx, "call-1", r);

  auto row = load_call(tx, "call-1");
  REQUIRE(row);
  CHECK(row->identity.direction == "inbound");
  CHECK(row->identity.caller == "+14155550123");
  CHECK(row->identity.provider_call_sid.empty());
  CHECK(row->projection.state == call_state::reported);
  CHECK(row->projection.outcome == rm::domain::call_outcome::booked);
  CHECK(row->projection.booked);
  CHECK(row->projection.ended_reason == "assistant-ended-call");
  CHECK(row->projection.started_at_ms == 1894665600123);
  CHECK(row->projection.ended_at_ms == 1894665700456);
  CHECK(row->report.transcript == "AI: Hello");
  CHECK(row->report.summary == "Booked a cleaning");
  CHECK(row->report.recording_url.empty());
  CHECK(row->report.duration_seconds == Approx(100.5));
  CHECK(row->report.cost_usd == Approx(0.0825));
  CHECK(row->report.structured_data_json == R"({"booked": true})");
  CHECK(row->created_at_ms > 0);
  CHECK_FALSE(load_call(tx, "no-such-call"));
}

TEST_CASE("unfinished_call_ids lists the calls not yet ended, and the reported ones not scored") {
  rm::testing::scratch_database db;
  tenant_with_call f{db.url()};
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  make_call(tx, "call-2", f.org);
  make_call(tx, "call-3", f.org);
  make_call(tx, "call-4", f.org);
  make_call(tx, "call-5", f.org);
  rm::domain::call_projection p;
  p.state = call_state::in_progress;
  save_projection(tx, "call-2", p);
  p.state = call_state::ended;
  save_projection(tx, "call-3", p);
  p.state = call_state::reported;  // its scoring step has not run: recovery resumes it
  p.outcome = rm::domain::call_outcome::lost;
  save_projection(tx, "call-4", p);
  p.state = call_state::scored;
  save_projection(tx, "call-5", p);
  auto ids = unfinished_call_ids(tx);
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"call-1", "call-2", "call-4"});
  // A scored call keeps the time it was reported.
  CHECK(tx.exec_params1("SELECT reported_at IS NOT NULL FROM calls WHERE id = $1", "call-5")[0]
            .as<bool>());
}

TEST_CASE("a tool call claimed by one connection is seen completed by the other") {
  rm::testing::scratch_database db;
  tenant_with_call f{db.url()};
  pqxx::connection first{db.url()};
  pqxx::work tx1{first};
  auto mine = claim_tool_call(tx1, "call-1", "tc-1", f.org, "book_appointment", R"({"a":1})");
  REQUIRE(mine.claimed);

  pqxx::connection second{db.url()};
  const int second_pid = second.backendpid();
  auto theirs = std::async(std::launch::async, [&] {
    pqxx::work tx2{second};
    auto cl = claim_tool_call(tx2, "call-1", "tc-1", f.org, "book_appointment", R"({"a":1})");
    tx2.commit();
    return cl;
  });
  // The second delivery must queue behind the first one's uncommitted row.
  REQUIRE(wait_until_blocked(db.url(), second_pid));
  complete_tool_call(tx1, "call-1", "tc-1", {"Booked for 10:00", false});
  tx1.commit();

  auto seen = theirs.get();
  CHECK_FALSE(seen.claimed);
  REQUIRE(seen.stored);
  CHECK(seen.stored->result == "Booked for 10:00");
  CHECK_FALSE(seen.stored->is_error);
}

TEST_CASE("two connections claiming one tool call at once: exactly one claims") {
  rm::testing::scratch_database db;
  tenant_with_call f{db.url()};
  auto deliver = [&](const std::string& answer) {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    auto cl = claim_tool_call(tx, "call-1", "tc-1", f.org, "check_availability", "");
    if (cl.claimed) complete_tool_call(tx, "call-1", "tc-1", {answer, true});
    tx.commit();
    return cl;
  };
  auto a = std::async(std::launch::async, deliver, "answer A");
  auto b = std::async(std::launch::async, deliver, "answer B");
  auto ca = a.get();
  auto cb = b.get();
  REQUIRE(ca.claimed != cb.claimed);
  const auto& loser = ca.claimed ? cb : ca;
  REQUIRE(loser.stored);
  CHECK(loser.stored->result == (ca.claimed ? "answer A" : "answer B"));
  CHECK(loser.stored->is_error);
}

TEST_CASE("a claim rolled back leaves the tool call free to claim again") {
  rm::testing::scratch_database db;
  tenant_with_call f{db.url()};
  pqxx::connection c{db.url()};
  {
    pqxx::work tx{c};
    REQUIRE(claim_tool_call(tx, "call-1", "tc-1", f.org, "book_appointment", "").claimed);
  }  // aborted
  pqxx::work tx{c};
  CHECK(claim_tool_call(tx, "call-1", "tc-1", f.org, "book_appointment", "").claimed);
  auto again = claim_tool_call(tx, "call-1", "tc-1", f.org, "book_appointment", "");
  CHECK_FALSE(again.claimed);
  CHECK_FALSE(again.stored);  // claimed but not completed yet
}
