// The journal: group commit of the calls' lifecycle events (issue 13 §3). Included by
// actors/interfaces.hpp; the call actor reaches it through journal_await (actors/journal_call.hpp).
//
// Each entry is a closure over the batch's transaction (like db_job over a connection). Entries
// of many calls and tenants run in ONE transaction and are answered only after its ONE commit:
//   - an entry arriving while nothing is in flight goes at once (no timer);
//   - while up to `journal_in_flight` batches are being committed, entries queue and form the
//     next batch (at most `journal_batch` entries);
//   - each entry runs with its own tenant set first (set_tenant is transaction-local, so every
//     entry names its org); an entry that throws is answered with its error and the others are
//     run again without it in a fresh transaction (libpqxx 6 aborts a transaction on any failed
//     statement, and its subtransactions do not fit the repositories' pqxx::work&), so one bad
//     entry fails alone;
//   - a failed commit (or a broken connection, a timeout) fails every entry of the batch: none is
//     acknowledged, so nothing acknowledged is lost. synchronous_commit stays on.
// An entry may also carry a DATA row (a call event whose call the actor knows in full, with the
// projection it computed): the rows of a batch are stored first, all in ONE statement
// (persistence::journal_events, migration 018); an entry whose row was stored runs no closure.
// A row the statement did not apply (`fallback`: the call is not what the actor knew) runs its
// entry's closure instead, in the same transaction; a `foreign` row fails its entry alone. When
// the statement itself fails, the batch runs again with every row through its closure, so one
// bad entry still fails alone.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <caf/all.hpp>

#include <pqxx/transaction>

#include "persistence/journal_queries.hpp"

namespace rm::actors {

using journal_atom = caf::atom_constant<caf::atom("journal")>;
using jstats_atom = caf::atom_constant<caf::atom("jstats")>;

constexpr std::size_t journal_batch = 256;  // entries per transaction, at most
// One batch at a time: the next forms during its commit. A second batch in flight split the
// same events into twice the statements, commits and fsyncs, each with its fixed cost, on the
// same 2 cores (issue 13, seventh round: 6 alternating pairs, status-update acks, median
// ~4,400/s with 2 against ~5,600/s with 1, and a lower p99).
constexpr std::size_t journal_in_flight = 1;  // batches being committed at once, at most

// One unit of a batch: `run` is called inside the batch's transaction, after the journal set the
// tenant to `org_id`; it must not commit, and must act on the transaction only (it may run again
// after a rollback when another entry of its batch failed). It throws to fail.
struct journal_entry {
  std::string org_id;
  std::shared_ptr<std::function<void(pqxx::work&)>> run;
  // Optional: the entry as data. `outcome` is written by the journal before it replies (stored:
  // `run` did not run; fallback: `run` ran instead; foreign: the entry failed).
  struct data_row {
    persistence::journal_event_row row;
    persistence::journal_row_outcome outcome = persistence::journal_row_outcome::fallback;
  };
  std::shared_ptr<data_row> data;
};
// The entry committed (its reply), see db_done for the pool.
struct journal_done {};

// Counters since the journal started (tests, metrics): commits < entries under load.
struct journal_stats {
  std::uint64_t commits = 0;          // batches committed
  std::uint64_t entries = 0;          // entries acknowledged (committed)
  std::uint64_t failed_entries = 0;   // entries that failed alone (the others were committed)
  std::uint64_t failed_batches = 0;   // batches whose transaction or commit failed
  std::uint64_t largest_batch = 0;
  std::uint64_t set_rows = 0;         // entries stored as data rows (no closure ran)
};

// Replies journal_done after the commit, or a caf::error: ec::database_unavailable with the
// sentence (the entry failed, or its batch's commit failed), or the pool's/CAF's own error.
using journal_actor =
    caf::typed_actor<caf::replies_to<journal_atom, journal_entry>::with<journal_done>,
                     caf::replies_to<jstats_atom>::with<journal_stats>>;

}  // namespace rm::actors
