#include "adapters/http/http_errors.hpp"

#include "actors/service.hpp"

namespace rm::http {

http_error http_of(rm::ec kind) {
  switch (kind) {
    case ec::invalid_argument: return {400, "invalid_field"};
    case ec::malformed_request: return {400, "bad_request"};
    case ec::unauthenticated: return {401, "unauthorized"};
    case ec::forbidden: return {403, "forbidden"};
    case ec::not_found: return {404, "not_found"};
    case ec::conflict: return {409, "conflict"};
    case ec::expired: return {410, "expired"};
    case ec::payload_too_large: return {413, "payload_too_large"};
    case ec::locked: return {423, "locked"};
    case ec::rate_limited: return {429, "too_many_requests"};
    case ec::internal: return {500, "internal_error"};
    case ec::not_supported: return {501, "not_implemented"};
    case ec::provider_rejected: return {502, "provider_rejected"};
    case ec::provider_failed: return {502, "provider_failed"};
    case ec::provider_unavailable: return {503, "provider_unavailable"};
    case ec::not_configured: return {503, "not_configured"};
    case ec::database_unavailable: return {503, "unavailable"};
    case ec::unavailable: return {503, "unavailable"};
    case ec::timeout: return {503, "unavailable"};
    case ec::provider_timeout: return {504, "provider_timeout"};
    case ec::unprocessable: return {422, "unprocessable"};
    case ec::last_: break;
  }
  return {500, "internal_error"};  // a value outside the enum
}

const char* code_for_status(int status) {
  // The generic kind of each status httplib answers by itself.
  switch (status) {
    case 400: return http_of(ec::malformed_request).code;
    case 401: return http_of(ec::unauthenticated).code;
    case 404: return http_of(ec::not_found).code;
    case 405: return "method_not_allowed";
    case 413: return http_of(ec::payload_too_large).code;
    case 429: return http_of(ec::rate_limited).code;
    case 503: return http_of(ec::unavailable).code;
    default: return status >= 500 ? http_of(ec::internal).code : "error";
  }
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  // Replace, not throw: an answer may quote request text (a path segment) that is not UTF-8.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message, const std::string& field) {
  nlohmann::json err{{"code", code}, {"message", message}};
  if (!field.empty()) err["field"] = field;
  send_json(res, status, {{"error", err}});
}

void send_error(httplib::Response& res, rm::ec kind, const std::string& message,
                const std::string& field, const char* code) {
  const auto h = http_of(kind);
  send_error(res, h.status, code ? code : h.code, message, field);
}

void send_service_error(httplib::Response& res, const actors::service_error& e) {
  const auto h = http_of(e.code);
  if (h.status == 503)
    return send_error(res, e.code, "the service could not complete the request in time");
  if (h.status >= 500) return send_error(res, e.code, "internal error");
  send_error(res, e.code, e.what());
}

void send_provider_unavailable(httplib::Response& res, const actors::provider_unavailable& e,
                               const std::string& message) {
  res.set_header("Retry-After", std::to_string(e.retry_after.count()));
  send_error(res, e.code, message.empty() ? std::string{e.what()} : message);
}

}  // namespace rm::http
