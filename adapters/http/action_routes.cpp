// The clinic dashboard's actions (issue 11 §3; seed 001 "4 new dashboard action endpoints"):
//   POST /api/calls-dashboard/{call_id}/followup           member  SMS to the caller
//   POST /api/calls-dashboard/{call_id}/share              member  e-mail a signed recording link
//   POST /api/calls-dashboard/{call_id}/transcript/export  member  the redacted transcript (.txt)
//   POST /api/appointments/{id}/send-reminder             member  SMS or e-mail reminder
//   GET  /share/recordings/{token}                        public  302 to the recording
// (the two share routes are in share_routes.cpp). Every action writes one audit_events row
// (persistence::record_audit: who, what, which call or appointment, the client address); every
// message that goes out (or is refused) has its messages row, reserved as 'sending' before the
// provider is called and rewritten to sent | failed after, like the call actor's send_sms. SMS go
// through the tenant's own Twilio account, e-mail through RINGMASTER_SMTP_URL, both through the
// provider port (the tenant's circuit breakers). Another tenant's id is unknown here: 404.
#include <spdlog/spdlog.h>

#include "adapters/email/smtp_client.hpp"
#include "adapters/http/action_http.hpp"
#include "domain/e164.hpp"
#include "domain/reminders.hpp"
#include "domain/scoring.hpp"
#include "persistence/action_queries.hpp"
#include "persistence/tenant_queries.hpp"

namespace rm::http::actions_detail {

namespace p = rm::persistence;

// ---- shared helpers (action_http.hpp) ---------------------------------------------------------

namespace {

// Runs `send` (one provider port call that fills `d`); the port's refusals become the delivery's
// outcome: the tenant's breaker open, or no answer in time (the outcome is then unknown).
template <class Send>
delivery guarded(Send&& send) {
  delivery d;
  try {
    send(d);
  } catch (const actors::provider_unavailable& e) {
    d.breaker_open = e;
    d.error_code = "breaker_open";
    d.error_message = e.what();
  } catch (const actors::service_error& e) {
    d.no_answer = true;
    d.error_code = "no_answer";
    d.error_message = e.what();
  }
  return d;
}

}  // namespace

delivery deliver_sms(context& ctx, const std::string& org_id, const p::twilio_account& account,
                     const std::string& from, const std::string& to, const std::string& body) {
  actors::twilio_endpoint ep;
  ep.base_url = ctx.service.options().twilio_base_url;
  return guarded([&](delivery& d) {
    auto r = ctx.service.providers().send_sms(org_id, ep, {account.account_sid, account.auth_token},
                                              {from, to, body, ""});
    if (r.ok) {
      d.sent = true;
      d.external_id = r.sent.sid;
    } else {
      d.error_code = r.error.code ? std::to_string(r.error.code)
                                  : "http_" + std::to_string(r.error.http_status);
      d.error_message = twilio::describe(r.error);
    }
  });
}

delivery deliver_email(context& ctx, const std::string& org_id, const std::string& to,
                       const std::string& subject, const std::string& text) {
  return guarded([&](delivery& d) {
    auto r = ctx.service.providers().send_email(org_id, {to, subject, text});
    if (r.ok) {
      d.sent = true;
      d.external_id = r.message_id;
    } else {
      d.error_code = "smtp_" + std::to_string(r.smtp_status);
      d.error_message = r.error;
    }
  });
}

void apply_outcome(p::message_row& row, const delivery& d) {
  if (d.sent) {
    row.status = "sent";
    row.external_message_id = d.external_id;
    row.sent_at = std::chrono::time_point_cast<std::chrono::seconds>(
        std::chrono::system_clock::now());
  } else {
    row.status = "failed";
    row.error_code = d.error_code;
    row.error_message = d.error_message.substr(0, 500);
  }
}

void send_delivery_error(httplib::Response& res, const delivery& d, const std::string& what,
                         const char* provider_code) {
  if (d.breaker_open)
    return send_provider_unavailable(
        res, *d.breaker_open,
        "the " + what + " was not sent: " + d.breaker_open->what());
  if (d.no_answer)
    return send_error(res, ec::provider_timeout,
                      "the provider did not answer in time; the " + what +
                          " may or may not have gone out (see the messages audit)");
  send_error(res, ec::provider_rejected, "the " + what + " was not sent: " + d.error_message, "",
             provider_code);
}

bool smtp_configured(context& ctx, httplib::Response& res) {
  if (!ctx.service.options().smtp_url.empty()) return true;
  send_error(res, ec::not_configured,
             "e-mail is not configured on this server (RINGMASTER_SMTP_URL)");
  return false;
}

void send_no_twilio(httplib::Response& res) {
  send_error(res, 409, "no_twilio_account",
             "this clinic has not connected its Twilio account (POST /api/integrations/twilio); "
             "nothing was sent");
}

std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool string_field(const json& body, const char* name, std::optional<std::string>& out,
                  httplib::Response& res) {
  out.reset();
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_string()) {
    send_error(res, ec::invalid_argument, std::string{name} + " must be a string", name);
    return false;
  }
  out = it->get<std::string>();
  return true;
}

