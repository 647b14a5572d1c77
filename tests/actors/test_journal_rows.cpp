// The journal's data rows (issue 13 target 4): lifecycle events of calls whose history the call
// actor knows are stored set-based, many calls and tenants in one statement
// (persistence::journal_events, migration 018), against a real PostgreSQL scratch database:
//   - the statement stores each row's event and the projection the actor computed, inserts a
//     fresh call's row, and refuses (writes nothing for) a row naming another org than its
//     call's, a fresh row whose call is already stored, and a row whose call has events the
//     writer did not know;
//   - in the journal, data rows and closures share the batch's transaction; a stored row runs no
//     closure, a row not applied runs its closure instead, a foreign row fails alone;
//   - the call actor: a fresh call's events go as rows, a duplicate it knows costs no entry, and
//     events written by another writer (here: before the actor existed, or beside it) are taken
//     in through the general path, so the projection stays the fold over ALL stored events.
#include "actors/call_store.hpp"
#include "tests/actors/deterministic_fixture.hpp"

using namespace rm;
using namespace rm::testing::actors_fixture;
using persistence::journal_row_outcome;

namespace {

persistence::call_identity identity(const std::string& id, const std::string& org) {
  return {id, org, "inbound", "+14155550177", "+14155550100", ""};
}

actors::call_event_msg status(const persistence::call_identity& id, domain::call_state s,
                              std::int64_t at_ms) {
  auto m = status_event(id, s, std::string("status:") + domain::to_string(s));
  m.event.occurred_at_ms = at_ms;
  return m;
}

// The row the call actor would send for `msg`, knowing what is stored (calls::load).
persistence::journal_event_row row_of(pqxx::connection& c, const actors::call_event_msg& msg) {
  auto known = calls::load(c, msg.identity.id);
  return *calls::event_row(msg, !known.found, known.events);
}

struct stored_call {
  std::string org, state, started, ended;
  int events = 0;
};
stored_call stored(pqxx::connection& c, const std::string& id) {
  pqxx::work tx{c};  // as the owner would: through the SECURITY DEFINER lookup, then the tenant
  auto org = persistence::call_org(tx, id);
  if (!org) return {};
  persistence::set_tenant(tx, *org);
  auto r = tx.exec_params1(
      "SELECT state, coalesce((extract(epoch from started_at) * 1000)::bigint::text, '') AS s,"
      " coalesce((extract(epoch from ended_at) * 1000)::bigint::text, '') AS e,"
      " (SELECT count(*) FROM call_events WHERE call_id = $1)::int AS n FROM calls WHERE id = $1",
      id);
  return {*org, r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].as<int>()};
}

}  // namespace

TEST_CASE("journal rows: one statement stores many calls' events; other orgs' calls refused",
          "[actors][journal]") {
  fixture f;
  auto a = f.tenant.id;
  auto b = second_tenant(f);
  pqxx::connection c{f.db.url()};  // the runtime role: row-level security applies
  for (const auto& [id, org] : std::vector<std::pair<std::string, std::string>>{
           {"r-a1", a}, {"r-a2", a}, {"r-a3", a}, {"r-b1", b}, {"r-b2", b}})
    calls::record_event(c, status(identity(id, org), domain::call_state::ringing, 1000));
  std::vector<persistence::journal_event_row> rows;
  rows.push_back(row_of(c, status(identity("r-a1", a), domain::call_state::in_progress, 2000)));
  rows.push_back(row_of(c, status(identity("r-a2", a), domain::call_state::ended, 3000)));
  rows.push_back(row_of(c, status(identity("r-new", b), domain::call_state::ringing, 4000)));
  // r-b1 is b's call: a row naming org a must not touch it.
  auto foreign = row_of(c, status(identity("r-b1", b), domain::call_state::ended, 5000));
  foreign.call.org_id = a;
  rows.push_back(foreign);
  // r-b2 got an event the writer does not know of: not applied.
  auto stale = row_of(c, status(identity("r-b2", b), domain::call_state::ended, 6000));
  calls::record_event(c, status(identity("r-b2", b), domain::call_state::in_progress, 5500));
  rows.push_back(stale);
  // A fresh row for a call that is stored: not applied (the caller loads it instead).
  auto existing = calls::event_row(
      status(identity("r-a3", a), domain::call_state::forwarding, 7000), /*fresh=*/true, {});
  rows.push_back(*existing);
  REQUIRE(rows[0].known_events == 1);
  REQUIRE(rows[2].fresh);

  std::vector<journal_row_outcome> out;
  {
    pqxx::work tx{c};
    out = persistence::journal_events(tx, rows);
    tx.commit();
  }
  CHECK(out == std::vector<journal_row_outcome>{
                   journal_row_outcome::stored, journal_row_outcome::stored,
                   journal_row_outcome::stored, journal_row_outcome::foreign,
                   journal_row_outcome::fallback, journal_row_outcome::fallback});
  auto a1 = stored(c, "r-a1");
  CHECK(a1.state == "in-progress");
  CHECK(a1.started == "2000");
  CHECK(a1.events == 2);
  auto a2 = stored(c, "r-a2");
  CHECK(a2.state == "ended");
  CHECK(a2.ended == "3000");
  auto fresh = stored(c, "r-new");
  CHECK(fresh.org == b);
  CHECK(fresh.state == "ringing");
  CHECK(fresh.events == 1);
  auto b1 = stored(c, "r-b1");
  CHECK(b1.state == "ringing");  // untouched
  CHECK(b1.events == 1);
  auto b2 = stored(c, "r-b2");
  CHECK(b2.state == "in-progress");  // the stale row wrote nothing
  CHECK(b2.events == 2);
  CHECK(stored(c, "r-a3").events == 1);
  // What the rows stored is what the general path computes from every stored event.
  for (const auto* id : {"r-a1", "r-a2", "r-new"}) {
    INFO(id);
    auto l = calls::load(c, id);
    auto p = domain::project(l.events);
    CHECK(l.projection.state == p.state);
    CHECK(l.projection.started_at_ms == p.started_at_ms);
    CHECK(l.projection.ended_at_ms == p.ended_at_ms);
    CHECK(l.projection.ended_reason == p.ended_reason);
  }
}

