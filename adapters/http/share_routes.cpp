// Recording share links (issue 11 §3 "share"):
//   POST /api/calls-dashboard/{call_id}/share {email} (member) → a recording_shares row, valid
//     24 h, and a link to GET /share/recordings/{token} e-mailed to `email` through SMTP;
//     answers {success, email, url, expires_at}.
//   GET /share/recordings/{token} (public: no login, the signed token is the credential,
//     persistence/share_links.hpp) → 302 to the call's recording_url; 404 when the call has no
//     recording; 403 for a tampered, unknown or expired token.
// Every share and every use of a link whose signature verified is audited (recording.share,
// recording.share_used with actor "link:<share id>"); a link that does not verify names no tenant,
// so it is only logged. The link itself is a bearer credential: it is never stored in audit or
// messages rows (the e-mail's stored copy names the share id instead).
#include <spdlog/spdlog.h>

#include "adapters/email/smtp_client.hpp"
#include "adapters/http/action_http.hpp"
#include "domain/calendar.hpp"
#include "domain/reminders.hpp"
#include "persistence/action_queries.hpp"
#include "persistence/secret_box.hpp"
#include "persistence/share_links.hpp"

namespace rm::http::actions_detail {

namespace p = rm::persistence;

namespace {

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool master_key_ready(httplib::Response& res) {
  if (p::has_master_key()) return true;
  send_error(res, ec::not_configured,
             "share links need the master key (RINGMASTER_MASTER_KEY), which is not loaded");
  return false;
}

void send_invalid_link(httplib::Response& res) {
  send_error(res, ec::forbidden, "this link is not valid", "", "invalid_link");
}

}  // namespace

void share_recording(context& ctx, const httplib::Request& req, httplib::Response& res,
                     const principal& who) {
  const std::string call_id = req.matches[1];
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  if (!body.is_object())
    return send_error(res, ec::invalid_argument, "the body must be a JSON object");
  std::optional<std::string> email;
  if (!string_field(body, "email", email, res)) return;
  if (!email || email->empty())
    return send_error(res, ec::invalid_argument, "email is required", "email");
  if (!email::valid_address(*email))
    return send_error(res, ec::invalid_argument,
                      "email must be one bare e-mail address (name@example.com)", "email");
  if (!smtp_configured(ctx, res) || !master_key_ready(res)) return;
  const std::string ip = client_address(req, ctx);
  const std::int64_t expires_at = now_s() + p::share_link_ttl_seconds;

  // 1. The call (it must have a recording), the share row and the e-mail's reserved row.
  enum class verdict { send, no_call, no_recording } v = verdict::send;
  std::string share_id, url, subject, text, message_id;
  p::message_row row;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    auto call = p::load_action_call(tx, call_id);
    if (!call) return v = verdict::no_call, false;
    if (call->recording_url.empty()) return v = verdict::no_recording, false;
    const auto clinic = p::load_clinic_identity(tx, who.org_id);
    share_id = p::create_recording_share(tx, who.org_id, call_id, *email, who.user_id, expires_at);
    url = public_base(ctx) + "/share/recordings/" +
          p::sign_share_token(p::installed_master_key(), share_id, expires_at);
    const domain::instant until{std::chrono::seconds{expires_at}};
    subject = domain::recording_share_subject(clinic.name);
    text = domain::recording_share_text(clinic.name, url, until, clinic.time_zone);
    row.org_id = who.org_id;
    row.call_id = call_id;
    row.direction = "outbound";
    row.method = "email";
    row.recipient = *email;
    row.service_provider = "smtp";
    // The stored copy names the share instead of carrying the link (a bearer credential).
    row.content = domain::recording_share_text(clinic.name, "[share link " + share_id + "]",
                                               until, clinic.time_zone);
    row.status = "sending";
    row.subject = subject;
    message_id = p::insert_message(tx, row);
    return true;
  });
  if (v == verdict::no_call) return send_error(res, ec::not_found, "no call with id " + call_id);
  if (v == verdict::no_recording)
    return send_error(res, 409, "no_recording", "this call has no recording to share (yet)");

  // 2. The e-mail; 3. its outcome and the audit.
  const delivery d = deliver_email(ctx, who.org_id, *email, subject, text);
  apply_outcome(row, d);
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    p::update_message_outcome(tx, message_id, row);
    json detail{{"share_id", share_id},
                {"email", *email},
                {"expires_at", domain::format_utc(expires_at)},
                {"message_id", message_id},
                {"status", row.status}};
    if (!d.sent) detail["error_code"] = row.error_code;
    p::record_audit(tx, who.org_id, who.user_id, "recording.share", "call", call_id,
                    detail.dump(), ip);
    return true;
  });
  if (!d.sent) return send_delivery_error(res, d, "e-mail", "smtp_error");
  send_json(res, 200,
            {{"success", true},
             {"email", *email},
             {"url", url},
             {"expires_at", domain::format_utc(expires_at)}});
}

void open_share_link(context& ctx, const httplib::Request& req, httplib::Response& res) {
  const std::string token = req.matches[1];
  res.set_header("Cache-Control", "no-store");
  res.set_header("Referrer-Policy", "no-referrer");
  if (!master_key_ready(res)) return;
  const auto check = p::verify_share_token(p::installed_master_key(), token, now_s());
  if (check.error == p::share_token_error::malformed ||
      check.error == p::share_token_error::bad_signature) {
    spdlog::warn("share link refused from {}: {}", client_address(req, ctx),
                 p::to_string(check.error));
    return send_invalid_link(res);
  }
  // The signature verified: find the share's tenant (no tenant is named yet).
  std::optional<p::share_ref> share;
  ctx.service.with_db([&](pqxx::connection& c) {
    pqxx::work tx{c};
    share = p::find_recording_share(tx, check.share_id);
    tx.commit();
  });
  if (!share || share->expires_at != check.expires_at) {
    spdlog::warn("share link refused from {}: no share {} with that expiry",
                 client_address(req, ctx), check.share_id);
    return send_invalid_link(res);
  }
  const bool expired = check.error == p::share_token_error::expired;
  std::string recording_url;
  in_tenant(ctx, share->org_id, [&](pqxx::work& tx) {
    if (!expired)
      if (auto call = p::load_action_call(tx, share->call_id)) recording_url = call->recording_url;
    const char* outcome = expired ? "expired" : recording_url.empty() ? "no_recording" : "redirected";
    const json detail{{"share_id", share->id}, {"outcome", outcome}};
    p::record_audit(tx, share->org_id, "link:" + share->id, "recording.share_used", "call",
                    share->call_id, detail.dump(), client_address(req, ctx));
    return true;
  });
  if (expired)
    return send_error(res, ec::forbidden, "this link has expired; ask the clinic for a new one",
                      "", "link_expired");
  if (recording_url.empty())
    return send_error(res, ec::not_found, "this call has no recording");
  res.status = 302;
  res.set_header("Location", recording_url);
}

}  // namespace rm::http::actions_detail
