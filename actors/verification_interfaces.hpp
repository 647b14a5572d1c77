// The caller-ID verification actors (hybrid telephony), the third actor kind of the design:
//
//   verification_registry ── spawns/monitors ── verification_session × K (one per pending code)
//   verification_housekeeper (periodic sweep of the table, not cron)
//
// Spawned by actors::verification_service (actors/verification_service.hpp) on the service's
// actor system; the HTTP routes only see that facade. State lives in verified_caller_ids
// (persistence/verification_queries.hpp); at start-up the registry resumes every pending session
// with its remaining time. No message ever carries a code in clear except confirm_cmd (the guess
// under test); the hash never leaves the database job that compares it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include "actors/interfaces.hpp"
#include "actors/verification_code.hpp"
#include "actors/wiring.hpp"
#include "domain/verification.hpp"

namespace rm::actors {

using vinit_atom = caf::atom_constant<caf::atom("vinit")>;
using vconfirm_atom = caf::atom_constant<caf::atom("vconfirm")>;
using vstop_atom = caf::atom_constant<caf::atom("vstop")>;
using vforget_atom = caf::atom_constant<caf::atom("vforget")>;
using vsweep_atom = caf::atom_constant<caf::atom("vsweep")>;
using vtick_atom = caf::atom_constant<caf::atom("vtick")>;

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
  // "started" | "already_verified" (409) | "rate_limited" (429) | "locked" (423) | "error"
  std::string outcome;
  std::string verification_id;
  std::int64_t expires_at = 0;   // epoch seconds, when started
  std::int64_t retry_after = 0;  // seconds, when rate_limited or locked
  std::string error;
};

struct confirm_cmd {
  std::string org_id;
  std::string verification_id;
  std::string code;  // the guess (6 digits); never stored nor logged
};
struct confirm_reply {
  // "verified" | "wrong_code" (400) | "failed" (423, 3rd wrong code) | "locked" (423) |
  // "expired" (410) | "already_verified" (409) | "not_found" (404) | "busy" (429: no argon2
  // slot freed in time; nothing was checked nor counted) | "error"
  std::string outcome;
  int attempts_left = 0;
  std::int64_t locked_until = 0;  // epoch seconds when failed/locked
  std::string phone_e164;
  std::string error;
};

struct sweep_result {
  long expired = 0;
  long deleted = 0;
  std::string error;
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
    // resume every pending session from the database (sent once at start-up)
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

verification_registry_actor spawn_verification_registry(caf::actor_system& sys, wiring_ptr w,
                                                        verification_config cfg);
// Starts its periodic timer at once (first sweep after one interval).
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
