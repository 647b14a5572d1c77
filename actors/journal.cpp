// The journal (actors/journal_interfaces.hpp): group commit of the calls' lifecycle events.
// Entries queue here; a batch goes to a pool worker as soon as fewer than journal_in_flight
// batches are being committed, so an idle journal sends an entry at once and a busy one batches
// everything that arrived during the previous commit. One transaction and one fsync per batch,
// whatever the number of calls and tenants in it. (journal_in_flight says why one at a time;
// 4 in flight were tried earlier too, and were slower still.)
#include <deque>
#include <vector>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "actors/db_call.hpp"

namespace rm::actors {

namespace {

struct pending_entry {
  journal_entry entry;
  caf::typed_response_promise<journal_done> rp;
};

struct journal_state {
  std::deque<pending_entry> queue;
  std::size_t in_flight = 0;
  journal_stats stats;
  static inline const char* name = "journal";
};
using journal_ptr = journal_actor::stateful_pointer<journal_state>;

using entry_list = std::vector<journal_entry>;

// Runs the batch in one transaction, each entry under its own tenant. Returns, per entry, ""
// (done) or why it failed alone. Throws when the batch as a whole fails (the connection broke,
// the commit failed): then nothing of it is acknowledged.
//
// The data rows first, all in one statement (persistence::journal_events); then the closures of
// the other entries and of the rows not applied (fallback), one after another.
//
// One bad entry fails alone: libpqxx 6 aborts the whole transaction when any statement fails
// (and its pqxx::subtransaction cannot be handed to the repositories, which take pqxx::work&),
// so the entry is marked failed and the batch runs again, in a fresh transaction, without it.
// When the rows' statement fails, the batch runs again with every row through its closure, so
// the bad one is found the same way. Entries are closures over the transaction only (their
// results go to their slots, which the rerun overwrites), so running one again after a rollback
// is the same as running it once. Failures are rare; the common case is one pass and one commit.
std::vector<std::string> run_batch(pqxx::connection& c, const entry_list& batch) {
  using persistence::journal_row_outcome;
  std::vector<std::string> failed(batch.size());
  bool set_based = true;
  for (;;) {
    pqxx::work tx{c};
    std::vector<bool> done(batch.size(), false);  // nothing more to run for it in this pass
    std::vector<std::size_t> at;
    std::vector<persistence::journal_event_row> rows;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!batch[i].data) continue;
      batch[i].data->outcome = journal_row_outcome::fallback;
      if (set_based && failed[i].empty()) {
        at.push_back(i);
        rows.push_back(batch[i].data->row);
      }
    }
    if (!rows.empty()) {
      try {
        auto outcomes = persistence::journal_events(tx, rows);
        for (std::size_t k = 0; k < at.size(); ++k) {
          batch[at[k]].data->outcome = outcomes[k];
          if (outcomes[k] == journal_row_outcome::stored) done[at[k]] = true;
          if (outcomes[k] == journal_row_outcome::foreign)
            failed[at[k]] = "the call belongs to another tenant";
        }
      } catch (const pqxx::broken_connection&) {
        throw;
      } catch (const pqxx::in_doubt_error&) {
        throw;
      } catch (const std::exception& ex) {
        spdlog::warn("journal: the batch's rows were not stored at once ({}); one by one",
                     ex.what());
        set_based = false;  // every row through its closure: a bad one fails alone
        continue;
      }
    }
    bool retry = false;
    for (std::size_t i = 0; i < batch.size() && !retry; ++i) {
      if (!failed[i].empty() || done[i]) continue;
      const auto& e = batch[i];
      try {
        // Transaction-local (set_config(…, true)): every entry names its own tenant.
        persistence::set_tenant(tx, e.org_id);
        (*e.run)(tx);
      } catch (const pqxx::broken_connection&) {
        throw;  // the whole batch is lost: nobody is acknowledged
      } catch (const pqxx::in_doubt_error&) {
        throw;
      } catch (const std::exception& ex) {
        failed[i] = *ex.what() ? ex.what() : "the journal entry failed";
        retry = true;  // tx is aborted: run the others again without this one
      }
    }
    if (retry) continue;
    tx.commit();
    return failed;
  }
}

void pump(journal_ptr self, const wiring_ptr& w) {
  auto& st = self->state;
  while (st.in_flight < journal_in_flight && !st.queue.empty()) {
    auto n = std::min(st.queue.size(), journal_batch);
    auto batch = std::make_shared<entry_list>();
    std::vector<caf::typed_response_promise<journal_done>> promises;
    std::vector<std::shared_ptr<journal_entry::data_row>> rows;  // for the counters
    batch->reserve(n);
    promises.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      batch->push_back(std::move(st.queue.front().entry));
      promises.push_back(std::move(st.queue.front().rp));
      rows.push_back(batch->back().data);
      st.queue.pop_front();
    }
    ++st.in_flight;
    db_then<std::vector<std::string>>(
        self, *w, [batch](pqxx::connection& c) { return run_batch(c, *batch); },
        [=](caf::expected<std::vector<std::string>> done) mutable {
          auto& s = self->state;
          --s.in_flight;
          if (!done) {
            ++s.stats.failed_batches;
            spdlog::warn("journal: a batch of {} entries was not committed ({})",
                         promises.size(), describe(done.error()));
            for (auto& rp : promises) rp.deliver(done.error());
          } else {
            ++s.stats.commits;
            s.stats.largest_batch =
                std::max<std::uint64_t>(s.stats.largest_batch, promises.size());
            for (std::size_t i = 0; i < promises.size(); ++i) {
              const auto& why = (*done)[i];
              if (why.empty()) {
                ++s.stats.entries;
                if (rows[i] && rows[i]->outcome == persistence::journal_row_outcome::stored)
                  ++s.stats.set_rows;
                promises[i].deliver(journal_done{});
              } else {
                ++s.stats.failed_entries;
                promises[i].deliver(make_error(ec::database_unavailable, why));
              }
            }
          }
          pump(self, w);
        });
  }
}

journal_actor::behavior_type journal_behavior(journal_ptr self, wiring_ptr w) {
  return {
      [=](journal_atom, journal_entry& e) -> caf::typed_response_promise<journal_done> {
        auto rp = self->make_response_promise<journal_done>();
        self->state.queue.push_back({std::move(e), rp});
        pump(self, w);
        return rp;
      },
      [=](jstats_atom) { return self->state.stats; },
  };
}

}  // namespace

journal_actor spawn_journal(caf::actor_system& sys, wiring_ptr w) {
  return sys.spawn(journal_behavior, std::move(w));
}

}  // namespace rm::actors
