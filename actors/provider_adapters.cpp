// The Twilio, Vapi and e-mail (SMTP) adapter actors (actors/interfaces.hpp: twilio_actor,
// vapi_actor, email_actor): the only place where twilio::client, vapi::client and
// email::smtp_client are built. Each typed request goes
//   1. to the provider gate for admission under (org_id, provider) — refused → the requester gets
//      ec::provider_unavailable with the cool-off left (make_retry_error, actors/errors.hpp);
//   2. onto a detached worker spawned for it (the blocking client call, with the client's retry
//      policy, never runs on the scheduler; the worker owns copies of the request's data);
//   3. its outcome (transport/429/5xx after retries = failure, another answer = success, a throw
//      or a dead worker = neutral) to the gate, and the client's result struct to the requester;
//      a throw reaches the requester as ec::provider_failed with the exception's what().
#include <memory>
#include <utility>

#include "actors/actors.hpp"

namespace rm::actors {

namespace {

// One blocking request per worker; it quits after answering (its thread ends).
template <class Result>
using worker_actor = caf::typed_actor<caf::replies_to<run_atom>::with<Result>>;

template <class Result>
bool twilio_failed(const Result& r) {
  const auto s = r.error.http_status;
  return !r.ok && (s == 0 || s == 429 || s >= 500);
}
bool vapi_failed(const vapi::response& r) { return r.transient(); }

twilio::client twilio_of(const twilio_endpoint& ep) {
  return twilio::client{ep.base_url, ep.retry, ep.timeout};
}
vapi::client vapi_of(const vapi_endpoint& ep) {
  return vapi::client{ep.base_url, ep.private_key, ep.retry, ep.timeout};
}

const char* display_name(provider p) { return provider_display_name(p); }

// Seconds shown to people: rounded up, so "0 s" never appears while still paused.
std::int64_t ceil_seconds(std::int64_t ms) { return (ms + 999) / 1000; }

caf::error refused(provider p, std::int64_t retry_after_ms) {
  return make_retry_error(ec::provider_unavailable,
                          std::string(display_name(p)) +
                              " is unavailable for this clinic after repeated failures: "
                              "requests are paused for " +
                              std::to_string(ceil_seconds(retry_after_ms)) +
                              " s (circuit breaker open)",
                          retry_after_ms);
}

void report(const wiring_ptr& w, const std::string& org_id, provider p, outcome_kind kind) {
  caf::anon_send(w->gate(), outcome_atom::value, org_id, p, kind);
}

// Steps 1–3 above for one request. `work` makes the client call (a value-capturing callable that
// stays inside this actor: it is given to the worker at spawn, never sent as a message).
// `on_error` delivers a refusal or failure (default: the error itself).
template <class Result, class Self, class Work, class Failed, class OnError>
caf::typed_response_promise<Result> run_admitted(Self* self, const wiring_ptr& w,
                                                 const std::string& org_id, provider p,
                                                 Work work, Failed failed, OnError on_error) {
  auto rp = self->template make_response_promise<Result>();
  self->request(w->gate(), caf::infinite, admit_atom::value, org_id, p)
      .then(
          [=](const admission& a) mutable {
            if (!a.allowed) {
              on_error(rp, refused(p, a.retry_after_ms));
              return;
            }
            auto worker = self->system().template spawn<caf::detached>(
                [work](typename worker_actor<Result>::pointer me) ->
                typename worker_actor<Result>::behavior_type {
                  return {
                      [=](run_atom) -> caf::result<Result> {
                        me->quit();
                        try {
                          return work();
                        } catch (const std::exception& e) {
                          std::string what = e.what();
                          if (what.empty()) what = "the provider request failed";
                          return make_error(ec::provider_failed, std::move(what));
                        } catch (...) {
                          return make_error(ec::provider_failed,
                                            "the provider request failed (unknown exception)");
                        }
                      },
                  };
                });
            self->request(worker, caf::infinite, run_atom::value)
                .then(
                    [=](const Result& r) mutable {
                      report(w, org_id, p, failed(r) ? outcome_kind::failure
                                                     : outcome_kind::success);
                      rp.deliver(r);
                    },
                    [=](caf::error& err) mutable {
                      // A throw, or the worker died: nothing is known of the provider.
                      report(w, org_id, p, outcome_kind::neutral);
                      on_error(rp, std::move(err));
                    });
          },
          [=](caf::error& err) mutable { on_error(rp, std::move(err)); });
  return rp;
}

struct pass_error {
  template <class Promise>
  void operator()(Promise& rp, caf::error err) const {
    rp.deliver(std::move(err));
  }
};

template <class Result, class Self, class Work>
caf::typed_response_promise<Result> twilio_request(Self* self, const wiring_ptr& w,
                                                   const std::string& org_id, Work work) {
  return run_admitted<Result>(self, w, org_id, provider::twilio, std::move(work),
                              twilio_failed<Result>, pass_error{});
}

template <class Self, class Work>
caf::typed_response_promise<vapi::response> vapi_request(Self* self, const wiring_ptr& w,
                                                         const std::string& org_id, Work work) {
  return run_admitted<vapi::response>(self, w, org_id, provider::vapi, std::move(work),
                                      vapi_failed, pass_error{});
}

// The call actor's short SMS form keeps its historical reply: a refusal or a throw becomes an
// sms_result with http_status 0 and a sentence (the tool result the agent reads).
struct fold_into_sms_result {
  caf::actor_system* sys;
  void operator()(caf::typed_response_promise<twilio::sms_result>& rp, caf::error err) const {
    auto kind = err.category() == ec_category ? ec_of(err) : std::nullopt;
    if (kind != ec::provider_unavailable && kind != ec::provider_failed) {
      rp.deliver(std::move(err));
      return;
    }
    twilio::sms_result failed;
    failed.error.http_status = 0;
    if (kind == ec::provider_unavailable) {
      failed.error.message =
          "Twilio calls for this clinic are paused after repeated failures "
          "(circuit breaker open; retry in " +
          std::to_string(ceil_seconds(retry_after_ms_of(err).value_or(0))) + " s)";
    } else {
      auto text = message_of(err);
      failed.error.message = text.empty() ? sys->render(err) : text;
    }
    rp.deliver(failed);
  }
};

twilio_actor::behavior_type twilio_adapter(twilio_actor::pointer self, std::string base_url,
                                           wiring_ptr w) {
  using twilio::credentials;
  return {
      [=](sms_atom, const std::string& org_id, const credentials& creds,
          const twilio::sms_request& req) {
        twilio_endpoint ep;
        ep.base_url = base_url;
        return run_admitted<twilio::sms_result>(
            self, w, org_id, provider::twilio,
            [ep, creds, req] { return twilio_of(ep).send_sms(creds, req); },
            twilio_failed<twilio::sms_result>, fold_into_sms_result{&self->system()});
      },
      [=](sms_atom, const std::string& org_id, const twilio_endpoint& ep,
          const credentials& creds, const twilio::sms_request& req) {
        return twilio_request<twilio::sms_result>(
            self, w, org_id, [ep, creds, req] { return twilio_of(ep).send_sms(creds, req); });
      },
      [=](call_atom, const std::string& org_id, const twilio_endpoint& ep,
          const credentials& creds, const twilio::call_request& req) {
        return twilio_request<twilio::call_result>(
            self, w, org_id, [ep, creds, req] { return twilio_of(ep).create_call(creds, req); });
      },
      [=](callerid_atom, const std::string& org_id, const twilio_endpoint& ep,
          const credentials& creds, const twilio::caller_id_request& req) {
        return twilio_request<twilio::caller_id_result>(self, w, org_id, [ep, creds, req] {
          return twilio_of(ep).create_caller_id(creds, req);
        });
      },
      [=](account_atom, const std::string& org_id, const twilio_endpoint& ep,
          const credentials& creds) {
        return twilio_request<twilio::account_result>(
            self, w, org_id, [ep, creds] { return twilio_of(ep).fetch_account(creds); });
      },
      [=](search_atom, const std::string& org_id, const twilio_endpoint& ep,
          const credentials& creds, const twilio::available_search& q) {
        return twilio_request<twilio::available_result>(
            self, w, org_id, [ep, creds, q] { return twilio_of(ep).search_available(creds, q); });
      },
      [=](purchase_atom, const std::string& org_id, const twilio_endpoint& ep,
          const credentials& creds, const twilio::purchase_request& req) {
        return twilio_request<twilio::number_result>(self, w, org_id, [ep, creds, req] {
          return twilio_of(ep).purchase_number(creds, req);
        });
      },
      [=](numbers_atom, const std::string& org_id, const twilio_endpoint& ep,
          const credentials& creds, const std::string& phone_number) {
        return twilio_request<twilio::number_list_result>(self, w, org_id, [ep, creds, phone_number] {
          return twilio_of(ep).list_numbers(creds, phone_number);
        });
      },
      [=](urls_atom, const std::string& org_id, const twilio_endpoint& ep,
          const credentials& creds, const std::string& pn_sid,
          const twilio::purchase_request& urls) {
        return twilio_request<twilio::number_result>(self, w, org_id, [ep, creds, pn_sid, urls] {
          return twilio_of(ep).update_number_urls(creds, pn_sid, urls);
        });
      },
      [=](release_atom, const std::string& org_id, const twilio_endpoint& ep,
          const credentials& creds, const std::string& pn_sid) {
        return twilio_request<twilio::release_result>(self, w, org_id, [ep, creds, pn_sid] {
          return twilio_of(ep).release_number(creds, pn_sid);
        });
      },
      [=](msglist_atom, const std::string& org_id, const twilio_endpoint& ep,
          const credentials& creds, const twilio::message_query& q) {
        return twilio_request<twilio::message_list_result>(
            self, w, org_id, [ep, creds, q] { return twilio_of(ep).list_messages(creds, q); });
      },
  };
}

vapi_actor::behavior_type vapi_adapter(vapi_actor::pointer self, wiring_ptr w) {
  return {
      [=](cred_add_atom, const std::string& org_id, const vapi_endpoint& ep,
          const vapi_credential& c) {
        return vapi_request(self, w, org_id, [ep, c] {
          return vapi_of(ep).create_twilio_credential(c.account_sid, c.auth_token, c.name);
        });
      },
      [=](cred_del_atom, const std::string& org_id, const vapi_endpoint& ep,
          const std::string& id) {
        return vapi_request(self, w, org_id, [ep, id] { return vapi_of(ep).delete_credential(id); });
      },
      [=](num_add_atom, const std::string& org_id, const vapi_endpoint& ep,
          const vapi::phone_number_import& n) {
        return vapi_request(self, w, org_id,
                            [ep, n] { return vapi_of(ep).import_twilio_number(n); });
      },
      [=](num_del_atom, const std::string& org_id, const vapi_endpoint& ep,
          const std::string& id) {
        return vapi_request(self, w, org_id,
                            [ep, id] { return vapi_of(ep).delete_phone_number(id); });
      },
      [=](asst_add_atom, const std::string& org_id, const vapi_endpoint& ep,
          const vapi_assistant& a) {
        return vapi_request(self, w, org_id,
                            [ep, a] { return vapi_of(ep).create_assistant(a.body); });
      },
      [=](asst_get_atom, const std::string& org_id, const vapi_endpoint& ep,
          const std::string& id) {
        return vapi_request(self, w, org_id, [ep, id] { return vapi_of(ep).get_assistant(id); });
      },
      [=](asst_set_atom, const std::string& org_id, const vapi_endpoint& ep,
          const vapi_assistant_changes& c) {
        return vapi_request(self, w, org_id,
                            [ep, c] { return vapi_of(ep).merge_assistant(c.id, c.changes); });
      },
      [=](call_atom, const std::string& org_id, const vapi_endpoint& ep,
          const vapi::outbound_call& c) {
        return vapi_request(self, w, org_id, [ep, c] { return vapi_of(ep).create_call(c); });
      },
      [=](asst_patch_atom, const std::string& org_id, const vapi_endpoint& ep,
          const vapi_assistant_changes& c) {
        return vapi_request(self, w, org_id,
                            [ep, c] { return vapi_of(ep).update_assistant(c.id, c.changes); });
      },
      [=](tool_list_atom, const std::string& org_id, const vapi_endpoint& ep) {
        return vapi_request(self, w, org_id, [ep] { return vapi_of(ep).list_tools(); });
      },
      [=](tool_add_atom, const std::string& org_id, const vapi_endpoint& ep, const vapi_tool& t) {
        return vapi_request(self, w, org_id, [ep, t] { return vapi_of(ep).create_tool(t.body); });
      },
      [=](tool_set_atom, const std::string& org_id, const vapi_endpoint& ep, const vapi_tool& t) {
        return vapi_request(self, w, org_id,
                            [ep, t] { return vapi_of(ep).update_tool(t.id, t.body); });
      },
  };
}

email_actor::behavior_type email_adapter(email_actor::pointer self, wiring_ptr w) {
  return {
      [=](email_atom, const std::string& org_id, const smtp_endpoint& ep,
          const email::message& msg) {
        return run_admitted<email::send_result>(
            self, w, org_id, provider::smtp,
            [ep, msg] {
              return email::smtp_client{{ep.url, ep.from, ep.timeout}}.send(msg);
            },
            [](const email::send_result& r) { return r.transient(); }, pass_error{});
      },
  };
}

}  // namespace

twilio_actor spawn_twilio(caf::actor_system& sys, std::string base_url, wiring_ptr w) {
  return sys.spawn(twilio_adapter, std::move(base_url), std::move(w));
}

vapi_actor spawn_vapi(caf::actor_system& sys, wiring_ptr w) {
  return sys.spawn(vapi_adapter, std::move(w));
}

email_actor spawn_email(caf::actor_system& sys, wiring_ptr w) {
  return sys.spawn(email_adapter, std::move(w));
}

}  // namespace rm::actors
