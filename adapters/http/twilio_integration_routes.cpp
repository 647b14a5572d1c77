// Connecting a clinic's own Twilio account (BYOC) with the dual sync to Vapi:
//   POST   /api/integrations/twilio        admin   {account_sid, auth_token}: validate with Twilio
//                                                  (GET Accounts/{Sid}.json), store sealed, then
//                                                  create the Vapi credential and record its id
//   GET    /api/integrations/twilio        member  status, never a secret
//   POST   /api/integrations/twilio/sync   admin   retry the Vapi side from the stored token
//   DELETE /api/integrations/twilio        admin   Vapi DELETE /credential/{id}, then forget it
// Never half a state silently: Twilio is checked before anything is stored; once stored, the Vapi
// side is `pending` until it is `synced` (with the credential id) or `failed` (with the reason,
// answered 502 vapi_sync_failed and shown by GET) — retried by /sync or by POSTing again. A
// disconnect that Vapi refuses keeps everything, so DELETE can be retried. Provider calls are
// typed requests to the provider adapter actors (service::providers(): the tenant's circuit
// breakers). Secrets are never returned or logged; the guarded table applies authentication and
// role before the handler (tenant_routes.cpp style).
#include <spdlog/spdlog.h>

#include <regex>

#include "actors/provider_port.hpp"
#include "actors/service.hpp"
#include "adapters/http/routes.hpp"
#include "adapters/twilio/twilio_client.hpp"
#include "adapters/vapi/vapi_client.hpp"
#include "persistence/credentials.hpp"
#include "persistence/repositories.hpp"

