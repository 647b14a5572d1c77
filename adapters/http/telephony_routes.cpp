// Hybrid telephony (seed 001 §17): caller-ID verification, verified numbers, carrier forwarding
// configurations, the operator's view of live verification sessions, and Twilio's status callback
// for caller-ID registration. docs/api.md "Hybrid telephony" lists the shapes; docs/
// hybrid-telephony.md the rules. Verification goes through actors::verification_service (the
// session actors); the rest is plain SQL on the pool under the tenant (row-level security).
// Tenant routes go through add_tenant_route (JWT, then role; docs/security.md "Roles"): admin for
// what costs money or changes/removes a verified number or a forwarding, member for reads:
//   POST   /api/telephony/verify-caller-id/initiate        admin   paid SMS / call
//   POST   /api/telephony/verify-caller-id/confirm         admin   verifies the number
//   GET    /api/telephony/verified-numbers                 member
//   DELETE /api/telephony/verified-numbers/{id}            admin
//   POST   /api/telephony/verified-numbers/{id}/caller-id  admin   Twilio validation call (paid)
//   POST   /api/telephony/forwarding-config                admin
//   GET    /api/telephony/forwarding-config                member
//   POST   /api/telephony/forwarding-config/confirm        admin
//   DELETE /api/telephony/forwarding-config/{id}           admin   disables forwarding
#include <ctime>

#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/service.hpp"
#include "actors/verification_service.hpp"
#include "adapters/http/routes.hpp"
#include "adapters/twilio/request_validator.hpp"
#include "adapters/twilio/twilio_client.hpp"
#include "domain/calendar.hpp"
#include "domain/forwarding_codes.hpp"
#include "domain/tenant_id.hpp"
#include "persistence/repositories.hpp"
#include "persistence/verification_queries.hpp"

