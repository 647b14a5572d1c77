// The clinic dashboard's reads (dashboard_routes.cpp) and the after-the-call settings: calls with
// their scoring, contacts with their lead pipeline and statistics, the summary of a period.
// Scored calls and leads are inserted with SQL as the owner (the scoring step fills them in
// production).
#include <catch2/catch.hpp>

#include "tests/tenant_api/fixture.hpp"

using namespace rm::tapi;

namespace {

const std::string number_a = "+14155550100";
const std::string number_b = "+12125550100";

struct call_row {
  std::string id, direction, state, outcome;  // outcome "" → NULL
  std::string duration, value;                // "" → NULL
  std::string created_at;                     // timestamptz text
  std::string score = "", tier = "";          // "" → NULL
};

void insert_call(fixture& f, const std::string& org, const call_row& c) {
  f.scalar(
      "INSERT INTO calls (id, org_id, direction, caller, dialled, state, outcome,"
      " duration_seconds, financial_value, lead_score, lead_tier, created_at)"
      " VALUES ($1, $2, $3, '+14155550177', '+14155550100', $4, NULLIF($5, ''),"
      " NULLIF($6, '')::numeric, NULLIF($7, '')::numeric, NULLIF($8, '')::int,"
      " NULLIF($9, ''), $10::timestamptz)",
      {c.id, org, c.direction, c.state, c.outcome, c.duration, c.value, c.score, c.tier,
       c.created_at});
}

// A's calls of 2025-06-10 (UTC hours 10–14) and one of July; B's one call on the same day.
void june_calls(fixture& f, const std::string& a, const std::string& b) {
  const std::vector<call_row> calls{
      {"c1", "inbound", "scored", "booked", "120", "400", "2025-06-10T10:00:00Z", "82", "hot"},
      {"c2", "inbound", "scored", "lost", "60", "150", "2025-06-10T11:00:00Z", "35", "cold"},
      // reported but not scored yet: a value, but not in the pipeline
      {"c3", "inbound", "reported", "booked", "30", "999", "2025-06-10T12:00:00Z"},
      {"c4", "inbound", "ringing", "", "", "", "2025-06-10T13:00:00Z"},
      {"c5", "outbound", "scored", "booked", "90", "8000", "2025-06-10T14:00:00Z", "75", "hot"},
      {"c6", "inbound", "scored", "booked", "45", "5000", "2025-07-20T12:00:00Z", "90", "hot"},
  };
  for (const auto& c : calls) insert_call(f, a, c);
  insert_call(f, b, {"b1", "inbound", "scored", "lost", "300", "7000", "2025-06-10T12:30:00Z"});
}

json summary(fixture& f, const std::string& org, const std::string& query) {
  auto r = f.get("/api/dashboard/summary" + query, mint(org, "member"));
  INFO(query << " → " << r.text);
  REQUIRE(r.status == 200);
  return r.body;
}

}  // namespace

// ---- the dashboard summary ----------------------------------------------------------------------