namespace rm::http {

namespace {

using nlohmann::json;
namespace p = rm::persistence;

bool transient(const twilio::twilio_error& e) {
  return e.http_status == 0 || e.http_status == 429 || e.http_status >= 500;
}

json view_of(const std::optional<p::twilio_connection>& c) {
  if (!c) return {{"connected", false}};
  return {{"connected", true},
          {"account_sid", c->account_sid},
          {"friendly_name", c->friendly_name},
          {"connected_at", c->connected_at},
          {"vapi_credential_id", c->vapi_credential_id.empty() ? json(nullptr)
                                                               : json(c->vapi_credential_id)},
          // pending | synced | failed; "not_synced" for an account stored by the operator
          {"vapi_sync", c->vapi_sync_status.empty() ? "not_synced" : c->vapi_sync_status},
          {"vapi_sync_error",
           c->vapi_sync_error.empty() ? json(nullptr) : json(c->vapi_sync_error)}};
}

std::optional<p::twilio_connection> load_view(context& ctx, const std::string& org) {
  std::optional<p::twilio_connection> c;
  in_tenant(ctx, org, [&](pqxx::work& tx) {
    c = p::load_twilio_connection(tx, org);
    return true;
  });
  return c;
}

std::string seconds_text(std::chrono::seconds s) { return std::to_string(s.count()); }

// Creates the Vapi credential for the stored account and records the outcome (synced with its
// id, or failed with the reason). Returns the failure's sentence, "" on success.
std::string sync_to_vapi(context& ctx, const std::string& org, const p::twilio_account& account,
                         const std::string& friendly_name) {
  const auto& so = ctx.service.options();
  std::string error, credential_id;
  if (so.vapi_private_key.empty()) {
    error = "Vapi is not configured on this deployment (RINGMASTER_VAPI_PRIVATE_KEY)";
  } else {
    vapi::response r;
    try {
      const auto name = friendly_name.empty() ? "Twilio " + account.account_sid
                                              : "Twilio " + friendly_name;
      r = ctx.service.providers().create_twilio_credential(
          org, {so.vapi_base_url, so.vapi_private_key},
          {account.account_sid, account.auth_token, name.substr(0, 40)});
      if (r.ok && r.body.is_object() && r.body.contains("id") && r.body["id"].is_string())
        credential_id = r.body["id"];
      else if (r.ok)
        error = "Vapi answered without a credential id";
      else
        error = "Vapi refused the credential (HTTP " + std::to_string(r.error.http_status) +
                "): " + r.error.message;
    } catch (const actors::provider_unavailable& e) {
      error = "Vapi calls for this clinic are paused after repeated failures; retry in " +
              seconds_text(e.retry_after) + " s";
    } catch (const actors::service_error& e) {
      error = std::string{"Vapi did not answer in time: "} + e.what();
    }
  }
  in_tenant(ctx, org, [&](pqxx::work& tx) {
    if (error.empty()) p::record_vapi_sync(tx, org, "synced", credential_id, "");
    else p::record_vapi_sync(tx, org, "failed", "", error);
    return true;
  });
  if (!error.empty())
    spdlog::warn("tenant {}: Twilio account stored, Vapi sync failed: {}", org, error);
  return error;
}

// Removes a Vapi credential; "" when done (a 404 counts as done), else why not.
std::string delete_in_vapi(context& ctx, const std::string& org, const std::string& id) {
  const auto& so = ctx.service.options();
  if (so.vapi_private_key.empty())
    return "Vapi is not configured on this deployment (RINGMASTER_VAPI_PRIVATE_KEY)";
  vapi::response r;
  try {
    r = ctx.service.providers().delete_credential(org, {so.vapi_base_url, so.vapi_private_key},
                                                  id);
  } catch (const actors::provider_unavailable& e) {
    return "Vapi calls for this clinic are paused after repeated failures; retry in " +
           seconds_text(e.retry_after) + " s";
  } catch (const actors::service_error& e) {
    return std::string{"Vapi did not answer in time: "} + e.what();
  }
  if (r.ok) return "";
  return "Vapi refused (HTTP " + std::to_string(r.error.http_status) + "): " + r.error.message;
}

void answer_sync(httplib::Response& res, int ok_status, const std::string& error,
                 const std::optional<p::twilio_connection>& view) {
  if (error.empty()) return send_json(res, ok_status, view_of(view));
  send_error(res, 502, "vapi_sync_failed",
             "the Twilio credentials are stored, but syncing them to Vapi failed: " + error +
                 ". Retry with POST /api/integrations/twilio/sync");
}

void post_twilio(context& ctx, const httplib::Request& req, httplib::Response& res,
                 const principal& who) {
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  if (!body.is_object()) return send_error(res, 400, "invalid_field", "the body must be an object");
  static const std::regex sid{"^AC[0-9a-fA-F]{32}$"};
  if (!body.contains("account_sid") || !body["account_sid"].is_string() ||
      !std::regex_match(body["account_sid"].get<std::string>(), sid))
    return send_error(res, 400, "invalid_field",
                      "account_sid must be AC followed by 32 hex digits", "account_sid");
  bool token_ok = body.contains("auth_token") && body["auth_token"].is_string();
  if (token_ok) {
    const auto& t = body["auth_token"].get_ref<const std::string&>();
    token_ok = !t.empty() && t.size() <= 256;
    for (unsigned char c : t) token_ok = token_ok && c > 0x20 && c < 0x7f;
  }
  if (!token_ok)
    return send_error(res, 400, "invalid_field",
                      "auth_token is required: the account's auth token (printable, no spaces)",
                      "auth_token");
  const p::twilio_account account{body["account_sid"], body["auth_token"]};
  const auto org = who.org_id;

  // 1. Twilio: do these credentials work? Nothing is stored before it says yes.
  twilio::account_result checked;
  try {
    checked = ctx.service.providers().fetch_account(
        org, {ctx.service.options().twilio_base_url}, {account.account_sid, account.auth_token});
  } catch (const actors::provider_unavailable& e) {
    return send_provider_unavailable(
        res, e,
        "Twilio calls for this clinic are paused after repeated failures; retry in " +
            seconds_text(e.retry_after) + " s");
  }
  if (!checked.ok) {
    const auto& e = checked.error;
    if (e.code == 20003 || e.http_status == 401 || e.http_status == 403)
      return send_error(res, 400, "twilio_rejected_credentials",
                        "Twilio rejected these credentials", "auth_token");
    if (e.http_status == 404)
      return send_error(res, 400, "twilio_rejected_credentials",
                        "Twilio has no account " + account.account_sid, "account_sid");
    if (transient(e))
      return send_error(res, 502, "twilio_unavailable",
                        "Twilio could not be reached to check the credentials: " +
                            twilio::describe(e));
    return send_error(res, 400, "twilio_rejected_credentials",
                      "Twilio refused: " + twilio::describe(e));
  }
  if (!checked.account.status.empty() && checked.account.status != "active")
    return send_error(res, 400, "twilio_account_inactive",
                      "the Twilio account is " + checked.account.status + ", not active",
                      "account_sid");

  // 2. Store it sealed; the Vapi side starts `pending`.
  std::string previous_vapi_id;
  in_tenant(ctx, org, [&](pqxx::work& tx) {
    if (auto before = p::load_twilio_connection(tx, org))
      previous_vapi_id = before->vapi_credential_id;
    p::store_twilio_credential(tx, org, account.account_sid, account.auth_token,
                               checked.account.friendly_name, "pending");
    return true;
  });
  spdlog::info("tenant {}: Twilio account {} connected by {}", org, account.account_sid,
               who.user_id);

  // 3. Vapi: a credential made from it, so the agent calls with the clinic's identity.
  auto error = sync_to_vapi(ctx, org, account, checked.account.friendly_name);
  if (!previous_vapi_id.empty()) {
    // The replaced token's credential is no longer ours to keep (whatever the new sync did).
    if (auto gone = delete_in_vapi(ctx, org, previous_vapi_id); !gone.empty())
      spdlog::warn("tenant {}: the replaced Vapi credential {} was not removed: {}", org,
                   previous_vapi_id, gone);
  }
  answer_sync(res, 201, error, load_view(ctx, org));
}

void get_twilio(context& ctx, const httplib::Request&, httplib::Response& res,
                const principal& who) {
  send_json(res, 200, view_of(load_view(ctx, who.org_id)));
}

void post_twilio_sync(context& ctx, const httplib::Request&, httplib::Response& res,
                      const principal& who) {
  std::optional<p::twilio_account> account;
  std::optional<p::twilio_connection> view;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    view = p::load_twilio_connection(tx, who.org_id);
    if (view) account = p::load_twilio_account(tx, who.org_id);
    return true;
  });
  if (!view || !account)
    return send_error(res, 404, "not_found", "no Twilio account is connected");
  if (view->vapi_sync_status == "synced" && !view->vapi_credential_id.empty())
    return send_json(res, 200, view_of(view));  // nothing to do
  auto error = sync_to_vapi(ctx, who.org_id, *account, view->friendly_name);
  answer_sync(res, 200, error, load_view(ctx, who.org_id));
}