namespace rm::http {
namespace {

using nlohmann::json;

std::string iso_utc(std::int64_t epoch_seconds) { return domain::format_utc(epoch_seconds); }

// A verification answer: 200 with its body, or the failure's rm::ec as status (http_errors.hpp)
// with its specific code, field, extra members (attemptsRemaining) and Retry-After.
void send_result(httplib::Response& res, const actors::verification_result& r) {
  if (!r.failure) return send_json(res, 200, r.body);
  const auto& f = *r.failure;
  if (f.retry_after >= 0) res.set_header("Retry-After", std::to_string(f.retry_after));
  const auto h = http_of(f.kind);
  json err{{"code", f.code.empty() ? std::string{h.code} : f.code}, {"message", f.message}};
  if (!f.field.empty()) err["field"] = f.field;
  err.update(f.extra);
  send_json(res, h.status, {{"error", err}});
}

// A string field: absent → "", present but not a string → nullopt (the caller answers 400).
std::optional<std::string> string_field(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::string{};
  if (!it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

bool bad_field(httplib::Response& res, context& ctx, const std::string& field,
               const std::string& message) {
  ++ctx.counters.bad_request;
  send_error(res, 400, "invalid_field", message, field);
  return false;
}

// The request body as a JSON object; otherwise answers 400 (parse_body's, or invalid_field) and
// returns nullopt.
std::optional<json> object_body(const httplib::Request& req, httplib::Response& res, context& ctx) {
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return std::nullopt;
  if (!body.is_object()) {
    bad_field(res, ctx, "", "the body must be a JSON object");
    return std::nullopt;
  }
  return body;
}

// The URL Twilio signed: RINGMASTER_PUBLIC_URL (trailing '/' dropped) + the request target as
// received (path and raw query), as for every Twilio webhook (twilio_routes.cpp).
std::string caller_id_callback_url(const httplib::Request& req, const context& ctx) {
  auto base = ctx.options.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.empty()) base = "http://" + req.get_header_value("Host");
  return base + req.target;
}

actors::verification_service* facade(httplib::Response& res, context& ctx) {
  if (ctx.options.verification) return ctx.options.verification;
  send_error(res, 503, "unavailable", "caller-ID verification is not enabled on this server");
  return nullptr;
}

// A verification request: the facade (503 when verification is off) and the body as a JSON
// object (400 otherwise); nullopt once answered.
std::optional<std::pair<actors::verification_service*, json>> verification_request(
    const httplib::Request& req, httplib::Response& res, context& ctx) {
  auto* v = facade(res, ctx);
  if (!v) return std::nullopt;
  auto body = object_body(req, res, ctx);
  if (!body) return std::nullopt;
  return std::make_pair(v, std::move(*body));
}

json forwarding_json(const persistence::forwarding_row& f) {
  json j{{"id", f.id},
         {"verifiedCallerId", f.verified_caller_id},
         {"simPhoneNumber", f.sim_phone_number},
         {"forwardingType", f.forwarding_type},
         {"carrier", f.carrier},
         {"destinationNumber", f.destination},
         {"ringTimeSeconds", f.ring_time_seconds ? json(*f.ring_time_seconds) : json(nullptr)},
         {"generatedActivationCode", f.activation_code},
         {"generatedDeactivationCode", f.deactivation_code},
         {"statusCheckCode", f.status_check_code},
         {"instructions", json::parse(f.instructions_json)},
         {"notes", json::parse(f.notes_json)},
         {"status", f.status},
         {"userConfirmedSetup", f.user_confirmed_setup}};
  if (f.confirmed_at) j["confirmedAt"] = iso_utc(*f.confirmed_at);
  return j;
}

void create_forwarding(context& ctx, const httplib::Request& req, httplib::Response& res,
                       const principal& who) {
  auto parsed = object_body(req, res, ctx);
  if (!parsed) return;
  const auto& body = *parsed;
  auto caller_id = string_field(body, "verifiedCallerId");
  auto type = string_field(body, "forwardingType");
  auto carrier = string_field(body, "carrier");
  if (!caller_id || caller_id->empty())
    return (void)bad_field(res, ctx, "verifiedCallerId", "verifiedCallerId is required");
  if (!type || type->empty())
    return (void)bad_field(res, ctx, "forwardingType", "forwardingType is required");
  if (!carrier || carrier->empty())
    return (void)bad_field(res, ctx, "carrier", "carrier is required");
  std::optional<int> ring_time;
  if (auto it = body.find("ringTimeSeconds"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer())
      return (void)bad_field(res, ctx, "ringTimeSeconds", "ringTimeSeconds must be an integer");
    auto v = it->get<long long>();
    ring_time = static_cast<int>(std::max<long long>(-1000, std::min<long long>(1000, v)));
  }
  auto reject = [&](const domain::forwarding_rejection& r, const std::string& field) {
    ++ctx.counters.bad_request;
    send_error(res, 400, r.code, r.message, field);
  };
  auto parsed_carrier = domain::parse_carrier(*carrier);
  if (auto* r = std::get_if<domain::forwarding_rejection>(&parsed_carrier))
    return reject(*r, "carrier");
  auto parsed_mode = domain::parse_mode(*type);
  if (auto* r = std::get_if<domain::forwarding_rejection>(&parsed_mode))
    return reject(*r, "forwardingType");

  // An explicit destination is allowed only when it is the tenant's own active AI number.
  std::string destination_input;
  if (auto d = string_field(body, "destinationNumber"); !d) {
    return (void)bad_field(res, ctx, "destinationNumber", "destinationNumber must be a string");
  } else {
    destination_input = *d;
  }

  std::optional<persistence::caller_id_row> caller;
  std::optional<std::string> ai_number;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    caller = persistence::find_caller_id(tx, *caller_id);
    ai_number = persistence::active_ai_number(tx);
    return true;
  });
  if (!caller)
    return send_error(res, 404, "not_found", "no such verified number", "verifiedCallerId");
  if (caller->status != "verified")
    return send_error(res, 409, "number_not_verified",
                      "the number must be verified before forwarding is set up",
                      "verifiedCallerId");
  if (!ai_number)
    return send_error(res, 409, "no_ai_number", "the clinic has no active AI number to forward to");