TEST_CASE("the dashboard summary adds up the calls of the period") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a);
  auto b = f.create_tenant("Uptown Smiles", number_b);
  june_calls(f, a, b);

  auto s = summary(f, a, "?from=2025-06-01&to=2025-06-30");
  CHECK(s["from"] == "2025-06-01T04:00:00+00:00");  // New York midnight
  CHECK(s["to"] == "2025-07-01T04:00:00+00:00");    // the end of June 30
  CHECK(s["pipeline_value"] == 8550);  // scored only: 400 + 150 + 8000 (not c3, c6, B's)
  CHECK(s["total_calls"] == 5);
  CHECK(s["inbound_calls"] == 4);
  CHECK(s["booked_inbound_calls"] == 2);
  CHECK(s["success_rate"] == 50);       // c1 and c3 of 4 inbound
  CHECK(s["average_duration_seconds"] == 75);  // (120 + 60 + 30 + 90) / 4; c4 has none
  CHECK(s["calls_by_outcome"] == json{{"booked", 3}, {"lost", 1}, {"none", 1}});
  const auto& recent = s["recent_activity"];
  REQUIRE(recent.size() == 5);
  CHECK(recent[0]["id"] == "c5");  // newest first
  CHECK(recent[4]["id"] == "c1");
  CHECK(recent[0] == json{{"id", "c5"},
                          {"direction", "outbound"},
                          {"caller", "+14155550177"},
                          {"state", "scored"},
                          {"outcome", "booked"},
                          {"lead_score", 75},
                          {"lead_tier", "hot"},
                          {"financial_value", 8000},
                          {"duration_seconds", 90},
                          {"created_at", "2025-06-10T14:00:00+00:00"}});
  CHECK(recent[1]["outcome"].is_null());  // c4, not reported
  CHECK(recent[1]["lead_score"].is_null());
  CHECK(s.dump().find("b1") == std::string::npos);

  // Date-times narrow it to c2, c3, c4: one booked of three inbound.
  auto narrow = summary(f, a, "?from=2025-06-10T10:30:00Z&to=2025-06-10T13:30:00Z");
  CHECK(narrow["total_calls"] == 3);
  CHECK(narrow["success_rate"] == 33.3);
  CHECK(narrow["pipeline_value"] == 150);
  CHECK(narrow["average_duration_seconds"] == 45);
  // Bounds: from is included, to is not.
  CHECK(summary(f, a, "?from=2025-06-10T10:00:00Z&to=2025-06-10T11:00:00Z")["total_calls"] == 1);

  // A period without calls: zeros, not nulls.
  auto empty = summary(f, a, "?from=2024-01-01&to=2024-01-31");
  CHECK(empty["total_calls"] == 0);
  CHECK(empty["pipeline_value"] == 0);
  CHECK(empty["success_rate"] == 0);
  CHECK(empty["average_duration_seconds"] == 0);
  CHECK(empty["recent_activity"].empty());
}

TEST_CASE("the dashboard summary covers the last 30 days by default and shows the latest 10") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a);
  f.scalar("INSERT INTO calls (id, org_id, direction, state, outcome, duration_seconds,"
           " created_at) SELECT 'recent-' || n, $1, 'inbound', 'reported',"
           " CASE WHEN n <= 3 THEN 'booked' ELSE 'lost' END, 10 * n,"
           " now() - n * interval '1 hour' FROM generate_series(1, 12) n",
           {a});
  insert_call(f, a, {"old", "inbound", "scored", "booked", "5", "100", "2020-01-01T00:00:00Z"});
  f.scalar("INSERT INTO calls (id, org_id, direction, state, created_at)"
           " VALUES ('31-days-ago', $1, 'inbound', 'ringing', now() - interval '31 days')",
           {a});
  auto s = summary(f, a, "");
  CHECK(s["total_calls"] == 12);
  CHECK(s["success_rate"] == 25);  // 3 of 12
  CHECK(s["average_duration_seconds"] == 65);  // 10…120
  REQUIRE(s["recent_activity"].size() == 10);
  CHECK(s["recent_activity"][0]["id"] == "recent-1");
  CHECK(s["recent_activity"][9]["id"] == "recent-10");
  // Only `to`: the 30 days before it.
  auto before = summary(f, a, "?to=2020-01-15");
  CHECK(before["total_calls"] == 1);
  CHECK(before["pipeline_value"] == 100);
}

TEST_CASE("a bad or inverted dashboard period is refused with the bound named") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a);
  auto member = mint(a, "member");
  const std::vector<std::pair<std::string, std::string>> bad{
      {"?from=yesterday", "from"},
      {"?from=2025-13-01", "from"},
      {"?to=2025-06-01T25:00", "to"},
      {"?from=2025-06-10&to=2025-06-01", "to"},                            // inverted
      {"?from=2025-06-10T12:00:00Z&to=2025-06-10T12:00:00Z", "to"},        // empty
      {"?from=2024-01-01&to=2025-01-01", "to"},                            // 367 days
      {"?from=2099-01-01", "to"},                                          // after now
  };
  for (const auto& [query, field] : bad) {
    auto r = f.get("/api/dashboard/summary" + query, member);
    INFO(query << " → " << r.text);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["code"] == "invalid_field");
    CHECK(r.body["error"]["field"] == field);
  }
  // A leap year's 366 days are allowed.
  CHECK(f.get("/api/dashboard/summary?from=2024-01-01&to=2024-12-31", member).status == 200);
  CHECK(f.get("/api/dashboard/summary").status == 401);
}

// ---- calls with their scoring -------------------------------------------------------------------