std::string public_base(const context& ctx) {
  std::string base = ctx.options.public_url.empty() ? ctx.listen_url : ctx.options.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

namespace {

json body_object(const httplib::Request& req, httplib::Response& res, context& ctx, bool& ok) {
  auto body = parse_body(req, res, ctx);
  ok = !body.is_discarded();
  if (ok && !body.is_object()) {
    send_error(res, ec::invalid_argument, "the body must be a JSON object");
    ok = false;
  }
  return body;
}

// The messages row of an outbound action message, before it is sent.
p::message_row outbound_row(const std::string& org_id, const std::string& method,
                            const std::string& recipient, const std::string& content) {
  p::message_row row;
  row.org_id = org_id;
  row.direction = "outbound";
  row.method = method;
  row.recipient = recipient;
  row.content = content;
  row.service_provider = method == "email" ? "smtp" : "twilio";
  return row;
}

std::string detail_of(const p::message_row& row, const std::string& message_id) {
  json d{{"method", row.method},
         {"recipient", row.recipient},
         {"message_id", message_id},
         {"status", row.status}};
  if (!row.external_message_id.empty()) d["external_id"] = row.external_message_id;
  if (!row.error_code.empty()) d["error_code"] = row.error_code;
  return d.dump();
}

// The number an SMS about a call goes out from: the one the caller dialled when it is a phone
// number, else the clinic's first active number ("" when it has none).
std::string sender_number(pqxx::work& tx, const std::string& dialled) {
  return domain::is_e164_syntax(dialled) ? dialled : p::first_active_number(tx).value_or("");
}

// An SMS to a recipient who replied STOP is refused before Twilio is called (Twilio would answer
// 21610), yet stored and audited like a send: the row as 'refused', and the audit event. Returns
// the message id.
std::string refuse_opted_out(pqxx::work& tx, p::message_row& row, const principal& who,
                             const char* action, const char* kind, const std::string& id,
                             const std::string& ip) {
  row.status = "refused";
  row.error_code = "opted_out";
  row.error_message = "the recipient has opted out of SMS (replied STOP)";
  auto message_id = p::insert_message(tx, row);
  p::record_audit(tx, who.org_id, who.user_id, action, kind, id, detail_of(row, message_id), ip);
  return message_id;
}

void send_no_sender(httplib::Response& res) {
  send_error(res, 409, "no_sender_number", "this clinic has no active number to send the SMS from");
}

}  // namespace

// ---- POST /api/calls-dashboard/{call_id}/followup ------------------------------------------------

void followup(context& ctx, const httplib::Request& req, httplib::Response& res,
              const principal& who) {
  const std::string call_id = req.matches[1];
  bool ok = false;
  const json body = body_object(req, res, ctx, ok);
  if (!ok) return;
  std::optional<std::string> message;
  if (!string_field(body, "message", message, res)) return;
  if (!message || message->empty())
    return send_error(res, ec::invalid_argument, "message is required (1–160 characters)",
                      "message");
  if (code_points(*message) > 160)
    return send_error(res, ec::invalid_argument,
                      "message must be at most 160 characters (one SMS)", "message");
  const std::string ip = client_address(req, ctx);

  // 1. The call, its caller and contact, the tenant's Twilio account; the attempt reserved.
  enum class verdict { send, no_call, no_caller, opted_out, no_twilio, no_sender } v = verdict::send;
  std::optional<p::twilio_account> account;
  p::message_row row;
  std::string message_id, from, contact_id, lead_status;
  auto refuse = [&v](verdict why) { return v = why, false; };
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    auto call = p::load_action_call(tx, call_id);
    if (!call) return refuse(verdict::no_call);
    if (!domain::is_e164_syntax(call->caller)) return refuse(verdict::no_caller);
    account = p::load_twilio_account(tx, who.org_id);
    if (!account) return refuse(verdict::no_twilio);
    from = sender_number(tx, call->dialled);
    if (from.empty()) return refuse(verdict::no_sender);
    auto contact = call->contact_id.empty()
                       ? p::action_contact_by_phone(tx, who.org_id, call->caller)
                       : p::load_action_contact(tx, call->contact_id);
    if (!contact) {
      p::upsert_contact(tx, who.org_id, call->caller, "");
      contact = p::action_contact_by_phone(tx, who.org_id, call->caller);
    }
    contact_id = contact->id;
    lead_status = contact->lead_status;
    row = outbound_row(who.org_id, "sms", call->caller, *message);
    row.call_id = call_id;
    row.contact_id = contact_id;
    if (contact->opted_out) {
      v = verdict::opted_out;
      message_id = refuse_opted_out(tx, row, who, "call.followup", "call", call_id, ip);
      return true;
    }
    row.status = "sending";
    message_id = p::insert_message(tx, row);
    return true;
  });
  switch (v) {
    case verdict::no_call: return send_error(res, ec::not_found, "no call with id " + call_id);
    case verdict::no_caller:
      return send_error(res, 422, "no_caller_number",
                        "this call has no caller number to text (withheld or not a phone number)");
    case verdict::no_twilio: return send_no_twilio(res);
    case verdict::no_sender: return send_no_sender(res);
    case verdict::opted_out:
      return send_error(res, 409, "opted_out",
                        "this caller opted out of SMS (replied STOP); nothing was sent");
    case verdict::send: break;
  }

  // 2. Twilio, from the number the caller dialled.
  const delivery d = deliver_sms(ctx, who.org_id, *account, from, row.recipient, *message);
  apply_outcome(row, d);

  // 3. The outcome, the lead pipeline (the clinic reached out) and the audit, in one transaction.
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    p::update_message_outcome(tx, message_id, row);
    if (d.sent) {
      auto current = domain::lead_status_from_string(lead_status)
                         .value_or(domain::lead_status::new_lead);
      p::mark_contacted(tx, contact_id, domain::to_string(domain::after_outreach(current)));
    }
    p::record_audit(tx, who.org_id, who.user_id, "call.followup", "call", call_id,
                    detail_of(row, message_id), ip);
    return true;
  });
  if (!d.sent) return send_delivery_error(res, d, "SMS", "twilio_error");
  send_json(res, 200, {{"success", true}, {"messageId", d.external_id}, {"phone", row.recipient}});
}

