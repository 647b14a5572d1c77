// org_credentials (migration 006): a tenant's secrets per provider, encrypted with the process's
// master key (persistence/secret_box.hpp). Every function runs inside the caller's transaction and
// needs set_tenant first, except the owner-only maintenance at the end. Secrets leave these
// functions only through load_twilio_account (repositories.hpp) and load_vapi_webhook_auth; the
// status views never carry them. Errors never quote a secret.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "persistence/secret_box.hpp"

namespace rm::persistence {

// Thrown when a stored secret cannot be opened with the installed key: sealed under another key
// (rotation not finished, wrong key configured) or failing authentication (tampered, or copied
// from another tenant). The message names the tenant, provider and key ids only.
struct credential_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- Twilio (provider 'twilio') -------------------------------------------------------------------

// What GET /api/integrations/twilio shows: no secret.
struct twilio_connection {
  std::string account_sid;
  std::string friendly_name;
  std::string vapi_credential_id;  // "" until synced
  std::string vapi_sync_status;    // pending | synced | failed
  std::string vapi_sync_error;     // why the last sync failed ("" otherwise)
  std::string connected_at;        // ISO 8601 UTC
  std::string updated_at;
};

// Inserts or replaces the tenant's Twilio credential, sealed under the installed master key; the
// Vapi side is reset to `vapi_status` with no credential id (the caller syncs next).
// `vapi_status` "" leaves the Vapi side unset (tenants created by the operator with a token).
void store_twilio_credential(pqxx::transaction_base& tx, const std::string& org_id,
                             const std::string& account_sid, const std::string& auth_token,
                             const std::string& friendly_name,
                             const std::string& vapi_status = "pending");
std::optional<twilio_connection> load_twilio_connection(pqxx::work& tx, const std::string& org_id);
// Records the outcome of a Vapi sync (status synced|failed|pending). `credential_id` "" keeps the
// stored one; `error` "" clears the last error.
void record_vapi_sync(pqxx::work& tx, const std::string& org_id, const std::string& status,
                      const std::string& credential_id, const std::string& error);

// ---- Vapi webhook override (provider 'vapi_webhook') ---------------------------------------------

struct vapi_webhook_auth {
  std::string mode;    // secret | bearer | hmac
  std::string secret;  // the shared secret, token or HMAC key (clear, in memory only)
  std::string updated_at;
};
void store_vapi_webhook_auth(pqxx::work& tx, const std::string& org_id, const std::string& mode,
                             const std::string& secret);
std::optional<vapi_webhook_auth> load_vapi_webhook_auth(pqxx::work& tx, const std::string& org_id);

// ---- Google refresh token (provider 'google'; persistence/google_queries.hpp uses these) -----------

void store_google_refresh_token(pqxx::work& tx, const std::string& org_id,
                                const std::string& refresh_token);
// nullopt when none; credential_error when it does not open.
std::optional<std::string> load_google_refresh_token(pqxx::work& tx, const std::string& org_id);

// Deletes the tenant's credential of `provider`; false when there was none.
bool delete_credential(pqxx::work& tx, const std::string& org_id, const std::string& provider);

// ---- owner-only maintenance (a connection as the schema owner: crosses tenants) -----------------

// Moves every plaintext token of org_twilio_accounts into org_credentials, sealed under `key`
// (an existing org_credentials row wins), then deletes the plaintext rows; one transaction.
// Returns how many rows were moved.
int seal_legacy_twilio_tokens(pqxx::connection& owner, const master_key& key);

struct rotation_result {
  int rewritten = 0;        // rows re-encrypted from `from` to `to`
  int already_current = 0;  // rows already sealed under `to` (a repeated rotation)
};
// Re-encrypts every org_credentials row under `to` (fresh IVs) in one transaction. Every row must
// open with `from` (or already be under `to`); otherwise nothing changes and credential_error is
// thrown naming the first row that failed.
rotation_result rotate_master_key(pqxx::connection& owner, const master_key& from,
                                  const master_key& to);

}  // namespace rm::persistence
