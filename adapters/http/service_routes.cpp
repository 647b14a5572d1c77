// The services pricing engine's API (issue 11 §2): a tenant's price list, matched against call
// transcripts by the scoring step (domain/scoring.hpp match_service).
//   GET    /api/services          member  {"services":[…]} by name
//   POST   /api/services          admin   {name, price, keywords?} → 201 {"service":…}
//   GET    /api/services/{id}     member  {"service":…}
//   PATCH  /api/services/{id}     admin   any of name, price, keywords → {"service":…}
//   DELETE /api/services/{id}     admin   {"success":true,"service":…(as it was)}
// Errors: 400 invalid_field naming the field (rules: domain/service_catalog.hpp), 404 for an
// unknown id or another tenant's, 409 service_name_taken (names are unique per tenant,
// case-insensitively). docs/api.md describes the shapes.
#include "adapters/http/api_input.hpp"
#include "adapters/http/routes.hpp"
#include "domain/service_catalog.hpp"
#include "persistence/service_queries.hpp"

namespace rm::http {

namespace {

using nlohmann::json;
namespace p = rm::persistence;

json service_json(const p::service_row& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"price", s.price},
          {"keywords", s.keywords},
          {"created_at", utc(s.created_at)},
          {"updated_at", utc(s.updated_at)}};
}

// What a POST or PATCH body gives; absent fields stay nullopt.
struct service_input {
  std::optional<std::string> name;
  std::optional<double> price;
  std::optional<std::vector<std::string>> keywords;
};

std::optional<field_error> read_service(const json& body, bool creating, service_input& in) {
  if (!body.is_object()) return field_error{"", "the body must be a JSON object"};
  for (const auto& [key, value] : body.items()) {
    if (key == "name") {
      auto name = value.is_string() ? domain::service_name(value.get<std::string>())
                                    : domain::checked<std::string>{{}, "name must be a string"};
      if (!name.ok()) return field_error{key, name.error};
      in.name = name.value;
    } else if (key == "price") {
      auto price = value.is_number() ? domain::service_price(value.get<double>())
                                     : domain::checked<double>{0, "price must be a number"};
      if (!price.ok()) return field_error{key, price.error};
      in.price = price.value;
    } else if (key == "keywords") {
      if (!value.is_array()) return field_error{key, "keywords must be an array of strings"};
      std::vector<std::string> given;
      for (const auto& k : value) {
        if (!k.is_string()) return field_error{key, "keywords must be an array of strings"};
        given.push_back(k.get<std::string>());
      }
      auto keywords = domain::service_keywords(given);
      if (!keywords.ok()) return field_error{key, keywords.error};
      in.keywords = keywords.value;
    } else {
      return field_error{key, "unknown field '" + key + "'"};
    }
  }
  if (creating && !in.name) return field_error{"name", "name is required"};
  if (creating && !in.price) return field_error{"price", "price is required (US dollars)"};
  return std::nullopt;
}

void send_name_taken(httplib::Response& res) {
  send_error(res, 409, "service_name_taken",
             "another service of this clinic already has this name", "name");
}

void list_services(context& ctx, const httplib::Request&, httplib::Response& res,
                   const principal& who) {
  json out = json::array();
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    for (const auto& s : p::list_services(tx)) out.push_back(service_json(s));
    return true;
  });
  send_json(res, 200, {{"services", out}});
}

void create_service(context& ctx, const httplib::Request& req, httplib::Response& res,
                    const principal& who) {
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  service_input in;
  if (auto err = read_service(body, true, in)) return send_field_error(res, *err);
  p::save_service_result saved;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    saved = p::create_service(tx, who.org_id, *in.name, *in.price,
                              in.keywords.value_or(std::vector<std::string>{}));
    return saved.outcome == p::service_outcome::saved;
  });
  if (saved.outcome == p::service_outcome::name_taken) return send_name_taken(res);
  send_json(res, 201, {{"service", service_json(*saved.row)}});
}

void get_service(context& ctx, const httplib::Request& req, httplib::Response& res,
                 const principal& who) {
  const std::string id = req.matches[1];
  std::optional<p::service_row> row;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    row = p::find_service(tx, id);
    return true;
  });
  if (!row) return send_error(res, 404, "not_found", "no service with id " + id);
  send_json(res, 200, {{"service", service_json(*row)}});
}

void patch_service(context& ctx, const httplib::Request& req, httplib::Response& res,
                   const principal& who) {
  const std::string id = req.matches[1];
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  service_input in;
  if (auto err = read_service(body, false, in)) return send_field_error(res, *err);
  p::save_service_result saved;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    saved = p::update_service(tx, id, in.name, in.price, in.keywords);
    return saved.outcome == p::service_outcome::saved;
  });
  if (saved.outcome == p::service_outcome::not_found)
    return send_error(res, 404, "not_found", "no service with id " + id);
  if (saved.outcome == p::service_outcome::name_taken) return send_name_taken(res);
  send_json(res, 200, {{"service", service_json(*saved.row)}});
}

void delete_service(context& ctx, const httplib::Request& req, httplib::Response& res,
                    const principal& who) {
  const std::string id = req.matches[1];
  std::optional<p::service_row> row;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    row = p::delete_service(tx, id);
    return row.has_value();
  });
  if (!row) return send_error(res, 404, "not_found", "no service with id " + id);
  send_json(res, 200, {{"success", true}, {"service", service_json(*row)}});
}

}  // namespace

void add_service_routes(httplib::Server& srv, context& ctx) {
  add_tenant_table(srv, ctx,
                   {
                       {"GET", "/api/services", "member", list_services},
                       {"POST", "/api/services", "admin", create_service},
                       {"GET", "/api/services/{id}", "member", get_service},
                       {"PATCH", "/api/services/{id}", "admin", patch_service},
                       {"DELETE", "/api/services/{id}", "admin", delete_service},
                   });
}

}  // namespace rm::http
