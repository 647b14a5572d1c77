// Campaigns (docs/api.md "Campaigns"): a campaign's numbers are the caller IDs of its
// contacts' call-backs (docs/telephony.md "Outbound call-back").
//   POST   /api/campaigns                            admin
//   GET    /api/campaigns                            member
//   POST   /api/campaigns/{id}/numbers               admin   {phone_number_id}
//   DELETE /api/campaigns/{id}/numbers/{number_id}   admin
//   POST   /api/campaigns/{id}/contacts              admin   {contact_ids:[…]}
//   DELETE /api/campaigns/{id}/contacts/{contact_id} admin
#include "adapters/http/agent_http.hpp"
#include "persistence/agent_queries.hpp"

namespace rm::http::agents_detail {

namespace p = rm::persistence;

namespace {

json campaign_json(const p::campaign_row& c) {
  json numbers = json::array();
  for (const auto& n : c.numbers)
    numbers.push_back({{"phone_number_id", n.phone_number_id},
                       {"phone_number", n.e164},
                       {"vapi_phone_number_id", text_or_null(n.vapi_phone_number_id)},
                       {"active", n.active}});
  return {{"id", c.id},
          {"name", c.name},
          {"description", c.description},
          {"numbers", numbers},
          {"contact_count", c.contact_count},
          {"created_by", text_or_null(c.created_by)},
          {"created_at", utc(c.created_at)}};
}

}  // namespace

void post_campaign(context& ctx, const httplib::Request& req, httplib::Response& res,
                   const principal& who) {
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  if (!body.is_object()) return field_error(res, "", "the body must be a JSON object");
  if (!body.contains("name") || !body["name"].is_string() ||
      body["name"].get<std::string>().empty() || body["name"].get<std::string>().size() > 200)
    return field_error(res, "name", "name is required: a non-empty string of at most 200 characters");
  std::string description;
  if (body.contains("description") && !body["description"].is_null()) {
    if (!body["description"].is_string() || body["description"].get<std::string>().size() > 2000)
      return field_error(res, "description",
                         "description must be a string of at most 2000 characters");
    description = body["description"];
  }
  std::optional<p::campaign_row> made;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    made = p::create_campaign(tx, who.org_id, who.user_id, body["name"], description);
    return made.has_value();
  });
  if (!made)
    return send_error(res, 409, "name_taken", "this clinic already has a campaign with that name",
                      "name");
  send_json(res, 201, {{"campaign", campaign_json(*made)}});
}

void list_campaigns(context& ctx, const httplib::Request&, httplib::Response& res,
                    const principal& who) {
  json out = json::array();
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    for (const auto& c : p::list_campaigns(tx)) out.push_back(campaign_json(c));
    return true;
  });
  send_json(res, 200, {{"campaigns", out}});
}

void link_number(context& ctx, const httplib::Request& req, httplib::Response& res,
                 const principal& who) {
  const std::string id = req.matches[1];
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  if (!body.is_object() || !body.contains("phone_number_id") ||
      !body["phone_number_id"].is_string())
    return field_error(res, "phone_number_id",
                       "phone_number_id is required: the id of one of this clinic's numbers");
  const std::string number = body["phone_number_id"];
  auto outcome = p::link_outcome::campaign_not_found;
  std::optional<p::campaign_row> campaign;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    outcome = p::link_campaign_number(tx, who.org_id, id, number, who.user_id);
    if (outcome == p::link_outcome::linked || outcome == p::link_outcome::already_linked)
      campaign = p::load_campaign(tx, id);
    return outcome == p::link_outcome::linked;
  });
  using o = p::link_outcome;
  if (outcome == o::campaign_not_found)
    return send_error(res, 404, "not_found", "no campaign with id " + id);
  if (outcome == o::number_not_found)
    return send_error(res, 404, "not_found",
                      "no active number of this clinic has id " + number, "phone_number_id");
  if (outcome == o::in_other_campaign)
    return send_error(res, 409, "number_in_other_campaign",
                      "this number is the caller ID of another campaign; unlink it there first",
                      "phone_number_id");
  send_json(res, outcome == o::linked ? 201 : 200,
            {{"result", outcome == o::linked ? "linked" : "already_linked"},
             {"campaign", campaign_json(*campaign)}});
}

void unlink_number(context& ctx, const httplib::Request& req, httplib::Response& res,
                   const principal& who) {
  const std::string id = req.matches[1], number = req.matches[2];
  bool done = false;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    done = p::unlink_campaign_number(tx, id, number);
    return done;
  });
  if (!done)
    return send_error(res, 404, "not_found",
                      "campaign " + id + " has no number with id " + number);
  send_json(res, 200, {{"result", "unlinked"}});
}

void assign_contacts(context& ctx, const httplib::Request& req, httplib::Response& res,
                     const principal& who) {
  const std::string id = req.matches[1];
  auto body = parse_body(req, res, ctx);
  if (body.is_discarded()) return;
  if (!body.is_object() || !body.contains("contact_ids") || !body["contact_ids"].is_array() ||
      body["contact_ids"].empty() || body["contact_ids"].size() > 1000)
    return field_error(res, "contact_ids",
                       "contact_ids is required: an array of 1 to 1000 contact ids");
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < body["contact_ids"].size(); ++i) {
    const auto& v = body["contact_ids"][i];
    if (!v.is_string())
      return field_error(res, "contact_ids[" + std::to_string(i) + "]",
                         "each contact id must be a string");
    ids.push_back(v);
  }
  p::assign_result r;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    r = p::assign_contacts(tx, id, ids);
    return r.campaign_found && r.unknown_index < 0;  // all or nothing
  });
  if (!r.campaign_found) return send_error(res, 404, "not_found", "no campaign with id " + id);
  if (r.unknown_index >= 0)
    return send_error(res, 404, "not_found",
                      "no contact of this clinic has id " + ids[r.unknown_index] +
                          "; no contact was assigned",
                      "contact_ids[" + std::to_string(r.unknown_index) + "]");
  send_json(res, 200, {{"result", "assigned"}, {"campaign_id", id}, {"assigned", r.assigned}});
}

void unassign_contact(context& ctx, const httplib::Request& req, httplib::Response& res,
                      const principal& who) {
  const std::string id = req.matches[1], contact = req.matches[2];
  bool done = false;
  in_tenant(ctx, who.org_id, [&](pqxx::work& tx) {
    done = p::unassign_contact(tx, id, contact);
    return done;
  });
  if (!done)
    return send_error(res, 404, "not_found",
                      "campaign " + id + " has no contact with id " + contact);
  send_json(res, 200, {{"result", "unassigned"}});
}

}  // namespace rm::http::agents_detail
