// A tenant's stored credentials (org_credentials, persistence/credentials.hpp), through the same
// guarded-table pattern as tenant_routes.cpp (authentication and role checked before the handler):
//   PUT    /api/org/vapi-webhook-auth   admin   {mode: secret|bearer|hmac, secret} → override
//   GET    /api/org/vapi-webhook-auth   member  which credential Vapi webhooks need (no secret)
//   DELETE /api/org/vapi-webhook-auth   admin   back to the deployment's setting (200, its view)
// The secret is sealed under the master key and never returned or logged. A change drops the
// tenant's entry of the webhook override cache (vapi_overrides.hpp) before the reply, so the next
// webhook already needs the new credential.
#include <spdlog/spdlog.h>

#include "actors/service.hpp"
#include "adapters/http/routes.hpp"
#include "persistence/credentials.hpp"
#include "persistence/repositories.hpp"

namespace rm::http {

namespace {

using nlohmann::json;
namespace p = rm::persistence;

// What Vapi webhooks for this tenant must carry, without the secret.
json webhook_auth_view(context& ctx, const std::optional<p::vapi_webhook_auth>& o) {
  if (o) return {{"source", "tenant"}, {"mode", o->mode}, {"updated_at", o->updated_at}};
  const auto& d = ctx.options.vapi_auth;
  json modes = json::array();
  if (!d.secret.empty()) modes.push_back("secret");
  if (!d.bearer_token.empty()) modes.push_back("bearer");
  if (!d.hmac_secret.empty()) modes.push_back("hmac");
  return {{"source", "deployment"}, {"mode", nullptr}, {"deployment_modes", modes}};
}

void put_vapi_webhook_auth(context& ctx, const httplib::Request& req, httplib::Response& res,
                           const principal& who) {
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  if (!body.is_object()) return send_error(res, 400, "invalid_field", "the body must be an object");
  if (!body.contains("mode") || !body["mode"].is_string() ||
      (body["mode"] != "secret" && body["mode"] != "bearer" && body["mode"] != "hmac"))
    return send_error(res, 400, "invalid_field", "mode must be secret, bearer or hmac", "mode");
  if (!body.contains("secret") || !body["secret"].is_string())
    return send_error(res, 400, "invalid_field", "secret is required (a string)", "secret");
  const std::string mode = body["mode"];
  const std::string secret = body["secret"];
  // It travels in an HTTP header (X-Vapi-Secret, Authorization) or keys an HMAC: printable ASCII
  // without spaces, long enough not to be guessed. The message never repeats it.
  bool printable = !secret.empty();
  for (unsigned char c : secret) printable = printable && c > 0x20 && c < 0x7f;
  if (!printable || secret.size() < 16 || secret.size() > 512)
    return send_error(res, 400, "invalid_field",
                      "secret must be 16 to 512 printable ASCII characters without spaces",
                      "secret");
  std::optional<p::vapi_webhook_auth> stored;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    p::store_vapi_webhook_auth(tx, who.org_id, mode, secret);
    stored = p::load_vapi_webhook_auth(tx, who.org_id);
    return true;
  });
  ctx.vapi_overrides->invalidate(who.org_id);
  spdlog::info("tenant {}: Vapi webhook credential override set (mode {}) by {}", who.org_id,
               mode, who.user_id);
  send_json(res, 200, webhook_auth_view(ctx, stored));
}

void get_vapi_webhook_auth(context& ctx, const httplib::Request&, httplib::Response& res,
                           const principal& who) {
  std::optional<p::vapi_webhook_auth> stored;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    stored = p::load_vapi_webhook_auth(tx, who.org_id);
    return true;
  });
  send_json(res, 200, webhook_auth_view(ctx, stored));
}

void delete_vapi_webhook_auth(context& ctx, const httplib::Request&, httplib::Response& res,
                              const principal& who) {
  bool deleted = false;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    deleted = p::delete_credential(tx, who.org_id, "vapi_webhook");
    return true;
  });
  ctx.vapi_overrides->invalidate(who.org_id);
  if (!deleted)
    return send_error(res, 404, "not_found", "this clinic has no Vapi webhook credential override");
  spdlog::info("tenant {}: Vapi webhook credential override removed by {}", who.org_id,
               who.user_id);
  send_json(res, 200, webhook_auth_view(ctx, std::nullopt));  // the deployment's applies again
}

}  // namespace

std::optional<vapi_override> load_vapi_override(context& ctx, const std::string& org_id) {
  std::optional<vapi_override> out;
  in_tenant(ctx, org_id, [&](pqxx::work& tx) {
    if (auto o = p::load_vapi_webhook_auth(tx, org_id)) out = vapi_override{o->mode, o->secret};
    return true;
  });
  return out;
}

void add_credential_routes(httplib::Server& srv, context& ctx) {
  add_tenant_table(srv, ctx,
                   {
                       {"PUT", "/api/org/vapi-webhook-auth", "admin", put_vapi_webhook_auth},
                       {"GET", "/api/org/vapi-webhook-auth", "member", get_vapi_webhook_auth},
                       {"DELETE", "/api/org/vapi-webhook-auth", "admin", delete_vapi_webhook_auth},
                   });
}

}  // namespace rm::http
