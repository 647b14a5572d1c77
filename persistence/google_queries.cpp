// SQL behind google_queries.hpp (migration 014).
#include "persistence/google_queries.hpp"

#include "persistence/agent_queries.hpp"
#include "persistence/credentials.hpp"
#include "persistence/detail/rows.hpp"

namespace rm::persistence::google {
namespace {

using detail::named_row;
constexpr const char* iso = "YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"";

std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()); }

}  // namespace

std::optional<link> load_link(pqxx::work& tx, const std::string& org_id) {
  auto rows = tx.exec_params(
      std::string("SELECT connected_email, google_sub, calendar_id, status, broken_reason,"
                  " last_error, to_char(connected_at AT TIME ZONE 'UTC', '") + iso +
          "') AS connected_at, coalesce(to_char(last_sync_at AT TIME ZONE 'UTC', '" + iso +
          "'), '') AS last_sync_at FROM google_links WHERE org_id::text = $1",
      org_id);
  if (rows.empty()) return std::nullopt;
  const named_row r = rows[0];
  return link{r["connected_email"].c_str(), r["google_sub"].c_str(), r["calendar_id"].c_str(),
              r["status"].c_str(),          r["broken_reason"].c_str(), r["connected_at"].c_str(),
              r["last_sync_at"].c_str(),    r["last_error"].c_str()};
}

void store_link(pqxx::work& tx, const std::string& org_id, const std::string& email,
                const std::string& sub, const std::string& refresh_token,
                const std::string& user_id) {
  tx.exec_params0(
      "INSERT INTO google_links (org_id, connected_email, google_sub, connected_by)"
      " VALUES ($1, $2, $3, $4)"
      " ON CONFLICT (org_id) DO UPDATE SET connected_email = EXCLUDED.connected_email,"
      " google_sub = EXCLUDED.google_sub, connected_by = EXCLUDED.connected_by,"
      " status = 'connected', broken_reason = '', last_error = '', connected_at = now()",
      org_id, email, sub, user_id);
  store_google_refresh_token(tx, org_id, refresh_token);
}

std::optional<std::string> load_refresh_token(pqxx::work& tx, const std::string& org_id) {
  return load_google_refresh_token(tx, org_id);
}

bool delete_link(pqxx::work& tx, const std::string& org_id) {
  tx.exec_params0(
      "DELETE FROM google_event_syncs WHERE org_id::text = $1 AND state IN ('pending', 'working')",
      org_id);
  delete_credential(tx, org_id, "google");
  return !tx.exec_params("DELETE FROM google_links WHERE org_id::text = $1 RETURNING org_id",
                         org_id)
              .empty();
}

bool use_state_nonce(pqxx::work& tx, const std::string& org_id, const std::string& nonce,
                     std::int64_t expires_at_epoch) {
  tx.exec0("DELETE FROM google_oauth_nonces WHERE expires_at < now() - interval '1 hour'");
  return !tx.exec_params(
                "INSERT INTO google_oauth_nonces (nonce, org_id, expires_at)"
                " VALUES ($1, $2, to_timestamp($3)) ON CONFLICT (nonce) DO NOTHING"
                " RETURNING nonce",
                nonce, org_id, expires_at_epoch)
              .empty();
}

bool mark_broken(pqxx::work& tx, const std::string& org_id, const std::string& reason) {
  auto changed = tx.exec_params(
      "UPDATE google_links SET status = 'broken', broken_reason = left($2, 500),"
      " last_error = left($2, 500) WHERE org_id::text = $1 AND status = 'connected'"
      " RETURNING org_id",
      org_id, reason);
  if (changed.empty()) return false;
  notify_admins(tx, org_id, "google.link_broken", "error", "integration", "google",
                "Google Calendar stopped accepting ringmaster's access (" + reason +
                    "). Availability uses the local calendar only until an admin connects "
                    "Google Calendar again (GET /api/integrations/google/authorize).");
  return true;
}

void record_sync(pqxx::work& tx, const std::string& org_id) {
  tx.exec_params0(
      "UPDATE google_links SET last_sync_at = now(), last_error = '' WHERE org_id::text = $1",
      org_id);
}

void record_error(pqxx::work& tx, const std::string& org_id, const std::string& error) {
  tx.exec_params0("UPDATE google_links SET last_error = left($2, 500) WHERE org_id::text = $1",
                  org_id, error);
}

