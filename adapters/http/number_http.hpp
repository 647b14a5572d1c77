// actors::number_result (typed: rm::ec + code + message + field + retry_after, or a success's
// outcome and body) as HTTP, for the routes that answer it or read it: /api/phone-numbers*
// (number_routes.cpp) and the agent provisioning that buys a number (agent_routes.cpp).
// The status of a failure comes from http_of(kind) (http_errors.hpp); a success is 200, 201
// (number_outcome::created) or 202 (number_outcome::accepted).
#pragma once

#include <nlohmann/json.hpp>

#include "actors/number_service.hpp"
#include "adapters/http/http_errors.hpp"

namespace rm::http {

struct number_http {
  int status = 200;
  nlohmann::json body;   // the success's body, or {"error":{"code","message"[,"field"]}}
  int retry_after = -1;  // seconds; >= 0 → a Retry-After header
};

inline number_http to_http(const actors::number_result& r) {
  if (r.error) {
    const auto& e = *r.error;
    const auto h = http_of(e.kind);
    nlohmann::json err{{"code", e.code.empty() ? std::string{h.code} : e.code},
                       {"message", e.message}};
    if (!e.field.empty()) err["field"] = e.field;
    return {h.status, {{"error", err}}, e.retry_after};
  }
  switch (r.outcome) {
    case actors::number_outcome::created: return {201, r.body, -1};
    case actors::number_outcome::accepted: return {202, r.body, -1};
    case actors::number_outcome::done: break;
  }
  return {200, r.body, -1};
}

}  // namespace rm::http
