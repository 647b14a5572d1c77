// rm::ec (domain/errors.hpp) as a CAF 0.17 error: category atom "rm", code = the enumerator's
// value, context = one std::string (the human sentence), or (std::string sentence,
// std::int64_t retry_after_ms) when the error says when to try again (make_retry_error). Actors reply failures as caf::error
// made here (`return make_error(ec::not_found, "no call " + id);` from a caf::result<T>
// handler, or rp.deliver(make_error(...))); callers read the kind back with ec_of and the
// sentence with message_of. Nothing here knows HTTP: adapters/http/http_errors.hpp maps ec.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/sec.hpp>

#include "domain/errors.hpp"

namespace caf {
class actor_system_config;
}

namespace rm {

// The category atom of rm::ec errors (at most 10 characters in CAF 0.17).
inline constexpr caf::atom_value ec_category = caf::atom("rm");

// Found by argument-dependent lookup: caf::error{ec::timeout}, caf::expected<T>{ec::…} and
// caf::result<T>{ec::…} all work. The sentence goes into the error's context.
inline caf::error make_error(ec x) {
  return caf::error{static_cast<std::uint8_t>(x), ec_category};
}
inline caf::error make_error(ec x, std::string message) {
  return caf::error{static_cast<std::uint8_t>(x), ec_category,
                    caf::make_message(std::move(message))};
}
// An error that also says when the same request may be tried again (an open circuit breaker:
// ec::provider_unavailable with the cool-off left). Context: (std::string sentence,
// std::int64_t retry_after_ms), retry_after_ms >= 0 in milliseconds; read it back with
// actors::retry_after_of. message_of / describe / render still give the sentence.
inline caf::error make_retry_error(ec x, std::string message, std::int64_t retry_after_ms) {
  return caf::error{static_cast<std::uint8_t>(x), ec_category,
                    caf::make_message(std::move(message), retry_after_ms)};
}

}  // namespace rm

namespace rm::actors {

// Registers the "rm" category with the actor system, so actor_system::render(err) prints
// "rm::not_found: <sentence>" instead of a bare code. Call before constructing the system
// (service does; tests that render errors do too).
void register_errors(caf::actor_system_config& cfg);

// The kind of any caf::error: its rm::ec for category "rm"; for CAF's own errors,
// sec::request_timeout → timeout, and every other (a dead actor, an unexpected message, an
// exception in a handler) → unavailable. nullopt when `err` is no error.
std::optional<ec> ec_of(const caf::error& err);
// The sentence of an rm error (its context string); for CAF's own errors, CAF's text of them
// ("request_timeout", …) so a log line still says what happened.
std::string message_of(const caf::error& err);
// The retry-after of an error made by make_retry_error, in milliseconds; nullopt for any other
// error (no retry-after was given).
std::optional<std::int64_t> retry_after_ms_of(const caf::error& err);
// "<ec name>: <sentence>" without needing the actor system (e.g. for a tool result's detail).
std::string describe(const caf::error& err);

}  // namespace rm::actors
