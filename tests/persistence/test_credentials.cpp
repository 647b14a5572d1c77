// org_credentials (migration 006): secrets sealed under the master key, never in clear in the
// database; bound to their tenant; legacy plaintext tokens moved at start-up; master-key rotation.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include "persistence/credentials.hpp"
#include "persistence/repositories.hpp"
#include "tests/persistence/fixtures.hpp"
#include "tests/support/test_db.hpp"

using namespace rm::persistence;
using rm::persistence::test::make_tenant;

namespace {

const std::string sid_a = "AC0123456789abcdef0123456789abcdef";
const std::string token_a = "tok-a-4f1c2e9d8b7a6f5e4d3c2b1a09f8e7d6";
const std::string token_b = "tok-b-99887766554433221100ffeeddccbbaa";

// Every text rendering of every row of the table (bytea as hex and as escape text).
std::string dump_table(pqxx::work& tx, const std::string& table) {
  std::string out;
  for (const auto& r : tx.exec("SELECT t::text FROM " + table + " t")) out += r[0].c_str();
  for (const auto& r : tx.exec("SELECT encode(ciphertext, 'escape') FROM org_credentials"))
    out += r[0].c_str();
  return out;
}

std::unique_ptr<pqxx::connection> app_connection(const std::string& url) {
  auto c = std::make_unique<pqxx::connection>(url);
  pqxx::nontransaction n{*c};
  n.exec("SET ROLE ringmaster_app");
  return c;
}

}  // namespace

TEST_CASE("a Twilio token is stored sealed and read back decrypted, never in clear") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  const auto a = make_tenant(tx, "Clinic A", "+14155550100");
  set_tenant(tx, a);
  store_twilio_credential(tx, a, sid_a, token_a, "Clinic A account");
  auto account = load_twilio_account(tx, a);
  REQUIRE(account);
  CHECK(account->account_sid == sid_a);
  CHECK(account->auth_token == token_a);
  auto view = load_twilio_connection(tx, a);
  REQUIRE(view);
  CHECK(view->account_sid == sid_a);
  CHECK(view->friendly_name == "Clinic A account");
  CHECK(view->vapi_sync_status == "pending");
  CHECK(view->vapi_credential_id.empty());
  CHECK(view->connected_at.size() == 20);

  record_vapi_sync(tx, a, "synced", "cred_123", "");
  CHECK(load_twilio_connection(tx, a)->vapi_credential_id == "cred_123");
  record_vapi_sync(tx, a, "failed", "", "Vapi unreachable");
  view = load_twilio_connection(tx, a);
  CHECK(view->vapi_sync_status == "failed");
  CHECK(view->vapi_credential_id == "cred_123");  // kept until replaced
  CHECK(view->vapi_sync_error == "Vapi unreachable");

  auto row = tx.exec1("SELECT key_id, length(iv), length(tag), length(ciphertext) FROM "
                      "org_credentials WHERE provider = 'twilio'");
  CHECK(row[0].c_str() == installed_master_key().id);
  CHECK(row[1].as<int>() == 12);
  CHECK(row[2].as<int>() == 16);
  CHECK(row[3].as<std::size_t>() == token_a.size());
  const auto dump = dump_table(tx, "org_credentials") + dump_table(tx, "org_twilio_accounts");
  CHECK(dump.find(token_a) == std::string::npos);
  CHECK(dump.find(sid_a) != std::string::npos);  // not secret

  // Writing again replaces it under a fresh IV.
  const std::string iv1 = tx.exec1("SELECT encode(iv, 'hex') FROM org_credentials")[0].c_str();
  store_twilio_credential(tx, a, sid_a, token_a, "");
  CHECK(tx.exec1("SELECT encode(iv, 'hex') FROM org_credentials")[0].c_str() != iv1);

  CHECK(delete_credential(tx, a, "twilio"));
  CHECK_FALSE(delete_credential(tx, a, "twilio"));
  CHECK_FALSE(load_twilio_account(tx, a));
  CHECK_FALSE(load_twilio_connection(tx, a));
}

TEST_CASE("the operator's create_tenant stores the token sealed") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};
  new_tenant t;
  t.name = "Clinic A";
  t.rules.time_zone = "UTC";
  t.numbers.push_back({"+14155550100", "", ""});
  t.twilio = twilio_account{sid_a, token_a};
  auto created = create_tenant(tx, t);
  REQUIRE(created.error == create_tenant_error::none);
  CHECK(tx.exec1("SELECT count(*) FROM org_twilio_accounts")[0].as<int>() == 0);
  CHECK(dump_table(tx, "org_credentials").find(token_a) == std::string::npos);
  CHECK(load_twilio_account(tx, created.org_id)->auth_token == token_a);
  CHECK(load_twilio_connection(tx, created.org_id)->vapi_sync_status.empty());
}

TEST_CASE("a sealed row copied to another tenant does not open there") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  pqxx::work tx{c};  // the owner: crosses tenants like an attacker with SQL access would
  const auto a = make_tenant(tx, "Clinic A", "+14155550100");
  const auto b = make_tenant(tx, "Clinic B", "+14155550199");
  set_tenant(tx, a);
  store_twilio_credential(tx, a, sid_a, token_a, "");
  tx.exec_params0(
      "INSERT INTO org_credentials (org_id, provider, account_sid, key_id, iv, tag, ciphertext)"
      " SELECT $1, provider, account_sid, key_id, iv, tag, ciphertext FROM org_credentials"
      " WHERE org_id = $2",
      b, a);
  set_tenant(tx, b);
  CHECK_THROWS_AS(load_twilio_account(tx, b), credential_error);
  try {
    load_twilio_account(tx, b);
  } catch (const credential_error& e) {
    CHECK(std::string(e.what()).find("authentication") != std::string::npos);
    CHECK(std::string(e.what()).find(token_a) == std::string::npos);
  }
  // Tampering with the stored ciphertext is detected too.
  tx.exec_params0("UPDATE org_credentials SET ciphertext = set_byte(ciphertext, 0,"
                  " get_byte(ciphertext, 0) # 1) WHERE org_id = $1", a);
  CHECK_THROWS_AS(load_twilio_account(tx, a), credential_error);
}

