// The blocking steps of agent provisioning (actors/agent_provisioning.hpp). They run on the agent
// saga's detached workers; every provider request is a typed request to its adapter actor
// (service::providers(), behind the tenant's breaker), every transaction names the tenant first.
#include "actors/agent_provisioning.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "actors/number_service.hpp"
#include "actors/provider_port.hpp"
#include "actors/service.hpp"
#include "actors/tools_sync.hpp"
#include "adapters/vapi/assistant_spec.hpp"
#include "domain/outbound.hpp"
#include "persistence/repositories.hpp"
#include "persistence/tool_queries.hpp"

namespace rm::actors {

namespace p = rm::persistence;
using nlohmann::json;

namespace {

agent_outcome failure(rm::ec kind, std::string code, std::string message, int retry_after = -1) {
  agent_outcome o;
  o.kind = kind;
  o.code = std::move(code);
  o.message = std::move(message);
  o.retry_after = retry_after;
  return o;
}

// A refusal of the number service (typed: actors/number_service.hpp number_error) as the
// agent's outcome: same kind, code and Retry-After, so the route answers what the number route
// would.
agent_outcome from_number_result(const number_result& r, const std::string& fallback_code,
                                 const std::string& prefix, const std::string& fallback) {
  if (!r.error) return failure(ec::internal, fallback_code, prefix + fallback);
  const auto& e = *r.error;
  return failure(e.kind, e.code.empty() ? fallback_code : e.code,
                 prefix + (e.message.empty() ? fallback : e.message), e.retry_after);
}

}  // namespace

agent_provisioner::agent_provisioner(service& svc, number_service* numbers,
                                     agent_provisioning_settings settings)
    : svc_(svc), numbers_(numbers), settings_(std::move(settings)) {}

void agent_provisioner::close() {
  std::unique_lock<std::shared_mutex> g{open_};
  closed_ = true;
}

template <class Fn>
void agent_provisioner::in_tenant(const std::string& org_id, Fn&& work) {
  svc_.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    p::set_tenant(tx, org_id);
    if (work(tx)) tx.commit();
  });
}

#define RM_OPEN_OR_FAIL()                                                                    \
  std::shared_lock<std::shared_mutex> open_guard{open_};                                     \
  if (closed_)                                                                               \
    return failure(ec::unavailable, "", "agent provisioning is shutting down; retry later");

agent_outcome agent_provisioner::attempt(const std::string& org_id, const std::string& user_id,
                                         const std::string& agent_id) {
  RM_OPEN_OR_FAIL();
  std::optional<p::agent_row> agent;
  in_tenant(org_id, [&](pqxx::work& tx) {
    agent = p::load_agent(tx, agent_id);
    return true;
  });
  if (!agent) return failure(ec::not_found, "not_found", "no agent with id " + agent_id);
  return run_steps(org_id, user_id, *agent);
}

agent_outcome agent_provisioner::retry(const std::string& org_id, const std::string& user_id,
                                       const std::string& agent_id) {
  RM_OPEN_OR_FAIL();
  p::agent_row agent;
  auto outcome = p::retry_outcome::not_found;
  in_tenant(org_id, [&](pqxx::work& tx) {
    outcome = p::begin_agent_retry(tx, agent_id, int(settings_.stale_after.count()), agent);
    return outcome == p::retry_outcome::started;
  });
  if (outcome == p::retry_outcome::not_found)
    return failure(ec::not_found, "not_found", "no agent with id " + agent_id);
  if (outcome == p::retry_outcome::not_retryable) {
    auto o = failure(ec::conflict, "not_retryable",
                     agent.status == "ready" ? "this agent is ready; there is nothing to retry"
                                             : "this agent's creation is still running");
    o.agent = agent;
    return o;
  }
  return run_steps(org_id, user_id, agent);
}

agent_outcome agent_provisioner::auto_retry(const std::string& org_id,
                                            const std::string& agent_id) {
  RM_OPEN_OR_FAIL();
  p::agent_row agent;
  auto outcome = p::retry_outcome::not_found;
  in_tenant(org_id, [&](pqxx::work& tx) {
    auto row = p::load_agent(tx, agent_id, true);
    // A failed agent only while automatic attempts are left; a creating one whose attempt died.
    if (!row || (row->status == "failed" && row->attempts >= settings_.max_attempts)) return false;
    outcome = p::begin_agent_retry(tx, agent_id, int(settings_.stale_after.count()), agent);
    return outcome == p::retry_outcome::started;
  });
  if (outcome != p::retry_outcome::started) return failure(ec::conflict, "", "nothing to do");
  spdlog::info("agent {} of org {}: resuming its creation (attempt {})", agent_id, org_id,
               agent.attempts);
  return run_steps(org_id, agent.created_by, agent);
}

