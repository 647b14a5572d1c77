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
#include "adapters/http/number_http.hpp"
#include "adapters/http/routes.hpp"

namespace rm::http {

namespace {

using nlohmann::json;

using handler_fn = void (*)(context&, actors::number_service&, const httplib::Request&,
                            httplib::Response&, const principal&);

// The typed result as HTTP (number_http.hpp: rm::ec → status through http_errors.hpp).
void reply(httplib::Response& res, const actors::number_result& r) {
  const auto h = to_http(r);
  if (h.retry_after >= 0) res.set_header("Retry-After", std::to_string(h.retry_after));
  send_json(res, h.status, h.body);
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

// The handler as a tenant route: 503 while provisioning is not enabled on this server.
tenant_handler with_numbers(handler_fn handler) {
  return [handler](context& ctx, const httplib::Request& req, httplib::Response& res,
                   const principal& who) {
    if (!ctx.options.numbers)
      return send_error(res, 503, "unavailable",
                        "phone-number provisioning is not enabled on this server");
    handler(ctx, *ctx.options.numbers, req, res, who);
  };
}

}  // namespace

void add_number_routes(httplib::Server& srv, context& ctx) {
  add_tenant_table(srv, ctx,
                   {
                       {"GET", "/api/phone-numbers/available", "member", with_numbers(available)},
                       {"POST", "/api/phone-numbers/import", "admin", with_numbers(import_all)},
                       {"POST", "/api/phone-numbers", "admin", with_numbers(provision)},
                       {"GET", "/api/phone-numbers", "member", with_numbers(list)},
                       {"DELETE", "/api/phone-numbers/{id}", "admin", with_numbers(release)},
                   });
}

}  // namespace rm::http
