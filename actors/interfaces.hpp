// Every actor of ringmaster and every message it understands, in one place (CAF 0.17 typed
// actors). Read this file to know the whole actor system:
//
//   root_supervisor ── restarts ──┬─ db_pool (N detached workers, one PostgreSQL connection each)
//                                 ├─ provider_gate (the per-(org_id, provider) circuit breakers:
//                                 │                 admit / outcome; never runs a request)
//                                 ├─ twilio (one typed message per Twilio operation; each asks
//                                 │          the gate, runs on a detached worker it spawns,
//                                 │          reports the outcome)
//                                 ├─ vapi (the same for every Vapi operation)
//                                 ├─ email (the same for each e-mail, over SMTP)
//                                 ├─ calendar (local PostgreSQL calendar)
//                                 ├─ directory ── spawns/monitors ── tenant × N
//                                 ├─ agents (agent provisioning saga: actors/agent_interfaces.hpp)
//                                 ├─ tools_sync (agents' global Vapi tools: actors/tools_sync_interfaces.hpp)
//                                 ├─ journal (group commit of the calls' lifecycle events:
//                                 │           journal_interfaces.hpp)
//                                 ├─ call_registry ── spawns/monitors ── call × M
//                                 ├─ verification registry + housekeeper (verification_interfaces.hpp)
//                                 ├─ number_sweeper (drives the number sagas: number_interfaces.hpp)
//                                 ├─ outbox (sends message_outbox rows once: outbox_interfaces.hpp)
//                                 ├─ event_hub (committed call changes → live event streams:
//                                 │             event_hub_interfaces.hpp)
//                                 ├─ google (Google Calendar: freeBusy, event sync; google_interfaces.hpp)
//                                 └─ calendar_notices (LISTEN rm_calendar → directory → tenant reloads)
//
// Supervised actors are reached through `wiring` (actors/wiring.hpp), which always holds the
// current handle, so a restart is invisible to callers. Call actors are never restarted: the
// next event for a call rebuilds its actor from call_events.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include <pqxx/connection>

#include "actors/agent_interfaces.hpp"
#include "actors/tools_sync_interfaces.hpp"  // the tools sync of agents (issue 12 §4)
#include "actors/errors.hpp"
#include "actors/google_interfaces.hpp"  // the Google Calendar adapter
#include "actors/journal_interfaces.hpp"  // group commit of lifecycle events (issue 13 §3)
#include "actors/messages.hpp"
#include "actors/number_interfaces.hpp"  // the number sagas' sweeper
#include "actors/outbox_interfaces.hpp"  // the message outbox (reminders, hot-lead alerts)
#include "actors/provider_port.hpp"
#include "actors/service.hpp"
#include "persistence/repositories.hpp"
#include "adapters/twilio/twilio_client.hpp"


