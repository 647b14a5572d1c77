// The blocking facade of caller-ID verification (actors/verification_service.hpp): validation,
// the cheap gate before hashing, the argon2id hash, Twilio delivery through the provider port,
// the audit row, and the mapping of the actors' outcomes to rm::ec failures. The actors it asks
// belong to the root supervisor; every request goes to the handle wiring holds right now.
#include <algorithm>
#include <ctime>
#include <optional>
#include <stdexcept>

#include <caf/all.hpp>
#include <pqxx/pqxx>
#include <spdlog/spdlog.h>

#include "actors/provider_port.hpp"
#include "actors/service.hpp"
#include "actors/verification_detail.hpp"
#include "actors/verification_service.hpp"
#include "actors/wiring.hpp"
#include "adapters/twilio/twilio_client.hpp"
#include "domain/calendar.hpp"
#include "domain/e164.hpp"
#include "persistence/repositories.hpp"

namespace rm::actors {

namespace {

using nlohmann::json;

std::string iso_utc(std::int64_t epoch_seconds) { return domain::format_utc(epoch_seconds); }

verification_result fail(rm::ec kind, std::string code, std::string message,
                         std::string field = "", int retry_after = -1) {
  verification_failure f;
  f.kind = kind;
  f.code = std::move(code);
  f.message = std::move(message);
  f.field = std::move(field);
  f.retry_after = retry_after;
  return {json(), std::move(f)};
}
verification_result success(json body) { return {std::move(body), std::nullopt}; }

// Every argon2id slot stayed taken for argon2_wait.
verification_result busy_result() {
  return fail(rm::ec::rate_limited, "busy",
              "too many verification requests at once; retry shortly", "", 1);
}

// Last 4 digits only, for logs.
std::string tail_of(const std::string& e164) {
  return e164.size() > 4 ? "…" + e164.substr(e164.size() - 4) : e164;
}

// What the Twilio send of a code came to: the audit row (code masked) and whether it went out.
struct delivery {
  bool ok = false;
  twilio::twilio_error error;
  persistence::message_row audit;
};

}  // namespace

struct verification_service::impl {
  service& svc;
  verification_service_options options;
  wiring_ptr w;
  // Twilio requests are typed requests to the twilio adapter (svc.providers()), behind the
  // tenant's Twilio breaker.
  twilio_endpoint tw;

  impl(service& s, verification_service_options o)
      : svc(s), options(std::move(o)), w(s.shared_wiring()) {
    tw.base_url = options.twilio_base_url;
    if (!w->verification_registry() || !w->verification_housekeeper())
      throw std::logic_error(
          "verification_service needs a service built with service_options::verification");
  }

  const verification_config& cfg() const { return w->verification; }

  // One blocking request; an error reply becomes service_error with its rm::ec.
  template <class R, class Dest, class... Ts>
  R ask(const Dest& dest, Ts&&... xs) {
    caf::scoped_actor self{svc.system()};
    std::optional<R> out;
    caf::error err;
    self->request(dest, svc.request_timeout(), std::forward<Ts>(xs)...)
        .receive([&](R& r) { out = std::move(r); }, [&](caf::error& e) { err = std::move(e); });
    if (!out)
      throw service_error(ec_of(err).value_or(ec::unavailable),
                          "verification actors: " + (err.category() == ec_category
                                                         ? message_of(err)
                                                         : svc.system().render(err)));
    return std::move(*out);
  }