  domain::forwarding_request fr;
  fr.carrier_kind = std::get<domain::carrier>(parsed_carrier);
  fr.mode = std::get<domain::forwarding_mode>(parsed_mode);
  fr.destination = destination_input.empty() ? *ai_number : destination_input;
  fr.ring_time_seconds = ring_time;
  auto result = domain::generate_forwarding_codes(fr);
  if (auto* r = std::get_if<domain::forwarding_rejection>(&result)) {
    bool ring = r->code.rfind("ring_time", 0) == 0;
    return reject(*r, ring ? "ringTimeSeconds" : "destinationNumber");
  }
  auto& codes = std::get<domain::forwarding_codes>(result);

  persistence::forwarding_row row;
  row.org_id = who.org_id;
  row.verified_caller_id = caller->id;
  row.sim_phone_number = caller->phone_number;
  row.forwarding_type = domain::to_string(fr.mode);
  row.carrier = domain::to_string(fr.carrier_kind);
  row.destination = codes.destination_e164;
  // The code carries T only for GSM safety_net; elsewhere the value was ignored (see notes).
  bool uses_ring_time = fr.mode == domain::forwarding_mode::safety_net &&
                        fr.carrier_kind != domain::carrier::verizon;
  if (uses_ring_time) row.ring_time_seconds = ring_time;
  row.activation_code = codes.activation;
  row.deactivation_code = codes.deactivation;
  row.status_check_code = codes.status_check;
  row.instructions_json = json(codes.instructions).dump();
  row.notes_json = json(codes.notes).dump();

  bool own_number = true;
  persistence::insert_forwarding_error error = persistence::insert_forwarding_error::none;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    own_number = persistence::is_active_ai_number(tx, codes.destination_e164);
    if (own_number) error = persistence::insert_forwarding(tx, row);
    return true;
  });
  if (!own_number) {
    ++ctx.counters.bad_request;
    return send_error(res, 400, "destination_not_own_ai_number",
                      "calls can only be forwarded to the clinic's own active AI number",
                      "destinationNumber");
  }
  if (error == persistence::insert_forwarding_error::live_config_exists)
    return send_error(res, 409, "forwarding_config_exists",
                      "this number already has a forwarding configuration; disable it first",
                      "verifiedCallerId");
  send_json(res, 201, {{"success", true}, {"config", forwarding_json(row)}});
}

void initiate_verification(context& ctx, const httplib::Request& req, httplib::Response& res,
                           const principal& who) {
  auto in = verification_request(req, res, ctx);
  if (!in) return;
  const auto& [v, body] = *in;
  auto phone = string_field(body, "phoneNumber");
  auto name = string_field(body, "friendlyName");
  auto channel = string_field(body, "channel");
  if (!phone || phone->empty())
    return (void)bad_field(res, ctx, "phoneNumber", "phoneNumber is required");
  if (!name) return (void)bad_field(res, ctx, "friendlyName", "must be a string");
  if (!channel) return (void)bad_field(res, ctx, "channel", "channel must be \"call\" or \"sms\"");
  if (name->size() > 64) return (void)bad_field(res, ctx, "friendlyName", "at most 64 characters");
  send_result(res, v->initiate(who.org_id, *phone, *name, channel->empty() ? "sms" : *channel));
}

void confirm_verification(context& ctx, const httplib::Request& req, httplib::Response& res,
                          const principal& who) {
  auto in = verification_request(req, res, ctx);
  if (!in) return;
  const auto& [v, body] = *in;
  auto id = string_field(body, "verificationId");
  auto code = string_field(body, "verificationCode");
  if (!id) return (void)bad_field(res, ctx, "verificationId", "must be a string");
  if (!code) return (void)bad_field(res, ctx, "verificationCode", "must be a string");
  send_result(res, v->confirm(who.org_id, *id, *code));
}

void list_verified_numbers(context& ctx, const httplib::Request&, httplib::Response& res,
                           const principal& who) {
  std::vector<persistence::caller_id_row> rows;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    rows = persistence::list_caller_ids(tx);
    return true;
  });
  json numbers = json::array();
  for (const auto& r : rows)
    numbers.push_back(
        {{"id", r.id},
         {"phoneNumber", r.phone_number},
         {"friendlyName", r.friendly_name.empty() ? json(nullptr) : json(r.friendly_name)},
         {"status", r.status},
         {"verifiedAt", r.verified_at ? json(iso_utc(*r.verified_at)) : json(nullptr)},
         {"hasForwardingConfig", r.has_forwarding_config},
         {"twilioCallerIdStatus",
          r.twilio_validation_status.empty() ? json(nullptr) : json(r.twilio_validation_status)}});
  send_json(res, 200, {{"success", true}, {"numbers", numbers}});
}

