// The tenant API endpoint by endpoint: happy paths, bad input, roles, and routing that follows
// phone-mapping changes at once. Isolation across tenants is in test_isolation.cpp.
#include <catch2/catch.hpp>

#include "tests/tenant_api/fixture.hpp"

using namespace rm::tapi;

namespace {

const std::string number_a = "+14155550100";
const std::string number_b = "+12125550100";

}  // namespace

// ---- settings -----------------------------------------------------------------------------------

TEST_CASE("a member reads the clinic's settings with its default region") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto r = f.get("/api/org/settings", mint(org, "member"));
  INFO(r.text);
  REQUIRE(r.status == 200);
  CHECK(r.body["id"] == org);
  CHECK(r.body["name"] == "Harbor Dental");
  CHECK(r.body["time_zone"] == "America/New_York");
  CHECK(r.body["working_hours"]["mon"] == json::parse(R"([["09:00","17:00"]])"));
  CHECK(r.body["slot_minutes"] == 30);
  CHECK(r.body["buffer_minutes"] == 15);
  CHECK(r.body["min_notice_minutes"] == 60);
  CHECK(r.body["hold_minutes"] == 5);
  CHECK(r.body["default_region"] == "US");
  CHECK(!r.headers["X-Request-Id"].empty());
}

TEST_CASE("an admin changes every setting and reads them back") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto admin = mint(org, "admin");
  json change{{"name", "Harbor Dental & Ortho"},
              {"time_zone", "America/Los_Angeles"},
              {"working_hours",
               json::parse(R"({"tue": [["08:00", "12:00"], ["13:00", "18:00"]]})")},
              {"slot_minutes", 20},
              {"buffer_minutes", 0},
              {"min_notice_minutes", 120},
              {"hold_minutes", 10}};
  auto r = f.patch("/api/org/settings", admin, change);
  INFO(r.text);
  REQUIRE(r.status == 200);
  auto back = f.get("/api/org/settings", admin).body;
  CHECK(back["name"] == "Harbor Dental & Ortho");
  CHECK(back["time_zone"] == "America/Los_Angeles");
  CHECK(back["working_hours"]["tue"] == json::parse(R"([["08:00","12:00"],["13:00","18:00"]])"));
  CHECK(back["working_hours"]["mon"].empty());  // working_hours replaces the whole week
  CHECK(back["slot_minutes"] == 20);
  CHECK(back["buffer_minutes"] == 0);
  CHECK(back["min_notice_minutes"] == 120);
  CHECK(back["hold_minutes"] == 10);
  CHECK(r.body == back);
}

TEST_CASE("a partial change keeps the settings it does not name") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto admin = mint(org);
  REQUIRE(f.patch("/api/org/settings", admin, {{"slot_minutes", 45}}).status == 200);
  auto back = f.get("/api/org/settings", admin).body;
  CHECK(back["slot_minutes"] == 45);
  CHECK(back["name"] == "Harbor Dental");
  CHECK(back["working_hours"]["mon"] == json::parse(R"([["09:00","17:00"]])"));
}

