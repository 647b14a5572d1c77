// Twilio webhooks (../shared/contracts/twilio.md §1–§2; docs/telephony.md "Twilio webhooks"):
//   POST /webhooks/twilio/voice   incoming call → TwiML (text/xml): <Dial><Sip> to the agent,
//                                 else <Dial> to the front desk, else <Say> + <Hangup/>;
//                                 an unknown or inactive number → <Reject/>
//   POST /webhooks/twilio/status  CallStatus callback → one call event through the call actor
//                                 (the state machine Vapi's status-updates use), <Response/>
//   POST /webhooks/twilio/sms     inbound SMS → `messages` once per MessageSid; STOP / START set
//                                 the sender's opt-out; <Response/>
//
// Order of work, the same for the three routes. Why: a forged or unsigned request must cause no
// work and no rows, and a number of no tenant must cause no rows.
//   1. No X-Twilio-Signature header → 401 "twilio:missing", before anything else is read.
//   2. The dialled number (To; From for an outbound call's status) → its owner: the tenant whose
//      number is active, else the tenant that last held it (rm_number_owner), so a request for a
//      released number is still verified with the right token. The verifying token is the
//      owner's own Twilio auth token (org_credentials, decrypted, read under its row-level
//      security); the platform token RINGMASTER_TWILIO_AUTH_TOKEN when the owner has no Twilio
//      account or nobody ever held the number. Exactly one token is tried: Twilio signs with the token of the
//      account that owns the number. This step only reads.
//   3. The signature over the public URL (below) and the form → 403 when it does not match
//      ("twilio:mismatch", "twilio:body_hash_mismatch", "twilio:missing_body_hash"), or when
//      there is no token to verify with ("twilio:no_token").
//   4. Only then the route's own checks (400 bad_request naming the field when a field's name
//      or value is not UTF-8 or holds NUL (%00); 400 for a missing or malformed field) and, for a
//      number that is unknown or inactive, <Reject/> (voice) or 404 unknown_number (status,
//      sms), with nothing written.
//
// The URL verified is RINGMASTER_PUBLIC_URL (server_options::public_url, trailing '/' dropped) +
// the request target exactly as received (path and raw query), so signatures verify behind a
// proxy or tunnel that rewrites the host, scheme or port (a proxy that strips a path prefix is
// covered by putting the prefix in the public URL). Without a public URL the URL is rebuilt as
// "http://" + Host header + target, which is right only when Twilio reaches this process directly
// over plain HTTP.
//
// Failed signatures are counted per reason (server_counters::count_auth_failure) and logged, but
// not fed to the per-address failed-authentication throttle: every tenant's webhooks come from
// Twilio's shared addresses, so one tenant with a wrong token would otherwise get every other
// tenant's calls refused with 429.
//
// Bodies: application/x-www-form-urlencoded (Twilio's webhooks) is decoded from the raw body with
// twilio::form_decode, never from req.params (httplib merges the query into it, and a query
// parameter must not be signed as a form field). application/json is the bodySHA256 variant:
// the signature covers the URL, the body's SHA-256 must equal bodySHA256, and the fields are the
// body's top-level strings and numbers.
#include <ctime>
#include <optional>

#include <spdlog/spdlog.h>

#include "actors/service.hpp"
#include "adapters/http/routes.hpp"
#include "adapters/twilio/request_validator.hpp"
#include "adapters/twilio/twilio_client.hpp"
#include "adapters/twilio/twiml.hpp"
#include "domain/call_lifecycle.hpp"
#include "domain/e164.hpp"
#include "persistence/repositories.hpp"
#include "persistence/twilio_queries.hpp"

namespace rm::http {

namespace {

using nlohmann::json;
namespace p = rm::persistence;

const char* apology =
    "Sorry, this clinic cannot take your call right now. Please call again later. Goodbye.";

// A verified webhook: its fields and the tenant of its number.
struct twilio_request {
  twilio::params form;
  std::string number;  // the dialled number, E.164 ("" when not a valid number)
  std::string org_id;  // its owner; "" when nobody ever held the number
  bool active = false;  // the number is active for org_id
  p::voice_destinations destinations;  // the owner's, when active

