// Shared by the dashboard action route files (action_routes.cpp: follow-up, transcript export,
// appointment reminder and the route table; share_routes.cpp: recording share links): how one
// outbound message is handed to its provider through the provider port (SMS with the tenant's
// own Twilio account, e-mail through the deployment's SMTP server), how its outcome becomes the
// messages row and the HTTP answer, and the handlers each file defines. No CAF.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/provider_port.hpp"
#include "actors/service.hpp"
#include "adapters/http/routes.hpp"
#include "persistence/records.hpp"
#include "persistence/repositories.hpp"

namespace rm::http::actions_detail {

using nlohmann::json;

// What became of one message handed to a provider.
struct delivery {
  bool sent = false;
  std::string external_id;  // Twilio's SM… sid, or the e-mail's Message-ID, when sent
  std::string error_code;   // when not sent: Twilio's code, "http_<status>", "smtp_<code>",
                            // "breaker_open", "no_answer"
  std::string error_message;
  std::optional<actors::provider_unavailable> breaker_open;  // the tenant's breaker refused it
  bool no_answer = false;  // the adapter did not answer in time (the outcome is unknown)
};

// One SMS from `from` to `to` with the tenant's own Twilio account.
delivery deliver_sms(context& ctx, const std::string& org_id,
                     const persistence::twilio_account& account, const std::string& from,
                     const std::string& to, const std::string& body);
// One e-mail through RINGMASTER_SMTP_URL.
delivery deliver_email(context& ctx, const std::string& org_id, const std::string& to,
                       const std::string& subject, const std::string& text);
// The reserved messages row (status 'sending') with the delivery's outcome: sent (external id,
// sent_at now) or failed (error code and sentence).
void apply_outcome(persistence::message_row& row, const delivery& d);
// The answer to a delivery that did not go out: 503 provider_unavailable (breaker open, with
// Retry-After), 504 provider_timeout (no answer: it may still go out), else 502 with code
// `provider_code` ("twilio_error" | "smtp_error") and the provider's sentence.
void send_delivery_error(httplib::Response& res, const delivery& d, const std::string& what,
                         const char* provider_code);

// 503 not_configured (and false) when the deployment has no RINGMASTER_SMTP_URL.
bool smtp_configured(context& ctx, httplib::Response& res);
// 409 no_twilio_account: the clinic has not connected its Twilio account.
void send_no_twilio(httplib::Response& res);
// Number of Unicode code points in UTF-8 `s` (the body is already valid UTF-8: json_guard).
std::size_t code_points(const std::string& s);
// {"field": "…"} of the body as a string: nullopt when absent; false when present but not a
// string (400 sent).
bool string_field(const json& body, const char* name, std::optional<std::string>& out,
                  httplib::Response& res);
// The base of links to this server: RINGMASTER_PUBLIC_URL without a trailing '/', else the
// listen address (http://host:port).
std::string public_base(const context& ctx);

// action_routes.cpp
void followup(context&, const httplib::Request&, httplib::Response&, const principal&);
void export_transcript(context&, const httplib::Request&, httplib::Response&, const principal&);
void send_reminder(context&, const httplib::Request&, httplib::Response&, const principal&);
// share_routes.cpp
void share_recording(context&, const httplib::Request&, httplib::Response&, const principal&);
void open_share_link(context&, const httplib::Request&, httplib::Response&);

}  // namespace rm::http::actions_detail
