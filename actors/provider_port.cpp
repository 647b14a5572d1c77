// provider_port (actors/provider_port.hpp): one scoped_actor request per call to the adapter
// actor of the provider; the adapter's typed refusal becomes provider_unavailable.
#include "actors/provider_port.hpp"

#include <optional>

#include "actors/actors.hpp"

namespace rm::actors {

namespace {

template <class Result, class Handle, class... Ts>
Result ask(service& svc, provider p, std::chrono::milliseconds timeout, const Handle& dest,
           Ts&&... xs) {
  caf::scoped_actor self{svc.system()};
  std::optional<Result> out;
  caf::error err;
  self->request(dest, timeout, std::forward<Ts>(xs)...)
      .receive([&](Result& r) { out = std::move(r); }, [&](caf::error& e) { err = e; });
  if (out) return std::move(*out);
  if (err.category() == provider_error_category) {
    const auto& ctx = err.context();
    if (err.code() == static_cast<std::uint8_t>(provider_errc::breaker_open)) {
      std::int64_t ms = ctx.match_elements<std::int64_t>() ? ctx.get_as<std::int64_t>(0) : 0;
      auto s = std::chrono::seconds((ms + 999) / 1000);
      const char* name = p == provider::vapi ? "Vapi" : "Twilio";
      throw provider_unavailable(std::string(name) + " is unavailable for this clinic after "
                                 "repeated failures: requests are paused for " +
                                 std::to_string(s.count()) + " s (circuit breaker open)",
                                 s);
    }
    if (err.code() == static_cast<std::uint8_t>(provider_errc::request_threw))
      throw std::runtime_error(ctx.match_elements<std::string>() ? ctx.get_as<std::string>(0)
                                                                 : "the provider request failed");
  }
  bool is_timeout = err == caf::sec::request_timeout;
  throw service_error("the provider adapter did not answer: " +
                          (err ? svc.system().render(err) : std::string("no answer")),
                      is_timeout);
}

}  // namespace

// ---- Twilio ----

twilio::sms_result provider_port::send_sms(const std::string& org_id, const twilio_endpoint& ep,
                                           const twilio::credentials& creds,
                                           const twilio::sms_request& req,
                                           std::chrono::milliseconds timeout) {
  return ask<twilio::sms_result>(svc_, provider::twilio, timeout, svc_.shared_wiring()->twilio(),
                                 sms_atom::value, org_id, ep, creds, req);
}

twilio::call_result provider_port::create_call(const std::string& org_id,
                                               const twilio_endpoint& ep,
                                               const twilio::credentials& creds,
                                               const twilio::call_request& req,
                                               std::chrono::milliseconds timeout) {
  return ask<twilio::call_result>(svc_, provider::twilio, timeout,
                                  svc_.shared_wiring()->twilio(), call_atom::value, org_id, ep,
                                  creds, req);
}

twilio::caller_id_result provider_port::create_caller_id(const std::string& org_id,
                                                         const twilio_endpoint& ep,
                                                         const twilio::credentials& creds,
                                                         const twilio::caller_id_request& req,
                                                         std::chrono::milliseconds timeout) {
  return ask<twilio::caller_id_result>(svc_, provider::twilio, timeout,
                                       svc_.shared_wiring()->twilio(), callerid_atom::value,
                                       org_id, ep, creds, req);
}

twilio::account_result provider_port::fetch_account(const std::string& org_id,
                                                    const twilio_endpoint& ep,
                                                    const twilio::credentials& creds,
                                                    std::chrono::milliseconds timeout) {
  return ask<twilio::account_result>(svc_, provider::twilio, timeout,
                                     svc_.shared_wiring()->twilio(), account_atom::value, org_id,
                                     ep, creds);
}

twilio::available_result provider_port::search_available(const std::string& org_id,
                                                         const twilio_endpoint& ep,
                                                         const twilio::credentials& creds,
                                                         const twilio::available_search& q,
                                                         std::chrono::milliseconds timeout) {
  return ask<twilio::available_result>(svc_, provider::twilio, timeout,
                                       svc_.shared_wiring()->twilio(), search_atom::value, org_id,
                                       ep, creds, q);
}

twilio::number_result provider_port::purchase_number(const std::string& org_id,
                                                     const twilio_endpoint& ep,
                                                     const twilio::credentials& creds,
                                                     const twilio::purchase_request& req,
                                                     std::chrono::milliseconds timeout) {
  return ask<twilio::number_result>(svc_, provider::twilio, timeout,
                                    svc_.shared_wiring()->twilio(), purchase_atom::value, org_id,
                                    ep, creds, req);
}

twilio::number_list_result provider_port::list_numbers(const std::string& org_id,
                                                       const twilio_endpoint& ep,
                                                       const twilio::credentials& creds,
                                                       const std::string& phone_number,
                                                       std::chrono::milliseconds timeout) {
  return ask<twilio::number_list_result>(svc_, provider::twilio, timeout,
                                         svc_.shared_wiring()->twilio(), numbers_atom::value,
                                         org_id, ep, creds, phone_number);
}

twilio::number_result provider_port::update_number_urls(const std::string& org_id,
                                                        const twilio_endpoint& ep,
                                                        const twilio::credentials& creds,
                                                        const std::string& pn_sid,
                                                        const twilio::purchase_request& urls,
                                                        std::chrono::milliseconds timeout) {
  return ask<twilio::number_result>(svc_, provider::twilio, timeout,
                                    svc_.shared_wiring()->twilio(), urls_atom::value, org_id, ep,
                                    creds, pn_sid, urls);
}

twilio::release_result provider_port::release_number(const std::string& org_id,
                                                     const twilio_endpoint& ep,
                                                     const twilio::credentials& creds,
                                                     const std::string& pn_sid,
                                                     std::chrono::milliseconds timeout) {
  return ask<twilio::release_result>(svc_, provider::twilio, timeout,
                                     svc_.shared_wiring()->twilio(), release_atom::value, org_id,
                                     ep, creds, pn_sid);
}

// ---- Vapi ----

vapi::response provider_port::create_twilio_credential(const std::string& org_id,
                                                       const vapi_endpoint& ep,
                                                       const vapi_credential& c,
                                                       std::chrono::milliseconds timeout) {
  return ask<vapi::response>(svc_, provider::vapi, timeout, svc_.shared_wiring()->vapi(),
                             cred_add_atom::value, org_id, ep, c);
}

vapi::response provider_port::delete_credential(const std::string& org_id,
                                                const vapi_endpoint& ep, const std::string& id,
                                                std::chrono::milliseconds timeout) {
  return ask<vapi::response>(svc_, provider::vapi, timeout, svc_.shared_wiring()->vapi(),
                             cred_del_atom::value, org_id, ep, id);
}

vapi::response provider_port::import_twilio_number(const std::string& org_id,
                                                   const vapi_endpoint& ep,
                                                   const vapi::phone_number_import& n,
                                                   std::chrono::milliseconds timeout) {
  return ask<vapi::response>(svc_, provider::vapi, timeout, svc_.shared_wiring()->vapi(),
                             num_add_atom::value, org_id, ep, n);
}

vapi::response provider_port::delete_phone_number(const std::string& org_id,
                                                  const vapi_endpoint& ep, const std::string& id,
                                                  std::chrono::milliseconds timeout) {
  return ask<vapi::response>(svc_, provider::vapi, timeout, svc_.shared_wiring()->vapi(),
                             num_del_atom::value, org_id, ep, id);
}

vapi::response provider_port::create_assistant(const std::string& org_id,
                                               const vapi_endpoint& ep, const vapi_assistant& a,
                                               std::chrono::milliseconds timeout) {
  return ask<vapi::response>(svc_, provider::vapi, timeout, svc_.shared_wiring()->vapi(),
                             asst_add_atom::value, org_id, ep, a);
}

vapi::response provider_port::get_assistant(const std::string& org_id, const vapi_endpoint& ep,
                                            const std::string& id,
                                            std::chrono::milliseconds timeout) {
  return ask<vapi::response>(svc_, provider::vapi, timeout, svc_.shared_wiring()->vapi(),
                             asst_get_atom::value, org_id, ep, id);
}

vapi::response provider_port::merge_assistant(const std::string& org_id,
                                              const vapi_endpoint& ep,
                                              const vapi_assistant_changes& c,
                                              std::chrono::milliseconds timeout) {
  return ask<vapi::response>(svc_, provider::vapi, timeout, svc_.shared_wiring()->vapi(),
                             asst_set_atom::value, org_id, ep, c);
}

vapi::response provider_port::create_call(const std::string& org_id, const vapi_endpoint& ep,
                                          const vapi::outbound_call& c,
                                          std::chrono::milliseconds timeout) {
  return ask<vapi::response>(svc_, provider::vapi, timeout, svc_.shared_wiring()->vapi(),
                             call_atom::value, org_id, ep, c);
}

}  // namespace rm::actors