std::vector<agent_due> agent_provisioner::due() {
  std::vector<agent_due> out;
  std::shared_lock<std::shared_mutex> g{open_};  // held throughout: close() waits for it
  if (closed_) return out;
  const auto backoff_ms = settings_.backoff.count();
  svc_.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    // The creating ones: due when stale; the failed ones: backoff × 2^(attempts-1) after their
    // failure (updated_at). Computed by PostgreSQL's clock, like updated_at.
    auto rows = tx.exec_params(
        "SELECT id::text AS id, org_id::text AS org_id,"
        " greatest(0, (extract(epoch from (updated_at - now())) * 1000)::bigint"
        "   + CASE WHEN status = 'creating' THEN $1::bigint * 1000"
        "          ELSE $2::bigint * (1::bigint << least(attempts - 1, 20)) END) AS due_in_ms"
        " FROM rm_agents_to_resume($3)",
        std::int64_t(settings_.stale_after.count()), std::int64_t(backoff_ms),
        settings_.max_attempts);
    for (const auto& r : rows)
      out.push_back({r["id"].c_str(), r["org_id"].c_str(),
                     std::chrono::milliseconds(r["due_in_ms"].as<std::int64_t>())});
    tx.commit();
  });
  return out;
}

// Runs the steps the agent still needs (domain::next_step), recording each result.
agent_outcome agent_provisioner::run_steps(const std::string& org_id, const std::string& user_id,
                                           p::agent_row agent) {
  for (;;) {
    auto step = domain::next_step(
        {!agent.vapi_assistant_id.empty(), agent.provision_phone, !agent.phone_number_id.empty()});
    agent_outcome failed;
    if (step == domain::agent_step::done) {
      in_tenant(org_id, [&](pqxx::work& tx) {
        p::agent_ready(tx, agent.id);
        // Its tools are linked in the background (actors/tools_sync.hpp): pending with the row.
        p::tools::begin_tools_sync(tx, org_id, agent.id);
        agent = *p::load_agent(tx, agent.id);
        return true;
      });
      request_tools_sync(svc_, org_id, agent.id);
      agent_outcome ok;
      ok.ready = true;
      ok.agent = agent;
      return ok;
    }
    if (step == domain::agent_step::create_assistant) {
      if (!create_assistant(org_id, agent, failed)) return fail(org_id, agent, "assistant", failed);
      continue;
    }
    if (!provision_number(org_id, user_id, agent, failed))
      return fail(org_id, agent, "phone_number", failed);
  }
}

bool agent_provisioner::create_assistant(const std::string& org_id, p::agent_row& agent,
                                         agent_outcome& failed) {
  std::string clinic;
  in_tenant(org_id, [&](pqxx::work& tx) {
    clinic = p::org_name(tx);
    return true;
  });
  vapi::assistant_spec spec{agent.name, clinic, agent.language, settings_.webhook_url,
                            settings_.server_headers, org_id, agent.id};
  spec.sms_per_call = svc_.options().sms_per_call;
  const vapi_endpoint ep{svc_.options().vapi_base_url, svc_.options().vapi_private_key};
  vapi::response response;
  try {
    response = svc_.providers().create_assistant(org_id, ep, {vapi::assistant_body(spec)});
  } catch (const provider_unavailable& e) {
    failed = failure(ec::provider_unavailable, "provider_unavailable",
                     "Vapi is not being called for this clinic right now after repeated "
                     "failures; retry in " + std::to_string(e.retry_after.count()) + " s",
                     int(std::max<long long>(1, e.retry_after.count())));
    return false;
  } catch (const service_error&) {
    failed = failure(ec::provider_timeout, "provider_timeout",
                     "Vapi did not answer in time; the assistant was not recorded");
    return false;
  }
  const auto& body = response.body;
  if (!response.ok) {
    failed = failure(ec::provider_rejected, "vapi_error",
                     "Vapi refused to create the assistant (HTTP " +
                         std::to_string(response.error.http_status) + "): " +
                         response.error.message);
    return false;
  }
  if (!body.is_object() || !body.contains("id") || !body["id"].is_string() ||
      body["id"].get<std::string>().empty()) {
    failed = failure(ec::provider_rejected, "vapi_error", "Vapi answered without an assistant id");
    return false;
  }
  const std::string assistant_id = body["id"];
  bool adopted = false;
  in_tenant(org_id, [&](pqxx::work& tx) {
    p::agent_assistant_created(tx, agent.id, assistant_id);
    adopted = p::adopt_default_assistant(tx, assistant_id);
    agent = *p::load_agent(tx, agent.id);
    return true;
  });
  if (adopted) {  // assistant-request now answers with it
    svc_.invalidate_routes();
    svc_.tenant_changed(org_id);
  }
  return true;
}

