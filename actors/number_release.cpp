// Release into quarantine (DELETE /api/phone-numbers/{id}) (actors/number_service.hpp).
#include "actors/number_saga.hpp"

#include <spdlog/spdlog.h>

#include "domain/e164.hpp"
#include "domain/uuid.hpp"

namespace rm::actors {

using namespace numbers_detail;

number_result number_service::release(const std::string& org_id, const std::string& user_id,
                                      const std::string& id) {
  auto& im = *saga_;
  std::optional<p::number_row> row;
  std::optional<number_result> refused;
  std::optional<twilio::credentials> creds;
  im.in_tenant(org_id, [&](pqxx::work& tx) {
    row = p::find_number(tx, id);
    if (!row || !row->active) return false;
    if (p::forwarding_points_at(tx, row->e164)) {
      refused = fail(rm::ec::conflict, "number_forwarded_to",
                     "a hybrid forwarding configuration forwards a mobile to " + row->e164 +
                         "; disable it first (docs/hybrid-telephony.md)");
      return false;
    }
    if (auto a = p::load_twilio_account(tx, org_id))
      creds = twilio::credentials{a->account_sid, a->auth_token};
    return true;
  });
  if (!row) return fail(rm::ec::not_found, "not_found", "no phone number with id " + id);
  if (refused) return *refused;
  if (!row->active) return {number_outcome::done, {{"result", "already_released"}, {"number", number_json(*row)}}};

  // Twilio first: it stops the bill, and if it fails nothing has changed.
  if (!row->provider_sid.empty()) {
    if (!creds)
      return fail(rm::ec::conflict, "twilio_not_connected",
                  "the number is held in the organization's Twilio account, which is not "
                  "connected: connect it first (POST /api/integrations/twilio)");
    auto released = std::make_shared<twilio::release_result>();
    auto client = im.twilio_client(org_id);
    auto c = *creds;
    auto sid = row->provider_sid;
    auto g = im.through([released, client, c, sid]() mutable {
      *released = client.release_number(c, sid);
      return released->ok || !transient(released->error);
    });
    if (!g.ran) return im.unavailable(g, "Twilio");
    if (!released->ok)
      return refusal(dn::classify_twilio_failure(released->error.http_status,
                                                 released->error.code, released->error.message));
  }
  // Then Vapi; a failure there is retried by the sweep (the number is gone from Twilio already).
  bool vapi_pending = false;
  if (!row->vapi_phone_number_id.empty()) {
    if (im.opt.vapi_private_key.empty()) {
      vapi_pending = true;
    } else {
      auto result = std::make_shared<vapi::response>();
      auto client = im.vapi_client(org_id);
      auto vid = row->vapi_phone_number_id;
      auto g = im.through([result, client, vid]() mutable {
        *result = client.delete_phone_number(vid);
        return !result->transient();
      });
      vapi_pending = !(g.ran && result->ok);
    }
  }
  std::optional<domain::instant> until;
  if (im.opt.quarantine_days > 0) until = dn::quarantine_end(now_s(), im.opt.quarantine_days);
  im.in_tenant(org_id, [&](pqxx::work& tx) {
    p::mark_released(tx, row->id, user_id, until, vapi_pending);
    row = p::find_number(tx, row->id);
    return true;
  });
  im.svc.invalidate_routes();  // routing stops now (the webhooks read the committed row)
  im.svc.tenant_changed(org_id);
  return {number_outcome::done, {{"result", "released"}, {"number", number_json(*row)}}};
}

}  // namespace rm::actors
