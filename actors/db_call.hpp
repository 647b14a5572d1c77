// Running a closure on the database pool from an event-based actor and continuing with its value.
//
//   db_then<int>(self, wiring, [=](pqxx::connection& c) { pqxx::work tx{c}; …; return n; },
//                [=](int n, const std::string& error) { … });   // error == "" on success
//
// db_then lets the actor handle other messages meanwhile; db_await suspends the actor's other
// messages until the reply (CAF `await`), which is how an actor keeps its own ordering rules
// (a call's tool calls one at a time; a webhook acknowledged only after its commit).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "actors/wiring.hpp"

namespace rm::actors {

namespace detail {
template <class T, class Fn>
db_job make_job(std::shared_ptr<std::optional<T>> slot, Fn fn) {
  return db_job{std::make_shared<std::function<void(pqxx::connection&)>>(
      [slot, fn = std::move(fn)](pqxx::connection& c) mutable { slot->emplace(fn(c)); })};
}
}  // namespace detail

template <class T, class Self, class Fn, class Cont>
void db_then(Self* self, const wiring& w, Fn fn, Cont cont) {
  auto slot = std::make_shared<std::optional<T>>();
  self->request(w.db(), w.times.db_timeout, detail::make_job<T>(slot, std::move(fn)))
      .then(
          [slot, cont](const db_done& d) mutable {
            if (d.ok && slot->has_value())
              cont(std::move(**slot), std::string{});
            else
              cont(T{}, d.error.empty() ? std::string{"database job failed"} : d.error);
          },
          [self, cont](caf::error& err) mutable { cont(T{}, self->system().render(err)); });
}

template <class T, class Self, class Fn, class Cont>
void db_await(Self* self, const wiring& w, Fn fn, Cont cont) {
  auto slot = std::make_shared<std::optional<T>>();
  self->request(w.db(), w.times.db_timeout, detail::make_job<T>(slot, std::move(fn)))
      .await(
          [slot, cont](const db_done& d) mutable {
            if (d.ok && slot->has_value())
              cont(std::move(**slot), std::string{});
            else
              cont(T{}, d.error.empty() ? std::string{"database job failed"} : d.error);
          },
          [self, cont](caf::error& err) mutable { cont(T{}, self->system().render(err)); });
}

}  // namespace rm::actors