// A number for the agent through the number lifecycle's saga (actors::number_service::provision:
// order recorded, Twilio buys by area code, the number is recorded and routed, Vapi imports it
// with the agent's assistant, linked). A number the saga already holds for this agent is never
// bought again: linked → taken as is; bought but its Vapi import still to come, or a purchase
// still open → this step fails with that status (the number sweep finishes it; a retry then
// finds it linked).
bool agent_provisioner::provision_number(const std::string& org_id, const std::string& user_id,
                                         p::agent_row& agent, agent_outcome& failed) {
  p::agent_number_state held;
  in_tenant(org_id, [&](pqxx::work& tx) {
    held = p::agent_numbers(tx, agent.id);
    return true;
  });
  auto linked = [&](const std::string& number_id) {
    in_tenant(org_id, [&](pqxx::work& tx) {
      p::agent_number_linked(tx, agent.id, number_id);
      agent = *p::load_agent(tx, agent.id);
      return true;
    });
    return true;
  };
  auto fail = [&](agent_outcome o) {
    failed = std::move(o);
    return false;
  };
  if (!held.linked_id.empty()) return linked(held.linked_id);
  if (!held.pending_id.empty())
    return fail(failure(ec::conflict, "number_import_pending",
                        "the number " + held.pending_e164 +
                            " was bought for this agent and is routed to the clinic, but its "
                            "import into Vapi is still pending (it is retried automatically); "
                            "retry the agent once it is linked"));
  if (held.open_order)
    return fail(failure(ec::conflict, "number_purchase_pending",
                        "a number purchase for this agent is still being completed or "
                        "reconciled; retry the agent in a few minutes"));
  if (!numbers_)
    return fail(failure(ec::not_supported, "provisioning_unavailable",
                        "automatic number provisioning is not available on this server"));
  json body{{"agent_id", agent.id}};
  if (!agent.area_code.empty()) {
    body["area_code"] = agent.area_code;
  } else {  // no preference: the first local number Twilio offers
    auto found = numbers_->search(org_id, "US", "", "");
    if (found.error)
      return fail(from_number_result(found, "provisioning_failed", "no number could be searched: ",
                                     ""));
    const auto& list = found.body["available_phone_numbers"];
    if (!list.is_array() || list.empty())
      return fail(failure(ec::conflict, "no_numbers_available",
                          "Twilio offers no local number right now"));
    body["phone_number"] = list[0]["phone_number"];
  }
  auto out = numbers_->provision(org_id, user_id, body);
  if (!out.error && out.outcome == number_outcome::created && out.body["number"].is_object())
    return linked(out.body["number"]["id"].get<std::string>());
  if (!out.error && out.outcome == number_outcome::accepted) {
    const auto& n = out.body["number"];
    return fail(failure(ec::conflict, "number_import_pending",
                        (n.is_object() ? "the number " + n.value("phone_number", std::string{}) +
                                             " was bought for this agent"
                                       : std::string{"the purchase's outcome is being reconciled"}) +
                            "; its import into Vapi is still pending (it is retried "
                            "automatically); retry the agent once it is linked"));
  }
  return fail(from_number_result(out, "provisioning_failed", "",
                                 "the number could not be provisioned"));
}

// Records the failure (status failed at `step`) and notifies the admins, in one transaction.
agent_outcome agent_provisioner::fail(const std::string& org_id, const p::agent_row& agent,
                                      const std::string& step, agent_outcome failure) {
  failure.agent = agent;
  in_tenant(org_id, [&](pqxx::work& tx) {
    p::agent_failed(tx, agent.id, step, failure.message);
    p::notify_admins(tx, org_id, "agent.failed", "error", "agent", agent.id,
                     "The agent '" + agent.name + "' could not be set up (step " + step + "): " +
                         failure.message + ". Fix the cause, then retry with POST /api/agents/" +
                         agent.id + "/retry.");
    failure.agent = *p::load_agent(tx, agent.id);
    return true;
  });
  spdlog::warn("agent {} of org {}: step {} failed: {}", agent.id, org_id, step, failure.message);
  return failure;
}

}  // namespace rm::actors
