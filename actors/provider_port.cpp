// provider_port (actors/provider_port.hpp): one scoped_actor request per call to the adapter
// actor of the provider; the adapter's ec::provider_unavailable (with its retry-after) becomes the
// provider_unavailable exception, ec::provider_failed (the client threw) std::runtime_error.
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
  if (err.category() == ec_category) {
    auto kind = ec_of(err);
    if (kind == ec::provider_unavailable) {
      auto ms = retry_after_ms_of(err).value_or(0);
      auto text = message_of(err);
      if (text.empty())
        text = std::string(provider_display_name(p)) +
               " is unavailable for this clinic (circuit breaker open)";
      throw provider_unavailable(text, std::chrono::seconds((ms + 999) / 1000));
    }
    // The client threw: a bug rather than a provider failure (provider_port.hpp), kept as
    // std::runtime_error so callers' handling of "the adapter did not answer" is not taken.
    if (kind == ec::provider_failed) {
      auto text = message_of(err);
      throw std::runtime_error(text.empty() ? "the provider request failed" : text);
    }
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

twilio::message_list_result provider_port::list_messages(const std::string& org_id,
                                                         const twilio_endpoint& ep,
                                                         const twilio::credentials& creds,
                                                         const twilio::message_query& q,
                                                         std::chrono::milliseconds timeout) {
  return ask<twilio::message_list_result>(svc_, provider::twilio, timeout,
                                          svc_.shared_wiring()->twilio(), msglist_atom::value,
                                          org_id, ep, creds, q);
}

// ---- E-mail ----

email::send_result provider_port::send_email(const std::string& org_id, const smtp_endpoint& ep,
                                             const email::message& msg,
                                             std::chrono::milliseconds timeout) {
  return ask<email::send_result>(svc_, provider::smtp, timeout, svc_.shared_wiring()->email(),
                                 email_atom::value, org_id, ep, msg);
}

email::send_result provider_port::send_email(const std::string& org_id,
                                             const email::message& msg) {
  smtp_endpoint ep;
  ep.url = svc_.options().smtp_url;
  ep.from = svc_.options().smtp_from;
  return send_email(org_id, ep, msg);
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

vapi::response provider_port::update_assistant(const std::string& org_id,
                                               const vapi_endpoint& ep,
                                               const vapi_assistant_changes& c,
                                               std::chrono::milliseconds timeout) {
  return ask<vapi::response>(svc_, provider::vapi, timeout, svc_.shared_wiring()->vapi(),
                             asst_patch_atom::value, org_id, ep, c);
}

vapi::response provider_port::list_tools(const std::string& org_id, const vapi_endpoint& ep,
                                         std::chrono::milliseconds timeout) {
  return ask<vapi::response>(svc_, provider::vapi, timeout, svc_.shared_wiring()->vapi(),
                             tool_list_atom::value, org_id, ep);
}

vapi::response provider_port::create_tool(const std::string& org_id, const vapi_endpoint& ep,
                                          const vapi_tool& t, std::chrono::milliseconds timeout) {
  return ask<vapi::response>(svc_, provider::vapi, timeout, svc_.shared_wiring()->vapi(),
                             tool_add_atom::value, org_id, ep, t);
}

vapi::response provider_port::update_tool(const std::string& org_id, const vapi_endpoint& ep,
                                          const vapi_tool& t, std::chrono::milliseconds timeout) {
  return ask<vapi::response>(svc_, provider::vapi, timeout, svc_.shared_wiring()->vapi(),
                             tool_set_atom::value, org_id, ep, t);
}

}  // namespace rm::actors
