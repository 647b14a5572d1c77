// Admin notifications (docs/api.md "Notifications"):
//   GET  /api/notifications              admin   ?unread=true
//   POST /api/notifications/{id}/read    admin
#include "adapters/http/agent_http.hpp"
#include "persistence/agent_queries.hpp"

namespace rm::http::agents_detail {

namespace p = rm::persistence;

namespace {

json notification_json(const p::notification& n) {
  return {{"id", n.id},
          {"kind", n.kind},
          {"severity", n.severity},
          {"subject_type", text_or_null(n.subject_type)},
          {"subject_id", text_or_null(n.subject_id)},
          {"message", n.message},
          {"created_at", utc(n.created_at)},
          {"read_at", n.read_at ? json(utc(*n.read_at)) : json(nullptr)},
          {"read_by", text_or_null(n.read_by)}};
}

}  // namespace

void list_notifications(context& ctx, const httplib::Request& req, httplib::Response& res,
                        const principal& who) {
  bool unread = false;
  if (req.has_param("unread")) {
    const auto v = req.get_param_value("unread");
    if (v != "true" && v != "false")
      return field_error(res, "unread", "unread must be true or false");
    unread = v == "true";
  }
  json out = json::array();
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    for (const auto& n : p::list_notifications(tx, unread, 200)) out.push_back(notification_json(n));
    return true;
  });
  send_json(res, 200, {{"notifications", out}});
}

void read_notification(context& ctx, const httplib::Request& req, httplib::Response& res,
                       const principal& who) {
  const std::string id = req.matches[1];
  std::optional<p::notification> n;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    n = p::mark_notification_read(tx, id, who.user_id);
    return n.has_value();
  });
  if (!n) return send_error(res, ec::not_found, "no notification with id " + id);
  send_json(res, 200, {{"notification", notification_json(*n)}});
}

}  // namespace rm::http::agents_detail