void delete_verified_number(context& ctx, const httplib::Request& req, httplib::Response& res,
                            const principal& who) {
  std::string id = req.matches[1];
  bool deleted = false;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    deleted = persistence::delete_caller_id(tx, id);
    return true;
  });
  if (!deleted) return send_error(res, 404, "not_found", "no such verified number");
  if (ctx.options.verification) ctx.options.verification->forget(id);
  send_json(res, 200, {{"success", true}, {"message", "Verified number removed"}});
}

void register_caller_id(context& ctx, const httplib::Request& req, httplib::Response& res,
                        const principal& who) {
  auto* v = facade(res, ctx);
  if (!v) return;
  send_result(res, v->register_caller_id(who.org_id, req.matches[1]));
}

void get_forwarding(context& ctx, const httplib::Request& req, httplib::Response& res,
                    const principal& who) {
  auto caller_id = req.get_param_value("verifiedCallerId");
  if (caller_id.empty())
    return (void)bad_field(res, ctx, "verifiedCallerId", "verifiedCallerId is required");
  std::vector<persistence::forwarding_row> rows;
  bool known = false;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    known = persistence::find_caller_id(tx, caller_id).has_value();
    if (known) rows = persistence::forwarding_for_caller_id(tx, caller_id);
    return true;
  });
  // Another tenant's number is as unknown as one that never existed.
  if (!known)
    return send_error(res, 404, "not_found", "no such verified number", "verifiedCallerId");
  // The live configuration is "config" (seed 001); every one, disabled included, is
  // in "configs".
  json all = json::array();
  json live = nullptr;
  for (const auto& r : rows) {
    all.push_back(forwarding_json(r));
    if (r.status != "disabled") live = forwarding_json(r);
  }
  send_json(res, 200, {{"success", true}, {"config", live}, {"configs", all}});
}

void confirm_forwarding(context& ctx, const httplib::Request& req, httplib::Response& res,
                        const principal& who) {
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  auto id =
      body.is_object() ? string_field(body, "forwardingConfigId") : std::optional<std::string>{};
  if (!id || id->empty())
    return (void)bad_field(res, ctx, "forwardingConfigId", "forwardingConfigId is required");
  std::optional<persistence::forwarding_row> row;
  auto now = ctx.options.verification ? ctx.options.verification->now_epoch()
                                      : static_cast<std::int64_t>(std::time(nullptr));
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    row = persistence::find_forwarding(tx, *id);
    if (row && row->status == "pending_setup")
      persistence::set_forwarding_status(tx, *id, "active", now);
    return true;
  });
  if (!row) return send_error(res, 404, "not_found", "no such forwarding config");
  if (row->status == "disabled")
    return send_error(res, 409, "forwarding_disabled",
                      "this configuration was disabled; create a new one");
  send_json(res, 200,
            {{"success", true},
             {"message", "Setup confirmed! Your calls are now forwarding to the AI."},
             {"status", "active"}});
}

void disable_forwarding(context& ctx, const httplib::Request& req, httplib::Response& res,
                        const principal& who) {
  std::string id = req.matches[1];
  std::optional<persistence::forwarding_row> row;
  auto now = ctx.options.verification ? ctx.options.verification->now_epoch()
                                      : static_cast<std::int64_t>(std::time(nullptr));
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    row = persistence::find_forwarding(tx, id);
    if (row) persistence::set_forwarding_status(tx, id, "disabled", now);
    return true;
  });
  if (!row) return send_error(res, 404, "not_found", "no such forwarding config");
  send_json(res, 200,
            {{"success", true},
             {"status", "disabled"},
             {"deactivationCode", row->deactivation_code},
             {"message",
              "Forwarding disabled in ringmaster. To stop forwarding on "
              "the phone, dial: " +
                  row->deactivation_code}});
}

}  // namespace

