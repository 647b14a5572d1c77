// A clinic's phone numbers (docs/api.md "Phone numbers", docs/telephony.md "Number lifecycle"):
//   GET    /api/phone-numbers/available   member  Twilio's AvailablePhoneNumbers (Local)
//   POST   /api/phone-numbers             admin   buy + record + import into Vapi + link (a saga)
//   GET    /api/phone-numbers             member  the clinic's numbers and open orders
//   DELETE /api/phone-numbers/{id}        admin   release (Twilio, Vapi) into quarantine
//   POST   /api/phone-numbers/import      admin   every number of the clinic's Twilio account
// The work is done by actors::number_service (server_options::numbers; 503 without it). These
// handlers only authenticate (the same guard as the tenant table: JWT, then role, before the
// handler), read the request and write the response.
#include "actors/number_service.hpp"
#include "adapters/http/routes.hpp"

namespace rm::http {

namespace {

using nlohmann::json;

using handler_fn = void (*)(context&, actors::number_service&, const httplib::Request&,
                            httplib::Response&, const principal&);

void reply(httplib::Response& res, const actors::number_result& r) {
  if (r.retry_after >= 0) res.set_header("Retry-After", std::to_string(r.retry_after));
  send_json(res, r.status, r.body);
}

void available(context&, actors::number_service& numbers, const httplib::Request& req,
               httplib::Response& res, const principal& who) {
  const auto country = req.has_param("country") ? req.get_param_value("country") : "US";
  const auto area = req.has_param("area_code") ? req.get_param_value("area_code") : "";
  const auto contains = req.has_param("contains") ? req.get_param_value("contains") : "";
  reply(res, numbers.search(who.org_id, country, area, contains));
}

void provision(context& ctx, actors::number_service& numbers, const httplib::Request& req,
               httplib::Response& res, const principal& who) {
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  reply(res, numbers.provision(who.org_id, who.user_id, body));
}

void list(context&, actors::number_service& numbers, const httplib::Request& req,
          httplib::Response& res, const principal& who) {
  bool include_released = false;
  if (req.has_param("include_released")) {
    const auto v = req.get_param_value("include_released");
    if (v == "true" || v == "1") {
      include_released = true;
    } else if (v != "false" && v != "0") {
      return send_error(res, 400, "invalid_field", "include_released must be true or false",
                        "include_released");
    }
  }
  reply(res, numbers.list(who.org_id, include_released));
}

void release(context&, actors::number_service& numbers, const httplib::Request& req,
             httplib::Response& res, const principal& who) {
  reply(res, numbers.release(who.org_id, who.user_id, req.matches[1]));
}

void import_all(context&, actors::number_service& numbers, const httplib::Request&,
                httplib::Response& res, const principal& who) {
  reply(res, numbers.import_all(who.org_id, who.user_id));
}

struct route {
  const char* method;
  const char* path;
  const char* min_role;
  handler_fn handler;
};

const std::vector<route>& routes() {
  static const std::vector<route> table{
      {"GET", "/api/phone-numbers/available", "member", available},
      {"POST", "/api/phone-numbers/import", "admin", import_all},
      {"POST", "/api/phone-numbers", "admin", provision},
      {"GET", "/api/phone-numbers", "member", list},
      {"DELETE", "/api/phone-numbers/{id}", "admin", release},
  };
  return table;
}

}  // namespace

void add_number_routes(httplib::Server& srv, context& ctx) {
  for (const auto& r : routes()) {
    httplib::Server::Handler guarded = [&ctx, &r](const httplib::Request& req,
                                                  httplib::Response& res) {
      auto user = require_tenant(req, res, ctx);
      if (!user) return;
      if (std::string{r.min_role} == "admin" && user->role != "admin")
        return send_error(res, 403, "forbidden",
                          "this action needs the admin role; your role is " + user->role);
      if (!ctx.options.numbers)
        return send_error(res, 503, "unavailable",
                          "phone-number provisioning is not enabled on this server");
      r.handler(ctx, *ctx.options.numbers, req, res, *user);
    };
    add_route(srv, ctx, r.method, r.path, route_auth::tenant, std::move(guarded), r.min_role);
  }
}

}  // namespace rm::http