namespace rm::actors {

// ---- atoms (CAF 0.17: at most 10 characters) ------------------------------------------------------
using event_atom = caf::atom_constant<caf::atom("event")>;
using tools_atom = caf::atom_constant<caf::atom("tools")>;
using tool_atom = caf::atom_constant<caf::atom("tool")>;
using view_atom = caf::atom_constant<caf::atom("view")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using resolve_atom = caf::atom_constant<caf::atom("resolve")>;
using org_atom = caf::atom_constant<caf::atom("org")>;
using invalidate_atom = caf::atom_constant<caf::atom("invalidat")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using linger_atom = caf::atom_constant<caf::atom("linger")>;
using noreport_atom = caf::atom_constant<caf::atom("noreport")>;
using sanity_atom = caf::atom_constant<caf::atom("sanity")>;
using sms_atom = caf::atom_constant<caf::atom("sms")>;
using busy_atom = caf::atom_constant<caf::atom("busy")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using recover_atom = caf::atom_constant<caf::atom("recover")>;
using changed_atom = caf::atom_constant<caf::atom("changed")>;
using log_atom = caf::atom_constant<caf::atom("log")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using breakers_atom = caf::atom_constant<caf::atom("breakers")>;
using admit_atom = caf::atom_constant<caf::atom("admit")>;
using outcome_atom = caf::atom_constant<caf::atom("outcome")>;
// provider operations (twilio_actor, vapi_actor)
using call_atom = caf::atom_constant<caf::atom("call")>;
using callerid_atom = caf::atom_constant<caf::atom("callerid")>;
using account_atom = caf::atom_constant<caf::atom("account")>;
using search_atom = caf::atom_constant<caf::atom("search")>;
using purchase_atom = caf::atom_constant<caf::atom("purchase")>;
using numbers_atom = caf::atom_constant<caf::atom("numbers")>;
using urls_atom = caf::atom_constant<caf::atom("urls")>;
using release_atom = caf::atom_constant<caf::atom("release")>;
using msglist_atom = caf::atom_constant<caf::atom("msglist")>;
using cred_add_atom = caf::atom_constant<caf::atom("credadd")>;
using cred_del_atom = caf::atom_constant<caf::atom("creddel")>;
using num_add_atom = caf::atom_constant<caf::atom("numadd")>;
using num_del_atom = caf::atom_constant<caf::atom("numdel")>;
using asst_add_atom = caf::atom_constant<caf::atom("asstadd")>;
using asst_get_atom = caf::atom_constant<caf::atom("asstget")>;
using asst_set_atom = caf::atom_constant<caf::atom("asstset")>;
using asst_patch_atom = caf::atom_constant<caf::atom("asstpatch")>;
using tool_list_atom = caf::atom_constant<caf::atom("toollist")>;
using tool_add_atom = caf::atom_constant<caf::atom("tooladd")>;
using tool_set_atom = caf::atom_constant<caf::atom("toolset")>;
using email_atom = caf::atom_constant<caf::atom("email")>;
using reload_atom = caf::atom_constant<caf::atom("reload")>;
using listen_atom = caf::atom_constant<caf::atom("listen")>;

// ---- the database adapter --------------------------------------------------------------------------

// A unit of work run on a pool worker's own connection. The closure opens its own transaction(s).
// Local messages only (never serialised).
struct db_job {
  std::shared_ptr<std::function<void(pqxx::connection&)>> run;
};
// The job ran to its end (whatever it committed is committed).
struct db_done {};

// db_pool: queues jobs and hands each to an idle worker (FIFO). Workers reconnect after a broken
// connection. Replies when the job has finished: db_done, or a caf::error of category rm
// (actors/errors.hpp) when it failed, with the sentence of what happened:
//   ec::database_unavailable  no connection could be opened, the connection broke, or the job
//                             threw (PostgreSQL refused a statement, or any other exception; the
//                             transaction was rolled back);
//   ec::unavailable           the worker died (a CAF error is passed through as it came).
using db_actor = caf::typed_actor<caf::replies_to<db_job>::with<db_done>>;

// ---- the provider gate (per-tenant circuit breakers on Twilio and Vapi) ------------------------------

// What the gate says to one request about to go to a provider.
struct admission {
  bool allowed = false;
  std::int64_t retry_after_ms = 0;  // when refused: time left until a probe may go
};
// How an admitted request ended, for the breaker: failure = transport, 429 or 5xx (after the
// client's retries); success = any other answer (2xx, or a 4xx about the request itself);
// neutral = nothing was learnt about the provider (the client threw, the worker died).
enum class outcome_kind : std::uint8_t { success, failure, neutral };

// Keeps one domain::circuit_breaker per (org_id, provider) (settings: wiring::times.breaker,
// time: wiring::steady_now), and nothing else: it never runs a request. Every `admit` that is
// allowed must be followed by exactly one `outcome` for the same pair (the half-open probe slot
// is released by it). While half-open exactly one admission (the probe) is allowed.
using provider_gate_actor = caf::typed_actor<
    caf::replies_to<admit_atom, std::string /*org_id*/, provider>::with<admission>,
    caf::reacts_to<outcome_atom, std::string /*org_id*/, provider, outcome_kind>,
    // JSON object {org_id: [{"provider","state","recent_failures","open_until"?,
    // "retry_after_seconds"?}, …]} of every breaker the gate holds, for GET /sessions/tenants.
    caf::replies_to<breakers_atom>::with<std::string>>;

// ---- the provider adapters ----------------------------------------------------------------------------

// One message per Twilio operation the service uses (adapters/twilio/twilio_client.hpp: each
// REST exchange and its retry policy). Each one: admission from the gate for (org_id, twilio) →
// refused: error ec::provider_unavailable; else the client call runs on a detached worker the
// adapter spawns, its outcome goes to the gate, and the client's result struct is the reply.
// Errors (rm::ec, actors/errors.hpp):
//   ec::provider_unavailable — the gate refused (breaker open, or its half-open probe is out);
//     nothing was sent. Made by make_retry_error: the sentence names the provider and
//     retry_after_ms_of(err) is the cool-off left (ms). provider_port throws provider_unavailable.
//   ec::provider_failed — the client threw (what() is the sentence); the outcome was neutral.
//   any other error (the worker or the gate died) is passed on as it came.
// The short SMS form (the call actor's send_sms tool) uses the adapter's own base URL and folds a
// refusal into sms_result{http_status 0, "… paused …"}.
using twilio_actor = caf::typed_actor<
    caf::replies_to<sms_atom, std::string /*org_id*/, twilio::credentials,
                    twilio::sms_request>::with<twilio::sms_result>,
    caf::replies_to<sms_atom, std::string /*org_id*/, twilio_endpoint, twilio::credentials,
                    twilio::sms_request>::with<twilio::sms_result>,
    caf::replies_to<call_atom, std::string /*org_id*/, twilio_endpoint, twilio::credentials,
                    twilio::call_request>::with<twilio::call_result>,
    caf::replies_to<callerid_atom, std::string /*org_id*/, twilio_endpoint, twilio::credentials,
                    twilio::caller_id_request>::with<twilio::caller_id_result>,
    caf::replies_to<account_atom, std::string /*org_id*/, twilio_endpoint,
                    twilio::credentials>::with<twilio::account_result>,
    caf::replies_to<search_atom, std::string /*org_id*/, twilio_endpoint, twilio::credentials,
                    twilio::available_search>::with<twilio::available_result>,
    caf::replies_to<purchase_atom, std::string /*org_id*/, twilio_endpoint, twilio::credentials,
                    twilio::purchase_request>::with<twilio::number_result>,
    caf::replies_to<numbers_atom, std::string /*org_id*/, twilio_endpoint, twilio::credentials,
                    std::string /*phone_number filter, "" = all*/>::with<
        twilio::number_list_result>,
    caf::replies_to<urls_atom, std::string /*org_id*/, twilio_endpoint, twilio::credentials,
                    std::string /*pn_sid*/, twilio::purchase_request>::with<twilio::number_result>,
    caf::replies_to<release_atom, std::string /*org_id*/, twilio_endpoint, twilio::credentials,
                    std::string /*pn_sid*/>::with<twilio::release_result>,
    caf::replies_to<msglist_atom, std::string /*org_id*/, twilio_endpoint, twilio::credentials,
                    twilio::message_query>::with<twilio::message_list_result>>;

// One message per Vapi operation (adapters/vapi/vapi_client.hpp); the same admission / worker / outcome steps
// under (org_id, vapi). Failure for the breaker: vapi::response::transient().
using vapi_actor = caf::typed_actor<
    caf::replies_to<cred_add_atom, std::string /*org_id*/, vapi_endpoint,
                    vapi_credential>::with<vapi::response>,
    caf::replies_to<cred_del_atom, std::string /*org_id*/, vapi_endpoint,
                    std::string /*credential id*/>::with<vapi::response>,
    caf::replies_to<num_add_atom, std::string /*org_id*/, vapi_endpoint,
                    vapi::phone_number_import>::with<vapi::response>,
    caf::replies_to<num_del_atom, std::string /*org_id*/, vapi_endpoint,
                    std::string /*phone-number id*/>::with<vapi::response>,
    caf::replies_to<asst_add_atom, std::string /*org_id*/, vapi_endpoint,
                    vapi_assistant>::with<vapi::response>,
    caf::replies_to<asst_get_atom, std::string /*org_id*/, vapi_endpoint,
                    std::string /*assistant id*/>::with<vapi::response>,
    caf::replies_to<asst_set_atom, std::string /*org_id*/, vapi_endpoint,
                    vapi_assistant_changes>::with<vapi::response>,
    caf::replies_to<call_atom, std::string /*org_id*/, vapi_endpoint,
                    vapi::outbound_call>::with<vapi::response>,
    // PATCH /assistant/{id} as given; the global tools: GET /tool, POST /tool, PATCH /tool/{id}.
    caf::replies_to<asst_patch_atom, std::string /*org_id*/, vapi_endpoint,
                    vapi_assistant_changes>::with<vapi::response>,
    caf::replies_to<tool_list_atom, std::string /*org_id*/, vapi_endpoint>::with<vapi::response>,
    caf::replies_to<tool_add_atom, std::string /*org_id*/, vapi_endpoint,
                    vapi_tool>::with<vapi::response>,
    caf::replies_to<tool_set_atom, std::string /*org_id*/, vapi_endpoint,
                    vapi_tool>::with<vapi::response>>;

// One message per e-mail (adapters/email/smtp_client.hpp); the same admission / worker / outcome
// steps under (org_id, smtp). Failure for the breaker: email::send_result::transient() (no reply
// from the mail server, or a 4xx).
using email_actor = caf::typed_actor<
    caf::replies_to<email_atom, std::string /*org_id*/, smtp_endpoint,
                    email::message>::with<email::send_result>>;

// ---- the calendar adapter -----------------------------------------------------------------------------

// Busy intervals of a tenant between two instants (epoch seconds, UTC), as [start, end) pairs that
// already include buffers. The default adapter reads PostgreSQL's appointments (held and booked);
// a Google Calendar adapter (later) would add the clinic's external events through the same message.
struct busy_list {
  std::vector<std::int64_t> starts;  // epoch seconds
  std::vector<std::int64_t> ends;
};
using calendar_actor = caf::typed_actor<
    caf::replies_to<busy_atom, std::string /*org_id*/, std::int64_t /*from*/,
                    std::int64_t /*to*/>::with<busy_list>>;

// ---- the tool-invocation log -----------------------------------------------------------------------

// Stores read-only tool results write-behind, by group commit: entries that arrive while a batch
// is being written form the next one (one statement, rm_log_tool_calls, and one commit for any
// number of calls and tenants). A crash before the commit loses only reads, which a retry
// recomputes without acting on anything; mutating tools store their result in their own
// transaction. read_records also carry a call's row when it may not be stored yet, and hold
// their `pending` token until their batch committed (the workers' backpressure).
using tool_log_actor = caf::typed_actor<
    caf::reacts_to<log_atom, persistence::completed_tool_call>,
    caf::reacts_to<log_atom, read_records>,
    caf::reacts_to<flush_atom>,
    // graceful stop: answers true once every entry received before it is stored (retrying a
    // failed batch meanwhile); the caller's timeout bounds the wait.
    caf::replies_to<drain_atom>::with<bool>>;

// ---- tenants ---------------------------------------------------------------------------------------

// One per organization: its calendar rules, its calendar (held and booked intervals of the booking
// horizon, in memory, always current), its hold-expiry timer, and booking decisions (reserve,
// book) made one at a time in arrival order.
using tenant_actor = caf::typed_actor<
    // check_availability | reserve_slot | book_appointment for a call. check_availability is
    // answered from memory (store_behind; call_id may be "" for a legacy read); reserve and book
    // store their result with the toolCallId in the same transaction as the action (exactly
    // once), except a reserve_slot memory already refuses (store_behind). Calls arriving before
    // the first load of the calendar wait for it.
    caf::replies_to<tool_atom, tenant_tool_call>::with<tenant_tool_reply>,
    // JSON summary for the inspection API.
    caf::replies_to<view_atom>::with<std::string>,
    // self-sent: expire holds whose time has come and re-arm the timer.
    caf::reacts_to<expire_atom>,
    // the tenant's settings or calendar changed elsewhere (API): take the new record, reload
    // the calendar; replies once that reload has ended (true: memory and its published snapshot
    // are current; false: the read failed and is retried), so the API answers after it
    caf::replies_to<changed_atom, persistence::tenant_record>::with<bool>,
    // the tenant's appointments changed in the database (a NOTIFY on rm_calendar): reload the
    // calendar (debounced: one load in flight, at most one more queued)
    caf::reacts_to<reload_atom>,
    // the google actor's latest read of the clinic's Google busy time (replaces the previous one;
    // empty = none, e.g. the link broke): joined to the busy intervals of every tool call
    caf::reacts_to<gbusy_atom, busy_list>>;

// Dialled number → tenant, cached; org_id → tenant actor (spawned on first use, monitored,
// re-spawned on next use after a failure).
using directory_actor = caf::typed_actor<
    // (E.164 dialled number, Vapi phone-number id) → tenant; either may be "".
    caf::replies_to<resolve_atom, std::string, std::string>::with<tenant_ref>,
    caf::replies_to<org_atom, std::string /*org_id*/>::with<tenant_actor>,
    // a tool for that tenant, delegated to its actor (spawned first when not live): the legacy
    // calendar check's pure read, with no call
    caf::replies_to<tool_atom, std::string /*org_id*/, tenant_tool_call>::with<tenant_tool_reply>,
    // forget every cached route (after numbers changed)
    caf::reacts_to<invalidate_atom>,
    // a tenant's settings or appointments changed: reload it into its live actor, if any;
    // replies when that actor has reloaded (at once when none is live)
    caf::replies_to<changed_atom, std::string /*org_id*/>::with<bool>,
    // a tenant's appointments changed in the database (calendar_notices): its live actor, if
    // any, reloads its calendar; "" = every live tenant (after the listener reconnected)
    caf::reacts_to<reload_atom, std::string /*org_id*/>,
    // JSON array of the tenants with a live actor, for GET /sessions/tenants
    caf::replies_to<list_atom>::with<std::string>>;

// LISTENs on rm_calendar (migration 015: every change to appointments NOTIFYs its org_id) on its
// own connection and passes each org_id to the directory as (reload, org_id), so that another
// ringmaster instance's bookings reach this one's tenant actors within a second. Detached (it
// blocks in PQ waits of at most 250 ms, driven by self-sent `listen`); a broken connection is
// reopened with backoff (0.25 s doubling to 8 s), after which every live tenant reloads (notices
// may have been missed meanwhile).
using calendar_notices_actor = caf::typed_actor<caf::reacts_to<listen_atom>>;

// ---- calls -------------------------------------------------------------------------------------------

// One per live call: the lifecycle state machine (domain/call_lifecycle), the ordered queue of its
// tool calls, its linger / no-report / sanity timers.
using call_actor = caf::typed_actor<
    // store the event (deduplicated), update the projection; replies after commit
    caf::replies_to<event_atom, call_event_msg>::with<event_ack>,
    // run the tool calls in order, one at a time; a repeated toolCallId returns its first result.
    // The identity is the requester's view of the call: a different tenant is refused.
    caf::replies_to<tools_atom, persistence::call_identity,
                    std::vector<tool_request>>::with<std::vector<tool_reply>>,
    // read-only tool calls already answered from the tenant's calendar snapshot by the HTTP
    // worker (service::run_tools): remembered for retries and stored write-behind; no reply
    caf::reacts_to<tools_atom, answered_reads>,
    // JSON view for GET /sessions/calls/{id}
    caf::replies_to<view_atom>::with<std::string>,
    caf::reacts_to<linger_atom>, caf::reacts_to<noreport_atom>,
    caf::reacts_to<sanity_atom, std::uint64_t /*generation*/>>;

// call id → call actor. Spawns (rebuilding from the database) on first use; at start-up it
// rebuilds every call that has not ended.
using call_registry_actor = caf::typed_actor<
    caf::replies_to<event_atom, call_event_msg>::with<event_ack>,
    caf::replies_to<tools_atom, persistence::call_identity,
                    std::vector<tool_request>>::with<std::vector<tool_reply>>,
    // the reads waiting in wiring::reads_inbox: each is sent on to its call actor. false: a
    // worker's ring; true: the registry's own sweep (read_inbox_sweep), which it re-arms
    caf::reacts_to<tools_atom, bool>,
    // JSON view of a live call, "" when no actor is live for that id
    caf::replies_to<view_atom, std::string>::with<std::string>,
    // ids of the live calls
    caf::replies_to<list_atom>::with<std::vector<std::string>>,
    // rebuild the unfinished calls (sent once at start-up)
    caf::reacts_to<recover_atom>>;

}  // namespace rm::actors