  std::string field(const std::string& name) const {
    for (const auto& [k, v] : form)
      if (k == name) return v;
    return "";
  }
  bool has(const std::string& name) const {
    for (const auto& kv : form)
      if (kv.first == name) return true;
    return false;
  }
  bool known() const { return active && !org_id.empty(); }
};

bool is_json(const httplib::Request& req) {
  return req.get_header_value("Content-Type").rfind("application/json", 0) == 0;
}

// The fields of a form body, or of a JSON body parsed with json_guard (a refused JSON body has
// no fields, and `refused` says why: answered after the signature check).
twilio::params fields_of(const httplib::Request& req, json_guard::parsed& refused) {
  if (!is_json(req)) return twilio::form_decode(req.body);
  twilio::params out;
  auto parsed = json_guard::parse(req.body);
  if (!parsed.ok()) {
    refused.status = parsed.status;
    return out;
  }
  const json& j = parsed.value;
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items()) {
    if (v.is_string())
      out.emplace_back(k, v.get<std::string>());
    else if (v.is_number() || v.is_boolean())
      out.emplace_back(k, v.dump());
  }
  return out;
}

std::string url_of(const httplib::Request& req, const context& ctx) {
  auto base = ctx.options.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.empty()) base = "http://" + req.get_header_value("Host");
  return base + req.target;
}

void refuse(const httplib::Request& req, httplib::Response& res, context& ctx, int status,
            const std::string& reason, const std::string& message, const std::string& url) {
  ctx.counters.count_auth_failure("twilio:" + reason);
  spdlog::warn("{} {}: Twilio signature refused ({}) for URL '{}'", req.method, req.path, reason,
               url);
  send_error(res, status, status == 401 ? "unauthorized" : "forbidden", message);
}

// Steps 1–3 above. Answers the request itself and returns nullopt when it is refused.
std::optional<twilio_request> verified(const httplib::Request& req, httplib::Response& res,
                                       context& ctx, bool number_from_outbound_leg) {
  const auto url = url_of(req, ctx);
  const auto signature = req.get_header_value("X-Twilio-Signature");
  if (signature.empty()) {
    refuse(req, res, ctx, 401, "missing", "the X-Twilio-Signature header is required", url);
    return std::nullopt;
  }
  twilio_request t;
  json_guard::parsed refused;
  t.form = fields_of(req, refused);
  auto dialled = t.field("To");
  if (number_from_outbound_leg && t.field("Direction").rfind("outbound", 0) == 0)
    dialled = t.field("From");  // a call the clinic placed: its number is the caller's
  auto parsed = domain::normalize_e164(dialled, "US");
  if (parsed.ok) t.number = parsed.e164;

  std::string token;
  ctx.service.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    if (auto owner = p::find_number_owner(tx, t.number)) {
      t.org_id = owner->org_id;
      t.active = owner->active;
      p::set_tenant(tx, t.org_id);
      if (auto account = p::load_twilio_account(tx, t.org_id)) token = account->auth_token;
      if (t.active) t.destinations = p::load_voice_destinations(tx, t.org_id);
    }
    tx.commit();
  });
  if (token.empty()) token = ctx.options.twilio_auth_token;
  if (token.empty()) {
    refuse(req, res, ctx, 403, "no_token",
           "no Twilio auth token is configured to verify this request", url);
    return std::nullopt;
  }
  auto v = is_json(req) ? twilio::validate_request(token, url, {}, signature, &req.body)
                        : twilio::validate_request(token, url, t.form, signature);
  if (!v.valid) {
    auto reason = v.reason == "signature_mismatch" ? std::string{"mismatch"} : v.reason;
    refuse(req, res, ctx, 403, reason, "the X-Twilio-Signature does not match this request",
           url);
    return std::nullopt;
  }
  // Input limits (docs/security.md): a JSON body json_guard refused, or a field that is not
  // UTF-8 or holds NUL (%00) → 400 before anything is stored.
  if (!refused.ok()) {
    send_unparsable(res, ctx, refused);
    return std::nullopt;
  }
  if (!form_text_ok(t.form, res, ctx)) return std::nullopt;
  return t;
}

