// Running a closure on the database pool from an event-based actor and continuing with its value.
//
//   db_then<int>(self, wiring, [=](pqxx::connection& c) { pqxx::work tx{c}; …; return n; },
//                [=](caf::expected<int> n) { if (!n) … n.error() … else … *n … });
//
// The continuation gets the closure's value, or the caf::error of the failure: an rm::ec error
// (actors/errors.hpp) from the pool — ec::database_unavailable with the sentence of what went
// wrong — or CAF's own (sec::request_timeout after wiring::times.db_timeout; ec_of maps it to
// ec::timeout). Read the kind with ec_of(err), the sentence with message_of(err).
//
// db_then lets the actor handle other messages meanwhile; db_await suspends the actor's other
// messages until the reply (CAF `await`), which is how an actor keeps its own ordering rules
// (a call's tool calls one at a time; a webhook acknowledged only after its commit).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "actors/wiring.hpp"

namespace rm::actors {

namespace detail {
template <class T, class Fn>
db_job make_job(std::shared_ptr<std::optional<T>> slot, Fn fn) {
  return db_job{std::make_shared<std::function<void(pqxx::connection&)>>(
      [slot, fn = std::move(fn)](pqxx::connection& c) mutable { slot->emplace(fn(c)); })};
}

// Calls `cont` with the outcome.
template <class T, class Cont>
void deliver(Cont& cont, caf::expected<T> x) {
  static_assert(std::is_invocable_v<Cont&, caf::expected<T>>,
                "db_then/db_await continuation must take caf::expected<T>");
  cont(std::move(x));
}

// The pool's reply → the continuation.
template <class T, class Slot, class Cont>
auto on_done(Slot slot, Cont cont) {
  return [slot, cont](const db_done&) mutable {
    if (slot->has_value())
      deliver<T>(cont, std::move(**slot));
    else  // cannot happen: a job that returned filled the slot
      deliver<T>(cont, make_error(ec::internal, "the database job returned no value"));
  };
}
template <class T, class Cont>
auto on_error(Cont cont) {
  return [cont](caf::error& err) mutable { deliver<T>(cont, caf::expected<T>{std::move(err)}); };
}
}  // namespace detail

template <class T, class Self, class Fn, class Cont>
void db_then(Self* self, const wiring& w, Fn fn, Cont cont) {
  auto slot = std::make_shared<std::optional<T>>();
  self->request(w.db(), w.times.db_timeout, detail::make_job<T>(slot, std::move(fn)))
      .then(detail::on_done<T>(slot, cont), detail::on_error<T>(cont));
}

template <class T, class Self, class Fn, class Cont>
void db_await(Self* self, const wiring& w, Fn fn, Cont cont) {
  auto slot = std::make_shared<std::optional<T>>();
  self->request(w.db(), w.times.db_timeout, detail::make_job<T>(slot, std::move(fn)))
      .await(detail::on_done<T>(slot, cont), detail::on_error<T>(cont));
}

}  // namespace rm::actors