// CAF 0.17 requires `inspect` for every message type. These messages never leave the process, so
// only their type names are exposed (no field serialisation to keep in sync).
#define RM_LOCAL_MESSAGE(ns, type)                                            \
  namespace ns {                                                              \
  template <class Inspector>                                                  \
  typename Inspector::result_type inspect(Inspector& f, type&) {              \
    return f(caf::meta::type_name(#type));                                    \
  }                                                                           \
  }
RM_LOCAL_MESSAGE(rm::actors, db_job)
RM_LOCAL_MESSAGE(rm::actors, db_done)
RM_LOCAL_MESSAGE(rm::actors, busy_list)
RM_LOCAL_MESSAGE(rm::actors, tenant_ref)
RM_LOCAL_MESSAGE(rm::actors, call_event_msg)
RM_LOCAL_MESSAGE(rm::actors, event_ack)
RM_LOCAL_MESSAGE(rm::actors, tool_request)
RM_LOCAL_MESSAGE(rm::actors, tool_reply)
RM_LOCAL_MESSAGE(rm::actors, tenant_tool_call)
RM_LOCAL_MESSAGE(rm::actors, tenant_tool_reply)
RM_LOCAL_MESSAGE(rm::actors, answered_reads)
RM_LOCAL_MESSAGE(rm::actors, read_records)
RM_LOCAL_MESSAGE(rm::actors, admission)
RM_LOCAL_MESSAGE(rm::actors, twilio_endpoint)
RM_LOCAL_MESSAGE(rm::actors, vapi_endpoint)
RM_LOCAL_MESSAGE(rm::actors, smtp_endpoint)
RM_LOCAL_MESSAGE(rm::email, message)
RM_LOCAL_MESSAGE(rm::email, send_result)
RM_LOCAL_MESSAGE(rm::actors, vapi_credential)
RM_LOCAL_MESSAGE(rm::actors, vapi_assistant)
RM_LOCAL_MESSAGE(rm::actors, vapi_assistant_changes)
RM_LOCAL_MESSAGE(rm::actors, vapi_tool)
RM_LOCAL_MESSAGE(rm::twilio, credentials)
RM_LOCAL_MESSAGE(rm::twilio, sms_request)
RM_LOCAL_MESSAGE(rm::twilio, sms_result)
RM_LOCAL_MESSAGE(rm::twilio, call_request)
RM_LOCAL_MESSAGE(rm::twilio, call_result)
RM_LOCAL_MESSAGE(rm::twilio, caller_id_request)
RM_LOCAL_MESSAGE(rm::twilio, caller_id_result)
RM_LOCAL_MESSAGE(rm::twilio, account_result)
RM_LOCAL_MESSAGE(rm::twilio, available_search)
RM_LOCAL_MESSAGE(rm::twilio, available_result)
RM_LOCAL_MESSAGE(rm::twilio, purchase_request)
RM_LOCAL_MESSAGE(rm::twilio, number_result)
RM_LOCAL_MESSAGE(rm::twilio, number_list_result)
RM_LOCAL_MESSAGE(rm::twilio, release_result)
RM_LOCAL_MESSAGE(rm::twilio, message_query)
RM_LOCAL_MESSAGE(rm::twilio, message_list_result)
RM_LOCAL_MESSAGE(rm::vapi, response)
RM_LOCAL_MESSAGE(rm::vapi, phone_number_import)
RM_LOCAL_MESSAGE(rm::vapi, outbound_call)
RM_LOCAL_MESSAGE(rm::persistence, call_identity)
RM_LOCAL_MESSAGE(rm::persistence, tenant_record)
RM_LOCAL_MESSAGE(rm::persistence, completed_tool_call)

RM_LOCAL_MESSAGE(rm::actors, journal_entry)
RM_LOCAL_MESSAGE(rm::actors, journal_done)
RM_LOCAL_MESSAGE(rm::actors, journal_stats)
#undef RM_LOCAL_MESSAGE

#include "actors/verification_interfaces.hpp"  // caller-ID verification (its own header)
#include "actors/event_hub_interfaces.hpp"  // live call events for the SSE streams
