// The journal (actors/journal_interfaces.hpp, issue 13 §3) on the deterministic coordinator,
// against a real PostgreSQL scratch database:
//   - entries of several tenants that arrive while a batch is in flight share ONE transaction
//     (txid_current() equal) and one commit, each under its own tenant;
//   - an entry that throws fails alone: the others of its batch are committed;
//   - a commit that fails (a deferred constraint) fails every entry of the batch: none is stored;
//   - the call store's bulk recovery load (calls::load_unfinished) and bulk views
//     (calls::views_json) give what the per-call load and view give;
//   - the call registry's recovery: a listing sent while it runs waits for it (complete), but
//     no longer than 2 s; a call actor that stops is forgotten.
#include <map>
#include <set>

#include "actors/call_store.hpp"
#include "tests/actors/deterministic_fixture.hpp"

using namespace rm;
using namespace rm::testing::actors_fixture;

namespace {

struct seen {
  std::string txid, org;
};

// An entry that records the transaction id and the tenant it ran under, then runs `sql` (if
// any) — a statement that fails makes the entry fail.
struct probe {
  std::shared_ptr<std::optional<seen>> slot = std::make_shared<std::optional<seen>>();
  actors::journal_entry entry(const std::string& org, std::string sql = "") {
    auto s = slot;
    return {org, std::make_shared<std::function<void(pqxx::work&)>>([s, sql](pqxx::work& tx) {
              auto r = tx.exec1(
                  "SELECT txid_current()::text, current_setting('ringmaster.org_id', true)");
              if (!sql.empty()) tx.exec(sql);
              s->emplace(seen{r[0].c_str(), r[1].c_str()});
            }), nullptr};
  }
};

// Sends every entry before anything runs, then runs the system and returns, per entry, "" when
// it was acknowledged or the error's text.
std::vector<std::string> submit(fixture& f, caf::scoped_actor& self,
                                std::vector<actors::journal_entry> entries) {
  std::vector<caf::response_handle<caf::blocking_actor, caf::message, true>> handles;
  for (auto& e : entries)
    handles.push_back(self->request(caf::actor_cast<caf::actor>(f.w->journal()), caf::infinite,
                                    actors::journal_atom::value, std::move(e)));
  f.run();
  std::vector<std::string> out;
  for (auto& h : handles)
    h.receive([&](actors::journal_done) { out.emplace_back(); },
              [&](caf::error& e) { out.push_back("error: " + f.sys->render(e)); });
  return out;
}

}  // namespace

TEST_CASE("journal: entries of several tenants share one transaction and one commit",
          "[actors][journal]") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  auto other = second_tenant(f);
  std::vector<probe> probes(8);
  std::vector<actors::journal_entry> entries;
  for (std::size_t i = 0; i < probes.size(); ++i)
    entries.push_back(probes[i].entry(i % 2 ? other : f.tenant.id));
  auto replies = submit(f, self, std::move(entries));
  for (const auto& r : replies) CHECK(r.empty());
  // The first journal_in_flight entries go at once, alone; the rest queue behind them and form
  // one batch.
  const auto n_alone = actors::journal_in_flight;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    REQUIRE(probes[i].slot->has_value());
    CHECK((*probes[i].slot)->org == (i % 2 ? other : f.tenant.id));  // its own tenant
    if (i > n_alone) CHECK((*probes[i].slot)->txid == (*probes[n_alone].slot)->txid);
  }
  CHECK((*probes[0].slot)->txid != (*probes[n_alone].slot)->txid);
  auto st = stats(f, self);
  CHECK(st.entries == probes.size());
  CHECK(st.commits == n_alone + 1);  // fewer commits than entries
  CHECK(st.largest_batch == probes.size() - n_alone);
}

