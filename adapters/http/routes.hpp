// Internal to the HTTP adapter: shared helpers and the route groups.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <pqxx/transaction>

#include "adapters/http/auth_throttle.hpp"
#include "adapters/http/http_errors.hpp"
#include "adapters/json/json_guard.hpp"
#include "adapters/http/server.hpp"
#include "adapters/http/vapi_overrides.hpp"

namespace rm::http {

struct context {
  actors::service& service;
  const server_options& options;
  server_counters& counters;
  auth_throttle& throttle;  // failed authentications per kind and client (or clinic)
  std::vector<registered_route> routes{};  // every route, as add_route registered it
  // Tenants' Vapi webhook credential overrides, cached (vapi_overrides.hpp).
  std::shared_ptr<vapi_override_cache> vapi_overrides = std::make_shared<vapi_override_cache>();
  // What route groups keep for the server's lifetime (released, last first, with the server).
  std::vector<std::shared_ptr<void>> owned{};
  // "http://host:port" once server::bind succeeded: the base of links to this server when
  // RINGMASTER_PUBLIC_URL is not set (share links, action_routes.cpp).
  std::string listen_url{};
  // Run by server::stop before httplib stops: route groups end what would hold a worker (the
  // open event streams).
  std::vector<std::function<void()>> stopping{};
};

// The client address of a request: the TCP peer, or X-Forwarded-For when the peer is a trusted
// proxy (RINGMASTER_TRUSTED_PROXIES; client_address.hpp). What the throttle counts under and the
// audit trail records.
std::string client_address(const httplib::Request& req, const context& ctx);

// The one way routes are registered: records the route in ctx.routes (server::routes(), which
// tests/tenant_api enumerates: a tenant or service route without an entry in its isolation matrix
// fails the suite) and registers `handler` with httplib. `path` is the route as documented;
// "{name}" matches one path segment ([^/]+) and "{name:regex}" matches `regex` (e.g.
// "{org_id:[0-9a-fA-F-]{36}}"); each placeholder is a capture group, in order, in req.matches.
// `auth` declares how the handler authenticates; for the service, operator, Vapi and Twilio kinds
// the handler authenticates itself (require_* first). Tenant routes are registered with
// add_tenant_route only: add_route throws std::logic_error for route_auth::tenant, so no tenant
// route can skip the guard. Throws std::logic_error for an unsupported method or a malformed
// path. Every handler is wrapped: a percent-decoded path or query that holds NUL or is not UTF-8
// gets 400 bad_request (form_text_ok) before it runs.
void add_route(httplib::Server& srv, context& ctx, const char* method, const std::string& path,
               route_auth auth, httplib::Server::Handler handler);

// A tenant route's handler: called only once the JWT verified and its role suffices.
using tenant_handler = std::function<void(context&, const httplib::Request&, httplib::Response&,
                                          const principal&)>;
// The one guard of every tenant route (route_auth::tenant), registered through add_route (so the
// isolation matrix enumerates it): require_tenant (401, or 429 after repeated failures), then
// the role: `min_role` is "member" (any user of the tenant) or "admin"; a member on an admin
// route gets 403 {"error":{"code":"forbidden",...}}, not counted as a failed authentication.
// Only then `handler` runs, with the token's tenant, user and role. Database work in the handler
// names that tenant with in_tenant. Throws std::logic_error for another min_role.
void add_tenant_route(httplib::Server& srv, context& ctx, const char* method,
                      const std::string& path, const std::string& min_role,
                      tenant_handler handler);
// One row of a route group's table of tenant routes: add_tenant_table registers each row with
// add_tenant_route, in order. `min_role`: "member" or "admin".
struct tenant_route {
  const char* method;
  const char* path;
  const char* min_role;
  tenant_handler handler;
};
void add_tenant_table(httplib::Server& srv, context& ctx, const std::vector<tenant_route>& table);

// Runs `work` in one transaction on a pool connection with the tenant named first
// (persistence::set_tenant, so row-level security shows only its rows). The transaction commits
// only when `work` returns true (a refusal rolls back whatever it touched). Exceptions propagate
// (the transaction is rolled back).
void in_tenant(context& ctx, const std::string& org_id,
               const std::function<bool(pqxx::work&)>& work);
// "/api/calls/{id}" → "/api/calls/([^/]+)" (httplib matches the whole path). Its documented
// form ("{name:regex}" → "{name}") is route_template (server.hpp).
std::string pattern_of(const std::string& path);

// send_error / send_json and the rm::ec → HTTP mapping: adapters/http/http_errors.hpp.

// Parses the body with rm::json_guard (docs/security.md "Input limits"): at most 64 levels of
// nesting (checked while parsing, so nothing recursive ever runs on a deeper document), UTF-8
// only, U+0000 removed from every string and key. On failure answers 400 with the code
// invalid_json (syntax, trailing garbage), invalid_utf8 or too_deep, counts a bad request, and
// returns a discarded value. (Bodies over server_options::max_body_bytes never get here: 413.)
nlohmann::json parse_body(const httplib::Request& req, httplib::Response& res, context& ctx);
// The 400 parse_body answers, for a body already parsed with json_guard::parse (`p` not ok).
void send_unparsable(httplib::Response& res, context& ctx, const json_guard::parsed& p);
// Form fields (names and values, after percent-decoding) must be UTF-8 without U+0000:
// otherwise answers 400 bad_request naming the field and returns false. Twilio webhooks call it
// after the signature is verified, before anything is stored; add_route applies it to every
// request's path ("path") and query parameters before the handler runs.
bool form_text_ok(const std::vector<std::pair<std::string, std::string>>& form,
                  httplib::Response& res, context& ctx);

// Authentication. Each verifies the credential first and answers the request itself when it
// fails: 401 (with the reason counted per kind in server_counters), or 429 with Retry-After once
// that kind of credential has failed more than 20 times within a minute for the same client (or,
// for Vapi, the same clinic; auth_throttle.hpp). A credential that verifies is never answered 429.
// Tokens are compared in constant time.
// `Authorization: Bearer <RINGMASTER_OPERATOR_TOKEN>` (/ops/*, /sessions/*).
bool require_operator(const httplib::Request& req, httplib::Response& res, context& ctx);
// `Authorization: Bearer <RINGMASTER_SERVICE_TOKEN>` (service-to-service lookups).
bool require_service(const httplib::Request& req, httplib::Response& res, context& ctx);
// `Authorization: Bearer <JWT>` of a tenant user (/api/*): the tenant, user and role.
std::optional<principal> require_tenant(const httplib::Request& req, httplib::Response& res,
                                        context& ctx);
// Vapi webhook credentials (X-Vapi-Secret | Bearer | HMAC, ../shared/contracts/vapi.md §3).
// `org_id`: the tenant the message's routing keys name ("" when none): when that tenant has an
// override (PUT /api/org/vapi-webhook-auth) only the override is accepted; otherwise the
// deployment's setting applies, which accepts everything when none is configured.
bool require_vapi(const httplib::Request& req, httplib::Response& res, context& ctx,
                  const std::string& org_id = "");
// The tenant's stored override, read from the database (the cache's loader; credential_routes.cpp).
std::optional<vapi_override> load_vapi_override(context& ctx, const std::string& org_id);

void add_vapi_routes(httplib::Server& srv, context& ctx);    // vapi_routes.cpp
void add_legacy_routes(httplib::Server& srv, context& ctx);  // legacy_routes.cpp
void add_ops_routes(httplib::Server& srv, context& ctx);     // ops_routes.cpp
// The tenant API (/api/org/*, /api/inbound/*, /api/appointments; see
// docs/api.md and docs/security.md). Its routes are registered from one table whose registration
// applies the route's authentication and role before the handler runs, so no route can forget
// them.
void add_tenant_routes(httplib::Server& srv, context& ctx);  // tenant_routes.cpp
// The dashboard's reads: /api/calls*, /api/contacts, /api/contacts/stats, /api/dashboard/summary.
void add_dashboard_routes(httplib::Server& srv, context& ctx);  // dashboard_routes.cpp
// The services pricing engine: /api/services* (guarded table like the tenant API).
void add_service_routes(httplib::Server& srv, context& ctx);  // service_routes.cpp
// The clinic's knowledge base: /api/knowledge-base* (guarded table like the tenant API).
void add_knowledge_routes(httplib::Server& srv, context& ctx);  // knowledge_routes.cpp
void add_twilio_routes(httplib::Server& srv, context& ctx);  // twilio_routes.cpp
void add_telephony_routes(httplib::Server& srv, context& ctx);  // telephony_routes.cpp
// Agents, campaigns, the outbound call-back and admin notifications (tenant JWT, same guard as
// the tenant table: authentication and role before the handler).
void add_agent_routes(httplib::Server& srv, context& ctx);  // agent_routes.cpp
// /api/phone-numbers* (tenant JWT, same guard as the tenant table) over actors::number_service.
void add_number_routes(httplib::Server& srv, context& ctx);  // number_routes.cpp
// A tenant's stored credentials: /api/org/vapi-webhook-auth (guarded table like the tenant API).
void add_credential_routes(httplib::Server& srv, context& ctx);  // credential_routes.cpp
// /api/integrations/twilio*: connect a clinic's Twilio account, synced to Vapi.
void add_twilio_integration_routes(httplib::Server& srv, context& ctx);
// The console's static files under /console/ with their security headers (issue 15; no
// authentication: the app sends the user's token to the API itself).
void add_console_routes(httplib::Server& srv, context& ctx);  // console_routes.cpp
// /api/integrations/google*: link a clinic's Google Calendar (google_integration_routes.cpp).
void add_google_integration_routes(httplib::Server& srv, context& ctx);
// The dashboard actions (follow-up SMS, recording share, transcript export, appointment
// reminder; tenant JWT, members) and the public share link GET /share/recordings/{token}
// (authenticated by its signed token).
void add_action_routes(httplib::Server& srv, context& ctx);  // action_routes.cpp
// Live events as Server-Sent Events: GET /sessions/events (operator, every tenant's calls) and
// GET /api/events (tenant JWT, any role: only its own calls). event_routes.cpp.
void add_event_routes(httplib::Server& srv, context& ctx);  // event_routes.cpp

}  // namespace rm::http
