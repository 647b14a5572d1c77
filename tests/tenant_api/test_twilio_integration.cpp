// Connecting a clinic's own Twilio account (POST/GET/DELETE /api/integrations/twilio, POST …/sync)
// against the Twilio and Vapi fakes: validation with Twilio before anything is stored (20003 →
// twilio_rejected_credentials), the token sealed in org_credentials, the Vapi credential made from
// it and its id recorded, a failed Vapi sync stored loudly and retried, and DELETE on both sides.
#include <catch2/catch.hpp>

#include "tests/tenant_api/fixture.hpp"

using namespace rm::tapi;

namespace {
const std::string number_a = "+14155550100";
}

TEST_CASE("connecting Twilio: validated, sealed, synced to Vapi, shown without secrets, "
          "disconnected on both sides") {
  fixture f;
  const auto org = f.create_tenant("Harbor Dental", number_a);  // no Twilio account yet
  const auto admin = mint(org, "admin", "a-admin");
  const auto member = mint(org, "member", "a-member");
  const json good{{"account_sid", twilio_account_sid}, {"auth_token", twilio_auth_token}};
  auto stored_rows = [&] {
    return f.scalar("SELECT count(*) FROM org_credentials WHERE provider = 'twilio'");
  };

  CHECK(f.get("/api/integrations/twilio", member).body == json{{"connected", false}});

  // Twilio says no (20003): nothing stored, nothing sent to Vapi.
  auto rejected = f.post("/api/integrations/twilio", admin,
                         {{"account_sid", twilio_account_sid}, {"auth_token", "not-the-token"}});
  INFO(rejected.text);
  CHECK(rejected.status == 400);
  CHECK(rejected.body["error"]["code"] == "twilio_rejected_credentials");
  CHECK(rejected.body["error"]["message"] == "Twilio rejected these credentials");
  CHECK(stored_rows() == "0");
  CHECK(f.vapi().credentials().empty());
  auto bad_sid = f.post("/api/integrations/twilio", admin,
                        {{"account_sid", "AC123"}, {"auth_token", twilio_auth_token}});
  CHECK(bad_sid.status == 400);
  CHECK(bad_sid.body["error"]["field"] == "account_sid");
  CHECK(f.post("/api/integrations/twilio", member, good).status == 403);

  // Connected: 201, synced, the Vapi credential holds the tenant's token.
  auto connected = f.post("/api/integrations/twilio", admin, good);
  INFO(connected.text);
  REQUIRE(connected.status == 201);
  CHECK(connected.body["connected"] == true);
  CHECK(connected.body["account_sid"] == twilio_account_sid);
  CHECK(connected.body["vapi_sync"] == "synced");
  CHECK_FALSE(connected.body["friendly_name"].get<std::string>().empty());
  const std::string credential_id = connected.body["vapi_credential_id"];
  REQUIRE(f.vapi().credentials().size() == 1);
  CHECK(f.vapi().credentials()[0]["id"] == credential_id);
  CHECK(f.vapi().credential_secret(credential_id) == twilio_auth_token);
  CHECK(connected.text.find(twilio_auth_token) == std::string::npos);
  auto shown = f.get("/api/integrations/twilio", member);
  CHECK(shown.status == 200);
  CHECK(shown.body["vapi_credential_id"] == credential_id);
  CHECK(shown.text.find(twilio_auth_token) == std::string::npos);
  CHECK(f.scalar("SELECT t::text FROM org_credentials t WHERE provider = 'twilio'")
            .find(twilio_auth_token) == std::string::npos);

  // Vapi refuses the next sync: the Twilio side is stored, the failure is loud and retryable.
  f.vapi().fail_next(400, 1, "POST");
  auto failed = f.post("/api/integrations/twilio", admin, good);
  INFO(failed.text);
  CHECK(failed.status == 502);
  CHECK(failed.body["error"]["code"] == "vapi_sync_failed");
  auto after_failure = f.get("/api/integrations/twilio", admin);
  CHECK(after_failure.body["connected"] == true);
  CHECK(after_failure.body["vapi_sync"] == "failed");
  CHECK(after_failure.body["vapi_sync_error"].is_string());
  CHECK(after_failure.body["vapi_credential_id"].is_null());
  CHECK(f.vapi().credentials().empty());  // the replaced credential was removed from Vapi
  auto retried = f.post("/api/integrations/twilio/sync", admin, json::object());
  INFO(retried.text);
  CHECK(retried.status == 200);
  CHECK(retried.body["vapi_sync"] == "synced");
  REQUIRE(f.vapi().credentials().size() == 1);
  const std::string second_id = retried.body["vapi_credential_id"];
  CHECK(f.vapi().credential_secret(second_id) == twilio_auth_token);

  // Disconnect: Vapi's credential deleted, then ours.
  CHECK(f.del("/api/integrations/twilio", member).status == 403);
  auto gone = f.del("/api/integrations/twilio", admin);
  CHECK(gone.status == 200);
  CHECK(gone.body == json{{"connected", false}});
  CHECK(f.vapi().credentials().empty());
  CHECK(stored_rows() == "0");
  CHECK(f.get("/api/integrations/twilio", admin).body == json{{"connected", false}});
  CHECK(f.del("/api/integrations/twilio", admin).status == 404);
  CHECK(f.post("/api/integrations/twilio/sync", admin, json::object()).status == 404);
}