TEST_CASE("bad settings are refused with the field named and nothing stored changes") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto admin = mint(org);
  auto before = f.get("/api/org/settings", admin).body;
  struct bad {
    json body;
    std::string field;
  };
  const std::vector<bad> cases{
      {{{"time_zone", "Mars/Olympus_Mons"}}, "time_zone"},
      {{{"time_zone", 5}}, "time_zone"},
      {{{"working_hours", json::parse(R"({"mon": [["09:00", "25:00"]]})")}}, "working_hours"},
      {{{"working_hours", json::parse(R"({"mon": [["17:00", "09:00"]]})")}}, "working_hours"},
      {{{"working_hours", json::parse(R"({"someday": [["09:00", "10:00"]]})")}}, "working_hours"},
      {{{"working_hours", "9 to 5"}}, "working_hours"},
      {{{"slot_minutes", 2}}, "slot_minutes"},
      {{{"slot_minutes", "30"}}, "slot_minutes"},
      {{{"slot_minutes", 4294967326LL}}, "slot_minutes"},
      {{{"buffer_minutes", -1}}, "buffer_minutes"},
      {{{"min_notice_minutes", 50000}}, "min_notice_minutes"},
      {{{"hold_minutes", 0}}, "hold_minutes"},
      {{{"name", ""}}, "name"},
      {{{"name", std::string(201, 'x')}}, "name"},
      {{{"slot_minutes", 20}, {"colour", "blue"}}, "colour"},
      {json::array({1, 2}), "<none>"},  // not an object: no field to name
  };
  for (const auto& c : cases) {
    auto r = f.patch("/api/org/settings", admin, c.body);
    INFO(c.body.dump() << " → " << r.text);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["code"] == "invalid_field");
    CHECK(r.body["error"].value("field", "<none>") == c.field);
  }
  auto not_json = request(f.port(), "PATCH", "/api/org/settings", admin, "{\"name\": ");
  CHECK(not_json.status == 400);
  CHECK(not_json.body["error"]["code"] == "invalid_json");
  CHECK(f.get("/api/org/settings", admin).body == before);
}

TEST_CASE("a member may read but not change the settings") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto r = f.patch("/api/org/settings", mint(org, "member"), {{"name", "Hijacked"}});
  CHECK(r.status == 403);
  CHECK(r.body["error"]["code"] == "forbidden");
  CHECK(f.get("/api/org/settings", mint(org, "member")).body["name"] == "Harbor Dental");
}

TEST_CASE("changed working hours reach the live tenant actor without a restart") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  const auto day = future_weekday();
  auto check = [&](const std::string& id) {
    return f.tool_result(tool_calls("call-settings-" + id, number_a,
                                    {{id, "check_availability", {{"date", day}}}}));
  };
  auto first = check("t1");  // starts the tenant actor with Mon–Fri 09:00–17:00
  INFO(first.dump());
  REQUIRE(first.contains("result"));
  REQUIRE(!json::parse(first["result"].get<std::string>())["slots"].empty());

  REQUIRE(f.patch("/api/org/settings", mint(org), {{"working_hours", json::object()}}).status ==
          200);
  // The PATCH answers once the live tenant actor has the new rules (tenant_changed waits for
  // it), so the very next call already sees the clinic closed.
  auto r = check("t2");
  INFO(r.dump());
  REQUIRE(r.contains("result"));
  CHECK(json::parse(r["result"].get<std::string>())["slots"].empty());
}

// ---- phone mappings -----------------------------------------------------------------------------

