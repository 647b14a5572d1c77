// SQL behind credentials.hpp (and load_twilio_account of repositories.hpp). Binary columns
// travel as hex text (decode($n, 'hex') / encode(col, 'hex')), so no bytea escaping is involved.
#include "persistence/credentials.hpp"

#include <openssl/crypto.h>

#include "persistence/detail/rows.hpp"
#include "persistence/repositories.hpp"

namespace rm::persistence {
namespace {

std::string to_hex(const std::string& bytes) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += hex[c >> 4];
    out += hex[c & 0xf];
  }
  return out;
}

std::string from_hex(const std::string& text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i + 1 < text.size(); i += 2)
    out += static_cast<char>(nibble(text[i]) << 4 | nibble(text[i + 1]));
  return out;
}

using detail::named_row;
using detail::or_null;

constexpr const char* sealed_columns =
    "key_id, encode(iv, 'hex') AS iv_hex, encode(tag, 'hex') AS tag_hex,"
    " encode(ciphertext, 'hex') AS ciphertext_hex";

// The sealed secret of a row selected with sealed_columns.
sealed_secret read_sealed(named_row r) {
  return {r["key_id"].c_str(), from_hex(r["iv_hex"].c_str()), from_hex(r["tag_hex"].c_str()),
          from_hex(r["ciphertext_hex"].c_str())};
}

std::string describe(open_error e) {
  switch (e) {
    case open_error::wrong_key: return "sealed under another master key";
    case open_error::malformed: return "malformed (IV or tag size)";
    case open_error::authentication_failed:
      return "failed authentication (tampered, or copied from another tenant or provider)";
    case open_error::none: break;
  }
  return "ok";
}

// Opens a stored secret or throws credential_error naming the row (never its content).
std::string open_or_throw(const master_key& k, const sealed_secret& s, const std::string& org_id,
                          const std::string& provider) {
  auto opened = open(k, s, credential_aad(org_id, provider));
  if (opened.error != open_error::none) {
    std::string msg = "org_credentials (" + org_id + ", " + provider + "): " +
                      describe(opened.error);
    if (opened.error == open_error::wrong_key)
      msg += " (row key id " + s.key_id + ", configured key id " + k.id + ")";
    throw credential_error(msg);
  }
  return std::move(opened.plaintext);
}

void upsert_sealed(pqxx::transaction_base& tx, const std::string& org_id,
                   const std::string& provider, const sealed_secret& s,
                   const std::string& account_sid, const std::string& friendly_name,
                   const std::string& auth_mode, const std::string& vapi_status) {
  tx.exec_params0(
      "INSERT INTO org_credentials (org_id, provider, account_sid, friendly_name, auth_mode,"
      " vapi_sync_status, key_id, iv, tag, ciphertext)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7, decode($8, 'hex'), decode($9, 'hex'),"
      " decode($10, 'hex'))"
      " ON CONFLICT (org_id, provider) DO UPDATE SET account_sid = EXCLUDED.account_sid,"
      " friendly_name = EXCLUDED.friendly_name, auth_mode = EXCLUDED.auth_mode,"
      " vapi_sync_status = EXCLUDED.vapi_sync_status, vapi_credential_id = NULL,"
      " vapi_sync_error = '', key_id = EXCLUDED.key_id, iv = EXCLUDED.iv, tag = EXCLUDED.tag,"
      " ciphertext = EXCLUDED.ciphertext, connected_at = now()",
      org_id, provider, or_null(account_sid), friendly_name, or_null(auth_mode),
      or_null(vapi_status), s.key_id, to_hex(s.iv), to_hex(s.tag), to_hex(s.ciphertext));
}

constexpr const char* iso_format = "YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"";

}  // namespace

// ---- Google ------------------------------------------------------------------------------------

void store_google_refresh_token(pqxx::work& tx, const std::string& org_id,
                                const std::string& refresh_token) {
  const auto key = installed_master_key();
  const auto s = seal(key, refresh_token, credential_aad(org_id, "google"));
  upsert_sealed(tx, org_id, "google", s, "", "", "", "");
}

std::optional<std::string> load_google_refresh_token(pqxx::work& tx, const std::string& org_id) {
  auto rows = tx.exec_params(std::string("SELECT ") + sealed_columns +
                                 " FROM org_credentials WHERE org_id::text = $1"
                                 " AND provider = 'google'",
                             org_id);
  if (rows.empty()) return std::nullopt;
  return open_or_throw(installed_master_key(), read_sealed(rows[0]), org_id, "google");
}

// ---- Twilio ------------------------------------------------------------------------------------

void store_twilio_credential(pqxx::transaction_base& tx, const std::string& org_id,
                             const std::string& account_sid, const std::string& auth_token,
                             const std::string& friendly_name, const std::string& vapi_status) {
  const auto key = installed_master_key();
  const auto s = seal(key, auth_token, credential_aad(org_id, "twilio"));
  upsert_sealed(tx, org_id, "twilio", s, account_sid, friendly_name, "", vapi_status);
}

std::optional<twilio_account> load_twilio_account(pqxx::work& tx, const std::string& org_id) {
  auto rows = tx.exec_params(std::string("SELECT account_sid, ") + sealed_columns +
                                 " FROM org_credentials WHERE org_id::text = $1"
                                 " AND provider = 'twilio'",
                             org_id);
  if (rows.empty()) return std::nullopt;
  const auto key = installed_master_key();
  const named_row r = rows[0];
  return twilio_account{r["account_sid"].c_str(),
                        open_or_throw(key, read_sealed(r), org_id, "twilio")};
}

