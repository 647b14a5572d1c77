// send_sms, the call actor's one tool that talks to a provider (included by actors/call.cpp
// only; a template over the call actor's pointer so it stays out of that file's length). The
// claim, the rule, the audit row and the outcome are described where it is defined below.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "actors/db_call.hpp"
#include "adapters/metrics/metrics.hpp"
#include "domain/e164.hpp"
#include "domain/sms_policy.hpp"
#include "persistence/repositories.hpp"
#include "persistence/twilio_queries.hpp"

namespace rm::actors::call_tools {

namespace p = rm::persistence;
using nlohmann::json;

// What the claim transaction of a send_sms decided. When `settled` is set, the tool call was
// answered inside that transaction (refused, opted out, no Twilio account: the audit row and the
// tool result are committed) and nothing goes to Twilio.
struct sms_claim {
  p::claim claim;
  std::optional<p::tool_outcome> settled;
  std::optional<p::twilio_account> account;
  std::string message_id;  // the audit row reserved with status 'sending'
  p::message_row row;      // that row's content, for its outcome
};

// send_sms texts only the caller of this call, at most w->sms_per_call times per call
// (domain/sms_policy.hpp). The claim transaction claims the toolCallId, counts the call's SMS
// attempts under the call's SMS lock and, when the rule allows, reserves the audit row
// ('sending') before committing: the count is exact across concurrent tool calls, processes and
// restarts, and a retried toolCallId replays its stored result without counting again.
template <class Self>
void send_sms(Self* self, const wiring_ptr& w, const tool_request& req,
              std::function<void(tool_reply)> done) {
  auto reply_of = [](const tool_request& r, std::string text, bool is_error) {
    return tool_reply{r.name, r.tool_call_id, std::move(text), is_error};
  };
  const auto& id = self->state.identity;
  auto args = json::parse(req.arguments_json, nullptr, false);
  auto text = [&](const char* k) {
    auto it = args.find(k);
    return it != args.end() && it->is_string() ? it->get<std::string>() : std::string{};
  };
  auto body = text("message");
  if (body.empty()) return done(reply_of(req, "argument 'message' is required", true));
  if (body.size() > 1600)
    return done(reply_of(req, "argument 'message' is too long (at most 1600 characters)", true));
  auto to_text = text("to");
  auto region = domain::region_of(id.dialled);
  if (region == "ZZ") region = "US";

  auto call_id = id.id;
  auto org_id = id.org_id;
  auto caller = id.caller;
  auto from = id.dialled;
  auto limit = w->sms_per_call;
  db_await<sms_claim>(
      self, *w,
      [=](pqxx::connection& c) {
        pqxx::work tx{c};
        p::set_tenant(tx, org_id);
        sms_claim out;
        // 1. Claim the toolCallId first: a retry after this point never sends a second SMS.
        out.claim = p::claim_tool_call(tx, call_id, req.tool_call_id, org_id, req.name,
                                       req.arguments_json);
        if (!out.claim.claimed) {
          tx.commit();
          return out;
        }
        auto settle = [&](p::tool_outcome outcome) {
          p::complete_tool_call(tx, call_id, req.tool_call_id, outcome);
          tx.commit();
          out.settled = std::move(outcome);
          return out;
        };
        // 2. The rule: the caller only, within the per-call limit.
        auto attempted = p::sms_attempts_of_call(tx, call_id);
        auto decision = domain::decide_sms(caller, to_text, region, attempted, limit);
        if (decision.verdict == domain::sms_verdict::invalid_to)
          return settle({decision.reason, true});  // no recipient: nothing to audit
        auto& row = out.row;
        row.org_id = org_id;
        row.call_id = call_id;
        row.direction = "outbound";
        row.method = "sms";
        row.recipient = decision.recipient;
        row.content = body;
        if (domain::is_e164_syntax(row.recipient))
          row.contact_id = p::contact_by_phone(tx, org_id, row.recipient).value_or("");
        if (decision.verdict != domain::sms_verdict::send) {
          row.status = "refused";
          row.error_code = decision.code();
          row.error_message = decision.reason;
          p::insert_message(tx, row);
          return settle({decision.reason, true});
        }
        if (p::contact_opted_out(tx, org_id, row.recipient)) {
          // Refused before Twilio is called (it would answer 21610).
          row.status = "refused";
          row.error_code = "opted_out";
          row.error_message = "the recipient has opted out of SMS (replied STOP)";
          p::insert_message(tx, row);
          return settle({row.error_message, true});
        }
        out.account = p::load_twilio_account(tx, org_id);
        if (!out.account) {
          row.status = "failed";
          row.error_code = "no_credentials";
          row.error_message = "no Twilio account configured for this clinic";
          p::insert_message(tx, row);
          return settle({"the SMS was not sent: this clinic has no Twilio account set up", true});
        }
        // 3. Reserve the attempt: from this commit on it counts against the limit, even if
        //    the process dies before Twilio answers (it may have been sent).
        row.status = "sending";
        out.message_id = p::insert_message(tx, row);
        tx.commit();
        return out;
      },
      [=](caf::expected<sms_claim> claimed) mutable {
        if (!claimed)
          return done(reply_of(req, "the SMS could not be sent right now (" +
                                        describe(claimed.error()) + ")", true));
        auto& cl = *claimed;
        if (!cl.claim.claimed) {
          if (cl.claim.stored)
            return done(reply_of(req, cl.claim.stored->result, cl.claim.stored->is_error));
          return done(reply_of(req, "this SMS is already being sent", true));
        }
        if (cl.settled) {
          metrics::sms(cl.row.status);  // refused, or failed (no Twilio account)
          return done(reply_of(req, cl.settled->result, cl.settled->is_error));
        }
        // 5. The attempt's outcome and the tool's result in one transaction.
        auto message_id = cl.message_id;
        auto finish = [=](p::message_row row, p::tool_outcome outcome) mutable {
          metrics::sms(row.status);  // sent or failed
          db_await<bool>(
              self, *w,
              [=](pqxx::connection& c) {
                pqxx::work tx{c};
                p::set_tenant(tx, org_id);
                p::update_message_outcome(tx, message_id, row);
                p::complete_tool_call(tx, call_id, req.tool_call_id, outcome);
                tx.commit();
                return true;
              },
              [=](caf::expected<bool> written) mutable {
                if (!written)
                  outcome.result += " (the audit record could not be written: " +
                                    describe(written.error()) + ")";
                done(reply_of(req, outcome.result, outcome.is_error));
              });
        };
        // 4. Send through the tenant's own Twilio account, from the number that was dialled.
        auto row = cl.row;
        auto to_e164 = row.recipient;
        twilio::credentials creds{cl.account->account_sid, cl.account->auth_token};
        twilio::sms_request sms{from, to_e164, body, ""};
        self->request(w->twilio(), w->times.twilio_timeout, sms_atom::value, org_id, creds,
                      sms)
            .await(
                [=](const twilio::sms_result& r) mutable {
                  if (r.ok) {
                    row.status = "sent";
                    row.external_message_id = r.sent.sid;
                    row.sent_at = w->now();
                    json result{{"status", "sent"}, {"sid", r.sent.sid}, {"to", to_e164}};
                    finish(row, {result.dump(), false});
                  } else {
                    row.status = "failed";
                    row.error_code = r.error.code ? std::to_string(r.error.code)
                                                  : "http_" + std::to_string(r.error.http_status);
                    row.error_message = r.error.message;
                    finish(row, {"the SMS was not sent: " + twilio::describe(r.error), true});
                  }
                },
                [=](caf::error& err) mutable {
                  row.status = "failed";
                  row.error_code = "adapter_error";
                  row.error_message = describe(err);
                  finish(row, {"the SMS was not sent: the Twilio adapter did not answer", true});
                });
      });
}


}  // namespace rm::actors::call_tools
