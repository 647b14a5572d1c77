// The number sagas' plumbing and steps (actors/number_saga.hpp): each step moves an order along
// domain::numbers' arrows (docs/telephony.md "Provisioning") and stores it.
#include "actors/number_saga.hpp"

#include <spdlog/spdlog.h>

namespace rm::actors {

using namespace numbers_detail;

// ---- plumbing -----------------------------------------------------------------------------------

number_saga::number_saga(service& s, number_service_options o) : svc(s), opt(std::move(o)) {
  base = opt.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
}

twilio_calls number_saga::twilio_client(const std::string& org) const {
  return {&svc.providers(), org, {opt.twilio_base_url, opt.twilio_retry}, opt.provider_timeout};
}
vapi_calls number_saga::vapi_client(const std::string& org) const {
  return {&svc.providers(), org, {opt.vapi_base_url, opt.vapi_private_key, opt.vapi_retry},
          opt.provider_timeout};
}

twilio::purchase_request number_saga::urls() const {
  twilio::purchase_request r;
  r.voice_url = base + "/webhooks/twilio/voice";
  r.sms_url = base + "/webhooks/twilio/sms";
  r.status_callback = base + "/webhooks/twilio/status";
  return r;
}

number_error number_saga::unavailable(const gate& g, const char* who) const {
  if (g.open) {
    auto r = fail(rm::ec::provider_unavailable, "provider_unavailable",
                  std::string{who} + " is failing for this organization; requests are paused "
                                     "for a while (circuit breaker open): try again later");
    r.retry_after = g.retry_after;
    return r;
  }
  return fail(rm::ec::provider_failed,
              std::string{who} == "Twilio" ? "twilio_unavailable" : "vapi_unavailable",
              std::string{who} + " did not answer in time; try again");
}

// ---- the saga's steps ---------------------------------------------------------------------------

void number_saga::store(const std::string& org, const p::provisioning_order& o) {
  in_tenant(org, [&](pqxx::work& tx) {
    p::save_order(tx, o, std::chrono::seconds(0), false);
    return true;
  });
}

// The number is bought (`n` as Twilio describes it): record it, or compensate when it cannot
// be recorded for this tenant (taken or quarantined meanwhile).
void number_saga::step_record(p::provisioning_order& o, const twilio::incoming_number& n,
                 const order_context& ctx) {
  o.e164 = n.phone_number;
  o.pn_sid = n.sid;
  bool changed = false;
  in_tenant(o.org_id, [&](pqxx::work& tx) {
    auto rec = p::record_number(
        tx, o.org_id, {n.phone_number, ctx.label, n.sid, "purchased", o.agent_id, o.requested_by});
    const bool recordable = rec.outcome == p::record_outcome::created ||
                            rec.outcome == p::record_outcome::adopted;
    o.state = dn::after_reconciliation(true, recordable);
    if (recordable) {
      o.phone_number_id = rec.row->id;
    } else {
      o.error_code = rec.outcome == p::record_outcome::taken ? "number_taken"
                                                             : "number_in_quarantine";
      o.error_message = "the bought number " + n.phone_number +
                        " cannot belong to this organization; it is given back";
    }
    p::save_order(tx, o, std::chrono::seconds(0), false);
    changed = true;
    return true;
  });
  if (changed) svc.invalidate_routes();
}

// pending with an unknown purchase outcome: list the account's numbers.
number_saga::retry number_saga::step_reconcile(p::provisioning_order& o, const order_context& ctx) {
  auto listed = std::make_shared<twilio::number_list_result>();
  auto client = twilio_client(o.org_id);
  auto creds = ctx.creds;
  auto filter = o.requested_number;
  auto g = through([listed, client, creds, filter]() mutable {
    *listed = client.list_numbers(creds, filter);
    return listed->ok || !transient(listed->error);
  });
  if (!g.ran || !listed->ok) {
    ++o.attempts;
    o.error_code = "reconciliation_pending";
    o.error_message = g.ran ? "listing the Twilio account failed: " + twilio::describe(listed->error)
                            : "listing the Twilio account failed: " + g.why;
    store(o.org_id, o);
    return dn::retry_delay(o.attempts);
  }
  // The order's tag identifies its number; the requested number is the fallback (a purchase
  // whose FriendlyName did not stick).
  const auto tag = order_tag(o.id);
  const twilio::incoming_number* found = nullptr;
  for (const auto& n : listed->numbers)
    if (n.friendly_name == tag) found = &n;
  if (!found && !o.requested_number.empty())
    for (const auto& n : listed->numbers)
      if (n.phone_number == o.requested_number) found = &n;
  if (found) {
    spdlog::info("numbers: order {} reconciled: {} ({}) was bought", o.id, found->phone_number,
                 found->sid);
    step_record(o, *found, ctx);
    return std::nullopt;
  }
  o.state = dn::after_reconciliation(false, false);
  if (o.error_code.empty() || o.error_code == "reconciliation_pending") {
    o.error_code = "not_purchased";
    o.error_message = "Twilio's account shows no number bought for this order";
  }
  spdlog::info("numbers: order {} reconciled: nothing was bought", o.id);
  store(o.org_id, o);
  return std::nullopt;
}

// purchased: import into Vapi, then link.
number_saga::retry number_saga::step_import(p::provisioning_order& o, const order_context& ctx) {
  auto result = std::make_shared<vapi::response>();
  auto client = vapi_client(o.org_id);
  vapi::phone_number_import req;
  req.number = o.e164;
  req.twilio_account_sid = ctx.creds.account_sid;
  req.twilio_auth_token = ctx.creds.auth_token;
  req.assistant_id = ctx.assistant_id;
  req.name = ctx.label;
  if (!base.empty()) req.server_url = base + "/webhooks/vapi";
  auto g = through([result, client, req]() mutable {
    *result = client.import_twilio_number(req);
    return !result->transient();
  });
  std::string vapi_id;
  if (g.ran && result->ok && result->body.is_object() && result->body.contains("id") &&
      result->body["id"].is_string())
    vapi_id = result->body["id"].get<std::string>();
  if (!vapi_id.empty()) {
    auto done = o;
    done.vapi_phone_number_id = vapi_id;
    done.state = dn::order_state::completed;
    done.error_code.clear();
    done.error_message.clear();
    bool linked = false;
    in_tenant(o.org_id, [&](pqxx::work& tx) {
      linked = p::mark_linked(tx, o.phone_number_id, vapi_id, o.agent_id);
      if (linked) p::save_order(tx, done, std::chrono::seconds(0), false);
      return linked;
    });
    if (linked) {
      o = done;
      return std::nullopt;
    }
    // The id is already active on another number (migration 009): never route two numbers by
    // one id. Give the number back; the Vapi id is not ours to delete, so it is not recorded.
    spdlog::error("numbers: order {}: Vapi answered id {} for {}, already active on another "
                  "number; releasing {}", o.id, vapi_id, o.e164, o.e164);
    o.error_code = "vapi_phone_number_id_taken";
    o.error_message = "Vapi answered a phone-number id already used by another number";
    o.state = dn::order_state::compensating;
    store(o.org_id, o);
    return std::nullopt;
  }
  ++o.attempts;
  const bool is_transient = !g.ran || result->transient();
  if (g.ran && result->ok) {
    o.error_message = "Vapi answered without a phone-number id";
  } else {
    o.error_message = g.ran ? "Vapi: " + result->error.message
                            : "Vapi: " + g.why;
  }
  o.error_code = is_transient ? "vapi_unavailable" : "vapi_refused";
  auto decision = dn::after_import_failure(o.attempts, is_transient);
  if (decision.compensate) {
    o.state = dn::order_state::compensating;
    spdlog::warn("numbers: order {}: the Vapi import failed for good ({}); releasing {}", o.id,
                 o.error_message, o.e164);
    store(o.org_id, o);
    return std::nullopt;
  }
  store(o.org_id, o);
  return decision.retry_in;
}

// compensating: give the number back to Twilio (and Vapi), without quarantine.
number_saga::retry number_saga::step_compensate(p::provisioning_order& o, const order_context& ctx) {
  if (!o.vapi_phone_number_id.empty()) {
    auto result = std::make_shared<vapi::response>();
    auto client = vapi_client(o.org_id);
    auto id = o.vapi_phone_number_id;
    through([result, client, id]() mutable {
      *result = client.delete_phone_number(id);
      return !result->transient();
    });
  }
  auto released = std::make_shared<twilio::release_result>();
  auto client = twilio_client(o.org_id);
  auto creds = ctx.creds;
  auto sid = o.pn_sid;
  auto g = through([released, client, creds, sid]() mutable {
    *released = client.release_number(creds, sid);
    return released->ok || !transient(released->error);
  });
  if (!g.ran || !released->ok) {
    ++o.attempts;
    o.error_message = "releasing " + o.e164 + " failed: " +
                      (g.ran ? twilio::describe(released->error) : g.why);
    store(o.org_id, o);
    return dn::retry_delay(o.attempts);
  }
  o.state = dn::order_state::released;
  in_tenant(o.org_id, [&](pqxx::work& tx) {
    if (!o.phone_number_id.empty())
      p::mark_released(tx, o.phone_number_id, o.requested_by, std::nullopt, false);
    p::save_order(tx, o, std::chrono::seconds(0), false);
    return true;
  });
  svc.invalidate_routes();
  spdlog::info("numbers: order {}: {} released after a failed provisioning", o.id, o.e164);
  return std::nullopt;
}

// Drives an order as far as it goes now; stores the end state with the lease released.
number_saga::retry number_saga::advance(p::provisioning_order& o, const order_context& ctx) {
  retry again;
  for (int guard = 0; guard < 6 && dn::is_open(o.state) && !again; ++guard) {
    switch (o.state) {
      case dn::order_state::pending: again = step_reconcile(o, ctx); break;
      case dn::order_state::purchased: again = step_import(o, ctx); break;
      case dn::order_state::compensating: again = step_compensate(o, ctx); break;
      default: break;
    }
  }
  in_tenant(o.org_id, [&](pqxx::work& tx) {
    p::save_order(tx, o, again.value_or(std::chrono::seconds(0)), true);
    return true;
  });
  return again;
}

// Credentials, assistant and label for an order of `org` (nullopt: no Twilio account).
std::optional<number_saga::order_context> number_saga::context_for(pqxx::work& tx, const std::string& org,
                                         const std::string& agent_id) {
  auto acct = p::load_twilio_account(tx, org);
  if (!acct) return std::nullopt;
  order_context ctx;
  ctx.creds = {acct->account_sid, acct->auth_token};
  if (auto t = p::load_tenant(tx, org)) {
    ctx.assistant_id = t->assistant_id;
    ctx.label = t->name;
  }
  if (!agent_id.empty()) {
    auto a = p::find_agent(tx, agent_id);
    if (a.found && !a.assistant_id.empty()) ctx.assistant_id = a.assistant_id;
  }
  return ctx;
}

}  // namespace rm::actors
