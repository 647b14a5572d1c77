// POST /api/contacts/{id}/call-back (member): Vapi POST /call from a caller ID chosen by
// domain::choose_caller_id (docs/telephony.md "Outbound call-back").
#include <spdlog/spdlog.h>

#include "domain/outbound.hpp"
#include "adapters/http/agent_http.hpp"
#include "persistence/agent_queries.hpp"

namespace rm::http::agents_detail {

namespace p = rm::persistence;

namespace {


// What the first transaction decided.
struct call_plan {
  std::optional<p::contact_row> contact;
  p::outbound_agent agent;
  std::optional<domain::caller_id_choice> choice;
};

// 1. Contact, agent and caller ID; the round-robin cursor moves in the same transaction (a
//    failed Vapi call still used its turn: the rotation stays fair and never blocks).
call_plan plan_call(context& ctx, const principal& who, const std::string& id) {
  call_plan plan;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    plan.contact = p::load_contact(tx, id);
    if (!plan.contact || plan.contact->opted_out) return false;
    plan.agent = p::find_outbound_agent(tx);
    if (plan.agent.assistant_id.empty()) return false;
    domain::caller_id_input in;
    const std::string campaign_scope = "campaign:" + plan.contact->campaign_id;
    if (!plan.contact->campaign_id.empty()) {
      in.campaign_numbers = p::campaign_candidates(tx, plan.contact->campaign_id);
      if (!in.campaign_numbers.empty())
        in.campaign_cursor = p::lock_cursor(tx, who.org_id, campaign_scope);
    }
    if (in.campaign_numbers.empty()) {
      in.pool = p::pool_candidates(tx);
      if (!in.pool.empty()) in.pool_cursor = p::lock_cursor(tx, who.org_id, "pool");
    }
    if (!plan.agent.phone_number_id.empty())
      in.default_number = p::number_candidate(tx, plan.agent.phone_number_id);
    plan.choice = domain::choose_caller_id(in);
    if (!plan.choice) return false;
    if (plan.choice->source == domain::caller_id_source::campaign)
      p::save_cursor(tx, who.org_id, campaign_scope, plan.choice->next_cursor);
    else if (plan.choice->source == domain::caller_id_source::round_robin)
      p::save_cursor(tx, who.org_id, "pool", plan.choice->next_cursor);
    return true;
  });
  return plan;
}

}  // namespace

void call_back(context& ctx, const httplib::Request& req, httplib::Response& res,
               const principal& who) {
  const std::string id = req.matches[1];
  const call_plan plan = plan_call(ctx, who, id);
  if (!plan.contact) return send_error(res, ec::not_found, "no contact with id " + id);
  if (plan.contact->opted_out)
    return send_error(res, 409, "contact_opted_out",
                      "this contact opted out (replied STOP); ringmaster places no automated "
                      "call to them until they reply START");
  if (plan.agent.assistant_id.empty())
    return send_error(res, 409, "no_assistant",
                      "this clinic has no ready agent (Vapi assistant) to place the call; create "
                      "one with POST /api/agents");
  if (!plan.choice)
    return send_error(res, 409, "no_caller_number",
                      "this clinic has no active number imported into Vapi to call from; add or "
                      "link one first");
  if (!vapi_configured(ctx, res, false)) return;

  // 2. Vapi POST /call behind the tenant's breaker (never retried on an ambiguous failure).
  vapi::outbound_call call;
  call.assistant_id = plan.agent.assistant_id;
  call.phone_number_id = plan.choice->number.vapi_phone_number_id;
  call.customer_number = plan.contact->phone_e164;
  call.customer_name = plan.contact->name;
  call.variable_values = {{"contact_name", plan.contact->name}, {"reason", "call-back"}};
  auto out = with_vapi(ctx, who.org_id, [call, org_id = who.org_id](actors::provider_port& port,
                                               const actors::vapi_endpoint& ep) {
    return port.create_call(org_id, ep, call);
  });
  if (out.breaker_open) return send_vapi_unavailable(res, *out.breaker_open);
  if (out.no_answer)
    return send_error(res, ec::provider_timeout,
                      "Vapi did not answer in time; the call may or may not have been placed "
                      "(it shows in /api/calls once Vapi reports it)");
  if (!out.response.ok)
    return send_error(res, ec::provider_rejected,
                      "Vapi did not place the call (HTTP " +
                          std::to_string(out.response.error.http_status) +
                          "): " + out.response.error.message,
                      "", "vapi_error");
  const auto& placed = out.response.body;
  if (!placed.is_object() || !placed.contains("id") || !placed["id"].is_string() ||
      placed["id"].get<std::string>().empty())
    return send_error(res, ec::provider_rejected, "Vapi answered without a call id", "",
                      "vapi_error");
  const std::string call_id = placed["id"];
  const std::string vapi_status = placed.value("status", "queued");

  // 3. The call row, through the call registry like any webhook event, so the call actor is live
  //    (inspection API) and later Vapi webhooks for this id join it. Vapi's "queued" is the
  //    lifecycle's first state (ringing), with the dedup key a status-update "queued" would have.
  actors::call_event_msg msg;
  msg.identity = {call_id, who.org_id, "outbound", plan.contact->phone_e164,
                  plan.choice->number.e164, ""};
  msg.event.kind = domain::call_event_kind::status;
  msg.event.status = domain::call_state::ringing;
  msg.event.occurred_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  msg.event.dedup_key = "status:queued";
  const json source = {{"source", "call-back"},
                       {"requested_by", who.user_id},
                       {"contact_id", plan.contact->id},
                       {"agent_id", text_or_null(plan.agent.agent_id)},
                       {"caller_id_source", domain::to_string(plan.choice->source)},
                       {"vapi_status", vapi_status}};
  msg.payload_json = source.dump();
  auto ack = ctx.service.record_event(msg);
  if (ack.foreign) {  // a Vapi call id we already know for another tenant: never expected
    spdlog::error("call-back: Vapi call id {} already belongs to another tenant", call_id);
    return send_error(res, ec::provider_rejected, "Vapi answered with a call id that is not new",
                      "", "vapi_error");
  }
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    p::record_call_back_audit(tx, who.org_id, plan.contact->id, call_id, plan.contact->phone_e164,
                              "call-back from " + plan.choice->number.e164 + " (" +
                                  domain::to_string(plan.choice->source) + ")");
    return true;
  });
  send_json(res, 201,
            {{"call",
              {{"id", call_id},
               {"direction", "outbound"},
               {"state", ack.state},
               {"vapi_status", vapi_status},
               {"contact_id", plan.contact->id},
               {"to", plan.contact->phone_e164},
               {"assistant_id", plan.agent.assistant_id},
               {"agent_id", text_or_null(plan.agent.agent_id)},
               {"caller_id",
                {{"phone_number_id", plan.choice->number.phone_number_id},
                 {"phone_number", plan.choice->number.e164},
                 {"vapi_phone_number_id", plan.choice->number.vapi_phone_number_id},
                 {"source", domain::to_string(plan.choice->source)}}}}}});
}

}  // namespace rm::http::agents_detail