TEST_CASE("calls carry their scoring; the redacted transcript only in the detail") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a);
  auto member = mint(a, "member");
  // The row holds the scoring columns; its state stays 'reported' so that this test does not
  // depend on the call projection knowing 'scored' (domain::call_state, the scoring pipeline's).
  f.scalar(
      "INSERT INTO calls (id, org_id, direction, caller, dialled, state, outcome,"
      " duration_seconds, transcript, summary, sentiment_score, sentiment_label, urgency,"
      " sentiment_reason, sentiment_source, lead_score, lead_tier, financial_value,"
      " matched_service, recording_status, transfer_to, transfer_time, transfer_reason,"
      " scored_at, created_at)"
      " VALUES ('scored-1', $1, 'inbound', '+14155550177', '+14155550100', 'reported',"
      " 'booked', 95, 'I want botox, my SSN is [SSN]', 'Booked botox', 0.75, 'positive', 'high',"
      " 'words: great, asap', 'lexicon', 88, 'hot', 400, 'Botox', 'completed',"
      " '+14155550111', '2025-06-10T12:01:00Z', 'caller asked for a human',"
      " '2025-06-10T12:05:00Z', '2025-06-10T12:00:00Z')",
      {a});
  insert_call(f, a, {"plain-1", "inbound", "ringing", "", "", "", "2025-06-10T11:00:00Z"});

  auto list = f.get("/api/calls", member);
  INFO(list.text);
  REQUIRE(list.status == 200);
  REQUIRE(list.body["calls"].size() == 2);
  auto scored = list.body["calls"][0];
  CHECK(scored["id"] == "scored-1");
  CHECK(scored["sentiment"] == json{{"score", 0.75},
                                    {"label", "positive"},
                                    {"urgency", "high"},
                                    {"reason", "words: great, asap"},
                                    {"source", "lexicon"}});
  CHECK(scored["lead_score"] == 88);
  CHECK(scored["lead_tier"] == "hot");
  CHECK(scored["financial_value"] == 400);
  CHECK(scored["matched_service"] == "Botox");
  CHECK(scored["recording_status"] == "completed");
  CHECK(scored["transfer_to"] == "+14155550111");
  CHECK(scored["transfer_time"] == "2025-06-10T12:01:00+00:00");
  CHECK(scored["transfer_reason"] == "caller asked for a human");
  CHECK(scored["scored_at"] == "2025-06-10T12:05:00+00:00");
  CHECK(scored["summary"] == "Booked botox");
  CHECK(!scored.contains("transcript"));  // the list stays light
  auto plain = list.body["calls"][1];
  CHECK(plain["sentiment"].is_null());
  CHECK(plain["lead_score"].is_null());
  CHECK(plain["lead_tier"].is_null());
  CHECK(plain["financial_value"].is_null());
  CHECK(plain["recording_status"] == "pending");
  CHECK(plain["transfer_to"].is_null());

  auto detail = f.get("/api/calls/scored-1", member);
  INFO(detail.text);
  REQUIRE(detail.status == 200);
  CHECK(detail.body["transcript"] == "I want botox, my SSN is [SSN]");
  for (const auto* key : {"sentiment", "lead_score", "lead_tier", "financial_value",
                          "matched_service", "recording_status", "transfer_to", "transfer_time",
                          "transfer_reason", "summary", "state"})
    CHECK(detail.body[key] == scored[key]);
  CHECK(f.get("/api/calls/plain-1", member).body["sentiment"].is_null());

  // Another clinic's call is unknown.
  auto b = f.create_tenant("Uptown Smiles", number_b);
  CHECK(f.get("/api/calls/scored-1", mint(b)).status == 404);
  CHECK(f.get("/api/calls", mint(b)).body["calls"].empty());
}

// ---- contacts and lead statistics ---------------------------------------------------------------

namespace {

void insert_contact(fixture& f, const std::string& org, const std::string& name,
                    const std::string& phone, const std::string& status, const std::string& score,
                    const std::string& tier) {
  f.scalar("INSERT INTO contacts (org_id, name, phone_e164, email, lead_status, lead_score,"
           " lead_tier, last_contacted_at) VALUES ($1, $2, $3, NULLIF(lower($2) || '@example.com',"
           " 'di@example.com'), $4, NULLIF($5, '')::int, NULLIF($6, ''),"
           " CASE WHEN $4 = 'new' THEN NULL ELSE '2025-06-10T12:00:00Z'::timestamptz END)",
           {org, name, phone, status, score, tier});
}

std::vector<std::string> names(const json& contacts) {
  std::vector<std::string> out;
  for (const auto& c : contacts) out.push_back(c["contact_name"]);
  return out;
}

}  // namespace