TEST_CASE("journal rows: rows and closures share the batch; a row not applied runs its closure",
          "[actors][journal]") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  auto a = f.tenant.id;
  auto b = second_tenant(f);
  pqxx::connection c{f.db.url()};
  for (int i = 0; i < 5; ++i)
    calls::record_event(c, status(identity("q-" + std::to_string(i), i % 2 ? b : a),
                                  domain::call_state::ringing, 1000));
  // Each entry's closure records that it ran (and the transaction it ran in).
  auto ran = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
  auto entry = [&](const std::string& name, const std::string& org,
                   std::optional<persistence::journal_event_row> row) {
    actors::journal_entry e{org, std::make_shared<std::function<void(pqxx::work&)>>(
                                     [ran, name](pqxx::work& tx) {
                                       ran->emplace_back(name,
                                                         tx.exec1("SELECT txid_current()::text")[0]
                                                             .c_str());
                                     }),
                            nullptr};
    if (row) e.data = std::make_shared<actors::journal_entry::data_row>(
                 actors::journal_entry::data_row{*row});
    return e;
  };
  std::vector<actors::journal_entry> entries;
  // The first journal_in_flight entries go at once, alone; the rest form one batch.
  for (std::size_t i = 0; i < actors::journal_in_flight; ++i)
    entries.push_back(entry("alone-" + std::to_string(i), a, std::nullopt));
  for (int i = 0; i < 4; ++i) {
    auto id = identity("q-" + std::to_string(i), i % 2 ? b : a);
    entries.push_back(entry(id.id, id.org_id,
                            row_of(c, status(id, domain::call_state::in_progress, 2000))));
  }
  auto stale = row_of(c, status(identity("q-4", a), domain::call_state::ended, 3000));
  stale.known_events = 0;  // the writer missed the ringing event
  entries.push_back(entry("q-4", a, stale));
  auto foreign = row_of(c, status(identity("q-1", b), domain::call_state::ended, 3000));
  foreign.call.org_id = a;
  entries.push_back(entry("foreign", a, foreign));
  entries.push_back(entry("closure", b, std::nullopt));
  const auto before = stats(f, self);

  std::vector<caf::response_handle<caf::blocking_actor, caf::message, true>> handles;
  for (auto& e : entries)
    handles.push_back(self->request(caf::actor_cast<caf::actor>(f.w->journal()), caf::infinite,
                                    actors::journal_atom::value, std::move(e)));
  f.run();
  std::vector<std::string> replies;
  for (auto& h : handles)
    h.receive([&](actors::journal_done) { replies.emplace_back(); },
              [&](caf::error& e) { replies.push_back("error: " + f.sys->render(e)); });
  const auto n = actors::journal_in_flight;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    INFO(i << ": " << replies[i]);
    CHECK(replies[i].empty() == (i != n + 5));  // only the foreign row failed
  }
  // Closures ran for the entries alone, the stale row and the plain closure, not for the rows.
  std::vector<std::string> names;
  for (const auto& [name, txid] : *ran) names.push_back(name);
  std::vector<std::string> expected;
  for (std::size_t i = 0; i < n; ++i) expected.push_back("alone-" + std::to_string(i));
  expected.push_back("q-4");
  expected.push_back("closure");
  CHECK(names == expected);
  REQUIRE(ran->size() == n + 2);
  CHECK((*ran)[n].second == (*ran)[n + 1].second);  // one transaction for the batch
  for (int i = 0; i < 4; ++i) CHECK(stored(c, "q-" + std::to_string(i)).state == "in-progress");
  CHECK(stored(c, "q-4").state == "ringing");  // its closure (a probe) wrote nothing
  CHECK(stored(c, "q-1").events == 2);         // the foreign row wrote nothing
  auto after = stats(f, self);
  CHECK(after.set_rows - before.set_rows == 4);
  CHECK(after.failed_entries - before.failed_entries == 1);
  CHECK(after.commits - before.commits == n + 1);
}

