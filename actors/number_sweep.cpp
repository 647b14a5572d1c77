// The number sagas' sweep (number_saga_driver::sweep, run by the number sweeper actor): every open
// order whose lease ended and whose next attempt is due is claimed and driven; then the Vapi
// copies of released numbers still to delete. Everything it needs is in the rows, so a restarted
// sweeper (or process) resumes where the last one stopped.
#include <spdlog/spdlog.h>

#include "actors/number_saga.hpp"

namespace rm::actors {

using namespace numbers_detail;

sweep_counts number_saga::sweep() {
  std::vector<std::pair<std::string, std::string>> due, cleanups;
  svc.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    due = p::due_orders(tx, 50);
    cleanups = p::vapi_cleanups_due(tx, 50);
    tx.commit();
  });
  sweep_counts done;
  for (const auto& [id, org] : due) {
    bool taken = false;
    auto again = sweep_order(id, org, taken);
    if (taken) ++done.orders;
    if (again && (!done.next_retry || *again < *done.next_retry)) done.next_retry = again;
  }
  for (const auto& [id, org] : cleanups)
    if (vapi_cleanup(id, org)) ++done.vapi_cleanups;
  return done;
}

// One due order: claimed (`taken` when this sweep got it) and driven. Returns its retry delay.
std::optional<std::chrono::seconds> number_saga::sweep_order(const std::string& id,
                                                             const std::string& org, bool& taken) {
  std::optional<p::provisioning_order> order;
  std::optional<order_context> ctx;
  in_tenant(org, [&](pqxx::work& tx) {
    if (!p::claim_order(tx, id, opt.lease)) return false;
    order = p::load_order(tx, id);
    if (order) ctx = context_for(tx, org, order->agent_id);
    return true;
  });
  if (!order) return std::nullopt;
  taken = true;
  if (!ctx) {
    // The clinic disconnected Twilio: nothing can be checked or undone through its account.
    order->attempts += 1;
    order->error_code = "twilio_not_connected";
    order->error_message = "the organization has no Twilio account connected";
    const auto delay = dn::retry_delay(order->attempts);
    in_tenant(org, [&](pqxx::work& tx) {
      p::save_order(tx, *order, delay, true);
      return true;
    });
    return delay;
  }
  try {
    return advance(*order, *ctx);
  } catch (const std::exception& e) {
    spdlog::warn("numbers: sweep of order {} failed: {}", id, e.what());
    return std::nullopt;  // its lease runs out; a later pass takes it again
  }
}

// A released number's Vapi copy: deleted (true) or left for a later pass.
bool number_saga::vapi_cleanup(const std::string& id, const std::string& org) {
  std::optional<p::number_row> row;
  in_tenant(org, [&](pqxx::work& tx) {
    row = p::find_number(tx, id);
    return true;
  });
  if (!row || row->vapi_phone_number_id.empty()) return false;
  auto result = std::make_shared<vapi::response>();
  auto client = vapi_client(org);
  auto vid = row->vapi_phone_number_id;
  auto g = through([result, client, vid]() mutable {
    *result = client.delete_phone_number(vid);
    return !result->transient();
  });
  if (!(g.ran && result->ok)) return false;
  in_tenant(org, [&](pqxx::work& tx) {
    p::clear_vapi_cleanup(tx, id);
    return true;
  });
  return true;
}

}  // namespace rm::actors
