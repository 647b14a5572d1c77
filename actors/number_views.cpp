// The number lifecycle's JSON views (docs/api.md "Phone numbers": a number, an order), its typed
// failures, and the provider-port calls of one tenant (actors/number_saga.hpp).
#include "actors/number_saga.hpp"

namespace rm::actors::numbers_detail {

namespace {

json utc_or_null(const std::optional<domain::instant>& t) {
  return t ? json(utc(*t)) : json(nullptr);
}
json text_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

}  // namespace

domain::instant now_s() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}
std::string utc(domain::instant t) { return domain::format_local(t, "UTC"); }

number_error fail(rm::ec kind, const std::string& code, const std::string& message,
                  const std::string& field) {
  return {kind, code, message, field, -1};
}

number_error refusal(const dn::api_refusal& r) { return fail(r.kind, r.code, r.message, r.field); }

std::string order_tag(const std::string& order_id) { return "ringmaster order " + order_id; }

bool transient(const twilio::twilio_error& e) {
  return e.http_status == 0 || e.http_status == 429 || e.http_status >= 500;
}

json number_json(const p::number_row& n) {
  return {{"id", n.id},
          {"phone_number", n.e164},
          {"label", n.label},
          {"status", dn::to_string(dn::stage_of(n.status, n.quarantine_until, now_s()))},
          {"source", n.source},
          {"pn_sid", text_or_null(n.provider_sid)},
          {"vapi_phone_number_id", text_or_null(n.vapi_phone_number_id)},
          {"agent_id", text_or_null(n.agent_id)},
          {"is_active", n.active},
          {"created_at", utc(n.created_at)},
          {"released_at", utc_or_null(n.released_at)},
          {"quarantine_until", utc_or_null(n.quarantine_until)}};
}

json order_json(const p::provisioning_order& o) {
  json error = nullptr;
  if (!o.error_code.empty()) error = {{"code", o.error_code}, {"message", o.error_message}};
  return {{"id", o.id},
          {"state", dn::to_string(o.state)},
          {"phone_number", text_or_null(o.e164.empty() ? o.requested_number : o.e164)},
          {"area_code", text_or_null(o.area_code)},
          {"pn_sid", text_or_null(o.pn_sid)},
          {"phone_number_id", text_or_null(o.phone_number_id)},
          {"agent_id", text_or_null(o.agent_id)},
          {"attempts", o.attempts},
          {"error", error},
          {"created_at", utc(o.created_at)}};
}

// ---- one tenant's provider calls ----------------------------------------------------------------

twilio::number_list_result twilio_calls::list_numbers(const twilio::credentials& c,
                                                      const std::string& pn) {
  return port->list_numbers(org, ep, c, pn, timeout);
}
twilio::release_result twilio_calls::release_number(const twilio::credentials& c,
                                                    const std::string& sid) {
  return port->release_number(org, ep, c, sid, timeout);
}
twilio::available_result twilio_calls::search_available(const twilio::credentials& c,
                                                        const twilio::available_search& q) {
  return port->search_available(org, ep, c, q, timeout);
}
twilio::number_result twilio_calls::purchase_number(const twilio::credentials& c,
                                                    const twilio::purchase_request& r) {
  return port->purchase_number(org, ep, c, r, timeout);
}
twilio::number_result twilio_calls::update_number_urls(const twilio::credentials& c,
                                                       const std::string& sid,
                                                       const twilio::purchase_request& urls) {
  return port->update_number_urls(org, ep, c, sid, urls, timeout);
}
vapi::response vapi_calls::import_twilio_number(const vapi::phone_number_import& n) {
  return port->import_twilio_number(org, ep, n, timeout);
}
vapi::response vapi_calls::delete_phone_number(const std::string& id) {
  return port->delete_phone_number(org, ep, id, timeout);
}

}  // namespace rm::actors::numbers_detail