// ---- POST /api/calls-dashboard/{call_id}/transcript/export --------------------------------------

namespace {

// call-<id>-transcript.txt with anything but [A-Za-z0-9._-] in the id replaced by '_' (the name
// sits inside a quoted header parameter).
std::string transcript_filename(const std::string& call_id) {
  std::string safe;
  for (char c : call_id.substr(0, 100))
    safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')
                ? c
                : '_';
  return "call-" + safe + "-transcript.txt";
}

}  // namespace

void export_transcript(context& ctx, const httplib::Request& req, httplib::Response& res,
                       const principal& who) {
  const std::string call_id = req.matches[1];
  bool ok = false;
  const json body = body_object(req, res, ctx, ok);
  if (!ok) return;
  std::optional<std::string> format;
  if (!string_field(body, "format", format, res)) return;
  if (format && *format != "txt")
    return send_error(res, ec::invalid_argument,
                      "format must be \"txt\" (the only export format)", "format");
  const std::string ip = client_address(req, ctx);
  std::optional<p::action_call> call;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    call = p::load_action_call(tx, call_id);
    if (!call || call->transcript.empty()) return false;
    const json detail{{"format", "txt"}, {"bytes", call->transcript.size()}};
    p::record_audit(tx, who.org_id, who.user_id, "transcript.export", "call", call_id,
                    detail.dump(), ip);
    return true;
  });
  if (!call) return send_error(res, ec::not_found, "no call with id " + call_id);
  if (call->transcript.empty())
    return send_error(res, 409, "no_transcript", "this call has no transcript (yet)");
  std::string text = call->transcript;
  if (text.back() != '\n') text += '\n';
  res.status = 200;
  res.set_header("Content-Disposition",
                 "attachment; filename=\"" + transcript_filename(call_id) + "\"");
  res.set_header("Cache-Control", "no-store");
  res.set_content(text, "text/plain; charset=utf-8");
}

// ---- POST /api/appointments/{id}/send-reminder -------------------------------------------------