TEST_CASE("contacts carry their lead pipeline and filter by tier and status") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a);
  auto b = f.create_tenant("Uptown Smiles", number_b);
  auto member = mint(a, "member");
  insert_contact(f, a, "Ada", "+14155550181", "booked", "85", "hot");
  insert_contact(f, a, "Ben", "+14155550182", "contacted", "55", "warm");
  insert_contact(f, a, "Cy", "+14155550183", "lost", "20", "cold");
  insert_contact(f, a, "Di", "+14155550184", "new", "", "");
  insert_contact(f, b, "Eve", "+14155550185", "booked", "95", "hot");

  auto all = f.get("/api/contacts", member);
  INFO(all.text);
  REQUIRE(all.status == 200);
  CHECK(names(all.body["contacts"]) == std::vector<std::string>{"Ada", "Ben", "Cy", "Di"});
  auto ada = all.body["contacts"][0];
  CHECK(ada["contact_name"] == "Ada");
  CHECK(ada["name"] == "Ada");
  CHECK(ada["phone_number"] == "+14155550181");
  CHECK(ada["email"] == "ada@example.com");
  CHECK(ada["lead_status"] == "booked");
  CHECK(ada["lead_score"] == 85);
  CHECK(ada["lead_tier"] == "hot");
  CHECK(ada["last_contacted_at"] == "2025-06-10T12:00:00+00:00");
  CHECK(ada["opted_out"] == false);
  CHECK(ada["id"].get<std::string>().size() == 36);
  auto di = all.body["contacts"][3];
  CHECK(di["lead_status"] == "new");
  CHECK(di["lead_score"].is_null());
  CHECK(di["lead_tier"].is_null());
  CHECK(di["email"].is_null());
  CHECK(di["last_contacted_at"].is_null());

  auto list = [&](const std::string& query) {
    auto r = f.get("/api/contacts" + query, member);
    INFO(query << " → " << r.text);
    REQUIRE(r.status == 200);
    return names(r.body["contacts"]);
  };
  CHECK(list("?lead_tier=hot") == std::vector<std::string>{"Ada"});
  CHECK(list("?lead_tier=warm") == std::vector<std::string>{"Ben"});
  CHECK(list("?lead_status=lost") == std::vector<std::string>{"Cy"});
  CHECK(list("?lead_status=new") == std::vector<std::string>{"Di"});
  CHECK(list("?lead_tier=hot&lead_status=lost").empty());
  CHECK(list("?lead_tier=cold&lead_status=lost&limit=1") == std::vector<std::string>{"Cy"});
  for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{
           {"?lead_tier=lukewarm", "lead_tier"},
           {"?lead_tier=HOT", "lead_tier"},
           {"?lead_status=won", "lead_status"},
           {"?limit=0", "limit"}}) {
    auto r = f.get("/api/contacts" + query, member);
    INFO(query << " → " << r.text);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["field"] == field);
  }
}

TEST_CASE("lead statistics count the clinic's contacts by tier") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a);
  auto b = f.create_tenant("Uptown Smiles", number_b);
  auto empty = f.get("/api/contacts/stats", mint(a, "member"));
  INFO(empty.text);
  REQUIRE(empty.status == 200);
  CHECK(empty.body == json{{"total_leads", 0}, {"hot_leads", 0}, {"warm_leads", 0},
                           {"cold_leads", 0}});
  insert_contact(f, a, "Ada", "+14155550181", "booked", "85", "hot");
  insert_contact(f, a, "Al", "+14155550186", "contacted", "71", "hot");
  insert_contact(f, a, "Ben", "+14155550182", "contacted", "55", "warm");
  insert_contact(f, a, "Cy", "+14155550183", "lost", "20", "cold");
  insert_contact(f, a, "Di", "+14155550184", "new", "", "");
  insert_contact(f, b, "Eve", "+14155550185", "booked", "95", "hot");
  auto stats = f.get("/api/contacts/stats", mint(a, "member")).body;
  CHECK(stats == json{{"total_leads", 5}, {"hot_leads", 2}, {"warm_leads", 1},
                      {"cold_leads", 1}});
  CHECK(f.get("/api/contacts/stats", mint(b)).body["total_leads"] == 1);
}

