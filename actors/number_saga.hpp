// The number sagas' steps and plumbing, shared by actors::number_service's operations (search,
// provision, release, import: number_*.cpp) and the number sweeper actor (as its
// number_saga_driver). Internal to the number lifecycle; no CAF, no HTTP. Provider requests are
// typed requests through service::providers() (actors/provider_port.hpp), database work runs on
// the pool (service::with_db) in transactions that name the tenant (persistence::in_tenant).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/number_saga_driver.hpp"
#include "actors/number_service.hpp"
#include "actors/provider_port.hpp"
#include "actors/service.hpp"
#include "domain/number_lifecycle.hpp"
#include "persistence/number_queries.hpp"
#include "persistence/repositories.hpp"

namespace rm::actors {

namespace numbers_detail {

namespace p = rm::persistence;
namespace dn = rm::domain::numbers;
using nlohmann::json;

domain::instant now_s();
std::string utc(domain::instant t);

// ---- JSON views (number_views.cpp) ----
json number_json(const p::number_row& n);
json order_json(const p::provisioning_order& o);

// ---- typed failures ----
number_error fail(rm::ec kind, const std::string& code, const std::string& message,
                  const std::string& field = "");
number_error refusal(const dn::api_refusal& r);

// The FriendlyName a purchase carries, so reconciliation recognises the order's number.
std::string order_tag(const std::string& order_id);
bool transient(const twilio::twilio_error& e);

// How a request through the provider port went.
struct gate {
  bool ran = false;        // the request ran (its own result says how)
  bool open = false;       // breaker open: not attempted
  bool timed_out = false;  // no answer in time: the request may still complete
  int retry_after = 0;
  std::string why;
};

// The Twilio / Vapi operations of one tenant through the provider port (each one typed request
// to the provider's adapter actor).
struct twilio_calls {
  provider_port* port;
  std::string org;
  twilio_endpoint ep;
  std::chrono::milliseconds timeout;
  twilio::number_list_result list_numbers(const twilio::credentials& c, const std::string& pn);
  twilio::release_result release_number(const twilio::credentials& c, const std::string& sid);
  twilio::available_result search_available(const twilio::credentials& c,
                                            const twilio::available_search& q);
  twilio::number_result purchase_number(const twilio::credentials& c,
                                        const twilio::purchase_request& r);
  twilio::number_result update_number_urls(const twilio::credentials& c, const std::string& sid,
                                           const twilio::purchase_request& urls);
};
struct vapi_calls {
  provider_port* port;
  std::string org;
  vapi_endpoint ep;
  std::chrono::milliseconds timeout;
  vapi::response import_twilio_number(const vapi::phone_number_import& n);
  vapi::response delete_phone_number(const std::string& id);
};

// What the saga needs besides the order.
struct order_context {
  twilio::credentials creds;
  std::string assistant_id;
  std::string label;
};

}  // namespace numbers_detail

class number_saga final : public number_saga_driver {
 public:
  using order_context = numbers_detail::order_context;
  using gate = numbers_detail::gate;
  using retry = std::optional<std::chrono::seconds>;

  number_saga(service& s, number_service_options o);

  service& svc;
  number_service_options opt;
  std::string base;  // public_url without a trailing '/'

  // ---- plumbing (number_saga.cpp) ----
  template <class Work>
  void in_tenant(const std::string& org, Work work) {
    svc.with_db([&](pqxx::connection& c) { persistence::in_tenant(c, org, work); });
  }
  // Runs `request` (port calls) on this thread; the breaker's refusal and the port's timeout
  // become a `gate`.
  template <class Request>
  gate through(Request request) {
    gate g;
    try {
      request();
      g.ran = true;
    } catch (const provider_unavailable& e) {
      g.open = true;
      g.retry_after = static_cast<int>(std::max<long>(1, e.retry_after.count()));
      g.why = e.what();
    } catch (const service_error& e) {
      g.timed_out = true;
      g.why = e.what();
    }
    return g;
  }
  numbers_detail::twilio_calls twilio_client(const std::string& org) const;
  numbers_detail::vapi_calls vapi_client(const std::string& org) const;
  twilio::purchase_request urls() const;
  // Breaker open → provider_unavailable (retry_after); no answer in time → provider_failed.
  number_error unavailable(const gate& g, const char* who) const;
  // Credentials, assistant and label for an order of `org` (nullopt: no Twilio account).
  std::optional<order_context> context_for(pqxx::work& tx, const std::string& org,
                                           const std::string& agent_id);

  // ---- the saga's steps (number_saga.cpp) ----
  // Each step moves `o` along domain::numbers' arrows and stores it (lease kept); it returns the
  // delay before the sweep should try again when the step could not finish now.
  void store(const std::string& org, const persistence::provisioning_order& o);
  void step_record(persistence::provisioning_order& o, const twilio::incoming_number& n,
                   const order_context& ctx);
  retry step_reconcile(persistence::provisioning_order& o, const order_context& ctx);
  retry step_import(persistence::provisioning_order& o, const order_context& ctx);
  retry step_compensate(persistence::provisioning_order& o, const order_context& ctx);
  // Drives an order as far as it goes now; stores the end state with the lease released.
  // Returns the retry the order asked for (nullopt: it is finished, or nothing to wait for).
  retry advance(persistence::provisioning_order& o, const order_context& ctx);

  // ---- number_saga_driver (number_sweep.cpp) ----
  sweep_counts sweep() override;
  std::chrono::milliseconds interval() const override { return opt.sweep_interval; }

 private:
  std::optional<std::chrono::seconds> sweep_order(const std::string& id, const std::string& org,
                                                  bool& taken);
  bool vapi_cleanup(const std::string& id, const std::string& org);
};

}  // namespace rm::actors
