// Making a change durable through the journal (actors/journal_interfaces.hpp) from an event-based
// actor, like db_await (actors/db_call.hpp) but sharing the transaction and commit with other
// calls' entries:
//
//   journal_await<calls::recorded>(self, wiring, org_id,
//       [=](pqxx::work& tx) { return calls::record_event_in(tx, msg); },
//       [=](caf::expected<calls::recorded> r) { … only now is it committed … });
//
// `fn` runs inside the batch's transaction with the tenant `org_id` already set; it must not
// commit. The continuation gets fn's value once the batch committed, or the error (the entry
// failed alone, or its batch did not commit: then nothing of it is durable). The actor's other
// messages wait (CAF await), so a call's events stay in arrival order.
//
// journal_await_row sends the entry as a DATA row too (journal_entry::data_row): when the
// journal stored the row in its set-based statement, `fn` did not run and the continuation gets
// `applied()` (what the row assumed); otherwise `fn` ran in its place and the continuation gets
// fn's value, as with journal_await.
#pragma once

#include "actors/db_call.hpp"

namespace rm::actors {

template <class T, class Self, class Fn, class Applied, class Cont>
void journal_await_row(Self* self, const wiring& w, std::string org_id,
                       std::shared_ptr<journal_entry::data_row> data, Fn fn, Applied applied,
                       Cont cont) {
  auto slot = std::make_shared<std::optional<T>>();
  journal_entry e{std::move(org_id),
                  std::make_shared<std::function<void(pqxx::work&)>>(
                      [slot, fn = std::move(fn)](pqxx::work& tx) mutable {
                        slot->emplace(fn(tx));
                      }),
                  data};
  // Twice the pool's timeout: the entry may wait for the batch in flight before its own.
  self->request(w.journal(), w.times.db_timeout * 2, journal_atom::value, std::move(e))
      .await(
          [slot, data, applied, cont](const journal_done&) mutable {
            if (data && data->outcome == persistence::journal_row_outcome::stored)
              detail::deliver<T>(cont, applied());
            else if (slot->has_value())
              detail::deliver<T>(cont, std::move(**slot));
            else
              detail::deliver<T>(cont, make_error(ec::internal, "the journal entry gave no value"));
          },
          detail::on_error<T>(cont));
}

template <class T, class Self, class Fn, class Cont>
void journal_await(Self* self, const wiring& w, std::string org_id, Fn fn, Cont cont) {
  journal_await_row<T>(self, w, std::move(org_id), nullptr, std::move(fn),
                       [] { return T{}; }, std::move(cont));
}

}  // namespace rm::actors
