// SQL behind outbox_queries.hpp: scheduling reminders, discovering due rows, and the claim and
// finish transactions of one message_outbox row (migration 011).
#include "persistence/outbox_queries.hpp"

#include <algorithm>

#include "domain/reminders.hpp"
#include "persistence/detail/rows.hpp"
#include "persistence/repositories.hpp"
#include "persistence/twilio_queries.hpp"

namespace rm::persistence::outbox {
namespace {

using detail::named_row;
using detail::or_null;
using detail::text;

// A pending row is cancelled for good, with the reason (no attempt is counted).
void cancel(pqxx::work& tx, const std::string& id, const std::string& reason) {
  tx.exec_params(
      "UPDATE message_outbox SET state = 'cancelled', last_error = $2 WHERE id = $1::uuid", id,
      reason);
}

// The organisation's notification when a row is given up (severity error, never a secret).
void notify_failed(pqxx::work& tx, const claim& cl, const std::string& reason) {
  const std::string what = cl.kind == "reminder" ? "The automatic appointment reminder"
                                                 : "The hot-lead alert";
  std::string text = what + " to " + cl.to + " could not be sent after " +
                     std::to_string(cl.attempts) + " attempt(s): " + reason;
  if (text.size() > 2000) text.resize(2000);
  tx.exec_params(
      "INSERT INTO org_notifications (org_id, kind, severity, subject_type, subject_id, message)"
      " VALUES ($1::uuid, 'outbox.failed', 'error', 'message_outbox', $2, $3)",
      cl.org_id, cl.id, text);
}

// The audit row of the attempt, rewritten with its outcome.
void audit_outcome(pqxx::work& tx, const claim& cl, const std::string& status,
                   const std::string& sid, const std::string& code, const std::string& error) {
  if (cl.message_id.empty()) return;
  tx.exec_params(
      "UPDATE messages SET status = $2, external_message_id = $3, error_code = $4,"
      " error_message = $5, sent_at = CASE WHEN $2 = 'sent' THEN now() END"
      " WHERE id = $1::uuid",
      cl.message_id, status, or_null(sid), or_null(code), or_null(error));
}

// UPDATE … WHERE the claim is still ours; true when it was.
bool still_ours(pqxx::work& tx, const claim& cl) {
  auto rows = tx.exec_params(
      "SELECT 1 AS ours FROM message_outbox WHERE id = $1::uuid AND state = 'sending'"
      " AND claim_token = $2::uuid FOR UPDATE",
      cl.id, cl.token);
  return !rows.empty();
}

// Refused attempt inside an open transaction (the claim's own, or finish_refused's).
void refuse(pqxx::work& tx, const claim& cl, const settings& s, const std::string& code,
            const std::string& error) {
  audit_outcome(tx, cl, "failed", "", code, error);
  if (cl.attempts >= s.max_attempts) {
    tx.exec_params(
        "UPDATE message_outbox SET state = 'failed', claim_token = NULL, claimed_until = NULL,"
        " last_error = $2 WHERE id = $1::uuid",
        cl.id, error);
    notify_failed(tx, cl, error);
    return;
  }
  tx.exec_params(
      "UPDATE message_outbox SET state = 'pending', claim_token = NULL, claimed_until = NULL,"
      " last_error = $2, due_at = clock_timestamp() + make_interval(secs => $3::float8 / 1000)"
      " WHERE id = $1::uuid",
      cl.id, error, static_cast<double>(backoff_after(s, cl.attempts).count()));
}

// The From of a row whose sender is '': the number the contact called, else the first active one.
std::string choose_sender(pqxx::work& tx, const std::string& appointment_id,
                          const std::string& call_id) {
  auto rows = tx.exec_params(
      "SELECT c.dialled FROM calls c WHERE c.dialled <> '' AND c.id = coalesce("
      " (SELECT a.call_id FROM appointments a WHERE a.id = $1::uuid), $2)",
      or_null(appointment_id), or_null(call_id));
  if (!rows.empty()) return named_row{rows[0]}["dialled"].c_str();
  rows = tx.exec(
      "SELECT e164 FROM phone_numbers WHERE active AND org_id = rm_current_org()"
      " ORDER BY created_at, e164 LIMIT 1");
  return rows.empty() ? std::string{} : std::string{named_row{rows[0]}["e164"].c_str()};
}

}  // namespace

std::chrono::milliseconds backoff_after(const settings& s, int attempts) {
  auto wait = s.first_backoff;
  const std::chrono::milliseconds cap = std::chrono::hours(1);
  for (int i = 1; i < attempts && wait < cap; ++i) wait *= 2;
  return std::min(wait, cap);
}

int schedule_reminders(pqxx::connection& c, int limit) {
  std::vector<std::pair<std::string, std::string>> due;  // appointment id, org id
  {
    pqxx::work tx{c};
    for (const auto& row : tx.exec_params(
             "SELECT appointment_id, org_id FROM rm_reminders_to_schedule(now(), $1)", limit))
      due.emplace_back(named_row{row}["appointment_id"].c_str(), named_row{row}["org_id"].c_str());
    tx.commit();
  }
  int inserted = 0;
  for (const auto& [appointment_id, org_id] : due) {
    in_tenant(c, org_id, [&, id = appointment_id](pqxx::work& tx) {
      auto rows = tx.exec_params(
          "SELECT a.contact_id, a.call_id, extract(epoch from a.starts_at)::bigint AS starts_s,"
          " coalesce(ct.phone_e164, cl.caller, '') AS phone, coalesce(ct.opted_out, false)"
          " AS opted_out, o.name, o.time_zone"
          " FROM appointments a JOIN organizations o ON o.id = a.org_id"
          " LEFT JOIN contacts ct ON ct.id = a.contact_id"
          " LEFT JOIN calls cl ON cl.id = a.call_id"
          " WHERE a.id = $1::uuid AND a.status = 'booked'",
          id);
      if (rows.empty()) return false;  // cancelled meanwhile: nothing to remind
      const named_row r{rows[0]};
      std::string phone = r["phone"].c_str();
      const bool opted_out =
          r["opted_out"].as<bool>() || (!phone.empty() && contact_opted_out(tx, org_id, phone));
      const auto body = domain::appointment_reminder_text(
          r["name"].c_str(), from_epoch(r["starts_s"].as<std::int64_t>()),
          r["time_zone"].c_str());
      std::string state = "pending", reason;
      if (opted_out) {
        state = "cancelled";
        reason = "the contact opted out of SMS (replied STOP)";
      } else if (phone.empty() || phone[0] != '+') {
        state = "cancelled";
        reason = "the appointment has no phone number to remind";
      }
      auto done = tx.exec_params(
          "INSERT INTO message_outbox (org_id, kind, channel, appointment_id, contact_id,"
          " call_id, recipient, body, due_at, state, last_error)"
          " VALUES ($1::uuid, 'reminder', 'sms', $2::uuid, $3::uuid, $4, $5, $6, now(), $7, $8)"
          " ON CONFLICT (appointment_id) WHERE kind = 'reminder' DO NOTHING RETURNING id",
          org_id, id, or_null(text(r["contact_id"])), or_null(text(r["call_id"])), phone, body,
          state, or_null(reason));
      inserted += static_cast<int>(done.size());
      return true;
    });
  }
  return inserted;
}

std::vector<due_row> due_rows(pqxx::connection& c, int limit) {
  pqxx::work tx{c};
  std::vector<due_row> out;
  for (const auto& row :
       tx.exec_params("SELECT id, org_id FROM rm_outbox_due(now(), $1)", limit))
    out.push_back({named_row{row}["id"].c_str(), named_row{row}["org_id"].c_str()});
  tx.commit();
  return out;
}

claim claim_row(pqxx::connection& c, const due_row& due, const settings& s) {
  claim cl;
  cl.id = due.id;
  cl.org_id = due.org_id;
  in_tenant(c, due.org_id, [&](pqxx::work& tx) {
    auto rows = tx.exec_params(
        "SELECT o.state, o.kind, o.attempts, o.sender, o.recipient, o.body, o.message_id,"
        " o.appointment_id, o.contact_id, o.call_id,"
        " (o.state = 'pending' AND o.due_at <= now()) AS due_pending,"
        " (o.state = 'sending' AND o.claimed_until < now()) AS lease_expired,"
        " extract(epoch from (SELECT m.created_at FROM messages m WHERE m.id = o.message_id))"
        "::bigint AS claimed_s,"
        " (SELECT a.status = 'booked' AND a.starts_at > now() FROM appointments a"
        "   WHERE a.id = o.appointment_id) AS still_booked"
        " FROM message_outbox o WHERE o.id = $1::uuid FOR UPDATE",
        due.id);
    if (rows.empty()) return false;
    const named_row r{rows[0]};
    const bool pending = r["due_pending"].as<bool>();
    cl.reconcile = r["lease_expired"].as<bool>();
    if (!pending && !cl.reconcile) return false;  // another instance has it, or it is settled
    cl.kind = r["kind"].c_str();
    cl.to = r["recipient"].c_str();
    cl.body = r["body"].c_str();
    cl.from = r["sender"].c_str();
    cl.attempts = r["attempts"].as<int>() + 1;
    const auto appointment_id = text(r["appointment_id"]);
    const auto call_id = text(r["call_id"]);
    if (pending) {
      // Decided before anything is attempted: these rows never reach Twilio.
      std::string reason;
      if (!appointment_id.empty() && !r["still_booked"].is_null() &&
          !r["still_booked"].as<bool>())
        reason = "the appointment is no longer booked or has already started";
      else if (contact_opted_out(tx, cl.org_id, cl.to))
        reason = "the contact opted out of SMS (replied STOP)";
      if (!reason.empty()) {
        cancel(tx, cl.id, reason);
        cl.settled = "cancelled: " + reason;
        return true;
      }
    }
    if (cl.from.empty()) cl.from = choose_sender(tx, appointment_id, call_id);
    auto account = load_twilio_account(tx, cl.org_id);
    if (pending) {
      message_row m;
      m.org_id = cl.org_id;
      m.contact_id = text(r["contact_id"]);
      m.call_id = call_id;
      m.direction = "outbound";
      m.method = "sms";
      m.recipient = cl.to;
      m.content = cl.body;
      m.status = "sending";
      cl.message_id = insert_message(tx, m);
    } else {
      cl.message_id = text(r["message_id"]);
      cl.since_epoch = r["claimed_s"].is_null() ? 0 : r["claimed_s"].as<long long>();
    }
    const named_row claimed{tx.exec_params1(
        "UPDATE message_outbox SET state = 'sending', claim_token = gen_random_uuid(),"
        " claimed_until = clock_timestamp() + make_interval(secs => $2::float8 / 1000),"
        " attempts = attempts + 1, sender = $3, message_id = $4::uuid"
        " WHERE id = $1::uuid RETURNING claim_token",
        cl.id, static_cast<double>(s.lease.count()), cl.from, or_null(cl.message_id))};
    cl.token = claimed["claim_token"].c_str();
    // A tenant that cannot send at all: a refused attempt (the clinic may fix it in time).
    std::string missing;
    if (!account) missing = "no Twilio account configured for this clinic";
    else if (cl.from.empty()) missing = "this clinic has no active phone number to send from";
    if (!missing.empty() && !cl.reconcile) {
      refuse(tx, cl, s, account ? "no_number" : "no_credentials", missing);
      cl.settled = (cl.attempts >= s.max_attempts ? "failed: " : "refused: ") + missing;
      return true;
    }
    if (account) cl.account = *account;
    cl.claimed = account.has_value();
    return true;
  });
  return cl;
}

bool finish_sent(pqxx::connection& c, const claim& cl, const std::string& sid) {
  bool ours = false;
  in_tenant(c, cl.org_id, [&](pqxx::work& tx) {
    if (!(ours = still_ours(tx, cl))) return false;
    tx.exec_params(
        "UPDATE message_outbox SET state = 'sent', claim_token = NULL, claimed_until = NULL,"
        " external_id = $2, sent_at = now(), last_error = NULL WHERE id = $1::uuid",
        cl.id, sid);
    audit_outcome(tx, cl, "sent", sid, "", "");
    if (cl.kind == "reminder")
      tx.exec_params(
          "UPDATE appointments SET confirmation_sent = true WHERE id ="
          " (SELECT appointment_id FROM message_outbox WHERE id = $1::uuid)",
          cl.id);
    return true;
  });
  return ours;
}

bool finish_refused(pqxx::connection& c, const claim& cl, const settings& s,
                    const std::string& error_code, const std::string& error_message) {
  bool ours = false;
  in_tenant(c, cl.org_id, [&](pqxx::work& tx) {
    if (!(ours = still_ours(tx, cl))) return false;
    refuse(tx, cl, s, error_code, error_message);
    return true;
  });
  return ours;
}

bool finish_uncertain(pqxx::connection& c, const claim& cl, const settings& s,
                      const std::string& error_message) {
  bool ours = false;
  in_tenant(c, cl.org_id, [&](pqxx::work& tx) {
    if (!(ours = still_ours(tx, cl))) return false;
    // Still sending (it may have gone out); the lease now ends after the backoff, and the next
    // claim reconciles with Twilio before anything is sent again.
    auto wait = std::min(backoff_after(s, cl.attempts), s.lease);
    tx.exec_params(
        "UPDATE message_outbox SET last_error = $2,"
        " claimed_until = clock_timestamp() + make_interval(secs => $3::float8 / 1000)"
        " WHERE id = $1::uuid",
        cl.id, error_message, static_cast<double>(wait.count()));
    return true;
  });
  return ours;
}

}  // namespace rm::persistence::outbox
