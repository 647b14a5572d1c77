// Import of the clinic's own Twilio numbers (POST /api/phone-numbers/import,
// actors/number_service.hpp): each number of the account is pointed at our webhooks, recorded
// and imported into Vapi, idempotently.
#include "actors/number_saga.hpp"

namespace rm::actors {

using namespace numbers_detail;

namespace {

// The import's answer, filled number by number.
struct import_report {
  json imported = json::array(), already = json::array(), refused = json::array(),
       failed = json::array();
  bool changed = false;
};

enum class verdict { go, already, taken, quarantined };

verdict judge(number_saga& im, const std::string& org_id, const twilio::incoming_number& n) {
  verdict v = verdict::go;
  im.in_tenant(org_id, [&](pqxx::work& tx) {
    if (auto mine = p::find_active_number(tx, n.phone_number)) {
      if (mine->provider_sid == n.sid && mine->status == dn::number_status::linked)
        v = verdict::already;
    } else {
      auto av = p::number_availability_for(tx, n.phone_number, org_id);
      if (av.state == p::number_availability::taken) v = verdict::taken;
      if (av.state == p::number_availability::quarantined) v = verdict::quarantined;
    }
    return true;
  });
  return v;
}

// The Vapi import of a recorded number: its Vapi id, or "" with `error` set.
std::string import_into_vapi(number_saga& im, const std::string& org_id,
                             const twilio::incoming_number& n, const order_context& ctx,
                             std::string& error) {
  if (im.opt.vapi_private_key.empty()) {
    error = "this server has no Vapi key (RINGMASTER_VAPI_PRIVATE_KEY)";
    return "";
  }
  auto result = std::make_shared<vapi::response>();
  auto vc = im.vapi_client(org_id);
  vapi::phone_number_import req;
  req.number = n.phone_number;
  req.twilio_account_sid = ctx.creds.account_sid;
  req.twilio_auth_token = ctx.creds.auth_token;
  req.assistant_id = ctx.assistant_id;
  req.name = ctx.label;
  req.server_url = im.base + "/webhooks/vapi";
  auto vg = im.through([result, vc, req]() mutable {
    *result = vc.import_twilio_number(req);
    return !result->transient();
  });
  if (vg.ran && result->ok && result->body.is_object() && result->body.contains("id") &&
      result->body["id"].is_string())
    return result->body["id"].get<std::string>();
  error = vg.ran ? "Vapi: " + result->error.message : "Vapi: " + vg.why;
  return "";
}

// One number of the account: webhooks, record, Vapi, link.
void import_one(number_saga& im, const std::string& org_id, const std::string& user_id,
                const twilio::incoming_number& n, const order_context& ctx, import_report& out) {
  const auto v = judge(im, org_id, n);
  if (v == verdict::already) return void(out.already.push_back(n.phone_number));
  if (v != verdict::go)
    return void(out.refused.push_back(
        {{"phone_number", n.phone_number},
         {"reason", v == verdict::taken ? "taken" : "quarantined"}}));
  // Point the number at our webhooks.
  auto updated = std::make_shared<twilio::number_result>();
  auto client = im.twilio_client(org_id);
  auto creds = ctx.creds;
  auto urls = im.urls();
  auto sid = n.sid;
  auto ug = im.through([updated, client, creds, sid, urls]() mutable {
    *updated = client.update_number_urls(creds, sid, urls);
    return updated->ok || !transient(updated->error);
  });
  if (!ug.ran || !updated->ok)
    return void(out.failed.push_back({{"phone_number", n.phone_number},
                                      {"error", ug.ran ? twilio::describe(updated->error)
                                                       : ug.why}}));
  std::optional<p::record_result> rec;
  im.in_tenant(org_id, [&](pqxx::work& tx) {
    rec = p::record_number(tx, org_id, {n.phone_number, ctx.label, n.sid, "imported", "", user_id});
    return true;
  });
  if (!rec->row)
    return void(out.refused.push_back(
        {{"phone_number", n.phone_number},
         {"reason", rec->outcome == p::record_outcome::taken ? "taken" : "quarantined"}}));
  out.changed = true;
  auto row = *rec->row;
  std::string vapi_error;
  std::string vapi_id = row.vapi_phone_number_id;
  if (vapi_id.empty()) vapi_id = import_into_vapi(im, org_id, n, ctx, vapi_error);
  bool linked = true;
  im.in_tenant(org_id, [&](pqxx::work& tx) {
    if (!vapi_id.empty()) linked = p::mark_linked(tx, row.id, vapi_id, "");
    row = *p::find_number(tx, row.id);
    return true;
  });
  if (!linked)  // migration 009: the id is active on another number; the number stays owned
    vapi_error = "Vapi: the phone-number id " + vapi_id +
                 " is already used by another number (vapi_phone_number_id_taken)";
  out.imported.push_back(number_json(row));
  if (!vapi_error.empty())
    out.failed.push_back({{"phone_number", n.phone_number},
                          {"error", vapi_error + " (the number is recorded and routed; importing "
                                                 "again retries the Vapi step)"}});
}

}  // namespace

number_result number_service::import_all(const std::string& org_id, const std::string& user_id) {
  auto& im = *saga_;
  if (im.base.empty())
    return fail(rm::ec::not_configured, "public_url_not_configured",
                "this server has no public URL (RINGMASTER_PUBLIC_URL) to point the numbers at");
  std::optional<order_context> ctx;
  im.in_tenant(org_id, [&](pqxx::work& tx) {
    ctx = im.context_for(tx, org_id, "");
    return true;
  });
  if (!ctx)
    return fail(rm::ec::conflict, "twilio_not_connected",
                "connect the organization's Twilio account first (POST /api/integrations/twilio)");
  auto listed = std::make_shared<twilio::number_list_result>();
  auto client = im.twilio_client(org_id);
  auto creds = ctx->creds;
  auto g = im.through([listed, client, creds]() mutable {
    *listed = client.list_numbers(creds, "");
    return listed->ok || !transient(listed->error);
  });
  if (!g.ran) return im.unavailable(g, "Twilio");
  if (!listed->ok)
    return refusal(dn::classify_twilio_failure(listed->error.http_status, listed->error.code,
                                               listed->error.message));
  import_report out;
  for (const auto& n : listed->numbers) import_one(im, org_id, user_id, n, *ctx, out);
  if (out.changed) {
    im.svc.invalidate_routes();
    im.svc.tenant_changed(org_id);
  }
  return {number_outcome::done,
          {{"imported", out.imported},
           {"already", out.already},
           {"refused", out.refused},
           {"failed", out.failed},
           {"pages", listed->pages}}};
}

}  // namespace rm::actors