// ---- the after-the-call settings ----------------------------------------------------------------

TEST_CASE("the after-the-call settings have defaults and can be changed") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a);
  auto admin = mint(a);
  auto s = f.get("/api/org/settings", mint(a, "member")).body;
  CHECK(s["alert_phone"] == "");
  CHECK(s["reminders_enabled"] == true);
  CHECK(s["reminder_lead_minutes"] == 1440);
  CHECK(s["default_consultation_price"] == 150);

  // A number without '+' is read in the clinic's region and stored in E.164.
  auto r = f.patch("/api/org/settings", admin,
                   {{"alert_phone", "(415) 555-0199"},
                    {"reminders_enabled", false},
                    {"reminder_lead_minutes", 120},
                    {"default_consultation_price", 199.99}});
  INFO(r.text);
  REQUIRE(r.status == 200);
  CHECK(r.body["alert_phone"] == "+14155550199");
  CHECK(r.body["reminders_enabled"] == false);
  CHECK(r.body["reminder_lead_minutes"] == 120);
  CHECK(r.body["default_consultation_price"] == 199.99);
  CHECK(f.get("/api/org/settings", admin).body == r.body);
  CHECK(f.scalar("SELECT alert_phone || '/' || reminders_enabled || '/' || reminder_lead_minutes"
                 " || '/' || default_consultation_price FROM organizations WHERE id = $1",
                 {a}) == "+14155550199/false/120/199.99");
  // The bounds are allowed; "" clears the alert number; other settings stay.
  CHECK(f.patch("/api/org/settings", admin, {{"reminder_lead_minutes", 15}}).status == 200);
  auto cleared = f.patch("/api/org/settings", admin,
                         {{"alert_phone", ""}, {"reminder_lead_minutes", 10080},
                          {"default_consultation_price", 0}});
  REQUIRE(cleared.status == 200);
  CHECK(cleared.body["alert_phone"] == "");
  CHECK(cleared.body["reminder_lead_minutes"] == 10080);
  CHECK(cleared.body["default_consultation_price"] == 0);
  CHECK(cleared.body["reminders_enabled"] == false);
  CHECK(cleared.body["name"] == "Harbor Dental");
  // A member cannot.
  CHECK(f.patch("/api/org/settings", mint(a, "member"), {{"alert_phone", "+14155550198"}})
            .status == 403);
}

TEST_CASE("bad after-the-call settings are refused with the field named") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a);
  auto admin = mint(a);
  REQUIRE(f.patch("/api/org/settings", admin, {{"alert_phone", "+14155550199"}}).status == 200);
  auto before = f.get("/api/org/settings", admin).body;
  const std::vector<std::pair<json, std::string>> bad{
      {{{"alert_phone", "12345"}}, "alert_phone"},
      {{{"alert_phone", "+1 555 0100"}}, "alert_phone"},
      {{{"alert_phone", "call me"}}, "alert_phone"},
      {{{"alert_phone", 4155550199}}, "alert_phone"},
      {{{"alert_phone", nullptr}}, "alert_phone"},
      {{{"reminders_enabled", "yes"}}, "reminders_enabled"},
      {{{"reminders_enabled", 1}}, "reminders_enabled"},
      {{{"reminder_lead_minutes", 14}}, "reminder_lead_minutes"},
      {{{"reminder_lead_minutes", 10081}}, "reminder_lead_minutes"},
      {{{"reminder_lead_minutes", 30.5}}, "reminder_lead_minutes"},
      {{{"reminder_lead_minutes", "60"}}, "reminder_lead_minutes"},
      {{{"reminder_lead_minutes", 4294967356LL}}, "reminder_lead_minutes"},
      {{{"default_consultation_price", -1}}, "default_consultation_price"},
      {{{"default_consultation_price", "150"}}, "default_consultation_price"},
      {{{"default_consultation_price", 1e12}}, "default_consultation_price"},
      // a valid change alongside a bad one is not applied either
      {{{"reminders_enabled", false}, {"reminder_lead_minutes", 0}}, "reminder_lead_minutes"},
  };
  for (const auto& [body, field] : bad) {
    auto r = f.patch("/api/org/settings", admin, body);
    INFO(body.dump() << " → " << r.text);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["code"] == "invalid_field");
    CHECK(r.body["error"]["field"] == field);
  }
  CHECK(f.get("/api/org/settings", admin).body == before);
}