std::vector<linked_org> linked_orgs(pqxx::work& tx) {
  std::vector<linked_org> out;
  for (const named_row r :
       tx.exec("SELECT org_id::text AS org_id, status FROM rm_google_linked_orgs()"))
    out.push_back({r["org_id"].c_str(), r["status"].c_str()});
  return out;
}

std::vector<due_sync> syncs_due(pqxx::work& tx, int limit) {
  std::vector<due_sync> out;
  for (const named_row r : tx.exec_params(
           "SELECT id::text AS id, org_id::text AS org_id FROM rm_google_syncs_due(now(), $1)",
           limit))
    out.push_back({r["id"].c_str(), r["org_id"].c_str()});
  return out;
}

std::optional<sync_job> claim_sync(pqxx::work& tx, const std::string& id,
                                   std::chrono::milliseconds lease) {
  auto rows = tx.exec_params(
      "UPDATE google_event_syncs s SET state = 'working', claim_token = gen_random_uuid(),"
      " claimed_until = now() + make_interval(secs => $2::double precision / 1000),"
      " attempts = s.attempts + 1"
      " WHERE s.id::text = $1 AND ((s.state = 'pending' AND s.due_at <= now())"
      "   OR (s.state = 'working' AND s.claimed_until < now()))"
      " RETURNING s.id::text AS id, s.org_id::text AS org_id,"
      " s.appointment_id::text AS appointment_id, s.action, s.event_id,"
      " s.claim_token::text AS claim_token, s.attempts",
      id, ms(lease));
  if (rows.empty()) return std::nullopt;
  const named_row r = rows[0];
  sync_job job{r["id"].c_str(),       r["org_id"].c_str(),   r["appointment_id"].c_str(),
               r["action"].c_str(),   r["event_id"].c_str(), r["claim_token"].c_str()};
  job.attempts = r["attempts"].as<int>();
  const named_row a = tx.exec_params1(
      "SELECT extract(epoch FROM a.starts_at)::bigint AS starts_s,"
      " extract(epoch FROM a.ends_at)::bigint AS ends_s, o.time_zone, o.name AS clinic_name,"
      " coalesce(c.name, '') AS contact_name, coalesce(c.phone_e164, '') AS contact_phone"
      " FROM appointments a JOIN organizations o ON o.id = a.org_id"
      " LEFT JOIN contacts c ON c.id = a.contact_id AND c.org_id = a.org_id"
      " WHERE a.id::text = $1",
      job.appointment_id);
  job.starts_at = a["starts_s"].as<std::int64_t>();
  job.ends_at = a["ends_s"].as<std::int64_t>();
  job.time_zone = a["time_zone"].c_str();
  job.clinic_name = a["clinic_name"].c_str();
  job.contact_name = a["contact_name"].c_str();
  job.contact_phone = a["contact_phone"].c_str();
  return job;
}

bool sync_done(pqxx::work& tx, const sync_job& job) {
  return !tx.exec_params(
                "UPDATE google_event_syncs SET state = 'done', done_at = now(), last_error = '',"
                " claimed_until = NULL WHERE id::text = $1 AND claim_token::text = $2"
                " AND state = 'working' RETURNING id",
                job.id, job.claim_token)
              .empty();
}

bool sync_retry(pqxx::work& tx, const sync_job& job, const std::string& error,
                std::chrono::milliseconds backoff, int max_attempts, bool permanent) {
  const bool give_up = permanent || job.attempts >= max_attempts;
  auto rows = tx.exec_params(
      "UPDATE google_event_syncs SET state = CASE WHEN $3 THEN 'failed' ELSE 'pending' END,"
      " due_at = now() + make_interval(secs => $4::double precision / 1000),"
      " claimed_until = NULL, last_error = left($5, 500)"
      " WHERE id::text = $1 AND claim_token::text = $2 AND state = 'working' RETURNING id",
      job.id, job.claim_token, give_up, ms(backoff), error);
  if (rows.empty()) return false;
  if (give_up)
    notify_admins(tx, job.org_id, "google.sync_failed", "warning", "appointment",
                  job.appointment_id,
                  "The appointment could not be " +
                      std::string(job.action == "insert" ? "added to" : "removed from") +
                      " Google Calendar after " + std::to_string(job.attempts) +
                      " attempt(s): " + error);
  return true;
}

int count_syncs(pqxx::work& tx, const std::string& org_id, const std::string& state) {
  return tx.exec_params1("SELECT count(*)::int AS n FROM google_event_syncs"
                         " WHERE org_id::text = $1 AND state = $2",
                         org_id, state)[0]
      .as<int>();
}

}  // namespace rm::persistence::google