  // Sends the code by SMS or voice from the AI number; a refusal of the breaker or no answer in
  // time is a delivery failure like any other (audited).
  delivery deliver_code(const std::string& org_id, const persistence::twilio_account& account,
                        const std::string& from, const std::string& to,
                        const std::string& channel, const std::string& code) {
    twilio::credentials creds{account.account_sid, account.auth_token};
    delivery d;
    d.audit.org_id = org_id;
    d.audit.direction = "outbound";
    d.audit.recipient = to;
    auto undelivered = [](const std::exception& e) {
      twilio::twilio_error failure;
      failure.message = e.what();
      return failure;
    };
    try {
      if (channel == "sms") {
        d.audit.method = "sms";
        d.audit.content = domain::verification_sms_body(domain::masked_code);
        auto sent = svc.providers().send_sms(org_id, tw, creds,
                                             {from, to, domain::verification_sms_body(code), ""});
        d.ok = sent.ok;
        d.error = sent.error;
        d.audit.external_message_id = sent.sent.sid;
      } else {
        d.audit.method = "voice";
        d.audit.content = domain::verification_call_script_masked();
        auto call = svc.providers().create_call(org_id, tw, creds,
                                                {from, to, domain::verification_twiml(code), ""});
        d.ok = call.ok;
        d.error = call.error;
        d.audit.external_message_id = call.sid;
      }
    } catch (const provider_unavailable& e) {
      d.error = undelivered(e);
    } catch (const service_error& e) {
      d.error = undelivered(e);
    }
    d.audit.status = d.ok ? "sent" : "failed";
    if (d.ok) {
      d.audit.sent_at = w->now();
    } else {
      d.audit.error_code = d.error.code ? std::to_string(d.error.code) : "";
      d.audit.error_message = twilio::describe(d.error);
    }
    return d;
  }
};

verification_service::verification_service(service& svc, verification_service_options options)
    : impl_(std::make_unique<impl>(svc, std::move(options))) {}

// The actors belong to the root supervisor: nothing to stop here.
verification_service::~verification_service() = default;

service& verification_service::backend() { return impl_->svc; }
argon2_limiter& verification_service::argon2() { return *impl_->cfg().argon2; }
std::int64_t verification_service::now_epoch() { return vdetail::epoch(impl_->w->now()); }

namespace {

// The refusal of a gated initiation (outcome already_verified | locked | rate_limited).
verification_result refused(const initiate_reply& reply) {
  const auto retry = static_cast<int>(reply.retry_after);
  switch (reply.outcome) {
    case verification_outcome::already_verified:
      return fail(rm::ec::conflict, "already_verified",
                  "this number is already verified for this organization", "phoneNumber");
    case verification_outcome::locked:
      return fail(rm::ec::locked, "number_locked",
                  "too many wrong codes: this number is locked; retry later", "phoneNumber",
                  retry);
    case verification_outcome::rate_limited:
      return fail(rm::ec::rate_limited, "too_many_verifications",
                  "at most 3 verification codes per number per hour; retry later", "phoneNumber",
                  retry);
    default: break;
  }
  throw service_error(rm::ec::internal, std::string{"verification: unexpected initiation "
                                                    "outcome "} + to_string(reply.outcome));
}

}  // namespace

verification_result verification_service::initiate(const std::string& org_id,
                                                   const std::string& phone_input,
                                                   const std::string& friendly_name,
                                                   const std::string& channel) {
  if (channel != "call" && channel != "sms")
    return fail(rm::ec::invalid_argument, "invalid_channel",
                "channel must be \"call\" or \"sms\"", "channel");
  auto parsed = domain::normalize_e164(phone_input, "US");
  if (!parsed.ok)
    return fail(rm::ec::invalid_argument, "invalid_phone_number",
                "phoneNumber is not a valid phone number (" + parsed.error + ")", "phoneNumber");
  const std::string e164 = parsed.e164;

  std::optional<persistence::twilio_account> account;
  std::optional<std::string> ai_number;
  domain::initiation_decision gate;
  const auto now = now_epoch();
  impl_->svc.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    persistence::set_tenant(tx, org_id);
    account = persistence::load_twilio_account(tx, org_id);
    ai_number = persistence::active_ai_number(tx);
    gate = vdetail::initiation_gate_for(tx, persistence::find_caller_id_by_number(tx, e164), e164,
                                        now, impl_->cfg().limits);
    tx.commit();
  });
  if (!ai_number)
    return fail(rm::ec::conflict, "no_ai_number",
                "the clinic has no active AI number to send the code from");
  if (!account)
    return fail(rm::ec::conflict, "twilio_not_configured",
                "the clinic's Twilio account is not configured");

  // Lock, rate limit and verified number first: a refused request costs no argon2id hash.
  if (gate.gate != domain::initiation_gate::ok) {
    initiate_reply early;
    early.outcome = vdetail::outcome_of(gate.gate);
    early.retry_after = gate.retry_after.count();
    return refused(early);
  }
  std::string code = generate_verification_code();
  std::string hash;
  if (!impl_->cfg().argon2->run([&] { hash = hash_verification_code(code); }))
    return busy_result();
  auto reply = impl_->ask<initiate_reply>(impl_->w->verification_registry(), vinit_atom::value,
                                          initiate_cmd{org_id, e164, friendly_name, channel, hash});
  if (reply.outcome != verification_outcome::started) return refused(reply);

  // Delivery: the code in clear exists only in the request handed to Twilio.
  auto sent = impl_->deliver_code(org_id, *account, *ai_number, e164, channel, code);
  code.assign(code.size(), '0');  // overwrite the clear code before it is freed
  code.clear();
  impl_->svc.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    persistence::set_tenant(tx, org_id);
    persistence::insert_message(tx, sent.audit);
    tx.commit();
  });
  spdlog::info("verification {} started for {} by {} ({})", reply.verification_id, tail_of(e164),
               channel, sent.ok ? "delivered to Twilio" : "delivery failed");
  if (!sent.ok)
    return fail(rm::ec::provider_failed, "delivery_failed",
                "the code could not be sent: " + twilio::describe(sent.error));
  return success({{"success", true},
                  {"verificationId", reply.verification_id},
                  {"expiresAt", iso_utc(reply.expires_at)},
                  {"message", channel == "sms"
                                  ? "We sent a 6-digit code by SMS. It expires in 10 minutes."
                                  : "We are calling the number to read a 6-digit code. It expires "
                                    "in 10 minutes."}});
}

