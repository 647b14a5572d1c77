// Linking a clinic's Google Calendar (docs/integrations.md "Google Calendar"):
//   GET    /api/integrations/google/authorize  admin   the consent URL (authorization-code flow,
//                                                      offline, consent, the contract's scopes, a
//                                                      signed state: tenant + user, 10 minutes)
//   GET    /api/integrations/google/callback   none    Google's redirect: ?code&state (the state
//                                                      authenticates it; single use), the code
//                                                      exchanged, the refresh token sealed
//   GET    /api/integrations/google            member  {connected, connected_email, status, …}
//   DELETE /api/integrations/google            admin   revoke at Google, forget the link → 204
// Google requests go through actors/google_port.hpp (the tenant's `google` breaker). Tokens are
// never returned or logged.
#include <spdlog/spdlog.h>

#include "actors/google_port.hpp"
#include "actors/service.hpp"
#include "adapters/google/oauth_state.hpp"
#include "adapters/http/routes.hpp"
#include "domain/uuid.hpp"
#include "persistence/google_queries.hpp"
#include "persistence/repositories.hpp"
#include "persistence/secret_box.hpp"

namespace rm::http {

namespace {

using nlohmann::json;
namespace gq = rm::persistence::google;

constexpr const char* callback_path = "/api/integrations/google/callback";

domain::instant now_s() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

// The state's HMAC key: derived from the master key, so only this deployment can sign a state.
std::string state_key() {
  const auto k = persistence::installed_master_key();
  return google::state_key(std::string(k.bytes.begin(), k.bytes.end()));
}

std::string redirect_uri(const context& ctx) {
  const auto& so = ctx.service.options();
  if (!so.google_redirect_uri.empty()) return so.google_redirect_uri;
  auto base = ctx.options.public_url.empty() ? ctx.listen_url : ctx.options.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + callback_path;
}

bool configured(context& ctx, httplib::Response& res) {
  if (!ctx.service.options().google_endpoint.client_id.empty()) return true;
  send_error(res, 503, "not_configured",
             "Google Calendar is not configured on this deployment "
             "(RINGMASTER_GOOGLE_CLIENT_ID, RINGMASTER_GOOGLE_CLIENT_SECRET)");
  return false;
}

json view_of(const std::optional<gq::link>& l) {
  if (!l)
    return {{"connected", false}, {"connected_email", nullptr}, {"status", nullptr},
            {"broken_reason", nullptr}, {"last_sync_at", nullptr}};
  return {{"connected", true},
          {"connected_email", l->connected_email},
          {"calendar_id", l->calendar_id},
          {"status", l->status},
          {"broken_reason", l->broken_reason.empty() ? json(nullptr) : json(l->broken_reason)},
          {"connected_at", l->connected_at},
          {"last_sync_at", l->last_sync_at.empty() ? json(nullptr) : json(l->last_sync_at)},
          {"last_error", l->last_error.empty() ? json(nullptr) : json(l->last_error)}};
}

void get_authorize(context& ctx, const httplib::Request&, httplib::Response& res,
                   const principal& who) {
  if (!configured(ctx, res)) return;
  const auto uri = redirect_uri(ctx);
  const auto state = google::make_state(state_key(), who.org_id, who.user_id, now_s());
  send_json(res, 200,
            {{"authorize_url", google::authorize_url(ctx.service.options().google_endpoint, uri,
                                                     state)},
             {"redirect_uri", uri},
             {"scopes", google::oauth_scopes},
             {"expires_in", domain::google::state_ttl.count()}});
}

void get_callback(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto param = [&](const char* k) { return req.has_param(k) ? req.get_param_value(k) : ""; };
  if (!param("error").empty())
    return send_error(res, 400, "google_consent_denied",
                      "Google did not grant access: " + param("error").substr(0, 100));
  const auto state = param("state");
  if (state.empty())
    return send_error(res, 400, "invalid_state", "state is required", "state");
  auto v = google::verify_state(state_key(), state, now_s());
  switch (v.verdict) {
    case google::state_check::malformed:
      return send_error(res, 400, "invalid_state", "state is not a state this service issued",
                        "state");
    case google::state_check::bad_signature:
      return send_error(res, 403, "invalid_state", "state has an invalid signature", "state");
    case google::state_check::expired:
      return send_error(res, 400, "state_expired",
                        "state has expired (10 minutes): start again with "
                        "GET /api/integrations/google/authorize",
                        "state");
    case google::state_check::ok: break;
  }
  const auto code = param("code");
  if (code.empty()) return send_error(res, 400, "invalid_field", "code is required", "code");
  const auto org = v.state.org_id;
  if (!domain::is_uuid(org))
    return send_error(res, 400, "invalid_state", "state names no clinic", "state");
  // Single use: the nonce is recorded before anything else happens (a replay stops here).
  bool fresh = false;
  in_tenant(ctx, org, [&](pqxx::work& tx) {
    fresh = gq::use_state_nonce(tx, org, v.state.nonce, v.state.expires_at);
    return true;
  });
  if (!fresh)
    return send_error(res, 400, "state_replayed",
                      "this state was already used: start again with "
                      "GET /api/integrations/google/authorize",
                      "state");
  if (!configured(ctx, res)) return;
  google::token_result t;
  try {
    t = actors::google_exchange_code(ctx.service, org, code, redirect_uri(ctx));
  } catch (const actors::provider_unavailable& e) {
    return send_provider_unavailable(res, e, e.what());
  }
  if (!t.ok) {
    if (google::transient(t.err))
      return send_error(res, 502, "google_unavailable",
                        "Google could not be reached to finish the link: " +
                            google::describe(t.err));
    return send_error(res, 400, "google_rejected_code",
                      "Google refused the code: " + google::describe(t.err), "code");
  }
  if (!google::calendar_scopes_granted(t.scope))
    return send_error(res, 400, "google_scopes_missing",
                      "the calendar permissions were not granted (free/busy and events are both "
                      "needed): connect again and keep both boxes ticked");
  auto claims = google::decode_id_token(t.id_token);
  std::string bad = claims ? google::check_id_claims(*claims, ctx.service.options().google_endpoint.client_id, now_s())
                           : "Google sent no readable id_token";
  if (!bad.empty()) return send_error(res, 502, "google_bad_id_token", bad);
  if (t.refresh_token.empty())
    return send_error(res, 502, "google_no_refresh_token",
                      "Google sent no refresh token (offline access was not granted)");
  in_tenant(ctx, org, [&](pqxx::work& tx) {
    gq::store_link(tx, org, claims->email, claims->sub, t.refresh_token, v.state.user_id);
    return true;
  });
  spdlog::info("tenant {}: Google Calendar {} linked by {}", org, claims->email, v.state.user_id);
  actors::google_link_changed(ctx.service, org);
  send_json(res, 200, {{"connected", true}, {"connected_email", claims->email},
                       {"status", "connected"}});
}

std::optional<gq::link> load_view(context& ctx, const std::string& org) {
  std::optional<gq::link> l;
  in_tenant(ctx, org, [&](pqxx::work& tx) {
    l = gq::load_link(tx, org);
    return true;
  });
  return l;
}

void get_google(context& ctx, const httplib::Request&, httplib::Response& res,
                const principal& who) {
  send_json(res, 200, view_of(load_view(ctx, who.org_id)));
}

void delete_google(context& ctx, const httplib::Request&, httplib::Response& res,
                   const principal& who) {
  const auto org = who.org_id;
  std::optional<std::string> token;
  bool linked = false;
  in_tenant(ctx, org, [&](pqxx::work& tx) {
    linked = gq::load_link(tx, org).has_value();
    if (linked) token = gq::load_refresh_token(tx, org);
    return true;
  });
  if (!linked) return send_error(res, 404, "not_found", "no Google Calendar is connected");
  if (token && !ctx.service.options().google_endpoint.client_id.empty()) {
    // Revoke first; the local copy is forgotten whatever Google says (the contract).
    try {
      auto r = actors::google_revoke(ctx.service, org, *token);
      if (!r.ok)
        spdlog::warn("tenant {}: Google revoke failed ({}); the link is forgotten anyway", org,
                     google::describe(r.err));
    } catch (const std::exception& e) {
      spdlog::warn("tenant {}: Google revoke not sent ({}); the link is forgotten anyway", org,
                   e.what());
    }
  }
  in_tenant(ctx, org, [&](pqxx::work& tx) {
    gq::delete_link(tx, org);
    return true;
  });
  spdlog::info("tenant {}: Google Calendar disconnected by {}", org, who.user_id);
  actors::google_link_changed(ctx.service, org);
  res.status = 204;
}

}  // namespace

void add_google_integration_routes(httplib::Server& srv, context& ctx) {
  add_tenant_table(srv, ctx,
                   {
                       {"GET", "/api/integrations/google/authorize", "admin", get_authorize},
                       {"GET", "/api/integrations/google", "member", get_google},
                       {"DELETE", "/api/integrations/google", "admin", delete_google},
                   });
  add_route(srv, ctx, "GET", callback_path, route_auth::none,
            [&ctx](const httplib::Request& req, httplib::Response& res) {
              get_callback(ctx, req, res);
            });
}

}  // namespace rm::http