TEST_CASE("journal: an entry that fails is rolled back alone; the others are committed",
          "[actors][journal]") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  auto other = second_tenant(f);
  auto call = [&](const std::string& id, const std::string& org) {
    return "INSERT INTO calls (id, org_id, direction, caller, dialled) VALUES ('" + id + "', '" +
           org + "', 'inbound', '+14155550177', '+14155550100')";
  };
  std::vector<probe> probes(6);
  std::vector<actors::journal_entry> entries;
  entries.push_back(probes[0].entry(f.tenant.id, call("j-0", f.tenant.id)));
  entries.push_back(probes[1].entry(other, call("j-1", other)));
  // Every entry after the first journal_in_flight joins the last batch: with j-1 (when one batch
  // is in flight), a good entry, one that writes and then fails (division by zero), two good
  // ones, one of them of the other tenant after the failure (its tenant is set again).
  entries.push_back(probes[2].entry(f.tenant.id, call("j-2", f.tenant.id)));
  entries.push_back(probes[3].entry(f.tenant.id, call("j-3", f.tenant.id) + "; SELECT 1/0"));
  entries.push_back(probes[4].entry(other, call("j-4", other)));
  // A row of another tenant than the entry's: row-level security refuses it, alone.
  entries.push_back(probes[5].entry(f.tenant.id, call("j-5", other)));
  auto replies = submit(f, self, std::move(entries));
  for (const auto& r : replies) INFO(r);
  INFO(replies[2] << " | " << replies[3] << " | " << replies[5]);
  CHECK(replies[0].empty());
  CHECK(replies[1].empty());
  CHECK(replies[2].empty());
  CHECK(replies[3].find("division by zero") != std::string::npos);
  CHECK(replies[4].empty());
  CHECK_FALSE(replies[5].empty());
  CHECK((*probes[4].slot)->txid == (*probes[2].slot)->txid);  // the same batch
  pqxx::connection c{f.db.url()};
  pqxx::work tx{c};
  auto stored = tx.exec("SELECT id FROM calls WHERE id LIKE 'j-%' ORDER BY id");
  std::vector<std::string> ids;
  for (const auto& r : stored) ids.emplace_back(r[0].c_str());
  CHECK(ids == std::vector<std::string>{"j-0", "j-1", "j-2", "j-4"});
  auto st = stats(f, self);
  CHECK(st.failed_entries == 2);
  CHECK(st.entries == 4);
}

TEST_CASE("journal: a commit that fails fails every entry of its batch", "[actors][journal]") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  {
    pqxx::connection c{f.db.url()};
    pqxx::work tx{c};
    tx.exec(
        "CREATE TABLE journal_probe (id int PRIMARY KEY, ref int REFERENCES journal_probe (id)"
        " DEFERRABLE INITIALLY DEFERRED);"
        "GRANT SELECT, INSERT ON journal_probe TO ringmaster_app");
    tx.commit();
  }
  // The first journal_in_flight entries go alone and commit; the last three form one batch, whose
  // second entry breaks a deferred constraint, checked only at COMMIT.
  const auto n_alone = actors::journal_in_flight;
  const auto insert = [](std::size_t id, const char* ref) {
    return "INSERT INTO journal_probe VALUES (" + std::to_string(id) + ", " + ref + ")";
  };
  std::vector<probe> probes(n_alone + 3);
  std::vector<actors::journal_entry> entries;
  std::string committed;
  for (std::size_t i = 0; i < n_alone; ++i) {
    entries.push_back(probes[i].entry(f.tenant.id, insert(i + 1, "NULL")));
    committed += (i ? "," : "") + std::to_string(i + 1);
  }
  entries.push_back(probes[n_alone].entry(f.tenant.id, insert(n_alone + 1, "NULL")));
  entries.push_back(probes[n_alone + 1].entry(f.tenant.id, insert(n_alone + 2, "99")));
  entries.push_back(probes[n_alone + 2].entry(f.tenant.id, insert(n_alone + 3, "NULL")));
  auto replies = submit(f, self, std::move(entries));
  for (std::size_t i = 0; i < n_alone; ++i) CHECK(replies[i].empty());
  for (std::size_t i = n_alone; i < replies.size(); ++i) CHECK_FALSE(replies[i].empty());
  pqxx::connection c{f.db.url()};
  pqxx::work tx{c};
  CHECK(tx.exec1("SELECT string_agg(id::text, ',' ORDER BY id) FROM journal_probe")[0].c_str() ==
        committed);
  auto st = stats(f, self);
  CHECK(st.failed_batches == 1);
  CHECK(st.entries == n_alone);
}