TEST_CASE("call actor: a fresh call's events go as rows; a known duplicate costs no entry; "
          "events of other writers are taken in",
          "[actors][journal]") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  pqxx::connection c{f.db.url()};
  auto id = identity("call-rows", f.tenant.id);
  auto call = actors::spawn_call(*f.sys, f.w, id);
  f.run();
  auto send = [&](const actors::call_event_msg& m) {
    self->send(call, actors::event_atom::value, m);
    f.run();
    actors::event_ack out;
    self->receive([&](actors::event_ack& x) { out = std::move(x); },
                  caf::others >> [&](caf::message_view& x) -> caf::result<caf::message> {
                    FAIL("unexpected reply: " << caf::to_string(x.content()));
                    return caf::sec::unexpected_message;
                  },
                  caf::after(std::chrono::seconds(0)) >> [] { FAIL("no reply"); });
    return out;
  };
  const auto s0 = stats(f, self);
  CHECK(send(status(id, domain::call_state::ringing, 1000)).stored);
  CHECK(send(status(id, domain::call_state::in_progress, 2000)).state == "in-progress");
  auto s1 = stats(f, self);
  CHECK(s1.entries - s0.entries == 2);
  CHECK(s1.set_rows - s0.set_rows == 2);  // the fresh call's row, then a known call's row
  auto dup = send(status(id, domain::call_state::ringing, 1000));
  CHECK_FALSE(dup.stored);
  CHECK(dup.state == "in-progress");
  CHECK(stats(f, self).entries == s1.entries);  // answered from memory
  // Another writer adds an event the actor does not know (another instance, the booking): the
  // next event's row is not applied, the general path re-reads every event.
  calls::record_event(c, status(id, domain::call_state::forwarding, 2500));
  auto ended = send(status(id, domain::call_state::ended, 3000));
  CHECK(ended.stored);
  CHECK(ended.state == "ended");
  auto s2 = stats(f, self);
  CHECK(s2.set_rows == s1.set_rows);
  CHECK(s2.entries == s1.entries + 1);
  CHECK(stored(c, "call-rows").events == 4);
  // The actor knows the forwarding event now: its duplicate costs no entry either.
  CHECK_FALSE(send(status(id, domain::call_state::forwarding, 2500)).stored);
  CHECK(stats(f, self).entries == s2.entries);
  caf::anon_send_exit(call, caf::exit_reason::user_shutdown);
  f.run();

  // A call stored before its actor exists (a restart, another instance): the fresh row is not
  // applied; the load and record run instead, and the projection counts the stored events.
  calls::record_event(c, status(identity("call-old", f.tenant.id), domain::call_state::in_progress,
                                2000));
  auto old_call = actors::spawn_call(*f.sys, f.w, identity("call-old", f.tenant.id));
  f.run();
  auto ack = ask<actors::event_ack>(f, self, old_call, actors::event_atom::value,
                                    status(identity("call-old", f.tenant.id),
                                           domain::call_state::ringing, 1000));
  CHECK(ack.stored);
  CHECK(ack.state == "in-progress");
  CHECK(stored(c, "call-old").state == "in-progress");
  // Another tenant's event for this call id is refused (ack.foreign), nothing written.
  auto other = second_tenant(f);
  auto refused = ask<actors::event_ack>(f, self, old_call, actors::event_atom::value,
                                        status(identity("call-old", other),
                                               domain::call_state::ended, 3000));
  CHECK(refused.foreign);
  CHECK(stored(c, "call-old").events == 2);
  caf::anon_send_exit(old_call, caf::exit_reason::user_shutdown);
  f.run();
}