TEST_CASE("a phone mapping is created from a human-written number, updated, soft-deleted and "
          "reactivated") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto admin = mint(org, "admin", "admin-7");

  auto created = f.post("/api/inbound/phone-mappings", admin,
                        {{"inbound_phone_number", "(415) 555-0142"},
                         {"clinic_name", "Harbor Dental, 2nd line"},
                         {"vapi_phone_number_id", "pn_second"}});
  INFO(created.text);
  REQUIRE(created.status == 201);
  CHECK(created.body["result"] == "created");
  const auto& m = created.body["mapping"];
  const std::string id = m["id"];
  CHECK(m["org_id"] == org);
  CHECK(m["inbound_phone_number"] == "+14155550142");
  CHECK(m["clinic_name"] == "Harbor Dental, 2nd line");
  CHECK(m["vapi_phone_number_id"] == "pn_second");
  CHECK(m["is_active"] == true);
  CHECK(m["created_by"] == "admin-7");
  CHECK(m["deactivated_at"].is_null());

  auto updated = f.post("/api/inbound/phone-mappings", admin,
                        {{"inbound_phone_number", "+1 415-555-0142"}, {"clinic_name", "Annex"}});
  INFO(updated.text);
  REQUIRE(updated.status == 200);
  CHECK(updated.body["result"] == "updated");
  CHECK(updated.body["mapping"]["id"] == id);
  CHECK(updated.body["mapping"]["clinic_name"] == "Annex");
  CHECK(updated.body["mapping"]["vapi_phone_number_id"] == "pn_second");  // omitted: kept

  auto list = f.get("/api/inbound/phone-mappings", mint(org, "member")).body["mappings"];
  REQUIRE(list.size() == 2);  // the operator-created number and the new one
  CHECK(list[0]["inbound_phone_number"] == number_a);
  CHECK(list[1]["id"] == id);

  auto deleted = f.del("/api/inbound/phone-mappings/" + id, mint(org, "admin", "admin-9"));
  INFO(deleted.text);
  REQUIRE(deleted.status == 200);
  CHECK(deleted.body["mapping"]["is_active"] == false);
  CHECK(deleted.body["mapping"]["deactivated_by"] == "admin-9");
  CHECK(deleted.body["mapping"]["deactivated_at"].is_string());
  CHECK(f.del("/api/inbound/phone-mappings/" + id, admin).status == 200);  // idempotent

  CHECK(f.get("/api/inbound/phone-mappings", admin).body["mappings"].size() == 1);
  auto all = f.get("/api/inbound/phone-mappings?include_inactive=true", admin).body["mappings"];
  REQUIRE(all.size() == 2);
  CHECK(all[1]["is_active"] == false);

  auto again = f.post("/api/inbound/phone-mappings", admin,
                      {{"inbound_phone_number", "415.555.0142"},
                       {"clinic_name", "Annex"},
                       {"vapi_phone_number_id", nullptr}});
  INFO(again.text);
  REQUIRE(again.status == 200);
  CHECK(again.body["result"] == "reactivated");
  CHECK(again.body["mapping"]["id"] == id);
  CHECK(again.body["mapping"]["is_active"] == true);
  CHECK(again.body["mapping"]["deactivated_at"].is_null());
  CHECK(again.body["mapping"]["deactivated_by"].is_null());
  CHECK(again.body["mapping"]["vapi_phone_number_id"].is_null());  // null: cleared
}

TEST_CASE("bad phone-mapping input is refused with the field named") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto admin = mint(org);
  struct bad {
    json body;
    std::string field;
  };
  const std::vector<bad> cases{
      {{{"inbound_phone_number", "+1-555-0100"}, {"clinic_name", "Seed"}}, "inbound_phone_number"},
      {{{"inbound_phone_number", "call me"}, {"clinic_name", "X"}}, "inbound_phone_number"},
      {{{"inbound_phone_number", 4155550142LL}, {"clinic_name", "X"}}, "inbound_phone_number"},
      {{{"clinic_name", "X"}}, "inbound_phone_number"},
      {{{"inbound_phone_number", "+14155550142"}}, "clinic_name"},
      {{{"inbound_phone_number", "+14155550142"}, {"clinic_name", ""}}, "clinic_name"},
      {{{"inbound_phone_number", "+14155550142"}, {"clinic_name", "X"},
        {"vapi_phone_number_id", 7}},
       "vapi_phone_number_id"},
      {json::array(), "<none>"},
  };
  for (const auto& c : cases) {
    auto r = f.post("/api/inbound/phone-mappings", admin, c.body);
    INFO(c.body.dump() << " → " << r.text);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["code"] == "invalid_field");
    CHECK(r.body["error"].value("field", "<none>") == c.field);
  }
  auto not_json = request(f.port(), "POST", "/api/inbound/phone-mappings", admin, "not json");
  CHECK(not_json.status == 400);
  CHECK(not_json.body["error"]["code"] == "invalid_json");
  auto flag = f.get("/api/inbound/phone-mappings?include_inactive=maybe", admin);
  CHECK(flag.status == 400);
  CHECK(flag.body["error"]["field"] == "include_inactive");
  CHECK(f.del("/api/inbound/phone-mappings/00000000-0000-4000-8000-000000000000", admin).status ==
        404);
  CHECK(f.del("/api/inbound/phone-mappings/not-a-uuid", admin).status == 404);
  CHECK(f.get("/api/inbound/phone-mappings", admin).body["mappings"].size() == 1);
}

