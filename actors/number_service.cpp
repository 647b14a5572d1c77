// The number lifecycle's orchestration (actors/number_service.hpp). Plain C++: provider requests
// are typed requests to the adapter actors through service::providers() (actors/provider_port.hpp:
// behind the tenant's breaker, on a detached worker of the adapter), database work on the pool
// (service::with_db). A request that outlives provider_timeout still finishes on its worker
// with its own copies of the data; its outcome is then unknown here (reconciled later).
#include "actors/number_service.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "actors/provider_port.hpp"
#include "actors/service.hpp"
#include "domain/e164.hpp"
#include "domain/number_lifecycle.hpp"
#include "domain/uuid.hpp"
#include "persistence/number_queries.hpp"
#include "persistence/repositories.hpp"

namespace rm::actors {

namespace {

using nlohmann::json;
namespace p = rm::persistence;
namespace dn = rm::domain::numbers;

domain::instant now_s() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}
std::string utc(domain::instant t) { return domain::format_local(t, "UTC"); }
json utc_or_null(const std::optional<domain::instant>& t) {
  return t ? json(utc(*t)) : json(nullptr);
}
json text_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

number_result fail(int status, const std::string& code, const std::string& message,
                   const std::string& field = "") {
  json e{{"code", code}, {"message", message}};
  if (!field.empty()) e["field"] = field;
  return {status, {{"error", e}}, -1};
}

number_result refusal(const dn::api_refusal& r) {
  return fail(r.http_status, r.code, r.message, r.field);
}

json number_json(const p::number_row& n) {
  return {{"id", n.id},
          {"phone_number", n.e164},
          {"label", n.label},
          {"status", dn::to_string(dn::stage_of(n.status, n.quarantine_until, now_s()))},
          {"source", n.source},
          {"pn_sid", text_or_null(n.provider_sid)},
          {"vapi_phone_number_id", text_or_null(n.vapi_phone_number_id)},
          {"agent_id", text_or_null(n.agent_id)},
          {"is_active", n.active},
          {"created_at", utc(n.created_at)},
          {"released_at", utc_or_null(n.released_at)},
          {"quarantine_until", utc_or_null(n.quarantine_until)}};
}

json order_json(const p::provisioning_order& o) {
  json error = nullptr;
  if (!o.error_code.empty()) error = {{"code", o.error_code}, {"message", o.error_message}};
  return {{"id", o.id},
          {"state", dn::to_string(o.state)},
          {"phone_number", text_or_null(o.e164.empty() ? o.requested_number : o.e164)},
          {"area_code", text_or_null(o.area_code)},
          {"pn_sid", text_or_null(o.pn_sid)},
          {"phone_number_id", text_or_null(o.phone_number_id)},
          {"agent_id", text_or_null(o.agent_id)},
          {"attempts", o.attempts},
          {"error", error},
          {"created_at", utc(o.created_at)}};
}

// The FriendlyName a purchase carries, so reconciliation recognises the order's number.
std::string order_tag(const std::string& order_id) { return "ringmaster order " + order_id; }

bool transient(const twilio::twilio_error& e) {
  return e.http_status == 0 || e.http_status == 429 || e.http_status >= 500;
}

// How a request through the provider gate went.
struct gate {
  bool ran = false;        // the request ran (its own result says how)
  bool open = false;       // breaker open: not attempted
  bool timed_out = false;  // no answer in time: the request may still complete
  int retry_after = 0;
  std::string why;
};

// The Twilio / Vapi operations of one tenant through the provider port, shaped like the client
// calls they replace (each is one typed request to the provider's adapter actor).
struct twilio_calls {
  provider_port* port;
  std::string org;
  twilio_endpoint ep;
  std::chrono::milliseconds timeout;
  twilio::number_list_result list_numbers(const twilio::credentials& c, const std::string& pn) {
    return port->list_numbers(org, ep, c, pn, timeout);
  }
  twilio::release_result release_number(const twilio::credentials& c, const std::string& sid) {
    return port->release_number(org, ep, c, sid, timeout);
  }
  twilio::available_result search_available(const twilio::credentials& c,
                                            const twilio::available_search& q) {
    return port->search_available(org, ep, c, q, timeout);
  }
  twilio::number_result purchase_number(const twilio::credentials& c,
                                        const twilio::purchase_request& r) {
    return port->purchase_number(org, ep, c, r, timeout);
  }
  twilio::number_result update_number_urls(const twilio::credentials& c, const std::string& sid,
                                           const twilio::purchase_request& urls) {
    return port->update_number_urls(org, ep, c, sid, urls, timeout);
  }
};
struct vapi_calls {
  provider_port* port;
  std::string org;
  vapi_endpoint ep;
  std::chrono::milliseconds timeout;
  vapi::response import_twilio_number(const vapi::phone_number_import& n) {
    return port->import_twilio_number(org, ep, n, timeout);
  }
  vapi::response delete_phone_number(const std::string& id) {
    return port->delete_phone_number(org, ep, id, timeout);
  }
};

// What the saga needs besides the order.
struct order_context {
  twilio::credentials creds;
  std::string assistant_id;
  std::string label;
};

}  // namespace