verification_result verification_service::confirm(const std::string& org_id,
                                                  const std::string& verification_id,
                                                  const std::string& code) {
  if (verification_id.empty())
    return fail(rm::ec::invalid_argument, "missing_field", "verificationId is required",
                "verificationId");
  if (!domain::is_code_syntax(code))
    return fail(rm::ec::invalid_argument, "invalid_code_format",
                "verificationCode must be 6 digits", "verificationCode");
  auto r = impl_->ask<confirm_reply>(impl_->w->verification_registry(), vconfirm_atom::value,
                                     confirm_cmd{org_id, verification_id, code});
  // Retry-After of a locked number: until its lock ends.
  const int until_unlocked =
      r.locked_until > 0
          ? static_cast<int>(std::max<std::int64_t>(1, r.locked_until - now_epoch()))
          : -1;
  switch (r.outcome) {
    case verification_outcome::verified:
      spdlog::info("verification {} verified", verification_id);
      return success({{"success", true},
                      {"message", "Phone number verified successfully"},
                      {"verifiedCallerId", verification_id},
                      {"phoneNumber", r.phone_e164}});
    case verification_outcome::wrong_code: {
      auto res = fail(rm::ec::invalid_argument, "wrong_code",
                      "Invalid verification code. " + std::to_string(r.attempts_left) +
                          (r.attempts_left == 1 ? " attempt" : " attempts") + " remaining.",
                      "verificationCode");
      res.failure->extra["attemptsRemaining"] = r.attempts_left;
      return res;
    }
    case verification_outcome::failed:
      return fail(rm::ec::locked, "verification_failed",
                  "Too many wrong codes. The number is locked for an hour.", "", until_unlocked);
    case verification_outcome::locked:
      return fail(rm::ec::locked, "number_locked",
                  "This verification failed after too many wrong codes; the number is locked. "
                  "Request a new code later.",
                  "", until_unlocked);
    case verification_outcome::expired:
      return fail(rm::ec::expired, "expired",
                  "Verification code expired. Please request a new one.");
    case verification_outcome::already_verified:
      return fail(rm::ec::conflict, "already_verified", "This number is already verified.");
    case verification_outcome::not_found:
      return fail(rm::ec::not_found, "not_found", "no such verification", "verificationId");
    case verification_outcome::busy: return busy_result();
    case verification_outcome::started:
    case verification_outcome::rate_limited: break;
  }
  throw service_error(rm::ec::internal, std::string{"verification: unexpected confirm outcome "} +
                                            to_string(r.outcome));
}