void send_twiml(httplib::Response& res, const std::string& twiml) {
  res.status = 200;
  res.set_content(twiml, "text/xml");
}

void unknown_number(context& ctx, const char* route, const twilio_request& t) {
  auto n = ++ctx.counters.unknown_number;
  spdlog::warn("twilio {}: number '{}' belongs to no tenant{}; refused ({} so far)", route,
               t.number.empty() ? t.field("To") : t.number,
               t.org_id.empty() ? "" : " (no longer active)", n);
}

bool require_field(httplib::Response& res, context& ctx, const twilio_request& t,
                   const std::string& name) {
  if (!t.field(name).empty()) return true;
  ++ctx.counters.bad_request;
  send_error(res, 400, "missing_field", name + " is required", name);
  return false;
}

// Digits only (Twilio's SequenceNumber, CallDuration); nullopt when absent or malformed.
std::optional<long long> digits(const std::string& s) {
  if (s.empty() || s.size() > 15) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  return std::stoll(s);
}

// Twilio's Timestamp (RFC 2822, "Sun, 25 Mar 2018 09:53:19 +0000") → epoch ms; 0 when absent or
// unreadable (the state machine then orders by state alone).
std::int64_t timestamp_ms(const std::string& s) {
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S %z", &tm);
  if (end == nullptr || *end != '\0') return 0;
  auto offset = tm.tm_gmtoff;
  auto t = timegm(&tm);
  return t < 0 ? 0 : static_cast<std::int64_t>(t - offset) * 1000;
}

json payload_of(const twilio::params& form) {
  json out = json::object();
  for (const auto& [k, v] : form) {
    if (!out.contains(k))
      out[k] = v;
    else if (out[k].is_array())
      out[k].push_back(v);
    else
      out[k] = json::array({out[k], v});
  }
  return out;
}

// ---- the three routes ---------------------------------------------------------------------------

void on_voice(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto t = verified(req, res, ctx, false);
  if (!t) return;
  if (!t->known()) {  // <Reject/> first: the call is not answered and nothing is written
    unknown_number(ctx, "voice", *t);
    return send_twiml(res, twilio::twiml_reject());
  }
  const auto& d = t->destinations;
  if (!d.agent_sip_uri.empty()) return send_twiml(res, twilio::twiml_dial_sip(d.agent_sip_uri));
  if (!d.fallback_number.empty())
    return send_twiml(res, twilio::twiml_dial_number(d.fallback_number));
  spdlog::warn("twilio voice: tenant {} has neither an agent SIP URI nor a fallback number; "
               "the caller hears an apology", t->org_id);
  send_twiml(res, twilio::twiml_say_hangup(apology));
}