TEST_CASE("under the service role, credentials follow row-level security") {
  rm::testing::scratch_database db;
  std::string a, b;
  {
    pqxx::connection c{db.url()};
    pqxx::work tx{c};
    a = make_tenant(tx, "Clinic A", "+14155550100");
    b = make_tenant(tx, "Clinic B", "+14155550199");
    set_tenant(tx, a);
    store_twilio_credential(tx, a, sid_a, token_a, "");
    set_tenant(tx, b);
    store_vapi_webhook_auth(tx, b, "bearer", token_b);
    tx.commit();
  }
  auto c = app_connection(db.url());
  {
    pqxx::work tx{*c};
    CHECK(tx.exec1("SELECT count(*) FROM org_credentials")[0].as<int>() == 0);
  }
  pqxx::work tx{*c};
  set_tenant(tx, a);
  CHECK(tx.exec1("SELECT count(*) FROM org_credentials")[0].as<int>() == 1);
  CHECK(load_twilio_account(tx, a)->auth_token == token_a);
  CHECK_FALSE(load_vapi_webhook_auth(tx, b));  // B's row is invisible under A
  CHECK_FALSE(load_twilio_account(tx, b));
  set_tenant(tx, b);
  auto hook = load_vapi_webhook_auth(tx, b);
  REQUIRE(hook);
  CHECK(hook->mode == "bearer");
  CHECK(hook->secret == token_b);
}

TEST_CASE("plaintext tokens of an upgraded database are sealed at start-up and cleared") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  std::string a, b;
  {
    pqxx::work tx{c};
    a = make_tenant(tx, "Clinic A", "+14155550100");
    b = make_tenant(tx, "Clinic B", "+14155550199");
    // What versions before 006 wrote.
    tx.exec_params0("INSERT INTO org_twilio_accounts (org_id, account_sid, auth_token)"
                    " VALUES ($1, $2, $3), ($4, $2, $5)",
                    a, sid_a, token_a, b, token_b);
    tx.commit();
  }
  CHECK(seal_legacy_twilio_tokens(c, installed_master_key()) == 2);
  CHECK(seal_legacy_twilio_tokens(c, installed_master_key()) == 0);  // idempotent
  pqxx::work tx{c};
  CHECK(tx.exec1("SELECT count(*) FROM org_twilio_accounts")[0].as<int>() == 0);
  const auto dump = dump_table(tx, "org_credentials");
  CHECK(dump.find(token_a) == std::string::npos);
  CHECK(dump.find(token_b) == std::string::npos);
  set_tenant(tx, a);
  CHECK(load_twilio_account(tx, a)->auth_token == token_a);
  set_tenant(tx, b);
  CHECK(load_twilio_account(tx, b)->auth_token == token_b);
}

TEST_CASE("rotating the master key re-encrypts every row in one transaction") {
  rm::testing::scratch_database db;
  pqxx::connection c{db.url()};
  const auto old_key = installed_master_key();
  std::string a, b;
  {
    pqxx::work tx{c};
    a = make_tenant(tx, "Clinic A", "+14155550100");
    b = make_tenant(tx, "Clinic B", "+14155550199");
    set_tenant(tx, a);
    store_twilio_credential(tx, a, sid_a, token_a, "");
    store_vapi_webhook_auth(tx, a, "secret", "hook-secret-a");
    set_tenant(tx, b);
    store_twilio_credential(tx, b, sid_a, token_b, "");
    tx.commit();
  }
  const auto new_key = generate_master_key();

  SECTION("a wrong current key changes nothing") {
    const auto wrong = generate_master_key();
    CHECK_THROWS_AS(rotate_master_key(c, wrong, new_key), credential_error);
    pqxx::work tx{c};
    CHECK(tx.exec_params1("SELECT count(*) FROM org_credentials WHERE key_id = $1", old_key.id)[0].as<int>() == 3);
  }
  SECTION("every row moves to the new key and opens with it only") {
    auto r = rotate_master_key(c, old_key, new_key);
    CHECK(r.rewritten == 3);
    CHECK(r.already_current == 0);
    {
      pqxx::work tx{c};
      CHECK(tx.exec_params1("SELECT count(*) FROM org_credentials WHERE key_id = $1", new_key.id)[0]
                .as<int>() == 3);
      set_tenant(tx, a);
      CHECK_THROWS_AS(load_twilio_account(tx, a), credential_error);  // still the old key
    }
    install_master_key(new_key);
    {
      pqxx::work tx{c};
      set_tenant(tx, a);
      CHECK(load_twilio_account(tx, a)->auth_token == token_a);
      CHECK(load_vapi_webhook_auth(tx, a)->secret == "hook-secret-a");
      set_tenant(tx, b);
      CHECK(load_twilio_account(tx, b)->auth_token == token_b);
    }
    auto again = rotate_master_key(c, old_key, new_key);  // a repeated run is harmless
    CHECK(again.rewritten == 0);
    CHECK(again.already_current == 3);
    install_master_key(old_key);  // other tests in this process keep the process key
  }
}
