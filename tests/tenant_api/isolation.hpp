// Shared by the isolation tests (test_isolation_*.cpp): tenant A with one of everything and
// tenant B (world), and the isolation matrix over the route registry (matrix(), in
// isolation_matrix.cpp). What the matrix is for:
//
// The isolation matrix: every tenant-JWT and service-token route registered on a real server
// (http::server::routes(); add_route is the only way routes are registered, so the tenant API's
// table and /api/telephony/* are both in it) against
//   - no token, an expired token and a badly signed token → 401;
//   - tenant B's token on tenant A's ids → 404 and A's rows unchanged; lists show none of A's rows;
//   - the service-token route: tenant JWTs, the operator token and no token → 401.
// A registered tenant or service route without an entry here fails the suite, and so does an
// entry without a route. Every other registered route must declare how it authenticates, and the
// operator and Twilio routes are checked to refuse a request without credentials. The sources of
// adapters/http are scanned so that no route is handed to httplib behind add_route's back.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "adapters/http/server.hpp"
#include "tests/tenant_api/fixture.hpp"

namespace rm::tapi::isolation {

using http::registered_route;
using http::route_auth;

inline const std::string number_a = "+14155550100";
inline const std::string number_b = "+12125550100";
// Tenant A's caller IDs: verified with a forwarding configuration, verified without one, pending.
inline const std::string phone_verified = "+12127360101";
inline const std::string phone_spare = "+12127360102";
inline const std::string phone_pending = "+12127360103";
// A's call's recording and transcript (the dashboard actions share and export them).
inline const std::string a_recording_url = "https://recordings.example/harbor/call-of-a.mp3";
inline const std::string a_transcript = "AI: Harbor Dental, how can I help?\nUser: I'd like botox.";

// The routes the matrix covers: tenant-JWT and service-token routes.
inline bool in_matrix_scope(const registered_route& r) {
  return r.auth == route_auth::tenant || r.auth == route_auth::service;
}

// Tenant A with one of everything, tenant B with its own number (and the same Twilio account, so
// it can start verifications) and nothing else.
struct world {
  fixture f;
  std::string a, b;
  std::string a_mapping, a_call = "call-of-a", a_appointment;
  std::string a_verified, a_spare, a_pending, a_pending_code, a_forwarding;
  // Agents, campaigns, call-back (agent_routes.cpp): a ready agent, a failed one (and the admin
  // notification its failure left), a campaign with A's number and A's contact in it.
  std::string a_agent, a_failed_agent, a_notification, a_campaign, a_contact;
  // Services (service_routes.cpp): A's Botox, one of the seven defaults every tenant starts with.
  std::string a_service;
  // The knowledge base (knowledge_routes.cpp): A's document "Harbor Handbook".
  std::string a_document;
  std::string a_token, b_token;

  world();
  // Starts a verification of `phone` for A by SMS; its id.
  std::string initiate(const std::string& phone);
  // A verified caller ID of A's (the code read from the Twilio fake); its id.
  std::string verify(const std::string& phone);
  // `text` with <a_…> replaced by A's ids (REQUIREs that none is left).
  std::string fill(std::string text) const;
};

// A's rows as the database has them.
std::string caller_id_status(world& w, const std::string& id);
std::string forwarding_status(world& w, const std::string& id);
std::string agent_state(world& w, const std::string& id);
std::string contact_campaign(world& w);
std::string number_campaign(world& w);

// What B's token may (not) do with A's data on one route.
using cross_check = std::function<void(world&, const reply&)>;

struct matrix_entry {
  std::string target;  // the request path with A's ids (<a_…>); "" = the route's own path
  std::string body;    // sent with POST/PATCH; may name A's ids too
  cross_check with_b_token;
};

// "METHOD /path" of every tenant and service route → its entry (isolation_matrix.cpp).
const std::map<std::string, matrix_entry>& matrix();
// Registered routes under /api/ that are neither tenant nor service routes, and how they
// authenticate.
const std::map<std::string, route_auth>& other_api_routes();
// The dashboard actions' entries (isolation_actions.cpp), part of matrix().
const std::map<std::string, matrix_entry>& action_matrix();
// Public routes (route_auth::none) that a signed token in the path authenticates, e.g. a share
// link: each check builds tokens from A's data (a real one, then tampered or forged ones) and
// checks that only the real one works (isolation_actions.cpp).
using public_link_check = std::function<void(world&)>;
const std::map<std::string, public_link_check>& public_link_routes();

std::string key_of(const registered_route& r);
// The route's matrix entry; FAILs when it has none.
const matrix_entry& entry_for(const registered_route& r);
// The request path of a matrix route, with A's ids.
std::string target_of(const world& w, const registered_route& r);
// The fixture's routes in the matrix's scope (REQUIREs some).
std::vector<registered_route> matrix_routes(const fixture& f);

}  // namespace rm::tapi::isolation
