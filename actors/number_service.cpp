// actors::number_service (actors/number_service.hpp): its construction (the steps published to
// the number sweeper actor), search and list. The purchase saga is in number_provision.cpp,
// release in number_release.cpp, import in number_import.cpp, the steps in number_saga.cpp, the
// sweep in number_sweep.cpp and the JSON views in number_views.cpp.
#include "actors/number_saga.hpp"

namespace rm::actors {

using namespace numbers_detail;

namespace {
// How long sweep_now (and the start-up pass with sweep_interval 0) waits for the sweeper.
constexpr std::chrono::minutes sweep_wait{10};
}  // namespace

number_service::number_service(service& svc, number_service_options options)
    : saga_(std::make_shared<number_saga>(svc, std::move(options))) {
  // The sweeper (a child of the root supervisor) takes the steps from wiring; without a period,
  // its start-up pass is done before the constructor returns (tests then sweep by hand).
  attach_number_driver(svc, saga_, saga_->opt.sweep_interval.count() == 0, sweep_wait);
}

number_service::~number_service() {
  try {
    attach_number_driver(saga_->svc, nullptr, false, sweep_wait);
  } catch (const std::exception&) {
    // The actor system is going down: nothing left to withdraw from.
  }
}

twilio::purchase_request number_service::webhook_urls() const { return saga_->urls(); }

json number_service::sweep_now() {
  auto done = sweep_by_actor(saga_->svc, sweep_wait);
  return {{"orders", done.orders}, {"vapi_cleanups", done.vapi_cleanups}};
}

// ---- search -------------------------------------------------------------------------------------

number_result number_service::search(const std::string& org_id, const std::string& country,
                                     const std::string& area_code, const std::string& contains) {
  if (auto e = dn::validate_country(country); !e.empty()) return fail(rm::ec::invalid_argument, "invalid_field", e, "country");
  if (!area_code.empty())
    if (auto e = dn::validate_area_code(country, area_code); !e.empty())
      return fail(rm::ec::invalid_argument, "invalid_field", e, "area_code");
  if (contains.size() > 16) return fail(rm::ec::invalid_argument, "invalid_field", "contains is at most 16 characters", "contains");
  std::optional<twilio::credentials> creds;
  saga_->in_tenant(org_id, [&](pqxx::work& tx) {
    if (auto a = p::load_twilio_account(tx, org_id)) creds = twilio::credentials{a->account_sid, a->auth_token};
    return true;
  });
  if (!creds)
    return fail(rm::ec::conflict, "twilio_not_connected",
                "connect the organization's Twilio account first (POST /api/integrations/twilio)");
  auto found = std::make_shared<twilio::available_result>();
  auto client = saga_->twilio_client(org_id);
  twilio::available_search q;
  q.country = country;
  q.area_code = area_code;
  q.contains = contains;
  auto c = *creds;
  auto g = saga_->through([found, client, c, q]() mutable {
    *found = client.search_available(c, q);
    return found->ok || !transient(found->error);
  });
  if (!g.ran) return saga_->unavailable(g, "Twilio");
  if (!found->ok)
    return refusal(dn::classify_twilio_failure(found->error.http_status, found->error.code,
                                               found->error.message));
  json out = json::array();
  saga_->in_tenant(org_id, [&](pqxx::work& tx) {
    for (const auto& n : found->numbers) {
      // A number another clinic released lately would be refused at purchase: not offered.
      if (p::number_availability_for(tx, n.phone_number, org_id).state !=
          p::number_availability::free)
        continue;
      out.push_back({{"phone_number", n.phone_number},
                     {"friendly_name", n.friendly_name},
                     {"locality", n.locality},
                     {"region", n.region},
                     {"iso_country", n.iso_country},
                     {"capabilities", {{"voice", n.voice}, {"sms", n.sms}, {"mms", n.mms}}}});
    }
    return true;
  });
  return {number_outcome::done, {{"available_phone_numbers", out}}};
}

// ---- list ---------------------------------------------------------------------------------------

number_result number_service::list(const std::string& org_id, bool include_released) {
  json numbers = json::array(), orders = json::array();
  saga_->in_tenant(org_id, [&](pqxx::work& tx) {
    for (const auto& n : p::list_numbers(tx, include_released)) numbers.push_back(number_json(n));
    for (const auto& o : p::open_orders(tx, 50)) orders.push_back(order_json(o));
    return true;
  });
  return {number_outcome::done, {{"phone_numbers", numbers}, {"orders", orders}}};
}

}  // namespace rm::actors