TEST_CASE("numbers without + are read in the region of the clinic's first number") {
  fixture f;
  auto org = f.create_tenant("Mayfair Dental", "+442079460018", "", "Europe/London");
  auto r = f.post("/api/inbound/phone-mappings", mint(org),
                  {{"inbound_phone_number", "020 7946 0999"}, {"clinic_name", "Mayfair 2"}});
  INFO(r.text);
  REQUIRE(r.status == 201);
  CHECK(r.body["mapping"]["inbound_phone_number"] == "+442079460999");
}

TEST_CASE("without an active number the region comes from the clinic's time zone") {
  fixture f;
  auto org = f.create_tenant("Mayfair Dental", number_a, "", "Europe/London");
  auto admin = mint(org);
  auto mine = f.get("/api/inbound/phone-mappings", admin).body["mappings"][0]["id"];
  REQUIRE(f.del("/api/inbound/phone-mappings/" + mine.get<std::string>(), admin).status == 200);
  CHECK(f.get("/api/org/settings", admin).body["default_region"] == "GB");
  auto r = f.post("/api/inbound/phone-mappings", admin,
                  {{"inbound_phone_number", "020 7946 0999"}, {"clinic_name", "Mayfair"}});
  INFO(r.text);
  REQUIRE(r.status == 201);
  CHECK(r.body["mapping"]["inbound_phone_number"] == "+442079460999");
}

TEST_CASE("a number or Vapi id active for another clinic is refused with 409, naming no one") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a, "pn_harbor");
  auto b = f.create_tenant("Uptown Smiles", number_b);
  auto r = f.post("/api/inbound/phone-mappings", mint(b),
                  {{"inbound_phone_number", "(415) 555-0100"}, {"clinic_name", "Mine now"}});
  INFO(r.text);
  CHECK(r.status == 409);
  CHECK(r.body["error"]["code"] == "number_taken");
  CHECK(r.body["error"]["field"] == "inbound_phone_number");
  CHECK(r.text.find(a) == std::string::npos);
  CHECK(r.text.find("Harbor") == std::string::npos);

  auto v = f.post("/api/inbound/phone-mappings", mint(b),
                  {{"inbound_phone_number", "+12125550199"},
                   {"clinic_name", "Mine"},
                   {"vapi_phone_number_id", "pn_harbor"}});
  INFO(v.text);
  CHECK(v.status == 409);
  CHECK(v.body["error"]["code"] == "vapi_phone_number_id_taken");
  CHECK(v.text.find(a) == std::string::npos);
  CHECK(f.scalar("SELECT count(*) FROM phone_numbers WHERE org_id = $1", {b}) == "1");

  // Once A lets the number go, B may take it.
  auto a_id = f.get("/api/inbound/phone-mappings", mint(a)).body["mappings"][0]["id"];
  REQUIRE(f.del("/api/inbound/phone-mappings/" + a_id.get<std::string>(), mint(a)).status == 200);
  auto taken = f.post("/api/inbound/phone-mappings", mint(b),
                      {{"inbound_phone_number", number_a}, {"clinic_name", "Uptown 2"}});
  INFO(taken.text);
  CHECK(taken.status == 201);
  // And A cannot reactivate it while B holds it.
  auto back = f.post("/api/inbound/phone-mappings", mint(a),
                     {{"inbound_phone_number", number_a}, {"clinic_name", "Harbor"}});
  CHECK(back.status == 409);
}

TEST_CASE("a member may list phone mappings but not change them") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto member = mint(org, "member");
  CHECK(f.get("/api/inbound/phone-mappings", member).status == 200);
  auto post = f.post("/api/inbound/phone-mappings", member,
                     {{"inbound_phone_number", "+14155550142"}, {"clinic_name", "X"}});
  CHECK(post.status == 403);
  CHECK(post.body["error"]["code"] == "forbidden");
  auto id = f.get("/api/inbound/phone-mappings", member).body["mappings"][0]["id"];
  CHECK(f.del("/api/inbound/phone-mappings/" + id.get<std::string>(), member).status == 403);
  CHECK(f.get("/api/inbound/phone-mappings", member).body["mappings"].size() == 1);
}

