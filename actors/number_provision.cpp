// The purchase saga's first steps, run by the request (POST /api/phone-numbers; docs/telephony.md
// "Provisioning"); what they leave open is the sweeper's (actors/number_service.hpp).
#include "actors/number_saga.hpp"

#include <spdlog/spdlog.h>

#include "domain/e164.hpp"
#include "domain/uuid.hpp"

namespace rm::actors {

using namespace numbers_detail;

namespace {

// What a purchase request asks for: the number (E.164) or the area code, the country, the agent.
struct purchase_ask {
  std::string e164, area, country = "US", agent;
};

// Reads POST /api/phone-numbers' body into `q`; a refusal names the field at fault.
std::optional<number_error> read_request(const json& body, purchase_ask& q) {
  if (!body.is_object()) return fail(rm::ec::invalid_argument, "invalid_field", "the body must be a JSON object");
  std::string phone, area;
  auto& country = q.country;
  auto& agent = q.agent;
  auto& e164 = q.e164;
  for (const auto& [key, value] : body.items()) {
    if (key == "phone_number" || key == "area_code" || key == "country") {
      std::string v;
      if (value.is_string()) {
        v = value.get<std::string>();
      } else if (key == "area_code" && value.is_number_unsigned()) {
        v = std::to_string(value.get<std::uint64_t>());
      } else if (!value.is_null()) {
        return fail(rm::ec::invalid_argument, "invalid_field", key + " must be a string", key);
      }
      (key == "phone_number" ? phone : key == "area_code" ? area : country) = v;
    } else if (key == "agent_id") {
      if (value.is_null()) continue;
      if (!value.is_string() || !domain::is_uuid(value.get<std::string>()))
        return fail(rm::ec::invalid_argument, "invalid_field", "agent_id must be an agent's id (a UUID)", "agent_id");
      agent = value.get<std::string>();
    } else {
      return fail(rm::ec::invalid_argument, "invalid_field", "unknown field '" + key + "'", key);
    }
  }
  if (country.empty()) country = "US";
  if (auto e = dn::validate_country(country); !e.empty()) return fail(rm::ec::invalid_argument, "invalid_field", e, "country");
  if (phone.empty() == area.empty())
    return fail(rm::ec::invalid_argument, "invalid_field", "give either phone_number (E.164) or area_code, not both",
                phone.empty() ? "phone_number" : "area_code");
  if (!area.empty()) {
    if (auto e = dn::validate_area_code(country, area); !e.empty())
      return fail(rm::ec::invalid_argument, "invalid_field", e, "area_code");
  } else {
    auto parsed = domain::normalize_e164(phone, country);
    if (parsed.ok) {
      e164 = parsed.e164;
    } else if (domain::is_e164_syntax(phone)) {
      e164 = phone;  // e.g. Twilio's test numbers: Twilio itself judges them (21421)
    } else {
      return fail(rm::ec::invalid_argument, "invalid_field",
                  "phone_number must be a phone number in E.164 form, e.g. +14155550100",
                  "phone_number");
    }
  }
  q.area = area;
  return std::nullopt;
}

// The request's answer from where its order got to: created (linked), accepted (bought, or being
// reconciled: the sweeper takes it from here) or the failure.
number_result answer(number_saga& im, const std::string& org_id,
                     const p::provisioning_order& order) {
  std::optional<p::number_row> row;
  im.in_tenant(org_id, [&](pqxx::work& tx) {
    if (!order.phone_number_id.empty()) row = p::find_number(tx, order.phone_number_id);
    return true;
  });
  const json number = row ? number_json(*row) : json(nullptr);
  switch (order.state) {
    case dn::order_state::completed:
      im.svc.invalidate_routes();
      im.svc.tenant_changed(org_id);
      return {number_outcome::created, {{"number", number}, {"order", order_json(order)}}};
    case dn::order_state::purchased:
      im.svc.invalidate_routes();
      return {number_outcome::accepted,
              {{"number", number},
               {"order", order_json(order)},
               {"message", "the number is bought and answers calls; linking it to Vapi failed "
                           "for now and is retried automatically"}}};
    case dn::order_state::pending:
      return {number_outcome::accepted,
              {{"number", nullptr},
               {"order", order_json(order)},
               {"message", "Twilio's answer was lost; the purchase is being checked against the "
                           "account and will be completed or undone automatically"}}};
    case dn::order_state::failed: {
      if (order.error_code == "not_purchased")
        return fail(rm::ec::provider_failed, "twilio_unavailable",
                    "Twilio did not complete the purchase (" + order.error_message +
                        "); nothing was bought, try again");
      return fail(rm::ec::provider_failed, order.error_code.empty() ? "provisioning_failed" : order.error_code,
                  order.error_message);
    }
    case dn::order_state::compensating:
    case dn::order_state::released: {
      const bool gone = order.state == dn::order_state::released;
      if (order.error_code == "number_taken" || order.error_code == "number_in_quarantine")
        return fail(rm::ec::conflict, order.error_code,
                    "the number Twilio gave (" + order.e164 +
                        ") cannot belong to this organization; it " +
                        (gone ? "was given back" : "is being given back"));
      return fail(rm::ec::provider_failed, order.error_code.empty() ? "provisioning_failed" : order.error_code,
                  order.error_message + "; the number " + order.e164 +
                      (gone ? " was released" : " is being released"));
    }
  }
  return fail(rm::ec::provider_failed, "provisioning_failed", "the order ended in an unknown state");
}

// Step 1: the order, stored before Twilio hears of it (refused: the answer; nothing stored).
std::optional<number_result> open_order(number_saga& im, const std::string& org_id,
                                         const std::string& user_id, const purchase_ask& q,
                                         std::optional<order_context>& ctx,
                                         p::provisioning_order& order) {
  std::optional<number_result> refused;
  im.in_tenant(org_id, [&](pqxx::work& tx) {
    auto refuse = [&](number_error e) {
      refused = std::move(e);
      return false;
    };
    if (!q.agent.empty()) {
      auto a = p::find_agent(tx, q.agent);
      if (!a.agents_available)
        return refuse(fail(rm::ec::invalid_argument, "invalid_field",
                           "agents are not available on this server yet", "agent_id"));
      if (!a.found)
        return refuse(
            fail(rm::ec::not_found, "not_found", "no agent with id " + q.agent, "agent_id"));
    }
    ctx = im.context_for(tx, org_id, q.agent);
    if (!ctx)
      return refuse(fail(rm::ec::conflict, "twilio_not_connected",
                         "connect the organization's Twilio account first "
                         "(POST /api/integrations/twilio)"));
    if (!q.e164.empty()) {
      if (p::find_active_number(tx, q.e164))
        return refuse(fail(rm::ec::conflict, "number_already_yours",
                           "this organization already has " + q.e164, "phone_number"));
      auto av = p::number_availability_for(tx, q.e164, org_id);
      if (av.state == p::number_availability::taken)
        return refuse(fail(rm::ec::conflict, "number_taken",
                           "this number is in use by another organization", "phone_number"));
      if (av.state == p::number_availability::quarantined)
        return refuse(fail(rm::ec::conflict, "number_in_quarantine",
                           "this number was recently released by another organization and "
                           "cannot be used before " + utc(*av.quarantine_until),
                           "phone_number"));
    }
    p::provisioning_order o;
    o.org_id = org_id;
    o.requested_by = user_id;
    o.requested_number = q.e164;
    o.area_code = q.area;
    o.country = q.country;
    o.agent_id = q.agent;
    order = p::create_order(tx, o, im.opt.lease);
    return true;
  });
  return refused;
}

// Step 2: Twilio buys. A refusal (breaker open, or a 4xx: nothing was bought) fails the order and
// is the answer; a purchase moves the order on; an unknown outcome leaves it for reconciliation.
std::optional<number_result> buy(number_saga& im, const std::string& org_id,
                                 const purchase_ask& q, const order_context& ctx,
                                 p::provisioning_order& order) {
  auto bought = std::make_shared<twilio::number_result>();
  auto client = im.twilio_client(org_id);
  auto req = im.urls();
  req.phone_number = q.e164;
  req.area_code = q.area;
  req.friendly_name = order_tag(order.id);
  auto creds = ctx.creds;
  auto g = im.through([bought, client, creds, req]() mutable {
    *bought = client.purchase_number(creds, req);
    return bought->ok || !transient(bought->error);
  });
  if (g.open || (g.ran && !bought->ok && !(bought->error.http_status == 0 ||
                                            bought->error.http_status >= 500))) {
    order.state = dn::order_state::failed;
    number_result out;
    if (g.open) {
      order.error_code = "provider_unavailable";
      order.error_message = g.why;
      out = im.unavailable(g, "Twilio");
    } else {
      auto r = dn::classify_twilio_failure(bought->error.http_status, bought->error.code,
                                           bought->error.message);
      order.error_code = r.code;
      order.error_message = r.message;
      out = refusal(r);
    }
    im.in_tenant(org_id, [&](pqxx::work& tx) {
      p::save_order(tx, order, std::chrono::seconds(0), true);
      return true;
    });
    return out;
  }
  if (g.ran && bought->ok) {
    im.step_record(order, bought->number, ctx);  // → purchased | compensating
  } else {
    // Timeout, transport failure or 5xx: the purchase may have happened. Stay pending and let the
    // reconciliation (now, in advance()) look at the account.
    order.error_code = "purchase_outcome_unknown";
    order.error_message = g.ran ? twilio::describe(bought->error) : g.why;
    spdlog::warn("numbers: order {}: purchase outcome unknown ({}); reconciling", order.id,
                 order.error_message);
  }
  return std::nullopt;
}

}  // namespace

number_result number_service::provision(const std::string& org_id, const std::string& user_id,
                                        const json& body) {
  auto& im = *saga_;
  purchase_ask q;
  if (auto refused = read_request(body, q)) return *refused;
  if (im.base.empty())
    return fail(rm::ec::not_configured, "public_url_not_configured",
                "this server has no public URL (RINGMASTER_PUBLIC_URL), so a number's calls and "
                "texts could not reach it");
  if (im.opt.vapi_private_key.empty())
    return fail(rm::ec::not_configured, "vapi_not_configured",
                "this server has no Vapi key (RINGMASTER_VAPI_PRIVATE_KEY), so a number could "
                "not be linked to an agent");
  std::optional<order_context> ctx;
  p::provisioning_order order;
  if (auto refused = open_order(im, org_id, user_id, q, ctx, order)) return *refused;
  if (auto refused = buy(im, org_id, q, *ctx, order)) return *refused;
  im.advance(order, *ctx);  // 3–4. Vapi import and link (or compensation), as far as they go now
  return answer(im, org_id, order);
}

}  // namespace rm::actors
