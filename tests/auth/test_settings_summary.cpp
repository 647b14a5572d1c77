// The start-up line of `serve` (rm::app::settings_summary): every setting, no secret.
#include <string>

#include <catch2/catch.hpp>

#include "app/config.hpp"

TEST_CASE("the start-up settings line lists the settings and masks every secret") {
  rm::app::config c;
  c.database_url = "postgresql://owner:db-password-123@db.internal:5432/ringmaster";
  c.app_database_url = "host=db.internal user=app password='app pass 456' dbname=ringmaster";
  c.data_dir = "/var/lib/ringmaster";
  c.public_url = "https://rm.example.com";
  c.operator_token = "operator-token-secret-789";
  c.service_token = "service-token-secret-000";
  c.jwt_secret = "jwt-secret-0123456789-0123456789-abc";
  c.vapi_secret = "vapi-shared-secret-xyz";
  c.vapi_hmac_secret = "vapi-hmac-secret-uvw";
  c.vapi_private_key = "vapi-private-key-rst";
  c.twilio_auth_token = "twilio-auth-token-opq";
  c.master_key_base64 = "c2VjcmV0LWtleS1ieXRlcy0wMTIzNDU2Nzg5YWJjZGVm";
  const auto line = rm::app::settings_summary(c);
  INFO(line);
  for (const char* secret :
       {"db-password-123", "app pass 456", "operator-token-secret-789", "service-token-secret-000",
        "jwt-secret-0123456789", "vapi-shared-secret-xyz", "vapi-hmac-secret-uvw",
        "vapi-private-key-rst", "twilio-auth-token-opq", "c2VjcmV0LWtleS1ieXRl"})
    CHECK(line.find(secret) == std::string::npos);
  CHECK(line.find("listen=127.0.0.1:8080") != std::string::npos);
  CHECK(line.find("database_url=postgresql://owner:***@db.internal:5432/ringmaster") !=
        std::string::npos);
  CHECK(line.find("password=*** dbname=ringmaster") != std::string::npos);
  CHECK(line.find("data_dir=/var/lib/ringmaster") != std::string::npos);
  CHECK(line.find("public_url=https://rm.example.com") != std::string::npos);
  CHECK(line.find("operator_token=set") != std::string::npos);
  CHECK(line.find("jwt=hs256 (secret set)") != std::string::npos);
  CHECK(line.find("vapi_webhook_auth=secret,hmac") != std::string::npos);
  CHECK(line.find("master_key=set") != std::string::npos);
  CHECK(line.find("sms_per_call=3") != std::string::npos);
  CHECK(line.find('\n') == std::string::npos);  // one line
}

TEST_CASE("the start-up settings line names the demo's choices") {
  rm::app::config c;
  c.data_dir = "/tmp/rm";
  c.vapi_auth_none = true;
  c.master_key_file = "/tmp/rm/master.key";
  const auto line = rm::app::settings_summary(c);
  INFO(line);
  CHECK(line.find("database_url=embedded") != std::string::npos);
  CHECK(line.find("vapi_webhook_auth=none (unauthenticated)") != std::string::npos);
  CHECK(line.find("service_token=unset") != std::string::npos);
  CHECK(line.find("master_key=file:/tmp/rm/master.key") != std::string::npos);
}