void delete_twilio(context& ctx, const httplib::Request&, httplib::Response& res,
                   const principal& who) {
  const auto org = who.org_id;
  auto view = load_view(ctx, org);
  if (!view) return send_error(res, 404, "not_found", "no Twilio account is connected");
  if (!view->vapi_credential_id.empty()) {
    if (auto error = delete_in_vapi(ctx, org, view->vapi_credential_id); !error.empty()) {
      in_tenant(ctx, org, [&](pqxx::work& tx) {
        p::record_vapi_sync(tx, org, view->vapi_sync_status, "",
                            "disconnect failed: " + error);
        return true;
      });
      return send_error(res, 502, "vapi_unavailable",
                        "nothing was disconnected: removing the Vapi credential failed (" + error +
                            "); retry DELETE /api/integrations/twilio");
    }
  }
  in_tenant(ctx, org, [&](pqxx::work& tx) {
    p::delete_credential(tx, org, "twilio");
    return true;
  });
  spdlog::info("tenant {}: Twilio account {} disconnected by {}", org, view->account_sid,
               who.user_id);
  send_json(res, 200, view_of(std::nullopt));  // {"connected": false}, like the other deletes
}

}  // namespace

void add_twilio_integration_routes(httplib::Server& srv, context& ctx) {
  add_tenant_table(srv, ctx,
                   {
                       {"POST", "/api/integrations/twilio", "admin", post_twilio},
                       {"GET", "/api/integrations/twilio", "member", get_twilio},
                       {"POST", "/api/integrations/twilio/sync", "admin", post_twilio_sync},
                       {"DELETE", "/api/integrations/twilio", "admin", delete_twilio},
                   });
}

}  // namespace rm::http
