// The ONE place where a failure kind (rm::ec, domain/errors.hpp) becomes an HTTP answer: the
// status and the error body {"error":{"code","message"[,"field"]}} of docs/api.md "Errors".
// Route handlers answer failures through send_error(res, ec, …); the server's exception handler
// answers a thrown service_error / provider_unavailable through send_service_error /
// send_provider_unavailable. actors/ never sees HTTP: it replies rm::ec errors.
//
// rm::ec → status, default error.code (a route may name a more specific code, same status):
//   invalid_argument 400 invalid_field      malformed_request 400 bad_request
//   unauthenticated  401 unauthorized       forbidden         403 forbidden
//   not_found        404 not_found          conflict          409 conflict
//   expired          410 expired            payload_too_large 413 payload_too_large
//   locked           423 locked             rate_limited      429 too_many_requests
//   internal         500 internal_error     not_supported     501 not_implemented
//   provider_rejected 502 provider_rejected provider_failed   502 provider_failed
//   provider_unavailable 503 provider_unavailable (+ Retry-After)
//   not_configured   503 not_configured     database_unavailable 503 unavailable
//   unavailable      503 unavailable        timeout           503 unavailable
//   provider_timeout 504 provider_timeout   unprocessable     422 unprocessable
#pragma once

#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "domain/errors.hpp"

namespace rm::actors {
struct service_error;
struct provider_unavailable;
}  // namespace rm::actors

namespace rm::http {

struct http_error {
  int status;        // 4xx / 5xx
  const char* code;  // the default error.code (snake_case)
};
// The status and default code of `kind` (table above). Total: every enumerator has one.
http_error http_of(rm::ec kind);
// The code the server answers for a status httplib produced itself (no route ran: 404 for an
// unknown path, 413 for a body too large, …): the default code of the ec with that status when
// there is one, else "method_not_allowed" (405), "internal_error" (other 5xx) or "error".
const char* code_for_status(int status);

void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// {"error":{"code","message"[, "field"]}} with `status` (for route-specific codes not yet
// expressed as an rm::ec; prefer the overload below).
void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const std::string& field = "");
// The error body for `kind`: its status and default code (or `code` when given, e.g.
// send_error(res, ec::conflict, "…", "numbers", "number_taken")).
void send_error(httplib::Response& res, rm::ec kind, const std::string& message,
                const std::string& field = "", const char* code = nullptr);
// A service_error (the actors or the database failed): by its code. 5xx kinds get a fixed
// sentence (the cause is for the log, not the client: "the service could not complete the
// request in time"); 4xx kinds (an actor replied e.g. ec::not_found) get the error's what().
void send_service_error(httplib::Response& res, const actors::service_error& e);
// 503 provider_unavailable with Retry-After: the tenant's breaker for that provider is open.
// `message` is the route's sentence; "" uses the exception's what().
void send_provider_unavailable(httplib::Response& res, const actors::provider_unavailable& e,
                               const std::string& message = "");

}  // namespace rm::http