std::optional<twilio_connection> load_twilio_connection(pqxx::work& tx,
                                                        const std::string& org_id) {
  auto rows = tx.exec_params(
      std::string("SELECT account_sid, friendly_name,"
                  " coalesce(vapi_credential_id, '') AS vapi_credential_id,"
                  " coalesce(vapi_sync_status, '') AS vapi_sync_status, vapi_sync_error,"
                  " to_char(connected_at AT TIME ZONE 'UTC', '") +
          iso_format + "') AS connected_at,"
      " to_char(updated_at AT TIME ZONE 'UTC', '" + iso_format + "') AS updated_at"
      " FROM org_credentials WHERE org_id::text = $1 AND provider = 'twilio'",
      org_id);
  if (rows.empty()) return std::nullopt;
  const named_row r = rows[0];
  return twilio_connection{r["account_sid"].c_str(),        r["friendly_name"].c_str(),
                           r["vapi_credential_id"].c_str(), r["vapi_sync_status"].c_str(),
                           r["vapi_sync_error"].c_str(),    detail::text(r["connected_at"]),
                           detail::text(r["updated_at"])};
}

void record_vapi_sync(pqxx::work& tx, const std::string& org_id, const std::string& status,
                      const std::string& credential_id, const std::string& error) {
  tx.exec_params0(
      "UPDATE org_credentials SET vapi_sync_status = $2,"
      " vapi_credential_id = coalesce($3, vapi_credential_id), vapi_sync_error = $4"
      " WHERE org_id::text = $1 AND provider = 'twilio'",
      org_id, status, or_null(credential_id), error);
}

// ---- Vapi webhook override ------------------------------------------------------------------------

void store_vapi_webhook_auth(pqxx::work& tx, const std::string& org_id, const std::string& mode,
                             const std::string& secret) {
  const auto key = installed_master_key();
  const auto s = seal(key, secret, credential_aad(org_id, "vapi_webhook"));
  upsert_sealed(tx, org_id, "vapi_webhook", s, "", "", mode, "");
}

std::optional<vapi_webhook_auth> load_vapi_webhook_auth(pqxx::work& tx,
                                                        const std::string& org_id) {
  auto rows = tx.exec_params(
      std::string("SELECT auth_mode, to_char(updated_at AT TIME ZONE 'UTC', '") + iso_format +
          "') AS updated_at, " + sealed_columns +
          " FROM org_credentials WHERE org_id::text = $1 AND provider = 'vapi_webhook'",
      org_id);
  if (rows.empty()) return std::nullopt;
  const auto key = installed_master_key();
  const named_row r = rows[0];
  return vapi_webhook_auth{r["auth_mode"].c_str(),
                           open_or_throw(key, read_sealed(r), org_id, "vapi_webhook"),
                           detail::text(r["updated_at"])};
}

bool delete_credential(pqxx::work& tx, const std::string& org_id, const std::string& provider) {
  auto rows = tx.exec_params(
      "DELETE FROM org_credentials WHERE org_id::text = $1 AND provider = $2 RETURNING 1", org_id,
      provider);
  return !rows.empty();
}

// ---- owner-only maintenance ---------------------------------------------------------------------

int seal_legacy_twilio_tokens(pqxx::connection& owner, const master_key& key) {
  pqxx::work tx{owner};
  auto rows = tx.exec(
      "SELECT org_id::text AS org_id, account_sid, auth_token FROM org_twilio_accounts"
      " ORDER BY org_id FOR UPDATE");
  int moved = 0;
  for (const named_row r : rows) {
    const std::string org_id = r["org_id"].c_str();
    std::string token = r["auth_token"].c_str();
    const auto s = seal(key, token, credential_aad(org_id, "twilio"));
    OPENSSL_cleanse(token.data(), token.size());
    auto inserted = tx.exec_params(
        "INSERT INTO org_credentials (org_id, provider, account_sid, vapi_sync_status, key_id,"
        " iv, tag, ciphertext) VALUES ($1, 'twilio', $2, NULL, $3, decode($4, 'hex'),"
        " decode($5, 'hex'), decode($6, 'hex')) ON CONFLICT (org_id, provider) DO NOTHING"
        " RETURNING 1",
        org_id, r["account_sid"].c_str(), s.key_id, to_hex(s.iv), to_hex(s.tag),
        to_hex(s.ciphertext));
    if (!inserted.empty()) ++moved;
  }
  tx.exec0("DELETE FROM org_twilio_accounts");
  tx.commit();
  return moved;
}

rotation_result rotate_master_key(pqxx::connection& owner, const master_key& from,
                                  const master_key& to) {
  pqxx::work tx{owner};
  auto rows = tx.exec(std::string("SELECT org_id::text AS org_id, provider, ") + sealed_columns +
                      " FROM org_credentials ORDER BY org_id, provider FOR UPDATE");
  rotation_result result;
  for (const named_row r : rows) {
    const std::string org_id = r["org_id"].c_str();
    const std::string provider = r["provider"].c_str();
    const auto stored = read_sealed(r);
    if (stored.key_id == to.id) {
      // Sealed under the new key already (a repeated rotation): it must open with it.
      auto check = open_or_throw(to, stored, org_id, provider);
      OPENSSL_cleanse(check.data(), check.size());
      ++result.already_current;
      continue;
    }
    auto plain = open_or_throw(from, stored, org_id, provider);
    const auto s = seal(to, plain, credential_aad(org_id, provider));
    OPENSSL_cleanse(plain.data(), plain.size());
    tx.exec_params0(
        "UPDATE org_credentials SET key_id = $3, iv = decode($4, 'hex'), tag = decode($5, 'hex'),"
        " ciphertext = decode($6, 'hex') WHERE org_id::text = $1 AND provider = $2",
        org_id, provider, s.key_id, to_hex(s.iv), to_hex(s.tag), to_hex(s.ciphertext));
    ++result.rewritten;
  }
  tx.commit();
  return result;
}

}  // namespace rm::persistence