TEST_CASE("call store: the bulk recovery load and the bulk views equal the per-call ones",
          "[actors][journal]") {
  fixture f;
  auto other = second_tenant(f);
  pqxx::connection c{f.db.url()};
  auto identity = [&](const std::string& id, const std::string& org) {
    return persistence::call_identity{id, org, "inbound", "+14155550177", "+14155550100", ""};
  };
  const std::vector<std::pair<std::string, std::string>> calls{
      {"bulk-a", f.tenant.id}, {"bulk-b", f.tenant.id}, {"bulk-c", other}, {"bulk-ended", other}};
  for (const auto& [id, org] : calls) {
    auto ringing = status_event(identity(id, org), domain::call_state::ringing, "status:ringing");
    ringing.event.occurred_at_ms = 1000;
    calls::record_event(c, ringing);
  }
  auto ended = status_event(identity("bulk-ended", other), domain::call_state::ended, "status:ended");
  ended.event.occurred_at_ms = 2000;
  calls::record_event(c, ended);
  {
    pqxx::work tx{c};
    persistence::set_tenant(tx, f.tenant.id);
    persistence::insert_completed_tool_calls(
        tx, {{"bulk-b", "tc-1", f.tenant.id, "check_availability", "{}", {"{\"slots\":[]}", false}}});
    tx.commit();
  }
  // Recovery: the unfinished calls only, each as calls::load gives it.
  auto loaded = calls::load_unfinished(c);
  std::map<std::string, calls::loaded_call> by_id;
  for (auto& l : loaded) by_id[l.identity.id] = l;
  CHECK(by_id.size() == 3);
  CHECK(by_id.count("bulk-ended") == 0);
  for (const auto& id : {"bulk-a", "bulk-b", "bulk-c"}) {
    INFO(id);
    auto one = calls::load(c, id);
    REQUIRE(by_id.count(id) == 1);
    const auto& l = by_id[id];
    CHECK(l.found);
    CHECK(l.identity.org_id == one.identity.org_id);
    CHECK(l.identity.caller == one.identity.caller);
    CHECK(l.projection.state == one.projection.state);
    CHECK(l.projection.started_at_ms == one.projection.started_at_ms);
    CHECK(l.outcomes.size() == one.outcomes.size());
  }
  REQUIRE(by_id["bulk-b"].outcomes.size() == 1);
  CHECK(by_id["bulk-b"].outcomes[0].first == "tc-1");
  // Views: the same JSON as the per-call view, in the order asked, unknown ids left out.
  std::vector<std::string> ids{"bulk-c", "no-such-call", "bulk-a", "bulk-ended", "bulk-b"};
  auto views = calls::views_json(c, ids, true);
  REQUIRE(views.size() == 4);
  CHECK(views[0] == calls::view_json(c, "bulk-c", true));
  CHECK(views[1] == calls::view_json(c, "bulk-a", true));
  CHECK(views[2] == calls::view_json(c, "bulk-ended", true));
  CHECK(views[3] == calls::view_json(c, "bulk-b", true));
  CHECK(nlohmann::json::parse(views[2])["events"].size() == 2);
}