TEST_CASE("routing follows phone-mapping changes immediately") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto admin = mint(org);
  const std::string fresh = "+14155550142";
  const auto day = future_weekday();
  auto check = [&](const std::string& call) {
    return f.tool_result(tool_calls(call, fresh, {{call + "-t", "check_availability",
                                                   {{"date", day}}}}));
  };
  auto before = check("route-1");
  CHECK(before.value("error", "") == "this phone number is not assigned to any clinic");

  REQUIRE(f.post("/api/inbound/phone-mappings", admin,
                 {{"inbound_phone_number", fresh}, {"clinic_name", "Annex"}})
              .status == 201);
  auto mapped = check("route-2");
  INFO(mapped.dump());
  CHECK(mapped.contains("result"));
  CHECK(check("route-3").contains("result"));  // now cached by the directory

  auto id = f.get("/api/inbound/phone-mappings", admin).body["mappings"][1]["id"];
  REQUIRE(f.del("/api/inbound/phone-mappings/" + id.get<std::string>(), admin).status == 200);
  auto gone = check("route-4");
  CHECK(gone.value("error", "") == "this phone number is not assigned to any clinic");
  // A call that started while the number was mapped does not keep it routable either.
  auto old_call_new_tool = f.tool_result(
      tool_calls("route-2", fresh, {{"route-2-later", "check_availability", {{"date", day}}}}));
  CHECK(old_call_new_tool.value("error", "") == "this phone number is not assigned to any clinic");
}

TEST_CASE("the phone lookup answers the service token only") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  const std::string path = "/api/inbound/phone-lookup/%2B14155550100";

  auto none = f.get(path, "");
  CHECK(none.status == 401);
  CHECK(none.body["error"]["code"] == "unauthorized");
  CHECK(f.get(path, mint(org)).status == 401);
  CHECK(f.get(path, operator_token).status == 401);
  CHECK(f.get(path, "wrong-service-token").status == 401);

  auto ok = f.get(path, service_token);
  INFO(ok.text);
  REQUIRE(ok.status == 200);
  CHECK(ok.body == json{{"success", true},
                        {"org_id", org},
                        {"clinic_name", "Harbor Dental"},
                        {"inbound_phone_number", number_a}});
  auto human = f.get("/api/inbound/phone-lookup/(415)%20555-0100", service_token);
  CHECK(human.status == 200);
  CHECK(human.body["org_id"] == org);
  auto unknown = f.get("/api/inbound/phone-lookup/+14155550199", service_token);
  CHECK(unknown.status == 404);
  CHECK(unknown.body["error"]["code"] == "not_found");
  auto bad = f.get("/api/inbound/phone-lookup/+1-555-0100", service_token);
  CHECK(bad.status == 400);
  CHECK(bad.body["error"]["field"] == "phone");

  auto id = f.get("/api/inbound/phone-mappings", mint(org)).body["mappings"][0]["id"];
  REQUIRE(f.del("/api/inbound/phone-mappings/" + id.get<std::string>(), mint(org)).status == 200);
  CHECK(f.get(path, service_token).status == 404);  // inactive numbers do not answer
}

// ---- calls, appointments, contacts --------------------------------------------------------------

