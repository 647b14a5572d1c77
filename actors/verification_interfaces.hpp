// The caller-ID verification actors (hybrid telephony) and their messages: the one header of the
// subsystem, listed from actors/interfaces.hpp.
//
//   root_supervisor ──┬─ verification_registry ── spawns/links ── verification_session × K
//                     │                                          (one per pending code)
//                     └─ verification_housekeeper (periodic sweep of the table, not cron)
//
// Both are children of the root supervisor (actors/supervisor.cpp) and reached through wiring
// (wiring::verification_registry() / verification_housekeeper()). A restarted registry resumes
// every pending session from the database (recover_atom, sent by the supervisor); its sessions
// are linked to it and die with it. The HTTP routes only see the blocking facade
// actors::verification_service (actors/verification_service.hpp).
// State lives in verified_caller_ids (persistence/verification_queries.hpp). No message ever
// carries a code in clear except confirm_cmd (the guess under test); the hash never leaves the
// database job that compares it.
//
// Failures: a registry or session request whose database job failed is answered with the
// caf::error of db_then (rm::ec::database_unavailable / timeout, actors/errors.hpp), never with
// an outcome; the outcomes below are the answers of the rules.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "actors/interfaces.hpp"
#include "actors/verification_code.hpp"
#include "domain/verification.hpp"
#include "persistence/verification_queries.hpp"

namespace rm::actors {

class wiring;
using wiring_ptr = std::shared_ptr<wiring>;

using vinit_atom = caf::atom_constant<caf::atom("vinit")>;
using vconfirm_atom = caf::atom_constant<caf::atom("vconfirm")>;
using vstop_atom = caf::atom_constant<caf::atom("vstop")>;
using vforget_atom = caf::atom_constant<caf::atom("vforget")>;
using vsweep_atom = caf::atom_constant<caf::atom("vsweep")>;
using vtick_atom = caf::atom_constant<caf::atom("vtick")>;

// What the rules answered to an initiation or a code check. The facade maps each one to an
// rm::ec and its specific error code (actors/verification_service.hpp).
enum class verification_outcome : std::uint8_t {
  started,           // initiate: a new session (and code) is pending
  verified,          // confirm: the right code
  wrong_code,        // confirm: a wrong code, attempts left
  failed,            // confirm: the third wrong code; the number is locked (locked_until)
  locked,            // the number is locked after a failed session (retry_after / locked_until)
  expired,           // confirm: the code's ten minutes are over
  already_verified,  // the number (or this session) is already verified
  not_found,         // confirm: no such verification for this tenant
  rate_limited,      // initiate: three codes within the hour (retry_after)
  busy,              // confirm: no argon2id slot freed in time; nothing checked nor counted
};
// "started", "verified", … (logs and tests).
const char* to_string(verification_outcome x);

// Start (or restart) the tenant's verification of a number. The caller has already validated the
// number, checked domain::gate_initiation (so a locked or rate-limited number costs no hash),
// generated the code and hashed it (slow work off the actors). The registry decides again under
// the number's lock.
struct initiate_cmd {
  std::string org_id;
  std::string phone_e164;
  std::string friendly_name;
  std::string channel;    // "call" | "sms"
  std::string code_hash;  // argon2id string
};
struct initiate_reply {
  // started | already_verified | rate_limited | locked
  verification_outcome outcome = verification_outcome::started;
  std::string verification_id;
  std::int64_t expires_at = 0;   // epoch seconds, when started
  std::int64_t retry_after = 0;  // seconds, when rate_limited or locked
};

struct confirm_cmd {
  std::string org_id;
  std::string verification_id;
  std::string code;  // the guess (6 digits); never stored nor logged
};
struct confirm_reply {
  // verified | wrong_code | failed | locked | expired | already_verified | not_found | busy
  verification_outcome outcome = verification_outcome::not_found;
  int attempts_left = 0;
  std::int64_t locked_until = 0;  // epoch seconds when failed/locked
  std::string phone_e164;
};

struct sweep_result {
  long expired = 0;
  long deleted = 0;
};

// One pending verification: its state machine (domain/verification.hpp), its expiry timer, and
// its code checks one at a time (a check waits for the previous one's commit).
using verification_session_actor = caf::typed_actor<
    caf::replies_to<vconfirm_atom, confirm_cmd>::with<confirm_reply>,
    // JSON {"id","orgId","phoneNumber","state","attemptsLeft","expiresInSeconds"}
    caf::replies_to<view_atom>::with<std::string>,
    caf::reacts_to<expire_atom>,  // the timer
    caf::reacts_to<vstop_atom>>;  // terminal state reached: leave after the queued messages

using verification_registry_actor = caf::typed_actor<
    caf::replies_to<vinit_atom, initiate_cmd>::with<initiate_reply>,
    caf::replies_to<vconfirm_atom, confirm_cmd>::with<confirm_reply>,
    // JSON array of the live sessions (views above), for GET /sessions/verifications
    caf::replies_to<list_atom>::with<std::string>,
    // a verification row was deleted: stop its session
    caf::reacts_to<vforget_atom, std::string /*verification id*/>,
    // resume every pending session from the database (sent by the supervisor at each start)
    caf::reacts_to<recover_atom>>;

using verification_housekeeper_actor = caf::typed_actor<
    caf::replies_to<vsweep_atom>::with<sweep_result>,  // one sweep now
    caf::reacts_to<vtick_atom>>;                        // the periodic timer

struct verification_config {
  domain::verification_limits limits;
  std::chrono::milliseconds sweep_interval{60000};
  // Shared with the facade's hashing: every argon2id comparison of a confirm runs in a slot.
  std::shared_ptr<argon2_limiter> argon2 = std::make_shared<argon2_limiter>();
};

// verification_session.cpp: one session from its row (resumed or just started).
verification_session_actor spawn_verification_session(caf::actor_system& sys, wiring_ptr w,
                                                      verification_config cfg,
                                                      persistence::pending_verification init);
// verification_registry.cpp. Send it recover_atom to resume the pending sessions.
verification_registry_actor spawn_verification_registry(caf::actor_system& sys, wiring_ptr w,
                                                        verification_config cfg);
// verification_housekeeper.cpp. Starts its periodic timer at once (first sweep after one
// interval).
verification_housekeeper_actor spawn_verification_housekeeper(caf::actor_system& sys,
                                                              wiring_ptr w,
                                                              verification_config cfg);

}  // namespace rm::actors

#define RM_LOCAL_MESSAGE(ns, type)                                            \
  namespace ns {                                                              \
  template <class Inspector>                                                  \
  typename Inspector::result_type inspect(Inspector& f, type&) {              \
    return f(caf::meta::type_name(#type));                                    \
  }                                                                           \
  }
RM_LOCAL_MESSAGE(rm::actors, initiate_cmd)
RM_LOCAL_MESSAGE(rm::actors, initiate_reply)
RM_LOCAL_MESSAGE(rm::actors, confirm_cmd)
RM_LOCAL_MESSAGE(rm::actors, confirm_reply)
RM_LOCAL_MESSAGE(rm::actors, sweep_result)
#undef RM_LOCAL_MESSAGE