void send_reminder(context& ctx, const httplib::Request& req, httplib::Response& res,
                   const principal& who) {
  const std::string id = req.matches[1];
  bool ok = false;
  const json body = body_object(req, res, ctx, ok);
  if (!ok) return;
  std::optional<std::string> method;
  if (!string_field(body, "method", method, res)) return;
  if (!method || (*method != "sms" && *method != "email"))
    return send_error(res, ec::invalid_argument, "method must be \"sms\" or \"email\"", "method");
  const bool by_sms = *method == "sms";
  if (!by_sms && !smtp_configured(ctx, res)) return;
  const std::string ip = client_address(req, ctx);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();

  // 1. The appointment, its contact and the recipient; the attempt reserved.
  enum class verdict { send, no_appointment, not_booked, past, no_contact, no_email, opted_out,
                       no_twilio, no_sender } v = verdict::send;
  std::optional<p::twilio_account> account;
  p::message_row row;
  std::string message_id, from, subject;
  auto refuse = [&v](verdict why) { return v = why, false; };
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    auto a = p::load_reminder_target(tx, id);
    if (!a) return refuse(verdict::no_appointment);
    if (a->status != "booked") return refuse(verdict::not_booked);
    if (a->starts_at <= now) return refuse(verdict::past);
    std::optional<p::action_contact> contact;
    if (!a->contact_id.empty()) contact = p::load_action_contact(tx, a->contact_id);
    if (!contact && !a->call_id.empty())
      if (auto call = p::load_action_call(tx, a->call_id))
        contact = p::action_contact_by_phone(tx, who.org_id, call->caller);
    if (!contact) return refuse(verdict::no_contact);
    const std::string text = domain::appointment_reminder_text(
        a->clinic_name, domain::instant{std::chrono::seconds{a->starts_at}}, a->time_zone);
    if (by_sms) {
      account = p::load_twilio_account(tx, who.org_id);
      if (!account) return refuse(verdict::no_twilio);
      from = sender_number(tx, a->call_dialled);
      if (from.empty()) return refuse(verdict::no_sender);
      row = outbound_row(who.org_id, "sms", contact->phone_e164, text);
    } else {
      if (contact->email.empty()) return refuse(verdict::no_email);
      subject = domain::appointment_reminder_subject(a->clinic_name);
      row = outbound_row(who.org_id, "email", contact->email, text);
    }
    row.contact_id = contact->id;
    row.call_id = a->call_id;
    if (by_sms && contact->opted_out) {
      v = verdict::opted_out;
      message_id = refuse_opted_out(tx, row, who, "appointment.reminder", "appointment", id, ip);
      return true;
    }
    row.status = "sending";
    row.subject = subject;
    message_id = p::insert_message(tx, row);
    return true;
  });
  switch (v) {
    case verdict::no_appointment: return send_error(res, ec::not_found, "no appointment with id " + id);
    case verdict::not_booked:
      return send_error(res, 409, "appointment_not_booked",
                        "only a booked appointment gets a reminder (this one is not booked)");
    case verdict::past:
      return send_error(res, 409, "appointment_in_past", "this appointment has already started");
    case verdict::no_contact:
      return send_error(res, 422, "no_contact",
                        "this appointment has no contact to remind (it was not booked by a "
                        "caller ringmaster knows)");
    case verdict::no_email:
      return send_error(res, 422, "no_email",
                        "this appointment's contact has no e-mail address; send the reminder "
                        "by SMS instead");
    case verdict::no_twilio: return send_no_twilio(res);
    case verdict::no_sender: return send_no_sender(res);
    case verdict::opted_out:
      return send_error(res, 409, "opted_out",
                        "this contact opted out of SMS (replied STOP); nothing was sent");
    case verdict::send: break;
  }

  // 2. The provider; 3. outcome, confirmation_sent and the audit in one transaction.
  const delivery d = by_sms ? deliver_sms(ctx, who.org_id, *account, from, row.recipient,
                                          row.content)
                            : deliver_email(ctx, who.org_id, row.recipient, subject, row.content);
  apply_outcome(row, d);
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    p::update_message_outcome(tx, message_id, row);
    if (d.sent) p::set_confirmation_sent(tx, id);
    p::record_audit(tx, who.org_id, who.user_id, "appointment.reminder", "appointment", id,
                    detail_of(row, message_id), ip);
    return true;
  });
  if (!d.sent)
    return send_delivery_error(res, d, by_sms ? "SMS" : "e-mail",
                               by_sms ? "twilio_error" : "smtp_error");
  send_json(res, 200, {{"success", true}, {"recipient", row.recipient}, {"method", *method}});
}

}  // namespace rm::http::actions_detail

namespace rm::http {

void add_action_routes(httplib::Server& srv, context& ctx) {
  using namespace actions_detail;
  add_tenant_table(srv, ctx,
                   {
                       {"POST", "/api/calls-dashboard/{call_id}/followup", "member", followup},
                       {"POST", "/api/calls-dashboard/{call_id}/share", "member", share_recording},
                       {"POST", "/api/calls-dashboard/{call_id}/transcript/export", "member",
                        export_transcript},
                       {"POST", "/api/appointments/{id}/send-reminder", "member", send_reminder},
                   });
  // Public: no login; the token in the path is the credential (share_routes.cpp).
  add_route(srv, ctx, "GET", "/share/recordings/{token}", route_auth::none,
            [&ctx](const httplib::Request& req, httplib::Response& res) {
              open_share_link(ctx, req, res);
            });
}

}  // namespace rm::http
