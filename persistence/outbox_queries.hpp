// The outbox's transactions (message_outbox, migration 011), plain C++ over a pool connection so
// the outbox actor (actors/outbox_interfaces.hpp) runs each one as a db job and tests drive them
// against PostgreSQL directly. Every row is worked on under its tenant (in_tenant); only the two
// discovery queries cross tenants, through 011's SECURITY DEFINER functions.
//
// A row's life: pending (due_at) → claim → sending (claim_token, claimed_until = now + lease,
// attempts + 1, a messages audit row 'sending') → finish:
//   sent      — Twilio accepted it (or the reconcile found it): state sent, external_id = SM sid;
//   refused   — Twilio answered without queueing it (4xx, 429, 5xx), or the breaker was open:
//               pending again after a backoff, or failed after `max_attempts` (+ an
//               org_notifications row 'outbox.failed');
//   uncertain — no answer (transport failure, timeout): it may have gone out, so the row stays
//               sending and only its lease is shortened to the backoff; the next claim reconciles.
// The claim can also settle a row itself (claim::settled): cancelled (see claim_row) or a refused
// attempt when the tenant cannot send at all.
// A sending row whose lease ran out belongs to a sender that died (or answered uncertain): its
// next claim is a reconcile claim — the caller asks Twilio's message list before sending again.
// Every finish checks the claim_token, so a sender whose lease was taken over changes nothing.
// Times are the database's (now()/clock_timestamp()), so several instances share one clock.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "persistence/records.hpp"

namespace rm::persistence::outbox {

struct settings {
  std::chrono::milliseconds lease{30000};  // longer than the whole send (reconcile + POST)
  int max_attempts = 5;                    // claims of one row before it is failed
  std::chrono::milliseconds first_backoff{30000};  // doubled per attempt, capped at 1 h
  int batch = 50;                          // rows per discovery query
};

// The backoff after attempt `attempts` (1-based): first_backoff × 2^(attempts−1), ≤ 1 h.
std::chrono::milliseconds backoff_after(const settings& s, int attempts);

// Inserts the automatic reminders whose time has come (rm_reminders_to_schedule): kind
// 'reminder', channel sms, recipient the contact's phone (else the call's caller), body
// domain::appointment_reminder_text in the clinic's time zone, due now. A contact that opted out
// (or an appointment without a phone) gets a 'cancelled' row with the reason, so it is decided
// once. ON CONFLICT on message_outbox_one_reminder: another instance's row wins, harmlessly.
// Returns the rows inserted by this call (cancelled ones included).
int schedule_reminders(pqxx::connection& c, int limit);

// A row that may be claimed now (rm_outbox_due): pending and due, or sending with an expired
// lease. Ids only; the claim re-reads the row under its tenant.
struct due_row {
  std::string id, org_id;
};
std::vector<due_row> due_rows(pqxx::connection& c, int limit);

// The outcome of a claim.
struct claim {
  bool claimed = false;     // false: another instance has it, or it is no longer due
  std::string settled;      // claimed == false and the claim itself settled the row:
                            // "cancelled: <reason>" or "failed: <reason>"
  std::string id, org_id, kind, token, message_id;
  std::string from, to, body;
  persistence::twilio_account account;
  int attempts = 0;         // including this claim
  bool reconcile = false;   // the row was sending: ask Twilio before sending again
  long long since_epoch = 0;  // reconcile: when the dead attempt was claimed (seconds, UTC)
};
// Claims the row in its own transaction (SELECT … FOR UPDATE, eligibility re-checked). A pending
// reminder whose appointment is no longer booked or has started, or whose recipient opted out,
// is cancelled; a tenant without a Twilio account or without any active number counts as a
// refused attempt. The sender is resolved here when the row's is '' (the number the contact
// called — the appointment's or the row's call's dialled number — else the tenant's first active
// number) and written to the row, so a reconcile lists with the same From.
claim claim_row(pqxx::connection& c, const due_row& row, const settings& s);

// The finishes (see above). Each returns false when the claim was no longer ours (nothing
// written).
bool finish_sent(pqxx::connection& c, const claim& cl, const std::string& sid);
bool finish_refused(pqxx::connection& c, const claim& cl, const settings& s,
                    const std::string& error_code, const std::string& error_message);
bool finish_uncertain(pqxx::connection& c, const claim& cl, const settings& s,
                      const std::string& error_message);

}  // namespace rm::persistence::outbox