void add_telephony_routes(httplib::Server& srv, context& ctx) {
  add_tenant_table(
      srv, ctx,
      {
          {"POST", "/api/telephony/verify-caller-id/initiate", "admin", initiate_verification},
          {"POST", "/api/telephony/verify-caller-id/confirm", "admin", confirm_verification},
          {"GET", "/api/telephony/verified-numbers", "member", list_verified_numbers},
          {"DELETE", "/api/telephony/verified-numbers/{id}", "admin", delete_verified_number},
          {"POST", "/api/telephony/verified-numbers/{id}/caller-id", "admin", register_caller_id},
          {"POST", "/api/telephony/forwarding-config", "admin", create_forwarding},
          {"GET", "/api/telephony/forwarding-config", "member", get_forwarding},
          {"POST", "/api/telephony/forwarding-config/confirm", "admin", confirm_forwarding},
          {"DELETE", "/api/telephony/forwarding-config/{id}", "admin", disable_forwarding},
      });

  // Twilio's StatusCallback for OutgoingCallerIds (form: VerificationStatus, OutgoingCallerIdSid),
  // signed with the tenant's auth token (the account that registered the caller ID; no platform
  // fallback). Verified like the other Twilio webhooks (twilio_routes.cpp): no signature → 401;
  // a signature over anything but the public URL with its query + the form fields → 403; either
  // way nothing is read beyond the tenant's token and nothing changes.
  add_route(srv, ctx, "POST",
            "/webhooks/twilio/caller-id/{org_id:[0-9a-fA-F-]{36}}/{id:[0-9a-fA-F-]{36}}",
            route_auth::twilio, [&ctx](const httplib::Request& req, httplib::Response& res) {
              auto* v = facade(res, ctx);
              if (!v) return;
              const auto org = domain::canonical_tenant_id(req.matches[1]);
              const auto id = domain::canonical_tenant_id(req.matches[2]);  // a UUID too
              const auto url = caller_id_callback_url(req, ctx);
              const auto signature = req.get_header_value("X-Twilio-Signature");
              auto refuse = [&](int status, const std::string& reason,
                                const std::string& message) {
                ctx.counters.count_auth_failure("twilio:" + reason);
                spdlog::warn("{} {}: Twilio signature refused ({}) for URL '{}'", req.method,
                             req.path, reason, url);
                send_error(res, status, status == 401 ? "unauthorized" : "forbidden", message);
              };
              if (signature.empty())
                return refuse(401, "missing", "the X-Twilio-Signature header is required");
              std::optional<persistence::twilio_account> account;
              in_tenant(ctx, org, [&](pqxx::work& tx) {
                account = persistence::load_twilio_account(tx, org);
                return true;
              });
              if (!account || account->auth_token.empty())
                return refuse(403, "no_token",
                              "no Twilio auth token is configured to verify this request");
              // The form fields from the raw body only: httplib's req.params also holds the
              // query, which Twilio signs as part of the URL, never as fields.
              auto form = twilio::form_decode(req.body);
              auto check = twilio::validate_request(account->auth_token, url, form, signature);
              if (!check.valid)
                return refuse(403, check.reason == "signature_mismatch" ? "mismatch" : check.reason,
                              "the X-Twilio-Signature does not match this request");
              std::string status, sid;
              for (const auto& [k, val] : form) {
                if (k == "VerificationStatus") status = val;
                if (k == "OutgoingCallerIdSid") sid = val;
              }
              if (!form_text_ok(form, res, ctx)) return;  // not UTF-8 or NUL → 400
              if (status.empty()) {
                ++ctx.counters.bad_request;
                return send_error(res, 400, "missing_field", "VerificationStatus is required",
                                  "VerificationStatus");
              }
              v->caller_id_status(org, id, status, sid);
              res.status = 204;
            });

  add_route(srv, ctx, "GET", "/sessions/verifications", route_auth::operator_token,
            [&ctx](const httplib::Request& req, httplib::Response& res) {
              if (!require_operator(req, res, ctx)) return;
              auto* v = facade(res, ctx);
              if (!v) return;
              send_json(res, 200, {{"sessions", json::parse(v->live_sessions_json())}});
            });
}

}  // namespace rm::http