namespace {

// Books `time` on `day` for "Ada Lovelace" through the tool webhooks; returns the appointment id.
std::string book(fixture& f, const std::string& call, const std::string& day,
                 const std::string& time = "10:00") {
  auto held = f.tool_result(tool_calls(call, number_a, {{call + "-reserve", "reserve_slot",
                                                         {{"start", day + "T" + time}}}}));
  INFO(held.dump());
  REQUIRE(held.contains("result"));
  auto hold_id = json::parse(held["result"].get<std::string>())["hold_id"].get<std::string>();
  auto booked = f.tool_result(tool_calls(call, number_a, {{call + "-book", "book_appointment",
                                                           {{"hold_id", hold_id},
                                                            {"name", "Ada Lovelace"}}}}));
  INFO(booked.dump());
  REQUIRE(booked.contains("result"));
  return json::parse(booked["result"].get<std::string>())["appointment_id"];
}

}  // namespace

TEST_CASE("calls are listed and shown with their events and appointments") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto member = mint(org, "member");
  auto appointment = book(f, "call-calls-1", future_weekday());

  auto list = f.get("/api/calls", member);
  INFO(list.text);
  REQUIRE(list.status == 200);
  REQUIRE(list.body["calls"].size() == 1);
  CHECK(list.body["calls"][0]["id"] == "call-calls-1");
  CHECK(list.body["calls"][0]["caller"] == caller_number);
  CHECK(list.body["calls"][0]["dialled"] == number_a);

  auto one = f.get("/api/calls/call-calls-1", member);
  INFO(one.text);
  REQUIRE(one.status == 200);
  CHECK(one.body["state"].is_string());
  REQUIRE(one.body["appointments"].size() == 1);
  CHECK(one.body["appointments"][0]["id"] == appointment);
  CHECK(one.body["appointments"][0]["status"] == "booked");
  CHECK(!one.body["events"].empty());  // the booking event

  CHECK(f.get("/api/calls/no-such-call", member).status == 404);
  CHECK(f.get("/api/calls?limit=0", member).status == 400);
  CHECK(f.get("/api/calls?limit=2", member).body["calls"].size() == 1);
}

TEST_CASE("appointments are listed by date range with the dashboard's fields") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto member = mint(org, "member");
  const auto day = future_weekday();
  auto id = book(f, "call-appts-1", day, "10:00");

  auto r = f.get("/api/appointments?from=" + day + "&to=" + day, member);
  INFO(r.text);
  REQUIRE(r.status == 200);
  REQUIRE(r.body["appointments"].size() == 1);
  const auto& a = r.body["appointments"][0];
  CHECK(a["id"] == id);
  CHECK(a["status"] == "booked");
  CHECK(a["scheduled_time"].get<std::string>().rfind(day + "T10:00:00-0", 0) == 0);
  CHECK(a["contact_name"] == "Ada Lovelace");
  CHECK(a["phone_number"] == caller_number);
  CHECK(a["call_id"] == "call-appts-1");

  CHECK(f.get("/api/appointments", member).body["appointments"].size() == 1);  // next 31 days
  auto later = f.get("/api/appointments?from=" + day + "T10:30&to=" + day, member);
  CHECK(later.body["appointments"].empty());

  auto reversed = f.get("/api/appointments?from=" + day + "&to=2020-01-01", member);
  CHECK(reversed.status == 400);
  CHECK(reversed.body["error"]["field"] == "to");
  auto bad_from = f.get("/api/appointments?from=tomorrow", member);
  CHECK(bad_from.status == 400);
  CHECK(bad_from.body["error"]["field"] == "from");
  auto bad_to = f.get("/api/appointments?to=2026-02-30", member);
  CHECK(bad_to.status == 400);
  CHECK(bad_to.body["error"]["field"] == "to");
  auto too_long = f.get("/api/appointments?from=2026-01-01&to=2028-01-01", member);
  CHECK(too_long.status == 400);
}

