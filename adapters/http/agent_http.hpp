// Shared by the agent route files (agent_routes.cpp: agents and their provisioning;
// campaign_routes.cpp; notification_routes.cpp; call_back_routes.cpp): JSON helpers, the Vapi
// request helper of the routes that call Vapi synchronously, and the handlers each file
// defines. The route table is add_agent_routes (agent_routes.cpp).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/provider_port.hpp"
#include "actors/service.hpp"
#include "adapters/http/routes.hpp"
#include "domain/calendar.hpp"

namespace rm::http::agents_detail {

using nlohmann::json;

inline std::string utc(domain::instant t) { return domain::format_local(t, "UTC"); }
inline json text_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

inline void field_error(httplib::Response& res, const std::string& field,
                        const std::string& message) {
  send_error(res, ec::invalid_argument, message, field);
}

// A Vapi operation of the routes (the typed request to the vapi adapter actor through the
// provider port, behind the tenant's circuit breaker): its response, or why there is none.
struct vapi_outcome {
  vapi::response response;
  std::optional<actors::provider_unavailable> breaker_open;  // the breaker refused it
  bool no_answer = false;  // the vapi adapter did not answer in time
};
vapi_outcome with_vapi(context& ctx, const std::string& org_id,
                       const std::function<vapi::response(actors::provider_port&,
                                                          const actors::vapi_endpoint&)>& op);
// 503 provider_unavailable with Retry-After (at least 1 s) and the routes' sentence
// ("…; retry in 30 s"), through send_provider_unavailable.
void send_vapi_unavailable(httplib::Response& res, const actors::provider_unavailable& e);

// 503 not_configured when the deployment cannot talk to Vapi at all (nothing is stored).
bool vapi_configured(const context& ctx, httplib::Response& res, bool need_public_url);
// <public URL>/webhooks/vapi and the headers Vapi adds to the assistant's server messages.
std::string webhook_url(const context& ctx);
std::map<std::string, std::string> server_headers(const context& ctx);

using handler = void (*)(context&, const httplib::Request&, httplib::Response&,
                         const principal&);
// agent_routes.cpp
void post_agent(context&, const httplib::Request&, httplib::Response&, const principal&);
void list_agents(context&, const httplib::Request&, httplib::Response&, const principal&);
void retry_agent(context&, const httplib::Request&, httplib::Response&, const principal&);
void patch_agent(context&, const httplib::Request&, httplib::Response&, const principal&);
// notification_routes.cpp
void list_notifications(context&, const httplib::Request&, httplib::Response&, const principal&);
void read_notification(context&, const httplib::Request&, httplib::Response&, const principal&);
// campaign_routes.cpp
void post_campaign(context&, const httplib::Request&, httplib::Response&, const principal&);
void list_campaigns(context&, const httplib::Request&, httplib::Response&, const principal&);
void link_number(context&, const httplib::Request&, httplib::Response&, const principal&);
void unlink_number(context&, const httplib::Request&, httplib::Response&, const principal&);
void assign_contacts(context&, const httplib::Request&, httplib::Response&, const principal&);
void unassign_contact(context&, const httplib::Request&, httplib::Response&, const principal&);
// call_back_routes.cpp
void call_back(context&, const httplib::Request&, httplib::Response&, const principal&);

}  // namespace rm::http::agents_detail