struct number_service::impl {
  service& svc;
  number_service_options opt;
  std::string base;  // public_url without a trailing '/'

  std::mutex m;
  std::condition_variable cv;
  bool stopping = false;
  std::thread sweeper;

  impl(service& s, number_service_options o) : svc(s), opt(std::move(o)) {
    base = opt.public_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  template <class Work>
  void in_tenant(const std::string& org, Work work) {
    svc.with_db([&](pqxx::connection& c) {
      pqxx::work tx{c};
      p::set_tenant(tx, org);
      if (work(tx)) tx.commit();
    });
  }

  // Runs `request` (port calls for `org` / `pr`, which it names) on this thread; the breaker's
  // refusal and the port's timeout become a `gate`. Its bool (answered) is the breaker's business
  // in the adapter now and is not needed here.
  template <class Request>
  gate through(const std::string& /*org*/, provider /*pr*/, Request request) {
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

  twilio_calls twilio_client(const std::string& org) const {
    return {&svc.providers(), org, {opt.twilio_base_url, opt.twilio_retry}, opt.provider_timeout};
  }
  vapi_calls vapi_client(const std::string& org) const {
    return {&svc.providers(), org, {opt.vapi_base_url, opt.vapi_private_key, opt.vapi_retry},
            opt.provider_timeout};
  }

  twilio::purchase_request urls() const {
    twilio::purchase_request r;
    r.voice_url = base + "/webhooks/twilio/voice";
    r.sms_url = base + "/webhooks/twilio/sms";
    r.status_callback = base + "/webhooks/twilio/status";
    return r;
  }

  number_result unavailable(const gate& g, const char* who) {
    if (g.open) {
      auto r = fail(503, "provider_unavailable",
                    std::string{who} + " is failing for this organization; requests are paused "
                                       "for a while (circuit breaker open): try again later");
      r.retry_after = g.retry_after;
      return r;
    }
    return fail(502, std::string{who} == "Twilio" ? "twilio_unavailable" : "vapi_unavailable",
                std::string{who} + " did not answer in time; try again");
  }

  // ---- the saga's steps -------------------------------------------------------------------------
  // Each step moves `o` along domain::numbers' arrows and stores it (lease kept); it returns the
  // delay before the sweep should try again when the step could not finish now.

  using retry = std::optional<std::chrono::seconds>;

  void store(const std::string& org, const p::provisioning_order& o) {
    in_tenant(org, [&](pqxx::work& tx) {
      p::save_order(tx, o, std::chrono::seconds(0), false);
      return true;
    });
  }

  // The number is bought (`n` as Twilio describes it): record it, or compensate when it cannot
  // be recorded for this tenant (taken or quarantined meanwhile).
  void step_record(p::provisioning_order& o, const twilio::incoming_number& n,
                   const order_context& ctx) {
    o.e164 = n.phone_number;
    o.pn_sid = n.sid;
    bool changed = false;
    in_tenant(o.org_id, [&](pqxx::work& tx) {
      auto rec = p::record_number(
          tx, o.org_id, {n.phone_number, ctx.label, n.sid, "purchased", o.agent_id, o.requested_by});
      const bool recordable = rec.outcome == p::record_outcome::created ||
                              rec.outcome == p::record_outcome::adopted;
      o.state = dn::after_reconciliation(true, recordable);
      if (recordable) {
        o.phone_number_id = rec.row->id;
      } else {
        o.error_code = rec.outcome == p::record_outcome::taken ? "number_taken"
                                                               : "number_in_quarantine";
        o.error_message = "the bought number " + n.phone_number +
                          " cannot belong to this organization; it is given back";
      }
      p::save_order(tx, o, std::chrono::seconds(0), false);
      changed = true;
      return true;
    });
    if (changed) svc.invalidate_routes();
  }

  // pending with an unknown purchase outcome: list the account's numbers.
  retry step_reconcile(p::provisioning_order& o, const order_context& ctx) {
    auto listed = std::make_shared<twilio::number_list_result>();
    auto client = twilio_client(o.org_id);
    auto creds = ctx.creds;
    auto filter = o.requested_number;
    auto g = through(o.org_id, provider::twilio, [listed, client, creds, filter]() mutable {
      *listed = client.list_numbers(creds, filter);
      return listed->ok || !transient(listed->error);
    });
    if (!g.ran || !listed->ok) {
      ++o.attempts;
      o.error_code = "reconciliation_pending";
      o.error_message = g.ran ? "listing the Twilio account failed: " + twilio::describe(listed->error)
                              : "listing the Twilio account failed: " + g.why;
      store(o.org_id, o);
      return dn::retry_delay(o.attempts);
    }
    // The order's tag identifies its number; the requested number is the fallback (a purchase
    // whose FriendlyName did not stick).
    const auto tag = order_tag(o.id);
    const twilio::incoming_number* found = nullptr;
    for (const auto& n : listed->numbers)
      if (n.friendly_name == tag) found = &n;
    if (!found && !o.requested_number.empty())
      for (const auto& n : listed->numbers)
        if (n.phone_number == o.requested_number) found = &n;
    if (found) {
      spdlog::info("numbers: order {} reconciled: {} ({}) was bought", o.id, found->phone_number,
                   found->sid);
      step_record(o, *found, ctx);
      return std::nullopt;
    }
    o.state = dn::after_reconciliation(false, false);
    if (o.error_code.empty() || o.error_code == "reconciliation_pending") {
      o.error_code = "not_purchased";
      o.error_message = "Twilio's account shows no number bought for this order";
    }
    spdlog::info("numbers: order {} reconciled: nothing was bought", o.id);
    store(o.org_id, o);
    return std::nullopt;
  }

  // purchased: import into Vapi, then link.
  retry step_import(p::provisioning_order& o, const order_context& ctx) {
    auto result = std::make_shared<vapi::response>();
    auto client = vapi_client(o.org_id);
    vapi::phone_number_import req;
    req.number = o.e164;
    req.twilio_account_sid = ctx.creds.account_sid;
    req.twilio_auth_token = ctx.creds.auth_token;
    req.assistant_id = ctx.assistant_id;
    req.name = ctx.label;
    if (!base.empty()) req.server_url = base + "/webhooks/vapi";
    auto g = through(o.org_id, provider::vapi, [result, client, req]() mutable {
      *result = client.import_twilio_number(req);
      return !result->transient();
    });
    std::string vapi_id;
    if (g.ran && result->ok && result->body.is_object() && result->body.contains("id") &&
        result->body["id"].is_string())
      vapi_id = result->body["id"].get<std::string>();
    if (!vapi_id.empty()) {
      auto done = o;
      done.vapi_phone_number_id = vapi_id;
      done.state = dn::order_state::completed;
      done.error_code.clear();
      done.error_message.clear();
      bool linked = false;
      in_tenant(o.org_id, [&](pqxx::work& tx) {
        linked = p::mark_linked(tx, o.phone_number_id, vapi_id, o.agent_id);
        if (linked) p::save_order(tx, done, std::chrono::seconds(0), false);
        return linked;
      });
      if (linked) {
        o = done;
        return std::nullopt;
      }
      // The id is already active on another number (migration 009): never route two numbers by
      // one id. Give the number back; the Vapi id is not ours to delete, so it is not recorded.
      spdlog::error("numbers: order {}: Vapi answered id {} for {}, already active on another "
                    "number; releasing {}", o.id, vapi_id, o.e164, o.e164);
      o.error_code = "vapi_phone_number_id_taken";
      o.error_message = "Vapi answered a phone-number id already used by another number";
      o.state = dn::order_state::compensating;
      store(o.org_id, o);
      return std::nullopt;
    }
    ++o.attempts;
    const bool is_transient = !g.ran || result->transient();
    if (g.ran && result->ok) {
      o.error_message = "Vapi answered without a phone-number id";
    } else {
      o.error_message = g.ran ? "Vapi: " + result->error.message
                              : "Vapi: " + g.why;
    }
    o.error_code = is_transient ? "vapi_unavailable" : "vapi_refused";
    auto decision = dn::after_import_failure(o.attempts, is_transient);
    if (decision.compensate) {
      o.state = dn::order_state::compensating;
      spdlog::warn("numbers: order {}: the Vapi import failed for good ({}); releasing {}", o.id,
                   o.error_message, o.e164);
      store(o.org_id, o);
      return std::nullopt;
    }
    store(o.org_id, o);
    return decision.retry_in;
  }

  // compensating: give the number back to Twilio (and Vapi), without quarantine.
  retry step_compensate(p::provisioning_order& o, const order_context& ctx) {
    if (!o.vapi_phone_number_id.empty()) {
      auto result = std::make_shared<vapi::response>();
      auto client = vapi_client(o.org_id);
      auto id = o.vapi_phone_number_id;
      through(o.org_id, provider::vapi, [result, client, id]() mutable {
        *result = client.delete_phone_number(id);
        return !result->transient();
      });
    }
    auto released = std::make_shared<twilio::release_result>();
    auto client = twilio_client(o.org_id);
    auto creds = ctx.creds;
    auto sid = o.pn_sid;
    auto g = through(o.org_id, provider::twilio, [released, client, creds, sid]() mutable {
      *released = client.release_number(creds, sid);
      return released->ok || !transient(released->error);
    });
    if (!g.ran || !released->ok) {
      ++o.attempts;
      o.error_message = "releasing " + o.e164 + " failed: " +
                        (g.ran ? twilio::describe(released->error) : g.why);
      store(o.org_id, o);
      return dn::retry_delay(o.attempts);
    }
    o.state = dn::order_state::released;
    in_tenant(o.org_id, [&](pqxx::work& tx) {
      if (!o.phone_number_id.empty())
        p::mark_released(tx, o.phone_number_id, o.requested_by, std::nullopt, false);
      p::save_order(tx, o, std::chrono::seconds(0), false);
      return true;
    });
    svc.invalidate_routes();
    spdlog::info("numbers: order {}: {} released after a failed provisioning", o.id, o.e164);
    return std::nullopt;
  }

  // Drives an order as far as it goes now; stores the end state with the lease released.
  void advance(p::provisioning_order& o, const order_context& ctx) {
    retry again;
    for (int guard = 0; guard < 6 && dn::is_open(o.state) && !again; ++guard) {
      switch (o.state) {
        case dn::order_state::pending: again = step_reconcile(o, ctx); break;
        case dn::order_state::purchased: again = step_import(o, ctx); break;
        case dn::order_state::compensating: again = step_compensate(o, ctx); break;
        default: break;
      }
    }
    in_tenant(o.org_id, [&](pqxx::work& tx) {
      p::save_order(tx, o, again.value_or(std::chrono::seconds(0)), true);
      return true;
    });
  }

  // Credentials, assistant and label for an order of `org` (nullopt: no Twilio account).
  std::optional<order_context> context_for(pqxx::work& tx, const std::string& org,
                                           const std::string& agent_id) {
    auto acct = p::load_twilio_account(tx, org);
    if (!acct) return std::nullopt;
    order_context ctx;
    ctx.creds = {acct->account_sid, acct->auth_token};
    if (auto t = p::load_tenant(tx, org)) {
      ctx.assistant_id = t->assistant_id;
      ctx.label = t->name;
    }
    if (!agent_id.empty()) {
      auto a = p::find_agent(tx, agent_id);
      if (a.found && !a.assistant_id.empty()) ctx.assistant_id = a.assistant_id;
    }
    return ctx;
  }

  // ---- the sweep --------------------------------------------------------------------------------

  json sweep() {
    std::vector<std::pair<std::string, std::string>> due, cleanups;
    svc.with_db([&](pqxx::connection& c) {
      pqxx::work tx{c};
      due = p::due_orders(tx, 50);
      cleanups = p::vapi_cleanups_due(tx, 50);
      tx.commit();
    });
    int orders = 0;
    for (const auto& [id, org] : due) {
      std::optional<p::provisioning_order> order;
      std::optional<order_context> ctx;
      in_tenant(org, [&](pqxx::work& tx) {
        if (!p::claim_order(tx, id, opt.lease)) return false;
        order = p::load_order(tx, id);
        if (order) ctx = context_for(tx, org, order->agent_id);
        return true;
      });
      if (!order) continue;
      ++orders;
      if (!ctx) {
        // The clinic disconnected Twilio: nothing can be checked or undone through its account.
        order->attempts += 1;
        order->error_code = "twilio_not_connected";
        order->error_message = "the organization has no Twilio account connected";
        in_tenant(org, [&](pqxx::work& tx) {
          p::save_order(tx, *order, dn::retry_delay(order->attempts), true);
          return true;
        });
        continue;
      }
      try {
        advance(*order, *ctx);
      } catch (const std::exception& e) {
        spdlog::warn("numbers: sweep of order {} failed: {}", id, e.what());
      }
    }
    int cleaned = 0;
    for (const auto& [id, org] : cleanups) {
      std::optional<p::number_row> row;
      in_tenant(org, [&](pqxx::work& tx) {
        row = p::find_number(tx, id);
        return true;
      });
      if (!row || row->vapi_phone_number_id.empty()) continue;
      auto result = std::make_shared<vapi::response>();
      auto client = vapi_client(org);
      auto vid = row->vapi_phone_number_id;
      auto g = through(org, provider::vapi, [result, client, vid]() mutable {
        *result = client.delete_phone_number(vid);
        return !result->transient();
      });
      if (g.ran && result->ok) {
        in_tenant(org, [&](pqxx::work& tx) {
          p::clear_vapi_cleanup(tx, id);
          return true;
        });
        ++cleaned;
      }
    }
    return {{"orders", orders}, {"vapi_cleanups", cleaned}};
  }

  void run_sweeper() {
    std::unique_lock<std::mutex> lock{m};
    while (!stopping) {
      lock.unlock();
      try {
        auto done = sweep();
        if (done["orders"].get<int>() > 0 || done["vapi_cleanups"].get<int>() > 0)
          spdlog::info("numbers: sweep {}", done.dump());
      } catch (const std::exception& e) {
        spdlog::warn("numbers: sweep failed: {}", e.what());
      }
      lock.lock();
      cv.wait_for(lock, opt.sweep_interval, [this] { return stopping; });
    }
  }
};

number_service::number_service(service& svc, number_service_options options)
    : impl_(std::make_unique<impl>(svc, std::move(options))) {
  if (impl_->opt.sweep_interval.count() > 0)
    impl_->sweeper = std::thread{[this] { impl_->run_sweeper(); }};
}

number_service::~number_service() {
  {
    std::lock_guard<std::mutex> g{impl_->m};
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->sweeper.joinable()) impl_->sweeper.join();
}

twilio::purchase_request number_service::webhook_urls() const { return impl_->urls(); }

json number_service::sweep_now() { return impl_->sweep(); }

// ---- search -------------------------------------------------------------------------------------

number_result number_service::search(const std::string& org_id, const std::string& country,
                                     const std::string& area_code, const std::string& contains) {
  if (auto e = dn::validate_country(country); !e.empty()) return fail(400, "invalid_field", e, "country");
  if (!area_code.empty())
    if (auto e = dn::validate_area_code(country, area_code); !e.empty())
      return fail(400, "invalid_field", e, "area_code");
  if (contains.size() > 16) return fail(400, "invalid_field", "contains is at most 16 characters", "contains");
  std::optional<twilio::credentials> creds;
  impl_->in_tenant(org_id, [&](pqxx::work& tx) {
    if (auto a = p::load_twilio_account(tx, org_id)) creds = twilio::credentials{a->account_sid, a->auth_token};
    return true;
  });
  if (!creds)
    return fail(409, "twilio_not_connected",
                "connect the organization's Twilio account first (POST /api/integrations/twilio)");
  auto found = std::make_shared<twilio::available_result>();
  auto client = impl_->twilio_client(org_id);
  twilio::available_search q;
  q.country = country;
  q.area_code = area_code;
  q.contains = contains;
  auto c = *creds;
  auto g = impl_->through(org_id, provider::twilio, [found, client, c, q]() mutable {
    *found = client.search_available(c, q);
    return found->ok || !transient(found->error);
  });
  if (!g.ran) return impl_->unavailable(g, "Twilio");
  if (!found->ok)
    return refusal(dn::classify_twilio_failure(found->error.http_status, found->error.code,
                                               found->error.message));
  json out = json::array();
  impl_->in_tenant(org_id, [&](pqxx::work& tx) {
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
  return {200, {{"available_phone_numbers", out}}, -1};
}

// ---- provision ----------------------------------------------------------------------------------

number_result number_service::provision(const std::string& org_id, const std::string& user_id,
                                        const json& body) {
  auto& im = *impl_;
  if (!body.is_object()) return fail(400, "invalid_field", "the body must be a JSON object");
  std::string phone, area, country = "US", agent;
  for (const auto& [key, value] : body.items()) {
    if (key == "phone_number" || key == "area_code" || key == "country") {
      std::string v;
      if (value.is_string()) {
        v = value.get<std::string>();
      } else if (key == "area_code" && value.is_number_unsigned()) {
        v = std::to_string(value.get<std::uint64_t>());
      } else if (!value.is_null()) {
        return fail(400, "invalid_field", key + " must be a string", key);
      }
      (key == "phone_number" ? phone : key == "area_code" ? area : country) = v;
    } else if (key == "agent_id") {
      if (value.is_null()) continue;
      if (!value.is_string() || !domain::is_uuid(value.get<std::string>()))
        return fail(400, "invalid_field", "agent_id must be an agent's id (a UUID)", "agent_id");
      agent = value.get<std::string>();
    } else {
      return fail(400, "invalid_field", "unknown field '" + key + "'", key);
    }
  }
  if (country.empty()) country = "US";
  if (auto e = dn::validate_country(country); !e.empty()) return fail(400, "invalid_field", e, "country");
  if (phone.empty() == area.empty())
    return fail(400, "invalid_field", "give either phone_number (E.164) or area_code, not both",
                phone.empty() ? "phone_number" : "area_code");
  std::string e164;
  if (!area.empty()) {
    if (auto e = dn::validate_area_code(country, area); !e.empty())
      return fail(400, "invalid_field", e, "area_code");
  } else {
    auto parsed = domain::normalize_e164(phone, country);
    if (parsed.ok) {
      e164 = parsed.e164;
    } else if (domain::is_e164_syntax(phone)) {
      e164 = phone;  // e.g. Twilio's test numbers: Twilio itself judges them (21421)
    } else {
      return fail(400, "invalid_field",
                  "phone_number must be a phone number in E.164 form, e.g. +14155550100",
                  "phone_number");
    }
  }
  if (im.base.empty())
    return fail(503, "public_url_not_configured",
                "this server has no public URL (RINGMASTER_PUBLIC_URL), so a number's calls and "
                "texts could not reach it");
  if (im.opt.vapi_private_key.empty())
    return fail(503, "vapi_not_configured",
                "this server has no Vapi key (RINGMASTER_VAPI_PRIVATE_KEY), so a number could "
                "not be linked to an agent");

  // 1. The order, before Twilio hears of it.
  std::optional<number_result> refused;
  std::optional<order_context> ctx;
  p::provisioning_order order;
  im.in_tenant(org_id, [&](pqxx::work& tx) {
    if (!agent.empty()) {
      auto a = p::find_agent(tx, agent);
      if (!a.agents_available) {
        refused = fail(400, "invalid_field", "agents are not available on this server yet",
                       "agent_id");
        return false;
      }
      if (!a.found) {
        refused = fail(404, "not_found", "no agent with id " + agent, "agent_id");
        return false;
      }
    }
    ctx = im.context_for(tx, org_id, agent);
    if (!ctx) {
      refused = fail(409, "twilio_not_connected",
                     "connect the organization's Twilio account first "
                     "(POST /api/integrations/twilio)");
      return false;
    }
    if (!e164.empty()) {
      if (p::find_active_number(tx, e164)) {
        refused = fail(409, "number_already_yours", "this organization already has " + e164,
                       "phone_number");
        return false;
      }
      auto av = p::number_availability_for(tx, e164, org_id);
      if (av.state == p::number_availability::taken) {
        refused = fail(409, "number_taken", "this number is in use by another organization",
                       "phone_number");
        return false;
      }
      if (av.state == p::number_availability::quarantined) {
        refused = fail(409, "number_in_quarantine",
                       "this number was recently released by another organization and cannot "
                       "be used before " + utc(*av.quarantine_until),
                       "phone_number");
        return false;
      }
    }
    p::provisioning_order o;
    o.org_id = org_id;
    o.requested_by = user_id;
    o.requested_number = e164;
    o.area_code = area;
    o.country = country;
    o.agent_id = agent;
    order = p::create_order(tx, o, im.opt.lease);
    return true;
  });
  if (refused) return *refused;

  // 2. Twilio buys.
  auto bought = std::make_shared<twilio::number_result>();
  auto client = im.twilio_client(org_id);
  auto req = im.urls();
  req.phone_number = e164;
  req.area_code = area;
  req.friendly_name = order_tag(order.id);
  auto creds = ctx->creds;
  auto g = im.through(org_id, provider::twilio, [bought, client, creds, req]() mutable {
    *bought = client.purchase_number(creds, req);
    return bought->ok || !transient(bought->error);
  });
  if (g.open || (g.ran && !bought->ok && !(bought->error.http_status == 0 ||
                                            bought->error.http_status >= 500))) {
    // Refused (or not attempted): nothing was bought.
    order.state = dn::order_state::failed;
    number_result out;
    if (g.open) {
      order.error_code = "provider_unavailable";
      order.error_message = g.why;
      out = im.unavailable(g, "Twilio");
    } else {
      auto r = dn::classify_twilio_failure(bought->error.http_status, bought->error.code,
                                           bought->error.message);
      order.error_code = r.code;
      order.error_message = r.message;
      out = refusal(r);
    }
    im.in_tenant(org_id, [&](pqxx::work& tx) {
      p::save_order(tx, order, std::chrono::seconds(0), true);
      return true;
    });
    return out;
  }
  if (g.ran && bought->ok) {
    im.step_record(order, bought->number, *ctx);  // → purchased | compensating
  } else {
    // Timeout, transport failure or 5xx: the purchase may have happened. Stay pending and let the
    // reconciliation (now, in advance()) look at the account.
    order.error_code = "purchase_outcome_unknown";
    order.error_message = g.ran ? twilio::describe(bought->error) : g.why;
    spdlog::warn("numbers: order {}: purchase outcome unknown ({}); reconciling", order.id,
                 order.error_message);
  }

  // 3–4. Vapi import and link (or compensation), as far as they go now.
  im.advance(order, *ctx);

  std::optional<p::number_row> row;
  im.in_tenant(org_id, [&](pqxx::work& tx) {
    if (!order.phone_number_id.empty()) row = p::find_number(tx, order.phone_number_id);
    return true;
  });
  const json number = row ? number_json(*row) : json(nullptr);
  switch (order.state) {
    case dn::order_state::completed:
      im.svc.invalidate_routes();
      im.svc.tenant_changed(org_id);
      return {201, {{"number", number}, {"order", order_json(order)}}, -1};
    case dn::order_state::purchased:
      im.svc.invalidate_routes();
      return {202,
              {{"number", number},
               {"order", order_json(order)},
               {"message", "the number is bought and answers calls; linking it to Vapi failed "
                           "for now and is retried automatically"}},
              -1};
    case dn::order_state::pending:
      return {202,
              {{"number", nullptr},
               {"order", order_json(order)},
               {"message", "Twilio's answer was lost; the purchase is being checked against the "
                           "account and will be completed or undone automatically"}},
              -1};
    case dn::order_state::failed: {
      if (order.error_code == "not_purchased")
        return fail(502, "twilio_unavailable",
                    "Twilio did not complete the purchase (" + order.error_message +
                        "); nothing was bought, try again");
      return fail(502, order.error_code.empty() ? "provisioning_failed" : order.error_code,
                  order.error_message);
    }
    case dn::order_state::compensating:
    case dn::order_state::released: {
      const bool gone = order.state == dn::order_state::released;
      if (order.error_code == "number_taken" || order.error_code == "number_in_quarantine")
        return fail(409, order.error_code,
                    "the number Twilio gave (" + order.e164 +
                        ") cannot belong to this organization; it " +
                        (gone ? "was given back" : "is being given back"));
      return fail(502, order.error_code.empty() ? "provisioning_failed" : order.error_code,
                  order.error_message + "; the number " + order.e164 +
                      (gone ? " was released" : " is being released"));
    }
  }
  return fail(502, "provisioning_failed", "the order ended in an unknown state");
}

// ---- list ---------------------------------------------------------------------------------------

number_result number_service::list(const std::string& org_id, bool include_released) {
  json numbers = json::array(), orders = json::array();
  impl_->in_tenant(org_id, [&](pqxx::work& tx) {
    for (const auto& n : p::list_numbers(tx, include_released)) numbers.push_back(number_json(n));
    for (const auto& o : p::open_orders(tx, 50)) orders.push_back(order_json(o));
    return true;
  });
  return {200, {{"phone_numbers", numbers}, {"orders", orders}}, -1};
}

// ---- release ------------------------------------------------------------------------------------

number_result number_service::release(const std::string& org_id, const std::string& user_id,
                                      const std::string& id) {
  auto& im = *impl_;
  std::optional<p::number_row> row;
  std::optional<number_result> refused;
  std::optional<twilio::credentials> creds;
  im.in_tenant(org_id, [&](pqxx::work& tx) {
    row = p::find_number(tx, id);
    if (!row || !row->active) return false;
    if (p::forwarding_points_at(tx, row->e164)) {
      refused = fail(409, "number_forwarded_to",
                     "a hybrid forwarding configuration forwards a mobile to " + row->e164 +
                         "; disable it first (docs/hybrid-telephony.md)");
      return false;
    }
    if (auto a = p::load_twilio_account(tx, org_id))
      creds = twilio::credentials{a->account_sid, a->auth_token};
    return true;
  });
  if (!row) return fail(404, "not_found", "no phone number with id " + id);
  if (refused) return *refused;
  if (!row->active) return {200, {{"result", "already_released"}, {"number", number_json(*row)}}, -1};

  // Twilio first: it stops the bill, and if it fails nothing has changed.
  if (!row->provider_sid.empty()) {
    if (!creds)
      return fail(409, "twilio_not_connected",
                  "the number is held in the organization's Twilio account, which is not "
                  "connected: connect it first (POST /api/integrations/twilio)");
    auto released = std::make_shared<twilio::release_result>();
    auto client = im.twilio_client(org_id);
    auto c = *creds;
    auto sid = row->provider_sid;
    auto g = im.through(org_id, provider::twilio, [released, client, c, sid]() mutable {
      *released = client.release_number(c, sid);
      return released->ok || !transient(released->error);
    });
    if (!g.ran) return im.unavailable(g, "Twilio");
    if (!released->ok)
      return refusal(dn::classify_twilio_failure(released->error.http_status,
                                                 released->error.code, released->error.message));
  }
  // Then Vapi; a failure there is retried by the sweep (the number is gone from Twilio already).
  bool vapi_pending = false;
  if (!row->vapi_phone_number_id.empty()) {
    if (im.opt.vapi_private_key.empty()) {
      vapi_pending = true;
    } else {
      auto result = std::make_shared<vapi::response>();
      auto client = im.vapi_client(org_id);
      auto vid = row->vapi_phone_number_id;
      auto g = im.through(org_id, provider::vapi, [result, client, vid]() mutable {
        *result = client.delete_phone_number(vid);
        return !result->transient();
      });
      vapi_pending = !(g.ran && result->ok);
    }
  }
  std::optional<domain::instant> until;
  if (im.opt.quarantine_days > 0) until = dn::quarantine_end(now_s(), im.opt.quarantine_days);
  im.in_tenant(org_id, [&](pqxx::work& tx) {
    p::mark_released(tx, row->id, user_id, until, vapi_pending);
    row = p::find_number(tx, row->id);
    return true;
  });
  im.svc.invalidate_routes();  // routing stops now (the webhooks read the committed row)
  im.svc.tenant_changed(org_id);
  return {200, {{"result", "released"}, {"number", number_json(*row)}}, -1};
}

// ---- import -------------------------------------------------------------------------------------

number_result number_service::import_all(const std::string& org_id, const std::string& user_id) {
  auto& im = *impl_;
  if (im.base.empty())
    return fail(503, "public_url_not_configured",
                "this server has no public URL (RINGMASTER_PUBLIC_URL) to point the numbers at");
  std::optional<order_context> ctx;
  im.in_tenant(org_id, [&](pqxx::work& tx) {
    ctx = im.context_for(tx, org_id, "");
    return true;
  });
  if (!ctx)
    return fail(409, "twilio_not_connected",
                "connect the organization's Twilio account first (POST /api/integrations/twilio)");
  auto listed = std::make_shared<twilio::number_list_result>();
  auto client = im.twilio_client(org_id);
  auto creds = ctx->creds;
  auto g = im.through(org_id, provider::twilio, [listed, client, creds]() mutable {
    *listed = client.list_numbers(creds, "");
    return listed->ok || !transient(listed->error);
  });
  if (!g.ran) return im.unavailable(g, "Twilio");
  if (!listed->ok)
    return refusal(dn::classify_twilio_failure(listed->error.http_status, listed->error.code,
                                               listed->error.message));

  json imported = json::array(), already = json::array(), refused = json::array(),
       failed = json::array();
  bool changed = false;
  for (const auto& n : listed->numbers) {
    enum { go, skip_already, skip_taken, skip_quarantined } verdict = go;
    im.in_tenant(org_id, [&](pqxx::work& tx) {
      if (auto mine = p::find_active_number(tx, n.phone_number)) {
        if (mine->provider_sid == n.sid && mine->status == dn::number_status::linked)
          verdict = skip_already;
      } else {
        auto av = p::number_availability_for(tx, n.phone_number, org_id);
        if (av.state == p::number_availability::taken) verdict = skip_taken;
        if (av.state == p::number_availability::quarantined) verdict = skip_quarantined;
      }
      return true;
    });
    if (verdict == skip_already) {
      already.push_back(n.phone_number);
      continue;
    }
    if (verdict == skip_taken || verdict == skip_quarantined) {
      refused.push_back({{"phone_number", n.phone_number},
                         {"reason", verdict == skip_taken ? "taken" : "quarantined"}});
      continue;
    }
    // Point the number at our webhooks.
    auto updated = std::make_shared<twilio::number_result>();
    auto urls = im.urls();
    auto sid = n.sid;
    auto ug = im.through(org_id, provider::twilio, [updated, client, creds, sid, urls]() mutable {
      *updated = client.update_number_urls(creds, sid, urls);
      return updated->ok || !transient(updated->error);
    });
    if (!ug.ran || !updated->ok) {
      failed.push_back({{"phone_number", n.phone_number},
                        {"error", ug.ran ? twilio::describe(updated->error) : ug.why}});
      continue;
    }
    std::optional<p::record_result> rec;
    im.in_tenant(org_id, [&](pqxx::work& tx) {
      rec = p::record_number(tx, org_id, {n.phone_number, ctx->label, n.sid, "imported", "", user_id});
      return true;
    });
    if (!rec->row) {
      refused.push_back({{"phone_number", n.phone_number},
                         {"reason", rec->outcome == p::record_outcome::taken ? "taken"
                                                                             : "quarantined"}});
      continue;
    }
    changed = true;
    auto row = *rec->row;
    std::string vapi_id = row.vapi_phone_number_id;
    std::string vapi_error;
    if (vapi_id.empty() && !im.opt.vapi_private_key.empty()) {
      auto result = std::make_shared<vapi::response>();
      auto vc = im.vapi_client(org_id);
      vapi::phone_number_import req;
      req.number = n.phone_number;
      req.twilio_account_sid = creds.account_sid;
      req.twilio_auth_token = creds.auth_token;
      req.assistant_id = ctx->assistant_id;
      req.name = ctx->label;
      req.server_url = im.base + "/webhooks/vapi";
      auto vg = im.through(org_id, provider::vapi, [result, vc, req]() mutable {
        *result = vc.import_twilio_number(req);
        return !result->transient();
      });
      if (vg.ran && result->ok && result->body.is_object() && result->body.contains("id") &&
          result->body["id"].is_string())
        vapi_id = result->body["id"].get<std::string>();
      else
        vapi_error = vg.ran ? "Vapi: " + result->error.message : "Vapi: " + vg.why;
    } else if (vapi_id.empty()) {
      vapi_error = "this server has no Vapi key (RINGMASTER_VAPI_PRIVATE_KEY)";
    }
    bool linked = true;
    im.in_tenant(org_id, [&](pqxx::work& tx) {
      if (!vapi_id.empty()) linked = p::mark_linked(tx, row.id, vapi_id, "");
      row = *p::find_number(tx, row.id);
      return true;
    });
    if (!linked)  // migration 009: the id is active on another number; the number stays owned
      vapi_error = "Vapi: the phone-number id " + vapi_id +
                   " is already used by another number (vapi_phone_number_id_taken)";
    imported.push_back(number_json(row));
    if (!vapi_error.empty())
      failed.push_back({{"phone_number", n.phone_number},
                        {"error", vapi_error + " (the number is recorded and routed; importing "
                                               "again retries the Vapi step)"}});
  }
  if (changed) {
    im.svc.invalidate_routes();
    im.svc.tenant_changed(org_id);
  }
  return {200,
          {{"imported", imported},
           {"already", already},
           {"refused", refused},
           {"failed", failed},
           {"pages", listed->pages}},
          -1};
}

}  // namespace rm::actors