verification_result verification_service::register_caller_id(
    const std::string& org_id, const std::string& verification_id) {
  std::optional<persistence::caller_id_row> row;
  std::optional<persistence::twilio_account> account;
  impl_->svc.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    persistence::set_tenant(tx, org_id);
    row = persistence::find_caller_id(tx, verification_id);
    account = persistence::load_twilio_account(tx, org_id);
    tx.commit();
  });
  if (!row) return fail(rm::ec::not_found, "not_found", "no such verified number");
  if (row->status != "verified")
    return fail(rm::ec::conflict, "not_verified", "the number must be verified first");
  if (!account)
    return fail(rm::ec::conflict, "twilio_not_configured",
                "the clinic's Twilio account is not configured");
  std::string callback;
  auto base = impl_->options.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();  // as the webhook verifies it
  if (!base.empty())
    callback = base + "/webhooks/twilio/caller-id/" + org_id + "/" + verification_id;
  twilio::caller_id_result res;
  try {
    res = impl_->svc.providers().create_caller_id(
        org_id, impl_->tw, {account->account_sid, account->auth_token},
        {row->phone_number, row->friendly_name, callback});
  } catch (const provider_unavailable& e) {
    return fail(rm::ec::provider_unavailable, "provider_unavailable", e.what(), "",
                static_cast<int>(std::max<long>(1, e.retry_after.count())));
  } catch (const service_error& e) {
    res.error.message = e.what();  // http_status 0: Twilio did not answer in time
  }
  // Twilio answered and refused the request itself (its 4xx, not a rate limit) → rejected;
  // no answer, a 429 or a 5xx after the client's retries → failed. Both are 502 twilio_error.
  if (!res.ok)
    return fail(res.error.http_status >= 400 && res.error.http_status < 500 &&
                        res.error.http_status != 429
                    ? rm::ec::provider_rejected
                    : rm::ec::provider_failed,
                "twilio_error",
                "Twilio refused the caller-ID request: " + twilio::describe(res.error));
  impl_->svc.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    persistence::set_tenant(tx, org_id);
    persistence::set_twilio_validation(tx, verification_id, "validating", res.call_sid, "");
    tx.commit();
  });
  return success({{"success", true},
                  {"validationCode", res.validation_code},
                  {"message", "Twilio is calling " + row->phone_number +
                                  ". When asked, key in this validation code."}});
}

void verification_service::caller_id_status(const std::string& org_id,
                                            const std::string& verification_id,
                                            const std::string& verification_status,
                                            const std::string& outgoing_caller_id_sid) {
  const bool success = verification_status == "success";
  impl_->svc.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    persistence::set_tenant(tx, org_id);
    persistence::set_twilio_validation(tx, verification_id, success ? "success" : "failed", "",
                                       success ? outgoing_caller_id_sid : "");
    tx.commit();
  });
}

void verification_service::forget(const std::string& verification_id) {
  caf::anon_send(impl_->w->verification_registry(), vforget_atom::value, verification_id);
}

std::string verification_service::live_sessions_json() {
  return impl_->ask<std::string>(impl_->w->verification_registry(), list_atom::value);
}

nlohmann::json verification_service::sweep_now() {
  auto r = impl_->ask<sweep_result>(impl_->w->verification_housekeeper(), vsweep_atom::value);
  return {{"expired", r.expired}, {"deleted", r.deleted}};
}

}  // namespace rm::actors
