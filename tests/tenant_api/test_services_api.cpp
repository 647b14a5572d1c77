// The services pricing engine's API (service_routes.cpp): seed 001's seven defaults for every new
// tenant, create / read / change / delete, and every refusal (400 naming the field, 404, 409).
#include <catch2/catch.hpp>

#include "tests/tenant_api/fixture.hpp"

using namespace rm::tapi;

namespace {

const std::string number_a = "+14155550100";
const std::string number_b = "+12125550100";
const std::string unknown_id = "00000000-0000-4000-8000-000000000000";

json by_name(const json& services, const std::string& name) {
  for (const auto& s : services)
    if (s["name"] == name) return s;
  FAIL("no service named " << name << " in " << services.dump());
  return {};
}

std::string id_of(fixture& f, const std::string& org, const std::string& name) {
  return f.scalar("SELECT id FROM services WHERE org_id = $1 AND name = $2", {org, name});
}

}  // namespace

TEST_CASE("a new clinic starts with seed 001's seven services") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto r = f.get("/api/services", mint(org, "member"));
  INFO(r.text);
  REQUIRE(r.status == 200);
  const auto& services = r.body["services"];
  REQUIRE(services.size() == 7);
  struct expected {
    std::string name;
    double price;
    std::vector<std::string> keywords;
  };
  for (const auto& e : std::vector<expected>{
           {"Botox", 400, {"botox", "wrinkle", "injection"}},
           {"Facelift", 8000, {"facelift", "face lift"}},
           {"Rhinoplasty", 6000, {"rhinoplasty", "nose job"}},
           {"Breast Augmentation", 7500, {"breast augmentation", "breast implant"}},
           {"Liposuction", 5000, {"liposuction", "lipo"}},
           {"Fillers", 500, {"filler", "fillers", "lip filler"}},
           {"Consultation", 150, {"consultation", "consult"}}}) {
    auto s = by_name(services, e.name);
    CHECK(s["price"] == e.price);
    CHECK(s["keywords"].get<std::vector<std::string>>() == e.keywords);
    CHECK(s["id"].get<std::string>().size() == 36);
    CHECK(!s["created_at"].get<std::string>().empty());
  }
  // By name, case-insensitively.
  CHECK(services[0]["name"] == "Botox");
  CHECK(services[6]["name"] == "Rhinoplasty");
}

TEST_CASE("an admin creates, reads, changes and deletes a service") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto admin = mint(org);
  auto member = mint(org, "member");

  auto made = f.post("/api/services", admin,
                     {{"name", "  Teeth Whitening "},
                      {"price", 299.99},
                      {"keywords",
                       json::array({" Whitening", "BLEACH", "whitening", "Bright Smile"})}});
  INFO(made.text);
  REQUIRE(made.status == 201);
  auto service = made.body["service"];
  const std::string id = service["id"];
  CHECK(service["name"] == "Teeth Whitening");
  CHECK(service["price"] == 299.99);
  CHECK(service["keywords"] == json::array({"whitening", "bleach", "bright smile"}));
  CHECK(f.scalar("SELECT array_to_string(keywords, '|') FROM services WHERE id = $1", {id}) ==
        "whitening|bleach|bright smile");

  auto got = f.get("/api/services/" + id, member);
  REQUIRE(got.status == 200);
  CHECK(got.body["service"] == service);
  CHECK(f.get("/api/services", member).body["services"].size() == 8);

  // A partial change keeps what it does not name; keywords are replaced as a whole.
  auto changed = f.patch("/api/services/" + id, admin,
                         {{"price", 350}, {"keywords", json::array({"Teeth"})}});
  INFO(changed.text);
  REQUIRE(changed.status == 200);
  CHECK(changed.body["service"]["name"] == "Teeth Whitening");
  CHECK(changed.body["service"]["price"] == 350);
  CHECK(changed.body["service"]["keywords"] == json::array({"teeth"}));
  // Renaming to a different case of its own name is not a duplicate.
  auto recased = f.patch("/api/services/" + id, admin, {{"name", "TEETH WHITENING"}});
  CHECK(recased.status == 200);
  CHECK(recased.body["service"]["name"] == "TEETH WHITENING");
  // Keywords may be emptied; a price may be 0.
  auto emptied = f.patch("/api/services/" + id, admin, {{"keywords", json::array()}, {"price", 0}});
  CHECK(emptied.status == 200);
  CHECK(emptied.body["service"]["keywords"].empty());
  CHECK(emptied.body["service"]["price"] == 0);

  auto deleted = f.del("/api/services/" + id, admin);
  INFO(deleted.text);
  REQUIRE(deleted.status == 200);
  CHECK(deleted.body["success"] == true);
  CHECK(deleted.body["service"]["id"] == id);
  CHECK(f.get("/api/services/" + id, member).status == 404);
  CHECK(f.del("/api/services/" + id, admin).status == 404);
  CHECK(f.count("SELECT count(*) FROM services WHERE org_id = $1", {org}) == 7);
  // The name is free again.
  CHECK(f.post("/api/services", admin, {{"name", "Teeth Whitening"}, {"price", 1}}).status == 201);
}

TEST_CASE("members read services but only admins change them") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto member = mint(org, "member");
  auto botox = id_of(f, org, "Botox");
  CHECK(f.get("/api/services/" + botox, member).status == 200);
  for (const auto& r : {f.post("/api/services", member, {{"name", "Peel"}, {"price", 90}}),
                        f.patch("/api/services/" + botox, member, {{"price", 1}}),
                        f.del("/api/services/" + botox, member)}) {
    INFO(r.text);
    CHECK(r.status == 403);
    CHECK(r.body["error"]["code"] == "forbidden");
  }
  CHECK(f.scalar("SELECT price FROM services WHERE id = $1", {botox}) == "400.00");
  CHECK(f.count("SELECT count(*) FROM services WHERE org_id = $1", {org}) == 7);
}