void on_status(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto t = verified(req, res, ctx, true);
  if (!t) return;
  if (!require_field(res, ctx, *t, "CallSid") || !require_field(res, ctx, *t, "CallStatus"))
    return;
  auto mapped = domain::from_twilio_call_status(t->field("CallStatus"));
  if (!mapped) {
    ++ctx.counters.bad_request;
    return send_error(res, 400, "invalid_field",
                      "CallStatus '" + t->field("CallStatus") + "' is not a Twilio call status",
                      "CallStatus");
  }
  auto sequence = digits(t->field("SequenceNumber"));
  auto duration = digits(t->field("CallDuration"));
  for (auto [name, value] : {std::pair{"SequenceNumber", &sequence},
                             std::pair{"CallDuration", &duration}}) {
    if (t->has(name) && !t->field(name).empty() && !*value) {
      ++ctx.counters.bad_request;
      return send_error(res, 400, "invalid_field",
                        std::string{name} + " must be a non-negative integer", name);
    }
  }
  if (!t->known()) {
    unknown_number(ctx, "status", *t);
    return send_error(res, 404, "unknown_number", "the number belongs to no tenant");
  }
  const auto call_sid = t->field("CallSid");
  const bool outbound = t->field("Direction").rfind("outbound", 0) == 0;

  // The call: the one carrying this CallSid (a Vapi call records it), else the CallSid itself.
  std::string call_id = call_sid;
  in_tenant(ctx, t->org_id, [&](pqxx::work& tx) {
    if (auto id = p::call_id_by_provider_sid(tx, call_sid)) call_id = *id;
    return true;
  });
  actors::call_event_msg msg;
  msg.identity.id = call_id;
  msg.identity.org_id = t->org_id;
  msg.identity.direction = outbound ? "outbound" : "inbound";
  auto caller = outbound ? t->field("To") : t->field("From");
  auto parsed_caller = domain::normalize_e164(caller, "US");
  msg.identity.caller = parsed_caller.ok ? parsed_caller.e164 : caller;
  msg.identity.dialled = t->number;
  msg.identity.provider_call_sid = call_sid;
  msg.event.kind = domain::call_event_kind::status;
  msg.event.status = mapped->state;
  msg.event.ended_reason = mapped->ended_reason;
  msg.event.occurred_at_ms = timestamp_ms(t->field("Timestamp"));
  // Twilio numbers each callback of a call: a retried delivery repeats its SequenceNumber.
  msg.event.dedup_key =
      "twilio:" + (sequence ? std::to_string(*sequence) : t->field("CallStatus"));
  msg.payload_json = payload_of(t->form).dump();
  auto ack = ctx.service.record_event(msg);  // returns after the commit
  if (ack.foreign)
    return send_error(res, 404, "unknown_call", "that CallSid belongs to another tenant's call");
  if (duration) {
    in_tenant(ctx, t->org_id, [&](pqxx::work& tx) {
      p::record_call_duration(tx, call_id, static_cast<double>(*duration));
      return true;
    });
  }
  send_twiml(res, twilio::twiml_empty());
}

void on_sms(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto t = verified(req, res, ctx, false);
  if (!t) return;
  if (!require_field(res, ctx, *t, "MessageSid") || !require_field(res, ctx, *t, "From")) return;
  if (!t->known()) {
    unknown_number(ctx, "sms", *t);
    return send_error(res, 404, "unknown_number", "the number belongs to no tenant");
  }
  // A short code or alphanumeric sender is stored without a contact (contacts are E.164).
  auto from = domain::normalize_e164(t->field("From"), domain::region_of(t->number));
  auto keyword = twilio::classify_sms_keyword(t->field("Body"));
  p::message_row row;
  row.org_id = t->org_id;
  row.direction = "inbound";
  row.method = "sms";
  row.recipient = t->number;
  row.content = t->field("Body");
  row.status = "received";
  row.external_message_id = t->field("MessageSid");
  in_tenant(ctx, t->org_id, [&](pqxx::work& tx) {
    if (from.ok) row.contact_id = p::upsert_contact(tx, t->org_id, from.e164, "");
    // Only the first delivery of a MessageSid may change the opt-out: a late retry of an old
    // STOP must not undo a START sent after it.
    bool first = p::insert_inbound_message(tx, row);
    if (first && !row.contact_id.empty() && keyword != twilio::sms_keyword::none)
      p::set_contact_opt_out(tx, row.contact_id, keyword == twilio::sms_keyword::opt_out);
    return true;
  });
  send_twiml(res, twilio::twiml_empty());
}

}  // namespace

void add_twilio_routes(httplib::Server& srv, context& ctx) {
  add_route(
      srv, ctx, "POST", "/webhooks/twilio/voice", route_auth::twilio,
      [&ctx](const httplib::Request& req, httplib::Response& res) { on_voice(ctx, req, res); });
  add_route(
      srv, ctx, "POST", "/webhooks/twilio/status", route_auth::twilio,
      [&ctx](const httplib::Request& req, httplib::Response& res) { on_status(ctx, req, res); });
  add_route(srv, ctx, "POST", "/webhooks/twilio/sms", route_auth::twilio,
            [&ctx](const httplib::Request& req, httplib::Response& res) { on_sms(ctx, req, res); });
}

}  // namespace rm::http