TEST_CASE("call actor: a fresh call's first tool call is loaded and stored in one journal entry",
          "[actors][journal]") {
  fixture f;
  caf::scoped_actor self{*f.sys};
  persistence::call_identity id{"call-first-tool", f.tenant.id, "inbound", "+14155550177",
                                "+14155550100", ""};
  auto call = actors::spawn_call(*f.sys, f.w, id);
  f.run();
  const auto before = stats(f, self);
  auto replies = ask<std::vector<actors::tool_reply>>(
      f, self, call, actors::tools_atom::value, id,
      std::vector<actors::tool_request>{
          {"t1", "check_availability", nlohmann::json{{"date", "2030-01-08"}}.dump(), "", nullptr},
          {"t2", "check_availability", nlohmann::json{{"date", "2030-01-09"}}.dump(), "",
           nullptr}});
  REQUIRE(replies.size() == 2);
  INFO(replies[0].text);
  CHECK_FALSE(replies[0].is_error);
  const auto after = stats(f, self);
  // One entry (the load and the row) for the whole first message, in the journal's batches.
  CHECK(after.entries == before.entries + 1);
  {
    pqxx::connection c{f.db.url()};
    pqxx::work tx{c};
    CHECK(tx.exec1("SELECT count(*) FROM calls WHERE id = 'call-first-tool'")[0].as<int>() == 1);
  }
  // Its later tool calls add no entry: answered from memory, stored write-behind.
  ask<std::vector<actors::tool_reply>>(
      f, self, call, actors::tools_atom::value, id,
      std::vector<actors::tool_request>{
          {"t3", "check_availability", nlohmann::json{{"date", "2030-01-10"}}.dump(), "",
           nullptr}});
  CHECK(stats(f, self).entries == after.entries);
  caf::anon_send_exit(call, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("call registry: a listing sent while the recovery runs waits for it and is complete",
          "[actors][journal][recovery]") {
  fixture f;
  auto other = second_tenant(f);
  std::set<std::string> unfinished;
  {
    pqxx::connection c{f.db.url()};
    for (int i = 0; i < 6; ++i) {
      auto id = "rec-" + std::to_string(i);
      auto org = i % 2 ? other : f.tenant.id;
      calls::record_event(
          c, status_event({id, org, "inbound", "+14155550177", "+14155550100", ""},
                          domain::call_state::in_progress, "status:in-progress"));
      unfinished.insert(id);
    }
    calls::record_event(
        c, status_event({"rec-ended", other, "inbound", "+14155550177", "+14155550100", ""},
                        domain::call_state::ended, "status:ended"));
  }
  auto registry = actors::spawn_call_registry(*f.sys, f.w);
  caf::scoped_actor self{*f.sys};
  // Both are queued before anything runs: the listing reaches the registry while the bulk load
  // is still in the database worker's queue.
  caf::anon_send(registry, actors::recover_atom::value);
  auto ids = ask<std::vector<std::string>>(f, self, registry, actors::list_atom::value);
  CHECK(std::set<std::string>(ids.begin(), ids.end()) == unfinished);
  // A call actor that stops is forgotten: the next listing leaves it out.
  auto one = ask<std::string>(f, self, registry, actors::view_atom::value, std::string{"rec-0"});
  CHECK_FALSE(one.empty());
  {
    auto listed = ask<std::vector<std::string>>(f, self, registry, actors::list_atom::value);
    CHECK(listed.size() == unfinished.size());
  }
  caf::anon_send(registry, actors::event_atom::value,
                 status_event({"rec-0", f.tenant.id, "inbound", "+14155550177", "+14155550100", ""},
                              domain::call_state::ended, "status:ended"));
  f.run();
  f.advance(std::chrono::hours(1));  // past the no-report wait: the ended call stops
  ids = ask<std::vector<std::string>>(f, self, registry, actors::list_atom::value);
  unfinished.erase("rec-0");
  CHECK(std::set<std::string>(ids.begin(), ids.end()) == unfinished);
  caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("call registry: a listing waits for a slow recovery 2 s at most, then gets what is live",
          "[actors][journal][recovery]") {
  fixture f;
  {
    pqxx::connection c{f.db.url()};
    calls::record_event(
        c, status_event({"slow-1", f.tenant.id, "inbound", "+14155550177", "+14155550100", ""},
                        domain::call_state::in_progress, "status:in-progress"));
  }
  auto registry = actors::spawn_call_registry(*f.sys, f.w);
  caf::scoped_actor self{*f.sys};
  caf::anon_send(registry, actors::recover_atom::value);
  self->send(registry, actors::list_atom::value);
  // Only the registry runs: its bulk load stays queued at the database worker (a slow database).
  auto run_registry = [&] {
    while (f.sched->prioritize(registry)) f.sched->run_once();
  };
  run_registry();
  std::optional<std::vector<std::string>> early;
  self->receive([&](std::vector<std::string>& ids) { early = ids; },
                caf::after(std::chrono::seconds(0)) >> [] {});
  CHECK_FALSE(early);  // still waiting
  f.sched->advance_time(std::chrono::milliseconds(1999));
  run_registry();
  self->receive([&](std::vector<std::string>& ids) { early = ids; },
                caf::after(std::chrono::seconds(0)) >> [] {});
  CHECK_FALSE(early);
  f.sched->advance_time(std::chrono::milliseconds(1));
  run_registry();
  std::optional<std::vector<std::string>> late;
  self->receive([&](std::vector<std::string>& ids) { late = ids; },
                caf::after(std::chrono::seconds(0)) >> [] {});
  REQUIRE(late);
  CHECK(late->empty());  // the calls live so far: none yet
  f.run();  // the load completes: the call is live and listed
  auto ids = ask<std::vector<std::string>>(f, self, registry, actors::list_atom::value);
  CHECK(ids == std::vector<std::string>{"slow-1"});
  caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
  f.run();
}