TEST_CASE("bad service input is refused with the field named and nothing stored") {
  fixture f;
  auto org = f.create_tenant("Harbor Dental", number_a);
  auto admin = mint(org);
  auto botox = id_of(f, org, "Botox");
  std::vector<json> many(51, "word");
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = "word " + std::to_string(i);
  struct bad {
    json body;
    std::string field;
  };
  const std::vector<bad> creates{
      {{{"price", 10}}, "name"},
      {{{"name", "Peel"}}, "price"},
      {{{"name", ""}, {"price", 10}}, "name"},
      {{{"name", "   "}, {"price", 10}}, "name"},
      {{{"name", std::string(201, 'x')}, {"price", 10}}, "name"},
      {{{"name", 7}, {"price", 10}}, "name"},
      {{{"name", "Peel"}, {"price", -1}}, "price"},
      {{{"name", "Peel"}, {"price", "90"}}, "price"},
      {{{"name", "Peel"}, {"price", 1e12}}, "price"},
      {{{"name", "Peel"}, {"price", nullptr}}, "price"},
      {{{"name", "Peel"}, {"price", 90}, {"keywords", "peel"}}, "keywords"},
      {{{"name", "Peel"}, {"price", 90}, {"keywords", json::array({"peel", 3})}}, "keywords"},
      {{{"name", "Peel"}, {"price", 90}, {"keywords", json::array({"peel", " "})}}, "keywords"},
      {{{"name", "Peel"}, {"price", 90}, {"keywords", json::array({std::string(101, 'p')})}},
       "keywords"},
      {{{"name", "Peel"}, {"price", 90}, {"keywords", many}}, "keywords"},
      {{{"name", "Peel"}, {"price", 90}, {"colour", "blue"}}, "colour"},
      {json::array({1, 2}), "<none>"},
  };
  for (const auto& c : creates) {
    auto r = f.post("/api/services", admin, c.body);
    INFO("POST " << c.body.dump() << " → " << r.text);
    CHECK(r.status == 400);
    CHECK(r.body["error"]["code"] == "invalid_field");
    CHECK(r.body["error"].value("field", "<none>") == c.field);
  }
  const std::vector<bad> changes{
      {{{"name", ""}}, "name"},
      {{{"price", -0.5}}, "price"},
      {{{"keywords", json::array({""})}}, "keywords"},
      {{{"id", botox}}, "id"},
  };
  for (const auto& c : changes) {
    auto r = f.patch("/api/services/" + botox, admin, c.body);
    INFO("PATCH " << c.body.dump() << " → " << r.text);
    CHECK(r.status == 400);
    CHECK(r.body["error"].value("field", "<none>") == c.field);
  }
  auto not_json = request(f.port(), "POST", "/api/services", admin, "{\"name\": ");
  CHECK(not_json.status == 400);
  CHECK(not_json.body["error"]["code"] == "invalid_json");
  // 50 keywords are allowed.
  many.pop_back();
  auto fifty =
      f.post("/api/services", admin, {{"name", "Peel"}, {"price", 90}, {"keywords", many}});
  CHECK(fifty.status == 201);
  CHECK(fifty.body["service"]["keywords"].size() == 50);
  CHECK(f.count("SELECT count(*) FROM services WHERE org_id = $1", {org}) == 8);
  CHECK(f.scalar("SELECT name || '/' || price FROM services WHERE id = $1", {botox}) ==
        "Botox/400.00");
}

TEST_CASE("a service name is unique per clinic, case-insensitively") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a);
  auto b = f.create_tenant("Uptown Smiles", number_b);
  auto admin = mint(a);
  auto dup = f.post("/api/services", admin, {{"name", "BOTOX"}, {"price", 1}});
  INFO(dup.text);
  CHECK(dup.status == 409);
  CHECK(dup.body["error"]["code"] == "service_name_taken");
  CHECK(dup.body["error"]["field"] == "name");
  auto rename = f.patch("/api/services/" + id_of(f, a, "Botox"), admin, {{"name", "facelift"}});
  CHECK(rename.status == 409);
  CHECK(rename.body["error"]["code"] == "service_name_taken");
  CHECK(f.count("SELECT count(*) FROM services WHERE org_id = $1 AND lower(name) = 'botox'",
                {a}) == 1);
  // Another clinic's names do not count.
  auto other = f.post("/api/services", mint(b), {{"name", "Peel"}, {"price", 80}});
  CHECK(other.status == 201);
  CHECK(f.post("/api/services", admin, {{"name", "peel"}, {"price", 90}}).status == 201);
}

TEST_CASE("unknown, malformed and another clinic's service ids are 404") {
  fixture f;
  auto a = f.create_tenant("Harbor Dental", number_a);
  auto b = f.create_tenant("Uptown Smiles", number_b);
  auto b_admin = mint(b);
  auto a_botox = id_of(f, a, "Botox");
  for (const auto& id : {unknown_id, std::string{"not-a-uuid"}, a_botox}) {
    for (const auto& r : {f.get("/api/services/" + id, b_admin),
                          f.patch("/api/services/" + id, b_admin, {{"price", 1}}),
                          f.del("/api/services/" + id, b_admin)}) {
      INFO(id << " → " << r.text);
      CHECK(r.status == 404);
      CHECK(r.body["error"]["code"] == "not_found");
    }
  }
  CHECK(f.scalar("SELECT price FROM services WHERE id = $1", {a_botox}) == "400.00");
  // B's list is its own seven.
  auto list = f.get("/api/services", b_admin).body["services"];
  CHECK(list.size() == 7);
  CHECK(list.dump().find(a_botox) == std::string::npos);
}