TEST_CASE("a member cancels an appointment and its slot can be booked again") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto member = mint(org, "member", "front-desk");
  const auto day = future_weekday();
  auto id = book(f, "call-cancel-1", day, "11:00");

  auto taken = f.tool_result(tool_calls("call-cancel-2", number_a,
                                        {{"c2-r1", "reserve_slot", {{"start", day + "T11:00"}}}}));
  CHECK(taken.contains("error"));  // the slot is booked

  auto r = f.post("/api/appointments/" + id + "/cancel", member, json::object());
  INFO(r.text);
  REQUIRE(r.status == 200);
  CHECK(r.body["result"] == "cancelled");
  CHECK(r.body["appointment"]["status"] == "cancelled");
  CHECK(r.body["appointment"]["cancelled_by"] == "front-desk");
  CHECK(r.body["appointment"]["cancelled_at"].is_string());

  auto free_again = f.tool_result(tool_calls(
      "call-cancel-2", number_a, {{"c2-r2", "reserve_slot", {{"start", day + "T11:00"}}}}));
  INFO(free_again.dump());
  CHECK(free_again.contains("result"));

  auto twice = f.post("/api/appointments/" + id + "/cancel", member, json::object());
  CHECK(twice.status == 200);
  CHECK(twice.body["result"] == "already_cancelled");
  CHECK(f.post("/api/appointments/00000000-0000-4000-8000-000000000000/cancel", member,
               json::object())
            .status == 404);
  CHECK(f.post("/api/appointments/nope/cancel", member, json::object()).status == 404);
}

TEST_CASE("an expired hold cannot be cancelled") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  const auto day = future_weekday();
  auto held = f.tool_result(tool_calls("call-expired", number_a,
                                       {{"e-r1", "reserve_slot", {{"start", day + "T14:00"}}}}));
  REQUIRE(held.contains("result"));
  auto id = json::parse(held["result"].get<std::string>())["hold_id"].get<std::string>();
  f.scalar("UPDATE appointments SET status = 'expired' WHERE id = $1 RETURNING 1", {id});
  auto r = f.post("/api/appointments/" + id + "/cancel", mint(org), json::object());
  CHECK(r.status == 409);
  CHECK(r.body["error"]["code"] == "not_cancellable");
}

TEST_CASE("contacts are listed with their names and numbers") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  book(f, "call-contacts-1", future_weekday());
  auto r = f.get("/api/contacts", mint(org, "member"));
  INFO(r.text);
  REQUIRE(r.status == 200);
  REQUIRE(r.body["contacts"].size() == 1);
  CHECK(r.body["contacts"][0]["name"] == "Ada Lovelace");
  CHECK(r.body["contacts"][0]["phone_number"] == caller_number);
  CHECK(r.body["contacts"][0]["opted_out"] == false);
  CHECK(f.get("/api/contacts?limit=abc", mint(org)).status == 400);
}

// ---- input limits (docs/security.md) --------------------------------------------------------------

TEST_CASE("a tenant API body nested too deep or not UTF-8 is refused and nothing changes") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto admin = mint(org);
  auto before = f.get("/api/org/settings", admin).body;
  auto code_of = [&](const std::string& body) {
    auto r = request(f.port(), "PATCH", "/api/org/settings", admin, body);
    INFO(r.text.substr(0, 300));
    CHECK(r.status == 400);
    return r.body.is_object() ? r.body["error"].value("code", "") : std::string("<not json>");
  };
  // 300,000 levels (600 KB) and one level over the cap of 64.
  CHECK(code_of(std::string(300000, '[') + std::string(300000, ']')) == "too_deep");
  CHECK(code_of(R"({"working_hours":)" + std::string(64, '[') + std::string(64, ']') + "}") ==
        "too_deep");
  CHECK(code_of("{\"name\":\"Harbor \xC3\x28 Dental\"}") == "invalid_utf8");
  CHECK(code_of("{\"name\":\"Harbor Dental\"} {}") == "invalid_json");
  CHECK(f.get("/api/org/settings", admin).body == before);
}

TEST_CASE("NUL in a tenant API string is removed before it is stored") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto admin = mint(org);
  auto r = request(f.port(), "PATCH", "/api/org/settings", admin,
                   R"({"name":"Harbor\u0000 Smiles"})");
  INFO(r.text);
  REQUIRE(r.status == 200);
  CHECK(f.get("/api/org/settings", admin).body["name"] == "Harbor Smiles");
}
