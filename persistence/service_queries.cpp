// SQL behind service_queries.hpp. Keywords travel as JSON arrays (array_to_json on the way out,
// jsonb_array_elements_text on the way in), so no text[] literal is ever built by hand.
#include "persistence/service_queries.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "domain/uuid.hpp"
#include "persistence/detail/rows.hpp"
#include "persistence/repositories.hpp"

namespace rm::persistence {
namespace {

using detail::at;
using detail::begun;
using detail::named_row;
using detail::or_null;

constexpr const char* service_columns =
    "id, name, price::float8 AS price, array_to_json(keywords)::text AS keywords,"
    " extract(epoch from created_at)::bigint AS created_at_s,"
    " extract(epoch from updated_at)::bigint AS updated_at_s";

service_row read_service(named_row r) {
  service_row s;
  s.id = r["id"].c_str();
  s.name = r["name"].c_str();
  s.price = r["price"].as<double>();
  s.keywords = nlohmann::json::parse(r["keywords"].c_str()).get<std::vector<std::string>>();
  s.created_at = at(r["created_at_s"]);
  s.updated_at = at(r["updated_at_s"]);
  return s;
}

// Two decimals as text: numeric(12, 2) stores exactly the cents given.
std::string money(double usd) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", usd);
  return buf;
}

std::string keywords_json(const std::vector<std::string>& keywords) {
  return nlohmann::json(keywords).dump();
}

}  // namespace

std::vector<service_row> list_services(pqxx::work& tx) {
  auto rows = tx.exec(std::string{"SELECT "} + service_columns +
                      " FROM services WHERE org_id = rm_current_org() ORDER BY lower(name), id");
  std::vector<service_row> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(read_service(r));
  return out;
}

std::optional<service_row> find_service(pqxx::work& tx, const std::string& id) {
  if (!domain::is_uuid(id)) return std::nullopt;
  auto rows = tx.exec_params(std::string{"SELECT "} + service_columns +
                                 " FROM services WHERE id = $1 AND org_id = rm_current_org()",
                             id);
  if (rows.empty()) return std::nullopt;
  return read_service(rows[0]);
}

save_service_result create_service(pqxx::work& tx, const std::string& org_id,
                                   const std::string& name, double price,
                                   const std::vector<std::string>& keywords) {
  try {
    pqxx::subtransaction sub{tx, "create_service"};
    const named_row r = begun(sub).exec_params1(
        std::string{"INSERT INTO services (org_id, name, price, keywords) VALUES ($1, $2,"
                    " $3::numeric, ARRAY(SELECT jsonb_array_elements_text($4::jsonb)))"
                    " RETURNING "} +
            service_columns,
        org_id, name, money(price), keywords_json(keywords));
    auto row = read_service(r);
    sub.commit();
    return {service_outcome::saved, std::move(row)};
  } catch (const pqxx::unique_violation&) {  // services_org_name: lower(name) per tenant
    return {service_outcome::name_taken, std::nullopt};
  }
}

save_service_result update_service(pqxx::work& tx, const std::string& id,
                                   const std::optional<std::string>& name,
                                   const std::optional<double>& price,
                                   const std::optional<std::vector<std::string>>& keywords) {
  if (!domain::is_uuid(id)) return {};
  const std::string name_text = name.value_or("");
  const std::string price_text = price ? money(*price) : "";
  const std::string keywords_text = keywords ? keywords_json(*keywords) : "";
  try {
    pqxx::subtransaction sub{tx, "update_service"};
    auto rows = begun(sub).exec_params(
        std::string{"UPDATE services SET name = coalesce($2, name),"
                    " price = coalesce($3::numeric, price),"
                    " keywords = CASE WHEN $4::jsonb IS NULL THEN keywords"
                    "   ELSE ARRAY(SELECT jsonb_array_elements_text($4::jsonb)) END"
                    " WHERE id = $1 AND org_id = rm_current_org() RETURNING "} +
            service_columns,
        id, or_null(name_text), or_null(price_text), or_null(keywords_text));
    if (rows.empty()) return {};
    auto row = read_service(rows[0]);
    sub.commit();
    return {service_outcome::saved, std::move(row)};
  } catch (const pqxx::unique_violation&) {
    return {service_outcome::name_taken, std::nullopt};
  }
}

std::optional<service_row> delete_service(pqxx::work& tx, const std::string& id) {
  if (!domain::is_uuid(id)) return std::nullopt;
  auto rows = tx.exec_params(std::string{"DELETE FROM services WHERE id = $1"
                                         " AND org_id = rm_current_org() RETURNING "} +
                                 service_columns,
                             id);
  if (rows.empty()) return std::nullopt;
  return read_service(rows[0]);
}

}  // namespace rm::persistence
